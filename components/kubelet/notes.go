package kubelet

import (
	"fmt"
	"time"
)

// NoteKubelet is the kind of the kubelet's trace notes about a pod.
const NoteKubelet = "kubelet"

// Steps of a pod's life a PodNote records.
const (
	StepSandbox      = "sandbox"       // RunPodSandbox called
	StepSandboxReady = "sandbox-ready" // the sandbox has its network: pod IP known
	StepStarted      = "started"       // a container started
	StepExited       = "exited"        // a container exited
	StepKilling      = "killing"       // the pod is being stopped (graceful deletion)
	StepDeleted      = "deleted"       // containers and sandbox gone: the pod object is deleted
	// StepVolumesWaiting: the pod's claims are not all Bound; the sandbox waits.
	StepVolumesWaiting = "volumes-waiting"
	// StepVolumesMounted: every claim of the pod is Bound and its volume mounted.
	StepVolumesMounted = "volumes-mounted"
)

// PodNote is one step of a pod's life on this node, as the kubelet writes
// it into the trace.
type PodNote struct {
	Pod  string // ns/name
	Step string
	// Sandbox is the sandbox's short ID; IP the pod IP once it is ready.
	Sandbox, IP string
	// Container and ContainerID name the container that started or exited;
	// ExitCode and Reason say how it exited.
	Container, ContainerID string
	ExitCode               int32
	Reason                 string
	// Grace is the termination grace period of a pod being killed.
	Grace time.Duration
	// Volumes are the volumes waited for (StepVolumesWaiting) or the
	// claims mounted (StepVolumesMounted).
	Volumes []string
}

// Summary implements sim.Summarizer.
func (n PodNote) Summary() string {
	switch n.Step {
	case StepSandbox:
		return fmt.Sprintf("%s: RunPodSandbox %s", n.Pod, n.Sandbox)
	case StepSandboxReady:
		return fmt.Sprintf("%s: sandbox %s ready, pod IP %s", n.Pod, n.Sandbox, n.IP)
	case StepStarted:
		return fmt.Sprintf("%s: container %s started (containerd://%s)", n.Pod, n.Container, n.ContainerID)
	case StepExited:
		return fmt.Sprintf("%s: container %s exited with code %d (%s)", n.Pod, n.Container, n.ExitCode, n.Reason)
	case StepKilling:
		return fmt.Sprintf("%s: killing pod with a grace period of %s", n.Pod, n.Grace)
	case StepDeleted:
		return fmt.Sprintf("%s: containers stopped and sandbox gone: deleting the pod with grace period 0", n.Pod)
	case StepVolumesWaiting:
		return fmt.Sprintf("%s: waiting for volumes %v (claims not Bound)", n.Pod, n.Volumes)
	case StepVolumesMounted:
		return fmt.Sprintf("%s: claims %v Bound, volumes mounted", n.Pod, n.Volumes)
	}
	return n.Pod + ": " + n.Step
}

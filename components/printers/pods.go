package printers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// nodeUnreachablePodReason is the status reason the node lifecycle
// controller sets on pods of an unreachable node; kubectl shows them as
// Unknown once they are being deleted.
const nodeUnreachablePodReason = "NodeLost"

func init() {
	register("pods", []Column{
		nameColumn(),
		col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
		col("Status", "string", "The aggregate status of the containers in this pod."),
		col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageColumn(),
		wide("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
		wide("Node", "string", "NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements."),
		wide("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled."),
		wide("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"),
	}, func(obj api.Object, now time.Time) []any {
		pod := obj.(*api.Pod)
		s := PodStatus(pod)
		restarts := strconv.Itoa(s.Restarts)
		if !s.LastRestart.IsZero() {
			restarts = fmt.Sprintf("%d (%s ago)", s.Restarts, Age(s.LastRestart, now))
		}
		ip, node, nominated, gates := "<none>", "<none>", "<none>", "<none>"
		if pod.Status.PodIP != "" {
			ip = pod.Status.PodIP
		}
		if pod.Spec.NodeName != "" {
			node = pod.Spec.NodeName
		}
		if pod.Status.NominatedNodeName != "" {
			nominated = pod.Status.NominatedNodeName
		}
		if len(pod.Spec.ReadinessGates) > 0 {
			trueGates := 0
			for _, g := range pod.Spec.ReadinessGates {
				for _, c := range pod.Status.Conditions {
					if c.Type == g.ConditionType && c.Status == api.ConditionTrue {
						trueGates++
						break
					}
				}
			}
			gates = fmt.Sprintf("%d/%d", trueGates, len(pod.Spec.ReadinessGates))
		}
		return []any{pod.Name, fmt.Sprintf("%d/%d", s.Ready, s.Total), s.Reason, restarts, Age(pod.CreationTimestamp, now), ip, node, nominated, gates}
	})
}

// PodSummary is what `kubectl get pods` says about a pod.
type PodSummary struct {
	// Ready and Total are the READY column: ready containers (sidecars
	// included) out of all of them.
	Ready, Total int
	// Reason is the STATUS column: the phase, or what holds the pod up
	// (ContainerCreating, CrashLoopBackOff, Init:0/1, Terminating, ...).
	Reason string
	// Restarts and LastRestart are the RESTARTS column.
	Restarts    int
	LastRestart api.Time
}

func isSidecar(c *api.Container) bool {
	return c != nil && c.RestartPolicy != nil && *c.RestartPolicy == "Always"
}

// PodStatus computes a pod's READY, STATUS and RESTARTS as kubectl does:
// init containers first (Init:N/M, Init:<reason>, Init:ExitCode:N), then
// the app containers from last to first (a waiting or terminated reason
// wins), Completed turned back into Running while a container still runs,
// and Terminating once the pod is being deleted.
func PodStatus(pod *api.Pod) PodSummary {
	s := PodSummary{Total: len(pod.Spec.Containers)}
	reason := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == api.PodScheduled && c.Reason == api.PodReasonSchedulingGated {
			reason = api.PodReasonSchedulingGated
		}
	}
	inits := map[string]*api.Container{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		inits[c.Name] = c
		if isSidecar(c) {
			s.Total++
		}
	}
	restarts, sidecarRestarts := 0, 0
	var lastRestart, lastSidecarRestart api.Time
	later := func(cur *api.Time, st api.ContainerState) {
		if t := st.Terminated; t != nil && cur.Before(t.FinishedAt.Time) {
			*cur = t.FinishedAt
		}
	}
	initializing := false
	for i, cs := range pod.Status.InitContainerStatuses {
		restarts += int(cs.RestartCount)
		later(&lastRestart, cs.LastTerminationState)
		sidecar := isSidecar(inits[cs.Name])
		if sidecar {
			sidecarRestarts += int(cs.RestartCount)
			later(&lastSidecarRestart, cs.LastTerminationState)
		}
		st := cs.State
		switch {
		case st.Terminated != nil && st.Terminated.ExitCode == 0:
			continue
		case sidecar && cs.Started != nil && *cs.Started:
			if cs.Ready {
				s.Ready++
			}
			continue
		case st.Terminated != nil:
			switch {
			case st.Terminated.Reason != "":
				reason = "Init:" + st.Terminated.Reason
			case st.Terminated.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", st.Terminated.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", st.Terminated.ExitCode)
			}
		case st.Waiting != nil && st.Waiting.Reason != "" && st.Waiting.Reason != "PodInitializing":
			reason = "Init:" + st.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing || podConditionTrue(pod, api.PodInitialized) {
		restarts, lastRestart = sidecarRestarts, lastSidecarRestart
		running := false
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := pod.Status.ContainerStatuses[i]
			restarts += int(cs.RestartCount)
			later(&lastRestart, cs.LastTerminationState)
			st := cs.State
			switch {
			case st.Waiting != nil && st.Waiting.Reason != "":
				reason = st.Waiting.Reason
			case st.Terminated != nil && st.Terminated.Reason != "":
				reason = st.Terminated.Reason
			case st.Terminated != nil && st.Terminated.Signal != 0:
				reason = fmt.Sprintf("Signal:%d", st.Terminated.Signal)
			case st.Terminated != nil:
				reason = fmt.Sprintf("ExitCode:%d", st.Terminated.ExitCode)
			case cs.Ready && st.Running != nil:
				running = true
				s.Ready++
			}
		}
		if reason == "Completed" && running {
			if podConditionTrue(pod, api.PodReady) {
				reason = "Running"
			} else {
				reason = "NotReady"
			}
		}
	}
	terminal := pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Reason == nodeUnreachablePodReason:
		reason = "Unknown"
	case pod.DeletionTimestamp != nil && !terminal:
		reason = "Terminating"
	}
	s.Reason, s.Restarts, s.LastRestart = reason, restarts, lastRestart
	return s
}

func podConditionTrue(pod *api.Pod, t api.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

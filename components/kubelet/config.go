package kubelet

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/components/nodefs"
	"github.com/kubesim/kubesim/sim"
)

// Versions the kubelet reports in its Node's nodeInfo.
const (
	KubeletVersion          = "v1.32.4"
	ContainerRuntimeVersion = "containerd://1.7.24"
	DefaultOSImage          = "Ubuntu 24.04.1 LTS"
	DefaultKernelVersion    = "6.8.0-51-generic"
	// PauseImage is the sandbox image of containerd 1.7 with Kubernetes
	// 1.32; every node has it.
	PauseImage = "registry.k8s.io/pause:3.10"
)

// The kubelet's real defaults (KubeletConfiguration v1beta1).
const (
	DefaultNodeLeaseDuration         = 40 * time.Second
	DefaultNodeStatusUpdateFrequency = 10 * time.Second
	DefaultNodeStatusReportFrequency = 5 * time.Minute
	DefaultMaxPods                   = 110
	// Container restart back-off: 10 s doubling to 5 min, forgotten after
	// twice the maximum without a crash.
	DefaultBackOffPeriod       = 10 * time.Second
	DefaultMaxContainerBackOff = 300 * time.Second
	// DefaultSyncBackOff is the pod workers' back-off after a failed sync
	// (a sandbox that could not be created), jittered by up to half.
	DefaultSyncBackOff = 10 * time.Second
	// DefaultSyncFrequency is --sync-frequency: how often the kubelet
	// resyncs a running pod, which is when a mounted ConfigMap or Secret
	// volume picks up a change.
	DefaultSyncFrequency = time.Minute
	// minimumGracePeriod is the shortest grace period the kubelet gives a
	// container when it kills it (minimumGracePeriodInSeconds).
	minimumGracePeriod = 2 * time.Second
	// cniPluginTimeout is how long cilium-cni waits for the agent's socket.
	cniPluginTimeout = 30 * time.Second
)

// Config describes one node's kubelet. Only Node is required.
type Config struct {
	// Node is the node's name; the actor is ActorName(Node).
	Node string
	// Token is the kubelet's bearer token (default: the cluster's
	// "kubelet-token-<node>" convention, user system:node:<node>).
	Token string
	// APIServers are the kube-apiserver actors, tried in order.
	APIServers []string

	// ControlPlane registers the node with the control-plane role label
	// and the node-role.kubernetes.io/control-plane:NoSchedule taint
	// (kubeadm's --register-with-taints), and marks it excluded from
	// external load balancers.
	ControlPlane bool
	// Zone and Region set topology.kubernetes.io/zone and /region.
	Zone   string
	Region string
	// Labels and Taints are added at registration (--node-labels,
	// --register-with-taints).
	Labels map[string]string
	Taints []api.Taint

	// InternalIP is the node's address (default: 172.18.x.y derived from
	// the name, as on a kind network).
	InternalIP string

	// Capacity is the machine (default 4 CPUs, 16 GiB, 100 GiB of disk,
	// MaxPods pods).
	CPU              string
	Memory           string
	EphemeralStorage string
	MaxPods          int
	// KubeReserved and SystemReserved are taken off capacity to give
	// allocatable (--kube-reserved, --system-reserved; empty by default),
	// as is the hard eviction threshold (memory.available<100Mi,
	// nodefs.available<10%).
	KubeReserved   api.ResourceList
	SystemReserved api.ResourceList
	// EvictionHardMemory overrides the 100Mi memory threshold; "0"
	// disables it.
	EvictionHardMemory string
	// EvictionHardNodefsPercent overrides the 10 % nodefs threshold; a
	// negative value disables it.
	EvictionHardNodefsPercent int

	// StaticPods are the manifests in the node's staticPodPath
	// (/etc/kubernetes/manifests on kubeadm nodes). The kubelet runs them
	// without the apiserver and publishes each as a mirror pod
	// "<name>-<node>" (see KubeadmStaticPods).
	StaticPods []*api.Pod
	// Disk, if set, is the node's disk: the static pods are then the
	// manifests in StaticPodPath on it (default /etc/kubernetes/manifests),
	// read at start and on KindManifestsChanged (see staticfile.go), and
	// StaticPods is not used.
	Disk          *nodefs.FS
	StaticPodPath string
	// Programs, if set, starts and stops the programs of static pods'
	// containers.
	Programs Programs
	// Clients, if set, gives the body of the actor that sends the
	// requests of a container whose process is a request loop (a load
	// generator, images.RequestLoop); the kubelet spawns it on the node as
	// ClientActorName when the container starts and stops it when the
	// container stops. This is a simulator mechanism: in a real node the
	// container's own process sends them.
	Clients func(pod *api.Pod, container string, loop images.RequestLoop) func(*sim.Ctx)
	// ImageExists says whether the registry has an image (its normalized
	// reference, "docker.io/library/nginx:1.27"); a pull of one it does
	// not have fails with containerd's "not found" error and the pod goes
	// ErrImagePull / ImagePullBackOff. Nil: every image exists.
	ImageExists func(ref string) bool
	// PreloadedImages are already in the node's image store (the static
	// pods' images are added automatically, as kubeadm pre-pulls them).
	PreloadedImages []string

	// Timing, with the real defaults.
	NodeLeaseDuration         time.Duration
	NodeStatusUpdateFrequency time.Duration
	NodeStatusReportFrequency time.Duration
	BackOffPeriod             time.Duration
	MaxContainerBackOff       time.Duration
	SyncBackOff               time.Duration
	SyncFrequency             time.Duration
}

// TokenPrefix is the prefix of the kubelets' bearer tokens in the
// simulated static token file (sim/cluster.KubeletTokenPrefix).
const TokenPrefix = "kubelet-token-"

// ActorName is the kubelet actor of a node.
func ActorName(node string) string { return "kubelet-" + node }

func (c Config) withDefaults() Config {
	if c.Token == "" {
		c.Token = TokenPrefix + c.Node
	}
	if len(c.APIServers) == 0 {
		c.APIServers = []string{"kube-apiserver-cp-1"}
	}
	if c.InternalIP == "" {
		h := fnv.New32a()
		h.Write([]byte(c.Node))
		v := h.Sum32()
		c.InternalIP = fmt.Sprintf("172.18.%d.%d", v%200+1, (v>>8)%250+2)
	}
	if c.CPU == "" {
		c.CPU = "4"
	}
	if c.Memory == "" {
		c.Memory = "16393392Ki"
	}
	if c.EphemeralStorage == "" {
		c.EphemeralStorage = "101430960Ki"
	}
	if c.MaxPods == 0 {
		c.MaxPods = DefaultMaxPods
	}
	if c.EvictionHardMemory == "" {
		c.EvictionHardMemory = "100Mi"
	}
	if c.EvictionHardNodefsPercent == 0 {
		c.EvictionHardNodefsPercent = 10
	}
	if c.NodeLeaseDuration == 0 {
		c.NodeLeaseDuration = DefaultNodeLeaseDuration
	}
	if c.NodeStatusUpdateFrequency == 0 {
		c.NodeStatusUpdateFrequency = DefaultNodeStatusUpdateFrequency
	}
	if c.NodeStatusReportFrequency == 0 {
		c.NodeStatusReportFrequency = DefaultNodeStatusReportFrequency
	}
	if c.BackOffPeriod == 0 {
		c.BackOffPeriod = DefaultBackOffPeriod
	}
	if c.MaxContainerBackOff == 0 {
		c.MaxContainerBackOff = DefaultMaxContainerBackOff
	}
	if c.SyncBackOff == 0 {
		c.SyncBackOff = DefaultSyncBackOff
	}
	if c.SyncFrequency == 0 {
		c.SyncFrequency = DefaultSyncFrequency
	}
	return c
}

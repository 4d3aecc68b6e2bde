package framework

import "github.com/kubesim/kubesim/components/api"

// Defaults used in place of a missing cpu or memory request when nodes are
// scored (never when they are filtered), so that pods without requests
// still spread: 100m cpu and 200Mi memory, as the real scheduler's
// DefaultMilliCPURequest and DefaultMemoryRequest.
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// Resource is a set of compute quantities as plain integers: milli-cpu,
// bytes, a pod count, and extended resources by name. The scheduler never
// does Quantity arithmetic in the hot path; quantities are converted once,
// when a pod or node enters the cache.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	// AllowedPodNumber is the "pods" quantity: only meaningful for
	// allocatable.
	AllowedPodNumber int
	// ScalarResources holds extended resources (example.com/gpu),
	// hugepages and the like. Nil when there are none.
	ScalarResources map[api.ResourceName]int64
}

// NewResource converts a ResourceList.
func NewResource(rl api.ResourceList) Resource {
	var r Resource
	r.Add(rl)
	return r
}

// Add adds every quantity of rl.
func (r *Resource) Add(rl api.ResourceList) {
	for name, q := range rl {
		switch name {
		case api.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case api.ResourceMemory:
			r.Memory += q.Value()
		case api.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		case api.ResourcePods:
			r.AllowedPodNumber += int(q.Value())
		default:
			r.AddScalar(name, q.Value())
		}
	}
}

// AddScalar adds v of an extended resource.
func (r *Resource) AddScalar(name api.ResourceName, v int64) {
	if r.ScalarResources == nil {
		r.ScalarResources = make(map[api.ResourceName]int64, 1)
	}
	r.ScalarResources[name] += v
}

// addResource adds (sign = +1) or subtracts (sign = -1) o.
func (r *Resource) addResource(o *Resource, sign int64) {
	r.MilliCPU += sign * o.MilliCPU
	r.Memory += sign * o.Memory
	r.EphemeralStorage += sign * o.EphemeralStorage
	for name, v := range o.ScalarResources {
		r.AddScalar(name, sign*v)
	}
}

// setMax raises every field of r to at least o's.
func (r *Resource) setMax(o *Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	for name, v := range o.ScalarResources {
		if cur, ok := r.ScalarResources[name]; !ok || v > cur {
			if r.ScalarResources == nil {
				r.ScalarResources = make(map[api.ResourceName]int64, 1)
			}
			r.ScalarResources[name] = v
		}
	}
}

// Clone returns a deep copy.
func (r Resource) Clone() Resource {
	out := r
	if r.ScalarResources != nil {
		out.ScalarResources = make(map[api.ResourceName]int64, len(r.ScalarResources))
		for k, v := range r.ScalarResources {
			out.ScalarResources[k] = v
		}
	}
	return out
}

// PodRequestsOptions tunes ComputePodRequests.
type PodRequestsOptions struct {
	// NonZeroDefaults substitutes DefaultMilliCPURequest and
	// DefaultMemoryRequest for a container's missing cpu or memory
	// request. Scoring uses it; filtering does not.
	NonZeroDefaults bool
}

// ComputePodRequests returns what a pod asks of a node, the way the kubelet
// will account for it:
//
//	request = max(sum(containers) + sum(sidecars), max over init steps) + overhead
//
// where an init step is one regular init container plus the sidecars
// (init containers with restartPolicy Always) started before it, and a
// sidecar's own step is the sidecars up to and including it. Without
// sidecars this is the classic max(max(init containers), sum(containers))
// plus pod overhead.
func ComputePodRequests(pod *api.Pod, opts PodRequestsOptions) Resource {
	var reqs Resource
	for i := range pod.Spec.Containers {
		c := containerRequests(&pod.Spec.Containers[i], opts)
		reqs.addResource(&c, 1)
	}
	var sidecars, initMax Resource
	for i := range pod.Spec.InitContainers {
		ic := &pod.Spec.InitContainers[i]
		c := containerRequests(ic, opts)
		if ic.RestartPolicy != nil && *ic.RestartPolicy == api.ContainerRestartPolicyAlways {
			reqs.addResource(&c, 1)
			sidecars.addResource(&c, 1)
			initMax.setMax(&sidecars)
			continue
		}
		c.addResource(&sidecars, 1)
		initMax.setMax(&c)
	}
	reqs.setMax(&initMax)
	if pod.Spec.Overhead != nil {
		o := NewResource(pod.Spec.Overhead)
		o.AllowedPodNumber = 0
		reqs.addResource(&o, 1)
	}
	return reqs
}

func containerRequests(c *api.Container, opts PodRequestsOptions) Resource {
	r := NewResource(c.Resources.Requests)
	r.AllowedPodNumber = 0
	if opts.NonZeroDefaults {
		if _, ok := c.Resources.Requests[api.ResourceCPU]; !ok {
			r.MilliCPU = DefaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[api.ResourceMemory]; !ok {
			r.Memory = DefaultMemoryRequest
		}
	}
	return r
}

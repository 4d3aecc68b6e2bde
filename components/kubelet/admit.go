package kubelet

import (
	"fmt"
	"sort"

	"github.com/kubesim/kubesim/components/api"
)

// admit is the kubelet's own admission of a pod bound to its node: the
// scheduler's resource fit, checked again against what the node already
// runs, since anyone may set spec.nodeName. A pod that does not fit is
// rejected: phase Failed, reason OutOf<resource>, message "Pod was
// rejected: Node didn't have enough resource: ...", and never runs.
func (st *state) admit(pw *podWorker) {
	if pw.static || pw.terminal != "" {
		return
	}
	alloc := st.nodeStatus(nil).Allocatable
	keys := make([]string, 0, len(st.pods))
	for k := range st.pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	used := api.ResourceList{}
	count := int64(0)
	for _, k := range keys {
		o := st.pods[k]
		if o == pw || o.terminal != "" || o.rejected {
			continue
		}
		count++
		for name, q := range podRequests(o.pod) {
			used[name] = used[name].Add(q)
		}
	}
	check := func(name api.ResourceName, requested, inUse, capacity int64) bool {
		if requested == 0 || inUse+requested <= capacity {
			return true
		}
		msg := fmt.Sprintf("Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d", name, requested, inUse, capacity)
		reason := "OutOf" + string(name)
		st.rec.podEvent(pw, nil, api.EventTypeWarning, reason, msg)
		pw.rejected, pw.terminal = true, api.PodFailed
		pw.failReason, pw.failMessage = reason, "Pod was rejected: "+msg
		return false
	}
	req := podRequests(pw.pod)
	maxPods := alloc[api.ResourcePods]
	if !check(api.ResourcePods, 1, count, maxPods.Value()) {
		return
	}
	cpu, usedCPU, allocCPU := req[api.ResourceCPU], used[api.ResourceCPU], alloc[api.ResourceCPU]
	if !check(api.ResourceCPU, cpu.MilliValue(), usedCPU.MilliValue(), allocCPU.MilliValue()) {
		return
	}
	for _, name := range []api.ResourceName{api.ResourceMemory, api.ResourceEphemeralStorage} {
		r, u, a := req[name], used[name], alloc[name]
		if !check(name, r.Value(), u.Value(), a.Value()) {
			return
		}
	}
}

// podRequests is a pod's effective request: the larger of its containers'
// sum and its largest init container, plus the pod overhead.
func podRequests(p *api.Pod) api.ResourceList {
	out := api.ResourceList{}
	for _, c := range p.Spec.Containers {
		for name, q := range c.Resources.Requests {
			out[name] = out[name].Add(q)
		}
	}
	for _, c := range p.Spec.InitContainers {
		for name, q := range c.Resources.Requests {
			if q.Cmp(out[name]) > 0 {
				out[name] = q
			}
		}
	}
	for name, q := range p.Spec.Overhead {
		out[name] = out[name].Add(q)
	}
	return out
}

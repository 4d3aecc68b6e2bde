package printers

import (
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// describeNode is kubectl's node describer: taints, the node's lease in
// kube-node-lease, conditions, addresses, capacity, system info and the
// non-terminated pods on it with what they request.
func describeNode(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	n := obj.(*api.Node)
	w.line(0, "Name:\t%s\n", n.Name)
	w.line(0, "Roles:\t%s\n", NodeRoles(n))
	multiline(w, "Labels", n.Labels)
	annotations(w, "Annotations", n.Annotations)
	w.line(0, "CreationTimestamp:\t%s\n", n.CreationTimestamp.Time.Format(describeTime))
	w.line(0, "Taints:\t")
	if len(n.Spec.Taints) == 0 {
		w.line(0, "<none>\n")
	} else {
		taints := append([]api.Taint(nil), n.Spec.Taints...)
		sortStable(taints, func(a, b api.Taint) bool { return string(a.Effect)+","+a.Key < string(b.Effect)+","+b.Key })
		for i, t := range taints {
			if i > 0 {
				w.line(0, "\t")
			}
			s := t.Key
			if t.Value != "" {
				s += "=" + t.Value
			}
			w.line(0, "%s:%s\n", s, t.Effect)
		}
	}
	w.line(0, "Unschedulable:\t%v\n", n.Spec.Unschedulable)
	var lease *api.Lease
	for _, o := range list("leases", api.NamespaceNodeLease) {
		if l := o.(*api.Lease); l.Name == n.Name {
			lease = l
		}
	}
	if lease == nil {
		w.line(0, "Lease:\tFailed to get lease: leases.coordination.k8s.io %q not found\n", n.Name)
	} else {
		w.line(0, "Lease:\n")
		holder, acquire, renew := "<unset>", "<unset>", "<unset>"
		if lease.Spec.HolderIdentity != nil {
			holder = *lease.Spec.HolderIdentity
		}
		if lease.Spec.AcquireTime != nil {
			acquire = lease.Spec.AcquireTime.Time.Format(describeTime)
		}
		if lease.Spec.RenewTime != nil {
			renew = lease.Spec.RenewTime.Time.Format(describeTime)
		}
		w.line(1, "HolderIdentity:\t%s\n", holder)
		w.line(1, "AcquireTime:\t%s\n", acquire)
		w.line(1, "RenewTime:\t%s\n", renew)
	}
	if len(n.Status.Conditions) > 0 {
		w.line(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
		w.line(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
		for _, c := range n.Status.Conditions {
			w.line(1, "%v \t%v \t%s \t%s \t%v \t%v\n", c.Type, c.Status,
				c.LastHeartbeatTime.Time.Format(describeTime), c.LastTransitionTime.Time.Format(describeTime), c.Reason, c.Message)
		}
	}
	w.line(0, "Addresses:\n")
	for _, a := range n.Status.Addresses {
		w.line(1, "%s:\t%s\n", a.Type, a.Address)
	}
	resourceList := func(title string, rl api.ResourceList) {
		if len(rl) == 0 {
			return
		}
		w.line(0, "%s:\n", title)
		for _, r := range sortedNames(rl) {
			q := rl[r]
			w.line(0, "  %s:\t%s\n", r, q.String())
		}
	}
	resourceList("Capacity", n.Status.Capacity)
	resourceList("Allocatable", n.Status.Allocatable)
	info := n.Status.NodeInfo
	w.line(0, "System Info:\n")
	w.line(0, "  Machine ID:\t%s\n", info.MachineID)
	w.line(0, "  System UUID:\t%s\n", info.SystemUUID)
	w.line(0, "  Boot ID:\t%s\n", info.BootID)
	w.line(0, "  Kernel Version:\t%s\n", info.KernelVersion)
	w.line(0, "  OS Image:\t%s\n", info.OSImage)
	w.line(0, "  Operating System:\t%s\n", info.OperatingSystem)
	w.line(0, "  Architecture:\t%s\n", info.Architecture)
	w.line(0, "  Container Runtime Version:\t%s\n", info.ContainerRuntimeVersion)
	w.line(0, "  Kubelet Version:\t%s\n", info.KubeletVersion)
	w.line(0, "  Kube-Proxy Version:\t%s\n", info.KubeProxyVersion)
	if n.Spec.PodCIDR != "" {
		w.line(0, "PodCIDR:\t%s\n", n.Spec.PodCIDR)
	}
	if len(n.Spec.PodCIDRs) > 0 {
		w.line(0, "PodCIDRs:\t%s\n", strings.Join(n.Spec.PodCIDRs, ","))
	}
	if n.Spec.ProviderID != "" {
		w.line(0, "ProviderID:\t%s\n", n.Spec.ProviderID)
	}
	var pods []*api.Pod
	for _, o := range list("pods", "") {
		p := o.(*api.Pod)
		if p.Spec.NodeName == n.Name && p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed {
			pods = append(pods, p)
		}
	}
	describeNodeResources(w, n, pods, now)
	describeEvents(w, events, now)
}

// describeNodeResources is the "Non-terminated Pods" table and the
// "Allocated resources" summary, percentages of allocatable truncated.
func describeNodeResources(w prefixWriter, n *api.Node, pods []*api.Pod, now time.Time) {
	w.line(0, "Non-terminated Pods:\t(%d in total)\n", len(pods))
	w.line(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
	w.line(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
	alloc := n.Status.Capacity
	if len(n.Status.Allocatable) > 0 {
		alloc = n.Status.Allocatable
	}
	allocCPU, allocMem, allocEph := alloc[api.ResourceCPU], alloc[api.ResourceMemory], alloc[api.ResourceEphemeralStorage]
	percent := func(part, whole int64) int64 {
		if whole == 0 {
			return 0
		}
		return int64(float64(part) / float64(whole) * 100)
	}
	reqs, limits := api.ResourceList{}, api.ResourceList{}
	for _, p := range pods {
		req, lim := api.PodRequestsAndLimits(&p.Spec)
		for r, q := range req {
			reqs[r] = reqs[r].Add(q)
		}
		for r, q := range lim {
			limits[r] = limits[r].Add(q)
		}
		cr, cl, mr, ml := req[api.ResourceCPU], lim[api.ResourceCPU], req[api.ResourceMemory], lim[api.ResourceMemory]
		w.line(1, "%s\t%s\t\t%s (%d%%)\t%s (%d%%)\t%s (%d%%)\t%s (%d%%)\t%s\n", p.Namespace, p.Name,
			cr.String(), percent(cr.MilliValue(), allocCPU.MilliValue()), cl.String(), percent(cl.MilliValue(), allocCPU.MilliValue()),
			mr.String(), percent(mr.Value(), allocMem.Value()), ml.String(), percent(ml.Value(), allocMem.Value()), Age(p.CreationTimestamp, now))
	}
	w.line(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
	w.line(1, "Resource\tRequests\tLimits\n")
	w.line(1, "--------\t--------\t------\n")
	cr, cl, mr, ml, er, el := reqs[api.ResourceCPU], limits[api.ResourceCPU], reqs[api.ResourceMemory], limits[api.ResourceMemory],
		reqs[api.ResourceEphemeralStorage], limits[api.ResourceEphemeralStorage]
	w.line(1, "%s\t%s (%d%%)\t%s (%d%%)\n", api.ResourceCPU, cr.String(), percent(cr.MilliValue(), allocCPU.MilliValue()), cl.String(), percent(cl.MilliValue(), allocCPU.MilliValue()))
	w.line(1, "%s\t%s (%d%%)\t%s (%d%%)\n", api.ResourceMemory, mr.String(), percent(mr.Value(), allocMem.Value()), ml.String(), percent(ml.Value(), allocMem.Value()))
	w.line(1, "%s\t%s (%d%%)\t%s (%d%%)\n", api.ResourceEphemeralStorage, er.String(), percent(er.Value(), allocEph.Value()), el.String(), percent(el.Value(), allocEph.Value()))
	for _, r := range sortedNames(alloc) {
		if strings.HasPrefix(string(r), "hugepages-") {
			q, l, a := reqs[r], limits[r], alloc[r]
			w.line(1, "%s\t%s (%d%%)\t%s (%d%%)\n", r, q.String(), percent(q.Value(), a.Value()), l.String(), percent(l.Value(), a.Value()))
		}
	}
	for _, r := range sortedNames(alloc) {
		if !standardResource(r) && !strings.HasPrefix(string(r), "hugepages-") && r != api.ResourcePods {
			q, l := reqs[r], limits[r]
			w.line(1, "%s\t%s\t%s\n", r, q.String(), l.String())
		}
	}
}

func standardResource(r api.ResourceName) bool {
	switch r {
	case api.ResourceCPU, api.ResourceMemory, api.ResourceEphemeralStorage, "storage":
		return true
	}
	return strings.HasPrefix(string(r), "requests.") || strings.HasPrefix(string(r), "limits.")
}

func sortStable[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

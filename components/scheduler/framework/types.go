package framework

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// PodKey identifies a pod in the cache: its UID, or namespace/name for pods
// that have none (hand-built pods in tests).
func PodKey(pod *api.Pod) string {
	if pod.UID != "" {
		return string(pod.UID)
	}
	return pod.Namespace + "/" + pod.Name
}

// AffinityTerm is a compiled PodAffinityTerm: which pods it selects (by
// namespace and labels) and the topology key that defines "together".
type AffinityTerm struct {
	// Namespaces is sorted. When the term names neither namespaces nor a
	// namespaceSelector, it is the owning pod's namespace.
	Namespaces        []string
	Selector          Selector
	TopologyKey       string
	NamespaceSelector Selector
}

// Matches reports whether pod is selected by the term. nsLabels are the
// labels of pod's namespace (only consulted through the namespaceSelector).
func (t *AffinityTerm) Matches(pod *api.Pod, nsLabels map[string]string) bool {
	if containsSorted(t.Namespaces, pod.Namespace) || t.NamespaceSelector.Matches(nsLabels) {
		return t.Selector.Matches(pod.Labels)
	}
	return false
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// PodInfo is a pod plus what the scheduler derives from it once: compiled
// affinity terms, resource requests, host ports. NodeInfo holds PodInfos so
// that adding or removing a pod is plain integer arithmetic.
type PodInfo struct {
	Pod *api.Pod

	RequiredAffinityTerms      []AffinityTerm
	RequiredAntiAffinityTerms  []AffinityTerm
	PreferredAffinityTerms     []WeightedAffinityTerm
	PreferredAntiAffinityTerms []WeightedAffinityTerm

	// Requests is ComputePodRequests(pod) without defaults: what
	// NodeResourcesFit checks against allocatable.
	Requests Resource
	// NonZeroCPU and NonZeroMemory are the requests with the scoring
	// defaults for missing values (NodeInfo.NonZeroRequested).
	NonZeroCPU    int64
	NonZeroMemory int64
	// HostPorts are the pod's host ports with defaults applied (protocol
	// TCP, IP 0.0.0.0), from containers and sidecar init containers.
	HostPorts []HostPort

	// ParseError reports affinity terms that did not compile; those terms
	// match nothing.
	ParseError error
}

// NewPodInfo derives a PodInfo from pod.
func NewPodInfo(pod *api.Pod) *PodInfo {
	pi := &PodInfo{Pod: pod}
	pi.Update(pod)
	return pi
}

// Update recomputes the PodInfo for a new version of the pod.
func (pi *PodInfo) Update(pod *api.Pod) {
	*pi = PodInfo{Pod: pod}
	var errs []error
	if a := pod.Spec.Affinity; a != nil {
		if pa := a.PodAffinity; pa != nil {
			pi.RequiredAffinityTerms = compileTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, &errs)
			pi.PreferredAffinityTerms = compileWeightedTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution, &errs)
		}
		if pa := a.PodAntiAffinity; pa != nil {
			pi.RequiredAntiAffinityTerms = compileTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, &errs)
			pi.PreferredAntiAffinityTerms = compileWeightedTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution, &errs)
		}
	}
	pi.ParseError = errors.Join(errs...)
	pi.Requests = ComputePodRequests(pod, PodRequestsOptions{})
	nz := ComputePodRequests(pod, PodRequestsOptions{NonZeroDefaults: true})
	pi.NonZeroCPU, pi.NonZeroMemory = nz.MilliCPU, nz.Memory
	pi.HostPorts = PodHostPorts(pod)
}

// HasAffinity reports whether the pod has any pod (anti-)affinity, the
// condition for NodeInfo.PodsWithAffinity.
func (pi *PodInfo) HasAffinity() bool {
	a := pi.Pod.Spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}

func compileTerms(pod *api.Pod, terms []api.PodAffinityTerm, errs *[]error) []AffinityTerm {
	if len(terms) == 0 {
		return nil
	}
	out := make([]AffinityTerm, 0, len(terms))
	for i := range terms {
		t, err := NewAffinityTerm(pod, &terms[i])
		if err != nil {
			*errs = append(*errs, err)
		}
		out = append(out, t)
	}
	return out
}

func compileWeightedTerms(pod *api.Pod, terms []api.WeightedPodAffinityTerm, errs *[]error) []WeightedAffinityTerm {
	if len(terms) == 0 {
		return nil
	}
	out := make([]WeightedAffinityTerm, 0, len(terms))
	for i := range terms {
		if terms[i].Weight == 0 {
			continue
		}
		t, err := NewAffinityTerm(pod, &terms[i].PodAffinityTerm)
		if err != nil {
			*errs = append(*errs, err)
		}
		out = append(out, WeightedAffinityTerm{AffinityTerm: t, Weight: terms[i].Weight})
	}
	return out
}

// NewAffinityTerm compiles term as written in pod's spec: the default
// namespace is the pod's, and matchLabelKeys / mismatchLabelKeys are merged
// into the selector as "key in (pod's value)" / "key notin (pod's value)".
// An invalid selector makes the term match nothing.
func NewAffinityTerm(pod *api.Pod, term *api.PodAffinityTerm) (AffinityTerm, error) {
	t := AffinityTerm{TopologyKey: term.TopologyKey, NamespaceSelector: Nothing()}
	var firstErr error
	sel, err := NewSelector(term.LabelSelector)
	if err != nil {
		firstErr = fmt.Errorf("labelSelector: %w", err)
	}
	if term.LabelSelector != nil && err == nil {
		for _, k := range term.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				sel = sel.WithIn(k, v)
			}
		}
		for _, k := range term.MismatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				sel = sel.WithNotIn(k, v)
			}
		}
	}
	t.Selector = sel
	if term.NamespaceSelector != nil {
		ns, err := NewSelector(term.NamespaceSelector)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("namespaceSelector: %w", err)
		}
		t.NamespaceSelector = ns
	}
	switch {
	case len(term.Namespaces) > 0:
		t.Namespaces = slices.Sorted(slices.Values(term.Namespaces))
	case term.NamespaceSelector == nil:
		t.Namespaces = []string{pod.Namespace}
	}
	return t, firstErr
}

// DefaultBindAllHostIP is the host IP a port without hostIP binds to.
const DefaultBindAllHostIP = "0.0.0.0"

// HostPort is one host port a pod occupies.
type HostPort struct {
	IP       string
	Protocol api.Protocol
	Port     int32
}

// PodHostPorts lists the host ports of the pod's containers and sidecar
// init containers, with the defaults the kubelet applies.
func PodHostPorts(pod *api.Pod) []HostPort {
	var out []HostPort
	add := func(c *api.Container) {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			out = append(out, sanitizeHostPort(p.HostIP, p.Protocol, p.HostPort))
		}
	}
	for i := range pod.Spec.InitContainers {
		ic := &pod.Spec.InitContainers[i]
		if ic.RestartPolicy != nil && *ic.RestartPolicy == api.ContainerRestartPolicyAlways {
			add(ic)
		}
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i])
	}
	return out
}

func sanitizeHostPort(ip string, proto api.Protocol, port int32) HostPort {
	if ip == "" {
		ip = DefaultBindAllHostIP
	}
	if proto == "" {
		proto = api.ProtocolTCP
	}
	return HostPort{IP: ip, Protocol: proto, Port: port}
}

// HostPortInfo is the multiset of host ports in use on a node.
type HostPortInfo []HostPort

// CheckConflict reports whether p collides with a used port: same protocol
// and port, and either side binds 0.0.0.0 or both bind the same IP.
func (h HostPortInfo) CheckConflict(p HostPort) bool {
	p = sanitizeHostPort(p.IP, p.Protocol, p.Port)
	for _, u := range h {
		if u.Port != p.Port || u.Protocol != p.Protocol {
			continue
		}
		if p.IP == DefaultBindAllHostIP || u.IP == DefaultBindAllHostIP || u.IP == p.IP {
			return true
		}
	}
	return false
}

func (h *HostPortInfo) add(p HostPort) { *h = append(*h, p) }

func (h *HostPortInfo) remove(p HostPort) {
	if i := slices.Index(*h, p); i >= 0 {
		*h = slices.Delete(*h, i, i+1)
	}
}

// NodeInfo is the scheduler's view of one node: the node object, the pods
// on it (bound or assumed), and running totals kept up to date as pods come
// and go, so that no plugin ever has to sum over a node's pods to know its
// free resources.
type NodeInfo struct {
	node *api.Node

	// Pods are all pods on the node, in no particular order.
	Pods []*PodInfo
	// PodsWithAffinity are the pods with pod affinity or anti-affinity of
	// any kind; InterPodAffinity scoring only needs to look at these.
	PodsWithAffinity []*PodInfo
	// PodsWithRequiredAntiAffinity are the pods with required
	// anti-affinity: the ones that may reject an incoming pod.
	PodsWithRequiredAntiAffinity []*PodInfo

	// UsedPorts are the host ports taken.
	UsedPorts HostPortInfo
	// Requested is the sum of the pods' requests.
	Requested Resource
	// NonZeroRequested is Requested with scoring defaults for missing cpu
	// and memory requests (only MilliCPU and Memory are set).
	NonZeroRequested Resource
	// Allocatable is the node's status.allocatable.
	Allocatable Resource

	// Generation is bumped by the cache on every change; snapshots copy
	// only NodeInfos whose generation moved.
	Generation int64
}

// NewNodeInfo returns a NodeInfo holding pods and no node.
func NewNodeInfo(pods ...*api.Pod) *NodeInfo {
	ni := &NodeInfo{}
	for _, p := range pods {
		ni.AddPod(p)
	}
	return ni
}

// Node returns the node, nil while the cache knows the node's pods but not
// the node itself.
func (n *NodeInfo) Node() *api.Node { return n.node }

// SetNode sets the node object and its allocatable resources.
func (n *NodeInfo) SetNode(node *api.Node) {
	n.node = node
	n.Allocatable = NewResource(node.Status.Allocatable)
}

// AddPod adds a pod.
func (n *NodeInfo) AddPod(pod *api.Pod) { n.AddPodInfo(NewPodInfo(pod)) }

// AddPodInfo adds a pod whose PodInfo is already computed.
func (n *NodeInfo) AddPodInfo(pi *PodInfo) {
	n.Pods = append(n.Pods, pi)
	if pi.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
	n.update(pi, 1)
}

// RemovePod removes the pod with pod's key.
func (n *NodeInfo) RemovePod(pod *api.Pod) error {
	key := PodKey(pod)
	i := slices.IndexFunc(n.Pods, func(p *PodInfo) bool { return PodKey(p.Pod) == key })
	if i < 0 {
		name := "<unknown>"
		if n.node != nil {
			name = n.node.Name
		}
		return fmt.Errorf("no corresponding pod %s in pods of node %s", pod.Name, name)
	}
	pi := n.Pods[i]
	n.Pods = removeAt(n.Pods, i)
	if j := slices.Index(n.PodsWithAffinity, pi); j >= 0 {
		n.PodsWithAffinity = removeAt(n.PodsWithAffinity, j)
	}
	if j := slices.Index(n.PodsWithRequiredAntiAffinity, pi); j >= 0 {
		n.PodsWithRequiredAntiAffinity = removeAt(n.PodsWithRequiredAntiAffinity, j)
	}
	n.update(pi, -1)
	return nil
}

// removeAt swaps the last element into i, as the real NodeInfo does; the
// order of Pods is not meaningful.
func removeAt(s []*PodInfo, i int) []*PodInfo {
	last := len(s) - 1
	s[i] = s[last]
	s[last] = nil
	return s[:last]
}

func (n *NodeInfo) update(pi *PodInfo, sign int64) {
	n.Requested.addResource(&pi.Requests, sign)
	n.NonZeroRequested.MilliCPU += sign * pi.NonZeroCPU
	n.NonZeroRequested.Memory += sign * pi.NonZeroMemory
	for _, p := range pi.HostPorts {
		if sign > 0 {
			n.UsedPorts.add(p)
		} else {
			n.UsedPorts.remove(p)
		}
	}
}

// Snapshot returns a copy that the cache may go on changing without
// affecting it. PodInfos are shared: they are immutable once built.
func (n *NodeInfo) Snapshot() *NodeInfo {
	return &NodeInfo{
		node:                         n.node,
		Pods:                         slices.Clone(n.Pods),
		PodsWithAffinity:             slices.Clone(n.PodsWithAffinity),
		PodsWithRequiredAntiAffinity: slices.Clone(n.PodsWithRequiredAntiAffinity),
		UsedPorts:                    slices.Clone(n.UsedPorts),
		Requested:                    n.Requested.Clone(),
		NonZeroRequested:             n.NonZeroRequested.Clone(),
		Allocatable:                  n.Allocatable.Clone(),
		Generation:                   n.Generation,
	}
}

// String is a compact description for test failures.
func (n *NodeInfo) String() string {
	name := "<nil>"
	if n.node != nil {
		name = n.node.Name
	}
	return fmt.Sprintf("NodeInfo{%s pods=%d requested=%dm/%d allocatable=%dm/%d}",
		name, len(n.Pods), n.Requested.MilliCPU, n.Requested.Memory, n.Allocatable.MilliCPU, n.Allocatable.Memory)
}

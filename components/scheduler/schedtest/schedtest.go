// Package schedtest builds the pods and nodes that scheduler tests need, in
// one line each:
//
//	schedtest.MakeNode("n1").Capacity("4", "32Gi", 110).Zone("a").Obj()
//	schedtest.MakePod("web-1").Req("500m", "1Gi").Label("app", "web").Obj()
//
// It is a test helper in the spirit of the real scheduler's st.MakePod();
// it builds plain api objects and owns no other state.
package schedtest

import (
	"github.com/kubesim/kubesim/components/api"
)

// NodeWrapper builds a Node.
type NodeWrapper struct{ api.Node }

// MakeNode starts a node with the kubernetes.io/hostname label.
func MakeNode(name string) *NodeWrapper {
	w := &NodeWrapper{}
	w.Name = name
	w.Labels = map[string]string{api.LabelHostname: name}
	return w
}

// Obj returns the node.
func (w *NodeWrapper) Obj() *api.Node { n := w.Node; return &n }

// Capacity sets capacity and allocatable: cpu and memory as quantities,
// and the pod count.
func (w *NodeWrapper) Capacity(cpu, memory string, pods int64) *NodeWrapper {
	rl := api.ResourceList{
		api.ResourceCPU:    api.MustParseQuantity(cpu),
		api.ResourceMemory: api.MustParseQuantity(memory),
		api.ResourcePods:   api.NewQuantity(pods, api.DecimalSI),
	}
	w.Status.Capacity = rl
	w.Status.Allocatable = rl
	return w
}

// Allocatable sets one allocatable quantity (extended resources included).
func (w *NodeWrapper) Allocatable(name api.ResourceName, q string) *NodeWrapper {
	rl := api.ResourceList{}
	for k, v := range w.Status.Allocatable {
		rl[k] = v
	}
	rl[name] = api.MustParseQuantity(q)
	w.Status.Allocatable = rl
	return w
}

// Label sets a label.
func (w *NodeWrapper) Label(k, v string) *NodeWrapper {
	w.Labels[k] = v
	return w
}

// Zone sets topology.kubernetes.io/zone.
func (w *NodeWrapper) Zone(zone string) *NodeWrapper { return w.Label(api.LabelTopologyZone, zone) }

// Taint adds a taint.
func (w *NodeWrapper) Taint(key, value string, effect api.TaintEffect) *NodeWrapper {
	w.Spec.Taints = append(w.Spec.Taints, api.Taint{Key: key, Value: value, Effect: effect})
	return w
}

// Unschedulable cordons the node.
func (w *NodeWrapper) Unschedulable() *NodeWrapper {
	w.Spec.Unschedulable = true
	return w
}

// PodWrapper builds a Pod.
type PodWrapper struct{ api.Pod }

// MakePod starts a pod in namespace default with one container "c".
func MakePod(name string) *PodWrapper {
	w := &PodWrapper{}
	w.Name = name
	w.ObjectMeta.Namespace = api.NamespaceDefault
	w.UID = api.UID("uid-" + name)
	w.Spec.Containers = []api.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}
	return w
}

// Obj returns the pod.
func (w *PodWrapper) Obj() *api.Pod { p := w.Pod; return &p }

// Namespace sets the namespace.
func (w *PodWrapper) Namespace(ns string) *PodWrapper {
	w.ObjectMeta.Namespace = ns
	return w
}

// Req sets the first container's cpu and memory requests ("" leaves one
// out).
func (w *PodWrapper) Req(cpu, memory string) *PodWrapper {
	rl := api.ResourceList{}
	if cpu != "" {
		rl[api.ResourceCPU] = api.MustParseQuantity(cpu)
	}
	if memory != "" {
		rl[api.ResourceMemory] = api.MustParseQuantity(memory)
	}
	w.Spec.Containers[0].Resources.Requests = rl
	return w
}

// Container adds a container with cpu and memory requests.
func (w *PodWrapper) Container(cpu, memory string) *PodWrapper {
	w.Spec.Containers = append(w.Spec.Containers, container("c"+itoa(len(w.Spec.Containers)), cpu, memory))
	return w
}

// InitContainer adds an init container with cpu and memory requests.
func (w *PodWrapper) InitContainer(cpu, memory string) *PodWrapper {
	w.Spec.InitContainers = append(w.Spec.InitContainers, container("init"+itoa(len(w.Spec.InitContainers)), cpu, memory))
	return w
}

// SidecarContainer adds an init container with restartPolicy Always.
func (w *PodWrapper) SidecarContainer(cpu, memory string) *PodWrapper {
	c := container("sidecar"+itoa(len(w.Spec.InitContainers)), cpu, memory)
	always := api.ContainerRestartPolicyAlways
	c.RestartPolicy = &always
	w.Spec.InitContainers = append(w.Spec.InitContainers, c)
	return w
}

// Overhead sets the pod overhead.
func (w *PodWrapper) Overhead(cpu, memory string) *PodWrapper {
	w.Spec.Overhead = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu), api.ResourceMemory: api.MustParseQuantity(memory)}
	return w
}

// ExtendedReq sets an extended resource request on the first container.
func (w *PodWrapper) ExtendedReq(name api.ResourceName, q string) *PodWrapper {
	rl := api.ResourceList{}
	for k, v := range w.Spec.Containers[0].Resources.Requests {
		rl[k] = v
	}
	rl[name] = api.MustParseQuantity(q)
	w.Spec.Containers[0].Resources.Requests = rl
	return w
}

func container(name, cpu, memory string) api.Container {
	rl := api.ResourceList{}
	if cpu != "" {
		rl[api.ResourceCPU] = api.MustParseQuantity(cpu)
	}
	if memory != "" {
		rl[api.ResourceMemory] = api.MustParseQuantity(memory)
	}
	return api.Container{Name: name, Image: "registry.k8s.io/pause:3.10", Resources: api.ResourceRequirements{Requests: rl}}
}

// Label sets a label.
func (w *PodWrapper) Label(k, v string) *PodWrapper {
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	w.Labels[k] = v
	return w
}

// Node sets spec.nodeName (a bound pod).
func (w *PodWrapper) Node(name string) *PodWrapper {
	w.Spec.NodeName = name
	return w
}

// Priority sets spec.priority.
func (w *PodWrapper) Priority(p int32) *PodWrapper {
	w.Spec.Priority = &p
	return w
}

// SchedulerName sets spec.schedulerName.
func (w *PodWrapper) SchedulerName(name string) *PodWrapper {
	w.Spec.SchedulerName = name
	return w
}

// NodeSelector sets spec.nodeSelector.
func (w *PodWrapper) NodeSelector(m map[string]string) *PodWrapper {
	w.Spec.NodeSelector = m
	return w
}

// Toleration adds a toleration.
func (w *PodWrapper) Toleration(key string, op api.TolerationOperator, value string, effect api.TaintEffect) *PodWrapper {
	w.Spec.Tolerations = append(w.Spec.Tolerations, api.Toleration{Key: key, Operator: op, Value: value, Effect: effect})
	return w
}

// HostPort adds a container port with a host port.
func (w *PodWrapper) HostPort(port int32, proto api.Protocol, hostIP string) *PodWrapper {
	w.Spec.Containers[0].Ports = append(w.Spec.Containers[0].Ports, api.ContainerPort{ContainerPort: port, HostPort: port, Protocol: proto, HostIP: hostIP})
	return w
}

func (w *PodWrapper) affinity() *api.Affinity {
	if w.Spec.Affinity == nil {
		w.Spec.Affinity = &api.Affinity{}
	}
	return w.Spec.Affinity
}

func (w *PodWrapper) nodeAffinity() *api.NodeAffinity {
	a := w.affinity()
	if a.NodeAffinity == nil {
		a.NodeAffinity = &api.NodeAffinity{}
	}
	return a.NodeAffinity
}

// RequiredNodeAffinity adds a required node selector term (terms are ORed).
func (w *PodWrapper) RequiredNodeAffinity(term api.NodeSelectorTerm) *PodWrapper {
	na := w.nodeAffinity()
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{}
	}
	na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms = append(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms, term)
	return w
}

// PreferredNodeAffinity adds a weighted preferred node term.
func (w *PodWrapper) PreferredNodeAffinity(weight int32, term api.NodeSelectorTerm) *PodWrapper {
	na := w.nodeAffinity()
	na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution,
		api.PreferredSchedulingTerm{Weight: weight, Preference: term})
	return w
}

// PodAffinity adds a required pod affinity term selecting label k=v within
// topologyKey.
func (w *PodWrapper) PodAffinity(topologyKey, k, v string) *PodWrapper {
	a := w.affinity()
	if a.PodAffinity == nil {
		a.PodAffinity = &api.PodAffinity{}
	}
	a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, term(topologyKey, k, v))
	return w
}

// PodAntiAffinity adds a required pod anti-affinity term.
func (w *PodWrapper) PodAntiAffinity(topologyKey, k, v string) *PodWrapper {
	a := w.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &api.PodAntiAffinity{}
	}
	a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, term(topologyKey, k, v))
	return w
}

// PreferredPodAffinity adds a weighted pod affinity preference.
func (w *PodWrapper) PreferredPodAffinity(weight int32, topologyKey, k, v string) *PodWrapper {
	a := w.affinity()
	if a.PodAffinity == nil {
		a.PodAffinity = &api.PodAffinity{}
	}
	a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		api.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: term(topologyKey, k, v)})
	return w
}

// PreferredPodAntiAffinity adds a weighted pod anti-affinity preference.
func (w *PodWrapper) PreferredPodAntiAffinity(weight int32, topologyKey, k, v string) *PodWrapper {
	a := w.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &api.PodAntiAffinity{}
	}
	a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		api.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: term(topologyKey, k, v)})
	return w
}

func term(topologyKey, k, v string) api.PodAffinityTerm {
	return api.PodAffinityTerm{TopologyKey: topologyKey, LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{k: v}}}
}

// SpreadConstraint adds a topology spread constraint selecting label k=v.
func (w *PodWrapper) SpreadConstraint(maxSkew int32, topologyKey string, action api.UnsatisfiableConstraintAction, k, v string) *PodWrapper {
	w.Spec.TopologySpreadConstraints = append(w.Spec.TopologySpreadConstraints, api.TopologySpreadConstraint{
		MaxSkew: maxSkew, TopologyKey: topologyKey, WhenUnsatisfiable: action,
		LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{k: v}},
	})
	return w
}

// NominatedNodeName sets status.nominatedNodeName.
func (w *PodWrapper) NominatedNodeName(n string) *PodWrapper {
	w.Status.NominatedNodeName = n
	return w
}

// Expr is a NodeSelectorRequirement on a label.
func Expr(key string, op api.NodeSelectorOperator, values ...string) api.NodeSelectorRequirement {
	return api.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

// Term is a node selector term of label expressions.
func Term(exprs ...api.NodeSelectorRequirement) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchExpressions: exprs}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

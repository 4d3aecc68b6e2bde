package plugins

import (
	"context"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// ---------------------------------------------------------------- NodeUnschedulable

// ErrReasonUnschedulable is NodeUnschedulable's reason.
const ErrReasonUnschedulable = "node(s) were unschedulable"

// NodeUnschedulable filters out cordoned nodes (spec.unschedulable), unless
// the pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint
// that a cordon amounts to (DaemonSet pods do).
type NodeUnschedulable struct{}

var (
	_ framework.FilterPlugin      = (*NodeUnschedulable)(nil)
	_ framework.EnqueueExtensions = (*NodeUnschedulable)(nil)
)

func newNodeUnschedulable(any, framework.Handle) (framework.Plugin, error) {
	return &NodeUnschedulable{}, nil
}

var unschedulableTaint = api.Taint{Key: api.TaintNodeUnschedulable, Effect: api.TaintEffectNoSchedule}

// Name implements framework.Plugin.
func (*NodeUnschedulable) Name() string { return NodeUnschedulableName }

// Filter implements framework.FilterPlugin.
func (*NodeUnschedulable) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	if !ni.Node().Spec.Unschedulable {
		return nil
	}
	if framework.TolerationsTolerateTaint(pod.Spec.Tolerations, &unschedulableTaint) {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable)
}

// EventsToRegister implements framework.EnqueueExtensions: a new node, or
// an uncordon (reported as a taint change).
func (*NodeUnschedulable) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint},
			QueueingHintFn: func(pod *api.Pod, _, newObj any) (framework.QueueingHint, error) {
				if n := nodeOf(newObj); n != nil && (!n.Spec.Unschedulable ||
					framework.TolerationsTolerateTaint(pod.Spec.Tolerations, &unschedulableTaint)) {
					return framework.Queue, nil
				}
				return framework.QueueSkip, nil
			}},
	}
}

// ---------------------------------------------------------------- NodeName

// ErrReasonNodeName is NodeName's reason.
const ErrReasonNodeName = "node(s) didn't match the requested node name"

// NodeName rejects every node but the one a pod already names in
// spec.nodeName.
type NodeName struct{}

var (
	_ framework.FilterPlugin      = (*NodeName)(nil)
	_ framework.EnqueueExtensions = (*NodeName)(nil)
)

func newNodeName(any, framework.Handle) (framework.Plugin, error) { return &NodeName{}, nil }

// Name implements framework.Plugin.
func (*NodeName) Name() string { return NodeNameName }

// Filter implements framework.FilterPlugin.
func (*NodeName) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	if pod.Spec.NodeName == "" || pod.Spec.NodeName == ni.Node().Name {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeName)
}

// EventsToRegister implements framework.EnqueueExtensions: only a new node
// can help.
func (*NodeName) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{{Event: framework.EventNodeAdd}}
}

// ---------------------------------------------------------------- NodePorts

// ErrReasonNodePorts is NodePorts' reason.
const ErrReasonNodePorts = "node(s) didn't have free ports for the requested pod ports"

const nodePortsStateKey framework.StateKey = "PreFilter" + NodePortsName

// NodePorts rejects nodes where a host port the pod asks for is taken.
type NodePorts struct{}

var (
	_ framework.PreFilterPlugin   = (*NodePorts)(nil)
	_ framework.FilterPlugin      = (*NodePorts)(nil)
	_ framework.EnqueueExtensions = (*NodePorts)(nil)
)

type nodePortsState []framework.HostPort

func (s nodePortsState) Clone() framework.StateData { return s }

func newNodePorts(any, framework.Handle) (framework.Plugin, error) { return &NodePorts{}, nil }

// Name implements framework.Plugin.
func (*NodePorts) Name() string { return NodePortsName }

// PreFilter collects the pod's host ports; a pod without any skips the
// plugin.
func (*NodePorts) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	ports := framework.PodHostPorts(pod)
	if len(ports) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	state.Write(nodePortsStateKey, nodePortsState(ports))
	return nil, nil
}

// Filter implements framework.FilterPlugin.
func (*NodePorts) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	ports, err := readState[nodePortsState](state, nodePortsStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	for _, p := range ports {
		if ni.UsedPorts.CheckConflict(p) {
			return framework.NewStatus(framework.Unschedulable, ErrReasonNodePorts)
		}
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: a deleted pod
// that held one of the ports, or a new node.
func (*NodePorts) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.EventAssignedPodDelete, QueueingHintFn: func(pod *api.Pod, oldObj, _ any) (framework.QueueingHint, error) {
			deleted := podOf(oldObj)
			if deleted == nil {
				return framework.Queue, nil
			}
			used := framework.HostPortInfo(framework.PodHostPorts(deleted))
			for _, p := range framework.PodHostPorts(pod) {
				if used.CheckConflict(p) {
					return framework.Queue, nil
				}
			}
			return framework.QueueSkip, nil
		}},
		{Event: framework.EventNodeAdd},
	}
}

// ---------------------------------------------------------------- DefaultBinder

// DefaultBinderArgs configures DefaultBinder.
type DefaultBinderArgs struct {
	// Bind posts the pods/binding subresource. The scheduler actor supplies
	// it; nil makes DefaultBinder return Skip, leaving binding to the
	// caller.
	Bind func(ctx context.Context, pod *api.Pod, nodeName string) error
}

// DefaultBinder binds a pod by creating a Binding (pods/binding) through
// the apiserver, via the function its args provide.
type DefaultBinder struct {
	bind func(ctx context.Context, pod *api.Pod, nodeName string) error
}

var _ framework.BindPlugin = (*DefaultBinder)(nil)

func newDefaultBinder(args any, _ framework.Handle) (framework.Plugin, error) {
	b := &DefaultBinder{}
	switch a := args.(type) {
	case nil:
	case *DefaultBinderArgs:
		b.bind = a.Bind
	case DefaultBinderArgs:
		b.bind = a.Bind
	default:
		return nil, errWrongArgs(args, &DefaultBinderArgs{})
	}
	return b, nil
}

// Name implements framework.Plugin.
func (*DefaultBinder) Name() string { return DefaultBinderName }

// Bind implements framework.BindPlugin.
func (b *DefaultBinder) Bind(ctx context.Context, _ *framework.CycleState, pod *api.Pod, nodeName string) *framework.Status {
	if b.bind == nil {
		return framework.NewStatus(framework.Skip)
	}
	return framework.AsStatus(b.bind(ctx, pod, nodeName))
}

package plugins

import (
	"context"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// ---------------------------------------------------------------- DefaultPreemption

// Reasons of DefaultPreemption, as kube-scheduler v1.32 words them.
const (
	// ErrReasonPreemptionNotHelpful is the reason of every node that no
	// eviction could make fit: one a filter rejected as
	// UnschedulableAndUnresolvable (an untolerated taint, a node selector,
	// a cordon), or that preemption did not look at.
	ErrReasonPreemptionNotHelpful = "Preemption is not helpful for scheduling"
	// ErrReasonNoVictims is the reason of a node that a filter rejected as
	// Unschedulable (Insufficient cpu, Too many pods, free ports) but that
	// runs no pod of lower priority than the incoming one.
	ErrReasonNoVictims = "No preemption victims found for incoming pod"
	// errReasonNotModelled is kubesim's own: a node where evicting
	// lower-priority pods might help, which kubesim does not do.
	errReasonNotModelled = "kubesim does not model preemption of lower-priority pods"
	// errReasonPreemptNever is the answer for a pod with
	// preemptionPolicy: Never.
	errReasonPreemptNever = "not eligible due to preemptionPolicy=Never."
)

// DefaultPreemption is the PostFilter of kube-scheduler: when no node fits,
// it looks for nodes where evicting lower-priority pods would make room.
// kubesim has no PriorityClasses (pods without spec.priority count as 0)
// and evicts nothing, so the plugin gives the answer kube-scheduler gives
// when preemption cannot help, worded exactly as v1.32 does:
//
//	preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.
//
// A node counts as "No preemption victims found" when a filter rejected it
// as Unschedulable (resources, ports, spreading: removing pods could help)
// and none of its pods has a lower priority; every other node is
// "Preemption is not helpful for scheduling". A pod with preemptionPolicy
// Never gets "preemption: not eligible due to preemptionPolicy=Never.".
type DefaultPreemption struct {
	handle framework.Handle
}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

func newDefaultPreemption(_ any, h framework.Handle) (framework.Plugin, error) {
	return &DefaultPreemption{handle: h}, nil
}

// Name implements framework.Plugin.
func (*DefaultPreemption) Name() string { return DefaultPreemptionName }

// PostFilter implements framework.PostFilterPlugin. It never nominates a
// node: the empty NominatedNodeName clears an earlier nomination, as
// kube-scheduler's does when no candidate is found.
func (pl *DefaultPreemption) PostFilter(_ context.Context, _ *framework.CycleState, pod *api.Pod, statuses *framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	if p := pod.Spec.PreemptionPolicy; p != nil && *p == api.PreemptNever {
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+errReasonPreemptNever)
	}
	all := pl.handle.SnapshotSharedLister().List()
	prio := podPriority(pod)
	// Only the nodes where preemption might help get a status of their
	// own; the others are absent and so "not helpful".
	dryRun := framework.NewNodeToStatus()
	dryRun.SetAbsentNodesStatus(framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPreemptionNotHelpful))
	for _, ni := range all {
		name := ni.Node().Name
		if statuses.Get(name).Code() != framework.Unschedulable {
			continue
		}
		reason := ErrReasonNoVictims
		for _, p := range ni.Pods {
			if podPriority(p.Pod) < prio {
				reason = errReasonNotModelled
				break
			}
		}
		dryRun.Set(name, framework.NewStatus(framework.UnschedulableAndUnresolvable, reason))
	}
	fe := &framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: framework.Diagnosis{NodeToStatus: dryRun}}
	return &framework.PostFilterResult{}, framework.NewStatus(framework.Unschedulable, "preemption: "+fe.Error())
}

// podPriority is spec.priority, 0 when unset (as corev1helpers.PodPriority).
func podPriority(p *api.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

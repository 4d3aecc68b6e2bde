package plugins

import (
	"context"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// ---------------------------------------------------------------- TaintToleration

// UntoleratedTaintReason is TaintToleration's reason, naming the first
// taint of the node the pod does not tolerate, as kube-scheduler v1.32
// words it: "node(s) had untolerated taint {dedicated: gpu}" (a taint
// without a value reads "{node-role.kubernetes.io/control-plane: }").
// Newer releases (kubernetes#134740, backported to 1.34) say
// "node(s) had untolerated taint(s)" instead, so that taint values do not
// leak into pod statuses; kubesim follows v1.32, the version it reports.
func UntoleratedTaintReason(t api.Taint) string {
	return "node(s) had untolerated taint {" + t.Key + ": " + t.Value + "}"
}

const taintTolerationStateKey framework.StateKey = "PreScore" + TaintTolerationName

// TaintToleration filters out nodes with a NoSchedule or NoExecute taint the
// pod does not tolerate, and scores nodes by how many PreferNoSchedule
// taints the pod does not tolerate: none scores 100, the most scores 0
// (with 0, 1 and 2 such taints on three nodes: 100, 50, 0).
type TaintToleration struct{}

var (
	_ framework.FilterPlugin      = (*TaintToleration)(nil)
	_ framework.PreScorePlugin    = (*TaintToleration)(nil)
	_ framework.ScorePlugin       = (*TaintToleration)(nil)
	_ framework.ScoreExtensions   = (*TaintToleration)(nil)
	_ framework.EnqueueExtensions = (*TaintToleration)(nil)
)

func newTaintToleration(any, framework.Handle) (framework.Plugin, error) {
	return &TaintToleration{}, nil
}

// Name implements framework.Plugin.
func (*TaintToleration) Name() string { return TaintTolerationName }

// Filter implements framework.FilterPlugin.
func (*TaintToleration) Filter(_ context.Context, _ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	taint, untolerated := framework.FindMatchingUntoleratedTaint(ni.Node().Spec.Taints, pod.Spec.Tolerations, framework.DoNotScheduleTaint)
	if !untolerated {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, UntoleratedTaintReason(taint))
}

type taintTolerationState struct {
	// tolerations that can tolerate a PreferNoSchedule taint: those with
	// that effect or with no effect.
	tolerationsPreferNoSchedule []api.Toleration
}

func (s *taintTolerationState) Clone() framework.StateData { return s }

// PreScore keeps the tolerations relevant to PreferNoSchedule taints.
func (*TaintToleration) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) *framework.Status {
	if len(nodes) == 0 {
		return nil
	}
	s := &taintTolerationState{}
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == api.TaintEffectPreferNoSchedule {
			s.tolerationsPreferNoSchedule = append(s.tolerationsPreferNoSchedule, t)
		}
	}
	state.Write(taintTolerationStateKey, s)
	return nil
}

// Score counts the node's PreferNoSchedule taints the pod does not
// tolerate; NormalizeScore turns "fewer" into "higher".
func (*TaintToleration) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readState[*taintTolerationState](state, taintTolerationStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var n int64
	taints := ni.Node().Spec.Taints
	for i := range taints {
		if taints[i].Effect == api.TaintEffectPreferNoSchedule && !framework.TolerationsTolerateTaint(s.tolerationsPreferNoSchedule, &taints[i]) {
			n++
		}
	}
	return n, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *TaintToleration) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore reverses the counts onto 0..100.
func (*TaintToleration) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	return DefaultNormalizeScore(framework.MaxNodeScore, true, scores)
}

// EventsToRegister implements framework.EnqueueExtensions: a new node or a
// taint change, when the pod now tolerates the node's taints.
func (*TaintToleration) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint},
			QueueingHintFn: func(pod *api.Pod, _, newObj any) (framework.QueueingHint, error) {
				n := nodeOf(newObj)
				if n == nil {
					return framework.Queue, nil
				}
				if _, untolerated := framework.FindMatchingUntoleratedTaint(n.Spec.Taints, pod.Spec.Tolerations, framework.DoNotScheduleTaint); untolerated {
					return framework.QueueSkip, nil
				}
				return framework.Queue, nil
			}},
	}
}

// ---------------------------------------------------------------- NodeAffinity

// Reasons of NodeAffinity.
const (
	// ErrReasonNodeAffinity is the reason of a node failing the pod's
	// nodeSelector or required node affinity.
	ErrReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"
	// errReasonConflict is the PreFilter reason when the terms' matchFields
	// on metadata.name cannot all be met.
	errReasonConflict = "pod affinity terms conflict"
)

const (
	nodeAffinityPreFilterKey framework.StateKey = "PreFilter" + NodeAffinityName
	nodeAffinityPreScoreKey  framework.StateKey = "PreScore" + NodeAffinityName
)

// NodeAffinity enforces spec.nodeSelector AND the required node affinity
// (terms ORed, expressions within a term ANDed, an empty term matching
// nothing), and scores nodes by the summed weights of the preferred terms
// they match, normalized so the best node gets 100.
//
// When every required term pins nodes by name (matchFields metadata.name
// In), PreFilter narrows the search to those nodes, as the real plugin
// does.
type NodeAffinity struct{}

var (
	_ framework.PreFilterPlugin   = (*NodeAffinity)(nil)
	_ framework.FilterPlugin      = (*NodeAffinity)(nil)
	_ framework.PreScorePlugin    = (*NodeAffinity)(nil)
	_ framework.ScorePlugin       = (*NodeAffinity)(nil)
	_ framework.EnqueueExtensions = (*NodeAffinity)(nil)
)

func newNodeAffinity(any, framework.Handle) (framework.Plugin, error) { return &NodeAffinity{}, nil }

// Name implements framework.Plugin.
func (*NodeAffinity) Name() string { return NodeAffinityName }

type nodeAffinityState struct {
	required framework.RequiredNodeAffinity
}

func (s *nodeAffinityState) Clone() framework.StateData { return s }

type nodeAffinityScoreState struct {
	preferred *framework.PreferredSchedulingTerms
}

func (s *nodeAffinityScoreState) Clone() framework.StateData { return s }

func requiredNodeSelector(pod *api.Pod) *api.NodeSelector {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// PreFilter compiles the pod's node constraints once.
func (*NodeAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	required := requiredNodeSelector(pod)
	if required == nil && pod.Spec.NodeSelector == nil {
		return nil, framework.NewStatus(framework.Skip)
	}
	state.Write(nodeAffinityPreFilterKey, &nodeAffinityState{required: framework.GetRequiredNodeAffinity(pod)})
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		return nil, nil
	}
	// If every term names nodes, only those nodes can match.
	var names map[string]struct{}
	for _, t := range required.NodeSelectorTerms {
		var termNames map[string]struct{}
		for _, r := range t.MatchFields {
			if r.Key != framework.NodeNameField || r.Operator != api.NodeSelectorOpIn {
				continue
			}
			// Requirements are ANDed: intersect their names.
			s := map[string]struct{}{}
			for _, v := range r.Values {
				if _, inAll := termNames[v]; inAll || termNames == nil {
					s[v] = struct{}{}
				}
			}
			termNames = s
		}
		if termNames == nil {
			// A term without node names: any node may match.
			return nil, nil
		}
		if names == nil {
			names = map[string]struct{}{}
		}
		for n := range termNames {
			names[n] = struct{}{}
		}
	}
	if len(names) == 0 {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, errReasonConflict)
	}
	return &framework.PreFilterResult{NodeNames: names}, nil
}

// Filter implements framework.FilterPlugin.
func (*NodeAffinity) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readState[*nodeAffinityState](state, nodeAffinityPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	if !s.required.Match(ni.Node()) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeAffinity)
	}
	return nil
}

// PreScore compiles the preferred terms; a pod without any skips scoring.
func (*NodeAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) *framework.Status {
	if len(nodes) == 0 {
		return nil
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	preferred, _ := framework.NewPreferredSchedulingTerms(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	state.Write(nodeAffinityPreScoreKey, &nodeAffinityScoreState{preferred: preferred})
	return nil
}

// Score sums the weights of the matched preferred terms.
func (*NodeAffinity) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readState[*nodeAffinityScoreState](state, nodeAffinityPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	return s.preferred.Score(ni.Node()), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *NodeAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore scales the best node to 100.
func (*NodeAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	return DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
}

// EventsToRegister implements framework.EnqueueExtensions: a node added or
// relabelled so that it now matches.
func (*NodeAffinity) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel},
			QueueingHintFn: func(pod *api.Pod, _, newObj any) (framework.QueueingHint, error) {
				n := nodeOf(newObj)
				if n == nil {
					return framework.Queue, nil
				}
				r := framework.GetRequiredNodeAffinity(pod)
				if r.Match(n) {
					return framework.Queue, nil
				}
				return framework.QueueSkip, nil
			}},
	}
}

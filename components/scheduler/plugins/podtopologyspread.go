package plugins

import (
	"context"
	"math"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// Reasons of PodTopologySpread.
const (
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ErrReasonNodeLabelNotMatch   = ErrReasonConstraintsNotMatch + " (missing required label)"
)

const (
	spreadPreFilterKey framework.StateKey = "PreFilter" + PodTopologySpreadName
	spreadPreScoreKey  framework.StateKey = "PreScore" + PodTopologySpreadName
)

// PodTopologySpread spreads matching pods across topology domains (zones,
// nodes, ...) as the pod's topologySpreadConstraints ask.
//
// whenUnsatisfiable: DoNotSchedule constraints filter: placing the pod in a
// domain must keep
//
//	(matching pods in that domain) + (1 if the pod matches itself) - (global minimum) <= maxSkew
//
// where the global minimum is taken over the domains of the eligible nodes
// (those matching the pod's node affinity, by nodeAffinityPolicy: Honor,
// and — only with nodeTaintsPolicy: Honor — whose taints it tolerates), and
// is 0 when there are fewer domains than minDomains. A node without the
// topology label is rejected as unresolvable.
//
// ScheduleAnyway constraints score: nodes in domains with fewer matching
// pods score higher, each constraint's count weighted by log(domains + 2)
// so that finer topologies do not dominate.
//
// Only the pod's own constraints are used. The real plugin also applies
// cluster-wide default constraints to pods that have none (hostname
// maxSkew 3 and zone maxSkew 5, ScheduleAnyway, selecting the pod's
// Service/ReplicaSet/StatefulSet peers); kubesim's scheduler core has no
// listers for those owners, so it does not: pods without constraints are
// not spread by this plugin.
type PodTopologySpread struct {
	lister framework.SharedLister
}

var (
	_ framework.PreFilterPlugin   = (*PodTopologySpread)(nil)
	_ framework.FilterPlugin      = (*PodTopologySpread)(nil)
	_ framework.PreScorePlugin    = (*PodTopologySpread)(nil)
	_ framework.ScorePlugin       = (*PodTopologySpread)(nil)
	_ framework.EnqueueExtensions = (*PodTopologySpread)(nil)
)

func newPodTopologySpread(_ any, h framework.Handle) (framework.Plugin, error) {
	return &PodTopologySpread{lister: h.SnapshotSharedLister()}, nil
}

// Name implements framework.Plugin.
func (*PodTopologySpread) Name() string { return PodTopologySpreadName }

type spreadConstraint struct {
	maxSkew            int32
	topologyKey        string
	selector           framework.Selector
	minDomains         int32
	nodeAffinityPolicy api.NodeInclusionPolicy
	nodeTaintsPolicy   api.NodeInclusionPolicy
}

// spreadConstraints compiles the pod's constraints with the given action,
// merging matchLabelKeys into the selector.
func spreadConstraints(pod *api.Pod, action api.UnsatisfiableConstraintAction) []spreadConstraint {
	var out []spreadConstraint
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != action {
			continue
		}
		sel, _ := framework.NewSelector(c.LabelSelector)
		for _, k := range c.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				sel = sel.WithIn(k, v)
			}
		}
		sc := spreadConstraint{
			maxSkew: c.MaxSkew, topologyKey: c.TopologyKey, selector: sel, minDomains: 1,
			nodeAffinityPolicy: api.NodeInclusionPolicyHonor, nodeTaintsPolicy: api.NodeInclusionPolicyIgnore,
		}
		if c.MinDomains != nil {
			sc.minDomains = *c.MinDomains
		}
		if c.NodeAffinityPolicy != nil {
			sc.nodeAffinityPolicy = *c.NodeAffinityPolicy
		}
		if c.NodeTaintsPolicy != nil {
			sc.nodeTaintsPolicy = *c.NodeTaintsPolicy
		}
		out = append(out, sc)
	}
	return out
}

func (c *spreadConstraint) matchNodeInclusionPolicies(pod *api.Pod, node *api.Node, required *framework.RequiredNodeAffinity) bool {
	if c.nodeAffinityPolicy == api.NodeInclusionPolicyHonor && !required.Match(node) {
		return false
	}
	if c.nodeTaintsPolicy == api.NodeInclusionPolicyHonor {
		if _, untolerated := framework.FindMatchingUntoleratedTaint(node.Spec.Taints, pod.Spec.Tolerations, framework.DoNotScheduleTaint); untolerated {
			return false
		}
	}
	return true
}

// nodeHasAllTopologyKeys reports whether node carries every constraint's
// topology label.
func nodeHasAllTopologyKeys(labels map[string]string, constraints []spreadConstraint) bool {
	for i := range constraints {
		if _, ok := labels[constraints[i].topologyKey]; !ok {
			return false
		}
	}
	return true
}

type spreadFilterState struct {
	constraints []spreadConstraint
	// matchNum[i][value] counts the pods matching constraint i in domain
	// value, for every domain of an eligible node (zero counts included).
	matchNum []map[string]int
	// minMatch[i] is constraint i's global minimum (MaxInt32 with no
	// domain at all).
	minMatch []int
	// selfMatch[i] is 1 if the pod matches constraint i's selector.
	selfMatch []int
}

func (s *spreadFilterState) Clone() framework.StateData { return s }

// PreFilter counts matching pods per domain over all nodes.
func (*PodTopologySpread) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	if len(pod.Spec.TopologySpreadConstraints) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	constraints := spreadConstraints(pod, api.DoNotSchedule)
	if len(constraints) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	required := framework.GetRequiredNodeAffinity(pod)
	s := &spreadFilterState{
		constraints: constraints,
		matchNum:    make([]map[string]int, len(constraints)),
		minMatch:    make([]int, len(constraints)),
		selfMatch:   make([]int, len(constraints)),
	}
	for i := range constraints {
		s.matchNum[i] = map[string]int{}
	}
	for _, ni := range nodes {
		node := ni.Node()
		if !nodeHasAllTopologyKeys(node.Labels, constraints) {
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			if !c.matchNodeInclusionPolicies(pod, node, &required) {
				continue
			}
			s.matchNum[i][node.Labels[c.topologyKey]] += countPodsMatchSelector(ni.Pods, c.selector, pod.Namespace)
		}
	}
	for i := range constraints {
		c := &constraints[i]
		m := math.MaxInt32
		for _, n := range s.matchNum[i] {
			m = min(m, n)
		}
		if int32(len(s.matchNum[i])) < c.minDomains {
			m = 0
		}
		s.minMatch[i] = m
		if c.selector.Matches(pod.Labels) {
			s.selfMatch[i] = 1
		}
	}
	state.Write(spreadPreFilterKey, s)
	return nil, nil
}

// Filter checks the skew of every DoNotSchedule constraint.
func (*PodTopologySpread) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readState[*spreadFilterState](state, spreadPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	node := ni.Node()
	for i := range s.constraints {
		c := &s.constraints[i]
		v, ok := node.Labels[c.topologyKey]
		if !ok {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch)
		}
		skew := s.matchNum[i][v] + s.selfMatch[i] - s.minMatch[i]
		if skew > int(c.maxSkew) {
			return framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch)
		}
	}
	return nil
}

type topologyPair struct{ key, value string }

type spreadScoreState struct {
	constraints []spreadConstraint
	// ignored are feasible nodes missing a topology label: they score 0.
	ignored map[string]struct{}
	// pairCounts counts matching pods per topology pair (not for
	// kubernetes.io/hostname, counted per node in Score). Constraints with
	// the same key share a pair's counter, as in the real plugin.
	pairCounts map[topologyPair]int64
	// weights[i] is log(domains of constraint i + 2).
	weights []float64
}

func (s *spreadScoreState) Clone() framework.StateData { return s }

// PreScore counts matching pods per domain of the feasible nodes, over all
// nodes of those domains.
func (pl *PodTopologySpread) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, filtered []*framework.NodeInfo) *framework.Status {
	if len(pod.Spec.TopologySpreadConstraints) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	constraints := spreadConstraints(pod, api.ScheduleAnyway)
	if len(constraints) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	allNodes := pl.lister.List()
	if len(filtered) == 0 || len(allNodes) == 0 {
		return nil
	}
	s := &spreadScoreState{
		constraints: constraints,
		ignored:     map[string]struct{}{},
		pairCounts:  map[topologyPair]int64{},
		weights:     make([]float64, len(constraints)),
	}
	sizes := make([]int, len(constraints))
	for _, ni := range filtered {
		node := ni.Node()
		if !nodeHasAllTopologyKeys(node.Labels, constraints) {
			s.ignored[node.Name] = struct{}{}
			continue
		}
		for i := range constraints {
			if constraints[i].topologyKey == api.LabelHostname {
				continue
			}
			pair := topologyPair{constraints[i].topologyKey, node.Labels[constraints[i].topologyKey]}
			if _, ok := s.pairCounts[pair]; !ok {
				s.pairCounts[pair] = 0
				sizes[i]++
			}
		}
	}
	for i := range constraints {
		size := sizes[i]
		if constraints[i].topologyKey == api.LabelHostname {
			size = len(filtered) - len(s.ignored)
		}
		s.weights[i] = math.Log(float64(size + 2))
	}
	required := framework.GetRequiredNodeAffinity(pod)
	for _, ni := range allNodes {
		node := ni.Node()
		if !nodeHasAllTopologyKeys(node.Labels, constraints) {
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			if !c.matchNodeInclusionPolicies(pod, node, &required) {
				continue
			}
			pair := topologyPair{c.topologyKey, node.Labels[c.topologyKey]}
			if _, ok := s.pairCounts[pair]; !ok {
				continue
			}
			s.pairCounts[pair] += int64(countPodsMatchSelector(ni.Pods, c.selector, pod.Namespace))
		}
	}
	state.Write(spreadPreScoreKey, s)
	return nil
}

// Score sums, over constraints, count * weight + (maxSkew - 1); lower is
// better until NormalizeScore flips it.
func (*PodTopologySpread) Score(_ context.Context, state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readState[*spreadScoreState](state, spreadPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	node := ni.Node()
	if _, ok := s.ignored[node.Name]; ok {
		return 0, nil
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		v, ok := node.Labels[c.topologyKey]
		if !ok {
			continue
		}
		var cnt int64
		if c.topologyKey == api.LabelHostname {
			cnt = int64(countPodsMatchSelector(ni.Pods, c.selector, pod.Namespace))
		} else {
			cnt = s.pairCounts[topologyPair{c.topologyKey, v}]
		}
		score += float64(cnt)*s.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps raw scores onto 0..100, the lowest raw score getting
// 100: 100 * (max + min - score) / max; ignored nodes get 0.
func (*PodTopologySpread) NormalizeScore(_ context.Context, state *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := readState[*spreadScoreState](state, spreadPreScoreKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i := range scores {
		if _, ok := s.ignored[scores[i].Name]; ok {
			continue
		}
		minScore = min(minScore, scores[i].Score)
		maxScore = max(maxScore, scores[i].Score)
	}
	for i := range scores {
		if _, ok := s.ignored[scores[i].Name]; ok {
			scores[i].Score = 0
			continue
		}
		if maxScore == 0 {
			scores[i].Score = framework.MaxNodeScore
			continue
		}
		scores[i].Score = framework.MaxNodeScore * (maxScore + minScore - scores[i].Score) / maxScore
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: pods coming,
// going or relabelled change the counts; nodes coming, going or
// relabelled change the domains.
func (*PodTopologySpread) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Pod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete}},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.Delete | framework.UpdateNodeLabel | framework.UpdateNodeTaint}},
	}
}

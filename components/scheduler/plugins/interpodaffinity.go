package plugins

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// Reasons of InterPodAffinity.
const (
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
)

const (
	interPodPreFilterKey framework.StateKey = "PreFilter" + InterPodAffinityName
	interPodPreScoreKey  framework.StateKey = "PreScore" + InterPodAffinityName
)

// InterPodAffinityArgs configures InterPodAffinity.
type InterPodAffinityArgs struct {
	// HardPodAffinityWeight is the score weight an existing pod's required
	// affinity term gives to nodes in its topology when the incoming pod
	// matches it. nil means the default, 1.
	HardPodAffinityWeight *int32
	// IgnorePreferredTermsOfExistingPods skips scoring when the incoming
	// pod has no preferred terms of its own.
	IgnorePreferredTermsOfExistingPods bool
}

// InterPodAffinity places pods relative to other pods within a topology
// domain (a node, a zone):
//
//   - required pod affinity: the node's domain must already run a pod
//     matching every term ("node(s) didn't match pod affinity rules"),
//     except for the first pod of a group that matches its own terms when
//     no matching pod exists anywhere yet;
//   - required pod anti-affinity: the node's domain must run no pod matching
//     any term ("node(s) didn't match pod anti-affinity rules");
//   - existing pods' required anti-affinity is symmetric: a node is refused
//     when a pod already in its domain has an anti-affinity term matching
//     the incoming pod ("node(s) didn't satisfy existing pods anti-affinity
//     rules").
//
// Preferred terms (of the incoming pod, and of existing pods towards it)
// score: each matching pair adds or subtracts the term's weight to every
// node of the domain, and the sums are min-max normalized onto 0..100.
type InterPodAffinity struct {
	lister              framework.SharedLister
	hardWeight          int32
	ignoreExistingTerms bool
}

var (
	_ framework.PreFilterPlugin   = (*InterPodAffinity)(nil)
	_ framework.FilterPlugin      = (*InterPodAffinity)(nil)
	_ framework.PreScorePlugin    = (*InterPodAffinity)(nil)
	_ framework.ScorePlugin       = (*InterPodAffinity)(nil)
	_ framework.EnqueueExtensions = (*InterPodAffinity)(nil)
)

func newInterPodAffinity(args any, h framework.Handle) (framework.Plugin, error) {
	var a InterPodAffinityArgs
	switch v := args.(type) {
	case nil:
	case *InterPodAffinityArgs:
		a = *v
	case InterPodAffinityArgs:
		a = v
	default:
		return nil, errWrongArgs(args, &InterPodAffinityArgs{})
	}
	pl := &InterPodAffinity{lister: h.SnapshotSharedLister(), hardWeight: 1, ignoreExistingTerms: a.IgnorePreferredTermsOfExistingPods}
	if a.HardPodAffinityWeight != nil {
		pl.hardWeight = *a.HardPodAffinityWeight
		if pl.hardWeight < 0 || pl.hardWeight > 100 {
			return nil, fmt.Errorf("hardPodAffinityWeight %d is not in [0, 100]", pl.hardWeight)
		}
	}
	return pl, nil
}

// Name implements framework.Plugin.
func (*InterPodAffinity) Name() string { return InterPodAffinityName }

// topologyCounts counts, per topology pair, pods that match (anti-)affinity
// terms.
type topologyCounts map[topologyPair]int64

func (m topologyCounts) add(node *api.Node, key string, v int64) {
	if value, ok := node.Labels[key]; ok {
		p := topologyPair{key, value}
		m[p] += v
		if m[p] == 0 {
			delete(m, p)
		}
	}
}

type interPodFilterState struct {
	podInfo *framework.PodInfo
	// existingAntiAffinity: pairs where an existing pod's required
	// anti-affinity term matches the incoming pod.
	existingAntiAffinity topologyCounts
	// affinity: pairs with pods matching all the incoming pod's required
	// affinity terms.
	affinity topologyCounts
	// antiAffinity: pairs with pods matching one of its required
	// anti-affinity terms.
	antiAffinity topologyCounts
}

func (s *interPodFilterState) Clone() framework.StateData { return s }

// mergeNamespaceSelector resolves a term's namespaceSelector against the
// known namespaces into its namespace list, as the real plugin does in
// PreFilter, so that matching needs no namespace labels afterwards.
func (pl *InterPodAffinity) mergeNamespaceSelector(t *framework.AffinityTerm) {
	if t.NamespaceSelector.IsNothing() {
		return
	}
	merged := slices.Clone(t.Namespaces)
	for _, ns := range pl.lister.Namespaces() {
		if t.NamespaceSelector.Matches(pl.lister.NamespaceLabels(ns)) && !slices.Contains(merged, ns) {
			merged = append(merged, ns)
		}
	}
	slices.Sort(merged)
	t.Namespaces = merged
	t.NamespaceSelector = framework.Nothing()
}

func matchesAllTerms(terms []framework.AffinityTerm, pod *api.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(pod, nil) {
			return false
		}
	}
	return true
}

// PreFilter counts, per topology pair, the pods relevant to the pod's
// required terms and the existing pods whose anti-affinity rejects it.
func (pl *InterPodAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	withAntiAffinity := pl.lister.HavePodsWithRequiredAntiAffinityList()
	a := pod.Spec.Affinity
	hasOwn := a != nil && ((a.PodAffinity != nil && len(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0) ||
		(a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0))
	if !hasOwn && len(withAntiAffinity) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	pi := framework.NewPodInfo(pod)
	if pi.ParseError != nil {
		return nil, framework.AsStatus(fmt.Errorf("parsing pod: %w", pi.ParseError))
	}
	for i := range pi.RequiredAffinityTerms {
		pl.mergeNamespaceSelector(&pi.RequiredAffinityTerms[i])
	}
	for i := range pi.RequiredAntiAffinityTerms {
		pl.mergeNamespaceSelector(&pi.RequiredAntiAffinityTerms[i])
	}
	s := &interPodFilterState{podInfo: pi, existingAntiAffinity: topologyCounts{}, affinity: topologyCounts{}, antiAffinity: topologyCounts{}}

	nsLabels := pl.lister.NamespaceLabels(pod.Namespace)
	for _, ni := range withAntiAffinity {
		for _, existing := range ni.PodsWithRequiredAntiAffinity {
			for i := range existing.RequiredAntiAffinityTerms {
				t := &existing.RequiredAntiAffinityTerms[i]
				if t.Matches(pod, nsLabels) {
					s.existingAntiAffinity.add(ni.Node(), t.TopologyKey, 1)
				}
			}
		}
	}
	if len(pi.RequiredAffinityTerms) > 0 || len(pi.RequiredAntiAffinityTerms) > 0 {
		for _, ni := range nodes {
			for _, existing := range ni.Pods {
				if matchesAllTerms(pi.RequiredAffinityTerms, existing.Pod) {
					for i := range pi.RequiredAffinityTerms {
						s.affinity.add(ni.Node(), pi.RequiredAffinityTerms[i].TopologyKey, 1)
					}
				}
				for i := range pi.RequiredAntiAffinityTerms {
					t := &pi.RequiredAntiAffinityTerms[i]
					if t.Matches(existing.Pod, nil) {
						s.antiAffinity.add(ni.Node(), t.TopologyKey, 1)
					}
				}
			}
		}
	}
	if len(s.existingAntiAffinity) == 0 && len(pi.RequiredAffinityTerms) == 0 && len(pi.RequiredAntiAffinityTerms) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	state.Write(interPodPreFilterKey, s)
	return nil, nil
}

// Filter checks, in this order, the pod's affinity, its anti-affinity and
// the existing pods' anti-affinity.
func (*InterPodAffinity) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readState[*interPodFilterState](state, interPodPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	node := ni.Node()
	if !s.satisfiesAffinity(node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	}
	for i := range s.podInfo.RequiredAntiAffinityTerms {
		t := &s.podInfo.RequiredAntiAffinityTerms[i]
		if v, ok := node.Labels[t.TopologyKey]; ok && s.antiAffinity[topologyPair{t.TopologyKey, v}] > 0 {
			return framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
		}
	}
	if len(s.existingAntiAffinity) > 0 {
		for k, v := range node.Labels {
			if s.existingAntiAffinity[topologyPair{k, v}] > 0 {
				return framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
			}
		}
	}
	return nil
}

func (s *interPodFilterState) satisfiesAffinity(node *api.Node) bool {
	podsExist := true
	for i := range s.podInfo.RequiredAffinityTerms {
		t := &s.podInfo.RequiredAffinityTerms[i]
		v, ok := node.Labels[t.TopologyKey]
		if !ok {
			// Every topology label must exist on the node.
			return false
		}
		if s.affinity[topologyPair{t.TopologyKey, v}] <= 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	// The first pod of a group with affinity to itself: if no pod anywhere
	// matches the terms and the pod matches them itself, let it in, or the
	// group could never start.
	return len(s.affinity) == 0 && matchesAllTerms(s.podInfo.RequiredAffinityTerms, s.podInfo.Pod)
}

type interPodScoreState struct {
	// scores[key][value] is the weight sum for topology pair key=value.
	scores map[string]map[string]int64
}

func (s *interPodScoreState) Clone() framework.StateData { return s }

func (s *interPodScoreState) add(t *framework.AffinityTerm, weight int64, pod *api.Pod, nsLabels map[string]string, node *api.Node) {
	if !t.Matches(pod, nsLabels) {
		return
	}
	v, ok := node.Labels[t.TopologyKey]
	if !ok {
		return
	}
	m := s.scores[t.TopologyKey]
	if m == nil {
		m = map[string]int64{}
		s.scores[t.TopologyKey] = m
	}
	m[v] += weight
}

// PreScore sums the preferred-term weights per topology pair. Without
// preferred terms of its own, the pod only needs the nodes running pods
// with affinity; when nothing applies the plugin skips scoring.
func (pl *InterPodAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) *framework.Status {
	if len(nodes) == 0 {
		return nil
	}
	a := pod.Spec.Affinity
	hasPreferred := a != nil && ((a.PodAffinity != nil && len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0) ||
		(a.PodAntiAffinity != nil && len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0))
	if pl.ignoreExistingTerms && !hasPreferred {
		return framework.NewStatus(framework.Skip)
	}
	all := pl.lister.HavePodsWithAffinityList()
	if hasPreferred {
		all = pl.lister.List()
	}
	if len(all) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	pi := framework.NewPodInfo(pod)
	for i := range pi.PreferredAffinityTerms {
		pl.mergeNamespaceSelector(&pi.PreferredAffinityTerms[i].AffinityTerm)
	}
	for i := range pi.PreferredAntiAffinityTerms {
		pl.mergeNamespaceSelector(&pi.PreferredAntiAffinityTerms[i].AffinityTerm)
	}
	nsLabels := pl.lister.NamespaceLabels(pod.Namespace)
	s := &interPodScoreState{scores: map[string]map[string]int64{}}
	for _, ni := range all {
		node := ni.Node()
		if len(node.Labels) == 0 {
			continue
		}
		existingPods := ni.PodsWithAffinity
		if hasPreferred {
			existingPods = ni.Pods
		}
		for _, existing := range existingPods {
			for i := range pi.PreferredAffinityTerms {
				t := &pi.PreferredAffinityTerms[i]
				s.add(&t.AffinityTerm, int64(t.Weight), existing.Pod, nil, node)
			}
			for i := range pi.PreferredAntiAffinityTerms {
				t := &pi.PreferredAntiAffinityTerms[i]
				s.add(&t.AffinityTerm, -int64(t.Weight), existing.Pod, nil, node)
			}
			if pl.hardWeight > 0 {
				for i := range existing.RequiredAffinityTerms {
					s.add(&existing.RequiredAffinityTerms[i], int64(pl.hardWeight), pod, nsLabels, node)
				}
			}
			for i := range existing.PreferredAffinityTerms {
				t := &existing.PreferredAffinityTerms[i]
				s.add(&t.AffinityTerm, int64(t.Weight), pod, nsLabels, node)
			}
			for i := range existing.PreferredAntiAffinityTerms {
				t := &existing.PreferredAntiAffinityTerms[i]
				s.add(&t.AffinityTerm, -int64(t.Weight), pod, nsLabels, node)
			}
		}
	}
	if len(s.scores) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(interPodPreScoreKey, s)
	return nil
}

// Score sums the node's topology pairs' weights.
func (*InterPodAffinity) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readState[*interPodScoreState](state, interPodPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var score int64
	for key, values := range s.scores {
		if v, ok := ni.Node().Labels[key]; ok {
			score += values[v]
		}
	}
	return score, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps [min, max] onto [0, 100].
func (*InterPodAffinity) NormalizeScore(_ context.Context, state *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := readState[*interPodScoreState](state, interPodPreScoreKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(s.scores) == 0 {
		return nil
	}
	var minCount int64 = math.MaxInt64
	var maxCount int64 = math.MinInt64
	for i := range scores {
		minCount = min(minCount, scores[i].Score)
		maxCount = max(maxCount, scores[i].Score)
	}
	diff := maxCount - minCount
	for i := range scores {
		f := 0.0
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * (float64(scores[i].Score-minCount) / float64(diff))
		}
		scores[i].Score = int64(f)
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: pods arriving,
// leaving or relabelled change who is where; nodes added or relabelled
// change the domains.
func (*InterPodAffinity) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Pod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete}},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel}},
	}
}

package plugins

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// ---------------------------------------------------------------- DefaultPreemption

// Reasons of DefaultPreemption, as kube-scheduler v1.32 words them.
const (
	// ErrReasonPreemptionNotHelpful is the reason of every node that no
	// eviction could make fit: one a filter rejected as
	// UnschedulableAndUnresolvable (an untolerated taint, a node selector,
	// a cordon), or that the dry run did not get to.
	ErrReasonPreemptionNotHelpful = "Preemption is not helpful for scheduling"
	// ErrReasonNoVictims is the reason of a node that a filter rejected as
	// Unschedulable (Insufficient cpu, Too many pods, free ports) but that
	// runs no pod of lower priority than the incoming one.
	ErrReasonNoVictims = "No preemption victims found for incoming pod"
	// ErrReasonPreemptNever is the answer for a pod with
	// preemptionPolicy: Never.
	ErrReasonPreemptNever = "not eligible due to preemptionPolicy=Never."
	// ErrReasonTerminatingOnNominated is the answer for a pod whose
	// nominated node still has a lower-priority pod terminating because of
	// preemption: it waits for it instead of preempting again.
	ErrReasonTerminatingOnNominated = "not eligible due to a terminating pod on the nominated node."
)

// Defaults of DefaultPreemptionArgs in kube-scheduler v1.32.
const (
	DefaultMinCandidateNodesPercentage = 10
	DefaultMinCandidateNodesAbsolute   = 100
)

// DefaultPreemptionArgs are the plugin's arguments, as in the real
// DefaultPreemptionArgs: the dry run stops once it has found
// max(nodes*MinCandidateNodesPercentage/100, MinCandidateNodesAbsolute)
// candidates (capped at the number of nodes where preemption might help).
type DefaultPreemptionArgs struct {
	MinCandidateNodesPercentage int32
	MinCandidateNodesAbsolute   int32
}

// DefaultPreemption is the PostFilter of kube-scheduler: when no node fits
// a pod, it looks for nodes where evicting pods of lower priority would
// make room, as kube-scheduler v1.32's DefaultPreemption does:
//
//  1. The pod must be eligible: not preemptionPolicy Never, and not
//     nominated to a node where a lower-priority pod is still terminating
//     because of an earlier preemption.
//  2. Candidate nodes are those a filter rejected as Unschedulable
//     (resources, ports, spreading): removing pods cannot help against a
//     taint, a node selector or a nodeName.
//  3. On each candidate, starting at a seeded random offset, every pod of
//     lower priority is removed; if the pod still does not fit, the node
//     is no candidate. Otherwise the removed pods are put back one by one,
//     highest priority first, those whose eviction would violate a
//     PodDisruptionBudget before the others; a pod that no longer lets
//     the incoming one fit becomes a victim. The dry run stops once it has
//     enough candidates (DefaultPreemptionArgs) and at least one that
//     violates no budget.
//  4. One candidate is chosen: fewest budget violations, then the lowest
//     highest-victim priority, the smallest sum of victim priorities, the
//     fewest victims, the latest start time of the highest-priority
//     victims, then the first in dry-run order.
//
// The plugin decides only; its PostFilterResult names the node and the
// victims and carries a *PreemptionRecord, and the scheduler actor does
// what the real plugin's prepareCandidate does (DisruptionTarget
// condition, graceful deletion, the Preempted event, clearing the
// nominations of lower-priority pods on that node).
//
// When no candidate is found, the message is the real one, e.g.
//
//	preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.
type DefaultPreemption struct {
	handle framework.Handle
	args   DefaultPreemptionArgs
}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

func newDefaultPreemption(args any, h framework.Handle) (framework.Plugin, error) {
	a := DefaultPreemptionArgs{MinCandidateNodesPercentage: DefaultMinCandidateNodesPercentage, MinCandidateNodesAbsolute: DefaultMinCandidateNodesAbsolute}
	switch v := args.(type) {
	case nil:
	case DefaultPreemptionArgs:
		a = v
	case *DefaultPreemptionArgs:
		a = *v
	default:
		return nil, fmt.Errorf("want args to be of type DefaultPreemptionArgs, got %T", args)
	}
	if a.MinCandidateNodesPercentage < 0 || a.MinCandidateNodesPercentage > 100 {
		return nil, fmt.Errorf("minCandidateNodesPercentage: Invalid value: %d: not in valid range [0, 100]", a.MinCandidateNodesPercentage)
	}
	if a.MinCandidateNodesAbsolute < 0 {
		return nil, fmt.Errorf("minCandidateNodesAbsolute: Invalid value: %d: not in valid range [0, inf)", a.MinCandidateNodesAbsolute)
	}
	if a.MinCandidateNodesPercentage == 0 && a.MinCandidateNodesAbsolute == 0 {
		return nil, fmt.Errorf("minCandidateNodesPercentage and minCandidateNodesAbsolute: Invalid value: both cannot be zero")
	}
	return &DefaultPreemption{handle: h, args: a}, nil
}

// Name implements framework.Plugin.
func (*DefaultPreemption) Name() string { return DefaultPreemptionName }

// PreemptionRecord is the typed account of one PostFilter run, for the
// trace and narration.
type PreemptionRecord struct {
	// Namespace, Name and Priority identify the preemptor.
	Namespace, Name string
	Priority        int32
	// NotEligible is the reason the pod may not preempt at all (one of
	// ErrReasonPreemptNever, ErrReasonTerminatingOnNominated), or "".
	NotEligible string
	// NominatedNode is the pod's nomination when the cycle began.
	NominatedNode string
	// PotentialNodes is how many nodes a filter rejected as Unschedulable
	// (where evicting pods might help), of AllNodes.
	PotentialNodes, AllNodes int
	// NoVictims of the nodes tried run no pod of lower priority;
	// NotEnough would not fit the pod even with all of those gone.
	NoVictims, NotEnough int
	// Offset and NumCandidates are the dry run's random start among the
	// potential nodes and the number of candidates it looks for.
	Offset, NumCandidates int
	// Candidates are the nodes where evicting Victims makes the pod fit,
	// in dry-run order.
	Candidates []Candidate
	// Chosen is the candidate picked ("" when none), and DecidedBy the
	// ordering rule that singled it out.
	Chosen    string
	DecidedBy Criterion
	// ClearedNominations are the lower-priority pods nominated to Chosen
	// whose nomination is cleared.
	ClearedNominations []Victim
}

// Candidate is one node where preemption would make the pod fit.
type Candidate struct {
	Node string
	// Victims are highest priority first.
	Victims []Victim
	// NumPDBViolations is how many victims' eviction violates a budget.
	NumPDBViolations int
}

// Victim is one pod to evict (or whose nomination is cleared).
type Victim struct {
	Namespace, Name string
	UID             api.UID
	Priority        int32
	// PDB is the budget that the eviction violates, "" when none.
	PDB string
	Pod *api.Pod `json:"-"`
}

// Criterion names the candidate ordering rule that decided.
type Criterion string

// The candidate ordering rules, in the order they apply.
const (
	ByOnlyCandidate      Criterion = "only candidate"
	ByPDBViolations      Criterion = "fewest PDB violations"
	ByHighestPriority    Criterion = "lowest highest-victim priority"
	BySumOfPriorities    Criterion = "smallest sum of victim priorities"
	ByNumVictims         Criterion = "fewest victims"
	ByLatestStartTime    Criterion = "latest start of the highest-priority victims"
	ByFirstInDryRunOrder Criterion = "first in dry-run order"
)

// PostFilter implements framework.PostFilterPlugin.
func (pl *DefaultPreemption) PostFilter(ctx context.Context, state *framework.CycleState, pod *api.Pod, m *framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	rec := &PreemptionRecord{Namespace: pod.Namespace, Name: pod.Name, Priority: framework.PodPriority(pod), NominatedNode: pod.Status.NominatedNodeName}
	res, st := pl.preempt(ctx, state, pod, m, rec)
	if res == nil {
		res = &framework.PostFilterResult{KeepNomination: true}
	}
	res.Record = rec
	if msg := st.Message(); msg != "" {
		return res, framework.NewStatus(st.Code(), "preemption: "+msg)
	}
	return res, st
}

func (pl *DefaultPreemption) preempt(ctx context.Context, state *framework.CycleState, pod *api.Pod, m *framework.NodeToStatus, rec *PreemptionRecord) (*framework.PostFilterResult, *framework.Status) {
	if ok, msg := pl.eligible(pod, m.Get(pod.Status.NominatedNodeName)); !ok {
		rec.NotEligible = msg
		return nil, framework.NewStatus(framework.Unschedulable, msg)
	}
	all := pl.handle.SnapshotSharedLister().List()
	rec.AllNodes = len(all)
	candidates, statuses := pl.findCandidates(ctx, state, pod, m, all, rec)
	rec.Candidates = candidates
	if len(candidates) == 0 {
		fe := &framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: framework.Diagnosis{NodeToStatus: statuses}}
		// The empty nomination clears an earlier one.
		return &framework.PostFilterResult{}, framework.NewStatus(framework.Unschedulable, fe.Error())
	}
	best, by := PickCandidate(candidates)
	rec.Chosen, rec.DecidedBy = best.Node, by
	prio := framework.PodPriority(pod)
	for _, pi := range pl.handle.NominatedPodsForNode(best.Node) {
		if framework.PodPriority(pi.Pod) < prio {
			rec.ClearedNominations = append(rec.ClearedNominations, victimOf(pi.Pod, ""))
		}
	}
	victims := make([]*api.Pod, len(best.Victims))
	for i, v := range best.Victims {
		victims[i] = v.Pod
	}
	return &framework.PostFilterResult{NominatedNodeName: best.Node, Victims: victims}, nil
}

// eligible is PodEligibleToPreemptOthers.
func (pl *DefaultPreemption) eligible(pod *api.Pod, nominatedStatus *framework.Status) (bool, string) {
	if p := pod.Spec.PreemptionPolicy; p != nil && *p == api.PreemptNever {
		return false, ErrReasonPreemptNever
	}
	nom := pod.Status.NominatedNodeName
	if nom == "" {
		return true, ""
	}
	// A nominated node that the filters now reject for good (say, it was
	// tainted) is no reason to wait: preempt elsewhere.
	if nominatedStatus.Code() == framework.UnschedulableAndUnresolvable {
		return true, ""
	}
	ni, err := pl.handle.SnapshotSharedLister().Get(nom)
	if err != nil {
		return true, ""
	}
	prio := framework.PodPriority(pod)
	for _, p := range ni.Pods {
		if framework.PodPriority(p.Pod) < prio && terminatingByPreemption(p.Pod) {
			return false, ErrReasonTerminatingOnNominated
		}
	}
	return true, ""
}

// terminatingByPreemption: being deleted, with the scheduler's
// DisruptionTarget condition.
func terminatingByPreemption(p *api.Pod) bool {
	if p.DeletionTimestamp == nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == api.DisruptionTarget && c.Status == api.ConditionTrue && c.Reason == api.PodReasonPreemptionByScheduler {
			return true
		}
	}
	return false
}

// NumCandidates is how many candidates the dry run looks for among
// numNodes potential nodes.
func (pl *DefaultPreemption) NumCandidates(numNodes int) int {
	n := numNodes * int(pl.args.MinCandidateNodesPercentage) / 100
	if n < int(pl.args.MinCandidateNodesAbsolute) {
		n = int(pl.args.MinCandidateNodesAbsolute)
	}
	return min(n, numNodes)
}

// findCandidates is the dry run. The statuses it returns are those of the
// nodes it tried and failed; every other node is "not helpful".
func (pl *DefaultPreemption) findCandidates(ctx context.Context, state *framework.CycleState, pod *api.Pod, m *framework.NodeToStatus, all []*framework.NodeInfo, rec *PreemptionRecord) ([]Candidate, *framework.NodeToStatus) {
	statuses := framework.NewNodeToStatus()
	statuses.SetAbsentNodesStatus(framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPreemptionNotHelpful))
	var potential []*framework.NodeInfo
	for _, ni := range all {
		if m.Get(ni.Node().Name).Code() == framework.Unschedulable {
			potential = append(potential, ni)
		}
	}
	rec.PotentialNodes = len(potential)
	if len(potential) == 0 {
		return nil, statuses
	}
	offset := 0
	if r := pl.handle.Rand(); r != nil {
		offset = r.IntN(len(potential))
	}
	want := pl.NumCandidates(len(potential))
	rec.Offset, rec.NumCandidates = offset, want
	pdbs := pl.handle.PodDisruptionBudgets()
	var violating, nonViolating []Candidate
	for i := range potential {
		if len(nonViolating) > 0 && len(nonViolating)+len(violating) >= want {
			break
		}
		ni := potential[(offset+i)%len(potential)]
		c, st := pl.SelectVictimsOnNode(ctx, state.Clone(), pod, ni.Snapshot(), pdbs)
		if st.IsSuccess() {
			if c.NumPDBViolations == 0 {
				nonViolating = append(nonViolating, c)
			} else {
				violating = append(violating, c)
			}
			continue
		}
		if st.Code() == framework.UnschedulableAndUnresolvable && slices.Equal(st.Reasons(), []string{ErrReasonNoVictims}) {
			rec.NoVictims++
		} else {
			rec.NotEnough++
		}
		statuses.Set(ni.Node().Name, st)
	}
	return append(nonViolating, violating...), statuses
}

// SelectVictimsOnNode finds the fewest pods (by the real rules) to evict
// from nodeInfo, which it modifies, so that pod fits there.
func (pl *DefaultPreemption) SelectVictimsOnNode(ctx context.Context, state *framework.CycleState, pod *api.Pod, nodeInfo *framework.NodeInfo, pdbs []*api.PodDisruptionBudget) (Candidate, *framework.Status) {
	c := Candidate{Node: nodeInfo.Node().Name}
	prio := framework.PodPriority(pod)
	var potential []*framework.PodInfo
	for _, pi := range slices.Clone(nodeInfo.Pods) {
		if framework.PodPriority(pi.Pod) < prio {
			potential = append(potential, pi)
			if err := nodeInfo.RemovePod(pi.Pod); err != nil {
				return c, framework.AsStatus(err)
			}
		}
	}
	if len(potential) == 0 {
		return c, framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNoVictims)
	}
	// Not even an empty node (of lower-priority pods) fits: the filter's
	// reason is the node's answer.
	if st := pl.handle.RunFilterPluginsWithNominatedPods(ctx, state, pod, nodeInfo); !st.IsSuccess() {
		return c, st
	}
	slices.SortStableFunc(potential, func(a, b *framework.PodInfo) int { return compareImportance(a.Pod, b.Pod) })
	violatingPods, violatedPDB, others := splitByPDBViolation(potential, pdbs)
	reprieve := func(pi *framework.PodInfo, pdb string) (bool, error) {
		nodeInfo.AddPodInfo(pi)
		if pl.handle.RunFilterPluginsWithNominatedPods(ctx, state, pod, nodeInfo).IsSuccess() {
			return true, nil
		}
		if err := nodeInfo.RemovePod(pi.Pod); err != nil {
			return false, err
		}
		c.Victims = append(c.Victims, victimOf(pi.Pod, pdb))
		return false, nil
	}
	for i, pi := range violatingPods {
		fits, err := reprieve(pi, violatedPDB[i])
		if err != nil {
			return c, framework.AsStatus(err)
		}
		if !fits {
			c.NumPDBViolations++
		}
	}
	for _, pi := range others {
		if _, err := reprieve(pi, ""); err != nil {
			return c, framework.AsStatus(err)
		}
	}
	if len(violatingPods) != 0 && len(others) != 0 {
		slices.SortStableFunc(c.Victims, func(a, b Victim) int { return compareImportance(a.Pod, b.Pod) })
	}
	if len(c.Victims) == 0 {
		return c, framework.AsStatus(fmt.Errorf("expected at least one victim pod on node %q", c.Node))
	}
	return c, nil
}

func victimOf(p *api.Pod, pdb string) Victim {
	return Victim{Namespace: p.Namespace, Name: p.Name, UID: p.UID, Priority: framework.PodPriority(p), PDB: pdb, Pod: p}
}

// compareImportance orders pods as the real MoreImportantPod: higher
// priority first, then the one that started earlier (a pod not started
// yet counts as starting now, after every started one); kubesim breaks
// the remaining ties by namespace and name to stay reproducible.
func compareImportance(a, b *api.Pod) int {
	if c := cmp.Compare(framework.PodPriority(b), framework.PodPriority(a)); c != 0 {
		return c
	}
	if c := compareStart(a.Status.StartTime, b.Status.StartTime); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// compareStart compares start times, nil (not started) last.
func compareStart(a, b *api.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(b.Time)
}

// splitByPDBViolation splits pods (in order) into those whose eviction
// violates a budget and the others, as the real filterPodsWithPDBViolation:
// each budget of the pod's namespace that selects it (an empty selector
// selects nothing here) and has not already counted it among its
// disruptedPods loses one of its disruptionsAllowed; going below zero is
// a violation. violated[i] names the budget violatingPods[i] violates.
func splitByPDBViolation(pods []*framework.PodInfo, pdbs []*api.PodDisruptionBudget) (violatingPods []*framework.PodInfo, violated []string, others []*framework.PodInfo) {
	allowed := make([]int32, len(pdbs))
	for i, pdb := range pdbs {
		allowed[i] = pdb.Status.DisruptionsAllowed
	}
	for _, pi := range pods {
		p := pi.Pod
		byPDB := ""
		if len(p.Labels) != 0 {
			for i, pdb := range pdbs {
				if pdb.Namespace != p.Namespace {
					continue
				}
				sel, err := api.LabelSelectorAsSelector(pdb.Spec.Selector)
				if err != nil || sel.Empty() || !sel.Matches(p.Labels) {
					continue
				}
				if _, ok := pdb.Status.DisruptedPods[p.Name]; ok {
					continue
				}
				allowed[i]--
				if allowed[i] < 0 && byPDB == "" {
					byPDB = pdb.Name
				}
			}
		}
		if byPDB != "" {
			violatingPods = append(violatingPods, pi)
			violated = append(violated, byPDB)
		} else {
			others = append(others, pi)
		}
	}
	return violatingPods, violated, others
}

// PickCandidate chooses among candidates with the real
// pickOneNodeForPreemption rules and says which rule decided.
func PickCandidate(candidates []Candidate) (Candidate, Criterion) {
	if len(candidates) == 1 {
		return candidates[0], ByOnlyCandidate
	}
	type rule struct {
		by    Criterion
		score func(Candidate) int64 // higher is better
	}
	rules := []rule{
		{ByPDBViolations, func(c Candidate) int64 { return -int64(c.NumPDBViolations) }},
		{ByHighestPriority, func(c Candidate) int64 { return -int64(c.Victims[0].Priority) }},
		{BySumOfPriorities, func(c Candidate) int64 {
			var sum int64
			for _, v := range c.Victims {
				// Shifted so that negative priorities still add up.
				sum += int64(v.Priority) + int64(math.MaxInt32) + 1
			}
			return -sum
		}},
		{ByNumVictims, func(c Candidate) int64 { return -int64(len(c.Victims)) }},
	}
	left := candidates
	for _, r := range rules {
		left = keepBest(left, r.score)
		if len(left) == 1 {
			return left[0], r.by
		}
	}
	// The latest "earliest start among the highest-priority victims".
	best := []Candidate{left[0]}
	for _, c := range left[1:] {
		switch d := compareStart(earliestStart(c), earliestStart(best[0])); {
		case d > 0:
			best = []Candidate{c}
		case d == 0:
			best = append(best, c)
		}
	}
	if len(best) == 1 {
		return best[0], ByLatestStartTime
	}
	return best[0], ByFirstInDryRunOrder
}

func keepBest(cs []Candidate, score func(Candidate) int64) []Candidate {
	var out []Candidate
	var top int64
	for _, c := range cs {
		s := score(c)
		switch {
		case len(out) == 0 || s > top:
			out, top = []Candidate{c}, s
		case s == top:
			out = append(out, c)
		}
	}
	return out
}

// earliestStart is the earliest start time among the victims of the
// highest priority (nil when none of them started).
func earliestStart(c Candidate) *api.Time {
	top := c.Victims[0].Priority
	var earliest *api.Time
	first := true
	for _, v := range c.Victims {
		if v.Priority != top {
			continue
		}
		st := v.Pod.Status.StartTime
		if first || compareStart(st, earliest) < 0 {
			earliest, first = st, false
		}
	}
	return earliest
}

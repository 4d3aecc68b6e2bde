package framework

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// The feasible-node search limits, as in the real scheduler.
const (
	// MinFeasibleNodesToFind: below this many nodes every node is checked,
	// and above it the search never stops before finding this many.
	MinFeasibleNodesToFind = 100
	// MinFeasibleNodesPercentageToFind is the floor of the adaptive
	// percentage.
	MinFeasibleNodesPercentageToFind = 5
)

// Config configures a Scheduler.
type Config struct {
	// Registry holds the factories of every plugin a profile may name.
	Registry Registry
	// Profiles are the scheduling profiles, one per schedulerName.
	Profiles []Profile
	// Rand breaks ties between top-scoring nodes. It is required: the
	// scheduler never touches a global random source, so a seeded Rand
	// makes every placement reproducible.
	Rand *rand.Rand
	// PercentageOfNodesToScore bounds the feasible-node search on large
	// clusters (see NumFeasibleNodesToFind). 0 means adaptive; a profile
	// may override it.
	PercentageOfNodesToScore int32
	// Volumes gives the VolumeBinding plugin the claims, volumes and
	// classes (nil: it skips every pod).
	Volumes Volumes
	// RecordScores makes Schedule return every scored node's per-plugin
	// scores in Result.Scores, to explain a decision. It allocates; leave
	// it off in benchmarks.
	RecordScores bool
	// PodDisruptionBudgets lists the cluster's budgets for preemption
	// (Handle.PodDisruptionBudgets); nil means none.
	PodDisruptionBudgets func() []*api.PodDisruptionBudget
}

// Scheduler runs scheduling cycles over a Cache: it is kube-scheduler's
// schedulePod, findNodesThatFitPod and selectHost as a library. It owns no
// goroutines, clocks or queues; the actor around it pops pods from the
// scheduling queue, calls Schedule, then Assume and Bind (or Forget), and
// feeds the Cache from watches.
//
// A Scheduler is used from one goroutine.
type Scheduler struct {
	cache      *Cache
	snapshot   *Snapshot
	nominator  *Nominator
	frameworks map[string]*Framework
	names      []string

	rng                      *rand.Rand
	percentageOfNodesToScore int32
	recordScores             bool

	// nextStartNodeIndex is where the next feasible-node search starts,
	// so that across cycles every node gets its turn even when searches
	// stop early.
	nextStartNodeIndex int

	// Scratch reused between cycles.
	feasible []*NodeInfo
	scores   ScoreBuffer
}

// Result is the outcome of one scheduling cycle.
type Result struct {
	// SuggestedHost is the chosen node.
	SuggestedHost string
	// EvaluatedNodes is how many nodes were filtered (feasible or not).
	EvaluatedNodes int
	// FeasibleNodes is how many passed the filters.
	FeasibleNodes int
	// NominatedNodeName is set when no node fit but a PostFilter plugin
	// nominated one; Victims are the pods to evict for it, and
	// PostFilterRecord the plugin's typed account (PostFilterResult).
	NominatedNodeName string
	Victims           []*api.Pod
	PostFilterRecord  any
	// Nominate says the PostFilter result sets the pod's
	// status.nominatedNodeName to NominatedNodeName (an empty one clears
	// an earlier nomination); false leaves it as it is.
	Nominate bool
	// Scores explains the choice when Config.RecordScores is set.
	Scores []NodePluginScores
	// State is the cycle's state; Assume, Bind and Forget need it.
	State *CycleState

	framework *Framework
}

// NewScheduler builds the profiles' frameworks over cache.
func NewScheduler(cache *Cache, cfg Config) (*Scheduler, error) {
	if cache == nil {
		return nil, errors.New("scheduler: nil cache")
	}
	if cfg.Rand == nil {
		return nil, errors.New("scheduler: Config.Rand is required (seed it for reproducible placements)")
	}
	if len(cfg.Profiles) == 0 {
		return nil, errors.New("scheduler: at least one profile is required")
	}
	if p := cfg.PercentageOfNodesToScore; p < 0 || p > 100 {
		return nil, fmt.Errorf("scheduler: percentageOfNodesToScore %d is not in [0, 100]", p)
	}
	s := &Scheduler{
		cache:                    cache,
		snapshot:                 NewEmptySnapshot(),
		nominator:                NewNominator(),
		frameworks:               map[string]*Framework{},
		rng:                      cfg.Rand,
		percentageOfNodesToScore: cfg.PercentageOfNodesToScore,
		recordScores:             cfg.RecordScores,
	}
	var h Handle = handle{lister: s.snapshot, nominator: s.nominator, pdbs: cfg.PodDisruptionBudgets, rng: cfg.Rand}
	if cfg.Volumes != nil {
		h = handleWithVolumes{handle: h.(handle), volumes: cfg.Volumes}
	}
	for _, p := range cfg.Profiles {
		f, err := NewFramework(cfg.Registry, p, h)
		if err != nil {
			return nil, err
		}
		if _, dup := s.frameworks[f.ProfileName()]; dup {
			return nil, fmt.Errorf("scheduler: duplicate profile %q", f.ProfileName())
		}
		s.frameworks[f.ProfileName()] = f
		s.names = append(s.names, f.ProfileName())
	}
	return s, nil
}

// Cache returns the scheduler's cache.
func (s *Scheduler) Cache() *Cache { return s.cache }

// Nominator returns the pods nominated by preemption; the actor keeps it
// up to date.
func (s *Scheduler) Nominator() *Nominator { return s.nominator }

// Snapshot returns the snapshot of the last cycle.
func (s *Scheduler) Snapshot() *Snapshot { return s.snapshot }

// ProfileNames returns the scheduler names served, in configuration order.
func (s *Scheduler) ProfileNames() []string { return slices.Clone(s.names) }

// Framework returns the framework of a profile, or nil.
func (s *Scheduler) Framework(schedulerName string) *Framework { return s.frameworks[schedulerName] }

// NextStartNodeIndex is where the next feasible-node search starts.
func (s *Scheduler) NextStartNodeIndex() int { return s.nextStartNodeIndex }

// FrameworkForPod returns the framework for the pod's spec.schedulerName
// (empty means default-scheduler).
func (s *Scheduler) FrameworkForPod(pod *api.Pod) (*Framework, error) {
	name := pod.Spec.SchedulerName
	if name == "" {
		name = api.DefaultSchedulerName
	}
	f, ok := s.frameworks[name]
	if !ok {
		return nil, fmt.Errorf("profile not found for scheduler name %q", name)
	}
	return f, nil
}

// Schedule runs one scheduling cycle for pod: PreFilter, Filter over the
// nodes (stopping once enough feasible nodes are found), PostFilter if none
// fit, then PreScore, Score and a seeded tie-break. It does not change the
// cache; the caller then calls Assume.
//
// The error is ErrNoNodesAvailable on an empty cluster, a *FitError when no
// node fits (its Error() is the FailedScheduling message), or another error
// when a plugin failed.
func (s *Scheduler) Schedule(ctx context.Context, pod *api.Pod) (Result, error) {
	fwk, err := s.FrameworkForPod(pod)
	if err != nil {
		return Result{}, err
	}
	state := NewCycleState()
	res := Result{State: state, framework: fwk}
	s.cache.UpdateSnapshot(s.snapshot)
	if s.snapshot.NumNodes() == 0 {
		return res, ErrNoNodesAvailable
	}

	feasible, diagnosis, err := s.findNodesThatFitPod(ctx, fwk, state, pod)
	if err != nil {
		return res, err
	}
	if len(feasible) == 0 {
		fitErr := &FitError{Pod: pod, NumAllNodes: s.snapshot.NumNodes(), Diagnosis: diagnosis}
		if fwk.HasPostFilterPlugins() {
			pfr, st := fwk.RunPostFilterPlugins(ctx, state, pod, diagnosis.NodeToStatus)
			if st.Code() != Error {
				fitErr.Diagnosis.PostFilterMsg = st.Message()
			}
			if pfr != nil {
				res.Nominate = !pfr.KeepNomination
				res.NominatedNodeName = pfr.NominatedNodeName
				res.Victims = pfr.Victims
				res.PostFilterRecord = pfr.Record
			}
		}
		return res, fitErr
	}

	res.EvaluatedNodes = len(feasible) + diagnosis.NodeToStatus.Len()
	res.FeasibleNodes = len(feasible)
	// One feasible node: nothing to compare, so no scoring at all.
	if len(feasible) == 1 {
		res.SuggestedHost = feasible[0].Node().Name
		return res, nil
	}
	if err := s.prioritizeNodes(ctx, fwk, state, pod, feasible); err != nil {
		return res, err
	}
	res.SuggestedHost = feasible[s.selectHost(len(feasible))].Node().Name
	if s.recordScores {
		res.Scores = s.scores.NodePluginScores(feasible)
	}
	return res, nil
}

func (s *Scheduler) findNodesThatFitPod(ctx context.Context, fwk *Framework, state *CycleState, pod *api.Pod) ([]*NodeInfo, Diagnosis, error) {
	diagnosis := Diagnosis{NodeToStatus: NewNodeToStatus()}
	allNodes := s.snapshot.List()

	preRes, st, unschedulable := fwk.RunPreFilterPlugins(ctx, state, pod, allNodes)
	diagnosis.UnschedulablePlugins = unschedulable
	if !st.IsSuccess() {
		if !st.IsRejected() {
			return nil, diagnosis, st.AsError()
		}
		// Every node gets the PreFilter's status, and the message is the
		// PreFilter's alone.
		diagnosis.NodeToStatus.SetAbsentNodesStatus(st)
		diagnosis.PreFilterMsg = st.Message()
		return nil, diagnosis, nil
	}

	// A pod nominated by an earlier PostFilter tries its node first.
	if nnn := pod.Status.NominatedNodeName; nnn != "" {
		if ni, err := s.snapshot.Get(nnn); err == nil {
			feasible, err := s.findNodesThatPassFilters(ctx, fwk, state, pod, &diagnosis, []*NodeInfo{ni}, 0)
			if err == nil && len(feasible) != 0 {
				return feasible, diagnosis, nil
			}
		}
	}

	nodes := allNodes
	if !preRes.AllNodes() {
		nodes = make([]*NodeInfo, 0, len(preRes.NodeNames))
		for _, name := range preRes.SortedNames() {
			if ni, err := s.snapshot.Get(name); err == nil {
				nodes = append(nodes, ni)
			}
		}
		diagnosis.NodeToStatus.SetAbsentNodesStatus(NewStatus(UnschedulableAndUnresolvable,
			fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", unschedulable)))
	}
	feasible, err := s.findNodesThatPassFilters(ctx, fwk, state, pod, &diagnosis, nodes, s.nextStartNodeIndex)
	// Move the start index past every node looked at, error or not, so
	// that all nodes get their turn.
	processed := len(feasible) + diagnosis.NodeToStatus.Len()
	s.nextStartNodeIndex = (s.nextStartNodeIndex + processed) % len(allNodes)
	slices.Sort(diagnosis.UnschedulablePlugins)
	return feasible, diagnosis, err
}

// findNodesThatPassFilters filters nodes starting at index start (wrapping
// around) and stops once NumFeasibleNodesToFind nodes passed. The real
// scheduler runs the same search on 16 goroutines; here it runs in order,
// which finds the same number of nodes and keeps the result reproducible.
func (s *Scheduler) findNodesThatPassFilters(ctx context.Context, fwk *Framework, state *CycleState, pod *api.Pod, diagnosis *Diagnosis, nodes []*NodeInfo, start int) ([]*NodeInfo, error) {
	numAll := len(nodes)
	if numAll == 0 {
		return nil, nil
	}
	numToFind := s.NumFeasibleNodesToFind(fwk.PercentageOfNodesToScore(), numAll)
	if !fwk.HasScorePlugins() {
		// Without scoring any feasible node is as good as another.
		numToFind = 1
	}
	feasible := s.feasible[:0]
	if !fwk.HasFilterPlugins() {
		for i := 0; i < numToFind; i++ {
			feasible = append(feasible, nodes[(start+i)%numAll])
		}
		s.feasible = feasible
		return feasible, nil
	}
	for i := 0; i < numAll && len(feasible) < numToFind; i++ {
		ni := nodes[(start+i)%numAll]
		st := fwk.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni, s.nominator.NominatedPodsForNode(ni.Node().Name))
		if st.IsSuccess() {
			feasible = append(feasible, ni)
			continue
		}
		if st.Code() == Error {
			s.feasible = feasible
			return feasible, st.AsError()
		}
		diagnosis.NodeToStatus.Set(ni.Node().Name, st)
		diagnosis.addPluginStatus(st)
	}
	s.feasible = feasible
	return feasible, nil
}

// NumFeasibleNodesToFind is how many feasible nodes the search looks for
// before it stops: every node below MinFeasibleNodesToFind nodes; otherwise
// the configured percentage of the nodes or, when it is 0, an adaptive one,
// 50% - nodes/125 with a floor of 5% (42% of 1,000 nodes, 10% of 5,000);
// never fewer than MinFeasibleNodesToFind.
func (s *Scheduler) NumFeasibleNodesToFind(profilePercentage *int32, numAllNodes int) int {
	if numAllNodes < MinFeasibleNodesToFind {
		return numAllNodes
	}
	percentage := s.percentageOfNodesToScore
	if profilePercentage != nil {
		percentage = *profilePercentage
	}
	if percentage == 0 {
		percentage = int32(50 - numAllNodes/125)
		if percentage < MinFeasibleNodesPercentageToFind {
			percentage = MinFeasibleNodesPercentageToFind
		}
	}
	n := numAllNodes * int(percentage) / 100
	if n < MinFeasibleNodesToFind {
		return MinFeasibleNodesToFind
	}
	return n
}

func (s *Scheduler) prioritizeNodes(ctx context.Context, fwk *Framework, state *CycleState, pod *api.Pod, nodes []*NodeInfo) error {
	if !fwk.HasScorePlugins() {
		s.scores.reset(0, len(nodes))
		for j := range s.scores.Totals {
			s.scores.Totals[j] = 1
		}
		return nil
	}
	if st := fwk.RunPreScorePlugins(ctx, state, pod, nodes); !st.IsSuccess() {
		return st.AsError()
	}
	if st := fwk.RunScorePluginsInto(ctx, state, pod, nodes, &s.scores); !st.IsSuccess() {
		return st.AsError()
	}
	return nil
}

// selectHost returns the index of a node with the highest total score,
// choosing uniformly among ties by reservoir sampling over the seeded
// source (the k-th tie replaces the pick with probability 1/k).
func (s *Scheduler) selectHost(n int) int {
	totals := s.scores.Totals[:n]
	best, ties := 0, 1
	for j := 1; j < n; j++ {
		switch {
		case totals[j] > totals[best]:
			best, ties = j, 1
		case totals[j] == totals[best]:
			ties++
			if s.rng.IntN(ties) == 0 {
				best = j
			}
		}
	}
	return best
}

// Assume records the decision: a copy of pod with spec.nodeName set to the
// chosen node is assumed in the cache (it counts against the node from now
// on) and the Reserve plugins run. It returns that assumed pod, which is
// what Bind and Forget take. If a Reserve plugin fails, everything is
// rolled back and the error returned.
func (s *Scheduler) Assume(ctx context.Context, pod *api.Pod, res Result) (*api.Pod, error) {
	if res.framework == nil || res.SuggestedHost == "" {
		return nil, errors.New("scheduler: Assume needs the Result of a successful Schedule")
	}
	assumed := *pod
	assumed.Spec.NodeName = res.SuggestedHost
	if err := s.cache.AssumePod(&assumed); err != nil {
		return nil, err
	}
	if st := res.framework.RunReservePluginsReserve(ctx, res.State, &assumed, res.SuggestedHost); !st.IsSuccess() {
		res.framework.RunReservePluginsUnreserve(ctx, res.State, &assumed, res.SuggestedHost)
		_ = s.cache.ForgetPod(&assumed)
		return nil, st.AsError()
	}
	return &assumed, nil
}

// Bind runs PreBind, Bind and PostBind for an assumed pod. When no Bind
// plugin is enabled it does nothing after PreBind: the caller binds. On
// failure the pod is forgotten (Unreserve, then removed from the cache) and
// the error returned, so that the caller can requeue it.
func (s *Scheduler) Bind(ctx context.Context, assumed *api.Pod, res Result) error {
	if res.framework == nil {
		return errors.New("scheduler: Bind needs the Result of a successful Schedule")
	}
	node := assumed.Spec.NodeName
	if st := res.framework.RunPreBindPlugins(ctx, res.State, assumed, node); !st.IsSuccess() {
		_ = s.Forget(ctx, assumed, res)
		return st.AsError()
	}
	st := res.framework.RunBindPlugins(ctx, res.State, assumed, node)
	if st.IsSkip() {
		return nil
	}
	if !st.IsSuccess() {
		_ = s.Forget(ctx, assumed, res)
		return st.AsError()
	}
	res.framework.RunPostBindPlugins(ctx, res.State, assumed, node)
	return nil
}

// PreBind runs the PreBind plugins for an assumed pod (the volume
// binding's API writes), for a caller that binds by itself. On failure the
// pod is forgotten and the error returned.
func (s *Scheduler) PreBind(ctx context.Context, assumed *api.Pod, res Result) error {
	if res.framework == nil {
		return errors.New("scheduler: PreBind needs the Result of a successful Schedule")
	}
	if st := res.framework.RunPreBindPlugins(ctx, res.State, assumed, assumed.Spec.NodeName); !st.IsSuccess() {
		_ = s.Forget(ctx, assumed, res)
		return st.AsError()
	}
	return nil
}

// Forget undoes Assume: Unreserve in reverse order, then the assumed pod
// leaves the cache. Call it when a binding fails.
func (s *Scheduler) Forget(ctx context.Context, assumed *api.Pod, res Result) error {
	if res.framework != nil {
		res.framework.RunReservePluginsUnreserve(ctx, res.State, assumed, assumed.Spec.NodeName)
	}
	return s.cache.ForgetPod(assumed)
}

package framework

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// Framework runs the plugins of one profile at each extension point, with
// the rules of the real framework runtime: Skip bookkeeping, first failing
// Filter wins, scores normalized then weighted, Unreserve in reverse order.
// It holds no per-cycle state: that lives in the CycleState.
type Framework struct {
	profileName              string
	percentageOfNodesToScore *int32

	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []weightedScorer
	reserve    []ReservePlugin
	preBind    []PreBindPlugin
	bind       []BindPlugin
	postBind   []PostBindPlugin

	plugins     []Plugin
	enqueueExts []PluginEvents
}

type weightedScorer struct {
	pl     ScorePlugin
	ext    ScoreExtensions
	weight int64
}

// PluginEvents are the cluster events after which a pod rejected by Plugin
// is worth retrying.
type PluginEvents struct {
	Plugin string
	Events []ClusterEventWithHint
}

// handle is the Handle of a Scheduler's profiles, before NewFramework
// ties it to one framework (frameworkHandle).
type handle struct {
	lister    SharedLister
	nominator *Nominator
	pdbs      func() []*api.PodDisruptionBudget
	rng       *rand.Rand
}

func (h handle) SnapshotSharedLister() SharedLister { return h.lister }

func (h handle) NominatedPodsForNode(nodeName string) []*PodInfo {
	return h.nominator.NominatedPodsForNode(nodeName)
}

func (h handle) RunFilterPluginsWithNominatedPods(context.Context, *CycleState, *api.Pod, *NodeInfo) *Status {
	return AsStatus(fmt.Errorf("handle is not tied to a framework"))
}

func (h handle) PodDisruptionBudgets() []*api.PodDisruptionBudget {
	if h.pdbs == nil {
		return nil
	}
	return h.pdbs()
}

func (h handle) Rand() *rand.Rand { return h.rng }

// frameworkHandle is the Handle a profile's plugins get: the shared one,
// plus the profile's own filters.
type frameworkHandle struct {
	Handle
	f *Framework
}

func (h frameworkHandle) RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status {
	return h.f.RunFilterPluginsWithNominatedPods(ctx, state, pod, nodeInfo, h.Handle.NominatedPodsForNode(nodeInfo.Node().Name))
}

// NewHandle returns a Handle over lister, for building plugins outside a
// Scheduler (in tests): no nominated pods, no budgets, no random source.
func NewHandle(lister SharedLister) Handle { return handle{lister: lister} }

// NewFramework instantiates the profile's plugins from the registry, in
// profile order, and wires each into every extension point it implements.
func NewFramework(registry Registry, profile Profile, h Handle) (*Framework, error) {
	f := &Framework{profileName: profile.SchedulerName, percentageOfNodesToScore: profile.PercentageOfNodesToScore}
	if f.profileName == "" {
		f.profileName = api.DefaultSchedulerName
	}
	seen := map[string]bool{}
	for _, spec := range profile.Plugins {
		if seen[spec.Name] {
			return nil, fmt.Errorf("profile %q: plugin %q is enabled twice", f.profileName, spec.Name)
		}
		seen[spec.Name] = true
		factory, ok := registry[spec.Name]
		if !ok {
			return nil, fmt.Errorf("profile %q: plugin %q does not exist", f.profileName, spec.Name)
		}
		pl, err := factory(spec.Args, frameworkHandle{Handle: h, f: f})
		if err != nil {
			return nil, fmt.Errorf("profile %q: initializing plugin %q: %w", f.profileName, spec.Name, err)
		}
		if pl.Name() != spec.Name {
			return nil, fmt.Errorf("profile %q: plugin registered as %q calls itself %q", f.profileName, spec.Name, pl.Name())
		}
		if spec.Weight < 0 {
			return nil, fmt.Errorf("profile %q: plugin %q: weight %d must not be negative", f.profileName, spec.Name, spec.Weight)
		}
		f.add(pl, spec.Weight)
	}
	return f, nil
}

func (f *Framework) add(pl Plugin, weight int32) {
	f.plugins = append(f.plugins, pl)
	canReject := false
	if p, ok := pl.(PreFilterPlugin); ok {
		f.preFilter = append(f.preFilter, p)
		canReject = true
	}
	if p, ok := pl.(FilterPlugin); ok {
		f.filter = append(f.filter, p)
		canReject = true
	}
	if p, ok := pl.(PostFilterPlugin); ok {
		f.postFilter = append(f.postFilter, p)
	}
	if p, ok := pl.(PreScorePlugin); ok {
		f.preScore = append(f.preScore, p)
	}
	if p, ok := pl.(ScorePlugin); ok {
		if weight == 0 {
			weight = 1
		}
		f.score = append(f.score, weightedScorer{pl: p, ext: p.ScoreExtensions(), weight: int64(weight)})
	}
	if p, ok := pl.(ReservePlugin); ok {
		f.reserve = append(f.reserve, p)
		canReject = true
	}
	if p, ok := pl.(PreBindPlugin); ok {
		f.preBind = append(f.preBind, p)
		canReject = true
	}
	if p, ok := pl.(BindPlugin); ok {
		f.bind = append(f.bind, p)
	}
	if p, ok := pl.(PostBindPlugin); ok {
		f.postBind = append(f.postBind, p)
	}
	switch p := pl.(type) {
	case EnqueueExtensions:
		f.enqueueExts = append(f.enqueueExts, PluginEvents{Plugin: p.Name(), Events: p.EventsToRegister()})
	default:
		if canReject {
			// A plugin that can reject pods but does not say which events
			// help is assumed to care about every event, as in Kubernetes.
			f.enqueueExts = append(f.enqueueExts, PluginEvents{Plugin: pl.Name(),
				Events: []ClusterEventWithHint{{Event: ClusterEvent{Resource: WildCard, ActionType: All}}}})
		}
	}
}

// ProfileName is the scheduler name the framework serves.
func (f *Framework) ProfileName() string { return f.profileName }

// PercentageOfNodesToScore is the profile's override, or nil.
func (f *Framework) PercentageOfNodesToScore() *int32 { return f.percentageOfNodesToScore }

// HasFilterPlugins reports whether any Filter plugin is enabled.
func (f *Framework) HasFilterPlugins() bool { return len(f.filter) > 0 }

// HasScorePlugins reports whether any Score plugin is enabled.
func (f *Framework) HasScorePlugins() bool { return len(f.score) > 0 }

// HasPostFilterPlugins reports whether any PostFilter plugin is enabled.
func (f *Framework) HasPostFilterPlugins() bool { return len(f.postFilter) > 0 }

// PluginNames returns the enabled plugins in profile order.
func (f *Framework) PluginNames() []string {
	out := make([]string, len(f.plugins))
	for i, p := range f.plugins {
		out[i] = p.Name()
	}
	return out
}

// Plugin returns the enabled plugin called name, or nil.
func (f *Framework) Plugin(name string) Plugin {
	for _, p := range f.plugins {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// EnqueueExtensions returns, for every plugin that can reject a pod, the
// events it registered; the scheduling queue is built from it.
func (f *Framework) EnqueueExtensions() []PluginEvents { return slices.Clone(f.enqueueExts) }

// RunPreFilterPlugins runs every PreFilter plugin. It returns the merged
// PreFilterResult, a status, and the plugins that narrowed or rejected the
// node set (the unschedulable plugins of the cycle, should it fail there).
//
// An UnschedulableAndUnresolvable status stops at once; an Unschedulable one
// lets the remaining PreFilters run (the real scheduler needs their state
// for preemption) and is returned at the end. If the intersection of the
// results is empty, the cycle fails with "node(s) didn't satisfy plugin(s)
// [A B] simultaneously".
func (f *Framework) RunPreFilterPlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) (*PreFilterResult, *Status, []string) {
	var result *PreFilterResult
	var returnStatus *Status
	var pluginsWithNodes []string
	state.skipFilter = state.skipFilter[:0]
	for _, pl := range f.preFilter {
		r, s := pl.PreFilter(ctx, state, pod, nodes)
		if s.IsSkip() {
			state.skipFilter = append(state.skipFilter, pl.Name())
			continue
		}
		if !s.IsSuccess() {
			s.SetPlugin(pl.Name())
			switch s.Code() {
			case UnschedulableAndUnresolvable:
				f.setActiveFilters(state)
				return nil, s, []string{pl.Name()}
			case Unschedulable:
				returnStatus = s
				continue
			}
			return nil, AsStatus(fmt.Errorf("running PreFilter plugin %q: %w", pl.Name(), s.AsError())).WithPlugin(pl.Name()), nil
		}
		if !r.AllNodes() {
			pluginsWithNodes = append(pluginsWithNodes, pl.Name())
		}
		result = result.Merge(r)
		if !result.AllNodes() && len(result.NodeNames) == 0 {
			slices.Sort(pluginsWithNodes)
			msg := fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", pluginsWithNodes)
			if len(pluginsWithNodes) == 1 {
				msg = fmt.Sprintf("node(s) didn't satisfy plugin %v", pluginsWithNodes[0])
			}
			f.setActiveFilters(state)
			return result, NewStatus(UnschedulableAndUnresolvable, msg), pluginsWithNodes
		}
	}
	f.setActiveFilters(state)
	if returnStatus != nil {
		return nil, returnStatus, []string{returnStatus.Plugin()}
	}
	slices.Sort(pluginsWithNodes)
	return result, nil, pluginsWithNodes
}

func (f *Framework) setActiveFilters(state *CycleState) {
	state.filters = state.filters[:0]
	for _, pl := range f.filter {
		if !slices.Contains(state.skipFilter, pl.Name()) {
			state.filters = append(state.filters, pl)
		}
	}
	if state.filters == nil {
		state.filters = []FilterPlugin{}
	}
}

// RunFilterPlugins runs the Filter plugins (except those skipped in
// PreFilter) on one node, stopping at the first that rejects it. The
// returned status carries the rejecting plugin's name.
func (f *Framework) RunFilterPlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status {
	if state.filters == nil {
		f.setActiveFilters(state)
	}
	for _, pl := range state.filters {
		if s := pl.Filter(ctx, state, pod, nodeInfo); !s.IsSuccess() {
			if !s.IsRejected() {
				s = AsStatus(fmt.Errorf("running %q filter plugin: %w", pl.Name(), s.AsError()))
			}
			s.SetPlugin(pl.Name())
			return s
		}
	}
	return nil
}

// RunFilterPluginsWithNominatedPods runs the filters the way the real
// framework does when pods are nominated to the node: first with the
// nominated pods of equal or higher priority (other than pod itself)
// added to a copy of nodeInfo, so that pod does not take the room
// preemption made for them; then, if that passed and pods were added,
// once more without them (a filter such as pod affinity could pass only
// because of them). nominated is the node's nominated pods.
//
// kubesim simplification: the added pods are not run through PreFilter
// extensions, so pod (anti-)affinity and topology spreading state counts
// the node's bound pods only; resources and ports see the nominated pods.
func (f *Framework) RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *api.Pod, nodeInfo *NodeInfo, nominated []*PodInfo) *Status {
	withNominated := addGENominatedPods(pod, nodeInfo, nominated)
	if withNominated == nil {
		return f.RunFilterPlugins(ctx, state, pod, nodeInfo)
	}
	if s := f.RunFilterPlugins(ctx, state, pod, withNominated); !s.IsSuccess() {
		return s
	}
	return f.RunFilterPlugins(ctx, state, pod, nodeInfo)
}

// addGENominatedPods is a copy of nodeInfo with the nominated pods of
// priority >= pod's added, or nil when there are none.
func addGENominatedPods(pod *api.Pod, nodeInfo *NodeInfo, nominated []*PodInfo) *NodeInfo {
	if len(nominated) == 0 {
		return nil
	}
	var out *NodeInfo
	prio, key := PodPriority(pod), PodKey(pod)
	for _, pi := range nominated {
		if PodPriority(pi.Pod) < prio || PodKey(pi.Pod) == key {
			continue
		}
		if out == nil {
			out = nodeInfo.Snapshot()
		}
		out.AddPodInfo(pi)
	}
	return out
}

// PodPriority is spec.priority, 0 when unset (as corev1helpers.PodPriority).
func PodPriority(p *api.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// RunPostFilterPlugins runs the PostFilter plugins until one succeeds, one
// returns UnschedulableAndUnresolvable, or one errs. Otherwise it returns
// Unschedulable with all their reasons.
func (f *Framework) RunPostFilterPlugins(ctx context.Context, state *CycleState, pod *api.Pod, statuses *NodeToStatus) (*PostFilterResult, *Status) {
	var result *PostFilterResult
	var reasons []string
	rejector := ""
	for _, pl := range f.postFilter {
		r, s := pl.PostFilter(ctx, state, pod, statuses)
		switch {
		case s.IsSuccess():
			return r, s
		case s.Code() == UnschedulableAndUnresolvable:
			return r, s.WithPlugin(pl.Name())
		case !s.IsRejected():
			return nil, AsStatus(s.AsError()).WithPlugin(pl.Name())
		}
		if r != nil {
			result = r
		}
		reasons = append(reasons, s.Reasons()...)
		if rejector == "" {
			rejector = pl.Name()
		}
	}
	return result, NewStatus(Unschedulable, reasons...).WithPlugin(rejector)
}

// RunPreScorePlugins runs the PreScore plugins with the feasible nodes and
// records which Score plugins to skip.
func (f *Framework) RunPreScorePlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) *Status {
	state.skipScore = state.skipScore[:0]
	for _, pl := range f.preScore {
		s := pl.PreScore(ctx, state, pod, nodes)
		if s.IsSkip() {
			state.skipScore = append(state.skipScore, pl.Name())
			continue
		}
		if !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running PreScore plugin %q: %w", pl.Name(), s.AsError()))
		}
	}
	state.scorers = state.scorers[:0]
	for _, ws := range f.score {
		if !slices.Contains(state.skipScore, ws.pl.Name()) {
			state.scorers = append(state.scorers, ws)
		}
	}
	return nil
}

// ScoreBuffer holds one cycle's scores. The Scheduler reuses one between
// cycles so that scoring allocates nothing in the steady state.
type ScoreBuffer struct {
	// Plugins are the plugins that scored, in profile order.
	Plugins []string
	// PerPlugin[i][j] is plugin i's weighted score for node j.
	PerPlugin []NodeScoreList
	// Totals[j] is node j's total weighted score.
	Totals []int64
}

func (b *ScoreBuffer) reset(numPlugins, numNodes int) {
	b.Plugins = b.Plugins[:0]
	for len(b.PerPlugin) < numPlugins {
		b.PerPlugin = append(b.PerPlugin, nil)
	}
	b.PerPlugin = b.PerPlugin[:numPlugins]
	for i := range b.PerPlugin {
		b.PerPlugin[i] = slices.Grow(b.PerPlugin[i][:0], numNodes)[:numNodes]
	}
	b.Totals = slices.Grow(b.Totals[:0], numNodes)[:numNodes]
	clear(b.Totals)
}

// NodePluginScores converts the buffer into per-node explanations.
func (b *ScoreBuffer) NodePluginScores(nodes []*NodeInfo) []NodePluginScores {
	out := make([]NodePluginScores, len(nodes))
	for j, n := range nodes {
		out[j] = NodePluginScores{Name: n.Node().Name, TotalScore: b.Totals[j], Scores: make([]PluginScore, len(b.Plugins))}
		for i, name := range b.Plugins {
			out[j].Scores[i] = PluginScore{Name: name, Score: b.PerPlugin[i][j].Score}
		}
	}
	return out
}

// RunScorePlugins scores nodes with every Score plugin not skipped in
// PreScore, normalizes each plugin's scores, checks they lie in
// [MinNodeScore, MaxNodeScore], weights and sums them.
func (f *Framework) RunScorePlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) ([]NodePluginScores, *Status) {
	var buf ScoreBuffer
	if s := f.RunScorePluginsInto(ctx, state, pod, nodes, &buf); !s.IsSuccess() {
		return nil, s
	}
	return buf.NodePluginScores(nodes), nil
}

// RunScorePluginsInto is RunScorePlugins writing into a reusable buffer.
func (f *Framework) RunScorePluginsInto(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo, buf *ScoreBuffer) *Status {
	if state.scorers == nil && len(state.skipScore) == 0 {
		state.scorers = slices.Clone(f.score)
	}
	buf.reset(len(state.scorers), len(nodes))
	for i, ws := range state.scorers {
		buf.Plugins = append(buf.Plugins, ws.pl.Name())
		list := buf.PerPlugin[i]
		for j, n := range nodes {
			s, st := ws.pl.Score(ctx, state, pod, n)
			if !st.IsSuccess() {
				return AsStatus(fmt.Errorf("running Score plugins: plugin %q failed with: %w", ws.pl.Name(), st.AsError()))
			}
			list[j] = NodeScore{Name: n.node.Name, Score: s}
		}
		if ws.ext != nil {
			if st := ws.ext.NormalizeScore(ctx, state, pod, list); !st.IsSuccess() {
				return AsStatus(fmt.Errorf("running Normalize on Score plugins: plugin %q failed with: %w", ws.pl.Name(), st.AsError()))
			}
		}
		for j := range list {
			s := list[j].Score
			if s > MaxNodeScore || s < MinNodeScore {
				return AsStatus(fmt.Errorf("applying score defaultWeights on Score plugins: plugin %q returns an invalid score %v, it should in the range of [%v, %v] after normalizing", ws.pl.Name(), s, MinNodeScore, MaxNodeScore))
			}
			list[j].Score = s * ws.weight
			buf.Totals[j] += list[j].Score
		}
	}
	return nil
}

// RunReservePluginsReserve runs Reserve in order, stopping at the first
// failure (the caller then runs Unreserve).
func (f *Framework) RunReservePluginsReserve(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status {
	for _, pl := range f.reserve {
		if s := pl.Reserve(ctx, state, pod, nodeName); !s.IsSuccess() {
			if s.IsRejected() {
				return s.WithPlugin(pl.Name())
			}
			return AsStatus(fmt.Errorf("running Reserve plugin %q: %w", pl.Name(), s.AsError())).WithPlugin(pl.Name())
		}
	}
	return nil
}

// RunReservePluginsUnreserve runs Unreserve in reverse order.
func (f *Framework) RunReservePluginsUnreserve(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) {
	for i := len(f.reserve) - 1; i >= 0; i-- {
		f.reserve[i].Unreserve(ctx, state, pod, nodeName)
	}
}

// RunPreBindPlugins runs PreBind in order, stopping at the first failure.
func (f *Framework) RunPreBindPlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status {
	for _, pl := range f.preBind {
		if s := pl.PreBind(ctx, state, pod, nodeName); !s.IsSuccess() {
			if s.IsRejected() {
				return s.WithPlugin(pl.Name())
			}
			return AsStatus(fmt.Errorf("running PreBind plugin %q: %w", pl.Name(), s.AsError()))
		}
	}
	return nil
}

// RunBindPlugins tries the binders in order until one does not Skip. With
// no binder at all it returns Skip: the caller binds by itself.
func (f *Framework) RunBindPlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status {
	if len(f.bind) == 0 {
		return NewStatus(Skip)
	}
	var s *Status
	for _, pl := range f.bind {
		s = pl.Bind(ctx, state, pod, nodeName)
		if s.IsSkip() {
			continue
		}
		if !s.IsSuccess() {
			if s.IsRejected() {
				return s.WithPlugin(pl.Name())
			}
			return AsStatus(fmt.Errorf("running Bind plugin %q: %w", pl.Name(), s.AsError()))
		}
		return s
	}
	return s
}

// RunPostBindPlugins informs the PostBind plugins.
func (f *Framework) RunPostBindPlugins(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) {
	for _, pl := range f.postBind {
		pl.PostBind(ctx, state, pod, nodeName)
	}
}

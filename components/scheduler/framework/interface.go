package framework

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// Score bounds: every Score plugin's scores must lie in [MinNodeScore,
// MaxNodeScore] after NormalizeScore; the framework then multiplies them
// by the plugin's weight and sums.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is the parent of every extension-point interface. Name is the
// name the plugin is registered and configured under.
type Plugin interface {
	Name() string
}

// PreFilterPlugin runs once per scheduling cycle, before any Filter. It
// precomputes what Filter needs (into the CycleState) and may:
//   - return Skip: the plugin has nothing to check for this pod, and its
//     Filter is not called in this cycle;
//   - return Unschedulable(AndUnresolvable): the cycle fails for every node
//     with this status's message;
//   - return a PreFilterResult naming the only nodes worth filtering.
//
// nodes are all nodes of the snapshot, in snapshot order.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) (*PreFilterResult, *Status)
}

// FilterPlugin decides whether the pod may run on one node. It must not
// modify nodeInfo. A rejection returns Unschedulable or
// UnschedulableAndUnresolvable with a reason that ends up, counted, in the
// FailedScheduling message.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status
}

// PostFilterPlugin runs only when no node passed the filters (the default
// one in Kubernetes is DefaultPreemption). The first plugin to return
// Success wins; its PostFilterResult may nominate a node. The messages of
// unsuccessful plugins are appended to the FailedScheduling message.
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *api.Pod, statuses *NodeToStatus) (*PostFilterResult, *Status)
}

// PreScorePlugin runs once per cycle before Score, with the feasible nodes.
// Returning Skip skips the plugin's Score in this cycle.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *api.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks one feasible node. Raw scores may be on any scale as
// long as ScoreExtensions().NormalizeScore (if any) brings them into
// [MinNodeScore, MaxNodeScore].
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) (int64, *Status)
	// ScoreExtensions returns nil when the plugin's scores need no
	// normalization.
	ScoreExtensions() ScoreExtensions
}

// ScoreExtensions normalizes one plugin's scores across all feasible nodes
// (for example "the node with the most matching pods gets 100").
type ScoreExtensions interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *api.Pod, scores NodeScoreList) *Status
}

// ReservePlugin is told when the scheduler assumes a pod onto a node
// (Reserve) and when that decision is rolled back because a later step
// failed (Unreserve, in reverse plugin order). Plugins that keep their own
// bookkeeping use it; Unreserve must be idempotent.
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string)
}

// PreBindPlugin runs before binding (volume binding in Kubernetes). A
// failure aborts the binding and unreserves the pod.
type PreBindPlugin interface {
	Plugin
	PreBind(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status
}

// BindPlugin binds the pod to the node. Binders are tried in order; one
// returning Skip passes to the next. The default one (DefaultBinder) posts
// a Binding to the apiserver.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string) *Status
}

// PostBindPlugin is informed after a successful bind.
type PostBindPlugin interface {
	Plugin
	PostBind(ctx context.Context, state *CycleState, pod *api.Pod, nodeName string)
}

// EnqueueExtensions is implemented by plugins that can reject pods: it lists
// the cluster events after which a pod rejected by this plugin is worth
// retrying. The scheduling queue uses it to leave pods alone until
// something relevant happens.
type EnqueueExtensions interface {
	Plugin
	EventsToRegister() []ClusterEventWithHint
}

// NodeScore is one node's score from one plugin.
type NodeScore struct {
	Name  string
	Score int64
}

// NodeScoreList is one plugin's scores for the feasible nodes, in the order
// of the feasible-node list.
type NodeScoreList []NodeScore

// PluginScore is one plugin's weighted contribution to a node's score.
type PluginScore struct {
	Name  string
	Score int64
}

// NodePluginScores explains one node's total score.
type NodePluginScores struct {
	Name       string
	Scores     []PluginScore
	TotalScore int64
}

// PreFilterResult restricts the nodes the Filter phase looks at. A nil
// result, or one with nil NodeNames, means all nodes.
type PreFilterResult struct {
	NodeNames map[string]struct{}
}

// NewPreFilterResult returns a result naming exactly names.
func NewPreFilterResult(names ...string) *PreFilterResult {
	r := &PreFilterResult{NodeNames: make(map[string]struct{}, len(names))}
	for _, n := range names {
		r.NodeNames[n] = struct{}{}
	}
	return r
}

// AllNodes reports whether the result does not restrict nodes.
func (p *PreFilterResult) AllNodes() bool { return p == nil || p.NodeNames == nil }

// Merge intersects two results.
func (p *PreFilterResult) Merge(in *PreFilterResult) *PreFilterResult {
	if p.AllNodes() && in.AllNodes() {
		return nil
	}
	if p.AllNodes() {
		return &PreFilterResult{NodeNames: maps.Clone(in.NodeNames)}
	}
	if in.AllNodes() {
		return &PreFilterResult{NodeNames: maps.Clone(p.NodeNames)}
	}
	out := &PreFilterResult{NodeNames: map[string]struct{}{}}
	for n := range p.NodeNames {
		if _, ok := in.NodeNames[n]; ok {
			out.NodeNames[n] = struct{}{}
		}
	}
	return out
}

// SortedNames returns the node names in order, for deterministic use.
func (p *PreFilterResult) SortedNames() []string {
	return slices.Sorted(maps.Keys(p.NodeNames))
}

// PostFilterResult is what a successful PostFilter decides.
type PostFilterResult struct {
	// NominatedNodeName is the node the pod should be retried on.
	NominatedNodeName string
	// Victims are the pods to evict so that the pod fits on
	// NominatedNodeName, highest priority first. The real plugin deletes
	// them itself; here plugins own no client, so the scheduler actor
	// carries the decision out (DisruptionTarget condition, graceful
	// delete, Preempted event).
	Victims []*api.Pod
	// Record is a typed account of how the plugin decided, for the trace
	// and narration (DefaultPreemption's is a *plugins.PreemptionRecord).
	Record any
	// KeepNomination leaves the pod's status.nominatedNodeName as it is
	// (the real NominatingInfo's ModeNoop); otherwise NominatedNodeName
	// replaces it, an empty one clearing it.
	KeepNomination bool
}

// NodeToStatus records why each rejected node was rejected. Nodes that were
// never filtered (because a PreFilter narrowed the search, or failed) get
// the absent-nodes status.
type NodeToStatus struct {
	statuses map[string]*Status
	absent   *Status
}

// NewNodeToStatus returns an empty map whose absent nodes are
// UnschedulableAndUnresolvable without reasons.
func NewNodeToStatus() *NodeToStatus {
	return &NodeToStatus{statuses: map[string]*Status{}, absent: NewStatus(UnschedulableAndUnresolvable)}
}

// Set records node's status.
func (m *NodeToStatus) Set(node string, s *Status) { m.statuses[node] = s }

// Get returns node's status: recorded, or the absent-nodes status.
func (m *NodeToStatus) Get(node string) *Status {
	if s, ok := m.statuses[node]; ok {
		return s
	}
	return m.absent
}

// Len is the number of nodes with a recorded status.
func (m *NodeToStatus) Len() int { return len(m.statuses) }

// SetAbsentNodesStatus sets the status of nodes not recorded.
func (m *NodeToStatus) SetAbsentNodesStatus(s *Status) { m.absent = s }

// AbsentNodesStatus returns the status of nodes not recorded.
func (m *NodeToStatus) AbsentNodesStatus() *Status { return m.absent }

// NodeNames returns the recorded nodes, sorted.
func (m *NodeToStatus) NodeNames() []string { return slices.Sorted(maps.Keys(m.statuses)) }

// SharedLister gives plugins read access to the cycle's snapshot.
type SharedLister interface {
	// List returns all nodes, in snapshot order.
	List() []*NodeInfo
	// Get returns one node.
	Get(nodeName string) (*NodeInfo, error)
	// HavePodsWithAffinityList returns the nodes that run pods with pod
	// (anti-)affinity.
	HavePodsWithAffinityList() []*NodeInfo
	// HavePodsWithRequiredAntiAffinityList returns the nodes that run pods
	// with required pod anti-affinity.
	HavePodsWithRequiredAntiAffinityList() []*NodeInfo
	// NamespaceLabels returns the labels of a namespace. A namespace the
	// cache was not told about has only kubernetes.io/metadata.name.
	NamespaceLabels(namespace string) map[string]string
	// Namespaces returns the namespaces known to the cache (those added
	// with AddNamespace and those of cached pods), sorted.
	Namespaces() []string
}

// Handle is what a plugin factory gets from the framework.
type Handle interface {
	// SnapshotSharedLister is the snapshot of the cycle being run.
	SnapshotSharedLister() SharedLister
	// NominatedPodsForNode returns the pods preemption nominated to the
	// node (none when the handle has no Nominator).
	NominatedPodsForNode(nodeName string) []*PodInfo
	// RunFilterPluginsWithNominatedPods runs the profile's filters on
	// nodeInfo with the nominated pods of equal or higher priority added
	// (see Framework.RunFilterPluginsWithNominatedPods).
	RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status
	// PodDisruptionBudgets lists the cluster's budgets, sorted by
	// namespace and name (none when the handle has no lister).
	PodDisruptionBudgets() []*api.PodDisruptionBudget
	// Rand is the scheduler's seeded source (nil outside a Scheduler).
	Rand() *rand.Rand
}

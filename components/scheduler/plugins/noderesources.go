package plugins

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// ScoringStrategyType names how NodeResourcesFit scores nodes.
type ScoringStrategyType string

// Scoring strategies.
const (
	// LeastAllocated (the default) prefers the emptiest nodes: it spreads.
	LeastAllocated ScoringStrategyType = "LeastAllocated"
	// MostAllocated prefers the fullest nodes: it bin-packs.
	MostAllocated ScoringStrategyType = "MostAllocated"
)

// ResourceSpec is a resource a scorer looks at, with its weight.
type ResourceSpec struct {
	Name   api.ResourceName
	Weight int64
}

// defaultResources are cpu and memory with weight 1 each, the default of
// both NodeResourcesFit scoring and NodeResourcesBalancedAllocation.
var defaultResources = []ResourceSpec{{Name: api.ResourceCPU, Weight: 1}, {Name: api.ResourceMemory, Weight: 1}}

// ScoringStrategy configures NodeResourcesFit's Score.
type ScoringStrategy struct {
	Type      ScoringStrategyType
	Resources []ResourceSpec
}

// NodeResourcesFitArgs configures NodeResourcesFit. The zero value is the
// default: LeastAllocated over cpu and memory, weight 1 each.
type NodeResourcesFitArgs struct {
	// IgnoredResources are extended resources the filter does not check.
	IgnoredResources []api.ResourceName
	ScoringStrategy  *ScoringStrategy
}

// NodeResourcesBalancedAllocationArgs configures
// NodeResourcesBalancedAllocation; nil Resources means cpu and memory.
type NodeResourcesBalancedAllocationArgs struct {
	Resources []ResourceSpec
}

// Reasons of NodeResourcesFit.
const (
	ErrReasonTooManyPods = "Too many pods"
	reasonCPU            = "Insufficient cpu"
	reasonMemory         = "Insufficient memory"
	reasonEphemeral      = "Insufficient ephemeral-storage"
)

// InsufficientResource describes one resource a node lacks for a pod.
type InsufficientResource struct {
	ResourceName api.ResourceName
	Reason       string
	Requested    int64
	Used         int64
	Capacity     int64
	// Unresolvable means the pod asks for more than the node has in total:
	// evicting pods would not help.
	Unresolvable bool
}

// Fits lists what node lacks for a pod requesting req (nil when it fits).
// The rules are NodeResourcesFit's: the node must have room for one more
// pod; then, for every resource the pod requests, used + request must not
// exceed allocatable — a pod that brings a node exactly to its allocatable
// fits.
func Fits(req *framework.Resource, ni *framework.NodeInfo, ignored []api.ResourceName) []InsufficientResource {
	var out []InsufficientResource
	if len(ni.Pods)+1 > ni.Allocatable.AllowedPodNumber {
		out = append(out, InsufficientResource{ResourceName: api.ResourcePods, Reason: ErrReasonTooManyPods,
			Requested: 1, Used: int64(len(ni.Pods)), Capacity: int64(ni.Allocatable.AllowedPodNumber)})
	}
	if req.MilliCPU == 0 && req.Memory == 0 && req.EphemeralStorage == 0 && len(req.ScalarResources) == 0 {
		return out
	}
	alloc, used := &ni.Allocatable, &ni.Requested
	if req.MilliCPU > 0 && req.MilliCPU > alloc.MilliCPU-used.MilliCPU {
		out = append(out, InsufficientResource{ResourceName: api.ResourceCPU, Reason: reasonCPU,
			Requested: req.MilliCPU, Used: used.MilliCPU, Capacity: alloc.MilliCPU, Unresolvable: req.MilliCPU > alloc.MilliCPU})
	}
	if req.Memory > 0 && req.Memory > alloc.Memory-used.Memory {
		out = append(out, InsufficientResource{ResourceName: api.ResourceMemory, Reason: reasonMemory,
			Requested: req.Memory, Used: used.Memory, Capacity: alloc.Memory, Unresolvable: req.Memory > alloc.Memory})
	}
	if req.EphemeralStorage > 0 && req.EphemeralStorage > alloc.EphemeralStorage-used.EphemeralStorage {
		out = append(out, InsufficientResource{ResourceName: api.ResourceEphemeralStorage, Reason: reasonEphemeral,
			Requested: req.EphemeralStorage, Used: used.EphemeralStorage, Capacity: alloc.EphemeralStorage,
			Unresolvable: req.EphemeralStorage > alloc.EphemeralStorage})
	}
	if len(req.ScalarResources) > 0 {
		names := make([]api.ResourceName, 0, len(req.ScalarResources))
		for name := range req.ScalarResources {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			q := req.ScalarResources[name]
			if q == 0 || slices.Contains(ignored, name) {
				continue
			}
			a, u := alloc.ScalarResources[name], used.ScalarResources[name]
			if q > a-u {
				out = append(out, InsufficientResource{ResourceName: name, Reason: "Insufficient " + string(name),
					Requested: q, Used: u, Capacity: a, Unresolvable: q > a})
			}
		}
	}
	return out
}

// ---------------------------------------------------------------- NodeResourcesFit

const (
	fitPreFilterKey framework.StateKey = "PreFilter" + NodeResourcesFitName
	fitPreScoreKey  framework.StateKey = "PreScore" + NodeResourcesFitName
)

// Fit is NodeResourcesFit: it filters out nodes without room for the pod's
// requests (cpu, memory, ephemeral storage, extended resources, and the
// pod count), and scores nodes by free capacity (LeastAllocated, default)
// or by used capacity (MostAllocated).
//
// The pod's request is ComputePodRequests: the larger of the sum of its
// containers and its largest init container, plus overhead. Filter reports
// every resource that is short ("Insufficient cpu", "Insufficient memory",
// "Too many pods"), so one node can count towards several reasons. The
// status is Unschedulable even when the pod asks for more than the node's
// whole allocatable, as in kube-scheduler v1.32 (later releases make that
// UnschedulableAndUnresolvable, which changes preemption's answer);
// InsufficientResource.Unresolvable still tells the two apart.
type Fit struct {
	ignored []api.ResourceName
	resourceAllocationScorer
}

var (
	_ framework.PreFilterPlugin   = (*Fit)(nil)
	_ framework.FilterPlugin      = (*Fit)(nil)
	_ framework.PreScorePlugin    = (*Fit)(nil)
	_ framework.ScorePlugin       = (*Fit)(nil)
	_ framework.EnqueueExtensions = (*Fit)(nil)
)

func newFit(args any, _ framework.Handle) (framework.Plugin, error) {
	var a NodeResourcesFitArgs
	switch v := args.(type) {
	case nil:
	case *NodeResourcesFitArgs:
		a = *v
	case NodeResourcesFitArgs:
		a = v
	default:
		return nil, errWrongArgs(args, &NodeResourcesFitArgs{})
	}
	strategy := ScoringStrategy{Type: LeastAllocated, Resources: defaultResources}
	if a.ScoringStrategy != nil {
		strategy = *a.ScoringStrategy
		if strategy.Type == "" {
			strategy.Type = LeastAllocated
		}
		if len(strategy.Resources) == 0 {
			strategy.Resources = defaultResources
		}
	}
	if err := validateResources(strategy.Resources); err != nil {
		return nil, err
	}
	switch strategy.Type {
	case LeastAllocated, MostAllocated:
	default:
		return nil, fmt.Errorf("scoring strategy %q is not supported", strategy.Type)
	}
	return &Fit{
		ignored: slices.Clone(a.IgnoredResources),
		resourceAllocationScorer: resourceAllocationScorer{
			name: NodeResourcesFitName, resources: slices.Clone(strategy.Resources), strategy: strategy.Type,
		},
	}, nil
}

func validateResources(rs []ResourceSpec) error {
	for _, r := range rs {
		if r.Weight <= 0 || r.Weight > 100 {
			return fmt.Errorf("resource %q: weight %d must be in [1, 100]", r.Name, r.Weight)
		}
	}
	return nil
}

// Name implements framework.Plugin.
func (*Fit) Name() string { return NodeResourcesFitName }

type fitState struct {
	framework.Resource
}

func (s *fitState) Clone() framework.StateData { return s }

// PreFilter computes the pod's requests once.
func (*Fit) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	state.Write(fitPreFilterKey, &fitState{framework.ComputePodRequests(pod, framework.PodRequestsOptions{})})
	return nil, nil
}

// Filter implements framework.FilterPlugin.
func (f *Fit) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readState[*fitState](state, fitPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	insufficient := Fits(&s.Resource, ni, f.ignored)
	if len(insufficient) == 0 {
		return nil
	}
	reasons := make([]string, len(insufficient))
	for i, r := range insufficient {
		reasons[i] = r.Reason
	}
	return framework.NewStatus(framework.Unschedulable, reasons...)
}

type resourceScoreState struct {
	podRequests []int64
}

func (s *resourceScoreState) Clone() framework.StateData { return s }

// PreScore computes the pod's requests for scoring: missing cpu and memory
// requests count as 100m and 200Mi, so that request-less pods spread too.
func (f *Fit) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(fitPreScoreKey, &resourceScoreState{podRequests: f.podRequestList(pod)})
	return nil
}

// Score implements framework.ScorePlugin.
func (f *Fit) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readState[*resourceScoreState](state, fitPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	return f.score(ni, s.podRequests), nil
}

// ScoreExtensions implements framework.ScorePlugin: scores are already on
// 0..100.
func (*Fit) ScoreExtensions() framework.ScoreExtensions { return nil }

// EventsToRegister implements framework.EnqueueExtensions: a pod that goes
// away or shrinks frees room; a new node, or one with more allocatable, may
// have room.
func (f *Fit) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Pod, ActionType: framework.Delete | framework.UpdatePodScaleDown}},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeAllocatable},
			QueueingHintFn: func(pod *api.Pod, _, newObj any) (framework.QueueingHint, error) {
				n := nodeOf(newObj)
				if n == nil {
					return framework.Queue, nil
				}
				// An empty node of this shape: could the pod ever fit?
				ni := framework.NewNodeInfo()
				ni.SetNode(n)
				req := framework.ComputePodRequests(pod, framework.PodRequestsOptions{})
				if len(Fits(&req, ni, f.ignored)) > 0 {
					return framework.QueueSkip, nil
				}
				return framework.Queue, nil
			}},
	}
}

// ---------------------------------------------------------------- NodeResourcesBalancedAllocation

const balancedPreScoreKey framework.StateKey = "PreScore" + NodeResourcesBalancedAllocation

// BalancedAllocation is NodeResourcesBalancedAllocation: it prefers nodes
// whose resources would be used evenly with the pod placed, scoring
// (1 - standard deviation of the used fractions) * 100; with cpu and memory
// the deviation is |cpuFraction - memoryFraction| / 2. Best-effort pods
// (no requests at all) are not scored by it, so that they do not all pile
// onto the same node.
type BalancedAllocation struct {
	resourceAllocationScorer
}

var (
	_ framework.PreScorePlugin = (*BalancedAllocation)(nil)
	_ framework.ScorePlugin    = (*BalancedAllocation)(nil)
)

func newBalancedAllocation(args any, _ framework.Handle) (framework.Plugin, error) {
	var a NodeResourcesBalancedAllocationArgs
	switch v := args.(type) {
	case nil:
	case *NodeResourcesBalancedAllocationArgs:
		a = *v
	case NodeResourcesBalancedAllocationArgs:
		a = v
	default:
		return nil, errWrongArgs(args, &NodeResourcesBalancedAllocationArgs{})
	}
	resources := a.Resources
	if len(resources) == 0 {
		resources = defaultResources
	}
	if err := validateResources(resources); err != nil {
		return nil, err
	}
	return &BalancedAllocation{resourceAllocationScorer{
		name: NodeResourcesBalancedAllocation, useRequested: true, resources: slices.Clone(resources), strategy: balanced,
	}}, nil
}

// Name implements framework.Plugin.
func (*BalancedAllocation) Name() string { return NodeResourcesBalancedAllocation }

// PreScore computes the pod's requests (as requested, no defaults) and
// skips best-effort pods.
func (b *BalancedAllocation) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	reqs := b.podRequestList(pod)
	bestEffort := true
	for _, r := range reqs {
		if r != 0 {
			bestEffort = false
			break
		}
	}
	if bestEffort {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(balancedPreScoreKey, &resourceScoreState{podRequests: reqs})
	return nil
}

// Score implements framework.ScorePlugin.
func (b *BalancedAllocation) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := readState[*resourceScoreState](state, balancedPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	return b.score(ni, s.podRequests), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (*BalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }

// ---------------------------------------------------------------- shared scoring

// resourceAllocationScorer is the common part of the resource scorers: it
// gathers, per configured resource, what the node would have requested
// with the pod and what it can allocate, and hands both to a scoring
// function.
type resourceAllocationScorer struct {
	name string
	// useRequested scores with the pods' actual requests; otherwise the
	// non-zero ones (missing cpu/memory count as 100m/200Mi).
	useRequested bool
	resources    []ResourceSpec
	// strategy picks the scoring function. It is a switch rather than a
	// function value so that the per-node buffers stay on the stack.
	strategy ScoringStrategyType
}

// balanced is BalancedAllocation's internal strategy.
const balanced ScoringStrategyType = "Balanced"

func (r *resourceAllocationScorer) podRequestList(pod *api.Pod) []int64 {
	req := framework.ComputePodRequests(pod, framework.PodRequestsOptions{NonZeroDefaults: !r.useRequested})
	out := make([]int64, len(r.resources))
	for i, res := range r.resources {
		switch res.Name {
		case api.ResourceCPU:
			out[i] = req.MilliCPU
		case api.ResourceMemory:
			out[i] = req.Memory
		case api.ResourceEphemeralStorage:
			out[i] = req.EphemeralStorage
		default:
			out[i] = req.ScalarResources[res.Name]
		}
	}
	return out
}

func (r *resourceAllocationScorer) score(ni *framework.NodeInfo, podRequests []int64) int64 {
	var reqBuf, allocBuf [8]int64
	n := len(r.resources)
	requested, allocatable := reqBuf[:0], allocBuf[:0]
	if n > len(reqBuf) {
		requested, allocatable = make([]int64, 0, n), make([]int64, 0, n)
	}
	requested, allocatable = requested[:n], allocatable[:n]
	for i := range r.resources {
		alloc, req := r.allocatableAndRequested(ni, r.resources[i].Name, podRequests[i])
		if alloc == 0 {
			requested[i], allocatable[i] = 0, 0
			continue
		}
		requested[i], allocatable[i] = req, alloc
	}
	switch r.strategy {
	case LeastAllocated:
		return leastResourceScore(requested, allocatable, r.resources)
	case MostAllocated:
		return mostResourceScore(requested, allocatable, r.resources)
	}
	return balancedResourceScore(requested, allocatable)
}

// allocatableAndRequested returns the node's allocatable and what would be
// requested with the pod. An extended resource the pod does not ask for is
// (0, 0): it is left out of the score.
func (r *resourceAllocationScorer) allocatableAndRequested(ni *framework.NodeInfo, name api.ResourceName, podRequest int64) (int64, int64) {
	requested := &ni.NonZeroRequested
	if r.useRequested {
		requested = &ni.Requested
	}
	switch name {
	case api.ResourceCPU:
		return ni.Allocatable.MilliCPU, requested.MilliCPU + podRequest
	case api.ResourceMemory:
		return ni.Allocatable.Memory, requested.Memory + podRequest
	case api.ResourceEphemeralStorage:
		return ni.Allocatable.EphemeralStorage, ni.Requested.EphemeralStorage + podRequest
	}
	if podRequest == 0 {
		return 0, 0
	}
	if a, ok := ni.Allocatable.ScalarResources[name]; ok {
		return a, ni.Requested.ScalarResources[name] + podRequest
	}
	return 0, 0
}

// leastResourceScore: per resource (allocatable - requested) * 100 /
// allocatable (0 when over-committed), then the weighted mean.
func leastResourceScore(requested, allocatable []int64, resources []ResourceSpec) int64 {
	var score, weights int64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		w := resources[i].Weight
		s := int64(0)
		if requested[i] <= allocatable[i] {
			s = (allocatable[i] - requested[i]) * framework.MaxNodeScore / allocatable[i]
		}
		score += s * w
		weights += w
	}
	if weights == 0 {
		return 0
	}
	return score / weights
}

// mostResourceScore: per resource requested * 100 / allocatable (capped
// at 100), then the weighted mean.
func mostResourceScore(requested, allocatable []int64, resources []ResourceSpec) int64 {
	var score, weights int64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		w := resources[i].Weight
		req := min(requested[i], allocatable[i])
		score += req * framework.MaxNodeScore / allocatable[i] * w
		weights += w
	}
	if weights == 0 {
		return 0
	}
	return score / weights
}

// balancedResourceScore: (1 - std(fractions)) * 100, fractions capped at 1.
func balancedResourceScore(requested, allocatable []int64) int64 {
	var buf [8]float64
	fractions := buf[:0]
	var total float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		f := float64(requested[i]) / float64(allocatable[i])
		if f > 1 {
			f = 1
		}
		total += f
		fractions = append(fractions, f)
	}
	std := 0.0
	switch n := len(fractions); {
	case n == 2:
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	case n > 2:
		mean := total / float64(n)
		var sum float64
		for _, f := range fractions {
			sum += (f - mean) * (f - mean)
		}
		std = math.Sqrt(sum / float64(n))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}

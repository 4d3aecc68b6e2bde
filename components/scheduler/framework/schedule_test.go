package framework_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// fakeFilter rejects the nodes it names, with the given code and reason.
type fakeFilter struct {
	name   string
	reject map[string]*framework.Status
	calls  int
}

func (f *fakeFilter) Name() string { return f.name }

func (f *fakeFilter) Filter(_ context.Context, _ *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	f.calls++
	if s, ok := f.reject[ni.Node().Name]; ok {
		return framework.NewStatus(s.Code(), s.Reasons()...)
	}
	return nil
}

// fakePreFilter returns a fixed result and status.
type fakePreFilter struct {
	name   string
	result *framework.PreFilterResult
	status *framework.Status
}

func (f *fakePreFilter) Name() string { return f.name }

func (f *fakePreFilter) PreFilter(context.Context, *framework.CycleState, *api.Pod, []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	if f.status != nil {
		return f.result, framework.NewStatus(f.status.Code(), f.status.Reasons()...)
	}
	return f.result, nil
}

// fakeScore scores a node by a fixed table (default 0) and counts calls.
type fakeScore struct {
	name   string
	scores map[string]int64
	calls  int
}

func (f *fakeScore) Name() string { return f.name }

func (f *fakeScore) Score(_ context.Context, _ *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	f.calls++
	return f.scores[ni.Node().Name], nil
}

func (f *fakeScore) ScoreExtensions() framework.ScoreExtensions { return nil }

// recorder is a Reserve and Bind plugin that logs calls.
type recorder struct {
	name    string
	log     *[]string
	failOn  string
	bindErr error
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Reserve(_ context.Context, _ *framework.CycleState, _ *api.Pod, node string) *framework.Status {
	*r.log = append(*r.log, r.name+".Reserve("+node+")")
	if r.failOn == "Reserve" {
		return framework.NewStatus(framework.Unschedulable, "no room in "+r.name)
	}
	return nil
}

func (r *recorder) Unreserve(_ context.Context, _ *framework.CycleState, _ *api.Pod, node string) {
	*r.log = append(*r.log, r.name+".Unreserve("+node+")")
}

func (r *recorder) Bind(_ context.Context, _ *framework.CycleState, pod *api.Pod, node string) *framework.Status {
	*r.log = append(*r.log, r.name+".Bind("+pod.Name+","+node+")")
	return framework.AsStatus(r.bindErr)
}

func newTestScheduler(t *testing.T, nodes []*api.Node, seed uint64, percentage int32, plugins ...framework.Plugin) *framework.Scheduler {
	t.Helper()
	reg := framework.Registry{}
	prof := framework.Profile{SchedulerName: api.DefaultSchedulerName}
	for _, p := range plugins {
		require.NoError(t, reg.Register(p.Name(), framework.FactoryOf(p)))
		prof.Plugins = append(prof.Plugins, framework.PluginSpec{Name: p.Name()})
	}
	cache := framework.NewCache()
	for _, n := range nodes {
		cache.AddNode(n)
	}
	s, err := framework.NewScheduler(cache, framework.Config{
		Registry: reg, Profiles: []framework.Profile{prof}, Rand: rand.New(rand.NewPCG(seed, 0)),
		PercentageOfNodesToScore: percentage,
	})
	require.NoError(t, err)
	return s
}

func makeNodes(n int) []*api.Node {
	out := make([]*api.Node, n)
	for i := range out {
		out[i] = st.MakeNode(fmt.Sprintf("n%03d", i)).Capacity("4", "8Gi", 110).Obj()
	}
	return out
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	s := newTestScheduler(t, nil, 1, 0, &fakeFilter{name: "F"})
	ten := int32(10)
	tests := []struct {
		name       string
		numNodes   int
		global     int32
		profile    *int32
		wantToFind int
	}{
		{name: "below 100 nodes: all", numNodes: 99, wantToFind: 99},
		{name: "100 nodes: 49% is below the floor of 100", numNodes: 100, wantToFind: 100},
		{name: "1000 nodes: 50-8 = 42%", numNodes: 1000, wantToFind: 420},
		{name: "5000 nodes: 50-40 = 10%", numNodes: 5000, wantToFind: 500},
		{name: "6000 nodes: the 5% floor", numNodes: 6000, wantToFind: 300},
		{name: "profile percentage wins", numNodes: 5000, profile: &ten, wantToFind: 500},
		{name: "profile percentage, at least 100 nodes", numNodes: 500, profile: &ten, wantToFind: 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantToFind, s.NumFeasibleNodesToFind(tc.profile, tc.numNodes))
		})
	}
}

func TestSearchStopsEarlyAndResumes(t *testing.T) {
	filter := &fakeFilter{name: "F"}
	score := &fakeScore{name: "S"}
	s := newTestScheduler(t, makeNodes(1000), 1, 0, filter, score)
	ctx := context.Background()

	res, err := s.Schedule(ctx, st.MakePod("p1").Obj())
	require.NoError(t, err)
	assert.Equal(t, 420, res.EvaluatedNodes, "42% of 1000 nodes")
	assert.Equal(t, 420, res.FeasibleNodes)
	assert.Equal(t, 420, filter.calls)
	assert.Equal(t, 420, s.NextStartNodeIndex())

	_, err = s.Schedule(ctx, st.MakePod("p2").Obj())
	require.NoError(t, err)
	assert.Equal(t, 840, s.NextStartNodeIndex())
	_, err = s.Schedule(ctx, st.MakePod("p3").Obj())
	require.NoError(t, err)
	assert.Equal(t, 260, s.NextStartNodeIndex(), "the index wraps around")
}

func TestRejectedNodesCountAsProcessed(t *testing.T) {
	reject := map[string]*framework.Status{}
	for i := 0; i < 150; i++ {
		reject[fmt.Sprintf("n%03d", i)] = framework.NewStatus(framework.Unschedulable, "nope")
	}
	s := newTestScheduler(t, makeNodes(200), 1, 0, &fakeFilter{name: "F", reject: reject}, &fakeScore{name: "S"})
	res, err := s.Schedule(context.Background(), st.MakePod("p").Obj())
	require.NoError(t, err)
	// 200 nodes: find 100 feasible, but only 50 exist: all 200 examined.
	assert.Equal(t, 200, res.EvaluatedNodes)
	assert.Equal(t, 50, res.FeasibleNodes)
	assert.Equal(t, 0, s.NextStartNodeIndex())
}

func TestOneFeasibleNodeIsNotScored(t *testing.T) {
	score := &fakeScore{name: "S"}
	filter := &fakeFilter{name: "F", reject: map[string]*framework.Status{
		"n000": framework.NewStatus(framework.Unschedulable, "nope"),
		"n002": framework.NewStatus(framework.Unschedulable, "nope"),
	}}
	s := newTestScheduler(t, makeNodes(3), 1, 0, filter, score)
	res, err := s.Schedule(context.Background(), st.MakePod("p").Obj())
	require.NoError(t, err)
	assert.Equal(t, "n001", res.SuggestedHost)
	assert.Equal(t, 3, res.EvaluatedNodes)
	assert.Equal(t, 0, score.calls)
}

func TestWithoutScorePluginsTheFirstFeasibleNodeWins(t *testing.T) {
	filter := &fakeFilter{name: "F"}
	s := newTestScheduler(t, makeNodes(10), 1, 0, filter)
	res, err := s.Schedule(context.Background(), st.MakePod("p").Obj())
	require.NoError(t, err)
	assert.Equal(t, "n000", res.SuggestedHost)
	assert.Equal(t, 1, filter.calls)
	assert.Equal(t, 1, s.NextStartNodeIndex())
}

func TestHighestScoreWinsAndTiesAreSeeded(t *testing.T) {
	score := &fakeScore{name: "S", scores: map[string]int64{"n003": 90, "n007": 90, "n001": 50}}
	pick := func(seed uint64) []string {
		s := newTestScheduler(t, makeNodes(10), seed, 0, &fakeFilter{name: "F"}, score)
		var out []string
		for i := 0; i < 20; i++ {
			res, err := s.Schedule(context.Background(), st.MakePod(fmt.Sprintf("p%d", i)).Obj())
			require.NoError(t, err)
			out = append(out, res.SuggestedHost)
		}
		return out
	}
	first := pick(42)
	assert.Equal(t, first, pick(42), "same seed, same choices")
	seen := map[string]bool{}
	for _, h := range first {
		seen[h] = true
	}
	assert.Equal(t, map[string]bool{"n003": true, "n007": true}, seen, "only top-scoring nodes, and both of them")
}

func TestScoresOutOfRangeAreAnError(t *testing.T) {
	s := newTestScheduler(t, makeNodes(2), 1, 0, &fakeFilter{name: "F"}, &fakeScore{name: "S", scores: map[string]int64{"n000": 101}})
	_, err := s.Schedule(context.Background(), st.MakePod("p").Obj())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "S" returns an invalid score 101, it should in the range of [0, 100] after normalizing`)
}

func TestFailedSchedulingMessages(t *testing.T) {
	unsched := func(r string) *framework.Status { return framework.NewStatus(framework.Unschedulable, r) }
	tests := []struct {
		name      string
		nodes     int
		preFilter *fakePreFilter
		reject    map[string]*framework.Status
		wantMsg   string
		wantErr   error
	}{
		{name: "no nodes", nodes: 0, wantErr: framework.ErrNoNodesAvailable, wantMsg: "no nodes available to schedule pods"},
		{
			name: "reasons counted per node and sorted as strings", nodes: 12,
			reject: func() map[string]*framework.Status {
				m := map[string]*framework.Status{"n010": unsched("b reason"), "n011": unsched("b reason")}
				for i := 0; i < 10; i++ {
					m[fmt.Sprintf("n%03d", i)] = unsched("z reason")
				}
				return m
			}(),
			// "10 z reason" sorts before "2 b reason".
			wantMsg: "0/12 nodes are available: 10 z reason, 2 b reason.",
		},
		{
			name: "a node with several reasons counts for each", nodes: 2,
			reject: map[string]*framework.Status{
				"n000": framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory"),
				"n001": unsched("Insufficient cpu"),
			},
			wantMsg: "0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.",
		},
		{
			name: "a PreFilter rejection replaces the per-node reasons", nodes: 3,
			preFilter: &fakePreFilter{name: "PF", status: framework.NewStatus(framework.UnschedulableAndUnresolvable, "pod affinity terms conflict")},
			wantMsg:   "0/3 nodes are available: pod affinity terms conflict.",
		},
		{
			name: "nodes left out by a PreFilterResult", nodes: 3,
			preFilter: &fakePreFilter{name: "PF", result: framework.NewPreFilterResult("n001", "gone")},
			reject:    map[string]*framework.Status{"n001": unsched("Insufficient cpu")},
			wantMsg:   "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [PF].",
		},
		{
			name: "PreFilterResults with nothing in common", nodes: 3,
			preFilter: &fakePreFilter{name: "PF", result: framework.NewPreFilterResult()},
			wantMsg:   "0/3 nodes are available: node(s) didn't satisfy plugin PF.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plugins := []framework.Plugin{}
			if tc.preFilter != nil {
				plugins = append(plugins, tc.preFilter)
			}
			plugins = append(plugins, &fakeFilter{name: "F", reject: tc.reject}, &fakeScore{name: "S"})
			s := newTestScheduler(t, makeNodes(tc.nodes), 1, 0, plugins...)
			_, err := s.Schedule(context.Background(), st.MakePod("p").Obj())
			require.Error(t, err)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			} else {
				var fitErr *framework.FitError
				require.ErrorAs(t, err, &fitErr)
			}
			assert.Equal(t, tc.wantMsg, err.Error())
		})
	}
}

func TestUnschedulablePluginsAreRecorded(t *testing.T) {
	f1 := &fakeFilter{name: "First", reject: map[string]*framework.Status{"n000": framework.NewStatus(framework.Unschedulable, "a")}}
	f2 := &fakeFilter{name: "Second", reject: map[string]*framework.Status{"n000": framework.NewStatus(framework.Unschedulable, "x"),
		"n001": framework.NewStatus(framework.UnschedulableAndUnresolvable, "b")}}
	s := newTestScheduler(t, makeNodes(2), 1, 0, f1, f2)
	_, err := s.Schedule(context.Background(), st.MakePod("p").Obj())
	var fitErr *framework.FitError
	require.ErrorAs(t, err, &fitErr)
	assert.Equal(t, []string{"First", "Second"}, fitErr.Diagnosis.UnschedulablePlugins)
	assert.Equal(t, "0/2 nodes are available: 1 a, 1 b.", err.Error(), "the first rejecting filter decides a node's reason")
	assert.Equal(t, "First", fitErr.Diagnosis.NodeToStatus.Get("n000").Plugin())
}

func TestAssumeReserveBindForget(t *testing.T) {
	var log []string
	r1 := &recorder{name: "R1", log: &log}
	r2 := &recorder{name: "R2", log: &log}
	s := newTestScheduler(t, makeNodes(1), 1, 0, &fakeFilter{name: "F"}, r1, r2)
	ctx := context.Background()
	pod := st.MakePod("p").Req("1", "").Obj()

	res, err := s.Schedule(ctx, pod)
	require.NoError(t, err)
	assumed, err := s.Assume(ctx, pod, res)
	require.NoError(t, err)
	assert.Equal(t, "n000", assumed.Spec.NodeName)
	assert.Empty(t, pod.Spec.NodeName, "the original pod is not modified")
	assert.True(t, s.Cache().IsAssumedPod(assumed))

	require.NoError(t, s.Bind(ctx, assumed, res))
	assert.Equal(t, []string{"R1.Reserve(n000)", "R2.Reserve(n000)", "R1.Bind(p,n000)"}, log)

	// A failing bind forgets the pod, unreserving in reverse order.
	log = log[:0]
	r1.bindErr = errors.New("apiserver said no")
	pod2 := st.MakePod("p2").Req("1", "").Obj()
	res, err = s.Schedule(ctx, pod2)
	require.NoError(t, err)
	assumed, err = s.Assume(ctx, pod2, res)
	require.NoError(t, err)
	err = s.Bind(ctx, assumed, res)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apiserver said no")
	assert.Equal(t, []string{"R1.Reserve(n000)", "R2.Reserve(n000)", "R1.Bind(p2,n000)", "R2.Unreserve(n000)", "R1.Unreserve(n000)"}, log)
	assert.False(t, s.Cache().IsAssumedPod(assumed))
	assert.Equal(t, 1, s.Cache().PodCount())

	// A failing Reserve rolls back at once.
	log = log[:0]
	r2.failOn = "Reserve"
	pod3 := st.MakePod("p3").Obj()
	res, err = s.Schedule(ctx, pod3)
	require.NoError(t, err)
	_, err = s.Assume(ctx, pod3, res)
	require.Error(t, err)
	assert.Equal(t, "no room in R2", err.Error())
	assert.Equal(t, []string{"R1.Reserve(n000)", "R2.Reserve(n000)", "R2.Unreserve(n000)", "R1.Unreserve(n000)"}, log)
	assert.Equal(t, 1, s.Cache().PodCount())
}

func TestRegistryAndProfileErrors(t *testing.T) {
	reg := framework.Registry{}
	require.NoError(t, reg.Register("F", framework.FactoryOf(&fakeFilter{name: "F"})))
	assert.EqualError(t, reg.Register("F", framework.FactoryOf(&fakeFilter{name: "F"})), "a plugin named F already exists")
	require.NoError(t, reg.Register("Liar", framework.FactoryOf(&fakeFilter{name: "Other"})))

	build := func(p framework.Profile) error {
		_, err := framework.NewScheduler(framework.NewCache(), framework.Config{Registry: reg, Profiles: []framework.Profile{p}, Rand: rand.New(rand.NewPCG(1, 1))})
		return err
	}
	assert.EqualError(t, build(framework.Profile{Plugins: []framework.PluginSpec{{Name: "Missing"}}}),
		`profile "default-scheduler": plugin "Missing" does not exist`)
	assert.ErrorContains(t, build(framework.Profile{Plugins: []framework.PluginSpec{{Name: "Liar"}}}), `calls itself "Other"`)
	assert.ErrorContains(t, build(framework.Profile{Plugins: []framework.PluginSpec{{Name: "F"}, {Name: "F"}}}), "enabled twice")
	_, err := framework.NewScheduler(framework.NewCache(), framework.Config{Registry: reg, Profiles: []framework.Profile{{}}})
	assert.ErrorContains(t, err, "Config.Rand is required")

	p := framework.Profile{Plugins: []framework.PluginSpec{{Name: "A", Weight: 1}, {Name: "B"}}}
	assert.Equal(t, []framework.PluginSpec{{Name: "A", Weight: 5}, {Name: "B"}, {Name: "C"}}, p.With(framework.PluginSpec{Name: "A", Weight: 5}, framework.PluginSpec{Name: "C"}).Plugins)
	assert.Equal(t, []framework.PluginSpec{{Name: "B"}}, p.Without("A").Plugins)
	assert.Len(t, p.Plugins, 2, "With and Without copy")
}

func TestProfileForPod(t *testing.T) {
	s := newTestScheduler(t, makeNodes(1), 1, 0, &fakeFilter{name: "F"})
	_, err := s.Schedule(context.Background(), st.MakePod("p").SchedulerName("my-scheduler").Obj())
	assert.EqualError(t, err, `profile not found for scheduler name "my-scheduler"`)
	assert.True(t, strings.HasPrefix(s.ProfileNames()[0], "default-scheduler"))
}

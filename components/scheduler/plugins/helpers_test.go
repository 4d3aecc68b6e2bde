package plugins_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
)

// pluginFramework runs one in-tree plugin over a snapshot.
func pluginFramework(t *testing.T, snap *framework.Snapshot, name string, args any) *framework.Framework {
	t.Helper()
	f, err := framework.NewFramework(plugins.NewInTreeRegistry(),
		framework.Profile{Plugins: []framework.PluginSpec{{Name: name, Args: args}}}, framework.NewHandle(snap))
	require.NoError(t, err)
	return f
}

// filterAll runs PreFilter then Filter on every node, and returns each
// node's status (a PreFilter rejection is every node's status).
func filterAll(t *testing.T, name string, args any, pod *api.Pod, nodes []*api.Node, pods []*api.Pod) map[string]*framework.Status {
	t.Helper()
	snap := framework.NewSnapshot(pods, nodes)
	f := pluginFramework(t, snap, name, args)
	ctx := context.Background()
	state := framework.NewCycleState()
	out := map[string]*framework.Status{}
	_, s, _ := f.RunPreFilterPlugins(ctx, state, pod, snap.List())
	for _, ni := range snap.List() {
		if !s.IsSuccess() {
			out[ni.Node().Name] = s
			continue
		}
		out[ni.Node().Name] = f.RunFilterPlugins(ctx, state, pod, ni)
	}
	return out
}

// scoreAll runs PreScore, Score and NormalizeScore over every node (all
// taken as feasible) and returns the normalized scores (weight 1).
func scoreAll(t *testing.T, name string, args any, pod *api.Pod, nodes []*api.Node, pods []*api.Pod) map[string]int64 {
	t.Helper()
	snap := framework.NewSnapshot(pods, nodes)
	f := pluginFramework(t, snap, name, args)
	ctx := context.Background()
	state := framework.NewCycleState()
	s := f.RunPreScorePlugins(ctx, state, pod, snap.List())
	require.True(t, s.IsSuccess(), "PreScore: %v", s)
	scores, s := f.RunScorePlugins(ctx, state, pod, snap.List())
	require.True(t, s.IsSuccess(), "Score: %v", s)
	out := map[string]int64{}
	for _, ns := range scores {
		out[ns.Name] = ns.TotalScore
	}
	return out
}

// assertStatus compares code and reasons (not the plugin name).
func assertStatus(t *testing.T, want, got *framework.Status, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, want.Code(), got.Code(), msgAndArgs...)
	assert.Equal(t, want.Reasons(), got.Reasons(), msgAndArgs...)
}

// newDefaultScheduler builds a scheduler with the default profile over
// nodes and bound pods.
func newDefaultScheduler(t testing.TB, seed uint64, nodes []*api.Node, pods []*api.Pod) *framework.Scheduler {
	t.Helper()
	cache := framework.NewCache()
	for _, n := range nodes {
		cache.AddNode(n)
	}
	for _, p := range pods {
		require.NoError(t, cache.AddPod(p))
	}
	s, err := framework.NewScheduler(cache, plugins.DefaultConfig(rand.New(rand.NewPCG(seed, seed))))
	require.NoError(t, err)
	return s
}

// place schedules and assumes pod, returning the node.
func place(t testing.TB, s *framework.Scheduler, pod *api.Pod) string {
	t.Helper()
	ctx := context.Background()
	res, err := s.Schedule(ctx, pod)
	require.NoError(t, err, "scheduling %s", pod.Name)
	_, err = s.Assume(ctx, pod, res)
	require.NoError(t, err)
	return res.SuggestedHost
}

// failure schedules pod and returns the FailedScheduling message.
func failure(t testing.TB, s *framework.Scheduler, pod *api.Pod) string {
	t.Helper()
	_, err := s.Schedule(context.Background(), pod)
	require.Error(t, err, "scheduling %s should fail", pod.Name)
	return err.Error()
}

func unsched(reasons ...string) *framework.Status {
	return framework.NewStatus(framework.Unschedulable, reasons...)
}

func unresolvable(reasons ...string) *framework.Status {
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, reasons...)
}

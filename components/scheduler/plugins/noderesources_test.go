package plugins_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

func TestFitFilter(t *testing.T) {
	node := st.MakeNode("n").Capacity("4", "8Gi", 110).Obj()
	onNode := func(p *st.PodWrapper) *api.Pod { return p.Node("n").Obj() }
	tests := []struct {
		name       string
		node       *api.Node
		existing   []*api.Pod
		pod        *api.Pod
		wantStatus *framework.Status
	}{
		{
			name:     "used + request == allocatable fits",
			existing: []*api.Pod{onNode(st.MakePod("e").Req("3", "6Gi"))},
			pod:      st.MakePod("p").Req("1", "2Gi").Obj(),
		},
		{
			name:       "one millicore too many",
			existing:   []*api.Pod{onNode(st.MakePod("e").Req("3", "6Gi"))},
			pod:        st.MakePod("p").Req("1001m", "2Gi").Obj(),
			wantStatus: unsched("Insufficient cpu"),
		},
		{
			name:       "cpu and memory both short: both reasons",
			existing:   []*api.Pod{onNode(st.MakePod("e").Req("3", "6Gi"))},
			pod:        st.MakePod("p").Req("2", "3Gi").Obj(),
			wantStatus: unsched("Insufficient cpu", "Insufficient memory"),
		},
		{
			name:       "more than the whole node is still Unschedulable, as in v1.32",
			pod:        st.MakePod("p").Req("5", "1Gi").Obj(),
			wantStatus: unsched("Insufficient cpu"),
		},
		{
			name:       "init container larger than the free space",
			existing:   []*api.Pod{onNode(st.MakePod("e").Req("2", "1Gi"))},
			pod:        st.MakePod("p").Req("1", "1Gi").InitContainer("3", "1Gi").Obj(),
			wantStatus: unsched("Insufficient cpu"),
		},
		{
			name:     "init container within the free space",
			existing: []*api.Pod{onNode(st.MakePod("e").Req("2", "1Gi"))},
			pod:      st.MakePod("p").Req("1", "1Gi").InitContainer("2", "1Gi").Obj(),
		},
		{
			name:       "overhead counts",
			existing:   []*api.Pod{onNode(st.MakePod("e").Req("3", "1Gi"))},
			pod:        st.MakePod("p").Req("1", "1Gi").Overhead("100m", "0").Obj(),
			wantStatus: unsched("Insufficient cpu"),
		},
		{
			name:     "a pod without requests fits a full node",
			existing: []*api.Pod{onNode(st.MakePod("e").Req("4", "8Gi"))},
			pod:      st.MakePod("p").Obj(),
		},
		{
			name:       "too many pods, whatever the requests",
			node:       st.MakeNode("n").Capacity("4", "8Gi", 1).Obj(),
			existing:   []*api.Pod{onNode(st.MakePod("e"))},
			pod:        st.MakePod("p").Obj(),
			wantStatus: unsched("Too many pods"),
		},
		{
			name:       "too many pods and insufficient memory",
			node:       st.MakeNode("n").Capacity("4", "8Gi", 1).Obj(),
			existing:   []*api.Pod{onNode(st.MakePod("e").Req("1", "7Gi"))},
			pod:        st.MakePod("p").Req("1", "2Gi").Obj(),
			wantStatus: unsched("Too many pods", "Insufficient memory"),
		},
		{
			name:       "extended resources",
			node:       st.MakeNode("n").Capacity("4", "8Gi", 110).Allocatable("example.com/gpu", "2").Obj(),
			existing:   []*api.Pod{onNode(st.MakePod("e").ExtendedReq("example.com/gpu", "1"))},
			pod:        st.MakePod("p").ExtendedReq("example.com/gpu", "2").Obj(),
			wantStatus: unsched("Insufficient example.com/gpu"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := node
			if tc.node != nil {
				n = tc.node
			}
			got := filterAll(t, plugins.NodeResourcesFitName, nil, tc.pod, []*api.Node{n}, tc.existing)
			assertStatus(t, tc.wantStatus, got["n"])
		})
	}
}

func TestResourceScores(t *testing.T) {
	nodes := []*api.Node{
		st.MakeNode("empty").Capacity("4", "8Gi", 110).Obj(),
		st.MakeNode("half").Capacity("4", "8Gi", 110).Obj(),
	}
	existing := []*api.Pod{st.MakePod("e").Req("2", "2Gi").Node("half").Obj()}
	pod := st.MakePod("p").Req("1", "2Gi").Obj()
	tests := []struct {
		name       string
		plugin     string
		args       any
		pod        *api.Pod
		wantScores map[string]int64
	}{
		{
			// empty: cpu (4-1)/4 = 75, memory (8-2)/8 = 75 -> 75.
			// half:  cpu (4-3)/4 = 25, memory (8-4)/8 = 50 -> 37.
			name: "LeastAllocated", plugin: plugins.NodeResourcesFitName, pod: pod,
			wantScores: map[string]int64{"empty": 75, "half": 37},
		},
		{
			name: "MostAllocated", plugin: plugins.NodeResourcesFitName, pod: pod,
			args:       &plugins.NodeResourcesFitArgs{ScoringStrategy: &plugins.ScoringStrategy{Type: plugins.MostAllocated}},
			wantScores: map[string]int64{"empty": 25, "half": 62},
		},
		{
			// A pod without requests counts as 100m and 200Mi.
			// empty: cpu 3900/4000 = 97, memory (8192-200)/8192 = 97.
			name: "LeastAllocated with scoring defaults", plugin: plugins.NodeResourcesFitName, pod: st.MakePod("p").Obj(),
			wantScores: map[string]int64{"empty": 97, "half": 59},
		},
		{
			// empty: fractions 0.25 and 0.25 -> 100.
			// half:  fractions 0.75 and 0.5  -> (1 - 0.125) * 100 = 87.
			name: "BalancedAllocation", plugin: plugins.NodeResourcesBalancedAllocation, pod: pod,
			wantScores: map[string]int64{"empty": 100, "half": 87},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantScores, scoreAll(t, tc.plugin, tc.args, tc.pod, nodes, existing))
		})
	}
}

func TestBalancedAllocationSkipsBestEffortPods(t *testing.T) {
	snap := framework.NewSnapshot(nil, []*api.Node{st.MakeNode("n").Capacity("4", "8Gi", 110).Obj()})
	f := pluginFramework(t, snap, plugins.NodeResourcesBalancedAllocation, nil)
	state := framework.NewCycleState()
	s := f.RunPreScorePlugins(t.Context(), state, st.MakePod("p").Obj(), snap.List())
	assert.True(t, s.IsSuccess())
	assert.Equal(t, []string{plugins.NodeResourcesBalancedAllocation}, state.SkipScorePlugins())
}

func TestFitArgsValidation(t *testing.T) {
	snap := framework.NewEmptySnapshot()
	_, err := framework.NewFramework(plugins.NewInTreeRegistry(), framework.Profile{Plugins: []framework.PluginSpec{{
		Name: plugins.NodeResourcesFitName, Args: &plugins.NodeResourcesFitArgs{ScoringStrategy: &plugins.ScoringStrategy{Type: "RequestedToCapacityRatio"}},
	}}}, framework.NewHandle(snap))
	assert.ErrorContains(t, err, `scoring strategy "RequestedToCapacityRatio" is not supported`)
	_, err = framework.NewFramework(plugins.NewInTreeRegistry(), framework.Profile{Plugins: []framework.PluginSpec{{
		Name: plugins.NodeResourcesFitName, Args: "cpu please",
	}}}, framework.NewHandle(snap))
	assert.ErrorContains(t, err, "want args to be of type *plugins.NodeResourcesFitArgs, got string")
}

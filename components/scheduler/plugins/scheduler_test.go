package plugins_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

func smallNode(name string) *st.NodeWrapper { return st.MakeNode(name).Capacity("2", "4Gi", 110) }

// TestFailedSchedulingReasons checks every reason the default profile can
// give, in the exact FailedScheduling wording.
func TestFailedSchedulingReasons(t *testing.T) {
	tests := []struct {
		name     string
		nodes    []*api.Node
		existing []*api.Pod
		pod      *api.Pod
		wantMsg  string
	}{
		{
			name: "no nodes", pod: st.MakePod("p").Obj(),
			wantMsg: "no nodes available to schedule pods",
		},
		{
			name: "Insufficient cpu", nodes: []*api.Node{smallNode("n1").Obj()}, pod: st.MakePod("p").Req("3", "1Gi").Obj(),
			wantMsg: "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "Insufficient memory", nodes: []*api.Node{smallNode("n1").Obj()}, pod: st.MakePod("p").Req("1", "5Gi").Obj(),
			wantMsg: "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "Too many pods", nodes: []*api.Node{st.MakeNode("n1").Capacity("2", "4Gi", 1).Obj()},
			existing: []*api.Pod{st.MakePod("e").Node("n1").Obj()}, pod: st.MakePod("p").Obj(),
			wantMsg: "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "node affinity/selector", nodes: []*api.Node{smallNode("n1").Obj()},
			pod:     st.MakePod("p").NodeSelector(map[string]string{"disk": "ssd"}).Obj(),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "unschedulable", nodes: []*api.Node{smallNode("n1").Unschedulable().Obj()}, pod: st.MakePod("p").Obj(),
			wantMsg: "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "untolerated taint", nodes: []*api.Node{smallNode("n1").Taint(api.TaintControlPlane, "", api.TaintEffectNoSchedule).Obj()},
			pod:     st.MakePod("p").Obj(),
			wantMsg: "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "host ports", nodes: []*api.Node{smallNode("n1").Obj()},
			existing: []*api.Pod{st.MakePod("e").HostPort(8080, "", "").Node("n1").Obj()},
			pod:      st.MakePod("p").HostPort(8080, "", "").Obj(),
			wantMsg:  "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "topology spread", nodes: []*api.Node{smallNode("a1").Zone("a").Obj(), smallNode("b1").Zone("b").Taint("x", "", api.TaintEffectNoSchedule).Obj()},
			existing: []*api.Pod{webPod("w", "a1")},
			pod:      st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			wantMsg:  "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint {x: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "topology spread, missing label", nodes: []*api.Node{smallNode("n1").Obj()},
			pod:     st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "pod affinity", nodes: []*api.Node{smallNode("n1").Obj()},
			pod:     st.MakePod("p").PodAffinity(api.LabelHostname, "app", "db").Obj(),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't match pod affinity rules. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "pod anti-affinity", nodes: []*api.Node{smallNode("n1").Obj()},
			existing: []*api.Pod{st.MakePod("db").Label("app", "db").Node("n1").Obj()},
			pod:      st.MakePod("p").PodAntiAffinity(api.LabelHostname, "app", "db").Obj(),
			wantMsg:  "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "existing pods' anti-affinity", nodes: []*api.Node{smallNode("n1").Obj()},
			existing: []*api.Pod{st.MakePod("db").Node("n1").PodAntiAffinity(api.LabelHostname, "app", "web").Obj()},
			pod:      st.MakePod("p").Label("app", "web").Obj(),
			wantMsg:  "0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "requested node name", nodes: []*api.Node{smallNode("n1").Obj()},
			pod:     st.MakePod("p").Node("n2").Obj(),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't match the requested node name. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name:  "matchFields naming a node that does not exist",
			nodes: []*api.Node{smallNode("n1").Obj(), smallNode("n2").Obj()},
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{
				st.Expr(framework.NodeNameField, api.NodeSelectorOpIn, "n9")}}).Obj(),
			wantMsg: "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newDefaultScheduler(t, 1, tc.nodes, tc.existing)
			assert.Equal(t, tc.wantMsg, failure(t, s, tc.pod))
		})
	}
}

// TestAggregatedFailedSchedulingMessage: several nodes failing for
// different reasons, counted and sorted as strings.
func TestAggregatedFailedSchedulingMessage(t *testing.T) {
	nodes := []*api.Node{
		smallNode("cordoned").Zone("a").Unschedulable().Obj(),
		smallNode("tainted-1").Zone("a").Taint("dedicated", "infra", api.TaintEffectNoSchedule).Obj(),
		smallNode("tainted-2").Zone("a").Taint("dedicated", "infra", api.TaintEffectNoExecute).Obj(),
		smallNode("full").Zone("a").Obj(),
		smallNode("small").Zone("a").Obj(),
		smallNode("elsewhere").Zone("b").Obj(),
		st.MakeNode("tiny").Capacity("100m", "128Mi", 110).Zone("a").Obj(),
	}
	existing := []*api.Pod{st.MakePod("hog").Req("2", "4Gi").Node("full").Obj(), st.MakePod("half").Req("1", "3Gi").Node("small").Obj()}
	pod := st.MakePod("p").Req("1500m", "2Gi").NodeSelector(map[string]string{api.LabelTopologyZone: "a"}).Obj()
	s := newDefaultScheduler(t, 1, nodes, existing)
	msg := failure(t, s, pod)
	assert.Equal(t, "0/7 nodes are available: "+
		"1 node(s) didn't match Pod's node affinity/selector, "+
		"1 node(s) were unschedulable, "+
		"2 node(s) had untolerated taint {dedicated: infra}, "+
		"3 Insufficient cpu, "+
		"3 Insufficient memory. "+
		// Preemption might help where resources are short (full, small,
		// tiny), but no pod there has a lower priority.
		"preemption: 0/7 nodes are available: "+
		"3 No preemption victims found for incoming pod, "+
		"4 Preemption is not helpful for scheduling.", msg)
}

// TestFitRulesEndToEnd places pods right up to the node's allocatable.
func TestFitRulesEndToEnd(t *testing.T) {
	s := newDefaultScheduler(t, 1, []*api.Node{st.MakeNode("n1").Capacity("2", "4Gi", 3).Obj()}, nil)
	// a asks max(500m, 1) = 1 cpu and 1Gi; b asks 500m + 500m overhead = 1
	// cpu and 2Gi + 1Gi overhead = 3Gi: together exactly the allocatable.
	assert.Equal(t, "n1", place(t, s, st.MakePod("a").Req("500m", "1Gi").InitContainer("1", "1Gi").Obj()))
	assert.Equal(t, "n1", place(t, s, st.MakePod("b").Req("500m", "2Gi").Overhead("500m", "1Gi").Obj()), "exactly fills the node")
	assert.Equal(t, "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", failure(t, s, st.MakePod("c").Req("1m", "1").Obj()))
	assert.Equal(t, "n1", place(t, s, st.MakePod("d").Obj()), "a pod without requests still fits")
	assert.Equal(t, "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", failure(t, s, st.MakePod("e").Obj()))
}

func TestZoneSpreading(t *testing.T) {
	var nodes []*api.Node
	for _, z := range []string{"a", "b", "c"} {
		for i := 1; i <= 3; i++ {
			nodes = append(nodes, st.MakeNode(fmt.Sprintf("%s%d", z, i)).Capacity("8", "32Gi", 110).Zone(z).Obj())
		}
	}
	// Zone a already runs four replicas.
	var existing []*api.Pod
	for i := 0; i < 4; i++ {
		existing = append(existing, webPod(fmt.Sprintf("old-%d", i), "a1"))
	}
	s := newDefaultScheduler(t, 7, nodes, existing)
	perZone := map[string]int{"a": 4}
	zoneOf := map[string]string{}
	for _, n := range nodes {
		zoneOf[n.Name] = n.Labels[api.LabelTopologyZone]
	}
	for i := 0; i < 11; i++ {
		pod := st.MakePod(fmt.Sprintf("web-%d", i)).Label("app", "web").Req("100m", "128Mi").
			SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj()
		perZone[zoneOf[place(t, s, pod)]]++
	}
	assert.Equal(t, map[string]int{"a": 5, "b": 5, "c": 5}, perZone, "new replicas fill b and c first, then spread evenly")
}

func TestAntiAffinityKeepsReplicasApart(t *testing.T) {
	nodes := []*api.Node{smallNode("n1").Obj(), smallNode("n2").Obj(), smallNode("n3").Obj()}
	s := newDefaultScheduler(t, 3, nodes, nil)
	replica := func(i int) *api.Pod {
		return st.MakePod(fmt.Sprintf("web-%d", i)).Label("app", "web").PodAntiAffinity(api.LabelHostname, "app", "web").Obj()
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		seen[place(t, s, replica(i))] = true
	}
	assert.Len(t, seen, 3, "one replica per node")
	assert.Equal(t, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.", failure(t, s, replica(3)))
	// The rule is symmetric: a plain web pod is kept out by the replicas.
	assert.Equal(t, "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
		failure(t, s, st.MakePod("plain").Label("app", "web").Obj()))
}

func TestPodAffinityFollowsItsPeer(t *testing.T) {
	nodes := zonedNodes()
	for _, n := range nodes {
		n.Status.Allocatable = api.ResourceList{api.ResourcePods: api.NewQuantity(110, api.DecimalSI)}
	}
	s := newDefaultScheduler(t, 5, nodes, []*api.Pod{st.MakePod("db").Label("app", "db").Node("b1").Obj()})
	for i := 0; i < 5; i++ {
		assert.Equal(t, "b1", place(t, s, st.MakePod(fmt.Sprintf("api-%d", i)).PodAffinity(api.LabelTopologyZone, "app", "db").Obj()))
	}
}

// preferNode is a trainee-style Score plugin: it gives 100 to one node.
type preferNode struct{ node string }

func (p *preferNode) Name() string { return "PreferNode" }

func (p *preferNode) Score(_ context.Context, _ *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	if ni.Node().Name == p.node {
		return framework.MaxNodeScore, nil
	}
	return 0, nil
}

func (p *preferNode) ScoreExtensions() framework.ScoreExtensions { return nil }

// noOddNodes is a trainee-style Filter plugin.
type noOddNodes struct{}

func (noOddNodes) Name() string { return "NoOddNodes" }

func (noOddNodes) Filter(_ context.Context, _ *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) *framework.Status {
	name := ni.Node().Name
	if (name[len(name)-1]-'0')%2 == 1 {
		return framework.NewStatus(framework.Unschedulable, "node(s) had an odd name")
	}
	return nil
}

func TestCustomPluginsRegisteredByName(t *testing.T) {
	nodes := []*api.Node{smallNode("n1").Obj(), smallNode("n2").Obj(), smallNode("n3").Obj(), smallNode("n4").Obj()}
	// n2 is busy, so the default plugins prefer the other nodes.
	existing := []*api.Pod{st.MakePod("busy").Req("1500m", "3Gi").Node("n2").Obj()}
	pod := st.MakePod("p").Req("100m", "100Mi").Obj()

	build := func(cfg framework.Config) *framework.Scheduler {
		cache := framework.NewCache()
		for _, n := range nodes {
			cache.AddNode(n)
		}
		for _, p := range existing {
			require.NoError(t, cache.AddPod(p))
		}
		s, err := framework.NewScheduler(cache, cfg)
		require.NoError(t, err)
		return s
	}
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

	res, err := build(plugins.DefaultConfig(rng())).Schedule(context.Background(), pod)
	require.NoError(t, err)
	require.NotEqual(t, "n2", res.SuggestedHost, "without the custom plugin the busy node loses")

	cfg := plugins.DefaultConfig(rng())
	require.NoError(t, cfg.Registry.Register("PreferNode", framework.FactoryOf(&preferNode{node: "n2"})))
	require.NoError(t, cfg.Registry.Register("NoOddNodes", framework.FactoryOf(noOddNodes{})))
	cfg.Profiles[0] = cfg.Profiles[0].With(framework.PluginSpec{Name: "PreferNode", Weight: 10})
	cfg.RecordScores = true
	res, err = build(cfg).Schedule(context.Background(), pod)
	require.NoError(t, err)
	assert.Equal(t, "n2", res.SuggestedHost, "weight 10 outweighs the default scores")
	var pluginNames []string
	for _, ps := range res.Scores[0].Scores {
		pluginNames = append(pluginNames, ps.Name)
	}
	assert.Contains(t, pluginNames, "PreferNode")

	cfg = plugins.DefaultConfig(rng())
	require.NoError(t, cfg.Registry.Register("NoOddNodes", framework.FactoryOf(noOddNodes{})))
	cfg.Profiles[0] = cfg.Profiles[0].With(framework.PluginSpec{Name: "NoOddNodes"})
	s := build(cfg)
	assert.Equal(t, "n4", place(t, s, pod))
	// n2 is short of both, n4 (running p) of cpu; odd nodes are filtered
	// by NoOddNodes, which runs last.
	assert.Equal(t, "0/4 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, 2 node(s) had an odd name. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.",
		failure(t, s, st.MakePod("big").Req("1950m", "3Gi").Obj()))
}

func TestDefaultBinder(t *testing.T) {
	var bound []string
	cfg := plugins.DefaultConfig(rand.New(rand.NewPCG(1, 1)))
	cfg.Profiles[0] = cfg.Profiles[0].With(framework.PluginSpec{Name: plugins.DefaultBinderName, Args: &plugins.DefaultBinderArgs{
		Bind: func(_ context.Context, pod *api.Pod, node string) error {
			bound = append(bound, pod.Namespace+"/"+pod.Name+" -> "+node)
			return nil
		},
	}})
	cache := framework.NewCache()
	cache.AddNode(smallNode("n1").Obj())
	s, err := framework.NewScheduler(cache, cfg)
	require.NoError(t, err)
	ctx := context.Background()
	pod := st.MakePod("web").Obj()
	res, err := s.Schedule(ctx, pod)
	require.NoError(t, err)
	assumed, err := s.Assume(ctx, pod, res)
	require.NoError(t, err)
	require.NoError(t, s.Bind(ctx, assumed, res))
	assert.Equal(t, []string{"default/web -> n1"}, bound)
}

// placements schedules pods one by one and records where each went.
func placements(t *testing.T, seed uint64, nodes []*api.Node, pods []*api.Pod) []string {
	s := newDefaultScheduler(t, seed, nodes, nil)
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = place(t, s, p)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	var nodes []*api.Node
	for i := 0; i < 150; i++ {
		nodes = append(nodes, st.MakeNode(fmt.Sprintf("node-%03d", i)).Capacity("16", "64Gi", 110).Zone(string(rune('a'+i%3))).Obj())
	}
	var pods []*api.Pod
	for i := 0; i < 1000; i++ {
		w := st.MakePod(fmt.Sprintf("pod-%04d", i)).Label("app", fmt.Sprintf("app-%d", i%7))
		switch i % 5 {
		case 0:
			w.Req("100m", "500Mi")
		case 1:
			w.SpreadConstraint(1, api.LabelTopologyZone, api.ScheduleAnyway, "app", fmt.Sprintf("app-%d", i%7))
		case 2:
			w.PreferredPodAntiAffinity(10, api.LabelHostname, "app", fmt.Sprintf("app-%d", i%7))
		case 3:
			w.Req("250m", "1Gi")
		}
		pods = append(pods, w.Obj())
	}
	first := placements(t, 2024, nodes, pods)
	assert.Equal(t, first, placements(t, 2024, nodes, pods), "same seed, same placements")
	assert.NotEqual(t, first, placements(t, 2025, nodes, pods), "another seed breaks ties differently")
	used := map[string]bool{}
	for _, n := range first {
		used[n] = true
	}
	assert.Greater(t, len(used), 100, "pods spread over the cluster")
}

func TestExplainScores(t *testing.T) {
	cfg := plugins.DefaultConfig(rand.New(rand.NewPCG(1, 1)))
	cfg.RecordScores = true
	cache := framework.NewCache()
	cache.AddNode(smallNode("n1").Obj())
	cache.AddNode(smallNode("n2").Taint("a", "", api.TaintEffectPreferNoSchedule).Obj())
	s, err := framework.NewScheduler(cache, cfg)
	require.NoError(t, err)
	res, err := s.Schedule(context.Background(), st.MakePod("p").Req("1", "1Gi").Obj())
	require.NoError(t, err)
	assert.Equal(t, "n1", res.SuggestedHost)
	var lines []string
	for _, ns := range res.Scores {
		parts := []string{ns.Name}
		for _, ps := range ns.Scores {
			parts = append(parts, fmt.Sprintf("%s=%d", ps.Name, ps.Score))
		}
		lines = append(lines, strings.Join(parts, " ")+fmt.Sprintf(" total=%d", ns.TotalScore))
	}
	assert.Equal(t, []string{
		// TaintToleration 100 * weight 3; LeastAllocated (50 + 75) / 2;
		// balanced 1 - |0.5 - 0.25| / 2.
		"n1 TaintToleration=300 NodeResourcesFit=62 NodeResourcesBalancedAllocation=87 total=449",
		"n2 TaintToleration=0 NodeResourcesFit=62 NodeResourcesBalancedAllocation=87 total=149",
	}, lines)
}

package plugins_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

func TestTaintTolerationFilter(t *testing.T) {
	tests := []struct {
		name       string
		node       *api.Node
		pod        *api.Pod
		wantStatus *framework.Status
	}{
		{name: "no taints", node: st.MakeNode("n").Obj(), pod: st.MakePod("p").Obj()},
		{
			name:       "NoSchedule not tolerated",
			node:       st.MakeNode("n").Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Obj(),
			pod:        st.MakePod("p").Obj(),
			wantStatus: unresolvable("node(s) had untolerated taint {dedicated: gpu}"),
		},
		{
			name:       "NoExecute not tolerated",
			node:       st.MakeNode("n").Taint(api.TaintNodeNotReady, "", api.TaintEffectNoExecute).Obj(),
			pod:        st.MakePod("p").Obj(),
			wantStatus: unresolvable("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
		},
		{
			name: "PreferNoSchedule never filters",
			node: st.MakeNode("n").Taint("dedicated", "gpu", api.TaintEffectPreferNoSchedule).Obj(),
			pod:  st.MakePod("p").Obj(),
		},
		{
			name: "tolerated with Equal",
			node: st.MakeNode("n").Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Obj(),
			pod:  st.MakePod("p").Toleration("dedicated", api.TolerationOpEqual, "gpu", api.TaintEffectNoSchedule).Obj(),
		},
		{
			name:       "Equal with another value",
			node:       st.MakeNode("n").Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Obj(),
			pod:        st.MakePod("p").Toleration("dedicated", api.TolerationOpEqual, "cpu", api.TaintEffectNoSchedule).Obj(),
			wantStatus: unresolvable("node(s) had untolerated taint {dedicated: gpu}"),
		},
		{
			name:       "toleration for another effect",
			node:       st.MakeNode("n").Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Obj(),
			pod:        st.MakePod("p").Toleration("dedicated", api.TolerationOpExists, "", api.TaintEffectNoExecute).Obj(),
			wantStatus: unresolvable("node(s) had untolerated taint {dedicated: gpu}"),
		},
		{
			name: "empty key with Exists tolerates everything",
			node: st.MakeNode("n").Taint("a", "1", api.TaintEffectNoSchedule).Taint("b", "2", api.TaintEffectNoExecute).Obj(),
			pod:  st.MakePod("p").Toleration("", api.TolerationOpExists, "", "").Obj(),
		},
		{
			name:       "every taint must be tolerated; the first untolerated one is named",
			node:       st.MakeNode("n").Taint("a", "1", api.TaintEffectNoSchedule).Taint("b", "2", api.TaintEffectNoSchedule).Obj(),
			pod:        st.MakePod("p").Toleration("a", api.TolerationOpExists, "", "").Obj(),
			wantStatus: unresolvable("node(s) had untolerated taint {b: 2}"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := filterAll(t, plugins.TaintTolerationName, nil, tc.pod, []*api.Node{tc.node}, nil)
			assertStatus(t, tc.wantStatus, got["n"])
		})
	}
}

func TestTaintTolerationScore(t *testing.T) {
	nodes := []*api.Node{
		st.MakeNode("zero").Obj(),
		st.MakeNode("one").Taint("a", "", api.TaintEffectPreferNoSchedule).Obj(),
		st.MakeNode("two").Taint("a", "", api.TaintEffectPreferNoSchedule).Taint("b", "", api.TaintEffectPreferNoSchedule).Obj(),
		st.MakeNode("tolerated").Taint("c", "", api.TaintEffectPreferNoSchedule).Taint("c", "x", api.TaintEffectNoSchedule).Obj(),
	}
	tests := []struct {
		name       string
		pod        *api.Pod
		wantScores map[string]int64
	}{
		{
			name:       "0, 1, 2 intolerable PreferNoSchedule taints: 100, 50, 0",
			pod:        st.MakePod("p").Toleration("c", api.TolerationOpExists, "", "").Obj(),
			wantScores: map[string]int64{"zero": 100, "one": 50, "two": 0, "tolerated": 100},
		},
		{
			name:       "a PreferNoSchedule toleration counts, a NoSchedule one does not",
			pod:        st.MakePod("p").Toleration("a", api.TolerationOpExists, "", api.TaintEffectPreferNoSchedule).Toleration("c", api.TolerationOpExists, "", api.TaintEffectNoSchedule).Obj(),
			wantScores: map[string]int64{"zero": 100, "one": 100, "two": 0, "tolerated": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantScores, scoreAll(t, plugins.TaintTolerationName, nil, tc.pod, nodes, nil))
		})
	}
}

func TestNodeAffinityFilter(t *testing.T) {
	nodes := []*api.Node{
		st.MakeNode("a1").Zone("a").Label("disk", "ssd").Obj(),
		st.MakeNode("a2").Zone("a").Obj(),
		st.MakeNode("b1").Zone("b").Label("disk", "ssd").Obj(),
	}
	zoneIn := func(z ...string) api.NodeSelectorRequirement {
		return st.Expr(api.LabelTopologyZone, api.NodeSelectorOpIn, z...)
	}
	ssd := st.Expr("disk", api.NodeSelectorOpIn, "ssd")
	miss := unresolvable("node(s) didn't match Pod's node affinity/selector")
	tests := []struct {
		name       string
		pod        *api.Pod
		wantStatus map[string]*framework.Status
	}{
		{name: "no constraints (skipped)", pod: st.MakePod("p").Obj(), wantStatus: map[string]*framework.Status{}},
		{
			name:       "nodeSelector",
			pod:        st.MakePod("p").NodeSelector(map[string]string{"disk": "ssd"}).Obj(),
			wantStatus: map[string]*framework.Status{"a2": miss},
		},
		{
			name:       "expressions in a term are ANDed",
			pod:        st.MakePod("p").RequiredNodeAffinity(st.Term(zoneIn("a"), ssd)).Obj(),
			wantStatus: map[string]*framework.Status{"a2": miss, "b1": miss},
		},
		{
			name:       "terms are ORed",
			pod:        st.MakePod("p").RequiredNodeAffinity(st.Term(zoneIn("b"))).RequiredNodeAffinity(st.Term(zoneIn("a"), ssd)).Obj(),
			wantStatus: map[string]*framework.Status{"a2": miss},
		},
		{
			name:       "nodeSelector AND affinity",
			pod:        st.MakePod("p").NodeSelector(map[string]string{"disk": "ssd"}).RequiredNodeAffinity(st.Term(zoneIn("a"))).Obj(),
			wantStatus: map[string]*framework.Status{"a2": miss, "b1": miss},
		},
		{
			name:       "an empty term matches nothing",
			pod:        st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{}).Obj(),
			wantStatus: map[string]*framework.Status{"a1": miss, "a2": miss, "b1": miss},
		},
		{
			name: "terms conflicting on node names fail in PreFilter",
			pod: st.MakePod("p").RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{
				st.Expr(framework.NodeNameField, api.NodeSelectorOpIn, "a1"),
				st.Expr(framework.NodeNameField, api.NodeSelectorOpIn, "b1"),
			}}).Obj(),
			wantStatus: map[string]*framework.Status{
				"a1": unresolvable("pod affinity terms conflict"), "a2": unresolvable("pod affinity terms conflict"), "b1": unresolvable("pod affinity terms conflict"),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := filterAll(t, plugins.NodeAffinityName, nil, tc.pod, nodes, nil)
			for _, n := range nodes {
				assertStatus(t, tc.wantStatus[n.Name], got[n.Name], n.Name)
			}
		})
	}
}

func TestNodeAffinityPreFilterNarrowsToNamedNodes(t *testing.T) {
	nodes := []*api.Node{st.MakeNode("a").Obj(), st.MakeNode("b").Obj(), st.MakeNode("c").Obj()}
	snap := framework.NewSnapshot(nil, nodes)
	f := pluginFramework(t, snap, plugins.NodeAffinityName, nil)
	pod := st.MakePod("p").
		RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{st.Expr(framework.NodeNameField, api.NodeSelectorOpIn, "a", "b")}}).
		RequiredNodeAffinity(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{st.Expr(framework.NodeNameField, api.NodeSelectorOpIn, "c", "x")}}).Obj()
	res, s, _ := f.RunPreFilterPlugins(t.Context(), framework.NewCycleState(), pod, snap.List())
	assert.True(t, s.IsSuccess())
	assert.Equal(t, []string{"a", "b", "c", "x"}, res.SortedNames())
}

func TestNodeAffinityScore(t *testing.T) {
	nodes := []*api.Node{
		st.MakeNode("both").Zone("a").Label("disk", "ssd").Obj(),
		st.MakeNode("zone").Zone("a").Obj(),
		st.MakeNode("none").Zone("b").Obj(),
	}
	pod := st.MakePod("p").
		PreferredNodeAffinity(30, st.Term(st.Expr(api.LabelTopologyZone, api.NodeSelectorOpIn, "a"))).
		PreferredNodeAffinity(10, st.Term(st.Expr("disk", api.NodeSelectorOpIn, "ssd"))).Obj()
	// Raw 40, 30, 0; the best node is scaled to 100.
	assert.Equal(t, map[string]int64{"both": 100, "zone": 75, "none": 0}, scoreAll(t, plugins.NodeAffinityName, nil, pod, nodes, nil))
}

func TestSimpleNodeFilters(t *testing.T) {
	tests := []struct {
		name       string
		plugin     string
		node       *api.Node
		existing   []*api.Pod
		pod        *api.Pod
		wantStatus *framework.Status
	}{
		{name: "cordoned node", plugin: plugins.NodeUnschedulableName, node: st.MakeNode("n").Unschedulable().Obj(),
			pod: st.MakePod("p").Obj(), wantStatus: unresolvable("node(s) were unschedulable")},
		{name: "cordoned node, pod tolerates the unschedulable taint", plugin: plugins.NodeUnschedulableName, node: st.MakeNode("n").Unschedulable().Obj(),
			pod: st.MakePod("p").Toleration(api.TaintNodeUnschedulable, api.TolerationOpExists, "", api.TaintEffectNoSchedule).Obj()},
		{name: "schedulable node", plugin: plugins.NodeUnschedulableName, node: st.MakeNode("n").Obj(), pod: st.MakePod("p").Obj()},
		{name: "node name matches", plugin: plugins.NodeNameName, node: st.MakeNode("n").Obj(), pod: st.MakePod("p").Node("n").Obj()},
		{name: "node name differs", plugin: plugins.NodeNameName, node: st.MakeNode("n").Obj(), pod: st.MakePod("p").Node("m").Obj(),
			wantStatus: unresolvable("node(s) didn't match the requested node name")},
		{name: "host port taken", plugin: plugins.NodePortsName, node: st.MakeNode("n").Obj(),
			existing: []*api.Pod{st.MakePod("e").HostPort(80, "", "").Node("n").Obj()},
			pod:      st.MakePod("p").HostPort(80, api.ProtocolTCP, "10.0.0.1").Obj(), wantStatus: unsched("node(s) didn't have free ports for the requested pod ports")},
		{name: "host port free for another protocol", plugin: plugins.NodePortsName, node: st.MakeNode("n").Obj(),
			existing: []*api.Pod{st.MakePod("e").HostPort(53, api.ProtocolTCP, "").Node("n").Obj()},
			pod:      st.MakePod("p").HostPort(53, api.ProtocolUDP, "").Obj()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := filterAll(t, tc.plugin, nil, tc.pod, []*api.Node{tc.node}, tc.existing)
			assertStatus(t, tc.wantStatus, got["n"])
		})
	}
}

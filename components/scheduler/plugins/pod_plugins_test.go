package plugins_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// zonedNodes are a1, a2 in zone a, b1 in zone b, c1 in zone c.
func zonedNodes() []*api.Node {
	return []*api.Node{
		st.MakeNode("a1").Zone("a").Obj(), st.MakeNode("a2").Zone("a").Obj(),
		st.MakeNode("b1").Zone("b").Obj(), st.MakeNode("c1").Zone("c").Obj(),
	}
}

func webPod(name, node string) *api.Pod { return st.MakePod(name).Label("app", "web").Node(node).Obj() }

func TestPodTopologySpreadFilter(t *testing.T) {
	skew := unsched("node(s) didn't match pod topology spread constraints")
	tests := []struct {
		name       string
		nodes      []*api.Node
		existing   []*api.Pod
		pod        *api.Pod
		wantStatus map[string]*framework.Status
	}{
		{
			name:     "maxSkew 1 over zones: only the emptiest zones",
			existing: []*api.Pod{webPod("w1", "a1"), webPod("w2", "b1")},
			pod:      st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			// counts a=1 b=1 c=0, min 0: a and b would reach skew 2.
			wantStatus: map[string]*framework.Status{"a1": skew, "a2": skew, "b1": skew},
		},
		{
			name:       "maxSkew 2 allows one more",
			existing:   []*api.Pod{webPod("w1", "a1"), webPod("w2", "b1")},
			pod:        st.MakePod("p").Label("app", "web").SpreadConstraint(2, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			wantStatus: map[string]*framework.Status{},
		},
		{
			name:     "pods of other namespaces and labels do not count",
			existing: []*api.Pod{webPod("w1", "a1"), st.MakePod("x").Label("app", "web").Namespace("other").Node("b1").Obj(), st.MakePod("y").Label("app", "db").Node("c1").Obj()},
			pod:      st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			// counts a=1 b=0 c=0.
			wantStatus: map[string]*framework.Status{"a1": skew, "a2": skew},
		},
		{
			name:     "a pod that does not match its own selector does not count itself",
			existing: []*api.Pod{webPod("w1", "a1")},
			pod:      st.MakePod("p").Label("app", "other").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			// a: 1 + 0 - 0 = 1 <= 1.
			wantStatus: map[string]*framework.Status{},
		},
		{
			name:     "a node without the topology label",
			nodes:    append(zonedNodes(), st.MakeNode("nozone").Obj()),
			existing: []*api.Pod{},
			pod:      st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").Obj(),
			wantStatus: map[string]*framework.Status{
				"nozone": unresolvable("node(s) didn't match pod topology spread constraints (missing required label)"),
			},
		},
		{
			name:       "ScheduleAnyway never filters",
			existing:   []*api.Pod{webPod("w1", "a1"), webPod("w2", "a1")},
			pod:        st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.ScheduleAnyway, "app", "web").Obj(),
			wantStatus: map[string]*framework.Status{},
		},
		{
			name:     "nodes excluded by node affinity do not define the minimum",
			existing: []*api.Pod{webPod("w1", "a1")},
			pod: st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.DoNotSchedule, "app", "web").
				NodeSelector(map[string]string{api.LabelTopologyZone: "a"}).Obj(),
			// Only zone a is eligible: min is a's own count, 1; skew 1.
			wantStatus: map[string]*framework.Status{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes := tc.nodes
			if nodes == nil {
				nodes = zonedNodes()
			}
			got := filterAll(t, plugins.PodTopologySpreadName, nil, tc.pod, nodes, tc.existing)
			for _, n := range nodes {
				assertStatus(t, tc.wantStatus[n.Name], got[n.Name], n.Name)
			}
		})
	}
}

func TestPodTopologySpreadMinDomains(t *testing.T) {
	three := int32(3)
	pod := st.MakePod("p").Label("app", "web").Obj()
	pod.Spec.TopologySpreadConstraints = []api.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: api.LabelTopologyZone, WhenUnsatisfiable: api.DoNotSchedule, MinDomains: &three,
		LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
	}}
	nodes := []*api.Node{st.MakeNode("a1").Zone("a").Obj(), st.MakeNode("b1").Zone("b").Obj()}
	existing := []*api.Pod{webPod("w1", "a1"), webPod("w2", "b1")}
	// Two domains < minDomains 3: the global minimum is 0, so 1 + 1 - 0 > 1.
	got := filterAll(t, plugins.PodTopologySpreadName, nil, pod, nodes, existing)
	assertStatus(t, unsched("node(s) didn't match pod topology spread constraints"), got["a1"])
	assertStatus(t, unsched("node(s) didn't match pod topology spread constraints"), got["b1"])
}

func TestPodTopologySpreadScore(t *testing.T) {
	existing := []*api.Pod{webPod("w1", "a1"), webPod("w2", "a2"), webPod("w3", "b1")}
	pod := st.MakePod("p").Label("app", "web").SpreadConstraint(1, api.LabelTopologyZone, api.ScheduleAnyway, "app", "web").Obj()
	// Counts a=2 b=1 c=0, weight log(3+2): raw a=3, b=2, c=0 (rounded);
	// normalized 100*(max+min-s)/max: a=0, b=33, c=100.
	assert.Equal(t, map[string]int64{"a1": 0, "a2": 0, "b1": 33, "c1": 100},
		scoreAll(t, plugins.PodTopologySpreadName, nil, pod, zonedNodes(), existing))
}

func TestInterPodAffinityFilter(t *testing.T) {
	existing := []*api.Pod{
		st.MakePod("db").Label("app", "db").Node("a1").Obj(),
		st.MakePod("cache").Label("app", "cache").Node("b1").PodAntiAffinity(api.LabelTopologyZone, "app", "web").Obj(),
	}
	affinityMiss := unresolvable("node(s) didn't match pod affinity rules")
	antiMiss := unsched("node(s) didn't match pod anti-affinity rules")
	existingMiss := unsched("node(s) didn't satisfy existing pods anti-affinity rules")
	tests := []struct {
		name       string
		pod        *api.Pod
		wantStatus map[string]*framework.Status
	}{
		{name: "no rules and not targeted by any", pod: st.MakePod("p").Label("app", "api").Obj(), wantStatus: map[string]*framework.Status{}},
		{
			name:       "affinity to the db's zone",
			pod:        st.MakePod("p").Label("app", "api").PodAffinity(api.LabelTopologyZone, "app", "db").Obj(),
			wantStatus: map[string]*framework.Status{"b1": affinityMiss, "c1": affinityMiss},
		},
		{
			name:       "affinity to the db's node",
			pod:        st.MakePod("p").Label("app", "api").PodAffinity(api.LabelHostname, "app", "db").Obj(),
			wantStatus: map[string]*framework.Status{"a2": affinityMiss, "b1": affinityMiss, "c1": affinityMiss},
		},
		{
			name:       "anti-affinity to the db's zone",
			pod:        st.MakePod("p").Label("app", "api").PodAntiAffinity(api.LabelTopologyZone, "app", "db").Obj(),
			wantStatus: map[string]*framework.Status{"a1": antiMiss, "a2": antiMiss},
		},
		{
			name:       "an existing pod's anti-affinity keeps web out of its zone",
			pod:        st.MakePod("p").Label("app", "web").Obj(),
			wantStatus: map[string]*framework.Status{"b1": existingMiss},
		},
		{
			name:       "the first pod of a self-affine group may go anywhere",
			pod:        st.MakePod("p").Label("app", "batch").PodAffinity(api.LabelTopologyZone, "app", "batch").Obj(),
			wantStatus: map[string]*framework.Status{},
		},
		{
			name:       "affinity to pods that do not exist",
			pod:        st.MakePod("p").Label("app", "api").PodAffinity(api.LabelTopologyZone, "app", "ghost").Obj(),
			wantStatus: map[string]*framework.Status{"a1": affinityMiss, "a2": affinityMiss, "b1": affinityMiss, "c1": affinityMiss},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := filterAll(t, plugins.InterPodAffinityName, nil, tc.pod, zonedNodes(), existing)
			for _, n := range zonedNodes() {
				assertStatus(t, tc.wantStatus[n.Name], got[n.Name], n.Name)
			}
		})
	}
}

func TestInterPodAffinityNamespaces(t *testing.T) {
	existing := []*api.Pod{st.MakePod("db").Label("app", "db").Namespace("data").Node("a1").Obj()}
	sameNamespace := st.MakePod("p").PodAffinity(api.LabelTopologyZone, "app", "db").Obj()
	got := filterAll(t, plugins.InterPodAffinityName, nil, sameNamespace, zonedNodes(), existing)
	assert.Equal(t, framework.UnschedulableAndUnresolvable, got["a1"].Code(), "by default a term selects the pod's own namespace")

	allNamespaces := st.MakePod("p").PodAffinity(api.LabelTopologyZone, "app", "db").Obj()
	allNamespaces.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].NamespaceSelector = &api.LabelSelector{}
	got = filterAll(t, plugins.InterPodAffinityName, nil, allNamespaces, zonedNodes(), existing)
	assert.True(t, got["a1"].IsSuccess(), "an empty namespaceSelector selects every namespace")
	assert.False(t, got["b1"].IsSuccess())

	named := st.MakePod("p").PodAffinity(api.LabelTopologyZone, "app", "db").Obj()
	named.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].Namespaces = []string{"data"}
	got = filterAll(t, plugins.InterPodAffinityName, nil, named, zonedNodes(), existing)
	assert.True(t, got["a2"].IsSuccess())
}

func TestInterPodAffinityScore(t *testing.T) {
	existing := []*api.Pod{
		st.MakePod("db").Label("app", "db").Node("a1").Obj(),
		st.MakePod("noisy").Label("app", "noisy").Node("b1").Obj(),
	}
	pod := st.MakePod("p").Label("app", "api").
		PreferredPodAffinity(50, api.LabelTopologyZone, "app", "db").
		PreferredPodAntiAffinity(50, api.LabelTopologyZone, "app", "noisy").Obj()
	// Raw a=+50, b=-50, c=0: min-max normalized.
	assert.Equal(t, map[string]int64{"a1": 100, "a2": 100, "b1": 0, "c1": 50},
		scoreAll(t, plugins.InterPodAffinityName, nil, pod, zonedNodes(), existing))

	// Existing pods' preferences towards the incoming pod count too.
	existing = []*api.Pod{st.MakePod("fan").Node("c1").PreferredPodAffinity(20, api.LabelTopologyZone, "app", "api").Obj()}
	assert.Equal(t, map[string]int64{"a1": 0, "a2": 0, "b1": 0, "c1": 100},
		scoreAll(t, plugins.InterPodAffinityName, nil, st.MakePod("p").Label("app", "api").Obj(), zonedNodes(), existing))
}

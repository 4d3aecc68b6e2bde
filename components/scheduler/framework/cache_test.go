package framework_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

func nodeNames(list []*framework.NodeInfo) []string {
	out := make([]string, len(list))
	for i, ni := range list {
		out[i] = ni.Node().Name
	}
	return out
}

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := framework.NewCache()
	c.AddNode(st.MakeNode("n1").Capacity("4", "8Gi", 110).Obj())
	c.AddNode(st.MakeNode("n2").Capacity("4", "8Gi", 110).Obj())
	snap := framework.NewEmptySnapshot()
	requested := func(node string) int64 {
		c.UpdateSnapshot(snap)
		ni, err := snap.Get(node)
		require.NoError(t, err)
		return ni.Requested.MilliCPU
	}

	assumed := st.MakePod("p").Req("1", "1Gi").Node("n1").Obj()
	require.NoError(t, c.AssumePod(assumed))
	assert.True(t, c.IsAssumedPod(assumed))
	assert.Equal(t, int64(1000), requested("n1"), "an assumed pod counts against its node at once")
	assert.Error(t, c.AssumePod(assumed), "assumed twice")

	// The watch confirms the binding, on another node than assumed.
	bound := st.MakePod("p").Req("1", "1Gi").Node("n2").Obj()
	require.NoError(t, c.AddPod(bound))
	assert.False(t, c.IsAssumedPod(bound))
	assert.Equal(t, int64(0), requested("n1"))
	assert.Equal(t, int64(1000), requested("n2"))
	assert.Error(t, c.ForgetPod(bound), "only assumed pods can be forgotten")
	assert.Error(t, c.AddPod(bound), "already added")

	// A failed binding is forgotten.
	other := st.MakePod("q").Req("500m", "").Node("n1").Obj()
	require.NoError(t, c.AssumePod(other))
	assert.Equal(t, int64(500), requested("n1"))
	require.NoError(t, c.ForgetPod(other))
	assert.Equal(t, int64(0), requested("n1"))
	assert.Equal(t, 1, c.PodCount())

	resized := st.MakePod("p").Req("2", "1Gi").Node("n2").Obj()
	require.NoError(t, c.UpdatePod(bound, resized))
	assert.Equal(t, int64(2000), requested("n2"))
	require.NoError(t, c.RemovePod(resized))
	assert.Equal(t, int64(0), requested("n2"))
	assert.Error(t, c.RemovePod(resized))
}

func TestCacheSnapshotIsIncremental(t *testing.T) {
	c := framework.NewCache()
	for _, n := range []string{"n1", "n2", "n3"} {
		c.AddNode(st.MakeNode(n).Capacity("4", "8Gi", 110).Obj())
	}
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	n1, _ := snap.Get("n1")
	n2, _ := snap.Get("n2")
	gen1 := n1.Generation

	require.NoError(t, c.AddPod(st.MakePod("p").Req("1", "").Node("n2").Obj()))
	c.UpdateSnapshot(snap)
	n1After, _ := snap.Get("n1")
	n2After, _ := snap.Get("n2")
	assert.Same(t, n1, n1After, "the snapshot keeps its NodeInfo pointers")
	assert.Same(t, n2, n2After)
	assert.Equal(t, gen1, n1After.Generation, "an untouched node is not copied again")
	assert.Len(t, n2After.Pods, 1, "the touched node is")
	assert.Equal(t, 3, snap.NumNodes())
}

func TestCacheRemoveNodeWithPods(t *testing.T) {
	c := framework.NewCache()
	node := st.MakeNode("n1").Capacity("4", "8Gi", 110).Obj()
	c.AddNode(node)
	c.AddNode(st.MakeNode("n2").Capacity("4", "8Gi", 110).Obj())
	pod := st.MakePod("p").Node("n1").Obj()
	require.NoError(t, c.AddPod(pod))
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	require.Equal(t, 2, snap.NumNodes())

	require.NoError(t, c.RemoveNode(node))
	c.UpdateSnapshot(snap)
	assert.Equal(t, []string{"n2"}, nodeNames(snap.List()))
	_, err := snap.Get("n1")
	assert.Error(t, err)
	assert.Error(t, c.RemoveNode(node))

	// The pod's deletion arrives later and is still accepted.
	require.NoError(t, c.RemovePod(pod))
	assert.Equal(t, 1, c.NodeCount())

	// A pod may arrive before its node.
	require.NoError(t, c.AddPod(st.MakePod("early").Req("1", "").Node("n3").Obj()))
	c.AddNode(st.MakeNode("n3").Capacity("4", "8Gi", 110).Obj())
	c.UpdateSnapshot(snap)
	n3, err := snap.Get("n3")
	require.NoError(t, err)
	assert.Equal(t, int64(1000), n3.Requested.MilliCPU)
}

func TestSnapshotOrderInterleavesZones(t *testing.T) {
	c := framework.NewCache()
	for _, n := range []struct{ name, zone string }{
		{"a1", "a"}, {"a2", "a"}, {"a3", "a"}, {"b1", "b"}, {"b2", "b"}, {"c1", "c"}, {"none", ""},
	} {
		w := st.MakeNode(n.name).Capacity("1", "1Gi", 10)
		if n.zone != "" {
			w.Zone(n.zone)
		}
		c.AddNode(w.Obj())
	}
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	assert.Equal(t, []string{"a1", "b1", "c1", "none", "a2", "b2", "a3"}, nodeNames(snap.List()))

	// Moving a node to another zone reorders.
	c.UpdateNode(st.MakeNode("a1").Zone("a").Obj(), st.MakeNode("a1").Capacity("1", "1Gi", 10).Zone("c").Obj())
	c.UpdateSnapshot(snap)
	assert.Equal(t, []string{"a2", "b1", "c1", "none", "a3", "b2", "a1"}, nodeNames(snap.List()))
}

func TestSnapshotAffinityLists(t *testing.T) {
	c := framework.NewCache()
	c.AddNode(st.MakeNode("n1").Obj())
	c.AddNode(st.MakeNode("n2").Obj())
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	assert.Empty(t, snap.HavePodsWithAffinityList())

	anti := st.MakePod("anti").Node("n2").PodAntiAffinity(api.LabelHostname, "app", "x").Obj()
	require.NoError(t, c.AddPod(anti))
	c.UpdateSnapshot(snap)
	assert.Equal(t, []string{"n2"}, nodeNames(snap.HavePodsWithAffinityList()))
	assert.Equal(t, []string{"n2"}, nodeNames(snap.HavePodsWithRequiredAntiAffinityList()))

	require.NoError(t, c.RemovePod(anti))
	c.UpdateSnapshot(snap)
	assert.Empty(t, snap.HavePodsWithRequiredAntiAffinityList())
}

func TestNamespaceLabels(t *testing.T) {
	c := framework.NewCache()
	ns := &api.Namespace{}
	ns.Name = "team-a"
	ns.Labels = map[string]string{"team": "a"}
	c.AddNamespace(ns)
	require.NoError(t, c.AddPod(st.MakePod("p").Namespace("team-b").Node("n").Obj()))
	snap := framework.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	assert.Equal(t, map[string]string{"team": "a", api.LabelMetadataName: "team-a"}, snap.NamespaceLabels("team-a"))
	assert.Equal(t, map[string]string{api.LabelMetadataName: "team-b"}, snap.NamespaceLabels("team-b"))
	assert.Equal(t, []string{"team-a", "team-b"}, snap.Namespaces())
}

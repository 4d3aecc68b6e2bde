package etcd_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// controlPlane is a stacked control plane assembled by hand: on node cp-i
// an etcd member etcd-cp-i and a kube-apiserver whose etcd endpoints list
// its local member first, as kubeadm's stacked topology (and sim/cluster)
// place them.
type controlPlane struct {
	k          *sim.Kernel
	nodes      []string
	etcds      []string
	apiservers []string
	members    []*etcd.Member
	kubectl    *sim.External
	admin      *client.Client
}

const adminToken = "admin-token"

func bootControlPlane(t testing.TB, n int, seed uint64) *controlPlane {
	t.Helper()
	cp := &controlPlane{k: sim.New(seed)}
	t.Cleanup(cp.k.Shutdown)
	for i := 1; i <= n; i++ {
		cp.nodes = append(cp.nodes, fmt.Sprintf("cp-%d", i))
		cp.etcds = append(cp.etcds, fmt.Sprintf("etcd-cp-%d", i))
		cp.apiservers = append(cp.apiservers, fmt.Sprintf("kube-apiserver-cp-%d", i))
	}
	cp.members = etcd.NewCluster(cp.etcds, nil)
	for i, m := range cp.members {
		require.NoError(t, cp.k.Spawn(sim.ActorSpec{Name: cp.etcds[i], Node: cp.nodes[i], Component: "etcd", Run: m.Run}))
	}
	tokens := map[string]apiserver.UserInfo{adminToken: {Name: "kubernetes-admin", Groups: []string{apiserver.GroupKubeadmClusterAd}}}
	for i := range cp.nodes {
		endpoints := append([]string{cp.etcds[i]}, append(append([]string(nil), cp.etcds[:i]...), cp.etcds[i+1:]...)...)
		run := apiserver.New(apiserver.Config{Etcd: endpoints, Tokens: tokens, Bootstrap: apiserver.DefaultBootstrap()})
		require.NoError(t, cp.k.Spawn(sim.ActorSpec{Name: cp.apiservers[i], Node: cp.nodes[i], Component: "kube-apiserver", Run: run}))
	}
	cp.kubectl = cp.k.External("kubectl", "")
	cp.admin = client.New(cp.kubectl, adminToken, cp.apiservers...)
	require.True(t, cp.waitFor(func() bool { return cp.serving(cp.admin) }, time.Minute), "control plane did not come up")
	return cp
}

func (cp *controlPlane) serving(cl *client.Client) bool {
	_, err := cl.Get("namespaces", "", "default")
	return err == nil
}

func (cp *controlPlane) waitFor(cond func() bool, limit time.Duration) bool {
	deadline := cp.k.Now() + limit
	for !cond() {
		if cp.k.Now() >= deadline {
			return false
		}
		cp.k.RunFor(100 * time.Millisecond)
	}
	return true
}

// via returns a kubectl client bound to one apiserver.
func (cp *controlPlane) via(i int) *client.Client {
	return client.New(cp.kubectl, adminToken, cp.apiservers[i])
}

// getCached reads a ConfigMap from the apiserver's watch cache
// (resourceVersion=0), without asking etcd.
func getCached(cl *client.Client, name string) (api.Object, error) {
	res, err := cl.Do(&apiwire.Request{Verb: apiwire.VerbGet, Resource: "configmaps", Namespace: "default", Name: name, ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	return res.Object, nil
}

func configMap(name string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}}
}

// With 2 of 3 etcd members down, kube-apiserver answers a write with 504
// and etcd's own message, after etcd's request timeout.
func TestAPIServerShowsQuorumLoss(t *testing.T) {
	cp := bootControlPlane(t, 3, 1)
	_, err := cp.admin.Create(configMap("before"))
	require.NoError(t, err)
	require.NoError(t, cp.k.StopNode("cp-2"))
	require.NoError(t, cp.k.StopNode("cp-3"))
	kubectl := cp.via(0)

	start := cp.k.Now()
	_, err = kubectl.Create(configMap("during"))
	require.Error(t, err)
	assert.Equal(t, "etcdserver: request timed out", err.Error())
	assert.Equal(t, int32(504), apierrors.CodeOf(err))
	assert.True(t, apierrors.IsTimeout(err))
	assert.Equal(t, "Error from server (Timeout): etcdserver: request timed out", apierrors.KubectlText(err))
	assert.InDelta(t, float64(7*time.Second), float64(cp.k.Now()-start), float64(50*time.Millisecond))

	_, err = kubectl.Get("configmaps", "default", "before")
	assert.Equal(t, int32(504), apierrors.CodeOf(err), "a quorum read fails the same way: %v", err)

	obj, err := getCached(kubectl, "before")
	require.NoError(t, err, "reads from the watch cache still work")
	assert.Equal(t, "before", obj.GetObjectMeta().Name)

	// The members come back: the cluster recovers by itself.
	require.NoError(t, cp.k.StartNode("cp-2"))
	require.True(t, cp.waitFor(func() bool {
		_, err := kubectl.Create(configMap("after"))
		return err == nil
	}, 30*time.Second))
	_, err = kubectl.Get("configmaps", "default", "before")
	assert.NoError(t, err, "nothing committed is lost")
	// A write that timed out is indeterminate, as in etcd: if the member
	// that took it was still leading, its entry sits in its log and
	// commits once a quorum is back; otherwise it was dropped.
	_, err = kubectl.Get("configmaps", "default", "during")
	t.Logf("the write that timed out: %v", err)
}

// kube-apiserver's watch cache follows its etcd watch to another member
// when the member serving it crashes, so its watchers keep getting events.
func TestAPIServerWatchSurvivesMemberCrash(t *testing.T) {
	cp := bootControlPlane(t, 3, 2)
	watcher := client.New(cp.k.External("watcher", ""), adminToken, cp.apiservers[0])
	id, err := watcher.Watch("configmaps", "default", client.ListOptions{ResourceVersion: "0"})
	require.NoError(t, err)

	require.NoError(t, cp.k.Crash(cp.etcds[0])) // kube-apiserver-cp-1's local member
	crashed := cp.k.Now()
	_, err = cp.via(1).Create(configMap("made-elsewhere"))
	require.NoError(t, err)

	ext := cp.k.External("watcher", "")
	var got []string
	ok := cp.waitFor(func() bool {
		for {
			m, ok := ext.Recv()
			if !ok {
				break
			}
			if ev, isEv := m.Body.(*apiwire.WatchEvent); isEv && ev.WatchID == id && ev.Type == apiwire.Added {
				got = append(got, ev.Object.GetObjectMeta().Name)
			}
		}
		return len(got) > 0
	}, time.Minute)
	require.True(t, ok, "the event reached the watcher through kube-apiserver-cp-1")
	assert.Equal(t, []string{"made-elsewhere"}, got)
	t.Logf("kube-apiserver-cp-1 resumed its etcd watch %s after its member crashed", cp.k.Now()-crashed)

	var notes []string
	for _, r := range cp.k.Trace().Records() {
		if r.Event == sim.EventNote && r.Kind == "rewatch" {
			notes = append(notes, r.From+": "+r.Summary())
		}
	}
	require.NotEmpty(t, notes)
	assert.True(t, strings.HasPrefix(notes[0], "kube-apiserver-cp-1: etcd watch resumed from revision "), notes[0])
}

// A member cut off from its peers: writes through its apiserver time out
// once, then go to another member; the apiserver's watch, cancelled with
// "no leader", resumes elsewhere.
func TestAPIServerFailsOverFromIsolatedMember(t *testing.T) {
	cp := bootControlPlane(t, 3, 3)
	for i := 1; i < 3; i++ {
		cp.k.CutLink(cp.etcds[0], cp.etcds[i])
	}
	kubectl := cp.via(0)
	_, err := kubectl.Create(configMap("first"))
	if err != nil {
		// The isolated member may still have been the leader for a
		// moment: the first write can time out, as in etcd.
		assert.Equal(t, int32(504), apierrors.CodeOf(err), "%v", err)
	}
	_, err = kubectl.Create(configMap("second"))
	require.NoError(t, err, "the next write fails over")
	require.True(t, cp.waitFor(func() bool {
		_, err := getCached(kubectl, "second")
		return err == nil
	}, 30*time.Second), "the watch cache of kube-apiserver-cp-1 catches up through another member")
}

// The restore drill, as an operator runs it under a control plane.
func TestAPIServerRestoreDrill(t *testing.T) {
	cp := bootControlPlane(t, 3, 4)
	_, err := cp.admin.Create(configMap("kept"))
	require.NoError(t, err)
	snap, err := etcd.SaveSnapshot(etcd.NewClient(cp.k.External("etcdctl", ""), cp.etcds...))
	require.NoError(t, err)
	lost, err := cp.admin.Create(configMap("lost"))
	require.NoError(t, err)

	disks := make([]*etcd.Disk, len(cp.members))
	for i, m := range cp.members {
		disks[i] = m.Disk
	}
	require.NoError(t, etcd.RestoreControlPlane(cp.k, cp.etcds, disks, cp.apiservers, snap, etcd.RestoreOptions{Token: "restored",
		BumpRevision: etcd.RecommendedBumpRevision, MarkCompacted: true, Now: cp.k.Now()}))
	require.True(t, cp.waitFor(func() bool { return cp.serving(cp.admin) }, time.Minute))

	_, err = cp.admin.Get("configmaps", "default", "kept")
	assert.NoError(t, err)
	_, err = cp.admin.Get("configmaps", "default", "lost")
	assert.True(t, apierrors.IsNotFound(err), "%v", err)
	_, rv, err := cp.admin.List("configmaps", "default", client.ListOptions{})
	require.NoError(t, err)
	now, _ := strconv.ParseInt(rv, 10, 64)
	before, _ := strconv.ParseInt(lost.GetObjectMeta().ResourceVersion, 10, 64)
	assert.Greater(t, now, before+etcd.RecommendedBumpRevision-10, "resourceVersions only move forward, by the bump")
	_, err = cp.admin.Watch("configmaps", "default", client.ListOptions{ResourceVersion: lost.GetObjectMeta().ResourceVersion})
	assert.True(t, apierrors.IsGone(err), "a watch from before the restore must relist: %v", err)
}

// A restore under running kube-apiservers: each notices that the member
// serving its watch stopped (with one member as with three), watches the
// restored member from its old revision, gets "compacted", relists, and
// ends its own watchers with 410 Gone.
func TestAPIServerRelistsAfterRestoreUnderIt(t *testing.T) {
	for _, members := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d members", members), func(t *testing.T) {
			testRelistAfterRestore(t, members)
		})
	}
}

func testRelistAfterRestore(t *testing.T, members int) {
	cp := bootControlPlane(t, members, 5)
	_, err := cp.admin.Create(configMap("kept"))
	require.NoError(t, err)
	snap, err := etcd.SaveSnapshot(etcd.NewClient(cp.k.External("etcdctl", ""), cp.etcds...))
	require.NoError(t, err)
	_, err = cp.admin.Create(configMap("lost"))
	require.NoError(t, err)
	ext := cp.k.External("watcher", "")
	watcher := client.New(ext, adminToken, cp.apiservers[0])
	id, err := watcher.Watch("configmaps", "default", client.ListOptions{ResourceVersion: "0"})
	require.NoError(t, err)

	for _, m := range cp.etcds {
		require.NoError(t, cp.k.Crash(m))
	}
	disks := make([]*etcd.Disk, len(cp.members))
	for i, m := range cp.members {
		disks[i] = m.Disk
	}
	require.NoError(t, etcd.RestoreCluster(snap, disks, etcd.RestoreOptions{Names: cp.etcds, Token: "restored",
		BumpRevision: etcd.RecommendedBumpRevision, MarkCompacted: true, Now: cp.k.Now()}))
	for _, m := range cp.etcds {
		require.NoError(t, cp.k.Restart(m))
	}
	var gone error
	require.True(t, cp.waitFor(func() bool {
		for {
			m, ok := ext.Recv()
			if !ok {
				break
			}
			if ev, isEv := m.Body.(*apiwire.WatchEvent); isEv && ev.WatchID == id && ev.Type == apiwire.Error {
				gone = ev.Err
			}
		}
		return gone != nil
	}, time.Minute), "the watcher is told to relist")
	assert.True(t, apierrors.IsGone(gone), "%v", gone)
	_, err = getCached(cp.via(0), "lost")
	assert.True(t, apierrors.IsNotFound(err), "the cache no longer holds what the restore removed: %v", err)
	_, err = getCached(cp.via(0), "kept")
	assert.NoError(t, err)
}

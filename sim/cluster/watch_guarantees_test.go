package cluster

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var watchDebug = flag.Bool("watch-debug", false, "print the watcher's trace")

var watchSeeds = flag.Int("watch-seeds", 16, "fault schedules for TestWatchGuarantees (make soak runs hundreds)")

// TestWatchGuarantees checks client-go's watch contract through
// kube-apiserver while a seeded schedule crashes and restarts apiservers
// and etcd members, powers control-plane nodes off and on, cuts the links
// between apiservers and etcd members and drops raft messages. A writer
// creates, updates and deletes ConfigMaps; a watcher lists, watches, and on
// a broken watch (its apiserver gone, an error event) watches again from
// the last resourceVersion it saw through the next apiserver, relisting
// only on 410 Gone. After healing, against etcd's own history:
//
//   - every stretch of one watch delivers every change of the watched
//     keys after its start, exactly once, in revision order (no gap, no
//     duplicate, no reordering);
//   - resourceVersions never go backwards, across rewatches and relists;
//   - every write acknowledged to the writer is in etcd's history;
//   - the watcher's reconstruction equals etcd's final state.
func TestWatchGuarantees(t *testing.T) {
	for seed := uint64(1); seed <= uint64(*watchSeeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { checkWatchGuarantees(t, seed) })
	}
}

// TestWatchGuaranteesAfterTheEtcdMemberGoes is the schedule that found a
// stall: kube-apiserver watches etcd through its own node's member only
// (--etcd-servers=https://127.0.0.1:2379, as kubeadm writes it), so when
// that member restarted, the watch cache's etcd watch was gone without a
// word and the cache, and every watch it served, stopped at revision 360
// while etcd went on to 629. The apiserver now follows the member and
// resumes when it goes.
func TestWatchGuaranteesAfterTheEtcdMemberGoes(t *testing.T) { checkWatchGuarantees(t, 12) }

const watchNS = "watched"

// change is one change of a watched key: its key, revision, and whether
// it deleted the key.
type change struct {
	key     string
	rev     int64
	deleted bool
}

func (c change) String() string {
	if c.deleted {
		return fmt.Sprintf("DELETE %s@%d", c.key, c.rev)
	}
	return fmt.Sprintf("PUT %s@%d", c.key, c.rev)
}

// segment is one stretch of one watch: the revision it started after and
// what it delivered.
type segment struct {
	after   int64
	server  string
	changes []change
}

func checkWatchGuarantees(t *testing.T, seed uint64) {
	c, err := New(Config{Seed: seed, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	k := c.K
	k.RunFor(5 * time.Second)
	_, err = c.Admin.Create(&api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: watchNS}})
	require.NoError(t, err)

	acked := map[int64]string{} // revision -> key, of acknowledged writes
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "writer", Node: "outside", Run: func(ctx *sim.Ctx) {
		cl := client.New(ctx, AdminToken, c.APIServers...)
		rng := ctx.Rand()
		for i := 0; ; i++ {
			name := fmt.Sprintf("cm-%d", rng.IntN(5))
			var obj api.Object
			var err error
			switch rng.IntN(4) {
			case 0:
				obj, err = cl.Delete("configmaps", watchNS, name, client.DeleteOptions{})
			default:
				cm := &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name, Namespace: watchNS},
					Data: map[string]string{"i": strconv.Itoa(i)}}
				if obj, err = cl.Update(cm); apierrors.IsNotFound(err) {
					obj, err = cl.Create(cm)
				}
			}
			if err == nil && obj != nil {
				if rv, e := strconv.ParseInt(obj.GetObjectMeta().ResourceVersion, 10, 64); e == nil {
					acked[rv] = name
				}
			}
			ctx.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		}
	}}))

	var segments []*segment
	var state map[string]int64 // the watcher's reconstruction: key -> revision
	var backwards []string
	var relists, gones int
	lastRV := int64(0)
	seen := func(rv int64, what string) {
		if rv < lastRV {
			backwards = append(backwards, fmt.Sprintf("%s at resourceVersion %d after %d", what, rv, lastRV))
		}
		lastRV = max(lastRV, rv)
	}
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "watcher", Node: "outside", Run: func(ctx *sim.Ctx) {
		cl := client.New(ctx, AdminToken, c.APIServers...)
		var cur *segment
		var watchID int64
		list := func() bool {
			items, rv, err := cl.List("configmaps", watchNS, client.ListOptions{})
			if err != nil {
				return false
			}
			relists++
			n, _ := strconv.ParseInt(rv, 10, 64)
			seen(n, "a list")
			state = map[string]int64{}
			for _, o := range items {
				r, _ := strconv.ParseInt(o.GetObjectMeta().ResourceVersion, 10, 64)
				state[o.GetObjectMeta().Name] = r
			}
			cur = &segment{after: n}
			return true
		}
		watch := func() error {
			id, err := cl.Watch("configmaps", watchNS, client.ListOptions{ResourceVersion: strconv.FormatInt(cur.after, 10), AllowWatchBookmarks: true})
			if err != nil {
				return err
			}
			watchID, cur.server = id, cl.Server()
			segments = append(segments, cur)
			return nil
		}
		// (Re)start: watch from the last revision seen, relist on 410.
		restart := func() {
			for {
				if cur == nil && !list() {
					ctx.Sleep(time.Second)
					continue
				}
				err := watch()
				if err == nil {
					return
				}
				if apierrors.IsGone(err) {
					gones++
					cur = nil
					continue
				}
				ctx.Sleep(time.Second)
			}
		}
		restart()
		for {
			m := ctx.Recv()
			switch b := m.Body.(type) {
			case sim.Down:
				if b.Name == cur.server {
					cur = &segment{after: lastRV}
					restart()
				}
			case *apiwire.WatchEvent:
				if b.WatchID != watchID || m.From != cur.server {
					continue
				}
				switch b.Type {
				case apiwire.Error:
					if apierrors.IsGone(b.Err) {
						gones++
						cur = nil
					} else {
						cur = &segment{after: lastRV}
					}
					restart()
				case apiwire.Bookmark:
					rv, _ := strconv.ParseInt(b.Object.GetObjectMeta().ResourceVersion, 10, 64)
					seen(rv, "a bookmark")
				default:
					meta := b.Object.GetObjectMeta()
					rv, _ := strconv.ParseInt(meta.ResourceVersion, 10, 64)
					seen(rv, string(b.Type)+" "+meta.Name)
					ch := change{key: meta.Name, rev: rv, deleted: b.Type == apiwire.Deleted}
					cur.changes = append(cur.changes, ch)
					if ch.deleted {
						delete(state, ch.key)
					} else {
						state[ch.key] = rv
					}
				}
			}
		}
	}}))

	scheduleControlPlaneFaults(t, c, 40*time.Second)
	k.RunFor(45 * time.Second)
	for _, l := range k.Links() {
		k.HealLink(l[0], l[1])
	}
	for _, n := range c.cfg.ControlPlanes {
		if k.NodeDown(n) {
			require.NoError(t, k.StartNode(n))
		}
	}
	for _, a := range k.Actors() {
		if !k.Running(a.Name) && (a.Component == "etcd" || a.Component == "kube-apiserver") {
			require.NoError(t, k.Restart(a.Name))
		}
	}
	k.RunFor(20 * time.Second)
	require.NoError(t, k.Crash("writer"))
	k.RunFor(20 * time.Second) // the last events reach the watcher

	if *watchDebug {
		for _, r := range k.Trace().Since(0) {
			if r.From == "watcher" || r.To == "watcher" || (r.From == "kube-apiserver-cp-2" || r.To == "kube-apiserver-cp-2") && !strings.Contains(r.Text(), "request") && !strings.Contains(r.Text(), "Txn") && !strings.Contains(r.Text(), "Range") || r.Event == sim.EventFault {
				t.Log(r.Text())
			}
		}
	}
	// etcd's history of the watched keys, from a member's store.
	store := c.Disk("cp-1").Store
	prefix := "/registry/configmaps/" + watchNS + "/"
	var truth []change
	for _, ev := range store.Changes(0, store.Rev()) {
		if name, ok := strings.CutPrefix(ev.KV.Key, prefix); ok {
			truth = append(truth, change{key: name, rev: ev.KV.ModRevision, deleted: ev.Type == mvcc.EventDelete})
		}
	}
	require.NotEmpty(t, truth, "seed %d: nothing was written", seed)
	assert.Empty(t, backwards, "seed %d: resourceVersions went backwards", seed)
	for rv, name := range acked {
		i := sort.Search(len(truth), func(i int) bool { return truth[i].rev >= rv })
		assert.True(t, i < len(truth) && truth[i].rev == rv && truth[i].key == name, "seed %d: acknowledged write of %s at %d is not in etcd's history", seed, name, rv)
	}
	for i, s := range segments {
		if len(s.changes) == 0 {
			continue
		}
		last := s.changes[len(s.changes)-1].rev
		var want []change
		for _, ch := range truth {
			if ch.rev > s.after && ch.rev <= last {
				want = append(want, ch)
			}
		}
		assert.Equal(t, fmt.Sprint(want), fmt.Sprint(s.changes), "seed %d: watch %d on %s from %d", seed, i, s.server, s.after)
	}
	final := map[string]int64{}
	for _, ch := range truth {
		if ch.deleted {
			delete(final, ch.key)
		} else {
			final[ch.key] = ch.rev
		}
	}
	assert.Equal(t, final, state, "seed %d: the watcher's reconstruction differs from etcd", seed)
	t.Logf("seed %d: %d changes, %d acknowledged writes, %d watches, %d lists, %d 410 Gone", seed, len(truth), len(acked), len(segments), relists, gones)
}

// scheduleControlPlaneFaults draws faults over the control plane from the
// kernel's "faults" stream.
func scheduleControlPlaneFaults(t *testing.T, c *Cluster, chaos time.Duration) {
	k := c.K
	rng := k.Rand("faults")
	cps := c.cfg.ControlPlanes
	for at := 2 * time.Second; at < chaos; at += time.Duration(300+rng.IntN(1500)) * time.Millisecond {
		i, j := rng.IntN(len(cps)), rng.IntN(len(cps))
		heal := at + time.Duration(500+rng.IntN(5000))*time.Millisecond
		switch rng.IntN(5) {
		case 0:
			name := c.APIServers[i]
			k.At(at, "crash "+name, func() { _ = k.Crash(name) })
			k.At(heal, "restart "+name, func() {
				if !k.Running(name) && !k.NodeDown(cps[i]) {
					_ = k.Restart(name)
				}
			})
		case 1:
			name := c.EtcdMembers[i]
			k.At(at, "crash "+name, func() { _ = k.Crash(name) })
			k.At(heal, "restart "+name, func() {
				if !k.Running(name) && !k.NodeDown(cps[i]) {
					_ = k.Restart(name)
				}
			})
		case 2:
			node := cps[i]
			k.At(at, "stop "+node, func() { _ = k.StopNode(node) })
			k.At(heal, "start "+node, func() { _ = k.StartNode(node) })
		case 3:
			a, b := c.APIServers[i], c.EtcdMembers[j]
			k.At(at, "cut", func() { k.CutLink(a, b) })
			k.At(heal, "heal", func() { k.HealLink(a, b) })
		case 4:
			to := c.EtcdMembers[i]
			var id sim.RuleID
			k.At(at, "lossy "+to, func() { id, _ = k.AddRule(sim.Rule{To: to, Kind: "Msg*", Drop: true, Probability: 0.3}) })
			k.At(heal, "lossless "+to, func() { k.RemoveRule(id) })
		}
	}
}

package etcd

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorTexts(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"request timeout", ErrRequestTimeout, "etcdserver: request timed out"},
		{"no leader", ErrNoLeader, "etcdserver: no leader"},
		{"leader changed", ErrLeaderChanged, "etcdserver: leader changed"},
		{"not leader", ErrNotLeader, "etcdserver: not leader"},
		{"timeout after a leader failure", ErrTimeoutDueToLeaderFail, "etcdserver: request timed out, possibly due to previous leader failure"},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.EqualError(t, tt.err, tt.want) })
	}
	assert.True(t, errors.Is(ErrTimeoutDueToLeaderFail, ErrRequestTimeout), "the variant is a request timeout")
	assert.Equal(t, 7*time.Second, DefaultRequestTimeout, "5 s + 2 × the 1 s election timeout, as etcd's ReqTimeout")
}

// The behaviour observed on real etcd v3.6 with 2 of 3 members down.
func TestQuorumLoss(t *testing.T) {
	tc := newTestCluster(t, 3, 1)
	l, _ := tc.waitLeader(5 * time.Second)
	_, err := tc.cl.Txn(put("/a", "committed"))
	require.NoError(t, err)

	// Keep the member the client talks to, stop the other two.
	survivor := (l + 1) % 3
	for i := range tc.members {
		if i != survivor {
			require.NoError(t, tc.k.StopNode(tc.nodes[i]))
		}
	}
	cl := NewClient(tc.ext, tc.names[survivor])

	start := tc.k.Now()
	_, err = cl.Txn(put("/a", "lost"))
	assert.Equal(t, ErrRequestTimeout, err, "a write waits and fails")
	assert.InDelta(t, float64(7*time.Second), float64(tc.k.Now()-start), float64(10*time.Millisecond), "after the server's request timeout")

	start = tc.k.Now()
	_, err = cl.Range("/a", "", mvcc.RangeOptions{}, false)
	assert.Equal(t, ErrRequestTimeout, err, "a linearizable read fails the same way")
	assert.InDelta(t, float64(7*time.Second), float64(tc.k.Now()-start), float64(10*time.Millisecond))

	start = tc.k.Now()
	res, err := cl.Range("/a", "", mvcc.RangeOptions{}, true)
	require.NoError(t, err, "a serializable read is served locally")
	assert.Equal(t, "committed", string(res.KVs[0].Value))
	assert.Less(t, tc.k.Now()-start, 2*time.Millisecond)

	start = tc.k.Now()
	_, _, err = cl.Watch(mvcc.WatchRequest{Key: "/a"})
	assert.Equal(t, ErrNoLeader, err, "a watch that requires a leader fails at once")
	assert.Less(t, tc.k.Now()-start, 2*time.Millisecond)

	strict := NewClient(tc.ext, tc.names[survivor])
	strict.RequireLeader = true
	start = tc.k.Now()
	_, err = strict.Txn(put("/a", "refused"))
	assert.Equal(t, ErrNoLeader, err, "a request that requires a leader fails at once")
	assert.Less(t, tc.k.Now()-start, 2*time.Millisecond)

	line, healthy := EndpointHealth(tc.ext, tc.names[survivor])
	assert.False(t, healthy)
	assert.Equal(t, tc.names[survivor]+" is unhealthy: failed to commit proposal: context deadline exceeded", line)

	st, err := cl.MemberStatus(tc.names[survivor])
	require.NoError(t, err, "status needs no leader")
	assert.Zero(t, st.Leader)
	assert.Equal(t, []string{"etcdserver: no leader"}, st.Errors)

	// One member back: the cluster recovers by itself, nothing committed
	// is lost, and the write that timed out never happened.
	back := (survivor + 1) % 3
	require.NoError(t, tc.k.StartNode(tc.nodes[back]))
	_, took := tc.waitLeader(10 * time.Second)
	t.Logf("leader elected %s after a member returned", took)
	res, err = cl.Range("/a", "", mvcc.RangeOptions{}, false)
	require.NoError(t, err)
	assert.Equal(t, "committed", string(res.KVs[0].Value))
	_, err = cl.Txn(put("/b", "after"))
	require.NoError(t, err)
	line, healthy = EndpointHealth(tc.ext, tc.names[survivor])
	assert.True(t, healthy, line)
	assert.Regexp(t, `^etcd-cp-\d is healthy: successfully committed proposal: took = \d`, line)
}

// After a leader crash the others elect a new one within 1–2 election
// timeouts of its last heartbeat, and writes continue through the client.
func TestLeaderCrashFailover(t *testing.T) {
	var total time.Duration
	var times []string
	const runs = 20
	for seed := uint64(1); seed <= runs; seed++ {
		tc := newTestCluster(t, 3, seed)
		l, _ := tc.waitLeader(5 * time.Second)
		_, err := tc.cl.Txn(put("/before", "1"))
		require.NoError(t, err)
		tc.k.RunFor(time.Duration(seed) * 7 * time.Millisecond) // crash at various points of the heartbeat cycle
		require.NoError(t, tc.k.Crash(tc.names[l]))
		nl, took := tc.waitLeader(5 * time.Second)
		require.NotEqual(t, l, nl)
		assert.GreaterOrEqual(t, took, 900*time.Millisecond, "seed %d: nobody campaigns within an election timeout of the last heartbeat", seed)
		// A candidate whose pre-vote reaches a peer that heard the leader a
		// tick later than it did is refused (that peer's lease has not
		// run out) and tries again after another random timeout, as in
		// etcd; hence the tail.
		assert.LessOrEqual(t, took, 4*time.Second, "seed %d", seed)
		total += took
		times = append(times, took.Round(time.Millisecond).String())
		_, err = tc.cl.Txn(put("/after", "1"))
		require.NoError(t, err, "seed %d: writes continue", seed)
		tc.k.Shutdown()
	}
	mean := total / runs
	t.Logf("re-election after a leader crash: mean %s over %d seeds %v (heartbeat 100 ms, election timeout 1000 ms; real etcd v3.6 ~1.2 s)", mean, runs, times)
	assert.Greater(t, mean, time.Second)
	assert.Less(t, mean, 1600*time.Millisecond)
}

// A leader cut off from its peers steps down (CheckQuorum); a write sent to
// it times out, and the client's next request goes to another member.
func TestPartitionedLeaderStepsDown(t *testing.T) {
	tc := newTestCluster(t, 3, 2)
	l, _ := tc.waitLeader(5 * time.Second)
	_, err := tc.cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	for i := range tc.names {
		if i != l {
			tc.k.CutLink(tc.names[l], tc.names[i])
		}
	}
	cut := tc.k.Now()
	old := tc.members[l].srv
	ok := tc.k.RunUntil(func() bool { return old.lead == 0 }, 3*time.Second)
	require.True(t, ok, "the old leader steps down")
	assert.LessOrEqual(t, tc.k.Now()-cut, 2*time.Second, "within about an election timeout of its last quorum contact")

	cl := NewClient(tc.ext, append([]string{tc.names[l]}, without(tc.names, l)...)...)
	_, err = cl.Txn(put("/a", "2"))
	assert.Equal(t, ErrRequestTimeout, err)
	res, err := cl.Txn(put("/a", "3"))
	require.NoError(t, err, "the next request fails over")
	assert.NotEqual(t, tc.names[l], cl.Endpoint())

	for i := range tc.names {
		if i != l {
			tc.k.HealLink(tc.names[l], tc.names[i])
		}
	}
	require.True(t, tc.k.RunUntil(tc.converged, 5*time.Second))
	for i := range tc.members {
		assert.Equal(t, "3", tc.value(i, "/a"))
		assert.Equal(t, res.Header.Revision, tc.members[i].Disk.Store.Rev(), "the write that timed out on the old leader never committed")
	}
}

func without(list []string, i int) []string {
	return append(append([]string(nil), list[:i]...), list[i+1:]...)
}

// A member that restarts after the leader compacted its log catches up
// from a snapshot of the leader's store; its watches continue from there.
func TestRestartedMemberCatchesUpFromSnapshot(t *testing.T) {
	tc := newTestCluster(t, 3, 3, func(c *Config) { c.SnapshotCount, c.SnapshotCatchUpEntries = 20, 5 })
	l, _ := tc.waitLeader(5 * time.Second)
	f := (l + 1) % 3
	require.NoError(t, tc.k.Crash(tc.names[f]))
	cl := NewClient(tc.ext, tc.names[l])
	for i := 0; i < 60; i++ {
		_, err := cl.Txn(put("/k", string(rune('a'+i%26))))
		require.NoError(t, err)
	}
	first, _ := tc.members[l].Disk.Log.FirstIndex()
	require.Greater(t, first, tc.members[f].Disk.Applied+1, "the leader compacted past the follower")
	require.NoError(t, tc.k.Restart(tc.names[f]))
	require.True(t, tc.k.RunUntil(tc.converged, 5*time.Second))
	assert.Equal(t, tc.value(l, "/k"), tc.value(f, "/k"))
	assert.Equal(t, tc.members[l].Disk.Store.Status().Revisions, tc.members[f].Disk.Store.Status().Revisions)
}

// Every member's disk survives a power-off of every node.
func TestFullClusterRestartKeepsData(t *testing.T) {
	tc := newTestCluster(t, 3, 4)
	tc.waitLeader(5 * time.Second)
	res, err := tc.cl.Txn(put("/a", "kept"))
	require.NoError(t, err)
	for _, n := range tc.nodes {
		require.NoError(t, tc.k.StopNode(n))
	}
	tc.k.RunFor(time.Minute)
	for _, n := range tc.nodes {
		require.NoError(t, tc.k.StartNode(n))
	}
	tc.waitLeader(5 * time.Second)
	got, err := tc.cl.Range("/a", "", mvcc.RangeOptions{}, false)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got.KVs[0].Value))
	assert.Equal(t, res.Header.Revision, got.Header.Revision)
}

// A watch lives on its member: when the member loses its leader for three
// election timeouts, require-leader watches are cancelled with "no leader",
// and a watch reopened elsewhere from the next revision misses nothing.
func TestWatchCancelledWithoutLeaderAndResumedElsewhere(t *testing.T) {
	tc := newTestCluster(t, 3, 5)
	l, _ := tc.waitLeader(5 * time.Second)
	f := (l + 1) % 3
	watcher := tc.k.External("watcher", "")
	wcl := NewClient(watcher, tc.names[f])
	w, member, err := wcl.Watch(mvcc.WatchRequest{Key: "/k/", End: mvcc.PrefixEnd("/k/")})
	require.NoError(t, err)
	require.Equal(t, tc.names[f], member)
	_, err = tc.cl.Txn(put("/k/1", "a"))
	require.NoError(t, err)
	tc.k.RunFor(10 * time.Millisecond)

	// Isolate the watch's member from its peers.
	for i := range tc.names {
		if i != f {
			tc.k.CutLink(tc.names[f], tc.names[i])
		}
	}
	cl := NewClient(tc.ext, tc.names[l], tc.names[(f+1)%3])
	_, err = cl.Txn(put("/k/2", "b"))
	require.NoError(t, err)
	var events []mvcc.Event
	var cancelled *WatchResponse
	drain := func() {
		for {
			m, ok := watcher.Recv()
			if !ok {
				return
			}
			r := m.Body.(*WatchResponse)
			if r.Canceled {
				cancelled = r
				continue
			}
			events = append(events, r.Events...)
		}
	}
	tc.k.RunUntil(func() bool { drain(); return cancelled != nil }, 6*time.Second)
	require.NotNil(t, cancelled)
	assert.Equal(t, w.WatchID, cancelled.WatchID)
	assert.Equal(t, "etcdserver: no leader", cancelled.CancelReason)
	require.Len(t, events, 1, "the isolated member never saw /k/2")
	last := events[0].KV.ModRevision

	wcl2 := NewClient(watcher, without(tc.names, f)...)
	_, member, err = wcl2.Watch(mvcc.WatchRequest{Key: "/k/", End: mvcc.PrefixEnd("/k/"), StartRev: last + 1})
	require.NoError(t, err)
	assert.NotEqual(t, tc.names[f], member)
	tc.k.RunFor(10 * time.Millisecond)
	drain()
	require.Len(t, events, 2)
	assert.Equal(t, "/k/2", events[1].KV.Key)
}

// Keep-alives reach the leader through any member; an expired lease is
// revoked through the log on every member.
func TestLeasesThroughTheLeader(t *testing.T) {
	tc := newTestCluster(t, 3, 6)
	l, _ := tc.waitLeader(5 * time.Second)
	f := (l + 1) % 3
	cl := NewClient(tc.ext, tc.names[f])
	lease, err := cl.Grant(5)
	require.NoError(t, err)
	_, err = cl.Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut("/leased", []byte("x"), lease.ID)}})
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		tc.k.RunFor(3 * time.Second)
		res, err := cl.KeepAlive(lease.ID)
		require.NoError(t, err, "a follower forwards keep-alives to the leader")
		assert.Equal(t, int64(5), res.TTL)
	}
	tc.k.RunFor(6 * time.Second)
	for i := range tc.members {
		assert.Empty(t, tc.value(i, "/leased"), "member %d applied the revocation", i)
	}
	_, err = cl.KeepAlive(lease.ID)
	assert.True(t, errors.Is(err, mvcc.ErrLeaseNotFound), "%v", err)
}

func TestKernelShutdownLeavesNoGoroutines(t *testing.T) {
	k := sim.New(1)
	for i, m := range NewCluster([]string{"a", "b", "c"}, nil) {
		require.NoError(t, k.Spawn(sim.ActorSpec{Name: []string{"a", "b", "c"}[i], Node: []string{"a", "b", "c"}[i], Run: m.Run}))
	}
	k.RunFor(3 * time.Second)
	k.Shutdown()
}

// A leader stopped gracefully hands over in a few milliseconds, where a
// crash costs an election timeout.
func TestGracefulStopTransfersLeadership(t *testing.T) {
	tc := newTestCluster(t, 3, 8)
	l, _ := tc.waitLeader(5 * time.Second)
	_, err := tc.cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	start := tc.k.Now()
	require.NoError(t, GracefulStop(tc.ext, tc.names[l]))
	assert.False(t, tc.k.Running(tc.names[l]))
	nl, _ := tc.waitLeader(5 * time.Second)
	assert.NotEqual(t, l, nl)
	took := tc.k.Now() - start
	assert.Less(t, took, 10*time.Millisecond, "handed over in %s", took)
	t.Logf("graceful leader stop: new leader after %s", took)
	_, err = tc.cl.Txn(put("/a", "2"))
	require.NoError(t, err)
	require.NoError(t, tc.k.Restart(tc.names[l]))
	require.True(t, tc.k.RunUntil(tc.converged, 5*time.Second))
	assert.Equal(t, "2", tc.value(l, "/a"))
}

// A write that a follower forwarded to a leader that had just crashed is
// lost with it; it times out, and etcd says why.
func TestWriteLostWithTheLeaderTimesOut(t *testing.T) {
	tc := newTestCluster(t, 3, 9)
	l, _ := tc.waitLeader(5 * time.Second)
	f := (l + 1) % 3
	cl := NewClient(tc.ext, tc.names[f])
	_, err := cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	require.NoError(t, tc.k.Crash(tc.names[l]))
	start := tc.k.Now()
	_, err = cl.Txn(put("/a", "2"))
	assert.Equal(t, ErrTimeoutDueToLeaderFail, err)
	assert.True(t, errors.Is(err, ErrRequestTimeout))
	assert.InDelta(t, float64(7*time.Second), float64(tc.k.Now()-start), float64(10*time.Millisecond))
	_, err = cl.Txn(put("/a", "3"))
	require.NoError(t, err, "the new leader takes writes")
}

// etcdctl move-leader hands the lead to the member asked for, from
// whichever member led; the same member again is a no-op; a name that is
// no member and a request to a follower fail with etcd's errors.
func TestMoveLeader(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		tc := newTestCluster(t, 3, seed)
		l, _ := tc.waitLeader(5 * time.Second)
		to := (l + 1) % 3
		res, err := MoveLeader(tc.ext, tc.names, tc.names[to])
		require.NoError(t, err, "seed %d", seed)
		assert.Equal(t, tc.names[l], res.From)
		assert.Equal(t, tc.names[to], res.To)
		assert.Equal(t, fmt.Sprintf("Leadership transferred from %x to %x", tc.members[l].ID, tc.members[to].ID), res.Summary())
		assert.Equal(t, to, tc.leader(), "seed %d", seed)

		again, err := MoveLeader(tc.ext, tc.names, tc.names[to])
		require.NoError(t, err)
		assert.Equal(t, tc.names[to], again.From)

		_, err = MoveLeader(tc.ext, tc.names, "etcd-cp-9")
		assert.ErrorIs(t, err, ErrBadLeaderTransferee)
		follower := (to + 1) % 3
		_, err = tc.ext.Call(tc.names[follower], KindMoveLeader, MoveLeaderRequest{To: tc.names[follower]}, DefaultTimeout)
		assert.ErrorContains(t, err, ErrNotLeader.Error())
		_, err = tc.cl.Txn(put("/a", "1"))
		require.NoError(t, err, "the new leader commits")
		tc.k.Shutdown()
	}
}

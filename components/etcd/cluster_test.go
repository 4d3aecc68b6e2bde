package etcd

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCluster is a kernel with n etcd members, member i on node cp-i, and
// an external etcdctl-like client.
type testCluster struct {
	t       testing.TB
	k       *sim.Kernel
	names   []string
	nodes   []string
	members []*Member
	ext     *sim.External
	cl      *Client
	// leaders records who announced leadership of each term.
	leaders map[uint64][]string
}

func newTestCluster(t testing.TB, n int, seed uint64, opts ...func(*Config)) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, leaders: map[uint64][]string{}}
	tc.k = sim.New(seed, sim.WithTraceSink(tc.observe))
	t.Cleanup(tc.k.Shutdown)
	for i := 1; i <= n; i++ {
		tc.nodes = append(tc.nodes, fmt.Sprintf("cp-%d", i))
		tc.names = append(tc.names, fmt.Sprintf("etcd-cp-%d", i))
	}
	tc.members = NewCluster(tc.names, nil, opts...)
	for i, m := range tc.members {
		require.NoError(t, tc.k.Spawn(sim.ActorSpec{Name: tc.names[i], Node: tc.nodes[i], Component: "etcd", Run: m.Run}))
	}
	tc.ext = tc.k.External("etcdctl", "")
	tc.cl = NewClient(tc.ext, tc.names...)
	return tc
}

func (tc *testCluster) observe(r sim.Record) {
	if r.Event != sim.EventNote || r.Kind != "raft" {
		return
	}
	if rest, ok := strings.CutPrefix(r.Summary(), "elected leader at term "); ok {
		term, _ := strconv.ParseUint(rest, 10, 64)
		tc.leaders[term] = append(tc.leaders[term], r.From)
	}
}

// leader is the index of the running member that leads the highest term,
// or -1.
func (tc *testCluster) leader() int {
	best, bestTerm := -1, uint64(0)
	for i, m := range tc.members {
		if !tc.k.Running(tc.names[i]) || m.srv == nil {
			continue
		}
		if m.srv.state == raft.StateLeader && m.srv.term >= bestTerm {
			best, bestTerm = i, m.srv.term
		}
	}
	return best
}

// stableLeader reports a leader that a majority of the members follow.
func (tc *testCluster) stableLeader() int {
	l := tc.leader()
	if l < 0 {
		return -1
	}
	id := tc.members[l].ID
	n := 0
	for i, m := range tc.members {
		if tc.k.Running(tc.names[i]) && m.srv != nil && m.srv.lead == id && m.srv.term == tc.members[l].srv.term {
			n++
		}
	}
	if n <= len(tc.members)/2 {
		return -1
	}
	return l
}

// waitLeader runs the cluster until a leader is followed by a majority and
// returns it with the virtual time that took.
func (tc *testCluster) waitLeader(limit time.Duration) (int, time.Duration) {
	tc.t.Helper()
	start := tc.k.Now()
	ok := tc.k.RunUntil(func() bool { return tc.stableLeader() >= 0 }, limit)
	require.True(tc.t, ok, "no leader within %s", limit)
	return tc.stableLeader(), tc.k.Now() - start
}

func put(key, value string) mvcc.TxnRequest {
	return mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut(key, []byte(value), 0)}}
}

// value reads key from member i's store directly.
func (tc *testCluster) value(i int, key string) string {
	res, err := tc.members[i].Disk.Store.Range(key, "", mvcc.RangeOptions{})
	require.NoError(tc.t, err)
	if len(res.KVs) == 0 {
		return ""
	}
	return string(res.KVs[0].Value)
}

// converged reports whether every running member has applied the same
// index and holds the same revision.
func (tc *testCluster) converged() bool {
	var applied uint64
	var rev int64
	for i, m := range tc.members {
		if !tc.k.Running(tc.names[i]) {
			return false
		}
		if i == 0 {
			applied, rev = m.Disk.Applied, m.Disk.Store.Rev()
			continue
		}
		if m.Disk.Applied != applied || m.Disk.Store.Rev() != rev {
			return false
		}
	}
	return true
}

func TestOneMemberServesAtOnce(t *testing.T) {
	tc := newTestCluster(t, 1, 1)
	res, err := tc.cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Header.Revision)
	require.Equal(t, time.Millisecond, tc.k.Now(), "one member commits without a round trip or a timer")
	got, err := tc.cl.Range("/a", "", mvcc.RangeOptions{}, false)
	require.NoError(t, err)
	require.Equal(t, "1", string(got.KVs[0].Value))
}

func TestThreeMembersReplicate(t *testing.T) {
	tc := newTestCluster(t, 3, 1)
	_, took := tc.waitLeader(5 * time.Second)
	require.Less(t, took, 2*time.Second, "initial election tick advance: the first leader comes within about an election timeout")
	res, err := tc.cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	tc.k.RunFor(10 * time.Millisecond)
	for i := range tc.members {
		require.Equal(t, "1", tc.value(i, "/a"), "member %d applied the write", i)
		require.Equal(t, res.Header.Revision, tc.members[i].Disk.Store.Rev())
	}
	st := Statuses(tc.cl, tc.names)
	l := tc.leader()
	for i, s := range st {
		require.NoError(t, s.Err)
		require.Equal(t, tc.members[l].ID, s.Status.Leader, "member %d knows the leader", i)
		require.Equal(t, res.Header.Revision, s.Status.Header.Revision)
	}
}

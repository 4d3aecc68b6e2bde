package etcd

import (
	"bytes"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

var safetySeeds = flag.Int("safety-seeds", 12, "seeds per cluster size for TestRaftSafety")

type appliedEntry struct {
	term uint64
	data []byte
}

// TestRaftSafety runs 3- and 5-member clusters under a stream of writes
// while a seeded driver crashes and restarts members, powers nodes off and
// on and cuts links between members, then heals everything and checks
// raft's safety properties:
//
//   - election safety: at most one member is elected leader in a term;
//   - log matching: where two logs hold an entry with the same index and
//     term, they hold the same entry;
//   - leader completeness, as clients see it: every write acknowledged to
//     a client is in every member's store at the end;
//   - state machine safety: members apply the same entry at each index,
//     and end with identical stores.
//
// Each failure names its seed; `go test -run 'TestRaftSafety/members=3/seed=7'`
// replays it exactly.
func TestRaftSafety(t *testing.T) {
	for _, n := range []int{3, 5} {
		for seed := uint64(1); seed <= uint64(*safetySeeds); seed++ {
			t.Run(fmt.Sprintf("members=%d/seed=%d", n, seed), func(t *testing.T) {
				checkSafety(t, n, seed)
			})
		}
	}
}

func checkSafety(t *testing.T, n int, seed uint64) {
	tc := newTestCluster(t, n, seed, func(c *Config) { c.SnapshotCount, c.SnapshotCatchUpEntries = 50, 10 })
	applied := make([]map[uint64]appliedEntry, n)
	for i, m := range tc.members {
		applied[i] = map[uint64]appliedEntry{}
		rec := applied[i]
		m.onApply = func(e *raftpb.Entry) { rec[e.Index] = appliedEntry{term: e.Term, data: e.Data} }
	}
	k := tc.k
	acked := map[string]string{}
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "writer", Node: "client", Run: func(c *sim.Ctx) {
		cl := NewClient(c, tc.names...)
		for i := 0; ; i++ {
			key, val := fmt.Sprintf("/k/%06d", i), fmt.Sprintf("v%d", i)
			if _, err := cl.Txn(put(key, val)); err == nil {
				acked[key] = val
			}
			c.Sleep(time.Duration(5+c.Rand().IntN(30)) * time.Millisecond)
		}
	}}))

	// The fault schedule, drawn from the seed.
	rng := k.Rand("faults")
	const chaos = 30 * time.Second
	for at := time.Second; at < chaos; at += time.Duration(300+rng.IntN(2000)) * time.Millisecond {
		i, j := rng.IntN(n), rng.IntN(n)
		heal := at + time.Duration(200+rng.IntN(4000))*time.Millisecond
		switch rng.IntN(5) {
		case 0:
			name := tc.names[i]
			k.At(at, "crash "+name, func() { _ = k.Crash(name) })
			k.At(heal, "restart "+name, func() {
				if !k.Running(name) && !k.NodeDown(tc.nodes[i]) {
					_ = k.Restart(name)
				}
			})
		case 1:
			node := tc.nodes[i]
			k.At(at, "stop "+node, func() { _ = k.StopNode(node) })
			k.At(heal, "start "+node, func() { _ = k.StartNode(node) })
		case 2:
			if i == j {
				continue
			}
			a, b := tc.names[i], tc.names[j]
			k.At(at, "cut", func() { k.CutLink(a, b) })
			k.At(heal, "heal", func() { k.HealLink(a, b) })
		case 3:
			// A lossy link: raft messages to one member dropped at random.
			to := tc.names[i]
			var id sim.RuleID
			k.At(at, "lossy "+to, func() { id, _ = k.AddRule(sim.Rule{To: to, Kind: "Msg*", Drop: true, Probability: 0.3}) })
			k.At(heal, "lossless "+to, func() { k.RemoveRule(id) })
		case 4:
			// A slow link: messages from one member delayed, so they
			// arrive out of order with newer ones.
			from := tc.names[i]
			var id sim.RuleID
			delay := time.Duration(1+rng.IntN(300)) * time.Millisecond
			k.At(at, "slow "+from, func() {
				id, _ = k.AddRule(sim.Rule{From: from, Kind: "Msg*", Delay: delay, Probability: 0.5})
			})
			k.At(heal, "fast "+from, func() { k.RemoveRule(id) })
		}
	}
	k.RunFor(chaos + 5*time.Second)
	for i, name := range tc.names {
		for _, l := range k.Links() {
			k.HealLink(l[0], l[1])
		}
		if k.NodeDown(tc.nodes[i]) {
			require.NoError(t, k.StartNode(tc.nodes[i]))
		}
		if !k.Running(name) {
			require.NoError(t, k.Restart(name))
		}
	}
	require.NoError(t, k.Crash("writer"))
	require.True(t, k.RunUntil(tc.converged, time.Minute), "seed %d: members did not converge", seed)
	require.NotEmpty(t, acked, "seed %d: no write succeeded", seed)

	for term, who := range tc.leaders {
		assert.Len(t, who, 1, "seed %d: election safety: term %d had leaders %v", seed, term, who)
	}
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			checkLogMatching(t, seed, tc.members[a].Disk.Log, tc.members[b].Disk.Log)
		}
	}
	for idx, want := range applied[0] {
		for i := 1; i < n; i++ {
			if got, ok := applied[i][idx]; ok {
				assert.True(t, got.term == want.term && bytes.Equal(got.data, want.data),
					"seed %d: state machine safety: members 0 and %d applied different entries at index %d", seed, i, idx)
			}
		}
	}
	want := dump(t, tc.members[0].Disk.Store)
	for i := 1; i < n; i++ {
		assert.Equal(t, want, dump(t, tc.members[i].Disk.Store), "seed %d: member %d's store differs", seed, i)
	}
	for key, val := range acked {
		res, err := tc.members[0].Disk.Store.Range(key, "", mvcc.RangeOptions{})
		require.NoError(t, err)
		if assert.Len(t, res.KVs, 1, "seed %d: acknowledged write %s was lost", seed, key) {
			assert.Equal(t, val, string(res.KVs[0].Value))
		}
	}
	t.Logf("seed %d: %d terms, %d acknowledged writes, %d entries applied", seed, len(tc.leaders), len(acked), len(applied[0]))
}

func checkLogMatching(t *testing.T, seed uint64, a, b interface {
	FirstIndex() (uint64, error)
	LastIndex() (uint64, error)
	Entries(lo, hi, maxSize uint64) ([]raftpb.Entry, error)
}) {
	af, _ := a.FirstIndex()
	bf, _ := b.FirstIndex()
	al, _ := a.LastIndex()
	bl, _ := b.LastIndex()
	lo, hi := max(af, bf), min(al, bl)
	if lo > hi {
		return
	}
	ae, err := a.Entries(lo, hi+1, 1<<62)
	require.NoError(t, err)
	be, err := b.Entries(lo, hi+1, 1<<62)
	require.NoError(t, err)
	for i := range ae {
		if ae[i].Term == be[i].Term {
			assert.True(t, bytes.Equal(ae[i].Data, be[i].Data), "seed %d: log matching: index %d term %d differs", seed, ae[i].Index, ae[i].Term)
		}
	}
}

func dump(t *testing.T, s *mvcc.Store) string {
	res, err := s.Range("\x00", "\x00", mvcc.RangeOptions{})
	require.NoError(t, err)
	var b bytes.Buffer
	fmt.Fprintf(&b, "rev %d\n", s.Rev())
	for _, kv := range res.KVs {
		fmt.Fprintf(&b, "%s=%s c%d m%d v%d\n", kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version)
	}
	return b.String()
}

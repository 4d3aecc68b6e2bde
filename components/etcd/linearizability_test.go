package etcd

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/require"
)

var linSeeds = flag.Int("lin-seeds", 8, "fault schedules per cluster size for TestLinearizable (make soak runs hundreds)")

// TestLinearizable records what several clients saw of an etcd cluster —
// puts, deletes, compare-and-swap transactions and linearizable reads, each
// with its invocation and return on virtual time — while a seeded schedule
// crashes and restarts members, powers nodes off and on, cuts links, drops
// and delays raft messages and hands leadership over, then checks the
// history with porcupine against a key-value model: the method of etcd's
// own robustness tests. A write that failed (timed out, lost its leader)
// may or may not have taken effect: it is recorded as returning never, so
// the checker may place it anywhere after its invocation, or nowhere seen.
// A read that failed says nothing and is left out.
//
// Not in the schedule: snapshot restore, which by design brings a cluster
// back to an older state (the writes after the snapshot are gone) and so
// is not linearizable across; TestRaftSafety covers raft's own snapshots.
//
// Each failure names its seed and writes porcupine's visualization of the
// history; `go test -run 'TestLinearizable/members=3/seed=7'` replays it.
func TestLinearizable(t *testing.T) {
	for _, n := range []int{3, 5} {
		for seed := uint64(1); seed <= uint64(*linSeeds); seed++ {
			t.Run(fmt.Sprintf("members=%d/seed=%d", n, seed), func(t *testing.T) {
				history := recordHistory(t, n, seed, 20*time.Second, false)
				checkLinearizable(t, fmt.Sprintf("members-%d-seed-%d", n, seed), history)
			})
		}
	}
}

// kvInput is one client operation on one key.
type kvInput struct {
	op    string // get, put, delete, cas
	key   string
	value string // put, cas: the value written
	old   string // cas: the value expected ("" for absent)
}

// kvOutput is what the client saw.
type kvOutput struct {
	value   string // get: the value ("" for absent)
	ok      bool   // cas: the compare held
	unknown bool   // a write whose outcome the client does not know
}

// kvModel is a register per key: the state is the key's value, "" when
// absent (no write writes "").
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(kvInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in, out := state.(string), input.(kvInput), output.(kvOutput)
		switch in.op {
		case "get":
			return out.value == s, s
		case "put":
			return true, in.value
		case "delete":
			return true, ""
		case "cas":
			held := s == in.old
			if !out.unknown && out.ok != held {
				return false, s
			}
			if held {
				return true, in.value
			}
			return true, s
		}
		return false, s
	},
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(kvInput), output.(kvOutput)
		switch {
		case in.op == "get":
			return fmt.Sprintf("get(%s) -> %q", in.key, out.value)
		case out.unknown:
			return fmt.Sprintf("%s(%s, %q, old %q) -> ?", in.op, in.key, in.value, in.old)
		case in.op == "cas":
			return fmt.Sprintf("cas(%s, %q -> %q) -> %v", in.key, in.old, in.value, out.ok)
		}
		return fmt.Sprintf("%s(%s, %q)", in.op, in.key, in.value)
	},
	DescribeState: func(state interface{}) string { return fmt.Sprintf("%q", state) },
}

// recordHistory runs a cluster of n members under the seed's fault
// schedule for chaos of virtual time while three clients work on three
// keys, and returns what they saw.
//
// With serializable set the reads are served from any member's local store
// (etcdctl get --consistency=s): no longer linearizable, which
// TestSerializableReadsAreCaught uses to show the check can fail.
func recordHistory(t *testing.T, n int, seed uint64, chaos time.Duration, serializable bool) []porcupine.Operation {
	tc := newTestCluster(t, n, seed)
	k := tc.k
	var history []porcupine.Operation
	keys := []string{"/lin/a", "/lin/b", "/lin/c"}
	for id := 0; id < 3; id++ {
		require.NoError(t, k.Spawn(sim.ActorSpec{Name: fmt.Sprintf("client-%d", id), Node: fmt.Sprintf("client-%d", id), Run: func(c *sim.Ctx) {
			cl := NewClient(c, tc.names...)
			cl.Timeout = 2 * time.Second
			seen := map[string]string{}
			rng := c.Rand()
			for i := 0; ; i++ {
				key := keys[rng.IntN(len(keys))]
				in := kvInput{key: key, value: fmt.Sprintf("c%d-%d", id, i)}
				var out kvOutput
				call := int64(c.Now())
				var err error
				switch r := rng.IntN(10); {
				case r < 4:
					in.op = "get"
					var res *RangeResponse
					if res, err = cl.Range(key, "", mvcc.RangeOptions{}, serializable); err == nil && len(res.KVs) > 0 {
						out.value = string(res.KVs[0].Value)
					}
					if err == nil {
						seen[key] = out.value
					}
				case r < 7:
					in.op = "put"
					_, err = cl.Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut(key, []byte(in.value), 0)}})
				case r < 8:
					in.op, in.value = "delete", ""
					_, err = cl.Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpDelete(key, "")}})
				default:
					in.op, in.old = "cas", seen[key]
					cmp := mvcc.Compare{Key: key, Target: mvcc.TargetValue, Result: mvcc.Equal, Value: []byte(in.old)}
					if in.old == "" {
						cmp = mvcc.Compare{Key: key, Target: mvcc.TargetVersion, Result: mvcc.Equal, Version: 0}
					}
					var res *TxnResponse
					if res, err = cl.Txn(mvcc.TxnRequest{Compare: []mvcc.Compare{cmp}, Success: []mvcc.Op{mvcc.OpPut(key, []byte(in.value), 0)}}); err == nil {
						out.ok = res.Succeeded
					}
				}
				ret := int64(c.Now())
				switch {
				case err == nil:
					history = append(history, porcupine.Operation{ClientId: id, Input: in, Call: call, Output: out, Return: ret})
				case in.op != "get":
					out.unknown = true
					history = append(history, porcupine.Operation{ClientId: id, Input: in, Call: call, Output: out, Return: math.MaxInt64})
				}
				c.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
			}
		}}))
	}
	scheduleFaults(t, tc, chaos)
	k.RunFor(chaos + 5*time.Second)
	for _, l := range k.Links() {
		k.HealLink(l[0], l[1])
	}
	for i, name := range tc.names {
		if k.NodeDown(tc.nodes[i]) {
			require.NoError(t, k.StartNode(tc.nodes[i]))
		}
		if !k.Running(name) {
			require.NoError(t, k.Restart(name))
		}
	}
	k.RunFor(5 * time.Second) // healed: the clients go on against a whole cluster
	for id := 0; id < 3; id++ {
		require.NoError(t, k.Crash(fmt.Sprintf("client-%d", id)))
	}
	require.True(t, k.RunUntil(tc.converged, time.Minute), "seed %d: members did not converge", seed)
	return history
}

// scheduleFaults draws a fault schedule from the kernel's "faults" stream:
// member crashes, node power cycles, cut links, lossy and slow raft links,
// and graceful stops that hand leadership over.
func scheduleFaults(t *testing.T, tc *testCluster, chaos time.Duration) {
	k, n := tc.k, len(tc.names)
	rng := k.Rand("faults")
	restart := func(i int) {
		if !k.Running(tc.names[i]) && !k.NodeDown(tc.nodes[i]) {
			_ = k.Restart(tc.names[i])
		}
	}
	var transfers []time.Duration
	for at := time.Second; at < chaos; at += time.Duration(300+rng.IntN(2000)) * time.Millisecond {
		i, j := rng.IntN(n), rng.IntN(n)
		heal := at + time.Duration(200+rng.IntN(4000))*time.Millisecond
		switch rng.IntN(6) {
		case 0:
			name := tc.names[i]
			k.At(at, "crash "+name, func() { _ = k.Crash(name) })
			k.At(heal, "restart "+name, func() { restart(i) })
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
			to := tc.names[i]
			var id sim.RuleID
			k.At(at, "lossy "+to, func() { id, _ = k.AddRule(sim.Rule{To: to, Kind: "Msg*", Drop: true, Probability: 0.3}) })
			k.At(heal, "lossless "+to, func() { k.RemoveRule(id) })
		case 4:
			from := tc.names[i]
			var id sim.RuleID
			delay := time.Duration(1+rng.IntN(300)) * time.Millisecond
			k.At(at, "slow "+from, func() { id, _ = k.AddRule(sim.Rule{From: from, Kind: "Msg*", Delay: delay, Probability: 0.5}) })
			k.At(heal, "fast "+from, func() { k.RemoveRule(id) })
		case 5:
			transfers = append(transfers, at)
		}
	}
	// Leader transfers need a caller: an operator that stops the leader
	// gracefully (it hands leadership over first) and starts it again.
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "operator", Node: "operator", Run: func(c *sim.Ctx) {
		for _, at := range transfers {
			if d := at - c.Now(); d > 0 {
				c.Sleep(d)
			}
			l := tc.leader()
			if l < 0 {
				continue
			}
			if err := GracefulStop(c, tc.names[l]); err == nil {
				c.Sleep(500 * time.Millisecond)
				restart(l)
			}
		}
	}}))
}

func checkLinearizable(t *testing.T, name string, history []porcupine.Operation) {
	t.Helper()
	var writes, unknown, reads int
	for _, op := range history {
		switch {
		case op.Output.(kvOutput).unknown:
			unknown++
		case op.Input.(kvInput).op == "get":
			reads++
		default:
			writes++
		}
	}
	require.Positive(t, reads, "no read succeeded")
	require.Positive(t, writes, "no write succeeded")
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, 0)
	if res != porcupine.Ok {
		path := filepath.Join(os.TempDir(), "kubesim-linearizability-"+name+".html")
		_ = porcupine.VisualizePath(kvModel, info, path)
		t.Fatalf("%s: the history of %d operations is not linearizable (%v); porcupine's view: %s", name, len(history), res, path)
	}
	t.Logf("%s: linearizable: %d reads, %d writes, %d writes of unknown outcome", name, reads, writes, unknown)
}

// TestLinearizabilityCheckerCatchesAStaleRead shows the checker failing a
// history that is not linearizable: a read that returns a value older than
// one a completed write replaced.
func TestLinearizabilityCheckerCatchesAStaleRead(t *testing.T) {
	op := func(client int, in kvInput, out kvOutput, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
	}
	good := []porcupine.Operation{
		op(0, kvInput{op: "put", key: "k", value: "1"}, kvOutput{}, 0, 10),
		op(1, kvInput{op: "put", key: "k", value: "2"}, kvOutput{}, 20, 30),
		op(2, kvInput{op: "get", key: "k"}, kvOutput{value: "2"}, 40, 50),
		op(1, kvInput{op: "cas", key: "k", old: "2", value: "3"}, kvOutput{ok: true}, 60, 70),
		op(0, kvInput{op: "put", key: "k", value: "4"}, kvOutput{unknown: true}, 75, math.MaxInt64),
		op(2, kvInput{op: "get", key: "k"}, kvOutput{value: "3"}, 80, 90),
	}
	require.True(t, porcupine.CheckOperations(kvModel, good))
	stale := append(append([]porcupine.Operation(nil), good...), op(2, kvInput{op: "get", key: "k"}, kvOutput{value: "1"}, 100, 110))
	require.False(t, porcupine.CheckOperations(kvModel, stale), "a read of a replaced value after the write completed")
	badCAS := append(append([]porcupine.Operation(nil), good[:3]...), op(1, kvInput{op: "cas", key: "k", old: "1", value: "9"}, kvOutput{ok: true}, 60, 70))
	require.False(t, porcupine.CheckOperations(kvModel, badCAS), "a compare that held against a value already replaced")
}

// TestSerializableReadsAreCaught is the check failing on a broken world:
// the same clients reading serializably, from whichever member answers,
// see stale values under the fault schedules, and porcupine says so.
func TestSerializableReadsAreCaught(t *testing.T) {
	caught := 0
	for seed := uint64(1); seed <= 6 && caught == 0; seed++ {
		history := recordHistory(t, 3, seed, 20*time.Second, true)
		if !porcupine.CheckOperations(kvModel, history) {
			caught++
			t.Logf("seed %d: serializable reads are not linearizable, as expected", seed)
		}
	}
	require.Positive(t, caught, "no schedule showed a stale serializable read: the check would not catch one")
}

package etcd

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// traceDigest runs a 3-member cluster through writes, a leader crash, a
// partition and a restart, and hashes every trace record and member log
// line.
func traceDigest(t *testing.T, seed uint64) (string, int) {
	h := sha256.New()
	records := 0
	k := sim.New(seed, sim.WithTraceSink(func(r sim.Record) {
		records++
		fmt.Fprintln(h, r.Text())
	}))
	defer k.Shutdown()
	names := []string{"etcd-cp-1", "etcd-cp-2", "etcd-cp-3"}
	for i, m := range NewCluster(names, nil) {
		require.NoError(t, k.Spawn(sim.ActorSpec{Name: names[i], Node: fmt.Sprintf("cp-%d", i+1), Component: "etcd", Run: m.Run}))
	}
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "writer", Node: "client", Run: func(c *sim.Ctx) {
		cl := NewClient(c, names...)
		for i := 0; ; i++ {
			_, _ = cl.Txn(put(fmt.Sprintf("/k/%d", i%7), fmt.Sprint(i)))
			c.Sleep(time.Duration(10+c.Rand().IntN(50)) * time.Millisecond)
		}
	}}))
	k.At(2*time.Second, "crash etcd-cp-1", func() { _ = k.Crash("etcd-cp-1") })
	k.At(4*time.Second, "restart etcd-cp-1", func() { _ = k.Restart("etcd-cp-1") })
	k.At(6*time.Second, "partition cp-2", func() { k.CutLink(sim.NodeEndpoint("cp-2"), sim.NodeEndpoint("cp-3")) })
	k.At(9*time.Second, "heal cp-2", func() { k.HealLink(sim.NodeEndpoint("cp-2"), sim.NodeEndpoint("cp-3")) })
	k.RunFor(12 * time.Second)
	for _, n := range names {
		for _, l := range k.Logs(n) {
			fmt.Fprintln(h, l)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil)), records
}

func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	one, n := traceDigest(t, 42)
	runtime.GOMAXPROCS(4)
	four, _ := traceDigest(t, 42)
	again, _ := traceDigest(t, 42)
	assert.Equal(t, one, four, "GOMAXPROCS=1 and 4 give the same trace")
	assert.Equal(t, four, again)
	other, _ := traceDigest(t, 43)
	assert.NotEqual(t, one, other, "the seed matters")
	assert.Greater(t, n, 1000)
}

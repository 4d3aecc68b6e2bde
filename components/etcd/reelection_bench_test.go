package etcd

import (
	"testing"
	"time"
)

// BenchmarkLeaderReelection measures, in virtual time, how long three
// members take to elect a new leader after the leader crashes, over the 20
// crash points of TestLeaderCrashFailover. virtual-s/election is the mean:
// a property of the simulated cluster, the same on every machine.
func BenchmarkLeaderReelection(b *testing.B) {
	const runs = 20
	for range b.N {
		var total time.Duration
		for seed := uint64(1); seed <= runs; seed++ {
			tc := newTestCluster(b, 3, seed)
			l, _ := tc.waitLeader(5 * time.Second)
			if _, err := tc.cl.Txn(put("/before", "1")); err != nil {
				b.Fatal(err)
			}
			tc.k.RunFor(time.Duration(seed) * 7 * time.Millisecond)
			if err := tc.k.Crash(tc.names[l]); err != nil {
				b.Fatal(err)
			}
			_, took := tc.waitLeader(5 * time.Second)
			total += took
			tc.k.Shutdown()
		}
		b.ReportMetric(total.Seconds()/runs, "virtual-s/election")
	}
}

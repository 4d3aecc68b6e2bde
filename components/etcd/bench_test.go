package etcd_test

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// BenchmarkAPIServerWrites creates ConfigMaps one after another through
// kube-apiserver on cp-1 over 1, 3 and 5 etcd members. writes/s is wall
// clock (the simulator's cost); virtual-ms/write is the latency the
// simulated cluster shows (a majority round trip and the apply).
func BenchmarkAPIServerWrites(b *testing.B) {
	for _, n := range []int{1, 3, 5} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			cp := bootControlPlane(b, n, 1)
			kubectl := cp.via(0)
			start := cp.k.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := kubectl.Create(configMap(fmt.Sprintf("cm-%d", i))); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64((cp.k.Now()-start).Microseconds())/1000/float64(b.N), "virtual-ms/write")
		})
	}
}

// BenchmarkTxn puts keys straight through the etcd client.
func BenchmarkTxn(b *testing.B) {
	for _, n := range []int{1, 3, 5} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			k := sim.New(1)
			defer k.Shutdown()
			var names []string
			for i := 1; i <= n; i++ {
				names = append(names, fmt.Sprintf("etcd-cp-%d", i))
			}
			for i, m := range etcd.NewCluster(names, nil) {
				if err := k.Spawn(sim.ActorSpec{Name: names[i], Node: fmt.Sprintf("cp-%d", i+1), Run: m.Run}); err != nil {
					b.Fatal(err)
				}
			}
			cl := etcd.NewClient(k.External("bench", "cp-1"), names...)
			value := make([]byte, 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut(fmt.Sprintf("/k/%d", i%1000), value, 0)}}
				if _, err := cl.Txn(req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}

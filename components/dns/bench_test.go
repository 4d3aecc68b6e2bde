package dns

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kubesim/kubesim/components/api"
)

// BenchmarkServeDNS answers service A queries from a store of 10,000
// Services through the kubeadm chain.
func BenchmarkServeDNS(b *testing.B) {
	c := &clock{now: t0}
	store := NewStore(c.Now)
	store.UpsertNamespace(nsObj("bench"))
	for i := range 10000 {
		store.UpsertService(svc("bench", "svc-"+strconv.Itoa(i), "10.96."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250+1), sport("http", api.ProtocolTCP, 80)))
	}
	store.SetSynced(true)
	s := NewKubeadmServer(KubeadmConfig{Backend: store, Upstreams: []Upstream{internet()}, Clock: c.Now, Rand: rand.New(rand.NewPCG(1, 1))})
	names := make([]string, 1000)
	for i := range names {
		names[i] = "svc-" + strconv.Itoa(i*10) + ".bench.svc.cluster.local."
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := s.ServeDNS(context.Background(), client, NewQuery(1, names[i%len(names)], TypeA))
		if m.Rcode != RcodeSuccess {
			b.Fatal(m)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

package proxy

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// scaleObjects builds n services with eps endpoints each: service i is
// 10.96.<i/250>.<i%250+1>:80, its endpoints 10.<100+i/250>.<i%250>.<j+1>:8080.
func scaleObjects(n, eps int) ([]*api.Service, []*api.EndpointSlice) {
	var svcs []*api.Service
	var slices []*api.EndpointSlice
	for i := range n {
		name := "svc-" + strconv.Itoa(i)
		ip := "10.96." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1)
		svcs = append(svcs, service("bench", name, ip, []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
		var list []ep
		for j := range eps {
			list = append(list, ep{ip: "10." + strconv.Itoa(100+i/250) + "." + strconv.Itoa(i%250) + "." + strconv.Itoa(j+1)})
		}
		slices = append(slices, slice("bench", name+"-1", name, []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, list...))
	}
	return svcs, slices
}

func loadedProxier(b *testing.B, n, eps int) *Proxier {
	b.Helper()
	p := NewProxier(testConfig())
	svcs, slices := scaleObjects(n, eps)
	for i := range svcs {
		p.UpsertService(svcs[i])
		p.UpsertEndpointSlice(slices[i])
	}
	return p
}

// BenchmarkSync1000x10 programs 1,000 services x 10 endpoints: a full
// rebuild (categorize, hash, build 32k rules), a partial sync after one
// EndpointSlice changed, a sync with nothing changed; then renders the
// iptables-restore text of that ruleset.
func BenchmarkSync1000x10(b *testing.B) {
	p := loadedProxier(b, 1000, 10)
	b.Run("sync", func(b *testing.B) { // a full rebuild
		b.ReportAllocs()
		var rules int
		for b.Loop() {
			rs := buildRulesetFull(&p.cfg, &p.tr)
			rules = rs.NAT.Len() + rs.Filter.Len()
		}
		b.ReportMetric(float64(rules), "rules")
	})
	b.Run("one-slice-changed", func(b *testing.B) {
		_, slices := scaleObjects(1000, 10)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			es := api.DeepCopy(slices[i%len(slices)])
			es.Endpoints = es.Endpoints[1:]
			p.UpsertEndpointSlice(es)
			p.Sync()
			p.UpsertEndpointSlice(slices[i%len(slices)])
			p.Sync()
			i++
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.Sync()
		}
	})
	b.Run("render", func(b *testing.B) {
		rs := p.Sync()
		b.ReportAllocs()
		var n int
		for b.Loop() {
			n = len(rs.String())
		}
		b.ReportMetric(float64(n), "bytes")
	})
}

// BenchmarkWalk1000x10 measures probes per second against the same ruleset.
func BenchmarkWalk1000x10(b *testing.B) {
	p := loadedProxier(b, 1000, 10)
	p.Sync()
	rng := rand.New(rand.NewPCG(1, 2))
	src := netip.MustParseAddr("10.244.1.20")
	dsts := make([]netip.AddrPort, 1000)
	for i := range dsts {
		dsts[i] = netip.MustParseAddrPort("10.96." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1) + ":80")
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr := p.Walk(Packet{Src: src, Dst: dsts[i%len(dsts)]}, rng, t0)
		if tr.Verdict != VerdictDNAT {
			b.Fatal(tr.String())
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
}

func BenchmarkBPFSync1000x10(b *testing.B) {
	lb := NewBPFLoadBalancer(BPFConfig{NodeName: "node-1"})
	svcs, slices := scaleObjects(1000, 10)
	for i := range svcs {
		lb.UpsertService(svcs[i])
		lb.UpsertEndpointSlice(slices[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = lb.Sync().List()
	}
}

func BenchmarkBPFWalk1000x10(b *testing.B) {
	lb := NewBPFLoadBalancer(BPFConfig{NodeName: "node-1"})
	svcs, slices := scaleObjects(1000, 10)
	for i := range svcs {
		lb.UpsertService(svcs[i])
		lb.UpsertEndpointSlice(slices[i])
	}
	lb.Sync()
	rng := rand.New(rand.NewPCG(1, 2))
	src := netip.MustParseAddr("10.244.1.20")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst := netip.MustParseAddrPort("10.96." + strconv.Itoa(i%1000/250) + "." + strconv.Itoa(i%250+1) + ":80")
		if tr := lb.Walk(Packet{Src: src, Dst: dst}, rng, time.Time{}); tr.Verdict != VerdictDNAT {
			b.Fatal(tr.String())
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
}

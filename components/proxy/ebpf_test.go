package proxy

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

func bpfLB() *BPFLoadBalancer {
	lb := NewBPFLoadBalancer(BPFConfig{NodeName: "node-1", NodeIPs: []netip.Addr{netip.MustParseAddr("172.18.0.2")}})
	lb.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
	lb.UpsertEndpointSlice(slice("default", "web-abc12", "web",
		[]api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)},
		ep{ip: "10.244.1.5", node: "node-1"}, ep{ip: "10.244.2.7", node: "node-2"}))
	dns := service("kube-system", "kube-dns", "10.96.0.10", []api.ServicePort{
		port("dns", api.ProtocolUDP, 53), port("dns-tcp", api.ProtocolTCP, 53), port("metrics", api.ProtocolTCP, 9153)})
	lb.UpsertService(dns)
	lb.UpsertEndpointSlice(slice("kube-system", "kube-dns-x1", "kube-dns",
		[]api.EndpointSlicePort{slicePort("dns", api.ProtocolUDP, 53), slicePort("dns-tcp", api.ProtocolTCP, 53), slicePort("metrics", api.ProtocolTCP, 9153)},
		ep{ip: "10.244.1.42"}, ep{ip: "10.244.2.17"}))
	np := service("default", "shop", "10.96.40.1", []api.ServicePort{port("http", api.ProtocolTCP, 80)}, nodePortType, clientIPAffinity)
	np.Spec.Ports[0].NodePort = 30080
	lb.UpsertService(np)
	lb.UpsertEndpointSlice(slice("default", "shop-1", "shop", []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, ep{ip: "10.244.2.30"}))
	lb.UpsertService(service("default", "empty", "10.96.0.50", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
	return lb
}

func TestBPFMapsViews(t *testing.T) {
	m := bpfLB().Sync()
	golden(t, "bpf-lb-list.golden", m.List())
	golden(t, "bpf-lb-list-backends.golden", m.ListBackends())
	golden(t, "bpf-lb-list-revnat.golden", m.ListRevNAT())

	f, ok := m.Frontend("10.96.12.34:80/TCP")
	require.True(t, ok)
	assert.Equal(t, "ClusterIP, non-routable", f.Flags())
	assert.Len(t, f.Backends, 2, "slot 0 counts two backends")
}

func TestBPFIDsAreStableAcrossSyncs(t *testing.T) {
	lb := bpfLB()
	m1 := lb.Sync()
	f1, _ := m1.Frontend("10.96.12.34:80/TCP")
	lb.DeleteService("default", "empty")
	m2 := lb.Sync()
	f2, _ := m2.Frontend("10.96.12.34:80/TCP")
	assert.Equal(t, f1.RevNAT, f2.RevNAT)
	assert.Equal(t, f1.Backends, f2.Backends)
	_, ok := m2.Frontend("10.96.0.50:80/TCP")
	assert.False(t, ok)
}

func TestBPFWalk(t *testing.T) {
	lb := bpfLB()
	lb.Sync()
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name        string
		pkt         Packet
		wantVerdict Verdict
		wantService string
	}{
		{name: "cluster IP", pkt: Packet{Src: clientIP, Dst: webVIP}, wantVerdict: VerdictDNAT, wantService: "default/web:http"},
		{name: "dns over udp", pkt: Packet{Src: clientIP, Dst: netip.MustParseAddrPort("10.96.0.10:53"), Protocol: api.ProtocolUDP}, wantVerdict: VerdictDNAT, wantService: "kube-system/kube-dns:dns"},
		{name: "nodeport on the node IP", pkt: Packet{Src: netip.MustParseAddr("203.0.113.9"), Dst: netip.MustParseAddrPort("172.18.0.2:30080")}, wantVerdict: VerdictDNAT, wantService: "default/shop:http"},
		{name: "nodeport on localhost via the surrogate", pkt: Packet{Src: netip.MustParseAddr("127.0.0.1"), Dst: netip.MustParseAddrPort("127.0.0.1:30080")}, wantVerdict: VerdictDNAT, wantService: "default/shop:http"},
		{name: "no backends: dropped", pkt: Packet{Src: clientIP, Dst: netip.MustParseAddrPort("10.96.0.50:80")}, wantVerdict: VerdictDrop, wantService: "default/empty:http"},
		{name: "no frontend", pkt: Packet{Src: clientIP, Dst: netip.MustParseAddrPort("10.96.99.99:80")}, wantVerdict: VerdictUnchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := lb.Walk(tt.pkt, rng, t0)
			assert.Equal(t, tt.wantVerdict, tr.Verdict, tr.String())
			assert.Equal(t, tt.wantService, tr.Service)
		})
	}
	golden(t, "bpf-walk-web.golden", lb.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 2)), t0).String())
}

func TestBPFWalkDistributionAndAffinity(t *testing.T) {
	lb := bpfLB()
	lb.Sync()
	rng := rand.New(rand.NewPCG(11, 12))
	counts := map[netip.AddrPort]int{}
	for range 10000 {
		counts[lb.Walk(Packet{Src: clientIP, Dst: webVIP}, rng, t0).Endpoint]++
	}
	require.Len(t, counts, 2)
	assert.InDelta(t, 5000, counts[ep1], 250)

	// Session affinity: the shop NodePort service has ClientIP affinity.
	shop := netip.MustParseAddrPort("10.96.40.1:80")
	first := lb.Walk(Packet{Src: clientIP, Dst: shop}, rng, t0)
	later := lb.Walk(Packet{Src: clientIP, Dst: shop}, rng, t0.Add(3*time.Hour))
	assert.Equal(t, first.Endpoint, later.Endpoint)
	assert.Contains(t, later.String(), "cilium_lb4_affinity hit")
}

func TestBPFStaleMaps(t *testing.T) {
	lb := bpfLB()
	tr := lb.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 1)), t0)
	assert.Equal(t, VerdictUnchanged, tr.Verdict, "never synced")
	lb.Sync()
	lb.DeleteEndpointSlice("default", "web-abc12")
	assert.True(t, lb.Pending())
	tr = lb.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 1)), t0)
	assert.Equal(t, VerdictDNAT, tr.Verdict, "old backends until the next sync")
	lb.Sync()
	tr = lb.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 1)), t0)
	assert.Equal(t, VerdictDrop, tr.Verdict)
}

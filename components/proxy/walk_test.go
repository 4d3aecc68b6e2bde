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

var (
	t0       = time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)
	clientIP = netip.MustParseAddr("10.244.1.20")
	webVIP   = netip.MustParseAddrPort("10.96.12.34:80")
	ep1      = netip.MustParseAddrPort("10.244.1.5:8080")
	ep2      = netip.MustParseAddrPort("10.244.2.7:8080")
)

func TestWalkReferenceService(t *testing.T) {
	p := webProxier()
	p.Sync()
	tr := p.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 2)), t0)
	require.Equal(t, VerdictDNAT, tr.Verdict)
	assert.Equal(t, "default/web:http", tr.Service)
	assert.Contains(t, []netip.AddrPort{ep1, ep2}, tr.Endpoint)
	assert.False(t, tr.Masqueraded, "pod-to-service traffic from inside the cluster CIDR is not masqueraded")
	golden(t, "walk-web.golden", tr.String())
}

func TestWalkVerdicts(t *testing.T) {
	tests := []struct {
		name        string
		setup       func() *Proxier
		pkt         Packet
		wantVerdict Verdict
		wantService string
		wantEP      netip.AddrPort
		wantMasq    bool
	}{
		{
			name:        "never synced: nothing rewrites the packet",
			setup:       func() *Proxier { return webProxier() },
			pkt:         Packet{Src: clientIP, Dst: webVIP},
			wantVerdict: VerdictUnchanged,
		},
		{
			name: "no endpoints: REJECT from the filter table",
			setup: func() *Proxier {
				p := NewProxier(testConfig())
				p.UpsertService(service("default", "empty", "10.96.0.50", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				p.Sync()
				return p
			},
			pkt:         Packet{Src: clientIP, Dst: netip.MustParseAddrPort("10.96.0.50:80")},
			wantVerdict: VerdictReject,
			wantService: "default/empty:http",
		},
		{
			name:        "wrong port: no rule, unchanged",
			setup:       func() *Proxier { p := webProxier(); p.Sync(); return p },
			pkt:         Packet{Src: clientIP, Dst: netip.MustParseAddrPort("10.96.12.34:443")},
			wantVerdict: VerdictUnchanged,
		},
		{
			name:        "wrong protocol: no rule, unchanged",
			setup:       func() *Proxier { p := webProxier(); p.Sync(); return p },
			pkt:         Packet{Src: clientIP, Dst: webVIP, Protocol: api.ProtocolUDP},
			wantVerdict: VerdictUnchanged,
		},
		{
			name:        "source outside the cluster CIDR is masqueraded",
			setup:       func() *Proxier { p := webProxier(); p.Sync(); return p },
			pkt:         Packet{Src: netip.MustParseAddr("192.168.1.50"), Dst: webVIP},
			wantVerdict: VerdictDNAT,
			wantService: "default/web:http",
			wantMasq:    true,
		},
		{
			name: "hairpin: a pod reaching itself through its service is masqueraded",
			setup: func() *Proxier {
				p := NewProxier(testConfig())
				p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				p.UpsertEndpointSlice(slice("default", "web-1", "web", []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, ep{ip: "10.244.1.5"}))
				p.Sync()
				return p
			},
			pkt:         Packet{Src: netip.MustParseAddr("10.244.1.5"), Dst: webVIP},
			wantVerdict: VerdictDNAT,
			wantService: "default/web:http",
			wantEP:      ep1,
			wantMasq:    true,
		},
		{
			name: "nodeport on the node IP goes through KUBE-NODEPORTS and is masqueraded",
			setup: func() *Proxier {
				p := NewProxier(testConfig())
				svc := service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}, nodePortType)
				svc.Spec.Ports[0].NodePort = 30080
				p.UpsertService(svc)
				p.UpsertEndpointSlice(slice("default", "web-1", "web", []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, ep{ip: "10.244.2.7"}))
				p.Sync()
				return p
			},
			pkt:         Packet{Src: netip.MustParseAddr("203.0.113.9"), Dst: netip.MustParseAddrPort("172.18.0.2:30080")},
			wantVerdict: VerdictDNAT,
			wantService: "default/web:http",
			wantEP:      ep2,
			wantMasq:    true,
		},
		{
			name: "nodeport without endpoints is rejected in KUBE-EXTERNAL-SERVICES",
			setup: func() *Proxier {
				p := NewProxier(testConfig())
				svc := service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}, nodePortType)
				svc.Spec.Ports[0].NodePort = 30080
				p.UpsertService(svc)
				p.Sync()
				return p
			},
			pkt:         Packet{Src: netip.MustParseAddr("203.0.113.9"), Dst: netip.MustParseAddrPort("172.18.0.2:30080")},
			wantVerdict: VerdictReject,
			wantService: "default/web:http",
		},
		{
			name: "internalTrafficPolicy Local without a local endpoint drops",
			setup: func() *Proxier {
				p := NewProxier(testConfig())
				svc := service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)})
				svc.Spec.InternalTrafficPolicy = ptr(api.ServiceInternalTrafficPolicyLocal)
				p.UpsertService(svc)
				p.UpsertEndpointSlice(slice("default", "web-1", "web", []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, ep{ip: "10.244.2.7", node: "node-2"}))
				p.Sync()
				return p
			},
			pkt:         Packet{Src: clientIP, Dst: webVIP},
			wantVerdict: VerdictDrop,
			wantService: "default/web:http",
		},
		{
			name: "host-network client walks OUTPUT and is masqueraded",
			setup: func() *Proxier {
				p := NewProxier(testConfig())
				p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				p.UpsertEndpointSlice(slice("default", "web-1", "web", []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, ep{ip: "10.244.2.7"}))
				p.Sync()
				return p
			},
			pkt:         Packet{Src: netip.MustParseAddr("172.18.0.2"), Dst: webVIP},
			wantVerdict: VerdictDNAT,
			wantService: "default/web:http",
			wantEP:      ep2,
			wantMasq:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup()
			tr := p.Walk(tt.pkt, rand.New(rand.NewPCG(7, 7)), t0)
			assert.Equal(t, tt.wantVerdict, tr.Verdict, tr.String())
			assert.Equal(t, tt.wantService, tr.Service)
			if tt.wantEP.IsValid() {
				assert.Equal(t, tt.wantEP, tr.Endpoint)
			}
			assert.Equal(t, tt.wantMasq, tr.Masqueraded, tr.String())
			if tt.wantMasq {
				assert.Equal(t, netip.MustParseAddr("172.18.0.2"), tr.Source)
			}
		})
	}
}

// TestWalkDistribution checks that the statistic rules give every endpoint
// its share: with n endpoints, 1/(n-i) at rule i makes the choice uniform.
func TestWalkDistribution(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		p := NewProxier(testConfig())
		p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
		var eps []ep
		for i := range n {
			eps = append(eps, ep{ip: "10.244.9." + itoa(i+1)})
		}
		p.UpsertEndpointSlice(slice("default", "web-1", "web", []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, eps...))
		p.Sync()
		rng := rand.New(rand.NewPCG(42, uint64(n)))
		const probes = 20000
		counts := map[netip.AddrPort]int{}
		for range probes {
			tr := p.Walk(Packet{Src: clientIP, Dst: webVIP}, rng, t0)
			require.Equal(t, VerdictDNAT, tr.Verdict)
			counts[tr.Endpoint]++
		}
		require.Len(t, counts, n)
		want := float64(probes) / float64(n)
		for e, c := range counts {
			// 5 standard deviations of a binomial: a failure is a bug, not bad luck.
			sd := want * (1 - 1/float64(n))
			assert.InDelta(t, want, float64(c), 5*sqrt(sd), "n=%d endpoint %s", n, e)
		}
	}
}

func sqrt(x float64) float64 {
	z := x
	for range 50 {
		z = (z + x/z) / 2
	}
	return z
}

func TestWalkIsDeterministicForASeed(t *testing.T) {
	p := webProxier()
	p.Sync()
	run := func() []netip.AddrPort {
		rng := rand.New(rand.NewPCG(3, 4))
		var out []netip.AddrPort
		for range 50 {
			out = append(out, p.Walk(Packet{Src: clientIP, Dst: webVIP}, rng, t0).Endpoint)
		}
		return out
	}
	assert.Equal(t, run(), run())
}

func TestSessionAffinitySticksAndExpires(t *testing.T) {
	p := webProxier(clientIPAffinity)
	p.Sync()
	rng := rand.New(rand.NewPCG(9, 9))
	first := p.Walk(Packet{Src: clientIP, Dst: webVIP}, rng, t0)
	require.Equal(t, VerdictDNAT, first.Verdict)
	for i := range 50 {
		tr := p.Walk(Packet{Src: clientIP, Dst: webVIP}, rng, t0.Add(time.Duration(i)*time.Minute))
		require.Equal(t, first.Endpoint, tr.Endpoint, "probe %d must stick", i)
		if i > 0 {
			assert.Contains(t, tr.String(), "session affinity: client seen recently")
		}
	}

	// Per client: stuck within the timeout, a fresh random choice after it.
	kept, changed := 0, 0
	for i := range 200 {
		src := netip.AddrFrom4([4]byte{10, 244, 4, byte(i)})
		a := p.Walk(Packet{Src: src, Dst: webVIP}, rng, t0).Endpoint
		b := p.Walk(Packet{Src: src, Dst: webVIP}, rng, t0.Add(10800*time.Second)).Endpoint
		require.Equal(t, a, b, "10800 s after the last connection the entry is still fresh")
		c := p.Walk(Packet{Src: src, Dst: webVIP}, rng, t0.Add(2*10800*time.Second+time.Second)).Endpoint
		if c == a {
			kept++
		} else {
			changed++
		}
	}
	assert.Greater(t, changed, 60, "after expiry about half the clients move")
	assert.Greater(t, kept, 60)
}

func TestWalkSeesStaleRules(t *testing.T) {
	p := webProxier()
	p.Sync()
	p.DeleteEndpointSlice("default", "web-abc12")
	p.DeleteService("default", "web")
	// Not synced: the node still load-balances to the old endpoints.
	tr := p.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 1)), t0)
	assert.Equal(t, VerdictDNAT, tr.Verdict)
	p.Sync()
	tr = p.Walk(Packet{Src: clientIP, Dst: webVIP}, rand.New(rand.NewPCG(1, 1)), t0)
	assert.Equal(t, VerdictUnchanged, tr.Verdict)
}

package dns

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var kubeDNS = netip.MustParseAddr("10.96.0.10")

func TestPodResolvConf(t *testing.T) {
	rc := PodResolvConf("default", "cluster.local", kubeDNS)
	assert.Equal(t, "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", rc.String())
}

func TestSearchCandidates(t *testing.T) {
	rc := PodResolvConf("default", "cluster.local", kubeDNS)
	tests := []struct {
		name string
		want []string
	}{
		{"web", []string{"web.default.svc.cluster.local.", "web.svc.cluster.local.", "web.cluster.local.", "web."}},
		{"web.prod", []string{"web.prod.default.svc.cluster.local.", "web.prod.svc.cluster.local.", "web.prod.cluster.local.", "web.prod."}},
		{"example.com", []string{"example.com.default.svc.cluster.local.", "example.com.svc.cluster.local.", "example.com.cluster.local.", "example.com."}},
		{"a.b.c.d.e.f", []string{"a.b.c.d.e.f.", "a.b.c.d.e.f.default.svc.cluster.local.", "a.b.c.d.e.f.svc.cluster.local.", "a.b.c.d.e.f.cluster.local."}},
		{"example.com.", []string{"example.com."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, rc.Candidates(tt.name))
		})
	}
}

// serverTransport routes queries straight to a CoreDNS server.
func serverTransport(s *KubeadmServer) Transport {
	return func(ctx context.Context, server netip.Addr, q *Msg) (*Msg, error) {
		return s.ServeDNS(ctx, client, q), nil
	}
}

func downTransport(ctx context.Context, server netip.Addr, q *Msg) (*Msg, error) {
	return nil, errors.New("i/o timeout")
}

func queries(r Result) []string {
	var out []string
	for _, q := range r.Queries {
		out = append(out, q.String())
	}
	return out
}

func TestResolverSearchWalk(t *testing.T) {
	c := &clock{now: t0}
	s := kubeadmServer(c, internet(), false)
	tests := []struct {
		name      string
		ns        string
		query     string
		wantAddrs []string
		wantRcode Rcode
		wantNoDat bool
		queries   []string
	}{
		{
			name: "short name found with the first suffix", ns: "default", query: "web",
			wantAddrs: []string{"10.96.12.34"},
			queries:   []string{"A web.default.svc.cluster.local. @10.96.0.10 -> NOERROR, 1 answers"},
		},
		{
			name: "service in another namespace", ns: "default", query: "kube-dns.kube-system",
			wantAddrs: []string{"10.96.0.10"},
			queries: []string{
				"A kube-dns.kube-system.default.svc.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A kube-dns.kube-system.svc.cluster.local. @10.96.0.10 -> NOERROR, 1 answers",
			},
		},
		{
			name: "external name walks every suffix first", ns: "default", query: "example.com",
			wantAddrs: []string{"93.184.216.34"},
			queries: []string{
				"A example.com.default.svc.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A example.com.svc.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A example.com.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A example.com. @10.96.0.10 -> NOERROR, 1 answers",
			},
		},
		{
			name: "a trailing dot skips the search list", ns: "default", query: "example.com.",
			wantAddrs: []string{"93.184.216.34"},
			queries:   []string{"A example.com. @10.96.0.10 -> NOERROR, 1 answers"},
		},
		{
			name: "unknown name: NXDOMAIN after the whole walk", ns: "prod", query: "nosuch", wantRcode: RcodeNameError,
			queries: []string{
				"A nosuch.prod.svc.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A nosuch.svc.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A nosuch.cluster.local. @10.96.0.10 -> NXDOMAIN",
				"A nosuch. @10.96.0.10 -> NXDOMAIN",
			},
		},
		{
			name: "a name without A records is NODATA", ns: "default", query: "default.svc.cluster.local.", wantNoDat: true,
			queries: []string{"A default.svc.cluster.local. @10.96.0.10 -> NOERROR, 0 answers"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewResolver(PodResolvConf(tt.ns, "cluster.local", kubeDNS), serverTransport(s))
			res := r.Lookup(context.Background(), tt.query, TypeA)
			var addrs []string
			for _, a := range res.Addrs() {
				addrs = append(addrs, a.String())
			}
			assert.Equal(t, tt.wantAddrs, addrs)
			assert.Equal(t, tt.wantRcode, res.Rcode)
			assert.Equal(t, tt.wantNoDat, res.NoData)
			assert.Equal(t, tt.queries, queries(res))
		})
	}
}

func TestResolverTimeout(t *testing.T) {
	conf := PodResolvConf("default", "cluster.local", kubeDNS)
	conf.Nameservers = append(conf.Nameservers, netip.MustParseAddr("10.96.0.11"))
	r := NewResolver(conf, downTransport)
	res := r.Lookup(context.Background(), "web", TypeA)
	assert.True(t, res.TimedOut)
	assert.Equal(t, []string{
		"A web.default.svc.cluster.local. @10.96.0.10 -> no reply (i/o timeout)",
		"A web.default.svc.cluster.local. @10.96.0.11 -> no reply (i/o timeout)",
		"A web.default.svc.cluster.local. @10.96.0.10 -> no reply (i/o timeout)",
		"A web.default.svc.cluster.local. @10.96.0.11 -> no reply (i/o timeout)",
	}, queries(res), "two attempts per nameserver, then the walk stops")
}

func TestNslookup(t *testing.T) {
	c := &clock{now: t0}
	s := kubeadmServer(c, internet(), false)
	up := NewResolver(PodResolvConf("default", "cluster.local", kubeDNS), serverTransport(s))
	down := NewResolver(PodResolvConf("default", "cluster.local", kubeDNS), downTransport)
	var sb strings.Builder
	for _, tt := range []struct {
		r    *Resolver
		name string
	}{
		{up, "web"},
		{up, "kubernetes.default"},
		{up, "db"},
		{up, "nosuch"},
		{up, "example.com"},
		{up, "example.com"}, // now from the cache: authoritative
		{up, "ext"},
		{up, "default.svc.cluster.local."},
		{down, "web"},
	} {
		out, _ := tt.r.Nslookup(context.Background(), tt.name)
		sb.WriteString("$ nslookup " + tt.name + "\n" + out)
	}
	golden(t, "nslookup.golden", sb.String())
	require.Contains(t, sb.String(), "** server can't find nosuch: NXDOMAIN")
	require.Contains(t, sb.String(), ";; connection timed out; no servers could be reached")
}

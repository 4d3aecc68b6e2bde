package dns

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const soaLine = "cluster.local.\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1764064800 7200 1800 86400 30"

func TestKubernetesRecords(t *testing.T) {
	tests := []struct {
		name      string
		qname     string
		qtype     Type
		wantRcode Rcode
		wantAA    bool
		answer    []string
		ns        []string
		extra     []string
	}{
		{
			name: "service A", qname: "web.default.svc.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"web.default.svc.cluster.local.\t30\tIN\tA\t10.96.12.34"},
		},
		{
			name: "case does not matter", qname: "WEB.Default.SVC.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"web.default.svc.cluster.local.\t30\tIN\tA\t10.96.12.34"},
		},
		{
			name: "kube-dns", qname: "kube-dns.kube-system.svc.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"kube-dns.kube-system.svc.cluster.local.\t30\tIN\tA\t10.96.0.10"},
		},
		{
			name: "headless: one A per ready endpoint", qname: "db.default.svc.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"db.default.svc.cluster.local.\t30\tIN\tA\t10.244.1.20", "db.default.svc.cluster.local.\t30\tIN\tA\t10.244.2.21"},
		},
		{
			name: "endpoint hostname", qname: "db-0.db.default.svc.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"db-0.db.default.svc.cluster.local.\t30\tIN\tA\t10.244.1.20"},
		},
		{
			name: "not-ready endpoint hostname does not resolve", qname: "db-2.db.default.svc.cluster.local.", qtype: TypeA,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "dashed endpoint address of a ClusterIP service", qname: "10-244-1-5.web.default.svc.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"10-244-1-5.web.default.svc.cluster.local.\t30\tIN\tA\t10.244.1.5"},
		},
		{
			name: "headless without ready endpoints is NXDOMAIN", qname: "lonely.default.svc.cluster.local.", qtype: TypeA,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "unknown service", qname: "nosuch.default.svc.cluster.local.", qtype: TypeA,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "unknown namespace", qname: "web.nosuch.svc.cluster.local.", qtype: TypeA,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "too many labels", qname: "a.b.c.web.default.svc.cluster.local.", qtype: TypeA,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "existing name, no AAAA: NODATA", qname: "web.default.svc.cluster.local.", qtype: TypeAAAA,
			wantAA: true, ns: []string{soaLine},
		},
		{
			name: "existing name, no TXT: NODATA", qname: "web.default.svc.cluster.local.", qtype: TypeTXT,
			wantAA: true, ns: []string{soaLine},
		},
		{
			name: "namespace name: NODATA", qname: "default.svc.cluster.local.", qtype: TypeA,
			wantAA: true, ns: []string{soaLine},
		},
		{
			name: "SRV of a named port", qname: "_http._tcp.web.default.svc.cluster.local.", qtype: TypeSRV, wantAA: true,
			answer: []string{"_http._tcp.web.default.svc.cluster.local.\t30\tIN\tSRV\t0 100 80 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local.\t30\tIN\tA\t10.96.12.34"},
		},
		{
			name: "SRV of kube-dns over udp", qname: "_dns._udp.kube-dns.kube-system.svc.cluster.local.", qtype: TypeSRV, wantAA: true,
			answer: []string{"_dns._udp.kube-dns.kube-system.svc.cluster.local.\t30\tIN\tSRV\t0 100 53 kube-dns.kube-system.svc.cluster.local."},
			extra:  []string{"kube-dns.kube-system.svc.cluster.local.\t30\tIN\tA\t10.96.0.10"},
		},
		{
			name: "SRV of a headless service targets the endpoints", qname: "_postgres._tcp.db.default.svc.cluster.local.", qtype: TypeSRV, wantAA: true,
			answer: []string{
				"_postgres._tcp.db.default.svc.cluster.local.\t30\tIN\tSRV\t0 50 5432 db-0.db.default.svc.cluster.local.",
				"_postgres._tcp.db.default.svc.cluster.local.\t30\tIN\tSRV\t0 50 5432 db-1.db.default.svc.cluster.local.",
			},
			extra: []string{"db-0.db.default.svc.cluster.local.\t30\tIN\tA\t10.244.1.20", "db-1.db.default.svc.cluster.local.\t30\tIN\tA\t10.244.2.21"},
		},
		{
			name: "SRV with the wrong protocol", qname: "_http._udp.web.default.svc.cluster.local.", qtype: TypeSRV,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "PTR of a cluster IP", qname: "34.12.96.10.in-addr.arpa.", qtype: TypePTR, wantAA: true,
			answer: []string{"34.12.96.10.in-addr.arpa.\t30\tIN\tPTR\tweb.default.svc.cluster.local."},
		},
		{
			name: "PTR of an endpoint", qname: "20.1.244.10.in-addr.arpa.", qtype: TypePTR, wantAA: true,
			answer: []string{"20.1.244.10.in-addr.arpa.\t30\tIN\tPTR\tdb-0.db.default.svc.cluster.local."},
		},
		{
			name: "PTR outside the cluster falls through to forward", qname: "8.8.8.8.in-addr.arpa.", qtype: TypePTR,
			answer: []string{"8.8.8.8.in-addr.arpa.\t30\tIN\tPTR\tdns.google."},
		},
		{
			name: "pod A record (pods insecure)", qname: "10-244-1-5.default.pod.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"10-244-1-5.default.pod.cluster.local.\t30\tIN\tA\t10.244.1.5"},
		},
		{
			name: "pod A record in an unknown namespace", qname: "10-244-1-5.nosuch.pod.cluster.local.", qtype: TypeA,
			wantRcode: RcodeNameError, wantAA: true, ns: []string{soaLine},
		},
		{
			name: "ExternalName: CNAME and the target's address from upstream", qname: "ext.default.svc.cluster.local.", qtype: TypeA, wantAA: true,
			answer: []string{"example.com.\t30\tIN\tA\t93.184.216.34", "ext.default.svc.cluster.local.\t30\tIN\tCNAME\texample.com."},
		},
		{
			name: "ExternalName CNAME question", qname: "ext.default.svc.cluster.local.", qtype: TypeCNAME, wantAA: true,
			answer: []string{"ext.default.svc.cluster.local.\t30\tIN\tCNAME\texample.com."},
		},
		{
			name: "zone SOA", qname: "cluster.local.", qtype: TypeSOA, wantAA: true,
			answer: []string{soaLine},
		},
		{
			name: "outside the cluster: forwarded, not authoritative, TTL capped by cache 30", qname: "example.com.", qtype: TypeA,
			answer: []string{"example.com.\t30\tIN\tA\t93.184.216.34"},
		},
		{
			name: "outside the cluster: CNAME chain", qname: "www.example.com.", qtype: TypeA,
			answer: []string{"example.com.\t30\tIN\tA\t93.184.216.34", "www.example.com.\t30\tIN\tCNAME\texample.com."},
		},
		{
			name: "outside the cluster: NXDOMAIN from upstream", qname: "nosuch.example.", qtype: TypeA, wantRcode: RcodeNameError,
			ns: []string{".\t30\tIN\tSOA\ta.root-servers.net. nstld.verisign-grs.com. 2025112500 1800 900 604800 86400"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{now: t0}
			s := kubeadmServer(c, internet(), false)
			m := ask(s, tt.qname, tt.qtype)
			assert.Equal(t, tt.wantRcode, m.Rcode, m.String())
			assert.Equal(t, tt.wantAA, m.Authoritative, "aa flag")
			assert.Equal(t, uint16(7), m.ID)
			assert.True(t, m.Response)
			assert.Equal(t, sorted(tt.answer), Sorted(m.Answer), "answer")
			assert.Equal(t, sorted(tt.ns), Sorted(m.Ns), "authority")
			assert.Equal(t, sorted(tt.extra), Sorted(m.Extra), "additional")
		})
	}
}

func sorted(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	out := append([]string(nil), ss...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestUnsyncedBackendAnswersServfail(t *testing.T) {
	c := &clock{now: t0}
	store := NewStore(c.Now)
	k := NewKubernetes(KubernetesConfig{Backend: store, TTL: 30})
	s := NewServer(k.Plugin())
	m := s.ServeDNS(t.Context(), client, NewQuery(1, "web.default.svc.cluster.local.", TypeA))
	assert.Equal(t, RcodeServerFailure, m.Rcode, "before the informers synced CoreDNS does not claim NXDOMAIN")
	store.SetSynced(true)
	store.UpsertNamespace(nsObj("default"))
	m = s.ServeDNS(t.Context(), client, NewQuery(1, "web.default.svc.cluster.local.", TypeA))
	assert.Equal(t, RcodeNameError, m.Rcode)
}

func TestPodsVerifiedAndDisabled(t *testing.T) {
	c := &clock{now: t0}
	store := clusterStore(c)
	store.UpsertPod(podObj("default", "web-1", "10.244.1.5"))
	for _, tt := range []struct {
		mode  PodMode
		qname string
		want  Rcode
	}{
		{PodsVerified, "10-244-1-5.default.pod.cluster.local.", RcodeSuccess},
		{PodsVerified, "10-244-9-9.default.pod.cluster.local.", RcodeNameError},
		{PodsVerified, "10-244-1-5.kube-system.pod.cluster.local.", RcodeNameError},
		{PodsDisabled, "10-244-1-5.default.pod.cluster.local.", RcodeNameError},
		{PodsInsecure, "10-244-9-9.default.pod.cluster.local.", RcodeSuccess},
	} {
		t.Run(string(tt.mode)+" "+tt.qname, func(t *testing.T) {
			k := NewKubernetes(KubernetesConfig{Backend: store, TTL: 30, Pods: tt.mode})
			m := NewServer(k.Plugin()).ServeDNS(t.Context(), client, NewQuery(1, tt.qname, TypeA))
			assert.Equal(t, tt.want, m.Rcode)
		})
	}
}

func TestServerChainAndCorefile(t *testing.T) {
	c := &clock{now: t0}
	s := kubeadmServer(c, internet(), false)
	assert.Equal(t, []string{"errors", "loadbalance", "cache", "kubernetes", "forward"}, s.Plugins())
	golden(t, "Corefile", s.Corefile)
	golden(t, "Corefile.legacy", KubeadmCorefile(CorefileOptions{CacheClusterDomain: true}))
}

func TestUpstreamDownIsServfailAndLogged(t *testing.T) {
	c := &clock{now: t0}
	up := internet()
	up.Down = true
	s := kubeadmServer(c, up, false)
	m := ask(s, "example.com.", TypeA)
	require.Equal(t, RcodeServerFailure, m.Rcode)
	assert.Equal(t, []string{"[ERROR] plugin/errors: 2 example.com. A: read udp 192.168.1.1:53: i/o timeout"}, s.Errors.Log())
	// Cluster names still resolve: CoreDNS answers them itself.
	assert.Equal(t, RcodeSuccess, ask(s, "web.default.svc.cluster.local.", TypeA).Rcode)
}

func TestDigOutput(t *testing.T) {
	c := &clock{now: t0}
	s := kubeadmServer(c, internet(), false)
	golden(t, "dig-srv.golden", ask(s, "_postgres._tcp.db.default.svc.cluster.local.", TypeSRV).String())
	golden(t, "dig-nxdomain.golden", ask(s, "nosuch.default.svc.cluster.local.", TypeA).String())
}

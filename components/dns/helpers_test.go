package dns

import (
	"context"
	"flag"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	assert.Equal(t, string(want), got)
}

// clock is a settable virtual clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

var t0 = time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func svc(ns, name, clusterIP string, ports ...api.ServicePort) *api.Service {
	return &api.Service{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: clusterIP, Ports: ports}}
}

func sport(name string, proto api.Protocol, p int32) api.ServicePort {
	return api.ServicePort{Name: name, Protocol: proto, Port: p}
}

type ep struct {
	ip       string
	hostname string
	notReady bool
}

func slice(ns, name, svcName string, ports []api.EndpointSlicePort, eps ...ep) *api.EndpointSlice {
	es := &api.EndpointSlice{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{api.LabelServiceName: svcName}},
		AddressType: api.AddressTypeIPv4, Ports: ports}
	for _, e := range eps {
		x := api.Endpoint{Addresses: []string{e.ip}, Conditions: api.EndpointConditions{Ready: ptr(!e.notReady)}}
		if e.hostname != "" {
			x.Hostname = ptr(e.hostname)
		}
		es.Endpoints = append(es.Endpoints, x)
	}
	return es
}

func eport(name string, proto api.Protocol, p int32) api.EndpointSlicePort {
	return api.EndpointSlicePort{Name: ptr(name), Protocol: ptr(proto), Port: ptr(p)}
}

// clusterStore holds a small cluster: kubernetes, kube-dns, web, a headless
// db StatefulSet service, an empty headless service, an ExternalName.
func clusterStore(c *clock) *Store {
	s := NewStore(c.Now)
	for _, ns := range []string{"default", "kube-system"} {
		s.UpsertNamespace(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}})
	}
	s.UpsertService(svc("default", "kubernetes", "10.96.0.1", sport("https", api.ProtocolTCP, 443)))
	s.UpsertService(svc("kube-system", "kube-dns", "10.96.0.10",
		sport("dns", api.ProtocolUDP, 53), sport("dns-tcp", api.ProtocolTCP, 53), sport("metrics", api.ProtocolTCP, 9153)))
	s.UpsertEndpointSlice(slice("kube-system", "kube-dns-x1", "kube-dns",
		[]api.EndpointSlicePort{eport("dns", api.ProtocolUDP, 53), eport("dns-tcp", api.ProtocolTCP, 53), eport("metrics", api.ProtocolTCP, 9153)},
		ep{ip: "10.244.1.42"}, ep{ip: "10.244.2.17"}))
	s.UpsertService(svc("default", "web", "10.96.12.34", sport("http", api.ProtocolTCP, 80)))
	s.UpsertEndpointSlice(slice("default", "web-abc12", "web", []api.EndpointSlicePort{eport("http", api.ProtocolTCP, 8080)},
		ep{ip: "10.244.1.5"}, ep{ip: "10.244.2.7"}))
	s.UpsertService(svc("default", "db", api.ClusterIPNone, sport("postgres", api.ProtocolTCP, 5432)))
	s.UpsertEndpointSlice(slice("default", "db-xyz", "db", []api.EndpointSlicePort{eport("postgres", api.ProtocolTCP, 5432)},
		ep{ip: "10.244.1.20", hostname: "db-0"}, ep{ip: "10.244.2.21", hostname: "db-1"}, ep{ip: "10.244.3.3", hostname: "db-2", notReady: true}))
	s.UpsertService(svc("default", "lonely", api.ClusterIPNone, sport("http", api.ProtocolTCP, 80)))
	s.UpsertEndpointSlice(slice("default", "lonely-1", "lonely", []api.EndpointSlicePort{eport("http", api.ProtocolTCP, 80)},
		ep{ip: "10.244.3.9", notReady: true}))
	ext := svc("default", "ext", "")
	ext.Spec.Type = api.ServiceTypeExternalName
	ext.Spec.ExternalName = "example.com"
	s.UpsertService(ext)
	s.SetSynced(true)
	return s
}

func internet() *StaticUpstream {
	return &StaticUpstream{Addr: "192.168.1.1:53", Records: []RR{
		NewA("example.com.", 300, netip.MustParseAddr("93.184.216.34")),
		NewCNAME("www.example.com.", 300, "example.com."),
		NewPTR("8.8.8.8.in-addr.arpa.", 3600, "dns.google."),
		{Name: "example.com.", Type: TypeTXT, Class: ClassINET, TTL: 300, Data: `"v=spf1 -all"`},
	}}
}

func kubeadmServer(c *clock, up Upstream, legacyCache bool) *KubeadmServer {
	return NewKubeadmServer(KubeadmConfig{
		CorefileOptions: CorefileOptions{CacheClusterDomain: legacyCache},
		Backend:         clusterStore(c),
		Upstreams:       []Upstream{up},
		Clock:           c.Now,
		Rand:            rand.New(rand.NewPCG(1, 2)),
	})
}

var client = netip.MustParseAddrPort("10.244.1.99:41234")

func ask(s *KubeadmServer, name string, t Type) *Msg {
	return s.ServeDNS(context.Background(), client, NewQuery(7, name, t))
}

func nsObj(name string) *api.Namespace { return &api.Namespace{ObjectMeta: api.ObjectMeta{Name: name}} }

func podObj(ns, name, ip string) *api.Pod {
	return &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}, Status: api.PodStatus{PodIP: ip}}
}

package proxy

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, rewriting it under -update.
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

type svcOpt func(*api.Service)

func service(ns, name, clusterIP string, ports []api.ServicePort, opts ...svcOpt) *api.Service {
	s := &api.Service{
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec:       api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: clusterIP, Ports: ports},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func port(name string, proto api.Protocol, p int32) api.ServicePort {
	return api.ServicePort{Name: name, Protocol: proto, Port: p}
}

func nodePortType(s *api.Service) { s.Spec.Type = api.ServiceTypeNodePort }

func clientIPAffinity(s *api.Service) { s.Spec.SessionAffinity = api.ServiceAffinityClientIP }

type ep struct {
	ip          string
	node        string
	ready       *bool
	serving     *bool
	terminating *bool
}

func ptr[T any](v T) *T { return &v }

func slice(ns, name, svc string, ports []api.EndpointSlicePort, eps ...ep) *api.EndpointSlice {
	es := &api.EndpointSlice{
		ObjectMeta:  api.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{api.LabelServiceName: svc}},
		AddressType: api.AddressTypeIPv4,
		Ports:       ports,
	}
	for _, e := range eps {
		x := api.Endpoint{Addresses: []string{e.ip}}
		x.Conditions.Ready, x.Conditions.Serving, x.Conditions.Terminating = e.ready, e.serving, e.terminating
		if e.node != "" {
			x.NodeName = ptr(e.node)
		}
		es.Endpoints = append(es.Endpoints, x)
	}
	return es
}

func slicePort(name string, proto api.Protocol, p int32) api.EndpointSlicePort {
	return api.EndpointSlicePort{Name: ptr(name), Protocol: ptr(proto), Port: ptr(p)}
}

func testConfig() Config {
	return Config{
		NodeName:    "node-1",
		NodeIPs:     []netip.Addr{netip.MustParseAddr("172.18.0.2")},
		ClusterCIDR: netip.MustParsePrefix("10.244.0.0/16"),
	}
}

// webProxier is the REFERENCE.md example: default/web 10.96.12.34:80 "http"
// with endpoints 10.244.1.5:8080 and 10.244.2.7:8080.
func webProxier(opts ...svcOpt) *Proxier {
	p := NewProxier(testConfig())
	p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}, opts...))
	p.UpsertEndpointSlice(slice("default", "web-abc12", "web",
		[]api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)},
		ep{ip: "10.244.1.5", node: "node-1"}, ep{ip: "10.244.2.7", node: "node-2"}))
	return p
}

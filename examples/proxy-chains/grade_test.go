package proxychains

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/stretchr/testify/assert"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "491a6c853363977f28f512c3c1143059b2a5dabec250213f6cb85a385b153f98"

// render programs a real kube-proxy (package proxy's Proxier) with the
// Service and its EndpointSlice and reads back what it wrote: the KUBE-SVC
// chain KUBE-SERVICES jumps to for the ClusterIP, and that chain's jumps.
func render(sp ServicePort, endpoints []Endpoint) (chain string, jumps []Jump, rules string) {
	svc := &api.Service{
		ObjectMeta: api.ObjectMeta{Namespace: sp.Namespace, Name: sp.Service},
		Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: "10.96.0.42",
			Ports: []api.ServicePort{{Name: sp.PortName, Protocol: api.Protocol(sp.Protocol), Port: 80, TargetPort: api.FromInt32(int32(sp.TargetPort))}}},
	}
	name, proto, port := sp.PortName, api.Protocol(sp.Protocol), int32(sp.TargetPort)
	es := &api.EndpointSlice{
		ObjectMeta:  api.ObjectMeta{Namespace: sp.Namespace, Name: sp.Service + "-abcde", Labels: map[string]string{api.LabelServiceName: sp.Service}},
		AddressType: api.AddressTypeIPv4,
		Ports:       []api.EndpointSlicePort{{Name: &name, Protocol: &proto, Port: &port}},
	}
	for _, e := range endpoints {
		ready := e.Ready
		es.Endpoints = append(es.Endpoints, api.Endpoint{Addresses: []string{e.IP}, Conditions: api.EndpointConditions{Ready: &ready}})
	}
	p := proxy.NewProxier(proxy.Config{NodeName: "worker-1", NodeIPs: []netip.Addr{netip.MustParseAddr("172.18.0.3")}, ClusterCIDR: netip.MustParsePrefix("10.244.0.0/16")})
	p.UpsertService(svc)
	p.UpsertEndpointSlice(es)
	rs := p.Sync()
	for _, r := range rs.NAT.Rules(proxy.ChainServices) {
		if strings.HasPrefix(r.Target, "KUBE-SVC-") {
			chain = r.Target
		}
	}
	for _, r := range rs.NAT.Rules(chain) {
		if strings.HasPrefix(r.Target, "KUBE-SEP-") {
			jumps = append(jumps, Jump{Chain: r.Target, Probability: r.Probability()})
		}
	}
	return chain, jumps, rs.NAT.String()
}

func TestPredictMatchesKubeProxy(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradePredict)
}

func gradePredict(t testing.TB) {
	web := ServicePort{Namespace: "default", Service: "web", PortName: "http", Protocol: "TCP", TargetPort: 8080}
	for _, tc := range []struct {
		name      string
		sp        ServicePort
		endpoints []Endpoint
	}{
		{"one endpoint", web, []Endpoint{{IP: "10.244.1.5", Ready: true}}},
		{"three endpoints", web, []Endpoint{{IP: "10.244.1.5", Ready: true}, {IP: "10.244.2.7", Ready: true}, {IP: "10.244.3.2", Ready: true}}},
		{"sorted as text, not as numbers", web, []Endpoint{{IP: "10.244.1.9", Ready: true}, {IP: "10.244.1.10", Ready: true}, {IP: "10.244.1.100", Ready: true}, {IP: "10.244.1.11", Ready: true}}},
		{"an unnamed port", ServicePort{Namespace: "shop", Service: "cart", Protocol: "TCP", TargetPort: 80}, []Endpoint{{IP: "10.244.2.3", Ready: true}, {IP: "10.244.1.3", Ready: true}}},
		{"UDP", ServicePort{Namespace: "kube-system", Service: "kube-dns", PortName: "dns", Protocol: "UDP", TargetPort: 53}, []Endpoint{{IP: "10.244.0.3", Ready: true}, {IP: "10.244.0.4", Ready: true}}},
		{"endpoints that are not ready get no rule", web, []Endpoint{{IP: "10.244.1.5", Ready: true}, {IP: "10.244.2.7", Ready: false}, {IP: "10.244.3.2", Ready: true}}},
		{"seven endpoints", web, []Endpoint{{IP: "10.244.1.1", Ready: true}, {IP: "10.244.1.2", Ready: true}, {IP: "10.244.1.3", Ready: true}, {IP: "10.244.1.4", Ready: true}, {IP: "10.244.1.5", Ready: true}, {IP: "10.244.1.6", Ready: true}, {IP: "10.244.1.7", Ready: true}}},
	} {
		wantChain, wantJumps, rules := render(tc.sp, tc.endpoints)
		gotChain, gotJumps := Predict(tc.sp, tc.endpoints)
		explain := fmt.Sprintf("case %q: Service port %+v, endpoints %+v\nkube-proxy wrote this nat table:\n%s", tc.name, tc.sp, tc.endpoints, rules)
		if !assert.Equal(t, wantChain, gotChain, "the KUBE-SVC chain name\n%s", explain) ||
			!assert.Equal(t, wantJumps, gotJumps, "the KUBE-SVC chain's jumps, in order\n%s", explain) {
			return // one case at a time: the first difference is the lesson
		}
	}
}

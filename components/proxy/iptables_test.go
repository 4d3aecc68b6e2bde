package proxy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

// referenceExample is the kube-proxy example of REFERENCE.md, verbatim.
const referenceExample = `-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.12.34 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.12.34 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-AFGSLHOD2HFNCBX4
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.7:8080" -j KUBE-SEP-2RIJ5GIYXEFH6G4D
-A KUBE-SEP-AFGSLHOD2HFNCBX4 -m comment --comment default/web:http -s 10.244.1.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-AFGSLHOD2HFNCBX4 -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
`

func TestChainHashes(t *testing.T) {
	tests := []struct {
		name     string
		spn      string
		protocol string
		endpoint string
		want     string
	}{
		{name: "kubernetes https", spn: "default/kubernetes:https", protocol: "tcp", want: "NPX46M4PTMTKRN6Y"},
		{name: "kube-dns dns", spn: "kube-system/kube-dns:dns", protocol: "udp", want: "TCOU7JCQXEZGVUNU"},
		{name: "web service chain", spn: "default/web:http", protocol: "tcp", want: "CDGGSHYLG3RE2FKL"},
		{name: "web endpoint 1", spn: "default/web:http", protocol: "tcp", endpoint: "10.244.1.5:8080", want: "AFGSLHOD2HFNCBX4"},
		{name: "web endpoint 2", spn: "default/web:http", protocol: "tcp", endpoint: "10.244.2.7:8080", want: "2RIJ5GIYXEFH6G4D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PortProtoHash(tt.spn, tt.protocol)
			if tt.endpoint != "" {
				got = EndpointHash(tt.spn, tt.protocol, tt.endpoint)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestReferenceExample renders the REFERENCE.md service and checks that
// every line of the reference appears byte for byte, in order, in the nat
// table kube-proxy would write; the whole restore input is a golden file.
func TestReferenceExample(t *testing.T) {
	rs := webProxier().Sync()
	nat := rs.NAT.String()
	lines := strings.Split(nat, "\n")
	next := 0
	for _, want := range strings.Split(strings.TrimSuffix(referenceExample, "\n"), "\n") {
		found := false
		for next < len(lines) {
			next++
			if lines[next-1] == want {
				found = true
				break
			}
		}
		require.True(t, found, "reference line missing or out of order:\n%s\nin:\n%s", want, nat)
	}
	golden(t, "reference-web.golden", rs.String())
}

func TestRulesGolden(t *testing.T) {
	httpSlicePort := []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}
	tests := []struct {
		name   string
		cfg    func(*Config)
		objs   func(p *Proxier)
		golden string
	}{
		{
			name: "service without endpoints is rejected in filter",
			objs: func(p *Proxier) {
				p.UpsertService(service("default", "empty", "10.96.0.50", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
			},
			golden: "no-endpoints.golden",
		},
		{
			name: "three endpoints get 1/3 then 1/2",
			objs: func(p *Proxier) {
				p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				p.UpsertEndpointSlice(slice("default", "web-1", "web", httpSlicePort,
					ep{ip: "10.244.2.7"}, ep{ip: "10.244.1.5"}, ep{ip: "10.244.10.3"}))
			},
			golden: "three-endpoints.golden",
		},
		{
			name: "nodeport with unnamed udp port",
			objs: func(p *Proxier) {
				svc := service("default", "dns", "10.96.5.5", []api.ServicePort{port("", api.ProtocolUDP, 53)}, nodePortType)
				svc.Spec.Ports[0].NodePort = 30053
				p.UpsertService(svc)
				p.UpsertEndpointSlice(slice("default", "dns-1", "dns",
					[]api.EndpointSlicePort{{Protocol: ptr(api.ProtocolUDP), Port: ptr(int32(5353))}},
					ep{ip: "10.244.1.9"}))
			},
			golden: "nodeport.golden",
		},
		{
			name: "nodeport without endpoints on a node without nfacct",
			cfg:  func(c *Config) { c.NoNFAcct = true; c.NoLocalhostNodePorts = true },
			objs: func(p *Proxier) {
				svc := service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}, nodePortType)
				svc.Spec.Ports[0].NodePort = 30080
				p.UpsertService(svc)
			},
			golden: "nodeport-no-endpoints.golden",
		},
		{
			name: "session affinity ClientIP",
			objs: func(p *Proxier) {
				p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}, clientIPAffinity))
				p.UpsertEndpointSlice(slice("default", "web-1", "web", httpSlicePort, ep{ip: "10.244.1.5"}, ep{ip: "10.244.2.7"}))
			},
			golden: "affinity.golden",
		},
		{
			name: "only terminating endpoints: serving ones are used",
			objs: func(p *Proxier) {
				p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				p.UpsertEndpointSlice(slice("default", "web-1", "web", httpSlicePort,
					ep{ip: "10.244.1.5", ready: ptr(false), serving: ptr(true), terminating: ptr(true)},
					ep{ip: "10.244.2.7", ready: ptr(false), serving: ptr(false), terminating: ptr(true)},
					ep{ip: "10.244.3.3", ready: ptr(false), serving: ptr(false)}))
			},
			golden: "terminating-fallback.golden",
		},
		{
			name: "not-ready endpoints are skipped when ready ones exist",
			objs: func(p *Proxier) {
				p.UpsertService(service("default", "web", "10.96.12.34", []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				p.UpsertEndpointSlice(slice("default", "web-1", "web", httpSlicePort,
					ep{ip: "10.244.1.5"},
					ep{ip: "10.244.2.7", ready: ptr(false), serving: ptr(true), terminating: ptr(true)},
					ep{ip: "10.244.3.3", ready: ptr(false)}))
			},
			golden: "ready-only.golden",
		},
		{
			name: "externalTrafficPolicy Local load balancer",
			objs: func(p *Proxier) {
				svc := service("default", "lb", "10.96.7.7", []api.ServicePort{port("http", api.ProtocolTCP, 80)})
				svc.Spec.Type = api.ServiceTypeLoadBalancer
				svc.Spec.Ports[0].NodePort = 31000
				svc.Spec.ExternalTrafficPolicy = api.ServiceExternalTrafficPolicyLocal
				svc.Spec.HealthCheckNodePort = 32000
				svc.Status.LoadBalancer.Ingress = []api.LoadBalancerIngress{{IP: "192.0.2.10"}}
				p.UpsertService(svc)
				p.UpsertEndpointSlice(slice("default", "lb-1", "lb", httpSlicePort,
					ep{ip: "10.244.1.5", node: "node-1"}, ep{ip: "10.244.2.7", node: "node-2"}))
			},
			golden: "lb-local.golden",
		},
		{
			name: "headless and ExternalName services are not proxied",
			objs: func(p *Proxier) {
				p.UpsertService(service("default", "headless", api.ClusterIPNone, []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
				ext := service("default", "ext", "", nil)
				ext.Spec.Type = api.ServiceTypeExternalName
				ext.Spec.ExternalName = "example.com"
				p.UpsertService(ext)
			},
			golden: "not-proxied.golden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			p := NewProxier(cfg)
			tt.objs(p)
			golden(t, tt.golden, p.Sync().String())
		})
	}
}

func TestLargeClusterModeDropsEndpointComments(t *testing.T) {
	p := NewProxier(testConfig())
	// 101 services x 10 endpoints = 1010 endpoints > 1000.
	for i := range 101 {
		name := "svc" + itoa(i)
		p.UpsertService(service("default", name, "10.96.1."+itoa(i+1), []api.ServicePort{port("http", api.ProtocolTCP, 80)}))
		var eps []ep
		for j := range 10 {
			eps = append(eps, ep{ip: "10.244." + itoa(i) + "." + itoa(j+1)})
		}
		p.UpsertEndpointSlice(slice("default", name+"-1", name, []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}, eps...))
	}
	rs := p.Sync()
	require.True(t, rs.LargeCluster)
	assert.Equal(t, 1010, rs.Endpoints)
	svc0 := "KUBE-SVC-" + PortProtoHash("default/svc0:http", "tcp")
	rules := rs.NAT.Rules(svc0)
	require.Len(t, rules, 11)
	assert.Equal(t, `-A `+svc0+` -m comment --comment "default/svc0:http cluster IP" -m tcp -p tcp -d 10.96.1.1 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`, rules[0].String())
	assert.Equal(t, "-A "+svc0+" -m statistic --mode random --probability 0.1000000000 -j KUBE-SEP-"+
		EndpointHash("default/svc0:http", "tcp", "10.244.0.10:8080"), rules[1].String(),
		"endpoints sort as strings: 10.244.0.10:8080 before 10.244.0.1:8080, as in kube-proxy")
}

func TestRulesAreStaleUntilSync(t *testing.T) {
	p := webProxier()
	assert.Nil(t, p.Rules())
	assert.True(t, p.Pending())
	first := p.Sync()
	assert.False(t, p.Pending())

	p.DeleteEndpointSlice("default", "web-abc12")
	assert.True(t, p.Pending())
	assert.Same(t, first, p.Rules(), "rules stay what was last programmed")

	second := p.Sync()
	assert.Contains(t, second.Filter.String(), `-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.12.34 --dport 80 -j REJECT`)
	assert.Equal(t, 2, p.Syncs())
}

func itoa(i int) string { return strconv.Itoa(i) }

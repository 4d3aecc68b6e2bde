package coredns_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func query(t *testing.T, c *cluster.Cluster, name string, qt dns.Type) *dns.Msg {
	t.Helper()
	m, err := c.Kubectl().Call("coredns-1", coredns.KindQuery, coredns.Query{Client: netip.MustParseAddrPort("10.0.1.7:40000"), Msg: dns.NewQuery(7, name, qt)}, 10*time.Second)
	require.NoError(t, err)
	return m.Body.(coredns.Reply).Msg
}

func TestCoreDNSAnswersFromItsWatches(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	up := &dns.StaticUpstream{Addr: "8.8.8.8:53", Records: []dns.RR{dns.NewA("example.com.", 300, netip.MustParseAddr("93.184.216.34"))}}
	run := coredns.New(coredns.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "coredns"), APIServers: c.APIServers, Upstreams: []dns.Upstream{up}})
	require.NoError(t, c.K.Spawn(sim.ActorSpec{Name: "coredns-1", Node: "cp-1", Component: "coredns", Run: run}))
	c.K.RunFor(2 * time.Second)

	_, err = c.Admin.Create(&api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: "10.96.12.34", ClusterIPs: []string{"10.96.12.34"},
			Ports: []api.ServicePort{{Name: "http", Port: 80, Protocol: api.ProtocolTCP}}}})
	require.NoError(t, err)
	c.K.RunFor(time.Second)

	for _, tc := range []struct {
		name      string
		qname     string
		qtype     dns.Type
		wantRcode dns.Rcode
		want      []string
	}{
		{name: "service A", qname: "web.default.svc.cluster.local.", qtype: dns.TypeA, wantRcode: dns.RcodeSuccess,
			want: []string{"web.default.svc.cluster.local.\t30\tIN\tA\t10.96.12.34"}},
		{name: "SRV of a named port", qname: "_http._tcp.web.default.svc.cluster.local.", qtype: dns.TypeSRV, wantRcode: dns.RcodeSuccess,
			want: []string{"_http._tcp.web.default.svc.cluster.local.\t30\tIN\tSRV\t0 100 80 web.default.svc.cluster.local."}},
		{name: "unknown service", qname: "nosuch.default.svc.cluster.local.", qtype: dns.TypeA, wantRcode: dns.RcodeNameError},
		// cache 30 caps the upstream's TTL of 300.
		{name: "forwarded upstream", qname: "example.com.", qtype: dns.TypeA, wantRcode: dns.RcodeSuccess,
			want: []string{"example.com.\t30\tIN\tA\t93.184.216.34"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := query(t, c, tc.qname, tc.qtype)
			assert.Equal(t, tc.wantRcode, r.Rcode)
			assert.Equal(t, uint16(7), r.ID)
			if tc.want != nil {
				assert.Equal(t, tc.want, dns.Sorted(r.Answer))
			}
		})
	}

	m, err := c.Kubectl().Call("coredns-1", coredns.KindCorefile, nil, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, dns.KubeadmCorefile(dns.CorefileOptions{}), m.Body.(string))
}

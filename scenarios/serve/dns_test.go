package serve

import (
	"context"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDNSFrontEndAnswersThroughCoreDNS(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true, DNSListen: "127.0.0.1:0"})
	defer stop()
	require.NotEmpty(t, srv.DNSAddr())
	ask := func(net, name string, qtype uint16) (*mdns.Msg, error) {
		c := &mdns.Client{Net: net, Timeout: 2 * time.Second}
		m := new(mdns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := c.Exchange(m, srv.DNSAddr())
		return r, err
	}
	// No CoreDNS pod yet: the query goes unanswered, as against a dead
	// CoreDNS.
	_, err := ask("udp", "kubernetes.default.svc.cluster.local.", mdns.TypeA)
	require.Error(t, err)

	// The cluster's CoreDNS Deployment is not wired into the cluster yet;
	// start one CoreDNS pod by hand.
	require.NoError(t, srv.Do(context.Background(), func(c *cluster.Cluster) {
		run := coredns.New(coredns.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "coredns"), APIServers: c.APIServers})
		require.NoError(t, c.K.Spawn(sim.ActorSpec{Name: "coredns-0", Node: "worker-1", Component: "coredns", Run: run}))
	}))
	require.NoError(t, srv.Advance(context.Background(), 5*time.Second))

	for _, network := range []string{"udp", "tcp"} {
		r, err := ask(network, "kubernetes.default.svc.cluster.local.", mdns.TypeA)
		require.NoError(t, err, network)
		assert.Equal(t, mdns.RcodeSuccess, r.Rcode, network)
		require.Len(t, r.Answer, 1, network)
		a, ok := r.Answer[0].(*mdns.A)
		require.True(t, ok)
		assert.Equal(t, "10.96.0.1", a.A.String())
	}
	r, err := ask("udp", "nope.default.svc.cluster.local.", mdns.TypeA)
	require.NoError(t, err)
	assert.Equal(t, mdns.RcodeNameError, r.Rcode)

	var trace []string
	require.NoError(t, srv.Do(context.Background(), func(c *cluster.Cluster) {
		for _, rec := range c.K.Trace().Tail(200) {
			if rec.From == "dig" {
				trace = append(trace, rec.Text())
			}
		}
	}))
	require.NotEmpty(t, trace)
	assert.Contains(t, trace[len(trace)-1], "dig -> coredns-0 DNS query: A nope.default.svc.cluster.local. from 127.0.0.1:")
}

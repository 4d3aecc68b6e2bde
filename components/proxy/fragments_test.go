package proxy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

// Partial syncs and rules shared between nodes give exactly the rules a
// full rebuild gives, through changes of Services, slices, local traffic
// policy and large-cluster mode.
func TestPartialAndSharedSyncsEqualFullRebuilds(t *testing.T) {
	cache := NewRuleCache()
	mk := func(node string) *Proxier {
		cfg := testConfig()
		cfg.NodeName, cfg.Rules = node, cache
		return NewProxier(cfg)
	}
	nodes := []*Proxier{mk("node-1"), mk("node-2")}
	check := func(step string) {
		for _, p := range nodes {
			rs := p.Sync()
			full := buildRulesetFull(&p.cfg, &p.tr)
			require.Equal(t, full.NAT.String(), rs.NAT.String(), "%s: nat on %s", step, p.cfg.NodeName)
			require.Equal(t, full.Filter.String(), rs.Filter.String(), "%s: filter on %s", step, p.cfg.NodeName)
			assert.Equal(t, full.Endpoints, rs.Endpoints)
			assert.Equal(t, full.LargeCluster, rs.LargeCluster)
		}
	}
	local := func(s *api.Service) { p := api.ServiceInternalTrafficPolicyLocal; s.Spec.InternalTrafficPolicy = &p }
	upsert := func(objs ...any) {
		for _, p := range nodes {
			for _, o := range objs {
				switch o := o.(type) {
				case *api.Service:
					p.UpsertService(o)
				case *api.EndpointSlice:
					p.UpsertEndpointSlice(o)
				}
			}
		}
	}
	httpPorts := []api.ServicePort{port("http", api.ProtocolTCP, 80)}
	slicePorts := []api.EndpointSlicePort{slicePort("http", api.ProtocolTCP, 8080)}
	upsert(service("default", "web", "10.96.0.10", httpPorts),
		slice("default", "web-1", "web", slicePorts, ep{ip: "10.244.1.5", node: "node-1"}, ep{ip: "10.244.2.7", node: "node-2"}),
		service("default", "db", "10.96.0.11", httpPorts, local),
		slice("default", "db-1", "db", slicePorts, ep{ip: "10.244.1.9", node: "node-1"}))
	check("first sync")
	n := cache.Len()
	check("nothing changed")
	assert.Equal(t, n, cache.Len(), "an unchanged sync reuses every fragment")
	upsert(slice("default", "web-1", "web", slicePorts, ep{ip: "10.244.1.5", node: "node-1"}))
	check("an endpoint gone")
	for i := range 120 {
		name := "svc" + itoa(i)
		var eps []ep
		for j := range 10 {
			eps = append(eps, ep{ip: "10.245." + itoa(i) + "." + itoa(j+1), node: "node-2"})
		}
		upsert(service("default", name, "10.96.1."+itoa(i+1), httpPorts), slice("default", name+"-1", name, slicePorts, eps...))
	}
	check("large cluster mode")
	for _, p := range nodes {
		p.DeleteService("default", "web")
	}
	check("a service gone")
	require.True(t, nodes[0].Rules().LargeCluster)
}

package cilium

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/kubesim/kubesim/components/api"
)

// BenchmarkDecide evaluates connections against 100 CiliumNetworkPolicies
// and 100 NetworkPolicies in 100 namespaces.
func BenchmarkDecide(b *testing.B) {
	ids := NewIdentityAllocator()
	repo := NewRepository()
	var peers []Peer
	for i := range 100 {
		ns := "ns" + strconv.Itoa(i)
		for j, app := range []string{"web", "client"} {
			pod := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: app, Labels: map[string]string{"app": app}}}
			ident, _, err := ids.Allocate(PodLabels(pod, nil, ""))
			if err != nil {
				b.Fatal(err)
			}
			peers = append(peers, PodPeer(pod, ident, netip.AddrFrom4([4]byte{10, 0, byte(i), byte(j + 1)})))
		}
		sel := api.EndpointSelector{MatchLabels: map[string]string{"app": "web"}}
		if err := repo.UpsertCiliumNetworkPolicy(&api.CiliumNetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: "allow-client"},
			Spec: &api.CiliumRule{EndpointSelector: &sel, Ingress: []api.CiliumIngressRule{{
				FromEndpoints: []api.EndpointSelector{{MatchLabels: map[string]string{"app": "client"}}},
				ToPorts:       []api.CiliumPortRule{{Ports: []api.CiliumPortProtocol{{Port: "80", Protocol: "TCP"}}}},
			}}}}); err != nil {
			b.Fatal(err)
		}
		if err := repo.UpsertNetworkPolicy(&api.NetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: "deny-egress"},
			Spec: api.NetworkPolicySpec{PodSelector: api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, PolicyTypes: []api.PolicyType{api.PolicyTypeEgress}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		src, dst := peers[(i*2+1)%len(peers)], peers[(i*2)%len(peers)]
		if d := repo.Decide(src, dst, 80, "TCP"); !d.Allowed {
			b.Fatal(d)
		}
		i++
	}
}

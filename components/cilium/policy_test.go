package cilium

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

type fixture struct {
	ids *IdentityAllocator
}

func newFixture() *fixture { return &fixture{ids: NewIdentityAllocator()} }

func (f *fixture) pod(t *testing.T, ns, name, ip string, labels, nsLabels map[string]string, ports ...api.ContainerPort) Peer {
	t.Helper()
	pod := &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       api.PodSpec{ServiceAccountName: "default", Containers: []api.Container{{Name: "c", Ports: ports}}},
	}
	ident, _, err := f.ids.Allocate(PodLabels(pod, nsLabels, ""))
	require.NoError(t, err)
	return PodPeer(pod, ident, netip.MustParseAddr(ip))
}

func decode[T api.Object](t *testing.T, manifest string) T {
	t.Helper()
	objs, err := api.DecodeManifests("policy.yaml", []byte(manifest))
	require.NoError(t, err)
	require.Len(t, objs, 1)
	obj, ok := objs[0].(T)
	require.True(t, ok, "unexpected kind %T", objs[0])
	return obj
}

// The star-wars demo of Cilium's getting-started guide.
const starWarsRule1 = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: rule1
  namespace: default
spec:
  description: L3-L4 policy to restrict deathstar access to empire ships only
  endpointSelector:
    matchLabels:
      org: empire
      class: deathstar
  ingress:
  - fromEndpoints:
    - matchLabels:
        org: empire
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
`

func TestStarWarsDemo(t *testing.T) {
	f := newFixture()
	deathstar := f.pod(t, "default", "deathstar-6c9f", "10.0.1.10", map[string]string{"org": "empire", "class": "deathstar", "app.kubernetes.io/name": "deathstar"}, nil)
	tiefighter := f.pod(t, "default", "tiefighter", "10.0.1.11", map[string]string{"org": "empire", "class": "tiefighter", "app.kubernetes.io/name": "tiefighter"}, nil)
	xwing := f.pod(t, "default", "xwing", "10.0.2.12", map[string]string{"org": "alliance", "class": "xwing", "app.kubernetes.io/name": "xwing"}, nil)

	repo := NewRepository()
	for _, ship := range []Peer{xwing, tiefighter} {
		d := repo.Decide(ship, deathstar, 80, "TCP")
		assert.True(t, d.Allowed, "without policy %s lands: %s", ship, d)
		assert.Equal(t, "no policy selects default/deathstar-6c9f for ingress", d.Ingress.By)
	}

	require.NoError(t, repo.UpsertCiliumNetworkPolicy(decode[*api.CiliumNetworkPolicy](t, starWarsRule1)))
	assert.Equal(t, uint64(1), repo.Revision())

	d := repo.Decide(tiefighter, deathstar, 80, "TCP")
	assert.True(t, d.Allowed, d.String())
	assert.Equal(t, "CiliumNetworkPolicy default/rule1 ingress[0]", d.Ingress.By)

	d = repo.Decide(xwing, deathstar, 80, "TCP")
	assert.False(t, d.Allowed)
	assert.Equal(t, Ingress, d.DroppedAt)
	assert.Equal(t, DropPolicyDenied, d.DropReason)
	assert.Equal(t, "Policy denied", d.DropReason.String())

	d = repo.Decide(tiefighter, deathstar, 443, "TCP")
	assert.False(t, d.Allowed, "only TCP 80 is allowed")
	d = repo.Decide(tiefighter, deathstar, 80, "UDP")
	assert.False(t, d.Allowed, "only TCP 80 is allowed")

	d = repo.Decide(deathstar, xwing, 80, "TCP")
	assert.True(t, d.Allowed, "the xwing itself is not selected: %s", d)

	// Hubble sees the drop at the deathstar's node.
	flows := ProbeFlows(Probe{Time: t0, Src: xwing, Dst: deathstar, SrcNode: "node-2", DstNode: "node-1", SrcPort: 43210, DstPort: 80, Protocol: "TCP",
		Decision: repo.Decide(xwing, deathstar, 80, "TCP")})
	require.Len(t, flows, 2)
	assert.Equal(t, "Nov 25 10:00:01.234: default/xwing:43210 (ID:258) -> default/deathstar-6c9f:80 (ID:256) to-overlay FORWARDED (TCP Flags: SYN)", flows[0].Compact())
	assert.Equal(t, "Nov 25 10:00:01.234: default/xwing:43210 (ID:258) <> default/deathstar-6c9f:80 (ID:256) Policy denied DROPPED (TCP Flags: SYN)", flows[1].Compact())

	repo.DeleteCiliumNetworkPolicy("default", "rule1")
	assert.True(t, repo.Decide(xwing, deathstar, 80, "TCP").Allowed, "deleting the policy restores default allow")
}

func TestCiliumNetworkPolicies(t *testing.T) {
	f := newFixture()
	web := f.pod(t, "default", "web", "10.0.1.10", map[string]string{"app": "web"}, nil, api.ContainerPort{Name: "http", ContainerPort: 8080})
	client := f.pod(t, "default", "client", "10.0.1.11", map[string]string{"app": "client"}, nil)
	other := f.pod(t, "prod", "client", "10.0.2.11", map[string]string{"app": "client"}, map[string]string{"env": "prod"})
	world := WorldPeer(netip.MustParseAddr("203.0.113.7"))
	world2 := WorldPeer(netip.MustParseAddr("198.51.100.9"))
	host := ReservedPeer(IdentityHost, netip.MustParseAddr("172.18.0.2"))
	remoteNode := ReservedPeer(IdentityRemoteNode, netip.MustParseAddr("172.18.0.3"))

	web80 := []api.CiliumPortRule{{Ports: []api.CiliumPortProtocol{{Port: "8080", Protocol: "TCP"}}}}
	sel := func(kv ...string) api.EndpointSelector {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return api.EndpointSelector{MatchLabels: m}
	}
	cnp := func(spec api.CiliumRule) *api.CiliumNetworkPolicy {
		return &api.CiliumNetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "p"}, Spec: &spec}
	}
	webSel := sel("app", "web")

	tests := []struct {
		name      string
		policy    *api.CiliumNetworkPolicy
		src, dst  Peer
		port      uint16
		proto     string
		want      bool
		wantBy    string
		wantDrop  Direction
		wantCause DropReason
	}{
		{
			name:   "fromEndpoints is namespace-scoped",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEndpoints: []api.EndpointSelector{sel("app", "client")}}}}),
			src:    other, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenied,
		},
		{
			name:   "fromEndpoints naming the namespace reaches across",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEndpoints: []api.EndpointSelector{sel("app", "client", "k8s:io.kubernetes.pod.namespace", "prod")}}}}),
			src:    other, dst: web, port: 8080, want: true, wantBy: "CiliumNetworkPolicy default/p ingress[0]",
		},
		{
			name:   "empty ingress rule is default deny",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{}}}),
			src:    client, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenied,
		},
		{
			name:   "ports-only rule allows every peer on the port",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{ToPorts: web80}}}),
			src:    world, dst: web, port: 8080, want: true,
		},
		{
			name:   "named port resolves against the destination's container ports",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{ToPorts: []api.CiliumPortRule{{Ports: []api.CiliumPortProtocol{{Port: "http"}}}}}}}),
			src:    client, dst: web, port: 8080, want: true,
		},
		{
			name:   "fromEntities world admits outside addresses",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEntities: []string{"world"}}}}),
			src:    world, dst: web, port: 8080, want: true,
		},
		{
			name:   "fromEntities world does not admit pods",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEntities: []string{"world"}}}}),
			src:    client, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenied,
		},
		{
			name:   "fromEntities cluster admits pods of every namespace and nodes",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEntities: []string{"cluster"}}}}),
			src:    remoteNode, dst: web, port: 8080, want: true,
		},
		{
			name:   "fromEntities cluster does not admit the world",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEntities: []string{"cluster"}}}}),
			src:    world, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenied,
		},
		{
			name:   "fromEntities all",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromEntities: []string{"all"}}}}),
			src:    world, dst: web, port: 8080, want: true,
		},
		{
			name:   "the local host is always allowed in (allow-localhost)",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{}}}),
			src:    host, dst: web, port: 8080, want: true, wantBy: "allow-localhost (reserved:host)",
		},
		{
			name:   "fromCIDRSet with except",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromCIDRSet: []api.CIDRRule{{CIDR: "203.0.113.0/24", Except: []string{"203.0.113.0/29"}}}}}}),
			src:    world, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenied,
		},
		{
			name:   "fromCIDR",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromCIDR: []string{"203.0.113.0/24"}}}}),
			src:    world, dst: web, port: 8080, want: true,
		},
		{
			name:   "fromCIDR never matches a pod, even inside the range",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{FromCIDR: []string{"10.0.0.0/8"}}}}),
			src:    client, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenied,
		},
		{
			name:   "egress toCIDR default-denies the rest at the source",
			policy: cnp(api.CiliumRule{EndpointSelector: &api.EndpointSelector{MatchLabels: map[string]string{"app": "client"}}, Egress: []api.CiliumEgressRule{{ToCIDR: []string{"203.0.113.0/24"}}}}),
			src:    client, dst: world2, port: 443, want: false, wantDrop: Egress, wantCause: DropPolicyDenied,
		},
		{
			name:   "egress toCIDR allows the range",
			policy: cnp(api.CiliumRule{EndpointSelector: &api.EndpointSelector{MatchLabels: map[string]string{"app": "client"}}, Egress: []api.CiliumEgressRule{{ToCIDR: []string{"203.0.113.0/24"}}}}),
			src:    client, dst: world, port: 443, want: true, wantBy: "egress: CiliumNetworkPolicy default/p egress[0]; ingress: 203.0.113.7 is not a Cilium endpoint",
		},
		{
			name:   "egress toEndpoints with toPorts and protocol ANY",
			policy: cnp(api.CiliumRule{EndpointSelector: &api.EndpointSelector{MatchLabels: map[string]string{"app": "client"}}, Egress: []api.CiliumEgressRule{{ToEndpoints: []api.EndpointSelector{webSel}, ToPorts: []api.CiliumPortRule{{Ports: []api.CiliumPortProtocol{{Port: "8080", Protocol: "ANY"}}}}}}}),
			src:    client, dst: web, port: 8080, proto: "UDP", want: true,
		},
		{
			name: "ingressDeny wins over allow",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel,
				Ingress:     []api.CiliumIngressRule{{FromEntities: []string{"all"}}},
				IngressDeny: []api.CiliumIngressRule{{FromEndpoints: []api.EndpointSelector{sel("app", "client")}}}}),
			src: client, dst: web, port: 8080, want: false, wantDrop: Ingress, wantCause: DropPolicyDenyList,
		},
		{
			name: "enableDefaultDeny false keeps default allow",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, EnableDefaultDeny: &api.CiliumDefaultDenyConfig{Ingress: ptr(false)},
				IngressDeny: []api.CiliumIngressRule{{FromEntities: []string{"world"}}}}),
			src: client, dst: web, port: 8080, want: true,
		},
		{
			name:   "toPorts endPort range",
			policy: cnp(api.CiliumRule{EndpointSelector: &webSel, Ingress: []api.CiliumIngressRule{{ToPorts: []api.CiliumPortRule{{Ports: []api.CiliumPortProtocol{{Port: "8000", EndPort: 8100, Protocol: "TCP"}}}}}}}),
			src:    client, dst: web, port: 8080, want: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := NewRepository()
			require.NoError(t, repo.UpsertCiliumNetworkPolicy(tt.policy))
			proto := tt.proto
			if proto == "" {
				proto = "TCP"
			}
			d := repo.Decide(tt.src, tt.dst, tt.port, proto)
			assert.Equal(t, tt.want, d.Allowed, d.String())
			if tt.wantBy != "" {
				assert.Contains(t, d.String(), tt.wantBy)
			}
			if !tt.want {
				assert.Equal(t, tt.wantDrop, d.DroppedAt)
				assert.Equal(t, tt.wantCause, d.DropReason)
			}
		})
	}
}

func TestKubernetesNetworkPolicies(t *testing.T) {
	f := newFixture()
	nsProd := map[string]string{"env": "prod"}
	web := f.pod(t, "default", "web", "10.0.1.10", map[string]string{"app": "web"}, nil, api.ContainerPort{Name: "http", ContainerPort: 8080})
	db := f.pod(t, "default", "db", "10.0.1.12", map[string]string{"app": "db"}, nil)
	client := f.pod(t, "default", "client", "10.0.1.11", map[string]string{"app": "client"}, nil)
	prodClient := f.pod(t, "prod", "client", "10.0.2.11", map[string]string{"app": "client"}, nsProd)
	prodOther := f.pod(t, "prod", "other", "10.0.2.12", map[string]string{"app": "other"}, nsProd)
	world := WorldPeer(netip.MustParseAddr("192.0.2.50"))
	world2 := WorldPeer(netip.MustParseAddr("192.0.2.3"))

	np := func(name string, spec api.NetworkPolicySpec) *api.NetworkPolicy {
		return &api.NetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Spec: spec}
	}
	webSel := api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tcp := api.ProtocolTCP
	port := func(p int32) *api.IntOrString { v := api.FromInt32(p); return &v }

	tests := []struct {
		name     string
		policies []*api.NetworkPolicy
		src, dst Peer
		port     uint16
		want     bool
		wantDrop Direction
	}{
		{
			name:     "default deny ingress for the namespace",
			policies: []*api.NetworkPolicy{np("default-deny", api.NetworkPolicySpec{PolicyTypes: []api.PolicyType{api.PolicyTypeIngress}})},
			src:      client, dst: web, port: 8080, want: false, wantDrop: Ingress,
		},
		{
			name:     "default deny ingress leaves egress open",
			policies: []*api.NetworkPolicy{np("default-deny", api.NetworkPolicySpec{PolicyTypes: []api.PolicyType{api.PolicyTypeIngress}})},
			src:      web, dst: world, port: 443, want: true,
		},
		{
			name:     "default deny egress",
			policies: []*api.NetworkPolicy{np("default-deny-egress", api.NetworkPolicySpec{PolicyTypes: []api.PolicyType{api.PolicyTypeEgress}})},
			src:      client, dst: web, port: 8080, want: false, wantDrop: Egress,
		},
		{
			name: "podSelector peer allows the client on the port",
			policies: []*api.NetworkPolicy{np("allow-client", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From:  []api.NetworkPolicyPeer{{PodSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "client"}}}},
				Ports: []api.NetworkPolicyPort{{Protocol: &tcp, Port: port(8080)}},
			}}})},
			src: client, dst: web, port: 8080, want: true,
		},
		{
			name: "podSelector peer: other pods are denied",
			policies: []*api.NetworkPolicy{np("allow-client", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{PodSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "client"}}}},
			}}})},
			src: db, dst: web, port: 8080, want: false, wantDrop: Ingress,
		},
		{
			name: "podSelector peer is limited to the policy's namespace",
			policies: []*api.NetworkPolicy{np("allow-client", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{PodSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "client"}}}},
			}}})},
			src: prodClient, dst: web, port: 8080, want: false, wantDrop: Ingress,
		},
		{
			name: "namespaceSelector admits every pod of the namespace",
			policies: []*api.NetworkPolicy{np("allow-prod", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{NamespaceSelector: &api.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}}},
			}}})},
			src: prodOther, dst: web, port: 8080, want: true,
		},
		{
			name: "namespaceSelector by kubernetes.io/metadata.name",
			policies: []*api.NetworkPolicy{np("allow-prod", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{NamespaceSelector: &api.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "prod"}}}},
			}}})},
			src: prodClient, dst: web, port: 8080, want: true,
		},
		{
			name: "namespaceSelector AND podSelector in one peer",
			policies: []*api.NetworkPolicy{np("allow-prod-client", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{
					NamespaceSelector: &api.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
					PodSelector:       &api.LabelSelector{MatchLabels: map[string]string{"app": "client"}},
				}},
			}}})},
			src: prodOther, dst: web, port: 8080, want: false, wantDrop: Ingress,
		},
		{
			name: "empty namespaceSelector admits pods of all namespaces but not the world",
			policies: []*api.NetworkPolicy{np("allow-cluster", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{NamespaceSelector: &api.LabelSelector{}}},
			}}})},
			src: world, dst: web, port: 8080, want: false, wantDrop: Ingress,
		},
		{
			name: "ipBlock with except",
			policies: []*api.NetworkPolicy{np("allow-block", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{IPBlock: &api.IPBlock{CIDR: "192.0.2.0/24", Except: []string{"192.0.2.0/28"}}}},
			}}})},
			src: world, dst: web, port: 8080, want: true,
		},
		{
			name: "ipBlock except range is denied",
			policies: []*api.NetworkPolicy{np("allow-block", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				From: []api.NetworkPolicyPeer{{IPBlock: &api.IPBlock{CIDR: "192.0.2.0/24", Except: []string{"192.0.2.0/28"}}}},
			}}})},
			src: world2, dst: web, port: 8080, want: false, wantDrop: Ingress,
		},
		{
			name: "rule without from allows every source on the named port",
			policies: []*api.NetworkPolicy{np("allow-http", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				Ports: []api.NetworkPolicyPort{{Port: ptr(api.FromString("http"))}},
			}}})},
			src: world, dst: web, port: 8080, want: true,
		},
		{
			name: "rule without from: other ports denied",
			policies: []*api.NetworkPolicy{np("allow-http", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{
				Ports: []api.NetworkPolicyPort{{Port: ptr(api.FromString("http"))}},
			}}})},
			src: world, dst: web, port: 9090, want: false, wantDrop: Ingress,
		},
		{
			name: "policies add up: a second policy allows what the first denies",
			policies: []*api.NetworkPolicy{
				np("default-deny", api.NetworkPolicySpec{PolicyTypes: []api.PolicyType{api.PolicyTypeIngress}}),
				np("allow-all-web", api.NetworkPolicySpec{PodSelector: webSel, Ingress: []api.NetworkPolicyIngressRule{{}}}),
			},
			src: prodOther, dst: web, port: 1234, want: true,
		},
		{
			name:     "egress rules imply the Egress policy type",
			policies: []*api.NetworkPolicy{np("egress-dns", api.NetworkPolicySpec{Egress: []api.NetworkPolicyEgressRule{{Ports: []api.NetworkPolicyPort{{Port: port(53)}}}}})},
			src:      client, dst: web, port: 8080, want: false, wantDrop: Egress,
		},
		{
			name:     "a pod not selected by the policy is untouched",
			policies: []*api.NetworkPolicy{np("deny-web", api.NetworkPolicySpec{PodSelector: webSel, PolicyTypes: []api.PolicyType{api.PolicyTypeIngress}})},
			src:      client, dst: db, port: 5432, want: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := NewRepository()
			for _, p := range tt.policies {
				require.NoError(t, repo.UpsertNetworkPolicy(p))
			}
			d := repo.Decide(tt.src, tt.dst, tt.port, "TCP")
			assert.Equal(t, tt.want, d.Allowed, d.String())
			if !tt.want {
				assert.Equal(t, tt.wantDrop, d.DroppedAt, d.String())
				assert.Equal(t, DropPolicyDenied, d.DropReason)
			}
		})
	}
}

func TestInvalidPolicies(t *testing.T) {
	repo := NewRepository()
	err := repo.UpsertCiliumNetworkPolicy(&api.CiliumNetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "empty"}})
	assert.EqualError(t, err, "CiliumNetworkPolicy default/empty: Invalid CiliumNetworkPolicy spec(s): empty policy")
	err = repo.UpsertCiliumNetworkPolicy(&api.CiliumNetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "bad"},
		Spec: &api.CiliumRule{EndpointSelector: &api.EndpointSelector{}, Ingress: []api.CiliumIngressRule{{FromCIDR: []string{"nope"}}}}})
	assert.EqualError(t, err, `CiliumNetworkPolicy default/bad: ingress[0]: invalid CIDR "nope"`)
	err = repo.UpsertNetworkPolicy(&api.NetworkPolicy{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "bad"},
		Spec: api.NetworkPolicySpec{Ingress: []api.NetworkPolicyIngressRule{{From: []api.NetworkPolicyPeer{{}}}}}})
	assert.EqualError(t, err, "NetworkPolicy default/bad: ingress[0].from[0]: must specify a peer")
	assert.Equal(t, uint64(0), repo.Revision())
}

func ptr[T any](v T) *T { return &v }

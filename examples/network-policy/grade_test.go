package networkpolicy

import (
	"net/netip"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "0a8bef06ad86563ee3bb8c28f70364cf39437ec11df4e26773ea1b9b14b4b81e"

// pod is one pod of the exercise's cluster.
type pod struct{ ns, name, app, ip string }

var pods = []pod{
	{"shop", "frontend", "frontend", "10.0.1.10"},
	{"shop", "api", "api", "10.0.1.20"},
	{"shop", "db", "db", "10.0.2.30"},
	{"shop", "fake-prometheus", "prometheus", "10.0.2.40"}, // the right label, the wrong namespace
	{"monitoring", "prometheus", "prometheus", "10.0.3.50"},
	{"monitoring", "debug", "debug", "10.0.3.60"},    // the right namespace, the wrong label
	{"default", "intruder", "frontend", "10.0.1.70"}, // the right label, the wrong namespace
}

// peers gives every pod the identity and labels the Cilium agent would.
func peers() map[string]cilium.Peer {
	alloc := cilium.NewIdentityAllocator()
	out := map[string]cilium.Peer{}
	for _, p := range pods {
		obj := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: p.ns, Name: p.name, Labels: map[string]string{"app": p.app}},
			Spec: api.PodSpec{ServiceAccountName: "default"}}
		ident, _, err := alloc.Allocate(cilium.PodLabels(obj, nil, ""))
		if err != nil {
			panic(err)
		}
		out[p.ns+"/"+p.name] = cilium.PodPeer(obj, ident, netip.MustParseAddr(p.ip))
	}
	return out
}

func TestOnlyTheRightPodsGetIn(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradePolicies)
}

func gradePolicies(t testing.TB) {
	objs, err := api.DecodeManifests("manifest.yaml", []byte(Manifest))
	require.NoError(t, err, "the manifest decodes strictly")
	repo := cilium.NewRepository()
	for _, o := range objs {
		np, ok := o.(*api.NetworkPolicy)
		require.True(t, ok, "the manifest holds NetworkPolicies only, not %s", o.GetTypeMeta().Kind)
		require.Equal(t, "shop", np.Namespace, "NetworkPolicy %s is in namespace shop", np.Name)
		require.NoError(t, repo.UpsertNetworkPolicy(np), "NetworkPolicy %s compiles", np.Name)
	}
	ps := peers()
	for _, c := range []struct {
		from, to string
		port     uint16
		allowed  bool
	}{
		{"shop/frontend", "shop/api", 8080, true},
		{"monitoring/prometheus", "shop/api", 9090, true},
		{"shop/api", "shop/db", 5432, true},
		{"shop/frontend", "shop/api", 9090, false},         // the frontend has no business with metrics
		{"monitoring/prometheus", "shop/api", 8080, false}, // nor Prometheus with the API
		{"monitoring/debug", "shop/api", 9090, false},
		{"shop/fake-prometheus", "shop/api", 9090, false},
		{"default/intruder", "shop/api", 8080, false},
		{"shop/frontend", "shop/db", 5432, false},
		{"monitoring/prometheus", "shop/db", 5432, false},
		{"shop/api", "shop/frontend", 80, true}, // the frontend itself stays open
	} {
		d := repo.Decide(ps[c.from], ps[c.to], c.port, "TCP")
		want := map[bool]string{true: "allowed", false: "dropped"}[c.allowed]
		assert.Equal(t, c.allowed, d.Allowed, "%s -> %s:%d/TCP must be %s\nCilium's verdict: %s", c.from, c.to, c.port, want, d)
	}
}

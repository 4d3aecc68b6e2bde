package kubeproxy_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const node = "worker-1"

func boot(t *testing.T, cfg kubeproxy.Config) *cluster.Cluster {
	t.Helper()
	// The cluster runs kube-proxy (and the node's kernel rules) on every
	// node; the test's settings go into each kube-proxy's configuration.
	c, err := cluster.New(cluster.Config{Seed: 1, KubeProxy: func(kc *kubeproxy.Config) {
		node, token, servers := kc.Node, kc.Token, kc.APIServers
		*kc = cfg
		kc.Node, kc.Token, kc.APIServers = node, token, servers
	}})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	c.K.RunFor(3 * time.Second)
	return c
}

func ptr[T any](v T) *T { return &v }

func webService(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	_, err := c.Admin.Create(&api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: "10.96.12.34", ClusterIPs: []string{"10.96.12.34"},
			Ports: []api.ServicePort{{Name: "http", Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(8080)}}}})
	require.NoError(t, err)
	setEndpoints(t, c, "10.244.1.5", "10.244.2.7")
}

func setEndpoints(t *testing.T, c *cluster.Cluster, ips ...string) {
	t.Helper()
	es := &api.EndpointSlice{TypeMeta: api.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
		ObjectMeta:  api.ObjectMeta{Namespace: "default", Name: "web-x7k2p", Labels: map[string]string{"kubernetes.io/service-name": "web"}},
		AddressType: api.AddressTypeIPv4, Ports: []api.EndpointSlicePort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(api.ProtocolTCP)}}}
	for _, ip := range ips {
		es.Endpoints = append(es.Endpoints, api.Endpoint{Addresses: []string{ip}, Conditions: api.EndpointConditions{Ready: ptr(true)}})
	}
	if old, err := c.Admin.Get("endpointslices", "default", es.Name); err == nil {
		es.ResourceVersion = old.GetObjectMeta().ResourceVersion
		_, err = c.Admin.Update(es)
		require.NoError(t, err)
		return
	}
	_, err := c.Admin.Create(es)
	require.NoError(t, err)
}

func rules(t *testing.T, c *cluster.Cluster, to, kind string) string {
	t.Helper()
	m, err := c.Kubectl().Call(to, kind, nil, 10*time.Second)
	require.NoError(t, err)
	return m.Body.(string)
}

// TestReferenceExampleEndToEnd programs REFERENCE.md's iptables example
// from API objects through the actor and reads it back from the node.
func TestReferenceExampleEndToEnd(t *testing.T) {
	c := boot(t, kubeproxy.Config{ClusterCIDR: netip.MustParsePrefix("10.244.0.0/16")})
	webService(t, c)
	c.K.RunFor(2 * time.Second)

	want := []string{
		`-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.12.34 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL`,
		`-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.12.34 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
		`-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-AFGSLHOD2HFNCBX4`,
		`-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.7:8080" -j KUBE-SEP-2RIJ5GIYXEFH6G4D`,
		`-A KUBE-SEP-AFGSLHOD2HFNCBX4 -m comment --comment default/web:http -s 10.244.1.5 -j KUBE-MARK-MASQ`,
		`-A KUBE-SEP-AFGSLHOD2HFNCBX4 -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080`,
		`-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
	}
	fromProxy := rules(t, c, kubeproxy.ActorName(node), kubeproxy.KindRules)
	fromNode := rules(t, c, datapath.NodeName(node), datapath.KindSave)
	assert.Equal(t, fromProxy, fromNode, "the node runs what kube-proxy programmed")
	lines := strings.Split(fromNode, "\n")
	for _, w := range want {
		assert.Contains(t, lines, w)
	}
	// The nodeports rule is the last of KUBE-SERVICES.
	var last string
	for _, l := range lines {
		if strings.HasPrefix(l, "-A KUBE-SERVICES ") {
			last = l
		}
	}
	assert.Equal(t, want[len(want)-1], last)

	// A walk from a pod DNATs to one of the endpoints.
	m, err := c.Kubectl().Call(datapath.NodeName(node), datapath.KindWalk, proxy.Packet{Src: netip.MustParseAddr("10.244.1.9"), Dst: netip.MustParseAddrPort("10.96.12.34:80")}, 10*time.Second)
	require.NoError(t, err)
	tr := m.Body.(datapath.WalkReply).Trace
	assert.Equal(t, proxy.VerdictDNAT, tr.Verdict)
	assert.Equal(t, "default/web:http", tr.Service)
}

// syncs returns the virtual times of kube-proxy's sync notes.
func syncs(c *cluster.Cluster) []time.Duration {
	var out []time.Duration
	for _, r := range c.K.Trace().Records() {
		if r.Kind == "sync" && r.From == kubeproxy.ActorName(node) {
			out = append(out, r.Time)
		}
	}
	return out
}

// TestSyncRhythm checks kube-proxy's bounded-frequency runner: changes
// in a burst give one sync, at least minSyncPeriod after the last one;
// the periodic resync writes nothing when nothing changed.
func TestSyncRhythm(t *testing.T) {
	c := boot(t, kubeproxy.Config{})
	webService(t, c)
	c.K.RunFor(2 * time.Second)
	before := syncs(c)
	require.NotEmpty(t, before)
	note := ""
	for _, r := range c.K.Trace().Records() {
		if r.Kind == "sync" && r.From == kubeproxy.ActorName(node) {
			note = r.Summary()
		}
	}
	assert.Regexp(t, `^programmed \d+ rules for \d+ services$`, note)

	for _, ips := range [][]string{{"10.244.1.5"}, {"10.244.1.5", "10.244.3.3"}, {"10.244.3.3"}} {
		setEndpoints(t, c, ips...)
	}
	c.K.RunFor(5 * time.Second)
	after := syncs(c)[len(before):]
	require.NotEmpty(t, after)
	assert.LessOrEqual(t, len(after), 2, "a burst of changes is batched")
	all := syncs(c)
	for i := 1; i < len(all); i++ {
		assert.GreaterOrEqual(t, all[i]-all[i-1], kubeproxy.DefaultMinSyncPeriod, "minSyncPeriod")
	}
	assert.Contains(t, rules(t, c, datapath.NodeName(node), datapath.KindSave), "--to-destination 10.244.3.3:8080")

	n := len(syncs(c))
	c.K.RunFor(2 * time.Minute)
	assert.Len(t, syncs(c), n, "periodic syncs without changes program nothing")
}

// TestCrashKeepsTheNodesRules: kube-proxy down, the node keeps its rules.
func TestCrashKeepsTheNodesRules(t *testing.T) {
	c := boot(t, kubeproxy.Config{})
	webService(t, c)
	c.K.RunFor(2 * time.Second)
	before := rules(t, c, datapath.NodeName(node), datapath.KindSave)
	require.NoError(t, c.K.Crash(kubeproxy.ActorName(node)))
	setEndpoints(t, c)
	c.K.RunFor(5 * time.Second)
	assert.Equal(t, before, rules(t, c, datapath.NodeName(node), datapath.KindSave), "stale, not cleared")
	require.NoError(t, c.K.Restart(kubeproxy.ActorName(node)))
	c.K.RunFor(5 * time.Second)
	after := rules(t, c, datapath.NodeName(node), datapath.KindSave)
	assert.Contains(t, after, `"default/web:http has no endpoints" -m tcp -p tcp -d 10.96.12.34 --dport 80 -j REJECT`)
}

package datapath_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/proxy"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// web sets up default/web (10.96.12.34:80 "http" -> 8080) with two
// backends, web-1 on worker-1 and web-2 on worker-2, and a client pod.
func (e *env) web() (ip1, ip2 string) {
	http := []api.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: api.ProtocolTCP}}
	ip1 = e.pod("default", "web-1", "worker-1", map[string]string{"app": "web"}, http...)
	ip2 = e.pod("default", "web-2", "worker-2", map[string]string{"app": "web"}, http...)
	e.pod("default", "client", "worker-1", map[string]string{"app": "client"})
	e.service("default", "web", "10.96.12.34", []api.ServicePort{{Name: "http", Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(8080)}})
	e.slice("default", "web", []api.EndpointSlicePort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(api.ProtocolTCP)}}, map[string]string{ip1: "worker-1", ip2: "worker-2"})
	e.settle()
	return ip1, ip2
}

func TestCurlByNameThroughDNSAndKubeProxy(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.web()
	r := e.p.Curl("client", "web")
	t.Log(r.String())
	require.Equal(t, 0, r.ExitCode, r.String())
	assert.Contains(t, []string{"web-1\n", "web-2\n"}, r.Output)

	r = e.p.Nslookup("client", "web")
	t.Log(r.String())
	assert.Equal(t, 0, r.ExitCode)
	assert.Contains(t, r.Output, "Name:\tweb.default.svc.cluster.local\nAddress: 10.96.12.34\n")
}

func TestServiceWithoutEndpointsIsRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.pod("default", "client", "worker-1", map[string]string{"app": "client"})
	e.service("default", "web", "10.96.12.34", []api.ServicePort{{Name: "http", Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(8080)}})
	e.settle()
	r := e.p.Curl("client", "10.96.12.34")
	assert.Equal(t, 7, r.ExitCode)
	assert.Equal(t, "curl: (7) Failed to connect to 10.96.12.34 port 80 after 0 ms: Couldn't connect to server\n", r.Output)
	require.Len(t, r.Walks, 1)
	assert.Equal(t, proxy.VerdictReject, r.Walks[0].Verdict)
	assert.Contains(t, r.String(), "command terminated with exit code 7")
}

// TestEndpointChoiceFollowsRuleProbabilities sends many seeded probes to
// a Service with three endpoints: the statistic rules (1/3, then 1/2,
// then the rest) spread them evenly.
func TestEndpointChoiceFollowsRuleProbabilities(t *testing.T) {
	e := newEnv(t, envOpts{})
	http := []api.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: api.ProtocolTCP}}
	eps := map[string]string{}
	for i, node := range []string{"worker-1", "worker-2", "worker-2"} {
		eps[e.pod("default", fmt.Sprintf("web-%d", i+1), node, map[string]string{"app": "web"}, http...)] = node
	}
	e.pod("default", "client", "worker-1", map[string]string{"app": "client"})
	e.service("default", "web", "10.96.12.34", []api.ServicePort{{Name: "http", Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(8080)}})
	e.slice("default", "web", []api.EndpointSlicePort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(api.ProtocolTCP)}}, eps)
	e.settle()

	const n = 1500
	counts := map[string]int{}
	for range n {
		r := e.p.Curl("client", "10.96.12.34:80")
		require.Equal(t, 0, r.ExitCode, r.String())
		counts[r.Output]++
	}
	require.Len(t, counts, 3)
	for out, c := range counts {
		assert.InDelta(t, n/3, c, n*0.05, "%q got %d of %d", out, c, n)
	}
}

func TestStarWarsDemo(t *testing.T) {
	e := newEnv(t, envOpts{})
	http := []api.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: api.ProtocolTCP}}
	empire := map[string]string{"org": "empire", "class": "deathstar"}
	ip1 := e.pod("default", "deathstar-6c9f-1", "worker-1", empire, http...)
	ip2 := e.pod("default", "deathstar-6c9f-2", "worker-2", empire, http...)
	e.pod("default", "tiefighter", "worker-1", map[string]string{"org": "empire", "class": "tiefighter"})
	e.pod("default", "xwing", "worker-2", map[string]string{"org": "alliance", "class": "xwing"})
	e.service("default", "deathstar", "10.96.50.5", []api.ServicePort{{Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(80)}})
	e.slice("default", "deathstar", []api.EndpointSlicePort{{Name: ptr(""), Port: ptr(int32(80)), Protocol: ptr(api.ProtocolTCP)}}, map[string]string{ip1: "worker-1", ip2: "worker-2"})
	e.settle()

	// No policy: both ships land.
	for _, ship := range []string{"tiefighter", "xwing"} {
		r := e.p.Curl(ship, "deathstar.default.svc.cluster.local/v1/request-landing")
		assert.Equal(t, 0, r.ExitCode, r.String())
	}

	_, err := e.c.Apply("sw_l3_l4_policy.yaml", []byte(`apiVersion: "cilium.io/v2"
kind: CiliumNetworkPolicy
metadata:
  name: "rule1"
spec:
  description: "L3-L4 policy to restrict deathstar access to empire ships only"
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
`))
	require.NoError(t, err)
	e.settle()

	r := e.p.Curl("tiefighter", "deathstar.default.svc.cluster.local/v1/request-landing")
	assert.Equal(t, 0, r.ExitCode, r.String())
	start := e.c.K.Now()
	r = e.p.Curl("xwing", "deathstar.default.svc.cluster.local/v1/request-landing")
	t.Log(r.String())
	assert.Equal(t, 28, r.ExitCode)
	assert.Equal(t, "curl: (28) Connection timed out after 10000 milliseconds\n", r.Output)
	assert.GreaterOrEqual(t, e.c.K.Now()-start, 10*time.Second, "curl waited for its connect timeout")
	require.NotEmpty(t, r.Verdicts)
	last := r.Verdicts[len(r.Verdicts)-1]
	assert.False(t, last.Allowed)
	assert.Equal(t, cilium.Ingress, last.Decision.DroppedAt)

	// The drop is in the Hubble ring of the deathstar pod's node.
	node := "worker-1"
	if r.Endpoint.Addr().String() == ip2 {
		node = "worker-2"
	}
	out := e.observe(node, agent.ObserveRequest{Pod: "default/xwing", Verdict: cilium.VerdictDropped})
	t.Log(out)
	assert.Regexp(t, `^\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: default/xwing:\d+ \(ID:\d+\) <> default/deathstar-6c9f-\d:80 \(ID:\d+\) Policy denied DROPPED \(TCP Flags: SYN\)\n$`, out)
}

func (e *env) observe(node string, req agent.ObserveRequest) string {
	e.t.Helper()
	m, err := e.c.Kubectl().Call(cni.AgentName(node), agent.KindObserve, req, 10*time.Second)
	require.NoError(e.t, err)
	return m.Body.(string)
}

func TestNetworkPolicyDefaultDenyAndSelectors(t *testing.T) {
	e := newEnv(t, envOpts{})
	ns := &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "monitoring", Labels: map[string]string{"team": "ops"}}}
	_, err := e.c.Admin.Create(ns)
	require.NoError(t, err)
	e.settle()
	e.web()
	e.pod("default", "frontend", "worker-2", map[string]string{"role": "frontend"})
	e.pod("monitoring", "prometheus", "worker-2", map[string]string{"app": "prometheus"})
	e.pod("monitoring", "intruder", "worker-1", map[string]string{"app": "intruder"})
	e.settle()

	_, err = e.c.Apply("deny.yaml", []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: default
spec:
  podSelector: {}
  policyTypes:
  - Ingress
`))
	require.NoError(t, err)
	e.settle()
	for _, from := range []string{"client", "frontend", "monitoring/prometheus"} {
		r := e.p.Curl(from, "10.96.12.34")
		assert.Equal(t, 28, r.ExitCode, "default deny: %s", r.String())
	}

	_, err = e.c.Apply("allow.yaml", []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-allow
  namespace: default
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes:
  - Ingress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          role: frontend
    - namespaceSelector:
        matchLabels:
          team: ops
      podSelector:
        matchLabels:
          app: prometheus
    ports:
    - protocol: TCP
      port: 8080
`))
	require.NoError(t, err)
	e.settle()
	for _, tc := range []struct {
		name     string
		from     string
		wantExit int
	}{
		{name: "podSelector in the policy's namespace", from: "frontend", wantExit: 0},
		{name: "namespaceSelector AND podSelector", from: "monitoring/prometheus", wantExit: 0},
		{name: "other pod in the selected namespace", from: "monitoring/intruder", wantExit: 28},
		{name: "unselected pod", from: "client", wantExit: 28},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.p.Curl(tc.from, "web.default:80")
			assert.Equal(t, tc.wantExit, r.ExitCode, r.String())
		})
	}
	// Egress is not restricted: DNS still works from default.
	assert.Equal(t, 0, e.p.Nslookup("client", "web").ExitCode)
}

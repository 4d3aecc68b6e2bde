package datapath_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStaleRulesWhileKubeProxyIsDown scales a backend away while
// worker-1's kube-proxy is down: worker-1 keeps DNATing to the gone
// endpoint (connections time out), worker-2 does not; a restarted
// kube-proxy relists and repairs worker-1's rules.
func TestStaleRulesWhileKubeProxyIsDown(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, ip2 := e.web()
	e.pod("default", "client-2", "worker-2", map[string]string{"app": "client"})
	e.settle()

	require.NoError(t, e.c.K.Crash(kubeproxy.ActorName("worker-1")))
	e.deletePod("default", "web-2")
	ip1 := ""
	for _, o := range mustList(t, e, "pods", "default") {
		if o.GetObjectMeta().Name == "web-1" {
			ip1 = o.(*api.Pod).Status.PodIP
		}
	}
	e.slice("default", "web", []api.EndpointSlicePort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(api.ProtocolTCP)}}, map[string]string{ip1: "worker-1"})
	e.settle()

	rules := e.save("worker-1")
	assert.Contains(t, rules, "-j DNAT --to-destination "+ip2+":8080", "worker-1's netfilter still has the gone endpoint")
	assert.NotContains(t, e.save("worker-2"), ip2+":8080", "worker-2's kube-proxy synced")

	stale, fresh := 0, 0
	for range 12 {
		r := e.p.Curl("client", "10.96.12.34")
		switch {
		case r.Endpoint.Addr().String() == ip2:
			stale++
			assert.Equal(t, 28, r.ExitCode, "the gone endpoint does not answer: %s", r.String())
		default:
			fresh++
			assert.Equal(t, "web-1\n", r.Output)
		}
	}
	assert.Positive(t, stale, "some connections go to the gone endpoint")
	assert.Positive(t, fresh)
	for range 12 {
		r := e.p.Curl("client-2", "10.96.12.34")
		assert.Equal(t, "web-1\n", r.Output, "worker-2's rules are current")
	}

	require.NoError(t, e.c.K.Restart(kubeproxy.ActorName("worker-1")))
	e.settle()
	assert.NotContains(t, e.save("worker-1"), ip2+":8080", "the restarted kube-proxy resynced")
	for range 12 {
		r := e.p.Curl("client", "10.96.12.34")
		assert.Equal(t, "web-1\n", r.Output)
	}
}

func mustList(t *testing.T, e *env, resource, ns string) []api.Object {
	t.Helper()
	items, _, err := e.c.Admin.List(resource, ns, clientListAll)
	require.NoError(t, err)
	return items
}

func (e *env) save(node string) string {
	e.t.Helper()
	m, err := e.c.Kubectl().Call(datapath.NodeName(node), datapath.KindSave, nil, 10*time.Second)
	require.NoError(e.t, err)
	return m.Body.(string)
}

// TestCoreDNSDown: with every CoreDNS pod down, names do not resolve and
// addresses still work.
func TestCoreDNSDown(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.web()
	require.NoError(t, e.c.K.Crash("coredns-1"))
	require.NoError(t, e.c.K.Crash("coredns-2"))

	r := e.p.Nslookup("client", "web")
	assert.Equal(t, ";; connection timed out; no servers could be reached\n\n", r.Output)
	assert.Equal(t, 1, r.ExitCode)
	assert.Equal(t, 10*time.Second, r.Elapsed.Truncate(time.Second), "two attempts of 5 s")

	r = e.p.Curl("client", "web")
	assert.Equal(t, "curl: (6) Could not resolve host: web\n", r.Output)
	assert.Equal(t, 6, r.ExitCode)

	r = e.p.Curl("client", "10.96.12.34:80")
	assert.Equal(t, 0, r.ExitCode, r.String())
}

func TestNXDomainAndUpstream(t *testing.T) {
	up := &dns.StaticUpstream{Addr: "8.8.8.8:53", Records: []dns.RR{dns.NewA("example.com.", 300, mustAddr("93.184.216.34"))}}
	e := newEnv(t, envOpts{upstreams: []dns.Upstream{up}})
	e.pod("default", "client", "worker-1", nil)
	e.settle()
	r := e.p.Nslookup("client", "nosuch")
	assert.Equal(t, 1, r.ExitCode)
	assert.Contains(t, r.Output, "** server can't find nosuch: NXDOMAIN\n")
	r = e.p.Curl("client", "nosuch")
	assert.Equal(t, "curl: (6) Could not resolve host: nosuch\n", r.Output)

	r = e.p.Nslookup("client", "example.com")
	assert.Equal(t, 0, r.ExitCode, r.String())
	assert.Contains(t, r.Output, "Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.216.34\n")
	// example.com has one dot, fewer than ndots:5: the search list first.
	require.NotNil(t, r.Lookup)
	assert.Len(t, r.Lookup.Queries, 4)
}

func TestEBPFMode(t *testing.T) {
	e := newEnv(t, envOpts{mode: kubeproxy.ModeEBPF})
	e.web()
	r := e.p.Curl("client", "web")
	assert.Equal(t, 0, r.ExitCode, r.String())
	require.NotEmpty(t, r.Walks)
	assert.Equal(t, proxy.MapServices, r.Walks[len(r.Walks)-1].Hops[0].Table)
	assert.Contains(t, e.save("worker-1"), "10.96.12.34:80/TCP")
}

// TestDeterminism runs the same probes twice with the same seed, the
// second time on one OS thread: the outputs and the kernel traces are
// identical.
func TestDeterminism(t *testing.T) {
	run := func() (string, string) {
		e := newEnv(t, envOpts{seed: 7})
		e.web()
		var out strings.Builder
		for _, target := range []string{"web", "10.96.12.34", "web.default.svc.cluster.local", "nosuch"} {
			out.WriteString(e.p.Curl("client", target).String())
		}
		out.WriteString(e.p.Nslookup("client", "kube-dns.kube-system").String())
		var tr strings.Builder
		for _, rec := range e.c.K.Trace().Records() {
			tr.WriteString(rec.Text())
			tr.WriteByte('\n')
		}
		return out.String(), tr.String()
	}
	out1, tr1 := run()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	out2, tr2 := run()
	assert.Equal(t, out1, out2)
	assert.Equal(t, tr1, tr2)
}

// TestNodeDownAndNothingListening: a backend on a stopped node times out
// (its endpoint stays in the rules until the EndpointSlice changes); a
// port nobody listens on is reset at once.
func TestNodeDownAndNothingListening(t *testing.T) {
	e := newEnv(t, envOpts{})
	ip1, ip2 := e.web()

	r := e.p.Curl("client", ip1+":9999")
	assert.Equal(t, 7, r.ExitCode)
	assert.Regexp(t, `^curl: \(7\) Failed to connect to `+strings.ReplaceAll(ip1, ".", `\.`)+` port 9999 after \d+ ms: Couldn't connect to server\n$`, r.Output)

	require.NoError(t, e.c.K.StopNode("worker-2"))
	r = e.p.Curl("client", ip2+":8080")
	assert.Equal(t, 28, r.ExitCode, r.String())
	assert.Equal(t, "curl: (28) Connection timed out after 10000 milliseconds\n", r.Output)
	r = e.p.Curl("client", ip1+":8080")
	assert.Equal(t, "web-1\n", r.Output)
}

package cluster

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/datapath"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const webApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - {name: http, containerPort: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
---
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  containers:
  - name: shell
    image: busybox:1.36
    command: ["sleep", "infinity"]
`

// The whole data path: a Deployment behind a Service, a curl by name from
// another pod through CoreDNS, kube-proxy's rules and Cilium.
func TestServiceReachableByNameFromAPod(t *testing.T) {
	c, err := New(Config{Seed: 5, Addons: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	_, err = c.Apply("web.yaml", []byte(webApp))
	require.NoError(t, err)
	prober := c.Prober()
	var out, server string
	ok := c.WaitFor(func() bool {
		r := prober.Curl("default/client", "web")
		out, server = r.Output, r.Server
		return r.ExitCode == 0
	}, 3*time.Minute)
	require.True(t, ok, "curl web never succeeded; last output:\n%s", out)
	assert.Contains(t, out, "<title>Welcome to nginx!</title>", "nginx answers with its welcome page")
	assert.True(t, strings.HasPrefix(server, "default/web-"), "a web pod served it: %q", server)
	// nginx printed the request in its access log.
	ns, name, _ := strings.Cut(server, "/")
	lines, err := c.ContainerLogs(ns, name, "nginx", false)
	require.NoError(t, err)
	var access []string
	for _, l := range lines {
		if strings.Contains(l.Text, `"GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"`) {
			access = append(access, l.Text)
		}
	}
	assert.NotEmpty(t, access, "an access-log line in %v", lines)

	look := prober.Nslookup("default/client", "web")
	assert.Equal(t, 0, look.ExitCode, look.Output)
	assert.Contains(t, look.Output, "web.default.svc.cluster.local")
}

// Cilium's star-wars demo as upstream ships it: the deathstar declares no
// containerPort, yet answers on 80 (its image listens there). Without a
// policy both ships land; with the L3/L4 policy only the tiefighter does
// and the xwing's SYN is dropped (curl times out).
func TestStarWarsDemo(t *testing.T) {
	app, err := os.ReadFile("testdata/starwars/http-sw-app.yaml")
	require.NoError(t, err)
	policy, err := os.ReadFile("testdata/starwars/sw_l3_l4_policy.yaml")
	require.NoError(t, err)
	c, err := New(Config{Seed: 7, Addons: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	_, err = c.Apply("http-sw-app.yaml", app)
	require.NoError(t, err)
	prober := c.Prober()
	land := func(ship string) datapath.Result {
		return prober.CurlArgs("default/"+ship, "-s", "-XPOST", "deathstar.default.svc.cluster.local/v1/request-landing")
	}
	var last datapath.Result
	require.True(t, c.WaitFor(func() bool {
		last = land("tiefighter")
		return last.ExitCode == 0
	}, 3*time.Minute), "the tiefighter never landed:\n%s", last)
	assert.Equal(t, "Ship landed\n", last.Output)
	xwing := land("xwing")
	assert.Equal(t, 0, xwing.ExitCode, xwing.String())
	assert.Equal(t, "Ship landed\n", xwing.Output, "without a policy the xwing lands too")
	// The wrong method is the app's own 404, not a network failure.
	get := prober.CurlArgs("default/xwing", "-s", "deathstar.default.svc.cluster.local/v1/request-landing")
	assert.Equal(t, "404 page not found\n", get.Output)

	_, err = c.Apply("sw_l3_l4_policy.yaml", policy)
	require.NoError(t, err)
	c.K.RunFor(5 * time.Second)
	tie := land("tiefighter")
	assert.Equal(t, 0, tie.ExitCode, tie.String())
	assert.Equal(t, "Ship landed\n", tie.Output)
	xwing = land("xwing")
	assert.Equal(t, 28, xwing.ExitCode, xwing.String())
	assert.Equal(t, "curl: (28) Connection timed out after 10000 milliseconds\n", xwing.Output)
}

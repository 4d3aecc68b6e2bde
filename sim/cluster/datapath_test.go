package cluster

import (
	"strings"
	"testing"
	"time"

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
	var out string
	ok := c.WaitFor(func() bool {
		r := prober.Curl("default/client", "web")
		out = r.Output
		return r.ExitCode == 0
	}, 3*time.Minute)
	require.True(t, ok, "curl web never succeeded; last output:\n%s", out)
	assert.True(t, strings.HasPrefix(out, "web-"), "the answer names the pod that served it: %q", out)

	ns := prober.Nslookup("default/client", "web")
	assert.Equal(t, 0, ns.ExitCode, ns.Output)
	assert.Contains(t, ns.Output, "web.default.svc.cluster.local")
}

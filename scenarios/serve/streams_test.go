package serve

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/apiserver/frontend"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const streamsWorld = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - {name: nginx, image: "nginx:1.27", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: main, image: "curlimages/curl:8.11.1", command: [sleep, "3600"]}
`

// An exec is an input of the run like a request: its packets are in the
// trace, and time travel, replaying the journal on a second cluster,
// reproduces the trace record for record.
func TestExecIsJournaledAndReplayed(t *testing.T) {
	boot := func(adjust func(*cluster.Config)) (*cluster.Cluster, error) {
		cfg := cluster.Config{Seed: 3, Addons: true}
		adjust(&cfg)
		return cluster.New(cfg)
	}
	c, err := boot(func(*cluster.Config) {})
	require.NoError(t, err)
	srv, err := New(Config{Cluster: c, Boot: boot, Paused: true})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) {
		_, err = c.Apply("world.yaml", []byte(streamsWorld))
	}))
	require.NoError(t, err)
	exec := func(argv ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := (*backend)(srv).Exec(ctx, frontend.ExecRequest{Namespace: "default", Pod: "client", Container: "main", Command: argv},
			frontend.ExecStreams{Stdout: &out, Stderr: &errb})
		return out.String(), errb.String(), err
	}
	for i := 0; ; i++ {
		require.Less(t, i, 60, "the Service never answered")
		require.NoError(t, srv.Advance(ctx, 2*time.Second))
		if _, _, err := exec("nc", "-z", "web", "80"); err == nil {
			break
		}
	}
	var mark uint64
	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) { mark = c.K.Trace().Total() }))
	out, errOut, err := exec("curl", "-s", "web")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "Welcome to nginx!")
	_, _, err = exec("curl", "-s", "-m", "3", "10.96.99.99")
	var exit *frontend.ExitError
	require.ErrorAs(t, err, &exit, "nothing has that ClusterIP: the SYN goes nowhere")
	assert.Equal(t, 28, exit.Code)

	var served []string
	var total uint64
	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) {
		total = c.K.Trace().Total()
		for _, r := range c.K.Trace().Since(mark) {
			served = append(served, r.Text())
		}
	}))
	assert.True(t, anyContains(served, "exec-default-client"), "the exec's hops are in the trace")

	sess, err := srv.openTravel(ctx)
	require.NoError(t, err)
	defer sess.Close()
	var replayed []string
	for _, e := range sess.Entries(mark+1, total) {
		replayed = append(replayed, e.Text())
	}
	assert.Equal(t, served, replayed, "the replay reproduces the execs")
}

func anyContains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// The guard's Host and Origin checks hold for the upgrades of exec and
// port-forward too: a page cannot open a WebSocket into a container.
func TestStreamUpgradesAreGuarded(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	for _, sub := range []string{"exec?command=sh&stdin=true&stdout=true", "portforward", "attach?stdout=true"} {
		for _, h := range []map[string]string{{}, {"Origin": "http://evil.example"}, {"Host": "evil.example"}} {
			req, err := http.NewRequest("GET", srv.URL()+"/api/v1/namespaces/default/pods/web/"+sub, nil)
			require.NoError(t, err)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			req.Header.Set("Sec-WebSocket-Protocol", "v5.channel.k8s.io")
			for k, v := range h {
				if k == "Host" {
					req.Host = v
				} else {
					req.Header.Set(k, v)
				}
			}
			res, err := httpClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if len(h) == 0 {
				// The same upgrade from kubectl reaches kube-apiserver,
				// which has no pod web.
				assert.Equal(t, http.StatusNotFound, res.StatusCode, "%s: %s", sub, body)
				assert.Contains(t, string(body), `pods \"web\" not found`)
				continue
			}
			assert.Equal(t, http.StatusForbidden, res.StatusCode, "%s with %v: %s", sub, h, body)
		}
	}
}

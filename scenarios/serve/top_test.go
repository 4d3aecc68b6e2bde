package serve

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real `kubectl top` reads the resource metrics API that the served
// cluster's metrics-server answers: discovery lists metrics.k8s.io, and
// the columns are kubectl's own.
func TestKubectlTopReadsMetricsServer(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not on PATH: skipping the end-to-end tests with the real kubectl")
	}
	c, err := cluster.New(cluster.Config{Seed: 1, Addons: true, MetricsServer: true})
	require.NoError(t, err)
	srv, err := New(Config{Cluster: c, Paused: true})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	dir := t.TempDir()
	e := &kubectlEnv{t: t, srv: srv, kubeconfig: filepath.Join(dir, "kubeconfig"), cacheDir: filepath.Join(dir, "cache"), dir: dir}
	require.NoError(t, srv.WriteKubeconfig(e.kubeconfig, "kubernetes-admin"))

	// Two minutes: metrics-server has scraped every kubelet several times.
	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) { c.K.RunFor(2 * time.Minute) }))
	out := e.must("top", "nodes")
	assert.Regexp(t, regexp.MustCompile(`(?m)^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)`), out)
	assert.Regexp(t, regexp.MustCompile(`(?m)^worker-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%`), out)
	out = e.must("top", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns")
	assert.Regexp(t, regexp.MustCompile(`(?m)^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)`), out)
	assert.Regexp(t, regexp.MustCompile(`(?m)^coredns-\S+\s+2m\s+15Mi`), out)
	assert.NotContains(t, out, "cilium")
	_, errOut, code := e.run("", "top", "pod", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `podmetrics.metrics.k8s.io "nope" not found`)

	// kubectl autoscale creates an autoscaling/v1 HPA: the front end
	// converts it, and kubectl get hpa shows the v2 TARGETS.
	e.must("apply", "-f", e.file("php.yaml", phpApacheManifest))
	out = e.must("autoscale", "deployment", "php-apache", "--cpu-percent=50", "--min=1", "--max=10")
	assert.Equal(t, "horizontalpodautoscaler.autoscaling/php-apache autoscaled\n", out)
	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) { c.K.RunFor(time.Minute) }))
	out = e.must("get", "hpa", "php-apache")
	assert.Regexp(t, regexp.MustCompile(`(?m)^php-apache\s+Deployment/php-apache\s+cpu: 0%/50%\s+1\s+10\s+1\s`), out)
}

const phpApacheManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  selector:
    matchLabels: {run: php-apache}
  template:
    metadata:
      labels: {run: php-apache}
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        resources:
          limits: {cpu: 500m}
          requests: {cpu: 200m}
`

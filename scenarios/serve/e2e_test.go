package serve

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/require"
)

// kubectlEnv is a served cluster and a kubeconfig for the real kubectl.
type kubectlEnv struct {
	t          *testing.T
	srv        *Server
	kubeconfig string
	cacheDir   string
	dir        string
}

func startServer(t *testing.T, cfg Config) (*Server, func()) {
	t.Helper()
	if cfg.Cluster == nil {
		c, err := cluster.New(cluster.Config{Seed: 1})
		require.NoError(t, err)
		cfg.Cluster = c
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func newKubectlEnv(t *testing.T, cfg Config) *kubectlEnv {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not on PATH: skipping the end-to-end tests with the real kubectl")
	}
	srv, stop := startServer(t, cfg)
	t.Cleanup(stop)
	dir := t.TempDir()
	e := &kubectlEnv{t: t, srv: srv, kubeconfig: filepath.Join(dir, "kubeconfig"), cacheDir: filepath.Join(dir, "cache"), dir: dir}
	require.NoError(t, srv.WriteKubeconfig(e.kubeconfig, "kubernetes-admin"))
	return e
}

// run runs kubectl with a bounded time and returns stdout, stderr and
// the exit code.
func (e *kubectlEnv) run(stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.runCtx(ctx, stdin, args...)
}

func (e *kubectlEnv) runCtx(ctx context.Context, stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", e.kubeconfig, "--cache-dir", e.cacheDir}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+e.dir, "KUBECONFIG=")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return out.String(), errb.String(), code
}

func TestKubectlSmoke(t *testing.T) {
	e := newKubectlEnv(t, Config{Paused: true})
	for _, args := range [][]string{{"version"}, {"api-resources"}, {"get", "nodes"}, {"get", "pods", "-A"}, {"get", "pods", "-A", "-o", "wide"}, {"get", "events", "-A"}, {"get", "ns"}} {
		out, errOut, code := e.run("", args...)
		t.Logf("kubectl %v -> %d\n%s%s", args, code, out, errOut)
	}
}

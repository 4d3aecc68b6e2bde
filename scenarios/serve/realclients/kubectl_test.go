package realclients

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubectl runs the real kubectl against a served cluster.
type kubectl struct {
	t                    *testing.T
	kubeconfig, cache, d string
}

func newKubectl(t *testing.T, s *served) *kubectl {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not on PATH: skipping the tests with the real kubectl")
	}
	d := t.TempDir()
	k := &kubectl{t: t, kubeconfig: filepath.Join(d, "kubeconfig"), cache: filepath.Join(d, "cache"), d: d}
	require.NoError(t, s.srv.WriteKubeconfig(k.kubeconfig, "kubernetes-admin"))
	return k
}

func (k *kubectl) run(stdin string, args ...string) (string, string, int) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", k.cache}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+k.d, "KUBECONFIG=")
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

func TestKubectlAuth(t *testing.T) {
	s := startServed(t)
	k := newKubectl(t, s)

	out, errOut, code := k.run("", "auth", "can-i", "create", "pods")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "yes\n", out)

	out, errOut, code = k.run("", "auth", "can-i", "create", "pods", "--as", "system:serviceaccount:default:default")
	assert.Equal(t, 1, code, "the default service account may not create pods: %s", errOut)
	assert.Equal(t, "no\n", out)

	out, errOut, code = k.run("", "auth", "can-i", "get", "pods", "-n", "kube-system", "--as", "jane", "--as-group", "system:masters")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "yes\n", out, "a member of system:masters may")

	out, errOut, code = k.run("", "auth", "whoami")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `(?s)Username\s+kubernetes-admin.*Groups\s+\[kubeadm:cluster-admins system:authenticated\]`, out)

	out, errOut, code = k.run("", "auth", "whoami", "--as", "system:serviceaccount:default:default")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "system:serviceaccount:default:default")
	assert.Contains(t, out, "system:serviceaccounts:default")

	out, errOut, code = k.run("", "auth", "can-i", "--list", "--as", "system:serviceaccount:default:default")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "selfsubjectaccessreviews.authorization.k8s.io")
	assert.NotContains(t, out, "pods ", "the default service account has no rights on pods")

	// Impersonating needs the impersonate verb: the default service
	// account may not pose as the admin.
	_, errOut, code = k.run("", "get", "pods", "--as", "system:serviceaccount:default:default")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default"`)
}

func TestKubectlExplain(t *testing.T) {
	s := startServed(t)
	k := newKubectl(t, s)

	out, errOut, code := k.run("", "explain", "pods")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "KIND:       Pod")
	assert.Contains(t, out, "VERSION:    v1")
	assert.Contains(t, out, "Pod is a collection of containers that can run on a host.")
	assert.Regexp(t, `spec\s+<PodSpec>`, out)

	out, errOut, code = k.run("", "explain", "pods.spec.containers.image")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "FIELD: image <string>")
	assert.Contains(t, out, "Container image name.")

	out, errOut, code = k.run("", "explain", "deployment.spec.strategy", "--recursive")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "GROUP:      apps")
	assert.Regexp(t, `rollingUpdate\s+<RollingUpdateDeployment>`, out)
	assert.Regexp(t, `maxSurge\s+<IntOrString>`, out)

	_, errOut, code = k.run("", "explain", "pods.spec.nosuchfield")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `field "nosuchfield" does not exist`)
}

func TestKubectlApplyServerSide(t *testing.T) {
	s := startServed(t)
	k := newKubectl(t, s)
	manifest := func(level string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  level: \"" + level + "\"\n"
	}
	out, errOut, code := k.run(manifest("1"), "apply", "--server-side", "-f", "-")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "configmap/demo serverside-applied\n", out)

	out, errOut, code = k.run(manifest("2"), "diff", "--server-side", "-f", "-")
	assert.Equal(t, 1, code, "kubectl diff exits 1 when there are differences: %s", errOut)
	assert.Contains(t, out, `-  level: "1"`)
	assert.Contains(t, out, `+  level: "2"`)

	out, errOut, code = k.run(manifest("2"), "apply", "--server-side", "-f", "-")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "configmap/demo serverside-applied\n", out)
	out, errOut, code = k.run("", "get", "configmap", "demo", "-o", "jsonpath={.data.level}")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "2", out)
}

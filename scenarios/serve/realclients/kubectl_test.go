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

// TestKubectlApplyServerSideConflicts: field managers as kubectl meets
// them: client-side apply records kubectl-client-side-apply, kubectl scale
// owns replicas through the scale subresource, a server-side apply that
// would change them fails with the real conflict, diff previews the
// forced apply, --force-conflicts takes them, and a field the applier
// drops is removed.
func TestKubectlApplyServerSideConflicts(t *testing.T) {
	s := startServed(t)
	k := newKubectl(t, s)
	deployment := func(replicas, image string, containers ...string) string {
		m := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: " + replicas +
			"\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n"
		for _, c := range containers {
			m += "      - name: " + c + "\n        image: " + image + "\n"
		}
		return m
	}
	out, errOut, code := k.run(deployment("2", "nginx:1.27", "main"), "apply", "-f", "-")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "deployment.apps/web created\n", out)

	out, errOut, code = k.run("", "get", "deployment", "web", "-o", "yaml")
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, out, "managedFields", "kubectl hides managedFields by default")
	out, errOut, code = k.run("", "get", "deployment", "web", "-o", "yaml", "--show-managed-fields")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "manager: kubectl-client-side-apply\n    operation: Update\n")
	assert.Contains(t, out, "        f:replicas: {}\n")

	out, errOut, code = k.run("", "scale", "deployment/web", "--replicas=3")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "deployment.apps/web scaled\n", out)

	_, errOut, code = k.run(deployment("2", "nginx:1.27", "main"), "apply", "--server-side", "-f", "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas`)

	out, errOut, code = k.run(deployment("2", "nginx:1.27", "main"), "diff", "--server-side", "--force-conflicts", "-f", "-")
	assert.Equal(t, 1, code, "differences: %s", errOut)
	assert.Contains(t, out, "-  replicas: 3\n")
	assert.Contains(t, out, "+  replicas: 2\n")
	assert.NotContains(t, out, "managedFields")

	out, errOut, code = k.run(deployment("2", "nginx:1.27", "main", "sidecar"), "apply", "--server-side", "--force-conflicts", "-f", "-")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "deployment.apps/web serverside-applied\n", out)
	out, errOut, code = k.run("", "get", "deployment", "web", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[*].name}")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "2 main sidecar", out)

	// Dropping the sidecar from the applied configuration removes it.
	out, errOut, code = k.run(deployment("2", "nginx:1.27", "main"), "apply", "--server-side", "-f", "-")
	require.Equal(t, 0, code, errOut)
	out, errOut, code = k.run("", "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[*].name}")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "main", out)
	out, errOut, code = k.run("", "get", "deployment", "web", "-o", "yaml", "--show-managed-fields")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "manager: kubectl\n    operation: Apply\n")

	// kubectl diff (a server-side dry run of the client-side patch) shows
	// the change and stores nothing.
	out, errOut, code = k.run(deployment("2", "nginx:1.28", "main"), "diff", "-f", "-")
	assert.Equal(t, 1, code, "differences: %s", errOut)
	assert.Contains(t, out, "-      - image: nginx:1.27\n")
	assert.Contains(t, out, "+      - image: nginx:1.28\n")
	out, errOut, code = k.run("", "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "nginx:1.27", out)

	// A field kubectl create set conflicts the same way, naming its manager.
	cm := func(level string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: levels\n  namespace: default\ndata:\n  level: \"" + level + "\"\n"
	}
	_, errOut, code = k.run(cm("1"), "create", "-f", "-")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = k.run(cm("2"), "apply", "--server-side", "-f", "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `error: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.level`)
}

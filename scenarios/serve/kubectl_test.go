package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const podManifest = `apiVersion: v1
kind: Pod
metadata:
  name: app
  labels:
    app: demo
    tier: web
  annotations:
    kubesim.io/behavior: |
      main: {logs: ["listening on :8080", "ready to serve"]}
spec:
  containers:
  - name: main
    image: nginx:1.27
`

func (e *kubectlEnv) file(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	require.NoError(e.t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// must runs kubectl and requires it to succeed.
func (e *kubectlEnv) must(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run("", args...)
	require.Equal(e.t, 0, code, "kubectl %v: %s%s", args, out, errOut)
	return out
}

// eventually polls kubectl until its output contains want.
func (e *kubectlEnv) eventually(want string, args ...string) string {
	e.t.Helper()
	var out string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, _, _ = e.run("", args...)
		if strings.Contains(out, want) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("kubectl %v never printed %q; last output:\n%s", args, want, out)
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestRealKubectl(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})

	t.Run("version", func(t *testing.T) {
		out := e.must("version")
		assert.Contains(t, out, "Server Version: v1.32.4-sim")
	})
	t.Run("api-resources", func(t *testing.T) {
		out := e.must("api-resources")
		assert.Regexp(t, `^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$`, firstLine(out))
		assert.Regexp(t, `\npods +po +v1 +true +Pod\n`, out)
		assert.Regexp(t, `\ndeployments +deploy +apps/v1 +true +Deployment\n`, out)
		assert.Regexp(t, `\nselfsubjectaccessreviews +authorization.k8s.io/v1 +false +SelfSubjectAccessReview\n`, out)
	})
	t.Run("get nodes", func(t *testing.T) {
		out := e.must("get", "nodes")
		assert.Equal(t, "NAME       STATUS   ROLES           AGE   VERSION", firstLine(out))
		assert.Regexp(t, `\ncp-1 +Ready +control-plane +\S+ +v1\.32`, out)
		assert.Regexp(t, `\nworker-1 +Ready +<none> `, out)
	})

	path := e.file("pod.yaml", podManifest)
	t.Run("apply creates", func(t *testing.T) {
		assert.Equal(t, "pod/app created\n", e.must("apply", "-f", path))
	})
	t.Run("get pods", func(t *testing.T) {
		out := e.eventually("Running", "get", "pods")
		assert.Equal(t, "NAME   READY   STATUS    RESTARTS   AGE", firstLine(out))
		assert.Regexp(t, `\napp +1/1 +Running +0 +\S+\n`, out)
	})
	t.Run("get pods -o wide", func(t *testing.T) {
		out := e.must("get", "pods", "-o", "wide")
		assert.Regexp(t, `^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES\n`, out)
		assert.Regexp(t, `\napp +1/1 +Running +0 +\S+ +\d+\.\d+\.\d+\.\d+ +worker-\d +<none> +<none>\n`, out)
	})
	t.Run("get pods -o yaml", func(t *testing.T) {
		out := e.must("get", "pods", "-o", "yaml")
		assert.Contains(t, out, "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n")
		assert.Contains(t, out, "    name: app\n")
		assert.Contains(t, out, "kind: List\n")
	})
	t.Run("apply configures", func(t *testing.T) {
		changed := strings.Replace(podManifest, "    tier: web\n", "    tier: api\n    track: stable\n", 1)
		p := e.file("pod-changed.yaml", changed)
		assert.Equal(t, "pod/app configured\n", e.must("apply", "-f", p))
		assert.Equal(t, `{"app":"demo","tier":"api","track":"stable"}`, e.must("get", "pod", "app", "-o", "jsonpath={.metadata.labels}"))
		assert.Equal(t, "pod/app unchanged\n", e.must("apply", "-f", p))
		// Dropping a label from the manifest deletes it (a null in the patch).
		p = e.file("pod-fewer.yaml", strings.Replace(changed, "    track: stable\n", "", 1))
		assert.Equal(t, "pod/app configured\n", e.must("apply", "-f", p))
		assert.Equal(t, `{"app":"demo","tier":"api"}`, e.must("get", "pod", "app", "-o", "jsonpath={.metadata.labels}"))
	})
	t.Run("apply merges lists by their keys", func(t *testing.T) {
		svc := "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n  - {name: https, port: 443, targetPort: 8443}\n"
		assert.Equal(t, "service/web created\n", e.must("apply", "-f", e.file("svc.yaml", svc)))
		changed := strings.Replace(svc, "8443", "9443", 1)
		assert.Equal(t, "service/web configured\n", e.must("apply", "-f", e.file("svc2.yaml", changed)))
		assert.Equal(t, "http:80->8080 https:443->9443 ", e.must("get", "svc", "web", "-o", `jsonpath={range .spec.ports[*]}{.name}:{.port}->{.targetPort} {end}`),
			"a Service's ports merge by port")
		out := e.must("get", "svc", "web")
		assert.Regexp(t, `\nweb +ClusterIP +10\.\d+\.\d+\.\d+ +<none> +80/TCP,443/TCP +\S+\n`, out)
		assert.Equal(t, "service \"web\" deleted\n", e.must("delete", "svc", "web"))
	})
	t.Run("apply --dry-run=server", func(t *testing.T) {
		p := e.file("dry.yaml", strings.Replace(podManifest, "name: app", "name: dry", 1))
		assert.Equal(t, "pod/dry created (server dry run)\n", e.must("apply", "--dry-run=server", "-f", p))
		_, errOut, code := e.run("", "get", "pod", "dry")
		assert.Equal(t, 1, code)
		assert.Equal(t, "Error from server (NotFound): pods \"dry\" not found\n", errOut)
	})
	t.Run("create twice", func(t *testing.T) {
		p := e.file("other.yaml", strings.Replace(podManifest, "name: app", "name: other", 1))
		assert.Equal(t, "pod/other created\n", e.must("create", "-f", p))
		_, errOut, code := e.run("", "create", "-f", p)
		assert.Equal(t, 1, code)
		assert.Equal(t, "Error from server (AlreadyExists): error when creating \""+p+"\": pods \"other\" already exists\n", errOut)
	})
	t.Run("server-side field validation", func(t *testing.T) {
		bad := e.file("unknown-field.yaml", strings.Replace(strings.Replace(podManifest, "name: app", "name: strict", 1), "  - name: main\n", "  - name: main\n    imagee: typo\n", 1))
		_, errOut, code := e.run("", "apply", "-f", bad)
		assert.Equal(t, 1, code)
		assert.Equal(t, "Error from server (BadRequest): error when creating \""+bad+"\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagee\"\n", errOut)
		out, errOut, code := e.run("", "apply", "--validate=warn", "-f", bad)
		assert.Equal(t, 0, code, errOut)
		assert.Equal(t, "pod/strict created\n", out)
		assert.Equal(t, "Warning: unknown field \"spec.containers[0].imagee\"\n", errOut)
	})
	t.Run("describe pod", func(t *testing.T) {
		out := e.eventually("Started", "describe", "pod", "app")
		assert.Regexp(t, `^Name: +app\nNamespace: +default\n`, out)
		assert.Regexp(t, `\nEvents:\n  Type +Reason +Age +From +Message\n`, out)
		assert.Regexp(t, `\n  Normal +Scheduled +\S+ +default-scheduler +Successfully assigned default/app to worker-\d\n`, out)
	})
	t.Run("logs", func(t *testing.T) {
		assert.Equal(t, "listening on :8080\nready to serve\n", e.must("logs", "app"))
		assert.Equal(t, "ready to serve\n", e.must("logs", "app", "--tail=1"))
		_, errOut, code := e.run("", "logs", "nope")
		assert.Equal(t, 1, code)
		assert.Equal(t, "error: error from server (NotFound): pods \"nope\" not found in namespace \"default\"\n", errOut)
	})
	t.Run("get events", func(t *testing.T) {
		out := e.must("get", "events")
		assert.Regexp(t, `^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$`, firstLine(out))
		assert.Regexp(t, `\n\S+ +Normal +Scheduled +pod/app +Successfully assigned default/app to worker-\d\n`, out)
	})
	t.Run("get pods -w", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", e.kubeconfig, "--cache-dir", e.cacheDir, "get", "pods", "-w")
		cmd.Env = append(os.Environ(), "HOME="+e.dir, "KUBECONFIG=")
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		defer func() {
			cancel()
			io.Copy(io.Discard, stdout)
			cmd.Wait()
		}()
		lines := bufio.NewScanner(stdout)
		require.True(t, lines.Scan(), "no header")
		assert.Regexp(t, `^NAME +READY +STATUS +RESTARTS +AGE$`, lines.Text())
		// The simulation adds pods: a Deployment's ReplicaSet creates them.
		require.NoError(t, e.srv.Do(ctx, func(c *cluster.Cluster) {
			replicas := int32(1)
			_, err := c.Admin.Create(&api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
				Spec: api.DeploymentSpec{Replicas: &replicas, Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
					Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}},
						Spec: api.PodSpec{Containers: []api.Container{{Name: "web", Image: "nginx:1.27"}}}}}})
			require.NoError(t, err)
		}))
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "web-") {
				assert.Regexp(t, `^web-\S+ +\d/1 +\S+ +0 +\S+$`, lines.Text())
				return
			}
		}
		t.Fatal("kubectl get pods -w never showed the Deployment's pod")
	})
	t.Run("scale", func(t *testing.T) {
		assert.Equal(t, "deployment.apps/web scaled\n", e.must("scale", "deploy", "web", "--replicas=2"))
		e.eventually(" 2/2 ", "get", "deploy")
		assert.Equal(t, "deployment.apps/web patched\n", e.must("patch", "deploy", "web", "--type", "json", "-p", `[{"op":"replace","path":"/spec/replicas","value":1}]`))
		assert.Equal(t, "1", e.must("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
		_, errOut, code := e.run("", "patch", "deploy", "web", "--type", "json", "-p", `[{"op":"replace","path":"/spec/nope","value":1}]`)
		assert.Equal(t, 1, code)
		assert.Equal(t, "The request is invalid: : replace operation does not apply: doc is missing key: /spec/nope\n", errOut)
		assert.Equal(t, "deployment.apps \"web\" deleted\n", e.must("delete", "deploy", "web"))
	})
	t.Run("delete", func(t *testing.T) {
		assert.Equal(t, "pod \"other\" deleted\n", e.must("delete", "pod", "other"))
		_, errOut, _ := e.run("", "get", "pod", "other")
		assert.Equal(t, "Error from server (NotFound): pods \"other\" not found\n", errOut)
		_, errOut, code := e.run("", "delete", "pod", "nope")
		assert.Equal(t, 1, code)
		assert.Equal(t, "Error from server (NotFound): pods \"nope\" not found\n", errOut)
	})
	t.Run("unknown kind", func(t *testing.T) {
		p := e.file("foo.yaml", "apiVersion: v1\nkind: Foo\nmetadata:\n  name: x\n")
		_, errOut, code := e.run("", "apply", "-f", p)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, `no matches for kind "Foo" in version "v1"`)
	})
}

// TestBadRequestsChangeNothing sends what kubectl would refuse to send:
// the apiserver's error texts come back and the cluster is unchanged.
func TestBadRequestsChangeNothing(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	base := srv.URL() + "/api/v1/namespaces/default/pods"
	send := func(method, url, contentType, body string) (int, string) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", contentType)
		res, err := httpClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		return res.StatusCode, string(b)
	}
	code, body := send("POST", base, "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"app"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}`)
	require.Equal(t, 201, code, body)
	// The pods and their resourceVersions (the list's own version moves
	// with leases and heartbeats).
	state := func() string {
		res, err := httpClient.Get(base)
		require.NoError(t, err)
		defer res.Body.Close()
		var list api.PodList
		require.NoError(t, json.NewDecoder(res.Body).Decode(&list))
		var s []string
		for _, p := range list.Items {
			s = append(s, p.Name+"@"+p.ResourceVersion)
		}
		return strings.Join(s, ",")
	}
	before := state()
	tests := []struct {
		name, method, url, contentType, body string
		wantCode                             int
		wantBody                             string
	}{
		{"malformed JSON", "POST", base, "application/json", `{bad`, 400,
			`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the object provided is unrecognized (Pod: {bad): couldn't get version/kind; json parse error: invalid character 'b' looking for beginning of object key string","reason":"BadRequest","code":400}`},
		{"unknown kind", "POST", base, "application/json", `{"apiVersion":"v1","kind":"Foo","metadata":{"name":"x"}}`, 400,
			`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Foo in version \"v1\" cannot be handled as a Pod: no kind \"Foo\" is registered for version \"v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"","reason":"BadRequest","code":400}`},
		{"wrong content type", "POST", base, "text/plain", `{}`, 415,
			`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"UnsupportedMediaType","code":415}`},
		{"wrong patch type", "PATCH", base + "/app", "application/json", `{}`, 415,
			`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := send(tt.method, tt.url, tt.contentType, tt.body)
			assert.Equal(t, tt.wantCode, code)
			assert.JSONEq(t, tt.wantBody, body)
		})
	}
	t.Run("bad patch", func(t *testing.T) {
		code, body := send("PATCH", base+"/app", "application/strategic-merge-patch+json", `{bad`)
		assert.Equal(t, 400, code)
		assert.Contains(t, body, `"reason":"BadRequest"`)
		code, body = send("PATCH", base+"/app", "application/merge-patch+json", `{"spec":{"containers":"oops"}}`)
		assert.Equal(t, 400, code, body)
	})
	assert.Equal(t, before, state(), "a bad request changed the cluster")
}

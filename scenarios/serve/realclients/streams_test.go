package realclients

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	utilexec "k8s.io/client-go/util/exec"
)

// streamWorld is a served cluster with a web pod (nginx) behind the
// Service web and a client pod (curlimages/curl, busybox's tools and
// curl), both running, and the Service answering.
func streamWorld(t *testing.T) (*served, *kubernetes.Clientset) {
	t.Helper()
	s := startServedConfig(t, cluster.Config{Seed: 1, Addons: true})
	cs, err := kubernetes.NewForConfig(s.cfg)
	require.NoError(t, err)
	ctx := context.Background()
	web := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27",
			Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}}}
	client := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "curlimages/curl:8.11.1", Command: []string{"sleep", "3600"}}}}}
	for _, p := range []*corev1.Pod{web, client} {
		_, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	_, err = cs.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80)}}}},
		metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, name := range []string{"web", "client"} {
			p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
			if err != nil || p.Status.Phase != corev1.PodRunning {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "both pods run")
	require.Eventually(t, func() bool {
		_, _, err := execIn(t, s, cs, true, "client", "", "nc", "-z", "web", "80")
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "the Service answers (CoreDNS knows it, kube-proxy programmed it)")
	return s, cs
}

// streamConfig is the served config without the recorder: the upgrading
// round trippers must be the outermost.
func streamConfig(s *served) *rest.Config {
	cfg := rest.CopyConfig(s.cfg)
	cfg.WrapTransport = nil
	return cfg
}

// execIn runs a command through client-go's remotecommand, over WebSocket
// (v5.channel.k8s.io) or SPDY.
func execIn(t *testing.T, s *served, cs *kubernetes.Clientset, websocket bool, pod string, stdin string, command ...string) (string, string, error) {
	t.Helper()
	cfg := streamConfig(s)
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: command, Stdin: stdin != "", Stdout: true, Stderr: true}, scheme.ParameterCodec)
	var ex remotecommand.Executor
	var err error
	if websocket {
		ex, err = remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
	} else {
		ex, err = remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	}
	require.NoError(t, err)
	var out, errb bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &out, Stderr: &errb}
	if stdin != "" {
		opts.Stdin = strings.NewReader(stdin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ex.StreamWithContext(ctx, opts)
	return out.String(), errb.String(), err
}

func TestExecThroughClientGo(t *testing.T) {
	s, cs := streamWorld(t)
	for _, ws := range []bool{true, false} {
		t.Run(fmt.Sprintf("websocket=%v", ws), func(t *testing.T) {
			out, errOut, err := execIn(t, s, cs, ws, "client", "", "wget", "-qO-", "http://web")
			require.NoError(t, err, errOut)
			assert.Contains(t, out, "<title>Welcome to nginx!</title>", "the nginx image's page, through the Service")

			out, _, err = execIn(t, s, cs, ws, "web", "", "curl", "-s", "web")
			require.NoError(t, err)
			assert.Contains(t, out, "Welcome to nginx!")

			_, errOut, err = execIn(t, s, cs, ws, "web", "", "nslookup", "web")
			var exit utilexec.CodeExitError
			require.ErrorAs(t, err, &exit, "a missing binary is an exit code")
			assert.Equal(t, 127, exit.Code)
			assert.Equal(t, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nslookup\": executable file not found in $PATH: unknown\n", errOut)

			out, errOut, err = execIn(t, s, cs, ws, "client", "", "sh", "-c", "dig web && echo after")
			require.ErrorAs(t, err, &exit)
			assert.Equal(t, 127, exit.Code, "the curl image has no dig")
			assert.Equal(t, "sh: dig: not found\n", errOut)
			assert.Empty(t, out, "&& skips what follows a failure")

			out, _, err = execIn(t, s, cs, ws, "client", "", "sh", "-c", "nosuch || echo fallback && hostname")
			require.NoError(t, err)
			assert.Equal(t, "fallback\nclient\n", out)

			out, _, err = execIn(t, s, cs, ws, "client", "hello\nworld\n", "wc", "-l")
			require.NoError(t, err, "stdin reaches the command and its end closes it")
			assert.Equal(t, "2\n", strings.TrimLeft(out, " "))

			out, _, err = execIn(t, s, cs, ws, "client", "", "cat", "/etc/resolv.conf")
			require.NoError(t, err)
			assert.Equal(t, "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", out)

			out, _, err = execIn(t, s, cs, ws, "client", "", "env")
			require.NoError(t, err)
			assert.Contains(t, out, "KUBERNETES_SERVICE_HOST=10.96.0.1\n")
			assert.Contains(t, out, "WEB_SERVICE_PORT_HTTP=80\n")
		})
	}
}

// kubectl exec -it POD -- sh: a raw terminal; the shell echoes, runs a
// line at Enter and ends at exit.
func TestExecInteractiveTTY(t *testing.T) {
	s, cs := streamWorld(t)
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name("client").SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: []string{"sh"}, Stdin: true, Stdout: true, TTY: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewWebSocketExecutor(streamConfig(s), "GET", req.URL().String())
	require.NoError(t, err)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("hostnamx\x7fe\rexit 4\r"), Stdout: &out, Tty: true})
	var exit utilexec.CodeExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 4, exit.Code)
	assert.Equal(t, "/ # hostnamx\b \be\r\nclient\r\n/ # exit 4\r\n", out.String())
}

func TestExecRBAC(t *testing.T) {
	s, _ := streamWorld(t)
	cfg := *s.cfg
	cfg.Impersonate.UserName = "system:serviceaccount:default:default"
	cs, err := kubernetes.NewForConfig(&cfg)
	require.NoError(t, err)
	viewer := &served{srv: s.srv, cfg: &cfg, seen: map[string]bool{}}
	_, _, err = execIn(t, viewer, cs, true, "client", "", "hostname")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `cannot create resource "pods/exec"`)
}

func TestPortForwardThroughClientGo(t *testing.T) {
	s, cs := streamWorld(t)
	for _, tunnel := range []bool{true, false} {
		t.Run(fmt.Sprintf("websocket=%v", tunnel), func(t *testing.T) {
			req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name("web").SubResource("portforward")
			cfg := streamConfig(s)
			transport, upgrader, err := spdy.RoundTripperFor(cfg)
			require.NoError(t, err)
			var dialer = spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", req.URL())
			if tunnel {
				ws, err := portforward.NewSPDYOverWebsocketDialer(req.URL(), cfg)
				require.NoError(t, err)
				dialer = portforward.NewFallbackDialer(ws, dialer, func(error) bool { return false })
			}
			stop, ready := make(chan struct{}), make(chan struct{})
			var errOut bytes.Buffer
			fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:80", "0:81"}, stop, ready, io.Discard, &errOut)
			require.NoError(t, err)
			done := make(chan error, 1)
			go func() { done <- fw.ForwardPorts() }()
			defer func() { close(stop); <-done }()
			<-ready
			ports, err := fw.GetPorts()
			require.NoError(t, err)

			res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[0].Local))
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Equal(t, 200, res.StatusCode)
			assert.Equal(t, "nginx/1.27.3", res.Header.Get("Server"))
			assert.Contains(t, string(body), "Welcome to nginx!")

			res, err = http.Get(fmt.Sprintf("http://127.0.0.1:%d/nope", ports[0].Local))
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, 404, res.StatusCode)

			_, err = http.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[1].Local))
			assert.Error(t, err, "nothing listens on 81: the connection is closed (client-go logs the kubelet's error)")
		})
	}
}

func TestKubectlExecLogsPortForward(t *testing.T) {
	s, cs := streamWorld(t)
	k := newKubectl(t, s)

	out, errOut, code := k.run("", "exec", "client", "--", "curl", "-s", "web")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "<h1>Welcome to nginx!</h1>")

	out, errOut, code = k.run("", "exec", "web", "--", "nslookup", "web")
	assert.Equal(t, 127, code, "kubectl exits with the command's code")
	assert.Contains(t, errOut, `OCI runtime exec failed: exec failed: unable to start container process: exec: "nslookup": executable file not found in $PATH: unknown`)
	assert.Contains(t, errOut, "command terminated with exit code 127")
	assert.Empty(t, out)

	out, errOut, code = k.run("echo one\nhostname\nexit 3\n", "exec", "-i", "client", "--", "sh")
	assert.Equal(t, 3, code, errOut)
	assert.Equal(t, "one\nclient\n", out, "a shell reads its script line by line from stdin")

	out, errOut, code = k.run("", "exec", "client", "-c", "nope", "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "container nope is not valid for pod client")

	// kubectl cp from the container is tar over exec.
	dst := k.d + "/resolv.conf"
	_, errOut, code = k.run("", "cp", "client:/etc/resolv.conf", dst)
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Contains(t, string(data), "nameserver 10.96.0.10")

	// RBAC: a user who may read pods but not exec into them is refused
	// with the real message.
	ctx := context.Background()
	_, err = cs.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = cs.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "jane-reads"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "jane"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	out, errOut, code = k.run("", "logs", "web", "--as", "jane")
	assert.Equal(t, 0, code, "get pods/log is granted: %s", errOut)
	_, errOut, code = k.run("", "exec", "client", "--as", "jane", "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `User "jane" cannot create resource "pods/exec" in API group "" in the namespace "default"`)

	// logs -f of a container that prints and then exits: the stream ends
	// with the container.
	_, err = cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "talker",
		Annotations: map[string]string{"kubesim.io/behavior": "main: {logs: [hello, world], exitAfter: 20s}"}},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "main", Image: "busybox:1.37"}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, _, code := k.run("", "logs", "talker")
		return code == 0
	}, 20*time.Second, 100*time.Millisecond)
	out, errOut, code = k.run("", "logs", "-f", "--timestamps", "talker")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT[0-9:.]+Z hello\n\S+ world\n$`, out, "-f ends when the container does")
	out, _, code = k.run("", "logs", "--tail", "1", "talker")
	require.Equal(t, 0, code)
	assert.Equal(t, "world\n", out)
	out, _, code = k.run("", "logs", "--since", "1s", "talker")
	require.Equal(t, 0, code)
	assert.Empty(t, out, "both lines are older than a second")
	_, errOut, code = k.run("", "logs", "--previous", "talker")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `previous terminated container "main" in pod "talker" not found`)
	out, errOut, code = k.run("", "logs", "-l", "app=web", "--tail", "1", "--all-containers")
	require.Equal(t, 0, code, errOut)
	assert.NotEmpty(t, out, "by label, every container")

	// logs -f of nginx while requests arrive: each request's access-log
	// line streams as the container prints it.
	follow := exec.Command("kubectl", "--kubeconfig", k.kubeconfig, "--cache-dir", k.cache, "logs", "-f", "web")
	follow.Env = append(os.Environ(), "HOME="+k.d, "KUBECONFIG=")
	followOut, err := follow.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, follow.Start())
	defer func() { follow.Process.Kill(); follow.Wait() }()
	followed := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(followOut)
		for sc.Scan() {
			followed <- sc.Text()
		}
		close(followed)
	}()
	waitLine := func(substr string) string {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-followed:
				require.True(t, ok, "logs -f ended before %q", substr)
				if strings.Contains(l, substr) {
					return l
				}
			case <-deadline:
				require.Fail(t, "no followed line with "+substr)
				return ""
			}
		}
	}
	waitLine("start worker processes")
	_, errOut, code = k.run("", "exec", "client", "--", "curl", "-s", "web/hello")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, waitLine(`"GET /hello HTTP/1.1" 404`), `"curl/`, "nginx's access log, in its combined format")

	// port-forward: real TCP from a local port to the container's answers.
	pf := exec.Command("kubectl", "--kubeconfig", k.kubeconfig, "--cache-dir", k.cache, "port-forward", "pod/web", ":80", ":81")
	pf.Env = append(os.Environ(), "HOME="+k.d, "KUBECONFIG=")
	stdout, err := pf.StdoutPipe()
	require.NoError(t, err)
	var pfErr lockedBuffer // kubectl writes it while the test reads it
	pf.Stderr = &pfErr
	require.NoError(t, pf.Start())
	defer func() { pf.Process.Kill(); pf.Wait() }()
	lines := bufio.NewScanner(stdout)
	var local []string
	for len(local) < 2 && lines.Scan() {
		// "Forwarding from 127.0.0.1:41234 -> 80"
		if f := strings.Fields(lines.Text()); len(f) == 5 && f[0] == "Forwarding" && strings.HasPrefix(f[2], "127.0.0.1:") {
			local = append(local, f[2])
		}
	}
	require.Len(t, local, 2, "kubectl port-forward listens: %s", pfErr.String())
	res, err := http.Get("http://" + local[0] + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	assert.Contains(t, string(body), "Welcome to nginx!")
	assert.Contains(t, waitLine("Go-http-client"), `127.0.0.1 - - [`, "a forwarded request comes from the pod's loopback")
	_, err = http.Get("http://" + local[1] + "/")
	assert.Error(t, err, "nothing listens on 81")
	assert.Eventually(t, func() bool { return strings.Contains(pfErr.String(), "connect: connection refused") }, 5*time.Second, 50*time.Millisecond,
		"kubectl prints the kubelet's error")
}

// kubectl attach follows what the container prints from then on: nginx's
// access log as a request arrives.
func TestAttachThroughClientGo(t *testing.T) {
	s, cs := streamWorld(t)
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name("web").SubResource("attach").
		VersionedParams(&corev1.PodAttachOptions{Container: "nginx", Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewWebSocketExecutor(streamConfig(s), "GET", req.URL().String())
	require.NoError(t, err)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: pw, Stderr: io.Discard})
		pw.Close()
	}()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(200 * time.Millisecond) // attached before the request
	_, errOut, err := execIn(t, s, cs, true, "client", "", "curl", "-s", "web/attached")
	require.NoError(t, err, errOut)
	select {
	case l := <-lines:
		assert.Contains(t, l, "/attached", "the first line printed after attaching")
	case <-time.After(10 * time.Second):
		t.Fatal("attach showed nothing")
	}
	// The attach ends with the container (client-go's WebSocket executor
	// keeps its connection until the server closes it).
	zero := int64(0)
	require.NoError(t, cs.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	select {
	case err := <-done:
		assert.NoError(t, err, "the container ended: the attach ends with Success")
	case <-time.After(20 * time.Second):
		t.Fatal("the attach did not end with its container")
	}
	cancel()
	for range lines {
	}
}

// lockedBuffer is a bytes.Buffer a running process writes while a test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

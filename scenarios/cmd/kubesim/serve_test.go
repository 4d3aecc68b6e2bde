package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func TestServeWritesKubeconfigAndStopsAtQuit(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "kubesim.kubeconfig")
			var out, errb bytes.Buffer
			code := cmdServe([]string{"--paused", "--lang", lang, "--kubeconfig", kc}, strings.NewReader("time\nquit\n"), &out, &errb)
			require.Equal(t, 0, code, errb.String())
			b, err := os.ReadFile(kc)
			require.NoError(t, err)
			assert.Contains(t, string(b), "server: https://127.0.0.1:")
			assert.Contains(t, out.String(), "export KUBECONFIG="+kc)
			assert.NotContains(t, errb.String(), "standard input ended", "quit stops; it does not wait for a signal")
			if lang == "ko" {
				assert.Contains(t, out.String(), "가상 시간은 멈춰 있습니다")
			} else {
				assert.Contains(t, out.String(), "Virtual time is paused")
				assert.Contains(t, out.String(), ", paused\n")
			}
		})
	}
}

func TestServeFlags(t *testing.T) {
	for _, args := range [][]string{{"--speed", "0"}, {"--show", "some"}, {"--lang", "fr"}, {"extra"}, {"--drill", "no-such-drill.yaml"}} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, cmdServe(args, strings.NewReader(""), &out, &errb), "%v", args)
		assert.NotEmpty(t, errb.String())
	}
}

func TestServeRefusesNonLoopbackUnlessAcknowledged(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, cmdServe([]string{"--listen", "0.0.0.0:0", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader(""), &out, &errb))
	assert.Contains(t, errb.String(), "0.0.0.0:0 is not a loopback address")
	assert.Contains(t, errb.String(), "--allow-non-loopback")

	errb.Reset()
	code := cmdServe([]string{"--paused", "--listen", "0.0.0.0:0", "--allow-non-loopback", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader("quit\n"), &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, errb.String(), "kubesim: warning: 0.0.0.0:0 is not a loopback address: other machines can reach it.")
}

// apiClient GETs paths of the cluster a kubeconfig that serve wrote
// names.
type apiClient struct {
	server string
	http   *http.Client
}

func readKubeconfig(t *testing.T, path string) *apiClient {
	t.Helper()
	sc, err := kubeconfigServer(path)
	require.NoError(t, err)
	c := sc.Client()
	t.Cleanup(c.CloseIdleConnections)
	return &apiClient{server: sc.Server, http: c}
}

func (c *apiClient) get(t *testing.T, path string, into any) {
	t.Helper()
	resp, err := c.http.Get(c.server + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, json.Unmarshal(body, into))
}

// buildKubesim builds the command into dir.
func buildKubesim(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "kubesim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// TestServeKeepsServingAfterStdinEndsUntilSIGTERM runs the real binary as
// `kubesim serve < /dev/null` (and `kubesim incident start ... < /dev/null`)
// do: the prompt ends with its input, the server does not.
func TestServeKeepsServingAfterStdinEndsUntilSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubesim binary")
	}
	bin := buildKubesim(t, t.TempDir())
	for _, tc := range []struct {
		name, lang string
		args       []string
	}{
		{"serve", "en", []string{"serve", "--paused", "--show", "none"}},
		{"serve", "ko", []string{"serve", "--paused", "--show", "none"}},
		{"incident", "en", []string{"incident", "start", "incident-coredns-scaled-to-zero", "--paused"}},
	} {
		lang := tc.lang
		t.Run(tc.name+"/"+lang, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "kubesim.kubeconfig")
			devnull, err := os.Open(os.DevNull)
			require.NoError(t, err)
			defer devnull.Close()
			cmd := exec.Command(bin, append(tc.args, "--lang", lang, "--kubeconfig", kc)...)
			cmd.Stdin = devnull
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				if cmd.ProcessState == nil {
					cmd.Process.Kill()
					<-exited
				}
			}()

			ended := "standard input ended, so the prompt is closed; the cluster keeps serving until SIGINT or SIGTERM"
			if lang == "ko" {
				ended = "표준 입력이 끝나 프롬프트를 닫습니다"
			}
			deadline := time.Now().Add(2 * time.Minute)
			for !strings.Contains(stderr.String(), ended) {
				select {
				case err := <-exited:
					t.Fatalf("serve exited after its input ended (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
				case <-time.After(50 * time.Millisecond):
				}
				require.True(t, time.Now().Before(deadline), "no notice that stdin ended:\n%s", stderr.String())
			}
			// Well after the end of input, it still answers.
			time.Sleep(300 * time.Millisecond)
			api := readKubeconfig(t, kc)
			var nodes corev1.NodeList
			api.get(t, "/api/v1/nodes", &nodes)
			var names []string
			for _, n := range nodes.Items {
				names = append(names, n.Name)
			}
			assert.Contains(t, names, "cp-1")
			assert.Contains(t, names, "worker-1")
			assert.Equal(t, 1, strings.Count(stderr.String(), ended), "said once")

			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			select {
			case err := <-exited:
				require.NoError(t, err, "exit status after SIGTERM\nstderr:\n%s", stderr.String())
			case <-time.After(time.Minute):
				t.Fatalf("serve did not stop on SIGTERM\nstderr:\n%s", stderr.String())
			}
			assert.Equal(t, 0, cmd.ProcessState.ExitCode())
			assert.NotContains(t, stderr.String(), "goroutine ", "no panic or goroutine dump")
			// Nothing is left listening.
			_, err = api.http.Get(api.server + "/version")
			assert.Error(t, err, "the port is closed once serve has exited")
		})
	}
}

// TestServeDrillBootsTheDrillsNodes: serve -drill boots the cluster the
// drill runner would, nodes shaped as the file says.
func TestServeDrillBootsTheDrillsNodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shaped.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`name: shaped
title: Shaped nodes
component: kube-scheduler
seed: 4
cluster:
  controlPlanes:
  - name: cp-1
  workers:
  - name: big-1
    cpu: "16"
    memory: 64Gi
    pods: 250
    zone: eu-west-1a
    labels: {disktype: ssd}
    taints: ["dedicated=gpu:NoSchedule"]
  - name: small-1
    cpu: "2"
    memory: 4Gi
    zone: eu-west-1b
steps:
- name: wait a moment
  wait: {pods: {namespace: kube-system, selector: k8s-app=kube-dns, phase: Running, count: 2}, within: 2m}
`), 0o644))
	kc := filepath.Join(dir, "kubesim.kubeconfig")
	in, feed := io.Pipe()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cmdServe([]string{"--paused", "--show", "none", "--drill", file, "--kubeconfig", kc}, in, &out, &errb)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "export KUBECONFIG=") {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline))
	}
	assert.Contains(t, out.String(), "(seed 4)", "the drill's seed")

	api := readKubeconfig(t, kc)
	var nodes corev1.NodeList
	api.get(t, "/api/v1/nodes", &nodes)
	byName := map[string]corev1.Node{}
	var names []string
	for _, n := range nodes.Items {
		byName[n.Name] = n
		names = append(names, n.Name)
	}
	assert.Equal(t, []string{"big-1", "cp-1", "small-1"}, names)
	big := byName["big-1"]
	assert.Equal(t, "16", big.Status.Capacity.Cpu().String())
	assert.Equal(t, "64Gi", big.Status.Capacity.Memory().String())
	assert.Equal(t, "250", big.Status.Capacity.Pods().String())
	assert.Equal(t, "ssd", big.Labels["disktype"])
	assert.Equal(t, "eu-west-1a", big.Labels["topology.kubernetes.io/zone"])
	assert.Equal(t, []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}, big.Spec.Taints)
	small := byName["small-1"]
	assert.Equal(t, "2", small.Status.Capacity.Cpu().String())
	assert.Equal(t, "4Gi", small.Status.Capacity.Memory().String())
	assert.Equal(t, "eu-west-1b", small.Labels["topology.kubernetes.io/zone"])
	assert.Empty(t, small.Spec.Taints)

	_, err := io.WriteString(feed, "quit\n")
	require.NoError(t, err)
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errb.String())
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop at quit")
	}
	feed.Close()
}

func TestServeClassroom(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "class")
			var out, errb bytes.Buffer
			code := cmdServe([]string{"--paused", "--lang", lang, "--users", "alice, bob", "--kubeconfig-dir", dir, "--listen", "0.0.0.0:0", "--advertise-address", "class.example"},
				strings.NewReader("quit\n"), &out, &errb)
			require.Equal(t, 0, code, errb.String())
			assert.Empty(t, errb.String(), "certificates authenticate: no warning, no --allow-non-loopback")
			for _, u := range []string{"instructor", "alice", "bob"} {
				b, err := os.ReadFile(filepath.Join(dir, u+".kubeconfig"))
				require.NoError(t, err, u)
				assert.Contains(t, string(b), "client-certificate-data: ", u)
				assert.Contains(t, string(b), "server: https://class.example:", u)
				assert.Contains(t, out.String(), filepath.Join(dir, u+".kubeconfig"), u)
			}
			_, err := os.Stat(filepath.Join(dir, "audit.log"))
			assert.NoError(t, err, "the audit log sits beside the kubeconfigs")
			assert.Contains(t, out.String(), filepath.Join(dir, "audit.log"))
			if lang == "ko" {
				assert.Contains(t, out.String(), "교실 모드")
				assert.Contains(t, out.String(), "네임스페이스 alice 에서 edit 역할")
			} else {
				assert.Contains(t, out.String(), "as a classroom")
				assert.Contains(t, out.String(), "(role edit in namespace alice)")
				assert.Contains(t, out.String(), "0.0.0.0:0 is reachable from other machines")
			}
			_, err = os.Stat("kubesim.kubeconfig")
			assert.True(t, os.IsNotExist(err), "no admin token kubeconfig in a classroom")
		})
	}
}

func TestServeClassroomFlags(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--users", "alice,,bob"}, `kubesim: --users "alice,,bob": name 2 is empty: expected names separated by commas, such as alice,bob`},
		{[]string{"--users", "Alice"}, `kubesim: serve: user "Alice": a trainee's name is its namespace's name`},
		{[]string{"--users", "alice", "--instructor", "alice"}, `kubesim: serve: "alice" is both a trainee and the instructor`},
	} {
		var out, errb bytes.Buffer
		args := append(tt.args, "--kubeconfig-dir", filepath.Join(t.TempDir(), "class"))
		assert.Equal(t, 2, cmdServe(args, strings.NewReader(""), &out, &errb), "%v", tt.args)
		assert.Contains(t, errb.String(), tt.wantErr)
	}
}

// The banner prints a one-time link to the web view; `ui` at the prompt
// prints a new one.
func TestServePrintsTheWebViewsLink(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		var out, errb bytes.Buffer
		code := cmdServe([]string{"--paused", "--lang", lang, "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, strings.NewReader("ui\nhelp\nquit\n"), &out, &errb)
		require.Equal(t, 0, code, errb.String())
		links := regexp.MustCompile(`https://127\.0\.0\.1:\d+/ui/\?code=kubesim-[0-9a-f]+`).FindAllString(out.String(), -1)
		require.Len(t, links, 2, "the banner's link and the prompt's: %s", out.String())
		assert.NotEqual(t, links[0], links[1], "a new link each time")
		assert.Contains(t, out.String(), "  ui ", "help lists the ui command")
	}
}

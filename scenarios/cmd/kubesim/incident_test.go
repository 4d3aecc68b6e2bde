package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// An incident end to end, as a trainee meets it: started, checked from
// another terminal (failing), fixed through the served API — with the real
// kubectl when it is on the PATH, always with a plain HTTP client too — and
// checked again (passing), then the summary.
func TestIncidentEndToEnd(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	stdinR, stdinW := io.Pipe()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"incident", "start", "incident-coredns-scaled-to-zero", "--kubeconfig", kc, "--speed", "30"}, stdinR, &out, &out)
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(kc); return err == nil }, 60*time.Second, 50*time.Millisecond, out.String())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "The cluster is yours") }, 30*time.Second, 50*time.Millisecond)
	assert.Contains(t, out.String(), `says "Could not resolve host: web"`)

	o, e, code := kubesim(t, "", "incident", "check", "--kubeconfig", kc)
	assert.Equal(t, 1, code, o+e)
	assert.Contains(t, o, "FAIL names resolve again")

	sc, err := kubeconfigServer(kc)
	require.NoError(t, err)
	server, httpc := sc.Server, sc.Client()
	if path, err := exec.LookPath("kubectl"); err == nil {
		cmd := exec.Command(path, "--kubeconfig", kc, "--cache-dir", filepath.Join(dir, "cache"), "scale", "deployment", "coredns", "-n", "kube-system", "--replicas=2")
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, string(b))
		assert.Contains(t, string(b), "deployment.apps/coredns scaled")
	} else {
		t.Log("kubectl is not on PATH: the fix goes through a plain HTTP client only")
		req, err := http.NewRequest(http.MethodPatch, server+"/apis/apps/v1/namespaces/kube-system/deployments/coredns", strings.NewReader(`{"spec":{"replicas":2}}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/merge-patch+json")
		res, err := httpc.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode)
	}
	require.Eventually(t, func() bool {
		_, _, code := kubesim(t, "", "incident", "check", "--kubeconfig", kc)
		return code == 0
	}, 60*time.Second, 200*time.Millisecond)

	// The HTTP check is refused to a foreign Host (a web page rebinding DNS).
	req, _ := http.NewRequest(http.MethodGet, server+"/kubesim/v1/incident/check", nil)
	req.Host = "evil.example"
	res, err := httpc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode)

	stdinW.Write([]byte("quit\n"))
	stdinW.Close()
	assert.Equal(t, 0, <-done)
	assert.Contains(t, out.String(), "Incident incident-coredns-scaled-to-zero fixed in")

	_, e, code = kubesim(t, "", "incident", "start", "incident-coredns-scaled-tozero")
	assert.Equal(t, 2, code)
	assert.Contains(t, e, `did you mean "incident-coredns-scaled-to-zero"?`)
	// run plays the answer key: the breakage, the fix, the checks PASS.
	o, e, code = kubesim(t, "", "run", "incident-pending-no-nodes")
	assert.Equal(t, 0, code, o+e)
	assert.Contains(t, o, "the answer key")
	assert.Contains(t, o, "$ kubectl uncordon worker-1")
	assert.Contains(t, o, "PASS the three shop pods run")
	_, e, code = kubesim(t, "", "incident", "check", "--kubeconfig", filepath.Join(dir, "none"))
	assert.Equal(t, 2, code, e)
}

// incident list shows every built-in incident in aligned columns, in the
// language asked for.
func TestIncidentList(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		out, _, code := kubesim(t, "", "incident", "list", "--lang", lang)
		require.Equal(t, 0, code)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Equal(t, len(library.Incidents())+1, len(lines))
		col := strings.Index(lines[0], "COMPONENT")
		for _, l := range lines[1:] {
			assert.Equal(t, ' ', rune(l[col-1]), "aligned: %q", l)
			assert.NotEqual(t, ' ', rune(l[col]), "aligned: %q", l)
		}
	}
	_, _, code := kubesim(t, "", "incident", "list", "--bogus")
	assert.Equal(t, 2, code)
}

package realclients

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios/serve"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncFile is an audit log file the server appends to while the test runs.
type syncFile struct {
	mu sync.Mutex
	f  *os.File
}

func (s *syncFile) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Write(p)
}

// TestKubectlClassroom drives a classroom with the real kubectl, each user
// with the kubeconfig kubesim wrote for them (a client certificate).
func TestKubectlClassroom(t *testing.T) {
	d := t.TempDir()
	logFile, err := os.Create(filepath.Join(d, "audit.log"))
	require.NoError(t, err)
	defer logFile.Close()
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(t, err)
	srv, err := serve.New(serve.Config{Cluster: c, Speed: 20, Users: []string{"alice", "bob"}, AuditLog: &syncFile{f: logFile}})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	defer stop()
	paths, err := srv.WriteKubeconfigs(filepath.Join(d, "class"))
	require.NoError(t, err)
	s := &served{srv: srv}
	as := func(user string) *kubectl {
		k := newKubectl(t, s)
		for _, p := range paths {
			if strings.HasSuffix(p, "/"+user+".kubeconfig") {
				k.kubeconfig = p
			}
		}
		return k
	}
	alice, inst := as("alice"), as("instructor")

	out, errOut, code := alice.run("", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, `alice ["kubesim:trainees","system:authenticated"]`, out)

	for _, tt := range []struct {
		args     []string
		wantOut  string
		wantCode int
	}{
		{[]string{"create", "pods", "-n", "alice"}, "yes\n", 0},
		{[]string{"create", "pods"}, "yes\n", 0}, // the kubeconfig's namespace is alice
		{[]string{"create", "pods", "-n", "bob"}, "no\n", 1},
		{[]string{"delete", "nodes"}, "no\n", 1},
		{[]string{"list", "nodes"}, "no\n", 1},
		{[]string{"create", "rolebindings", "-n", "alice"}, "no\n", 1},
	} {
		out, errOut, code := alice.run("", append([]string{"auth", "can-i"}, tt.args...)...)
		assert.Equal(t, tt.wantCode, code, "%v: %s", tt.args, errOut)
		assert.Equal(t, tt.wantOut, out, "%v", tt.args)
	}

	out, errOut, code = alice.run("", "run", "web", "--image=nginx")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "pod/web created\n", out)

	_, errOut, code = alice.run("", "get", "pods", "-n", "bob")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "bob"`)

	_, errOut, code = alice.run("", "get", "nodes")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `Error from server (Forbidden): nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`)

	out, errOut, code = inst.run("", "get", "rolebindings", "-n", "alice", "-o", "custom-columns=NAME:.metadata.name,ROLE:.roleRef.name,USER:.subjects[0].name", "--no-headers")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "alice-edit   edit   alice\n", out)
	out, errOut, code = inst.run("", "auth", "can-i", "delete", "nodes")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "yes\n", out)
	out, errOut, code = inst.run("", "get", "pods", "-n", "alice", "-o", "name")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "pod/web\n", out)

	// A certificate for "instructor" in kubeadm:cluster-admins, from a CA
	// of its own: 401. (Without any credentials kubectl asks for a user
	// name and password on the terminal; the serve package's tests send
	// that anonymous request and get the same 401.)
	forged := newKubectl(t, s)
	forged.kubeconfig = forgedKubeconfig(t, srv)
	_, errOut, code = forged.run("", "get", "nodes")
	assert.Equal(t, 1, code)
	// Discovery is refused first, so kubectl words it as for a real
	// cluster's expired or foreign certificate.
	assert.Contains(t, errOut, "error: You must be logged in to the server (the server has asked for the client to provide credentials)")

	// The audit log names each request's user, verb, object and code;
	// stopping the server waits for the last line.
	stop()
	require.NoError(t, logFile.Sync())
	b, err := os.ReadFile(logFile.Name())
	require.NoError(t, err)
	var sawForbidden, sawCreate bool
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev serve.AuditEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), sc.Text())
		assert.Equal(t, "audit.k8s.io/v1", ev.APIVersion)
		assert.NotZero(t, ev.ResponseStatus.Code, sc.Text())
		assert.Contains(t, ev.UserAgent, "kubectl", sc.Text())
		if ev.User.Username == "alice" && ev.Verb == "list" && ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" && ev.ObjectRef.Namespace == "bob" {
			sawForbidden = ev.ResponseStatus.Code == 403
		}
		if ev.User.Username == "alice" && ev.Verb == "create" && ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" && ev.ObjectRef.Namespace == "alice" {
			sawCreate = ev.ResponseStatus.Code == 201
		}
	}
	assert.True(t, sawForbidden, "alice's list of bob's pods, 403")
	assert.True(t, sawCreate, "alice's pod, 201")
}

// forgedKubeconfig trusts the server and authenticates with a
// certificate of the instructor's name and group that the run's CA did
// not sign.
func forgedKubeconfig(t *testing.T, srv *serve.Server) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "instructor", Organization: []string{"kubeadm:cluster-admins"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "forged.kubeconfig")
	kc := serve.CertKubeconfig(srv.URL(), srv.CA(), "instructor", "default",
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, os.WriteFile(p, kc, 0o600))
	return p
}

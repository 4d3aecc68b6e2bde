package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is an audit log the test reads while the server writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// certRequest sends one request with a client certificate (nil: none)
// and no token, trusting the server's CA.
func certRequest(t *testing.T, srv *Server, cert *tls.Certificate, method, path, body string) (int, string) {
	t.Helper()
	code, b, _ := certRequestAudited(t, srv, cert, method, path, body, "")
	return code, b
}

// certRequestAudited is certRequest, with a bearer token if one is given,
// returning the response's Audit-Id too.
func certRequestAudited(t *testing.T, srv *Server, cert *tls.Certificate, method, path, body, token string) (int, string, string) {
	t.Helper()
	cfg := &tls.Config{RootCAs: CAPool(srv.CA())}
	if cert != nil {
		// Present the certificate whatever CA the server asks for, as
		// client-go does.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "classroom-test")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: cfg}}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b), res.Header.Get("Audit-Id")
}

func userCert(t *testing.T, srv *Server, user string) *tls.Certificate {
	t.Helper()
	certPEM, keyPEM, ok := srv.ClientCertificate(user)
	require.True(t, ok, user)
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	return &c
}

// foreignCert is a certificate for user signed by a CA the server does
// not know.
func foreignCert(t *testing.T, user string, groups ...string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: user, Organization: groups},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	c, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)
	return &c
}

func podJSON(name string) string {
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}`
}

const unauthorizedBody = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`

func TestClassroom(t *testing.T) {
	audit := &lockedBuffer{}
	srv, stop := startServer(t, Config{Paused: true, Users: []string{"alice", "bob"}, AuditLog: audit})
	defer stop()
	alice, bob, inst := userCert(t, srv, "alice"), userCert(t, srv, "bob"), userCert(t, srv, "instructor")
	assert.Equal(t, []string{"instructor", "alice", "bob"}, srv.Users())

	type call struct {
		name         string
		cert         *tls.Certificate
		method, path string
		body         string
		wantCode     int
		wantBody     string // a substring, or the whole body for 401s
		// what the audit line says
		wantUser, wantVerb, wantResource, wantNamespace, wantName string
	}
	calls := []call{
		{"alice creates in her namespace", alice, "POST", "/api/v1/namespaces/alice/pods", podJSON("web"), 201, `"name":"web"`, "alice", "create", "pods", "alice", ""},
		{"alice lists her pods", alice, "GET", "/api/v1/namespaces/alice/pods", "", 200, `"web"`, "alice", "list", "pods", "alice", ""},
		{"alice is forbidden in bob's namespace", alice, "GET", "/api/v1/namespaces/bob/pods", "", 403,
			`"message":"pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"bob\""`, "alice", "list", "pods", "bob", ""},
		{"alice cannot create in bob's namespace", alice, "POST", "/api/v1/namespaces/bob/pods", podJSON("intruder"), 403,
			`User \"alice\" cannot create resource \"pods\" in API group \"\" in the namespace \"bob\"`, "alice", "create", "pods", "bob", ""},
		{"alice cannot list nodes", alice, "GET", "/api/v1/nodes", "", 403, `User \"alice\" cannot list resource \"nodes\" in API group \"\" at the cluster scope`, "alice", "list", "nodes", "", ""},
		{"alice cannot delete a node", alice, "DELETE", "/api/v1/nodes/worker-1", "", 403, `cannot delete resource \"nodes\"`, "alice", "delete", "nodes", "", "worker-1"},
		{"alice cannot grant herself more", alice, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"mine"},"subjects":[{"kind":"User","name":"alice"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}}`,
			403, `cannot create resource \"rolebindings\" in API group \"rbac.authorization.k8s.io\" in the namespace \"alice\"`, "alice", "create", "rolebindings", "alice", ""},
		{"bob reads his own", bob, "GET", "/api/v1/namespaces/bob/pods", "", 200, `"items":[]`, "bob", "list", "pods", "bob", ""},
		{"the instructor lists nodes", inst, "GET", "/api/v1/nodes", "", 200, `"worker-1"`, "instructor", "list", "nodes", "", ""},
		{"the instructor creates in bob's namespace", inst, "POST", "/api/v1/namespaces/bob/pods", podJSON("demo"), 201, `"name":"demo"`, "instructor", "create", "pods", "bob", ""},
		{"the instructor deletes a node", inst, "DELETE", "/api/v1/nodes/worker-2", "", 200, `"worker-2"`, "instructor", "delete", "nodes", "", "worker-2"},
		{"the RoleBinding is a real object", inst, "GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings/alice-edit", "", 200,
			`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}`, "instructor", "get", "rolebindings", "alice", "alice-edit"},
		{"anonymous is refused", nil, "GET", "/api/v1/namespaces/alice/pods", "", 401, unauthorizedBody, "", "list", "pods", "alice", ""},
		{"anonymous is refused discovery too", nil, "GET", "/version", "", 401, unauthorizedBody, "", "get", "", "", ""},
		{"the served token is no credential in a classroom", nil, "GET", "/api/v1/nodes", "", 401, unauthorizedBody, "", "list", "nodes", "", ""},
		{"a certificate of another CA is refused", foreignCert(t, "instructor", "kubeadm:cluster-admins"), "GET", "/api/v1/nodes", "", 401, unauthorizedBody, "", "list", "nodes", "", ""},
	}
	ids := make([]string, len(calls))
	for i, c := range calls {
		token := ""
		if strings.HasPrefix(c.name, "the served token") {
			token = srv.BearerToken()
		}
		code, body, id := certRequestAudited(t, srv, c.cert, c.method, c.path, c.body, token)
		ids[i] = id
		assert.Equal(t, c.wantCode, code, "%s: %s", c.name, body)
		if c.wantCode == 401 {
			assert.JSONEq(t, c.wantBody, body, c.name)
		} else {
			assert.Contains(t, body, c.wantBody, c.name)
		}
	}

	// A response may reach the client before its audit line is written:
	// match lines to requests by the Audit-Id the response named.
	lines := strings.Split(strings.TrimSpace(audit.String()), "\n")
	require.Len(t, lines, len(calls), "one audit line per request")
	byID := map[string]string{}
	for _, line := range lines {
		var ev AuditEvent
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&ev), line)
		byID[ev.AuditID] = line
	}
	for i, c := range calls {
		line, ok := byID[ids[i]]
		require.True(t, ok, "%s: an audit line with the response's Audit-Id %q", c.name, ids[i])
		var ev AuditEvent
		require.NoError(t, json.Unmarshal([]byte(line), &ev))
		assert.Equal(t, "Event", ev.Kind, c.name)
		assert.Equal(t, "audit.k8s.io/v1", ev.APIVersion, c.name)
		assert.Equal(t, "Metadata", ev.Level, c.name)
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, ev.AuditID, c.name)
		assert.Equal(t, c.path, ev.RequestURI, c.name)
		assert.Equal(t, c.wantVerb, ev.Verb, c.name)
		assert.Equal(t, c.wantUser, ev.User.Username, c.name)
		assert.Equal(t, []string{"127.0.0.1"}, ev.SourceIPs, c.name)
		assert.Equal(t, "classroom-test", ev.UserAgent, c.name)
		require.NotNil(t, ev.ResponseStatus, c.name)
		assert.Equal(t, c.wantCode, ev.ResponseStatus.Code, c.name)
		if c.wantResource == "" {
			assert.Nil(t, ev.ObjectRef, c.name)
		} else {
			require.NotNil(t, ev.ObjectRef, c.name)
			assert.Equal(t, c.wantResource, ev.ObjectRef.Resource, c.name)
			assert.Equal(t, c.wantNamespace, ev.ObjectRef.Namespace, c.name)
			assert.Equal(t, c.wantName, ev.ObjectRef.Name, c.name)
		}
		switch c.wantCode {
		case 401:
			assert.Equal(t, StageResponseStarted, ev.Stage, c.name)
			assert.Empty(t, ev.User.Groups, c.name)
			assert.True(t, strings.HasPrefix(ev.ResponseStatus.Message, "Authentication failed, "), c.name)
		case 403:
			assert.Equal(t, StageResponseComplete, ev.Stage, c.name)
			assert.Equal(t, "Forbidden", ev.ResponseStatus.Reason, c.name)
			assert.Equal(t, "Failure", ev.ResponseStatus.Status, c.name)
		default:
			assert.Equal(t, StageResponseComplete, ev.Stage, c.name)
			assert.Empty(t, ev.ResponseStatus.Message, c.name)
		}
		if c.wantUser == "alice" {
			assert.Equal(t, []string{GroupTrainees, "system:authenticated"}, ev.User.Groups)
		}
		if c.wantUser == "instructor" {
			assert.Equal(t, []string{"kubeadm:cluster-admins", "system:authenticated"}, ev.User.Groups)
		}
		for _, ts := range []string{ev.RequestReceivedTimestamp, ev.StageTimestamp} {
			_, err := time.Parse(auditTime, ts)
			assert.NoError(t, err, c.name)
		}
	}
	last := len(calls) - 1
	assert.Contains(t, byID[ids[last]], `"message":"Authentication failed, attempted: x509"`)
	assert.Contains(t, byID[ids[last-1]], `"message":"Authentication failed, attempted: bearer"`)
	assert.Contains(t, byID[ids[last-2]], `"message":"Authentication failed, no credentials provided"`)
}

func TestClassroomImpersonationIsAudited(t *testing.T) {
	audit := &lockedBuffer{}
	srv, stop := startServer(t, Config{Paused: true, Users: []string{"alice"}, AuditLog: audit})
	defer stop()
	cfg := &tls.Config{RootCAs: CAPool(srv.CA()), Certificates: []tls.Certificate{*userCert(t, srv, "instructor")}}
	req, err := http.NewRequest("GET", srv.URL()+"/api/v1/namespaces/alice/pods", nil)
	require.NoError(t, err)
	req.Header.Set("Impersonate-User", "alice")
	req.Header.Set("Impersonate-Group", GroupTrainees)
	res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: cfg}}).Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode, "the instructor may act as alice")
	assert.NotEmpty(t, res.Header.Get("Audit-Id"), "the response names its audit ID")
	// The line is written as the handler returns, maybe after the client
	// has read the response.
	require.Eventually(t, func() bool { return strings.HasSuffix(audit.String(), "\n") }, 10*time.Second, 5*time.Millisecond)
	var ev AuditEvent
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(audit.String())), &ev))
	assert.Equal(t, "instructor", ev.User.Username)
	require.NotNil(t, ev.ImpersonatedUser)
	assert.Equal(t, AuditUser{Username: "alice", Groups: []string{GroupTrainees}}, *ev.ImpersonatedUser)
	assert.Equal(t, res.Header.Get("Audit-Id"), ev.AuditID)
}

func TestClassroomWritesKubeconfigs(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true, Users: []string{"alice", "bob"}, Instructor: "carol"})
	defer stop()
	dir := filepath.Join(t.TempDir(), "class")
	paths, err := srv.WriteKubeconfigs(dir)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "carol.kubeconfig"), filepath.Join(dir, "alice.kubeconfig"), filepath.Join(dir, "bob.kubeconfig")}, paths)
	b, err := os.ReadFile(paths[1])
	require.NoError(t, err)
	kc := string(b)
	assert.Contains(t, kc, "    namespace: alice\n")
	assert.Contains(t, kc, "current-context: alice@kubesim\n")
	assert.Contains(t, kc, "client-certificate-data: ")
	assert.Contains(t, kc, "client-key-data: ")
	assert.NotContains(t, kc, "token:")
	st, err := os.Stat(paths[1])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	certPEM, _, _ := srv.ClientCertificate("alice")
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Equal(t, "alice", cert.Subject.CommonName)
	assert.Equal(t, []string{GroupTrainees}, cert.Subject.Organization)
	_, err = cert.Verify(x509.VerifyOptions{Roots: CAPool(srv.CA()), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err, "signed by the run's CA")

	code, _ := certRequest(t, srv, userCert(t, srv, "carol"), "GET", "/api/v1/nodes", "")
	assert.Equal(t, 200, code, "the instructor is named carol")
	_, _, ok := srv.ClientCertificate("instructor")
	assert.False(t, ok)
}

func TestClassroomRefusesBadUsers(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	tests := []struct {
		users      []string
		instructor string
		wantErr    string
	}{
		{[]string{"Alice"}, "", `serve: user "Alice": a trainee's name is its namespace's name, and a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{[]string{"alice", ""}, "", `serve: users[1] is empty: expected a user name`},
		{[]string{"alice", "alice"}, "", `serve: user "alice" is listed twice`},
		{[]string{"kube-system"}, "", `serve: user "kube-system": the namespace "kube-system" belongs to the cluster; choose another name`},
		{[]string{"default"}, "", `serve: user "default": the namespace "default" belongs to the cluster; choose another name`},
		{[]string{"alice"}, "alice", `serve: "alice" is both a trainee and the instructor`},
		{[]string{"alice"}, "system:admin", `serve: instructor "system:admin": expected a user name without spaces or commas, not in system:`},
	}
	for _, tt := range tests {
		_, err := New(Config{Cluster: c, Users: tt.users, Instructor: tt.instructor})
		assert.EqualError(t, err, tt.wantErr, "%q", tt.users)
	}
}

func TestClassroomMayListenBeyondLoopback(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	_, err = New(Config{Cluster: c, Listen: "0.0.0.0:0"})
	assert.Error(t, err, "one admin token stays on loopback")
	_, err = New(Config{Cluster: c, Listen: "0.0.0.0:0", Users: []string{"alice"}})
	assert.NoError(t, err, "certificates authenticate a classroom")
}

// TestAuditLogIsOutOfBand: the same classroom, the same requests, with
// and without an audit log, give the same trace.
func TestAuditLogIsOutOfBand(t *testing.T) {
	run := func(audit io.Writer) (string, int) {
		h := sha256.New()
		n := 0
		c, err := cluster.New(cluster.Config{Seed: 7, Options: []sim.Option{sim.WithTraceSink(func(r sim.Record) {
			io.WriteString(h, r.Text()+"\n")
			n++
		})}})
		require.NoError(t, err)
		srv, err := New(Config{Cluster: c, Paused: true, Users: []string{"alice", "bob"}, AuditLog: audit})
		require.NoError(t, err)
		require.NoError(t, srv.Listen())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		alice := userCert(t, srv, "alice")
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/v1/namespaces/alice/pods", podJSON("web")},
			{"GET", "/api/v1/namespaces/bob/pods", ""},
			{"GET", "/api/v1/namespaces/alice/pods/web", ""},
			{"DELETE", "/api/v1/namespaces/alice/pods/web", ""},
		} {
			certRequest(t, srv, alice, r.method, r.path, r.body)
		}
		certRequest(t, srv, nil, "GET", "/api/v1/nodes", "")
		require.NoError(t, srv.Advance(context.Background(), 5*time.Second))
		cancel()
		require.NoError(t, <-done)
		return hex.EncodeToString(h.Sum(nil)), n
	}
	audit := &lockedBuffer{}
	with, n := run(audit)
	without, _ := run(nil)
	assert.Equal(t, without, with)
	assert.Greater(t, n, 100, "the trace has the run in it")
	sc := bufio.NewScanner(strings.NewReader(audit.String()))
	lines := 0
	for sc.Scan() {
		lines++
	}
	assert.Equal(t, 5, lines, "and the audit log its requests")
}

// TestTraineeReadsOwnNamespaceOnly: the edit role bound in alice's
// namespace lets her read the Namespace object itself (RBAC sees it in
// itself), not delete it, and not read bob's.
func TestTraineeReadsOwnNamespaceOnly(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true, Users: []string{"alice", "bob"}})
	defer stop()
	alice := userCert(t, srv, "alice")
	code, body := certRequest(t, srv, alice, "GET", "/api/v1/namespaces/alice", "")
	assert.Equal(t, 200, code, body)
	code, body = certRequest(t, srv, alice, "GET", "/api/v1/namespaces/bob", "")
	assert.Equal(t, 403, code, body)
	assert.Contains(t, body, `namespaces \"bob\" is forbidden: User \"alice\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"bob\"`)
	code, body = certRequest(t, srv, alice, "DELETE", "/api/v1/namespaces/alice", "")
	assert.Equal(t, 403, code, body)
	code, body = certRequest(t, srv, alice, "GET", "/api/v1/namespaces", "")
	assert.Equal(t, 403, code, body)
	assert.Contains(t, body, `cannot list resource \"namespaces\" in API group \"\" at the cluster scope`)
}

// The classroom's namespaces are inputs of the run like any request:
// travelling back replays them, so the past has alice's namespace after
// the setup and not before.
func TestPromptTravelsThroughAClassroom(t *testing.T) {
	boot := func(adjust func(*cluster.Config)) (*cluster.Cluster, error) {
		cfg := cluster.Config{Seed: 1}
		adjust(&cfg)
		return cluster.New(cfg)
	}
	c, err := boot(func(*cluster.Config) {})
	require.NoError(t, err)
	srv, err := New(Config{Cluster: c, Boot: boot, Paused: true, Users: []string{"alice"}})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	code, body := certRequest(t, srv, userCert(t, srv, "alice"), "POST", "/api/v1/namespaces/alice/pods", podJSON("web"))
	require.Equal(t, 201, code, body)

	var last uint64
	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) { last = c.K.Trace().Total() }))
	var out bytes.Buffer
	require.NoError(t, srv.Prompt(ctx, strings.NewReader("goto #1\nget rolebindings -n alice\ngoto #"+itoa(last)+"\nget rolebindings -n alice\nget pods -n alice\nlive\n"), &out, "en"))
	parts := strings.SplitN(out.String(), "(in the past at #"+itoa(last), 2)
	require.Len(t, parts, 2, out.String())
	assert.Contains(t, parts[0], "No resources found in alice namespace.", "before the setup alice has nothing")
	assert.Regexp(t, `alice-edit\s+ClusterRole/edit`, parts[1], "the replayed setup made the RoleBinding")
	assert.Regexp(t, `web\s+0/1\s+Pending`, parts[1], "and alice's request her pod")
}

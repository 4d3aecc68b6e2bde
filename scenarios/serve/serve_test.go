package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// httpClient keeps no idle connections, so no goroutine outlives a test.
// It trusts the CA of every server startServer started and, unless the
// request says otherwise, carries that server's kubeconfig token.
var httpClient = &http.Client{Transport: adminTransport{}}

var (
	servedMu sync.Mutex
	served   = map[string]*Server{} // by address
)

func register(srv *Server) {
	servedMu.Lock()
	defer servedMu.Unlock()
	served[srv.Addr()] = srv
}

// anonymous marks a request that must carry no credentials.
const anonymous = "X-Test-Anonymous"

type adminTransport struct{}

func (adminTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	servedMu.Lock()
	srv := served[req.URL.Host]
	servedMu.Unlock()
	if srv == nil {
		return nil, fmt.Errorf("no test server at %s", req.URL.Host)
	}
	req = req.Clone(req.Context())
	if req.Header.Get(anonymous) != "" {
		req.Header.Del(anonymous)
	} else if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+srv.BearerToken())
	}
	t := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: CAPool(srv.CA())}}
	return t.RoundTrip(req)
}

func do(t *testing.T, method, url, accept, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := httpClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

// kubectlSession is a fixed sequence of kubectl-like requests.
func kubectlSession(t *testing.T, srv *Server) {
	base := srv.URL()
	code, body := do(t, "GET", base+"/api/v1/nodes?limit=500", tableAccept, "", "")
	require.Equal(t, 200, code, body)
	code, body = do(t, "POST", base+"/api/v1/namespaces/default/pods?fieldManager=kubectl-create&fieldValidation=Strict", "application/json", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default"},"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}`)
	require.Equal(t, 201, code, body)
	require.NoError(t, srv.Advance(context.Background(), 5*time.Second))
	code, body = do(t, "GET", base+"/api/v1/namespaces/default/pods?limit=500", tableAccept, "", "")
	require.Equal(t, 200, code, body)
	code, body = do(t, "DELETE", base+"/api/v1/namespaces/default/pods/web-1", "application/json", "application/json", `{"propagationPolicy":"Background"}`)
	require.Equal(t, 200, code, body)
}

func sessionTrace(t *testing.T) string {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	var mark uint64
	require.NoError(t, srv.Do(context.Background(), func(c *cluster.Cluster) { mark = c.K.Trace().Total() }))
	kubectlSession(t, srv)
	var buf bytes.Buffer
	require.NoError(t, srv.Do(context.Background(), func(c *cluster.Cluster) { sim.WriteText(&buf, c.K.Trace().Since(mark)) }))
	return buf.String()
}

func TestSameRequestsSameTrace(t *testing.T) {
	first := sessionTrace(t)
	assert.Contains(t, first, "kubectl -> kube-apiserver-cp-1 request: GET /api/v1/nodes\n")
	assert.Contains(t, first, "kubectl -> kube-apiserver-cp-1 request: POST /api/v1/namespaces/default/pods (web-1)\n")
	assert.Contains(t, first, "kubectl -> kube-apiserver-cp-1 request: DELETE /api/v1/namespaces/default/pods/web-1\n")
	assert.Contains(t, first, "kube-apiserver-cp-1 (authz): RBAC: allowed by")
	assert.Equal(t, first, sessionTrace(t))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	assert.Equal(t, first, sessionTrace(t), "GOMAXPROCS=1")
	runtime.GOMAXPROCS(4)
	assert.Equal(t, first, sessionTrace(t), "GOMAXPROCS=4")
}

func TestWatchStreamsTableRows(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	// Let kube-scheduler win its election first.
	require.NoError(t, srv.Advance(context.Background(), 10*time.Second))
	code, body := do(t, "GET", srv.URL()+"/api/v1/namespaces/default/pods?limit=500", tableAccept, "", "")
	require.Equal(t, 200, code)
	var list struct {
		Metadata struct{ ResourceVersion string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/api/v1/namespaces/default/pods?watch=true&resourceVersion="+list.Metadata.ResourceVersion, nil)
	req.Header.Set("Accept", tableAccept)
	res, err := httpClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))

	code, body = do(t, "POST", srv.URL()+"/api/v1/namespaces/default/pods", "", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-2"},"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}`)
	require.Equal(t, 201, code, body)
	// Paused: the watch event travels once time moves.
	require.NoError(t, srv.Advance(ctx, 10*time.Millisecond))

	events := bufio.NewScanner(res.Body)
	require.True(t, events.Scan())
	var ev struct {
		Type   string
		Object struct {
			Kind              string
			ColumnDefinitions []struct{ Name string }
			Rows              []struct {
				Cells  []any
				Object struct{ Kind string }
			}
		}
	}
	require.NoError(t, json.Unmarshal(events.Bytes(), &ev), events.Text())
	assert.Equal(t, "ADDED", ev.Type)
	assert.Equal(t, "Table", ev.Object.Kind)
	require.Len(t, ev.Object.Rows, 1)
	assert.Equal(t, []any{"web-2", "0/1", "Pending", "0", "0s", "<none>", "<none>", "<none>", "<none>"}, ev.Object.Rows[0].Cells)
	assert.Equal(t, "PartialObjectMetadata", ev.Object.Rows[0].Object.Kind)
	assert.Len(t, ev.Object.ColumnDefinitions, 9, "the first event names the columns")

	// Time moves only from the prompt: the scheduler binds the pod.
	require.NoError(t, srv.Advance(ctx, 2*time.Second))
	require.True(t, events.Scan())
	ev.Object.ColumnDefinitions = nil
	require.NoError(t, json.Unmarshal(events.Bytes(), &ev))
	assert.Equal(t, "MODIFIED", ev.Type)
	assert.Empty(t, ev.Object.ColumnDefinitions)
}

func TestPrompt(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	var out bytes.Buffer
	before := srv.Now()
	in := strings.NewReader("time\nadvance 30s\nstep 2\nspeed 5\nbogus\nadvance soon\nhelp\ntrace 1\nget nodes\nquit\ntime\n")
	require.NoError(t, srv.Prompt(context.Background(), in, &out, "en"))
	text := out.String()
	assert.Contains(t, text, ", paused\n")
	assert.Contains(t, text, "advanced to ")
	assert.Contains(t, text, `unknown command "bogus"; type help`)
	assert.Contains(t, text, `cannot read "soon" as a duration`)
	assert.Contains(t, text, "advance <duration>")
	assert.Regexp(t, `\nNAME +STATUS +ROLES +AGE +VERSION\ncp-1 +Ready +control-plane `, text, "views answer at the prompt")
	assert.True(t, strings.HasSuffix(text, "stopping the cluster\n"), text)
	assert.Equal(t, 5.0, srv.Speed())
	assert.GreaterOrEqual(t, srv.Now().Sub(before), 30*time.Second)

	out.Reset()
	require.NoError(t, srv.Prompt(context.Background(), strings.NewReader("time\n"), &out, "ko"))
	assert.Contains(t, out.String(), "가상 시간")
}

func TestPacedToTheWallClock(t *testing.T) {
	srv, stop := startServer(t, Config{Speed: 50})
	defer stop()
	start := srv.Now()
	time.Sleep(200 * time.Millisecond)
	// 200 ms at 50x is about 10 s of virtual time.
	assert.Greater(t, srv.Now().Sub(start), 3*time.Second)
	srv.SetPaused(true)
	time.Sleep(30 * time.Millisecond)
	paused := srv.Now()
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, paused, srv.Now())
}

func TestKubeconfig(t *testing.T) {
	got := string(Kubeconfig("https://127.0.0.1:8080", []byte("CA"), "kubernetes-admin", "t0ken"))
	assert.Contains(t, got, "    server: https://127.0.0.1:8080\n    certificate-authority-data: Q0E=\n")
	assert.Contains(t, got, "  user:\n    token: t0ken\n")
	assert.Contains(t, got, "current-context: kubernetes-admin@kubesim\n")
}

package serve

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// send is one raw HTTP request with the given headers (Authorization
// included: the test transport adds the kubeconfig's token only when the
// request has none and is not marked anonymous).
func send(t *testing.T, method, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := httpClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

func TestRequestsAuthenticateFromTheirCredentials(t *testing.T) {
	srv, stop := startServer(t, Config{Paused: true})
	defer stop()
	pods := srv.URL() + "/api/v1/namespaces/default/pods"
	node := srv.URL() + "/api/v1/nodes/worker-2"
	podBody := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}`
	json := map[string]string{"Content-Type": "application/json"}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	podCount := func() int {
		var n int
		require.NoError(t, srv.Do(context.Background(), func(c *cluster.Cluster) {
			items, _, err := c.Admin.List("pods", "default", client.ListOptions{})
			require.NoError(t, err)
			n = len(items)
		}))
		return n
	}

	t.Run("a bogus bearer token is 401 with the real body", func(t *testing.T) {
		for _, auth := range []string{"Bearer bogus", "Bearer " + cluster.AdminToken, "Basic YWRtaW46YWRtaW4=", "Bearer "} {
			code, body := send(t, "POST", pods, with(json, "Authorization", auth), podBody)
			assert.Equal(t, 401, code, auth)
			assert.JSONEq(t, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`, body, auth)
			code, _ = send(t, "GET", srv.URL()+"/api", map[string]string{"Authorization": auth}, "")
			assert.Equal(t, 401, code, "discovery too: %s", auth)
		}
		assert.Equal(t, 0, podCount(), "no pod was created")
	})

	t.Run("a service account token of no account is 401 from kube-apiserver", func(t *testing.T) {
		code, body := send(t, "GET", pods, map[string]string{"Authorization": "Bearer sa-token:default:nobody"}, "")
		assert.Equal(t, 401, code, body)
		assert.Contains(t, body, `"reason":"Unauthorized"`)
	})

	t.Run("no credentials is system:anonymous, whom RBAC forbids", func(t *testing.T) {
		code, body := send(t, "DELETE", node, map[string]string{anonymous: "1"}, "")
		assert.Equal(t, 403, code)
		assert.Contains(t, body, `"message":"nodes \"worker-2\" is forbidden: User \"system:anonymous\" cannot delete resource \"nodes\" in API group \"\" at the cluster scope"`)
		code, body = send(t, "POST", pods, with(json, anonymous, "1"), podBody)
		assert.Equal(t, 403, code, body)
		assert.Equal(t, 0, podCount())
		code, _ = send(t, "GET", node, nil, "")
		assert.Equal(t, 200, code, "the node is still there")
		code, _ = send(t, "GET", srv.URL()+"/version", map[string]string{anonymous: "1"}, "")
		assert.Equal(t, 200, code, "anonymous may read /version")
	})

	t.Run("the kubeconfig's token acts as kubernetes-admin", func(t *testing.T) {
		code, body := send(t, "POST", pods, json, podBody)
		assert.Equal(t, 201, code, body)
		assert.Equal(t, 1, podCount())
	})

	t.Run("impersonation needs the impersonate verb", func(t *testing.T) {
		code, body := send(t, "GET", pods, map[string]string{"Impersonate-User": "system:anonymous"}, "")
		assert.Equal(t, 403, code)
		assert.Contains(t, body, `"message":"pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""`)
		code, body = send(t, "DELETE", node, map[string]string{anonymous: "1", "Impersonate-User": "kubernetes-admin", "Impersonate-Group": "system:masters"}, "")
		assert.Equal(t, 403, code)
		assert.Contains(t, body, `"message":"users \"kubernetes-admin\" is forbidden: User \"system:anonymous\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"`)
		code, body = send(t, "GET", pods, map[string]string{"Impersonate-User": "jane", "Impersonate-Uid": "1"}, "")
		assert.Equal(t, 400, code, body)
		code, _ = send(t, "GET", node, nil, "")
		assert.Equal(t, 200, code, "the node is still there")
	})

	t.Run("a foreign Host or a cross-site Origin is refused", func(t *testing.T) {
		tests := []struct {
			name     string
			header   map[string]string
			wantCode int
		}{
			{"DNS rebinding", map[string]string{"Host": "evil.example:80"}, 403},
			{"another address", map[string]string{"Host": "10.1.2.3"}, 403},
			{"localhost", map[string]string{"Host": "localhost:1234"}, 200},
			{"loopback v6", map[string]string{"Host": "[::1]:1234"}, 200},
			{"page elsewhere", map[string]string{"Origin": "https://evil.example"}, 403},
			{"null origin", map[string]string{"Origin": "null"}, 403},
			{"fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
			{"same origin", map[string]string{"Origin": srv.URL()}, 200},
		}
		for _, tt := range tests {
			code, body := send(t, "GET", pods, tt.header, "")
			assert.Equal(t, tt.wantCode, code, "%s: %s", tt.name, body)
			if tt.wantCode == 403 {
				assert.Contains(t, body, `"reason":"Forbidden"`, tt.name)
			}
		}
	})

	t.Run("plain HTTP gets no answer", func(t *testing.T) {
		res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get("http://" + srv.Addr() + "/api/v1/nodes")
		if err == nil {
			defer res.Body.Close()
			assert.Equal(t, http.StatusBadRequest, res.StatusCode, "Go's TLS server answers plain HTTP with 400")
		}
		_, err = (&http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{}}}).Get(srv.URL() + "/version")
		assert.ErrorContains(t, err, "certificate", "the CA is the run's own")
	})
}

func TestNonLoopbackListenNeedsAcknowledging(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(t, err)
	defer c.Stop()
	_, err = New(Config{Cluster: c, Listen: "0.0.0.0:0"})
	assert.EqualError(t, err, "serve: 0.0.0.0:0 is not a loopback address: other machines could reach the cluster; say so explicitly to listen there")
	_, err = New(Config{Cluster: c, Listen: "[::]:0"})
	assert.Error(t, err)
	_, err = New(Config{Cluster: c, Listen: "localhost:0"})
	assert.NoError(t, err)
	srv, err := New(Config{Cluster: c, Listen: "0.0.0.0:0", AllowNonLoopback: true})
	require.NoError(t, err)
	assert.True(t, srv.hostAllowed("127.0.0.1:1"))
	assert.False(t, srv.hostAllowed("evil.example"))
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:0": true, "127.5.5.5:80": true, "[::1]:0": true, "localhost:8080": true,
		"0.0.0.0:0": false, ":8080": false, "192.168.1.2:80": false, "example.com:80": false} {
		assert.Equal(t, want, IsLoopback(addr), addr)
	}
}

// TestKubectlAuthentication drives the real kubectl: its kubeconfig's
// token acts as kubernetes-admin over TLS, --as is honoured through RBAC,
// and a bogus token is refused.
func TestKubectlAuthentication(t *testing.T) {
	e := newKubectlEnv(t, Config{Paused: true})
	out, errOut, code := e.run("", "get", "nodes")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "worker-2")

	_, errOut, code = e.run("", "--as=system:anonymous", "get", "pods")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `Error from server (Forbidden): pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"`)

	_, errOut, code = e.run("", "--as=jane", "--as-group=developers", "delete", "node", "worker-2")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `Error from server (Forbidden): nodes "worker-2" is forbidden: User "jane" cannot delete resource "nodes" in API group "" at the cluster scope`)

	_, errOut, code = e.run("", "--token=bogus", "get", "pods")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "error: You must be logged in to the server (Unauthorized)")

	out, errOut, code = e.run("", "get", "node", "worker-2", "-o", "name")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "node/worker-2\n", out, "nothing was deleted")
}

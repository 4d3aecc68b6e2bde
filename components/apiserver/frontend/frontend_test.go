package frontend

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var now = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

// fakeBackend answers with canned responses and records what it was sent:
// the tests check the translation, not the apiserver.
type fakeBackend struct {
	mu      sync.Mutex
	reqs    []*apiwire.Request
	answer  func(*apiwire.Request) (*apiwire.Response, error)
	events  chan *apiwire.WatchEvent
	stopped chan struct{}
	logs    []string
	logReq  LogsRequest
}

func (f *fakeBackend) Do(_ context.Context, r *apiwire.Request) (*apiwire.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	if f.answer == nil {
		return &apiwire.Response{Code: 200}, nil
	}
	return f.answer(r)
}

func (f *fakeBackend) Watch(_ context.Context, r *apiwire.Request) (*Watch, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	var once sync.Once
	return &Watch{Events: f.events, Stop: func() { once.Do(func() { close(f.stopped) }) }}, nil
}

func (f *fakeBackend) Logs(_ context.Context, r LogsRequest) ([]string, error) {
	f.logReq = r
	return f.logs, nil
}

func (f *fakeBackend) Now() time.Time { return now }

func (f *fakeBackend) last() *apiwire.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func newServer(t *testing.T, f *fakeBackend) *httptest.Server {
	t.Helper()
	return newServerWith(t, f)
}

func newServerWith(t *testing.T, b Backend) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Config{Backend: b, Token: "admin-token"}))
	t.Cleanup(srv.Close)
	return srv
}

type result struct {
	code        int
	contentType string
	body        string
	header      http.Header
}

func call(t *testing.T, srv *httptest.Server, method, path, accept, contentType, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return result{res.StatusCode, res.Header.Get("Content-Type"), string(b), res.Header}
}

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
const discoveryAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

func pod(name string) *api.Pod {
	return api.SetTypeMeta(&api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "7", CreationTimestamp: api.NewTime(now.Add(-5 * time.Minute)), Labels: map[string]string{"app": "web"}},
		Spec:   api.PodSpec{NodeName: "worker-1", Containers: []api.Container{{Name: "main", Image: "nginx"}}},
		Status: api.PodStatus{Phase: api.PodRunning, PodIP: "10.0.1.5", ContainerStatuses: []api.ContainerStatus{{Name: "main", Ready: true, State: api.ContainerState{Running: &api.ContainerStateRunning{}}}}}})
}

func TestVersionAndHealth(t *testing.T) {
	srv := newServer(t, &fakeBackend{})
	r := call(t, srv, "GET", "/version?timeout=5s", "", "", "")
	assert.Equal(t, 200, r.code)
	assert.Equal(t, "application/json", r.contentType)
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.body), &v))
	assert.Equal(t, "1", v["major"])
	assert.Equal(t, "32", v["minor"])
	for _, p := range []string{"/healthz", "/readyz", "/livez", "/livez/ping"} {
		r := call(t, srv, "GET", p, "", "", "")
		assert.Equal(t, 200, r.code, p)
		assert.Equal(t, "ok", r.body, p)
	}
	r = call(t, srv, "GET", "/nope", "", "", "")
	assert.Equal(t, 404, r.code)
	assert.JSONEq(t, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`, r.body)
}

func TestAggregatedDiscovery(t *testing.T) {
	srv := newServer(t, &fakeBackend{})
	r := call(t, srv, "GET", "/api?timeout=32s", discoveryAccept, "", "")
	require.Equal(t, 200, r.code)
	assert.Equal(t, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", r.contentType)
	var list discoveryList
	require.NoError(t, json.Unmarshal([]byte(r.body), &list))
	require.Len(t, list.Items, 1)
	var pods *discoveryResource
	for i, res := range list.Items[0].Versions[0].Resources {
		if res.Resource == "pods" {
			pods = &list.Items[0].Versions[0].Resources[i]
		}
	}
	require.NotNil(t, pods)
	assert.Equal(t, []string{"po"}, pods.ShortNames)
	assert.Equal(t, "Namespaced", pods.Scope)
	assert.Equal(t, api.GroupVersionKind{Version: "v1", Kind: "Pod"}, pods.ResponseKind)
	assert.Contains(t, pods.Subresources, discoverySubresource{Subresource: "log", ResponseKind: api.GroupVersionKind{Version: "v1", Kind: "Pod"}, Verbs: []string{"get"}})

	r = call(t, srv, "GET", "/apis?timeout=32s", discoveryAccept, "", "")
	require.NoError(t, json.Unmarshal([]byte(r.body), &list))
	var groups []string
	for _, g := range list.Items {
		groups = append(groups, g.Metadata["name"].(string))
	}
	assert.Contains(t, groups, "apps")
	assert.Contains(t, groups, "cilium.io")
}

func TestLegacyDiscovery(t *testing.T) {
	srv := newServer(t, &fakeBackend{})
	r := call(t, srv, "GET", "/api", "application/json", "", "")
	assert.Equal(t, "application/json", r.contentType)
	assert.Contains(t, r.body, `"kind":"APIVersions","serverAddressByClientCIDRs"`)
	r = call(t, srv, "GET", "/apis", "application/json", "", "")
	assert.Contains(t, r.body, `{"name":"apps","preferredVersion":{"groupVersion":"apps/v1","version":"v1"},"versions":[{"groupVersion":"apps/v1","version":"v1"}]}`)
	r = call(t, srv, "GET", "/api/v1", "", "", "")
	var rl struct {
		GroupVersion string
		Resources    []struct {
			Name, Kind string
			ShortNames []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &rl))
	assert.Equal(t, "v1", rl.GroupVersion)
	names := map[string]string{}
	for _, res := range rl.Resources {
		names[res.Name] = res.Kind
	}
	assert.Equal(t, "Pod", names["pods"])
	assert.Equal(t, "Pod", names["pods/log"])
	r = call(t, srv, "GET", "/apis/apps/v1", "", "", "")
	assert.Contains(t, r.body, `"groupVersion":"apps/v1"`)
	assert.Equal(t, 404, call(t, srv, "GET", "/apis/nope/v1", "", "", "").code)
}

func TestOpenAPIv3NamesAPatchPerKind(t *testing.T) {
	srv := newServer(t, &fakeBackend{})
	r := call(t, srv, "GET", "/openapi/v3", "", "", "")
	assert.Contains(t, r.body, `"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1"}`)
	assert.Contains(t, r.body, `"apis/apps/v1":{"serverRelativeURL":"/openapi/v3/apis/apps/v1"}`)
	r = call(t, srv, "GET", "/openapi/v3/apis/apps/v1", "", "", "")
	var doc struct {
		Paths map[string]map[string]struct {
			GVK        map[string]string `json:"x-kubernetes-group-version-kind"`
			Parameters []struct{ Name string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &doc))
	op := doc.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
	assert.Equal(t, map[string]string{"group": "apps", "version": "v1", "kind": "Deployment"}, op.GVK)
	assert.Contains(t, op.Parameters, struct{ Name string }{"fieldValidation"})
	r = call(t, srv, "GET", "/openapi/v2", "", "", "")
	assert.Equal(t, 200, r.code)
	assert.Equal(t, "\x0a\x032.0", r.body[:5])
}

func TestListAsJSONAndTable(t *testing.T) {
	f := &fakeBackend{answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		return &apiwire.Response{Code: 200, Items: []api.Object{pod("web-1")}, ResourceVersion: "42"}, nil
	}}
	srv := newServer(t, f)
	r := call(t, srv, "GET", "/api/v1/namespaces/default/pods?limit=500&labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dworker-1", "application/json", "", "")
	require.Equal(t, 200, r.code, r.body)
	req := f.last()
	assert.Equal(t, &apiwire.Request{Verb: "list", Resource: "pods", Namespace: "default", Token: "admin-token", UserAgent: "kubectl",
		LabelSelector: "app=web", FieldSelector: "spec.nodeName=worker-1", Limit: 500}, req)
	var list api.PodList
	require.NoError(t, json.Unmarshal([]byte(r.body), &list))
	assert.Equal(t, "PodList", list.Kind)
	assert.Equal(t, "42", list.ResourceVersion)
	require.Len(t, list.Items, 1)

	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods?limit=500", tableAccept, "", "")
	var table struct {
		Kind, APIVersion  string
		Metadata          map[string]string
		ColumnDefinitions []struct {
			Name     string
			Priority int
		}
		Rows []struct {
			Cells  []any
			Object struct {
				Kind     string
				Metadata api.ObjectMeta
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &table))
	assert.Equal(t, "Table", table.Kind)
	assert.Equal(t, "meta.k8s.io/v1", table.APIVersion)
	assert.Equal(t, "42", table.Metadata["resourceVersion"])
	require.Len(t, table.ColumnDefinitions, 9)
	assert.Equal(t, "Name", table.ColumnDefinitions[0].Name)
	assert.Equal(t, 1, table.ColumnDefinitions[5].Priority)
	require.Len(t, table.Rows, 1)
	assert.Equal(t, []any{"web-1", "1/1", "Running", "0", "5m", "10.0.1.5", "worker-1", "<none>", "<none>"}, table.Rows[0].Cells)
	assert.Equal(t, "PartialObjectMetadata", table.Rows[0].Object.Kind)
	assert.Equal(t, "default", table.Rows[0].Object.Metadata.Namespace)
}

func TestErrorsPassThroughAsStatus(t *testing.T) {
	f := &fakeBackend{answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		return nil, apierrors.NewNotFound("", "pods", r.Name)
	}}
	srv := newServer(t, f)
	r := call(t, srv, "GET", "/api/v1/namespaces/default/pods/x", "application/json", "", "")
	assert.Equal(t, 404, r.code)
	assert.Equal(t, "application/json", r.contentType)
	assert.JSONEq(t, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}`, r.body)
}

func TestCreateDecodesWithFieldValidation(t *testing.T) {
	f := &fakeBackend{answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		return &apiwire.Response{Code: 201, Object: r.Object}, nil
	}}
	srv := newServer(t, f)
	body := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"app"},"spec":{"containers":[{"name":"main","image":"nginx","imagee":"x"}]}}`
	tests := []struct {
		name, query string
		wantCode    int
		wantWarning string
		wantMessage string
		wantSent    bool
		wantDryRun  bool
		wantManager string
	}{
		{name: "default is Warn", query: "", wantCode: 201, wantWarning: `299 - "unknown field \"spec.containers[0].imagee\""`, wantSent: true, wantManager: "Go-http-client"},
		{name: "Warn", query: "?fieldValidation=Warn&fieldManager=kubectl-create", wantCode: 201, wantWarning: `299 - "unknown field \"spec.containers[0].imagee\""`, wantSent: true, wantManager: "kubectl-create"},
		{name: "Ignore", query: "?fieldValidation=Ignore&dryRun=All", wantCode: 201, wantSent: true, wantDryRun: true, wantManager: "Go-http-client"}, // no fieldManager: the User-Agent's prefix
		{name: "Strict", query: "?fieldValidation=Strict", wantCode: 400, wantMessage: `Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.reqs = nil
			r := call(t, srv, "POST", "/api/v1/namespaces/default/pods"+tt.query, "application/json", "application/json", body)
			assert.Equal(t, tt.wantCode, r.code, r.body)
			assert.Equal(t, tt.wantWarning, r.header.Get("Warning"))
			if tt.wantMessage != "" {
				var st apierrors.Status
				require.NoError(t, json.Unmarshal([]byte(r.body), &st))
				assert.Equal(t, tt.wantMessage, st.Message)
				assert.Equal(t, apierrors.ReasonBadRequest, st.Reason)
			}
			if !tt.wantSent {
				assert.Empty(t, f.reqs, "a refused body must not reach the simulation")
				return
			}
			req := f.last()
			assert.Equal(t, "create", req.Verb)
			assert.Equal(t, "default", req.Namespace)
			assert.Equal(t, tt.wantDryRun, req.DryRun)
			assert.Equal(t, tt.wantManager, req.FieldManager)
			require.IsType(t, &api.Pod{}, req.Object)
			assert.Equal(t, "app", req.Object.GetObjectMeta().Name)
		})
	}
}

func TestCreateAcceptsYAML(t *testing.T) {
	f := &fakeBackend{answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		return &apiwire.Response{Code: 201, Object: r.Object}, nil
	}}
	srv := newServer(t, f)
	r := call(t, srv, "POST", "/api/v1/namespaces", "application/json", "application/yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n")
	require.Equal(t, 201, r.code, r.body)
	assert.Equal(t, "team-a", f.last().Object.GetObjectMeta().Name)
}

func TestPatchTranslation(t *testing.T) {
	f := &fakeBackend{answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		return &apiwire.Response{Code: 200, Object: pod(r.Name)}, nil
	}}
	srv := newServer(t, f)
	patch := `{"metadata":{"labels":{"tier":null}},"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"image":"nginx:1.28","name":"main","imagee":"typo"}]}}`
	r := call(t, srv, "PATCH", "/api/v1/namespaces/default/pods/web-1?fieldManager=kubectl-client-side-apply&fieldValidation=Warn", "application/json", "application/strategic-merge-patch+json", patch)
	require.Equal(t, 200, r.code, r.body)
	assert.Equal(t, `299 - "unknown field \"spec.containers[0].imagee\""`, r.header.Get("Warning"))
	req := f.last()
	assert.Equal(t, apiwire.StrategicMergePatch, req.PatchType)
	assert.Equal(t, "kubectl-client-side-apply", req.FieldManager)
	assert.JSONEq(t, `{"metadata":{"labels":{"tier":null}},"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"image":"nginx:1.28","name":"main"}]}}`, string(req.Patch),
		"the unknown field is dropped, directives and nulls are kept")

	f.reqs = nil
	r = call(t, srv, "PATCH", "/api/v1/namespaces/default/pods/web-1?fieldValidation=Strict", "application/json", "application/merge-patch+json", `{"spec":{"foo":1}}`)
	assert.Equal(t, 400, r.code)
	assert.Contains(t, r.body, `"message":"strict decoding error: unknown field \"spec.foo\""`)
	assert.Empty(t, f.reqs)
}

func TestDeleteOptions(t *testing.T) {
	f := &fakeBackend{answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		cm := api.SetTypeMeta(&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: r.Name, Namespace: r.Namespace, UID: "u-1"}})
		return &apiwire.Response{Code: 200, Object: cm}, nil
	}}
	srv := newServer(t, f)
	r := call(t, srv, "DELETE", "/api/v1/namespaces/default/configmaps/c1?gracePeriodSeconds=0", "application/json", "application/json", `{"propagationPolicy":"Foreground"}`)
	require.Equal(t, 200, r.code, r.body)
	req := f.last()
	assert.Equal(t, "delete", req.Verb)
	assert.Equal(t, "Foreground", req.PropagationPolicy)
	require.NotNil(t, req.GracePeriodSeconds)
	assert.Equal(t, int64(0), *req.GracePeriodSeconds)
	assert.JSONEq(t, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"c1","group":"","kind":"configmaps","uid":"u-1"}}`, r.body)

	r = call(t, srv, "DELETE", "/api/v1/namespaces/default/configmaps/c1", "application/json", "application/json", `{"propagationPolicy":"Background","bogus":1}`)
	assert.Equal(t, 400, r.code)
}

func TestWatchStream(t *testing.T) {
	f := &fakeBackend{events: make(chan *apiwire.WatchEvent, 4), stopped: make(chan struct{})}
	srv := newServer(t, f)
	p := pod("web-2")
	f.events <- &apiwire.WatchEvent{Type: apiwire.Added, Object: p, Resource: "pods"}
	f.events <- &apiwire.WatchEvent{Type: apiwire.Bookmark, Object: p, Resource: "pods"}
	f.events <- &apiwire.WatchEvent{Type: apiwire.Deleted, Object: p, Resource: "pods"}
	f.events <- &apiwire.WatchEvent{Type: apiwire.Error, Err: apierrors.NewResourceExpired("too old resource version: 1 (5)")}

	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/namespaces/default/pods?watch=true&resourceVersion=41&allowWatchBookmarks=true", nil)
	req.Header.Set("Accept", tableAccept)
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, []string{"chunked"}, res.TransferEncoding)
	var lines []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.Len(t, lines, 3, "bookmarks carry no row and are left out of Table watches; the ERROR ends the stream")
	assert.Contains(t, lines[0], `{"type":"ADDED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},"columnDefinitions":[`)
	assert.Contains(t, lines[1], `{"type":"DELETED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},"rows":[{"cells":["web-2",`)
	assert.JSONEq(t, `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}`, lines[2])
	<-f.stopped
	wr := f.last()
	assert.Equal(t, "watch", wr.Verb)
	assert.Equal(t, "41", wr.ResourceVersion)
	assert.False(t, wr.AllowWatchBookmarks)
}

func TestWatchEndsWhenTheClientGoes(t *testing.T) {
	f := &fakeBackend{events: make(chan *apiwire.WatchEvent), stopped: make(chan struct{})}
	srv := newServer(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/pods?watch=1", nil)
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	cancel()
	res.Body.Close()
	select {
	case <-f.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the watch was not stopped when the client went away")
	}
}

func TestLogs(t *testing.T) {
	stamp := func(ago time.Duration, text string) string {
		return now.Add(-ago).Format(time.RFC3339Nano) + " " + text
	}
	f := &fakeBackend{logs: []string{stamp(time.Hour, "one"), stamp(time.Minute, "two"), stamp(time.Second, "three")}, answer: func(r *apiwire.Request) (*apiwire.Response, error) {
		p := pod(r.Name)
		if r.Name == "pending" {
			p.Spec.NodeName = ""
		}
		if r.Name == "two" {
			p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: "side"})
		}
		return &apiwire.Response{Code: 200, Object: p}, nil
	}}
	srv := newServer(t, f)
	r := call(t, srv, "GET", "/api/v1/namespaces/default/pods/web-1/log?tailLines=2&timestamps=true", "", "", "")
	assert.Equal(t, 200, r.code)
	assert.Equal(t, "text/plain", r.contentType)
	assert.Equal(t, stamp(time.Minute, "two")+"\n"+stamp(time.Second, "three")+"\n", r.body)
	assert.Equal(t, LogsRequest{Namespace: "default", Pod: "web-1", Node: "worker-1", Container: "main", Timestamps: true}, f.logReq)
	assert.Equal(t, "log", f.last().Subresource, "pods/log is authorized by the apiserver")

	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/web-1/log", "", "", "")
	assert.Equal(t, "one\ntwo\nthree\n", r.body, "the kubelet's stamps are cut off unless asked for")
	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/web-1/log?sinceSeconds=120", "", "", "")
	assert.Equal(t, "two\nthree\n", r.body, "sinceSeconds counts back from the simulation's now")
	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/web-1/log?sinceTime="+now.Add(-30*time.Second).Format(time.RFC3339), "", "", "")
	assert.Equal(t, "three\n", r.body)
	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/web-1/log?limitBytes=5", "", "", "")
	assert.Equal(t, "one\nt", r.body)
	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/web-1/log?follow=true&tailLines=1", "", "", "")
	assert.Equal(t, "three\n", r.body, "without a LogFollower, follow answers what there is")

	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/pending/log", "", "", "")
	assert.Equal(t, 400, r.code)
	assert.Contains(t, r.body, `"message":"pod pending does not have a host assigned"`)
	r = call(t, srv, "GET", "/api/v1/namespaces/default/pods/two/log", "", "", "")
	assert.Contains(t, r.body, `"message":"a container name must be specified for pod two, choose one of: [main side]"`)
}

func TestPaths(t *testing.T) {
	tests := []struct {
		path                        string
		wantOK                      bool
		wantResource, ns, name, sub string
	}{
		{"/api/v1/pods", true, "pods", "", "", ""},
		{"/api/v1/namespaces/default/pods/web/log", true, "pods", "default", "web", "log"},
		{"/api/v1/namespaces/default", true, "namespaces", "", "default", ""},
		{"/api/v1/namespaces/old/finalize", true, "namespaces", "", "old", "finalize"},
		{"/api/v1/nodes/cp-1/status", true, "nodes", "", "cp-1", "status"},
		{"/apis/apps/v1/namespaces/default/deployments/web/scale", true, "deployments", "default", "web", "scale"},
		{"/api/v2/pods", false, "", "", "", ""},
		{"/api/v1/namespaces/default/pods/web/log/extra", false, "", "", "", ""},
	}
	for _, tt := range tests {
		tg, ok := parsePath(strings.Split(strings.Trim(tt.path, "/"), "/"))
		assert.Equal(t, tt.wantOK, ok, tt.path)
		if ok {
			assert.Equal(t, [4]string{tt.wantResource, tt.ns, tt.name, tt.sub}, [4]string{tg.resource, tg.namespace, tg.name, tg.sub}, tt.path)
		}
	}
}

// streamBackend is a fakeBackend that serves the connect subresources.
type streamBackend struct {
	*fakeBackend
	execs []ExecRequest
}

func (b *streamBackend) Exec(_ context.Context, r ExecRequest, st ExecStreams) error {
	b.execs = append(b.execs, r)
	io.WriteString(st.Stdout, "out\n")
	io.WriteString(st.Stderr, "err\n")
	return &ExitError{Code: 3}
}

func (b *streamBackend) PortForward(context.Context, PortForwardRequest, io.ReadWriter) error {
	return nil
}

func TestConnectRefusals(t *testing.T) {
	answer := func(r *apiwire.Request) (*apiwire.Response, error) {
		p := pod(r.Name)
		switch r.Name {
		case "pending":
			p.Spec.NodeName = ""
		case "two":
			p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: "side"})
		case "waiting":
			p.Status.ContainerStatuses[0].State = api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "ContainerCreating"}}
		}
		return &apiwire.Response{Code: 200, Object: p}, nil
	}
	plain := newServer(t, &fakeBackend{answer: answer})
	r := call(t, plain, "POST", "/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true", "", "", "")
	assert.Equal(t, 404, r.code, "a backend without streams serves no exec")

	sb := &streamBackend{fakeBackend: &fakeBackend{answer: answer}}
	srv := httptest.NewServer(New(Config{Backend: sb}))
	t.Cleanup(srv.Close)
	tests := []struct {
		path, want string
		wantCode   int
	}{
		{"/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true", "Upgrade request required", 400},
		{"/api/v1/namespaces/default/pods/web/exec?stdout=true", "you must specify at least 1 command", 400},
		{"/api/v1/namespaces/default/pods/web/exec?command=true", "you must specify at least one of stdin, stdout, stderr", 400},
		{"/api/v1/namespaces/default/pods/pending/exec?command=true&stdout=true", "pod pending does not have a host assigned", 400},
		{"/api/v1/namespaces/default/pods/two/exec?command=true&stdout=true", "a container name must be specified for pod two, choose one of: [main side]", 400},
		{"/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true&container=nope", "container nope is not valid for pod web", 400},
		{"/api/v1/namespaces/default/pods/waiting/exec?command=true&stdout=true", `container not found (\"main\")`, 500},
		{"/api/v1/namespaces/default/pods/web/portforward", "Upgrade request required", 400},
	}
	for _, tt := range tests {
		r := call(t, srv, "POST", tt.path, "", "", "")
		assert.Equal(t, tt.wantCode, r.code, tt.path)
		assert.Contains(t, r.body, tt.want, tt.path)
	}
	last := sb.last()
	assert.Equal(t, [3]string{apiwire.VerbCreate, "pods", "portforward"}, [3]string{last.Verb, last.Resource, last.Subresource},
		"connect subresources are authorized as create")
	assert.Empty(t, sb.execs, "nothing ran")
}

func TestExecStatus(t *testing.T) {
	var b strings.Builder
	writeExecStatus(&b, ExecRequest{Command: []string{"sh", "-c", "exit 3"}}, &ExitError{Code: 3})
	assert.JSONEq(t, `{"metadata":{},"status":"Failure","reason":"NonZeroExitCode",
		"message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
		"details":{"causes":[{"reason":"ExitCode","message":"3"}]}}`, b.String())
	b.Reset()
	writeExecStatus(&b, ExecRequest{}, nil)
	assert.Equal(t, `{"metadata":{},"status":"Success"}`, b.String(), "as the kubelet's streaming server writes it")
}

package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// echoBackend answers every request as a cooperative apiserver would: the
// object sent, or a stored pod, or a list of it; a watch sends one event
// and ends.
type echoBackend struct{}

var fuzzPod = &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
	ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "7", Labels: map[string]string{"app": "web"}},
	Spec:       api.PodSpec{NodeName: "worker-1", Containers: []api.Container{{Name: "main", Image: "nginx"}}}}

func (echoBackend) Do(_ context.Context, r *apiwire.Request) (*apiwire.Response, error) {
	if _, ok := api.ResourceFor(r.Resource); !ok {
		// kube-apiserver's answer to a resource it does not serve.
		return nil, apierrors.NewNotFound("", r.Resource, r.Name).WithMessage("the server could not find the requested resource")
	}
	switch {
	case r.Object != nil:
		return &apiwire.Response{Code: 201, Object: r.Object}, nil
	case r.Verb == apiwire.VerbList && r.Resource == "pods":
		return &apiwire.Response{Code: 200, Items: []api.Object{fuzzPod}, ResourceVersion: "7"}, nil
	case r.Verb == apiwire.VerbList:
		return &apiwire.Response{Code: 200, ResourceVersion: "7"}, nil
	case r.Resource == "pods" && r.Subresource == "":
		return &apiwire.Response{Code: 200, Object: fuzzPod}, nil
	}
	return nil, apierrors.NewNotFound("", r.Resource, r.Name)
}

func (echoBackend) Watch(_ context.Context, r *apiwire.Request) (*Watch, error) {
	if _, ok := api.ResourceFor(r.Resource); !ok {
		return nil, apierrors.NewNotFound("", r.Resource, r.Name).WithMessage("the server could not find the requested resource")
	}
	ch := make(chan *apiwire.WatchEvent, 1)
	if r.Resource == "pods" {
		ch <- &apiwire.WatchEvent{Type: apiwire.Added, Object: fuzzPod, Resource: "pods"}
	}
	close(ch)
	return &Watch{Events: ch, Stop: func() {}}, nil
}

func (echoBackend) Logs(context.Context, LogsRequest) ([]string, error) {
	return []string{"line 1"}, nil
}

func (echoBackend) Now() time.Time { return now }

// FuzzHandler sends arbitrary requests — method, path and query, content
// type, Accept and body — through the whole front end: routing, query
// parameters (selectors, resourceVersion, limit, watch), body decoding of
// every content type, patches, Tables. Every answer is a well-formed
// response: JSON where it says JSON, a Status for an error, never a panic.
func FuzzHandler(f *testing.F) {
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}`
	seeds := []struct{ method, target, contentType, accept, body string }{
		{"GET", "/api/v1/namespaces/default/pods?limit=500", "", tableAccept, ""},
		{"GET", "/api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29&fieldSelector=spec.nodeName%3Dworker-1", "", "application/json", ""},
		{"GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=7&allowWatchBookmarks=true&timeoutSeconds=5", "", tableAccept, ""},
		{"GET", "/api/v1/namespaces/default/pods/web", "", "application/vnd.kubernetes.protobuf,application/json", ""},
		{"GET", "/api/v1/namespaces/default/pods/web/log?container=main&tailLines=5&timestamps=true", "", "", ""},
		{"GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb%2CinvolvedObject.uid%3Dx", "", "", ""},
		{"POST", "/api/v1/namespaces/default/pods?fieldManager=kubectl-create&fieldValidation=Strict", "application/json", "", pod},
		{"POST", "/api/v1/namespaces/default/pods?fieldValidation=Warn", "application/yaml", "", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: nginx, bogus: 1}]}\n"},
		{"POST", "/api/v1/namespaces/default/pods", "application/json", "", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"-1"}}}]}}`},
		{"PUT", "/api/v1/namespaces/default/pods/web", "application/json", "", pod},
		{"PATCH", "/api/v1/namespaces/default/pods/web?dryRun=All", "application/strategic-merge-patch+json", "", `{"metadata":{"labels":{"tier":null}},"spec":{"$setElementOrder/containers":[{"name":"main"}]}}`},
		{"PATCH", "/api/v1/namespaces/default/pods/web", "application/merge-patch+json", "", `{"metadata":{"labels":{"a":"b"}}}`},
		{"PATCH", "/api/v1/namespaces/default/pods/web", "application/json-patch+json", "", `[{"op":"add","path":"/metadata/labels/x","value":"y"}]`},
		{"PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", "application/merge-patch+json", "", `{"spec":{"replicas":3}}`},
		{"DELETE", "/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0", "application/json", "", `{"propagationPolicy":"Foreground"}`},
		{"GET", "/apis", "", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", ""},
		{"GET", "/api/v1", "", "", ""},
		{"GET", "/openapi/v3/apis/apps/v1", "", "", ""},
		{"GET", "/version?timeout=32s", "", "", ""},
		{"GET", "/api/v1/namespaces/%2e%2e/pods/%00", "", "", ""},
		{"POST", "/api/v1/namespaces/default/pods", "application/json", "", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"other"}}`},
		{"POST", "/api/v1/namespaces/default/pods", "application/json", "", `[1,2]`},
		{"GET", "/api/v1/pods?limit=-1&continue=%ff&resourceVersion=99999999999999999999", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.contentType, s.accept, []byte(s.body))
	}
	h := New(Config{Backend: echoBackend{}, Token: "t"})
	f.Fuzz(func(t *testing.T, method, target, contentType, accept string, body []byte) {
		if !validMethod(method) || !strings.HasPrefix(target, "/") {
			return // net/http refuses these before any handler runs
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, bytes.NewReader(body))
		if err != nil {
			return
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, res.StatusCode, rec.Body.String())
		}
		if res.StatusCode >= 400 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			var st apierrors.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Kind != "Status" || int(st.Code) != res.StatusCode {
				t.Fatalf("%s %s: %d with a body that is no Status: %q", method, target, res.StatusCode, rec.Body.String())
			}
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return true
	}
	return false
}

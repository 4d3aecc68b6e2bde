package frontend

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
)

// customBackend is a fakeBackend whose apiserver serves CRDs.
type customBackend struct {
	*fakeBackend
	crds []*api.CustomResourceDefinition
}

func (c *customBackend) CustomResourceDefinitions(context.Context) []*api.CustomResourceDefinition {
	return c.crds
}

func cronTabDefinition() *api.CustomResourceDefinition {
	ten := 10.0
	crd := &api.CustomResourceDefinition{ObjectMeta: api.ObjectMeta{Name: "crontabs.stable.example.com"}}
	crd.Spec = api.CustomResourceDefinitionSpec{Group: "stable.example.com", Scope: api.NamespaceScoped,
		Names: api.CustomResourceDefinitionNames{Plural: "crontabs", Singular: "crontab", Kind: "CronTab", ShortNames: []string{"ct"}, Categories: []string{"all"}},
		Versions: []api.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
			Schema: &api.CustomResourceValidation{OpenAPIV3Schema: &api.JSONSchemaProps{Type: "object", Properties: map[string]api.JSONSchemaProps{
				"spec": {Type: "object", Properties: map[string]api.JSONSchemaProps{"cronSpec": {Type: "string"}, "replicas": {Type: "integer", Maximum: &ten}}},
			}}},
			Subresources: &api.CustomResourceSubresources{Status: &api.CustomResourceSubresourceStatus{}},
			AdditionalPrinterColumns: []api.CustomResourceColumnDefinition{
				{Name: "Spec", Type: "string", JSONPath: ".spec.cronSpec"},
				{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
				{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			}}}}
	crd.Status.AcceptedNames = crd.Spec.Names
	return crd
}

func cronTabObject() *api.CustomResource {
	return &api.CustomResource{TypeMeta: api.TypeMeta{APIVersion: "stable.example.com/v1", Kind: "CronTab"},
		ObjectMeta: api.ObjectMeta{Name: "nightly", Namespace: "default", ResourceVersion: "9", CreationTimestamp: api.NewTime(now.Add(-3 * time.Minute))},
		Content:    map[string]any{"spec": map[string]any{"cronSpec": "0 0 * * *", "replicas": 2.0}}}
}

func TestCustomResourcesOverHTTP(t *testing.T) {
	f := &fakeBackend{}
	cb := &customBackend{fakeBackend: f}
	srv := newServerWith(t, cb)

	// Before the CRD: nothing is served.
	assert.Equal(t, http.StatusNotFound, call(t, srv, "GET", "/apis/stable.example.com/v1/namespaces/default/crontabs", "", "", "").code)
	assert.NotContains(t, call(t, srv, "GET", "/apis", discoveryAccept, "", "").body, "stable.example.com")

	cb.crds = []*api.CustomResourceDefinition{cronTabDefinition()}
	disc := call(t, srv, "GET", "/apis", discoveryAccept, "", "").body
	assert.Contains(t, disc, `"resource":"crontabs","responseKind":{"Group":"stable.example.com","Version":"v1","Kind":"CronTab"},"scope":"Namespaced","singularResource":"crontab"`)
	assert.Contains(t, disc, `"shortNames":["ct"],"categories":["all"],"subresources":[{"subresource":"status"`)
	legacy := call(t, srv, "GET", "/apis/stable.example.com/v1", "", "", "")
	assert.Equal(t, http.StatusOK, legacy.code)
	assert.Contains(t, legacy.body, `"name":"crontabs/status"`)
	root := call(t, srv, "GET", "/openapi/v3", "", "", "").body
	assert.Contains(t, root, `"apis/stable.example.com/v1":{"serverRelativeURL":"/openapi/v3/apis/stable.example.com/v1"}`)
	doc := call(t, srv, "GET", "/openapi/v3/apis/stable.example.com/v1", "", "", "").body
	assert.Contains(t, doc, `"/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}":{"patch"`)
	assert.Contains(t, doc, `"com.example.stable.v1.CronTab":{`)

	// The Table: NAME and the printer columns, typed cells.
	f.answer = func(*apiwire.Request) (*apiwire.Response, error) {
		return &apiwire.Response{Code: 200, ResourceVersion: "9", Items: []api.Object{cronTabObject()}}, nil
	}
	res := call(t, srv, "GET", "/apis/stable.example.com/v1/namespaces/default/crontabs", tableAccept, "", "")
	require.Equal(t, http.StatusOK, res.code, res.body)
	var tbl struct {
		ColumnDefinitions []struct{ Name, Type string } `json:"columnDefinitions"`
		Rows              []struct{ Cells []any }       `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &tbl))
	var cols []string
	for _, c := range tbl.ColumnDefinitions {
		cols = append(cols, c.Name+":"+c.Type)
	}
	assert.Equal(t, []string{"Name:string", "Spec:string", "Replicas:integer", "Age:date"}, cols)
	require.Len(t, tbl.Rows, 1)
	assert.Equal(t, []any{"nightly", "0 0 * * *", 2.0, "3m"}, tbl.Rows[0].Cells)
	assert.Equal(t, "crontabs.stable.example.com", f.last().Resource, "the apiserver is asked for plural.group")
	list := call(t, srv, "GET", "/apis/stable.example.com/v1/namespaces/default/crontabs", "application/json", "", "")
	assert.Contains(t, list.body, `"kind":"CronTabList"`)
	assert.Contains(t, list.body, `"spec":{"cronSpec":"0 0 * * *","replicas":2}`)

	// Bodies: unknown fields fail with Strict and warn otherwise.
	body := `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"nightly"},"spec":{"cronSpec":"x","bogus":1}}`
	strict := call(t, srv, "POST", "/apis/stable.example.com/v1/namespaces/default/crontabs?fieldValidation=Strict", "", "application/json", body)
	assert.Equal(t, http.StatusBadRequest, strict.code)
	assert.Contains(t, strict.body, `CronTab in version \"v1\" cannot be handled as a CronTab: strict decoding error: unknown field \"spec.bogus\"`)
	f.answer = func(r *apiwire.Request) (*apiwire.Response, error) {
		return &apiwire.Response{Code: 201, Object: r.Object}, nil
	}
	warn := call(t, srv, "POST", "/apis/stable.example.com/v1/namespaces/default/crontabs", "", "application/json", body)
	assert.Equal(t, http.StatusCreated, warn.code, warn.body)
	assert.Equal(t, `299 - "unknown field \"spec.bogus\""`, warn.header.Get("Warning"))
	assert.IsType(t, &api.CustomResource{}, f.last().Object)

	// No strategic merge patch for custom resources.
	smp := call(t, srv, "PATCH", "/apis/stable.example.com/v1/namespaces/default/crontabs/nightly", "", "application/strategic-merge-patch+json", `{"spec":{}}`)
	assert.Equal(t, http.StatusUnsupportedMediaType, smp.code)
	assert.Contains(t, smp.body, "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")

	// The CRD gone: its paths are gone too.
	cb.crds = nil
	assert.Equal(t, http.StatusNotFound, call(t, srv, "GET", "/apis/stable.example.com/v1/namespaces/default/crontabs", "", "", "").code)
}

package crdschema

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// cronTabSchema is the schema of the CronTab CRD of the kubernetes/website
// task "Extend the Kubernetes API with CustomResourceDefinitions", with a
// default, bounds and a pattern added to exercise them.
const cronTabSchema = `{
  "type": "object",
  "properties": {
    "spec": {
      "type": "object",
      "required": ["cronSpec"],
      "properties": {
        "cronSpec": {"type": "string", "pattern": "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
        "image": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
        "policy": {"type": "string", "enum": ["Allow", "Forbid"]},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        "tags": {"type": "array", "items": {"type": "string"}}
      }
    }
  }
}`

func schema(t *testing.T) *api.JSONSchemaProps {
	t.Helper()
	var s api.JSONSchemaProps
	require.NoError(t, json.Unmarshal([]byte(cronTabSchema), &s))
	return &s
}

func object(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &m))
	return m
}

func messages(errs []apierrors.FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want []string
	}{
		{name: "valid", obj: `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"x"},"spec":{"cronSpec":"* * * * */5","image":"my-awesome-cron-image","replicas":3}}`},
		{name: "wrong type", obj: `{"spec":{"cronSpec":"* * * * */5","replicas":"string"}}`,
			want: []string{`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`}},
		{name: "missing required", obj: `{"spec":{"image":"x"}}`,
			want: []string{`spec.cronSpec: Required value`}},
		{name: "bounds", obj: `{"spec":{"cronSpec":"* * * * */5","replicas":11}}`,
			want: []string{`spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10`}},
		{name: "minimum", obj: `{"spec":{"cronSpec":"* * * * */5","replicas":0}}`,
			want: []string{`spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1`}},
		{name: "pattern", obj: `{"spec":{"cronSpec":"* * * *"}}`,
			want: []string{`spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'`}},
		{name: "enum", obj: `{"spec":{"cronSpec":"* * * * *","policy":"Maybe"}}`,
			want: []string{`spec.policy: Unsupported value: "Maybe": supported values: "Allow", "Forbid"`}},
		{name: "array items", obj: `{"spec":{"cronSpec":"* * * * *","tags":["a",2]}}`,
			want: []string{`spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"`}},
		{name: "errors in key order", obj: `{"spec":{"replicas":"x","image":5}}`,
			want: []string{
				`spec.cronSpec: Required value`,
				`spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"`,
				`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, messages(Validate(schema(t), object(t, tt.obj))))
		})
	}
}

func TestPrune(t *testing.T) {
	obj := object(t, `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"x"},
		"someRandomField":42,"spec":{"cronSpec":"* * * * *","unknown":true,"extra":{"kept":{"deep":1}}}}`)
	Prune(schema(t), obj)
	assert.Equal(t, object(t, `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"x"},
		"spec":{"cronSpec":"* * * * *","extra":{"kept":{"deep":1}}}}`), obj)
}

func TestDefault(t *testing.T) {
	s := schema(t)
	obj := object(t, `{"spec":{"cronSpec":"* * * * *"}}`)
	Default(s, obj)
	assert.Equal(t, float64(1), obj["spec"].(map[string]any)["replicas"])

	kept := object(t, `{"spec":{"cronSpec":"* * * * *","replicas":4}}`)
	Default(s, kept)
	assert.Equal(t, float64(4), kept["spec"].(map[string]any)["replicas"], "a set value is not overwritten")

	absent := object(t, `{}`)
	Default(s, absent)
	assert.NotContains(t, absent, "spec", "defaults apply only inside objects that are present")
}

func cronTabCRD() *api.CustomResourceDefinition {
	crd := &api.CustomResourceDefinition{}
	crd.Name = "crontabs.stable.example.com"
	crd.Spec = api.CustomResourceDefinitionSpec{
		Group: "stable.example.com",
		Scope: api.NamespaceScoped,
		Names: api.CustomResourceDefinitionNames{Plural: "crontabs", Singular: "crontab", Kind: "CronTab", ShortNames: []string{"ct"}},
		Versions: []api.CustomResourceDefinitionVersion{
			{Name: "v1", Served: true, Storage: true},
		},
	}
	return crd
}

func TestValidateDefinition(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*api.CustomResourceDefinition)
		want   []string
	}{
		{name: "upstream CronTab", mutate: func(*api.CustomResourceDefinition) {}},
		{name: "name", mutate: func(c *api.CustomResourceDefinition) { c.Name = "crontab" },
			want: []string{`metadata.name: Invalid value: "crontab": must be spec.names.plural+"."+spec.group`}},
		{name: "no storage version", mutate: func(c *api.CustomResourceDefinition) {
			c.Spec.Versions = append(c.Spec.Versions, api.CustomResourceDefinitionVersion{Name: "v2", Served: true})
			c.Spec.Versions[0].Storage = false
		}, want: []string{`spec.versions: Invalid value: []string{"v1", "v2"}: must have exactly one version marked as storage version`}},
		{name: "two storage versions", mutate: func(c *api.CustomResourceDefinition) {
			c.Spec.Versions = append(c.Spec.Versions, api.CustomResourceDefinitionVersion{Name: "v2", Served: true, Storage: true})
		}, want: []string{`spec.versions: Invalid value: []string{"v1", "v2"}: must have exactly one version marked as storage version`}},
		{name: "scope", mutate: func(c *api.CustomResourceDefinition) { c.Spec.Scope = "Global" },
			want: []string{`spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"`}},
		{name: "group without dot", mutate: func(c *api.CustomResourceDefinition) { c.Spec.Group = "stable"; c.Name = "crontabs.stable" },
			want: []string{`spec.group: Invalid value: "stable": should be a domain with at least one dot`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crd := cronTabCRD()
			tt.mutate(crd)
			assert.Equal(t, tt.want, messages(ValidateDefinition(crd)))
		})
	}
}

func TestEstablish(t *testing.T) {
	crd := cronTabCRD()
	Establish(crd, api.Time{})
	require.Len(t, crd.Status.Conditions, 2)
	assert.Equal(t, "NoConflicts", crd.Status.Conditions[0].Reason)
	assert.Equal(t, api.CRDEstablished, crd.Status.Conditions[1].Type)
	assert.Equal(t, "InitialNamesAccepted", crd.Status.Conditions[1].Reason)
	assert.Equal(t, "CronTabList", crd.Status.AcceptedNames.ListKind)
	assert.Equal(t, []string{"v1"}, crd.Status.StoredVersions)
}

func TestUnstructuredDeepCopy(t *testing.T) {
	u := api.Unstructured{Object: map[string]any{"spec": map[string]any{"tags": []any{"a"}}}}
	c := api.DeepCopyValue(u)
	c.Object["spec"].(map[string]any)["tags"].([]any)[0] = "b"
	v, ok := u.NestedField("spec", "tags")
	require.True(t, ok)
	assert.Equal(t, []any{"a"}, v, "the copy shares no memory with the original")
}

package apiserver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim/cluster"
)

func cronTabCRD(name string) *api.CustomResourceDefinition {
	crd := &api.CustomResourceDefinition{}
	crd.Name = name
	crd.Spec = api.CustomResourceDefinitionSpec{
		Group: "stable.example.com", Scope: api.NamespaceScoped,
		Names:    api.CustomResourceDefinitionNames{Plural: "crontabs", Singular: "crontab", Kind: "CronTab", ShortNames: []string{"ct"}},
		Versions: []api.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true}},
	}
	return crd
}

func TestCustomResourceDefinitionIsValidated(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(cronTabCRD("crontabs.stable.example.com"))
	require.NoError(t, err)

	_, err = c.Admin.Create(cronTabCRD("crontab"))
	assert.EqualError(t, err, `CustomResourceDefinition.apiextensions.k8s.io "crontab" is invalid: metadata.name: Invalid value: "crontab": must be spec.names.plural+"."+spec.group`)
}

// cronTabWithSchema is the CronTab of the Kubernetes documentation: a
// schema with a pattern, an integer with bounds, a default, and the
// status and scale subresources.
func cronTabWithSchema() *api.CustomResourceDefinition {
	crd := cronTabCRD("crontabs.stable.example.com")
	one, ten := 1.0, 10.0
	crd.Spec.Versions[0].Schema = &api.CustomResourceValidation{OpenAPIV3Schema: &api.JSONSchemaProps{
		Type: "object",
		Properties: map[string]api.JSONSchemaProps{
			"spec": {Type: "object", Properties: map[string]api.JSONSchemaProps{
				"cronSpec": {Type: "string", Pattern: `^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$`},
				"image":    {Type: "string"},
				"replicas": {Type: "integer", Minimum: &one, Maximum: &ten, Default: 1.0},
			}},
			"status": {Type: "object", Properties: map[string]api.JSONSchemaProps{
				"replicas": {Type: "integer"},
			}},
		},
	}}
	crd.Spec.Versions[0].Subresources = &api.CustomResourceSubresources{
		Status: &api.CustomResourceSubresourceStatus{},
		Scale:  &api.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas"},
	}
	return crd
}

func cronTab(name string, spec map[string]any) *api.CustomResource {
	return &api.CustomResource{
		TypeMeta:   api.TypeMeta{APIVersion: "stable.example.com/v1", Kind: "CronTab"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Content:    map[string]any{"spec": spec},
	}
}

func establish(t *testing.T, c *cluster.Cluster, name string) *api.CustomResourceDefinition {
	t.Helper()
	var crd *api.CustomResourceDefinition
	require.True(t, c.WaitFor(func() bool {
		o, err := c.Admin.Get("customresourcedefinitions", "", name)
		if err != nil {
			return false
		}
		crd = o.(*api.CustomResourceDefinition)
		for _, cond := range crd.Status.Conditions {
			if cond.Type == api.CRDEstablished && cond.Status == api.ConditionTrue {
				return true
			}
		}
		return false
	}, 10*time.Second), "CRD %s never Established", name)
	return crd
}

func TestCustomResourceDefinitionIsEstablished(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(cronTabWithSchema())
	require.NoError(t, err)
	crd := establish(t, c, "crontabs.stable.example.com")
	got := map[string]string{}
	for _, cond := range crd.Status.Conditions {
		got[cond.Type] = string(cond.Status) + " " + cond.Reason + ": " + cond.Message
	}
	assert.Equal(t, map[string]string{
		"NamesAccepted": "True NoConflicts: no conflicts found",
		"Established":   "True InitialNamesAccepted: the initial names have been accepted",
	}, got)
	assert.Equal(t, "CronTabList", crd.Status.AcceptedNames.ListKind)
	assert.Equal(t, []string{"ct"}, crd.Status.AcceptedNames.ShortNames)

	// A second CRD of the group that wants the same plural is refused its
	// names and never served.
	clash := cronTabCRD("crontabs2.stable.example.com")
	clash.Spec.Names.Plural, clash.Spec.Names.Kind, clash.Spec.Names.Singular = "crontabs2", "CronTab2", "crontab2"
	clash.Spec.Names.ShortNames = []string{"ct"}
	_, err = c.Admin.Create(clash)
	require.NoError(t, err)
	var names api.CustomResourceDefinitionCondition
	require.True(t, c.WaitFor(func() bool {
		o, err := c.Admin.Get("customresourcedefinitions", "", "crontabs2.stable.example.com")
		require.NoError(t, err)
		for _, cond := range o.(*api.CustomResourceDefinition).Status.Conditions {
			if cond.Type == api.CRDNamesAccepted {
				names = cond
				return true
			}
		}
		return false
	}, 10*time.Second))
	assert.Equal(t, api.ConditionFalse, names.Status)
	assert.Equal(t, "ShortNamesConflict", names.Reason)
	assert.Equal(t, `"ct" is already in use`, names.Message)
	_, _, err = c.Admin.List("crontabs2.stable.example.com", "default", client.ListOptions{})
	assert.True(t, apierrors.IsNotFound(err), "a CRD whose names are not accepted is not served: %v", err)
}

func TestCustomResourcesAreServedWithTheirSchema(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(cronTabWithSchema())
	require.NoError(t, err)
	establish(t, c, "crontabs.stable.example.com")
	const res = "crontabs.stable.example.com"

	ct := cronTab("my-new-cron-object", map[string]any{"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "unknown": "x"})
	out, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: res, Namespace: "default", Object: ct})
	require.NoError(t, err)
	cr := out.Object.(*api.CustomResource)
	assert.Equal(t, map[string]any{"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 1.0}, cr.Content["spec"], "pruned and defaulted")
	assert.Equal(t, int64(1), cr.Generation)
	assert.NotEmpty(t, cr.UID)

	_, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: res, Namespace: "default", Object: cronTab("bad", map[string]any{"cronSpec": 5.0, "replicas": 20.0})})
	assert.EqualError(t, err, `CronTab.stable.example.com "bad" is invalid: [spec.cronSpec: Invalid value: "integer": spec.cronSpec in body must be of type string: "integer", spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10]`)

	got, err := c.Admin.Get(res, "default", "my-new-cron-object")
	require.NoError(t, err)
	assert.Equal(t, "CronTab", got.GetTypeMeta().Kind)
	items, _, err := c.Admin.List(res, "", client.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, items, 1)

	// The status subresource: status is ignored on the main resource,
	// spec on /status; generation follows spec only.
	upd := api.DeepCopy(got.(*api.CustomResource))
	upd.SetNestedField(3.0, "spec", "replicas")
	upd.SetNestedField(map[string]any{"replicas": 9.0}, "status")
	out, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: res, Namespace: "default", Name: upd.Name, Object: upd})
	require.NoError(t, err)
	cr = out.Object.(*api.CustomResource)
	assert.Equal(t, 3.0, cr.Content["spec"].(map[string]any)["replicas"])
	assert.NotContains(t, cr.Content, "status")
	assert.Equal(t, int64(2), cr.Generation)

	st := api.DeepCopy(cr)
	st.SetNestedField(7.0, "spec", "replicas")
	st.SetNestedField(map[string]any{"replicas": 3.0}, "status")
	out, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: res, Subresource: "status", Namespace: "default", Name: st.Name, Object: st})
	require.NoError(t, err)
	cr = out.Object.(*api.CustomResource)
	assert.Equal(t, 3.0, cr.Content["spec"].(map[string]any)["replicas"], "spec kept on /status")
	assert.Equal(t, map[string]any{"replicas": 3.0}, cr.Content["status"])
	assert.Equal(t, int64(2), cr.Generation)

	// A merge patch goes through the schema too.
	_, err = c.Admin.Patch(res, "default", cr.Name, apiwire.MergePatch, []byte(`{"spec":{"replicas":"many"}}`), "")
	assert.EqualError(t, err, `CronTab.stable.example.com "my-new-cron-object" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`)
	out2, err := c.Admin.Patch(res, "default", cr.Name, apiwire.MergePatch, []byte(`{"spec":{"image":"v2"}}`), "")
	require.NoError(t, err)
	assert.Equal(t, "v2", out2.(*api.CustomResource).Content["spec"].(map[string]any)["image"])

	// Deleting the CRD deletes its custom resources first.
	_, err = c.Admin.Delete("customresourcedefinitions", "", "crontabs.stable.example.com", client.DeleteOptions{})
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		_, err := c.Admin.Get("customresourcedefinitions", "", "crontabs.stable.example.com")
		return apierrors.IsNotFound(err)
	}, 30*time.Second), "the CRD is never gone")
	stored, err := c.StoredObjects("crontabs.stable.example.com", "", "")
	assert.NoError(t, err)
	assert.Empty(t, stored)
	_, store := c.Store()
	left, err := store.Range("/registry/stable.example.com/", mvcc.PrefixEnd("/registry/stable.example.com/"), mvcc.RangeOptions{CountOnly: true})
	require.NoError(t, err)
	assert.Zero(t, left.Count, "custom resources left in etcd")
	_, err = c.Admin.Get(res, "default", "my-new-cron-object")
	assert.True(t, apierrors.IsNotFound(err), "%v", err)
}

func TestCustomResourceScaleSubresource(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(cronTabWithSchema())
	require.NoError(t, err)
	establish(t, c, "crontabs.stable.example.com")
	const res = "crontabs.stable.example.com"
	out, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: res, Namespace: "default", Object: cronTab("scaled", map[string]any{"cronSpec": "* * * * */5"})})
	require.NoError(t, err)
	sc := &api.Scale{ObjectMeta: api.ObjectMeta{Name: "scaled", Namespace: "default", ResourceVersion: out.Object.GetObjectMeta().ResourceVersion}}
	sc.Spec.Replicas = 4
	_, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: res, Subresource: "scale", Namespace: "default", Name: "scaled", Object: api.SetTypeMeta(sc)})
	require.NoError(t, err)
	got, err := c.Admin.Get(res, "default", "scaled")
	require.NoError(t, err)
	assert.Equal(t, 4.0, got.(*api.CustomResource).Content["spec"].(map[string]any)["replicas"])

	sc.Spec.Replicas = 11
	sc.ResourceVersion = ""
	_, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: res, Subresource: "scale", Namespace: "default", Name: "scaled", Object: api.SetTypeMeta(sc)})
	assert.EqualError(t, err, `CronTab.stable.example.com "scaled" is invalid: spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10`, "the schema bounds what the scale writes")
}

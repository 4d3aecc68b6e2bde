package apiserver_test

import (
	"strings"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func configMap(name string, data map[string]string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Data: data}
}

func deployment(name string, labels map[string]string) *api.Deployment {
	one := int32(1)
	return &api.Deployment{
		TypeMeta:   api.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DeploymentSpec{Replicas: &one, Selector: &api.LabelSelector{MatchLabels: labels},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: labels}, Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27"}}}}},
	}
}

// TestSizeLimitsOnCreate: each over-size object is refused with the real
// text and nothing is stored.
func TestSizeLimitsOnCreate(t *testing.T) {
	c := boot(t)
	big := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name    string
		obj     api.Object
		wantErr string
	}{
		{"annotations over 256 KiB", func() api.Object {
			cm := configMap("annotated", nil)
			cm.Annotations = map[string]string{"a": big(128 << 10), "b": big(128 << 10)}
			return cm
		}(), `ConfigMap "annotated" is invalid: metadata.annotations: Too long: must have at most 262144 bytes`},
		{"configmap data over 1 MiB", configMap("big", map[string]string{"a": big(1 << 20)}), `ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes`},
		{"secret data over 1 MiB", &api.Secret{TypeMeta: api.TypeMeta{Kind: "Secret", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "big-secret", Namespace: "default"}, Data: map[string][]byte{"a": []byte(big(1 << 20))}},
			`Secret "big-secret" is invalid: data: Too long: must have at most 1048576 bytes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Admin.Create(tc.obj)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			m := tc.obj.GetObjectMeta()
			_, err = c.Admin.Get(strings.ToLower(tc.obj.GetTypeMeta().Kind)+"s", m.Namespace, m.Name)
			assert.True(t, apierrors.IsNotFound(err), "nothing stored: %v", err)
		})
	}
	// At the limit it fits.
	_, err := c.Admin.Create(configMap("fits", map[string]string{"a": big(1<<20 - 1)}))
	assert.NoError(t, err)
}

// TestImmutableFields: each change is refused with the real text and the
// stored object stays as it was.
func TestImmutableFields(t *testing.T) {
	c := boot(t)
	yes := true
	_, err := c.Admin.Create(deployment("web", map[string]string{"app": "web"}))
	require.NoError(t, err)
	frozen := configMap("frozen", map[string]string{"k": "v"})
	frozen.Immutable = &yes
	_, err = c.Admin.Create(frozen)
	require.NoError(t, err)

	for _, tc := range []struct {
		name    string
		change  func() (api.Object, error)
		check   func(t *testing.T)
		wantErr string
	}{
		{"deployment selector", func() (api.Object, error) {
			d, err := client.Get[*api.Deployment](c.Admin, "default", "web")
			require.NoError(t, err)
			d = api.DeepCopy(d)
			d.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "web2"}}
			d.Spec.Template.Labels = map[string]string{"app": "web2"}
			return c.Admin.Update(d)
		}, func(t *testing.T) {
			d, err := client.Get[*api.Deployment](c.Admin, "default", "web")
			require.NoError(t, err)
			assert.Equal(t, "web", d.Spec.Selector.MatchLabels["app"])
		}, `Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable`},
		{"immutable configmap data", func() (api.Object, error) {
			cm, err := client.Get[*api.ConfigMap](c.Admin, "default", "frozen")
			require.NoError(t, err)
			cm = api.DeepCopy(cm)
			cm.Data = map[string]string{"k": "changed"}
			return c.Admin.Update(cm)
		}, func(t *testing.T) {
			cm, err := client.Get[*api.ConfigMap](c.Admin, "default", "frozen")
			require.NoError(t, err)
			assert.Equal(t, "v", cm.Data["k"])
		}, "ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.change()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			tc.check(t)
		})
	}
}

// TestEtcdRequestTooLarge: an object that passes validation but is bigger
// than etcd's --max-request-bytes (1.5 MiB) fails with etcd's own text
// and is not stored.
func TestEtcdRequestTooLarge(t *testing.T) {
	c := boot(t)
	p := pod("huge")
	p.Spec.Containers[0].Env = []api.EnvVar{{Name: "BLOB", Value: strings.Repeat("x", 1600<<10)}}
	_, err := c.Admin.Create(p)
	require.Error(t, err)
	assert.Equal(t, "etcdserver: request is too large", err.Error())
	var se *apierrors.StatusError
	require.ErrorAs(t, err, &se)
	assert.EqualValues(t, 500, se.ErrStatus.Code)
	_, err = c.Admin.Get("pods", "default", "huge")
	assert.True(t, apierrors.IsNotFound(err), "nothing stored: %v", err)
}

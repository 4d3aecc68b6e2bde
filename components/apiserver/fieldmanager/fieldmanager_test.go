package fieldmanager

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestManagerFromUserAgent(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"kubectl/v1.34.0 (linux/amd64) kubernetes/abcdef0", "kubectl"},
		{"kube-controller-manager/v1.34.0 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:deployment-controller", "kube-controller-manager"},
		{"kubelet", "kubelet"},
		{"tab\there/1", "tabhere"},
		{strings.Repeat("x", 200), strings.Repeat("x", 128)},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ManagerFromUserAgent(tt.ua), tt.ua)
	}
}

var t0 = api.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))

func configMap(data map[string]string) *api.ConfigMap {
	return api.SetTypeMeta(&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "c", Namespace: "default"}, Data: data})
}

// TestUpdateEntriesAreCapped: with more than ten Update managers the
// oldest are merged into one "ancient-changes" entry, fields kept.
func TestUpdateEntriesAreCapped(t *testing.T) {
	info, ok := api.ResourceFor("configmaps")
	require.True(t, ok)
	var live api.Object
	data := map[string]string{}
	for i := range 12 {
		data[fmt.Sprintf("k%02d", i)] = "v"
		obj := configMap(map[string]string{})
		for k, v := range data {
			obj.Data[k] = v
		}
		if live != nil {
			obj.ManagedFields = live.GetObjectMeta().ManagedFields
		}
		Update(info, Owner{Manager: fmt.Sprintf("m%02d", i), APIVersion: "v1", Now: api.NewTime(t0.Add(time.Duration(i) * time.Second))}, live, obj)
		live = obj
	}
	var managers []string
	all := ""
	for _, e := range live.GetObjectMeta().ManagedFields {
		managers = append(managers, e.Manager)
		all += string(e.FieldsV1.Raw)
	}
	assert.Len(t, managers, 10)
	assert.Equal(t, ancientChanges, managers[0], "the merged entry carries the newest merged time, so it sorts first")
	assert.NotContains(t, managers, "m00")
	assert.NotContains(t, managers, "m01")
	assert.NotContains(t, managers, "m02")
	for i := range 12 {
		assert.Contains(t, all, fmt.Sprintf(`"f:k%02d":{}`, i), "no field is lost")
	}
}

// TestApplyDropsWhatItNoLongerApplies on a ConfigMap: data keys are a
// granular map.
func TestApplyDropsWhatItNoLongerApplies(t *testing.T) {
	info, _ := api.ResourceFor("configmaps")
	owner := Owner{Manager: "me", APIVersion: "v1", Now: t0}
	first, err := Apply(info, owner, nil, []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default"},"data":{"a":"1","b":"2"}}`), false)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, first.(*api.ConfigMap).Data)
	require.Len(t, first.GetObjectMeta().ManagedFields, 1)
	assert.Equal(t, `{"f:data":{"f:a":{},"f:b":{}}}`, string(first.GetObjectMeta().ManagedFields[0].FieldsV1.Raw))
	second, err := Apply(info, owner, first, []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}`), false)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1"}, second.(*api.ConfigMap).Data)
}

func pod() *api.Pod {
	return api.SetTypeMeta(&api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27", Ports: []api.ContainerPort{{ContainerPort: 80, Protocol: "TCP"}}}},
			RestartPolicy: api.RestartPolicyAlways, SchedulerName: api.DefaultSchedulerName},
	})
}

// BenchmarkUpdatePodStatus is the field manager's share of a kubelet's
// status update: two conversions to typed values, a compare, and the
// encoding of the entries.
func BenchmarkUpdatePodStatus(b *testing.B) {
	info, _ := api.ResourceFor("pods")
	live := pod()
	Update(info, Owner{Manager: "kubectl", APIVersion: "v1", Now: t0}, nil, live)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		obj := api.DeepCopy(live)
		obj.Status.Phase = api.PodRunning
		obj.Status.PodIP = fmt.Sprintf("10.0.0.%d", i%250)
		Update(info, Owner{Manager: "kubelet", Subresource: "status", APIVersion: "v1", Now: t0}, live, obj)
	}
}

// BenchmarkUpdatePodStatusTyped is the same write when kube-apiserver
// kept the live object's typed form from the write that stored it.
func BenchmarkUpdatePodStatusTyped(b *testing.B) {
	info, _ := api.ResourceFor("pods")
	live := pod()
	liveTyped := UpdateTyped(info, Owner{Manager: "kubectl", APIVersion: "v1", Now: t0}, nil, nil, live)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		obj := api.DeepCopy(live)
		obj.Status.Phase = api.PodRunning
		obj.Status.PodIP = fmt.Sprintf("10.0.0.%d", i%250)
		if UpdateTyped(info, Owner{Manager: "kubelet", Subresource: "status", APIVersion: "v1", Now: t0}, live, liveTyped, obj) == nil {
			b.Fatal("update failed")
		}
	}
}

// BenchmarkApplyDeployment is one server-side apply of a small Deployment
// onto its live object.
func BenchmarkApplyDeployment(b *testing.B) {
	info, _ := api.ResourceFor("deployments")
	doc := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}}}`)
	live, err := Apply(info, Owner{Manager: "kubectl", APIVersion: "apps/v1", Now: t0}, nil, doc, false)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(info, Owner{Manager: "kubectl", APIVersion: "apps/v1", Now: t0}, live, doc, false); err != nil {
			b.Fatal(err)
		}
	}
}

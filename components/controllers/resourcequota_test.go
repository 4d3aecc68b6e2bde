package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func quotaPod(name, cpu string) *api.Pod {
	c := api.Container{Name: "nginx", Image: "nginx:1.27"}
	if cpu != "" {
		c.Resources.Requests = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu)}
		c.Resources.Limits = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu)}
	}
	return api.SetTypeMeta(&api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: api.PodSpec{Containers: []api.Container{c}}})
}

// TestResourceQuota: the admission plugin refuses what would exceed a
// quota with the real texts, the controller writes status.hard/used and
// recounts after a delete, and a ReplicaSet reports FailedCreate.
func TestResourceQuota(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewResourceQuotas, controllers.NewReplicaSets)
	e.create(&api.ResourceQuota{TypeMeta: api.TypeMeta{Kind: "ResourceQuota", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "compute-quota", Namespace: "default"},
		Spec: api.ResourceQuotaSpec{Hard: api.ResourceList{
			api.ResourcePods:        api.MustParseQuantity("4"),
			api.ResourceRequestsCPU: api.MustParseQuantity("2"),
			api.ResourceLimitsCPU:   api.MustParseQuantity("2"),
		}}})
	for _, name := range []string{"a", "b", "c"} {
		e.create(quotaPod(name, "600m"))
	}
	_, err := e.Admin.Create(quotaPod("d", "500m"))
	require.Error(t, err)
	assert.True(t, apierrors.IsForbidden(err))
	assert.Equal(t, `pods "d" is forbidden: exceeded quota: compute-quota, requested: limits.cpu=500m,requests.cpu=500m, used: limits.cpu=1800m,requests.cpu=1800m, limited: limits.cpu=2,requests.cpu=2`, err.Error())

	_, err = e.Admin.Create(quotaPod("e", ""))
	require.Error(t, err)
	assert.Equal(t, `pods "e" is forbidden: failed quota: compute-quota: must specify limits.cpu for: nginx; requests.cpu for: nginx`, err.Error())

	e.create(quotaPod("f", "100m"))
	_, err = e.Admin.Create(quotaPod("g", "100m"))
	assert.EqualError(t, err, `pods "g" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=4, limited: pods=4`)

	status := func() map[api.ResourceName]string {
		o, err := e.Admin.Get("resourcequotas", "default", "compute-quota")
		require.NoError(t, err)
		out := map[api.ResourceName]string{}
		for k, v := range o.(*api.ResourceQuota).Status.Used {
			out[k] = v.String()
		}
		return out
	}
	want := map[api.ResourceName]string{"pods": "4", "requests.cpu": "1900m", "limits.cpu": "1900m"}
	e.waitFor("status.used", func() bool { return assert.ObjectsAreEqual(want, status()) }, time.Minute)
	o, err := e.Admin.Get("resourcequotas", "default", "compute-quota")
	require.NoError(t, err)
	assert.Equal(t, "4", o.(*api.ResourceQuota).Status.Hard.Pods().String())

	_, err = e.Admin.Delete("pods", "default", "a", client.DeleteOptions{})
	require.NoError(t, err)
	want = map[api.ResourceName]string{"pods": "3", "requests.cpu": "1300m", "limits.cpu": "1300m"}
	e.waitFor("status.used after a delete", func() bool { return assert.ObjectsAreEqual(want, status()) }, time.Minute)

	// A ReplicaSet whose pods do not fit reports the quota's refusal.
	rs := &api.ReplicaSet{TypeMeta: api.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: quotaPod("", "1").Spec}}}
	e.create(rs)
	e.waitFor("FailedCreate", func() bool {
		for _, ev := range e.events("default") {
			if ev == `replicaset-controller FailedCreate: Error creating: pods "web-" is forbidden: exceeded quota: compute-quota, requested: limits.cpu=1,requests.cpu=1, used: limits.cpu=1300m,requests.cpu=1300m, limited: limits.cpu=2,requests.cpu=2` {
				return true
			}
		}
		return false
	}, time.Minute)
}

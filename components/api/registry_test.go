package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyFor(t *testing.T) {
	tests := []struct {
		resource, namespace, name string
		want                      string
	}{
		{"pods", "default", "web", "/registry/pods/default/web"},
		{"pods", "default", "", "/registry/pods/default/"},
		{"pods", "", "", "/registry/pods/"},
		{"nodes", "", "node-1", "/registry/minions/node-1"},
		{"nodes", "", "", "/registry/minions/"},
		{"services", "default", "web", "/registry/services/specs/default/web"},
		{"endpoints", "default", "web", "/registry/services/endpoints/default/web"},
		{"namespaces", "", "default", "/registry/namespaces/default"},
		{"deployments", "default", "web", "/registry/deployments/default/web"},
		{"leases", "kube-node-lease", "node-1", "/registry/leases/kube-node-lease/node-1"},
		{"clusterroles", "", "view", "/registry/clusterroles/view"},
		{"ciliumnetworkpolicies", "default", "p", "/registry/cilium.io/ciliumnetworkpolicies/default/p"},
		{"ciliumidentities", "", "256", "/registry/cilium.io/ciliumidentities/256"},
		{"widgets", "default", "w", "/registry/widgets/default/w"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, KeyFor(tt.resource, tt.namespace, tt.name))
	}
}

func TestLookups(t *testing.T) {
	tests := []struct {
		name     string
		wantKind string
	}{
		{"po", "Pod"}, {"pod", "Pod"}, {"pods", "Pod"}, {"Pods", "Pod"},
		{"no", "Node"}, {"ns", "Namespace"}, {"sa", "ServiceAccount"}, {"svc", "Service"},
		{"ep", "Endpoints"}, {"rs", "ReplicaSet"}, {"deploy", "Deployment"},
		{"deployments.apps", "Deployment"}, {"deploy.apps", "Deployment"},
		{"ds", "DaemonSet"}, {"cj", "CronJob"}, {"cm", "ConfigMap"}, {"ev", "Event"}, {"netpol", "NetworkPolicy"},
		{"cnp", "CiliumNetworkPolicy"}, {"ciliumnp", "CiliumNetworkPolicy"}, {"cep", "CiliumEndpoint"},
		{"cn", "CiliumNode"}, {"ciliumid", "CiliumIdentity"},
		{"endpointslices", "EndpointSlice"}, {"leases.coordination.k8s.io", "Lease"},
	}
	for _, tt := range tests {
		r, ok := ResourceForName(tt.name)
		if assert.True(t, ok, tt.name) {
			assert.Equal(t, tt.wantKind, r.Kind, tt.name)
		}
	}
	_, ok := ResourceForName("nope")
	assert.False(t, ok)

	r, ok := ResourceForAPIVersionKind("apps/v1", "Deployment")
	require.True(t, ok)
	assert.Equal(t, "deployments", r.Resource)
	assert.Equal(t, "deployments.apps", r.GroupResource())
	assert.Equal(t, "apps/v1, Kind=Deployment", r.GVK().String())
	_, ok = ResourceForAPIVersionKind("v1", "Deployment")
	assert.False(t, ok)

	r, ok = ResourceForShortName("svc")
	require.True(t, ok)
	assert.Equal(t, "Service", r.Kind)

	r, ok = ResourceForGVR(GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"})
	require.True(t, ok)
	assert.Equal(t, "DaemonSet", r.Kind)
	_, ok = ResourceForGVR(GroupVersionResource{Version: "v1", Resource: "daemonsets"})
	assert.False(t, ok)

	sub, ok := r.Subresource("status")
	require.True(t, ok)
	assert.Equal(t, "DaemonSet", sub.Kind.Kind)
	pods, _ := ResourceFor("pods")
	for _, s := range []string{"binding", "status", "log", "eviction", "exec"} {
		_, ok := pods.Subresource(s)
		assert.True(t, ok, "pods/%s", s)
	}
	deploy, _ := ResourceFor("deployments")
	scale, ok := deploy.Subresource("scale")
	require.True(t, ok)
	assert.Equal(t, GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}, scale.Kind)
}

func TestRegistryTable(t *testing.T) {
	all := Resources()
	for i, r := range all {
		if i > 0 {
			prev := all[i-1]
			assert.True(t, prev.Group < r.Group || prev.Group == r.Group && prev.Resource < r.Resource,
				"Resources order: %s before %s", prev.GroupResource(), r.GroupResource())
		}
		obj := r.New()
		assert.Equal(t, r.Kind, obj.GetTypeMeta().Kind)
		assert.Equal(t, r.APIVersion(), obj.GetTypeMeta().APIVersion)
		list := r.NewList()
		assert.Equal(t, r.ListKind, list.GetTypeMeta().Kind)
		back, ok := ResourceOf(obj)
		require.True(t, ok)
		assert.Same(t, r, back)
		lr, ok := ResourceOfList(list)
		require.True(t, ok)
		assert.Same(t, r, lr)
		assert.NotEmpty(t, r.Verbs)
		assert.NotEmpty(t, r.Singular)
	}
	assert.Equal(t, "", all[0].Group, "the core group sorts first")
	assert.Equal(t, "bindings", all[0].Resource)

	var kinds []string
	for _, r := range ResourcesInCategory("all") {
		kinds = append(kinds, r.Kind)
	}
	assert.Equal(t, []string{"Pod", "Service", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "HorizontalPodAutoscaler", "CronJob", "Job"}, kinds)

	namespaced := map[string]bool{}
	for _, r := range all {
		namespaced[r.Resource] = r.Namespaced
	}
	assert.False(t, namespaced["nodes"])
	assert.False(t, namespaced["namespaces"])
	assert.False(t, namespaced["clusterroles"])
	assert.False(t, namespaced["ciliumnodes"])
	assert.True(t, namespaced["pods"])
	assert.True(t, namespaced["ciliumendpoints"])
}

func TestSetTypeMetaAndListItems(t *testing.T) {
	p := SetTypeMeta(&Pod{})
	assert.Equal(t, TypeMeta{Kind: "Pod", APIVersion: "v1"}, p.TypeMeta)
	l := SetTypeMeta(&DeploymentList{})
	assert.Equal(t, TypeMeta{Kind: "DeploymentList", APIVersion: "apps/v1"}, l.TypeMeta)
	s := SetTypeMeta(&Scale{})
	assert.Equal(t, TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"}, s.TypeMeta)

	list := &PodList{}
	require.NoError(t, SetListItems(list, []Object{&Pod{ObjectMeta: ObjectMeta{Name: "a"}}, &Pod{ObjectMeta: ObjectMeta{Name: "b"}}}))
	items := ListItems(list)
	require.Len(t, items, 2)
	assert.Equal(t, "b", items[1].GetObjectMeta().Name)
	assert.Error(t, SetListItems(list, []Object{&Node{}}))

	obj, err := NewObject("v1", "ConfigMap")
	require.NoError(t, err)
	assert.IsType(t, &ConfigMap{}, obj)
	_, err = NewObject("v1", "Nope")
	assert.EqualError(t, err, `no kind "Nope" is registered for version "v1"`)
}

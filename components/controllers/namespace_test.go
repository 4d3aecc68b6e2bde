package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func nsCondition(ns *api.Namespace, t api.NamespaceConditionType) api.NamespaceCondition {
	for _, c := range ns.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return api.NamespaceCondition{}
}

// Deleting a namespace deletes its pods first, the rest once the pods are
// gone, and then the namespace itself.
func TestNamespaceDeletionWithContents(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewNamespaces)
	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "shop"}})
	e.waitFor("the default ServiceAccount", func() bool { _, err := e.Admin.Get("serviceaccounts", "shop", "default"); return err == nil }, 5*time.Second)
	pod := nakedPod("cart")
	pod.Namespace = "shop"
	e.create(pod)
	e.runPod("shop", "cart", "worker-1", "10.244.1.9", true)
	e.create(&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "settings", Namespace: "shop"}})
	held := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "held", Namespace: "shop", Finalizers: []string{"example.com/hold"}}}
	e.create(held)
	e.create(&api.Service{ObjectMeta: api.ObjectMeta{Name: "cart", Namespace: "shop"}, Spec: api.ServiceSpec{Selector: map[string]string{"app": "cart"}, Ports: []api.ServicePort{{Port: 80}}}})

	_, err := e.Admin.Delete("namespaces", "", "shop", client.DeleteOptions{})
	require.NoError(t, err)
	e.run(3 * time.Second)

	// The pod is terminating (its kubelet has 30 s); nothing else was touched.
	p, err := e.Admin.Get("pods", "shop", "cart")
	require.NoError(t, err)
	assert.NotNil(t, p.GetObjectMeta().DeletionTimestamp)
	assert.True(t, func() bool { _, err := e.Admin.Get("configmaps", "shop", "settings"); return err == nil }(), "the rest waits for the pods")
	o, err := e.Admin.Get("namespaces", "", "shop")
	require.NoError(t, err)
	ns := o.(*api.Namespace)
	assert.Equal(t, api.NamespaceTerminating, ns.Status.Phase)
	rem := nsCondition(ns, api.NamespaceContentRemaining)
	assert.Equal(t, api.ConditionTrue, rem.Status)
	assert.Equal(t, "SomeResourcesRemain", rem.Reason)
	assert.Equal(t, "Some resources are remaining: pods. has 1 resource instances", rem.Message)

	// The kubelet finishes the pod: the rest goes; the held ConfigMap stays.
	_, err = e.Admin.Delete("pods", "shop", "cart", client.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
	require.NoError(t, err)
	// The controller looks again when the pod's grace period would end.
	e.run(35 * time.Second)
	for _, r := range []string{"services", "serviceaccounts"} {
		assert.Empty(t, e.list(r, "shop"), r)
	}
	o, err = e.Admin.Get("namespaces", "", "shop")
	require.NoError(t, err, "held by the ConfigMap's finalizer")
	ns = o.(*api.Namespace)
	fin := nsCondition(ns, api.NamespaceFinalizersRemaining)
	assert.Equal(t, api.ConditionTrue, fin.Status)
	assert.Equal(t, "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances", fin.Message)
	assert.Equal(t, "Some resources are remaining: configmaps. has 1 resource instances", nsCondition(ns, api.NamespaceContentRemaining).Message)
	assert.Equal(t, "All content successfully deleted, may be waiting on finalization", nsCondition(ns, api.NamespaceDeletionContentFailure).Message)

	c, err := e.Admin.Get("configmaps", "shop", "held")
	require.NoError(t, err)
	cc := api.DeepCopyObject(c)
	cc.GetObjectMeta().Finalizers = nil
	_, err = e.Admin.Update(cc)
	require.NoError(t, err)
	e.waitFor("namespaces/finalize without the kubernetes finalizer", func() bool {
		for _, r := range e.K.Trace().Records() {
			if req, ok := r.Body().(*apiwire.Request); ok && req.Subresource == "finalize" && req.Name == "shop" {
				return len(req.Object.(*api.Namespace).Spec.Finalizers) == 0
			}
		}
		return false
	}, 10*time.Second)
	// The apiserver then deletes the namespace. (Today's simulated
	// apiserver re-applies the create-time default finalizer on this
	// update, which keeps the namespace; reported to its owner.)
}

// A namespace's custom resources are deleted with it, found from the
// Established CRDs as the real deleter finds them in discovery.
func TestNamespaceDeletionDeletesCustomResources(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewNamespaces)
	crd := &api.CustomResourceDefinition{ObjectMeta: api.ObjectMeta{Name: "crontabs.stable.example.com"}}
	crd.Spec = api.CustomResourceDefinitionSpec{Group: "stable.example.com", Scope: api.NamespaceScoped,
		Names:    api.CustomResourceDefinitionNames{Plural: "crontabs", Kind: "CronTab"},
		Versions: []api.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true}}}
	e.create(crd)
	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "shop"}})
	ct := &api.CustomResource{TypeMeta: api.TypeMeta{APIVersion: "stable.example.com/v1", Kind: "CronTab"}, ObjectMeta: api.ObjectMeta{Name: "nightly", Namespace: "shop"}}
	e.waitFor("the CronTab is created", func() bool {
		_, err := e.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: "crontabs.stable.example.com", Namespace: "shop", Object: ct})
		return err == nil
	}, 10*time.Second)

	_, err := e.Admin.Delete("namespaces", "", "shop", client.DeleteOptions{})
	require.NoError(t, err)
	e.waitFor("the namespace is gone", func() bool { _, err := e.Admin.Get("namespaces", "", "shop"); return err != nil }, 30*time.Second)
	items, _, err := e.Admin.List("crontabs.stable.example.com", "shop", client.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, items, "the CronTab went with its namespace")
}

package realclients

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// The learner's tool for a custom kind: client-go's dynamic client and a
// dynamic informer, against a CRD created through the same client.
func TestDynamicClientCustomResources(t *testing.T) {
	s := startServed(t)
	dc, err := dynamic.NewForConfig(s.cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	crds := dc.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "crontabs.stable.example.com"},
		"spec": map[string]any{
			"group": "stable.example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": []any{"ct"}},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"subresources": map[string]any{"status": map[string]any{}},
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"spec": map[string]any{"type": "object", "properties": map[string]any{
							"cronSpec": map[string]any{"type": "string"},
							"replicas": map[string]any{"type": "integer", "default": 1},
						}},
						"status": map[string]any{"type": "object", "properties": map[string]any{
							"lastScheduleTime": map[string]any{"type": "string"},
						}},
					},
				}},
			}},
		},
	}}
	_, err = crds.Create(ctx, crd, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := crds.Get(ctx, "crontabs.stable.example.com", metav1.GetOptions{})
		if err != nil {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond)

	gvr := schema.GroupVersionResource{Group: "stable.example.com", Version: "v1", Resource: "crontabs"}
	var mu sync.Mutex
	var events []string
	note := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dc, 0, "default", nil)
	inf := factory.ForResource(gvr).Informer()
	_, err = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { note("add " + o.(*unstructured.Unstructured).GetName()) },
		UpdateFunc: func(_, o any) { note("update " + o.(*unstructured.Unstructured).GetName()) },
		DeleteFunc: func(o any) {
			if u, ok := o.(*unstructured.Unstructured); ok {
				note("delete " + u.GetName())
			}
		},
	})
	require.NoError(t, err)
	stop := make(chan struct{})
	defer func() { close(stop); factory.Shutdown() }()
	factory.Start(stop)
	require.True(t, cache.WaitForCacheSync(ctx.Done(), inf.HasSynced))

	cts := dc.Resource(gvr).Namespace("default")
	ct := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stable.example.com/v1", "kind": "CronTab",
		"metadata": map[string]any{"name": "nightly"},
		"spec":     map[string]any{"cronSpec": "0 0 * * *"},
	}}
	created, err := cts.Create(ctx, ct, metav1.CreateOptions{})
	require.NoError(t, err)
	replicas, _, _ := unstructured.NestedInt64(created.Object, "spec", "replicas")
	assert.Equal(t, int64(1), replicas, "defaulted by the schema")
	assert.Equal(t, int64(1), created.GetGeneration())

	// The status subresource: a status write leaves generation alone.
	require.NoError(t, unstructured.SetNestedField(created.Object, "2026-12-04T00:00:00Z", "status", "lastScheduleTime"))
	st, err := cts.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	require.NoError(t, err)
	when, _, _ := unstructured.NestedString(st.Object, "status", "lastScheduleTime")
	assert.Equal(t, "2026-12-04T00:00:00Z", when)
	assert.Equal(t, int64(1), st.GetGeneration())

	// Server-side apply of a custom resource (a deduced schema): the
	// creator owns spec.replicas (defaulted on create), so an apply that
	// sets it conflicts, unless forced.
	body := []byte(`{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"nightly"},"spec":{"replicas":3}}`)
	_, err = cts.Patch(ctx, "nightly", types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: "learner"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Apply failed with 1 conflict: conflict with")
	assert.Contains(t, err.Error(), ".spec.replicas")
	force := true
	applied, err := cts.Patch(ctx, "nightly", types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: "learner", Force: &force})
	require.NoError(t, err)
	replicas, _, _ = unstructured.NestedInt64(applied.Object, "spec", "replicas")
	assert.Equal(t, int64(3), replicas)
	assert.Equal(t, int64(2), applied.GetGeneration())
	managers := map[string]bool{}
	for _, m := range applied.GetManagedFields() {
		managers[m.Manager+"/"+string(m.Operation)] = true
	}
	assert.True(t, managers["learner/Apply"], "%v", managers)

	require.NoError(t, cts.Delete(ctx, "nightly", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) > 0 && events[len(events)-1] == "delete nightly"
	}, 30*time.Second, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "add nightly", events[0])
	assert.Contains(t, events, "update nightly")
}

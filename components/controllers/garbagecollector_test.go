package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func configMap(name string, owners ...api.Object) *api.ConfigMap {
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}}
	for _, o := range owners {
		ref := client.Reference(o)
		cm.OwnerReferences = append(cm.OwnerReferences, api.OwnerReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, UID: ref.UID, BlockOwnerDeletion: ptr(true)})
	}
	return cm
}

func exists(e *env, resource, name string) bool {
	_, err := e.Admin.Get(resource, "default", name)
	return err == nil
}

func TestGarbageCollectorPropagation(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		// after the owner's deletion
		wantOwnerGone, wantChildGone, wantGrandchildGone bool
	}{
		{name: "background", policy: api.DeletePropagationBackground, wantOwnerGone: true, wantChildGone: true, wantGrandchildGone: true},
		{name: "foreground", policy: api.DeletePropagationForeground, wantOwnerGone: true, wantChildGone: true, wantGrandchildGone: true},
		{name: "orphan", policy: api.DeletePropagationOrphan, wantOwnerGone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := boot(t, cluster.Config{}, controllers.NewGarbageCollector)
			owner := e.create(configMap("owner"))
			child := e.create(configMap("child", owner))
			e.create(configMap("grandchild", child))
			_, err := e.Admin.Delete("configmaps", "default", "owner", client.DeleteOptions{PropagationPolicy: tt.policy})
			require.NoError(t, err)
			e.run(5 * time.Second)
			assert.Equal(t, tt.wantOwnerGone, !exists(e, "configmaps", "owner"), "owner")
			assert.Equal(t, tt.wantChildGone, !exists(e, "configmaps", "child"), "child")
			assert.Equal(t, tt.wantGrandchildGone, !exists(e, "configmaps", "grandchild"), "grandchild")
			if tt.policy == api.DeletePropagationOrphan {
				o, err := e.Admin.Get("configmaps", "default", "child")
				require.NoError(t, err)
				assert.Empty(t, o.GetObjectMeta().OwnerReferences, "the orphan lost its owner reference")
			}
		})
	}
}

// Foreground: the owner stays (deletionTimestamp, foregroundDeletion) until
// its blocking dependents are gone.
func TestGarbageCollectorForegroundWaitsForBlockingDependents(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewGarbageCollector)
	owner := e.create(configMap("owner"))
	child := configMap("child", owner)
	child.Finalizers = []string{"example.com/hold"} // the child takes its time
	e.create(child)
	_, err := e.Admin.Delete("configmaps", "default", "owner", client.DeleteOptions{PropagationPolicy: api.DeletePropagationForeground})
	require.NoError(t, err)
	e.run(5 * time.Second)
	o, err := e.Admin.Get("configmaps", "default", "owner")
	require.NoError(t, err, "the owner waits")
	assert.NotNil(t, o.GetObjectMeta().DeletionTimestamp)
	assert.Equal(t, []string{"foregroundDeletion"}, o.GetObjectMeta().Finalizers)
	c, err := e.Admin.Get("configmaps", "default", "child")
	require.NoError(t, err)
	require.NotNil(t, c.GetObjectMeta().DeletionTimestamp, "the child is being deleted")

	cc := api.DeepCopyObject(c)
	cc.GetObjectMeta().Finalizers = nil
	_, err = e.Admin.Update(cc)
	require.NoError(t, err)
	e.waitFor("the owner to go", func() bool { return !exists(e, "configmaps", "owner") }, 5*time.Second)
}

// A dependent with another live owner survives; the gone owner's
// reference is dropped.
func TestGarbageCollectorKeepsDependentWithLiveOwner(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewGarbageCollector)
	a := e.create(configMap("a"))
	b := e.create(configMap("b"))
	e.create(configMap("shared", a, b))
	_, err := e.Admin.Delete("configmaps", "default", "a", client.DeleteOptions{})
	require.NoError(t, err)
	e.run(5 * time.Second)
	o, err := e.Admin.Get("configmaps", "default", "shared")
	require.NoError(t, err)
	refs := o.GetObjectMeta().OwnerReferences
	require.Len(t, refs, 1)
	assert.Equal(t, "b", refs[0].Name)
}

// Deleting a Deployment in the background takes its ReplicaSets and their
// pods with it.
func TestGarbageCollectorDeploymentCascade(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets, controllers.NewDeployments, controllers.NewGarbageCollector)
	e.create(deployment("web", 2))
	e.settle("default", "the rollout", rolledOut(t, e, "web"), time.Minute)
	_, err := e.Admin.Delete("deployments", "default", "web", client.DeleteOptions{})
	require.NoError(t, err)
	e.settle("default", "the cascade", func() bool {
		return len(e.list("replicasets", "default")) == 0 && len(e.pods("default", true)) == 0
	}, time.Minute)
}

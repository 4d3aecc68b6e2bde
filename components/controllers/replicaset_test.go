package controllers_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func getRS(t *testing.T, e *env, name string) *api.ReplicaSet {
	t.Helper()
	o, err := e.Admin.Get("replicasets", "default", name)
	require.NoError(t, err)
	return o.(*api.ReplicaSet)
}

func countEvents(e *env, ns, reason string) int {
	n := 0
	for _, o := range e.list("events", ns) {
		if ev := o.(*api.Event); ev.Reason == reason {
			n += int(ev.Count)
		}
	}
	return n
}

func TestReplicaSetCreatesOwnedPodsOnce(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets)
	rs := e.create(replicaSet("web-7d4b9", 5, map[string]string{"app": "web"})).(*api.ReplicaSet)
	e.waitFor("5 pods", func() bool { return len(e.pods("default", true)) == 5 }, 10*time.Second)
	e.run(10 * time.Second)

	pods := e.pods("default", true)
	require.Len(t, pods, 5, "expectations keep later syncs from creating more")
	for _, p := range pods {
		assert.Regexp(t, `^web-7d4b9-[bcdfghjklmnpqrstvwxz2456789]{5}$`, p.Name)
		ref := p.ControllerRef()
		require.NotNil(t, ref)
		assert.Equal(t, api.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d4b9", UID: rs.UID, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}, *ref)
	}
	evs := e.list("events", "default")
	created := 0
	for _, o := range evs {
		ev := o.(*api.Event)
		if ev.Reason != "SuccessfulCreate" {
			continue
		}
		created++
		assert.Regexp(t, regexp.MustCompile(`^Created pod: web-7d4b9-[a-z0-9]{5}$`), ev.Message)
		assert.Equal(t, "replicaset-controller", ev.Source.Component)
		assert.Equal(t, "replicaset-controller", ev.ReportingController)
		assert.Equal(t, api.ObjectReference{Kind: "ReplicaSet", Namespace: "default", Name: "web-7d4b9", UID: rs.UID, APIVersion: "apps/v1", ResourceVersion: ev.InvolvedObject.ResourceVersion}, ev.InvolvedObject)
		assert.Equal(t, int32(1), ev.Count)
		assert.Equal(t, api.EventTypeNormal, ev.Type)
	}
	assert.Equal(t, 5, created)

	st := getRS(t, e, "web-7d4b9").Status
	assert.Equal(t, api.ReplicaSetStatus{Replicas: 5, FullyLabeledReplicas: 5, ObservedGeneration: 1}, st)
}

func TestReplicaSetStatusReadyAndAvailable(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets)
	rs := replicaSet("web", 2, map[string]string{"app": "web"})
	rs.Spec.MinReadySeconds = 10
	e.create(rs)
	e.waitFor("2 pods", func() bool { return len(e.pods("default", true)) == 2 }, 10*time.Second)
	for i, p := range e.pods("default", true) {
		e.runPod("default", p.Name, "worker-1", "10.244.1."+string(rune('2'+i)), true)
	}
	e.waitFor("ready replicas", func() bool { return getRS(t, e, "web").Status.ReadyReplicas == 2 }, 5*time.Second)
	assert.Equal(t, int32(0), getRS(t, e, "web").Status.AvailableReplicas, "not yet ready for minReadySeconds")
	e.waitFor("available replicas", func() bool { return getRS(t, e, "web").Status.AvailableReplicas == 2 }, 15*time.Second)
}

func TestReplicaSetAdoptsAndReleases(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets)
	orphan := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "stray", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: podTemplate(nil).Spec}
	e.create(orphan)
	other := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "other", Namespace: "default", Labels: map[string]string{"app": "db"}},
		Spec: podTemplate(nil).Spec}
	e.create(other)
	rs := e.create(replicaSet("web", 2, map[string]string{"app": "web"})).(*api.ReplicaSet)
	e.waitFor("2 web pods", func() bool { return getRS(t, e, "web").Status.Replicas == 2 }, 10*time.Second)
	e.run(2 * time.Second)

	o, err := e.Admin.Get("pods", "default", "stray")
	require.NoError(t, err)
	require.NotNil(t, o.(*api.Pod).ControllerRef(), "a matching orphan is adopted")
	assert.Equal(t, rs.UID, o.(*api.Pod).ControllerRef().UID)
	o, _ = e.Admin.Get("pods", "default", "other")
	assert.Nil(t, o.(*api.Pod).ControllerRef(), "a pod that does not match is left alone")
	assert.Len(t, e.pods("default", true), 3, "one adopted + one created + the other")

	// Relabel the adopted pod: it is released and replaced.
	p := api.DeepCopy(o.(*api.Pod))
	o, _ = e.Admin.Get("pods", "default", "stray")
	p = api.DeepCopy(o.(*api.Pod))
	p.Labels = map[string]string{"app": "debug"}
	_, err = e.Admin.Update(p)
	require.NoError(t, err)
	e.waitFor("the release", func() bool {
		o, _ := e.Admin.Get("pods", "default", "stray")
		return o.(*api.Pod).ControllerRef() == nil
	}, 10*time.Second)
	e.waitFor("a replacement", func() bool { return len(e.pods("default", true)) == 4 }, 10*time.Second)
	assert.Equal(t, int32(2), getRS(t, e, "web").Status.Replicas)
}

func TestReplicaSetScaleDownDeletesCheapestFirst(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets)
	e.create(replicaSet("web", 4, map[string]string{"app": "web"}))
	e.waitFor("4 pods", func() bool { return len(e.pods("default", true)) == 4 }, 10*time.Second)
	pods := e.pods("default", true)
	// pods[0] stays unassigned, pods[1] Pending on a node, pods[2] running
	// not ready, pods[3] running and ready.
	require.NoError(t, e.Admin.Bind("default", pods[1].Name, "worker-1"))
	e.runPod("default", pods[2].Name, "worker-1", "10.244.1.3", false)
	e.runPod("default", pods[3].Name, "worker-1", "10.244.1.4", true)
	e.run(time.Second)

	for i, want := range []string{pods[0].Name, pods[1].Name, pods[2].Name} {
		o := getRS(t, e, "web")
		c := api.DeepCopy(o)
		c.Spec.Replicas = ptr(int32(3 - i))
		_, err := e.Admin.Update(c)
		require.NoError(t, err)
		e.waitFor("a deletion", func() bool { return len(e.pods("default", false)) == 3-i }, 10*time.Second)
		_, err = e.Admin.Get("pods", "default", want)
		gone := err != nil
		if !gone {
			o, _ := e.Admin.Get("pods", "default", want)
			gone = o.GetObjectMeta().DeletionTimestamp != nil
		}
		assert.True(t, gone, "step %d deletes %s", i, want)
	}
	assert.Contains(t, e.events("default"), "replicaset-controller SuccessfulDelete: Deleted pod: "+pods[0].Name)
}

func TestReplicaSetCreateFailureStopsTheBatch(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets)
	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "doomed", Finalizers: []string{"example.com/hold"}}})
	e.waitFor("sa", func() bool { _, err := e.Admin.Get("serviceaccounts", "doomed", "default"); return err == nil }, 5*time.Second)
	rs := replicaSet("web", 50, map[string]string{"app": "web"})
	rs.Namespace = "doomed"
	// Created at 0 replicas, scaled up once the namespace is terminating
	// (its finalizer keeps it there).
	rs.Spec.Replicas = ptr(int32(0))
	e.create(rs)
	_, err := e.Admin.Delete("namespaces", "", "doomed", client.DeleteOptions{})
	require.NoError(t, err)
	o, err := e.Admin.Get("replicasets", "doomed", "web")
	require.NoError(t, err)
	c := api.DeepCopy(o.(*api.ReplicaSet))
	c.Spec.Replicas = ptr(int32(50))
	_, err = e.Admin.Update(c)
	require.NoError(t, err)
	e.waitFor("ReplicaFailure", func() bool {
		o, _ := e.Admin.Get("replicasets", "doomed", "web")
		cs := o.(*api.ReplicaSet).Status.Conditions
		return len(cs) == 1 && cs[0].Reason == "FailedCreate"
	}, 10*time.Second)
	o, _ = e.Admin.Get("replicasets", "doomed", "web")
	cond := o.(*api.ReplicaSet).Status.Conditions[0]
	assert.Equal(t, api.ReplicaSetReplicaFailure, cond.Type)
	assert.True(t, strings.HasSuffix(cond.Message, "unable to create new content in namespace doomed because it is being terminated"), cond.Message)
	// The FailedCreate event itself is refused too: NamespaceLifecycle
	// forbids events in a terminating namespace as it forbids pods.
	assert.Zero(t, countEvents(e, "doomed", "SuccessfulCreate"))
}

func TestSlowStartBatch(t *testing.T) {
	tests := []struct {
		name        string
		count       int
		failFrom    int // calls from this one on fail (0: never)
		wantCalls   int
		wantSuccess int
	}{
		{name: "all succeed", count: 10, wantCalls: 10, wantSuccess: 10},
		{name: "first call fails", count: 10, failFrom: 1, wantCalls: 1, wantSuccess: 0},
		{name: "fails in the batch of 4", count: 20, failFrom: 5, wantCalls: 7, wantSuccess: 4},
		{name: "fails in the last, short batch", count: 9, failFrom: 9, wantCalls: 9, wantSuccess: 8},
		{name: "nothing to do", count: 0, wantCalls: 0, wantSuccess: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			n, err := controllers.SlowStartBatch(tt.count, 1, func() error {
				calls++
				if tt.failFrom > 0 && calls >= tt.failFrom {
					return errors.New("quota exceeded")
				}
				return nil
			})
			assert.Equal(t, tt.wantCalls, calls)
			assert.Equal(t, tt.wantSuccess, n)
			assert.Equal(t, tt.failFrom > 0 && tt.failFrom <= tt.count, err != nil)
		})
	}
}

package controllers_test

import (
	"sort"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func statefulSet(name string, replicas int32) *api.StatefulSet {
	labels := map[string]string{"app": "nginx"}
	return &api.StatefulSet{TypeMeta: api.TypeMeta{Kind: "StatefulSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.StatefulSetSpec{Replicas: ptr(replicas), ServiceName: "nginx",
			Selector: &api.LabelSelector{MatchLabels: labels}, Template: podTemplate(labels)}}
}

func podNames(e *env) []string {
	var out []string
	for _, p := range e.pods("default", false) {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

func getSet(t *testing.T, e *env, name string) *api.StatefulSet {
	o, err := e.Admin.Get("statefulsets", "default", name)
	require.NoError(t, err)
	return o.(*api.StatefulSet)
}

func TestStatefulSetOrderedReadyCreatesInOrder(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewStatefulSets)
	e.create(statefulSet("web", 3))
	e.run(2 * time.Second)
	assert.Equal(t, []string{"web-0"}, podNames(e), "web-1 waits for web-0 to be Running and Ready")
	e.runPod("default", "web-0", "worker-1", "10.244.1.2", false)
	e.run(2 * time.Second)
	assert.Equal(t, []string{"web-0"}, podNames(e), "Running but not Ready is not enough")
	e.runPod("default", "web-0", "worker-1", "10.244.1.2", true)
	e.run(2 * time.Second)
	assert.Equal(t, []string{"web-0", "web-1"}, podNames(e))

	o, err := e.Admin.Get("pods", "default", "web-1")
	require.NoError(t, err)
	p := o.(*api.Pod)
	assert.Equal(t, "web-1", p.Spec.Hostname)
	assert.Equal(t, "nginx", p.Spec.Subdomain)
	assert.Equal(t, "web-1", p.Labels["statefulset.kubernetes.io/pod-name"])
	assert.Equal(t, "1", p.Labels["apps.kubernetes.io/pod-index"])
	set := getSet(t, e, "web")
	assert.Equal(t, set.Status.UpdateRevision, p.Labels["controller-revision-hash"])
	assert.Contains(t, set.Status.UpdateRevision, "web-")
	assert.Contains(t, e.events("default"), "statefulset-controller SuccessfulCreate: create Pod web-0 in StatefulSet web successful")

	e.settle("default", "3 ready", func() bool { return getSet(t, e, "web").Status.ReadyReplicas == 3 }, time.Minute)
	set = getSet(t, e, "web")
	assert.Equal(t, int32(3), set.Status.Replicas)
	assert.Equal(t, int32(3), set.Status.CurrentReplicas)
	assert.Equal(t, int32(3), set.Status.UpdatedReplicas)
	assert.Equal(t, set.Status.CurrentRevision, set.Status.UpdateRevision)
	assert.Equal(t, set.Generation, set.Status.ObservedGeneration)
	assert.Len(t, e.list("controllerrevisions", "default"), 1)

	// Scale down: the highest ordinal goes first, one at a time.
	s := api.DeepCopy(set)
	s.Spec.Replicas = ptr(int32(1))
	_, err = e.Admin.Update(s)
	require.NoError(t, err)
	e.run(2 * time.Second)
	assert.Equal(t, []string{"web-0", "web-1"}, podNames(e), "web-2 first; web-1 waits for web-2 to be gone")
	e.settle("default", "1 replica", func() bool { return len(podNames(e)) == 1 }, time.Minute)
	assert.Equal(t, []string{"web-0"}, podNames(e))
	ev := e.events("default")
	assert.Contains(t, ev, "statefulset-controller SuccessfulDelete: delete Pod web-2 in StatefulSet web successful")
	assert.Contains(t, ev, "statefulset-controller SuccessfulDelete: delete Pod web-1 in StatefulSet web successful")
}

func TestStatefulSetParallelCreatesAtOnce(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewStatefulSets)
	s := statefulSet("web", 3)
	s.Spec.PodManagementPolicy = api.ParallelPodManagement
	s.Spec.Ordinals = &api.StatefulSetOrdinals{Start: 5}
	e.create(s)
	e.run(2 * time.Second)
	assert.Equal(t, []string{"web-5", "web-6", "web-7"}, podNames(e))
}

func TestStatefulSetRollingUpdateHonoursPartition(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewStatefulSets)
	e.create(statefulSet("web", 3))
	e.settle("default", "3 ready", func() bool { return getSet(t, e, "web").Status.ReadyReplicas == 3 }, time.Minute)
	oldRev := getSet(t, e, "web").Status.CurrentRevision

	s := api.DeepCopy(getSet(t, e, "web"))
	s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
	s.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateStatefulSetStrategy{Partition: ptr(int32(1))}
	_, err := e.Admin.Update(s)
	require.NoError(t, err)
	e.settle("default", "2 updated", func() bool {
		st := getSet(t, e, "web").Status
		return st.UpdatedReplicas == 2 && st.ReadyReplicas == 3
	}, time.Minute)
	e.kubelet("default")
	e.run(5 * time.Second)
	images := map[string]string{}
	revs := map[string]string{}
	for _, p := range e.pods("default", false) {
		images[p.Name] = p.Spec.Containers[0].Image
		revs[p.Name] = p.Labels["controller-revision-hash"]
	}
	assert.Equal(t, map[string]string{"web-0": "nginx:1.27", "web-1": "nginx:1.28", "web-2": "nginx:1.28"}, images, "web-0 is below the partition")
	set := getSet(t, e, "web")
	assert.Equal(t, oldRev, set.Status.CurrentRevision, "the rollout is not complete")
	assert.NotEqual(t, oldRev, set.Status.UpdateRevision)
	assert.Equal(t, oldRev, revs["web-0"])
	assert.Equal(t, int32(1), set.Status.CurrentReplicas)
	assert.Len(t, e.list("controllerrevisions", "default"), 2)
	ev := e.events("default")
	i2 := indexOf(ev, "statefulset-controller SuccessfulDelete: delete Pod web-2 in StatefulSet web successful")
	i1 := indexOf(ev, "statefulset-controller SuccessfulDelete: delete Pod web-1 in StatefulSet web successful")
	require.True(t, i2 >= 0 && i1 >= 0, "both updated pods were replaced: %v", ev)
	assert.Less(t, i2, i1, "from the highest ordinal down")

	// Partition 0 finishes the rollout.
	s = api.DeepCopy(getSet(t, e, "web"))
	s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr(int32(0))
	_, err = e.Admin.Update(s)
	require.NoError(t, err)
	e.settle("default", "rolled out", func() bool {
		st := getSet(t, e, "web").Status
		return st.CurrentRevision == st.UpdateRevision && st.UpdatedReplicas == 3 && st.ReadyReplicas == 3
	}, time.Minute)
}

func TestStatefulSetOnDeleteWaitsForTheUser(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewStatefulSets)
	s := statefulSet("web", 2)
	s.Spec.UpdateStrategy = api.StatefulSetUpdateStrategy{Type: api.OnDeleteStatefulSetStrategyType}
	e.create(s)
	e.settle("default", "2 ready", func() bool { return getSet(t, e, "web").Status.ReadyReplicas == 2 }, time.Minute)
	u := api.DeepCopy(getSet(t, e, "web"))
	u.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
	_, err := e.Admin.Update(u)
	require.NoError(t, err)
	e.kubelet("default")
	e.run(5 * time.Second)
	for _, p := range e.pods("default", false) {
		assert.Equal(t, "nginx:1.27", p.Spec.Containers[0].Image, "OnDelete replaces nothing by itself")
	}
	assert.Equal(t, int32(0), getSet(t, e, "web").Status.UpdatedReplicas)
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

package scheduler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func node(name, cpu, mem, zone string) *api.Node {
	rl := api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu), api.ResourceMemory: api.MustParseQuantity(mem), api.ResourcePods: api.MustParseQuantity("110")}
	return &api.Node{TypeMeta: api.TypeMeta{Kind: "Node", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{api.LabelHostname: name, api.LabelTopologyZone: zone}},
		Status: api.NodeStatus{Capacity: rl, Allocatable: rl,
			Conditions: []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}}}
}

func pod(name, cpu string) *api.Pod {
	return &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27",
			Resources: api.ResourceRequirements{Requests: api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu)}}}}}}
}

// boot starts a cluster whose kubelets register a tainted control-plane
// node and three 2-CPU workers in three zones.
func boot(t *testing.T, seed uint64) *cluster.Cluster {
	workers := []string{"worker-1", "worker-2", "worker-3"}
	var shapes []cluster.NodeSpec
	for i, n := range workers {
		shapes = append(shapes, cluster.NodeSpec{Name: n, CPU: "2", Memory: "4Gi", Zone: fmt.Sprintf("zone-%c", 'a'+i)})
	}
	c, err := cluster.New(cluster.Config{Seed: seed, Workers: workers, Nodes: shapes})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	require.True(t, c.WaitFor(c.NodesReady, time.Minute))
	// The cluster runs kube-scheduler (package scheduler) on cp-1.
	require.Equal(t, []string{"kube-scheduler-cp-1"}, c.Schedulers)
	return c
}

func get(t *testing.T, c *cluster.Cluster, name string) *api.Pod {
	p, err := client.Get[*api.Pod](c.Admin, "default", name)
	require.NoError(t, err)
	return p
}

func events(t *testing.T, c *cluster.Cluster, reason string) []string {
	items, _, err := c.Admin.List("events", "default", client.ListOptions{FieldSelector: "reason=" + reason})
	require.NoError(t, err)
	var out []string
	for _, o := range items {
		e := o.(*api.Event)
		out = append(out, e.InvolvedObject.Name+": "+e.Message)
	}
	return out
}

func TestSchedulesThroughBindingWithEvents(t *testing.T) {
	c := boot(t, 1)
	_, err := c.Admin.Create(pod("web-1", "500m"))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return get(t, c, "web-1").Spec.NodeName != "" }, time.Minute), "bound after the leader election")
	p := get(t, c, "web-1")
	assert.Equal(t, []string{"web-1: Successfully assigned default/web-1 to " + p.Spec.NodeName}, events(t, c, "Scheduled"))
	found := false
	for _, cond := range p.Status.Conditions {
		if cond.Type == api.PodScheduled {
			found = true
			assert.Equal(t, api.ConditionTrue, cond.Status)
		}
	}
	assert.True(t, found, "PodScheduled=True is set by the binding")
}

func TestUnschedulablePodGetsTheRealMessage(t *testing.T) {
	c := boot(t, 1)
	_, err := c.Admin.Create(pod("huge", "3"))
	require.NoError(t, err)
	want := "huge: 0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."
	require.True(t, c.WaitFor(func() bool { return len(events(t, c, "FailedScheduling")) > 0 }, time.Minute))
	assert.Equal(t, []string{want}, events(t, c, "FailedScheduling"))
	p := get(t, c, "huge")
	require.NotEmpty(t, p.Status.Conditions)
	cond := p.Status.Conditions[0]
	assert.Equal(t, api.PodScheduled, cond.Type)
	assert.Equal(t, api.ConditionFalse, cond.Status)
	assert.Equal(t, "Unschedulable", cond.Reason)
	assert.Equal(t, "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.", cond.Message)

	// A bigger node arrives: the pod is retried on that cluster event.
	_, err = c.Admin.Create(node("worker-big", "8", "16Gi", "zone-a"))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return get(t, c, "huge").Spec.NodeName == "worker-big" }, time.Minute))
}

func TestOtherSchedulerNamesStayPendingWithoutEvents(t *testing.T) {
	c := boot(t, 1)
	p := pod("custom", "100m")
	p.Spec.SchedulerName = "my-scheduler"
	_, err := c.Admin.Create(p)
	require.NoError(t, err)
	c.K.RunFor(time.Minute)
	assert.Empty(t, get(t, c, "custom").Spec.NodeName)
	assert.Empty(t, events(t, c, "FailedScheduling"))
}

func TestSchedulerDownLeavesPodsPendingUntilItReturns(t *testing.T) {
	c := boot(t, 1)
	c.K.RunFor(20 * time.Second)
	require.NoError(t, c.K.Crash("kube-scheduler-cp-1"))
	_, err := c.Admin.Create(pod("waiting", "100m"))
	require.NoError(t, err)
	c.K.RunFor(time.Minute)
	assert.Empty(t, get(t, c, "waiting").Spec.NodeName)
	assert.Empty(t, events(t, c, "Scheduled"))
	require.NoError(t, c.K.Restart("kube-scheduler-cp-1"))
	assert.True(t, c.WaitFor(func() bool { return get(t, c, "waiting").Spec.NodeName != "" }, time.Minute),
		"the new incarnation waits out the old lease (15 s), then schedules")
}

func TestPlacementsAreDeterministic(t *testing.T) {
	run := func() []string {
		c := boot(t, 9)
		for i := 0; i < 12; i++ {
			_, err := c.Admin.Create(pod(fmt.Sprintf("web-%02d", i), "200m"))
			require.NoError(t, err)
		}
		require.True(t, c.WaitFor(func() bool {
			items, _, _ := c.Admin.List("pods", "default", client.ListOptions{FieldSelector: "spec.nodeName="})
			return len(items) == 0
		}, time.Minute))
		var out []string
		for i := 0; i < 12; i++ {
			out = append(out, get(t, c, fmt.Sprintf("web-%02d", i)).Spec.NodeName)
		}
		return out
	}
	a := run()
	assert.Equal(t, a, run())
	spread := map[string]int{}
	for _, n := range a {
		spread[n]++
	}
	assert.Len(t, spread, 3, "LeastAllocated spreads the pods over the three nodes: %v", a)
}

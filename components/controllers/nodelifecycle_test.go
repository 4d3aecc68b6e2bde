package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registerNode plays a kubelet registering: the Node, Ready, and its Lease
// in kube-node-lease (40 s, renewed every 10 s by renew).
func (e *env) registerNode(name, zone string) {
	e.t.Helper()
	now := api.NewTime(e.K.WallTime())
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{api.LabelHostname: name, api.LabelTopologyZone: zone}},
		Status: api.NodeStatus{Conditions: []api.NodeCondition{
			{Type: api.NodeMemoryPressure, Status: api.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now},
		}}}
	created := e.create(n)
	if len(created.(*api.Node).Status.Conditions) == 0 {
		c := api.DeepCopy(created.(*api.Node))
		c.Status = n.Status
		_, err := e.Admin.UpdateStatus(c)
		require.NoError(e.t, err)
	}
	e.create(&api.Lease{ObjectMeta: api.ObjectMeta{Name: name, Namespace: api.NamespaceNodeLease},
		Spec: api.LeaseSpec{HolderIdentity: ptr(name), LeaseDurationSeconds: ptr(int32(40)), RenewTime: api.NewMicroTimePtr(e.K.WallTime())}})
}

func (e *env) renewLease(name string) {
	e.t.Helper()
	o, err := e.Admin.Get("leases", api.NamespaceNodeLease, name)
	require.NoError(e.t, err)
	l := api.DeepCopy(o.(*api.Lease))
	l.Spec.RenewTime = api.NewMicroTimePtr(e.K.WallTime())
	_, err = e.Admin.Update(l)
	require.NoError(e.t, err)
}

func getNode(t *testing.T, e *env, name string) *api.Node {
	t.Helper()
	o, err := e.Admin.Get("nodes", "", name)
	require.NoError(t, err)
	return o.(*api.Node)
}

func getPod(t *testing.T, e *env, name string) *api.Pod {
	t.Helper()
	o, err := e.Admin.Get("pods", "default", name)
	require.NoError(t, err)
	return o.(*api.Pod)
}

func readyOf(n *api.Node) api.NodeCondition {
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			return c
		}
	}
	return api.NodeCondition{}
}

func taintStrings(n *api.Node) []string {
	var out []string
	for _, t := range n.Spec.Taints {
		out = append(out, t.Key+":"+string(t.Effect))
	}
	return out
}

func nakedPod(name string, tols ...api.Toleration) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: podTemplate(nil).Spec}
	p.Spec.Tolerations = tols
	return p
}

// A worker stops renewing its Lease. With the real timings on virtual time:
// after the 50 s grace period (seen at the next 5 s monitor pass) the node
// is Ready=Unknown and tainted unreachable; its pods are marked not ready;
// pods are evicted by their tolerations: 30 s, the default 300 s, or never.
func TestNodeFailureEndToEnd(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewNodeLifecycle, controllers.NewTaintEviction)
	e.registerNode("worker-1", "zone-a")
	e.registerNode("worker-2", "zone-a")
	unreachable := func(secs *int64) api.Toleration {
		return api.Toleration{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute, TolerationSeconds: secs}
	}
	e.create(nakedPod("web-1"))
	e.create(nakedPod("impatient", unreachable(ptr(int64(30)))))
	e.create(nakedPod("stubborn", api.Toleration{Operator: api.TolerationOpExists}))
	e.create(nakedPod("survivor"))
	for i, p := range []string{"web-1", "impatient", "stubborn"} {
		e.runPod("default", p, "worker-1", "10.244.1."+string(rune('2'+i)), true)
	}
	e.runPod("default", "survivor", "worker-2", "10.244.2.2", true)
	assert.Equal(t, ptr(int64(300)), getPod(t, e, "web-1").Spec.Tolerations[1].TolerationSeconds, "DefaultTolerationSeconds admission")

	// Both kubelets heartbeat for a while; then worker-1 goes silent.
	beat := func(nodes ...string) {
		for _, n := range nodes {
			e.renewLease(n)
		}
	}
	for i := 0; i < 3; i++ {
		beat("worker-1", "worker-2")
		e.run(10 * time.Second)
	}
	beat("worker-1", "worker-2")
	silentAt := e.K.Now()
	step := func(d time.Duration) { // worker-2 keeps renewing every 10 s
		end := e.K.Now() + d
		for e.K.Now() < end {
			e.run(time.Second)
			if (e.K.Now()-silentAt)%(10*time.Second) < time.Second {
				beat("worker-2")
			}
		}
	}
	for readyOf(getNode(t, e, "worker-1")).Status == api.ConditionTrue {
		require.Less(t, e.K.Now()-silentAt, 2*time.Minute)
		step(time.Second)
	}
	notReadyAfter := e.K.Now() - silentAt
	assert.GreaterOrEqual(t, notReadyAfter, controllers.NodeMonitorGracePeriod)
	// The renewal is seen at the next monitor pass (<= 5 s), the grace
	// period runs from there, and its end is seen at a pass (<= 5 s).
	assert.LessOrEqual(t, notReadyAfter, controllers.NodeMonitorGracePeriod+2*controllers.NodeMonitorPeriod+time.Second)

	n := getNode(t, e, "worker-1")
	ready := readyOf(n)
	assert.Equal(t, api.ConditionUnknown, ready.Status)
	assert.Equal(t, "NodeStatusUnknown", ready.Reason)
	assert.Equal(t, "Kubelet stopped posting node status.", ready.Message)
	assert.Equal(t, api.ConditionTrue, readyOf(getNode(t, e, "worker-2")).Status)
	step(2 * time.Second)
	n = getNode(t, e, "worker-1")
	assert.ElementsMatch(t, []string{"node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"}, taintStrings(n))
	assert.Empty(t, getNode(t, e, "worker-2").Spec.Taints)

	evs := e.events("default")
	assert.Contains(t, evs, "node-controller NodeNotReady: Node worker-1 status is now: NodeNotReady")
	assert.Contains(t, evs, "node-controller NodeNotReady: Node is not ready")
	assert.Contains(t, evs, "node-controller RegisteredNode: Node worker-1 event: Registered Node worker-1 in Controller")
	assert.False(t, isReady(getPod(t, e, "web-1")), "pods of an unreachable node are marked not ready")
	assert.True(t, isReady(getPod(t, e, "survivor")))

	taintedAt := e.K.Now() - 2*time.Second
	deleted := func(name string) bool { return getPod(t, e, name).DeletionTimestamp != nil }
	for !deleted("impatient") {
		require.Less(t, e.K.Now()-taintedAt, time.Minute)
		step(time.Second)
	}
	assert.InDelta(t, 30, (e.K.Now() - taintedAt).Seconds(), 3, "tolerationSeconds 30")
	assert.False(t, deleted("web-1"))
	for !deleted("web-1") {
		require.Less(t, e.K.Now()-taintedAt, 10*time.Minute)
		step(5 * time.Second)
	}
	assert.InDelta(t, 300, (e.K.Now() - taintedAt).Seconds(), 7, "the default tolerationSeconds")
	web := getPod(t, e, "web-1")
	var dt *api.PodCondition
	for i := range web.Status.Conditions {
		if web.Status.Conditions[i].Type == api.DisruptionTarget {
			dt = &web.Status.Conditions[i]
		}
	}
	require.NotNil(t, dt)
	assert.Equal(t, "DeletionByTaintManager", dt.Reason)
	assert.Equal(t, "Taint manager: deleting due to NoExecute taint", dt.Message)
	assert.Contains(t, e.events("default"), "taint-eviction-controller TaintManagerEviction: Marking for deletion Pod default/web-1")
	step(time.Minute)
	assert.False(t, deleted("stubborn"), "a toleration without tolerationSeconds tolerates forever")
	assert.False(t, deleted("survivor"))

	// The kubelet comes back: Ready again (the kubelet posts it), taints go.
	c := api.DeepCopy(getNode(t, e, "worker-1"))
	for i := range c.Status.Conditions {
		c.Status.Conditions[i] = api.NodeCondition{Type: c.Status.Conditions[i].Type, Status: api.ConditionFalse, Reason: "KubeletHasSufficientMemory",
			LastHeartbeatTime: api.NewTime(e.K.WallTime()), LastTransitionTime: api.NewTime(e.K.WallTime())}
		if c.Status.Conditions[i].Type == api.NodeReady {
			c.Status.Conditions[i].Status, c.Status.Conditions[i].Reason = api.ConditionTrue, "KubeletReady"
		}
	}
	_, err := e.Admin.UpdateStatus(c)
	require.NoError(t, err)
	beat("worker-1")
	step(10 * time.Second)
	assert.Empty(t, getNode(t, e, "worker-1").Spec.Taints)
}

func isReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// When every node goes silent the controller suspects itself (a control
// plane cut off from the nodes) and taints nothing.
func TestNodeLifecycleFullDisruptionTaintsNothing(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewNodeLifecycle, controllers.NewTaintEviction)
	// The control-plane node's kubelet falls silent too.
	require.NoError(t, e.K.Crash(kubelet.ActorName("cp-1")))
	e.registerNode("worker-1", "zone-a")
	e.registerNode("worker-2", "zone-b")
	e.create(nakedPod("web-1"))
	e.runPod("default", "web-1", "worker-1", "10.244.1.2", true)
	e.run(90 * time.Second)
	assert.True(t, e.logsContain("kube-controller-manager-cp-1-test", "Controller detected that all Nodes are not-Ready. Entering master disruption mode"))
	for _, n := range []string{"cp-1", "worker-1", "worker-2"} {
		node := getNode(t, e, n)
		assert.Equal(t, api.ConditionUnknown, readyOf(node).Status)
		assert.NotContains(t, taintStrings(node), "node.kubernetes.io/unreachable:NoExecute")
	}
	e.run(6 * time.Minute)
	assert.Nil(t, getPod(t, e, "web-1").DeletionTimestamp, "no eviction in full disruption")
}

// A custom NoExecute taint evicts pods that do not tolerate it at once.
func TestTaintEvictionUntoleratedTaint(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewTaintEviction)
	e.registerNode("worker-1", "zone-a")
	e.create(nakedPod("web-1"))
	e.create(nakedPod("tolerant", api.Toleration{Key: "dedicated", Operator: api.TolerationOpEqual, Value: "db", Effect: api.TaintEffectNoExecute}))
	e.runPod("default", "web-1", "worker-1", "10.244.1.2", true)
	e.runPod("default", "tolerant", "worker-1", "10.244.1.3", true)
	n := api.DeepCopy(getNode(t, e, "worker-1"))
	n.Spec.Taints = []api.Taint{{Key: "dedicated", Value: "db", Effect: api.TaintEffectNoExecute}}
	_, err := e.Admin.Update(n)
	require.NoError(t, err)
	e.run(time.Second)
	assert.NotNil(t, getPod(t, e, "web-1").DeletionTimestamp)
	assert.Nil(t, getPod(t, e, "tolerant").DeletionTimestamp)
}

// With the cluster's own kubelets and its leader-elected managers: a
// worker whose kubelet dies is NotReady and tainted unreachable within
// 50-60 s.
func TestNodeLifecycleWithRealKubelet(t *testing.T) {
	e := boot(t, cluster.Config{Workers: []string{"worker-1"}})
	e.waitFor("worker-1 Ready", func() bool {
		o, err := e.Admin.Get("nodes", "", "worker-1")
		return err == nil && readyOf(o.(*api.Node)).Status == api.ConditionTrue
	}, time.Minute)
	e.run(20 * time.Second)
	require.NoError(t, e.K.Crash(kubelet.ActorName("worker-1")))
	died := e.K.Now()
	e.waitFor("NotReady", func() bool { return readyOf(getNode(t, e, "worker-1")).Status == api.ConditionUnknown }, 2*time.Minute)
	assert.InDelta(t, 55, (e.K.Now() - died).Seconds(), 6)
	e.run(3 * time.Second)
	assert.Subset(t, taintStrings(getNode(t, e, "worker-1")), []string{"node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"})
}

// A node whose kubelet never posted status gets the startup grace period
// (60 s), then conditions "Kubelet never posted node status."
func TestNodeLifecycleNeverPostedStatus(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewNodeLifecycle)
	e.create(&api.Node{ObjectMeta: api.ObjectMeta{Name: "ghost"}})
	created := e.K.Now()
	e.waitFor("a Ready condition", func() bool { return readyOf(getNode(t, e, "ghost")).Type == api.NodeReady }, 2*time.Minute)
	assert.InDelta(t, 62, (e.K.Now() - created).Seconds(), 4, "node-startup-grace-period 60 s, seen at a 5 s monitor pass")
	n := getNode(t, e, "ghost")
	r := readyOf(n)
	assert.Equal(t, api.ConditionUnknown, r.Status)
	assert.Equal(t, "NodeStatusNeverUpdated", r.Reason)
	assert.Equal(t, "Kubelet never posted node status.", r.Message)
	var types []string
	for _, c := range n.Status.Conditions {
		types = append(types, string(c.Type))
	}
	assert.Equal(t, []string{"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}, types)
}

package cluster

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func actorNode(c *Cluster, name string) (node string, running bool) {
	for _, a := range c.K.Actors() {
		if a.Name == name {
			return a.Node, c.K.Running(name)
		}
	}
	return "", false
}

func addonPod(t *testing.T, c *Cluster, selector, node string) *api.Pod {
	t.Helper()
	pods, _, err := c.Admin.List("pods", "kube-system", client.ListOptions{LabelSelector: selector})
	require.NoError(t, err)
	for _, o := range pods {
		p := o.(*api.Pod)
		if node == "" || p.Spec.NodeName == node {
			return p
		}
	}
	return nil
}

// The add-ons' actors run where their pods run: cilium-operator on its
// pod's node, and a node's kube-proxy stops with its DaemonSet pod and
// starts again with the pod the DaemonSet brings back.
func TestAddonActorsFollowTheirPods(t *testing.T) {
	c, err := New(Config{Seed: 1, Addons: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(func() bool {
		p := addonPod(t, c, "io.cilium/app=operator", "")
		if p == nil || !running(p) {
			return false
		}
		n, ok := actorNode(c, operatorActor)
		return ok && n == p.Spec.NodeName
	}, 3*time.Minute), "cilium-operator's actor runs on its pod's node")

	proxy := addonPod(t, c, "k8s-app=kube-proxy", "worker-2")
	require.NotNil(t, proxy)
	require.True(t, c.WaitFor(func() bool { return running(addonPod(t, c, "k8s-app=kube-proxy", "worker-2")) }, time.Minute))
	_, err = c.Admin.Delete("pods", "kube-system", proxy.Name, client.DeleteOptions{})
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return !c.K.Running("kube-proxy-worker-2") }, time.Minute), "kube-proxy stops with its pod")
	require.True(t, c.WaitFor(func() bool {
		p := addonPod(t, c, "k8s-app=kube-proxy", "worker-2")
		return p != nil && p.UID != proxy.UID && running(p) && c.K.Running("kube-proxy-worker-2")
	}, 3*time.Minute), "the DaemonSet's new pod brings kube-proxy back")
	assert.True(t, c.K.Running("kube-proxy-worker-1"), "the other nodes' kube-proxy is untouched")

	// A nodeSelector that no longer matches worker-1 takes its agent away.
	_, err = c.Admin.Patch("daemonsets", "kube-system", "cilium", apiwire.StrategicMergePatch,
		[]byte(`{"spec":{"template":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"NotIn","values":["worker-1"]}]}]}}}}}}}`), "")
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return !c.K.Running("cilium-agent-worker-1") }, 3*time.Minute), "cilium-agent-worker-1 stops when its pod is taken away")
	c.K.RunFor(time.Minute)
	assert.False(t, c.K.Running("cilium-agent-worker-1"))
	assert.Nil(t, addonPod(t, c, "k8s-app=cilium", "worker-1"))
	assert.True(t, c.K.Running("cilium-agent-worker-2"))
}

// Powering off the node that holds the cilium-operator pod stops the
// operator. Its pod tolerates every taint, so, as in a real cluster, it is
// never evicted from the dead node (and could even be scheduled there
// again); deleting the dead Node (what an operator does) lets the pod
// garbage collector delete the pod, and the Deployment's replacement pod
// brings the operator up elsewhere.
func TestOperatorMovesWithItsPod(t *testing.T) {
	c, err := New(Config{Seed: 2, Addons: true})
	require.NoError(t, err)
	defer c.Stop()
	var first *api.Pod
	require.True(t, c.WaitFor(func() bool {
		first = addonPod(t, c, "io.cilium/app=operator", "")
		n, ok := actorNode(c, operatorActor)
		return first != nil && running(first) && ok && n == first.Spec.NodeName
	}, 3*time.Minute))
	dead := first.Spec.NodeName
	require.NotEqual(t, "cp-1", dead, "seed 2 puts the operator on a worker (cp-1 holds the whole control plane)")
	require.NoError(t, c.K.StopNode(dead))
	assert.False(t, c.K.Running(operatorActor), "the operator stops with its node")
	c.K.RunFor(6 * time.Minute)
	assert.False(t, c.K.Running(operatorActor), "nothing evicts a pod that tolerates every taint")
	_, err = c.Admin.Delete("nodes", "", dead, client.DeleteOptions{})
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		p := addonPod(t, c, "io.cilium/app=operator", "")
		for _, o := range listPods(t, c, "io.cilium/app=operator") {
			if o.UID != first.UID && running(o) {
				p = o
			}
		}
		n, ok := actorNode(c, operatorActor)
		return p != nil && p.UID != first.UID && ok && n == p.Spec.NodeName && n != dead
	}, 10*time.Minute), "the replacement pod's node runs the operator")
}

func listPods(t *testing.T, c *Cluster, selector string) []*api.Pod {
	t.Helper()
	objs, _, err := c.Admin.List("pods", "kube-system", client.ListOptions{LabelSelector: selector})
	require.NoError(t, err)
	var out []*api.Pod
	for _, o := range objs {
		out = append(out, o.(*api.Pod))
	}
	return out
}

func TestTheRegistryKnowsItsImages(t *testing.T) {
	for ref, want := range map[string]bool{
		"registry.k8s.io/kube-scheduler:v1.32.4":                        true,
		"registry.k8s.io/kube-schedular:v1.32.4":                        false,
		"registry.k8s.io/kube-scheduler:1.32.4":                         false,
		"registry.k8s.io/etcd:3.5.16-0":                                 true,
		"registry.k8s.io/e2e-test-images/agnhost:2.52":                  true,
		"registry.k8s.io/pause:3.10":                                    true,
		"registry.k8s.io/pause:3.99":                                    false,
		"nginx:1.27":                                                    true,
		"registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0": true,
	} {
		assert.Equal(t, want, imageExists(ref), ref)
	}
}

// A static pod's mirror pod shares its name with the control-plane
// program (etcd-cp-1): deleting the mirror pod, as a kubelet does when the
// manifest changes, leaves the program to the kubelet.
func TestDeletingAMirrorPodLeavesItsProgramRunning(t *testing.T) {
	c, err := New(Config{Seed: 1, Addons: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, 2*time.Minute))
	c.K.RunFor(10 * time.Second)
	require.True(t, c.K.Running("etcd-cp-1"))
	_, err = c.Admin.Delete("pods", "kube-system", "etcd-cp-1", client.DeleteOptions{})
	require.NoError(t, err)
	c.K.RunFor(10 * time.Second)
	assert.True(t, c.K.Running("etcd-cp-1"), "etcd still runs")
	_, err = c.Admin.Get("pods", "kube-system", "etcd-cp-1")
	assert.NoError(t, err, "the kubelet published the mirror pod again")
}

// A node powered off for a while and on again: its DaemonSet pods are the
// same pods, their containers restart, and the node's kube-proxy and
// Cilium agent run again with them (and the node's rules are programmed).
func TestNodeAgentsRunAgainAfterPowerCycle(t *testing.T) {
	c, err := New(Config{Seed: 1, Addons: true, ControlPlanes: []string{"cp-1"}, Workers: []string{"worker-1", "worker-2"}})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.Settled, 5*time.Minute), "the cluster settles")
	before := addonPod(t, c, "k8s-app=kube-proxy", "worker-2")
	require.NotNil(t, before)
	require.NoError(t, c.K.StopNode("worker-2"))
	c.K.RunFor(2 * time.Minute)
	require.NoError(t, c.K.StartNode("worker-2"))
	require.True(t, c.WaitFor(c.Settled, 5*time.Minute), "the cluster settles again: kube-proxy-worker-2 running %v, cilium-agent-worker-2 running %v",
		c.K.Running("kube-proxy-worker-2"), c.K.Running("cilium-agent-worker-2"))
	after := addonPod(t, c, "k8s-app=kube-proxy", "worker-2")
	require.NotNil(t, after)
	assert.Equal(t, before.UID, after.UID, "the same DaemonSet pod (the test is about a pod that comes back)")
	assert.True(t, c.K.Running("kube-proxy-worker-2"))
	assert.True(t, c.K.Running("cilium-agent-worker-2"))
}

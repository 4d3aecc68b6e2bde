package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The PriorityClass and Pod of the Kubernetes documentation's "Pod
// Priority and Preemption" page (kubernetes/website,
// content/en/docs/concepts/scheduling-eviction/pod-priority-preemption.md),
// with a CPU request added so that the pod needs room.
const (
	highPriorityClass = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority
value: 1000000
globalDefault: false
description: "This priority class should be used for XYZ service pods only."
`
	nonPreemptingClass = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority-nonpreempting
value: 1000000
preemptionPolicy: Never
globalDefault: false
description: "This priority class will not cause other pods to be preempted."
`
	nginxPod = `apiVersion: v1
kind: Pod
metadata:
  name: nginx
  labels:
    env: test
spec:
  containers:
  - name: nginx
    image: nginx
    imagePullPolicy: IfNotPresent
    resources:
      requests:
        cpu: "1"
  priorityClassName: high-priority
`
)

func createManifest(t *testing.T, c interface {
	Create(api.Object) (api.Object, error)
}, text string) {
	t.Helper()
	objs, err := api.DecodeManifests("manifest.yaml", []byte(text))
	require.NoError(t, err)
	for _, o := range objs {
		if p, ok := o.(*api.Pod); ok && p.Namespace == "" {
			p.Namespace = "default"
		}
		_, err := c.Create(o)
		require.NoError(t, err)
	}
}

// fillWorkers runs one 1200m pod of priority 0 on each worker. Its
// container ignores SIGTERM (a shell's sleep as PID 1), so a preempted
// one takes its 30s grace period to go.
func fillWorkers(t *testing.T, c *cluster.Cluster) {
	for _, w := range []string{"worker-1", "worker-2", "worker-3"} {
		p := pod("low-"+w, "1200m")
		p.Spec.Containers[0].Image = "busybox:1.36"
		p.Spec.Containers[0].Command = []string{"sleep", "infinity"}
		p.Spec.NodeSelector = map[string]string{api.LabelHostname: w}
		_, err := c.Admin.Create(p)
		require.NoError(t, err)
	}
	require.True(t, c.WaitFor(func() bool {
		for _, w := range []string{"worker-1", "worker-2", "worker-3"} {
			if get(t, c, "low-"+w).Status.Phase != api.PodRunning {
				return false
			}
		}
		return true
	}, 2*time.Minute))
}

func TestPreemptionOfTheDocumentationExample(t *testing.T) {
	c := boot(t, 1)
	fillWorkers(t, c)
	createManifest(t, c.Admin, highPriorityClass)
	createManifest(t, c.Admin, nginxPod)

	// The preemptor is nominated first, while its victim terminates.
	require.True(t, c.WaitFor(func() bool { return get(t, c, "nginx").Status.NominatedNodeName != "" }, time.Minute))
	nginx := get(t, c, "nginx")
	require.NotNil(t, nginx.Spec.Priority)
	assert.Equal(t, int32(1000000), *nginx.Spec.Priority)
	node := nginx.Status.NominatedNodeName
	assert.Empty(t, nginx.Spec.NodeName, "not bound while the victim terminates")
	victim := get(t, c, "low-"+node)
	require.NotNil(t, victim.DeletionTimestamp, "the victim is deleted gracefully")
	var cond *api.PodCondition
	for i := range victim.Status.Conditions {
		if victim.Status.Conditions[i].Type == api.DisruptionTarget {
			cond = &victim.Status.Conditions[i]
		}
	}
	require.NotNil(t, cond, "the victim has the DisruptionTarget condition")
	assert.Equal(t, api.ConditionTrue, cond.Status)
	assert.Equal(t, "PreemptionByScheduler", cond.Reason)
	assert.Equal(t, "default-scheduler: preempting to accommodate a higher priority pod", cond.Message)
	assert.Equal(t, []string{"low-" + node + ": Preempted by pod " + string(nginx.UID) + " on node " + node}, events(t, c, "Preempted"))
	// The first FailedScheduling has no preemption sentence: preemption
	// found a node.
	failed := events(t, c, "FailedScheduling")
	require.NotEmpty(t, failed)
	assert.Equal(t, "nginx: 0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu.", failed[0])

	// Once the victim is gone, nginx binds to the nominated node.
	require.True(t, c.WaitFor(func() bool { return get(t, c, "nginx").Spec.NodeName != "" }, 2*time.Minute))
	assert.Equal(t, node, get(t, c, "nginx").Spec.NodeName)
	assert.Equal(t, node, get(t, c, "nginx").Status.NominatedNodeName, "the nomination stays after binding, as in Kubernetes")
	// The other low pods still run: one victim was enough.
	for _, w := range []string{"worker-1", "worker-2", "worker-3"} {
		if w != node {
			assert.Nil(t, get(t, c, "low-"+w).DeletionTimestamp, w)
		}
	}
}

func TestNonPreemptingPriorityClassWaits(t *testing.T) {
	c := boot(t, 1)
	fillWorkers(t, c)
	createManifest(t, c.Admin, nonPreemptingClass)
	createManifest(t, c.Admin, strings.Replace(nginxPod, "priorityClassName: high-priority", "priorityClassName: high-priority-nonpreempting", 1))
	want := "nginx: 0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
	require.True(t, c.WaitFor(func() bool {
		for _, e := range events(t, c, "FailedScheduling") {
			if e == want {
				return true
			}
		}
		return false
	}, 2*time.Minute), "FailedScheduling: %v", events(t, c, "FailedScheduling"))
	c.WaitFor(func() bool { return false }, time.Minute)
	assert.Empty(t, events(t, c, "Preempted"))
	assert.Empty(t, get(t, c, "nginx").Status.NominatedNodeName)
	assert.Empty(t, get(t, c, "nginx").Spec.NodeName)
}

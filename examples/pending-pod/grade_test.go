package pendingpod

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "ae1d8c4349caf96a2cb255a6a83d4fe75543193489885106ecb1418ceecc479a"

var batchTaint = api.Taint{Key: "dedicated", Value: "batch", Effect: api.TaintEffectNoSchedule}

// start boots the cluster of the exercise: a control plane (tainted
// node-role.kubernetes.io/control-plane:NoSchedule, as kubeadm does), a
// small general-purpose worker and a bigger node of the batch pool.
func start(t testing.TB) *simtest.Kit {
	return simtest.Start(t, simtest.Workers("worker-1", "batch-1"), simtest.Nodes(
		cluster.NodeSpec{Name: "worker-1", CPU: "2", Memory: "8Gi"},
		cluster.NodeSpec{Name: "batch-1", CPU: "8", Memory: "16Gi", Labels: map[string]string{"node-pool": "batch"}, Taints: []api.Taint{batchTaint}},
	))
}

func TestPodsGetScheduled(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradePods)
}

func gradePods(t testing.TB) {
	k := start(t)
	k.Apply(Manifest)

	report := k.WaitForPod("report", time.Minute, "Running on batch-1", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Spec.NodeName == "batch-1"
	})
	cache := k.WaitForPodPhase("cache", api.PodRunning, time.Minute)
	if t.Failed() {
		return
	}

	// The fixes keep the pods' intent.
	req := report.Spec.Containers[0].Resources.Requests
	assert.Equal(t, "3", quantity(req, "cpu"), "report still asks for the 3 CPUs it needs")
	controlPlane := api.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: api.TaintEffectNoSchedule}
	for _, tol := range report.Spec.Tolerations {
		assert.False(t, tolerates(tol, controlPlane), "report's toleration %+v also lets it onto control-plane nodes: name the batch taint exactly", tol)
	}
	mem, err := api.ParseQuantity(quantity(cache.Spec.Containers[0].Resources.Requests, "memory"))
	if assert.NoError(t, err) {
		min, max := api.MustParseQuantity("3Gi"), api.MustParseQuantity("4Gi")
		assert.True(t, mem.Cmp(min) >= 0 && mem.Cmp(max) <= 0, "cache asks for what it uses at its peak (3Gi); it asks for %s", mem.String())
	}
}

func quantity(rl api.ResourceList, name string) string {
	q, ok := rl[api.ResourceName(name)]
	if !ok {
		return ""
	}
	return q.String()
}

// tolerates is the toleration matching of the TaintToleration plugin.
func tolerates(tol api.Toleration, taint api.Taint) bool {
	if tol.Effect != "" && tol.Effect != taint.Effect {
		return false
	}
	if tol.Key == "" {
		return tol.Operator == api.TolerationOpExists
	}
	if tol.Key != taint.Key {
		return false
	}
	if tol.Operator == api.TolerationOpExists {
		return true
	}
	return tol.Value == taint.Value
}

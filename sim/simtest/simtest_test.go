package simtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: nginx:1.27
        resources:
          requests: {cpu: 100m}
`

const huge = `apiVersion: v1
kind: Pod
metadata:
  name: huge
  labels: {app: huge}
spec:
  containers:
  - name: main
    image: nginx:1.27
    resources:
      requests: {cpu: "64"}
`

func TestStartApplyWait(t *testing.T) {
	k := simtest.Start(t, simtest.Workers("worker-1", "worker-2", "worker-3"))
	res := k.Apply(web)
	require.Len(t, res, 1)
	assert.Equal(t, "deployment.apps/web created", res[0].String())
	pods := k.WaitForPodsRunning("app=web", 3, 2*time.Minute)
	require.Len(t, pods, 3)
	nodes := map[string]bool{}
	for _, p := range pods {
		nodes[p.Spec.NodeName] = true
	}
	assert.Len(t, nodes, 3, "the default spreading puts one replica on each worker")

	p := k.Pod(pods[0].Name)
	assert.Equal(t, api.PodRunning, p.Status.Phase)
	var reasons []string
	for _, e := range k.Events(p) {
		reasons = append(reasons, e.Reason)
	}
	assert.Contains(t, reasons, "Scheduled")
	assert.Contains(t, reasons, "Started")
	ev := k.WaitForEvent(p, "Scheduled", time.Second)
	assert.Contains(t, ev.Message, "Successfully assigned default/"+p.Name+" to "+p.Spec.NodeName)
}

func TestNamespacesAndTryApply(t *testing.T) {
	k := simtest.Start(t, simtest.Workers("worker-1"))
	k.Apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n")
	ka := k.InNamespace("team-a")
	ka.Apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: {a: b}\n")
	objs := ka.List("configmaps", "")
	var names []string
	for _, o := range objs {
		names = append(names, o.GetObjectMeta().Name)
	}
	assert.Contains(t, names, "cfg")
	assert.Empty(t, k.Pods(""), "nothing in default")

	_, err := k.TryApply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: main\n    imagee: nginx\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown field "spec.containers[0].imagee"`)
}

// A failed wait says what was expected, what the cluster shows (the pod,
// why it is Pending) and how the trace ends.
func TestWaitFailureReport(t *testing.T) {
	k := simtest.Start(t, simtest.Workers("worker-1"))
	k.Apply(huge)
	rec := simtest.Capture("TestHuge", func(t testing.TB) {
		k.WithT(t).WaitForPodsRunning("app=huge", 1, 20*time.Second)
		t.Error("not reached: the failed wait stops the test")
	})
	require.True(t, rec.Failed())
	require.Len(t, rec.Errors(), 1)
	report := rec.Report()
	for _, want := range []string{
		`expected: 1 pod(s) matching "app=huge" Running in namespace default (within 20s of virtual time)`,
		"0 of 1 matching pod(s) Running",
		"NAME", "huge", "Pending", "<none>", // kubectl get pods -o wide
		"FailedScheduling", "0/2 nodes are available", "Insufficient cpu", // the pod's events
		"last 20 trace records:",
	} {
		assert.Contains(t, report, want)
	}
	_, tail, ok := strings.Cut(report, "last 20 trace records:\n")
	require.True(t, ok)
	assert.Equal(t, 20, strings.Count(tail, "s] #"), "twenty records")
	assert.NotContains(t, tail, simtest.Endpoint, "the kit's own reads are left out of the tail")
	for _, r := range k.TraceTail(20) {
		assert.Contains(t, tail, r.Text())
	}
}

func TestPodAndApplyFailureReports(t *testing.T) {
	k := simtest.Start(t, simtest.Workers("worker-1"))
	k.Apply(huge)
	rec := simtest.Capture("TestMissing", func(t testing.TB) { k.WithT(t).Pod("web") })
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.Report(), "expected: pod default/web")
	assert.Contains(t, rec.Report(), "no such pod")
	assert.Contains(t, rec.Report(), "huge", "the pods there are")

	rec = simtest.Capture("TestBadManifest", func(t testing.TB) {
		k.WithT(t).Apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web\nspec:\n  containers:\n  - name: main\n    image: nginx\n")
	})
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.Report(), "kubectl apply failed")
	assert.Contains(t, rec.Report(), `Pod "Web" is invalid`)

	rec = simtest.Capture("TestEventually", func(t testing.TB) {
		k.WithT(t).Eventually(5*time.Second, "the moon to rise", func() (string, bool) { return "no moon", false })
	})
	assert.Contains(t, rec.Report(), "expected: the moon to rise (within 5s of virtual time)")
	assert.Contains(t, rec.Report(), "    no moon\n")
	assert.Contains(t, k.Report("the moon to rise", "no moon"), "expected: the moon to rise\nseen (at ")
}

func TestNodeShapesAndPlugins(t *testing.T) {
	k := simtest.Start(t, simtest.Workers("worker-1"),
		simtest.Nodes(cluster.NodeSpec{Name: "worker-1", CPU: "2", Zone: "zone-x", Taints: []api.Taint{{Key: "dedicated", Value: "batch", Effect: api.TaintEffectNoSchedule}}}))
	k.Apply(`apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: main
    image: nginx:1.27
`)
	ev := k.WaitForEvent(k.Pod("p"), "FailedScheduling", 10*time.Second)
	assert.Equal(t, "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.", ev.Message)
}

func TestRecorderSkip(t *testing.T) {
	rec := simtest.Capture("TestSkip", func(t testing.TB) {
		t.Skip("not today")
		t.Error("not reached")
	})
	assert.True(t, rec.Skipped())
	assert.False(t, rec.Failed())
	assert.Equal(t, []string{"not today"}, rec.Logs())
}

func containsText(s, sub string) bool { return strings.Contains(s, sub) }

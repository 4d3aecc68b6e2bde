package serve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kubernetes/website examples policy/zookeeper-pod-disruption-budget-*.yaml.
const zkPDBMinAvailable = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: zk-pdb
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: zookeeper
`

const agentDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: nginx:1.27
`

const zkPDBMaxUnavailable = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: zk-pdb-max
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: zookeeper
`

// TestKubectlDrainWithPDB drains a node with the real kubectl: DaemonSet
// pods are refused without --ignore-daemonsets, the budget makes kubectl
// retry an eviction on 429 until the Deployment's replacement is ready,
// and every web pod ends up off the node.
func TestKubectlDrainWithPDB(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	e.must("apply", "-f", e.file("zk-min.yaml", zkPDBMinAvailable))
	e.must("apply", "-f", e.file("zk-max.yaml", zkPDBMaxUnavailable))
	out := e.eventually("zk-pdb-max", "get", "pdb")
	assert.Contains(t, firstLine(out), "NAME         MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE")
	assert.Regexp(t, `zk-pdb +2 +N/A +0 `, out)
	assert.Regexp(t, `zk-pdb-max +N/A +1 +0 `, out)
	e.must("delete", "pdb", "zk-pdb", "zk-pdb-max")

	e.must("apply", "-f", e.file("agent.yaml", agentDaemonSet))
	e.must("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3")
	e.eventually("agent-", "get", "pods", "-l", "app=agent", "-o", "wide")
	e.must("create", "pdb", "web", "--selector=app=web", "--min-available=2")
	e.eventually("web    2               N/A               1", "get", "pdb", "web")
	pods := e.must("get", "pods", "-o", "wide", "-l", "app=web")
	node := "worker-1"
	if !strings.Contains(pods, "worker-1") {
		node = "worker-2"
	}

	_, errOut, code := e.run("", "drain", node)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
	assert.Contains(t, e.must("get", "node", node), "SchedulingDisabled", "drain cordons first")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, errOut, code = e.runCtx(ctx, "", "drain", node, "--ignore-daemonsets")
	require.Equal(t, 0, code, "%s%s", out, errOut)
	assert.Contains(t, out, "node/"+node+" drained")
	assert.NotContains(t, e.must("get", "pods", "-o", "wide", "-l", "app=web", "--field-selector", "spec.nodeName="+node), "web-")

	e.must("uncordon", node)
	assert.NotContains(t, e.must("get", "node", node), "SchedulingDisabled")
}

// TestKubectlEvictionRefusedOverBudget checks that a drain of a node
// whose pods are all the budget holds cannot finish: kubectl prints the
// eviction API's 429 and retries.
func TestKubectlEvictionRefusedOverBudget(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	e.must("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
	e.must("create", "pdb", "web", "--selector=app=web", "--min-available=2")
	e.eventually("web    2               N/A               0", "get", "pdb", "web")
	pods := e.must("get", "pods", "-o", "wide", "-l", "app=web")
	node := "worker-1"
	if !strings.Contains(pods, "worker-1") {
		node = "worker-2"
	}
	_, errOut, code := e.run("", "drain", node, "--ignore-daemonsets", "--timeout=8s")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, `(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`)
}

package serve

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealKubectlPreemption fills every worker with a pod of priority 0,
// then creates a pod of the documentation's high-priority class that fits
// nowhere: the real kubectl sees its nomination, the Preempted event on
// the victim, and the pod bound to the nominated node.
func TestRealKubectlPreemption(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	nodes := strings.Fields(e.must("get", "nodes", "-l", "!node-role.kubernetes.io/control-plane", "-o", "jsonpath={.items[*].metadata.name}"))
	require.NotEmpty(t, nodes)
	for _, n := range nodes {
		e.must("apply", "-f", e.file("low-"+n+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: low-%[1]s}
spec:
  nodeSelector: {kubernetes.io/hostname: %[1]s}
  containers:
  - name: sleep
    image: busybox:1.36
    command: ["sleep", "infinity"]
    resources: {requests: {cpu: 2500m}}
`, n)))
	}
	for _, n := range nodes {
		e.eventually("Running", "get", "pod", "low-"+n, "-o", "jsonpath={.status.phase}")
	}
	e.must("apply", "-f", e.file("pc.yaml", highPriorityClass))
	e.must("apply", "-f", e.file("pod.yaml", strings.Replace(highPriorityPod, "    imagePullPolicy: IfNotPresent\n",
		"    imagePullPolicy: IfNotPresent\n    resources: {requests: {cpu: 2500m}}\n", 1)))

	uid := e.must("get", "pod", "nginx", "-o", "jsonpath={.metadata.uid}")
	node := e.eventually("worker", "get", "pod", "nginx", "-o", "jsonpath={.status.nominatedNodeName}")
	assert.Contains(t, nodes, node)
	events := e.eventually("Preempted", "get", "events", "--field-selector", "reason=Preempted")
	assert.Regexp(t, `Normal +Preempted +pod/low-`+node+` +Preempted by pod `+uid+` on node `+node+`\n`, events)
	assert.Equal(t, node, e.eventually(node, "get", "pod", "nginx", "-o", "jsonpath={.spec.nodeName}"))
	wide := e.must("get", "pod", "nginx", "-o", "wide")
	assert.Regexp(t, `NOMINATED NODE`, wide)
	assert.Regexp(t, `\nnginx +\S+ +\S+ +\d+ +\S+ +\S+ +`+node+` +`+node+` +`, wide)
}

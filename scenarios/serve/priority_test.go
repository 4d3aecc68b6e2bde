package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The PriorityClass example of the kubernetes.io "Pod Priority and
// Preemption" page, and a pod that names it, through the real kubectl.
const highPriorityClass = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority
value: 1000000
globalDefault: false
description: "This priority class should be used for XYZ service pods only."
`

const highPriorityPod = `apiVersion: v1
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
  priorityClassName: high-priority
`

func TestRealKubectlPriorityClasses(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})

	out := e.must("get", "priorityclasses")
	assert.Regexp(t, `^NAME +VALUE +GLOBAL-DEFAULT +AGE +PREEMPTIONPOLICY\n`, out)
	assert.Regexp(t, `\nsystem-cluster-critical +2000000000 +false +\S+ +PreemptLowerPriority\n`, out)
	assert.Regexp(t, `\nsystem-node-critical +2000001000 +false +\S+ +PreemptLowerPriority\n`, out)

	assert.Equal(t, "priorityclass.scheduling.k8s.io/high-priority created\n", e.must("apply", "-f", e.file("pc.yaml", highPriorityClass)))
	assert.Regexp(t, `\nhigh-priority +1000000 +false +\S+ +PreemptLowerPriority\n`, e.must("get", "pc"))
	assert.Equal(t, "pod/nginx created\n", e.must("apply", "-f", e.file("pod.yaml", highPriorityPod)))
	assert.Equal(t, "1000000 PreemptLowerPriority", e.must("get", "pod", "nginx", "-o", "jsonpath={.spec.priority} {.spec.preemptionPolicy}"))
	assert.Contains(t, e.must("describe", "priorityclass", "high-priority"), "This priority class should be used for XYZ service pods only.")

	_, errOut, code := e.run("", "run", "lost", "--image=nginx", "--overrides", `{"spec":{"priorityClassName":"nope"}}`)
	assert.NotEqual(t, 0, code)
	assert.Equal(t, "Error from server (Forbidden): pods \"lost\" is forbidden: no PriorityClass with name nope was found\n", errOut)
}

package drill

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const shellDrill = `name: scheduler-manifest-moved
workers: []
steps:
- name: the scheduler's manifest leaves the kubelet's staticPodPath
  shell: {node: cp-1, run: "mv /etc/kubernetes/manifests/kube-scheduler.yaml /root/"}
- advance: 5s
- shell: {node: cp-1, run: "crictl ps --name kube-scheduler | wc -l", output: "1"}
- apply: |
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      containers: [{name: web, image: nginx:1.27}]
  expect:
  - pods: {selector: "", phase: Pending, count: 1}
- shell: {node: cp-1, run: "mv /root/kube-scheduler.yaml /etc/kubernetes/manifests/"}
- wait: {object: {ref: pod/web, path: status.phase, equals: Running}, within: 2m}
`

func TestShellStepsBreakAndFixANode(t *testing.T) {
	dr, err := Parse("shell.yaml", []byte(strings.Replace(shellDrill, "workers: []\n", "", 1)), os.ReadFile)
	require.NoError(t, err)
	var out bytes.Buffer
	res, err := Run(dr, Options{Out: &out, Lang: "en"})
	require.NoError(t, err)
	assert.True(t, res.Passed, out.String())
	assert.Contains(t, out.String(), "step 3: shell\n    1\n", "crictl shows no scheduler container: only its header line")

	// A command that fails fails its step, and the drill.
	bad := strings.Replace(shellDrill, `run: "mv /root/kube-scheduler.yaml /etc/kubernetes/manifests/"`, `run: "mv /root/kube-schedulr.yaml /etc/kubernetes/manifests/"`, 1)
	bad = strings.Replace(bad, "workers: []\n", "", 1)
	dr, err = Parse("bad.yaml", []byte(bad), os.ReadFile)
	require.NoError(t, err)
	out.Reset()
	res, err = Run(dr, Options{Out: &out, Lang: "en"})
	require.NoError(t, err)
	assert.False(t, res.Passed)
	assert.Contains(t, out.String(), "mv: cannot stat '/root/kube-schedulr.yaml': No such file or directory")
}

func TestShellStepsAreCheckedAtReadTime(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown node", "name: x\nsteps:\n- shell: {node: worker-9, run: ls}\n", `x.yaml:3:5: steps[0].shell.node: no node named "worker-9" in this drill's cluster (nodes: cp-1, worker-1, worker-2)`},
		{"declared nodes", "name: x\ncluster:\n  workers: [{name: w1}]\nsteps:\n- shell: {node: worker-1, run: ls}\n", `(nodes: cp-1, w1)`},
		{"missing node", "name: x\nsteps:\n- shell: {run: ls}\n", "steps[0].shell.node: required"},
		{"missing run", "name: x\nsteps:\n- shell: {node: cp-1}\n", "steps[0].shell.run: required"},
		{"unknown field", "name: x\nsteps:\n- shell: {node: cp-1, cmd: ls}\n", `unknown field "cmd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml), os.ReadFile)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

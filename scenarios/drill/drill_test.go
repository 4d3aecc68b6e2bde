package drill

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGoodDrillPasses(t *testing.T) {
	dr, err := Load("testdata/good.yaml")
	require.NoError(t, err)
	var out bytes.Buffer
	res, err := Run(dr, Options{Out: &out, Lang: "en"})
	require.NoError(t, err)
	assert.True(t, res.Passed, out.String())
	assert.Contains(t, out.String(), "PASS the namespace is Terminating")
	require.Len(t, res.Steps, 4)
	assert.Equal(t, `namespace "team-a" deleted`, res.Steps[1].Output)
	assert.Contains(t, res.Steps[2].Output, "unable to create new content")
}

func TestWrongExpectationFailsWithWhatItSaw(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	require.NoError(t, err)
	bad := strings.Replace(string(data), "equals: Terminating", "equals: Gone", 1)
	dr, err := Parse("wrong.yaml", []byte(bad), os.ReadFile)
	require.NoError(t, err)
	var out bytes.Buffer
	res, err := Run(dr, Options{Out: &out})
	require.NoError(t, err)
	assert.False(t, res.Passed)
	g := res.Steps[1].Expect[0]
	assert.False(t, g.Passed)
	assert.Equal(t, `"Terminating"`, g.Saw)
	assert.Equal(t, `namespace/team-a status.phase = "Gone"`, g.Want)
	assert.Contains(t, out.String(), "FAIL the namespace is Terminating (line")
}

func TestMalformedDrillsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{"unknown top-level field", "name: x\nstepz: []\n", []string{`x.yaml:2:1: stepz: unknown field "stepz" (expected one of:`}},
		{"typo in a step", "name: x\nsteps:\n- advnce: 5s\n", []string{`x.yaml:3:3: steps[0].advnce: unknown field "advnce"`, `x.yaml:3:5: steps[0]: no action`}},
		{"two actions", "name: x\nsteps:\n- advance: 5s\n  kill: etcd\n", []string{"steps[0]: more than one action"}},
		{"bad duration", "name: x\nsteps:\n- advance: five\n", []string{`x.yaml:3:12: steps[0].advance: expected a duration such as 30s or 5m, got "five"`}},
		{"bad taint", "name: x\nsteps:\n- taint: {node: w, taint: gpu=yes:Sometimes}\n", []string{`unknown taint effect "Sometimes"`}},
		{"bad ref", "name: x\nsteps:\n- delete: web\n", []string{`steps[0].delete: expected kind/name such as deployment/web, got "web"`}},
		{"unknown kind in ref", "name: x\nsteps:\n- delete: widget/web\n", []string{`unknown resource type "widget"`}},
		{"bad manifest inside", "name: x\nsteps:\n- apply: |\n    apiVersion: v1\n    kind: Pod\n    metadata:\n      name: p\n    spec:\n      containers:\n      - name: c\n        imagee: nginx\n", []string{`x.yaml:11:9: Pod "p": unknown field "spec.containers[0].imagee"`}},
		{"missing name", "steps:\n- advance: 1s\n", []string{"name: required"}},
		{"empty file", "", []string{"the file is empty"}},
		{"invalid yaml", "name: [x\n", []string{"x.yaml:"}},
		{"wrong type", "name: x\nseed: lots\nsteps:\n- advance: 1s\n", []string{`x.yaml:2:7: seed: expected a non-negative integer, got "lots"`}},
		{"namespace beside an object check", "name: x\nexpect:\n- namespace: shop\n  object: {ref: configmap/c, path: data.a, equals: b}\n", []string{"expect[0].namespace: applies to absent and exec only; give the namespace inside pods, object or event"}},
		{"expectation without a check", "name: x\nexpect:\n- within: 5s\n", []string{"expect[0]: an expectation checks exactly one of pods, nodes, object, event, absent, exec or healthy"}},
		{"bad phase", "name: x\nexpect:\n- pods: {selector: app=web, phase: Runing}\n", []string{`expected Pending, Running, Succeeded, Failed or Unknown, got "Runing"`}},
		{"bad etcd members", "name: x\ncluster: {etcdMembers: 2}\nsteps:\n- advance: 1s\n", []string{"cluster.etcdMembers: expected 1, 3 or 5, got 2"}},
		{"bad exec command", "name: x\nsteps:\n- exec: {pod: client, command: ping web}\n", []string{`steps[0].exec.command: expected "curl [flags] <name or ip>[:port][/path]", "nslookup <name>", "cat <file>" or "printenv <NAME>", got "ping web"`}},
		{"missing applyFile", "name: x\nsteps:\n- applyFile: nope.yaml\n", []string{"steps[0].applyFile:", "nope.yaml"}},
		{"healthy what", "name: x\nexpect:\n- healthy: kube-shceduler\n", []string{`expect[0].healthy: expected node/<name> or a component (cilium, cilium-operator, containerd, coredns, etcd, kube-apiserver, kube-controller-manager, kube-proxy, kube-scheduler, kubelet), got "kube-shceduler"`}},
		{"healthy node", "name: x\nexpect:\n- healthy: node/worker-9\n", []string{`expect[0].healthy: the drill's cluster has no node "worker-9"`}},
		{"bad patch", "name: x\nsteps:\n- patch: {target: daemonset/kube-proxy, type: yaml, patch: '{x'}\n", []string{`steps[0].patch.type: "yaml" is not a patch type (expected strategic, merge or json)`, "steps[0].patch.patch: not JSON"}},
		{"incident fields on a drill", "name: x\nsymptom: broken\nsteps:\n- advance: 1s\n", []string{"kind: symptom, checks, solution and wrongFixes belong to incidents: add kind: incident"}},
		{"incident without its parts", "name: x\nkind: incident\nsteps:\n- advance: 1s\n", []string{"symptom: required", "checks: required", "hints: required", "solution: required", "wrongFixes: required"}},
		{"incident with a bad solution step", "name: x\nkind: incident\nsymptom: s\nchecks:\n- absent: pod/x\nhints: [h]\nsolution:\n  diagnosis: d\n  steps:\n  - delete: web\nwrongFixes:\n- name: w\n  steps:\n  - advance: 1s\n", []string{`solution.steps[0].delete: expected kind/name such as deployment/web, got "web"`}},
		{"holdsFor on none", "name: x\nexpect:\n- event: {reason: Scheduled, none: true}\n  holdsFor: 1m\n", []string{"expect[0].holdsFor: an event with none: true already holds for its whole window"}},
		{"two comparisons", "name: x\nexpect:\n- object: {ref: pod/web, path: status.podIP, equals: x, unset: true}\n", []string{"expect[0].object: say one of equals, atLeast, length or unset"}},
		{"bad node selector", "name: x\nexpect:\n- pods: {count: 1, nodeSelector: \"a b\"}\n", []string{"expect[0].pods.nodeSelector:"}},
		{"selector with a named ref", "name: x\nexpect:\n- object: {ref: endpointslice/web, selector: a=b, path: endpoints, length: 1}\n", []string{"with a selector, ref names a resource type such as endpointslices"}},
		{"none with atLeast", "name: x\nexpect:\n- event: {reason: Created, none: true, atLeast: 2}\n", []string{"expect[0].event.atLeast: none: true asks for no such event"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml), os.ReadFile)
			require.Error(t, err)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSameSeedSameReport(t *testing.T) {
	run := func() string {
		dr, err := Load("testdata/good.yaml")
		require.NoError(t, err)
		var out bytes.Buffer
		_, err = Run(dr, Options{Out: &out})
		require.NoError(t, err)
		return out.String()
	}
	assert.Equal(t, run(), run())
}

// holdsFor grades a claim that something stays so: it fails at the first
// moment it does not hold (the scheduler binds the pod), and passes when
// nothing changes it (the scheduler is down).
func TestHoldsForFailsTheMomentItStopsHolding(t *testing.T) {
	drillWith := func(first string) string {
		return `name: stays
seed: 1
steps:
` + first + `
- apply: |
    apiVersion: v1
    kind: Pod
    metadata: {name: web, labels: {app: web}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.27"}
  expect:
  - name: the pod stays Pending
    pods: {selector: app=web, phase: Pending, count: 1}
    holdsFor: 30s
`
	}
	for _, tt := range []struct {
		name, first string
		wantPass    bool
		wantSaw     string
	}{
		{"the scheduler is down", "- kill: kube-scheduler", true, "1 pod(s): 1 Pending"},
		{"the scheduler runs", "- advance: 1s", false, "at "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dr, err := Parse("stays.yaml", []byte(drillWith(tt.first)), os.ReadFile)
			require.NoError(t, err)
			res, err := Run(dr, Options{})
			require.NoError(t, err)
			g := res.Steps[1].Expect[0]
			assert.Equal(t, tt.wantPass, g.Passed, g.Saw)
			assert.Contains(t, g.Saw, tt.wantSaw)
			assert.Equal(t, "1 Pending pod(s) with app=web, holding for 30s", g.Want)
		})
	}
}

// A zone outage through stopZone, graded by nodes expectations that hold
// in that world and fail when they ask for what it is not.
func TestStopZoneAndNodesExpectations(t *testing.T) {
	src := `name: zone
cluster:
  workers:
  - {name: a, count: 2, zone: zone-a}
  - {name: b, count: 2, zone: zone-b}
steps:
- stopZone: zone-b
- advance: 70s
expect:
- name: {en: "zone-b is Unknown"}
  nodes: {selector: topology.kubernetes.io/zone=zone-b, ready: Unknown, count: 2}
- name: {en: "zone-a is Ready"}
  nodes: {selector: "topology.kubernetes.io/zone=zone-a,!node-role.kubernetes.io/control-plane", ready: "True", atLeast: 2, atMost: 2}
- name: {en: "zone-b is tainted"}
  nodes: {selector: topology.kubernetes.io/zone=zone-b, taint: node.kubernetes.io/unreachable, atLeast: 1}
- name: {en: "wrong: zone-b Ready"}
  nodes: {selector: topology.kubernetes.io/zone=zone-b, ready: "True", atLeast: 1}
  within: 1s
- name: {en: "wrong: zone-a tainted"}
  nodes: {selector: topology.kubernetes.io/zone=zone-a, taint: "node.kubernetes.io/unreachable:NoExecute", count: 1}
  within: 1s
`
	dr, err := Parse("zone.yaml", []byte(src), os.ReadFile)
	require.NoError(t, err)
	require.Len(t, dr.Cluster.Workers, 4)
	assert.Equal(t, "b-2", dr.Cluster.Workers[3].Name)
	var out bytes.Buffer
	res, err := Run(dr, Options{Out: &out})
	require.NoError(t, err)
	assert.Contains(t, out.String(), "zone zone-b powered off (2 nodes)")
	passed := map[string]bool{}
	for _, g := range res.Expectations {
		passed[g.Name] = g.Passed
	}
	assert.Equal(t, map[string]bool{"zone-b is Unknown": true, "zone-a is Ready": true, "zone-b is tainted": true,
		"wrong: zone-b Ready": false, "wrong: zone-a tainted": false}, passed, out.String())
	assert.Contains(t, out.String(), "want 1 node(s) with topology.kubernetes.io/zone=zone-a, tainted node.kubernetes.io/unreachable:NoExecute; saw 0 of 3 node(s)")
}

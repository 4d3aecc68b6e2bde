package drill

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTargetsAndBudgetsCheckedWhenRead(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // "" when the drill is accepted
	}{
		{"unknown component", "name: x\nsteps:\n- advance: 1s\n- kill: kube-nothing\n",
			`x.yaml:4:5: steps[1].kill: no component or actor named "kube-nothing" (expected a component: cilium, cilium-operator, containerd, coredns, etcd, kernel, kube-apiserver, kube-controller-manager, kube-proxy, kube-scheduler, kubelet, kubesim; or one of its actors, such as etcd-cp-1 or kubelet-worker-1)`},
		{"actor of a node that does not exist", "name: x\nsteps:\n- restart: etcd-cp-3\n", `steps[0].restart: no component or actor named "etcd-cp-3"`},
		{"control-plane actor on a worker", "name: x\nsteps:\n- kill: kube-apiserver-worker-1\n", `no component or actor named "kube-apiserver-worker-1"`},
		{"component", "name: x\nsteps:\n- kill: kube-scheduler\n", ""},
		{"actor", "name: x\ncluster: {etcdMembers: 3}\nsteps:\n- kill: etcd-cp-3\n", ""},
		{"pod actor", "name: x\nsteps:\n- kill: coredns-774d89dbcf-44mdz\n", ""},
		{"node actor on a declared worker", "name: x\ncluster:\n  workers: [{name: w-9}]\nsteps:\n- kill: kubelet-w-9\n", ""},
		{"stopNode of no node", "name: x\nsteps:\n- stopNode: worker-3\n", `x.yaml:3:5: steps[0].stopNode: no node named "worker-3" in the drill's cluster (nodes: cp-1, worker-1, worker-2)`},
		{"cordon of no node", "name: x\nsteps:\n- cordon: worker-9\n", `steps[0].cordon: no node named "worker-9"`},
		{"a group of workers", "name: x\ncluster:\n  workers: [{name: z, count: 3, zone: zone-z}]\nsteps:\n- stopNode: z-3\n- stopZone: zone-z\n", ""},
		{"past the group", "name: x\ncluster:\n  workers: [{name: z, count: 20}]\nsteps:\n- stopNode: z-21\n", `steps[0].stopNode: no node named "z-21" in the drill's cluster (nodes: cp-1, z-1, z-10, z-11, z-12, z-13, z-14, z-15, z-16, z-17, ... (21 nodes))`},
		{"stopZone of no zone", "name: x\nsteps:\n- stopZone: zone-q\n", `x.yaml:3:5: steps[0].stopZone: no node of the drill's cluster is in zone "zone-q" (zones: zone-a, zone-b)`},
		{"a negative count", "name: x\ncluster:\n  workers: [{name: z, count: -1}]\nsteps:\n- advance: 1s\n", `cluster.workers z.count: expected 1 to 5000, got -1`},
		{"a control-plane group", "name: x\ncluster:\n  controlPlanes: [{name: cp, count: 3}]\nsteps:\n- advance: 1s\n", `cluster.controlPlanes cp.count: only workers come in groups`},
		{"nodes without a number", "name: x\nexpect:\n- nodes: {ready: \"True\"}\n", `expect[0].nodes: say how many: count, or atLeast and/or atMost`},
		{"nodes with a bad Ready", "name: x\nexpect:\n- nodes: {ready: yes, count: 1}\n", `expect[0].nodes.ready: expected True, False or Unknown, got "yes"`},
		{"nodes with a bad taint effect", "name: x\nexpect:\n- nodes: {taint: \"a:Sometimes\", count: 1}\n", `expect[0].nodes.taint: expected key or key:Effect (NoSchedule, PreferNoSchedule or NoExecute), got "a:Sometimes"`},
		{"nodes with crossed bounds", "name: x\nexpect:\n- nodes: {atLeast: 3, atMost: 1}\n", `expect[0].nodes: atLeast 3 is more than atMost 1`},
		{"drain of no node", "name: x\nsteps:\n- drain: worker-9\n", `steps[0].drain: no node named "worker-9"`},
		{"taint of no node", "name: x\nsteps:\n- taint: {node: gpu-1, taint: gpu=yes:NoSchedule}\n", `steps[0].taint.node: no node named "gpu-1"`},
		{"partition of no node", "name: x\nsteps:\n- partition: {a: node/worker-1, b: node/cp-9}\n", `steps[0].partition.b: no node named "cp-9"`},
		{"partition of a component", "name: x\nsteps:\n- heal: {a: kube-scheduler, b: etcd-cp-1}\n", `steps[0].heal.a: no actor named "kube-scheduler" (expected an actor such as kube-apiserver-cp-1, or node/<name>)`},
		{"partition of actors", "name: x\nsteps:\n- partition: {a: kube-apiserver-cp-1, b: etcd-cp-1}\n", ""},
		{"advance for centuries", "name: x\nsteps:\n- advance: 2562047h\n",
			`x.yaml:3:5: steps[0].advance: the timeline goes past 24h0m0s of virtual time here (latest at: 0s), more than a drill may take`},
		{"many long waits", "name: x\nsteps:\n" + repeat("- wait: {absent: pod/x, within: 5h}\n", 5), "steps[4].wait.within: the timeline goes past 24h0m0s of virtual time here"},
		{"late at", "name: x\nsteps:\n- at: 25h\n  advance: 1s\n", "x.yaml:3:5: steps[0].at: the timeline goes past 24h0m0s of virtual time here (latest at: 25h0m0s)"},
		{"advance twice the maximum duration", "name: x\nsteps:\n- advance: 2562047h\n- advance: 2562047h\n", "steps[0].advance: the timeline goes past"},
		{"a day", "name: x\nsteps:\n- advance: 23h\n", ""},
		{"scale to int32 max", "name: x\nsteps:\n- scale: {target: deployment/web, replicas: 2147483647}\n", `steps[0].scale.replicas: 2147483647 replicas is more than a drill may run (at most 5000)`},
		{"apply a huge deployment", "name: x\nsteps:\n- apply: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n      replicas: 100000\n      selector: {matchLabels: {app: web}}\n      template:\n        metadata: {labels: {app: web}}\n        spec: {containers: [{name: c, image: nginx}]}\n",
			`steps[0]: Deployment "web": spec.replicas 100000 is more than a drill may run (at most 5000)`},
		{"negative node cpu", "name: x\ncluster:\n  workers: [{name: w, cpu: \"-1\"}]\nsteps:\n- advance: 1s\n", `node w.cpu: must be greater than 0, got "-1"`},
		{"absurd pods per node", "name: x\ncluster:\n  workers: [{name: w, pods: 1000000}]\nsteps:\n- advance: 1s\n", `node w.pods: expected 0 (the default, 110) to 1000, got 1000000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml), os.ReadFile)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

// TestComponentTableMatchesACluster keeps the table kill and restart are
// checked against honest: every actor a booted cluster runs (CoreDNS's
// pods included) and every component is accepted, and names of other
// nodes are not.
func TestComponentTableMatchesACluster(t *testing.T) {
	dr, err := Parse("x.yaml", []byte("name: x\ncluster:\n  etcdMembers: 3\n  workers: [{name: w-1}, {name: w-2}]\nsteps:\n- advance: 1s\n"), os.ReadFile)
	require.NoError(t, err)
	c, err := cluster.New(dr.clusterConfig(1))
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(2 * time.Minute)
	top := dr.topology()
	seen := map[string]bool{}
	for _, a := range c.K.Actors() {
		assert.True(t, top.hasTarget(a.Name), "actor %s", a.Name)
		assert.True(t, top.hasTarget(a.Component), "component %s", a.Component)
		seen[a.Component] = true
	}
	for _, comp := range components {
		assert.True(t, seen[comp.component], "the table names %s, which the cluster does not run", comp.component)
	}
	for _, name := range []string{"etcd-w-1", "kubelet-worker-1", "kube-proxy-cp-4", "nothing"} {
		assert.False(t, top.hasTarget(name), name)
	}
}

// TestLibraryDrillsStayWithinTheirBudgets: every built-in file still
// reads.
func TestLibraryDrillsStayWithinTheirBudgets(t *testing.T) {
	files, err := filepath.Glob("../library/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		_, err := Load(f)
		assert.NoError(t, err, fmt.Sprint(f))
	}
}

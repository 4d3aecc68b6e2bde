package drill

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"go.yaml.in/yaml/v3"
)

// A drill's budgets: what a file may ask of one run, so that a typo
// (`advance: 2562047h`, `replicas: 2147483647`) is refused when the file is
// read instead of running for weeks or growing without bound.
const (
	// MaxVirtualTime bounds the drill's timeline: its longest `at`, plus
	// every `advance`, plus the deadline (`within`) of every wait and
	// expectation. A day of virtual time takes about a minute of wall time
	// on a small cluster.
	MaxVirtualTime = 24 * time.Hour
	// MaxReplicas bounds spec.replicas, of a scale step and of a
	// Deployment or ReplicaSet a step applies.
	MaxReplicas = 5000
	// MaxNodes bounds the cluster's size (the Kubernetes scale envelope).
	MaxNodes = 5000
	// MaxPodsPerNode bounds a node's pod capacity (kubelet's maxPods).
	MaxPodsPerNode = 1000
)

// components are the simulated cluster's components, as `kill` and
// `restart` name them, and the actors each runs: one per node
// (perNode), one per control-plane node (perControlPlane), or named
// otherwise (fixed names, or prefixes of actors named after their pods).
// TestComponentTableMatchesACluster checks it against a booted cluster.
var components = []struct {
	component       string
	perNode         string // actor name prefix, followed by the node's name
	perControlPlane string
	fixed           string
	podPrefix       string
}{
	{component: "cilium", perNode: "cilium-agent-"},
	{component: "cilium-operator", fixed: "cilium-operator"},
	{component: "containerd", perNode: "containerd-"},
	{component: "coredns", podPrefix: "coredns-"},
	{component: "etcd", perControlPlane: "etcd-"},
	{component: "kernel", perNode: "datapath-"},
	{component: "kube-apiserver", perControlPlane: "kube-apiserver-"},
	{component: "kube-controller-manager", perControlPlane: "kube-controller-manager-"},
	{component: "kube-proxy", perNode: "kube-proxy-"},
	{component: "kube-scheduler", perControlPlane: "kube-scheduler-"},
	{component: "kubelet", perNode: "kubelet-"},
	{component: "kubesim", fixed: "pod-programs"},
}

// topology is what the drill's cluster will run, known before it boots.
type topology struct {
	controlPlanes, workers []string
	nodes                  map[string]bool
}

func (dr *Drill) topology() topology {
	cps, workers := dr.clusterConfig(0).NodeNames()
	t := topology{controlPlanes: cps, workers: workers, nodes: map[string]bool{}}
	for _, n := range append(append([]string(nil), cps...), workers...) {
		t.nodes[n] = true
	}
	return t
}

// hasTarget reports whether a kill or restart target names a component or
// one of its actors.
func (t topology) hasTarget(name string) bool {
	for _, c := range components {
		switch {
		case name == c.component, c.fixed != "" && name == c.fixed:
			return true
		case c.podPrefix != "" && strings.HasPrefix(name, c.podPrefix):
			return true // named after its pod: known once the pod runs
		case c.perNode != "":
			if n, ok := strings.CutPrefix(name, c.perNode); ok && t.nodes[n] {
				return true
			}
		case c.perControlPlane != "":
			if n, ok := strings.CutPrefix(name, c.perControlPlane); ok {
				for _, cp := range t.controlPlanes {
					if n == cp {
						return true
					}
				}
			}
		}
	}
	return false
}

func (t topology) nodeList() string {
	names := make([]string, 0, len(t.nodes))
	for n := range t.nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 12 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(", ... (%d nodes)", len(names))
	}
	return strings.Join(names, ", ")
}

func componentList() string {
	names := make([]string, len(components))
	for i, c := range components {
		names[i] = c.component
	}
	return strings.Join(names, ", ")
}

// checkTargets checks, before anything runs, that every node, component
// and actor a step names exists in the drill's cluster.
func (dr *Drill) checkTargets(d *decoder) {
	t := dr.topology()
	node := func(at *yaml.Node, path, name string) {
		if name != "" && !t.nodes[name] {
			d.fail(at, path, "no node named %q in the drill's cluster (nodes: %s)", name, t.nodeList())
		}
	}
	target := func(at *yaml.Node, path, name string) {
		if !t.hasTarget(name) {
			d.fail(at, path, "no component or actor named %q (expected a component: %s; or one of its actors, such as etcd-%s or kubelet-%s)",
				name, componentList(), t.controlPlanes[0], t.workersOrCP())
		}
	}
	end := func(at *yaml.Node, path, name string) {
		if name == "" {
			return
		}
		if n, ok := strings.CutPrefix(name, "node/"); ok {
			node(at, path, n)
			return
		}
		if !t.hasTarget(name) || t.isComponent(name) {
			d.fail(at, path, "no actor named %q (expected an actor such as kube-apiserver-%s, or node/<name>)", name, t.controlPlanes[0])
		}
	}
	for i := range dr.Steps {
		s := &dr.Steps[i]
		at := &yaml.Node{Line: s.Line, Column: 5}
		path := fmt.Sprintf("steps[%d]", i)
		switch {
		case s.Kill != "":
			target(at, path+".kill", s.Kill)
		case s.Restart != "":
			target(at, path+".restart", s.Restart)
		case s.MoveLeader != "":
			if !strings.HasPrefix(s.MoveLeader, "etcd-") || !t.hasTarget(s.MoveLeader) {
				d.fail(at, path+".moveLeader", "no etcd member named %q (expected etcd-<control-plane node>, such as etcd-%s)", s.MoveLeader, t.controlPlanes[0])
			}
		case s.StopNode != "":
			node(at, path+".stopNode", s.StopNode)
		case s.StartNode != "":
			node(at, path+".startNode", s.StartNode)
		case s.StopZone != "" || s.StartZone != "":
			field, zone := "stopZone", s.StopZone
			if zone == "" {
				field, zone = "startZone", s.StartZone
			}
			if len(dr.zoneNodes(zone)) == 0 {
				d.fail(at, path+"."+field, "no node of the drill's cluster is in zone %q (zones: %s)", zone, strings.Join(dr.zones(), ", "))
			}
		case s.Cordon != "":
			node(at, path+".cordon", s.Cordon)
		case s.Uncordon != "":
			node(at, path+".uncordon", s.Uncordon)
		case s.Drain != "":
			node(at, path+".drain", s.Drain)
		case s.Taint != nil:
			node(at, path+".taint.node", s.Taint.Node)
		case s.Partition != nil:
			end(at, path+".partition.a", s.Partition.A)
			end(at, path+".partition.b", s.Partition.B)
		case s.Heal != nil:
			end(at, path+".heal.a", s.Heal.A)
			end(at, path+".heal.b", s.Heal.B)
		}
	}
}

func (t topology) workersOrCP() string {
	if len(t.workers) > 0 {
		return t.workers[0]
	}
	return t.controlPlanes[0]
}

func (t topology) isComponent(name string) bool {
	for _, c := range components {
		if name == c.component && name != c.fixed {
			return true
		}
	}
	return false
}

// checkBudgets refuses what one run cannot afford.
func (dr *Drill) checkBudgets(d *decoder) {
	at := func(line int) *yaml.Node { return &yaml.Node{Line: line, Column: 5} }
	if n := len(dr.Cluster.ControlPlanes) + len(dr.Cluster.Workers); n > MaxNodes {
		d.fail(at(dr.Cluster.Line), "cluster", "%d nodes is more than a drill may have (at most %d)", n, MaxNodes)
	}
	for _, n := range append(append([]NodeSpec(nil), dr.Cluster.ControlPlanes...), dr.Cluster.Workers...) {
		if n.Pods < 0 || n.Pods > MaxPodsPerNode {
			d.fail(at(n.Line), "node "+n.Name+".pods", "expected 0 (the default, 110) to %d, got %d", MaxPodsPerNode, n.Pods)
		}
		for _, q := range []struct{ field, v string }{{"cpu", n.CPU}, {"memory", n.Memory}} {
			if x, err := api.ParseQuantity(q.v); q.v != "" && err == nil && x.Sign() <= 0 {
				d.fail(at(n.Line), "node "+n.Name+"."+q.field, "must be greater than 0, got %q", q.v)
			}
		}
	}
	// The timeline: the latest `at`, plus what every step and expectation
	// may wait. The first place that goes over the budget is reported.
	var latestAt, waits time.Duration
	over := false
	spend := func(line int, path string, dur time.Duration) {
		if over {
			return
		}
		waits = min(waits+dur, MaxVirtualTime+1) // saturating: no overflow
		if latestAt+waits > MaxVirtualTime {
			over = true
			d.fail(at(line), path, "the timeline goes past %v of virtual time here (latest at: %v), more than a drill may take", MaxVirtualTime, latestAt)
		}
	}
	within := func(e *Expectation) time.Duration {
		d := DefaultWithin
		if e.Within != nil {
			d = time.Duration(*e.Within)
		}
		if e.HoldsFor != nil {
			d += time.Duration(*e.HoldsFor)
		}
		return d
	}
	for i := range dr.Steps {
		s := &dr.Steps[i]
		path := fmt.Sprintf("steps[%d]", i)
		if s.At != nil {
			latestAt = max(latestAt, time.Duration(*s.At))
			spend(s.Line, path+".at", 0)
		}
		if s.Advance != nil {
			spend(s.Line, path+".advance", time.Duration(*s.Advance))
		}
		if s.Wait != nil {
			spend(s.Wait.Line, path+".wait.within", within(s.Wait))
		}
		for j := range s.Expect {
			spend(s.Expect[j].Line, fmt.Sprintf("%s.expect[%d].within", path, j), within(&s.Expect[j]))
		}
		if s.Scale != nil && s.Scale.Replicas > MaxReplicas {
			d.fail(at(s.Line), path+".scale.replicas", "%d replicas is more than a drill may run (at most %d)", s.Scale.Replicas, MaxReplicas)
		}
		var objs []api.Object
		switch {
		case s.Apply != nil:
			objs, _ = api.DecodeManifests(dr.File, shiftLines(s.Apply.Text, s.Apply.Line, s.Apply.Indent))
		case s.ApplyFile != "":
			if data, err := dr.read(s.ApplyFile); err == nil {
				objs, _ = api.DecodeManifests(filepath.Join(dr.Dir, s.ApplyFile), data)
			}
		}
		for _, o := range objs {
			var r *int32
			kind := ""
			switch x := o.(type) {
			case *api.Deployment:
				r, kind = x.Spec.Replicas, "Deployment"
			case *api.ReplicaSet:
				r, kind = x.Spec.Replicas, "ReplicaSet"
			}
			if r != nil && *r > MaxReplicas {
				d.fail(at(s.Line), path, "%s %q: spec.replicas %d is more than a drill may run (at most %d)", kind, o.GetObjectMeta().Name, *r, MaxReplicas)
			}
		}
	}
	for i := range dr.Expect {
		spend(dr.Expect[i].Line, fmt.Sprintf("expect[%d].within", i), within(&dr.Expect[i]))
	}
	for i := range dr.Checks {
		spend(dr.Checks[i].Line, fmt.Sprintf("checks[%d].within", i), within(&dr.Checks[i]))
	}
}

// Package drill is kubesim's drill file format and its runner. A drill is a
// YAML file an instructor writes: the cluster's shape, a seed, steps on a
// virtual timeline (apply, delete, scale, cordon, kill a component, stop a
// node, cut a link, wait, advance time...), narration per step in English
// and Korean, expectations graded pass or fail within virtual deadlines, and
// hints and questions for trainees. scenarios/README.md is the reference.
package drill

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"go.yaml.in/yaml/v3"
)

// Drill is one drill file.
type Drill struct {
	Name string `yaml:"name"`
	// Kind is "drill" (the default: something breaks, expectations grade
	// the outcome) or "walkthrough" (a component's documented flow, shown
	// working); `kubesim list` groups by it.
	Kind        string        `yaml:"kind"`
	Title       Text          `yaml:"title"`
	Description Text          `yaml:"description"`
	Component   string        `yaml:"component"`
	Seed        uint64        `yaml:"seed"`
	Cluster     ClusterSpec   `yaml:"cluster"`
	Steps       []Step        `yaml:"steps"`
	Expect      []Expectation `yaml:"expect"`
	Hints       []Text        `yaml:"hints"`
	Questions   []Text        `yaml:"questions"`

	// An incident (kind: incident) hands the trainee the cluster its steps
	// broke: see incident.go.
	Symptom    Text          `yaml:"symptom"`
	Checks     []Expectation `yaml:"checks"`
	Solution   *Solution     `yaml:"solution"`
	WrongFixes []Fix         `yaml:"wrongFixes"`

	// File is where the drill was read from; Dir resolves applyFile.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
	// readFile reads files next to the drill (os.ReadFile, or an embedded
	// library's reader).
	readFile func(string) ([]byte, error)
}

// Kinds of drill files.
const (
	KindDrill       = "drill"
	KindWalkthrough = "walkthrough"
)

// IsWalkthrough reports whether the file walks through a flow rather than
// breaking something.
func (dr *Drill) IsWalkthrough() bool { return dr.Kind == KindWalkthrough }

// ClusterSpec is the cluster's shape.
type ClusterSpec struct {
	ControlPlanes []NodeSpec `yaml:"controlPlanes"`
	Workers       []NodeSpec `yaml:"workers"`
	EtcdMembers   int        `yaml:"etcdMembers"`
	KubeProxyMode string     `yaml:"kubeProxyMode"`
	// MetricsServer installs metrics-server (kubectl top, the
	// HorizontalPodAutoscaler's resource metrics).
	MetricsServer bool `yaml:"metricsServer"`
	Line          int  `yaml:"-"`
}

// NodeSpec is one node, or with Count a group of identical workers named
// <name>-1 ... <name>-<count> (a 500-node zone is three lines of YAML).
type NodeSpec struct {
	Name   string            `yaml:"name"`
	Count  int               `yaml:"count"`
	CPU    string            `yaml:"cpu"`
	Memory string            `yaml:"memory"`
	Pods   int               `yaml:"pods"`
	Zone   string            `yaml:"zone"`
	Labels map[string]string `yaml:"labels"`
	Taints []string          `yaml:"taints"`
	Line   int               `yaml:"-"`
}

// Step is one action on the timeline. Exactly one action field is set.
type Step struct {
	Name    Text      `yaml:"name"`
	At      *Duration `yaml:"at"`
	Narrate Text      `yaml:"narrate"`

	Apply     *Manifest `yaml:"apply"`
	ApplyFile string    `yaml:"applyFile"`
	Delete    string    `yaml:"delete"`
	Scale     *Scale    `yaml:"scale"`
	Patch     *Patch    `yaml:"patch"`
	Cordon    string    `yaml:"cordon"`
	Uncordon  string    `yaml:"uncordon"`
	Taint     *Taint    `yaml:"taint"`
	Kill      string    `yaml:"kill"`
	Restart   string    `yaml:"restart"`
	StopNode  string    `yaml:"stopNode"`
	StartNode string    `yaml:"startNode"`
	// StopZone and StartZone power off (on) every node of a
	// topology.kubernetes.io/zone at once: a zone outage.
	StopZone  string       `yaml:"stopZone"`
	StartZone string       `yaml:"startZone"`
	Partition *Link        `yaml:"partition"`
	Heal      *Link        `yaml:"heal"`
	Advance   *Duration    `yaml:"advance"`
	Wait      *Expectation `yaml:"wait"`
	Exec      *Exec        `yaml:"exec"`
	Shell     *Shell       `yaml:"shell"`
	Snapshot  string       `yaml:"snapshot"`
	Restore   string       `yaml:"restore"`
	// MoveLeader is `etcdctl move-leader <member>`: the etcd leader hands
	// its leadership to that member.
	MoveLeader string `yaml:"moveLeader"`
	// Drain is `kubectl drain <node> --ignore-daemonsets
	// --delete-emptydir-data`: cordon, then evict the node's pods through
	// the eviction API, retrying a PodDisruptionBudget's 429 every 5 s.
	Drain string `yaml:"drain"`

	// Namespace applies to delete and scale (default "default").
	Namespace string `yaml:"namespace"`
	// Selector makes delete pick the first object (by name) of the type
	// in Delete that matches it: delete: pods, selector: app=web.
	Selector string `yaml:"selector"`
	// ExpectError makes the step pass only if it fails with an error
	// containing this text (a rejected manifest, a forbidden request).
	ExpectError string `yaml:"expectError"`
	// Expect is checked right after the step.
	Expect []Expectation `yaml:"expect"`

	Line int `yaml:"-"`
}

// Exec runs a probe in a pod, as `kubectl exec <pod> -- <command>`:
// "curl [flags] <name or ip>[:port][/path]" (-X METHOD,
// -i, -I, -f, -o, -w; see datapath.Prober.CurlArgs), "nslookup <name>",
// or, in the pod's first container's own shell (package nodeshell),
// "cat <file>" or "printenv <NAME>".
type Exec struct {
	Pod     string `yaml:"pod"`
	Command string `yaml:"command"`
	// ExitCode, if set, is the exit code the command must end with.
	ExitCode *int `yaml:"exitCode"`
	// Output, if set, must appear in the command's output.
	Output string `yaml:"output"`
	Line   int    `yaml:"-"`
}

// Patch is kubectl patch: a strategic merge (the default), merge or JSON
// patch of one object.
type Patch struct {
	Target string `yaml:"target"`
	// Type is strategic, merge or json, as kubectl patch --type.
	Type  string `yaml:"type"`
	Patch string `yaml:"patch"`
	Line  int    `yaml:"-"`
}

// patchTypes maps kubectl patch --type to the request's content type.
var patchTypes = map[string]apiwire.PatchType{
	"": apiwire.StrategicMergePatch, "strategic": apiwire.StrategicMergePatch,
	"merge": apiwire.MergePatch, "json": apiwire.JSONPatch,
}

// Shell runs a command line in a node's shell (package nodeshell), as
// `kubesim ssh <node> -- <run>`: reading the node's files and tools, or
// changing them (a file, systemctl stop kubelet, etcdctl snapshot restore).
// The step fails if the command exits non-zero, unless ExitCode says
// which code it must end with.
type Shell struct {
	Node string `yaml:"node"`
	Run  string `yaml:"run"`
	// ExitCode, if set, is the exit code the command must end with.
	ExitCode *int `yaml:"exitCode"`
	// Output, if set, must appear in what the command printed.
	Output string `yaml:"output"`
	Line   int    `yaml:"-"`
}

// Scale sets a Deployment's or ReplicaSet's replicas.
type Scale struct {
	Target   string `yaml:"target"`
	Replicas int    `yaml:"replicas"`
	Line     int    `yaml:"-"`
}

// Taint adds or removes a node taint ("key=value:Effect").
type Taint struct {
	Node   string `yaml:"node"`
	Taint  string `yaml:"taint"`
	Remove bool   `yaml:"remove"`
	Line   int    `yaml:"-"`
}

// Link names two ends: actors, or nodes as "node/<name>".
type Link struct {
	A    string `yaml:"a"`
	B    string `yaml:"b"`
	Line int    `yaml:"-"`
}

// Expectation is a condition graded within a virtual deadline. Exactly one
// of Pods, Object, Event or Absent is set.
type Expectation struct {
	Name   Text      `yaml:"name"`
	Within *Duration `yaml:"within"`
	// HoldsFor makes it a claim that something stays so: once it holds
	// (within the deadline), it must go on holding at every check for
	// this long, or it fails at the first moment it does not.
	HoldsFor *Duration `yaml:"holdsFor"`

	Pods   *PodsExpect   `yaml:"pods"`
	Nodes  *NodesExpect  `yaml:"nodes"`
	Object *ObjectExpect `yaml:"object"`
	Event  *EventExpect  `yaml:"event"`
	Absent string        `yaml:"absent"`
	// Healthy is a component whose every instance runs and is healthy (for
	// kube-apiserver: answers /readyz, its watch cache primed from etcd),
	// or node/<name>, whose Ready condition is True.
	Healthy string `yaml:"healthy"`
	// Exec runs a probe (curl or nslookup in a pod) and holds when it
	// exits and prints as asked: an active check, traced like the step.
	Exec *Exec `yaml:"exec"`
	// Namespace for Absent and Exec (default "default").
	Namespace string `yaml:"namespace"`

	Line int `yaml:"-"`
}

// PodsExpect counts pods. Pods being deleted (deletionTimestamp set:
// kubectl shows them Terminating) are not counted unless Terminating is
// set; Nodes and NodeSelector keep only the pods bound to those nodes.
type PodsExpect struct {
	Namespace string `yaml:"namespace"`
	Selector  string `yaml:"selector"`
	Phase     string `yaml:"phase"`
	Count     *int   `yaml:"count"`
	// Nodes keeps the pods bound to one of these nodes.
	Nodes []string `yaml:"nodes"`
	// NodeSelector keeps the pods bound to nodes whose labels match.
	NodeSelector string `yaml:"nodeSelector"`
	// Terminating counts pods being deleted too.
	Terminating bool `yaml:"terminating"`
	Line        int  `yaml:"-"`
}

// NodesExpect counts nodes: those the Selector matches (all without one)
// whose Ready condition has the status Ready and that carry Taint, when
// those are given. Count asks for exactly that many, AtLeast and AtMost
// bound it: a zone's nodes tainted one every ten seconds, not all at once.
type NodesExpect struct {
	Selector string `yaml:"selector"`
	// Ready is the Ready condition's status: True, False or Unknown.
	Ready string `yaml:"ready"`
	// Taint is a taint key, or key:Effect.
	Taint   string `yaml:"taint"`
	Count   *int   `yaml:"count"`
	AtLeast *int   `yaml:"atLeast"`
	AtMost  *int   `yaml:"atMost"`
	Line    int    `yaml:"-"`
}

// ObjectExpect checks one field of one object ("deployment/web",
// "status.readyReplicas"). With a Selector, Ref names only the resource
// ("endpointslices") and the check reads the first matching object by
// name — for objects whose names are generated.
type ObjectExpect struct {
	Ref       string `yaml:"ref"`
	Selector  string `yaml:"selector"`
	Namespace string `yaml:"namespace"`
	Path      string `yaml:"path"`
	Equals    string `yaml:"equals"`
	// AtLeast compares the field as an integer: it holds when the value
	// is this or more (an identity allocated from 256 up).
	AtLeast *int64 `yaml:"atLeast"`
	// Length compares the number of items of a list field.
	Length *int `yaml:"length"`
	// Unset holds while the field is not set at all (a pod without an IP).
	Unset bool `yaml:"unset"`
	Line  int  `yaml:"-"`
}

// EventExpect looks for an Event.
type EventExpect struct {
	Namespace string `yaml:"namespace"`
	Reason    string `yaml:"reason"`
	Type      string `yaml:"type"`
	Object    string `yaml:"object"`
	Message   string `yaml:"message"`
	// None inverts it: no such event may appear within the deadline.
	None bool `yaml:"none"`
	// AtLeast asks for at least this many matching events (an Event's
	// count included): that a replacement was created, not only the first
	// pods.
	AtLeast *int `yaml:"atLeast"`
	Line    int  `yaml:"-"`
}

var stepActions = []string{"apply", "applyFile", "delete", "scale", "patch", "cordon", "uncordon", "drain", "taint", "kill", "restart", "stopNode", "startNode", "stopZone", "startZone", "partition", "heal", "advance", "wait", "exec", "shell", "snapshot", "restore", "moveLeader"}

// action returns the name of the step's action and the number set.
func (s *Step) action() (string, int) {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	name, n := "", 0
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		for _, a := range stepActions {
			if tag == a && !v.Field(i).IsZero() {
				name = a
				n++
			}
		}
	}
	return name, n
}

// Load reads and checks a drill file.
func Load(path string) (*Drill, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.ReadFile)
}

// Parse decodes and checks a drill. readFile reads the files applyFile
// names, relative to the drill's folder.
func Parse(file string, data []byte, readFile func(string) ([]byte, error)) (*Drill, error) {
	d := &decoder{file: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: file, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Column: 1, Message: "the file is empty; a drill needs at least a name and steps"}
	}
	dr := &Drill{File: file, Dir: filepath.Dir(file), readFile: readFile}
	d.decode(root.Content[0], reflect.ValueOf(dr).Elem(), "")
	lines := strings.Split(string(data), "\n")
	for _, steps := range dr.stepLists() {
		for i := range steps {
			if m := steps[i].Apply; m != nil && m.Line >= 1 && m.Line <= len(lines) {
				l := lines[m.Line-1]
				m.Indent = len(l) - len(strings.TrimLeft(l, " "))
			}
		}
	}
	dr.Cluster.expand(d)
	dr.check(d, root.Content[0])
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return dr, nil
}

// expand replaces each worker group (a NodeSpec with Count) by its nodes.
func (c *ClusterSpec) expand(d *decoder) {
	for _, n := range c.ControlPlanes {
		if n.Count != 0 {
			d.fail(&yaml.Node{Line: n.Line, Column: 1}, "cluster.controlPlanes "+n.Name+".count", "only workers come in groups: list each control-plane node (etcd runs on them)")
		}
	}
	var out []NodeSpec
	for _, n := range c.Workers {
		switch {
		case n.Count == 0:
			out = append(out, n)
			continue
		case n.Count < 0 || n.Count > MaxNodes:
			d.fail(&yaml.Node{Line: n.Line, Column: 1}, "cluster.workers "+n.Name+".count", "expected 1 to %d, got %d", MaxNodes, n.Count)
			continue
		case n.Name == "":
			continue // check names the missing name
		}
		for i := 1; i <= n.Count; i++ {
			m := n
			m.Name, m.Count = fmt.Sprintf("%s-%d", n.Name, i), 0
			out = append(out, m)
		}
	}
	c.Workers = out
}

// zoneNodes are the nodes of a zone, in the cluster's order.
func (dr *Drill) zoneNodes(zone string) []string {
	cfg := dr.clusterConfig(0)
	zones := cfg.NodeZones()
	cps, workers := cfg.NodeNames()
	var out []string
	for _, n := range append(cps, workers...) {
		if zones[n] == zone {
			out = append(out, n)
		}
	}
	return out
}

// check validates what the types alone cannot.
func (dr *Drill) check(d *decoder, root *yaml.Node) {
	if dr.Name == "" {
		d.fail(root, "name", "required: a short name such as scheduler-down")
	}
	if len(dr.Steps) == 0 && len(dr.Expect) == 0 {
		d.fail(root, "steps", "required: at least one step or expectation")
	}
	seen := map[string]int{}
	for i, n := range append(append([]NodeSpec(nil), dr.Cluster.ControlPlanes...), dr.Cluster.Workers...) {
		if n.Name == "" {
			d.fail(&yaml.Node{Line: n.Line, Column: 1}, fmt.Sprintf("cluster nodes[%d].name", i), "required")
			continue
		}
		if prev, dup := seen[n.Name]; dup {
			d.fail(&yaml.Node{Line: n.Line, Column: 1}, "cluster", "node %q is declared twice (first on line %d)", n.Name, prev)
		}
		seen[n.Name] = n.Line
		for _, q := range []struct{ field, v string }{{"cpu", n.CPU}, {"memory", n.Memory}} {
			if q.v == "" {
				continue
			}
			if _, err := api.ParseQuantity(q.v); err != nil {
				d.fail(&yaml.Node{Line: n.Line, Column: 1}, "node "+n.Name+"."+q.field, "%v", err)
			}
		}
		for _, t := range n.Taints {
			if _, err := parseTaint(t); err != nil {
				d.fail(&yaml.Node{Line: n.Line, Column: 1}, "node "+n.Name+".taints", "%v", err)
			}
		}
	}
	if m := dr.Cluster.EtcdMembers; m != 0 && m != 1 && m != 3 && m != 5 {
		d.fail(&yaml.Node{Line: dr.Cluster.Line, Column: 1}, "cluster.etcdMembers", "expected 1, 3 or 5, got %d", m)
	} else if cps := len(dr.Cluster.ControlPlanes); m != 0 && cps != 0 && cps != m {
		d.fail(&yaml.Node{Line: dr.Cluster.Line, Column: 1}, "cluster.etcdMembers", "etcd is stacked on the control-plane nodes: %d members need %d control-plane nodes, the drill declares %d", m, m, cps)
	}
	switch dr.Kind {
	case "", KindDrill, KindWalkthrough, KindIncident:
	default:
		d.fail(&yaml.Node{Line: 1, Column: 1}, "kind", "expected %s, %s or %s, got %q", KindDrill, KindWalkthrough, KindIncident, dr.Kind)
	}
	dr.checkIncident(d, root)
	switch dr.Cluster.KubeProxyMode {
	case "", "iptables", "ebpf":
	default:
		d.fail(&yaml.Node{Line: dr.Cluster.Line, Column: 1}, "cluster.kubeProxyMode", "expected iptables or ebpf, got %q", dr.Cluster.KubeProxyMode)
	}
	snapshots := map[string]bool{}
	for i := range dr.Steps {
		s := &dr.Steps[i]
		at := &yaml.Node{Line: s.Line, Column: 5}
		if s.Snapshot != "" {
			snapshots[s.Snapshot] = true
		}
		if s.Restore != "" && !snapshots[s.Restore] {
			d.fail(at, fmt.Sprintf("steps[%d].restore", i), "no earlier snapshot step is named %q", s.Restore)
		}
		path := fmt.Sprintf("steps[%d]", i)
		name, n := s.action()
		switch {
		case n == 0:
			d.fail(at, path, "no action: a step needs one of %s", strings.Join(stepActions, ", "))
		case n > 1:
			d.fail(at, path, "more than one action: a step does exactly one thing")
		}
		switch name {
		case "apply":
			if _, err := api.DecodeManifests(dr.File, shiftLines(s.Apply.Text, s.Apply.Line, s.Apply.Indent)); err != nil {
				d.errs = append(d.errs, &Error{File: "", Message: err.Error()})
			}
		case "applyFile":
			data, err := dr.read(s.ApplyFile)
			if err != nil {
				d.fail(at, path+".applyFile", "%v", err)
			} else if _, err := api.DecodeManifests(filepath.Join(dr.Dir, s.ApplyFile), data); err != nil {
				d.errs = append(d.errs, &Error{Message: err.Error()})
			}
		case "delete":
			if s.Selector != "" {
				if _, ok := api.ResourceForName(s.Delete); !ok {
					d.fail(at, path+".delete", "with a selector, delete names a resource type such as pods, got %q", s.Delete)
				}
				if _, err := api.ParseSelector(s.Selector); err != nil {
					d.fail(at, path+".selector", "%v", err)
				}
			} else if _, _, err := splitRef(s.Delete); err != nil {
				d.fail(at, path+".delete", "%v", err)
			}
		case "scale":
			if _, _, err := splitRef(s.Scale.Target); err != nil {
				d.fail(at, path+".scale.target", "%v", err)
			}
			if s.Scale.Replicas < 0 {
				d.fail(at, path+".scale.replicas", "must be 0 or more")
			}
		case "patch":
			if _, _, err := splitRef(s.Patch.Target); err != nil {
				d.fail(at, path+".patch.target", "%v", err)
			}
			if _, ok := patchTypes[s.Patch.Type]; !ok {
				d.fail(at, path+".patch.type", "%q is not a patch type (expected strategic, merge or json)", s.Patch.Type)
			}
			var v any
			if err := json.Unmarshal([]byte(s.Patch.Patch), &v); err != nil {
				d.fail(at, path+".patch.patch", "not JSON: %v", err)
			}
		case "taint":
			if _, err := parseTaint(s.Taint.Taint); err != nil {
				d.fail(at, path+".taint.taint", "%v", err)
			}
			if s.Taint.Node == "" {
				d.fail(at, path+".taint.node", "required")
			}
		case "partition", "heal":
			l := s.Partition
			if l == nil {
				l = s.Heal
			}
			if l.A == "" || l.B == "" {
				d.fail(at, path+"."+name, "needs both ends: a and b (actor names, or node/<name>)")
			}
		case "wait":
			dr.checkExpectation(d, s.Wait, path+".wait")
		case "exec":
			checkExec(d, at, path+".exec", s.Exec)
		case "shell":
			dr.checkShell(d, at, path+".shell", s.Shell)
		}
		for j := range s.Expect {
			dr.checkExpectation(d, &s.Expect[j], fmt.Sprintf("%s.expect[%d]", path, j))
		}
	}
	for i := range dr.Expect {
		dr.checkExpectation(d, &dr.Expect[i], fmt.Sprintf("expect[%d]", i))
	}
	dr.checkTargets(d)
	dr.checkBudgets(d)
}

// healthComponents are the components a healthy check knows.
var healthComponents = map[string]bool{"kube-apiserver": true, "etcd": true, "kube-controller-manager": true, "kube-scheduler": true,
	"kube-proxy": true, "coredns": true, "cilium": true, "cilium-operator": true, "kubelet": true, "containerd": true}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (dr *Drill) checkExpectation(d *decoder, e *Expectation, path string) {
	at := &yaml.Node{Line: e.Line, Column: 5}
	n := 0
	for _, set := range []bool{e.Pods != nil, e.Nodes != nil, e.Object != nil, e.Event != nil, e.Absent != "", e.Exec != nil, e.Healthy != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		d.fail(at, path, "an expectation checks exactly one of pods, nodes, object, event, absent, exec or healthy")
		return
	}
	if e.Namespace != "" && e.Absent == "" && e.Exec == nil {
		// Pods, object and event name their namespace themselves.
		d.fail(at, path+".namespace", "applies to absent and exec only; give the namespace inside pods, object or event")
	}
	if e.Healthy != "" {
		if node, ok := strings.CutPrefix(e.Healthy, "node/"); ok {
			if !dr.hasNode(node) {
				d.fail(at, path+".healthy", "the drill's cluster has no node %q", node)
			}
		} else if !healthComponents[e.Healthy] {
			d.fail(at, path+".healthy", "expected node/<name> or a component (%s), got %q", strings.Join(sortedKeys(healthComponents), ", "), e.Healthy)
		}
	}
	if e.HoldsFor != nil && e.Event != nil && e.Event.None {
		d.fail(at, path+".holdsFor", "an event with none: true already holds for its whole window (within)")
	}
	switch {
	case e.Nodes != nil:
		nd := e.Nodes
		if _, err := api.ParseSelector(nd.Selector); err != nil {
			d.fail(at, path+".nodes.selector", "%v", err)
		}
		switch api.ConditionStatus(nd.Ready) {
		case "", api.ConditionTrue, api.ConditionFalse, api.ConditionUnknown:
		default:
			d.fail(at, path+".nodes.ready", "expected True, False or Unknown, got %q", nd.Ready)
		}
		if key, effect, ok := strings.Cut(nd.Taint, ":"); ok {
			switch api.TaintEffect(effect) {
			case api.TaintEffectNoSchedule, api.TaintEffectPreferNoSchedule, api.TaintEffectNoExecute:
			default:
				d.fail(at, path+".nodes.taint", "expected key or key:Effect (NoSchedule, PreferNoSchedule or NoExecute), got %q", nd.Taint)
			}
			if key == "" {
				d.fail(at, path+".nodes.taint", "the taint key is empty in %q", nd.Taint)
			}
		}
		switch {
		case nd.Count == nil && nd.AtLeast == nil && nd.AtMost == nil:
			d.fail(at, path+".nodes", "say how many: count, or atLeast and/or atMost")
		case nd.Count != nil && (nd.AtLeast != nil || nd.AtMost != nil):
			d.fail(at, path+".nodes", "say count or atLeast/atMost, not both")
		case nd.AtLeast != nil && nd.AtMost != nil && *nd.AtLeast > *nd.AtMost:
			d.fail(at, path+".nodes", "atLeast %d is more than atMost %d", *nd.AtLeast, *nd.AtMost)
		}
	case e.Pods != nil:
		if _, err := api.ParseSelector(e.Pods.Selector); err != nil {
			d.fail(at, path+".pods.selector", "%v", err)
		}
		if e.Pods.NodeSelector != "" {
			if _, err := api.ParseSelector(e.Pods.NodeSelector); err != nil {
				d.fail(at, path+".pods.nodeSelector", "%v", err)
			}
		}
		if e.Pods.Count == nil && e.Pods.Phase == "" {
			d.fail(at, path+".pods", "say what to expect: count, phase or both")
		}
		switch api.PodPhase(e.Pods.Phase) {
		case "", api.PodPending, api.PodRunning, api.PodSucceeded, api.PodFailed, api.PodUnknown:
		default:
			d.fail(at, path+".pods.phase", "expected Pending, Running, Succeeded, Failed or Unknown, got %q", e.Pods.Phase)
		}
	case e.Object != nil:
		if _, _, err := splitRef(e.Object.Ref); err != nil && e.Object.Selector == "" {
			d.fail(at, path+".object.ref", "%v", err)
		}
		n := 0
		for _, set := range []bool{e.Object.Equals != "", e.Object.AtLeast != nil, e.Object.Length != nil, e.Object.Unset} {
			if set {
				n++
			}
		}
		if n > 1 {
			d.fail(at, path+".object", "say one of equals, atLeast, length or unset")
		}
		if e.Object.Selector != "" {
			if _, err := api.ParseSelector(e.Object.Selector); err != nil {
				d.fail(at, path+".object.selector", "%v", err)
			}
			if _, ok := api.ResourceForName(e.Object.Ref); !ok {
				d.fail(at, path+".object.ref", "with a selector, ref names a resource type such as endpointslices, got %q", e.Object.Ref)
			}
		}
		if e.Object.Path == "" {
			d.fail(at, path+".object.path", "required: a dotted field path such as status.readyReplicas")
		}
	case e.Event != nil:
		if e.Event.Reason == "" && e.Event.Message == "" {
			d.fail(at, path+".event", "say what to look for: reason, message or both")
		}
		if e.Event.None && e.Event.AtLeast != nil {
			d.fail(at, path+".event.atLeast", "none: true asks for no such event; atLeast for some")
		}
		if e.Event.Object != "" {
			if _, _, err := splitRef(e.Event.Object); err != nil {
				d.fail(at, path+".event.object", "%v", err)
			}
		}
	case e.Absent != "":
		if _, _, err := splitRef(e.Absent); err != nil {
			d.fail(at, path+".absent", "%v", err)
		}
	case e.Exec != nil:
		checkExec(d, at, path+".exec", e.Exec)
	}
}

func checkExec(d *decoder, at *yaml.Node, path string, e *Exec) {
	if e.Pod == "" {
		d.fail(at, path+".pod", "required: the pod to run the command in (name, or namespace/name)")
	}
	f := strings.Fields(e.Command)
	switch {
	case len(f) >= 2 && f[0] == "curl":
	case len(f) == 2 && f[0] == "nslookup":
	case len(f) == 2 && (f[0] == "cat" || f[0] == "printenv"):
	default:
		d.fail(at, path+".command", "expected \"curl [flags] <name or ip>[:port][/path]\", \"nslookup <name>\", \"cat <file>\" or \"printenv <NAME>\", got %q", e.Command)
	}
}

// nodeNames lists the nodes of the drill's cluster.
func (dr *Drill) nodeNames() []string {
	cfg := dr.clusterConfig(0)
	nodes := append([]string(nil), cfg.ControlPlanes...)
	if len(nodes) == 0 {
		nodes = []string{"cp-1"}
	}
	if cfg.Workers == nil {
		nodes = append(nodes, "worker-1", "worker-2")
	} else {
		nodes = append(nodes, cfg.Workers...)
	}
	return nodes
}

func (dr *Drill) hasNode(n string) bool { return slices.Contains(dr.nodeNames(), n) }

func (dr *Drill) checkShell(d *decoder, at *yaml.Node, path string, sh *Shell) {
	nodes := dr.nodeNames()
	switch {
	case sh.Node == "":
		d.fail(at, path+".node", "required: the node to run the command on (%s)", strings.Join(nodes, ", "))
	case !slices.Contains(nodes, sh.Node):
		d.fail(at, path+".node", "no node named %q in this drill's cluster (nodes: %s)", sh.Node, strings.Join(nodes, ", "))
	}
	if strings.TrimSpace(sh.Run) == "" {
		d.fail(at, path+".run", "required: the command line to run, e.g. \"systemctl stop kubelet\"")
	}
}

func (dr *Drill) read(name string) ([]byte, error) {
	if dr.readFile == nil {
		return nil, fmt.Errorf("cannot read %s: no file access", name)
	}
	return dr.readFile(filepath.Join(dr.Dir, name))
}

// shiftLines places a manifest where it stands in the drill file — empty
// lines before it and its block indentation restored — so that the line and
// column of an error inside it are the drill file's.
func shiftLines(text string, first, indent int) []byte {
	if first < 1 {
		first = 1
	}
	pad := strings.Repeat(" ", indent)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		// Document markers must stay in column 1 to separate documents.
		if l != "" && l != "---" && !strings.HasPrefix(l, "--- ") {
			lines[i] = pad + l
		}
	}
	return []byte(strings.Repeat("\n", first-1) + strings.Join(lines, "\n"))
}

// splitRef splits "deployment/web" into its resource and name.
func splitRef(ref string) (*api.ResourceInfo, string, error) {
	kind, name, ok := strings.Cut(ref, "/")
	if !ok || kind == "" || name == "" {
		return nil, "", fmt.Errorf("expected kind/name such as deployment/web, got %q", ref)
	}
	info, found := api.ResourceForName(kind)
	if !found && strings.Count(kind, ".") >= 2 {
		// plural.group: a custom resource, named by its CRD's name; the
		// cluster resolves it when the step runs.
		plural, group, _ := strings.Cut(strings.ToLower(kind), ".")
		return &api.ResourceInfo{Group: group, Resource: plural + "." + group, Singular: plural, Namespaced: true}, name, nil
	}
	if !found {
		return nil, "", fmt.Errorf("unknown resource type %q in %q", kind, ref)
	}
	return info, name, nil
}

// parseTaint parses "key=value:Effect" or "key:Effect".
func parseTaint(s string) (api.Taint, error) {
	kv, effect, ok := strings.Cut(s, ":")
	if !ok {
		return api.Taint{}, fmt.Errorf("expected key=value:Effect, got %q", s)
	}
	key, value, _ := strings.Cut(kv, "=")
	switch api.TaintEffect(effect) {
	case api.TaintEffectNoSchedule, api.TaintEffectPreferNoSchedule, api.TaintEffectNoExecute:
	default:
		return api.Taint{}, fmt.Errorf("unknown taint effect %q in %q: expected NoSchedule, PreferNoSchedule or NoExecute", effect, s)
	}
	if key == "" {
		return api.Taint{}, fmt.Errorf("a taint needs a key: %q", s)
	}
	return api.Taint{Key: key, Value: value, Effect: api.TaintEffect(effect)}, nil
}

// zones lists the zones of the drill's cluster, sorted.
func (dr *Drill) zones() []string {
	seen := map[string]bool{}
	for _, z := range dr.clusterConfig(0).NodeZones() {
		seen[z] = true
	}
	out := make([]string, 0, len(seen))
	for z := range seen {
		out = append(out, z)
	}
	slices.Sort(out)
	return out
}

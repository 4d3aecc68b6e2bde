package drill

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/nodeshell"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// DefaultWithin is the deadline of an expectation that names none.
const DefaultWithin = 30 * time.Second

// Options tune a run.
type Options struct {
	// Lang is the narration language: "en" or "ko".
	Lang string
	// Seed overrides the drill's seed when non-nil.
	Seed *uint64
	// Out receives the narrated progress (nil: nothing is printed).
	Out io.Writer
	// Kernel options (trace sinks).
	KernelOptions []sim.Option
	// Step pauses before every step and reads a command from In: Enter
	// runs the step, c runs the rest, q stops; the cursor commands (back,
	// goto, until) and the views answer at the prompt (package play).
	Step bool
	In   *bufio.Reader
	// Show lists view commands (package views: "get pods -o wide") printed
	// to Out when the drill ends; At ("#N" or "12.5s") shows them at that
	// record instead, and nothing else.
	Show []string
	At   string
}

// Result is the graded outcome of a drill.
type Result struct {
	Drill        string       `json:"drill"`
	File         string       `json:"file"`
	Seed         uint64       `json:"seed"`
	Passed       bool         `json:"passed"`
	Steps        []StepResult `json:"steps"`
	Expectations []Grade      `json:"expectations"`
	// Trace is the run's trace tail, for the report.
	Trace []sim.Record `json:"-"`
	// Shown is every record of the drill (after the boot), for exports.
	Shown []sim.Record `json:"-"`
	// complete is set when the run got to its end (not stopped early).
	complete bool
}

// StepResult is what one step did.
type StepResult struct {
	Index  int     `json:"index"`
	Name   string  `json:"name,omitempty"`
	Action string  `json:"action"`
	Line   int     `json:"line"`
	At     string  `json:"at"`
	Output string  `json:"output,omitempty"`
	Error  string  `json:"error,omitempty"`
	OK     bool    `json:"ok"`
	Expect []Grade `json:"expect,omitempty"`
}

// Grade is one graded expectation.
type Grade struct {
	Name   string `json:"name"`
	Line   int    `json:"line"`
	Passed bool   `json:"passed"`
	Want   string `json:"want"`
	Saw    string `json:"saw"`
	At     string `json:"at"`
}

type runner struct {
	snapshots map[string][]byte
	dr        *Drill
	opts      Options
	c         *cluster.Cluster
	res       *Result
	t0        time.Duration
}

// mark writes a mark for the presenter.
func (r *runner) mark(kind string, body any) { r.c.K.Mark(kind, body) }

func (r *runner) elapsed() string {
	return strings.TrimSpace(sim.FormatVirtual(r.c.K.Now() - r.t0))
}

// clusterConfig is the cluster a drill describes, for a seed.
func (dr *Drill) clusterConfig(seed uint64) cluster.Config {
	cfg := cluster.Config{Seed: seed, Addons: true, ProxyMode: kubeproxy.Mode(dr.Cluster.KubeProxyMode)}
	for _, n := range dr.Cluster.ControlPlanes {
		cfg.ControlPlanes = append(cfg.ControlPlanes, n.Name)
	}
	if len(dr.Cluster.Workers) > 0 {
		cfg.Workers = []string{}
		for _, n := range dr.Cluster.Workers {
			cfg.Workers = append(cfg.Workers, n.Name)
		}
	}
	for _, n := range append(append([]NodeSpec(nil), dr.Cluster.ControlPlanes...), dr.Cluster.Workers...) {
		spec := cluster.NodeSpec{Name: n.Name, CPU: n.CPU, Memory: n.Memory, Pods: n.Pods, Zone: n.Zone, Labels: n.Labels}
		for _, t := range n.Taints {
			taint, _ := parseTaint(t) // checked by Parse
			spec.Taints = append(spec.Taints, taint)
		}
		cfg.Nodes = append(cfg.Nodes, spec)
	}
	if m := dr.Cluster.EtcdMembers; m > 1 && len(cfg.ControlPlanes) == 0 {
		// Stacked etcd: one member per control-plane node.
		for i := 1; i <= m; i++ {
			cfg.ControlPlanes = append(cfg.ControlPlanes, fmt.Sprintf("cp-%d", i))
		}
	}
	return cfg
}

// Program is the drill as a run a cursor can step through: it boots the
// drill's cluster, runs the steps on virtual time and grades the
// expectations, writing each as a mark (package play shows them). res is
// filled as the run goes; a replay starts it afresh.
func Program(dr *Drill, opts Options, res *Result) cursor.Program {
	seed := dr.Seed
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	return func(h *cursor.Host) error {
		*res = Result{Drill: dr.Name, File: dr.File, Seed: seed, Passed: true}
		cfg := dr.clusterConfig(seed)
		cfg.Options = append([]sim.Option(nil), opts.KernelOptions...)
		cluster.UnderCursor(h, &cfg)
		c, err := cluster.New(cfg)
		if err != nil {
			return err
		}
		if !c.WaitFor(c.NodesReady, 2*time.Minute) {
			return fmt.Errorf("%s: the cluster's nodes did not become Ready", dr.File)
		}
		r := &runner{snapshots: map[string][]byte{}, dr: dr, opts: opts, c: c, res: res, t0: c.K.Now()}
		start := c.K.Trace().Total()
		h.Tag(func(rec sim.Record) int {
			if rec.N > start {
				return drillRecord
			}
			return 0
		})
		r.mark(kindHeader, header{dr: dr, seed: seed})
		for i := range dr.Steps {
			r.step(i, &dr.Steps[i])
		}
		if len(dr.Expect) > 0 {
			r.mark(kindSection, section{})
		}
		for i := range dr.Expect {
			g := r.grade(&dr.Expect[i], fmt.Sprintf("expect[%d]", i))
			r.res.Expectations = append(r.res.Expectations, g)
		}
		r.res.Trace = c.K.Trace().Tail(20)
		r.res.complete = true
		r.mark(kindVerdict, verdict{passed: r.res.Passed})
		return nil
	}
}

// drillRecord tags the records of the drill itself (after the boot).
const drillRecord = 1

// Run plays a drill and grades it. The error is for a cluster that could
// not boot; failed steps and expectations are in the Result.
func Run(dr *Drill, opts Options) (*Result, error) {
	res := &Result{}
	sess := cursor.Open(Program(dr, opts, res))
	defer sess.Close()
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	lang, _ := narrate.ParseLang(opts.Lang)
	if lang == "" {
		lang = narrate.English
	}
	shown, err := play.Play(sess, play.Options{Out: out, Lang: lang, Step: opts.Step && opts.In != nil, In: opts.In, Show: opts.Show, At: opts.At})
	if err != nil {
		return nil, err
	}
	if opts.At != "" {
		return res, nil
	}
	if shown.Quit || !res.complete {
		res.Passed = false
		fmt.Fprintf(out, "\n%s\n", pick(opts.Lang, "stopped before the end: not graded as passed", "끝나기 전에 멈춤: 통과로 채점하지 않습니다"))
	}
	for n := uint64(1); n <= sess.Len(); n++ {
		if e, _ := sess.Entry(n); e.Tag == drillRecord && e.Event != sim.EventMark {
			res.Shown = append(res.Shown, e.Record)
		}
	}
	return res, nil
}

func pick(lang, en, ko string) string {
	if lang == "ko" {
		return ko
	}
	return en
}

func (r *runner) step(i int, s *Step) {
	if s.At != nil {
		if target := r.t0 + time.Duration(*s.At); target > r.c.K.Now() {
			r.c.K.RunFor(target - r.c.K.Now())
		}
	}
	action, _ := s.action()
	sr := StepResult{Index: i, Name: s.Name, Action: action, Line: s.Line, At: r.elapsed()}
	r.mark(kindStep, stepStart{index: i, total: len(r.dr.Steps), at: sr.At, step: s, action: action})
	out, err := r.do(s, action)
	sr.Output = out
	switch {
	case s.ExpectError != "" && err == nil:
		sr.Error = fmt.Sprintf("expected an error containing %q, but the step succeeded", s.ExpectError)
	case s.ExpectError != "" && !strings.Contains(err.Error(), s.ExpectError):
		sr.Error = fmt.Sprintf("expected an error containing %q, got: %v", s.ExpectError, err)
	case s.ExpectError != "":
		sr.OK = true
		sr.Output = err.Error()
	case err != nil:
		sr.Error = err.Error()
	default:
		sr.OK = true
	}
	if !sr.OK {
		r.res.Passed = false
	}
	r.mark(kindStepDone, stepDone{output: sr.Output, err: sr.Error})
	for j := range s.Expect {
		sr.Expect = append(sr.Expect, r.grade(&s.Expect[j], fmt.Sprintf("steps[%d].expect[%d]", i, j)))
	}
	r.res.Steps = append(r.res.Steps, sr)
}

func (r *runner) do(s *Step, action string) (string, error) {
	c := r.c
	ns := s.Namespace
	if ns == "" {
		ns = "default"
	}
	switch action {
	case "apply":
		return r.apply(r.dr.File, shiftLines(s.Apply.Text, s.Apply.Line, s.Apply.Indent))
	case "applyFile":
		data, err := r.dr.read(s.ApplyFile)
		if err != nil {
			return "", err
		}
		return r.apply(s.ApplyFile, data)
	case "delete":
		var info *api.ResourceInfo
		var name string
		if s.Selector != "" {
			info, _ = api.ResourceForName(s.Delete)
			if !info.Namespaced {
				ns = ""
			}
			items, _, err := c.Admin.List(info.Resource, ns, client.ListOptions{LabelSelector: s.Selector})
			if err != nil {
				return "", err
			}
			var names []string
			for _, o := range items {
				if o.GetObjectMeta().DeletionTimestamp == nil {
					names = append(names, o.GetObjectMeta().Name)
				}
			}
			if len(names) == 0 {
				return "", fmt.Errorf("no %s match %s", info.Resource, s.Selector)
			}
			sort.Strings(names)
			name = names[0]
		} else {
			info, name, _ = splitRef(s.Delete)
		}
		if !info.Namespaced {
			ns = ""
		}
		if _, err := c.Admin.Delete(info.Resource, ns, name, client.DeleteOptions{}); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %q deleted", kubectlKind(info), name), nil
	case "scale":
		info, name, _ := splitRef(s.Scale.Target)
		patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, s.Scale.Replicas)
		if _, err := c.Admin.Patch(info.Resource, ns, name, apiwire.MergePatch, []byte(patch), ""); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s/%s scaled", kubectlKind(info), name), nil
	case "patch":
		info, name, _ := splitRef(s.Patch.Target)
		if !info.Namespaced {
			ns = ""
		}
		if _, err := c.Admin.Patch(info.Resource, ns, name, patchTypes[s.Patch.Type], []byte(s.Patch.Patch), ""); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s/%s patched", kubectlKind(info), name), nil
	case "cordon", "uncordon":
		node := s.Cordon + s.Uncordon
		patch := `{"spec":{"unschedulable":true}}`
		if action == "uncordon" {
			patch = `{"spec":{"unschedulable":null}}`
		}
		if _, err := c.Admin.Patch("nodes", "", node, apiwire.StrategicMergePatch, []byte(patch), ""); err != nil {
			return "", err
		}
		return fmt.Sprintf("node/%s %sed", node, action), nil
	case "taint":
		return r.taint(s.Taint)
	case "kill", "restart":
		target := s.Kill + s.Restart
		names := r.actors(target)
		if len(names) == 0 {
			return "", fmt.Errorf("no component or actor named %q (running: %s)", target, strings.Join(r.allActors(), ", "))
		}
		for _, n := range names {
			var err error
			if action == "kill" {
				err = c.K.Crash(n)
			} else {
				err = c.K.Restart(n)
			}
			if err != nil {
				return "", err
			}
		}
		verb := "killed"
		if action == "restart" {
			verb = "restarted"
		}
		return fmt.Sprintf("%s %s", verb, strings.Join(names, ", ")), nil
	case "stopNode":
		if err := c.K.StopNode(s.StopNode); err != nil {
			return "", err
		}
		return "node " + s.StopNode + " powered off", nil
	case "startNode":
		if err := c.K.StartNode(s.StartNode); err != nil {
			return "", err
		}
		return "node " + s.StartNode + " powered on", nil
	case "partition", "heal":
		l := s.Partition
		if l == nil {
			l = s.Heal
		}
		a, err := r.endpoint(l.A)
		if err != nil {
			return "", err
		}
		b, err := r.endpoint(l.B)
		if err != nil {
			return "", err
		}
		if action == "partition" {
			c.K.CutLink(a, b)
			return fmt.Sprintf("link %s <-> %s cut", l.A, l.B), nil
		}
		c.K.HealLink(a, b)
		return fmt.Sprintf("link %s <-> %s healed", l.A, l.B), nil
	case "advance":
		c.K.RunFor(time.Duration(*s.Advance))
		return "virtual time is now " + r.elapsed(), nil
	case "exec":
		res, err := r.probe(s.Exec, ns)
		return strings.TrimRight(res.String(), "\n"), err
	case "shell":
		res := nodeshell.Run(c, s.Shell.Node, s.Shell.Run)
		out := strings.TrimRight(res.Stdout+res.Stderr, "\n")
		switch {
		case s.Shell.ExitCode != nil && res.Code != *s.Shell.ExitCode:
			return out, fmt.Errorf("expected exit code %d, got %d", *s.Shell.ExitCode, res.Code)
		case s.Shell.ExitCode == nil && res.Code != 0:
			return out, fmt.Errorf("exit code %d", res.Code)
		case s.Shell.Output != "" && !strings.Contains(res.Stdout+res.Stderr, s.Shell.Output):
			return out, fmt.Errorf("expected the output to contain %q, got %q", s.Shell.Output, out)
		}
		return out, nil
	case "snapshot":
		data, err := c.SaveSnapshot()
		if err != nil {
			return "", fmt.Errorf("etcdctl snapshot save: %w", err)
		}
		r.snapshots[s.Snapshot] = data
		return fmt.Sprintf("Snapshot saved at %s (%d bytes)", s.Snapshot, len(data)), nil
	case "restore":
		if err := c.RestoreSnapshot(r.snapshots[s.Restore]); err != nil {
			return "", fmt.Errorf("etcdutl snapshot restore: %w", err)
		}
		return fmt.Sprintf("restored %s: apiservers and etcd members stopped, data directories restored (revision bumped, marked compacted), members and apiservers started", s.Restore), nil
	case "wait":
		g := r.grade(s.Wait, "wait")
		if !g.Passed {
			return "", fmt.Errorf("gave up waiting: wanted %s, saw %s", g.Want, g.Saw)
		}
		return "", nil
	}
	return "", fmt.Errorf("unknown action %q", action)
}

// probe runs an exec probe (curl or nslookup in a pod) and grades its exit
// code and output as the step or check asks.
func (r *runner) probe(e *Exec, ns string) (datapath.Result, error) {
	pod := e.Pod
	if !strings.Contains(pod, "/") {
		pod = ns + "/" + pod
	}
	f := strings.Fields(e.Command)
	prober := r.c.Prober()
	var res datapath.Result
	if f[0] == "curl" {
		res = prober.Curl(pod, f[1])
	} else {
		res = prober.Nslookup(pod, f[1])
	}
	if e.ExitCode != nil && res.ExitCode != *e.ExitCode {
		return res, fmt.Errorf("expected exit code %d, got %d", *e.ExitCode, res.ExitCode)
	}
	if e.Output != "" && !strings.Contains(res.Output, e.Output) {
		return res, fmt.Errorf("expected the output to contain %q, got %q", e.Output, strings.TrimSpace(res.Output))
	}
	return res, nil
}

func (r *runner) apply(file string, data []byte) (string, error) {
	res, err := r.c.Apply(file, data)
	var lines []string
	for _, x := range res {
		lines = append(lines, x.String())
	}
	if err != nil {
		if len(lines) > 0 {
			return strings.Join(lines, "\n"), fmt.Errorf("%s", apierrors.KubectlText(err))
		}
		var se *apierrors.StatusError
		if errors.As(err, &se) {
			return "", fmt.Errorf("%s", apierrors.KubectlText(err))
		}
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

func (r *runner) taint(t *Taint) (string, error) {
	want, _ := parseTaint(t.Taint)
	obj, err := r.c.Admin.Get("nodes", "", t.Node)
	if err != nil {
		return "", err
	}
	node := api.DeepCopy(obj.(*api.Node))
	var kept []api.Taint
	found := false
	for _, x := range node.Spec.Taints {
		if x.Key == want.Key && x.Effect == want.Effect {
			found = true
			if t.Remove {
				continue
			}
		}
		kept = append(kept, x)
	}
	if !t.Remove && !found {
		kept = append(kept, want)
	}
	if t.Remove && !found {
		return "", fmt.Errorf("taint %q not found", t.Taint)
	}
	node.Spec.Taints = kept
	if _, err := r.c.Admin.Update(node); err != nil {
		return "", err
	}
	if t.Remove {
		return fmt.Sprintf("node/%s untainted", t.Node), nil
	}
	return fmt.Sprintf("node/%s tainted", t.Node), nil
}

// actors resolves a kill target: an actor's name, or every actor of a
// component ("kube-scheduler").
func (r *runner) actors(target string) []string {
	var out []string
	for _, a := range r.c.K.Actors() {
		if a.Name == target {
			return []string{a.Name}
		}
		if a.Component == target {
			out = append(out, a.Name)
		}
	}
	return out
}

func (r *runner) allActors() []string {
	var out []string
	for _, a := range r.c.K.Actors() {
		out = append(out, a.Name)
	}
	return out
}

func (r *runner) endpoint(s string) (string, error) {
	if node, ok := strings.CutPrefix(s, "node/"); ok {
		for _, n := range r.c.K.Nodes() {
			if n.Name == node {
				return sim.NodeEndpoint(node), nil
			}
		}
		return "", fmt.Errorf("no node named %q", node)
	}
	if len(r.actors(s)) == 1 && r.actors(s)[0] == s {
		return s, nil
	}
	return "", fmt.Errorf("no actor named %q (running: %s)", s, strings.Join(r.allActors(), ", "))
}

func kubectlKind(info *api.ResourceInfo) string {
	if info.Group == "" {
		return info.Singular
	}
	return info.Singular + "." + info.Group
}

// grade waits up to the expectation's deadline for it to hold.
func (r *runner) grade(e *Expectation, path string) Grade {
	within := DefaultWithin
	if e.Within != nil {
		within = time.Duration(*e.Within)
	}
	g := Grade{Name: e.Name, Line: e.Line, Want: describeExpectation(e)}
	if g.Name == "" {
		g.Name = path
	}
	var ok bool
	if e.Event != nil && e.Event.None {
		// Nothing may appear during the whole window.
		deadline := r.c.K.Now() + within
		ok = true
		r.c.WaitFor(func() bool {
			held, saw := r.check(e)
			g.Saw = saw
			if !held {
				ok = false
				return true
			}
			return r.c.K.Now() >= deadline
		}, within)
	} else {
		ok = r.c.WaitFor(func() bool {
			held, saw := r.check(e)
			g.Saw = saw
			return held
		}, within)
	}
	g.Passed = ok
	g.At = r.elapsed()
	if !ok {
		r.res.Passed = false
	}
	r.mark(kindGrade, gradeMark{g})
	return g
}

func describeExpectation(e *Expectation) string {
	switch {
	case e.Pods != nil:
		var parts []string
		if e.Pods.Count != nil {
			parts = append(parts, strconv.Itoa(*e.Pods.Count))
		}
		if e.Pods.Phase != "" {
			parts = append(parts, e.Pods.Phase)
		}
		parts = append(parts, "pod(s)")
		if e.Pods.Selector != "" {
			parts = append(parts, "with "+e.Pods.Selector)
		}
		return strings.Join(parts, " ")
	case e.Object != nil:
		return fmt.Sprintf("%s %s = %q", e.Object.Ref, e.Object.Path, e.Object.Equals)
	case e.Event != nil:
		var parts []string
		if e.Event.None {
			parts = append(parts, "no")
		}
		if e.Event.Type != "" {
			parts = append(parts, e.Event.Type)
		}
		parts = append(parts, "event")
		if e.Event.Reason != "" {
			parts = append(parts, e.Event.Reason)
		}
		if e.Event.Object != "" {
			parts = append(parts, "on "+e.Event.Object)
		}
		if e.Event.Message != "" {
			parts = append(parts, fmt.Sprintf("containing %q", e.Event.Message))
		}
		return strings.Join(parts, " ")
	case e.Exec != nil:
		want := "kubectl exec " + e.Exec.Pod + " -- " + e.Exec.Command
		if e.Exec.ExitCode != nil {
			want += fmt.Sprintf(" exits %d", *e.Exec.ExitCode)
		}
		if e.Exec.Output != "" {
			want += fmt.Sprintf(" printing %q", e.Exec.Output)
		}
		return want
	case e.Absent != "":
		return e.Absent + " absent"
	}
	return "?"
}

// check evaluates an expectation once: whether it holds and what was seen.
// It reads etcd's data out of band (as views do), so grading spends
// nothing: a drill graded every 100 ms runs the same as one never graded.
func (r *runner) check(e *Expectation) (bool, string) {
	c := r.c
	switch {
	case e.Pods != nil:
		ns := e.Pods.Namespace
		if ns == "" {
			ns = "default"
		}
		items, err := c.StoredObjects("pods", ns, e.Pods.Selector)
		if err != nil {
			return false, err.Error()
		}
		phases := map[string]int{}
		n := 0
		for _, o := range items {
			p := o.(*api.Pod)
			phases[string(p.Status.Phase)]++
			if e.Pods.Phase == "" || string(p.Status.Phase) == e.Pods.Phase {
				n++
			}
		}
		saw := describePhases(len(items), phases)
		if e.Pods.Count != nil {
			return n == *e.Pods.Count, saw
		}
		return n > 0 && n == len(items), saw
	case e.Object != nil:
		info, name, _ := splitRef(e.Object.Ref)
		ns := e.Object.Namespace
		if ns == "" && info.Namespaced {
			ns = "default"
		}
		obj, err := c.StoredObject(info.Resource, ns, name)
		if err != nil {
			return false, err.Error()
		}
		v, ok := fieldAt(obj, e.Object.Path)
		if !ok {
			return false, e.Object.Path + " is not set"
		}
		return v == e.Object.Equals, strconv.Quote(v)
	case e.Event != nil:
		ns := e.Event.Namespace
		if ns == "" {
			ns = "default"
		}
		items, err := c.StoredObjects("events", ns, "")
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, o := range items {
			ev := o.(*api.Event)
			if eventMatches(ev, e.Event) {
				return !e.Event.None, fmt.Sprintf("%s %s %s/%s: %s", ev.Type, ev.Reason, strings.ToLower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name, ev.Message)
			}
			seen = append(seen, ev.Reason)
		}
		sort.Strings(seen)
		if len(seen) == 0 {
			return e.Event.None, "no events"
		}
		return e.Event.None, "events: " + strings.Join(dedupe(seen), ", ")
	case e.Exec != nil:
		ns := e.Namespace
		if ns == "" {
			ns = "default"
		}
		res, err := r.probe(e.Exec, ns)
		saw := fmt.Sprintf("exit code %d: %s", res.ExitCode, strings.TrimSpace(res.Output))
		if err != nil {
			return false, saw
		}
		return true, saw
	case e.Absent != "":
		info, name, _ := splitRef(e.Absent)
		ns := e.Namespace
		if ns == "" && info.Namespaced {
			ns = "default"
		}
		_, err := c.StoredObject(info.Resource, ns, name)
		if apierrors.IsNotFound(err) {
			return true, err.Error()
		}
		if err != nil {
			return false, err.Error()
		}
		return false, e.Absent + " still exists"
	}
	return false, "nothing to check"
}

func eventMatches(ev *api.Event, want *EventExpect) bool {
	if want.Reason != "" && ev.Reason != want.Reason {
		return false
	}
	if want.Type != "" && ev.Type != want.Type {
		return false
	}
	if want.Message != "" && !strings.Contains(ev.Message, want.Message) {
		return false
	}
	if want.Object != "" {
		info, name, _ := splitRef(want.Object)
		if ev.InvolvedObject.Kind != info.Kind || ev.InvolvedObject.Name != name {
			return false
		}
	}
	return true
}

func describePhases(total int, phases map[string]int) string {
	if total == 0 {
		return "no pods"
	}
	keys := make([]string, 0, len(phases))
	for k := range phases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", phases[k], k)
	}
	return fmt.Sprintf("%d pod(s): %s", total, strings.Join(parts, ", "))
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || s[i-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// fieldAt reads a dotted path ("status.conditions[0].type") of an object's
// JSON form and returns it as a string (numbers and booleans as JSON writes
// them, objects as compact JSON).
func fieldAt(obj api.Object, path string) (string, bool) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return "", false
	}
	var cur any
	if err := json.Unmarshal(raw, &cur); err != nil {
		return "", false
	}
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.Index(part, "["); i >= 0 && strings.HasSuffix(part, "]") {
			name = part[:i]
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return "", false
			}
			idx = n
		}
		if name != "" {
			m, ok := cur.(map[string]any)
			if !ok {
				return "", false
			}
			if cur, ok = m[name]; !ok {
				return "", false
			}
		}
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return "", false
			}
			cur = l[idx]
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case nil:
		return "", false
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}

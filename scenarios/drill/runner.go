package drill

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
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

// Grade is one graded expectation. Name, Want and Saw are English; In
// gives them in another language.
type Grade struct {
	Name   string `json:"name"`
	Line   int    `json:"line"`
	Passed bool   `json:"passed"`
	Want   string `json:"want"`
	Saw    string `json:"saw"`
	At     string `json:"at"`

	name, want, saw Text
}

// In returns the grade's name, what it wanted and what it saw in a
// language ("en" or "ko").
func (g Grade) In(lang string) (name, want, saw string) {
	pickText := func(t Text, en string) string {
		if t.En == "" {
			return en
		}
		return t.In(lang)
	}
	return pickText(g.name, g.Name), pickText(g.want, g.Want), pickText(g.saw, g.Saw)
}

func newGrade(e *Expectation, path string, at string) Grade {
	g := Grade{Name: e.Name.En, Line: e.Line, name: e.Name, want: describeExpectation(e), At: at}
	if g.Name == "" {
		g.Name, g.name = path, Text{En: path, Ko: pathKo(path)}
	}
	g.Want = g.want.En
	return g
}

func (g *Grade) see(saw Text) { g.saw, g.Saw = saw, saw.En }

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
	cfg := cluster.Config{Seed: seed, Addons: true, ProxyMode: kubeproxy.Mode(dr.Cluster.KubeProxyMode), MetricsServer: dr.Cluster.MetricsServer}
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
	sr := StepResult{Index: i, Name: s.Name.En, Action: action, Line: s.Line, At: r.elapsed()}
	r.mark(kindStep, stepStart{index: i, total: len(r.dr.Steps), at: sr.At, step: s, action: action})
	out, err := r.do(s, action)
	var errText Text
	switch {
	case s.ExpectError != "" && err == nil:
		errText = tr("expected an error containing %q, but the step succeeded", "%q를 포함한 오류를 기대했지만 단계가 성공했습니다", s.ExpectError)
	case s.ExpectError != "" && !strings.Contains(err.Error(), s.ExpectError):
		errText = tr("expected an error containing %q, got: %v", "%q를 포함한 오류를 기대했지만 받은 오류: %v", s.ExpectError, err)
	case s.ExpectError != "":
		sr.OK = true
		out = Text{En: err.Error()}
	case err != nil:
		errText = errorText(err)
	default:
		sr.OK = true
	}
	sr.Output, sr.Error = out.En, errText.En
	if !sr.OK {
		r.res.Passed = false
	}
	r.mark(kindStepDone, stepDone{output: out, err: errText})
	for j := range s.Expect {
		sr.Expect = append(sr.Expect, r.grade(&s.Expect[j], fmt.Sprintf("steps[%d].expect[%d]", i, j)))
	}
	r.res.Steps = append(r.res.Steps, sr)
}

func (r *runner) do(s *Step, action string) (Text, error) {
	c := r.c
	ns := s.Namespace
	if ns == "" {
		ns = "default"
	}
	switch action {
	case "apply":
		return same(r.apply(r.dr.File, shiftLines(s.Apply.Text, s.Apply.Line, s.Apply.Indent)))
	case "applyFile":
		data, err := r.dr.read(s.ApplyFile)
		if err != nil {
			return Text{}, err
		}
		return same(r.apply(s.ApplyFile, data))
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
				return Text{}, err
			}
			var names []string
			for _, o := range items {
				if o.GetObjectMeta().DeletionTimestamp == nil {
					names = append(names, o.GetObjectMeta().Name)
				}
			}
			if len(names) == 0 {
				return Text{}, fmt.Errorf("no %s match %s", info.Resource, s.Selector)
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
			return Text{}, err
		}
		return kubectl("%s %q deleted", kubectlKind(info), name), nil
	case "scale":
		info, name, _ := splitRef(s.Scale.Target)
		patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, s.Scale.Replicas)
		if _, err := c.Admin.Patch(info.Resource, ns, name, apiwire.MergePatch, []byte(patch), ""); err != nil {
			return Text{}, err
		}
		return kubectl("%s/%s scaled", kubectlKind(info), name), nil
	case "patch":
		info, name, _ := splitRef(s.Patch.Target)
		if !info.Namespaced {
			ns = ""
		}
		if _, err := c.Admin.Patch(info.Resource, ns, name, patchTypes[s.Patch.Type], []byte(s.Patch.Patch), ""); err != nil {
			return Text{}, err
		}
		return kubectl("%s/%s patched", kubectlKind(info), name), nil
	case "cordon", "uncordon":
		node := s.Cordon + s.Uncordon
		patch := `{"spec":{"unschedulable":true}}`
		if action == "uncordon" {
			patch = `{"spec":{"unschedulable":null}}`
		}
		if _, err := c.Admin.Patch("nodes", "", node, apiwire.StrategicMergePatch, []byte(patch), ""); err != nil {
			return Text{}, err
		}
		return kubectl("node/%s %sed", node, action), nil
	case "drain":
		return same(r.drain(s.Drain))
	case "taint":
		return same(r.taint(s.Taint))
	case "kill", "restart":
		target := s.Kill + s.Restart
		names := r.actors(target)
		if len(names) == 0 {
			return Text{}, fmt.Errorf("no component or actor named %q (running: %s)", target, strings.Join(r.allActors(), ", "))
		}
		for _, n := range names {
			var err error
			if action == "kill" {
				err = c.K.Crash(n)
			} else {
				err = c.K.Restart(n)
			}
			if err != nil {
				return Text{}, err
			}
		}
		if action == "restart" {
			return tr("restarted %s", "%s 재시작", strings.Join(names, ", ")), nil
		}
		return tr("killed %s", "%s 강제 종료", strings.Join(names, ", ")), nil
	case "stopNode":
		if err := c.K.StopNode(s.StopNode); err != nil {
			return Text{}, err
		}
		return tr("node %s powered off", "노드 %s 전원 꺼짐", s.StopNode), nil
	case "startNode":
		if err := c.K.StartNode(s.StartNode); err != nil {
			return Text{}, err
		}
		return tr("node %s powered on", "노드 %s 전원 켜짐", s.StartNode), nil
	case "stopZone", "startZone":
		zone := s.StopZone + s.StartZone
		nodes := r.dr.zoneNodes(zone)
		for _, n := range nodes {
			var err error
			if action == "stopZone" {
				err = c.K.StopNode(n)
			} else {
				err = c.K.StartNode(n)
			}
			if err != nil {
				return Text{}, err
			}
		}
		if action == "stopZone" {
			return tr("zone %s powered off (%d nodes)", "존 %s 전원 꺼짐 (노드 %d개)", zone, len(nodes)), nil
		}
		return tr("zone %s powered on (%d nodes)", "존 %s 전원 켜짐 (노드 %d개)", zone, len(nodes)), nil
	case "partition", "heal":
		l := s.Partition
		if l == nil {
			l = s.Heal
		}
		a, err := r.endpoint(l.A)
		if err != nil {
			return Text{}, err
		}
		b, err := r.endpoint(l.B)
		if err != nil {
			return Text{}, err
		}
		if action == "partition" {
			c.K.CutLink(a, b)
			return tr("link %s <-> %s cut", "%s <-> %s 연결 끊김", l.A, l.B), nil
		}
		c.K.HealLink(a, b)
		return tr("link %s <-> %s healed", "%s <-> %s 연결 복구", l.A, l.B), nil
	case "advance":
		c.K.RunFor(time.Duration(*s.Advance))
		return tr("virtual time is now %s", "가상 시간은 이제 %s", r.elapsed()), nil
	case "exec":
		res, err := r.probe(s.Exec, ns)
		return Text{En: strings.TrimRight(res.String(), "\n")}, err
	case "shell":
		res := nodeshell.Run(c, s.Shell.Node, s.Shell.Run)
		out := strings.TrimRight(res.Stdout+res.Stderr, "\n")
		switch {
		case s.Shell.ExitCode != nil && res.Code != *s.Shell.ExitCode:
			return Text{En: out}, fmt.Errorf("expected exit code %d, got %d", *s.Shell.ExitCode, res.Code)
		case s.Shell.ExitCode == nil && res.Code != 0:
			return Text{En: out}, fmt.Errorf("exit code %d", res.Code)
		case s.Shell.Output != "" && !strings.Contains(res.Stdout+res.Stderr, s.Shell.Output):
			return Text{En: out}, fmt.Errorf("expected the output to contain %q, got %q", s.Shell.Output, out)
		}
		return Text{En: out}, nil
	case "snapshot":
		data, err := c.SaveSnapshot()
		if err != nil {
			return Text{}, fmt.Errorf("etcdctl snapshot save: %w", err)
		}
		r.snapshots[s.Snapshot] = data
		return kubectl("Snapshot saved at %s (%d bytes)", s.Snapshot, len(data)), nil
	case "restore":
		if err := c.RestoreSnapshot(r.snapshots[s.Restore]); err != nil {
			return Text{}, fmt.Errorf("etcdutl snapshot restore: %w", err)
		}
		return tr("restored %s: apiservers and etcd members stopped, data directories restored (revision bumped, marked compacted), members and apiservers started",
			"%s 복원: apiserver와 etcd 멤버를 멈추고, 데이터 디렉터리를 복원하고(revision 증가, 컴팩션 표시), 멤버와 apiserver를 다시 시작했습니다", s.Restore), nil
	case "moveLeader":
		res, err := c.MoveEtcdLeader(s.MoveLeader)
		if err != nil {
			return Text{}, fmt.Errorf("etcdctl move-leader: %w", err)
		}
		return Text{En: res.Summary() + "\n" + fmt.Sprintf("(%s led; %s leads now)", res.From, res.To),
			Ko: res.Summary() + "\n" + fmt.Sprintf("(리더는 %s였고, 이제 %s입니다)", res.From, res.To)}, nil
	case "wait":
		w := *s.Wait
		if w.Name.En == "" && s.Name.En != "" {
			w.Name = s.Name
		}
		g := r.grade(&w, "wait")
		if !g.Passed {
			return Text{}, &textError{Text{En: fmt.Sprintf("gave up waiting: wanted %s, saw %s", g.want.En, g.saw.En),
				Ko: fmt.Sprintf("기다리다 포기했습니다: 기대 %s, 관찰 %s", g.want.In("ko"), g.saw.In("ko"))}}
		}
		return Text{}, nil
	}
	return Text{}, fmt.Errorf("unknown action %q", action)
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
	switch f[0] {
	case "curl":
		res = prober.CurlArgs(pod, f[1:]...)
	case "nslookup":
		res = prober.Nslookup(pod, f[1])
	default:
		res = r.containerShell(pod, e.Command, f)
	}
	if e.ExitCode != nil && res.ExitCode != *e.ExitCode {
		return res, &textError{tr("expected exit code %d, got %d", "종료 코드 %d를 기대했지만 %d입니다", *e.ExitCode, res.ExitCode)}
	}
	if e.Output != "" && !strings.Contains(res.Output, e.Output) {
		return res, &textError{tr("expected the output to contain %q, got %q", "출력에 %q가 있기를 기대했지만 출력은 %q입니다", e.Output, strings.TrimSpace(res.Output))}
	}
	return res, nil
}

// containerShell runs a command in the first container of a pod
// ("ns/name") with the container's shell (nodeshell.Exec), as a probe's
// result.
func (r *runner) containerShell(pod, command string, argv []string) datapath.Result {
	ns, name, _ := strings.Cut(pod, "/")
	res := datapath.Result{Command: command, Pod: pod}
	p, err := client.Get[*api.Pod](r.c.Admin, ns, name)
	if err != nil || len(p.Spec.Containers) == 0 {
		res.Output, res.ExitCode = fmt.Sprintf("Error from server (NotFound): pods %q not found\n", name), 1
		return res
	}
	out := nodeshell.Exec(r.c, nodeshell.ContainerRef{Namespace: ns, Pod: name, Container: p.Spec.Containers[0].Name}, argv, "")
	res.Output, res.ExitCode, res.Node = out.Stdout+out.Stderr, out.Code, p.Spec.NodeName
	return res
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

// grade waits up to the expectation's deadline for it to hold, and, for a
// claim that something stays so (holdsFor), checks that it goes on holding.
func (r *runner) grade(e *Expectation, path string) Grade {
	within := DefaultWithin
	if e.HoldsFor != nil {
		within = 0 // a stays-claim holds now unless it says otherwise
	}
	if e.Within != nil {
		within = time.Duration(*e.Within)
	}
	g := newGrade(e, path, "")
	var ok bool
	if e.Event != nil && e.Event.None {
		// Nothing may appear during the whole window.
		ok = r.holds(e, within, &g)
	} else {
		ok = r.c.WaitForEvery(func() bool {
			held, saw := r.check(e)
			g.see(saw)
			return held
		}, within, r.dr.checkEvery())
		if ok && e.HoldsFor != nil {
			ok = r.holds(e, time.Duration(*e.HoldsFor), &g)
		}
	}
	g.Passed = ok
	g.At = r.elapsed()
	if !ok {
		r.res.Passed = false
	}
	r.mark(kindGrade, gradeMark{g})
	return g
}

// holds checks the expectation at every check until d has passed, and
// fails at the first moment it does not hold.
func (r *runner) holds(e *Expectation, d time.Duration, g *Grade) bool {
	deadline := r.c.K.Now() + d
	ok := true
	r.c.WaitForEvery(func() bool {
		held, saw := r.check(e)
		if !held {
			ok = false
			at := r.elapsed()
			g.see(Text{En: fmt.Sprintf("at %s: %s", at, saw.En), Ko: fmt.Sprintf("%s에: %s", at, saw.In("ko"))})
			return true
		}
		g.see(saw)
		return r.c.K.Now() >= deadline
	}, d, r.dr.checkEvery())
	return ok
}

// checkEvery is how often expectations are checked: every 100 ms of
// virtual time, or every second in a cluster of more than 100 nodes, where
// one look at every pod, node and event costs more than the simulation of
// a tenth of a second.
func (dr *Drill) checkEvery() time.Duration {
	if len(dr.Cluster.ControlPlanes)+len(dr.Cluster.Workers) > 100 {
		return time.Second
	}
	return 100 * time.Millisecond
}

func describeExpectation(e *Expectation) Text {
	var t Text
	switch {
	case e.Pods != nil:
		p := e.Pods
		var en, ko []string
		if p.Count != nil {
			en = append(en, strconv.Itoa(*p.Count))
		}
		if p.Phase != "" {
			en = append(en, p.Phase)
		}
		en = append(en, "pod(s)")
		if p.Selector != "" {
			en = append(en, "with "+p.Selector)
			ko = append(ko, p.Selector)
		}
		ko = append(ko, "파드")
		if p.Phase != "" {
			ko = append(ko, p.Phase)
		}
		if p.Count != nil {
			ko = append(ko, strconv.Itoa(*p.Count)+"개")
		} else {
			ko = append(ko, "모두")
		}
		if len(p.Nodes) > 0 {
			en = append(en, "on "+strings.Join(p.Nodes, " or "))
			ko = append(ko, "("+strings.Join(p.Nodes, ", ")+" 노드에서)")
		}
		if p.NodeSelector != "" {
			en = append(en, "on nodes with "+p.NodeSelector)
			ko = append(ko, "("+p.NodeSelector+" 레이블 노드에서)")
		}
		if p.Terminating {
			en = append(en, "(Terminating ones counted)")
			ko = append(ko, "(Terminating 포함)")
		}
		t = Text{En: strings.Join(en, " "), Ko: strings.Join(ko, " ")}
	case e.Nodes != nil:
		t = describeNodes(e.Nodes)
	case e.Object != nil:
		ref := e.Object.Ref
		if e.Object.Selector != "" {
			ref += " -l " + e.Object.Selector
		}
		switch o := e.Object; {
		case o.Unset:
			t = tr("%s %s not set", "%s의 %s 필드 없음", ref, o.Path)
		case o.Length != nil:
			t = tr("%s %s has %d item(s)", "%s의 %s 항목 %d개", ref, o.Path, *o.Length)
		case o.AtLeast != nil:
			t = tr("%s %s >= %d", "%s의 %s >= %d", ref, o.Path, *o.AtLeast)
		default:
			t = tr("%s %s = %q", "%s의 %s = %q", ref, e.Object.Path, e.Object.Equals)
		}
	case e.Event != nil:
		ev := e.Event
		var en, ko []string
		if ev.None {
			en = append(en, "no")
		}
		if ev.Type != "" {
			en = append(en, ev.Type)
		}
		en = append(en, "event")
		if ev.Reason != "" {
			en = append(en, ev.Reason)
		}
		if ev.Object != "" {
			en = append(en, "on "+ev.Object)
			ko = append(ko, ev.Object+"에")
		}
		if ev.Type != "" {
			ko = append(ko, ev.Type)
		}
		if ev.Reason != "" {
			ko = append(ko, ev.Reason)
		}
		ko = append(ko, "이벤트")
		if ev.Message != "" {
			en = append(en, fmt.Sprintf("containing %q", ev.Message))
			ko = append(ko, fmt.Sprintf("(%q 포함)", ev.Message))
		}
		if ev.AtLeast != nil {
			en = append(en, fmt.Sprintf("at least %d time(s)", *ev.AtLeast))
			ko = append(ko, fmt.Sprintf("%d개 이상", *ev.AtLeast))
		}
		if ev.None {
			ko = append(ko, "없음")
		}
		t = Text{En: strings.Join(en, " "), Ko: strings.Join(ko, " ")}
	case e.Exec != nil:
		cmd := "kubectl exec " + e.Exec.Pod + " -- " + e.Exec.Command
		en, ko := cmd, cmd+":"
		if e.Exec.ExitCode != nil {
			en += fmt.Sprintf(" exits %d", *e.Exec.ExitCode)
			ko += fmt.Sprintf(" 종료 코드 %d", *e.Exec.ExitCode)
		}
		if e.Exec.Output != "" {
			en += fmt.Sprintf(" printing %q", e.Exec.Output)
			ko += fmt.Sprintf(" 출력에 %q", e.Exec.Output)
		}
		t = Text{En: en, Ko: ko}
	case e.Absent != "":
		t = tr("%s absent", "%s 없음", e.Absent)
	case strings.HasPrefix(e.Healthy, "node/"):
		t = tr("%s Ready", "%s Ready", e.Healthy)
	case e.Healthy != "":
		t = tr("every %s healthy", "모든 %s 정상", e.Healthy)
	default:
		t = Text{En: "?"}
	}
	if e.HoldsFor != nil {
		d := time.Duration(*e.HoldsFor)
		t = Text{En: fmt.Sprintf("%s, holding for %s", t.En, d), Ko: fmt.Sprintf("%s, %s 동안 유지", t.In("ko"), d)}
	}
	return t
}

// check evaluates an expectation once: whether it holds and what was seen.
// It reads etcd's data out of band (as views do), so grading spends
// nothing: a drill graded every 100 ms runs the same as one never graded.
func (r *runner) check(e *Expectation) (bool, Text) {
	c := r.c
	switch {
	case e.Pods != nil:
		return r.checkPods(e.Pods)
	case e.Nodes != nil:
		return r.checkNodes(e.Nodes)
	case e.Object != nil:
		obj, err := r.object(e.Object)
		if err != nil {
			return false, Text{En: err.Error()}
		}
		v, ok := fieldAt(obj, e.Object.Path)
		if e.Object.Unset {
			if ok {
				return false, tr("%s is %s", "%s는 %s입니다", e.Object.Path, v)
			}
			return true, tr("%s is not set", "%s 필드가 없습니다", e.Object.Path)
		}
		if !ok {
			return false, tr("%s is not set", "%s 필드가 없습니다", e.Object.Path)
		}
		if e.Object.Length != nil {
			var list []any
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return false, tr("%s is not a list: %s", "%s는 목록이 아닙니다: %s", e.Object.Path, v)
			}
			return len(list) == *e.Object.Length, tr("%d item(s)", "항목 %d개", len(list))
		}
		if e.Object.AtLeast != nil {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return false, tr("%q, not an integer", "%q: 정수가 아닙니다", v)
			}
			return n >= *e.Object.AtLeast, kubectl("%d", n)
		}
		return v == e.Object.Equals, kubectl("%q", v)
	case e.Event != nil:
		ns := e.Event.Namespace
		if ns == "" {
			ns = "default"
		}
		items, err := c.StoredObjects("events", ns, "")
		if err != nil {
			return false, Text{En: err.Error()}
		}
		var seen []string
		matched := 0
		for _, o := range items {
			ev := o.(*api.Event)
			if !eventMatches(ev, e.Event) {
				seen = append(seen, ev.Reason)
				continue
			}
			if e.Event.AtLeast == nil {
				return !e.Event.None, kubectl("%s %s %s/%s: %s", ev.Type, ev.Reason, strings.ToLower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name, ev.Message)
			}
			n := int(ev.Count)
			if n < 1 {
				n = 1
			}
			matched += n
		}
		if e.Event.AtLeast != nil {
			return matched >= *e.Event.AtLeast, tr("%d matching event(s)", "맞는 이벤트 %d개", matched)
		}
		sort.Strings(seen)
		if len(seen) == 0 {
			return e.Event.None, tr("no events", "이벤트 없음")
		}
		return e.Event.None, tr("events: %s", "이벤트: %s", strings.Join(dedupe(seen), ", "))
	case e.Healthy != "":
		return healthy(r.c, e.Healthy)
	case e.Exec != nil:
		ns := e.Namespace
		if ns == "" {
			ns = "default"
		}
		res, err := r.probe(e.Exec, ns)
		saw := tr("exit code %d: %s", "종료 코드 %d: %s", res.ExitCode, strings.TrimSpace(res.Output))
		return err == nil, saw
	case e.Absent != "":
		info, name, _ := splitRef(e.Absent)
		ns := e.Namespace
		if ns == "" && info.Namespaced {
			ns = "default"
		}
		_, err := c.StoredObject(info.Resource, ns, name)
		if apierrors.IsNotFound(err) {
			return true, Text{En: err.Error()}
		}
		if err != nil {
			return false, Text{En: err.Error()}
		}
		return false, tr("%s still exists", "%s가 아직 있습니다", e.Absent)
	}
	return false, Text{En: "nothing to check"}
}

// object reads the object an object check names: by name, or the first
// (by name) that matches its selector.
func (r *runner) object(o *ObjectExpect) (api.Object, error) {
	ns := o.Namespace
	if o.Selector == "" {
		info, name, _ := splitRef(o.Ref)
		if ns == "" && info.Namespaced {
			ns = "default"
		}
		return r.c.StoredObject(info.Resource, ns, name)
	}
	info, _ := api.ResourceForName(o.Ref)
	if ns == "" && info.Namespaced {
		ns = "default"
	}
	items, err := r.c.StoredObjects(info.Resource, ns, o.Selector)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, &textError{tr("no %s match %s", "%s 중 %s에 맞는 것이 없습니다", info.Resource, o.Selector)}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].GetObjectMeta().Name < items[j].GetObjectMeta().Name })
	return items[0], nil
}

// checkPods counts the selected pods: those being deleted only when asked,
// those on other nodes never.
func (r *runner) checkPods(p *PodsExpect) (bool, Text) {
	ns := p.Namespace
	if ns == "" {
		ns = "default"
	}
	items, err := r.c.StoredObjects("pods", ns, p.Selector)
	if err != nil {
		return false, Text{En: err.Error()}
	}
	var onNodes map[string]bool
	if len(p.Nodes) > 0 || p.NodeSelector != "" {
		onNodes = map[string]bool{}
		if p.NodeSelector != "" {
			nodes, err := r.c.StoredObjects("nodes", "", p.NodeSelector)
			if err != nil {
				return false, Text{En: err.Error()}
			}
			for _, n := range nodes {
				if len(p.Nodes) == 0 || contains(p.Nodes, n.GetObjectMeta().Name) {
					onNodes[n.GetObjectMeta().Name] = true
				}
			}
		} else {
			for _, n := range p.Nodes {
				onNodes[n] = true
			}
		}
	}
	phases := map[string]int{}
	counted, n, terminating, elsewhere := 0, 0, 0, map[string]int{}
	for _, o := range items {
		pod := o.(*api.Pod)
		if onNodes != nil && !onNodes[pod.Spec.NodeName] {
			where := pod.Spec.NodeName
			if where == "" {
				where = "(unscheduled)"
			}
			elsewhere[where]++
			continue
		}
		if pod.DeletionTimestamp != nil && !p.Terminating {
			terminating++
			continue
		}
		counted++
		phases[string(pod.Status.Phase)]++
		if p.Phase == "" || string(pod.Status.Phase) == p.Phase {
			n++
		}
	}
	saw := describePods(counted, phases, terminating, elsewhere)
	if p.Count != nil {
		return n == *p.Count, saw
	}
	return n > 0 && n == counted, saw
}

// describeNodes words a nodes expectation: "at least 3 node(s) with
// topology.kubernetes.io/zone=zone-c, Ready Unknown, tainted
// node.kubernetes.io/unreachable".
func describeNodes(nd *NodesExpect) Text {
	var en, ko string
	switch {
	case nd.Count != nil:
		en, ko = fmt.Sprintf("%d node(s)", *nd.Count), fmt.Sprintf("노드 %d개", *nd.Count)
	case nd.AtLeast != nil && nd.AtMost != nil:
		en, ko = fmt.Sprintf("%d to %d node(s)", *nd.AtLeast, *nd.AtMost), fmt.Sprintf("노드 %d~%d개", *nd.AtLeast, *nd.AtMost)
	case nd.AtLeast != nil:
		en, ko = fmt.Sprintf("at least %d node(s)", *nd.AtLeast), fmt.Sprintf("노드 %d개 이상", *nd.AtLeast)
	case nd.AtMost != nil:
		en, ko = fmt.Sprintf("at most %d node(s)", *nd.AtMost), fmt.Sprintf("노드 %d개 이하", *nd.AtMost)
	}
	var ke, kk []string
	if nd.Selector != "" {
		ke, kk = append(ke, "with "+nd.Selector), append(kk, nd.Selector)
	}
	if nd.Ready != "" {
		ke, kk = append(ke, "Ready "+nd.Ready), append(kk, "Ready "+nd.Ready)
	}
	if nd.Taint != "" {
		ke, kk = append(ke, "tainted "+nd.Taint), append(kk, "taint "+nd.Taint)
	}
	if len(ke) > 0 {
		en += " " + strings.Join(ke, ", ")
		ko = "(" + strings.Join(kk, ", ") + ") " + ko
	}
	return Text{En: en, Ko: ko}
}

// checkNodes counts the selected nodes that are as asked.
func (r *runner) checkNodes(nd *NodesExpect) (bool, Text) {
	items, err := r.c.StoredObjects("nodes", "", nd.Selector)
	if err != nil {
		return false, Text{En: err.Error()}
	}
	key, effect, _ := strings.Cut(nd.Taint, ":")
	n := 0
	for _, o := range items {
		node := o.(*api.Node)
		if nd.Ready != "" {
			status := api.ConditionUnknown // no Ready condition yet: kubectl shows Unknown
			for _, c := range node.Status.Conditions {
				if c.Type == api.NodeReady {
					status = c.Status
				}
			}
			if string(status) != nd.Ready {
				continue
			}
		}
		if key != "" {
			tainted := false
			for _, t := range node.Spec.Taints {
				if t.Key == key && (effect == "" || string(t.Effect) == effect) {
					tainted = true
				}
			}
			if !tainted {
				continue
			}
		}
		n++
	}
	saw := Text{En: fmt.Sprintf("%d of %d node(s)", n, len(items)), Ko: fmt.Sprintf("노드 %d개 중 %d개", len(items), n)}
	switch {
	case nd.Count != nil:
		return n == *nd.Count, saw
	case nd.AtLeast != nil && n < *nd.AtLeast, nd.AtMost != nil && n > *nd.AtMost:
		return false, saw
	}
	return true, saw
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// describePods says what checkPods saw: the counted pods by phase, then
// those it left out and why.
func describePods(total int, phases map[string]int, terminating int, elsewhere map[string]int) Text {
	var en, ko string
	if total == 0 {
		en, ko = "no pods", "파드 없음"
	} else {
		keys := make([]string, 0, len(phases))
		for k := range phases {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts, kparts := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%d %s", phases[k], k)
			kparts[i] = fmt.Sprintf("%s %d", k, phases[k])
		}
		en = fmt.Sprintf("%d pod(s): %s", total, strings.Join(parts, ", "))
		ko = fmt.Sprintf("파드 %d개: %s", total, strings.Join(kparts, ", "))
	}
	if terminating > 0 {
		en += fmt.Sprintf("; %d Terminating, not counted", terminating)
		ko += fmt.Sprintf("; Terminating %d개는 세지 않음", terminating)
	}
	if len(elsewhere) > 0 {
		nodes := make([]string, 0, len(elsewhere))
		for k := range elsewhere {
			nodes = append(nodes, k)
		}
		sort.Strings(nodes)
		var parts []string
		for _, k := range nodes {
			parts = append(parts, fmt.Sprintf("%d on %s", elsewhere[k], k))
		}
		en += "; not on those nodes: " + strings.Join(parts, ", ")
		ko += "; 그 노드 밖: " + strings.Join(parts, ", ")
	}
	return Text{En: en, Ko: ko}
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
// splitPath splits a field path at its dots; `\.` is a dot inside a key
// (status.used.requests\.cpu, metadata.annotations.kubernetes\.io/x).
func splitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(parts, cur.String())
}

func fieldAt(obj api.Object, path string) (string, bool) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return "", false
	}
	var cur any
	if err := json.Unmarshal(raw, &cur); err != nil {
		return "", false
	}
	for _, part := range splitPath(path) {
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

// tr is a text in both languages, from the same arguments.
func tr(en, ko string, args ...any) Text {
	return Text{En: fmt.Sprintf(en, args...), Ko: fmt.Sprintf(ko, args...)}
}

// kubectl is what a command prints: the same in every language.
func kubectl(format string, args ...any) Text { return Text{En: fmt.Sprintf(format, args...)} }

// same wraps a command's printed output.
func same(out string, err error) (Text, error) { return Text{En: out}, err }

// textError is an error of the runner's own, with its Korean.
type textError struct{ t Text }

func (e *textError) Error() string { return e.t.En }

// errorText is an error's text in both languages: the runner's own have
// Korean; a component's (kubectl's, etcd's) read the same in both.
func errorText(err error) Text {
	var te *textError
	if errors.As(err, &te) {
		return te.t
	}
	return Text{En: err.Error()}
}

var gradePath = regexp.MustCompile(`^(?:steps\[(\d+)\]\.)?(expect|checks)\[(\d+)\]$`)

// pathKo names an unnamed expectation in Korean by where it stands.
func pathKo(path string) string {
	if path == "wait" {
		return "기다림"
	}
	m := gradePath.FindStringSubmatch(path)
	if m == nil {
		return ""
	}
	n, _ := strconv.Atoi(m[3])
	what := "기대 결과"
	if m[2] == "checks" {
		what = "확인"
	}
	if m[1] == "" {
		return fmt.Sprintf("%s %d", what, n+1)
	}
	step, _ := strconv.Atoi(m[1])
	return fmt.Sprintf("단계 %d의 %s %d", step+1, what, n+1)
}

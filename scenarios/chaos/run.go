package chaos

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"go.uber.org/goleak"
)

// Options shape a chaos run.
type Options struct {
	Seed     uint64
	Duration time.Duration
	// Kinds are the fault kinds (ParseKinds); nil means every kind.
	Kinds []string
	// Settle bounds the virtual time the healed cluster gets to come to
	// rest (DefaultSettle when 0).
	Settle time.Duration
	// Lang is "en" or "ko", for what Out shows.
	Lang string
	// Out receives the run's progress (nil: nothing is printed).
	Out io.Writer
	// Break, if set, runs on the cluster once it has settled, before the
	// invariants are checked: tests break the world with it to see a
	// check fail.
	Break func(*cluster.Cluster)
	// KernelOptions are passed to the cluster's kernel (trace sinks).
	KernelOptions []sim.Option
}

// Result is what a chaos run found.
type Result struct {
	Plan   *Plan
	Checks []Check
	Passed bool
	// TraceHash is the SHA-256 of every trace record of the run, as text:
	// the same seed and options give the same hash.
	TraceHash string
	Records   uint64
	// HealedAt is the virtual time (from the drill's start) at which the
	// last repair ran; SettledAfter how long after it the cluster came to
	// rest (Settled false: it did not, within the settle bound).
	HealedAt     time.Duration
	SettledAfter time.Duration
	Settled      bool
	// Traffic counts the probes of the schedule and those that answered.
	Curls, CurlsOK, Lookups, LookupsOK int
	// StepErrors are steps of the schedule that failed (a move-leader
	// without a leader to ask, a CoreDNS pod deleted while no apiserver
	// answered): chaos expects some, and reports them.
	StepErrors []string
}

// Check is one invariant's verdict.
type Check struct {
	Name   drill.Text
	Passed bool
	// Detail says what was seen: on a failure, the first offenders.
	Detail drill.Text
}

// Run plays a chaos run: it draws the plan, boots the cluster, runs the
// schedule, heals, lets the cluster settle and checks the invariants. The
// error is for a plan that cannot be drawn or a cluster that cannot boot;
// a failed invariant is in the Result.
func Run(opts Options) (*Result, error) {
	kinds := opts.Kinds
	if kinds == nil {
		kinds = KindNames()
	}
	settle := opts.Settle
	if settle == 0 {
		settle = DefaultSettle
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	lang := opts.Lang
	plan, err := NewPlan(opts.Seed, opts.Duration, kinds)
	if err != nil {
		return nil, err
	}
	dr, err := plan.ParseDrill()
	if err != nil {
		return nil, fmt.Errorf("chaos: the plan's drill does not read back: %w", err)
	}
	res := &Result{Plan: plan}
	fmt.Fprintf(out, "%s\n", pick(lang,
		fmt.Sprintf("kubesim chaos — seed %d, %s of faults (%s) on %s and %s", plan.Seed, plan.Duration, strings.Join(plan.Kinds, ", "), strings.Join(ControlPlanes, ", "), strings.Join(Workers, ", ")),
		fmt.Sprintf("kubesim chaos — 시드 %d, %s 동안의 장애 (%s), 노드 %s, %s", plan.Seed, plan.Duration, strings.Join(plan.Kinds, ", "), strings.Join(ControlPlanes, ", "), strings.Join(Workers, ", "))))
	fmt.Fprintf(out, "%s\n\n", pick(lang,
		fmt.Sprintf("workload: %s, a client pod; schedule: %d faults, %d probes", workloadText(plan), plan.Faults(), plan.Probes()),
		fmt.Sprintf("워크로드: %s, client 파드 하나; 일정: 장애 %d개, 프로브 %d개", workloadText(plan), plan.Faults(), plan.Probes())))

	goroutines := goleak.IgnoreCurrent()
	h := sha256.New()
	cfg := dr.ClusterConfig(plan.Seed)
	// The capacity first: it makes the trace that the sinks attach to.
	cfg.Options = append(append(cfg.Options, sim.WithTraceCapacity(1<<12), sim.WithTraceSink(func(r sim.Record) {
		h.Write([]byte(r.Text()))
		h.Write([]byte{'\n'})
	})), opts.KernelOptions...)
	c, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			c.Stop()
		}
	}()
	if !c.WaitFor(c.NodesReady, 2*time.Minute) {
		return nil, fmt.Errorf("chaos: the cluster's nodes did not become Ready")
	}
	t0 := c.K.Now()
	prober := c.Prober()
	for i := range dr.Steps {
		s := dr.Steps[i]
		if s.At != nil {
			if target := t0 + time.Duration(*s.At); target > c.K.Now() {
				c.K.RunFor(target - c.K.Now())
			}
			s.At = nil
		}
		var a *Action
		if i >= 2 {
			a = &plan.Actions[i-2]
		}
		if s.Exec != nil {
			f := strings.Fields(s.Exec.Command)
			if f[0] == "curl" {
				r := prober.Curl("default/"+s.Exec.Pod, f[1])
				res.Curls++
				if r.ExitCode == 0 {
					res.CurlsOK++
				}
			} else {
				r := prober.Nslookup("default/"+s.Exec.Pod, f[1])
				res.Lookups++
				if r.ExitCode == 0 {
					res.LookupsOK++
				}
			}
			continue
		}
		sr := drill.Apply(c, dr, []drill.Step{s}, lang)[0]
		at := virtual(c.K.Now() - t0)
		line := drill.StepCommand(&s)
		if a != nil {
			line = actionText(*a, lang)
		}
		if !sr.OK {
			res.StepErrors = append(res.StepErrors, fmt.Sprintf("%s %s: %s", at, line, sr.Error))
			fmt.Fprintf(out, "[%10s] %s — %s\n", at, line, pick(lang, "failed: ", "실패: ")+sr.Error)
			continue
		}
		if a != nil {
			fmt.Fprintf(out, "[%10s] %s\n", at, line)
		}
	}
	res.HealedAt = c.K.Now() - t0
	fmt.Fprintf(out, "\n%s\n", pick(lang,
		fmt.Sprintf("traffic during the faults: %d/%d curls and %d/%d lookups answered", res.CurlsOK, res.Curls, res.LookupsOK, res.Lookups),
		fmt.Sprintf("장애 중 트래픽: curl %d/%d, nslookup %d/%d 응답", res.CurlsOK, res.Curls, res.LookupsOK, res.Lookups)))

	// Settle: poll the out-of-band invariants every 5 s of virtual time
	// until they all hold, or the bound passes.
	healed := c.K.Now()
	deadline := healed + settle
	ck := &checker{c: c, plan: plan}
	for {
		if c.Settled() && allPassed(ck.outOfBand()) {
			res.Settled = true
			break
		}
		if c.K.Now() >= deadline {
			break
		}
		c.K.RunFor(min(5*time.Second, deadline-c.K.Now()))
	}
	res.SettledAfter = c.K.Now() - healed
	if res.Settled {
		fmt.Fprintf(out, "%s\n\n", pick(lang,
			fmt.Sprintf("healed at %s; settled %s later", virtual(res.HealedAt), res.SettledAfter),
			fmt.Sprintf("%s에 모두 복구; %s 뒤 안정됨", virtual(res.HealedAt), res.SettledAfter)))
	} else {
		fmt.Fprintf(out, "%s\n\n", pick(lang,
			fmt.Sprintf("healed at %s; not settled after %s", virtual(res.HealedAt), settle),
			fmt.Sprintf("%s에 모두 복구; %s이 지나도 안정되지 않음", virtual(res.HealedAt), settle)))
	}
	if opts.Break != nil {
		opts.Break(c)
	}
	res.Checks = append(res.Checks, ck.outOfBand()...)
	res.Checks = append(res.Checks, ck.probes()...)
	res.Records = c.K.Trace().Total()
	c.Stop()
	stopped = true
	res.TraceHash = fmt.Sprintf("%x", h.Sum(nil))
	res.Checks = append(res.Checks, goroutineCheck(goroutines))
	res.Passed = allPassed(res.Checks)
	for _, ch := range res.Checks {
		verdict := pick(lang, "PASS", "통과")
		if !ch.Passed {
			verdict = pick(lang, "FAIL", "실패")
		}
		fmt.Fprintf(out, "%s %s: %s\n", verdict, ch.Name.In(lang), ch.Detail.In(lang))
	}
	fmt.Fprintf(out, "\n%s\n", pick(lang,
		fmt.Sprintf("trace: %d records, sha256 %s", res.Records, res.TraceHash),
		fmt.Sprintf("트레이스: 기록 %d개, sha256 %s", res.Records, res.TraceHash)))
	if res.Passed {
		fmt.Fprintf(out, "%s\n", pick(lang, "verdict: PASS", "판정: 통과"))
	} else {
		fmt.Fprintf(out, "%s\n%s\n  %s\n", pick(lang, "verdict: FAIL", "판정: 실패"),
			pick(lang, "replay it:", "다시 실행:"), plan.Command())
	}
	return res, nil
}

// virtual is a virtual duration as the schedule writes it (2m25.9s).
func virtual(d time.Duration) string { return d.Round(time.Millisecond).String() }

func allPassed(cs []Check) bool {
	for _, c := range cs {
		if !c.Passed {
			return false
		}
	}
	return true
}

func pick(lang, en, ko string) string {
	if lang == "ko" {
		return ko
	}
	return en
}

func workloadText(p *Plan) string {
	var parts []string
	for _, d := range p.Workload {
		parts = append(parts, fmt.Sprintf("%s x%d", d.Name, d.Replicas))
	}
	return strings.Join(parts, ", ")
}

// actionText is an action as one line of progress.
func actionText(a Action, lang string) string {
	var en, ko string
	switch a.Op {
	case "kill":
		en, ko = "crash "+a.Target, a.Target+" 강제 종료"
	case "restart":
		en, ko = "restart "+a.Target, a.Target+" 재시작"
	case "stopNode":
		en, ko = "power off "+a.Target, a.Target+" 전원 끔"
	case "startNode":
		en, ko = "power on "+a.Target, a.Target+" 전원 켬"
	case "partition":
		en, ko = "cut "+a.Target+" <-> "+a.Peer, a.Target+" <-> "+a.Peer+" 연결 끊음"
	case "heal":
		en, ko = "heal "+a.Target+" <-> "+a.Peer, a.Target+" <-> "+a.Peer+" 연결 복구"
	case "moveLeader":
		en, ko = "etcdctl move-leader to "+a.Target, a.Target+"로 etcdctl move-leader"
	case "delete":
		en, ko = "delete a CoreDNS pod ("+a.Target+")", "CoreDNS 파드 하나 삭제 ("+a.Target+")"
	default:
		en, ko = a.Op+" "+a.Target, a.Op+" "+a.Target
	}
	if a.Heal {
		en, ko = en+" (healing)", ko+" (복구)"
	}
	return pick(lang, en, ko)
}

// goroutineCheck: once the cluster is stopped, no goroutine it started
// is left.
func goroutineCheck(before goleak.Option) Check {
	ch := Check{Name: drill.Text{En: "no goroutine leaks", Ko: "고루틴 누수 없음"}}
	if err := goleak.Find(before); err != nil {
		first := err.Error()
		if i := strings.Index(first, "\n\n"); i > 0 {
			first = first[:i]
		}
		ch.Detail = drill.Text{En: "goroutines left after the cluster stopped: " + first, Ko: "클러스터를 멈춘 뒤 남은 고루틴: " + first}
		return ch
	}
	ch.Passed = true
	ch.Detail = drill.Text{En: "every goroutine of the cluster ended with it", Ko: "클러스터의 모든 고루틴이 함께 끝났습니다"}
	return ch
}

// Package incident runs hands-on incident response: a trainee is handed a
// cluster that an incident file's steps broke out of sight, with only the
// symptom a user would report; they diagnose it with the real kubectl and
// the node shell, fix it, and ask for a check that grades the cluster's
// state (never the commands typed). Hints come one rung at a time; giving up
// shows the diagnosis path and the fix.
//
// The incident is deterministic: the same seed gives the same breakage and
// the same symptoms. An incident file is a drill file of kind incident
// (package drill, scenarios/README.md): the drill's cluster and steps for
// the breakage, plus symptom, checks, hints, solution and wrong fixes.
package incident

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Boot builds the incident's cluster and breaks it: the cluster of the
// file for the seed, booted until its nodes are Ready and the add-ons run,
// then the file's steps. adjust, if set, changes the configuration first
// (kernel options; a cursor's host). The steps' outputs are not shown: the
// trainee learns of the breakage from its symptoms.
func Boot(inc *drill.Drill, seed uint64, adjust func(*cluster.Config)) (*cluster.Cluster, error) {
	cfg := inc.ClusterConfig(seed)
	if adjust != nil {
		adjust(&cfg)
	}
	c, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	if !c.WaitFor(c.NodesReady, 2*time.Minute) {
		c.Stop()
		return nil, fmt.Errorf("%s: the cluster's nodes did not become Ready", inc.File)
	}
	c.K.RunFor(20 * time.Second) // the add-ons run, the leaders are elected
	for _, r := range drill.Apply(c, inc, inc.Steps, "en") {
		if !r.OK {
			c.Stop()
			return nil, fmt.Errorf("%s:%d: the incident's step %d (%s) failed: %s", inc.File, r.Line, r.Index+1, r.Action, r.Error)
		}
	}
	return c, nil
}

// Session is one trainee's incident on a running cluster. Its methods
// must run where the cluster may be used (the serving driver's goroutine:
// serve.Server.Do), except the hint ladder's, which only read the file.
type Session struct {
	Incident *drill.Drill
	Seed     uint64
	Lang     narrate.Lang
	// Broken is when the breakage was done: the virtual time and the
	// cluster's wall clock then.
	Broken     time.Duration
	BrokenWall time.Time
	// WallStart is the wall-clock start of the session (for the summary:
	// the one place the wall clock counts, outside the simulation).
	WallStart time.Time

	mu     sync.Mutex // the prompt, the HTTP check and the driver share it
	hints  int
	fixed  bool
	FixedV time.Duration
	Checks int // checks asked for
}

// NewSession starts the clock on an incident whose cluster was just broken.
func NewSession(inc *drill.Drill, seed uint64, lang narrate.Lang, c *cluster.Cluster, wallStart time.Time) *Session {
	return &Session{Incident: inc, Seed: seed, Lang: lang, Broken: c.K.Now(), BrokenWall: c.K.WallTime(), WallStart: wallStart}
}

// Symptom is what the trainee is told: the file's symptom, with {since}
// the cluster's clock when it broke.
func (s *Session) Symptom() string {
	t := s.Incident.Symptom.In(string(s.Lang))
	return strings.ReplaceAll(strings.TrimSpace(t), "{since}", s.BrokenWall.Format("15:04")+" UTC")
}

// Report is a check's outcome.
type Report struct {
	Passed bool          `json:"passed"`
	Grades []drill.Grade `json:"checks"`
	// First is set on the first passing check: the incident is fixed.
	First bool `json:"first,omitempty"`
	// FixedIn is the virtual time from the breakage to the first passing
	// check.
	FixedIn time.Duration `json:"fixedInNanoseconds,omitempty"`
}

// Check grades the cluster's state now.
func (s *Session) Check(c *cluster.Cluster) Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Checks++
	grades := drill.CheckNow(c, s.Incident, s.Incident.Checks)
	r := Report{Passed: true, Grades: grades}
	for _, g := range grades {
		r.Passed = r.Passed && g.Passed
	}
	if r.Passed && !s.fixed {
		s.fixed, s.FixedV, r.First = true, c.K.Now(), true
	}
	if s.fixed {
		r.FixedIn = s.FixedV - s.Broken
	}
	return r
}

// Render prints a report as the check command shows it.
func (s *Session) Render(r Report, wallNow time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, g := range r.Grades {
		mark := pick(s.Lang, "PASS", "통과")
		if !g.Passed {
			mark = pick(s.Lang, "FAIL", "실패")
		}
		name, want, saw := g.In(string(s.Lang))
		fmt.Fprintf(&b, "  %s %s: %s %s; %s %s\n", mark, name, pick(s.Lang, "want", "기대:"), want, pick(s.Lang, "saw", "관찰:"), saw)
	}
	if !r.Passed {
		b.WriteString(pick(s.Lang, "Not fixed yet.", "아직 해결되지 않았습니다.") + "\n")
		return b.String()
	}
	b.WriteString(pick(s.Lang, "Fixed.", "해결되었습니다.") + "\n")
	if r.First {
		b.WriteString(s.summary(wallNow))
	}
	return b.String()
}

// Summary is the closing line: virtual and wall time to fix, hints used.
func (s *Session) Summary(wallNow time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.summary(wallNow)
}

func (s *Session) summary(wallNow time.Time) string {
	if !s.fixed {
		return ""
	}
	virtual := strings.TrimSpace(sim.FormatVirtual(s.FixedV - s.Broken))
	wall := wallNow.Sub(s.WallStart).Truncate(time.Second)
	return pick(s.Lang,
		fmt.Sprintf("Incident %s fixed in %s of cluster time (%s on the clock), with %d of %d hints and %d checks.\n", s.Incident.Name, virtual, wall, s.hints, len(s.Incident.Hints), s.Checks),
		fmt.Sprintf("인시던트 %s를 클러스터 시간 %s(실제 시간 %s)에 해결했습니다. 힌트 %d/%d개, 확인 %d번.\n", s.Incident.Name, virtual, wall, s.hints, len(s.Incident.Hints), s.Checks))
}

// Hint returns the next hint of the ladder.
func (s *Session) Hint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := s.Incident.Hints
	if s.hints >= len(hs) {
		return pick(s.Lang, fmt.Sprintf("No more hints (%d of %d given). give-up shows the diagnosis and the fix.", len(hs), len(hs)),
			fmt.Sprintf("더 이상 힌트가 없습니다 (%d/%d개). give-up을 입력하면 진단과 해결 방법을 보여 줍니다.", len(hs), len(hs)))
	}
	h := hs[s.hints]
	s.hints++
	return fmt.Sprintf("%s %d/%d: %s", pick(s.Lang, "Hint", "힌트"), s.hints, len(hs), h.In(string(s.Lang)))
}

// GiveUp shows the diagnosis path and the scripted fix.
func (s *Session) GiveUp() string {
	sol := s.Incident.Solution
	var b strings.Builder
	b.WriteString(pick(s.Lang, "Diagnosis:\n", "진단:\n"))
	b.WriteString("  " + strings.ReplaceAll(strings.TrimSpace(sol.Diagnosis.In(string(s.Lang))), "\n", "\n  ") + "\n")
	b.WriteString(pick(s.Lang, "The fix:\n", "해결:\n"))
	for i, st := range sol.Steps {
		b.WriteString(fmt.Sprintf("  %d. %s\n", i+1, drill.StepCommand(&st)))
	}
	return b.String()
}

func pick(l narrate.Lang, en, ko string) string {
	if l == narrate.Korean {
		return ko
	}
	return en
}

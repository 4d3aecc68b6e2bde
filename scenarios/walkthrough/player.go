// Package walkthrough holds the narrated, step-by-step walkthroughs of the
// documented flows, and the player that shows them to a trainee: every
// trace record of the flow, each with a sentence saying what happened and
// why, either straight through or one event per Enter.
package walkthrough

import (
	"bufio"
	"fmt"
	"io"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Player prints a flow as it runs.
type Player struct {
	Out  io.Writer
	Lang narrate.Lang
	// Step waits for input after every narrated event: Enter for the next
	// event, "c" to run to the next checkpoint, "q" to quit.
	Step bool
	In   *bufio.Reader

	// Show lists view commands to run when the walkthrough ends.
	Show []string

	// Cluster, once set, answers view commands typed at the prompt
	// (get pods, describe pod web, events, logs, trace).
	Cluster *cluster.Cluster

	// Focus, if set, picks the records that belong to the flow; the others
	// (heartbeats, controllers' own traffic) are counted, not shown.
	Focus func(sim.Record) bool

	pending  []sim.Record
	hidden   int
	quit     bool
	skipping bool
	// Shown collects what was printed, for the trace exports.
	Shown []sim.Record
}

// Sink is the trace sink the player needs on the kernel.
func (p *Player) Sink(r sim.Record) { p.pending = append(p.pending, r) }

// Discard forgets records collected so far (the boot, before the flow).
func (p *Player) Discard() { p.pending = nil }

// Say prints a narration paragraph in the player's language.
func (p *Player) Say(en, ko string) {
	if p.Lang == narrate.Korean {
		fmt.Fprintln(p.Out, ko)
	} else {
		fmt.Fprintln(p.Out, en)
	}
}

// Checkpoint ends a stretch of the flow: in step mode, "c" runs to here.
func (p *Player) Checkpoint(en, ko string) {
	p.flush()
	p.reportHidden()
	p.skipping = false
	fmt.Fprintln(p.Out)
	p.Say("== "+en, "== "+ko)
}

// Quit reports whether the trainee asked to stop.
func (p *Player) Quit() bool { return p.quit }

// Drive steps the kernel until done holds (or nothing is left), printing
// each record with its narration.
func (p *Player) Drive(k *sim.Kernel, done func() bool) {
	for !p.quit && !done() {
		if !k.Step() {
			break
		}
		p.flush()
	}
	p.flush()
}

func (p *Player) flush() {
	recs := p.pending
	p.pending = nil
	for _, r := range recs {
		if p.quit {
			return
		}
		line := narrate.Line(r, p.Lang)
		if line == "" {
			continue
		}
		if p.Focus != nil && !p.Focus(r) {
			p.hidden++
			continue
		}
		p.Shown = append(p.Shown, r)
		fmt.Fprintln(p.Out, r.Text())
		fmt.Fprintln(p.Out, "    "+line)
		if p.Step && !p.skipping {
			p.prompt()
		}
	}
}

func (p *Player) prompt() {
	q := "  [Enter: next event, c: run to the next checkpoint, q: quit, help: views] "
	if p.Lang == narrate.Korean {
		q = "  [Enter: 다음 이벤트, c: 다음 체크포인트까지, q: 종료, help: 조회 명령] "
	}
	answer, ok := views.Ask(p.Cluster, p.In, p.Out, q)
	switch {
	case !ok || answer == "q":
		p.quit = true
	case answer == "c":
		p.skipping = true
	}
}

// reportHidden says how many messages the focus left out.
func (p *Player) reportHidden() {
	if p.hidden == 0 {
		return
	}
	p.Say(fmt.Sprintf("    (%d other messages meanwhile: heartbeats, leases and other components' own work)", p.hidden),
		fmt.Sprintf("    (그 사이 다른 메시지 %d개: 하트비트, 리스 갱신, 다른 컴포넌트의 작업)", p.hidden))
	p.hidden = 0
}

// ShowViews runs the Show commands against the cluster.
func (p *Player) ShowViews() {
	if p.Cluster != nil {
		views.Show(p.Cluster, p.Show, p.Out)
	}
}

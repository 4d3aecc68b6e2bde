// Package play shows a deterministic run to a trainee through a cursor
// (package sim/cursor): straight through, or at a step prompt where the
// trainee moves the cursor forwards and backwards (Enter, back, goto,
// until) and reads views of the cluster at the record under it.
//
// What is shown is decided by the program that drives the run, through
// marks it writes into the trace (sim.Kernel.Mark) and tags it gives records
// (cursor.Host.Tag):
//
//   - a Stage mark opens a checkpoint; the records tagged with its ID are
//     its records, each printed with its narration, and the StageEnd mark
//     closes it. A stage's records need not be contiguous: the scheduler's
//     bind can happen while kubectl still waits for its 201, and each is
//     shown under its own checkpoint. Within a checkpoint records are in
//     the order they happened, and their numbers (#N, the place in the run)
//     make the order plain when one checkpoint starts earlier than the last
//     one ended.
//   - Say and Output marks, and any mark whose body is a Renderer (a drill's
//     step, a grade), print where they happened.
//   - A mark whose body is a Stop is where step mode waits when the run shows
//     no records (a drill, before each of its steps).
//
// Everything printed comes from the run's records, so a replay prints the
// same bytes, and a view at a record prints the same bytes whether the
// cursor reached it forwards or backwards.
package play

import (
	"strconv"

	"github.com/kubesim/kubesim/scenarios/narrate"
)

// Mark kinds.
const (
	KindStage    = "stage"
	KindStageEnd = "stage-end"
	KindSay      = "say"
	KindOutput   = "output"
)

// Stage opens a checkpoint: the records tagged ID belong to it.
type Stage struct {
	ID    int
	Title narrate.Text
}

// Summary implements sim.Summarizer.
func (s Stage) Summary() string { return s.Title.En }

// StageEnd closes a checkpoint.
type StageEnd struct{ ID int }

// Summary implements sim.Summarizer.
func (s StageEnd) Summary() string { return "end of " + strconv.Itoa(s.ID) }

// Say is a paragraph of narration, computed by the program from the run.
type Say narrate.Text

// Summary implements sim.Summarizer.
func (s Say) Summary() string { return s.En }

// Output is text a command printed (curl's answer): the same in every
// language.
type Output string

// Summary implements sim.Summarizer.
func (o Output) Summary() string { return string(o) }

// Renderer is a mark body that prints itself.
type Renderer interface {
	Render(lang narrate.Lang) string
}

// Stop is a mark body where step mode waits for the trainee, with the
// question to ask.
type Stop interface {
	Question(lang narrate.Lang) string
}

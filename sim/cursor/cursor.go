// Package cursor is a debugger's cursor over a deterministic run: open a
// run, move a cursor over its records forwards and backwards, and look at
// the state of every component as it was right after the record under the
// cursor — without changing the run.
//
// A run is a Program: a function that builds its kernel with the options
// the Host gives it and drives it as it likes (a walkthrough, a drill). The
// cursor learns of every record through a trace sink and pauses the program
// through the kernel's pause hook, which runs on the driver's goroutine
// between events: while the program is paused nothing runs, so views may
// read every actor's state directly (sim.Kernel.Inspect) and spend nothing —
// no message, timer, random draw or record.
//
// Going back works by replaying: the Program runs again from its start,
// with the same seed and inputs, to the record asked for. Because the run is
// deterministic, the replay reaches the same state; the cursor checks that
// every record a replay produces equals the one it recorded the first time
// and reports a run that is not deterministic. Records are grouped into
// pauses — the records of one kernel event (a delivery and the notes its
// handling wrote) — and the state at a record is the state at the end of its
// pause: a component cannot be looked at halfway through handling a message.
//
//	s := cursor.Open(program)
//	defer s.Close()
//	s.Seek(4871)                       // the create's Txn reaches etcd
//	s.Inspect(func(w any) error { ... })  // read the cluster at #4871
//	s.Back(1)                          // and one record before
//
// Only one run exists at a time. The cursor's position is logical: moving it
// costs nothing until Inspect needs the state there.
package cursor

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Program is one deterministic run. It must create its kernel with
// h.Options() (a cluster passes them on), call h.Attach with what views read
// once it exists, and give the same records every time it runs. It must not
// stop its kernel itself: register that with h.Cleanup, so that the world
// stays readable at the end of the run until the cursor lets go of it.
type Program func(h *Host) error

// Entry is one record of the run, with what the cursor knows about it.
type Entry struct {
	sim.Record
	// Tag is what the program's classifier (Host.Tag) said of the record
	// when it happened: a walkthrough's stage, 0 for none.
	Tag int
	// Pause numbers the kernel event the record belongs to; records with the
	// same Pause share one state.
	Pause uint64
	// Probe is what the program's probe (Host.Probe) read at the end of the
	// record's pause: etcd's revision, so a view can tell which revisions a
	// stretch of records wrote.
	Probe int64
}

// Host is a running Program's side of the cursor.
type Host struct{ r *run }

// Options are the kernel options the program must build its kernel with.
func (h *Host) Options() []sim.Option {
	return []sim.Option{sim.WithTraceSink(h.r.sink), sim.WithPauseHook(h.r.hook)}
}

// Attach names what views read at a pause (a *cluster.Cluster).
func (h *Host) Attach(world any) { h.r.world = world }

// Cleanup registers fn to run when the run is let go of (after the cursor
// moved back past it, or closed), last registered first.
func (h *Host) Cleanup(fn func()) { h.r.cleanups = append(h.r.cleanups, fn) }

// Tag sets the classifier every later record is passed to; its answer is
// the record's Entry.Tag. It runs as the record is written, so it must be
// cheap and must not change the run.
func (h *Host) Tag(fn func(sim.Record) int) { h.r.classify = fn }

// Probe sets a function read at the end of every pause that wrote records
// (etcd's revision); its value is the records' Entry.Probe. It must only
// read.
func (h *Host) Probe(fn func() int64) { h.r.probe = fn }

// Replaying reports whether this run replays records the cursor already
// has (a step back), so a program can skip work that only shows output.
func (h *Host) Replaying() bool { return h.r.total < uint64(len(h.r.s.log)) }

// Session is a cursor over one Program's run.
type Session struct {
	prog Program
	log  []Entry
	done bool  // the program returned: log is complete
	err  error // what it returned
	cur  *run  // the run the state lives in, or nil
	pos  uint64
	// Runs counts the runs started (1 + replays), for tests and benchmarks.
	Runs int
}

// Open prepares a session; nothing runs until the cursor moves.
func Open(p Program) *Session { return &Session{prog: p} }

// Close lets go of the run (its cleanups run).
func (s *Session) Close() {
	if s.cur != nil {
		s.cur.abort()
		s.cur = nil
	}
}

// Pos is the cursor: a record number, 0 before the first move.
func (s *Session) Pos() uint64 { return s.pos }

// Len is how many records are known so far.
func (s *Session) Len() uint64 { return uint64(len(s.log)) }

// Done reports whether the program has ended, so Len is final.
func (s *Session) Done() bool { return s.done }

// Err is what the program returned, once Done.
func (s *Session) Err() error { return s.err }

// Entry returns record n (1-based).
func (s *Session) Entry(n uint64) (Entry, bool) {
	if n < 1 || n > uint64(len(s.log)) {
		return Entry{}, false
	}
	return s.log[n-1], true
}

// Entries returns records from..to inclusive (clipped to what is known).
func (s *Session) Entries(from, to uint64) []Entry {
	if from < 1 {
		from = 1
	}
	if to > uint64(len(s.log)) {
		to = uint64(len(s.log))
	}
	if from > to {
		return nil
	}
	return s.log[from-1 : to]
}

// ErrPastEnd is returned for a position after the last record of a run
// that has ended.
var ErrPastEnd = errors.New("past the end of the run")

// Seek moves the cursor to record n, running the program forward if the
// record is not known yet. The cursor does not move on error.
func (s *Session) Seek(n uint64) error {
	if n < 1 {
		return fmt.Errorf("there is no record #%d: records start at #1", n)
	}
	if err := s.extend(func() bool { return uint64(len(s.log)) >= n }); err != nil {
		return err
	}
	if n > uint64(len(s.log)) {
		return fmt.Errorf("#%d is %w (the last record is #%d)", n, ErrPastEnd, len(s.log))
	}
	s.pos = n
	return nil
}

// Extend runs the program on until record n is known, or the run ends;
// the cursor stays where it is.
func (s *Session) Extend(n uint64) error {
	return s.extend(func() bool { return uint64(len(s.log)) >= n })
}

// Forward moves the cursor n records on.
func (s *Session) Forward(n uint64) error { return s.Seek(s.pos + n) }

// Back moves the cursor n records back (to #1 at the most).
func (s *Session) Back(n uint64) error {
	if s.pos == 0 {
		return errors.New("the cursor is not on a record yet")
	}
	if n >= s.pos {
		return s.Seek(1)
	}
	return s.Seek(s.pos - n)
}

// Next moves the cursor to the first record after it for which match holds,
// running the program on as far as needed. It reports false, leaving the
// cursor, when the run ends first or stop (if non-nil) holds for a record
// before a match: a walkthrough looks for the next record of a stage up to
// the mark that ends the stage.
func (s *Session) Next(match, stop func(Entry) bool) (bool, error) {
	i := s.pos
	for {
		for ; i < uint64(len(s.log)); i++ {
			e := s.log[i]
			if match(e) {
				s.pos = i + 1
				return true, nil
			}
			if stop != nil && stop(e) {
				return false, nil
			}
		}
		if s.done {
			return false, nil
		}
		known := uint64(len(s.log))
		if err := s.extend(func() bool { return uint64(len(s.log)) > known }); err != nil {
			return false, err
		}
	}
}

// SeekTime moves the cursor to the last record at or before virtual time t:
// the state of the run at t.
func (s *Session) SeekTime(t time.Duration) error {
	if t < 0 {
		return fmt.Errorf("virtual time starts at 0s, not %s", t)
	}
	if err := s.extend(func() bool {
		n := len(s.log)
		return n > 0 && s.log[n-1].Time > t
	}); err != nil {
		return err
	}
	n := uint64(0)
	for i := len(s.log) - 1; i >= 0; i-- {
		if s.log[i].Time <= t {
			n = uint64(i + 1)
			break
		}
	}
	if n == 0 {
		return fmt.Errorf("nothing happened by %s", sim.FormatVirtual(t))
	}
	if s.done && n == uint64(len(s.log)) && s.log[n-1].Time < t {
		return fmt.Errorf("%s is %w (it ends at %s, #%d)", trimTime(t), ErrPastEnd, trimTime(s.log[n-1].Time), n)
	}
	s.pos = n
	return nil
}

func trimTime(t time.Duration) string {
	s := sim.FormatVirtual(t)
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// Outcome says how an Until ended.
type Outcome int

// Outcomes of Until.
const (
	Held    Outcome = iota // the condition held
	AtEnd                  // the run ended first
	AtBound                // the bound was reached first
)

// Until runs the cursor forward, pause by pause, until cond holds for the
// world (checked at every pause after the cursor's), the run ends, or the
// cursor has gone more than bound of virtual time past where it started
// (bound 0: no bound). The cursor ends on the last record of the pause where
// it stopped.
func (s *Session) Until(cond func(world any) bool, bound time.Duration) (Outcome, error) {
	if err := s.materialize(); err != nil {
		return 0, err
	}
	r := s.cur
	var start time.Duration
	if r.k != nil {
		start = r.k.Now()
	}
	var out Outcome = AtEnd
	err := r.advance(func() bool {
		if r.world != nil && cond(r.world) {
			out = Held
			return true
		}
		if bound > 0 && r.k.Now()-start > bound {
			out = AtBound
			return true
		}
		return false
	})
	if err != nil {
		return 0, err
	}
	if r.finished {
		s.finish(r)
		if r.world != nil && cond(r.world) {
			out = Held
		}
	}
	if r.total > 0 {
		s.pos = r.total
	}
	return out, nil
}

// Inspect runs fn on the world as it is right after the record under the
// cursor (replaying the run if the cursor went back). fn must only read.
func (s *Session) Inspect(fn func(world any) error) error {
	if err := s.materialize(); err != nil {
		return err
	}
	if s.cur.world == nil {
		return errors.New("the cluster is not up yet at this record")
	}
	return fn(s.cur.world)
}

// World is what the run at the cursor attached (nil before it did);
// materializes like Inspect. Use it only while the cursor stays.
func (s *Session) World() (any, error) {
	if err := s.materialize(); err != nil {
		return nil, err
	}
	return s.cur.world, nil
}

// extend runs the program on until enough holds (checked at every pause)
// or the program ends.
func (s *Session) extend(enough func() bool) error {
	if enough() || s.done {
		return nil
	}
	if s.cur == nil {
		s.start()
	}
	r := s.cur
	if err := r.advance(enough); err != nil {
		return err
	}
	if r.finished {
		s.finish(r)
	}
	return nil
}

func (s *Session) finish(r *run) {
	if r.total >= uint64(len(s.log)) {
		s.done = true
		s.err = r.err
	}
}

// materialize makes the current run pause at the cursor's pause.
func (s *Session) materialize() error {
	if s.pos == 0 {
		if s.cur == nil {
			s.start()
		}
		return nil
	}
	want := s.log[s.pos-1].Pause
	if s.cur != nil && (s.cur.pauses > want || (s.cur.pauses == want && s.cur.total > s.lastOfPause(want))) {
		s.cur.abort()
		s.cur = nil
	}
	if s.cur == nil {
		s.start()
	}
	r := s.cur
	if r.pauses >= want {
		return nil
	}
	if err := r.advance(func() bool { return r.pauses >= want }); err != nil {
		return err
	}
	if r.pauses < want {
		return fmt.Errorf("the replay ended at #%d before reaching #%d: the run is not deterministic", r.total, s.pos)
	}
	return nil
}

// lastOfPause is the number of the last record of a pause.
func (s *Session) lastOfPause(p uint64) uint64 {
	n := s.pos
	for n < uint64(len(s.log)) && s.log[n].Pause == p {
		n++
	}
	return n
}

func (s *Session) start() {
	s.Runs++
	r := &run{s: s, cmd: make(chan command), ev: make(chan event)}
	s.cur = r
	go r.main()
}

// --- a run -----------------------------------------------------------------

type command struct {
	stop  func() bool // pause at the first pause where it holds
	abort bool
}

type event struct{ finished bool }

// run is one execution of the Program, on its own goroutine. The session
// talks to it over two channels; whenever the session holds control, the
// run's goroutine (the kernel's driver) is blocked, so the session may read
// its world.
type run struct {
	s        *Session
	k        *sim.Kernel
	world    any
	cleanups []func()
	classify func(sim.Record) int
	probe    func() int64

	cmd chan command
	ev  chan event

	stop     func() bool
	total    uint64 // records this run has produced
	pauses   uint64 // pause hooks so far
	fresh    bool   // records arrived since the last pause hook
	aborting bool
	finished bool
	err      error
	diverged error
}

func (r *run) main() {
	defer func() {
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i]()
		}
		close(r.ev)
	}()
	c := <-r.cmd
	if c.abort {
		return
	}
	r.stop = c.stop
	err := r.s.prog(&Host{r: r})
	r.finished, r.err = true, err
	// Keep the world readable until the session lets go.
	for {
		r.ev <- event{finished: true}
		if c := <-r.cmd; c.abort {
			return
		}
	}
}

// advance resumes the run until stop holds at a pause or the program ends.
func (r *run) advance(stop func() bool) error {
	if r.finished {
		r.cmd <- command{stop: stop}
		<-r.ev
		return r.diverged
	}
	r.cmd <- command{stop: stop}
	<-r.ev
	return r.diverged
}

// abort ends the run: its goroutine unwinds (the program's defers and the
// host's cleanups run) before abort returns.
func (r *run) abort() {
	r.cmd <- command{abort: true}
	for range r.ev {
	}
}

// sink sees every record as the kernel writes it.
func (r *run) sink(rec sim.Record) {
	r.total++
	r.fresh = true
	s := r.s
	if r.total <= uint64(len(s.log)) {
		// A replay passes known records to the classifier too: its state
		// (what earlier records were tagged) is rebuilt, so the records
		// after the known ones are tagged as on the first run.
		tag := 0
		if r.classify != nil {
			tag = r.classify(rec)
		}
		if r.diverged == nil {
			if was := s.log[r.total-1]; !sameRecord(was.Record, rec) || was.Pause != r.pauses+1 || was.Tag != tag {
				r.diverged = fmt.Errorf("the run is not deterministic: record #%d was %q (tag %d) the first time and %q (tag %d) on replay", r.total, was.Text(), was.Tag, rec.Text(), tag)
			}
		}
		return
	}
	tag := 0
	if r.classify != nil {
		tag = r.classify(rec)
	}
	s.log = append(s.log, Entry{Record: rec, Tag: tag, Pause: r.pauses + 1})
}

// hook is the kernel's pause hook: the records since the last call form one
// pause; if the session's condition holds, hand control back and wait.
func (r *run) hook(k *sim.Kernel) {
	if r.aborting {
		return
	}
	r.k = k
	r.pauses++
	if !r.fresh {
		return // an event that wrote nothing: its state belongs to the next record's pause
	}
	r.fresh = false
	if r.probe != nil && r.total == uint64(len(r.s.log)) {
		v := r.probe()
		for i := len(r.s.log) - 1; i >= 0 && r.s.log[i].Pause == r.pauses; i-- {
			r.s.log[i].Probe = v
		}
	}
	if r.diverged == nil && (r.stop == nil || !r.stop()) {
		return
	}
	r.ev <- event{}
	c := <-r.cmd
	if c.abort {
		r.aborting = true
		runtime.Goexit()
	}
	r.stop = c.stop
}

// sameRecord compares what identifies a record, cheaply: a replay that
// delivered the same events in the same order at the same times agrees on
// all of it.
func sameRecord(a, b sim.Record) bool {
	return a.N == b.N && a.Seq == b.Seq && a.Time == b.Time && a.Event == b.Event && a.From == b.From && a.To == b.To && a.Kind == b.Kind
}

package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sort"
	"time"

	"go.uber.org/zap/zapcore"
)

// DefaultEpoch is the wall-clock instant that virtual time zero maps to.
// Timestamps written into API objects (creationTimestamp, lastHeartbeatTime)
// are Epoch + Now, so they are the same on every run.
var DefaultEpoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// Errors returned by kernel primitives.
var (
	// ErrTimeout is returned by Call when no reply arrived within the
	// caller's virtual timeout (the peer is down, partitioned or slow).
	ErrTimeout = errors.New("context deadline exceeded")
	// ErrRefused is returned by Call when the peer's node is up but the
	// actor itself is not running, as a TCP connect to a closed port is
	// refused at once.
	ErrRefused = errors.New("connection refused")
	// ErrNoProgress is returned by External.Call when the event queue ran
	// dry before the reply arrived.
	ErrNoProgress = errors.New("sim: no events left before the reply")
)

// Latency decides how long a message from one actor takes to reach another.
type Latency func(fromNode, toNode string) time.Duration

// DefaultLatency is 50µs within a node and 500µs between nodes: small enough
// that flows complete in milliseconds of virtual time, large enough that the
// trace shows time passing along each hop.
func DefaultLatency(fromNode, toNode string) time.Duration {
	if fromNode == toNode {
		return 50 * time.Microsecond
	}
	return 500 * time.Microsecond
}

// Option configures a Kernel.
type Option interface{ apply(*Kernel) }

type optionFunc func(*Kernel)

func (f optionFunc) apply(k *Kernel) { f(k) }

// WithLatency sets the message latency model.
func WithLatency(l Latency) Option { return optionFunc(func(k *Kernel) { k.latency = l }) }

// WithEpoch sets the wall-clock instant of virtual time zero.
func WithEpoch(t time.Time) Option { return optionFunc(func(k *Kernel) { k.epoch = t.UTC() }) }

// WithTraceCapacity bounds the in-memory trace ring (default 65536 records).
func WithTraceCapacity(n int) Option {
	return optionFunc(func(k *Kernel) { k.trace = NewTrace(n) })
}

// WithTraceSink streams every trace record to fn, in order, as it happens.
func WithTraceSink(fn func(Record)) Option {
	return optionFunc(func(k *Kernel) { k.trace.AddSink(fn) })
}

// WithPauseHook calls fn on the driver's goroutine at every point where the
// run is between events and something was recorded: after each Step, after
// a Mark, after a fault the driver injected outside a step. Nothing runs
// while fn runs, so fn may read every actor's state (Inspect) — and it may
// block, which pauses the run there: a debugger's breakpoint (package
// cursor). fn must not change the run.
func WithPauseHook(fn func(*Kernel)) Option {
	return optionFunc(func(k *Kernel) { k.pauseHook = fn })
}

// Kernel is the deterministic scheduler. All of its exported methods must be
// called from one goroutine (the driver), never from inside an actor.
type Kernel struct {
	seed    uint64
	epoch   time.Time
	now     time.Duration
	seq     uint64
	queue   eventQueue
	free    []*event
	latency Latency

	actors map[string]*actor // addressable actors by name
	nodes  map[string]*node
	nextID uint64 // call and timer ids

	parked  chan struct{}
	running *actor
	panic   *actorPanic

	trace     *Trace
	logs      *logBook
	faults    faultTable
	cancelled map[TimerID]bool
	monitors  map[string][]monitor
	rng       *rand.Rand // the kernel's own stream (fault probabilities)

	logOut      io.Writer
	logLevel    zapcore.Level
	logLevelSet bool

	pauseHook func(*Kernel)
	stepping  bool // inside Step: the hook runs once, at its end
	steps     uint64
	inputs    func(Input)
}

type node struct {
	name   string
	down   bool
	actors []*actor // persistent actors placed on the node, in registration order
}

// New returns a kernel whose randomness derives entirely from seed.
func New(seed uint64, opts ...Option) *Kernel {
	k := &Kernel{
		seed:      seed,
		epoch:     DefaultEpoch,
		latency:   DefaultLatency,
		actors:    make(map[string]*actor),
		nodes:     make(map[string]*node),
		parked:    make(chan struct{}),
		cancelled: make(map[TimerID]bool),
		monitors:  make(map[string][]monitor),
		trace:     NewTrace(1 << 16),
	}
	for _, o := range opts {
		o.apply(k)
	}
	k.rng = k.streamFor("kernel", 0)
	k.logs = newLogBook(k)
	k.faults.init()
	return k
}

// Seed is the run's seed.
func (k *Kernel) Seed() uint64 { return k.seed }

// Now is the current virtual time: the time of the event being handled, or of
// the last one handled.
func (k *Kernel) Now() time.Duration { return k.now }

// WallTime maps virtual time to the wall-clock instant written into objects.
func (k *Kernel) WallTime() time.Time { return k.epoch.Add(k.now) }

// Epoch is the wall-clock instant of virtual time zero.
func (k *Kernel) Epoch() time.Time { return k.epoch }

// Trace is the kernel's trace.
func (k *Kernel) Trace() *Trace { return k.trace }

// Pending is the number of events waiting in the queue.
func (k *Kernel) Pending() int { return len(k.queue) }

// NextEventTime reports the virtual time of the next event, if any.
func (k *Kernel) NextEventTime() (time.Duration, bool) {
	if len(k.queue) == 0 {
		return 0, false
	}
	return k.queue[0].at, true
}

// streamFor derives a random stream from the seed, a name and an incarnation,
// so that streams are independent of each other and of registration order.
func (k *Kernel) streamFor(name string, incarnation int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(k.seed, h.Sum64()^uint64(incarnation)*0x9e3779b97f4a7c15))
}

// Rand returns a new random stream for a named purpose outside any actor
// (a driver's choice of a victim pod, for example). The same name gives the
// same stream on every run.
func (k *Kernel) Rand(name string) *rand.Rand { return k.streamFor("driver/"+name, 0) }

// --- the event queue -------------------------------------------------------

type eventKind uint8

const (
	evDeliver eventKind = iota // a message arrives at an actor
	evStart                    // an actor's goroutine starts
	evWake                     // a Sleep or a Call timeout ends
	evFunc                     // a driver-scheduled function (a drill step, a fault)
)

type event struct {
	at    time.Duration
	seq   uint64
	kind  eventKind
	to    *actor
	msg   *Message
	inc   int    // the target's incarnation when the event was made
	token uint64 // evWake: the wait it ends
	fn    func()
	label string // evFunc: what the trace calls it
}

// eventQueue is a binary min-heap on (at, seq), written out rather than
// through container/heap to keep interface calls off the hot path.
type eventQueue []*event

func (q eventQueue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *eventQueue) push(e *event) {
	*q = append(*q, e)
	h := *q
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *eventQueue) pop() *event {
	h := *q
	n := len(h) - 1
	top := h[0]
	h[0] = h[n]
	h[n] = nil
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// newEvent takes an event from the kernel's free list. Only the running
// goroutine (the driver or the one actor it resumed) touches the list, and
// the kernel's channel hand-offs order those accesses.
func (k *Kernel) newEvent() *event {
	if n := len(k.free); n > 0 {
		e := k.free[n-1]
		k.free = k.free[:n-1]
		return e
	}
	return &event{}
}

func (k *Kernel) freeEvent(e *event) {
	*e = event{}
	k.free = append(k.free, e)
}

// post queues a copy of ev in a pooled event.
func (k *Kernel) post(ev event) {
	e := k.newEvent()
	*e = ev
	k.schedule(e)
}

func (k *Kernel) schedule(e *event) {
	k.seq++
	e.seq = k.seq
	k.queue.push(e)
}

// At schedules fn to run on the driver side at virtual time t (or now, if t
// has passed). label names it in the trace ("kill node worker-1").
func (k *Kernel) At(t time.Duration, label string, fn func()) {
	if t < k.now {
		t = k.now
	}
	k.post(event{at: t, kind: evFunc, fn: fn, label: label})
}

// --- stepping --------------------------------------------------------------

// Step handles the next event. It returns false when the queue is empty.
func (k *Kernel) Step() bool {
	if len(k.queue) == 0 {
		return false
	}
	e := k.queue.pop()
	if e.at > k.now {
		k.now = e.at
	}
	k.stepping = true
	k.steps++
	k.dispatch(e)
	k.stepping = false
	k.freeEvent(e)
	if p := k.panic; p != nil {
		k.panic = nil
		panic(p.String())
	}
	if k.pauseHook != nil {
		k.pauseHook(k)
	}
	return true
}

// driverRecorded runs the pause hook after the driver recorded something
// outside a step (a mark, a fault injected directly).
func (k *Kernel) driverRecorded() {
	if k.pauseHook != nil && !k.stepping && k.running == nil {
		k.pauseHook(k)
	}
}

// Mark records a point of the run that the driver names — a walkthrough's
// checkpoint, a drill step and its outcome — with a typed body, as a note
// records a step inside an actor. Marks are part of the run (they depend only
// on the driver's program), so they are numbered like every other record.
func (k *Kernel) Mark(kind string, body any) {
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventMark, From: "driver", Kind: kind, body: body})
	k.driverRecorded()
}

// Inspect returns what the named actor published (Ctx.Publish), or nil if
// it published nothing or is not running. Call it from the driver between
// steps, and only read through what it returns.
func (k *Kernel) Inspect(name string) any {
	a := k.actors[name]
	if a == nil || !a.alive() {
		return nil
	}
	return a.published
}

// RunFor handles every event up to Now()+d and leaves the clock at Now()+d.
func (k *Kernel) RunFor(d time.Duration) {
	end := k.now + d
	for len(k.queue) > 0 && k.queue[0].at <= end {
		k.Step()
	}
	if end > k.now {
		k.now = end
	}
}

// RunUntil handles events until cond holds (checked before the first event
// and after each one) or virtual time would pass Now()+limit. It reports
// whether cond held; on a timeout the clock is left at Now()+limit.
func (k *Kernel) RunUntil(cond func() bool, limit time.Duration) bool {
	end := k.now + limit
	for {
		if cond() {
			return true
		}
		if len(k.queue) == 0 || k.queue[0].at > end {
			if end > k.now {
				k.now = end
			}
			return cond()
		}
		k.Step()
	}
}

// Drain handles events until none are left or max events were handled; it
// returns how many it handled. Periodic actors (heartbeats) keep a cluster's
// queue non-empty forever, so max is required.
func (k *Kernel) Drain(max int) int {
	n := 0
	for n < max && k.Step() {
		n++
	}
	return n
}

func (k *Kernel) dispatch(e *event) {
	switch e.kind {
	case evFunc:
		k.trace.add(Record{Time: k.now, Seq: e.seq, Event: EventDriver, From: "driver", To: "kernel", Kind: "step", summary: e.label})
		e.fn()
	case evStart:
		a := e.to
		if a.inc != e.inc || a.state != stNew {
			return
		}
		if a.parent == nil { // tasks come and go with requests: not worth a line
			a.cause = k.trace.add(Record{Time: k.now, Seq: e.seq, Event: EventStart, From: "kernel", To: a.name, Node: a.node, Kind: "start", summary: startSummary(a)})
		}
		a.state = stRunning
		k.runActor(a, func() { go a.main() })
	case evWake:
		a := e.to
		if a.inc != e.inc || a.waitToken != e.token {
			return // the wait already ended (reply arrived, or the actor restarted)
		}
		switch a.state {
		case stSleep:
			k.resume(a, signal{})
		case stCall:
			a.cause = k.trace.add(Record{Time: k.now, Seq: e.seq, Event: EventTimeout, From: a.name, To: a.callTo, Node: a.node, Kind: a.callKind, Cause: a.cause, summary: "no reply: " + ErrTimeout.Error()})
			if a.ext {
				a.waitToken = 0
				a.state = stIdle
				a.callErr = ErrTimeout
				return
			}
			k.resume(a, signal{err: ErrTimeout})
		}
	case evDeliver:
		k.deliver(e)
	}
}

func startSummary(a *actor) string {
	if a.inc > 1 {
		return fmt.Sprintf("restart #%d", a.inc-1)
	}
	return "start"
}

func (k *Kernel) deliver(e *event) {
	m := e.msg
	a := e.to
	if m.timer != 0 {
		if k.cancelled[m.timer] {
			delete(k.cancelled, m.timer)
			return
		}
		if a.inc != e.inc || !a.alive() {
			return // timers die with the incarnation that set them
		}
	}
	rec := Record{Time: k.now, Seq: e.seq, Event: EventDeliver, From: m.From, To: m.To, Node: a.node, Kind: m.Kind, Cause: m.cause, body: m.Body}
	if m.Body == nil && m.Err != nil {
		rec.body = m.Err // a failed reply: the error is what it carries
	}
	if m.replyTo != 0 {
		rec.Event = EventReply
		rec.InReplyTo = m.reqN
	} else if m.timer != 0 {
		rec.Event = EventTimer
	}
	if reason := k.dropReason(e); reason != "" {
		rec.Event = EventDrop
		rec.summary = reason
		rec.body = nil
		k.trace.add(rec)
		if reason == dropLinkCut && m.stream && m.sender != nil {
			k.breakStream(m.sender, a)
		}
		if reason == dropRefused && m.callID != 0 && m.sender != nil {
			// The peer's host answers with a reset: the caller learns at once.
			k.send(&Message{Kind: m.Kind, From: m.To, To: m.From, replyTo: m.callID, Err: ErrRefused, sender: a}, m.sender, k.latencyBetween(a, m.sender))
		}
		return
	}
	if m.replyTo != 0 {
		if a.state != stCall || a.waitCall != m.replyTo {
			rec.Event = EventDrop
			rec.summary = "late reply discarded"
			rec.body = nil
			k.trace.add(rec)
			return
		}
		m.n = k.trace.add(rec)
		if a.ext {
			a.state = stIdle
			a.waitToken = 0
			a.reply = m
			return
		}
		k.resume(a, signal{msg: m})
		return
	}
	m.n = k.trace.add(rec)
	if a.state == stRecv && a.mbox.len() == 0 {
		k.resume(a, signal{msg: m})
		return
	}
	a.mbox.push(m)
	if a.ext && a.onMessage != nil {
		a.onMessage(m)
	}
}

const (
	dropNoActor   = "dropped: no such actor"
	dropRefused   = "dropped: actor not running"
	dropNodeDown  = "dropped: node down"
	dropRestarted = "dropped: receiver restarted"
	dropLinkCut   = "dropped: link cut"
)

func (k *Kernel) dropReason(e *event) string {
	a := e.to
	m := e.msg
	if n := k.nodes[a.node]; n != nil && n.down {
		return dropNodeDown
	}
	if s := m.sender; s != nil {
		if n := k.nodes[s.node]; n != nil && n.down && !s.ext {
			return "dropped: sender's node down"
		}
	}
	if reason := k.faults.check(k, m, e); reason != "" {
		return reason
	}
	if a.state == stDead || a.state == stExited {
		return dropRefused
	}
	if a.inc != e.inc {
		return dropRestarted
	}
	return ""
}

// --- running actors ---------------------------------------------------------

type signal struct {
	msg   *Message
	err   error
	crash bool
}

// resume hands control to a parked actor and waits until it parks again.
func (k *Kernel) resume(a *actor, s signal) {
	a.state = stRunning
	k.runActor(a, func() { a.wake <- s })
}

func (k *Kernel) runActor(a *actor, start func()) {
	prev := k.running
	k.running = a
	start()
	<-k.parked
	k.running = prev
}

// --- registration ------------------------------------------------------------

// ActorSpec describes a persistent actor.
type ActorSpec struct {
	// Name addresses the actor; it is unique in the kernel ("kube-apiserver",
	// "kubelet/worker-1").
	Name string
	// Node is the node the actor runs on; stopping the node stops the actor.
	Node string
	// Component is the kind of program ("kubelet"); logs and views group by it.
	Component string
	// Run is the actor's body. Each (re)start runs it afresh: a restart
	// loses everything that was not written somewhere durable.
	Run func(*Ctx)
}

// Spawn registers a persistent actor and schedules its start at the current
// virtual time. Names are unique among running actors: spawning the name of
// a stopped one starts its next incarnation with the new body.
func (k *Kernel) Spawn(spec ActorSpec) error {
	if spec.Name == "" || spec.Run == nil {
		return errors.New("sim: actor needs a name and a body")
	}
	comp := spec.Component
	if comp == "" {
		comp = spec.Name
	}
	if a, dup := k.actors[spec.Name]; dup {
		if a.ext || a.alive() || a.state == stNew {
			return fmt.Errorf("sim: actor %q already exists", spec.Name)
		}
		// A stopped actor runs a new program: its next incarnation, perhaps
		// on another node (a container started again with new arguments, a
		// pod scheduled elsewhere).
		if a.node != spec.Node {
			old := k.nodes[a.node]
			for i, x := range old.actors {
				if x == a {
					old.actors = append(old.actors[:i:i], old.actors[i+1:]...)
					break
				}
			}
			a.node = spec.Node
			n := k.node(spec.Node)
			n.actors = append(n.actors, a)
		}
		a.component, a.body, a.log = comp, spec.Run, nil
		k.start(a)
		return nil
	}
	a := &actor{k: k, name: spec.Name, node: spec.Node, component: comp, body: spec.Run, state: stNew}
	k.actors[spec.Name] = a
	n := k.node(spec.Node)
	n.actors = append(n.actors, a)
	k.start(a)
	return nil
}

func (k *Kernel) node(name string) *node {
	n := k.nodes[name]
	if n == nil {
		n = &node{name: name}
		k.nodes[name] = n
	}
	return n
}

func (k *Kernel) start(a *actor) {
	a.inc++
	a.state = stNew
	a.mbox = mailbox{}
	a.rng = k.streamFor(a.name, a.inc)
	a.wake = make(chan signal)
	if n := k.nodes[a.node]; n != nil && n.down {
		a.state = stDead
		return
	}
	k.post(event{at: k.now, kind: evStart, to: a, inc: a.inc})
}

// ActorInfo describes an actor for views such as `kubesim components`.
type ActorInfo struct {
	Name, Node, Component string
	State                 string
	Restarts              int
}

// Actors lists the persistent actors sorted by name.
func (k *Kernel) Actors() []ActorInfo {
	out := make([]ActorInfo, 0, len(k.actors))
	for _, a := range k.actors {
		if a.ext {
			continue
		}
		out = append(out, ActorInfo{Name: a.name, Node: a.node, Component: a.component, State: a.state.String(), Restarts: a.inc - 1})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Running reports whether the named actor exists and is alive.
func (k *Kernel) Running(name string) bool {
	a := k.actors[name]
	return a != nil && a.alive()
}

// Nodes lists the nodes that actors were placed on, sorted, with their state.
func (k *Kernel) Nodes() []NodeInfo {
	out := make([]NodeInfo, 0, len(k.nodes))
	for _, n := range k.nodes {
		if n.name == "" {
			continue
		}
		out = append(out, NodeInfo{Name: n.name, Down: n.down})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NodeInfo is a node's state as the kernel sees it.
type NodeInfo struct {
	Name string
	Down bool
}

// NodeDown reports whether a node is stopped.
func (k *Kernel) NodeDown(name string) bool {
	n := k.nodes[name]
	return n != nil && n.down
}

// Shutdown ends every actor's goroutine. The kernel must not be used after.
func (k *Kernel) Shutdown() {
	names := make([]string, 0, len(k.actors))
	for name := range k.actors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k.kill(k.actors[name], "shutdown", false)
	}
	k.queue = nil
}

// actorPanic carries a panic from an actor's goroutine to the driver.
type actorPanic struct {
	actor string
	value any
	stack string
}

func (p *actorPanic) String() string {
	return fmt.Sprintf("sim: actor %s panicked: %v\n%s", p.actor, p.value, p.stack)
}

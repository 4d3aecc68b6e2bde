package sim

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
)

type actorState uint8

const (
	stNew     actorState = iota // registered, start event pending
	stRunning                   // its goroutine has control
	stRecv                      // parked in Recv
	stCall                      // parked in Call, waiting for a reply
	stSleep                     // parked in Sleep
	stIdle                      // an External between calls
	stExited                    // its body returned
	stDead                      // crashed or stopped
)

func (s actorState) String() string {
	switch s {
	case stNew:
		return "starting"
	case stRunning, stRecv, stCall, stSleep, stIdle:
		return "running"
	case stExited:
		return "exited"
	default:
		return "stopped"
	}
}

type actor struct {
	k         *Kernel
	name      string
	node      string
	component string
	body      func(*Ctx)
	ext       bool   // an External endpoint: no goroutine
	parent    *actor // for tasks: the actor that started them
	tasks     []*actor

	inc   int // incarnation: 1 on first start, +1 per restart
	state actorState
	wake  chan signal
	mbox  mailbox
	rng   *rand.Rand
	log   *zap.Logger

	// cause is the record this actor (or task) is handling: what its sends
	// and notes are caused by.
	cause uint64

	waitToken uint64 // identifies the current Sleep or Call wait
	waitCall  uint64 // the call id a stCall actor waits for
	callTo    string
	callKind  string

	// published is what Kernel.Inspect returns (see Ctx.Publish).
	published any

	// External endpoints only.
	reply     *Message
	callErr   error
	onMessage func(*Message)
}

func (a *actor) alive() bool {
	return a.state != stDead && a.state != stExited
}

// crashSignal unwinds an actor's goroutine when the kernel kills it.
type crashSignal struct{}

// main is the goroutine of an actor incarnation.
func (a *actor) main() {
	ctx := &Ctx{a: a}
	defer func() {
		r := recover()
		switch r.(type) {
		case nil:
			a.state = stExited
			if a.parent != nil {
				break // a task finished its work
			}
			a.k.notifyDown(a, "exited")
			a.k.trace.add(Record{Time: a.k.now, Seq: a.k.seq, Event: EventExit, From: a.name, To: "kernel", Node: a.node, Kind: "exit", summary: "returned"})
		case crashSignal:
			// killed by the kernel; the kernel already recorded why.
		default:
			a.state = stDead
			a.k.panic = &actorPanic{actor: a.name, value: r, stack: string(debug.Stack())}
		}
		a.k.parked <- struct{}{}
	}()
	a.body(ctx)
}

// park gives control back to the kernel and waits to be resumed.
func (a *actor) park(st actorState) signal {
	a.state = st
	a.k.parked <- struct{}{}
	s := <-a.wake
	if s.crash {
		panic(crashSignal{})
	}
	return s
}

// kill crashes an actor (and its tasks). A parked actor's goroutine is woken
// with a crash signal that unwinds it; one that has not started yet simply
// never starts.
func (k *Kernel) kill(a *actor, why string, record bool) {
	for _, t := range a.tasks {
		k.kill(t, why, false)
	}
	a.tasks = nil
	if record {
		k.seq++
		k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventCrash, From: "kernel", To: a.name, Node: a.node, Kind: "crash", summary: why})
	}
	was := a.state
	a.state = stDead
	a.waitToken = 0
	a.mbox = mailbox{}
	a.published = nil
	if a.parent == nil && (was != stDead && was != stExited) {
		k.notifyDown(a, why)
	}
	if a.ext {
		return
	}
	switch was {
	case stRecv, stCall, stSleep:
		k.runActor(a, func() { a.wake <- signal{crash: true} })
		a.state = stDead
	}
}

// Ctx is an actor's handle on the kernel. It is valid only inside the
// actor's own goroutine.
type Ctx struct{ a *actor }

// Name is the actor's name.
func (c *Ctx) Name() string { return c.a.name }

// Node is the node the actor runs on.
func (c *Ctx) Node() string { return c.a.node }

// Incarnation counts the actor's starts: 1 at first, +1 per restart.
func (c *Ctx) Incarnation() int { return c.a.inc }

// Now is the virtual time.
func (c *Ctx) Now() time.Duration { return c.a.k.now }

// WallTime is the wall-clock instant that the virtual time maps to.
func (c *Ctx) WallTime() time.Time { return c.a.k.WallTime() }

// Rand is the actor's own random stream, derived from the run's seed, its
// name and its incarnation.
func (c *Ctx) Rand() *rand.Rand { return c.a.rng }

// Log is the actor's logger, stamped with virtual time.
func (c *Ctx) Log() *zap.Logger {
	if c.a.log == nil {
		c.a.log = c.a.k.logs.logger(c.a)
	}
	return c.a.log
}

// Send posts a message to the named actor. It never blocks; the message
// arrives after the link's latency unless a fault drops it.
func (c *Ctx) Send(to, kind string, body any) {
	c.a.k.sendTo(c.a, to, kind, body, 0)
}

// Recv blocks until a message arrives.
func (c *Ctx) Recv() *Message {
	m, ok := c.a.mbox.pop()
	if !ok {
		m = c.a.park(stRecv).msg
	}
	c.a.handling(m)
	return m
}

// TryRecv returns a message that has already arrived, without blocking.
func (c *Ctx) TryRecv() (*Message, bool) {
	m, ok := c.a.mbox.pop()
	if ok {
		c.a.handling(m)
	}
	return m, ok
}

// handling makes m the cause of what the actor does next.
func (a *actor) handling(m *Message) {
	if m != nil && m.n != 0 {
		a.cause = m.n
	}
}

// Call sends a request and blocks until its reply arrives or timeout of
// virtual time passes (ErrTimeout). A timeout of zero waits forever.
// Other messages arriving meanwhile wait in the inbox.
func (c *Ctx) Call(to, kind string, body any, timeout time.Duration) (*Message, error) {
	a := c.a
	k := a.k
	id := k.beginCall(a, to, kind, body, timeout)
	a.waitCall = id
	s := a.park(stCall)
	a.waitCall = 0
	a.waitToken = 0
	a.handling(s.msg)
	if s.err != nil {
		return nil, s.err
	}
	if s.msg.Err != nil {
		return s.msg, s.msg.Err
	}
	return s.msg, nil
}

func (k *Kernel) beginCall(a *actor, to, kind string, body any, timeout time.Duration) uint64 {
	k.nextID++
	id := k.nextID
	a.callTo, a.callKind = to, kind
	k.sendTo(a, to, kind, body, id)
	k.nextID++
	a.waitToken = k.nextID
	if timeout > 0 {
		k.post(event{at: k.now + timeout, kind: evWake, to: a, inc: a.inc, token: a.waitToken})
	}
	return id
}

// Reply answers a request received through Recv. Replying to a message that
// was not sent with Call is a no-op.
func (c *Ctx) Reply(req *Message, kind string, body any) {
	c.a.k.reply(c.a, req, kind, body, nil)
}

// ReplyErr answers a request with an error.
func (c *Ctx) ReplyErr(req *Message, kind string, err error) {
	c.a.k.reply(c.a, req, kind, nil, err)
}

func (k *Kernel) reply(from *actor, req *Message, kind string, body any, err error) {
	if req.callID == 0 || req.sender == nil {
		return
	}
	m := &Message{Kind: kind, Body: body, Err: err, From: from.name, To: req.From, replyTo: req.callID, sender: from, cause: from.cause, reqN: req.n}
	k.send(m, req.sender, k.latencyBetween(from, req.sender))
}

// Stream sends a message on a stream bound to one incarnation of the
// receiver, as a watch is bound to one connection. It reports false, and
// sends nothing, when that incarnation is gone (crashed, restarted, its node
// stopped): the server should then close the stream.
//
// A stream is a connection: a message of it that a cut link drops breaks
// it. The receiver's monitors of the sender (Monitor) then fire after
// StreamBreakDelay, as client-go's HTTP/2 health check closes a connection
// that stopped answering, so the receiver opens a new stream (an informer
// lists and watches again) instead of going on with a gap in what it was
// told. (Simplification: the stream breaks even if the link heals within
// the delay, where TCP would have retransmitted the lost segments.)
func (c *Ctx) Stream(to string, incarnation int, kind string, body any) bool {
	target := c.a.k.actors[to]
	if target == nil || target.inc != incarnation || !target.alive() {
		return false
	}
	c.a.k.sendToStream(c.a, to, kind, body)
	return true
}

// StreamBreakDelay is how long a receiver takes to learn that a stream
// broke on a cut link: client-go's HTTP/2 health check pings a connection
// that has read nothing for 30 s (HTTP2_READ_IDLE_TIMEOUT_SECONDS) and
// closes it when the ping goes unanswered for 15 s
// (HTTP2_PING_TIMEOUT_SECONDS).
const StreamBreakDelay = 45 * time.Second

// breakStream tells the receiver of a stream message that a cut link
// dropped that its connection to the sender is gone (see Stream).
func (k *Kernel) breakStream(server, client *actor) {
	ms := k.monitors[server.name]
	kept := ms[:0]
	var told []monitor
	for _, m := range ms {
		if m.a == client || m.a == client.parent {
			told = append(told, m)
			continue
		}
		kept = append(kept, m)
	}
	if len(told) == 0 {
		return
	}
	if len(kept) == 0 {
		delete(k.monitors, server.name)
	} else {
		k.monitors[server.name] = kept
	}
	for _, m := range told {
		if m.a.inc != m.inc || !m.a.alive() {
			continue
		}
		msg := &Message{Kind: KindDown, Body: Down{Name: server.name, Reason: "connection lost: link cut"}, From: "kernel", To: m.a.name}
		k.post(event{at: k.now + StreamBreakDelay, kind: evDeliver, to: m.a, msg: msg, inc: m.a.inc})
	}
}

// Sleep parks the actor for d of virtual time. Messages arriving meanwhile
// wait in the inbox.
func (c *Ctx) Sleep(d time.Duration) {
	a := c.a
	k := a.k
	k.nextID++
	a.waitToken = k.nextID
	k.post(event{at: k.now + d, kind: evWake, to: a, inc: a.inc, token: a.waitToken})
	a.park(stSleep)
	a.waitToken = 0
}

// TimerID identifies a timer set with After.
type TimerID uint64

// After delivers a message of the given kind and body to the actor itself
// after d of virtual time. Timers die with the incarnation that set them.
func (c *Ctx) After(d time.Duration, kind string, body any) TimerID {
	a := c.a
	k := a.k
	k.nextID++
	id := TimerID(k.nextID)
	m := &Message{Kind: kind, Body: body, From: a.name, To: a.name, sender: a, timer: id, cause: a.cause}
	k.post(event{at: k.now + d, kind: evDeliver, to: a, msg: m, inc: a.inc})
	return id
}

// CancelTimer stops a timer set with After; a timer that already fired is
// unaffected (its message may be waiting in the inbox).
func (c *Ctx) CancelTimer(id TimerID) {
	c.a.k.cancelled[id] = true
}

// Go starts a task: a helper goroutine of this actor, scheduled by the kernel
// like any actor and shown under the actor's name in the trace. Tasks let a
// server handle requests concurrently (one per request, as a real server
// does); they die with their actor.
func (c *Ctx) Go(fn func(*Ctx)) {
	a := c.a
	t := &actor{k: a.k, name: a.name, node: a.node, component: a.component, body: fn, parent: a, state: stNew}
	// Tasks draw randomness from the actor's stream so that spawning one
	// does not depend on global state.
	a.tasks = append(a.tasks, t)
	t.inc = 1
	t.rng = rand.New(rand.NewPCG(a.rng.Uint64(), a.rng.Uint64()))
	t.wake = make(chan signal)
	t.log = c.Log()
	t.cause = a.cause
	a.k.post(event{at: a.k.now, kind: evStart, to: t, inc: t.inc})
	a.pruneTasks()
}

func (a *actor) pruneTasks() {
	if len(a.tasks) < 64 {
		return
	}
	live := a.tasks[:0]
	for _, t := range a.tasks {
		if t.alive() {
			live = append(live, t)
		}
	}
	for i := len(live); i < len(a.tasks); i++ {
		a.tasks[i] = nil
	}
	a.tasks = live
}

// Note records a step inside the actor (authentication passed, admission
// added a toleration) in the trace without sending anything. The body is
// what the step found, as typed data (a Summarizer gives its text; a plain
// string is its own text); like message bodies, it must not change after.
func (c *Ctx) Note(kind string, body any) {
	k := c.a.k
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventNote, From: c.a.name, To: c.a.name, Node: c.a.node, Kind: kind, Cause: c.a.cause, body: body})
}

// Publish makes v what the driver sees of this actor through
// Kernel.Inspect: usually a pointer to the actor's own state, whose
// read-only methods a debugger's views call while the actor is parked. It
// lasts as long as the incarnation that published it.
func (c *Ctx) Publish(v any) {
	a := c.a
	if a.parent != nil {
		a = a.parent
	}
	a.published = v
}

// Message is what actors exchange. Bodies are shared, never copied: a sender
// must not change a body after sending it.
type Message struct {
	Kind string
	Body any
	// Err is set on replies that carry a failure.
	Err  error
	From string
	To   string

	sender    *actor
	senderInc int    // the sender's incarnation when it sent the message
	cause     uint64 // the record the sender was handling
	n         uint64 // the record of its delivery, once delivered
	reqN      uint64 // on a reply: the record of the request's delivery
	callID    uint64 // non-zero on a Call's request
	replyTo   uint64 // non-zero on a reply
	timer     TimerID
	stream    bool // sent on a stream (Ctx.Stream)
}

// IsCall reports whether the sender waits for a Reply.
func (m *Message) IsCall() bool { return m.callID != 0 }

// SenderIncarnation identifies the sender's incarnation, so a server can
// bind a stream (a watch) to it: see Ctx.Stream.
func (m *Message) SenderIncarnation() int { return m.senderInc }

// IsTimer reports whether the message was set with After.
func (m *Message) IsTimer() bool { return m.timer != 0 }

func (k *Kernel) latencyBetween(from, to *actor) time.Duration {
	return k.latency(from.node, to.node)
}

// sendTo addresses a message by name.
func (k *Kernel) sendTo(from *actor, to, kind string, body any, callID uint64) {
	inc := from.inc
	if from.parent != nil {
		inc = from.parent.inc // a task speaks for its actor
	}
	k.sendMessage(&Message{Kind: kind, Body: body, From: from.name, To: to, sender: from, senderInc: inc, callID: callID, cause: from.cause})
}

// sendToStream sends a message of a stream (Ctx.Stream).
func (k *Kernel) sendToStream(from *actor, to, kind string, body any) {
	inc := from.inc
	if from.parent != nil {
		inc = from.parent.inc
	}
	k.sendMessage(&Message{Kind: kind, Body: body, From: from.name, To: to, sender: from, senderInc: inc, cause: from.cause, stream: true})
}

func (k *Kernel) sendMessage(m *Message) {
	from, to, kind := m.sender, m.To, m.Kind
	target := k.actors[to]
	if target == nil {
		k.seq++
		k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventDrop, From: from.name, To: to, Node: from.node, Kind: kind, Cause: from.cause, summary: dropNoActor})
		return
	}
	k.send(m, target, k.latencyBetween(from, target))
}

func (k *Kernel) send(m *Message, to *actor, latency time.Duration) {
	delay, drop := k.faults.onSend(k, m)
	if drop != "" {
		k.seq++
		k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventDrop, From: m.From, To: m.To, Node: to.node, Kind: m.Kind, Cause: m.cause, summary: drop})
		return
	}
	k.post(event{at: k.now + latency + delay, kind: evDeliver, to: to, msg: m, inc: to.inc})
}

// mailbox is a FIFO of delivered, not yet received messages.
type mailbox struct {
	q    []*Message
	head int
}

func (b *mailbox) len() int { return len(b.q) - b.head }

func (b *mailbox) push(m *Message) { b.q = append(b.q, m) }

func (b *mailbox) pop() (*Message, bool) {
	if b.head == len(b.q) {
		return nil, false
	}
	m := b.q[b.head]
	b.q[b.head] = nil
	b.head++
	if b.head == len(b.q) {
		b.q = b.q[:0]
		b.head = 0
	}
	return m, true
}

func (a *actor) String() string { return fmt.Sprintf("%s@%s", a.name, a.node) }

// Spawn starts a persistent actor from inside the simulation — a node's
// container runtime starting a program when its pod's container starts. The
// new actor is scheduled like any other, at the current virtual time.
func (c *Ctx) Spawn(spec ActorSpec) error { return c.a.k.Spawn(spec) }

// Stop ends a persistent actor from inside the simulation (its program's
// container stopped). It takes effect at the current virtual instant, once
// the caller parks: only the kernel's own goroutine may unwind another
// actor. Stopping one that is not running is a no-op.
func (c *Ctx) Stop(name string) {
	k := c.a.k
	by := c.a.name
	k.post(event{at: k.now, kind: evFunc, label: "stop " + name, fn: func() {
		a := k.actors[name]
		if a == nil || a.ext || (!a.alive() && a.state != stNew) {
			return
		}
		k.kill(a, "stopped by "+by, true)
	}})
}

// Exists reports whether an actor of that name was ever spawned.
func (c *Ctx) Exists(name string) bool { return c.a.k.actors[name] != nil }

// Running reports whether the named actor is alive.
func (c *Ctx) Running(name string) bool { return c.a.k.Running(name) }

// KindDown is the kind of the message Monitor delivers.
const KindDown = "DOWN"

// Down tells a monitoring actor that the actor it watched stopped.
type Down struct {
	Name   string
	Reason string
}

// Summary implements Summarizer.
func (d Down) Summary() string { return d.Name + " is gone: " + d.Reason }

// PeerGoneDelay is how long a peer on a powered-off node takes to be noticed
// (TCP keepalive and HTTP/2 pings give up); a peer that crashed on a live
// node is noticed at once (the connection is reset).
const PeerGoneDelay = 30 * time.Second

// Monitor asks the kernel to send this actor a KindDown message when the
// named actor stops — crashes, exits, or its node goes down — as a broken
// connection tells a client its server is gone. One message per Monitor
// call that is still pending; monitors die with the incarnation that set
// them.
func (c *Ctx) Monitor(name string) {
	k := c.a.k
	owner := c.a
	if owner.parent != nil {
		owner = owner.parent
	}
	for _, m := range k.monitors[name] {
		if m.a == owner && m.inc == owner.inc {
			return // already watching
		}
	}
	k.monitors[name] = append(k.monitors[name], monitor{a: owner, inc: owner.inc})
}

type monitor struct {
	a   *actor
	inc int
}

// notifyDown tells the monitors of a stopped actor.
func (k *Kernel) notifyDown(a *actor, reason string) {
	ms := k.monitors[a.name]
	if len(ms) == 0 {
		return
	}
	delete(k.monitors, a.name)
	delay := time.Duration(0)
	if n := k.nodes[a.node]; n != nil && n.down {
		delay = PeerGoneDelay
	}
	for _, m := range ms {
		if m.a.inc != m.inc || !m.a.alive() {
			continue
		}
		msg := &Message{Kind: KindDown, Body: Down{Name: a.name, Reason: reason}, From: "kernel", To: m.a.name}
		k.post(event{at: k.now + delay + k.latency(a.node, m.a.node), kind: evDeliver, to: m.a, msg: msg, inc: m.a.inc})
	}
}

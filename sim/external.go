package sim

import (
	"fmt"
	"time"
)

// External is an endpoint for code outside the simulation — a test, the
// kubesim command, the HTTP front end playing kubectl. It is addressable by
// name like an actor, so replies and watch events reach it, but it has no
// goroutine: its calls drive the kernel until their reply arrives.
type External struct{ a *actor }

// External returns the endpoint with the given name, creating it on first
// use. Its messages are sent from the given node ("" for outside the
// cluster).
func (k *Kernel) External(name, node string) *External {
	if a, ok := k.actors[name]; ok {
		if !a.ext {
			panic(fmt.Sprintf("sim: %q is an actor, not an external endpoint", name))
		}
		return &External{a: a}
	}
	a := &actor{k: k, name: name, node: node, component: name, ext: true, state: stIdle, inc: 1}
	a.rng = k.streamFor(name, 1)
	k.actors[name] = a
	k.node(node)
	return &External{a: a}
}

// Name is the endpoint's name.
func (e *External) Name() string { return e.a.name }

// Now is the kernel's virtual time.
func (e *External) Now() time.Duration { return e.a.k.now }

// Send posts a message; it is delivered when the kernel steps.
func (e *External) Send(to, kind string, body any) {
	e.a.k.journal(Input{From: e.a.name, Node: e.a.node, To: to, Kind: kind, Body: body})
	e.a.k.sendTo(e.a, to, kind, body, 0)
}

// Call sends a request and steps the kernel until the reply arrives, the
// virtual timeout passes (ErrTimeout; zero means no timeout) or the event
// queue runs dry (ErrNoProgress). Other messages for the endpoint wait in its
// inbox (see Recv). Call must be made from the driver goroutine.
func (e *External) Call(to, kind string, body any, timeout time.Duration) (*Message, error) {
	p, err := e.Begin(to, kind, body, timeout)
	if err != nil {
		return nil, err
	}
	for !p.Done() {
		if !e.a.k.Step() {
			p.abandon()
			return nil, ErrNoProgress
		}
	}
	return p.Result()
}

// PendingCall is a call that was sent and whose reply the driver waits for by
// stepping the kernel itself (a trainee pressing Enter between events).
type PendingCall struct{ e *External }

// Begin sends a request without waiting; step the kernel until Done.
func (e *External) Begin(to, kind string, body any, timeout time.Duration) (*PendingCall, error) {
	a := e.a
	if a.state == stCall {
		return nil, fmt.Errorf("sim: %s already waits for a reply", a.name)
	}
	a.reply, a.callErr = nil, nil
	a.k.journal(Input{From: a.name, Node: a.node, To: to, Kind: kind, Body: body, Call: true, Timeout: timeout})
	a.waitCall = a.k.beginCall(a, to, kind, body, timeout)
	a.state = stCall
	return &PendingCall{e: e}, nil
}

// Done reports whether the reply (or the timeout) arrived.
func (p *PendingCall) Done() bool { return p.e.a.state != stCall }

func (p *PendingCall) abandon() {
	a := p.e.a
	a.state = stIdle
	a.waitToken, a.waitCall = 0, 0
}

// Result is the reply of a finished call.
func (p *PendingCall) Result() (*Message, error) {
	a := p.e.a
	a.waitCall = 0
	if a.callErr != nil {
		return nil, a.callErr
	}
	m := a.reply
	a.reply = nil
	if m != nil && m.Err != nil {
		return m, m.Err
	}
	return m, nil
}

// Recv returns the next message that arrived for the endpoint, if any.
func (e *External) Recv() (*Message, bool) { return e.a.mbox.pop() }

// Pending is the number of messages waiting in the endpoint's inbox.
func (e *External) Pending() int { return e.a.mbox.len() }

// OnMessage registers fn to see every message as it is delivered (before
// Recv). It runs on the driver goroutine.
func (e *External) OnMessage(fn func(*Message)) { e.a.onMessage = fn }

// Caller is what a client library needs from whoever it acts for: an actor
// (through its Ctx) or an External endpoint.
type Caller interface {
	Name() string
	Now() time.Duration
	Send(to, kind string, body any)
	Call(to, kind string, body any, timeout time.Duration) (*Message, error)
}

var (
	_ Caller = (*Ctx)(nil)
	_ Caller = (*External)(nil)
)

// Input is one message the driver put into the run from outside (a request
// an HTTP client sent through the front end): with the seed, the inputs
// are all a run depends on, so replaying them at the same points replays
// the run (see Kernel.JournalInputs and Kernel.Replay).
type Input struct {
	// Steps and Now are where the run was when the input came: the number
	// of events handled, and the virtual time.
	Steps uint64
	Now   time.Duration
	// From and Node name the external endpoint that sent it.
	From, Node string
	To, Kind   string
	Body       any
	// Call is set for a request whose reply the endpoint waits for, with
	// its virtual timeout.
	Call    bool
	Timeout time.Duration
}

// JournalInputs calls fn with every message an External endpoint sends
// from now on, stamped with where the run was. A message an endpoint sends
// while the kernel handles an event (from an OnMessage handler) is not an
// input: it is a consequence of the event, and a replay sends it again by
// itself.
func (k *Kernel) JournalInputs(fn func(Input)) { k.inputs = fn }

func (k *Kernel) journal(in Input) {
	if k.inputs != nil && !k.stepping {
		in.Steps, in.Now = k.steps, k.now
		k.inputs(in)
	}
}

// Steps is the number of events handled so far.
func (k *Kernel) Steps() uint64 { return k.steps }

// Replay advances the run to where in came (handling events until as many
// were handled, then moving the clock) and sends it again. It fails if the
// run cannot get there — it is not the run the input was recorded in.
func (k *Kernel) Replay(in Input) error {
	if err := k.AdvanceTo(in.Steps, in.Now); err != nil {
		return err
	}
	e := k.External(in.From, in.Node)
	if !in.Call {
		e.Send(in.To, in.Kind, in.Body)
		return nil
	}
	_, err := e.Begin(in.To, in.Kind, in.Body, in.Timeout)
	return err
}

// AdvanceTo handles events until steps of them were handled, then moves the
// clock to now (no event may fall before it).
func (k *Kernel) AdvanceTo(steps uint64, now time.Duration) error {
	for k.steps < steps {
		if !k.Step() {
			return fmt.Errorf("sim: the run ended after %d events, before event %d", k.steps, steps)
		}
	}
	if now > k.now {
		if len(k.queue) > 0 && k.queue[0].at <= now {
			return fmt.Errorf("sim: an event at %s comes before %s: not the recorded run", k.queue[0].at, now)
		}
		k.now = now
	}
	return nil
}

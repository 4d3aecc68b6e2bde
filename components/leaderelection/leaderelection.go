// Package leaderelection is client-go's leader election over a
// coordination.k8s.io/v1 Lease, for components that run on every
// control-plane node but must act from one place only
// (kube-controller-manager, kube-scheduler, cilium-operator).
//
// It owns the lock protocol and nothing else: a candidate reads the Lease,
// takes it when it is free or when the holder has not renewed it for a lease
// duration *as observed on the candidate's own clock*, and the holder renews
// it every retry period; every write carries the resourceVersion that was
// read, so two candidates racing for a free lease cannot both win (the loser
// gets 409 Conflict). A holder that cannot renew for the renew deadline
// gives up leadership, as client-go's does, so it stops acting before any
// candidate can see the lease as expired (renew deadline < lease duration).
//
// The Elector lives inside its component's actor and is driven by the
// actor's loop, like an informer: Start schedules the first attempt and the
// actor passes every message to Handle. Retry timing is virtual time with
// client-go's jitter (retry period times 1 to 2.2 while acquiring).
//
// Defaults are the real ones: lease duration 15 s, renew deadline 10 s,
// retry period 2 s.
package leaderelection

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Real defaults of --leader-elect-lease-duration, --leader-elect-renew-deadline
// and --leader-elect-retry-period.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
	// JitterFactor stretches the wait between acquire attempts (wait.JitterUntil).
	JitterFactor = 1.2
)

// KindTick is the kind of the timer message that drives the elector.
const KindTick = "leaderelection-tick"

// EventRecorder records core/v1 Events (the "became leader" event).
type EventRecorder interface {
	Eventf(obj api.Object, eventType, reason, messageFmt string, args ...any)
}

// Callbacks are called from the owning actor's goroutine.
type Callbacks struct {
	// OnStartedLeading is called once the lease is acquired.
	OnStartedLeading func()
	// OnStoppedLeading is called when a leader fails to renew in time (or
	// releases the lease). kube-controller-manager exits here.
	OnStoppedLeading func()
	// OnNewLeader is called when the observed holder changes.
	OnNewLeader func(identity string)
}

// Config configures an Elector.
type Config struct {
	// Client writes the Lease.
	Client *client.Client
	// Namespace and Name locate the Lease: kube-system/kube-controller-manager.
	Namespace, Name string
	// Identity is this candidate's holderIdentity, unique per process:
	// kube-controller-manager uses "<hostname>_<uuid>".
	Identity string
	// LeaseDuration is how long candidates wait, from the last change they
	// observed, before they consider the lease expired and take it.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps retrying a failed renewal
	// before it gives up leadership.
	RenewDeadline time.Duration
	// RetryPeriod is the pause between attempts.
	RetryPeriod time.Duration
	// Callbacks are the leadership hooks.
	Callbacks Callbacks
	// Recorder, if set, receives the LeaderElection event.
	Recorder EventRecorder
	// ReleaseOnCancel clears the holder when Release is called.
	ReleaseOnCancel bool
}

// Elector runs the protocol for one candidate.
type Elector struct {
	cfg Config
	c   *sim.Ctx

	observed     *api.Lease    // the lease as last read or written
	observedSpec string        // its spec, encoded, to notice changes
	observedTime time.Duration // when observed last changed, on our clock
	reported     string        // the holder last reported to OnNewLeader

	leading    bool
	started    time.Duration // when Start began acquiring
	blockedBy  string        // the other holder seen while acquiring
	renewSince time.Duration // start of the current renewal window
	gen        int           // invalidates timers from earlier loops
	stopped    bool
}

type tick struct {
	e   *Elector
	gen int
}

// New returns an elector acting in c. It checks the configuration as
// client-go's NewLeaderElector does.
func New(c *sim.Ctx, cfg Config) (*Elector, error) {
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = DefaultRenewDeadline
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = DefaultRetryPeriod
	}
	switch {
	case cfg.LeaseDuration <= cfg.RenewDeadline:
		return nil, errors.New("leaseDuration must be greater than renewDeadline")
	case float64(cfg.RenewDeadline) <= JitterFactor*float64(cfg.RetryPeriod):
		return nil, errors.New("renewDeadline must be greater than retryPeriod*JitterFactor")
	case cfg.Identity == "":
		return nil, errors.New("leader election requires an identity")
	case cfg.Client == nil || cfg.Name == "":
		return nil, errors.New("leader election requires a lock (client and lease name)")
	}
	return &Elector{cfg: cfg, c: c}, nil
}

// Describe names the lock as client-go's messages do: "kube-system/kube-controller-manager".
func (e *Elector) Describe() string { return e.cfg.Namespace + "/" + e.cfg.Name }

// Identity is this candidate's holderIdentity.
func (e *Elector) Identity() string { return e.cfg.Identity }

// IsLeader reports whether this candidate holds the lease, as last observed.
func (e *Elector) IsLeader() bool { return e.leading }

// GetLeader returns the holder last observed ("" if none).
func (e *Elector) GetLeader() string {
	if e.observed == nil || e.observed.Spec.HolderIdentity == nil {
		return ""
	}
	return *e.observed.Spec.HolderIdentity
}

// Start begins acquiring: the first attempt runs at once.
func (e *Elector) Start() {
	e.stopped = false
	e.started, e.blockedBy = e.c.Now(), ""
	e.c.Log().Info(fmt.Sprintf("attempting to acquire leader lease %s...", e.Describe()))
	e.schedule(0)
}

func (e *Elector) schedule(d time.Duration) {
	e.gen++
	e.c.After(d, KindTick, tick{e: e, gen: e.gen})
}

// Handle runs an attempt if m is this elector's timer and reports whether
// it was.
func (e *Elector) Handle(m *sim.Message) bool {
	t, ok := m.Body.(tick)
	if m.Kind != KindTick || !ok || t.e != e {
		return false
	}
	if t.gen != e.gen || e.stopped {
		return true // a timer of an earlier loop
	}
	if !e.leading {
		if e.tryAcquireOrRenew() {
			e.leading = true
			e.c.Log().Info("successfully acquired lease " + e.Describe())
			e.c.Note(NoteKind, Note{Identity: e.cfg.Identity, Lease: e.Describe(), Leading: true, Waited: e.c.Now() - e.started,
				WaitedFor: e.blockedBy, LeaseDuration: e.cfg.LeaseDuration})
			if e.cfg.Recorder != nil && e.observed != nil {
				e.cfg.Recorder.Eventf(e.observed, api.EventTypeNormal, "LeaderElection", "%v %v", e.cfg.Identity, "became leader")
			}
			e.renewSince = e.c.Now() + e.cfg.RetryPeriod
			e.schedule(e.cfg.RetryPeriod)
			if e.cfg.Callbacks.OnStartedLeading != nil {
				e.cfg.Callbacks.OnStartedLeading()
			}
			return true
		}
		// wait.JitterUntil with sliding: retry period * [1, 1+JitterFactor).
		jitter := time.Duration(e.c.Rand().Float64() * JitterFactor * float64(e.cfg.RetryPeriod))
		e.schedule(e.cfg.RetryPeriod + jitter)
		return true
	}
	if e.tryAcquireOrRenew() {
		e.renewSince = e.c.Now() + e.cfg.RetryPeriod
		e.schedule(e.cfg.RetryPeriod)
		return true
	}
	// wait.PollImmediateUntil under a RenewDeadline context: attempts every
	// retry period from the window's start until the deadline passes.
	if next := e.c.Now() + e.cfg.RetryPeriod; next < e.renewSince+e.cfg.RenewDeadline {
		e.schedule(e.cfg.RetryPeriod)
		return true
	}
	e.c.Log().Info(fmt.Sprintf("failed to renew lease %s: %v", e.Describe(), "timed out waiting for the condition"))
	e.lose()
	return true
}

func (e *Elector) lose() {
	e.leading = false
	e.stopped = true
	e.gen++
	e.c.Note(NoteKind, Note{Identity: e.cfg.Identity, Lease: e.Describe(), LeaseDuration: e.cfg.LeaseDuration})
	if e.cfg.Callbacks.OnStoppedLeading != nil {
		e.cfg.Callbacks.OnStoppedLeading()
	}
}

// Release gives the lease up (when ReleaseOnCancel is set) and stops the
// elector, as cancelling client-go's context does.
func (e *Elector) Release() {
	if e.leading && e.cfg.ReleaseOnCancel && e.observed != nil {
		l := api.DeepCopy(e.observed)
		empty := ""
		one := int32(1)
		now := api.NewMicroTimePtr(e.c.WallTime())
		l.Spec = api.LeaseSpec{HolderIdentity: &empty, LeaseDurationSeconds: &one, RenewTime: now, AcquireTime: now, LeaseTransitions: l.Spec.LeaseTransitions}
		if _, err := e.cfg.Client.Update(l); err != nil {
			e.c.Log().Error("Failed to release lock", zap.Error(err))
		} else if e.cfg.Recorder != nil {
			e.cfg.Recorder.Eventf(e.observed, api.EventTypeNormal, "LeaderElection", "%v %v", e.cfg.Identity, "stopped leading")
		}
	}
	if e.leading {
		e.lose()
		return
	}
	e.stopped = true
	e.gen++
}

// tryAcquireOrRenew is one attempt, as client-go's: create the lease if
// there is none; leave it alone while another holder's lease is valid on
// our clock; otherwise write ourselves in, guarded by resourceVersion.
func (e *Elector) tryAcquireOrRenew() bool {
	now := e.c.WallTime()
	cl := e.cfg.Client
	dur := int32(e.cfg.LeaseDuration / time.Second)
	id := e.cfg.Identity

	// Fast path: the leader renews its last-written lease without reading.
	if e.leading && e.leaseValid() {
		l := api.DeepCopy(e.observed)
		l.Spec.RenewTime = api.NewMicroTimePtr(now)
		l.Spec.LeaseDurationSeconds = &dur
		if obj, err := cl.Update(l); err == nil {
			e.observe(obj.(*api.Lease))
			return true
		} else {
			e.c.Log().Error("Failed to update lock optimistically, falling back to slow path", zap.Error(err))
		}
	}

	obj, err := cl.Get("leases", e.cfg.Namespace, e.cfg.Name)
	if apierrors.IsNotFound(err) {
		zero := int32(0)
		l := &api.Lease{TypeMeta: api.TypeMeta{Kind: "Lease", APIVersion: "coordination.k8s.io/v1"},
			ObjectMeta: api.ObjectMeta{Name: e.cfg.Name, Namespace: e.cfg.Namespace},
			Spec: api.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &dur, AcquireTime: api.NewMicroTimePtr(now),
				RenewTime: api.NewMicroTimePtr(now), LeaseTransitions: &zero}}
		created, err := cl.Create(l)
		if err != nil {
			e.c.Log().Error("error initially creating leader election record", zap.Error(err))
			return false
		}
		e.observe(created.(*api.Lease))
		return true
	}
	if err != nil {
		e.c.Log().Error(fmt.Sprintf("error retrieving resource lock %s", e.Describe()), zap.Error(err))
		return false
	}
	old := obj.(*api.Lease)
	e.observe(old)
	holder := e.GetLeader()
	if holder != "" && e.leaseValid() && holder != id {
		e.blockedBy = holder
		return false // "lock is held by <holder> and has not yet expired"
	}

	l := api.DeepCopy(old)
	transitions := int32(0)
	if old.Spec.LeaseTransitions != nil {
		transitions = *old.Spec.LeaseTransitions
	}
	if holder == id && old.Spec.AcquireTime != nil {
		l.Spec.AcquireTime = old.Spec.AcquireTime
	} else {
		l.Spec.AcquireTime = api.NewMicroTimePtr(now)
		transitions++
	}
	l.Spec.HolderIdentity = &id
	l.Spec.LeaseDurationSeconds = &dur
	l.Spec.RenewTime = api.NewMicroTimePtr(now)
	l.Spec.LeaseTransitions = &transitions
	updated, err := cl.Update(l) // carries old's resourceVersion: 409 if someone else wrote first
	if err != nil {
		e.c.Log().Error("Failed to update lock", zap.Error(err))
		return false
	}
	e.observe(updated.(*api.Lease))
	return true
}

// observe records a lease read or written; the observed time moves only
// when the record changed, as client-go's observedTime.
func (e *Elector) observe(l *api.Lease) {
	spec, _ := json.Marshal(l.Spec)
	if e.observed == nil || string(spec) != e.observedSpec {
		e.observedSpec = string(spec)
		e.observedTime = e.c.Now()
	}
	e.observed = l
	if h := e.GetLeader(); h != e.reported {
		e.reported = h
		if e.cfg.Callbacks.OnNewLeader != nil {
			e.cfg.Callbacks.OnNewLeader(h)
		}
	}
}

func (e *Elector) leaseValid() bool {
	return e.observedTime+e.cfg.LeaseDuration > e.c.Now()
}

// NoteKind is the kind of the trace note an elector writes when it starts
// or stops leading.
const NoteKind = "leader-election"

// Note is what an elector's trace note records.
type Note struct {
	Identity, Lease string
	// Leading is true when the candidate became leader, false when it
	// stopped leading.
	Leading bool
	// Waited is how long acquiring took, from Start; WaitedFor the holder
	// whose unexpired lease kept this candidate waiting ("" if none did).
	Waited        time.Duration
	WaitedFor     string
	LeaseDuration time.Duration
}

// Summary implements sim.Summarizer.
func (n Note) Summary() string {
	if n.Leading {
		return n.Identity + " became leader of " + n.Lease
	}
	return n.Identity + " stopped leading " + n.Lease
}

// Package scheduler is kube-scheduler as a kernel actor: it watches pods,
// nodes and namespaces into the scheduling framework's cache and queue
// (packages framework, plugins and queue), pops one pod at a time, runs a
// scheduling cycle, and binds through kube-apiserver's pods/binding — or
// records FailedScheduling with the real message and PodScheduled=False.
//
// With several control-plane nodes every kube-scheduler stands for election
// on the kube-system/kube-scheduler Lease and only the leader schedules.
// Pods whose spec.schedulerName names no profile of this scheduler stay
// Pending: another scheduler would have to place them.
package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/leaderelection"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"github.com/kubesim/kubesim/components/scheduler/queue"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// LeaseName is the kube-scheduler's leader election Lease in kube-system.
const LeaseName = "kube-scheduler"

// Config configures a kube-scheduler.
type Config struct {
	Token      string
	APIServers []string
	// Identity is the leader election identity (default "<node>_<random>").
	Identity string
	// DisableLeaderElection schedules without a Lease (a single scheduler).
	DisableLeaderElection bool
	// Configure may change the framework configuration before the
	// scheduler starts: register plugins, enable them in a profile, change
	// weights or percentageOfNodesToScore. It runs on every start.
	Configure func(*framework.Config)
}

// New returns the actor body of a kube-scheduler.
func New(cfg Config) func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "kube-scheduler"
		s := &scheduler{cfg: cfg, c: c, cl: cl, recorder: client.NewEventRecorder(c, cl, "default-scheduler")}
		s.run()
	}
}

type scheduler struct {
	cfg      Config
	c        *sim.Ctx
	cl       *client.Client
	recorder *client.EventRecorder
	elector  *leaderelection.Elector

	active    bool
	sched     *framework.Scheduler
	cache     *framework.Cache
	queue     *queue.PriorityQueue
	pods      *client.Informer
	nodes     *client.Informer
	nss       *client.Informer
	pdbs      *client.Informer
	wakeAt    time.Duration
	wakeArmed bool
}

const (
	kindRetry = "scheduler-retry"
	kindWake  = "scheduler-wake"
	kindFlush = "flush-unschedulable-pods"
	// flushPeriod is how often pods that waited too long in the
	// unschedulable pool are retried.
	flushPeriod = 30 * time.Second
)

// View is what a debugger sees of a kube-scheduler (through
// sim.Kernel.Inspect), read while the actor is parked.
type View struct{ s *scheduler }

// Leading reports whether this instance holds the Lease and schedules.
func (v View) Leading() bool { return v.s.active }

// Cache describes the scheduler's cache, one line per node (see
// framework.Cache.Lines), and its queue; nil when it does not lead.
func (v View) Cache() []string {
	if !v.s.active || v.s.cache == nil {
		return nil
	}
	out := v.s.cache.Lines()
	if v.s.queue != nil {
		pods, summary := v.s.queue.PendingPods()
		line := "queue: " + summary
		for i, p := range pods {
			if i == 0 {
				line += ":"
			}
			line += " " + p.Namespace + "/" + p.Name + " (" + v.s.queue.Where(p) + ")"
		}
		out = append(out, line)
	}
	return out
}

func (s *scheduler) run() {
	c := s.c
	c.Publish(View{s})
	if s.cfg.DisableLeaderElection {
		s.startLeading()
	} else {
		id := s.cfg.Identity
		if id == "" {
			id = fmt.Sprintf("%s_%08x", c.Node(), c.Rand().Uint32())
		}
		lec := client.New(c, s.cfg.Token, s.cfg.APIServers...)
		lec.UserAgent = "kube-scheduler/leader-election"
		lec.Timeout = leaderelection.DefaultRetryPeriod
		e, err := leaderelection.New(c, leaderelection.Config{
			Client: lec, Namespace: "kube-system", Name: LeaseName, Identity: id,
			Recorder:  client.NewEventRecorder(c, lec, "default-scheduler"),
			Callbacks: leaderelection.Callbacks{OnStartedLeading: s.startLeading, OnStoppedLeading: s.stopLeading},
		})
		if err != nil {
			c.Log().Error("invalid leader election configuration", zap.Error(err))
			return
		}
		s.elector = e
		e.Start()
	}
	for {
		m := c.Recv()
		if s.elector != nil && s.elector.Handle(m) {
			s.scheduleAll() // a new leader schedules what it just listed
			continue
		}
		if !s.active {
			continue
		}
		switch m.Kind {
		case kindRetry:
			s.startInformers()
		case kindWake:
			s.wakeArmed = false
		case kindFlush:
			s.queue.FlushUnschedulablePodsLeftover(c.Now())
			c.After(flushPeriod, kindFlush, nil)
		default:
			for _, in := range []*client.Informer{s.nss, s.nodes, s.pods, s.pdbs} {
				if in.Dispatch(m) {
					break
				}
			}
		}
		s.scheduleAll()
	}
}

// startLeading builds the cache, queue and informers afresh.
func (s *scheduler) startLeading() {
	c := s.c
	cfg := plugins.DefaultConfig(rand.New(rand.NewPCG(c.Rand().Uint64(), c.Rand().Uint64())))
	cfg.PodDisruptionBudgets = s.listPDBs
	if s.cfg.Configure != nil {
		s.cfg.Configure(&cfg)
	}
	s.cache = framework.NewCache()
	sched, err := framework.NewScheduler(s.cache, cfg)
	if err != nil {
		c.Log().Error("invalid scheduler configuration", zap.Error(err))
		return
	}
	s.sched = sched
	var events []framework.PluginEvents
	for _, name := range sched.ProfileNames() {
		events = append(events, sched.Framework(name).EnqueueExtensions()...)
	}
	s.queue = queue.New(events)
	s.nss = client.NewInformer(s.cl, "namespaces", "", client.ListOptions{})
	s.nodes = client.NewInformer(s.cl, "nodes", "", client.ListOptions{})
	s.pods = client.NewInformer(s.cl, "pods", "", client.ListOptions{})
	s.pdbs = client.NewInformer(s.cl, "poddisruptionbudgets", "", client.ListOptions{})
	s.nss.AddHandler(client.Handler{
		OnAdd:    func(o api.Object) { s.cache.AddNamespace(o.(*api.Namespace)) },
		OnUpdate: func(_, o api.Object) { s.cache.UpdateNamespace(o.(*api.Namespace)) },
		OnDelete: func(o api.Object) { s.cache.RemoveNamespace(o.(*api.Namespace)) },
	})
	s.nodes.AddHandler(client.Handler{
		OnAdd: func(o api.Object) {
			s.cache.AddNode(o.(*api.Node))
			s.queue.NodeAdded(o.(*api.Node), s.c.Now())
		},
		OnUpdate: func(old, o api.Object) {
			s.cache.UpdateNode(old.(*api.Node), o.(*api.Node))
			s.queue.NodeUpdated(old.(*api.Node), o.(*api.Node), s.c.Now())
		},
		OnDelete: func(o api.Object) {
			s.cache.RemoveNode(o.(*api.Node))
			s.queue.NodeDeleted(o.(*api.Node), s.c.Now())
		},
	})
	s.pods.AddHandler(client.Handler{OnAdd: s.podAdded, OnUpdate: s.podUpdated, OnDelete: s.podDeleted})
	s.active = true
	c.Note("scheduler", fmt.Sprintf("leading: scheduling for %v", sched.ProfileNames()))
	s.startInformers()
	c.After(flushPeriod, kindFlush, nil)
}

func (s *scheduler) stopLeading() {
	s.c.Log().Error("leaderelection lost")
	s.active = false
	s.pods, s.nodes, s.nss, s.pdbs = nil, nil, nil, nil
	if s.elector != nil {
		s.elector.Start()
	}
}

func (s *scheduler) startInformers() {
	for _, in := range []*client.Informer{s.nss, s.nodes, s.pods, s.pdbs} {
		if in.HasSynced() {
			continue
		}
		if err := in.Run(); err != nil {
			s.c.Log().Warn("informer list failed", zap.Error(err))
			s.c.After(time.Second, kindRetry, nil)
			return
		}
	}
}

// responsible reports whether the pod waits for this scheduler.
func (s *scheduler) responsible(p *api.Pod) bool {
	if p.Spec.NodeName != "" || p.DeletionTimestamp != nil {
		return false
	}
	if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
		return false
	}
	return s.sched.Framework(p.Spec.SchedulerName) != nil
}

// listPDBs is the budgets preemption weighs, sorted by namespace/name.
func (s *scheduler) listPDBs() []*api.PodDisruptionBudget {
	if s.pdbs == nil {
		return nil
	}
	objs := s.pdbs.List()
	out := make([]*api.PodDisruptionBudget, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*api.PodDisruptionBudget))
	}
	return out
}

// nominate keeps the nominator in step with a pod's latest version: an
// unassigned pod with status.nominatedNodeName holds room on that node.
func (s *scheduler) nominate(p *api.Pod) {
	if p.Spec.NodeName != "" || p.DeletionTimestamp != nil || !s.responsible(p) {
		s.sched.Nominator().DeleteNominatedPodIfExists(p)
		return
	}
	s.sched.Nominator().AddNominatedPod(p, p.Status.NominatedNodeName)
}

func (s *scheduler) podAdded(o api.Object) {
	p := o.(*api.Pod)
	now := s.c.Now()
	s.nominate(p)
	switch {
	case p.Spec.NodeName != "":
		s.cache.AddPod(p)
		s.queue.AssignedPodAdded(p, now)
	case s.responsible(p):
		s.queue.Add(p, now)
	}
}

func (s *scheduler) podUpdated(old, o api.Object) {
	op, p := old.(*api.Pod), o.(*api.Pod)
	now := s.c.Now()
	s.nominate(p)
	switch {
	case op.Spec.NodeName == "" && p.Spec.NodeName != "":
		s.queue.Delete(op)
		s.cache.AddPod(p)
		s.queue.AssignedPodAdded(p, now)
	case p.Spec.NodeName != "":
		s.cache.UpdatePod(op, p)
		s.queue.AssignedPodUpdated(op, p, now)
	case s.responsible(p) && !onlyStatusChanged(op, p):
		s.queue.Update(op, p, now)
	case s.responsible(p):
		// Only the status moved (often the scheduler's own
		// PodScheduled=False): nothing that could change the decision, so
		// the pod keeps its place, as the real queue skips such updates.
	default:
		s.queue.Delete(op)
	}
}

func (s *scheduler) podDeleted(o api.Object) {
	p := o.(*api.Pod)
	s.sched.Nominator().DeleteNominatedPodIfExists(p)
	if p.Spec.NodeName != "" {
		s.cache.RemovePod(p)
		s.queue.AssignedPodDeleted(p, s.c.Now())
		return
	}
	s.queue.Delete(p)
}

// scheduleAll runs scheduling cycles until the active queue is empty, then
// arms a timer for the next backoff expiry.
func (s *scheduler) scheduleAll() {
	if !s.active || !s.pods.HasSynced() || !s.nodes.HasSynced() || !s.pdbs.HasSynced() {
		return
	}
	for {
		qp, ok := s.queue.Pop(s.c.Now())
		if !ok {
			break
		}
		s.scheduleOne(qp)
	}
	if at, ok := s.queue.NextBackoffExpiration(); ok && (!s.wakeArmed || at < s.wakeAt) {
		d := at - s.c.Now()
		if d < 0 {
			d = 0
		}
		s.c.After(d, kindWake, nil)
		s.wakeAt, s.wakeArmed = at, true
	}
}

func (s *scheduler) scheduleOne(qp *queue.QueuedPodInfo) {
	c := s.c
	ctx := context.Background()
	pod := qp.Pod
	// The queue holds the pod as it was queued; act on the latest version.
	if cur, ok := s.pods.Get(pod.Namespace + "/" + pod.Name); ok {
		pod = cur.(*api.Pod)
	} else {
		s.queue.Done(pod)
		return
	}
	if !s.responsible(pod) {
		s.queue.Done(pod)
		return
	}
	res, err := s.sched.Schedule(ctx, pod)
	if err != nil {
		s.preempt(pod, res)
		s.failedWith(qp, pod, err, res)
		return
	}
	c.Note(NoteSchedule, ScheduleNote{Namespace: pod.Namespace, Name: pod.Name, Node: res.SuggestedHost, Feasible: res.FeasibleNodes, Evaluated: res.EvaluatedNodes})
	assumed, err := s.sched.Assume(ctx, pod, res)
	if err != nil {
		s.failed(qp, pod, err)
		return
	}
	// The assumed pod counts on its node now; as a nominated pod it would
	// count twice (the real assume drops the nomination too).
	s.sched.Nominator().DeleteNominatedPodIfExists(pod)
	if err := s.cl.Bind(pod.Namespace, pod.Name, res.SuggestedHost); err != nil {
		s.sched.Forget(ctx, assumed, res)
		s.nominate(pod)
		if apierrors.IsNotFound(err) {
			s.queue.Done(pod)
			return // the pod is gone
		}
		s.failed(qp, pod, fmt.Errorf("binding rejected: %w", err))
		return
	}
	s.queue.Done(pod)
	s.recorder.Eventf(pod, "Normal", "Scheduled", "Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, res.SuggestedHost)
}

// failed records why a pod could not be placed and puts it back.
func (s *scheduler) failed(qp *queue.QueuedPodInfo, pod *api.Pod, err error) {
	s.failedWith(qp, pod, err, framework.Result{})
}

// failedWith is failed after a cycle whose PostFilter may have nominated
// a node: the nomination is recorded and written with the condition.
func (s *scheduler) failedWith(qp *queue.QueuedPodInfo, pod *api.Pod, err error, res framework.Result) {
	c := s.c
	msg := err.Error()
	c.Note(NoteSchedule, ScheduleNote{Namespace: pod.Namespace, Name: pod.Name, Failure: msg})
	if qerr := s.queue.AddUnschedulableIfNotPresent(qp, err, c.Now()); qerr != nil {
		c.Log().Warn("requeue failed", zap.Error(qerr))
	}
	s.queue.Done(pod)
	s.recorder.Event(pod, "Warning", "FailedScheduling", msg)
	reason := "Unschedulable"
	var fe *framework.FitError
	if !errors.As(err, &fe) && !errors.Is(err, framework.ErrNoNodesAvailable) {
		reason = "SchedulerError"
	}
	// The nomination, as the real AddNominatedPod: the pod holds room
	// on the node from now on, before the watch brings the status back.
	nominated := ""
	if res.Nominate && res.NominatedNodeName != pod.Status.NominatedNodeName {
		if res.NominatedNodeName == "" {
			nominated = `,"nominatedNodeName":null`
		} else {
			nominated = fmt.Sprintf(`,"nominatedNodeName":%q`, res.NominatedNodeName)
		}
	}
	if res.Nominate {
		s.sched.Nominator().AddNominatedPod(pod, res.NominatedNodeName)
	}
	// PodScheduled=False with the reason, as the scheduler's status update —
	// written only when it changes.
	for _, cur := range pod.Status.Conditions {
		if nominated == "" && cur.Type == api.PodScheduled && cur.Status == api.ConditionFalse && cur.Reason == reason && cur.Message == msg {
			return
		}
	}
	cond, _ := jsonCondition(reason, msg, c.WallTime())
	patch := fmt.Sprintf(`{"status":{"conditions":[%s]%s}}`, cond, nominated)
	if _, err := s.cl.Patch("pods", pod.Namespace, pod.Name, apiwire.StrategicMergePatch, []byte(patch), "status"); err != nil && !apierrors.IsNotFound(err) {
		c.Log().Warn("cannot update pod condition", zap.Error(err))
	}
}

// jsonCondition is the PodScheduled=False condition as a patch element.
func jsonCondition(reason, message string, now time.Time) (string, error) {
	b, err := json.Marshal(api.PodCondition{Type: api.PodScheduled, Status: api.ConditionFalse, Reason: reason, Message: message,
		LastTransitionTime: api.NewTime(now.Truncate(time.Second))})
	return string(b), err
}

// onlyStatusChanged reports whether an update touched nothing but the
// pod's status and bookkeeping metadata.
func onlyStatusChanged(old, cur *api.Pod) bool {
	a, _ := json.Marshal([]any{old.Spec, old.Labels, old.Annotations, old.DeletionTimestamp})
	b, _ := json.Marshal([]any{cur.Spec, cur.Labels, cur.Annotations, cur.DeletionTimestamp})
	return string(a) == string(b)
}

// NoteSchedule is the kind of the trace note a scheduling cycle writes.
const NoteSchedule = "schedule"

// ScheduleNote is the outcome of one scheduling cycle.
type ScheduleNote struct {
	Namespace, Name string
	// Node is the chosen node; Feasible of Evaluated nodes passed the
	// filters.
	Node                string
	Feasible, Evaluated int
	// Failure is the FailedScheduling message when no node fits.
	Failure string
}

// Summary implements sim.Summarizer.
func (n ScheduleNote) Summary() string {
	if n.Failure != "" {
		return fmt.Sprintf("%s/%s: %s", n.Namespace, n.Name, n.Failure)
	}
	return fmt.Sprintf("%s/%s -> %s (%d of %d nodes feasible)", n.Namespace, n.Name, n.Node, n.Feasible, n.Evaluated)
}

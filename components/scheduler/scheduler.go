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
	"slices"
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
	pvcs      *client.Informer
	pvs       *client.Informer
	classes   *client.Informer
	pdbs      *client.Informer
	wakeAt    time.Duration
	wakeArmed bool
	// waiting are the pods assumed on a node whose claims the volume
	// binding is waiting for (the real scheduler's binding cycle blocked
	// in VolumeBinding's PreBind), by "namespace/name".
	waiting map[string]*waitingPod
	bindGen int
}

// waitingPod is a pod whose binding waits for its claims to be Bound.
type waitingPod struct {
	qp      *queue.QueuedPodInfo
	pod     *api.Pod
	assumed *api.Pod
	res     framework.Result
	// gen tells this wait's timeout from an earlier wait's.
	gen int
}

const (
	kindRetry = "scheduler-retry"
	kindWake  = "scheduler-wake"
	kindFlush = "flush-unschedulable-pods"
	// kindBindTimeout ends a wait for claims that took too long.
	kindBindTimeout = "volume-binding-timeout"
	// bindTimeout is how long the binding waits for the pod's claims
	// (kube-scheduler's VolumeBinding bindTimeoutSeconds, 600 s).
	bindTimeout = 600 * time.Second
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
		case kindBindTimeout:
			if t, ok := m.Body.(bindTimeoutBody); ok {
				s.bindTimedOut(t)
			}
		default:
			for _, in := range s.informers() {
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
	cfg.Volumes = schedulerVolumes{s}
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
	s.pvcs = client.NewInformer(s.cl, "persistentvolumeclaims", "", client.ListOptions{})
	s.pvs = client.NewInformer(s.cl, "persistentvolumes", "", client.ListOptions{})
	s.classes = client.NewInformer(s.cl, "storageclasses", "", client.ListOptions{})
	s.waiting = map[string]*waitingPod{}
	for _, st := range []struct {
		in  *client.Informer
		res framework.EventResource
	}{{s.pvcs, framework.PersistentVolumeClaim}, {s.pvs, framework.PersistentVolume}, {s.classes, framework.StorageClass}} {
		res := st.res
		move := func(a framework.ActionType, old, cur any) {
			s.queue.MoveAllToActiveOrBackoffQueue(framework.ClusterEvent{Resource: res, ActionType: a}, old, cur, s.c.Now(), nil)
		}
		st.in.AddHandler(client.Handler{
			OnAdd:    func(o api.Object) { move(framework.Add, nil, o) },
			OnUpdate: func(old, o api.Object) { move(framework.Update, old, o) },
		})
	}
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
	s.pvcs, s.pvs, s.classes, s.waiting = nil, nil, nil, nil
	if s.elector != nil {
		s.elector.Start()
	}
}

// informers are the scheduler's informers, in the order they start.
func (s *scheduler) informers() []*client.Informer {
	return []*client.Informer{s.nss, s.nodes, s.classes, s.pvs, s.pvcs, s.pods, s.pdbs}
}

func (s *scheduler) startInformers() {
	for _, in := range s.informers() {
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
	if w, ok := s.waiting[p.Namespace+"/"+p.Name]; ok {
		delete(s.waiting, p.Namespace+"/"+p.Name)
		_ = s.sched.Forget(context.Background(), w.assumed, w.res)
		s.queue.Done(w.pod)
	}
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
	if !s.active || !s.pods.HasSynced() || !s.nodes.HasSynced() || !s.pdbs.HasSynced() || !s.pvcs.HasSynced() || !s.pvs.HasSynced() || !s.classes.HasSynced() {
		return
	}
	s.bindWaiting()
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
	decision, hasVolumes := plugins.VolumeDecisionOf(res.State, res.SuggestedHost)
	if err := s.sched.PreBind(ctx, assumed, res); err != nil {
		s.failed(qp, pod, err)
		return
	}
	if unbound := plugins.UnboundClaims(schedulerVolumes{s}, assumed); len(unbound) > 0 {
		// The binding cycle waits for the persistentvolume-binder (and a
		// provisioner) to bind the claims; the pod stays assumed.
		key := pod.Namespace + "/" + pod.Name
		s.bindGen++
		s.waiting[key] = &waitingPod{qp: qp, pod: pod, assumed: assumed, res: res, gen: s.bindGen}
		c.After(bindTimeout, kindBindTimeout, bindTimeoutBody{key: key, gen: s.bindGen})
		note := VolumeBindingNote{Namespace: pod.Namespace, Name: pod.Name, Node: res.SuggestedHost, Waiting: unbound}
		if hasVolumes {
			note.Provision, note.Bind = decision.Provision, decision.Bind
		}
		c.Note(NoteVolumeBinding, note)
		return
	}
	s.bind(qp, pod, assumed, res)
}

// bind posts the pod's Binding once its volumes are ready.
func (s *scheduler) bind(qp *queue.QueuedPodInfo, pod, assumed *api.Pod, res framework.Result) {
	ctx := context.Background()
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

// bindTimeoutBody names the wait a kindBindTimeout ends.
type bindTimeoutBody struct {
	key string
	gen int
}

// Summary implements sim.Summarizer.
func (b bindTimeoutBody) Summary() string { return b.key }

// bindWaiting binds the waiting pods whose claims are all Bound now.
func (s *scheduler) bindWaiting() {
	for _, key := range sortedWaiting(s.waiting) {
		w := s.waiting[key]
		if len(plugins.UnboundClaims(schedulerVolumes{s}, w.assumed)) > 0 {
			continue
		}
		delete(s.waiting, key)
		s.c.Note(NoteVolumeBinding, VolumeBindingNote{Namespace: w.pod.Namespace, Name: w.pod.Name, Node: w.res.SuggestedHost, Bound: plugins.PodClaimNames(w.pod)})
		s.bind(w.qp, w.pod, w.assumed, w.res)
	}
}

// bindTimedOut gives up on a wait, as the PreBind's timeout does.
func (s *scheduler) bindTimedOut(t bindTimeoutBody) {
	w, ok := s.waiting[t.key]
	if !ok || w.gen != t.gen {
		return
	}
	delete(s.waiting, t.key)
	_ = s.sched.Forget(context.Background(), w.assumed, w.res)
	s.failed(w.qp, w.pod, fmt.Errorf("running PreBind plugin %q: binding volumes: context deadline exceeded", plugins.VolumeBindingName))
}

func sortedWaiting(m map[string]*waitingPod) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// schedulerVolumes is framework.Volumes over the scheduler's informers
// and client.
type schedulerVolumes struct{ s *scheduler }

func (v schedulerVolumes) Claim(namespace, name string) (*api.PersistentVolumeClaim, bool) {
	o, ok := v.s.pvcs.Get(namespace + "/" + name)
	if !ok {
		return nil, false
	}
	return o.(*api.PersistentVolumeClaim), true
}

func (v schedulerVolumes) Volume(name string) (*api.PersistentVolume, bool) {
	o, ok := v.s.pvs.Get(name)
	if !ok {
		return nil, false
	}
	return o.(*api.PersistentVolume), true
}

func (v schedulerVolumes) ListVolumes() []*api.PersistentVolume {
	var out []*api.PersistentVolume
	for _, o := range v.s.pvs.List() {
		out = append(out, o.(*api.PersistentVolume))
	}
	return out
}

func (v schedulerVolumes) Class(name string) (*api.StorageClass, bool) {
	o, ok := v.s.classes.Get(name)
	if !ok {
		return nil, false
	}
	return o.(*api.StorageClass), true
}

func (v schedulerVolumes) SetSelectedNode(claim *api.PersistentVolumeClaim, node string) error {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{api.AnnSelectedNode: node}}})
	_, err := v.s.cl.Patch("persistentvolumeclaims", claim.Namespace, claim.Name, apiwire.StrategicMergePatch, patch, "")
	return err
}

func (v schedulerVolumes) BindVolume(pv *api.PersistentVolume, claim *api.PersistentVolumeClaim) error {
	cp := api.DeepCopyObject(pv).(*api.PersistentVolume)
	cp.Spec.ClaimRef = &api.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion}
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[api.AnnBoundByController] = "yes"
	_, err := v.s.cl.Update(cp)
	return err
}

// NoteVolumeBinding is the kind of the trace note VolumeBinding's binding
// step writes.
const NoteVolumeBinding = "volume-binding"

// VolumeBindingNote is what the volume binding did for a pod assumed on
// Node: the claims it asked to provision there, the existing volumes it
// bound, and the claims the binding waits for; or, once they are all
// Bound, the claims (Bound) before the pod is bound.
type VolumeBindingNote struct {
	Namespace, Name string
	Node            string
	Provision       []string
	Bind            []plugins.VolumeBindingPair
	Waiting         []string
	Bound           []string
}

// Summary implements sim.Summarizer.
func (n VolumeBindingNote) Summary() string {
	if len(n.Bound) > 0 {
		return fmt.Sprintf("%s/%s: claims %v bound; binding to %s", n.Namespace, n.Name, n.Bound, n.Node)
	}
	return fmt.Sprintf("%s/%s on %s: provision %v, bind %v; waiting for %v", n.Namespace, n.Name, n.Node, n.Provision, n.Bind, n.Waiting)
}

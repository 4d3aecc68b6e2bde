package queue

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// Defaults of the real scheduling queue.
const (
	DefaultPodInitialBackoff                 = 1 * time.Second
	DefaultPodMaxBackoff                     = 10 * time.Second
	DefaultPodMaxInUnschedulablePodsDuration = 5 * time.Minute
	// UnschedulablePodsFlushInterval is how often the real queue looks for
	// pods that stayed unschedulable too long; an actor calls
	// FlushUnschedulablePodsLeftover at this period.
	UnschedulablePodsFlushInterval = 30 * time.Second
)

// QueuedPodInfo is a pod waiting in (or popped from) the queue, with its
// scheduling history.
type QueuedPodInfo struct {
	Pod *api.Pod
	// Timestamp is when the pod was last added to the queue: its arrival,
	// or its last failure. Backoff counts from it; activeQ orders ties of
	// priority by it.
	Timestamp time.Duration
	// InitialAttemptTimestamp is when the pod was first popped.
	InitialAttemptTimestamp time.Duration
	// Attempts counts pops.
	Attempts int
	// UnschedulableCount counts failed attempts that rejected the pod;
	// ConsecutiveErrorsCount counts attempts that failed with an error
	// since the last rejection. The backoff grows with the one that
	// applies.
	UnschedulableCount     int
	ConsecutiveErrorsCount int
	// UnschedulablePlugins are the plugins that rejected the pod in its
	// last attempt: only events they registered can bring it back before
	// the unschedulable timeout.
	UnschedulablePlugins []string

	key string
	seq uint64
	// inFlightFrom is the first in-flight event this attempt must look at.
	inFlightFrom uint64
	// updatedInFlight records a spec or label change during the attempt.
	updatedInFlight bool
	// deleted records that the pod was deleted during the attempt.
	deleted bool
}

func (p *QueuedPodInfo) priority() int32 {
	if p.Pod.Spec.Priority != nil {
		return *p.Pod.Spec.Priority
	}
	return 0
}

// Option configures a PriorityQueue.
type Option interface{ apply(*PriorityQueue) }

type optionFunc func(*PriorityQueue)

func (f optionFunc) apply(q *PriorityQueue) { f(q) }

// WithPodInitialBackoff sets the backoff after the first failure (1s).
func WithPodInitialBackoff(d time.Duration) Option {
	return optionFunc(func(q *PriorityQueue) { q.podInitialBackoff = d })
}

// WithPodMaxBackoff caps the backoff (10s).
func WithPodMaxBackoff(d time.Duration) Option {
	return optionFunc(func(q *PriorityQueue) { q.podMaxBackoff = d })
}

// WithPodMaxInUnschedulablePodsDuration sets how long a pod may wait for a
// helpful event before it is retried anyway (5m).
func WithPodMaxInUnschedulablePodsDuration(d time.Duration) Option {
	return optionFunc(func(q *PriorityQueue) { q.podMaxInUnschedulablePodsDuration = d })
}

// WithPopFromBackoffQ turns on or off popping from backoffQ when activeQ is
// empty (on by default since Kubernetes v1.33, SchedulerPopFromBackoffQ):
// a pod still backing off is tried early rather than leaving the scheduler
// idle. Pods that failed with an error always wait out their backoff.
func WithPopFromBackoffQ(on bool) Option {
	return optionFunc(func(q *PriorityQueue) { q.popFromBackoffQ = on })
}

// PriorityQueue is kube-scheduler's scheduling queue, without goroutines or
// clocks: every call that depends on time takes now, the virtual time.
//
// A pod lives in exactly one place:
//
//	activeQ            ready to be tried; ordered by priority (higher
//	                   first), then Timestamp, then arrival
//	backoffQ           failed recently; waits initial*2^(failures-1) (1s, 2s,
//	                   4s, 8s, then 10s) from its last failure before it may
//	                   go back to activeQ
//	unschedulablePods  rejected, and waiting for a cluster event that one of
//	                   the rejecting plugins registered (a node added, a pod
//	                   deleted, ...) — or for the 5 minute timeout
//	in flight          popped and being scheduled
//
// Events that happen while a pod is in flight are remembered: if one of
// them could have helped the plugins that then reject the pod, the pod goes
// to backoffQ instead of unschedulablePods, so an event is never lost to a
// race with the scheduling cycle.
//
// An actor drives it: Add/Update/Delete from the pod watch (unassigned
// pods), Pop(now) to get the next pod, AddUnschedulableIfNotPresent after a
// failed attempt, Done after a successful one, the Node*/AssignedPod*
// methods from the node and pod watches, and FlushUnschedulablePodsLeftover
// every UnschedulablePodsFlushInterval. Pop moves pods whose backoff has
// completed into activeQ by itself.
//
// A PriorityQueue is used from one goroutine.
type PriorityQueue struct {
	podInitialBackoff                 time.Duration
	podMaxBackoff                     time.Duration
	podMaxInUnschedulablePodsDuration time.Duration
	popFromBackoffQ                   bool

	activeQ           *podHeap
	backoffQ          *podHeap
	errorBackoffQ     *podHeap
	unschedulablePods map[string]*QueuedPodInfo
	inFlight          map[string]*QueuedPodInfo

	// inFlightEvents holds the events received while pods were in flight;
	// event i has sequence number eventBase+i.
	inFlightEvents []inFlightEvent
	eventBase      uint64

	plugins         map[string][]framework.ClusterEventWithHint
	schedulingCycle int64
	seq             uint64
}

type inFlightEvent struct {
	event          framework.ClusterEvent
	oldObj, newObj any
}

// New returns an empty queue. pluginEvents (Framework.EnqueueExtensions)
// say which events may help a pod rejected by which plugin.
func New(pluginEvents []framework.PluginEvents, opts ...Option) *PriorityQueue {
	q := &PriorityQueue{
		podInitialBackoff:                 DefaultPodInitialBackoff,
		podMaxBackoff:                     DefaultPodMaxBackoff,
		podMaxInUnschedulablePodsDuration: DefaultPodMaxInUnschedulablePodsDuration,
		popFromBackoffQ:                   true,
		unschedulablePods:                 map[string]*QueuedPodInfo{},
		inFlight:                          map[string]*QueuedPodInfo{},
		plugins:                           map[string][]framework.ClusterEventWithHint{},
	}
	for _, o := range opts {
		o.apply(q)
	}
	for _, pe := range pluginEvents {
		q.plugins[pe.Plugin] = append(q.plugins[pe.Plugin], pe.Events...)
	}
	q.activeQ = newPodHeap(lessActive)
	q.backoffQ = newPodHeap(q.lessBackoff)
	q.errorBackoffQ = newPodHeap(q.lessBackoff)
	return q
}

// lessActive is the PrioritySort order: higher priority first, then the
// earlier Timestamp, then arrival order.
func lessActive(a, b *QueuedPodInfo) bool {
	pa, pb := a.priority(), b.priority()
	if pa != pb {
		return pa > pb
	}
	if a.Timestamp != b.Timestamp {
		return a.Timestamp < b.Timestamp
	}
	return a.seq < b.seq
}

func (q *PriorityQueue) lessBackoff(a, b *QueuedPodInfo) bool {
	ea, eb := q.BackoffExpiration(a), q.BackoffExpiration(b)
	if ea != eb {
		return ea < eb
	}
	return a.seq < b.seq
}

// BackoffDuration is how long a pod waits after its last failure:
// initial * 2^(failures-1), capped at the maximum; 0 before any failure.
func (q *PriorityQueue) BackoffDuration(p *QueuedPodInfo) time.Duration {
	count := p.UnschedulableCount
	if p.ConsecutiveErrorsCount > 0 {
		count = p.ConsecutiveErrorsCount
	}
	if count == 0 {
		return 0
	}
	d := q.podInitialBackoff
	for i := 1; i < count; i++ {
		if d > q.podMaxBackoff-d {
			return q.podMaxBackoff
		}
		d += d
	}
	return min(d, q.podMaxBackoff)
}

// BackoffExpiration is when the pod's backoff completes.
func (q *PriorityQueue) BackoffExpiration(p *QueuedPodInfo) time.Duration {
	return p.Timestamp + q.BackoffDuration(p)
}

func (q *PriorityQueue) isBackingOff(p *QueuedPodInfo, now time.Duration) bool {
	return q.BackoffExpiration(p) > now
}

func (q *PriorityQueue) newQueuedPodInfo(pod *api.Pod, now time.Duration) *QueuedPodInfo {
	q.seq++
	return &QueuedPodInfo{Pod: pod, Timestamp: now, key: framework.PodKey(pod), seq: q.seq}
}

// where reports which queue holds key.
func (q *PriorityQueue) where(key string) (*QueuedPodInfo, string) {
	if p, ok := q.activeQ.Get(key); ok {
		return p, "activeQ"
	}
	if p, ok := q.backoffQ.Get(key); ok {
		return p, "backoffQ"
	}
	if p, ok := q.errorBackoffQ.Get(key); ok {
		return p, "backoffQ"
	}
	if p, ok := q.unschedulablePods[key]; ok {
		return p, "unschedulablePods"
	}
	if p, ok := q.inFlight[key]; ok {
		return p, "inFlight"
	}
	return nil, ""
}

// Add queues a new pending pod in activeQ. A pod already queued is
// updated instead.
func (q *PriorityQueue) Add(pod *api.Pod, now time.Duration) {
	if p, _ := q.where(framework.PodKey(pod)); p != nil {
		q.Update(p.Pod, pod, now)
		return
	}
	q.activeQ.AddOrUpdate(q.newQueuedPodInfo(pod, now))
}

// Update replaces a queued pod. A pod in unschedulablePods whose spec,
// labels or annotations changed may now fit, so it moves to backoffQ or
// activeQ; other updates (status only) leave it where it is. An unknown
// pod is added.
func (q *PriorityQueue) Update(oldPod, newPod *api.Pod, now time.Duration) {
	key := framework.PodKey(newPod)
	p, where := q.where(key)
	switch where {
	case "":
		q.activeQ.AddOrUpdate(q.newQueuedPodInfo(newPod, now))
	case "activeQ":
		p.Pod = newPod
		q.activeQ.AddOrUpdate(p)
	case "backoffQ":
		p.Pod = newPod
		if q.backoffQ.Has(key) {
			q.backoffQ.AddOrUpdate(p)
		} else {
			q.errorBackoffQ.AddOrUpdate(p)
		}
	case "unschedulablePods":
		updated := isPodUpdated(p.Pod, newPod)
		p.Pod = newPod
		if updated {
			delete(q.unschedulablePods, key)
			q.requeue(p, now)
		}
	case "inFlight":
		// The attempt in progress carries on with the old version; if it
		// fails, the pod is requeued with the new one, and retried soon
		// if the change may matter.
		if isPodUpdated(p.Pod, newPod) {
			p.updatedInFlight = true
		}
		p.Pod = newPod
	}
}

// isPodUpdated reports whether anything but status and bookkeeping
// metadata changed.
func isPodUpdated(oldPod, newPod *api.Pod) bool {
	return !reflect.DeepEqual(oldPod.Spec, newPod.Spec) ||
		!maps.Equal(oldPod.Labels, newPod.Labels) ||
		!maps.Equal(oldPod.Annotations, newPod.Annotations)
}

// Delete removes a pod from wherever it is. A pod deleted while in flight
// is not requeued when its attempt fails.
func (q *PriorityQueue) Delete(pod *api.Pod) {
	key := framework.PodKey(pod)
	if p, ok := q.inFlight[key]; ok {
		p.deleted = true
	}
	q.activeQ.Delete(key)
	q.backoffQ.Delete(key)
	q.errorBackoffQ.Delete(key)
	delete(q.unschedulablePods, key)
}

// Pop returns the next pod to schedule, or false when there is none. It
// first moves pods whose backoff completed by now into activeQ; with
// activeQ empty it takes the pod closest to completing its backoff (see
// WithPopFromBackoffQ). The pod is in flight until Done or
// AddUnschedulableIfNotPresent.
func (q *PriorityQueue) Pop(now time.Duration) (*QueuedPodInfo, bool) {
	q.FlushBackoffQCompleted(now)
	p, ok := q.activeQ.Pop()
	if !ok && q.popFromBackoffQ {
		p, ok = q.backoffQ.Pop()
	}
	if !ok {
		return nil, false
	}
	p.Attempts++
	p.updatedInFlight = false
	if p.Attempts == 1 {
		p.InitialAttemptTimestamp = now
	}
	q.schedulingCycle++
	p.inFlightFrom = q.eventBase + uint64(len(q.inFlightEvents))
	q.inFlight[p.key] = p
	return p, true
}

// SchedulingCycle counts pops.
func (q *PriorityQueue) SchedulingCycle() int64 { return q.schedulingCycle }

// Done ends a pod's attempt (after a successful binding, or when the pod
// was deleted). AddUnschedulableIfNotPresent calls it itself.
func (q *PriorityQueue) Done(pod *api.Pod) {
	delete(q.inFlight, framework.PodKey(pod))
	q.trimInFlightEvents()
}

// trimInFlightEvents drops the events no in-flight pod needs any more.
func (q *PriorityQueue) trimInFlightEvents() {
	if len(q.inFlight) == 0 {
		q.eventBase += uint64(len(q.inFlightEvents))
		q.inFlightEvents = q.inFlightEvents[:0]
		return
	}
	oldest := q.eventBase + uint64(len(q.inFlightEvents))
	for _, p := range q.inFlight {
		oldest = min(oldest, p.inFlightFrom)
	}
	if drop := int(oldest - q.eventBase); drop > 0 {
		q.inFlightEvents = slices.Delete(q.inFlightEvents, 0, drop)
		q.eventBase = oldest
	}
}

// AddUnschedulableIfNotPresent puts back a pod whose attempt failed with
// err: a *framework.FitError (rejected by the plugins it names),
// framework.ErrNoNodesAvailable (rejected, no plugin to blame) or any other
// error (an error: backoff grows with consecutive errors).
//
// A rejected pod goes to unschedulablePods, unless an event received while
// it was in flight may help one of the rejecting plugins; then, like a pod
// that failed without a rejecting plugin, it goes to backoffQ (or straight
// to activeQ if its backoff is already over).
func (q *PriorityQueue) AddUnschedulableIfNotPresent(p *QueuedPodInfo, err error, now time.Duration) error {
	defer q.Done(p.Pod)
	if p.deleted {
		return nil
	}
	if _, where := q.where(p.key); where != "" && where != "inFlight" {
		return fmt.Errorf("pod %v is already present in %s", p.Pod.Namespace+"/"+p.Pod.Name, where)
	}
	var fitErr *framework.FitError
	switch {
	case errors.As(err, &fitErr):
		p.UnschedulablePlugins = slices.Clone(fitErr.Diagnosis.UnschedulablePlugins)
		p.UnschedulableCount++
		p.ConsecutiveErrorsCount = 0
	case errors.Is(err, framework.ErrNoNodesAvailable):
		p.UnschedulablePlugins = nil
		p.UnschedulableCount++
		p.ConsecutiveErrorsCount = 0
	default:
		p.UnschedulablePlugins = nil
		p.ConsecutiveErrorsCount++
	}
	p.Timestamp = now
	q.seq++
	p.seq = q.seq

	worth := len(p.UnschedulablePlugins) == 0 || p.updatedInFlight
	p.updatedInFlight = false
	for i := int(p.inFlightFrom - q.eventBase); !worth && i >= 0 && i < len(q.inFlightEvents); i++ {
		e := q.inFlightEvents[i]
		worth = q.isPodWorthRequeuing(p, e.event, e.oldObj, e.newObj)
	}
	if worth {
		q.requeue(p, now)
		return nil
	}
	q.unschedulablePods[p.key] = p
	return nil
}

// requeue puts a pod in backoffQ if it is still backing off, else in
// activeQ.
func (q *PriorityQueue) requeue(p *QueuedPodInfo, now time.Duration) {
	if q.isBackingOff(p, now) {
		if p.ConsecutiveErrorsCount > 0 {
			q.errorBackoffQ.AddOrUpdate(p)
		} else {
			q.backoffQ.AddOrUpdate(p)
		}
		return
	}
	q.activeQ.AddOrUpdate(p)
}

// isPodWorthRequeuing asks the plugins that rejected p whether the event
// may make it schedulable.
func (q *PriorityQueue) isPodWorthRequeuing(p *QueuedPodInfo, event framework.ClusterEvent, oldObj, newObj any) bool {
	if len(p.UnschedulablePlugins) == 0 || event.IsWildCard() {
		return true
	}
	for _, plugin := range p.UnschedulablePlugins {
		for _, reg := range q.plugins[plugin] {
			if !reg.Event.Match(event) {
				continue
			}
			if reg.QueueingHintFn == nil {
				return true
			}
			hint, err := reg.QueueingHintFn(p.Pod, oldObj, newObj)
			if err != nil || hint == framework.Queue {
				return true
			}
		}
	}
	return false
}

// MoveAllToActiveOrBackoffQueue tells the queue about a cluster event. Pods
// in unschedulablePods that one of their rejecting plugins thinks the event
// may help move to backoffQ or activeQ; preCheck, if set, must also accept
// them. Pods in flight will look at the event when they come back.
func (q *PriorityQueue) MoveAllToActiveOrBackoffQueue(event framework.ClusterEvent, oldObj, newObj any, now time.Duration, preCheck func(*api.Pod) bool) {
	if len(q.inFlight) > 0 {
		q.inFlightEvents = append(q.inFlightEvents, inFlightEvent{event: event, oldObj: oldObj, newObj: newObj})
	}
	for _, p := range q.sortedUnschedulable() {
		if preCheck != nil && !preCheck(p.Pod) {
			continue
		}
		if !q.isPodWorthRequeuing(p, event, oldObj, newObj) {
			continue
		}
		delete(q.unschedulablePods, p.key)
		q.requeue(p, now)
	}
}

// sortedUnschedulable lists unschedulablePods by Timestamp then arrival, so
// that moving them is deterministic.
func (q *PriorityQueue) sortedUnschedulable() []*QueuedPodInfo {
	out := slices.Collect(maps.Values(q.unschedulablePods))
	slices.SortFunc(out, func(a, b *QueuedPodInfo) int {
		if c := cmp.Compare(a.Timestamp, b.Timestamp); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// NodeAdded is the node watch's Add.
func (q *PriorityQueue) NodeAdded(node *api.Node, now time.Duration) {
	q.MoveAllToActiveOrBackoffQueue(framework.EventNodeAdd, nil, node, now, nil)
}

// NodeUpdated is the node watch's Update: one event per kind of change
// that matters (labels, taints, allocatable, conditions).
func (q *PriorityQueue) NodeUpdated(oldNode, newNode *api.Node, now time.Duration) {
	for _, e := range framework.NodeUpdateEvents(oldNode, newNode) {
		q.MoveAllToActiveOrBackoffQueue(e, oldNode, newNode, now, nil)
	}
}

// NodeDeleted is the node watch's Delete.
func (q *PriorityQueue) NodeDeleted(node *api.Node, now time.Duration) {
	q.MoveAllToActiveOrBackoffQueue(framework.EventNodeDelete, node, nil, now, nil)
}

// AssignedPodAdded is the watch's Add of a bound pod.
func (q *PriorityQueue) AssignedPodAdded(pod *api.Pod, now time.Duration) {
	q.MoveAllToActiveOrBackoffQueue(framework.EventAssignedPodAdd, nil, pod, now, nil)
}

// AssignedPodUpdated is the watch's Update of a bound pod.
func (q *PriorityQueue) AssignedPodUpdated(oldPod, newPod *api.Pod, now time.Duration) {
	for _, e := range framework.AssignedPodUpdateEvents(oldPod, newPod) {
		q.MoveAllToActiveOrBackoffQueue(e, oldPod, newPod, now, nil)
	}
}

// AssignedPodDeleted is the watch's Delete of a bound pod.
func (q *PriorityQueue) AssignedPodDeleted(pod *api.Pod, now time.Duration) {
	q.MoveAllToActiveOrBackoffQueue(framework.EventAssignedPodDelete, pod, nil, now, nil)
}

// FlushBackoffQCompleted moves every pod whose backoff completed by now to
// activeQ. Pop calls it.
func (q *PriorityQueue) FlushBackoffQCompleted(now time.Duration) {
	for _, h := range []*podHeap{q.backoffQ, q.errorBackoffQ} {
		for {
			p, ok := h.Peek()
			if !ok || q.isBackingOff(p, now) {
				break
			}
			h.Pop()
			q.activeQ.AddOrUpdate(p)
		}
	}
}

// FlushUnschedulablePodsLeftover retries pods that have waited in
// unschedulablePods for longer than the maximum (5 minutes), whatever
// rejected them.
func (q *PriorityQueue) FlushUnschedulablePodsLeftover(now time.Duration) {
	for _, p := range q.sortedUnschedulable() {
		if now-p.Timestamp > q.podMaxInUnschedulablePodsDuration {
			delete(q.unschedulablePods, p.key)
			q.requeue(p, now)
		}
	}
}

// NextBackoffExpiration returns the earliest time at which a pod in
// backoffQ completes its backoff, for an actor that wants to wake up
// exactly then.
func (q *PriorityQueue) NextBackoffExpiration() (time.Duration, bool) {
	var t time.Duration
	found := false
	for _, h := range []*podHeap{q.backoffQ, q.errorBackoffQ} {
		if p, ok := h.Peek(); ok {
			if e := q.BackoffExpiration(p); !found || e < t {
				t, found = e, true
			}
		}
	}
	return t, found
}

// Lengths returns the number of pods in activeQ, backoffQ and
// unschedulablePods.
func (q *PriorityQueue) Lengths() (active, backoff, unschedulable int) {
	return q.activeQ.Len(), q.backoffQ.Len() + q.errorBackoffQ.Len(), len(q.unschedulablePods)
}

// PendingPods lists the queued pods (not those in flight), sorted by key,
// and a summary like the real one: "activeQ:1; backoffQ:0;
// unschedulablePods:2".
func (q *PriorityQueue) PendingPods() ([]*api.Pod, string) {
	var all []*QueuedPodInfo
	all = append(all, q.activeQ.List()...)
	all = append(all, q.backoffQ.List()...)
	all = append(all, q.errorBackoffQ.List()...)
	all = append(all, slices.Collect(maps.Values(q.unschedulablePods))...)
	slices.SortFunc(all, func(a, b *QueuedPodInfo) int { return cmp.Compare(a.key, b.key) })
	pods := make([]*api.Pod, len(all))
	for i, p := range all {
		pods[i] = p.Pod
	}
	a, b, u := q.Lengths()
	return pods, fmt.Sprintf("activeQ:%v; backoffQ:%v; unschedulablePods:%v", a, b, u)
}

// Where reports which part of the queue holds the pod: "activeQ",
// "backoffQ", "unschedulablePods", "inFlight", or "" when absent.
func (q *PriorityQueue) Where(pod *api.Pod) string {
	_, w := q.where(framework.PodKey(pod))
	return w
}

package controllers

import (
	"github.com/kubesim/kubesim/components/client"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// Helpers the workload controllers share, as k8s.io/kubernetes'
// pkg/controller and podutil packages provide them.

// isPodActive: not terminal and not being deleted (FilterActivePods).
func isPodActive(p *api.Pod) bool {
	return p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed && p.DeletionTimestamp == nil
}

func podCondition(p *api.Pod, t api.PodConditionType) *api.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// isPodReady: the Ready condition is True.
func isPodReady(p *api.Pod) bool {
	c := podCondition(p, api.PodReady)
	return c != nil && c.Status == api.ConditionTrue
}

// isPodAvailable: ready for at least minReadySeconds.
func isPodAvailable(p *api.Pod, minReadySeconds int32, now time.Time) bool {
	c := podCondition(p, api.PodReady)
	if c == nil || c.Status != api.ConditionTrue {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	return !c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).After(now)
}

func boolPtr(b bool) *bool { return &b }

// newControllerRef is the ownerReference a controller puts on what it
// creates: controller=true, blockOwnerDeletion=true.
func newControllerRef(owner api.Object) api.OwnerReference {
	ref := client.Reference(owner)
	return api.OwnerReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, UID: ref.UID,
		Controller: boolPtr(true), BlockOwnerDeletion: boolPtr(true)}
}

// isControlledBy reports whether obj's controller reference names owner.
func isControlledBy(obj, owner api.Object) bool {
	ref := obj.GetObjectMeta().ControllerRef()
	return ref != nil && ref.UID == owner.GetObjectMeta().UID
}

// podFromTemplate is GetPodFromTemplate: the template's labels,
// annotations, finalizers and spec, the name prefix "<owner>-".
func podFromTemplate(t *api.PodTemplateSpec, owner api.Object) *api.Pod {
	m := owner.GetObjectMeta()
	tc := api.DeepCopyValue(*t)
	pod := &api.Pod{
		TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{GenerateName: m.Name + "-", Namespace: m.Namespace, Labels: tc.Labels,
			Annotations: tc.Annotations, Finalizers: tc.Finalizers, OwnerReferences: []api.OwnerReference{newControllerRef(owner)}},
		Spec: tc.Spec,
	}
	return pod
}

// claim is ClaimPods (ControllerRefManager): adopt orphans that match the
// selector and release owned objects that no longer match. An owner being
// deleted neither adopts nor releases. canAdopt re-reads the owner once
// before the first adoption, as RecheckDeletionTimestamp does, so a stale
// cache cannot adopt for a deleted owner.
func (m *Manager) claim(owner api.Object, sel api.Selector, objs []api.Object, canAdopt func() error) ([]api.Object, error) {
	om := owner.GetObjectMeta()
	var out []api.Object
	var errs []error
	checked := false
	for _, o := range objs {
		meta := o.GetObjectMeta()
		ref := meta.ControllerRef()
		switch {
		case ref != nil && ref.UID == om.UID:
			if sel.Matches(meta.Labels) {
				out = append(out, o)
				continue
			}
			if om.DeletionTimestamp != nil {
				continue
			}
			if err := m.release(o, om.UID); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		case ref != nil:
			// owned by someone else
		case om.DeletionTimestamp == nil && meta.DeletionTimestamp == nil && sel.Matches(meta.Labels):
			if !checked {
				checked = true
				if err := canAdopt(); err != nil {
					return out, err
				}
			}
			adopted, err := m.adopt(o, owner)
			if err != nil {
				if !apierrors.IsNotFound(err) {
					errs = append(errs, err)
				}
				continue
			}
			out = append(out, adopted)
		}
	}
	if len(errs) > 0 {
		return out, errs[0]
	}
	return out, nil
}

// adopt sets the controller reference on an orphan.
func (m *Manager) adopt(o, owner api.Object) (api.Object, error) {
	c := api.DeepCopyObject(o)
	meta := c.GetObjectMeta()
	meta.OwnerReferences = append(meta.OwnerReferences, newControllerRef(owner))
	return m.Client.Update(c)
}

// release removes the owner's reference from an object.
func (m *Manager) release(o api.Object, uid api.UID) error {
	c := api.DeepCopyObject(o)
	meta := c.GetObjectMeta()
	var refs []api.OwnerReference
	for _, r := range meta.OwnerReferences {
		if r.UID != uid {
			refs = append(refs, r)
		}
	}
	meta.OwnerReferences = refs
	_, err := m.Client.Update(c)
	return err
}

// recheckOwner returns a canAdopt function: the owner, read from the
// apiserver, must be the same object and not being deleted.
func (m *Manager) recheckOwner(resource string, owner api.Object) func() error {
	return func() error {
		om := owner.GetObjectMeta()
		fresh, err := m.Client.Get(resource, om.Namespace, om.Name)
		if err != nil {
			return err
		}
		fm := fresh.GetObjectMeta()
		if fm.UID != om.UID {
			return apierrors.NewConflict("", resource, om.Name, errOriginalGone(om))
		}
		if fm.DeletionTimestamp != nil {
			return apierrors.NewConflict("", resource, om.Name, errBeingDeleted(om))
		}
		return nil
	}
}

type ownerErr struct{ msg string }

func (e ownerErr) Error() string { return e.msg }

func errOriginalGone(m *api.ObjectMeta) error {
	return ownerErr{"original " + m.Namespace + "/" + m.Name + " is gone: got uid of a new object"}
}

func errBeingDeleted(m *api.ObjectMeta) error {
	return ownerErr{m.Namespace + "/" + m.Name + " has just been deleted"}
}

// slowStartBatch calls fn count times in batches of 1, 2, 4, ... and stops
// after the first batch with a failure, so that a quota or admission error
// costs one call rather than hundreds. It returns the number of successes.
func slowStartBatch(count, initial int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		var firstErr error
		failed := 0
		for i := 0; i < batch; i++ {
			if err := fn(); err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
			}
		}
		successes += batch - failed
		if failed > 0 {
			return successes, firstErr
		}
		remaining -= batch
	}
	return successes, nil
}

// ---------------------------------------------------------------- scale-down order

// rankedPods sorts pods in the order the ReplicaSet controller deletes
// them (ActivePodsWithRanks): the first are the cheapest to lose.
type rankedPods struct {
	pods []*api.Pod
	rank []int // related pods on the same node
	now  time.Time
}

func (s rankedPods) Len() int { return len(s.pods) }
func (s rankedPods) Swap(i, j int) {
	s.pods[i], s.pods[j] = s.pods[j], s.pods[i]
	s.rank[i], s.rank[j] = s.rank[j], s.rank[i]
}

var phaseOrdinal = map[api.PodPhase]int{api.PodPending: 0, api.PodUnknown: 1, api.PodRunning: 2}

func (s rankedPods) Less(i, j int) bool {
	a, b := s.pods[i], s.pods[j]
	// 1. Unassigned < assigned.
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	// 2. Pending < Unknown < Running.
	if phaseOrdinal[a.Status.Phase] != phaseOrdinal[b.Status.Phase] {
		return phaseOrdinal[a.Status.Phase] < phaseOrdinal[b.Status.Phase]
	}
	// 3. Not ready < ready.
	if isPodReady(a) != isPodReady(b) {
		return !isPodReady(a)
	}
	// 4. Lower pod-deletion-cost first.
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	// 5. More related pods on the same node first.
	if s.rank[i] != s.rank[j] {
		return s.rank[i] > s.rank[j]
	}
	// 6. Ready for less time first, compared on a log2 scale
	// (LogarithmicScaleDown) so that pods ready at nearly the same age tie.
	if isPodReady(a) && isPodReady(b) {
		ra, rb := podCondition(a, api.PodReady).LastTransitionTime.Time, podCondition(b, api.PodReady).LastTransitionTime.Time
		if d := logRankDiff(ra, rb, s.now); d != 0 {
			return d < 0
		}
	}
	// 7. More container restarts first.
	if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
		return ra > rb
	}
	// 8. Newer first, on the same log2 scale.
	if d := logRankDiff(a.CreationTimestamp.Time, b.CreationTimestamp.Time, s.now); d != 0 {
		return d < 0
	}
	// Equal ranks: the real sort leaves them in any order; the simulator
	// takes the name order so that runs repeat.
	return a.Name < b.Name
}

// logRankDiff compares how long ago two instants were in whole powers of
// two of nanoseconds; a zero time ranks lowest (as if just now).
func logRankDiff(t1, t2, now time.Time) int64 {
	r := func(t time.Time) int64 {
		if t.IsZero() {
			return -1
		}
		d := now.Sub(t)
		if d <= 0 {
			return -1
		}
		return int64(math.Log2(float64(d)))
	}
	return r(t1) - r(t2)
}

func deletionCost(p *api.Pod) int32 {
	v, ok := p.Annotations[api.AnnotationPodDeletionCost]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

func maxRestarts(p *api.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n = max(n, c.RestartCount)
	}
	return n
}

// podsToDelete picks diff pods to delete from pods, ranking each by the
// number of related pods (pods of the same owner, or of sibling
// ReplicaSets of one Deployment) on its node.
func podsToDelete(pods, related []*api.Pod, diff int, now time.Time) []*api.Pod {
	if diff >= len(pods) {
		return pods
	}
	onNode := map[string]int{}
	for _, p := range related {
		if isPodActive(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	s := rankedPods{pods: append([]*api.Pod(nil), pods...), rank: make([]int, len(pods)), now: now}
	for i, p := range s.pods {
		s.rank[i] = onNode[p.Spec.NodeName]
	}
	sort.Sort(s)
	return s.pods[:diff]
}

// ---------------------------------------------------------------- expectations

// expectationsTimeout is how long a controller waits for the watch to show
// its own creations and deletions before it syncs anyway.
const expectationsTimeout = 5 * time.Minute

// expectations remember creations and deletions a controller made but has
// not yet seen through its informer (ControllerExpectations), so that a
// sync running before the watch catches up does not act twice.
type expectations struct {
	m map[string]*expectation
}

type expectation struct {
	add      int
	deleting map[string]bool // pod keys
	at       time.Duration
}

func newExpectations() *expectations { return &expectations{m: map[string]*expectation{}} }

func (e *expectations) satisfied(key string, now time.Duration) bool {
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return (x.add <= 0 && len(x.deleting) == 0) || now-x.at > expectationsTimeout
}

func (e *expectations) expectCreations(key string, n int, now time.Duration) {
	e.m[key] = &expectation{add: n, deleting: map[string]bool{}, at: now}
}

func (e *expectations) expectDeletions(key string, pods []string, now time.Duration) {
	x := &expectation{deleting: map[string]bool{}, at: now}
	for _, p := range pods {
		x.deleting[p] = true
	}
	e.m[key] = x
}

func (e *expectations) creationObserved(key string) {
	if x, ok := e.m[key]; ok {
		x.add--
	}
}

func (e *expectations) deletionObserved(key, pod string) {
	if x, ok := e.m[key]; ok {
		delete(x.deleting, pod)
	}
}

func (e *expectations) forget(key string) { delete(e.m, key) }

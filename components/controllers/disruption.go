package controllers

import (
	"fmt"
	"reflect"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// Disruption controller texts and timings, as kube-controller-manager's
// disruption controller has them.
const (
	ReasonNoPods                          = "NoPods"
	MessageNoPods                         = "No matching pods found"
	ReasonCalculateExpectedPodCountFailed = "CalculateExpectedPodCountFailed"
	// disruptedPodTimeout is how long an entry of status.disruptedPods
	// keeps a pod out of currentHealthy while its deletion is observed
	// (DeletionTimeout).
	disruptedPodTimeout = 2 * time.Minute
)

// Disruption is the disruption controller: for every PodDisruptionBudget
// it finds the pods its selector matches, works out how many must stay
// healthy (minAvailable, or the owners' scale minus maxUnavailable) and
// writes the status the eviction API decides by: currentHealthy,
// desiredHealthy, expectedPods, disruptionsAllowed, observedGeneration,
// the disruptedPods still in flight and the DisruptionAllowed condition.
//
// Simplification: the owners' scale is read for ReplicaSets (a Deployment's
// when it owns the ReplicaSet) and Deployments from the caches; other
// owners (e.g. StatefulSet or a custom resource's scale subresource) fail
// the sync as the real controller does when it finds no scale.
type Disruption struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
}

// NewDisruption returns the controller.
func NewDisruption() Controller { return &Disruption{} }

// Name implements Controller.
func (dc *Disruption) Name() string { return "disruption-controller" }

// Setup implements Controller.
func (dc *Disruption) Setup(m *Manager, q *Queue) {
	dc.m, dc.q = m, q
	dc.rec = m.Recorder("controllermanager")
	m.AddLabelIndex("pods")
	m.Informer("poddisruptionbudgets").AddHandler(client.Handler{
		OnAdd:    func(o api.Object) { q.Add(o.GetObjectMeta().Key()) },
		OnUpdate: func(_, o api.Object) { q.Add(o.GetObjectMeta().Key()) },
	})
	pod := func(o api.Object) { dc.enqueueFor(o.(*api.Pod)) }
	m.Informer("pods").AddHandler(client.Handler{
		OnAdd:    pod,
		OnUpdate: func(old, o api.Object) { pod(old); pod(o) },
		OnDelete: pod,
	})
	// The owners' scale feeds percentages and maxUnavailable.
	for _, r := range []string{"replicasets", "deployments"} {
		m.Informer(r).AddHandler(client.Handler{
			OnUpdate: func(_, o api.Object) { dc.enqueueNamespace(o.GetObjectMeta().Namespace) },
		})
	}
}

// enqueueFor queues the budgets that select the pod.
func (dc *Disruption) enqueueFor(p *api.Pod) {
	for _, pdb := range api.PDBsForPod(p, dc.budgets(p.Namespace)) {
		dc.q.Add(pdb.Key())
	}
}

func (dc *Disruption) enqueueNamespace(ns string) {
	for _, pdb := range dc.budgets(ns) {
		dc.q.Add(pdb.Key())
	}
}

// budgets lists the cached budgets of a namespace, in key order.
func (dc *Disruption) budgets(ns string) []*api.PodDisruptionBudget {
	var out []*api.PodDisruptionBudget
	for _, o := range dc.m.Informer("poddisruptionbudgets").List() {
		if pdb := o.(*api.PodDisruptionBudget); pdb.Namespace == ns {
			out = append(out, pdb)
		}
	}
	return out
}

// Reconcile implements Controller: key is a budget's namespace/name.
func (dc *Disruption) Reconcile(key string) (Result, error) {
	o, ok := dc.m.Informer("poddisruptionbudgets").Get(key)
	if !ok {
		return Result{}, nil
	}
	pdb := o.(*api.PodDisruptionBudget)
	pods, err := dc.podsFor(pdb)
	if err != nil {
		return Result{}, dc.failSafe(pdb, err)
	}
	if len(pods) == 0 {
		dc.rec.Event(pdb, api.EventTypeNormal, ReasonNoPods, MessageNoPods)
	}
	expected, desired, err := dc.expectedPodCount(pdb, pods)
	if err != nil {
		dc.rec.Eventf(pdb, api.EventTypeWarning, ReasonCalculateExpectedPodCountFailed, "Failed to calculate the number of expected pods: %v", err)
		return Result{}, dc.failSafe(pdb, err)
	}
	st, recheck := ComputePDBStatus(pdb, pods, expected, desired, dc.m.Now())
	if err := dc.writeStatus(pdb, st); err != nil {
		return Result{}, err
	}
	return Result{RequeueAfter: recheck}, nil
}

// podsFor is the cached pods the budget's selector matches.
func (dc *Disruption) podsFor(pdb *api.PodDisruptionBudget) ([]*api.Pod, error) {
	if pdb.Spec.Selector == nil {
		return nil, nil
	}
	sel, err := api.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil, err
	}
	var pods []*api.Pod
	for _, o := range dc.m.Select("pods", pdb.Namespace, sel) {
		pods = append(pods, o.(*api.Pod))
	}
	return pods, nil
}

// expectedPodCount is getExpectedPodCount: maxUnavailable and a
// percentage minAvailable count against the owners' scale, an integer
// minAvailable against the pods found.
func (dc *Disruption) expectedPodCount(pdb *api.PodDisruptionBudget, pods []*api.Pod) (expected, desired int32, err error) {
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		if expected, err = dc.expectedScale(pdb, pods); err != nil {
			return 0, 0, err
		}
		maxU, err := api.ScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		desired = max(expected-int32(maxU), 0)
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == api.IntOrStringInt:
		desired, expected = pdb.Spec.MinAvailable.IntVal, int32(len(pods))
	case pdb.Spec.MinAvailable != nil:
		if expected, err = dc.expectedScale(pdb, pods); err != nil {
			return 0, 0, err
		}
		minA, err := api.ScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		desired = int32(minA)
	}
	return expected, desired, nil
}

// expectedScale sums the scale of the distinct controllers of the pods.
func (dc *Disruption) expectedScale(pdb *api.PodDisruptionBudget, pods []*api.Pod) (int32, error) {
	seen := map[api.UID]bool{}
	var total int32
	for _, p := range pods {
		ref := p.ControllerRef()
		if ref == nil {
			return 0, fmt.Errorf("found no controller ref for pod %q", p.Name)
		}
		uid, scale, ok := dc.scaleOf(p.Namespace, ref)
		if !ok {
			return 0, fmt.Errorf("found no controllers for pod %q", p.Name)
		}
		if !seen[uid] {
			seen[uid] = true
			total += scale
		}
	}
	return total, nil
}

// scaleOf resolves a controller reference to the controller that owns the
// scale: a ReplicaSet, or the Deployment that owns it.
func (dc *Disruption) scaleOf(ns string, ref *api.OwnerReference) (api.UID, int32, bool) {
	switch ref.Kind {
	case "ReplicaSet":
		o, ok := dc.m.Informer("replicasets").Get(ns + "/" + ref.Name)
		if !ok || o.GetObjectMeta().UID != ref.UID {
			return "", 0, false
		}
		rs := o.(*api.ReplicaSet)
		if owner := rs.ControllerRef(); owner != nil && owner.Kind == "Deployment" {
			return dc.scaleOf(ns, owner)
		}
		return rs.UID, replicasOr1(rs.Spec.Replicas), true
	case "Deployment":
		o, ok := dc.m.Informer("deployments").Get(ns + "/" + ref.Name)
		if !ok || o.GetObjectMeta().UID != ref.UID {
			return "", 0, false
		}
		d := o.(*api.Deployment)
		return d.UID, replicasOr1(d.Spec.Replicas), true
	}
	return "", 0, false
}

func replicasOr1(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// ComputePDBStatus is the status a budget gets from its pods: expected
// and desired come from the spec and the owners' scale. It keeps the
// disruptedPods entries whose pod still exists, is not being deleted and
// was let go less than two minutes ago, and says when the oldest kept
// entry expires (0: none).
func ComputePDBStatus(pdb *api.PodDisruptionBudget, pods []*api.Pod, expected, desired int32, now time.Time) (api.PodDisruptionBudgetStatus, time.Duration) {
	st := api.PodDisruptionBudgetStatus{ExpectedPods: expected, DesiredHealthy: desired, ObservedGeneration: pdb.Generation}
	byName := map[string]*api.Pod{}
	for _, p := range pods {
		byName[p.Name] = p
	}
	var recheck time.Duration
	for name, at := range pdb.Status.DisruptedPods {
		p, ok := byName[name]
		if !ok || p.DeletionTimestamp != nil {
			continue
		}
		expires := at.Time.Add(disruptedPodTimeout)
		if !expires.After(now) {
			continue
		}
		if st.DisruptedPods == nil {
			st.DisruptedPods = map[string]api.Time{}
		}
		st.DisruptedPods[name] = at
		if d := expires.Sub(now); recheck == 0 || d < recheck {
			recheck = d
		}
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if _, disrupted := st.DisruptedPods[p.Name]; disrupted {
			continue
		}
		if api.PodIsReady(p) {
			st.CurrentHealthy++
		}
	}
	if allowed := st.CurrentHealthy - desired; expected > 0 && allowed > 0 {
		st.DisruptionsAllowed = allowed
	}
	cond := api.Condition{Type: api.DisruptionAllowedCondition, Status: api.ConditionFalse, Reason: api.InsufficientPodsReason, ObservedGeneration: pdb.Generation}
	if st.DisruptionsAllowed > 0 {
		cond.Status, cond.Reason = api.ConditionTrue, api.SufficientPodsReason
	}
	st.Conditions = setPDBCondition(pdb.Status.Conditions, cond, now)
	return st, recheck
}

// setPDBCondition replaces the DisruptionAllowed condition, keeping its
// lastTransitionTime when the status did not change.
func setPDBCondition(old []api.Condition, c api.Condition, now time.Time) []api.Condition {
	c.LastTransitionTime = api.NewTime(now.Truncate(time.Second))
	var out []api.Condition
	for _, o := range old {
		if o.Type == c.Type {
			if o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
			continue
		}
		out = append(out, o)
	}
	return append(out, c)
}

// failSafe is what a failed sync leaves: no disruptions allowed and a
// SyncFailed condition carrying the error.
func (dc *Disruption) failSafe(pdb *api.PodDisruptionBudget, cause error) error {
	st := api.DeepCopyValue(pdb.Status)
	st.DisruptionsAllowed = 0
	st.ObservedGeneration = pdb.Generation
	st.Conditions = setPDBCondition(st.Conditions, api.Condition{Type: api.DisruptionAllowedCondition, Status: api.ConditionFalse,
		Reason: api.SyncFailedReason, Message: cause.Error(), ObservedGeneration: pdb.Generation}, dc.m.Now())
	if err := dc.writeStatus(pdb, st); err != nil {
		return err
	}
	return nil
}

// writeStatus updates the status when it changed.
func (dc *Disruption) writeStatus(pdb *api.PodDisruptionBudget, st api.PodDisruptionBudgetStatus) error {
	if reflect.DeepEqual(pdb.Status, st) {
		return nil
	}
	c := api.DeepCopy(pdb)
	c.Status = st
	_, err := dc.m.Client.UpdateStatus(c)
	return err
}

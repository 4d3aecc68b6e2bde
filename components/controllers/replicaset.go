package controllers

import (
	"reflect"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"go.uber.org/zap"
)

// BurstReplicas is how many pods the ReplicaSet controller creates or
// deletes in one sync at most.
const BurstReplicas = 500

// IndexController indexes objects by the UID of their controller
// reference.
const IndexController = "controller"

func controllerIndex(o api.Object) []string {
	if ref := o.GetObjectMeta().ControllerRef(); ref != nil {
		return []string{string(ref.UID)}
	}
	return nil
}

// ReplicaSets is the ReplicaSet controller: it keeps spec.replicas pods
// that match the selector, creating them from the template in slow-start
// batches and deleting the cheapest first, adopts matching orphans and
// releases pods that stop matching, and reports status.
type ReplicaSets struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
	exp *expectations
}

// NewReplicaSets returns the controller.
func NewReplicaSets() Controller { return &ReplicaSets{exp: newExpectations()} }

// Name implements Controller.
func (r *ReplicaSets) Name() string { return "replicaset" }

// Setup implements Controller.
func (r *ReplicaSets) Setup(m *Manager, q *Queue) {
	r.m, r.q = m, q
	r.rec = m.Recorder("replicaset-controller")
	m.AddIndex("pods", IndexController, controllerIndex)
	m.AddIndex("replicasets", IndexController, controllerIndex)
	m.AddLabelIndex("pods")
	m.AddLabelIndex("replicasets")
	m.Informer("replicasets").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
	m.Informer("replicasets").AddHandler(client.Handler{OnDelete: func(o api.Object) { r.exp.forget(o.GetObjectMeta().Key()) }})
	m.Informer("pods").AddHandler(client.Handler{
		OnAdd: func(o api.Object) {
			pod := o.(*api.Pod)
			if rs := r.controllerOf(pod); rs != "" {
				if pod.DeletionTimestamp != nil {
					r.exp.deletionObserved(rs, pod.Key())
				} else {
					r.exp.creationObserved(rs)
				}
				q.Add(rs)
				return
			}
			r.enqueueMatching(pod)
		},
		OnUpdate: func(old, o api.Object) {
			op, pod := old.(*api.Pod), o.(*api.Pod)
			if pod.DeletionTimestamp != nil && op.DeletionTimestamp == nil {
				if rs := r.controllerOf(pod); rs != "" {
					r.exp.deletionObserved(rs, pod.Key())
				}
			}
			if a, b := r.controllerOf(op), r.controllerOf(pod); a != b && a != "" {
				q.Add(a)
			}
			if rs := r.controllerOf(pod); rs != "" {
				q.Add(rs)
				return
			}
			if !reflect.DeepEqual(op.Labels, pod.Labels) || pod.ControllerRef() == nil {
				r.enqueueMatching(pod)
			}
		},
		OnDelete: func(o api.Object) {
			pod := o.(*api.Pod)
			if rs := r.controllerOf(pod); rs != "" {
				r.exp.deletionObserved(rs, pod.Key())
				q.Add(rs)
			}
		},
	})
}

// controllerOf returns the key of the ReplicaSet controlling a pod, or "".
func (r *ReplicaSets) controllerOf(p *api.Pod) string {
	ref := p.ControllerRef()
	if ref == nil || ref.Kind != "ReplicaSet" {
		return ""
	}
	o, ok := r.m.Informer("replicasets").Get(p.Namespace + "/" + ref.Name)
	if !ok || o.GetObjectMeta().UID != ref.UID {
		return ""
	}
	return o.GetObjectMeta().Key()
}

// enqueueMatching queues every ReplicaSet whose selector matches an
// orphan, so one of them can adopt it.
func (r *ReplicaSets) enqueueMatching(p *api.Pod) {
	for _, o := range r.m.ByIndex("replicasets", IndexNamespace, p.Namespace) {
		rs := o.(*api.ReplicaSet)
		if sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(p.Labels) {
			r.q.Add(rs.Key())
		}
	}
}

// Reconcile implements Controller; the key is "namespace/name".
func (r *ReplicaSets) Reconcile(key string) (Result, error) {
	o, ok := r.m.Informer("replicasets").Get(key)
	if !ok {
		r.exp.forget(key)
		return Result{}, nil
	}
	rs := o.(*api.ReplicaSet)
	now := r.m.C.Now()
	needsSync := r.exp.satisfied(key, now)
	sel, err := api.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return Result{}, nil // an invalid selector cannot be acted on
	}
	// The pods claim can act on: those this ReplicaSet controls (the
	// controller-UID index) and those its selector matches (the label
	// index); every other pod of the namespace is owned by someone else
	// or does not match, and claim would pass it by.
	var active []api.Object
	for _, p := range union(r.m.ByIndex("pods", IndexController, string(rs.UID)), r.m.Select("pods", rs.Namespace, sel)) {
		if isPodActive(p.(*api.Pod)) {
			active = append(active, p)
		}
	}
	claimed, err := r.m.claim(rs, sel, active, r.m.recheckOwner("replicasets", rs))
	if err != nil {
		return Result{}, err
	}
	pods := make([]*api.Pod, len(claimed))
	for i, p := range claimed {
		pods[i] = p.(*api.Pod)
	}
	var manageErr error
	if needsSync && rs.DeletionTimestamp == nil {
		manageErr = r.manage(rs, pods)
	}
	st := r.status(rs, pods, manageErr)
	updated := rs
	if !reflect.DeepEqual(st, rs.Status) {
		c := api.DeepCopy(rs)
		c.Status = st
		u, err := r.m.Client.UpdateStatus(c)
		if err != nil {
			if manageErr != nil {
				return Result{}, manageErr
			}
			return Result{}, err
		}
		updated = u.(*api.ReplicaSet)
	}
	if manageErr != nil {
		return Result{}, manageErr
	}
	// Pods become available minReadySeconds after they become ready; look
	// again then.
	want := int32(1)
	if updated.Spec.Replicas != nil {
		want = *updated.Spec.Replicas
	}
	if updated.Spec.MinReadySeconds > 0 && updated.Status.ReadyReplicas == want && updated.Status.AvailableReplicas != want {
		return Result{RequeueAfter: time.Duration(updated.Spec.MinReadySeconds) * time.Second}, nil
	}
	return Result{}, nil
}

// manage creates or deletes pods to reach spec.replicas.
func (r *ReplicaSets) manage(rs *api.ReplicaSet, pods []*api.Pod) error {
	key := rs.Key()
	want := 1
	if rs.Spec.Replicas != nil {
		want = int(*rs.Spec.Replicas)
	}
	now := r.m.C.Now()
	diff := len(pods) - want
	switch {
	case diff < 0:
		n := min(-diff, BurstReplicas)
		r.exp.expectCreations(key, n, now)
		r.m.C.Log().Info("Too few replicas", zap.String("replicaSet", key), zap.Int("need", want), zap.Int("creating", n))
		ok, err := slowStartBatch(n, 1, func() error {
			created, err := r.m.Client.Create(podFromTemplate(&rs.Spec.Template, rs))
			if err != nil {
				r.rec.Eventf(rs, api.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
				return err
			}
			r.rec.Eventf(rs, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", created.GetObjectMeta().Name)
			return nil
		})
		for i := ok; i < n; i++ {
			r.exp.creationObserved(key) // never coming: the rest was skipped
		}
		return err
	case diff > 0:
		n := min(diff, BurstReplicas)
		r.m.C.Log().Info("Too many replicas", zap.String("replicaSet", key), zap.Int("need", want), zap.Int("deleting", n))
		victims := podsToDelete(pods, r.relatedPods(rs), n, r.m.Now())
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = p.Key()
		}
		r.exp.expectDeletions(key, keys, now)
		var firstErr error
		for _, p := range victims {
			if _, err := r.m.Client.Delete("pods", p.Namespace, p.Name, client.DeleteOptions{}); err != nil {
				r.exp.deletionObserved(key, p.Key())
				if apierrors.IsNotFound(err) {
					continue
				}
				r.rec.Eventf(rs, api.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			r.rec.Eventf(rs, api.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", p.Name)
		}
		return firstErr
	}
	return nil
}

// relatedPods are the pods of this ReplicaSet and, when a Deployment
// controls it, of its sibling ReplicaSets (getIndirectlyRelatedPods).
func (r *ReplicaSets) relatedPods(rs *api.ReplicaSet) []*api.Pod {
	owners := []string{string(rs.UID)}
	if ref := rs.ControllerRef(); ref != nil {
		owners = owners[:0]
		for _, o := range r.m.ByIndex("replicasets", IndexController, string(ref.UID)) {
			owners = append(owners, string(o.GetObjectMeta().UID))
		}
	}
	var out []*api.Pod
	for _, uid := range owners {
		for _, p := range r.m.ByIndex("pods", IndexController, uid) {
			out = append(out, p.(*api.Pod))
		}
	}
	return out
}

// status computes the observed state (calculateStatus).
func (r *ReplicaSets) status(rs *api.ReplicaSet, pods []*api.Pod, manageErr error) api.ReplicaSetStatus {
	st := api.DeepCopyValue(rs.Status)
	st.Replicas = int32(len(pods))
	st.FullyLabeledReplicas, st.ReadyReplicas, st.AvailableReplicas = 0, 0, 0
	tmpl := api.SelectorFromSet(rs.Spec.Template.Labels)
	now := r.m.Now()
	for _, p := range pods {
		if tmpl.Matches(p.Labels) {
			st.FullyLabeledReplicas++
		}
		if isPodReady(p) {
			st.ReadyReplicas++
			if isPodAvailable(p, rs.Spec.MinReadySeconds, now) {
				st.AvailableReplicas++
			}
		}
	}
	st.ObservedGeneration = rs.Generation
	var conds []api.ReplicaSetCondition
	for _, c := range st.Conditions {
		if c.Type != api.ReplicaSetReplicaFailure {
			conds = append(conds, c)
		}
	}
	if manageErr != nil {
		want := int32(1)
		if rs.Spec.Replicas != nil {
			want = *rs.Spec.Replicas
		}
		reason := "FailedCreate"
		if int32(len(pods)) > want {
			reason = "FailedDelete"
		}
		cond := api.ReplicaSetCondition{Type: api.ReplicaSetReplicaFailure, Status: api.ConditionTrue, Reason: reason,
			Message: manageErr.Error(), LastTransitionTime: api.NewTime(now.Truncate(time.Second))}
		for _, c := range rs.Status.Conditions {
			if c.Type == cond.Type && c.Status == cond.Status && c.Reason == cond.Reason && c.Message == cond.Message {
				cond.LastTransitionTime = c.LastTransitionTime
			}
		}
		conds = append(conds, cond)
	}
	st.Conditions = conds
	return st
}

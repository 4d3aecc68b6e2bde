package controllers

import (
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// Taint eviction texts.
const (
	// DisruptionTarget condition written before the pod is deleted.
	MessageTaintManagerDeletion = "Taint manager: deleting due to NoExecute taint"
)

// TaintEviction is the taint-eviction-controller (split out of the node
// lifecycle controller in v1.29): pods on a node with NoExecute taints they
// do not all tolerate are deleted at once; pods that tolerate them are
// deleted when the shortest tolerationSeconds of the matching tolerations
// has passed since the controller saw the taint (300 s for the
// not-ready/unreachable tolerations DefaultTolerationSeconds adds), or
// never if those tolerations have no tolerationSeconds. A taint removed in
// time cancels the deletion.
type TaintEviction struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
	// scheduled evictions: pod key -> when it was scheduled and when it fires
	scheduled map[string]eviction
	// evicted pods (by UID) whose deletion the cache has not shown yet
	evicted map[api.UID]bool
}

type eviction struct {
	created, fire time.Duration
}

// NewTaintEviction returns the controller.
func NewTaintEviction() Controller {
	return &TaintEviction{scheduled: map[string]eviction{}, evicted: map[api.UID]bool{}}
}

// Name implements Controller.
func (tc *TaintEviction) Name() string { return "taint-eviction-controller" }

// Setup implements Controller.
func (tc *TaintEviction) Setup(m *Manager, q *Queue) {
	tc.m, tc.q = m, q
	tc.rec = m.Recorder("taint-eviction-controller")
	m.AddIndex("pods", IndexNodeName, nodeNameIndex)
	m.Informer("nodes").AddHandler(client.Handler{
		OnAdd: func(o api.Object) { q.Add("node/" + o.GetObjectMeta().Name) },
		OnUpdate: func(old, o api.Object) {
			if !sameTaints(noExecuteTaints(old.(*api.Node)), noExecuteTaints(o.(*api.Node))) {
				q.Add("node/" + o.GetObjectMeta().Name)
			}
		},
		OnDelete: func(o api.Object) { q.Add("node/" + o.GetObjectMeta().Name) },
	})
	m.Informer("pods").AddHandler(handlerFor(q, func(o api.Object) string { return "pod/" + o.GetObjectMeta().Key() }))
	m.Informer("pods").AddHandler(client.Handler{OnDelete: func(o api.Object) { delete(tc.evicted, o.GetObjectMeta().UID) }})
}

func noExecuteTaints(n *api.Node) []api.Taint {
	var out []api.Taint
	for _, t := range n.Spec.Taints {
		if t.Effect == api.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

func sameTaints(a, b []api.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value || a[i].Effect != b[i].Effect {
			return false
		}
	}
	return true
}

// Reconcile implements Controller: "node/<name>" looks at every pod of a
// node, "pod/<namespace>/<name>" at one pod.
func (tc *TaintEviction) Reconcile(key string) (Result, error) {
	if name, ok := strings.CutPrefix(key, "node/"); ok {
		for _, o := range tc.m.ByIndex("pods", IndexNodeName, name) {
			tc.q.Add("pod/" + o.GetObjectMeta().Key())
		}
		return Result{}, nil
	}
	podKey := strings.TrimPrefix(key, "pod/")
	o, ok := tc.m.Informer("pods").Get(podKey)
	if !ok {
		delete(tc.scheduled, podKey)
		return Result{}, nil
	}

	pod := o.(*api.Pod)
	if pod.DeletionTimestamp != nil {
		delete(tc.evicted, pod.UID)
	}
	if pod.Spec.NodeName == "" || pod.DeletionTimestamp != nil || tc.evicted[pod.UID] {
		delete(tc.scheduled, podKey)
		return Result{}, nil
	}
	var taints []api.Taint
	if n, ok := tc.m.Informer("nodes").Get(pod.Spec.NodeName); ok {
		taints = noExecuteTaints(n.(*api.Node))
	}
	now := tc.m.C.Now()
	if len(taints) == 0 {
		tc.cancel(pod)
		return Result{}, nil
	}
	all, used := matchingTolerations(taints, pod.Spec.Tolerations)
	var fire, created time.Duration
	if !all {
		tc.cancel(pod)
		created, fire = now, now
	} else {
		min := minTolerationTime(used)
		if min < 0 {
			tc.cancel(pod) // tolerated forever
			return Result{}, nil
		}
		created, fire = now, now+min
		if s, ok := tc.scheduled[podKey]; ok {
			created = s.created
			fire = min + s.created
		}
	}
	tc.scheduled[podKey] = eviction{created: created, fire: fire}
	if fire > now {
		return Result{RequeueAfter: fire - now}, nil
	}
	return Result{}, tc.evict(pod)
}

func (tc *TaintEviction) cancel(pod *api.Pod) {
	if _, ok := tc.scheduled[pod.Key()]; !ok {
		return
	}
	delete(tc.scheduled, pod.Key())
	tc.rec.Eventf(pod, api.EventTypeNormal, "TaintManagerEviction", "Cancelling deletion of Pod %s", pod.Key())
}

// evict marks the pod with a DisruptionTarget condition and deletes it.
func (tc *TaintEviction) evict(pod *api.Pod) error {
	tc.rec.Eventf(pod, api.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s", pod.Key())
	c := withDisruptionTarget(pod, api.PodReasonDeletionByTaintManager, MessageTaintManagerDeletion, tc.m.Now())
	if _, err := tc.m.Client.UpdateStatus(c); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	if _, err := tc.m.Client.Delete("pods", pod.Namespace, pod.Name, client.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	delete(tc.scheduled, pod.Key())
	tc.evicted[pod.UID] = true
	return nil
}

// withDisruptionTarget is a copy of the pod with the DisruptionTarget
// condition that says why it is about to be deleted.
func withDisruptionTarget(pod *api.Pod, reason, message string, now time.Time) *api.Pod {
	c := api.DeepCopy(pod)
	cond := api.PodCondition{Type: api.DisruptionTarget, Status: api.ConditionTrue, Reason: reason, Message: message, LastTransitionTime: api.NewTime(now)}
	if cur := podCondition(c, api.DisruptionTarget); cur != nil {
		*cur = cond
	} else {
		c.Status.Conditions = append(c.Status.Conditions, cond)
	}
	return c
}

// tolerates reports whether a toleration matches a taint.
func tolerates(tol api.Toleration, t api.Taint) bool {
	if tol.Effect != "" && tol.Effect != t.Effect {
		return false
	}
	if tol.Key != t.Key && !(tol.Key == "" && tol.Operator == api.TolerationOpExists) {
		return false
	}
	switch tol.Operator {
	case api.TolerationOpExists:
		return true
	case "", api.TolerationOpEqual:
		return tol.Value == t.Value
	}
	return false
}

// matchingTolerations reports whether every taint is tolerated and which
// tolerations were used.
func matchingTolerations(taints []api.Taint, tols []api.Toleration) (bool, []api.Toleration) {
	var used []api.Toleration
	for _, t := range taints {
		found := false
		for _, tol := range tols {
			if tolerates(tol, t) {
				found = true
				used = append(used, tol)
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, used
}

// minTolerationTime is the shortest tolerationSeconds; -1 if none is set
// (tolerated forever).
func minTolerationTime(tols []api.Toleration) time.Duration {
	min := time.Duration(-1)
	for _, t := range tols {
		if t.TolerationSeconds == nil {
			continue
		}
		if *t.TolerationSeconds <= 0 {
			return 0
		}
		d := time.Duration(*t.TolerationSeconds) * time.Second
		if min < 0 || d < min {
			min = d
		}
	}
	return min
}

package controllers

import (
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// TTLAfterFinished is the ttl-after-finished controller: a finished Job
// (Complete or Failed) with spec.ttlSecondsAfterFinished is deleted that
// long after it finished, in the foreground, so the garbage collector
// removes its pods first.
type TTLAfterFinished struct {
	m *Manager
	q *Queue
}

// NewTTLAfterFinished returns the controller.
func NewTTLAfterFinished() Controller { return &TTLAfterFinished{} }

// Name implements Controller.
func (c *TTLAfterFinished) Name() string { return "ttl-after-finished-controller" }

// Setup implements Controller.
func (c *TTLAfterFinished) Setup(m *Manager, q *Queue) {
	c.m, c.q = m, q
	m.Informer("jobs").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
}

// finishedAt is when a Job got its Complete or Failed condition.
func finishedAt(j *api.Job) (time.Time, bool) {
	for _, cond := range j.Status.Conditions {
		if (cond.Type == api.JobComplete || cond.Type == api.JobFailed) && cond.Status == api.ConditionTrue {
			return cond.LastTransitionTime.Time, true
		}
	}
	return time.Time{}, false
}

// Reconcile implements Controller; the key is "namespace/name".
func (c *TTLAfterFinished) Reconcile(key string) (Result, error) {
	o, ok := c.m.Informer("jobs").Get(key)
	if !ok {
		return Result{}, nil
	}
	j := o.(*api.Job)
	if j.DeletionTimestamp != nil || j.Spec.TTLSecondsAfterFinished == nil {
		return Result{}, nil
	}
	at, done := finishedAt(j)
	if !done {
		return Result{}, nil
	}
	if left := at.Add(time.Duration(*j.Spec.TTLSecondsAfterFinished) * time.Second).Sub(c.m.Now()); left > 0 {
		return Result{RequeueAfter: left}, nil
	}
	_, err := c.m.Client.Delete("jobs", j.Namespace, j.Name, client.DeleteOptions{PropagationPolicy: api.DeletePropagationForeground})
	if apierrors.IsNotFound(err) {
		return Result{}, nil
	}
	return Result{}, err
}

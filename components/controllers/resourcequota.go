package controllers

import (
	"maps"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// ResourceQuotaSyncPeriod is kube-controller-manager's
// --resource-quota-sync-period: every quota is recounted from scratch this
// often, on virtual time.
const ResourceQuotaSyncPeriod = 5 * time.Minute

// quotaCounted are the resources whose objects the controller counts.
var quotaCounted = []string{"pods", "services", "configmaps", "secrets", "resourcequotas", "persistentvolumeclaims"}

// ResourceQuotaController is the resourcequota controller: it writes each
// ResourceQuota's status.hard (= spec.hard) and status.used (what the
// namespace's matching objects count, see api.QuotaUsage) for every
// resource the quota limits.
//
// Simplification: the real controller recounts a quota when it changes,
// when a counted object is deleted (replenishment) and on the full resync;
// usage grows through the admission plugin writing status.used. kubesim's
// admission plugin counts live and does not write, so the controller also
// recounts a namespace's quotas when a counted object is added or changed.
type ResourceQuotaController struct {
	m *Manager
}

// NewResourceQuotas returns the controller.
func NewResourceQuotas() Controller { return &ResourceQuotaController{} }

// Name implements Controller.
func (c *ResourceQuotaController) Name() string { return "resourcequota" }

// Setup implements Controller.
func (c *ResourceQuotaController) Setup(m *Manager, q *Queue) {
	c.m = m
	m.Informer("resourcequotas").AddHandler(handlerFor(q, objectKey))
	namespace := func(o api.Object) {
		for _, rq := range m.ByIndex("resourcequotas", IndexNamespace, o.GetObjectMeta().Namespace) {
			q.Add(objectKey(rq))
		}
	}
	for _, res := range quotaCounted {
		if res == "resourcequotas" {
			continue
		}
		m.Informer(res).AddHandler(client.Handler{OnAdd: namespace, OnUpdate: func(_, o api.Object) { namespace(o) }, OnDelete: namespace})
	}
}

func objectKey(o api.Object) string {
	m := o.GetObjectMeta()
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// Reconcile implements Controller; the key is namespace/name of a quota.
func (c *ResourceQuotaController) Reconcile(key string) (Result, error) {
	obj, ok := c.m.Informer("resourcequotas").Get(key)
	if !ok {
		return Result{}, nil
	}
	rq := obj.(*api.ResourceQuota)
	used := api.ResourceList{}
	for rn := range rq.Spec.Hard {
		used[rn] = api.Quantity{}
	}
	for _, res := range quotaCounted {
		info, ok := api.ResourceFor(res)
		if !ok {
			continue
		}
		for _, o := range c.m.ByIndex(res, IndexNamespace, rq.Namespace) {
			if !api.QuotaMatches(rq, o) {
				continue
			}
			for rn, v := range api.QuotaUsage(info, o) {
				if cur, limited := used[rn]; limited {
					used[rn] = cur.Add(v)
				}
			}
		}
	}
	for rn, v := range used {
		if v.IsZero() {
			used[rn] = api.NewQuantity(0, api.DecimalSI)
		}
	}
	if quantitiesEqual(rq.Status.Hard, rq.Spec.Hard) && quantitiesEqual(rq.Status.Used, used) {
		return Result{RequeueAfter: ResourceQuotaSyncPeriod}, nil
	}
	fixed := *rq
	fixed.Status = api.ResourceQuotaStatus{Hard: maps.Clone(rq.Spec.Hard), Used: used}
	if _, err := c.m.Client.UpdateStatus(&fixed); err != nil {
		if apierrors.IsNotFound(err) {
			return Result{}, nil
		}
		return Result{}, err
	}
	return Result{RequeueAfter: ResourceQuotaSyncPeriod}, nil
}

func quantitiesEqual(a, b api.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

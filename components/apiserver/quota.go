package apiserver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// resourceQuota is the ResourceQuota validating admission plugin, last in
// the chain: a create that would take a namespace over one of its quotas'
// hard limits is refused with 403 Forbidden, naming the quota and the
// resources that do not fit:
//
//	pods "web-4" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=3, limited: pods=3
//
// and a pod whose containers leave out a quota'd compute resource is
// refused with "failed quota: <name>: must specify limits.cpu for: nginx;
// requests.cpu for: nginx".
//
// An update is charged for what it adds: a claim whose
// spec.resources.requests.storage grows, a Service that becomes a
// NodePort, each counts the increase (the "requested" of the error is
// that increase); an update that adds nothing is never refused.
//
// Simplification: the real plugin adds the request to the quota's
// status.used (written before the object is stored) and refuses while the
// controller has not yet filled status.hard ("status unknown for quota").
// kubesim counts the namespace's current objects from the watch cache at
// admission instead and checks them against spec.hard, which gives the
// same answers without that window; the resource quota controller writes
// status.used, so between a write and its next sync status.used can lag
// what admission counts (it never runs ahead of it).
func (s *server) resourceQuota(r *apiwire.Request, info *api.ResourceInfo, obj, old api.Object) error {
	if r.Subresource != "" || !info.Namespaced {
		return nil
	}
	if old == nil && r.Verb != apiwire.VerbCreate {
		return nil
	}
	m := obj.GetObjectMeta()
	var quotas []*api.ResourceQuota
	s.cache.list(api.KeyFor("resourcequotas", m.Namespace, ""), func(e *cacheEntry) bool {
		if q, ok := e.obj.(*api.ResourceQuota); ok {
			quotas = append(quotas, q)
		}
		return true
	})
	if len(quotas) == 0 {
		return nil
	}
	// A generated name is not chosen before admission: the error names
	// the generateName ("web-7c6d5f9b8-").
	name := m.Name
	if r.Object != nil && r.Object.GetObjectMeta().Name == "" && r.Object.GetObjectMeta().GenerateName != "" {
		name = r.Object.GetObjectMeta().GenerateName
	}
	requested := api.QuotaUsage(info, obj)
	if old != nil {
		// Only what grows is charged.
		before := api.QuotaUsage(info, old)
		for rn, q := range requested {
			if d := q.Sub(before[rn]); d.Sign() > 0 {
				requested[rn] = d
			} else {
				delete(requested, rn)
			}
		}
		if len(requested) == 0 {
			return nil
		}
	}
	for _, q := range quotas {
		if !api.QuotaMatches(q, obj) {
			continue
		}
		if pod, ok := obj.(*api.Pod); ok && old == nil {
			if msg := missingComputeResources(q.Spec.Hard, pod); msg != "" {
				return apierrors.NewForbidden(info.Group, info.Resource, name, fmt.Errorf("failed quota: %s: %s", q.Name, msg))
			}
		}
		var exceeded []api.ResourceName
		for _, rn := range sortedResourceNames(requested) {
			hard, limited := q.Spec.Hard[rn]
			if !limited {
				continue
			}
			used := s.quotaUsed(q, rn)
			if used.Add(requested[rn]).Cmp(hard) > 0 {
				exceeded = append(exceeded, rn)
			}
		}
		if len(exceeded) == 0 {
			continue
		}
		var req, used, lim []string
		for _, rn := range exceeded {
			u := s.quotaUsed(q, rn)
			req = append(req, fmt.Sprintf("%s=%s", rn, quantityString(requested[rn])))
			used = append(used, fmt.Sprintf("%s=%s", rn, quantityString(u)))
			lim = append(lim, fmt.Sprintf("%s=%s", rn, quantityString(q.Spec.Hard[rn])))
		}
		return apierrors.NewForbidden(info.Group, info.Resource, name, fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s",
			q.Name, strings.Join(req, ","), strings.Join(used, ","), strings.Join(lim, ",")))
	}
	return nil
}

// quantityString prints a quantity; the zero quantity as "0".
func quantityString(q api.Quantity) string {
	if q.IsZero() {
		return "0"
	}
	return q.String()
}

// quotaUsed sums what the namespace's objects the quota matches count
// under one resource name.
func (s *server) quotaUsed(q *api.ResourceQuota, rn api.ResourceName) api.Quantity {
	var total api.Quantity
	for _, info := range api.Resources() {
		if !info.Namespaced || info.KeyPrefix == "" || !quotaCounts(info, rn) {
			continue
		}
		s.cache.list(info.Key(q.Namespace, ""), func(e *cacheEntry) bool {
			if api.QuotaMatches(q, e.obj) {
				if v, ok := api.QuotaUsage(info, e.obj)[rn]; ok {
					total = total.Add(v)
				}
			}
			return true
		})
	}
	return total
}

// quotaCounts reports whether objects of a resource can count under rn.
func quotaCounts(info *api.ResourceInfo, rn api.ResourceName) bool {
	if rn == api.QuotaCountName(info) {
		return true
	}
	switch info.Resource {
	case "pods":
		return !strings.HasPrefix(string(rn), "count/") && !strings.HasPrefix(string(rn), "services") &&
			rn != api.ResourceConfigMaps && rn != api.ResourceSecrets && rn != api.ResourceQuotas
	case "services":
		return rn == api.ResourceServices || rn == api.ResourceNodePorts || rn == api.ResourceLoadBalancers
	case "configmaps":
		return rn == api.ResourceConfigMaps
	case "secrets":
		return rn == api.ResourceSecrets
	case "resourcequotas":
		return rn == api.ResourceQuotas
	case "persistentvolumeclaims":
		return rn == api.ResourcePersistentVolumeClaims || rn == api.ResourceRequestsStorage || strings.HasSuffix(string(rn), api.StorageClassQuotaSuffix+string(api.ResourceRequestsStorage)) ||
			strings.HasSuffix(string(rn), api.StorageClassQuotaSuffix+string(api.ResourcePersistentVolumeClaims))
	}
	return false
}

// missingComputeResources is the pod evaluator's constraint: when a quota
// limits cpu or memory requests or limits, every container must state
// them. It returns "must specify ..." or "".
func missingComputeResources(hard api.ResourceList, pod *api.Pod) string {
	var required []api.ResourceName
	for _, rn := range []api.ResourceName{api.ResourceCPU, api.ResourceLimitsCPU, api.ResourceLimitsMemory, api.ResourceMemory, api.ResourceRequestsCPU, api.ResourceRequestsMemory} {
		if _, ok := hard[rn]; ok {
			required = append(required, rn)
		}
	}
	if len(required) == 0 {
		return ""
	}
	missing := map[api.ResourceName][]string{}
	for _, cs := range [][]api.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, rn := range required {
				var ok bool
				switch rn {
				case api.ResourceCPU, api.ResourceRequestsCPU:
					_, ok = c.Resources.Requests[api.ResourceCPU]
				case api.ResourceMemory, api.ResourceRequestsMemory:
					_, ok = c.Resources.Requests[api.ResourceMemory]
				case api.ResourceLimitsCPU:
					_, ok = c.Resources.Limits[api.ResourceCPU]
				case api.ResourceLimitsMemory:
					_, ok = c.Resources.Limits[api.ResourceMemory]
				}
				if !ok && !slices.Contains(missing[rn], c.Name) {
					missing[rn] = append(missing[rn], c.Name)
				}
			}
		}
	}
	var parts []string
	for _, rn := range required { // already in name order
		if names := missing[rn]; len(names) > 0 {
			slices.Sort(names)
			parts = append(parts, fmt.Sprintf("%s for: %s", rn, strings.Join(names, ",")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "must specify " + strings.Join(parts, "; ")
}

func sortedResourceNames(rl api.ResourceList) []api.ResourceName {
	names := make([]api.ResourceName, 0, len(rl))
	for n := range rl {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

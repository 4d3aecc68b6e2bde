package api

// ---------------------------------------------------------------- ResourceQuota

// ResourceQuota sets aggregate quota restrictions enforced per namespace
// (core/v1). The ResourceQuota admission plugin refuses a create that
// would take the namespace's usage over spec.hard; the resource quota
// controller keeps status.hard and status.used.
type ResourceQuota struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ResourceQuotaSpec   `json:"spec,omitempty"`
	Status     ResourceQuotaStatus `json:"status,omitempty"`
}

// ResourceQuotaSpec is the desired hard limits and the scopes that select
// what the quota counts.
type ResourceQuotaSpec struct {
	Hard          ResourceList         `json:"hard,omitempty"`
	Scopes        []ResourceQuotaScope `json:"scopes,omitempty"`
	ScopeSelector *ScopeSelector       `json:"scopeSelector,omitempty"`
}

// ResourceQuotaStatus is the enforced hard limits and the observed usage.
type ResourceQuotaStatus struct {
	Hard ResourceList `json:"hard,omitempty"`
	Used ResourceList `json:"used,omitempty"`
}

// ResourceQuotaScope selects a subset of the objects a quota counts.
type ResourceQuotaScope string

// The scopes of core/v1.
const (
	ResourceQuotaScopeTerminating    ResourceQuotaScope = "Terminating"
	ResourceQuotaScopeNotTerminating ResourceQuotaScope = "NotTerminating"
	ResourceQuotaScopeBestEffort     ResourceQuotaScope = "BestEffort"
	ResourceQuotaScopeNotBestEffort  ResourceQuotaScope = "NotBestEffort"
	ResourceQuotaScopePriorityClass  ResourceQuotaScope = "PriorityClass"
)

// ScopeSelector is a list of scope selector requirements, ANDed.
type ScopeSelector struct {
	MatchExpressions []ScopedResourceSelectorRequirement `json:"matchExpressions,omitempty"`
}

// ScopedResourceSelectorRequirement selects by a scope and its values.
type ScopedResourceSelectorRequirement struct {
	ScopeName ResourceQuotaScope `json:"scopeName"`
	// Operator is In, NotIn, Exists or DoesNotExist.
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// ResourceQuotaList is a list of ResourceQuotas.
type ResourceQuotaList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []ResourceQuota `json:"items"`
}

// Quota resource names that are not plain compute resources.
const (
	ResourceRequestsCPU    ResourceName = "requests.cpu"
	ResourceRequestsMemory ResourceName = "requests.memory"
	ResourceLimitsCPU      ResourceName = "limits.cpu"
	ResourceLimitsMemory   ResourceName = "limits.memory"
	ResourceServices       ResourceName = "services"
	ResourceConfigMaps     ResourceName = "configmaps"
	ResourceSecrets        ResourceName = "secrets"
	ResourceQuotas         ResourceName = "resourcequotas"
	ResourceNodePorts      ResourceName = "services.nodeports"
	ResourceLoadBalancers  ResourceName = "services.loadbalancers"

	ResourcePersistentVolumeClaims ResourceName = "persistentvolumeclaims"
	ResourceRequestsStorage        ResourceName = "requests.storage"
)

// StorageClassQuotaSuffix joins a StorageClass's name and a claim quota
// name: "gold.storageclass.storage.k8s.io/requests.storage".
const StorageClassQuotaSuffix = ".storageclass.storage.k8s.io/"

// QuotaCountName is the object-count quota name of a resource:
// count/pods, count/deployments.apps.
func QuotaCountName(info *ResourceInfo) ResourceName {
	return ResourceName("count/" + info.GroupResource())
}

// QuotaUsage is what one object counts against a ResourceQuota, as the
// quota evaluators of kube-apiserver v1.32 compute it: every object counts
// 1 under count/<resource>; pods, services, configmaps, secrets and
// resourcequotas also under their legacy name; a pod adds its requests and
// limits (the larger of the containers' sum and any one init container);
// a service its node ports and load balancers; a PersistentVolumeClaim
// counts under persistentvolumeclaims and its storage request under
// requests.storage, both also per StorageClass. A pod that has finished
// (Succeeded or Failed) counts nothing.
func QuotaUsage(info *ResourceInfo, obj Object) ResourceList {
	one := NewQuantity(1, DecimalSI)
	u := ResourceList{QuotaCountName(info): one}
	switch o := obj.(type) {
	case *Pod:
		if o.Status.Phase == PodSucceeded || o.Status.Phase == PodFailed {
			return ResourceList{}
		}
		u[ResourcePods] = one
		requests, limits := PodRequestsAndLimits(&o.Spec)
		for name, q := range requests {
			switch name {
			case ResourceCPU, ResourceMemory:
				u[name] = q
				u["requests."+name] = q
			}
		}
		for name, q := range limits {
			switch name {
			case ResourceCPU, ResourceMemory:
				u["limits."+name] = q
			}
		}
	case *Service:
		u[ResourceServices] = one
		switch o.Spec.Type {
		case ServiceTypeNodePort:
			u[ResourceNodePorts] = NewQuantity(int64(len(o.Spec.Ports)), DecimalSI)
		case ServiceTypeLoadBalancer:
			u[ResourceNodePorts] = NewQuantity(int64(len(o.Spec.Ports)), DecimalSI)
			u[ResourceLoadBalancers] = one
		}
	case *ConfigMap:
		u[ResourceConfigMaps] = one
	case *Secret:
		u[ResourceSecrets] = one
	case *ResourceQuota:
		u[ResourceQuotas] = one
	case *PersistentVolumeClaim:
		u[ResourcePersistentVolumeClaims] = one
		storage := o.Spec.Resources.Requests[ResourceStorage]
		u[ResourceRequestsStorage] = storage
		if o.Spec.StorageClassName != nil && *o.Spec.StorageClassName != "" {
			class := *o.Spec.StorageClassName + StorageClassQuotaSuffix
			u[ResourceName(class+string(ResourcePersistentVolumeClaims))] = one
			u[ResourceName(class+string(ResourceRequestsStorage))] = storage
		}
	}
	return u
}

// PodRequestsAndLimits sums the containers' requests and limits; an init
// container that asks for more than that sum raises it. (Sidecar init
// containers count as plain init containers: a kubesim simplification.)
func PodRequestsAndLimits(s *PodSpec) (requests, limits ResourceList) {
	requests, limits = ResourceList{}, ResourceList{}
	for _, c := range s.Containers {
		for n, q := range c.Resources.Requests {
			requests[n] = requests[n].Add(q)
		}
		for n, q := range c.Resources.Limits {
			limits[n] = limits[n].Add(q)
		}
	}
	for _, c := range s.InitContainers {
		for n, q := range c.Resources.Requests {
			if q.Cmp(requests[n]) > 0 {
				requests[n] = q
			}
		}
		for n, q := range c.Resources.Limits {
			if q.Cmp(limits[n]) > 0 {
				limits[n] = q
			}
		}
	}
	return requests, limits
}

// QuotaMatches reports whether a quota counts obj: a quota with scopes or
// a scopeSelector counts only pods that match every scope (Terminating:
// activeDeadlineSeconds set; BestEffort: no requests or limits in any
// container; PriorityClass: by spec.priorityClassName).
func QuotaMatches(q *ResourceQuota, obj Object) bool {
	var reqs []ScopedResourceSelectorRequirement
	for _, s := range q.Spec.Scopes {
		reqs = append(reqs, ScopedResourceSelectorRequirement{ScopeName: s, Operator: "Exists"})
	}
	if q.Spec.ScopeSelector != nil {
		reqs = append(reqs, q.Spec.ScopeSelector.MatchExpressions...)
	}
	if len(reqs) == 0 {
		return true
	}
	pod, ok := obj.(*Pod)
	if !ok {
		return false
	}
	for _, r := range reqs {
		if !podMatchesScope(pod, r) {
			return false
		}
	}
	return true
}

func podMatchesScope(p *Pod, r ScopedResourceSelectorRequirement) bool {
	bestEffort := true
	for _, cs := range [][]Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
				bestEffort = false
			}
		}
	}
	switch r.ScopeName {
	case ResourceQuotaScopeTerminating:
		return p.Spec.ActiveDeadlineSeconds != nil
	case ResourceQuotaScopeNotTerminating:
		return p.Spec.ActiveDeadlineSeconds == nil
	case ResourceQuotaScopeBestEffort:
		return bestEffort
	case ResourceQuotaScopeNotBestEffort:
		return !bestEffort
	case ResourceQuotaScopePriorityClass:
		in := false
		for _, v := range r.Values {
			if v == p.Spec.PriorityClassName {
				in = true
			}
		}
		switch r.Operator {
		case "In":
			return in
		case "NotIn":
			return !in
		case "Exists":
			return p.Spec.PriorityClassName != ""
		case "DoesNotExist":
			return p.Spec.PriorityClassName == ""
		}
	}
	return false
}

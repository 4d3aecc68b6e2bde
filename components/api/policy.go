package api

import "fmt"

// ---------------------------------------------------------------- PodDisruptionBudget (policy/v1)

// PodDisruptionBudget limits how many pods of a set may be down at once
// through voluntary disruptions (evictions).
type PodDisruptionBudget struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PodDisruptionBudgetSpec   `json:"spec,omitempty"`
	Status     PodDisruptionBudgetStatus `json:"status,omitempty"`
}

// PodDisruptionBudgetList is a list of PodDisruptionBudgets.
type PodDisruptionBudgetList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []PodDisruptionBudget `json:"items"`
}

// UnhealthyPodEvictionPolicyType says when unhealthy pods may be evicted.
type UnhealthyPodEvictionPolicyType string

// Unhealthy pod eviction policies.
const (
	// IfHealthyBudget: an unhealthy (running, not ready) pod may be
	// evicted only while the budget has currentHealthy >= desiredHealthy.
	IfHealthyBudget UnhealthyPodEvictionPolicyType = "IfHealthyBudget"
	// AlwaysAllow: an unhealthy pod may always be evicted.
	AlwaysAllow UnhealthyPodEvictionPolicyType = "AlwaysAllow"
)

// PodDisruptionBudgetSpec is the budget: at most one of minAvailable and
// maxUnavailable, each an absolute number or a percentage.
type PodDisruptionBudgetSpec struct {
	MinAvailable               *IntOrString                    `json:"minAvailable,omitempty"`
	Selector                   *LabelSelector                  `json:"selector,omitempty"`
	MaxUnavailable             *IntOrString                    `json:"maxUnavailable,omitempty"`
	UnhealthyPodEvictionPolicy *UnhealthyPodEvictionPolicyType `json:"unhealthyPodEvictionPolicy,omitempty"`
}

// PodDisruptionBudgetStatus is what the disruption controller observed.
type PodDisruptionBudgetStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// DisruptedPods maps a pod name to the time the eviction API let it
	// go; the controller drops entries once the pod is gone or after two
	// minutes.
	DisruptedPods      map[string]Time `json:"disruptedPods,omitempty"`
	DisruptionsAllowed int32           `json:"disruptionsAllowed"`
	CurrentHealthy     int32           `json:"currentHealthy"`
	DesiredHealthy     int32           `json:"desiredHealthy"`
	ExpectedPods       int32           `json:"expectedPods"`
	Conditions         []Condition     `json:"conditions,omitempty"`
}

// PDB condition type and reasons (policy/v1).
const (
	DisruptionAllowedCondition = "DisruptionAllowed"
	SyncFailedReason           = "SyncFailed"
	SufficientPodsReason       = "SufficientPods"
	InsufficientPodsReason     = "InsufficientPods"
)

// Eviction API texts (pkg/registry/core/pod/storage/eviction.go).
const (
	EvictionViolatesBudgetMessage = "Cannot evict pod as it would violate the pod's disruption budget."
	EvictionMultiplePDBsMessage   = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
	// CauseTypeDisruptionBudget is the StatusCause type of a refused eviction.
	CauseTypeDisruptionBudget = "DisruptionBudget"
)

// PodIsReady reports whether the pod's Ready condition is True.
func PodIsReady(p *Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == PodReady {
			return c.Status == ConditionTrue
		}
	}
	return false
}

// podIgnoresPDB reports whether an eviction of the pod skips budgets: it
// has Succeeded, Failed, is still Pending or is already being deleted
// (the eviction API's canIgnorePDB).
func podIgnoresPDB(p *Pod) bool {
	return p.Status.Phase == PodSucceeded || p.Status.Phase == PodFailed || p.Status.Phase == PodPending || p.DeletionTimestamp != nil
}

// PDBsForPod returns the budgets among pdbs, in their order, that select
// the pod: same namespace and a selector that matches its labels. A nil or
// empty selector selects nothing in policy/v1 terms for nil and everything
// for empty, as the real disruption controller's getPdbsForPod does.
func PDBsForPod(pod *Pod, pdbs []*PodDisruptionBudget) []*PodDisruptionBudget {
	var out []*PodDisruptionBudget
	for _, pdb := range pdbs {
		if pdb.Namespace != pod.Namespace || pdb.Spec.Selector == nil {
			continue
		}
		if SelectorMatches(pdb.Spec.Selector, pod.Labels) {
			out = append(out, pdb)
		}
	}
	return out
}

// EvictionVerdict is the answer of EvictionCheck.
type EvictionVerdict struct {
	// Allowed says the eviction may go ahead.
	Allowed bool
	// PDB is the budget that decided (nil when none selects the pod).
	PDB *PodDisruptionBudget
	// Decrement says an allowed eviction consumes one of the budget's
	// disruptionsAllowed (false for terminal pods and unhealthy pods let
	// go by the unhealthy pod eviction policy).
	Decrement bool
	// Code is the HTTP status of a refusal: 429 for a budget with no
	// disruptions left, 500 for a pod under more than one budget.
	Code int
	// Message and Cause are the refusal's texts as the eviction API
	// returns them.
	Message string
	Cause   string
}

// EvictionCheck answers "would evicting this pod violate a
// PodDisruptionBudget?" with the eviction API's rules over the given
// budgets (all of the cluster's or of the pod's namespace; those that do
// not select the pod are ignored): a pod that has Succeeded, Failed, is
// Pending or is being deleted is always evictable; a
// pod with no budget is evictable; more than one budget is refused (500);
// a pod that is not ready may be evicted under AlwaysAllow, or under
// IfHealthyBudget while currentHealthy >= desiredHealthy; otherwise the
// budget must have observed its current generation and have
// disruptionsAllowed > 0 (429 otherwise). It reads the budgets only; the
// eviction API itself then decrements the chosen one. A scheduler (e.g.
// preemption) can call it without importing the controllers.
func EvictionCheck(pod *Pod, pdbs []*PodDisruptionBudget) EvictionVerdict {
	if podIgnoresPDB(pod) {
		return EvictionVerdict{Allowed: true}
	}
	matched := PDBsForPod(pod, pdbs)
	switch len(matched) {
	case 0:
		return EvictionVerdict{Allowed: true}
	case 1:
	default:
		return EvictionVerdict{Code: 500, Message: EvictionMultiplePDBsMessage}
	}
	pdb := matched[0]
	v := EvictionVerdict{PDB: pdb}
	if !PodIsReady(pod) {
		policy := IfHealthyBudget
		if pdb.Spec.UnhealthyPodEvictionPolicy != nil {
			policy = *pdb.Spec.UnhealthyPodEvictionPolicy
		}
		if policy == AlwaysAllow || pdb.Status.ObservedGeneration == pdb.Generation && pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0 {
			v.Allowed = true
			return v
		}
	}
	if pdb.Status.ObservedGeneration < pdb.Generation {
		// The real API answers this with a conflict-style 429 too.
		v.Code, v.Message = 429, EvictionViolatesBudgetMessage
		v.Cause = fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdb.Name)
		return v
	}
	if pdb.Status.DisruptionsAllowed <= 0 {
		v.Code, v.Message = 429, EvictionViolatesBudgetMessage
		v.Cause = fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)
		return v
	}
	v.Allowed, v.Decrement = true, true
	return v
}

// WouldViolatePDB reports whether evicting the pod would violate one of
// the budgets (EvictionCheck refuses it).
func WouldViolatePDB(pod *Pod, pdbs []*PodDisruptionBudget) bool {
	return !EvictionCheck(pod, pdbs).Allowed
}

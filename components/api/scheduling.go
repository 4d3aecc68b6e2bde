package api

// scheduling.k8s.io/v1 PriorityClass.

// ---------------------------------------------------------------- PriorityClass

// Priority values of the built-in classes and the ceiling of user classes,
// as kube-apiserver v1.32 defines them.
const (
	// HighestUserDefinablePriority is the largest value a PriorityClass
	// whose name does not start with SystemPriorityClassPrefix may have.
	HighestUserDefinablePriority int32 = 1000000000
	// SystemCriticalPriority is the lowest value of the system classes.
	SystemCriticalPriority int32 = 2 * HighestUserDefinablePriority
	// SystemPriorityClassPrefix starts the names reserved for the system.
	SystemPriorityClassPrefix = "system-"
	// SystemClusterCritical and SystemNodeCritical are the built-in classes.
	SystemClusterCritical = SystemPriorityClassPrefix + "cluster-critical"
	SystemNodeCritical    = SystemPriorityClassPrefix + "node-critical"
)

// PriorityClass maps a priority class name to the integer priority that the
// Priority admission plugin writes into a pod's spec.priority. It is
// cluster-scoped.
type PriorityClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Value is the priority of pods that name this class.
	Value int32 `json:"value"`
	// GlobalDefault makes this the class of pods that name none; at most
	// one class may set it.
	GlobalDefault bool `json:"globalDefault,omitempty"`
	// Description says when to use the class.
	Description string `json:"description,omitempty"`
	// PreemptionPolicy is written into the pods of the class; defaults to
	// PreemptLowerPriority.
	PreemptionPolicy *PreemptionPolicy `json:"preemptionPolicy,omitempty"`
}

// PriorityClassList is a list of PriorityClasses.
type PriorityClassList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []PriorityClass `json:"items"`
}

// SystemPriorityClasses returns the classes kube-apiserver creates at boot
// (its scheduling post-start hook), with their real values and descriptions.
func SystemPriorityClasses() []*PriorityClass {
	policy := PreemptLowerPriority
	mk := func(name string, value int32, desc string) *PriorityClass {
		p := policy
		return &PriorityClass{TypeMeta: TypeMeta{Kind: "PriorityClass", APIVersion: "scheduling.k8s.io/v1"},
			ObjectMeta: ObjectMeta{Name: name}, Value: value, Description: desc, PreemptionPolicy: &p}
	}
	return []*PriorityClass{
		mk(SystemNodeCritical, SystemCriticalPriority+1000, "Used for system critical pods that must not be moved from their current node."),
		mk(SystemClusterCritical, SystemCriticalPriority, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
	}
}

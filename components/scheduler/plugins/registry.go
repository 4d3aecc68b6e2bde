package plugins

import (
	"math/rand/v2"

	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// Names of the in-tree plugins, as they appear in profiles.
const (
	NodeUnschedulableName           = "NodeUnschedulable"
	NodeNameName                    = "NodeName"
	TaintTolerationName             = "TaintToleration"
	NodeAffinityName                = "NodeAffinity"
	NodePortsName                   = "NodePorts"
	NodeResourcesFitName            = "NodeResourcesFit"
	PodTopologySpreadName           = "PodTopologySpread"
	InterPodAffinityName            = "InterPodAffinity"
	NodeResourcesBalancedAllocation = "NodeResourcesBalancedAllocation"
	DefaultPreemptionName           = "DefaultPreemption"
	DefaultBinderName               = "DefaultBinder"
)

// NewInTreeRegistry returns a registry with every plugin of this package.
// Add your own with Register before building a scheduler.
func NewInTreeRegistry() framework.Registry {
	return framework.Registry{
		NodeUnschedulableName:           newNodeUnschedulable,
		NodeNameName:                    newNodeName,
		TaintTolerationName:             newTaintToleration,
		NodeAffinityName:                newNodeAffinity,
		NodePortsName:                   newNodePorts,
		NodeResourcesFitName:            newFit,
		VolumeBindingName:               newVolumeBinding,
		PodTopologySpreadName:           newPodTopologySpread,
		InterPodAffinityName:            newInterPodAffinity,
		DefaultPreemptionName:           newDefaultPreemption,
		NodeResourcesBalancedAllocation: newBalancedAllocation,
		DefaultBinderName:               newDefaultBinder,
	}
}

// DefaultProfile is the default-scheduler profile of kube-scheduler
// (v1.32+), restricted to the plugins kubesim implements, in the same
// order and with the same score weights:
//
//	NodeUnschedulable, NodeName, TaintToleration (3), NodeAffinity (2),
//	NodePorts, NodeResourcesFit (1), VolumeBinding, PodTopologySpread (2),
//	InterPodAffinity (2), DefaultPreemption,
//	NodeResourcesBalancedAllocation (1), DefaultBinder
//
// Left out: the other volume plugins (VolumeRestrictions,
// NodeVolumeLimits, VolumeZone), ImageLocality and SchedulingGates;
// PrioritySort is the scheduling queue's built-in order. DefaultPreemption
// decides and the scheduler actor evicts (see its doc).
func DefaultProfile() framework.Profile {
	return framework.Profile{
		SchedulerName: "default-scheduler",
		Plugins: []framework.PluginSpec{
			{Name: NodeUnschedulableName},
			{Name: NodeNameName},
			{Name: TaintTolerationName, Weight: 3},
			{Name: NodeAffinityName, Weight: 2},
			{Name: NodePortsName},
			{Name: NodeResourcesFitName, Weight: 1},
			{Name: VolumeBindingName},
			{Name: PodTopologySpreadName, Weight: 2},
			{Name: InterPodAffinityName, Weight: 2},
			{Name: DefaultPreemptionName},
			{Name: NodeResourcesBalancedAllocation, Weight: 1},
			{Name: DefaultBinderName},
		},
	}
}

// DefaultConfig is a scheduler configuration with the in-tree registry and
// the default profile, breaking ties with rng.
func DefaultConfig(rng *rand.Rand) framework.Config {
	return framework.Config{
		Registry: NewInTreeRegistry(),
		Profiles: []framework.Profile{DefaultProfile()},
		Rand:     rng,
	}
}

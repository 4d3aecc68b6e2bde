package framework

import (
	"maps"
	"reflect"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// EventResource is the kind of object a cluster event is about.
type EventResource string

// Event resources. Pod events are about assigned pods (pods bound to a
// node): those are the ones that can make room, or create the peers that
// affinity asks for. WildCard is used by events that concern every pod.
const (
	Node     EventResource = "Node"
	Pod      EventResource = "Pod"
	WildCard EventResource = "*"
)

// ActionType is a bit set of what happened to the object.
type ActionType uint32

// Action types. The Update* bits split an update into what matters to
// scheduling, so that, for example, a node's heartbeat (a condition change)
// does not wake pods waiting for more cpu.
const (
	Add ActionType = 1 << iota
	Delete
	UpdateNodeAllocatable
	UpdateNodeLabel
	UpdateNodeTaint
	UpdateNodeCondition
	UpdatePodLabel
	UpdatePodScaleDown
	// updateOther is any update not covered by a specific bit.
	updateOther

	// Update is every kind of update.
	Update = UpdateNodeAllocatable | UpdateNodeLabel | UpdateNodeTaint | UpdateNodeCondition |
		UpdatePodLabel | UpdatePodScaleDown | updateOther
	// All is every action.
	All = Add | Delete | Update
)

var actionNames = []struct {
	a    ActionType
	name string
}{
	{Add, "Add"}, {Delete, "Delete"},
	{UpdateNodeAllocatable, "UpdateNodeAllocatable"}, {UpdateNodeLabel, "UpdateNodeLabel"},
	{UpdateNodeTaint, "UpdateNodeTaint"}, {UpdateNodeCondition, "UpdateNodeCondition"},
	{UpdatePodLabel, "UpdatePodLabel"}, {UpdatePodScaleDown, "UpdatePodScaleDown"},
	{updateOther, "Update"},
}

// String names the bits set, joined with "|".
func (a ActionType) String() string {
	switch a {
	case All:
		return "All"
	case Update:
		return "Update"
	}
	var parts []string
	for _, n := range actionNames {
		if a&n.a != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

// ClusterEvent is something that happened in the cluster and may make an
// unschedulable pod schedulable.
type ClusterEvent struct {
	Resource   EventResource
	ActionType ActionType
	// CustomLabel overrides Label, for the queue's internal events.
	CustomLabel string
}

// Label names the event as the real scheduler's metrics do: "NodeAdd",
// "AssignedPodDelete", "UnschedulableTimeout".
func (e ClusterEvent) Label() string {
	if e.CustomLabel != "" {
		return e.CustomLabel
	}
	res := string(e.Resource)
	if e.Resource == Pod {
		res = "AssignedPod"
	}
	return res + e.ActionType.String()
}

// IsWildCard reports whether the event concerns every pod regardless of
// what rejected it.
func (e ClusterEvent) IsWildCard() bool { return e.Resource == WildCard && e.ActionType == All }

// Match reports whether a plugin that registered e is interested in the
// event got.
func (e ClusterEvent) Match(got ClusterEvent) bool {
	return got.IsWildCard() || ((e.Resource == WildCard || e.Resource == got.Resource) && e.ActionType&got.ActionType != 0)
}

// Well-known events.
var (
	EventNodeAdd           = ClusterEvent{Resource: Node, ActionType: Add}
	EventNodeDelete        = ClusterEvent{Resource: Node, ActionType: Delete}
	EventAssignedPodAdd    = ClusterEvent{Resource: Pod, ActionType: Add}
	EventAssignedPodUpdate = ClusterEvent{Resource: Pod, ActionType: Update}
	EventAssignedPodDelete = ClusterEvent{Resource: Pod, ActionType: Delete}
	// EventUnschedulableTimeout is what the queue uses when it flushes pods
	// that stayed unschedulable too long.
	EventUnschedulableTimeout = ClusterEvent{Resource: WildCard, ActionType: All, CustomLabel: "UnschedulableTimeout"}
	// EventForceActivate moves pods unconditionally.
	EventForceActivate = ClusterEvent{Resource: WildCard, ActionType: All, CustomLabel: "ForceActivate"}
)

// QueueingHint is a plugin's verdict on whether an event may make a pod it
// rejected schedulable.
type QueueingHint int

// Queueing hints.
const (
	// QueueSkip: the event cannot help; leave the pod where it is.
	QueueSkip QueueingHint = iota
	// Queue: the event may help; retry the pod (after its backoff).
	Queue
)

// String returns "QueueSkip" or "Queue".
func (h QueueingHint) String() string {
	if h == Queue {
		return "Queue"
	}
	return "QueueSkip"
}

// QueueingHintFn decides, for a pod the plugin rejected, whether an event
// may make it schedulable. oldObj and newObj are *api.Node or *api.Pod (nil
// for adds and deletes respectively). An error counts as Queue.
type QueueingHintFn func(pod *api.Pod, oldObj, newObj any) (QueueingHint, error)

// ClusterEventWithHint is an event a plugin registers, with an optional
// hint function; without one every matching event requeues the pod.
type ClusterEventWithHint struct {
	Event          ClusterEvent
	QueueingHintFn QueueingHintFn
}

// NodeUpdateEvents splits a node update into the events that matter to
// scheduling, in the order the real scheduler checks them. A cordon or
// uncordon (spec.unschedulable) counts as a taint change, since that is
// what it amounts to. An update that changes none of these returns nil.
func NodeUpdateEvents(oldNode, newNode *api.Node) []ClusterEvent {
	var out []ClusterEvent
	if oldNode.Spec.Unschedulable != newNode.Spec.Unschedulable && !newNode.Spec.Unschedulable {
		out = append(out, ClusterEvent{Resource: Node, ActionType: UpdateNodeTaint})
	}
	if !resourceListEqual(oldNode.Status.Allocatable, newNode.Status.Allocatable) {
		out = append(out, ClusterEvent{Resource: Node, ActionType: UpdateNodeAllocatable})
	}
	if !maps.Equal(oldNode.Labels, newNode.Labels) {
		out = append(out, ClusterEvent{Resource: Node, ActionType: UpdateNodeLabel})
	}
	if !reflect.DeepEqual(oldNode.Spec.Taints, newNode.Spec.Taints) {
		out = append(out, ClusterEvent{Resource: Node, ActionType: UpdateNodeTaint})
	}
	if !conditionsEqual(oldNode.Status.Conditions, newNode.Status.Conditions) {
		out = append(out, ClusterEvent{Resource: Node, ActionType: UpdateNodeCondition})
	}
	return out
}

// AssignedPodUpdateEvents splits an update of a bound pod: a label change
// (affinity and spreading care) and a scale-down of its requests (fit
// cares); anything else is a plain update.
func AssignedPodUpdateEvents(oldPod, newPod *api.Pod) []ClusterEvent {
	var out []ClusterEvent
	if !maps.Equal(oldPod.Labels, newPod.Labels) {
		out = append(out, ClusterEvent{Resource: Pod, ActionType: UpdatePodLabel})
	}
	o := ComputePodRequests(oldPod, PodRequestsOptions{})
	n := ComputePodRequests(newPod, PodRequestsOptions{})
	if n.MilliCPU < o.MilliCPU || n.Memory < o.Memory || n.EphemeralStorage < o.EphemeralStorage {
		out = append(out, ClusterEvent{Resource: Pod, ActionType: UpdatePodScaleDown})
	}
	if len(out) == 0 {
		out = append(out, ClusterEvent{Resource: Pod, ActionType: updateOther})
	}
	return out
}

func resourceListEqual(a, b api.ResourceList) bool {
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

// conditionsEqual compares condition types and statuses, ignoring the
// heartbeat timestamps that change on every kubelet status update.
func conditionsEqual(a, b []api.NodeCondition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Status != b[i].Status {
			return false
		}
	}
	return true
}

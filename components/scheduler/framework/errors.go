package framework

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// ErrNoNodesAvailable is the error of a cycle run on a cluster without
// nodes.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// Diagnosis explains why no node fit.
type Diagnosis struct {
	// NodeToStatus has the status of every rejected node.
	NodeToStatus *NodeToStatus
	// UnschedulablePlugins are the plugins that rejected the pod somewhere,
	// sorted: the queue retries the pod on the events they registered.
	UnschedulablePlugins []string
	// PreFilterMsg is set when a PreFilter rejected the pod outright.
	PreFilterMsg string
	// PostFilterMsg is what the PostFilter plugins said.
	PostFilterMsg string
}

func (d *Diagnosis) addPluginStatus(s *Status) {
	if s.Plugin() == "" || !s.IsRejected() {
		return
	}
	for _, p := range d.UnschedulablePlugins {
		if p == s.Plugin() {
			return
		}
	}
	d.UnschedulablePlugins = append(d.UnschedulablePlugins, s.Plugin())
}

// FitError is the error of a cycle in which no node fit the pod. Its
// Error() is the FailedScheduling event message, built exactly as the real
// scheduler builds it:
//
//	0/5 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) were unschedulable. preemption: 0/5 nodes are available: 1 No preemption victims found for incoming pod, 4 Preemption is not helpful for scheduling.
//
// Each reason is counted once per node that reported it (a node short of cpu
// and memory counts for both), the "<count> <reason>" strings are sorted as
// strings — so "10 ..." sorts before "2 ..." — and joined with ", ". When a
// PreFilter plugin rejected the pod, its message replaces the per-node
// counts; PostFilter messages (DefaultPreemption's "preemption: ...") are
// appended as they are, without a full stop of their own.
type FitError struct {
	Pod         *api.Pod
	NumAllNodes int
	Diagnosis   Diagnosis
}

// Error renders the FailedScheduling message.
func (f *FitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "0/%v nodes are available:", f.NumAllNodes)
	if f.Diagnosis.PreFilterMsg != "" {
		fmt.Fprintf(&b, " %v.", f.Diagnosis.PreFilterMsg)
	} else if sorted := f.Reasons(); len(sorted) > 0 {
		fmt.Fprintf(&b, " %v.", strings.Join(sorted, ", "))
	}
	if f.Diagnosis.PostFilterMsg != "" {
		// No full stop of its own: preemption's message is a FitError
		// message that has one already.
		fmt.Fprintf(&b, " %v", f.Diagnosis.PostFilterMsg)
	}
	return b.String()
}

// Reasons returns the "<count> <reason>" strings of the message, sorted.
func (f *FitError) Reasons() []string {
	counts := map[string]int{}
	m := f.Diagnosis.NodeToStatus
	if m != nil {
		for _, s := range m.statuses {
			for _, r := range s.Reasons() {
				counts[r]++
			}
		}
		if absent := f.NumAllNodes - m.Len(); absent > 0 {
			for _, r := range m.AbsentNodesStatus().Reasons() {
				counts[r] += absent
			}
		}
	}
	out := make([]string, 0, len(counts))
	for r, n := range counts {
		out = append(out, fmt.Sprintf("%v %v", n, r))
	}
	sort.Strings(out)
	return out
}

package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/stretchr/testify/assert"
)

var epoch = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

type podOpt func(*api.Pod)

func mkPod(name string, opts ...podOpt) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: api.NewTime(epoch.Add(-time.Hour))},
		Status: api.PodStatus{Phase: api.PodPending}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func onNode(n string) podOpt       { return func(p *api.Pod) { p.Spec.NodeName = n } }
func phase(ph api.PodPhase) podOpt { return func(p *api.Pod) { p.Status.Phase = ph } }
func readySince(ago time.Duration) podOpt {
	return func(p *api.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, api.PodCondition{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(epoch.Add(-ago))})
	}
}
func cost(c string) podOpt {
	return func(p *api.Pod) { p.Annotations = map[string]string{api.AnnotationPodDeletionCost: c} }
}
func restarts(n int32) podOpt {
	return func(p *api.Pod) { p.Status.ContainerStatuses = []api.ContainerStatus{{Name: "c", RestartCount: n}} }
}
func created(ago time.Duration) podOpt {
	return func(p *api.Pod) { p.CreationTimestamp = api.NewTime(epoch.Add(-ago)) }
}

func TestScaleDownOrder(t *testing.T) {
	running := []podOpt{onNode("n1"), phase(api.PodRunning)}
	tests := []struct {
		name    string
		pods    []*api.Pod
		related []*api.Pod // extra pods of sibling ReplicaSets
		want    string     // the first to go
	}{
		{name: "unassigned before assigned", pods: []*api.Pod{mkPod("assigned", onNode("n1")), mkPod("unassigned")}, want: "unassigned"},
		{name: "pending before running", pods: []*api.Pod{mkPod("running", running...), mkPod("pending", onNode("n1"))}, want: "pending"},
		{name: "unknown before running", pods: []*api.Pod{mkPod("running", running...), mkPod("unknown", onNode("n1"), phase(api.PodUnknown))}, want: "unknown"},
		{name: "not ready before ready", pods: []*api.Pod{mkPod("ready", append(running, readySince(time.Hour))...), mkPod("notready", running...)}, want: "notready"},
		{name: "lower deletion cost first", pods: []*api.Pod{mkPod("cheap", append(running, cost("-10"))...), mkPod("dear", append(running, cost("100"))...)}, want: "cheap"},
		{name: "deletion cost beats readiness age", pods: []*api.Pod{mkPod("young", append(running, readySince(time.Minute), cost("5"))...), mkPod("old", append(running, readySince(10*time.Hour))...)}, want: "old"},
		{name: "more siblings on the node first", pods: []*api.Pod{mkPod("alone", onNode("n2"), phase(api.PodRunning)), mkPod("crowded", running...)},
			related: []*api.Pod{mkPod("sibling", running...)}, want: "crowded"},
		{name: "most recently ready first", pods: []*api.Pod{mkPod("old", append(running, readySince(10*time.Hour))...), mkPod("young", append(running, readySince(time.Minute))...)}, want: "young"},
		{name: "ready at a similar age ties; more restarts first", pods: []*api.Pod{mkPod("stable", append(running, readySince(70*time.Second))...), mkPod("flappy", append(running, readySince(65*time.Second), restarts(3))...)}, want: "flappy"},
		{name: "newer first", pods: []*api.Pod{mkPod("old", append(running, created(10*time.Hour))...), mkPod("new", append(running, created(time.Minute))...)}, want: "new"},
		{name: "full tie: name order", pods: []*api.Pod{mkPod("b", running...), mkPod("a", running...)}, want: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			related := append(append([]*api.Pod(nil), tt.pods...), tt.related...)
			got := controllers.PodsToDelete(tt.pods, related, 1, epoch)
			assert.Equal(t, tt.want, got[0].Name)
		})
	}
}

package plugins_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// TestDefaultPreemptionMessage checks DefaultPreemption's part of the
// FailedScheduling message, worded as kube-scheduler v1.32 words it: nodes
// rejected as Unschedulable are where preemption might help ("No
// preemption victims found" when no pod there has a lower priority), every
// other node is "not helpful".
func TestDefaultPreemptionMessage(t *testing.T) {
	never := api.PreemptNever
	tests := []struct {
		name     string
		nodes    []*api.Node
		existing []*api.Pod
		pod      *api.Pod
		wantMsg  string
	}{
		{
			name:    "taints and a node selector: preemption cannot help",
			nodes:   []*api.Node{smallNode("cp").Taint(api.TaintControlPlane, "", api.TaintEffectNoSchedule).Obj(), smallNode("w1").Obj(), smallNode("w2").Obj()},
			pod:     st.MakePod("p").NodeSelector(map[string]string{"disktype": "ssd"}).Obj(),
			wantMsg: "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
		},
		{
			name:     "insufficient cpu next to pods of the same priority: no victims",
			nodes:    []*api.Node{smallNode("w1").Obj(), smallNode("w2").Obj()},
			existing: []*api.Pod{st.MakePod("a").Req("2", "1Gi").Node("w1").Obj(), st.MakePod("b").Req("2", "1Gi").Node("w2").Obj()},
			pod:      st.MakePod("p").Req("1", "1Gi").Obj(),
			wantMsg:  "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
		},
		{
			name:     "higher-priority pods are no victims either",
			nodes:    []*api.Node{smallNode("w1").Obj()},
			existing: []*api.Pod{st.MakePod("critical").Req("2", "1Gi").Priority(2000001000).Node("w1").Obj()},
			pod:      st.MakePod("p").Req("1", "1Gi").Obj(),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name:     "lower-priority pods are victims: preemption succeeds, so the message has no preemption sentence",
			nodes:    []*api.Node{smallNode("w1").Obj(), smallNode("w2").Taint("dedicated", "gpu", api.TaintEffectNoSchedule).Obj()},
			existing: []*api.Pod{st.MakePod("batch").Req("2", "1Gi").Node("w1").Obj()},
			pod:      st.MakePod("p").Req("1", "1Gi").Priority(1000).Obj(),
			wantMsg:  "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.",
		},
		{
			name:     "removing every lower-priority pod is not enough: the filter's reason",
			nodes:    []*api.Node{smallNode("w1").Obj()},
			existing: []*api.Pod{st.MakePod("batch").Req("1", "1Gi").Node("w1").Obj()},
			pod:      st.MakePod("p").Req("3", "1Gi").Priority(1000).Obj(),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.",
		},
		{
			name:     "preemptionPolicy Never",
			nodes:    []*api.Node{smallNode("w1").Obj()},
			existing: []*api.Pod{st.MakePod("a").Req("2", "1Gi").Node("w1").Obj()},
			pod: func() *api.Pod {
				p := st.MakePod("p").Req("1", "1Gi").Obj()
				p.Spec.PreemptionPolicy = &never
				return p
			}(),
			wantMsg: "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newDefaultScheduler(t, 1, tc.nodes, tc.existing)
			assert.Equal(t, tc.wantMsg, failure(t, s, tc.pod))
		})
	}
}

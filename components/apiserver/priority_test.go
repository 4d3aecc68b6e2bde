package apiserver_test

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Priority admission plugin resolves spec.priorityClassName to
// spec.priority with kube-apiserver v1.32's refusals.
func TestPriorityAdmission(t *testing.T) {
	never := api.PreemptNever
	tests := []struct {
		name         string
		pod          func(*api.Pod)
		wantPriority int32
		wantErr      string
	}{
		{name: "no class is priority 0", wantPriority: 0},
		{name: "system-node-critical", pod: func(p *api.Pod) { p.Spec.PriorityClassName = "system-node-critical" }, wantPriority: 2000001000},
		{name: "system-cluster-critical", pod: func(p *api.Pod) { p.Spec.PriorityClassName = "system-cluster-critical" }, wantPriority: 2000000000},
		{name: "the class's own value may be given", pod: func(p *api.Pod) {
			p.Spec.PriorityClassName = "system-cluster-critical"
			p.Spec.Priority = ptrTo(int32(2000000000))
		}, wantPriority: 2000000000},
		{name: "unknown class", pod: func(p *api.Pod) { p.Spec.PriorityClassName = "high" },
			wantErr: `pods "web" is forbidden: no PriorityClass with name high was found`},
		{name: "priority without class", pod: func(p *api.Pod) { p.Spec.Priority = ptrTo(int32(5)) },
			wantErr: `pods "web" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`},
		{name: "priority other than the class's", pod: func(p *api.Pod) {
			p.Spec.PriorityClassName = "system-node-critical"
			p.Spec.Priority = ptrTo(int32(7))
		}, wantErr: `pods "web" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 2000001000 from the given PriorityClass name`},
		{name: "preemptionPolicy other than the class's", pod: func(p *api.Pod) {
			p.Spec.PriorityClassName = "system-node-critical"
			p.Spec.PreemptionPolicy = &never
		}, wantErr: `pods "web" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name`},
	}
	c := boot(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := pod("web")
			if tc.wantErr == "" {
				in = pod(fmt.Sprintf("ok-%d", i)) // a created pod keeps its name
			}
			if tc.pod != nil {
				tc.pod(in)
			}
			obj, err := c.Admin.Create(in)
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			p := obj.(*api.Pod)
			require.NotNil(t, p.Spec.Priority)
			assert.Equal(t, tc.wantPriority, *p.Spec.Priority)
			require.NotNil(t, p.Spec.PreemptionPolicy)
			assert.Equal(t, api.PreemptLowerPriority, *p.Spec.PreemptionPolicy)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

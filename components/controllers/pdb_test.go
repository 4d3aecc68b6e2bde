package controllers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
)

func pdbPods(ready, notReady, deleting int) []*api.Pod {
	var out []*api.Pod
	add := func(n int, st api.ConditionStatus, del bool) {
		for i := 0; i < n; i++ {
			p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p-%d", len(out)), Namespace: "default"}}
			p.Status.Phase = api.PodRunning
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: st}}
			if del {
				ts := api.NewTime(time.Unix(0, 0))
				p.DeletionTimestamp = &ts
			}
			out = append(out, p)
		}
	}
	add(ready, api.ConditionTrue, false)
	add(notReady, api.ConditionFalse, false)
	add(deleting, api.ConditionTrue, true)
	return out
}

func TestComputePDBStatus(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name              string
		pods              []*api.Pod
		disrupted         map[string]time.Time
		expected, desired int32
		healthy, allowed  int32
		reason            string
		keptDisrupted     int
	}{
		{name: "three ready, need two", pods: pdbPods(3, 0, 0), expected: 3, desired: 2, healthy: 3, allowed: 1, reason: api.SufficientPodsReason},
		{name: "not ready pods are not healthy", pods: pdbPods(2, 1, 0), expected: 3, desired: 2, healthy: 2, allowed: 0, reason: api.InsufficientPodsReason},
		{name: "terminating pods are not healthy", pods: pdbPods(2, 0, 1), expected: 3, desired: 1, healthy: 2, allowed: 1, reason: api.SufficientPodsReason},
		{name: "no expected pods allows nothing", pods: nil, expected: 0, desired: 0, healthy: 0, allowed: 0, reason: api.InsufficientPodsReason},
		{name: "a fresh disrupted pod does not count", pods: pdbPods(3, 0, 0), disrupted: map[string]time.Time{"p-0": now.Add(-time.Minute)},
			expected: 3, desired: 2, healthy: 2, allowed: 0, reason: api.InsufficientPodsReason, keptDisrupted: 1},
		{name: "a disrupted entry expires after two minutes", pods: pdbPods(3, 0, 0), disrupted: map[string]time.Time{"p-0": now.Add(-3 * time.Minute)},
			expected: 3, desired: 2, healthy: 3, allowed: 1, reason: api.SufficientPodsReason},
		{name: "a disrupted entry of a gone pod is dropped", pods: pdbPods(2, 0, 0), disrupted: map[string]time.Time{"gone": now},
			expected: 2, desired: 1, healthy: 2, allowed: 1, reason: api.SufficientPodsReason},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "b", Namespace: "default", Generation: 4}}
			for n, at := range tc.disrupted {
				if pdb.Status.DisruptedPods == nil {
					pdb.Status.DisruptedPods = map[string]api.Time{}
				}
				pdb.Status.DisruptedPods[n] = api.NewTime(at)
			}
			st, _ := controllers.ComputePDBStatus(pdb, tc.pods, tc.expected, tc.desired, now)
			assert.Equal(t, tc.healthy, st.CurrentHealthy, "currentHealthy")
			assert.Equal(t, tc.allowed, st.DisruptionsAllowed, "disruptionsAllowed")
			assert.Equal(t, tc.expected, st.ExpectedPods)
			assert.Equal(t, tc.desired, st.DesiredHealthy)
			assert.Equal(t, int64(4), st.ObservedGeneration)
			assert.Len(t, st.DisruptedPods, tc.keptDisrupted)
			if assert.Len(t, st.Conditions, 1) {
				assert.Equal(t, api.DisruptionAllowedCondition, st.Conditions[0].Type)
				assert.Equal(t, tc.reason, st.Conditions[0].Reason)
			}
		})
	}
}

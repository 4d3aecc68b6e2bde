package controllers

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/require"
)

func readyPods(usage ...int64) []hpaPodSample {
	var out []hpaPodSample
	for i, u := range usage {
		out = append(out, hpaPodSample{Name: string(rune('a' + i)), State: hpaPodReady, RequestMilli: 200, UsageMilli: u})
	}
	return out
}

// The replica calculator follows the documented algorithm:
// desired = ceil(current * currentUtilization / target), unchanged within
// the 0.1 tolerance, with missing and unready pods counted conservatively.
func TestResourceReplicas(t *testing.T) {
	missing := func(name string) hpaPodSample {
		return hpaPodSample{Name: name, State: hpaPodMissing, RequestMilli: 200}
	}
	unready := func(name string) hpaPodSample {
		return hpaPodSample{Name: name, State: hpaPodUnready, RequestMilli: 200}
	}
	cases := []struct {
		name        string
		current     int32
		target      int32
		pods        []hpaPodSample
		want        int32
		utilization int32
	}{
		// 200m requested each; 100% use at target 50% doubles.
		{"doubles at twice the target", 1, 50, readyPods(200), 2, 100},
		// 73% of 50% -> ratio 1.46 -> ceil(3*1.46)=5.
		{"ceil of ratio times ready pods", 3, 50, readyPods(146, 146, 146), 5, 73},
		// 54% / 50% = 1.08 is within tolerance.
		{"within tolerance above", 2, 50, readyPods(108, 108), 2, 54},
		// 45% / 50% = 0.9 is exactly at the tolerance edge: unchanged.
		{"tolerance edge below", 2, 50, readyPods(90, 90), 2, 45},
		// 44% / 50% = 0.88 scales down: ceil(4*0.88)=4? 3.52 -> 4 unchanged
		{"scale down rounds up", 4, 50, readyPods(88, 88, 88, 88), 4, 44},
		{"scale down", 4, 50, readyPods(20, 20, 20, 20), 1, 10},
		// A missing pod on a scale up counts as 0: (200+0)/400 = 50% -> ratio
		// 1.0 within tolerance, unchanged.
		{"missing pod damps scale up", 2, 50, append(readyPods(200), missing("m")), 2, 100},
		// A missing pod on a scale down counts at 100% of request:
		// (20 + 200)/400 = 55% -> 1.1 flips direction, unchanged.
		{"missing pod blocks scale down", 2, 50, append(readyPods(20), missing("m")), 2, 10},
		// An unready pod counts as 0 on scale up: (400+0)/400 = 100%/50 -> 2 ->
		// ceil(2*2)=4.
		{"unready pod counts zero on scale up", 2, 50, append(readyPods(400), unready("u")), 4, 200},
		// Unready pods are left out of a scale down.
		{"unready pod ignored on scale down", 2, 50, append(readyPods(20), unready("u")), 1, 10},
		{"ignored pods do not count", 1, 50, append(readyPods(200), hpaPodSample{Name: "x", State: hpaPodIgnored}), 2, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := resourceReplicas(c.current, c.target, api.ResourceCPU, c.pods)
			require.NoError(t, err)
			require.Equal(t, c.want, got.Replicas)
			require.Equal(t, c.utilization, got.Utilization)
		})
	}
}

func TestResourceReplicasErrors(t *testing.T) {
	_, err := resourceReplicas(1, 50, api.ResourceCPU, nil)
	require.EqualError(t, err, "no pods returned by selector while calculating replica count")
	_, err = resourceReplicas(1, 50, api.ResourceCPU, []hpaPodSample{{Name: "p", State: hpaPodReady, UsageMilli: 3, MissingRequest: "app"}})
	require.EqualError(t, err, "missing request for cpu in container app of Pod p")
	_, err = resourceReplicas(1, 50, api.ResourceCPU, []hpaPodSample{{Name: "p", State: hpaPodMissing, RequestMilli: 100}})
	require.Error(t, err)
}

func defaultedHPA(minR, maxR int32) *api.HorizontalPodAutoscaler {
	h := &api.HorizontalPodAutoscaler{Spec: api.HorizontalPodAutoscalerSpec{MinReplicas: &minR, MaxReplicas: maxR}}
	api.SetHPADefaults(h)
	return h
}

func TestSetHPADefaults(t *testing.T) {
	h := &api.HorizontalPodAutoscaler{Spec: api.HorizontalPodAutoscalerSpec{MaxReplicas: 10}}
	api.SetHPADefaults(h)
	require.Equal(t, int32(1), *h.Spec.MinReplicas)
	up, down := h.Spec.Behavior.ScaleUp, h.Spec.Behavior.ScaleDown
	require.Equal(t, int32(0), *up.StabilizationWindowSeconds)
	require.Equal(t, api.MaxChangePolicySelect, *up.SelectPolicy)
	require.Equal(t, []api.HPAScalingPolicy{{Type: api.PodsScalingPolicy, Value: 4, PeriodSeconds: 15}, {Type: api.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}, up.Policies)
	require.Equal(t, int32(300), *down.StabilizationWindowSeconds)
	require.Equal(t, []api.HPAScalingPolicy{{Type: api.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}, down.Policies)

	// A partly given direction keeps what was given.
	w := int32(60)
	h = &api.HorizontalPodAutoscaler{Spec: api.HorizontalPodAutoscalerSpec{MaxReplicas: 10,
		Behavior: &api.HorizontalPodAutoscalerBehavior{ScaleDown: &api.HPAScalingRules{StabilizationWindowSeconds: &w}}}}
	api.SetHPADefaults(h)
	require.Equal(t, int32(60), *h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds)
	require.Len(t, h.Spec.Behavior.ScaleDown.Policies, 1)
}

func TestNormalizeDesired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	ago := func(s int) time.Time { return now.Add(-time.Duration(s) * time.Second) }
	cases := []struct {
		name          string
		minR, maxR    int32
		current, want int32
		desired       int32
		history       []hpaRecommendation
		ups, downs    []hpaScaleEvent
		limited       bool
		reason        string
		stabilized    string
	}{
		{name: "within range", minR: 1, maxR: 10, current: 2, desired: 4, want: 4, reason: "DesiredWithinRange", stabilized: "ReadyForNewScale"},
		{name: "max clamps", minR: 1, maxR: 5, current: 4, desired: 9, want: 5, limited: true, reason: "TooManyReplicas"},
		// From 1, max(1+4, 1*2) = 5 per 15 s.
		{name: "scale up rate 4 pods", minR: 1, maxR: 20, current: 1, desired: 12, want: 5, limited: true, reason: "ScaleUpLimit"},
		// From 10, max(14, 20) = 20.
		{name: "scale up rate 100%", minR: 1, maxR: 50, current: 10, desired: 40, want: 20, limited: true, reason: "ScaleUpLimit"},
		// 3 pods were added 10 s ago: period start 2 -> max(6, 4) = 6.
		{name: "scale up events in period", minR: 1, maxR: 50, current: 5, desired: 20, want: 6, limited: true, reason: "ScaleUpLimit",
			ups: []hpaScaleEvent{{Change: 3, At: ago(10)}}},
		// An event older than the period does not count.
		{name: "old scale up event", minR: 1, maxR: 50, current: 5, desired: 20, want: 10, limited: true, reason: "ScaleUpLimit",
			ups: []hpaScaleEvent{{Change: 3, At: ago(20)}}},
		// Scale down: the 300 s window keeps the highest recommendation.
		{name: "scale down stabilized", minR: 1, maxR: 10, current: 5, desired: 1, want: 5, reason: "DesiredWithinRange", stabilized: "ScaleDownStabilized",
			history: []hpaRecommendation{{Replicas: 5, At: ago(120)}}},
		{name: "scale down partly stabilized", minR: 1, maxR: 10, current: 5, desired: 1, want: 3, reason: "DesiredWithinRange", stabilized: "ScaleDownStabilized",
			history: []hpaRecommendation{{Replicas: 3, At: ago(200)}, {Replicas: 5, At: ago(301)}}},
		{name: "scale down after window", minR: 1, maxR: 10, current: 5, desired: 1, want: 1, reason: "DesiredWithinRange", stabilized: "ReadyForNewScale",
			history: []hpaRecommendation{{Replicas: 5, At: ago(300)}}},
		{name: "min clamps", minR: 2, maxR: 10, current: 5, desired: 1, want: 2, limited: true, reason: "TooFewReplicas"},
		// Scale up is not stabilized by default: an older low recommendation
		// does not hold it back.
		{name: "scale up not stabilized", minR: 1, maxR: 10, current: 2, desired: 4, want: 4, reason: "DesiredWithinRange", stabilized: "ReadyForNewScale",
			history: []hpaRecommendation{{Replicas: 1, At: ago(5)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := defaultedHPA(c.minR, c.maxR)
			got := normalizeDesired(now, h, c.current, c.desired, c.history, c.ups, c.downs)
			require.Equal(t, c.want, got.Replicas)
			require.Equal(t, c.limited, got.Limit.Limited)
			require.Equal(t, c.reason, got.Limit.Reason)
			if c.stabilized != "" {
				require.Equal(t, c.stabilized, got.StabilizedReason)
			}
		})
	}
}

func TestScalingPolicies(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	minSel, dis := api.MinChangePolicySelect, api.DisabledPolicySelect
	w := int32(0)
	down := &api.HPAScalingRules{StabilizationWindowSeconds: &w, SelectPolicy: &minSel, Policies: []api.HPAScalingPolicy{
		{Type: api.PodsScalingPolicy, Value: 2, PeriodSeconds: 60},
		{Type: api.PercentScalingPolicy, Value: 50, PeriodSeconds: 60},
	}}
	// Min change from 10: max(10-2, 10*0.5=5) = 8.
	require.Equal(t, int32(8), scaleDownLimit(now, 10, nil, nil, down))
	// Max change (default): min(8, 5) = 5.
	maxSel := api.MaxChangePolicySelect
	down.SelectPolicy = &maxSel
	require.Equal(t, int32(5), scaleDownLimit(now, 10, nil, nil, down))
	// 3 pods removed 30 s ago: period start 13 -> min(11, 6) = 6.
	require.Equal(t, int32(6), scaleDownLimit(now, 10, nil, []hpaScaleEvent{{Change: 3, At: now.Add(-30 * time.Second)}}, down))
	down.SelectPolicy = &dis
	require.Equal(t, int32(10), scaleDownLimit(now, 10, nil, nil, down))
	up := api.DefaultHPAScaleUpRules()
	up.SelectPolicy = &minSel
	// Min change from 10: min(14, 20) = 14.
	require.Equal(t, int32(14), scaleUpLimit(now, 10, nil, nil, up))
	up.SelectPolicy = &dis
	require.Equal(t, int32(10), scaleUpLimit(now, 10, nil, nil, up))
}

func TestRescaleReason(t *testing.T) {
	require.Equal(t, "cpu resource utilization (percentage of request) above target", hpaRescaleReason(api.ResourceCPU, 1, 4))
	require.Equal(t, "All metrics below target", hpaRescaleReason(api.ResourceCPU, 4, 1))
}

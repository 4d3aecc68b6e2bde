package controllers

// This file holds the computation of the horizontal pod autoscaler, as the
// real kube-controller-manager's podautoscaler package does it: the replica
// count a resource-utilization metric asks for (replica calculator) and the
// normalization of that recommendation by the behavior (stabilization
// windows, rate policies) and by minReplicas/maxReplicas. It is pure: the
// caller supplies the pods' samples, the history and the virtual time.

import (
	"fmt"
	"math"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// hpaTolerance is the default --horizontal-pod-autoscaler-tolerance: a
// usage ratio within 10% of 1.0 changes nothing.
const hpaTolerance = 0.1

// hpaPodState is how the replica calculator counts a pod.
type hpaPodState int

const (
	// hpaPodReady has a metric and counts at its measured use.
	hpaPodReady hpaPodState = iota
	// hpaPodUnready is pending, or (for cpu) not yet ready or within its
	// initialization period; on a scale up it counts as using 0.
	hpaPodUnready
	// hpaPodMissing is ready but has no metric yet: 0 on a scale up,
	// max(100%, target) of its request on a scale down.
	hpaPodMissing
	// hpaPodIgnored is being deleted or has failed; it does not count.
	hpaPodIgnored
)

// hpaPodSample is one pod of the target as the calculator sees it.
type hpaPodSample struct {
	Name  string
	State hpaPodState
	// RequestMilli is the sum of the containers' requests of the resource
	// (millicores, or bytes*1000 for memory).
	RequestMilli int64
	// UsageMilli is the measured use (only for hpaPodReady).
	UsageMilli int64
	// MissingRequest names the first container without a request of the
	// resource (RequestMilli is then 0).
	MissingRequest string
}

// hpaReplicaResult is what one resource-utilization metric proposes.
type hpaReplicaResult struct {
	Replicas int32
	// Utilization is the average utilization of the ready pods in percent
	// of their requests (status.currentMetrics).
	Utilization int32
	// RawAverageMilli is the average use of the ready pods.
	RawAverageMilli int64
	// UsageRatio is utilization / target before missing and unready pods
	// were accounted for.
	UsageRatio float64
}

// utilizationRatio returns (ratio, utilization %, raw average) over the
// pods with a metric in use.
func utilizationRatio(usage map[string]int64, requests map[string]int64, names []string, target int32) (float64, int32, int64, error) {
	var used, requested int64
	n := 0
	for _, name := range names {
		u, ok := usage[name]
		if !ok {
			continue
		}
		req, ok := requests[name]
		if !ok {
			continue
		}
		used += u
		requested += req
		n++
	}
	if requested == 0 {
		return 0, 0, 0, fmt.Errorf("no metrics returned matched known pods")
	}
	utilization := int32(used * 100 / requested)
	return float64(utilization) / float64(target), utilization, used / int64(n), nil
}

// resourceReplicas is GetResourceReplicas: the replica count that brings
// the average utilization of the pods to target percent of their requests.
func resourceReplicas(current int32, target int32, resource api.ResourceName, pods []hpaPodSample) (hpaReplicaResult, error) {
	if len(pods) == 0 {
		return hpaReplicaResult{}, fmt.Errorf("no pods returned by selector while calculating replica count")
	}
	requests := map[string]int64{}
	usage := map[string]int64{}
	var names []string // in the caller's order, for determinism
	ready, missing, unready := 0, 0, 0
	for _, p := range pods {
		if p.State == hpaPodIgnored {
			continue
		}
		if p.RequestMilli <= 0 {
			return hpaReplicaResult{}, fmt.Errorf("missing request for %s in container %s of Pod %s", resource, p.MissingRequest, p.Name)
		}
		requests[p.Name] = p.RequestMilli
		names = append(names, p.Name)
		switch p.State {
		case hpaPodReady:
			usage[p.Name] = p.UsageMilli
			ready++
		case hpaPodMissing:
			missing++
		case hpaPodUnready:
			unready++
		}
	}
	if ready == 0 {
		return hpaReplicaResult{}, fmt.Errorf("did not receive metrics for targeted pods (pods might be unready)")
	}
	ratio, utilization, raw, err := utilizationRatio(usage, requests, names, target)
	if err != nil {
		return hpaReplicaResult{}, err
	}
	res := hpaReplicaResult{Replicas: current, Utilization: utilization, RawAverageMilli: raw, UsageRatio: ratio}
	scaleUpWithUnready := unready > 0 && ratio > 1.0
	if !scaleUpWithUnready && missing == 0 {
		if math.Abs(1.0-ratio) <= hpaTolerance {
			return res, nil
		}
		res.Replicas = int32(math.Ceil(ratio * float64(ready)))
		return res, nil
	}
	for _, p := range pods {
		switch {
		case p.State == hpaPodMissing && ratio < 1.0:
			fallback := int64(max(100, target))
			usage[p.Name] = p.RequestMilli * fallback / 100
		case p.State == hpaPodMissing && ratio > 1.0:
			usage[p.Name] = 0
		case p.State == hpaPodUnready && scaleUpWithUnready:
			usage[p.Name] = 0
		}
	}
	newRatio, _, _, err := utilizationRatio(usage, requests, names, target)
	if err != nil {
		return hpaReplicaResult{}, err
	}
	if math.Abs(1.0-newRatio) <= hpaTolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return res, nil
	}
	proposed := int32(math.Ceil(newRatio * float64(len(usage))))
	if (newRatio < 1.0 && proposed > current) || (newRatio > 1.0 && proposed < current) {
		return res, nil
	}
	res.Replicas = proposed
	return res, nil
}

// hpaRecommendation is one past recommendation of the autoscaler.
type hpaRecommendation struct {
	Replicas int32
	At       time.Time
}

// hpaScaleEvent is one past change of the target's replicas.
type hpaScaleEvent struct {
	Change int32 // always positive
	At     time.Time
}

// hpaLimit is the reason/message of the ScalingLimited (and, for
// stabilization, AbleToScale) condition a normalization produced.
type hpaLimit struct {
	Limited bool
	Reason  string
	Message string
}

// stabilize is stabilizeRecommendationWithBehaviors: within the scale-up
// window the lowest recommendation (with the new one) bounds a scale up,
// within the scale-down window the highest bounds a scale down.
func stabilize(now time.Time, current, desired int32, history []hpaRecommendation, b *api.HorizontalPodAutoscalerBehavior) (int32, string, string) {
	upWindow := time.Duration(*b.ScaleUp.StabilizationWindowSeconds) * time.Second
	downWindow := time.Duration(*b.ScaleDown.StabilizationWindowSeconds) * time.Second
	up, down := desired, desired
	for _, r := range history {
		if r.At.After(now.Add(-upWindow)) {
			up = min(up, r.Replicas)
		}
		if r.At.After(now.Add(-downWindow)) {
			down = max(down, r.Replicas)
		}
	}
	rec := current
	reason, msg := "ReadyForNewScale", "recommended size matches current size"
	if rec < up {
		rec = up
	}
	if rec > down {
		rec = down
	}
	if rec != desired {
		if desired >= current {
			reason, msg = "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"
		} else {
			reason, msg = "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
		}
	}
	return rec, reason, msg
}

// changeInPeriod sums the changes of events within the last period.
func changeInPeriod(now time.Time, periodSeconds int32, events []hpaScaleEvent) int32 {
	cutoff := now.Add(-time.Duration(periodSeconds) * time.Second)
	var n int32
	for _, e := range events {
		if e.At.After(cutoff) {
			n += e.Change
		}
	}
	return n
}

// scaleUpLimit is calculateScaleUpLimitWithScalingRules.
func scaleUpLimit(now time.Time, current int32, ups, downs []hpaScaleEvent, r *api.HPAScalingRules) int32 {
	if *r.SelectPolicy == api.DisabledPolicySelect {
		return current
	}
	result := int32(math.MinInt32)
	pick := func(a, b int32) int32 { return max(a, b) }
	if *r.SelectPolicy == api.MinChangePolicySelect {
		result = math.MaxInt32
		pick = func(a, b int32) int32 { return min(a, b) }
	}
	for _, p := range r.Policies {
		start := current - changeInPeriod(now, p.PeriodSeconds, ups) + changeInPeriod(now, p.PeriodSeconds, downs)
		var proposed int32
		switch p.Type {
		case api.PodsScalingPolicy:
			proposed = start + p.Value
		case api.PercentScalingPolicy:
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

// scaleDownLimit is calculateScaleDownLimitWithBehaviors.
func scaleDownLimit(now time.Time, current int32, ups, downs []hpaScaleEvent, r *api.HPAScalingRules) int32 {
	if *r.SelectPolicy == api.DisabledPolicySelect {
		return current
	}
	result := int32(math.MaxInt32)
	pick := func(a, b int32) int32 { return min(a, b) }
	if *r.SelectPolicy == api.MinChangePolicySelect {
		result = math.MinInt32
		pick = func(a, b int32) int32 { return max(a, b) }
	}
	for _, p := range r.Policies {
		start := current - changeInPeriod(now, p.PeriodSeconds, ups) + changeInPeriod(now, p.PeriodSeconds, downs)
		var proposed int32
		switch p.Type {
		case api.PodsScalingPolicy:
			proposed = start - p.Value
		case api.PercentScalingPolicy:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// hpaNormalized is the outcome of normalizeDesired.
type hpaNormalized struct {
	Replicas int32
	// AbleToScale reason/message from stabilization.
	StabilizedReason, StabilizedMessage string
	Limit                               hpaLimit
}

// normalizeDesired is normalizeDesiredReplicasWithBehaviors: stabilize the
// recommendation, then bound it by the rate policies and by
// minReplicas/maxReplicas. h must be defaulted (api.SetHPADefaults).
func normalizeDesired(now time.Time, h *api.HorizontalPodAutoscaler, current, desired int32, history []hpaRecommendation, ups, downs []hpaScaleEvent) hpaNormalized {
	b := h.Spec.Behavior
	rec, reason, msg := stabilize(now, current, desired, history, b)
	out := hpaNormalized{Replicas: rec, StabilizedReason: reason, StabilizedMessage: msg,
		Limit: hpaLimit{Reason: "DesiredWithinRange", Message: "the desired count is within the acceptable range"}}
	minR, maxR := *h.Spec.MinReplicas, h.Spec.MaxReplicas
	switch {
	case rec > current:
		limit := max(scaleUpLimit(now, current, ups, downs, b.ScaleUp), current)
		allowed := maxR
		lr, lm := "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		if allowed > limit {
			allowed = limit
			lr, lm = "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
		}
		if rec > allowed {
			out.Replicas = allowed
			out.Limit = hpaLimit{Limited: true, Reason: lr, Message: lm}
		}
	case rec < current:
		limit := min(scaleDownLimit(now, current, ups, downs, b.ScaleDown), current)
		allowed := minR
		lr, lm := "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		if allowed < limit {
			allowed = limit
			lr, lm = "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
		}
		if rec < allowed {
			out.Replicas = allowed
			out.Limit = hpaLimit{Limited: true, Reason: lr, Message: lm}
		}
	}
	return out
}

// hpaRescaleReason is the reason of the SuccessfulRescale event: "cpu
// resource utilization (percentage of request) above target" on a scale
// up, "All metrics below target" on a scale down.
func hpaRescaleReason(resource api.ResourceName, current, desired int32) string {
	if desired > current {
		return fmt.Sprintf("%s resource utilization (percentage of request) above target", resource)
	}
	return "All metrics below target"
}

package api

// This file holds the autoscaling/v2 HorizontalPodAutoscaler kind (the
// Scale subresource body, autoscaling/v1, lives in apps.go).

// ---------------------------------------------------------------- HorizontalPodAutoscaler

// HorizontalPodAutoscaler scales a workload's replicas between
// Spec.MinReplicas and Spec.MaxReplicas to keep its metrics at the targets.
type HorizontalPodAutoscaler struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       HorizontalPodAutoscalerSpec   `json:"spec,omitempty"`
	Status     HorizontalPodAutoscalerStatus `json:"status,omitempty"`
}

// HorizontalPodAutoscalerList is a list of HorizontalPodAutoscalers.
type HorizontalPodAutoscalerList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []HorizontalPodAutoscaler `json:"items"`
}

// CrossVersionObjectReference names the scaled workload.
type CrossVersionObjectReference struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// HorizontalPodAutoscalerSpec is the desired behaviour of the autoscaler.
type HorizontalPodAutoscalerSpec struct {
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef"`
	// MinReplicas defaults to 1.
	MinReplicas *int32                           `json:"minReplicas,omitempty"`
	MaxReplicas int32                            `json:"maxReplicas"`
	Metrics     []MetricSpec                     `json:"metrics,omitempty"`
	Behavior    *HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// MetricSourceType is the kind of a metric: "Resource", "Pods", "Object",
// "External", "ContainerResource".
type MetricSourceType string

// Metric source types.
const (
	ResourceMetricSourceType          MetricSourceType = "Resource"
	PodsMetricSourceType              MetricSourceType = "Pods"
	ObjectMetricSourceType            MetricSourceType = "Object"
	ExternalMetricSourceType          MetricSourceType = "External"
	ContainerResourceMetricSourceType MetricSourceType = "ContainerResource"
)

// MetricSpec is one metric to scale on. kubesim computes only Resource
// metrics (cpu and memory of the pods' requests).
type MetricSpec struct {
	Type     MetricSourceType      `json:"type"`
	Resource *ResourceMetricSource `json:"resource,omitempty"`
}

// ResourceMetricSource is a resource (cpu, memory) of the target's pods.
type ResourceMetricSource struct {
	Name   ResourceName `json:"name"`
	Target MetricTarget `json:"target"`
}

// MetricTargetType is "Utilization", "Value" or "AverageValue".
type MetricTargetType string

// Metric target types.
const (
	UtilizationMetricType  MetricTargetType = "Utilization"
	ValueMetricType        MetricTargetType = "Value"
	AverageValueMetricType MetricTargetType = "AverageValue"
)

// MetricTarget is the target value of a metric.
type MetricTarget struct {
	Type               MetricTargetType `json:"type"`
	Value              *Quantity        `json:"value,omitempty"`
	AverageValue       *Quantity        `json:"averageValue,omitempty"`
	AverageUtilization *int32           `json:"averageUtilization,omitempty"`
}

// HorizontalPodAutoscalerBehavior configures scaling up and down.
type HorizontalPodAutoscalerBehavior struct {
	ScaleUp   *HPAScalingRules `json:"scaleUp,omitempty"`
	ScaleDown *HPAScalingRules `json:"scaleDown,omitempty"`
}

// ScalingPolicySelect is "Max", "Min" or "Disabled".
type ScalingPolicySelect string

// Policy selections.
const (
	MaxChangePolicySelect ScalingPolicySelect = "Max"
	MinChangePolicySelect ScalingPolicySelect = "Min"
	DisabledPolicySelect  ScalingPolicySelect = "Disabled"
)

// HPAScalingRules are the stabilization window and rate policies of one
// direction.
type HPAScalingRules struct {
	StabilizationWindowSeconds *int32               `json:"stabilizationWindowSeconds,omitempty"`
	SelectPolicy               *ScalingPolicySelect `json:"selectPolicy,omitempty"`
	Policies                   []HPAScalingPolicy   `json:"policies,omitempty"`
}

// HPAScalingPolicyType is "Pods" or "Percent".
type HPAScalingPolicyType string

// Scaling policy types.
const (
	PodsScalingPolicy    HPAScalingPolicyType = "Pods"
	PercentScalingPolicy HPAScalingPolicyType = "Percent"
)

// HPAScalingPolicy allows a change of Value pods (or percent) within
// PeriodSeconds.
type HPAScalingPolicy struct {
	Type          HPAScalingPolicyType `json:"type"`
	Value         int32                `json:"value"`
	PeriodSeconds int32                `json:"periodSeconds"`
}

// HorizontalPodAutoscalerStatus is the observed state of the autoscaler.
type HorizontalPodAutoscalerStatus struct {
	ObservedGeneration *int64                             `json:"observedGeneration,omitempty"`
	LastScaleTime      *Time                              `json:"lastScaleTime,omitempty"`
	CurrentReplicas    int32                              `json:"currentReplicas,omitempty"`
	DesiredReplicas    int32                              `json:"desiredReplicas"`
	CurrentMetrics     []MetricStatus                     `json:"currentMetrics,omitempty"`
	Conditions         []HorizontalPodAutoscalerCondition `json:"conditions,omitempty"`
}

// MetricStatus is the last read value of one metric.
type MetricStatus struct {
	Type     MetricSourceType      `json:"type"`
	Resource *ResourceMetricStatus `json:"resource,omitempty"`
}

// ResourceMetricStatus is the current value of a resource metric.
type ResourceMetricStatus struct {
	Name    ResourceName      `json:"name"`
	Current MetricValueStatus `json:"current"`
}

// MetricValueStatus is a metric's current value.
type MetricValueStatus struct {
	Value              *Quantity `json:"value,omitempty"`
	AverageValue       *Quantity `json:"averageValue,omitempty"`
	AverageUtilization *int32    `json:"averageUtilization,omitempty"`
}

// HorizontalPodAutoscalerConditionType is "AbleToScale", "ScalingActive"
// or "ScalingLimited".
type HorizontalPodAutoscalerConditionType string

// HPA condition types.
const (
	HPAAbleToScale    HorizontalPodAutoscalerConditionType = "AbleToScale"
	HPAScalingActive  HorizontalPodAutoscalerConditionType = "ScalingActive"
	HPAScalingLimited HorizontalPodAutoscalerConditionType = "ScalingLimited"
)

// HorizontalPodAutoscalerCondition is one condition of the autoscaler.
type HorizontalPodAutoscalerCondition struct {
	Type               HorizontalPodAutoscalerConditionType `json:"type"`
	Status             ConditionStatus                      `json:"status"`
	LastTransitionTime Time                                 `json:"lastTransitionTime,omitempty"`
	Reason             string                               `json:"reason,omitempty"`
	Message            string                               `json:"message,omitempty"`
}

// SetHPADefaults applies the autoscaling/v2 defaults: minReplicas 1, and
// for each behavior direction left out (or each field of it) the defaults
// of the real API: scale up without stabilization, at most doubling or
// adding 4 pods per 15 s (whichever is more); scale down after a 300 s
// stabilization window by up to 100% per 15 s.
func SetHPADefaults(h *HorizontalPodAutoscaler) {
	if h.Spec.MinReplicas == nil {
		one := int32(1)
		h.Spec.MinReplicas = &one
	}
	if h.Spec.Behavior == nil {
		h.Spec.Behavior = &HorizontalPodAutoscalerBehavior{}
	}
	b := h.Spec.Behavior
	up := DefaultHPAScaleUpRules()
	down := DefaultHPAScaleDownRules()
	b.ScaleUp = fillScalingRules(b.ScaleUp, up)
	b.ScaleDown = fillScalingRules(b.ScaleDown, down)
}

func fillScalingRules(r, def *HPAScalingRules) *HPAScalingRules {
	if r == nil {
		return def
	}
	if r.StabilizationWindowSeconds == nil {
		r.StabilizationWindowSeconds = def.StabilizationWindowSeconds
	}
	if r.SelectPolicy == nil {
		r.SelectPolicy = def.SelectPolicy
	}
	if len(r.Policies) == 0 {
		r.Policies = def.Policies
	}
	return r
}

// DefaultHPAScaleUpRules are the scaleUp defaults: window 0, policies
// 100%/15s and 4 pods/15s, selectPolicy Max.
func DefaultHPAScaleUpRules() *HPAScalingRules {
	w := int32(0)
	sel := MaxChangePolicySelect
	return &HPAScalingRules{
		StabilizationWindowSeconds: &w, SelectPolicy: &sel,
		Policies: []HPAScalingPolicy{
			{Type: PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// DefaultHPAScaleDownRules are the scaleDown defaults: window 300 s, policy
// 100%/15s, selectPolicy Max.
func DefaultHPAScaleDownRules() *HPAScalingRules {
	w := int32(300)
	sel := MaxChangePolicySelect
	return &HPAScalingRules{
		StabilizationWindowSeconds: &w, SelectPolicy: &sel,
		Policies: []HPAScalingPolicy{{Type: PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	}
}

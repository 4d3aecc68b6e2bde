package apiserver_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hpa(name string, minR *int32, maxR int32, util int32) *api.HorizontalPodAutoscaler {
	return &api.HorizontalPodAutoscaler{
		TypeMeta:   api.TypeMeta{Kind: "HorizontalPodAutoscaler", APIVersion: "autoscaling/v2"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: api.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "php-apache"},
			MinReplicas:    minR, MaxReplicas: maxR,
			Metrics: []api.MetricSpec{{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricSource{
				Name: api.ResourceCPU, Target: api.MetricTarget{Type: api.UtilizationMetricType, AverageUtilization: &util}}}},
		},
	}
}

func TestHPADefaultsAndValidation(t *testing.T) {
	c := boot(t)
	obj, err := c.Admin.Create(hpa("php-apache", nil, 10, 50))
	require.NoError(t, err)
	h := obj.(*api.HorizontalPodAutoscaler)
	require.NotNil(t, h.Spec.MinReplicas)
	assert.Equal(t, int32(1), *h.Spec.MinReplicas)
	require.NotNil(t, h.Spec.Behavior)
	assert.Equal(t, int32(300), *h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds)
	assert.Equal(t, int32(0), *h.Spec.Behavior.ScaleUp.StabilizationWindowSeconds)
	assert.Len(t, h.Spec.Behavior.ScaleUp.Policies, 2)

	got, err := client.Get[*api.HorizontalPodAutoscaler](c.Admin, "default", "php-apache")
	require.NoError(t, err)
	assert.Equal(t, int32(10), got.Spec.MaxReplicas)

	zero, three := int32(0), int32(3)
	cases := []struct {
		name string
		obj  *api.HorizontalPodAutoscaler
		want string
	}{
		{"min zero", hpa("a", &zero, 10, 50), `HorizontalPodAutoscaler.autoscaling "a" is invalid: spec.minReplicas: Invalid value: 0: must be greater than or equal to 1`},
		{"max below min", hpa("b", &three, 2, 50), "HorizontalPodAutoscaler.autoscaling \"b\" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"},
		{"max zero", hpa("c", nil, 0, 50), `HorizontalPodAutoscaler.autoscaling "c" is invalid: spec.maxReplicas: Invalid value: 0: must be greater than 0`},
		{"utilization zero", hpa("d", nil, 5, 0), `HorizontalPodAutoscaler.autoscaling "d" is invalid: spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Admin.Create(tc.obj)
			assert.EqualError(t, err, tc.want)
		})
	}
	bad := hpa("e", nil, 5, 50)
	bad.Spec.Behavior = &api.HorizontalPodAutoscalerBehavior{ScaleDown: &api.HPAScalingRules{
		Policies: []api.HPAScalingPolicy{{Type: api.PercentScalingPolicy, Value: 0, PeriodSeconds: 2000}}}}
	_, err = c.Admin.Create(bad)
	assert.ErrorContains(t, err, "spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero")
	assert.ErrorContains(t, err, "spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 2000: must be less than or equal to 1800")
}

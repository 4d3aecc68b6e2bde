package realclients

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func webApply(replicas int32, image string) *appsv1ac.DeploymentApplyConfiguration {
	labels := map[string]string{"app": "web"}
	return appsv1ac.Deployment("web", "default").WithSpec(appsv1ac.DeploymentSpec().
		WithReplicas(replicas).
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(labels)).
		WithTemplate(corev1ac.PodTemplateSpec().WithLabels(labels).WithSpec(corev1ac.PodSpec().
			WithContainers(corev1ac.Container().WithName("main").WithImage(image)))))
}

// TestClientGoServerSideApply: client-go's typed Apply with apply
// configurations, over protobuf reads, against the field manager.
func TestClientGoServerSideApply(t *testing.T) {
	s := startServed(t)
	cs, err := kubernetes.NewForConfig(s.cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	deps := cs.AppsV1().Deployments("default")

	d, err := deps.Apply(ctx, webApply(2, "nginx:1.27"), metav1.ApplyOptions{FieldManager: "team-a"})
	require.NoError(t, err, "an apply creates")
	require.Len(t, d.ManagedFields, 1)
	e := d.ManagedFields[0]
	assert.Equal(t, "team-a", e.Manager)
	assert.Equal(t, metav1.ManagedFieldsOperationApply, e.Operation)
	assert.Equal(t, "apps/v1", e.APIVersion)
	assert.Equal(t, "FieldsV1", e.FieldsType)
	require.NotNil(t, e.Time)

	// The real library reads the entries back: extracting team-a's fields
	// gives exactly what it applied.
	got, err := deps.Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err, "a protobuf read carries managedFields")
	require.NotEmpty(t, got.ManagedFields)
	mine, err := appsv1ac.ExtractDeployment(got, "team-a")
	require.NoError(t, err)
	assert.Equal(t, webApply(2, "nginx:1.27").Spec, mine.Spec)

	// Another manager changing team-a's replicas conflicts, with the real
	// message and cause; force takes them over.
	_, err = deps.Apply(ctx, webApply(5, "nginx:1.27"), metav1.ApplyOptions{FieldManager: "team-b"})
	require.Error(t, err)
	assert.True(t, apierrors.IsConflict(err), "409 Conflict: %v", err)
	assert.Equal(t, `Apply failed with 1 conflict: conflict with "team-a": .spec.replicas`, err.Error())
	var se apierrors.APIStatus
	require.ErrorAs(t, err, &se)
	require.NotNil(t, se.Status().Details)
	assert.Equal(t, []metav1.StatusCause{{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "team-a"`, Field: ".spec.replicas"}}, se.Status().Details.Causes)

	d, err = deps.Apply(ctx, webApply(5, "nginx:1.27"), metav1.ApplyOptions{FieldManager: "team-b", Force: true})
	require.NoError(t, err)
	assert.EqualValues(t, 5, *d.Spec.Replicas)
	mine, err = appsv1ac.ExtractDeployment(d, "team-a")
	require.NoError(t, err)
	assert.Nil(t, mine.Spec.Replicas, "team-a lost .spec.replicas to the forced apply")

	// A write without a fieldManager is recorded under the client's
	// User-Agent, as the real apiserver names it.
	cm, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Data: map[string]string{"a": "1"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Len(t, cm.ManagedFields, 1)
	assert.Equal(t, "realclients.test", cm.ManagedFields[0].Manager)
	assert.Equal(t, metav1.ManagedFieldsOperationUpdate, cm.ManagedFields[0].Operation)

	// A dry run answers the result and stores nothing.
	before, err := deps.Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	dry, err := deps.Apply(ctx, webApply(9, "nginx:1.27"), metav1.ApplyOptions{FieldManager: "team-b", DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err)
	assert.EqualValues(t, 9, *dry.Spec.Replicas)
	after, err := deps.Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 5, *after.Spec.Replicas)
	assert.Equal(t, specOf(before), specOf(after), "nothing was written")
}

func specOf(d *appsv1.Deployment) appsv1.DeploymentSpec { return d.Spec }

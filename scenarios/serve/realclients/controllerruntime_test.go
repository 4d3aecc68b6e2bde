package realclients

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// mirror is a small level-based controller: every ConfigMap labelled
// mirror=yes gets a sibling "<name>-mirror" with the same data, owned by
// it.
type mirror struct{ c client.Client }

func (m *mirror) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var src corev1.ConfigMap
	if err := m.c.Get(ctx, req.NamespacedName, &src); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if src.Labels["mirror"] != "yes" {
		return ctrl.Result{}, nil
	}
	dst := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: src.Name + "-mirror", Namespace: src.Namespace}}
	_, err := controllerutil.CreateOrUpdate(ctx, m.c, dst, func() error {
		dst.Data = src.Data
		return controllerutil.SetControllerReference(&src, dst, m.c.Scheme())
	})
	return ctrl.Result{}, err
}

func TestControllerRuntimeManager(t *testing.T) {
	s := startServed(t)
	mgr, err := ctrl.NewManager(s.cfg, ctrl.Options{
		Metrics:                 metricsserver.Options{BindAddress: "0"}, // no metrics listener in a test
		HealthProbeBindAddress:  "0",
		LeaderElection:          true,
		LeaderElectionID:        "mirror-controller",
		LeaderElectionNamespace: "default",
	})
	require.NoError(t, err)
	skip := true
	require.NoError(t, ctrl.NewControllerManagedBy(mgr).For(&corev1.ConfigMap{}).Owns(&corev1.ConfigMap{}).
		WithOptions(controller.Options{SkipNameValidation: &skip}). // the name registry is global; tests may run twice
		Complete(&mirror{c: mgr.GetClient()}))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	select {
	case <-mgr.Elected():
	case <-ctx.Done():
		t.Fatal("the manager never became leader through its Lease")
	}

	c := mgr.GetClient()
	require.NoError(t, c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "default", Labels: map[string]string{"mirror": "yes"}}, Data: map[string]string{"level": "1"}}))
	key := types.NamespacedName{Namespace: "default", Name: "settings-mirror"}
	var got corev1.ConfigMap
	require.Eventually(t, func() bool { return c.Get(ctx, key, &got) == nil && got.Data["level"] == "1" }, 30*time.Second, 20*time.Millisecond,
		"the reconciler created the mirror")
	require.NotNil(t, metav1.GetControllerOf(&got))
	assert.Equal(t, "settings", metav1.GetControllerOf(&got).Name)

	// Level-based: a change to the source reaches the mirror.
	var src corev1.ConfigMap
	require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "settings"}, &src))
	src.Data["level"] = "2"
	require.NoError(t, c.Update(ctx, &src))
	require.Eventually(t, func() bool { return c.Get(ctx, key, &got) == nil && got.Data["level"] == "2" }, 30*time.Second, 20*time.Millisecond,
		"the mirror followed the source")

	// The leader's Lease is in the cluster, held by this manager.
	var lease coordinationv1.Lease
	require.NoError(t, mgr.GetAPIReader().Get(ctx, types.NamespacedName{Namespace: "default", Name: "mirror-controller"}, &lease))
	require.NotNil(t, lease.Spec.HolderIdentity)
	assert.NotEmpty(t, *lease.Spec.HolderIdentity)

	// A mirror deleted by hand comes back.
	require.NoError(t, c.Delete(ctx, &got))
	require.Eventually(t, func() bool {
		err := c.Get(ctx, key, &got)
		return err == nil && got.DeletionTimestamp == nil && !apierrors.IsNotFound(err)
	}, 30*time.Second, 20*time.Millisecond, "the reconciler recreated the deleted mirror")
}

package apiserver_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readyPod creates a pod and marks it Running and Ready (no kubelet runs
// in these clusters), bound to a node name so deletion is graceful.
func readyPod(t *testing.T, c *cluster.Cluster, name string, ready bool) {
	t.Helper()
	p := pod(name)
	p.Spec.NodeName = "worker-1"
	obj, err := c.Admin.Create(p)
	require.NoError(t, err)
	p = obj.(*api.Pod)
	p.Status.Phase = api.PodRunning
	st := api.ConditionFalse
	if ready {
		st = api.ConditionTrue
	}
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: st}}
	_, err = c.Admin.UpdateStatus(p)
	require.NoError(t, err)
}

func pdb(name string, minAvailable int32) *api.PodDisruptionBudget {
	return &api.PodDisruptionBudget{
		TypeMeta:   api.TypeMeta{Kind: "PodDisruptionBudget", APIVersion: "policy/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodDisruptionBudgetSpec{
			MinAvailable: api.IntOrStringPtr(api.FromInt32(minAvailable)),
			Selector:     &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		},
	}
}

func evict(c *cluster.Cluster, name string) error {
	_, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: "pods", Subresource: "eviction", Namespace: "default", Name: name,
		Object: &api.Eviction{TypeMeta: api.TypeMeta{Kind: "Eviction", APIVersion: "policy/v1"}, ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}}})
	return err
}

func waitPDB(t *testing.T, c *cluster.Cluster, name string, cond func(*api.PodDisruptionBudget) bool) *api.PodDisruptionBudget {
	t.Helper()
	var got *api.PodDisruptionBudget
	ok := c.WaitFor(func() bool {
		p, err := client.Get[*api.PodDisruptionBudget](c.Admin, "default", name)
		got = p
		return err == nil && cond(p)
	}, time.Minute)
	require.True(t, ok, "PodDisruptionBudget %s status: %+v", name, got.Status)
	return got
}

func TestEvictionRespectsPDB(t *testing.T) {
	c := boot(t)
	for _, n := range []string{"web-1", "web-2", "web-3"} {
		readyPod(t, c, n, true)
	}
	_, err := c.Admin.Create(pdb("web", 2))
	require.NoError(t, err)
	got := waitPDB(t, c, "web", func(p *api.PodDisruptionBudget) bool { return p.Status.DisruptionsAllowed == 1 })
	assert.Equal(t, int32(3), got.Status.CurrentHealthy)
	assert.Equal(t, int32(2), got.Status.DesiredHealthy)
	assert.Equal(t, int32(3), got.Status.ExpectedPods)
	require.Len(t, got.Status.Conditions, 1)
	assert.Equal(t, api.SufficientPodsReason, got.Status.Conditions[0].Reason)

	require.NoError(t, evict(c, "web-1"))
	p, err := client.Get[*api.Pod](c.Admin, "default", "web-1")
	require.NoError(t, err)
	assert.NotNil(t, p.DeletionTimestamp, "the eviction deleted the pod")

	err = evict(c, "web-2")
	require.Error(t, err)
	se, ok := err.(*apierrors.StatusError)
	require.True(t, ok, "%T", err)
	assert.Equal(t, int32(429), se.ErrStatus.Code)
	assert.Equal(t, apierrors.ReasonTooManyRequests, se.ErrStatus.Reason)
	assert.Equal(t, "Cannot evict pod as it would violate the pod's disruption budget.", se.ErrStatus.Message)
	require.NotNil(t, se.ErrStatus.Details)
	require.Len(t, se.ErrStatus.Details.Causes, 1)
	assert.Equal(t, "DisruptionBudget", se.ErrStatus.Details.Causes[0].Type)
	// The eviction decremented disruptionsAllowed itself; web-1 is in
	// disruptedPods until its deletion is observed.
	assert.Contains(t, []string{
		"The disruption budget web needs 2 healthy pods and has 3 currently",
		"The disruption budget web needs 2 healthy pods and has 2 currently",
	}, se.ErrStatus.Details.Causes[0].Message)
	p, err = client.Get[*api.Pod](c.Admin, "default", "web-2")
	require.NoError(t, err)
	assert.Nil(t, p.DeletionTimestamp, "a refused eviction leaves the pod alone")

	after := waitPDB(t, c, "web", func(p *api.PodDisruptionBudget) bool { return p.Status.CurrentHealthy == 2 })
	assert.Equal(t, int32(0), after.Status.DisruptionsAllowed)
	assert.Equal(t, api.InsufficientPodsReason, after.Status.Conditions[0].Reason)
}

func TestEvictionMultiplePDBs(t *testing.T) {
	c := boot(t)
	readyPod(t, c, "web-1", true)
	_, err := c.Admin.Create(pdb("a", 0))
	require.NoError(t, err)
	_, err = c.Admin.Create(pdb("b", 0))
	require.NoError(t, err)
	err = evict(c, "web-1")
	require.Error(t, err)
	assert.Equal(t, int32(500), apierrors.CodeOf(err))
	assert.EqualError(t, err, "Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
}

func TestEvictionUnhealthyPodPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy  api.UnhealthyPodEvictionPolicyType
		allowed bool
	}{{api.IfHealthyBudget, false}, {api.AlwaysAllow, true}} {
		t.Run(string(tc.policy), func(t *testing.T) {
			c := boot(t)
			readyPod(t, c, "web-1", true)
			readyPod(t, c, "web-2", false)
			b := pdb("web", 2)
			b.Spec.UnhealthyPodEvictionPolicy = &tc.policy
			_, err := c.Admin.Create(b)
			require.NoError(t, err)
			waitPDB(t, c, "web", func(p *api.PodDisruptionBudget) bool {
				return p.Status.ObservedGeneration == p.Generation && p.Status.CurrentHealthy == 1
			})
			err = evict(c, "web-2")
			if tc.allowed {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, int32(429), apierrors.CodeOf(err), "%v", err)
			}
		})
	}
}

func TestEvictionPendingPodIgnoresPDB(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	_, err = c.Admin.Create(pdb("web", 5))
	require.NoError(t, err)
	require.NoError(t, evict(c, "web-1"))
	_, err = c.Admin.Get("pods", "default", "web-1")
	assert.True(t, apierrors.IsNotFound(err), "an unscheduled pod is deleted at once: %v", err)
}

func TestPDBValidation(t *testing.T) {
	c := boot(t)
	b := pdb("both", 1)
	b.Spec.MaxUnavailable = api.IntOrStringPtr(api.FromInt32(1))
	_, err := c.Admin.Create(b)
	assert.ErrorContains(t, err, `PodDisruptionBudget.policy "both" is invalid: spec: Invalid value: `)
	assert.ErrorContains(t, err, "minAvailable and maxUnavailable cannot be both set")

	b = pdb("pct", 1)
	b.Spec.MinAvailable = api.IntOrStringPtr(api.FromString("150%"))
	_, err = c.Admin.Create(b)
	assert.ErrorContains(t, err, `spec.minAvailable: Invalid value: "150%": must not be greater than 100%`)

	b = pdb("neg", -1)
	_, err = c.Admin.Create(b)
	assert.ErrorContains(t, err, `spec.minAvailable: Invalid value: -1: must be greater than or equal to 0`)

	b = pdb("policy", 1)
	bad := api.UnhealthyPodEvictionPolicyType("Sometimes")
	b.Spec.UnhealthyPodEvictionPolicy = &bad
	_, err = c.Admin.Create(b)
	assert.ErrorContains(t, err, `spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"`)
}

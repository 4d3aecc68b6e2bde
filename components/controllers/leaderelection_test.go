package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lease(t *testing.T, e *env) *api.Lease {
	t.Helper()
	o, err := e.Admin.Get("leases", "kube-system", controllers.LeaseName)
	require.NoError(t, err)
	return o.(*api.Lease)
}

// haCluster boots three control-plane nodes; sim/cluster runs a
// kube-controller-manager on each.
func haCluster(t *testing.T, seed uint64) *env {
	e := boot(t, cluster.Config{Seed: seed, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}})
	require.Equal(t, []string{"kube-controller-manager-cp-1", "kube-controller-manager-cp-2", "kube-controller-manager-cp-3"}, e.ControllerManagers)
	e.run(30 * time.Second)
	return e
}

func winners(e *env, nodes ...string) []string {
	var out []string
	for _, n := range nodes {
		if e.logsContain("kube-controller-manager-"+n, "successfully acquired lease kube-system/kube-controller-manager") {
			out = append(out, n)
		}
	}
	return out
}

// Exactly one manager holds the lease and runs controllers; when its
// process dies, another takes over once the lease has gone unrenewed for a
// lease duration (15 s) on the candidate's clock.
func TestLeaderElectionFailover(t *testing.T) {
	e := haCluster(t, 3)
	l := lease(t, e)
	require.NotNil(t, l.Spec.HolderIdentity)
	holder := *l.Spec.HolderIdentity
	assert.Regexp(t, `^cp-[123]_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, holder, "<hostname>_<uuid>")
	leader := holder[:4]
	var standbys []string
	for _, n := range []string{"cp-1", "cp-2", "cp-3"} {
		assert.True(t, e.logsContain("kube-controller-manager-"+n, "attempting to acquire leader lease kube-system/kube-controller-manager..."))
		if n != leader {
			standbys = append(standbys, n)
		}
	}
	assert.Equal(t, int32(15), *l.Spec.LeaseDurationSeconds)
	assert.Equal(t, int32(0), *l.Spec.LeaseTransitions)
	assert.Equal(t, []string{leader}, winners(e, "cp-1", "cp-2", "cp-3"), "exactly one manager leads")
	assert.Contains(t, e.events("kube-system"), "kube-controller-manager LeaderElection: "+holder+" became leader")
	renewed := l.Spec.RenewTime.Time
	e.run(5 * time.Second)
	assert.True(t, lease(t, e).Spec.RenewTime.After(renewed), "the leader renews every retry period")

	crashedAt := e.K.Now()
	require.NoError(t, e.K.Crash("kube-controller-manager-"+leader))
	var newHolder string
	e.waitFor("a new leader", func() bool {
		newHolder = *lease(t, e).Spec.HolderIdentity
		return newHolder != holder
	}, time.Minute)
	took := e.K.Now() - crashedAt
	assert.GreaterOrEqual(t, took, 13*time.Second, "nobody takes a lease before it expires")
	assert.LessOrEqual(t, took, 22*time.Second, "a candidate retries every 2-4.4 s after expiry")
	l = lease(t, e)
	assert.Equal(t, int32(1), *l.Spec.LeaseTransitions)
	assert.True(t, l.Spec.AcquireTime.Equal(*l.Spec.RenewTime))
	assert.Len(t, winners(e, standbys...), 1, "exactly one standby took over")

	// The new leader's controllers work.
	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "after-failover"}})
	e.waitFor("the default ServiceAccount", func() bool {
		_, err := e.Admin.Get("serviceaccounts", "after-failover", "default")
		return err == nil
	}, 10*time.Second)
	e.run(time.Minute)
	assert.Len(t, winners(e, standbys...), 1, "the new leader keeps the lease")
}

// A leader cut off from every apiserver gives up at the renew deadline
// (10 s), before any candidate can take the lease (15 s after its last
// renewal): there is no moment with two active managers.
func TestLeaderElectionPartitionedLeaderStepsDown(t *testing.T) {
	e := haCluster(t, 4)
	leader := (*lease(t, e).Spec.HolderIdentity)[:4]
	var standbys []string
	for _, n := range []string{"cp-1", "cp-2", "cp-3"} {
		if n != leader {
			standbys = append(standbys, n)
		}
	}
	for _, a := range e.APIServers {
		e.K.CutLink("kube-controller-manager-"+leader, a)
	}
	cutAt := e.K.Now()
	e.waitFor("the leader to step down", func() bool {
		return e.logsContain("kube-controller-manager-"+leader, "leaderelection lost")
	}, time.Minute)
	steppedDown := e.K.Now() - cutAt
	assert.True(t, e.logsContain("kube-controller-manager-"+leader, "failed to renew lease kube-system/kube-controller-manager"))
	assert.Empty(t, winners(e, standbys...), "nobody took over before the old leader stopped")
	e.waitFor("a new leader", func() bool { return len(winners(e, standbys...)) == 1 }, time.Minute)
	assert.Less(t, steppedDown, 15*time.Second)

	// Healed, the old leader stays a candidate.
	for _, a := range e.APIServers {
		e.K.HealLink("kube-controller-manager-"+leader, a)
	}
	e.run(time.Minute)
	assert.NotContains(t, *lease(t, e).Spec.HolderIdentity, leader+"_")
}

// The leader's whole control-plane node powers off (its etcd member and
// kube-apiserver with it): the other two nodes keep quorum and one of
// their managers takes the lease.
func TestLeaderElectionNodeLoss(t *testing.T) {
	e := haCluster(t, 5)
	holder := *lease(t, e).Spec.HolderIdentity
	leader := holder[:4]
	require.NoError(t, e.K.StopNode(leader))
	e.waitFor("a new leader", func() bool {
		o, err := e.Admin.Get("leases", "kube-system", controllers.LeaseName)
		return err == nil && *o.(*api.Lease).Spec.HolderIdentity != holder
	}, 2*time.Minute)
	assert.NotContains(t, *lease(t, e).Spec.HolderIdentity, leader+"_")
}

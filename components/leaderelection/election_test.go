package leaderelection_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/leaderelection"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// candidate is a bare actor running an elector against a test lease.
type candidate struct {
	started, stopped int
	leaders          []string
	leading          bool
}

func spawn(t *testing.T, c *cluster.Cluster, name string, cand *candidate) {
	t.Helper()
	require.NoError(t, c.K.Spawn(sim.ActorSpec{Name: name, Node: "cp-1", Component: "test", Run: func(ctx *sim.Ctx) {
		cl := client.New(ctx, cluster.ControllerToken, c.APIServers...)
		cl.Timeout = time.Second
		e, err := leaderelection.New(ctx, leaderelection.Config{Client: cl, Namespace: "kube-system", Name: "test-lock", Identity: name,
			LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: time.Second,
			Callbacks: leaderelection.Callbacks{
				OnStartedLeading: func() { cand.started++; cand.leading = true },
				OnStoppedLeading: func() { cand.stopped++; cand.leading = false },
				OnNewLeader:      func(id string) { cand.leaders = append(cand.leaders, id) },
			}})
		if err != nil {
			panic(err)
		}
		e.Start()
		for {
			e.Handle(ctx.Recv())
		}
	}}))
}

// Two candidates start in the same instant with no lease: both try to
// create it, one gets AlreadyExists and waits. The holder's death hands
// the lease over after the lease duration.
func TestTwoCandidatesOneLeader(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 5, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	a, b := &candidate{}, &candidate{}
	spawn(t, c, "cand-a", a)
	spawn(t, c, "cand-b", b)
	c.K.RunFor(10 * time.Second)
	require.Equal(t, 1, a.started+b.started, "exactly one leader")
	leader, standby, leaderName := a, b, "cand-a"
	if b.started == 1 {
		leader, standby, leaderName = b, a, "cand-b"
	}
	assert.Equal(t, []string{leaderName}, standby.leaders, "the standby saw who leads")
	o, err := c.Admin.Get("leases", "kube-system", "test-lock")
	require.NoError(t, err)
	l := o.(*api.Lease)
	assert.Equal(t, leaderName, *l.Spec.HolderIdentity)
	assert.Equal(t, int32(4), *l.Spec.LeaseDurationSeconds)

	require.NoError(t, c.K.Crash(leaderName))
	c.K.RunFor(10 * time.Second)
	assert.Equal(t, 1, standby.started, "the standby took over")
	assert.Equal(t, 0, leader.stopped, "a crashed process runs no callbacks")
	o, _ = c.Admin.Get("leases", "kube-system", "test-lock")
	assert.Equal(t, int32(1), *o.(*api.Lease).Spec.LeaseTransitions)
}

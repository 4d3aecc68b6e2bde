package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInformerWatchIDsDoNotCollideAcrossAPIServers: watch IDs are numbered
// by each apiserver on its own, so after a failover one actor can hold a
// pods watch with ID n on one apiserver and a namespaces watch with the
// same n on another. Each informer must take only the events of its own
// watch — its ID, from the apiserver that serves it — or the pods informer
// fills with Namespaces.
func TestInformerWatchIDsDoNotCollideAcrossAPIServers(t *testing.T) {
	c, err := New(Config{Seed: 3, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}})
	require.NoError(t, err)
	defer c.Stop()
	c.K.RunFor(5 * time.Second)
	api1, api2 := c.APIServers[0], c.APIServers[1]

	var pods, namespaces *client.Informer
	var runErr []error
	var misrouted []string
	require.NoError(t, c.K.Spawn(sim.ActorSpec{Name: "watcher", Node: "outside", Run: func(ctx *sim.Ctx) {
		cl := client.New(ctx, AdminToken, c.APIServers...)
		pods = client.NewInformer(cl, "pods", "default", client.ListOptions{})
		pods.AddHandler(client.Handler{OnAdd: func(o api.Object) {
			if _, ok := o.(*api.Pod); !ok {
				misrouted = append(misrouted, fmt.Sprintf("the pods informer got %T %q", o, o.GetObjectMeta().Name))
			}
		}})
		namespaces = client.NewInformer(cl, "namespaces", "", client.ListOptions{})
		runErr = append(runErr, pods.Run())
		ctx.Sleep(5 * time.Second)
		runErr = append(runErr, namespaces.Run())
		for {
			m := ctx.Recv()
			if !pods.Dispatch(m) {
				namespaces.Dispatch(m)
			}
		}
	}}))
	c.K.RunFor(time.Second)
	server, podsID := pods.Watching()
	require.Equal(t, api1, server)

	// From now on the watcher's requests to the first apiserver are lost
	// (the pods watch still streams): the namespaces informer fails over
	// to the second. Open watches there first, so that its next ID is the
	// pods watch's.
	_, err = c.K.AddRule(sim.Rule{From: "watcher", To: api1, Kind: apiwire.KindRequest, Drop: true})
	require.NoError(t, err)
	pad := c.K.External("pad", "")
	for {
		m, err := pad.Call(api2, apiwire.KindRequest, &apiwire.Request{Verb: apiwire.VerbWatch, Resource: "configmaps", Namespace: "default", Token: AdminToken}, 5*time.Second)
		require.NoError(t, err)
		id := m.Body.(*apiwire.Response).WatchID
		require.Less(t, id, podsID, "precondition: the second apiserver's IDs are behind the first's")
		if id == podsID-1 {
			break
		}
	}
	c.K.RunFor(30 * time.Second)
	require.Equal(t, []error{nil, nil}, runErr)
	server, nsID := namespaces.Watching()
	require.Equal(t, api2, server, "the namespaces informer failed over")
	require.Equal(t, podsID, nsID, "precondition: two watches with one ID")

	_, err = c.Admin.Create(&api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "team-a"}})
	require.NoError(t, err)
	c.K.RunFor(5 * time.Second)
	assert.Empty(t, misrouted)
	_, ok := namespaces.Get("team-a")
	assert.True(t, ok, "the namespaces informer got its event")
	_, ok = pods.Get("team-a")
	assert.False(t, ok)
}

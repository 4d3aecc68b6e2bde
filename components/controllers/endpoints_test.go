package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func endpointsObject(e *env, name string) *api.Endpoints {
	o, err := e.Admin.Get("endpoints", "default", name)
	if err != nil {
		return nil
	}
	return o.(*api.Endpoints)
}

// The v1 Endpoints of a Service: ready pods in addresses, not-ready ones in
// notReadyAddresses, terminating ones left out; the named targetPort
// resolved; kubectl's column; gone with the Service; a selector-less
// Service's Endpoints left alone.
func TestEndpointsFollowTheSelectedPods(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewEndpoints)
	e.registerNode("worker-1", "zone-a")
	e.create(service("web", false))
	e.waitFor("the Endpoints", func() bool { return endpointsObject(e, "web") != nil }, 5*time.Second)
	assert.Empty(t, endpointsObject(e, "web").Subsets, "no pod yet: no subsets")

	for _, n := range []string{"web-ready", "web-starting", "web-stopping", "web-noip"} {
		p := nakedPod(n)
		p.Labels = map[string]string{"app": "web"}
		e.create(p)
	}
	e.runPod("default", "web-ready", "worker-1", "10.244.1.2", true)
	e.runPod("default", "web-starting", "worker-1", "10.244.1.3", false)
	e.runPod("default", "web-stopping", "worker-1", "10.244.1.4", true)
	_, err := e.Admin.Delete("pods", "default", "web-stopping", client.DeleteOptions{})
	require.NoError(t, err)
	e.run(2 * time.Second)

	ep := endpointsObject(e, "web")
	require.NotNil(t, ep)
	assert.Equal(t, map[string]string{"tier": "front", "endpointslice.kubernetes.io/skip-mirror": "true"}, ep.Labels)
	assert.Empty(t, ep.OwnerReferences, "Endpoints have no owner reference")
	require.Len(t, ep.Subsets, 1)
	sub := ep.Subsets[0]
	require.Len(t, sub.Addresses, 1)
	assert.Equal(t, "10.244.1.2", sub.Addresses[0].IP)
	assert.Equal(t, "web-ready", sub.Addresses[0].TargetRef.Name)
	assert.Equal(t, "worker-1", *sub.Addresses[0].NodeName)
	require.Len(t, sub.NotReadyAddresses, 1)
	assert.Equal(t, "10.244.1.3", sub.NotReadyAddresses[0].IP)
	assert.Equal(t, []api.EndpointPort{{Name: "http", Port: 8080, Protocol: api.ProtocolTCP}}, sub.Ports)

	// A user's Endpoints for a Service without a selector stay as written.
	own := &api.Service{ObjectMeta: api.ObjectMeta{Name: "external", Namespace: "default"},
		Spec: api.ServiceSpec{Ports: []api.ServicePort{{Port: 5432, TargetPort: api.FromInt32(5432)}}}}
	e.create(own)
	e.create(&api.Endpoints{TypeMeta: api.TypeMeta{Kind: "Endpoints", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "external", Namespace: "default"},
		Subsets: []api.EndpointSubset{{Addresses: []api.EndpointAddress{{IP: "192.0.2.10"}}, Ports: []api.EndpointPort{{Port: 5432}}}}})
	e.run(2 * time.Second)
	require.NotNil(t, endpointsObject(e, "external"))
	assert.Equal(t, "192.0.2.10", endpointsObject(e, "external").Subsets[0].Addresses[0].IP)

	_, err = e.Admin.Delete("services", "default", "web", client.DeleteOptions{})
	require.NoError(t, err)
	e.run(2 * time.Second)
	assert.Nil(t, endpointsObject(e, "web"), "the Endpoints go with the Service")
}

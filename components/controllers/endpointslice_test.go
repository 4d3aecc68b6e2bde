package controllers_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func service(name string, publishNotReady bool) *api.Service {
	return &api.Service{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"tier": "front"}},
		Spec: api.ServiceSpec{Selector: map[string]string{"app": name}, PublishNotReadyAddresses: publishNotReady,
			Ports: []api.ServicePort{{Name: "http", Port: 80, TargetPort: api.FromString("http")}}}}
}

func slices(e *env, svc string) []*api.EndpointSlice {
	var out []*api.EndpointSlice
	for _, o := range e.list("endpointslices", "default") {
		s := o.(*api.EndpointSlice)
		if s.Labels[api.LabelServiceName] == svc {
			out = append(out, s)
		}
	}
	return out
}

type epView struct {
	pod                         string
	ready, serving, terminating bool
}

func endpointsOf(ss []*api.EndpointSlice) []epView {
	var out []epView
	for _, s := range ss {
		for _, ep := range s.Endpoints {
			out = append(out, epView{ep.TargetRef.Name, *ep.Conditions.Ready, *ep.Conditions.Serving, *ep.Conditions.Terminating})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pod < out[j].pod })
	return out
}

func TestEndpointSliceConditionsAndPorts(t *testing.T) {
	tests := []struct {
		name            string
		publishNotReady bool
		want            []epView
	}{
		{name: "default", want: []epView{{"web-ready", true, true, false}, {"web-starting", false, false, false}, {"web-stopping", false, true, true}}},
		{name: "publishNotReadyAddresses", publishNotReady: true, want: []epView{{"web-ready", true, true, false}, {"web-starting", true, false, false}, {"web-stopping", true, true, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := boot(t, cluster.Config{}, controllers.NewEndpointSlices)
			e.registerNode("worker-1", "zone-a")
			svc := e.create(service("web", tt.publishNotReady)).(*api.Service)
			e.waitFor("the placeholder slice", func() bool { return len(slices(e, "web")) == 1 }, 5*time.Second)
			assert.Empty(t, slices(e, "web")[0].Endpoints, "a Service without endpoints has an empty placeholder")
			assert.Empty(t, slices(e, "web")[0].Ports, "the placeholder has no ports (kubectl shows <unset>)")

			for _, n := range []string{"web-ready", "web-starting", "web-stopping", "web-noip"} {
				p := nakedPod(n)
				p.Labels = map[string]string{"app": "web"}
				e.create(p)
			}
			e.create(nakedPod("other"))
			e.runPod("default", "web-ready", "worker-1", "10.244.1.2", true)
			e.runPod("default", "web-starting", "worker-1", "10.244.1.3", false)
			e.runPod("default", "web-stopping", "worker-1", "10.244.1.4", true)
			_, err := e.Admin.Delete("pods", "default", "web-stopping", client.DeleteOptions{})
			require.NoError(t, err)
			e.run(2 * time.Second)

			ss := slices(e, "web")
			require.Len(t, ss, 1)
			s := ss[0]
			assert.Regexp(t, `^web-[a-z0-9]{5}$`, s.Name)
			assert.Equal(t, api.AddressTypeIPv4, s.AddressType)
			assert.Equal(t, map[string]string{"tier": "front", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}, s.Labels)
			require.NotNil(t, s.ControllerRef())
			assert.Equal(t, svc.UID, s.ControllerRef().UID)
			require.Len(t, s.Ports, 1)
			assert.Equal(t, "http", *s.Ports[0].Name)
			assert.Equal(t, int32(8080), *s.Ports[0].Port, "the named targetPort resolved to the container port")
			assert.Equal(t, api.ProtocolTCP, *s.Ports[0].Protocol)
			assert.Equal(t, tt.want, endpointsOf(ss))
			ep := s.Endpoints[0]
			assert.Equal(t, "worker-1", *ep.NodeName)
			assert.Equal(t, "zone-a", *ep.Zone)
			assert.Equal(t, "Pod", ep.TargetRef.Kind)
		})
	}
}

// 150 endpoints make two slices (100 + 50); scaling back merges them.
func TestEndpointSliceAtMost100PerSlice(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewEndpointSlices)
	e.create(service("big", false))
	for i := 0; i < 150; i++ {
		p := nakedPod(fmt.Sprintf("big-%03d", i))
		p.Labels = map[string]string{"app": "big"}
		e.create(p)
		e.runPod("default", p.Name, "worker-1", fmt.Sprintf("10.244.%d.%d", 1+i/200, 2+i%200), true)
	}
	e.run(2 * time.Second)
	var sizes []int
	for _, s := range slices(e, "big") {
		sizes = append(sizes, len(s.Endpoints))
	}
	sort.Ints(sizes)
	assert.Equal(t, []int{50, 100}, sizes)
	for i := 0; i < 100; i++ {
		_, err := e.Admin.Delete("pods", "default", fmt.Sprintf("big-%03d", i), client.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
		require.NoError(t, err)
	}
	e.run(2 * time.Second)
	ss := slices(e, "big")
	require.Len(t, ss, 1)
	assert.Len(t, ss[0].Endpoints, 50)
}

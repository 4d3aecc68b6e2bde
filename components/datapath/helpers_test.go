package datapath_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/require"
)

// env is a cluster with the service data path wired as sim/cluster will
// wire it: a kernel and kube-proxy on every node, CoreDNS pods behind
// kube-dns. Pods run through the kubelets; Services are created without
// selectors and the test writes their EndpointSlices.
type env struct {
	t     testing.TB
	c     *cluster.Cluster
	nodes []string
	p     *datapath.Prober
}

type envOpts struct {
	seed      uint64
	mode      kubeproxy.Mode
	upstreams []dns.Upstream
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	if o.seed == 0 {
		o.seed = 1
	}
	// The cluster runs each node's kernel rules and kube-proxy (in the
	// requested mode); the tests add their own CoreDNS pods below and write
	// EndpointSlices by hand, so the EndpointSlice controller stays out.
	var ctrls []func() controllers.Controller
	for _, mk := range controllers.Defaults() {
		if mk().Name() != "endpointslice" {
			ctrls = append(ctrls, mk)
		}
	}
	c, err := cluster.New(cluster.Config{Seed: o.seed, ProxyMode: o.mode, Controllers: ctrls})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	e := &env{t: t, c: c, nodes: []string{"cp-1", "worker-1", "worker-2"}}
	c.K.RunFor(5 * time.Second)
	e.p = datapath.NewProber(c.K, c.Admin)
	e.coreDNS(o.upstreams)
	return e
}

// coreDNS runs two CoreDNS pods (coredns-1 on cp-1, coredns-2 on
// worker-2) behind kube-system/kube-dns.
func (e *env) coreDNS(upstreams []dns.Upstream) {
	ports := []api.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: api.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53, Protocol: api.ProtocolTCP}, {Name: "metrics", ContainerPort: 9153, Protocol: api.ProtocolTCP}}
	var ips []string
	for i, node := range []string{"cp-1", "worker-2"} {
		name := fmt.Sprintf("coredns-%d", i+1)
		run := coredns.New(coredns.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "coredns"), APIServers: e.c.APIServers, Upstreams: upstreams})
		require.NoError(e.t, e.c.K.Spawn(sim.ActorSpec{Name: name, Node: node, Component: "coredns", Run: run}))
		ips = append(ips, e.pod("kube-system", name, node, map[string]string{"k8s-app": "kube-dns"}, ports...))
	}
	e.service("kube-system", "kube-dns", "10.96.0.10", []api.ServicePort{
		{Name: "dns", Port: 53, Protocol: api.ProtocolUDP, TargetPort: api.FromInt32(53)},
		{Name: "dns-tcp", Port: 53, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(53)},
		{Name: "metrics", Port: 9153, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(9153)},
	})
	e.slice("kube-system", "kube-dns", []api.EndpointSlicePort{{Name: ptr("dns"), Port: ptr(int32(53)), Protocol: ptr(api.ProtocolUDP)}, {Name: ptr("dns-tcp"), Port: ptr(int32(53)), Protocol: ptr(api.ProtocolTCP)}, {Name: ptr("metrics"), Port: ptr(int32(9153)), Protocol: ptr(api.ProtocolTCP)}},
		map[string]string{ips[0]: "cp-1", ips[1]: "worker-2"})
	e.settle()
}

func ptr[T any](v T) *T { return &v }

// settle runs long enough for informers and kube-proxy's minSyncPeriod.
func (e *env) settle() { e.c.K.RunFor(3 * time.Second) }

// pod runs a pod on a node through its kubelet and returns its IP once it
// is Running. Its image is not in kubesim's catalog, so it listens on its
// declared ports and answers HTTP with its name.
func (e *env) pod(ns, name, node string, labels map[string]string, ports ...api.ContainerPort) string {
	e.t.Helper()
	pod := &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: api.PodSpec{NodeName: node, Containers: []api.Container{{Name: "app", Image: "example.com/demo/hostname:1.0", Ports: ports}}}}
	_, err := e.c.Admin.Create(pod)
	require.NoError(e.t, err)
	var ip string
	ok := e.c.WaitFor(func() bool {
		o, err := e.c.Admin.Get("pods", ns, name)
		if err != nil {
			return false
		}
		p := o.(*api.Pod)
		ip = p.Status.PodIP
		return p.Status.Phase == api.PodRunning && ip != ""
	}, 2*time.Minute)
	require.True(e.t, ok, "pod %s/%s did not start", ns, name)
	return ip
}

func (e *env) service(ns, name, clusterIP string, ports []api.ServicePort) {
	e.t.Helper()
	svc := &api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP}, Ports: ports}}
	_, err := e.c.Admin.Create(svc)
	require.NoError(e.t, err)
}

// slice writes the Service's EndpointSlice (ip -> node), all ready.
func (e *env) slice(ns, svc string, ports []api.EndpointSlicePort, eps map[string]string) {
	e.t.Helper()
	es := &api.EndpointSlice{TypeMeta: api.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
		ObjectMeta:  api.ObjectMeta{Namespace: ns, Name: svc + "-abcde", Labels: map[string]string{"kubernetes.io/service-name": svc, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
		AddressType: api.AddressTypeIPv4, Ports: ports}
	for _, ip := range sortedKeys(eps) {
		es.Endpoints = append(es.Endpoints, api.Endpoint{Addresses: []string{ip}, Conditions: api.EndpointConditions{Ready: ptr(true)}, NodeName: ptr(eps[ip])})
	}
	old, err := e.c.Admin.Get("endpointslices", ns, es.Name)
	if err == nil {
		es.ResourceVersion = old.GetObjectMeta().ResourceVersion
		_, err = e.c.Admin.Update(es)
	} else {
		_, err = e.c.Admin.Create(es)
	}
	require.NoError(e.t, err)
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, _ := netip.ParseAddr(out[i])
			b, _ := netip.ParseAddr(out[j])
			if b.Less(a) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// deletePod removes a pod at once; its kubelet tears the sandbox down
// (CNI DEL).
func (e *env) deletePod(ns, name string) {
	e.t.Helper()
	_, err := e.c.Admin.Delete("pods", ns, name, client.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
	require.NoError(e.t, err)
	e.settle()
}

var clientListAll = client.ListOptions{}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

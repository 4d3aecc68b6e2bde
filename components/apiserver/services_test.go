package apiserver_test

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func svc(name string, typ api.ServiceType, clusterIP string, ports ...api.ServicePort) *api.Service {
	return &api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.ServiceSpec{Type: typ, ClusterIP: clusterIP, Selector: map[string]string{"app": name}, Ports: ports}}
}

func port(name string, p int32) api.ServicePort { return api.ServicePort{Name: name, Port: p} }

func TestServiceClusterIPAllocation(t *testing.T) {
	c := boot(t)
	k, err := client.Get[*api.Service](c.Admin, "default", "kubernetes")
	require.NoError(t, err)
	assert.Equal(t, "10.96.0.1", k.Spec.ClusterIP, "the kubernetes Service sits at the first address of the range")
	assert.Equal(t, int32(443), k.Spec.Ports[0].Port)

	obj, err := c.Admin.Create(svc("web", "", "", port("http", 80)))
	require.NoError(t, err)
	web := obj.(*api.Service)
	ip := netip.MustParseAddr(web.Spec.ClusterIP)
	assert.True(t, netip.MustParsePrefix("10.96.0.0/12").Contains(ip))
	assert.False(t, netip.MustParsePrefix("10.96.0.0/24").Contains(ip), "dynamic addresses come from the upper band")
	assert.Equal(t, []string{web.Spec.ClusterIP}, web.Spec.ClusterIPs)
	assert.Equal(t, api.ServiceTypeClusterIP, web.Spec.Type)
	assert.Equal(t, api.FromInt32(80), web.Spec.Ports[0].TargetPort, "targetPort defaults to port")
	assert.Equal(t, []api.IPFamily{api.IPv4Protocol}, web.Spec.IPFamilies)

	_, err = c.Admin.Create(svc("dns", "", "10.96.0.20", port("dns", 53)))
	require.NoError(t, err)
	_, err = c.Admin.Create(svc("dns2", "", "10.96.0.20", port("dns", 53)))
	assert.EqualError(t, err, `Service "dns2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.20"}: failed to allocate IP 10.96.0.20: provided IP is already allocated`)
	_, err = c.Admin.Create(svc("far", "", "10.0.0.1", port("http", 80)))
	assert.EqualError(t, err, `Service "far" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12`)

	// Deleting frees the address.
	_, err = c.Admin.Delete("services", "default", "dns", client.DeleteOptions{})
	require.NoError(t, err)
	_, err = c.Admin.Create(svc("dns2", "", "10.96.0.20", port("dns", 53)))
	assert.NoError(t, err)

	// An update that leaves clusterIP out keeps it; changing it is refused.
	upd := svc("web", "", "", port("http", 8080))
	upd.ResourceVersion = ""
	obj, err = c.Admin.Update(upd)
	require.NoError(t, err)
	assert.Equal(t, web.Spec.ClusterIP, obj.(*api.Service).Spec.ClusterIP)
	upd.Spec.ClusterIP = "10.96.0.99"
	_, err = c.Admin.Update(upd)
	assert.ErrorContains(t, err, "may not change once set")
}

func TestNodePortHeadlessAndExternalName(t *testing.T) {
	c := boot(t)
	obj, err := c.Admin.Create(svc("np", api.ServiceTypeNodePort, "", port("http", 80)))
	require.NoError(t, err)
	np := obj.(*api.Service).Spec.Ports[0].NodePort
	assert.Equal(t, api.ServiceExternalTrafficPolicyCluster, obj.(*api.Service).Spec.ExternalTrafficPolicy, "NodePort Services default to externalTrafficPolicy: Cluster")
	assert.GreaterOrEqual(t, np, int32(30000))
	assert.LessOrEqual(t, np, int32(32767))

	fixed := svc("np2", api.ServiceTypeNodePort, "", api.ServicePort{Name: "http", Port: 80, NodePort: np})
	_, err = c.Admin.Create(fixed)
	assert.EqualError(t, err, `Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: `+itoa(np)+`: provided port is already allocated`)

	obj, err = c.Admin.Create(svc("db", "", "None"))
	require.NoError(t, err)
	assert.Equal(t, []string{"None"}, obj.(*api.Service).Spec.ClusterIPs, "headless")

	ext := svc("mail", api.ServiceTypeExternalName, "")
	ext.Spec.ExternalName = "mail.example.com"
	obj, err = c.Admin.Create(ext)
	require.NoError(t, err)
	assert.Empty(t, obj.(*api.Service).Spec.ClusterIP)
}

func itoa(v int32) string { return strconv.Itoa(int(v)) }

func TestServiceValidationMessages(t *testing.T) {
	c := boot(t)
	tests := []struct {
		name    string
		svc     *api.Service
		wantErr string
	}{
		{"no ports", svc("a", "", ""), `Service "a" is invalid: spec.ports: Required value`},
		{"port out of range", svc("b", "", "", port("http", 70000)), `Service "b" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]`},
		{"unnamed second port", svc("c", "", "", port("http", 80), port("", 443)), `Service "c" is invalid: spec.ports[1].name: Required value`},
		{"duplicate port name", svc("d", "", "", port("http", 80), port("http", 81)), `Service "d" is invalid: spec.ports[1].name: Duplicate value: "http"`},
		{"bad type", svc("e", "Balanced", "", port("http", 80)), `Service "e" is invalid: spec.type: Unsupported value: "Balanced": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`},
		{"nodePort out of range", svc("f", api.ServiceTypeNodePort, "", api.ServicePort{Name: "http", Port: 80, NodePort: 80}), `Service "f" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767`},
		{"ExternalName without a name", svc("g", api.ServiceTypeExternalName, ""), `Service "g" is invalid: spec.externalName: Required value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Admin.Create(tt.svc)
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

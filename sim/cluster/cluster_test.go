package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBootAndApply(t *testing.T) {
	c, err := New(Config{Seed: 1})
	require.NoError(t, err)
	defer c.Stop()
	res, err := c.Apply("web.yaml", []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: main
    image: nginx:1.27
`))
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, "pod/web created", res[0].String())

	res, err = c.Apply("web.yaml", []byte(`{apiVersion: "v1", kind: "Pod", metadata: {name: "web"}, spec: {containers: [{name: "main", image: "nginx:1.27"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, "pod/web unchanged", res[0].String())

	_, err = c.Apply("bad.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: main\n    imagee: nginx\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yaml:8")
	_, err = c.Admin.Get("pods", "default", "x")
	assert.Error(t, err, "nothing from a bad file is stored")

	sa, err := c.Admin.Get("serviceaccounts", "kube-system", "default")
	require.NoError(t, err)
	assert.Equal(t, "default", sa.(*api.ServiceAccount).Name, "the ServiceAccount controller ran")
}

func TestThreeControlPlanesShareOneEtcdAndSurviveANodeLoss(t *testing.T) {
	c, err := New(Config{Seed: 3, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	require.Equal(t, []string{"etcd-cp-1", "etcd-cp-2", "etcd-cp-3"}, c.EtcdMembers)
	_, err = c.Apply("cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before\n"))
	require.NoError(t, err)

	// Every apiserver reads the same etcd cluster.
	for _, srv := range c.APIServers {
		cl := client.New(c.Kubectl(), AdminToken, srv)
		_, err := cl.Get("configmaps", "default", "before")
		assert.NoError(t, err, "read through %s", srv)
	}

	// Losing a control-plane node keeps the cluster serving: kubectl's
	// endpoint list moves on and etcd keeps a quorum of two.
	require.NoError(t, c.K.StopNode("cp-1"))
	c.K.RunFor(5 * time.Second)
	_, err = c.Apply("cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\n"))
	require.NoError(t, err)
	_, err = c.Admin.Get("configmaps", "default", "after")
	assert.NoError(t, err)
}

// The kubernetes Service's endpoints are the live apiservers: each renews a
// 15 s lease every 10 s, and a dead one's address goes when its lease does.
func TestKubernetesServiceEndpointsAreTheLiveAPIServers(t *testing.T) {
	c, err := New(Config{Seed: 4, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	addresses := func() []string {
		o, err := c.Admin.Get("endpoints", "default", "kubernetes")
		if err != nil {
			return nil
		}
		var out []string
		for _, s := range o.(*api.Endpoints).Subsets {
			for _, a := range s.Addresses {
				for _, p := range s.Ports {
					out = append(out, fmt.Sprintf("%s:%d/%s", a.IP, p.Port, p.Name))
				}
			}
		}
		return out
	}
	all := []string{"172.18.0.2:6443/https", "172.18.0.3:6443/https", "172.18.0.4:6443/https"}
	require.True(t, c.WaitFor(func() bool { return assert.ObjectsAreEqual(all, addresses()) }, 30*time.Second), "saw %v", addresses())
	sl, err := c.Admin.Get("endpointslices", "default", "kubernetes")
	require.NoError(t, err)
	assert.Len(t, sl.(*api.EndpointSlice).Endpoints, 3)
	assert.Equal(t, "kubernetes", sl.GetObjectMeta().Labels["kubernetes.io/service-name"])

	require.NoError(t, c.K.StopNode("cp-3"))
	c.K.RunFor(5 * time.Second)
	assert.Equal(t, all, addresses(), "the lease has not expired yet")
	require.True(t, c.WaitFor(func() bool { return len(addresses()) == 2 }, time.Minute), "saw %v", addresses())
	assert.Equal(t, all[:2], addresses())
}

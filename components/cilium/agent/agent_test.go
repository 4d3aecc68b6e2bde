package agent_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func boot(t *testing.T) *cluster.Cluster {
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	for _, sa := range []string{"cilium", "cilium-operator"} {
		_, err := c.Admin.Create(&api.ServiceAccount{TypeMeta: api.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: sa, Namespace: "kube-system"}})
		require.NoError(t, err)
	}
	require.NoError(t, c.K.Spawn(sim.ActorSpec{Name: "cilium-operator", Node: "cp-1", Component: "cilium-operator",
		Run: agent.NewOperator(agent.OperatorConfig{Token: apiserver.ServiceAccountTokenFor("kube-system", "cilium-operator"), APIServers: c.APIServers})}))
	for _, n := range []string{"worker-1", "worker-2"} {
		require.NoError(t, c.K.Spawn(sim.ActorSpec{Name: cni.AgentName(n), Node: n, Component: "cilium",
			Run: agent.New(agent.Config{Node: n, Token: apiserver.ServiceAccountTokenFor("kube-system", "cilium"), APIServers: c.APIServers})}))
	}
	c.K.RunFor(5 * time.Second)
	return c
}

func add(t *testing.T, c *cluster.Cluster, node, name string, labels map[string]string) (*cni.AddResult, error) {
	kubelet := c.K.External("kubelet-"+node, node)
	m, err := kubelet.Call(cni.AgentName(node), cni.KindAdd, cni.AddRequest{Namespace: "default", Name: name, UID: api.UID("uid-" + name), Node: node, Labels: labels, ServiceAccount: "default"}, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return m.Body.(*cni.AddResult), nil
}

func TestOperatorCarvesNodeCIDRsAndAgentsHandOutAddresses(t *testing.T) {
	c := boot(t)
	cn1, err := c.Admin.Get("ciliumnodes", "", "worker-1")
	require.NoError(t, err)
	cn2, err := c.Admin.Get("ciliumnodes", "", "worker-2")
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0.0.0/24"}, cn1.(*api.CiliumNode).Spec.IPAM.PodCIDRs)
	assert.Equal(t, []string{"10.0.1.0/24"}, cn2.(*api.CiliumNode).Spec.IPAM.PodCIDRs)

	web1, err := add(t, c, "worker-1", "web-1", map[string]string{"app": "web"})
	require.NoError(t, err)
	web2, err := add(t, c, "worker-1", "web-2", map[string]string{"app": "web"})
	require.NoError(t, err)
	db, err := add(t, c, "worker-2", "db", map[string]string{"app": "db"})
	require.NoError(t, err)
	assert.NotEqual(t, web1.IP, web2.IP, "never the same address twice")
	assert.Equal(t, int64(256), web1.Identity, "the first allocated identity")
	assert.Equal(t, web1.Identity, web2.Identity, "one identity per label set")
	assert.Equal(t, int64(257), db.Identity, "identities are cluster-wide")
	assert.Contains(t, db.IP, "10.0.1.")

	cep, err := c.Admin.Get("ciliumendpoints", "default", "web-1")
	require.NoError(t, err)
	assert.Equal(t, web1.IP, cep.(*api.CiliumEndpoint).Status.Networking.Addressing[0].IPv4)

	// DEL frees the address and the endpoint; a new pod may get the address.
	kubelet := c.K.External("kubelet-worker-1", "worker-1")
	_, err = kubelet.Call(cni.AgentName("worker-1"), cni.KindDel, cni.DelRequest{Namespace: "default", Name: "web-1"}, 10*time.Second)
	require.NoError(t, err)
	_, err = c.Admin.Get("ciliumendpoints", "default", "web-1")
	assert.Error(t, err)
	web3, err := add(t, c, "worker-1", "web-3", map[string]string{"app": "web"})
	require.NoError(t, err)
	assert.Equal(t, web1.IP, web3.IP, "the lowest free address is reused")
}

func TestAgentDownMeansNoNetworkAndRestartRestores(t *testing.T) {
	c := boot(t)
	first, err := add(t, c, "worker-1", "web-1", map[string]string{"app": "web"})
	require.NoError(t, err)
	require.NoError(t, c.K.Crash(cni.AgentName("worker-1")))
	_, err = add(t, c, "worker-1", "web-2", map[string]string{"app": "web"})
	assert.ErrorIs(t, err, sim.ErrRefused, "no agent: the CNI plugin cannot reach it")

	require.NoError(t, c.K.Restart(cni.AgentName("worker-1")))
	c.K.RunFor(5 * time.Second)
	second, err := add(t, c, "worker-1", "web-2", map[string]string{"app": "web"})
	require.NoError(t, err)
	assert.NotEqual(t, first.IP, second.IP, "the restarted agent restored web-1's address")
}

package agent_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/cilium"
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
	// The cluster runs the operator (package agent) and an agent per node.
	require.True(t, c.K.Running("cilium-operator"))
	require.True(t, c.K.Running(cni.AgentName("worker-1")))
	c.K.RunFor(5 * time.Second)
	return c
}

func add(t *testing.T, c *cluster.Cluster, node, name string, labels map[string]string) (*cni.AddResult, error) {
	kubelet := c.K.External("cni-plugin-"+node, node)
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
	cp, err := c.Admin.Get("ciliumnodes", "", "cp-1")
	require.NoError(t, err)
	cidrs := map[string]bool{}
	for _, cn := range []api.Object{cp, cn1, cn2} {
		pc := cn.(*api.CiliumNode).Spec.IPAM.PodCIDRs
		require.Len(t, pc, 1)
		assert.Regexp(t, `^10\.0\.[0-2]\.0/24$`, pc[0], "per-node /24s from the 10.0.0.0/8 cluster pool")
		cidrs[pc[0]] = true
	}
	assert.Len(t, cidrs, 3, "never the same CIDR twice")

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
	assert.True(t, strings.HasPrefix(db.IP, strings.TrimSuffix(cn2.(*api.CiliumNode).Spec.IPAM.PodCIDRs[0], "0/24")), "worker-2's address comes from worker-2's CIDR")

	cep, err := c.Admin.Get("ciliumendpoints", "default", "web-1")
	require.NoError(t, err)
	assert.Equal(t, web1.IP, cep.(*api.CiliumEndpoint).Status.Networking.Addressing[0].IPv4)

	// DEL frees the address and the endpoint; a new pod may get the address.
	kubelet := c.K.External("cni-plugin-worker-1", "worker-1")
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

// kube-apiserver sends one message for all of a receiver's watches that
// see an event alike: a change to worker-1's CiliumNode reaches both of
// worker-1's agent's ciliumnodes informers (its own node's, for IPAM, and
// every node's, for routing) in one message, and both must apply it.
func TestAgentSeesItsOwnCiliumNodeChangeInEveryInformer(t *testing.T) {
	c := boot(t)
	web, err := add(t, c, "worker-1", "web-1", map[string]string{"app": "web"})
	require.NoError(t, err)
	cn, err := c.Admin.Get("ciliumnodes", "", "worker-1")
	require.NoError(t, err)
	cidrs := cn.(*api.CiliumNode).Spec.IPAM.PodCIDRs
	require.Len(t, cidrs, 1)
	_, err = c.Admin.Patch("ciliumnodes", "", "worker-1", apiwire.MergePatch, []byte(`{"spec":{"ipam":{"podCIDRs":["`+cidrs[0]+`","10.0.200.0/24"]}}}`), "")
	require.NoError(t, err)
	c.K.RunFor(time.Second)
	probe := c.K.External("probe-worker-1", "worker-1")
	m, err := probe.Call(cni.AgentName("worker-1"), agent.KindVerdict, agent.VerdictRequest{Direction: cilium.Egress,
		Src: netip.MustParseAddr(web.IP), Dst: netip.MustParseAddr("10.0.200.7"), SrcPort: 40000, DstPort: 80}, 10*time.Second)
	require.NoError(t, err)
	reply := m.Body.(agent.VerdictReply)
	assert.Equal(t, "worker-1", reply.DstNode, "an address of worker-1's new pod CIDR is worker-1's, not the world's")
}

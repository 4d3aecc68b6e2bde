package agent_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func verdict(t *testing.T, c *cluster.Cluster, node string, req agent.VerdictRequest) agent.VerdictReply {
	t.Helper()
	m, err := c.Kubectl().Call(cni.AgentName(node), agent.KindVerdict, req, 10*time.Second)
	require.NoError(t, err)
	return m.Body.(agent.VerdictReply)
}

// TestVerdictsAtBothEndsAndHubble: egress is decided at the source's
// agent, ingress at the destination's, and each records its side of the
// flow in its Hubble ring.
func TestVerdictsAtBothEndsAndHubble(t *testing.T) {
	c := boot(t)
	xwing, err := add(t, c, "worker-1", "xwing", map[string]string{"org": "alliance", "class": "xwing"})
	require.NoError(t, err)
	ds, err := add(t, c, "worker-2", "deathstar", map[string]string{"org": "empire", "class": "deathstar"})
	require.NoError(t, err)
	_, err = c.Apply("rule1.yaml", []byte(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: rule1
spec:
  endpointSelector:
    matchLabels: {org: empire, class: deathstar}
  ingress:
  - fromEndpoints:
    - matchLabels: {org: empire}
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
`))
	require.NoError(t, err)
	c.K.RunFor(2 * time.Second)

	req := agent.VerdictRequest{Direction: cilium.Egress, Src: netip.MustParseAddr(xwing.IP), Dst: netip.MustParseAddr(ds.IP), SrcPort: 43210, DstPort: 80, Protocol: "TCP"}
	eg := verdict(t, c, "worker-1", req)
	assert.True(t, eg.Allowed, "no egress policy selects the xwing")
	assert.Equal(t, "worker-2", eg.DstNode, "the ipcache knows where the deathstar lives")
	require.Len(t, eg.Flows, 1)
	assert.Equal(t, cilium.ToOverlay, eg.Flows[0].ObservationPoint)

	req.Direction = cilium.Ingress
	in := verdict(t, c, "worker-2", req)
	assert.False(t, in.Allowed)
	assert.Equal(t, cilium.Ingress, in.Decision.DroppedAt)
	assert.Equal(t, "default/deathstar", in.Pod)

	m, err := c.Kubectl().Call(cni.AgentName("worker-2"), agent.KindObserve, agent.ObserveRequest{Namespace: "default", Verdict: cilium.VerdictDropped}, 10*time.Second)
	require.NoError(t, err)
	assert.Regexp(t, `^\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: default/xwing:43210 \(ID:\d+\) <> default/deathstar:80 \(ID:\d+\) Policy denied DROPPED \(TCP Flags: SYN\)\n$`, m.Body.(string))
	m, err = c.Kubectl().Call(cni.AgentName("worker-1"), agent.KindObserve, agent.ObserveRequest{Pod: "xwing"}, 10*time.Second)
	require.NoError(t, err)
	assert.Regexp(t, `default/xwing:43210 \(ID:\d+\) -> default/deathstar:80 \(ID:\d+\) to-overlay FORWARDED \(TCP Flags: SYN\)\n$`, m.Body.(string))
}

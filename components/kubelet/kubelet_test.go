package kubelet

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPodLifecycle(t *testing.T) {
	e := newEnv(t, envOpts{})
	created := e.create(pod("web", "worker-1", "nginx:1.27"))

	p := e.waitPod("web", time.Minute, ready)
	assert.Equal(t, api.PodRunning, p.Status.Phase)
	assert.Equal(t, "172.18.0.3", p.Status.HostIP)
	assert.Equal(t, []api.HostIP{{IP: "172.18.0.3"}}, p.Status.HostIPs)
	assert.Equal(t, "10.0.1.1", p.Status.PodIP, "the address the network agent gave")
	assert.Equal(t, []api.PodIP{{IP: "10.0.1.1"}}, p.Status.PodIPs)
	require.NotNil(t, p.Status.StartTime)
	assert.Equal(t, api.PodQOSBestEffort, p.Status.QOSClass)

	var types []api.PodConditionType
	for _, c := range p.Status.Conditions {
		types = append(types, c.Type)
		assert.Equal(t, api.ConditionTrue, c.Status, c.Type)
		assert.Empty(t, c.Reason, c.Type)
		assert.False(t, c.LastTransitionTime.IsZero(), c.Type)
	}
	assert.Equal(t, []api.PodConditionType{api.PodReadyToStartContainers, api.PodInitialized, api.PodReady, api.ContainersReady, api.PodScheduled}, types)
	assert.Equal(t, created.CreationTimestamp, condition(p, api.PodScheduled).LastTransitionTime, "PodScheduled keeps the binding's time")

	require.Len(t, p.Status.ContainerStatuses, 1)
	cs := p.Status.ContainerStatuses[0]
	assert.Equal(t, "main", cs.Name)
	assert.Regexp(t, `^containerd://[0-9a-f]{64}$`, cs.ContainerID)
	assert.Equal(t, "docker.io/library/nginx:1.27", cs.Image)
	assert.Regexp(t, `^docker\.io/library/nginx@sha256:[0-9a-f]{64}$`, cs.ImageID)
	require.NotNil(t, cs.State.Running)
	assert.False(t, cs.State.Running.StartedAt.IsZero())
	assert.True(t, cs.Ready)
	require.NotNil(t, cs.Started)
	assert.True(t, *cs.Started)
	assert.Equal(t, int32(0), cs.RestartCount)
	assert.Nil(t, cs.LastTerminationState.Terminated)

	evs := e.events("default", "web")
	assert.Equal(t, []string{"Pulling", "Pulled", "Created", "Started"}, reasons(evs))
	assert.Equal(t, `Normal Pulling [spec.containers{main}] Pulling image "nginx:1.27"`, evs[0])
	assert.Regexp(t, regexp.MustCompile(`^Normal Pulled \[spec.containers\{main\}\] Successfully pulled image "nginx:1.27" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.$`), evs[1])
	assert.Equal(t, "Normal Created [spec.containers{main}] Created container: main", evs[2])
	assert.Equal(t, "Normal Started [spec.containers{main}] Started container main", evs[3])

	a := e.agents["worker-1"]
	require.Len(t, a.adds, 1)
	assert.Equal(t, "web", a.adds[0].Name)
	assert.Equal(t, created.UID, a.adds[0].UID)
	assert.Regexp(t, `^[0-9a-f]{64}$`, a.adds[0].ContainerID)
}

func TestFirstStatusIsContainerCreating(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27"))
	p := e.waitPod("web", time.Minute, func(p *api.Pod) bool { return len(p.Status.ContainerStatuses) > 0 })
	assert.Equal(t, api.PodPending, p.Status.Phase)
	cs := p.Status.ContainerStatuses[0]
	require.NotNil(t, cs.State.Waiting)
	assert.Equal(t, "ContainerCreating", cs.State.Waiting.Reason)
	assert.Equal(t, "nginx:1.27", cs.Image, "the spec's image until the runtime reports it")
	assert.Empty(t, cs.ImageID)
	assert.Empty(t, cs.ContainerID)
	assert.False(t, *cs.Started)
	assert.Equal(t, api.ConditionFalse, condition(p, api.PodReadyToStartContainers).Status)
	assert.Equal(t, api.ConditionTrue, condition(p, api.PodInitialized).Status)
	for _, ct := range []api.PodConditionType{api.PodReady, api.ContainersReady} {
		c := condition(p, ct)
		assert.Equal(t, api.ConditionFalse, c.Status)
		assert.Equal(t, "ContainersNotReady", c.Reason)
		assert.Equal(t, "containers with unready status: [main]", c.Message)
	}
}

func TestNoNetwork(t *testing.T) {
	e := newEnv(t, envOpts{noAgentOn: map[string]bool{"worker-2": true}})
	e.create(pod("web", "worker-2", "nginx:1.27"))
	require.False(t, e.c.WaitFor(func() bool { return running(e.get("web")) }, 45*time.Second))
	p := e.get("web")
	assert.Equal(t, api.PodPending, p.Status.Phase)
	assert.Equal(t, "ContainerCreating", p.Status.ContainerStatuses[0].State.Waiting.Reason)
	assert.Empty(t, p.Status.PodIP)
	evs := e.events("default", "web")
	require.NotEmpty(t, evs)
	assert.Regexp(t, `^Warning FailedCreatePodSandBox Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "[0-9a-f]{64}": plugin type="cilium-cni" name="cilium" failed \(add\): unable to connect to Cilium agent: failed to create cilium agent client after 30.000000 seconds timeout: Get "http://localhost/v1/config": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory\nIs the agent running\?$`, evs[0])

	// The agent comes up: the next retry gets the pod its network.
	e.startAgent("worker-2", 2)
	p = e.waitPod("web", 2*time.Minute, ready)
	assert.Equal(t, "10.0.2.1", p.Status.PodIP)
}

func TestNodeRegistration(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		node       string
		wantRole   bool
		wantTaints []api.Taint
	}{
		{node: "cp-1", wantRole: true, wantTaints: []api.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: api.TaintEffectNoSchedule}}},
		{node: "worker-1"},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			n, err := client.Get[*api.Node](e.c.Admin, "", tt.node)
			require.NoError(t, err)
			assert.Equal(t, tt.node, n.Labels["kubernetes.io/hostname"])
			assert.Equal(t, "linux", n.Labels["kubernetes.io/os"])
			assert.Equal(t, "amd64", n.Labels["kubernetes.io/arch"])
			assert.Equal(t, "zone-a", n.Labels["topology.kubernetes.io/zone"])
			_, role := n.Labels["node-role.kubernetes.io/control-plane"]
			assert.Equal(t, tt.wantRole, role)
			assert.Equal(t, tt.wantTaints, n.Spec.Taints)

			st := n.Status
			assert.Equal(t, "4", st.Capacity.Cpu().String())
			assert.Equal(t, "16393392Ki", st.Capacity.Memory().String())
			assert.Equal(t, "110", st.Capacity.Pods().String())
			assert.Equal(t, "4", st.Allocatable.Cpu().String())
			assert.Equal(t, "16290992Ki", st.Allocatable.Memory().String(), "capacity minus the 100Mi eviction threshold")
			eph := st.Allocatable[api.ResourceEphemeralStorage]
			assert.Equal(t, "93478772582", eph.String(), "capacity minus 10% (as a float32 fraction, as the kubelet computes it)")

			want := []struct{ typ, status, reason, msg string }{
				{"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
				{"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
				{"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
				{"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
			}
			require.Len(t, st.Conditions, len(want))
			for i, w := range want {
				c := st.Conditions[i]
				assert.Equal(t, w.typ, string(c.Type))
				assert.Equal(t, w.status, string(c.Status))
				assert.Equal(t, w.reason, c.Reason)
				assert.Equal(t, w.msg, c.Message)
			}
			assert.Equal(t, []api.NodeAddress{{Type: api.NodeInternalIP, Address: n.Status.Addresses[0].Address}, {Type: api.NodeHostName, Address: tt.node}}, st.Addresses)
			assert.Equal(t, "v1.32.4", st.NodeInfo.KubeletVersion)
			assert.True(t, strings.HasPrefix(st.NodeInfo.ContainerRuntimeVersion, "containerd://1.7."))
			assert.Equal(t, "linux", st.NodeInfo.OperatingSystem)
			assert.Equal(t, "amd64", st.NodeInfo.Architecture)
			assert.NotEmpty(t, st.NodeInfo.OSImage)
			assert.NotEmpty(t, st.NodeInfo.KernelVersion)
			assert.Regexp(t, `^[0-9a-f]{32}$`, st.NodeInfo.MachineID)
			assert.Equal(t, int32(10250), st.DaemonEndpoints.KubeletEndpoint.Port)
		})
	}
	evs := e.events("default", "worker-1")
	assert.Equal(t, []string{
		"Normal Starting Starting kubelet.",
		"Normal NodeHasSufficientMemory Node worker-1 status is now: NodeHasSufficientMemory",
		"Normal NodeHasNoDiskPressure Node worker-1 status is now: NodeHasNoDiskPressure",
		"Normal NodeHasSufficientPID Node worker-1 status is now: NodeHasSufficientPID",
		"Normal NodeAllocatableEnforced Updated Node Allocatable limit across pods",
		"Normal NodeReady Node worker-1 status is now: NodeReady",
	}, evs)
}

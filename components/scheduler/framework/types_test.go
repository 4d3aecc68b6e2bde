package framework_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

func TestComputePodRequests(t *testing.T) {
	tests := []struct {
		name        string
		pod         *api.Pod
		nonZero     bool
		wantCPU     int64
		wantMemory  int64
		wantScalars map[api.ResourceName]int64
	}{
		{name: "one container", pod: st.MakePod("p").Req("500m", "1Gi").Obj(), wantCPU: 500, wantMemory: 1 << 30},
		{name: "containers are summed", pod: st.MakePod("p").Req("500m", "1Gi").Container("250m", "1Gi").Obj(), wantCPU: 750, wantMemory: 2 << 30},
		{
			name:    "a larger init container wins over the sum of containers",
			pod:     st.MakePod("p").Req("500m", "1Gi").Container("250m", "1Gi").InitContainer("2", "512Mi").InitContainer("1", "3Gi").Obj(),
			wantCPU: 2000, wantMemory: 3 << 30,
		},
		{
			name:    "smaller init containers do not count",
			pod:     st.MakePod("p").Req("500m", "1Gi").InitContainer("100m", "100Mi").Obj(),
			wantCPU: 500, wantMemory: 1 << 30,
		},
		{
			name:    "overhead is added on top",
			pod:     st.MakePod("p").Req("500m", "1Gi").InitContainer("1", "100Mi").Overhead("250m", "120Mi").Obj(),
			wantCPU: 1250, wantMemory: 1<<30 + 120<<20,
		},
		{
			name: "sidecars run alongside the containers and the later init containers",
			// containers 500m + sidecar 200m = 700m; init after sidecar:
			// 1 + 200m = 1200m wins.
			pod:     st.MakePod("p").Req("500m", "1Gi").SidecarContainer("200m", "100Mi").InitContainer("1", "100Mi").Obj(),
			wantCPU: 1200, wantMemory: 1<<30 + 100<<20,
		},
		{name: "no requests", pod: st.MakePod("p").Obj(), wantCPU: 0, wantMemory: 0},
		{name: "scoring defaults for missing requests", pod: st.MakePod("p").Obj(), nonZero: true,
			wantCPU: framework.DefaultMilliCPURequest, wantMemory: framework.DefaultMemoryRequest},
		{name: "scoring defaults only for the missing one", pod: st.MakePod("p").Req("", "1Gi").Obj(), nonZero: true,
			wantCPU: framework.DefaultMilliCPURequest, wantMemory: 1 << 30},
		{name: "an explicit zero stays zero", pod: st.MakePod("p").Req("0", "0").Obj(), nonZero: true, wantCPU: 0, wantMemory: 0},
		{name: "extended resources", pod: st.MakePod("p").Req("1", "1Gi").ExtendedReq("example.com/gpu", "2").Obj(),
			wantCPU: 1000, wantMemory: 1 << 30, wantScalars: map[api.ResourceName]int64{"example.com/gpu": 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := framework.ComputePodRequests(tc.pod, framework.PodRequestsOptions{NonZeroDefaults: tc.nonZero})
			assert.Equal(t, tc.wantCPU, got.MilliCPU, "cpu")
			assert.Equal(t, tc.wantMemory, got.Memory, "memory")
			assert.Equal(t, tc.wantScalars, got.ScalarResources, "scalars")
		})
	}
}

func TestNodeInfoBookkeeping(t *testing.T) {
	node := st.MakeNode("n").Capacity("4", "8Gi", 10).Obj()
	withAnti := st.MakePod("anti").Req("1", "1Gi").PodAntiAffinity(api.LabelHostname, "app", "x").Obj()
	withPreferred := st.MakePod("pref").PreferredPodAffinity(10, api.LabelHostname, "app", "y").Obj()
	plain := st.MakePod("plain").Req("500m", "").HostPort(8080, "", "").Obj()

	ni := framework.NewNodeInfo()
	ni.SetNode(node)
	for _, p := range []*api.Pod{withAnti, withPreferred, plain} {
		ni.AddPod(p)
	}
	assert.Len(t, ni.Pods, 3)
	assert.Len(t, ni.PodsWithAffinity, 2)
	assert.Len(t, ni.PodsWithRequiredAntiAffinity, 1)
	assert.Equal(t, int64(1500), ni.Requested.MilliCPU)
	assert.Equal(t, int64(1<<30), ni.Requested.Memory)
	// NonZeroRequested counts 100m/200Mi for missing requests.
	assert.Equal(t, int64(1000+100+500), ni.NonZeroRequested.MilliCPU)
	assert.Equal(t, int64(1<<30+2*framework.DefaultMemoryRequest), ni.NonZeroRequested.Memory)
	assert.True(t, ni.UsedPorts.CheckConflict(framework.HostPort{Port: 8080}))
	assert.Equal(t, 10, ni.Allocatable.AllowedPodNumber)

	snap := ni.Snapshot()
	require.NoError(t, ni.RemovePod(withAnti))
	require.NoError(t, ni.RemovePod(plain))
	assert.Len(t, ni.Pods, 1)
	assert.Empty(t, ni.PodsWithRequiredAntiAffinity)
	assert.Equal(t, int64(0), ni.Requested.MilliCPU)
	assert.False(t, ni.UsedPorts.CheckConflict(framework.HostPort{Port: 8080}))
	assert.Len(t, snap.Pods, 3, "a snapshot does not see later changes")
	assert.Error(t, ni.RemovePod(plain))
}

func TestHostPortConflicts(t *testing.T) {
	used := framework.HostPortInfo{
		{IP: "0.0.0.0", Protocol: api.ProtocolTCP, Port: 80},
		{IP: "10.0.0.1", Protocol: api.ProtocolTCP, Port: 443},
	}
	tests := []struct {
		name string
		port framework.HostPort
		want bool
	}{
		{name: "same port on the wildcard IP", port: framework.HostPort{Port: 80}, want: true},
		{name: "same port, specific IP, against a wildcard", port: framework.HostPort{IP: "10.0.0.9", Port: 80}, want: true},
		{name: "other protocol", port: framework.HostPort{Protocol: api.ProtocolUDP, Port: 80}, want: false},
		{name: "same specific IP", port: framework.HostPort{IP: "10.0.0.1", Port: 443}, want: true},
		{name: "other specific IP", port: framework.HostPort{IP: "10.0.0.2", Port: 443}, want: false},
		{name: "wildcard against a specific IP", port: framework.HostPort{Port: 443}, want: true},
		{name: "free port", port: framework.HostPort{Port: 8080}, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, used.CheckConflict(tc.port))
		})
	}
}

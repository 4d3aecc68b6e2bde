package kubelet

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *env) lease(node string) *api.Lease {
	e.t.Helper()
	l, err := client.Get[*api.Lease](e.c.Admin, api.NamespaceNodeLease, node)
	require.NoError(e.t, err)
	return l
}

func TestLeaseRenewal(t *testing.T) {
	e := newEnv(t, envOpts{})
	l := e.lease("worker-1")
	require.NotNil(t, l.Spec.HolderIdentity)
	assert.Equal(t, "worker-1", *l.Spec.HolderIdentity)
	require.NotNil(t, l.Spec.LeaseDurationSeconds)
	assert.Equal(t, int32(40), *l.Spec.LeaseDurationSeconds)
	require.Len(t, l.OwnerReferences, 1)
	n, err := client.Get[*api.Node](e.c.Admin, "", "worker-1")
	require.NoError(t, err)
	assert.Equal(t, api.OwnerReference{APIVersion: "v1", Kind: "Node", Name: "worker-1", UID: n.UID}, l.OwnerReferences[0])

	// Renewals come every 10 s of virtual time, to the microsecond.
	prev := l.Spec.RenewTime.Time
	for i := 0; i < 6; i++ {
		e.c.K.RunFor(10 * time.Second)
		cur := e.lease("worker-1").Spec.RenewTime.Time
		assert.Equal(t, 10*time.Second, cur.Sub(prev), "renewal %d", i+1)
		prev = cur
	}

	// A stopped node's kubelet stops renewing; nothing else changes.
	require.NoError(t, e.c.K.StopNode("worker-1"))
	e.c.K.RunFor(time.Minute)
	assert.Equal(t, prev, e.lease("worker-1").Spec.RenewTime.Time)
	assert.True(t, e.lease("worker-2").Spec.RenewTime.Time.After(prev.Add(50*time.Second)), "other nodes go on")
}

func TestNodeStatusReportFrequency(t *testing.T) {
	e := newEnv(t, envOpts{})
	heartbeat := func() time.Time {
		n, err := client.Get[*api.Node](e.c.Admin, "", "worker-2")
		require.NoError(t, err)
		return n.Status.Conditions[3].LastHeartbeatTime.Time
	}
	first := heartbeat()
	e.c.K.RunFor(4*time.Minute + 30*time.Second)
	assert.Equal(t, first, heartbeat(), "an unchanged status is not posted before 5 minutes")
	e.c.K.RunFor(time.Minute)
	got := heartbeat()
	assert.True(t, got.After(first.Add(5*time.Minute-time.Second)), "posted again after nodeStatusReportFrequency: %s after the first", got.Sub(first))

	// A change (a new image) is posted at the next 10 s sync.
	e.create(pod("web", "worker-2", "nginx:1.27"))
	e.waitPod("web", time.Minute, ready)
	e.c.K.RunFor(11 * time.Second)
	n, err := client.Get[*api.Node](e.c.Admin, "", "worker-2")
	require.NoError(t, err)
	var names []string
	for _, im := range n.Status.Images {
		names = append(names, strings.Join(im.Names, ","))
	}
	assert.Contains(t, strings.Join(names, " "), "docker.io/library/nginx:1.27")
}

func TestNodeStatusRepairsOthersChanges(t *testing.T) {
	e := newEnv(t, envOpts{})
	n, err := client.Get[*api.Node](e.c.Admin, "", "worker-2")
	require.NoError(t, err)
	n = api.DeepCopy(n)
	n.Status.Conditions[3].Status = api.ConditionUnknown
	n.Status.Conditions[3].Reason = "NodeStatusUnknown"
	_, err = e.c.Admin.UpdateStatus(n)
	require.NoError(t, err)
	e.c.K.RunFor(11 * time.Second)
	n, err = client.Get[*api.Node](e.c.Admin, "", "worker-2")
	require.NoError(t, err)
	assert.Equal(t, api.ConditionTrue, n.Status.Conditions[3].Status, "the kubelet puts Ready back at its next 10 s sync")
	assert.Equal(t, "KubeletReady", n.Status.Conditions[3].Reason)
}

func TestAdoptExistingNode(t *testing.T) {
	e := newEnv(t, envOpts{})
	before, err := client.Get[*api.Node](e.c.Admin, "", "worker-1")
	require.NoError(t, err)
	e.c.K.RunFor(20 * time.Second)
	require.NoError(t, e.c.K.Restart(ActorName("worker-1")))
	e.c.K.RunFor(15 * time.Second)
	after, err := client.Get[*api.Node](e.c.Admin, "", "worker-1")
	require.NoError(t, err)
	assert.Equal(t, before.UID, after.UID, "the restarted kubelet adopts its Node")
	assert.Equal(t, "worker-1", after.Labels[api.LabelHostname])
	assert.Equal(t, before.Status.Conditions[3].LastTransitionTime, after.Status.Conditions[3].LastTransitionTime, "still Ready since registration")
	assert.True(t, after.Status.Conditions[3].LastHeartbeatTime.After(before.Status.Conditions[3].LastHeartbeatTime.Time))
	var ready int
	for _, ev := range e.events("default", "worker-1") {
		if strings.Contains(ev, "NodeReady") {
			ready++
		}
	}
	assert.Equal(t, 1, ready, "no new NodeReady event: the node did not change")
}

func TestKubeletRestartKeepsContainers(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27", withBehavior(`main: {logs: [hello]}`)))
	e.create(pod("late", "worker-1", "nginx:1.27", withBehavior(`main: {readyAfter: 30s}`)))
	before := e.waitPod("web", time.Minute, ready)
	require.NoError(t, e.c.K.Crash(ActorName("worker-1")))
	e.c.K.RunFor(20 * time.Second)
	// A pod deleted while the kubelet is down stays Terminating...
	_, err := e.c.Admin.Delete("pods", "default", "late", client.DeleteOptions{})
	require.NoError(t, err)
	e.c.K.RunFor(5 * time.Second)
	require.NotNil(t, e.get("late").DeletionTimestamp)

	require.NoError(t, e.c.K.Restart(ActorName("worker-1")))
	e.c.K.RunFor(time.Minute)
	after := e.get("web")
	assert.Equal(t, before.Status.ContainerStatuses[0].ContainerID, after.Status.ContainerStatuses[0].ContainerID, "the container kept running")
	assert.Equal(t, int32(0), after.Status.ContainerStatuses[0].RestartCount)
	assert.True(t, ready(after))
	assert.Equal(t, []string{"Pulling", "Pulled", "Created", "Started"}, reasons(e.events("default", "web")), "nothing was started again")
	lines, err := e.kls["worker-1"].Logs("default", "web", "main", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello"}, lines)
	// ... and goes once the kubelet is back.
	_, err = client.Get[*api.Pod](e.c.Admin, "default", "late")
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)
}

func TestNodeReboot(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27"))
	before := e.waitPod("web", time.Minute, ready)
	n0, err := client.Get[*api.Node](e.c.Admin, "", "worker-1")
	require.NoError(t, err)

	require.NoError(t, e.c.K.StopNode("worker-1"))
	e.c.K.RunFor(30 * time.Second)
	require.NoError(t, e.c.K.StartNode("worker-1"))
	after := e.waitPod("web", time.Minute, func(p *api.Pod) bool { return ready(p) && p.Status.ContainerStatuses[0].RestartCount == 1 })
	cs := after.Status.ContainerStatuses[0]
	assert.NotEqual(t, before.Status.ContainerStatuses[0].ContainerID, cs.ContainerID)
	require.NotNil(t, cs.LastTerminationState.Terminated)
	assert.Equal(t, int32(255), cs.LastTerminationState.Terminated.ExitCode)
	assert.Equal(t, "Unknown", cs.LastTerminationState.Terminated.Reason)
	assert.Equal(t, "10.0.1.2", after.Status.PodIP, "a new sandbox, a new address")
	assert.Contains(t, e.events("default", "web"), "Normal SandboxChanged Pod sandbox changed, it will be killed and re-created.")
	e.c.K.RunFor(11 * time.Second)
	n1, err := client.Get[*api.Node](e.c.Admin, "", "worker-1")
	require.NoError(t, err)
	assert.NotEqual(t, n0.Status.NodeInfo.BootID, n1.Status.NodeInfo.BootID, "a new boot id")
}

func TestStaticPods(t *testing.T) {
	e := newEnv(t, envOpts{staticPods: KubeadmStaticPods("172.18.0.2")})
	var mirror *api.Pod
	require.True(t, e.c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](e.c.Admin, "kube-system", "kube-apiserver-cp-1")
		mirror = p
		return err == nil && p.Status.Phase == api.PodRunning && ready(p)
	}, time.Minute))
	assert.NotEmpty(t, mirror.Annotations["kubernetes.io/config.mirror"])
	assert.Equal(t, mirror.Annotations["kubernetes.io/config.mirror"], mirror.Annotations["kubernetes.io/config.hash"])
	assert.Equal(t, "file", mirror.Annotations["kubernetes.io/config.source"])
	assert.Equal(t, "cp-1", mirror.Spec.NodeName)
	require.Len(t, mirror.OwnerReferences, 1)
	assert.Equal(t, "Node", mirror.OwnerReferences[0].Kind)
	assert.Equal(t, "172.18.0.2", mirror.Status.PodIP, "host network")
	cs := mirror.Status.ContainerStatuses[0]
	assert.Equal(t, "registry.k8s.io/kube-apiserver:v1.32.4", cs.Image)
	assert.Equal(t, "control-plane", mirror.Labels["tier"])

	for _, name := range []string{"etcd", "kube-controller-manager", "kube-scheduler"} {
		assert.True(t, e.c.WaitFor(func() bool {
			p, err := client.Get[*api.Pod](e.c.Admin, "kube-system", name+"-cp-1")
			return err == nil && p.Status.Phase == api.PodRunning
		}, 10*time.Second), name)
	}
	evs := e.events("kube-system", "etcd-cp-1")
	assert.Equal(t, []string{"Pulled", "Created", "Started"}, reasons(evs), "kubeadm pre-pulled the images")
	assert.Empty(t, e.agents["cp-1"].adds, "host-network pods need no CNI")

	// A deleted mirror pod comes back.
	_, err := e.c.Admin.Delete("pods", "kube-system", "etcd-cp-1", client.DeleteOptions{})
	require.NoError(t, err)
	require.True(t, e.c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](e.c.Admin, "kube-system", "etcd-cp-1")
		return err == nil && p.Status.Phase == api.PodRunning
	}, time.Minute))
}

func TestForceDelete(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27"))
	e.waitPod("web", time.Minute, ready)
	zero := int64(0)
	_, err := e.c.Admin.Delete("pods", "default", "web", client.DeleteOptions{GracePeriodSeconds: &zero})
	require.NoError(t, err)
	e.c.K.RunFor(time.Second)
	assert.Len(t, e.agents["worker-1"].dels, 1, "the kubelet still tears the network down")
	_, err = e.kls["worker-1"].Logs("default", "web", "main", false)
	assert.EqualError(t, err, `pods "web" not found`)
}

// TestDeterminism runs the same busy scenario twice and compares the whole
// trace.
func TestDeterminism(t *testing.T) {
	run := func() (string, int) {
		h := sha256.New()
		n := 0
		sink := sim.WithTraceSink(func(r sim.Record) {
			fmt.Fprintln(h, r.Text())
			n++
		})
		e := newEnv(t, envOpts{seed: 7, options: []sim.Option{sink}, staticPods: KubeadmStaticPods("172.18.0.2")})
		e.create(pod("web", "worker-1", "nginx:1.27", withBehavior(`main: {readyAfter: 2s, logs: [hi]}`)))
		e.create(pod("crash", "worker-2", "busybox:1.36", withBehavior(`main: {exitAfter: 1s, exitCode: 3}`)))
		e.create(pod("job", "worker-2", "busybox:1.36", withRestartPolicy(api.RestartPolicyNever), withBehavior(`main: {exitAfter: 5s}`),
			func(p *api.Pod) {
				p.Spec.InitContainers = []api.Container{{Name: "setup", Image: "busybox:1.36"}}
			}))
		e.c.K.RunFor(90 * time.Second)
		grace := int64(10)
		_, err := e.c.Admin.Delete("pods", "default", "web", client.DeleteOptions{GracePeriodSeconds: &grace})
		require.NoError(t, err)
		e.c.K.RunFor(time.Minute)
		e.c.K.Shutdown()
		return fmt.Sprintf("%x", h.Sum(nil)), n
	}
	a, na := run()
	b, nb := run()
	assert.Greater(t, na, 1000)
	assert.Equal(t, na, nb)
	assert.Equal(t, a, b, "same seed, same trace")
}

func TestParseBehavior(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    map[string]Behavior
		wantErr string
	}{
		{name: "json", value: `{"web": {"readyAfter": "5s", "logs": ["a", "b"]}, "job": {"exitAfter": 30, "exitCode": 1}}`,
			want: map[string]Behavior{"web": {ReadyAfter: 5 * time.Second, Logs: []string{"a", "b"}}, "job": {Exits: true, ExitAfter: 30 * time.Second, ExitCode: 1}}},
		{name: "yaml", value: "web:\n  startDelay: 1m30s\n  stopDelay: 2.5\n  neverReady: true\n",
			want: map[string]Behavior{"web": {StartDelay: 90 * time.Second, StopDelay: 2500 * time.Millisecond, NeverReady: true}}},
		{name: "exit code alone exits at once", value: `c: {exitCode: 0}`, want: map[string]Behavior{"c": {Exits: true}}},
		{name: "bad duration", value: `web: {readyAfter: 5x}`,
			wantErr: `annotation kubesim.io/behavior: container "web": field "readyAfter": invalid duration "5x" (want e.g. "5s", "1m30s" or a number of seconds)`},
		{name: "unknown field", value: `web: {readyAftr: 5s}`,
			wantErr: `annotation kubesim.io/behavior: container "web": unknown field "readyAftr" (known fields: exitAfter, exitCode, logs, neverReady, readyAfter, startDelay, stopDelay, unhealthyAfter)`},
		{name: "exit code range", value: `web: {exitCode: 300}`,
			wantErr: `annotation kubesim.io/behavior: container "web": field "exitCode": must be between 0 and 255, got 300`},
		{name: "negative", value: `web: {stopDelay: -1s}`,
			wantErr: `annotation kubesim.io/behavior: container "web": field "stopDelay": must not be negative, got -1s`},
		{name: "contradiction", value: `web: {neverReady: true, readyAfter: 1s}`,
			wantErr: `annotation kubesim.io/behavior: container "web": field "readyAfter": cannot be combined with neverReady`},
		{name: "not a map", value: `[1, 2]`, wantErr: "annotation kubesim.io/behavior: must map container names to behaviours (JSON or YAML)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBehavior(map[string]string{AnnotationBehavior: tt.value})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	err := CheckBehavior(map[string]string{AnnotationBehavior: `{web: {}, db: {}}`}, []string{"web", "init"})
	assert.EqualError(t, err, `annotation kubesim.io/behavior: container "db": no such container in the pod (containers: web, init)`)
	got, err := ParseBehavior(map[string]string{"other": "x"})
	assert.NoError(t, err)
	assert.Nil(t, got)
}

func TestNormalizeImage(t *testing.T) {
	tests := []struct{ in, wantFull, wantRepo string }{
		{"nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx"},
		{"nginx:1.27", "docker.io/library/nginx:1.27", "docker.io/library/nginx"},
		{"bitnami/redis:7", "docker.io/bitnami/redis:7", "docker.io/bitnami/redis"},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause"},
		{"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app"},
		{"quay.io/cilium/cilium@sha256:abc", "quay.io/cilium/cilium@sha256:abc", "quay.io/cilium/cilium"},
	}
	for _, tt := range tests {
		full, repo := normalizeImage(tt.in)
		assert.Equal(t, tt.wantFull, full, tt.in)
		assert.Equal(t, tt.wantRepo, repo, tt.in)
	}
}

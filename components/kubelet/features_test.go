package kubelet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImagePullBackOff(t *testing.T) {
	pulls := &notes{from: "kubelet-worker-1", phrase: "Pulling Pod/typo"}
	e := newEnv(t, envOpts{
		imageExists: func(ref string) bool { return !strings.Contains(ref, "ngnix") },
		options:     []sim.Option{pulls.option()},
	})
	e.create(pod("typo", "worker-1", "ngnix:1.27"))
	const notFound = `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/ngnix:1.27": failed to resolve reference "docker.io/library/ngnix:1.27": docker.io/library/ngnix:1.27: not found`

	p := e.waitPod("typo", time.Minute, func(p *api.Pod) bool {
		if len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "ImagePullBackOff"
	})
	assert.Equal(t, api.PodPending, p.Status.Phase)
	assert.Equal(t, `Back-off pulling image "ngnix:1.27": ErrImagePull: `+notFound, p.Status.ContainerStatuses[0].State.Waiting.Message)

	evs := e.events("default", "typo")
	require.GreaterOrEqual(t, len(evs), 5)
	assert.Equal(t, []string{
		`Normal Pulling [spec.containers{main}] Pulling image "ngnix:1.27"`,
		`Warning Failed [spec.containers{main}] Failed to pull image "ngnix:1.27": ` + notFound,
		`Warning Failed [spec.containers{main}] Error: ErrImagePull`,
		`Normal BackOff [spec.containers{main}] Back-off pulling image "ngnix:1.27"`,
		`Warning Failed [spec.containers{main}] Error: ImagePullBackOff`,
	}, evs[:5])

	// Retries back off 10 s, 20 s, 40 s ... (a registry round trip apart).
	e.c.K.RunFor(3 * time.Minute)
	require.GreaterOrEqual(t, len(pulls.at), 5)
	for i, want := range []time.Duration{10, 20, 40, 80} {
		gap := pulls.at[i+1] - pulls.at[i]
		assert.GreaterOrEqual(t, gap, want*time.Second, "retry %d", i+1)
		assert.Less(t, gap, want*time.Second+time.Second, "retry %d", i+1)
	}
}

func TestAdmissionRejectsWhatDoesNotFit(t *testing.T) {
	e := newEnv(t, envOpts{})
	big := func(name, cpu string) *api.Pod {
		return pod(name, "worker-1", "nginx:1.27", func(p *api.Pod) {
			p.Spec.Containers[0].Resources.Requests = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(cpu)}
		})
	}
	e.create(big("fits", "3"))
	e.waitPod("fits", time.Minute, ready)
	e.create(big("too-big", "1500m"))
	p := e.waitPod("too-big", time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
	assert.Equal(t, "OutOfcpu", p.Status.Reason)
	assert.Equal(t, "Pod was rejected: Node didn't have enough resource: cpu, requested: 1500, used: 3000, capacity: 4000", p.Status.Message)
	assert.Empty(t, p.Status.ContainerStatuses)
	assert.Equal(t, []string{"Warning OutOfcpu Node didn't have enough resource: cpu, requested: 1500, used: 3000, capacity: 4000"}, e.events("default", "too-big"))
	assert.Len(t, e.agents["worker-1"].adds, 1, "a rejected pod gets no sandbox")
}

func TestActiveDeadline(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("slow-job", "worker-2", "nginx:1.27", withRestartPolicy(api.RestartPolicyNever), func(p *api.Pod) {
		ads := int64(30)
		p.Spec.ActiveDeadlineSeconds = &ads
	}))
	p := e.waitPod("slow-job", 2*time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
	assert.Equal(t, "DeadlineExceeded", p.Status.Reason)
	assert.Equal(t, "Pod was active on the node longer than the specified deadline", p.Status.Message)
	assert.InDelta(t, 30, p.Status.ContainerStatuses[0].State.Terminated.FinishedAt.Sub(p.Status.StartTime.Time).Seconds(), 1)
	evs := e.events("default", "slow-job")
	assert.Contains(t, evs, "Warning DeadlineExceeded Pod was active on the node longer than the specified deadline")
	assert.Contains(t, evs, "Normal Killing [spec.containers{main}] Stopping container main")
	_, err := client.Get[*api.Pod](e.c.Admin, "default", "slow-job")
	assert.NoError(t, err, "a pod past its deadline stays, Failed")
}

func TestReadinessGates(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("gated", "worker-1", "nginx:1.27", func(p *api.Pod) {
		p.Spec.ReadinessGates = []api.PodReadinessGate{{ConditionType: "example.com/lb-ready"}}
	}))
	p := e.waitPod("gated", time.Minute, running)
	e.c.K.RunFor(time.Second)
	p = e.get("gated")
	assert.Equal(t, api.ConditionTrue, condition(p, api.ContainersReady).Status)
	c := condition(p, api.PodReady)
	assert.Equal(t, api.ConditionFalse, c.Status)
	assert.Equal(t, "ReadinessGatesNotReady", c.Reason)
	assert.Equal(t, `corresponding condition of pod readiness gate "example.com/lb-ready" does not exist.`, c.Message)

	// The load balancer controller sets its condition: the pod turns Ready.
	p = api.DeepCopy(p)
	p.Status.Conditions = append(p.Status.Conditions, api.PodCondition{Type: "example.com/lb-ready", Status: api.ConditionTrue})
	_, err := e.c.Admin.UpdateStatus(p)
	require.NoError(t, err)
	p = e.waitPod("gated", time.Minute, ready)
	assert.Equal(t, api.ConditionTrue, condition(p, "example.com/lb-ready").Status, "the gate's condition is kept")
}

// TestGracefulDeletionMultiContainer needs kube-apiserver to keep a pod
// whose deletionTimestamp is set until the kubelet's delete with grace
// period 0: today any status update of such a pod removes it (handler.go,
// update: "The last finalizer is gone").
func TestGracefulDeletionMultiContainer(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("two", "worker-1", "nginx:1.27", withBehavior(`{main: {stopDelay: 1s}, slow: {stopDelay: 20s}}`), func(p *api.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: "slow", Image: "nginx:1.27"})
	}))
	e.waitPod("two", time.Minute, ready)
	grace := int64(30)
	_, err := e.c.Admin.Delete("pods", "default", "two", client.DeleteOptions{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	from := e.c.K.Now()
	_, at := e.waitGone("two", time.Minute)
	assert.InDelta(t, 20, (at - from).Seconds(), 0.5, fmt.Sprintf("gone after %s", at-from))
}

func TestSidecarContainers(t *testing.T) {
	e := newEnv(t, envOpts{})
	always := api.ContainerRestartPolicyAlways
	withSidecar := func(p *api.Pod) {
		p.Spec.InitContainers = []api.Container{
			{Name: "proxy", Image: "envoyproxy/envoy:v1.32.1", RestartPolicy: &always},
			{Name: "setup", Image: "busybox:1.36"},
		}
	}
	e.create(pod("mesh", "worker-1", "nginx:1.27", withSidecar, withBehavior(`proxy: {readyAfter: 2s}`)))
	p := e.waitPod("mesh", time.Minute, ready)
	assert.Equal(t, api.PodRunning, p.Status.Phase)
	proxy := p.Status.InitContainerStatuses[0]
	require.NotNil(t, proxy.State.Running, "the sidecar keeps running")
	assert.True(t, proxy.Ready)
	assert.True(t, *proxy.Started)
	assert.Equal(t, "Completed", p.Status.InitContainerStatuses[1].State.Terminated.Reason)
	assert.Equal(t, api.ConditionTrue, condition(p, api.PodInitialized).Status)
	var order []string
	for _, ev := range e.events("default", "mesh") {
		if strings.Contains(ev, " Started ") {
			order = append(order, ev[strings.Index(ev, "{")+1:strings.Index(ev, "}")])
		}
	}
	assert.Equal(t, []string{"proxy", "setup", "main"}, order)

	// A job with a sidecar finishes once its main container has: the
	// kubelet stops the sidecar.
	e.create(pod("job", "worker-2", "busybox:1.36", withSidecar, withRestartPolicy(api.RestartPolicyNever),
		withBehavior(`{main: {exitAfter: 3s}, proxy: {stopDelay: 1s}}`)))
	p = e.waitPod("job", time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded })
	proxy = p.Status.InitContainerStatuses[0]
	require.NotNil(t, proxy.State.Terminated)
	assert.Equal(t, int32(0), proxy.State.Terminated.ExitCode)
	assert.Contains(t, e.events("default", "job"), "Normal Killing [spec.initContainers{proxy}] Stopping container proxy")
}

func TestLivenessProbeRestarts(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("sick", "worker-1", "nginx:1.27", withBehavior(`main: {unhealthyAfter: 25s}`), func(p *api.Pod) {
		p.Spec.Containers[0].LivenessProbe = &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/healthz", Port: api.FromInt32(8080)}},
			InitialDelaySeconds: 5, PeriodSeconds: 10, FailureThreshold: 3}
	}))
	first := e.waitPod("sick", time.Minute, ready)
	started := first.Status.ContainerStatuses[0].State.Running.StartedAt.Time

	// Probes at 5, 15, 25, 35, 45 s: the ones at 25, 35 and 45 s fail; the
	// third failure kills the container, which restarts at once.
	p := e.waitPod("sick", 2*time.Minute, func(p *api.Pod) bool { return p.Status.ContainerStatuses[0].RestartCount == 1 })
	cs := p.Status.ContainerStatuses[0]
	require.NotNil(t, cs.LastTerminationState.Terminated)
	assert.InDelta(t, 45, cs.LastTerminationState.Terminated.FinishedAt.Sub(started).Seconds(), 1)
	evs := e.events("default", "sick")
	assert.Contains(t, evs, "Warning Unhealthy [spec.containers{main}] Liveness probe failed: HTTP probe failed with statuscode: 500")
	assert.Contains(t, evs, "Normal Killing [spec.containers{main}] Container main failed liveness probe, will be restarted")
}

func TestImageUpdateRestartsContainer(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27", withRestartPolicy(api.RestartPolicyNever)))
	before := e.waitPod("web", time.Minute, ready)
	p := api.DeepCopy(before)
	p.Spec.Containers[0].Image = "nginx:1.28"
	_, err := e.c.Admin.Update(p)
	require.NoError(t, err)
	after := e.waitPod("web", time.Minute, func(p *api.Pod) bool {
		return ready(p) && p.Status.ContainerStatuses[0].Image == "docker.io/library/nginx:1.28"
	})
	cs := after.Status.ContainerStatuses[0]
	assert.Equal(t, int32(1), cs.RestartCount, "restarted even with restartPolicy Never")
	assert.NotEqual(t, before.Status.ContainerStatuses[0].ContainerID, cs.ContainerID)
	evs := e.events("default", "web")
	assert.Contains(t, evs, "Normal Killing [spec.containers{main}] Container main definition changed, will be restarted")
	assert.Contains(t, evs, `Normal Pulling [spec.containers{main}] Pulling image "nginx:1.28"`)
}

package kubelet

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notes collects the kubelet's trace notes that contain a phrase, with
// their virtual times.
type notes struct {
	from, phrase string
	at           []time.Duration
}

func (n *notes) option() sim.Option {
	return sim.WithTraceSink(func(r sim.Record) {
		if r.Event == sim.EventNote && r.From == n.from && strings.Contains(r.Summary(), n.phrase) {
			n.at = append(n.at, r.Time)
		}
	})
}

func TestCrashLoopBackOff(t *testing.T) {
	starts := &notes{from: "kubelet-worker-1", phrase: "default/crash: container main started"}
	var shown []string // the container's state as each status write left it
	record := sim.WithTraceSink(func(r sim.Record) {
		if r.Event != sim.EventDeliver || r.To != "kube-apiserver-cp-1" || r.From != "kubelet-worker-1" {
			return
		}
		req, ok := r.Body().(*apiwire.Request)
		if !ok || req.Subresource != "status" || req.Name != "crash" {
			return
		}
		cs := req.Object.(*api.Pod).Status.ContainerStatuses[0]
		state := "Running"
		switch {
		case cs.State.Waiting != nil:
			state = cs.State.Waiting.Reason
		case cs.State.Terminated != nil:
			state = cs.State.Terminated.Reason
		}
		if len(shown) == 0 || shown[len(shown)-1] != state {
			shown = append(shown, state)
		}
	})
	e := newEnv(t, envOpts{options: []sim.Option{starts.option(), record}})
	p := e.create(pod("crash", "worker-1", "busybox:1.36", withBehavior(`{"main": {"exitAfter": "1s", "exitCode": 1, "logs": ["boom"]}}`)))

	// Crashes at +1 s after each start. The first restart is immediate,
	// then the back-off doubles from 10 s to the 5-minute cap.
	e.c.K.RunFor(16 * time.Minute)
	require.GreaterOrEqual(t, len(starts.at), 9)
	wantWaits := []time.Duration{0, 10, 20, 40, 80, 160, 300, 300}
	for i, want := range wantWaits {
		gap := starts.at[i+1] - starts.at[i] - time.Second // minus the run
		assert.GreaterOrEqual(t, gap, want*time.Second, "wait before restart %d", i+1)
		assert.Less(t, gap, want*time.Second+200*time.Millisecond, "wait before restart %d (create and start take tens of ms)", i+1)
	}

	// In a back-off window: waiting CrashLoopBackOff with the real message.
	cur := e.waitPod("crash", time.Minute, func(p *api.Pod) bool {
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "CrashLoopBackOff"
	})
	cs := cur.Status.ContainerStatuses[0]
	assert.Equal(t, fmt.Sprintf("back-off 5m0s restarting failed container=main pod=crash_default(%s)", p.UID), cs.State.Waiting.Message)
	require.NotNil(t, cs.LastTerminationState.Terminated)
	assert.Equal(t, int32(1), cs.LastTerminationState.Terminated.ExitCode)
	assert.Equal(t, "Error", cs.LastTerminationState.Terminated.Reason)
	assert.Equal(t, cs.ContainerID, cs.LastTerminationState.Terminated.ContainerID)
	assert.Equal(t, int32(len(starts.at)-1), cs.RestartCount)
	assert.False(t, cs.Ready)
	assert.False(t, *cs.Started)
	assert.Equal(t, api.PodRunning, cur.Status.Phase, "a crash-looping pod with restartPolicy Always stays Running")
	assert.Equal(t, "ContainersNotReady", condition(cur, api.PodReady).Reason)

	evs := e.events("default", "crash")
	var backoffs []string
	for _, ev := range evs {
		if strings.Contains(ev, " BackOff ") {
			backoffs = append(backoffs, ev)
		}
	}
	require.Len(t, backoffs, 1, "repeats are counted on one event")
	assert.Equal(t, fmt.Sprintf("Warning BackOff [spec.containers{main}] Back-off restarting failed container main in pod crash_default(%s)", p.UID), backoffs[0])

	// kubectl get pods -w: ContainerCreating, Running, Error, Running,
	// Error, CrashLoopBackOff, Running, Error, CrashLoopBackOff, ...
	require.GreaterOrEqual(t, len(shown), 9)
	assert.Equal(t, []string{"ContainerCreating", "Running", "Error", "Running", "Error", "CrashLoopBackOff", "Running", "Error", "CrashLoopBackOff"}, shown[:9])

	lines, err := e.kls["worker-1"].Logs("default", "crash", "main", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"boom"}, lines)
}

func TestBackOffReset(t *testing.T) {
	const initial, maxDelay = 10 * time.Second, 300 * time.Second
	tests := []struct {
		name      string
		exits     []time.Duration // virtual times of successive exits
		wantDelay []time.Duration // the wait imposed after each exit
	}{
		{name: "doubling to the cap", exits: []time.Duration{0, 1, 12, 33, 74, 155, 316, 617, 918},
			wantDelay: []time.Duration{0, 10, 20, 40, 80, 160, 300, 300, 300}},
		{name: "ten minutes apart resets", exits: []time.Duration{0, 1, 12, 613, 614},
			wantDelay: []time.Duration{0, 10, 20, 0, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b backOff
			for i, exit := range tt.exits {
				at := exit * time.Second
				got := time.Duration(0)
				if b.inBackOffSince(at, at, maxDelay) {
					got = b.delay
					assert.False(t, b.inBackOffSince(at, at+got, maxDelay), "free once the delay passed")
				}
				assert.Equal(t, tt.wantDelay[i]*time.Second, got, "exit %d", i)
				b.next(at, initial, maxDelay)
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		name     string
		behavior string
		probe    *api.Probe
		wantAt   time.Duration // -1: never
	}{
		{name: "never-ready", behavior: `never-ready: {neverReady: true}`, wantAt: -1},
		{name: "slow", behavior: `main: {readyAfter: 5s}`, wantAt: 5 * time.Second},
		{name: "probe", probe: &api.Probe{InitialDelaySeconds: 3}, wantAt: 3 * time.Second},
		{name: "failing-probe", behavior: `main: {readyAfter: 25s}`, probe: &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: "/ready", Port: api.FromInt32(80)}}, PeriodSeconds: 10}, wantAt: 25 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := strings.Replace(tt.behavior, "never-ready:", "main:", 1)
			p := pod(tt.name, "worker-1", "nginx:1.27", func(p *api.Pod) { p.Spec.Containers[0].ReadinessProbe = tt.probe })
			if b != "" {
				withBehavior(b)(p)
			}
			e.create(p)
			got := e.waitPod(tt.name, time.Minute, running)
			startedAt := got.Status.ContainerStatuses[0].State.Running.StartedAt.Time
			assert.False(t, ready(got))
			c := condition(got, api.ContainersReady)
			assert.Equal(t, "ContainersNotReady", c.Reason)
			assert.Equal(t, "containers with unready status: [main]", c.Message)
			if tt.wantAt < 0 {
				e.c.K.RunFor(2 * time.Minute)
				assert.False(t, ready(e.get(tt.name)))
				return
			}
			got = e.waitPod(tt.name, time.Minute, ready)
			readyAt := condition(got, api.PodReady).LastTransitionTime.Time
			assert.InDelta(t, tt.wantAt.Seconds(), readyAt.Sub(startedAt).Seconds(), 1, "ready after the delay (second precision)")
			if tt.name == "failing-probe" {
				// Probes at 0, 10 and 20 s fail; one event counts them.
				items, _, err := e.c.Admin.List("events", "default", client.ListOptions{})
				require.NoError(t, err)
				var count int32
				for _, o := range items {
					if ev := o.(*api.Event); ev.InvolvedObject.Name == tt.name && ev.Reason == "Unhealthy" {
						assert.Equal(t, "Readiness probe failed: HTTP probe failed with statuscode: 503", ev.Message)
						count = ev.Count
					}
				}
				assert.Equal(t, int32(3), count)
			}
		})
	}
}

func TestInitContainers(t *testing.T) {
	starts := &notes{from: "kubelet-worker-1", phrase: "default/init: container"}
	e := newEnv(t, envOpts{options: []sim.Option{starts.option()}})
	p := pod("init", "worker-1", "nginx:1.27", withBehavior(`{"init-a": {"exitAfter": "3s"}, "init-b": {"exitAfter": "2s"}}`), func(p *api.Pod) {
		p.Spec.InitContainers = []api.Container{{Name: "init-a", Image: "busybox:1.36"}, {Name: "init-b", Image: "busybox:1.36"}}
	})
	e.create(p)
	mid := e.waitPod("init", time.Minute, func(p *api.Pod) bool {
		return len(p.Status.InitContainerStatuses) == 2 && p.Status.InitContainerStatuses[0].State.Running != nil
	})
	assert.Equal(t, api.PodPending, mid.Status.Phase)
	c := condition(mid, api.PodInitialized)
	assert.Equal(t, api.ConditionFalse, c.Status)
	assert.Equal(t, "ContainersNotInitialized", c.Reason)
	assert.Equal(t, "containers with incomplete status: [init-a init-b]", c.Message)
	assert.Equal(t, "PodInitializing", mid.Status.InitContainerStatuses[1].State.Waiting.Reason)
	assert.Equal(t, "PodInitializing", mid.Status.ContainerStatuses[0].State.Waiting.Reason)

	done := e.waitPod("init", time.Minute, ready)
	for _, cs := range done.Status.InitContainerStatuses {
		require.NotNil(t, cs.State.Terminated, cs.Name)
		assert.Equal(t, "Completed", cs.State.Terminated.Reason)
		assert.Equal(t, int32(0), cs.State.Terminated.ExitCode)
		assert.True(t, cs.Ready, "a completed init container reports ready")
	}
	a, b := done.Status.InitContainerStatuses[0].State.Terminated, done.Status.InitContainerStatuses[1].State.Terminated
	assert.False(t, b.StartedAt.Before(a.FinishedAt.Time), "init-b starts after init-a finished")
	assert.Equal(t, api.ConditionTrue, condition(done, api.PodInitialized).Status)

	var order []string
	for _, ev := range e.events("default", "init") {
		if strings.Contains(ev, " Started ") {
			order = append(order, ev[strings.Index(ev, "{")+1:strings.Index(ev, "}")])
		}
	}
	assert.Equal(t, []string{"init-a", "init-b", "main"}, order)
}

func TestRestartPolicies(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		name        string
		policy      api.RestartPolicy
		code        int
		wantPhase   api.PodPhase
		wantReason  string
		wantMessage string // terminationMessagePolicy FallbackToLogsOnError
	}{
		{name: "never-ok", policy: api.RestartPolicyNever, code: 0, wantPhase: api.PodSucceeded, wantReason: "Completed"},
		{name: "never-fail", policy: api.RestartPolicyNever, code: 2, wantPhase: api.PodFailed, wantReason: "Error", wantMessage: "connecting to db:5432\nfatal: connection refused\n"},
		{name: "onfailure-ok", policy: api.RestartPolicyOnFailure, code: 0, wantPhase: api.PodSucceeded, wantReason: "Completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.create(pod(tt.name, "worker-2", "busybox:1.36", withRestartPolicy(tt.policy),
				withBehavior(fmt.Sprintf(`main: {exitAfter: 2s, exitCode: %d, logs: ["connecting to db:5432", "fatal: connection refused"]}`, tt.code)),
				func(p *api.Pod) {
					p.Spec.Containers[0].TerminationMessagePolicy = api.TerminationMessageFallbackToLogsOnError
				}))
			p := e.waitPod(tt.name, time.Minute, func(p *api.Pod) bool { return p.Status.Phase == tt.wantPhase })
			cs := p.Status.ContainerStatuses[0]
			require.NotNil(t, cs.State.Terminated)
			assert.Equal(t, int32(tt.code), cs.State.Terminated.ExitCode)
			assert.Equal(t, tt.wantReason, cs.State.Terminated.Reason)
			assert.Equal(t, tt.wantMessage, cs.State.Terminated.Message)
			assert.Equal(t, int32(0), cs.RestartCount)
			e.c.K.RunFor(time.Second)
			p = e.get(tt.name)
			assert.Equal(t, api.ConditionFalse, condition(p, api.PodReadyToStartContainers).Status, "the sandbox is gone")
			if tt.wantPhase == api.PodSucceeded {
				assert.Equal(t, "PodCompleted", condition(p, api.PodReady).Reason)
				assert.Equal(t, "PodCompleted", condition(p, api.ContainersReady).Reason)
				assert.Equal(t, "PodCompleted", condition(p, api.PodInitialized).Reason)
			}
		})
	}
	require.Len(t, e.agents["worker-2"].dels, 3, "CNI DEL for each finished pod")
}

func TestGracefulDeletion(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		name      string
		behavior  string
		grace     int64
		wantAfter time.Duration
		wantCode  int32
	}{
		{name: "quick", behavior: `main: {stopDelay: 3s}`, grace: 30, wantAfter: 3 * time.Second, wantCode: 0},
		{name: "stubborn", behavior: `main: {stopDelay: 1m}`, grace: 5, wantAfter: 5 * time.Second, wantCode: 137},
		{name: "minimum", behavior: `main: {stopDelay: 1m}`, grace: 1, wantAfter: 2 * time.Second, wantCode: 137},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.create(pod(tt.name, "worker-1", "nginx:1.27", withBehavior(tt.behavior)))
			live := e.waitPod(tt.name, time.Minute, ready)
			dels := len(e.agents["worker-1"].dels)
			grace := tt.grace
			_, err := e.c.Admin.Delete("pods", "default", tt.name, client.DeleteOptions{GracePeriodSeconds: &grace})
			require.NoError(t, err)
			from := e.c.K.Now()
			last, at := e.waitGone(tt.name, 2*time.Minute)
			took := at - from
			assert.GreaterOrEqual(t, took, tt.wantAfter)
			assert.Less(t, took, tt.wantAfter+time.Second, "gone right after the containers stopped")
			assert.Equal(t, dels+1, len(e.agents["worker-1"].dels), "CNI DEL before the pod goes")
			require.NotNil(t, last.DeletionTimestamp)
			assert.Contains(t, e.events("default", tt.name), "Normal Killing [spec.containers{main}] Stopping container main")
			// The last status the kubelet wrote before deleting.
			if cs := last.Status.ContainerStatuses[0]; cs.State.Terminated != nil {
				assert.Equal(t, tt.wantCode, cs.State.Terminated.ExitCode)
			}
			_ = live
		})
	}
}

func TestImages(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("first", "worker-1", "redis:7.4"))
	e.waitPod("first", time.Minute, ready)
	assert.True(t, e.kls["worker-1"].HasImage("docker.io/library/redis:7.4"))
	assert.False(t, e.kls["worker-2"].HasImage("redis:7.4"), "images are cached per node")

	tests := []struct {
		name   string
		node   string
		image  string
		policy api.PullPolicy
		want   []string // event reasons of the container
	}{
		{name: "cached", node: "worker-1", image: "redis:7.4", want: []string{"Pulled", "Created", "Started"}},
		{name: "always", node: "worker-1", image: "redis:7.4", policy: api.PullAlways, want: []string{"Pulling", "Pulled", "Created", "Started"}},
		{name: "other-node", node: "worker-2", image: "redis:7.4", want: []string{"Pulling", "Pulled", "Created", "Started"}},
		{name: "never", node: "worker-2", image: "memcached:1.6", policy: api.PullNever, want: []string{"ErrImageNeverPull"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.create(pod(tt.name, tt.node, tt.image, func(p *api.Pod) { p.Spec.Containers[0].ImagePullPolicy = tt.policy }))
			e.c.K.RunFor(20 * time.Second)
			evs := e.events("default", tt.name)
			assert.Equal(t, tt.want, reasons(evs))
			switch tt.name {
			case "cached":
				assert.Equal(t, `Normal Pulled [spec.containers{main}] Container image "redis:7.4" already present on machine`, evs[0])
			case "never":
				assert.Equal(t, `Warning ErrImageNeverPull [spec.containers{main}] Container image "memcached:1.6" is not present with pull policy of Never`, evs[0])
				w := e.get(tt.name).Status.ContainerStatuses[0].State.Waiting
				require.NotNil(t, w)
				assert.Equal(t, "ErrImageNeverPull", w.Reason)
			}
		})
	}
	// Once another pod brought the image to the node, the Never pod starts.
	e.create(pod("puller", "worker-2", "memcached:1.6"))
	e.waitPod("never", time.Minute, ready)

	// Two pods pulling the same image together: the second waits for the
	// first and then only fetches the manifest.
	e.create(pod("twin-a", "worker-1", "postgres:17"))
	e.create(pod("twin-b", "worker-1", "postgres:17"))
	e.waitPod("twin-a", time.Minute, ready)
	e.waitPod("twin-b", time.Minute, ready)
	pullRe := regexp.MustCompile(`in (\S+) \((\S+) including waiting\)`)
	var waited int
	for _, name := range []string{"twin-a", "twin-b"} {
		for _, ev := range e.events("default", name) {
			if m := pullRe.FindStringSubmatch(ev); m != nil {
				dur, err1 := time.ParseDuration(m[1])
				took, err2 := time.ParseDuration(m[2])
				require.NoError(t, err1)
				require.NoError(t, err2)
				if took > dur {
					waited++
					assert.Less(t, dur, time.Second, "only the manifest: %s", ev)
				}
			}
		}
	}
	assert.Equal(t, 1, waited, "the second pull waited for the first")

	n, err := client.Get[*api.Node](e.c.Admin, "", "worker-1")
	require.NoError(t, err)
	var names []string
	for _, im := range n.Status.Images {
		names = append(names, im.Names[len(im.Names)-1])
	}
	assert.Contains(t, names, "docker.io/library/redis:7.4", "the node reports its images")
	assert.Contains(t, names, "registry.k8s.io/pause:3.10")
}

func TestLogs(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("talk", "worker-1", "nginx:1.27", withBehavior("main:\n  logs: [\"listening on :80\", \"ready\"]\n")))
	e.create(pod("quiet", "worker-2", "nginx:1.27"))
	e.waitPod("talk", time.Minute, ready)

	lines, err := e.kls["worker-1"].Logs("default", "talk", "", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"listening on :80", "ready"}, lines)

	m, err := e.c.Kubectl().Call(ActorName("worker-1"), KindLogs, LogsRequest{Namespace: "default", Pod: "talk", Container: "main", Timestamps: true}, time.Second)
	require.NoError(t, err)
	got := m.Body.(*LogsResponse).Lines
	require.Len(t, got, 2)
	assert.Regexp(t, `^2025-01-01T00:00:\d\d(\.\d+)?Z listening on :80$`, got[0])

	tests := []struct {
		req     LogsRequest
		wantErr string
	}{
		{LogsRequest{Namespace: "default", Pod: "nope"}, `pods "nope" not found`},
		{LogsRequest{Namespace: "default", Pod: "talk", Container: "side"}, "container side is not valid for pod talk"},
		{LogsRequest{Namespace: "default", Pod: "talk", Previous: true}, `previous terminated container "main" in pod "talk" not found`},
	}
	for _, tt := range tests {
		_, err := e.c.Kubectl().Call(ActorName("worker-1"), KindLogs, tt.req, time.Second)
		assert.EqualError(t, err, tt.wantErr)
	}
}

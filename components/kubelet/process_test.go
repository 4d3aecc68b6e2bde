package kubelet

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/images"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withCommand(cmd ...string) func(*api.Pod) {
	return func(p *api.Pod) { p.Spec.Containers[0].Command = cmd }
}

func withProbes(readiness, liveness, startup *api.Probe) func(*api.Pod) {
	return func(p *api.Pod) {
		c := &p.Spec.Containers[0]
		c.ReadinessProbe, c.LivenessProbe, c.StartupProbe = readiness, liveness, startup
	}
}

func httpProbe(port int32, path string) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Path: path, Port: api.FromInt32(port)}}}
}

func tcpProbe(port int32) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt32(port)}}}
}

func terminated(p *api.Pod) *api.ContainerStateTerminated {
	cs := p.Status.ContainerStatuses
	if len(cs) == 0 {
		return nil
	}
	if cs[0].State.Terminated != nil {
		return cs[0].State.Terminated
	}
	return cs[0].LastTerminationState.Terminated
}

// What a container does comes from its image and command.
func TestContainersBehaveAsTheirImages(t *testing.T) {
	e := newEnv(t, envOpts{})
	never := withRestartPolicy(api.RestartPolicyNever)
	e.create(pod("shell", "worker-1", "busybox:1.36", never))
	e.create(pod("sleeper", "worker-1", "busybox:1.36", never, withCommand("sleep", "3600")))
	e.create(pod("fails", "worker-2", "busybox:1.36", never, withCommand("sh", "-c", "echo bye; exit 3")))
	e.create(pod("nocurl", "worker-2", "alpine:3.21", never, withCommand("curl", "http://web")))
	e.create(pod("loop", "worker-2", "busybox:1.36", withCommand("sh", "-c", "echo up; sleep 1; exit 1")))

	sh := e.waitPod("shell", time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded })
	assert.Equal(t, "Completed", terminated(sh).Reason, "busybox's sh without a terminal exits 0 at once")

	f := e.waitPod("fails", time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
	assert.Equal(t, int32(3), terminated(f).ExitCode)
	lines, err := e.kls["worker-2"].Logs("default", "fails", "", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"bye"}, lines)

	nc := e.waitPod("nocurl", time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodFailed })
	tm := terminated(nc)
	assert.Equal(t, "StartError", tm.Reason)
	assert.Equal(t, int32(128), tm.ExitCode)
	assert.Contains(t, tm.Message, `exec: "curl": executable file not found in $PATH`)
	assert.Contains(t, e.events("default", "nocurl"), "Warning Failed [spec.containers{main}] Error: "+tm.Message)
	assert.NotContains(t, reasons(e.events("default", "nocurl")), "Started")

	// A crashing script restarts with the real back-off.
	lp := e.waitPod("loop", 2*time.Minute, func(p *api.Pod) bool {
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "CrashLoopBackOff" && p.Status.ContainerStatuses[0].RestartCount >= 2
	})
	assert.Contains(t, lp.Status.ContainerStatuses[0].State.Waiting.Message, "back-off 20s restarting failed container=main")

	// sleep 3600 runs for an hour, then completes.
	sl := e.get("sleeper")
	require.Equal(t, api.PodRunning, sl.Status.Phase)
	started := sl.Status.ContainerStatuses[0].State.Running.StartedAt.Time
	sl = e.waitPod("sleeper", 61*time.Minute, func(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded })
	assert.Equal(t, time.Hour, terminated(sl).FinishedAt.Sub(started).Round(time.Second))
}

// A shell or sleep as PID 1 ignores SIGTERM: deleting its pod waits the
// whole grace period and kills it (exit code 137); nginx stops at once.
func TestSIGTERMAndPID1(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("sleeper", "worker-1", "busybox:1.36", withCommand("sleep", "3600")))
	e.create(pod("web", "worker-1", "nginx:1.27"))
	e.waitPod("sleeper", time.Minute, running)
	e.waitPod("web", time.Minute, running)
	var ends = map[string]int32{}
	for _, name := range []string{"sleeper", "web"} {
		_, err := e.c.Admin.Delete("pods", "default", name, client.DeleteOptions{})
		require.NoError(t, err)
	}
	start := e.c.K.Now()
	require.True(t, e.c.WaitFor(func() bool {
		for _, name := range []string{"sleeper", "web"} {
			if _, ok := ends[name]; ok {
				continue
			}
			p, err := e.c.Admin.Get("pods", "default", name)
			if err != nil {
				ends[name] = -1
				continue
			}
			if tm := terminated(p.(*api.Pod)); tm != nil {
				ends[name] = tm.ExitCode
				if name == "sleeper" {
					assert.GreaterOrEqual(t, e.c.K.Now()-start, 30*time.Second, "SIGKILL at the end of the grace period")
				} else {
					assert.Less(t, e.c.K.Now()-start, 5*time.Second, "nginx stops on SIGTERM")
				}
			}
		}
		return len(ends) == 2
	}, 2*time.Minute))
	if ends["sleeper"] != -1 {
		assert.Equal(t, int32(137), ends["sleeper"])
	}
	if ends["web"] != -1 {
		assert.Equal(t, int32(0), ends["web"])
	}
}

// Probes succeed only against what the container's process does.
func TestProbesAgainstTheProcess(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("wrong-port", "worker-1", "nginx:1.27", withProbes(httpProbe(8080, "/"), nil, nil)))
	e.create(pod("right-port", "worker-1", "nginx:1.27", withProbes(httpProbe(80, "/"), nil, nil)))
	e.create(pod("not-found", "worker-2", "nginx:1.27", withProbes(httpProbe(80, "/healthz"), nil, nil)))
	e.create(pod("redis", "worker-2", "redis:7.4", withProbes(tcpProbe(6379), nil, nil)))
	e.create(pod("deathstar", "worker-2", "docker.io/cilium/starwars", withProbes(httpProbe(80, "/v1/healthz"), nil, nil)))

	for _, name := range []string{"right-port", "redis", "deathstar"} {
		e.waitPod(name, time.Minute, ready)
	}
	e.c.K.RunFor(45 * time.Second)
	wp := e.get("wrong-port")
	assert.Equal(t, api.PodRunning, wp.Status.Phase)
	assert.False(t, ready(wp), "nothing listens on 8080: never Ready")
	ip := wp.Status.PodIP
	assert.Contains(t, e.events("default", "wrong-port"),
		`Warning Unhealthy [spec.containers{main}] Readiness probe failed: Get "http://`+ip+`:8080/": dial tcp `+ip+`:8080: connect: connection refused`)
	nf := e.get("not-found")
	assert.False(t, ready(nf))
	assert.Contains(t, e.events("default", "not-found"), "Warning Unhealthy [spec.containers{main}] Readiness probe failed: HTTP probe failed with statuscode: 404")
	assert.NotContains(t, reasons(e.events("default", "right-port")), "Unhealthy")
}

// A liveness probe on a port nothing listens on fails failureThreshold
// times, the kubelet restarts the container, and the restarts back off.
func TestLivenessFailureRestartsWithBackOff(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27", withProbes(nil, tcpProbe(8080), nil)))
	e.waitPod("web", time.Minute, running)
	// Probes at 0, 10, 20 s fail; the third kills it.
	p := e.waitPod("web", 5*time.Minute, func(p *api.Pod) bool { return p.Status.ContainerStatuses[0].RestartCount >= 3 })
	ip := p.Status.PodIP
	evs := e.events("default", "web")
	assert.Contains(t, evs, "Warning Unhealthy [spec.containers{main}] Liveness probe failed: dial tcp "+ip+":8080: connect: connection refused")
	assert.Contains(t, evs, "Normal Killing [spec.containers{main}] Container main failed liveness probe, will be restarted")
	lt := p.Status.ContainerStatuses[0].LastTerminationState.Terminated
	require.NotNil(t, lt)
	assert.Equal(t, int32(0), lt.ExitCode, "nginx exits 0 on SIGTERM")
	// Each run lasts its 20 s of failing probes, then the wait before the
	// restart grows: 0, 10 s, 20 s ...
	p = e.waitPod("web", 5*time.Minute, func(p *api.Pod) bool {
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "CrashLoopBackOff"
	})
	assert.Contains(t, p.Status.ContainerStatuses[0].State.Waiting.Message, "back-off ")
}

// A startup probe that never succeeds holds readiness back and restarts
// the container after failureThreshold periods.
func TestStartupProbeGates(t *testing.T) {
	e := newEnv(t, envOpts{})
	sp := httpProbe(81, "/")
	sp.FailureThreshold = 2
	e.create(pod("slow", "worker-1", "nginx:1.27", withProbes(httpProbe(80, "/"), nil, sp)))
	ok := httpProbe(80, "/")
	ok.InitialDelaySeconds = 5
	e.create(pod("gated", "worker-1", "nginx:1.27", withProbes(httpProbe(80, "/"), nil, ok)))
	g := e.waitPod("gated", time.Minute, ready)
	readyAt := condition(g, api.PodReady).LastTransitionTime.Time
	startedAt := g.Status.ContainerStatuses[0].State.Running.StartedAt.Time
	assert.Greater(t, readyAt.Sub(startedAt), 3*time.Second, "ready only after the startup probe succeeded at 5 s (condition times have whole seconds)")

	s := e.waitPod("slow", 2*time.Minute, func(p *api.Pod) bool { return p.Status.ContainerStatuses[0].RestartCount >= 1 })
	assert.False(t, ready(s))
	evs := e.events("default", "slow")
	ip := s.Status.PodIP
	assert.Contains(t, evs, `Warning Unhealthy [spec.containers{main}] Startup probe failed: Get "http://`+ip+`:81/": dial tcp `+ip+`:81: connect: connection refused`)
	assert.Contains(t, evs, "Normal Killing [spec.containers{main}] Container main failed startup probe, will be restarted")
	for _, ev := range evs {
		assert.False(t, strings.Contains(ev, "Readiness probe failed"), "no readiness probe before startup succeeds: %s", ev)
	}
}

// The runtime answers a request for a container as its image does and
// keeps the access-log line; ContainerLogs reads it with its time.
func TestServeAndAccessLog(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.create(pod("web", "worker-1", "nginx:1.27"))
	p := e.waitPod("web", time.Minute, ready)
	req := ServeRequest{Namespace: "default", Pod: "web", Container: "main", Request: images.Request{Method: "GET", Path: "/",
		Host: p.Status.PodIP, UserAgent: "curl/8.5.0", ClientIP: "10.0.2.9", ClientPort: 40000, Port: 80}}
	m, err := e.c.Kubectl().Call(RuntimeName("worker-1"), KindServe, req, time.Second)
	require.NoError(t, err)
	reply := m.Body.(ServeReply)
	assert.Equal(t, 200, reply.Response.Status)
	assert.Equal(t, images.NginxWelcome, reply.Response.Body)
	assert.True(t, reply.Known)

	lines, err := e.kls["worker-1"].ContainerLogs("default", "web", "main", false)
	require.NoError(t, err)
	require.NotEmpty(t, lines)
	assert.Equal(t, "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration", lines[0].Text)
	last := lines[len(lines)-1]
	assert.Regexp(t, `^10\.0\.2\.9 - - \[01/Jan/2025:00:00:\d\d \+0000\] "GET / HTTP/1\.1" 200 615 "-" "curl/8\.5\.0" "-"$`, last.Text)
	assert.False(t, last.Time.Before(lines[0].Time))

	// A stopped kubelet does not stop the container from serving.
	require.NoError(t, e.c.K.Crash(ActorName("worker-1")))
	_, err = e.c.Kubectl().Call(RuntimeName("worker-1"), KindServe, req, time.Second)
	require.NoError(t, err)
	after, err := e.kls["worker-1"].ContainerLogs("default", "web", "main", false)
	require.NoError(t, err)
	assert.Len(t, after, len(lines)+1)
	_, err = e.kls["worker-1"].ContainerLogs("default", "web", "main", true)
	assert.EqualError(t, err, `previous terminated container "main" in pod "web" not found`)
}

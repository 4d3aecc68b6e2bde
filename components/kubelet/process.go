package kubelet

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/sim"
)

// What a container does comes from its image (package images): the
// image's default command, or the container's command and args, says
// whether it exits and when, what it prints and which ports it listens
// on. The kubesim.io/behavior annotation overrides the exit and the
// start-up lines of a container it names — it is how drills script
// failures — and adds what the catalog cannot know (readyAfter,
// unhealthyAfter, stopDelay).

// foreverish is a stop delay beyond any grace period: a process that
// ignores SIGTERM (a shell or sleep as PID 1 has no handler for it, and
// the kernel ignores default-disposition signals for PID 1).
const foreverish = 100 * 365 * 24 * time.Hour

// behaviorOf merges a container's process with its annotated behaviour.
func behaviorOf(spec *api.Container, annotated Behavior, has bool) (Behavior, images.Process) {
	proc := images.OfContainer(spec)
	if has {
		return annotated, proc
	}
	b := Behavior{Exits: proc.Exits, ExitAfter: proc.ExitAfter, ExitCode: proc.ExitCode}
	if proc.IgnoresSIGTERM() {
		b.StopDelay = foreverish
	}
	return b, proc
}

// startupLines are what the container prints from its start: the
// annotation's lines, or its process' own.
func (st *state) startupLines(pw *podWorker, c *container) {
	if len(c.beh.Logs) > 0 {
		st.appendLog(pw, c, c.beh.Logs...)
		return
	}
	now := st.wall()
	for _, l := range c.proc.StartupLogs(st.processEnv(pw, now)) {
		st.appendLogAt(pw, c, now.Add(l.After), l.Text)
	}
}

func (m *machine) processEnv(pw *podWorker, now time.Time) images.Env {
	host := pw.name
	if pw.pod != nil && pw.pod.Spec.Hostname != "" {
		host = pw.pod.Spec.Hostname
	}
	return images.Env{Hostname: host, PodIP: pw.podIP, Time: now}
}

// ---------------------------------------------------------------- probes

// probeFail is how one probe of a handler ends against the container's
// process: "" when it succeeds, else the prober's message. Annotated
// failures (neverReady, unhealthyAfter) are the callers' business.
func (st *state) probeFail(pw *podWorker, c *container, p *api.Probe) string {
	if p == nil {
		return ""
	}
	if c.annotated || (pw.static && st.cfg.Programs != nil) {
		// The annotation scripts the probes; a control-plane program
		// is an actor of its own, not a catalog process.
		return ""
	}
	host := pw.podIP
	switch {
	case p.HTTPGet != nil:
		g := p.HTTPGet
		if g.Host != "" {
			host = g.Host
		}
		port, ok := probePort(&c.spec, g.Port)
		scheme := strings.ToLower(string(g.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		path := g.Path
		if path == "" {
			path = "/"
		}
		url := fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(int(port))), path)
		if !ok || !c.proc.Listens(port, "TCP") {
			return fmt.Sprintf("Get %q: dial tcp %s: connect: connection refused", url, net.JoinHostPort(host, strconv.Itoa(int(port))))
		}
		resp := c.proc.Serve(st.processEnv(pw, st.wall()), images.Request{Method: "GET", Path: path,
			Host: net.JoinHostPort(host, strconv.Itoa(int(port))), UserAgent: "kube-probe/1.32", ClientIP: st.cfg.InternalIP, Port: port, TLS: scheme == "https"})
		if resp.Status == 0 {
			return fmt.Sprintf("Get %q: EOF", url)
		}
		if !resp.OK() {
			return fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.Status)
		}
		return ""
	case p.TCPSocket != nil:
		if p.TCPSocket.Host != "" {
			host = p.TCPSocket.Host
		}
		port, ok := probePort(&c.spec, p.TCPSocket.Port)
		if !ok || !c.proc.Listens(port, "TCP") {
			return fmt.Sprintf("dial tcp %s: connect: connection refused", net.JoinHostPort(host, strconv.Itoa(int(port))))
		}
		return ""
	case p.GRPC != nil:
		if !c.proc.Listens(p.GRPC.Port, "TCP") {
			return fmt.Sprintf("timeout: failed to connect service %q within %ds", net.JoinHostPort(host, strconv.Itoa(int(p.GRPC.Port))), probeTimeout(p))
		}
		return ""
	case p.Exec != nil:
		argv := p.Exec.Command
		if len(argv) == 0 {
			return "command failed: no command"
		}
		run := images.Lookup(c.spec.Image).Start(images.Spec{Command: argv})
		if run.StartError != "" {
			return fmt.Sprintf("rpc error: code = Unknown desc = failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown", argv[0])
		}
		if run.Exits && run.ExitCode != 0 {
			var out []string
			for _, l := range run.StartupLogs(st.processEnv(pw, st.wall())) {
				out = append(out, l.Text)
			}
			if len(out) > 0 {
				return strings.Join(out, "\n")
			}
			return fmt.Sprintf("command %q exited with %d", strings.Join(argv, " "), run.ExitCode)
		}
		return ""
	}
	return ""
}

func probeTimeout(p *api.Probe) int32 {
	if p.TimeoutSeconds > 0 {
		return p.TimeoutSeconds
	}
	return 1
}

// probePort resolves a probe's port: a number, or the name of one of the
// container's ports.
func probePort(c *api.Container, port api.IntOrString) (int32, bool) {
	if port.Type == api.IntOrStringInt {
		return port.IntVal, true
	}
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return cp.ContainerPort, true
		}
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		return int32(n), true
	}
	return 0, false
}

// ---------------------------------------------------------------- serving

// KindServe is a request that reached a container's process, asked of the
// node's container runtime actor (RuntimeName) by the datapath once the
// endpoint's stack accepted the connection: the process answers (package
// images) and prints its access-log line. The body is a ServeRequest, the
// reply a ServeReply. The runtime answers while the kubelet is down, as
// running containers keep serving.
const KindServe = "container serve"

// ServeRequest is one HTTP request for a container.
type ServeRequest struct {
	Namespace, Pod, Container string
	Request                   images.Request
}

// Summary implements sim.Summarizer.
func (r ServeRequest) Summary() string {
	return fmt.Sprintf("%s %s port %d to %s/%s container %s", r.Request.Method, r.Request.Path, r.Request.Port, r.Namespace, r.Pod, r.Container)
}

// ServeReply is the process' answer.
type ServeReply struct {
	Response images.Response
	// Image is the container's image; Known says kubesim's catalog
	// knows it (otherwise the answer is the pod's hostname).
	Image string
	Known bool
}

// Summary implements sim.Summarizer.
func (r ServeReply) Summary() string {
	if r.Response.Status == 0 {
		return fmt.Sprintf("no HTTP answer (curl: (%d) %s)", r.Response.CurlExit, r.Response.CurlError)
	}
	s := fmt.Sprintf("%s, %d bytes", r.Response.StatusLine(), len(r.Response.Body))
	if !r.Known {
		s += " (the pod's hostname: its image is not in kubesim's catalog)"
	}
	return s
}

// serve answers a KindServe request from the runtime's state.
func (m *machine) serve(c *sim.Ctx, req ServeRequest) (ServeReply, error) {
	pw := m.pods[req.Namespace+"/"+req.Pod]
	if pw == nil || pw.gone {
		return ServeReply{}, fmt.Errorf("no pod %s/%s on this node", req.Namespace, req.Pod)
	}
	ct := pw.container(req.Container)
	if ct == nil || ct.cur == nil || ct.cur.finished {
		return ServeReply{Response: images.Response{CurlExit: 7, CurlError: "Couldn't connect to server"}}, nil
	}
	now := c.WallTime()
	m.lastWall = now
	env := m.processEnv(pw, now)
	resp := ct.proc.Serve(env, req.Request)
	if resp.Status != 0 {
		ct.cur.charge(c.Now(), ct.proc.Cost().RequestCPU)
	}
	for _, line := range ct.proc.AccessLog(env, req.Request, resp) {
		m.appendLogLine(pw, ct, now, line)
	}
	return ServeReply{Response: resp, Image: ct.spec.Image, Known: ct.proc.Image.Known}, nil
}

// HasPod reports whether the node's runtime holds a pod (out of band).
func (kl *Kubelet) HasPod(namespace, pod string) bool {
	pw := kl.m.pods[namespace+"/"+pod]
	return pw != nil && !pw.gone
}

// ContainerLogs returns a container's log lines with their (virtual)
// times: the current instance's, or with previous the last terminated
// instance's (kubectl logs --previous). Lines a process prints later (a
// script's echo after a sleep) show once their time has come. It reads
// the runtime's state out of band (call it between kernel steps) and
// answers while the kubelet is down, as the log files stay on the node.
// Errors read as kubectl's.
func (kl *Kubelet) ContainerLogs(namespace, pod, container string, previous bool) ([]LogLine, error) {
	pw := kl.m.pods[namespace+"/"+pod]
	if pw == nil || pw.gone {
		return nil, fmt.Errorf("pods %q not found", pod)
	}
	name := container
	if name == "" {
		if len(pw.ctrs) != 1 {
			names := make([]string, 0, len(pw.ctrs))
			for _, c := range pw.ctrs {
				names = append(names, c.spec.Name)
			}
			return nil, fmt.Errorf("a container name must be specified for pod %s, choose one of: [%s]", pod, strings.Join(names, " "))
		}
		name = pw.ctrs[0].spec.Name
	}
	ct := pw.container(name)
	if ct == nil {
		return nil, fmt.Errorf("container %s is not valid for pod %s", name, pod)
	}
	if previous && ct.prev == nil {
		return nil, fmt.Errorf("previous terminated container %q in pod %q not found", name, pod)
	}
	l := kl.m.logs[logKey(namespace, pod, name)]
	if l == nil {
		return nil, nil
	}
	lines := l.current
	if previous {
		lines = l.previous
	}
	if !kl.m.lastWall.IsZero() {
		lines = visible(lines, kl.m.lastWall)
	}
	return append([]LogLine(nil), lines...), nil
}

package kubelet

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// podWorker is the kubelet's state of one pod, as its pod worker and the
// container runtime know it.
type podWorker struct {
	key, ns, name string
	uid           api.UID
	pod           *api.Pod // the desired pod (the API's, or a static manifest)
	api           *api.Pod // the pod as the apiserver has it (a static pod's mirror)
	static        bool
	hostNetwork   bool

	sandboxID    string
	sandboxReady bool
	creating     bool // RunPodSandbox (and CNI ADD) in flight
	retrying     bool // waiting for the sync back-off after a failure
	// sandboxChanged: the sandbox died under the pod (a reboot) and is
	// to be made again.
	sandboxChanged bool
	tornDown       bool
	tearingDown    bool
	podIP          string
	startTime      *api.Time

	inits, ctrs []*container

	// volumes is what the pod's configMap and secret volumes hold, as the
	// kubelet last synced them; volumesSynced says they were mounted.
	volumes       configSnapshot
	volumesSynced bool

	terminating bool // deletion seen, or the deadline passed: containers are being stopped
	deleted     bool // terminating because the pod is being deleted
	// failReason and failMessage explain a pod the kubelet failed itself
	// (DeadlineExceeded, OutOfcpu, ...), shown in status.reason/message.
	failReason, failMessage string
	rejected                bool // refused at admission: never ran
	initDone                bool // the init containers completed (sidecars started)
	sidecarsStopping        bool
	killStarted             bool
	terminal                api.PodPhase // Succeeded or Failed, once reached
	deleting                bool         // the final delete was sent
	gone                    bool

	conds      map[api.PodConditionType]condTime
	lastStatus string
	claims     volumeWait // the wait for the pod's PersistentVolumeClaims (volumes.go)
}

type condTime struct {
	status api.ConditionStatus
	at     api.Time
}

// instance is one run of a container (a containerd container).
type instance struct {
	id         string
	startedAt  time.Time
	finishedAt time.Time
	finishedV  time.Duration // virtual time of the exit, for the back-off
	finished   bool
	// readyDue and exitDue are the virtual times the behaviour makes it
	// ready and exit (0: never), kept so that a restarted kubelet can
	// watch for them again.
	readyDue, exitDue time.Duration
	exitCode          int32
	reason            string
	message           string
	// config is the ConfigMaps and Secrets its env, envFrom and subPath
	// mounts read, as they were when it was created.
	config configSnapshot
	// cpu accounts the instance's CPU use (metrics.go).
	cpu *cpuMeter
}

func (in *instance) terminated() *api.ContainerStateTerminated {
	return &api.ContainerStateTerminated{ExitCode: in.exitCode, Reason: in.reason, Message: in.message,
		StartedAt: api.NewTime(in.startedAt), FinishedAt: api.NewTime(in.finishedAt), ContainerID: "containerd://" + in.id}
}

type container struct {
	spec    api.Container
	init    bool
	sidecar bool // an init container with restartPolicy Always
	beh     Behavior
	// proc is what the image's command does (package images);
	// annotated says the behaviour annotation names the container and
	// scripts its exit, readiness and liveness instead.
	proc      images.Process
	annotated bool
	// readyFail, liveFail and startFail are the failure messages of the
	// container's readiness, liveness and startup probes against its
	// process ("" when they succeed), set at its start.
	readyFail, liveFail, startFail string
	startupFailures                int

	cur, prev *instance
	restarts  int32
	ready     bool
	// waitReason and waitMsg, when set, are what the status shows instead
	// of the current instance (CrashLoopBackOff, ErrImageNeverPull).
	waitReason, waitMsg string

	pullBo  backOff       // image pull back-off
	pullMsg string        // the last pull error
	retryAt time.Duration // a retry of a failed start is set for then
	// probeFailures counts consecutive failed liveness probes.
	probeFailures int
	// changed: killed because its definition (image) changed; it starts
	// again whatever the restart policy.
	changed bool
	gen     int    // bumped on every start and stop: stale timers are ignored
	op      string // "pull", "create", "start" while the runtime works on it
	nextID  string // the id of the container being created
	// nextConfig is the config snapshot of the container being created.
	nextConfig configSnapshot
	bo         backOff
}

func (pw *podWorker) container(name string) *container {
	for _, c := range pw.inits {
		if c.spec.Name == name {
			return c
		}
	}
	for _, c := range pw.ctrs {
		if c.spec.Name == name {
			return c
		}
	}
	return nil
}

func (pw *podWorker) all() []*container {
	return append(append([]*container(nil), pw.inits...), pw.ctrs...)
}

func (pw *podWorker) busy() bool {
	for _, c := range pw.all() {
		if c.op != "" {
			return true
		}
	}
	return false
}

func (pw *podWorker) resourceVersion() string {
	if pw.api != nil {
		return pw.api.ResourceVersion
	}
	return ""
}

// podTimer addresses a timer to a pod (and a container run).
type podTimer struct {
	key  string
	uid  api.UID
	ctr  string
	gen  int
	code int32 // kindExited: the exit code
	what string
	// kindPullDone: how long the pull took, alone and with the wait for
	// the serialized puller, or why it failed.
	dur, took time.Duration
	pullErr   string
}

// Summary implements sim.Summarizer.
func (t podTimer) Summary() string {
	s := t.key
	if t.ctr != "" {
		s += " container " + t.ctr
	}
	if t.what != "" {
		s += " (" + t.what + ")"
	}
	return s
}

// sandboxResult is what the RunPodSandbox task reports.
type sandboxResult struct {
	key       string
	uid       api.UID
	sandboxID string
	ip        string
	err       string
}

// Summary implements sim.Summarizer.
func (r sandboxResult) Summary() string {
	if r.err != "" {
		return r.key + ": " + r.err
	}
	return r.key + " sandbox " + r.sandboxID[:12] + " IP " + r.ip
}

func (st *state) timer(pw *podWorker, d time.Duration, kind string, t podTimer) {
	t.key, t.uid = pw.key, pw.uid
	st.c.After(d, kind, t)
}

// newWorker builds the kubelet's state for a pod it has not seen.
func (st *state) newWorker(pod *api.Pod, static bool) *podWorker {
	pw := &podWorker{key: pod.Namespace + "/" + pod.Name, ns: pod.Namespace, name: pod.Name, uid: pod.UID, pod: pod, static: static,
		hostNetwork: pod.Spec.HostNetwork, conds: map[api.PodConditionType]condTime{}}
	now := api.NewTime(st.wall())
	pw.startTime = &now
	beh, err := ParseBehavior(pod.Annotations)
	if err != nil {
		st.log.Warn("ignoring the pod's behaviour annotation", zap.String("pod", pw.key), zap.Error(err))
	}
	for _, c := range pod.Spec.InitContainers {
		ab, ok := beh[c.Name]
		b, proc := behaviorOf(&c, ab, ok)
		if c.RestartPolicy != nil && *c.RestartPolicy == api.ContainerRestartPolicyAlways {
			pw.inits = append(pw.inits, &container{spec: c, init: true, sidecar: true, beh: b, proc: proc, annotated: ok})
			continue
		}
		if !ok && !b.Exits {
			// An init container whose command the catalog sees running
			// on (a wait loop, a program it does not model) completes
			// after a second, as a typical setup step would.
			b = Behavior{Exits: true, ExitAfter: time.Second}
		}
		pw.inits = append(pw.inits, &container{spec: c, init: true, beh: b, proc: proc, annotated: ok})
	}
	for _, c := range pod.Spec.Containers {
		ab, ok := beh[c.Name]
		b, proc := behaviorOf(&c, ab, ok)
		pw.ctrs = append(pw.ctrs, &container{spec: c, beh: b, proc: proc, annotated: ok})
	}
	st.pods[pw.key] = pw
	return pw
}

// podUpdated handles an ADDED or MODIFIED pod from the watch.
func (st *state) podUpdated(pod *api.Pod) {
	key := pod.Namespace + "/" + pod.Name
	pw := st.pods[key]
	if _, mirror := pod.Annotations[annotationConfigMirror]; mirror {
		if pw == nil || !pw.static {
			return
		}
		pw.api = pod
		if pod.DeletionTimestamp != nil {
			// A mirror pod cannot be stopped through the API: the kubelet
			// removes it at once and publishes the static pod again.
			zero := int64(0)
			if _, err := st.cl.Delete("pods", pw.ns, pw.name, client.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
				st.log.Warn("failed to delete mirror pod", zap.String("pod", pw.key), zap.Error(err))
			}
			return
		}
		st.sync(pw)
		return
	}
	if pw != nil && pw.uid != pod.UID {
		st.forget(pw) // a new pod of the same name: the old one is gone
		pw = nil
	}
	if pw == nil {
		if pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed {
			// Finished before this kubelet (incarnation) knew it.
			pw = st.newWorker(pod, false)
			pw.terminal = pod.Status.Phase
			pw.api = pod
			pw.lastStatus = statusKey(pod.Status)
			return
		}
		pw = st.newWorker(pod, false)
		pw.api = pod
		if pod.DeletionTimestamp == nil {
			st.admit(pw)
		}
		if ads := pod.Spec.ActiveDeadlineSeconds; ads != nil && pw.terminal == "" {
			st.timer(pw, time.Duration(*ads)*time.Second, kindPodSync, podTimer{what: "active deadline"})
		}
	}
	pw.api = pod
	if pw.pod != pod {
		st.specChanged(pw, pod)
	}
	pw.pod = pod
	if pod.DeletionTimestamp != nil && !pw.deleted {
		pw.terminating, pw.deleted = true, true
		pw.killStarted = false // a deletion during a deadline kill restarts it with the deletion's grace
	}
	st.sync(pw)
}

// specChanged applies what may change in a running pod's spec: container
// images. A running container whose image changed is killed and started
// again with the new one, whatever the restart policy, as the kubelet does
// when a container's definition (its hash) changes.
func (st *state) specChanged(pw *podWorker, pod *api.Pod) {
	for i := range pod.Spec.Containers {
		if i >= len(pw.ctrs) {
			break
		}
		c, spec := pw.ctrs[i], pod.Spec.Containers[i]
		if spec.Image == c.spec.Image {
			continue
		}
		c.spec.Image = spec.Image
		c.beh, c.proc = behaviorOf(&c.spec, c.beh, c.annotated)
		c.pullBo = backOff{}
		switch c.waitReason {
		case "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull":
			c.waitReason, c.waitMsg = "", ""
		}
		if c.cur == nil || c.cur.finished || pw.terminating {
			continue
		}
		st.rec.podEvent(pw, c, api.EventTypeNormal, "Killing", fmt.Sprintf("Container %s definition changed, will be restarted", c.spec.Name))
		grace := time.Duration(api.DefaultTerminationGrace) * time.Second
		if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = max(time.Duration(*g)*time.Second, minimumGracePeriod)
		}
		c.gen++
		c.op = ""
		c.changed = true
		if c.beh.StopDelay < grace {
			st.timer(pw, c.beh.StopDelay, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 0, what: "SIGTERM"})
		} else {
			st.timer(pw, grace, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 137, what: "SIGKILL"})
		}
	}
}

// podDeleted handles a DELETED pod from the watch: the pod is gone from the
// API (after the kubelet's own final delete, or a forced delete).
func (st *state) podDeleted(pod *api.Pod) {
	key := pod.Namespace + "/" + pod.Name
	pw := st.pods[key]
	if pw == nil {
		return
	}
	if pw.static {
		// Somebody deleted the mirror pod: the kubelet recreates it.
		if pw.api != nil && pw.api.UID == pod.UID {
			pw.api = nil
			pw.lastStatus = ""
			st.createMirror(pw)
		}
		return
	}
	if pw.uid != pod.UID {
		return
	}
	st.forget(pw)
}

// forget drops a pod: whatever still runs is killed at once, its network
// torn down, its logs removed.
func (st *state) forget(pw *podWorker) {
	pw.gone = true
	for _, c := range pw.all() {
		c.gen++
		c.op = ""
	}
	if pw.sandboxReady && !pw.tornDown && !pw.tearingDown && !pw.hostNetwork {
		st.teardown(pw)
	}
	delete(st.pods, pw.key)
	for _, c := range pw.all() {
		delete(st.logs, logKey(pw.ns, pw.name, c.spec.Name))
	}
}

func (st *state) handlePodTimer(m *sim.Message) {
	if r, ok := m.Body.(sandboxResult); ok {
		pw := st.pods[r.key]
		if pw == nil || pw.uid != r.uid || pw.gone {
			if r.err == "" && r.ip != st.cfg.InternalIP {
				// The pod went while its sandbox was being made: release
				// the network it got.
				ns, name, _ := strings.Cut(r.key, "/")
				st.c.Send(cni.AgentName(st.cfg.Node), cni.KindDel, cni.DelRequest{Namespace: ns, Name: name, UID: r.uid, ContainerID: r.sandboxID})
			}
			return
		}
		st.sandboxDone(pw, r)
		return
	}
	t := m.Body.(podTimer)
	pw := st.pods[t.key]
	if pw == nil || pw.uid != t.uid || pw.gone {
		return
	}
	switch m.Kind {
	case kindPodSync:
		switch t.what {
		case "sandbox-retry":
			pw.retrying = false
		case "volumes":
			pw.claims.armed = false
		case "mirror pod":
			if pw.api == nil {
				st.createMirror(pw)
			}
		case "volume refresh":
			st.refreshConfigVolumes(pw)
			return
		case "active deadline":
			if pw.terminal == "" && !pw.terminating {
				msg := "Pod was active on the node longer than the specified deadline"
				st.rec.podEvent(pw, nil, api.EventTypeWarning, "DeadlineExceeded", msg)
				pw.failReason, pw.failMessage = "DeadlineExceeded", msg
				pw.terminating = true
			}
		}
		st.sync(pw)
	case kindTeardownDone:
		pw.tearingDown, pw.tornDown, pw.sandboxReady = false, true, false
		st.sync(pw)
	case kindKillDeadline:
		for _, c := range pw.all() {
			if c.cur != nil && !c.cur.finished {
				st.finish(pw, c, 137, "")
			}
		}
		st.sync(pw)
	default:
		c := pw.container(t.ctr)
		if c == nil || c.gen != t.gen {
			return // stale: the container was restarted or stopped since
		}
		st.containerTimer(pw, c, m.Kind, t)
	}
}

// sync brings a pod one step closer to its desired state and reports its
// status, level-triggered: it looks at the whole pod every time.
func (st *state) sync(pw *podWorker) {
	if pw.gone {
		return
	}
	switch {
	case pw.terminating:
		st.syncTerminating(pw)
		return
	case pw.terminal != "":
	case !pw.sandboxReady:
		if !pw.creating && !pw.retrying && !pw.tornDown && st.volumesReady(pw) {
			if pw.sandboxChanged {
				pw.sandboxChanged = false
				st.rec.podEvent(pw, nil, api.EventTypeNormal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
			}
			st.createSandbox(pw)
		}
	default:
		if st.syncInit(pw) {
			st.syncContainers(pw)
			if pw.mainDone() {
				st.stopSidecars(pw)
			}
		}
		if phase := st.status(pw).Phase; (phase == api.PodSucceeded || phase == api.PodFailed) && !pw.sidecarRunning() {
			pw.terminal = phase
			st.log.Info("pod finished", zap.String("pod", pw.key), zap.String("phase", string(phase)))
			if !pw.hostNetwork {
				st.teardown(pw)
			} else {
				pw.tornDown, pw.sandboxReady = true, false
			}
		}
	}
	st.writeStatus(pw)
}

// createSandbox runs the pod sandbox: the pause container and, unless the
// pod uses the host's network, a CNI ADD to the node's network agent.
func (st *state) createSandbox(pw *podWorker) {
	pw.creating = true
	pw.sandboxID = hexID(st.c, 32)
	st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepSandbox, Sandbox: pw.sandboxID[:12]})
	setup := 80*time.Millisecond + time.Duration(st.c.Rand().Int64N(int64(120*time.Millisecond)))
	res := sandboxResult{key: pw.key, uid: pw.uid, sandboxID: pw.sandboxID}
	self := st.c.Name()
	if pw.hostNetwork {
		res.ip = st.cfg.InternalIP
		st.c.Go(func(tc *sim.Ctx) {
			tc.Sleep(setup)
			tc.Send(self, kindSandboxDone, res)
		})
		return
	}
	req := cni.AddRequest{Namespace: pw.ns, Name: pw.name, UID: pw.uid, ContainerID: pw.sandboxID, Node: st.cfg.Node, Labels: pw.pod.Labels, ServiceAccount: pw.pod.Spec.ServiceAccountName}
	agent := cni.AgentName(st.cfg.Node)
	st.c.Go(func(tc *sim.Ctx) {
		tc.Sleep(setup)
		res.ip, res.err = cniAdd(tc, agent, req)
		tc.Send(self, kindSandboxDone, res)
	})
}

// cniAdd is cilium-cni's ADD: it waits up to 30 s for the agent's socket,
// then asks the agent for an endpoint.
func cniAdd(tc *sim.Ctx, agent string, req cni.AddRequest) (ip, errText string) {
	start := tc.Now()
	for {
		left := cniPluginTimeout - (tc.Now() - start)
		m, err := tc.Call(agent, cni.KindAdd, req, left)
		switch {
		case err == nil:
			if r, ok := m.Body.(*cni.AddResult); ok && r.IP != "" {
				return r.IP, ""
			}
			return "", cniFailure("no IP address in the agent's answer")
		case errors.Is(err, sim.ErrRefused) && tc.Now()-start+time.Second < cniPluginTimeout:
			tc.Sleep(time.Second) // the socket is not there yet: poll
			continue
		case errors.Is(err, sim.ErrRefused) || errors.Is(err, sim.ErrTimeout):
			if rest := cniPluginTimeout - (tc.Now() - start); rest > 0 {
				tc.Sleep(rest)
			}
			return "", cniFailure(`unable to connect to Cilium agent: failed to create cilium agent client after 30.000000 seconds timeout: Get "http://localhost/v1/config": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory` + "\nIs the agent running?")
		default:
			return "", cniFailure(err.Error())
		}
	}
}

func cniFailure(msg string) string {
	return `plugin type="cilium-cni" name="cilium" failed (add): ` + msg
}

func (st *state) sandboxDone(pw *podWorker, r sandboxResult) {
	if !pw.creating || r.sandboxID != pw.sandboxID {
		return
	}
	pw.creating = false
	if r.err != "" {
		msg := fmt.Sprintf("Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox %q: %s", r.sandboxID, r.err)
		st.rec.podEvent(pw, nil, api.EventTypeWarning, "FailedCreatePodSandBox", msg)
		st.log.Warn("CreatePodSandbox for pod failed", zap.String("pod", pw.key), zap.String("error", msg))
		pw.sandboxID = ""
		pw.retrying = true
		d := st.cfg.SyncBackOff + time.Duration(st.c.Rand().Float64()*0.5*float64(st.cfg.SyncBackOff))
		st.timer(pw, d, kindPodSync, podTimer{what: "sandbox-retry"})
		st.sync(pw)
		return
	}
	pw.sandboxReady = true
	pw.podIP = r.ip
	st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepSandboxReady, Sandbox: r.sandboxID[:12], IP: r.ip})
	st.sync(pw)
}

// teardown stops the sandbox: CNI DEL for pods on the pod network.
func (st *state) teardown(pw *podWorker) {
	if pw.tearingDown || pw.tornDown {
		return
	}
	pw.tearingDown = true
	self := st.c.Name()
	req := cni.DelRequest{Namespace: pw.ns, Name: pw.name, UID: pw.uid, ContainerID: pw.sandboxID}
	agent := cni.AgentName(st.cfg.Node)
	t := podTimer{key: pw.key, uid: pw.uid}
	host := pw.hostNetwork
	st.c.Go(func(tc *sim.Ctx) {
		if !host {
			// cilium-cni queues a deletion it cannot hand to the agent
			// and reports success, so an unreachable agent does not hold
			// the pod up.
			_, _ = tc.Call(agent, cni.KindDel, req, 5*time.Second)
		}
		tc.Send(self, kindTeardownDone, t)
	})
}

// syncInit runs the init containers one after the other; it reports
// whether all of them completed.
func (st *state) syncInit(pw *podWorker) bool {
	for _, c := range pw.inits {
		if c.sidecar {
			// A sidecar (an init container with restartPolicy Always)
			// lets the next init container start once it has started,
			// and keeps running beside the pod's containers.
			switch {
			case c.op != "":
				return false
			case c.cur == nil:
				st.startContainer(pw, c)
				return false
			case !c.cur.finished:
				continue
			case pw.sidecarsStopping:
				continue
			default:
				if st.restartWithBackOff(pw, c) || !pw.initDone {
					return false
				}
				continue
			}
		}
		switch {
		case c.op != "":
			return false
		case c.cur == nil:
			st.startContainer(pw, c)
			return false
		case !c.cur.finished:
			return false
		case c.cur.exitCode == 0:
			continue
		case pw.pod.Spec.RestartPolicy == api.RestartPolicyNever:
			return false
		default:
			st.restartWithBackOff(pw, c)
			return false
		}
	}
	pw.initDone = true
	return true
}

// stopSidecars ends the sidecars once the pod's containers are done for
// good (restartPolicy Never or OnFailure): SIGTERM, then SIGKILL at the end
// of the grace period, as the kubelet does before the pod can finish.
func (st *state) stopSidecars(pw *podWorker) {
	if pw.sidecarsStopping {
		return
	}
	var running []*container
	for _, c := range pw.inits {
		if c.sidecar && c.cur != nil && !c.cur.finished {
			running = append(running, c)
		}
	}
	if len(running) == 0 {
		return
	}
	pw.sidecarsStopping = true
	grace := time.Duration(api.DefaultTerminationGrace) * time.Second
	if g := pw.pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = max(time.Duration(*g)*time.Second, minimumGracePeriod)
	}
	for i := len(running) - 1; i >= 0; i-- { // in reverse order of start
		c := running[i]
		st.rec.podEvent(pw, c, api.EventTypeNormal, "Killing", "Stopping container "+c.spec.Name)
		c.gen++
		if c.beh.StopDelay < grace {
			st.timer(pw, c.beh.StopDelay, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 0, what: "SIGTERM"})
		} else {
			st.timer(pw, grace, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 137, what: "SIGKILL"})
		}
	}
}

// mainDone reports whether every regular container has exited for good.
func (pw *podWorker) mainDone() bool {
	for _, c := range pw.ctrs {
		if c.cur == nil || !c.cur.finished || shouldRestart(pw.pod.Spec.RestartPolicy, c.cur.exitCode) {
			return false
		}
	}
	return true
}

func (pw *podWorker) sidecarRunning() bool {
	for _, c := range pw.inits {
		if c.sidecar && c.cur != nil && !c.cur.finished {
			return true
		}
	}
	return false
}

// syncContainers starts the containers that should run, one at a time as
// the kubelet's SyncPod does, and restarts exited ones as the restart
// policy and the back-off allow.
func (st *state) syncContainers(pw *podWorker) {
	if pw.busy() {
		return
	}
	for _, c := range pw.ctrs {
		switch {
		case c.cur == nil:
			st.startContainer(pw, c)
			if c.op != "" {
				return
			}
		case !c.cur.finished:
		case c.changed:
			c.changed = false
			st.startContainer(pw, c)
			if c.op != "" {
				return
			}
		case !shouldRestart(pw.pod.Spec.RestartPolicy, c.cur.exitCode):
		default:
			if st.restartWithBackOff(pw, c) {
				return
			}
		}
	}
}

func shouldRestart(p api.RestartPolicy, exitCode int32) bool {
	switch p {
	case api.RestartPolicyNever:
		return false
	case api.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// restartWithBackOff restarts an exited container unless it is in back-off,
// in which case it waits in CrashLoopBackOff. It reports whether it
// started the container.
func (st *state) restartWithBackOff(pw *podWorker, c *container) bool {
	now := st.c.Now()
	exit := c.cur.finishedV
	if c.waitReason == "ErrImagePull" || c.waitReason == "ImagePullBackOff" {
		st.startContainer(pw, c) // the restart is under way; its image is not
		return c.op != ""
	}
	if c.bo.inBackOffSince(exit, now, st.cfg.MaxContainerBackOff) {
		msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", c.bo.delay, c.spec.Name, pw.name, pw.ns, pw.uid)
		if c.waitReason != "CrashLoopBackOff" || c.waitMsg != msg {
			if c.waitReason == "" {
				// The sync that sees the exit reports it (kubectl shows
				// Error); the back-off shows from the next one, as the
				// kubelet's reason cache has it.
				st.writeStatus(pw)
			}
			c.waitReason, c.waitMsg = "CrashLoopBackOff", msg
			st.rec.podEvent(pw, c, api.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s_%s(%s)", c.spec.Name, pw.name, pw.ns, pw.uid))
			st.timer(pw, exit+c.bo.delay-now, kindPodSync, podTimer{what: "back-off over"})
		}
		return false
	}
	c.bo.next(exit, st.cfg.BackOffPeriod, st.cfg.MaxContainerBackOff)
	st.startContainer(pw, c)
	return true
}

// startContainer runs the image step (honouring imagePullPolicy), then
// create and start, each as a timer of virtual time.
func (st *state) startContainer(pw *podWorker, c *container) {
	c.gen++
	prevReason, prevMsg := c.waitReason, c.waitMsg
	if c.waitReason != "CrashLoopBackOff" {
		// (CrashLoopBackOff shows until the new instance starts, as the
		// kubelet's reason cache keeps it until a start succeeds.)
		c.waitReason, c.waitMsg = "", ""
	}
	ref := c.spec.Image
	policy := c.spec.ImagePullPolicy
	if policy == "" {
		policy = defaultPullPolicy(ref)
	}
	present := st.hasImage(ref)
	switch {
	case policy == api.PullNever && !present:
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", ref)
		c.waitReason, c.waitMsg = "ErrImageNeverPull", msg
		if prevReason != c.waitReason {
			st.rec.podEvent(pw, c, api.EventTypeWarning, "ErrImageNeverPull", msg)
		}
		// The pod worker retries a failed sync after its back-off: the
		// image may have arrived meanwhile.
		if now := st.c.Now(); now >= c.retryAt {
			d := st.cfg.SyncBackOff + time.Duration(st.c.Rand().Float64()*0.5*float64(st.cfg.SyncBackOff))
			c.retryAt = now + d
			st.timer(pw, d, kindPodSync, podTimer{what: "image never pulled"})
		}
	case policy == api.PullAlways || !present:
		now := st.c.Now()
		if c.pullBo.has && now-c.pullBo.lastUpdate < c.pullBo.delay {
			msg := fmt.Sprintf("Back-off pulling image %q", ref)
			full := msg + ": ErrImagePull: " + c.pullMsg
			c.waitReason, c.waitMsg = "ImagePullBackOff", full
			if prevReason != "ImagePullBackOff" || prevMsg != full {
				st.rec.podEvent(pw, c, api.EventTypeNormal, "BackOff", msg)
				st.rec.podEvent(pw, c, api.EventTypeWarning, "Failed", "Error: ImagePullBackOff")
				st.timer(pw, c.pullBo.lastUpdate+c.pullBo.delay-now, kindPodSync, podTimer{what: "image back-off over"})
			}
			return
		}
		st.rec.podEvent(pw, c, api.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", ref))
		if err := st.pullError(ref); err != "" {
			// The registry answers at once: the reference does not resolve.
			d := 200*time.Millisecond + time.Duration(st.c.Rand().Int64N(int64(500*time.Millisecond)))
			c.op = "pull"
			st.timer(pw, d, kindPullDone, podTimer{ctr: c.spec.Name, gen: c.gen, pullErr: err})
			return
		}
		done, took, dur := st.pull(ref)
		c.op = "pull"
		st.timer(pw, done-st.c.Now(), kindPullDone, podTimer{ctr: c.spec.Name, gen: c.gen, dur: dur, took: took})
	default:
		st.rec.podEvent(pw, c, api.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", ref))
		st.create(pw, c)
	}
}

func (st *state) create(pw *podWorker, c *container) {
	if msg := st.containerConfigError(pw.ns, &c.spec); msg != "" {
		// CreateContainerConfigError; the pod worker retries after its
		// back-off, when the ConfigMap or Secret may exist.
		prev := c.waitReason
		c.op = ""
		c.waitReason, c.waitMsg = "CreateContainerConfigError", msg
		if prev != c.waitReason {
			st.rec.podEvent(pw, c, api.EventTypeWarning, "Failed", "Error: "+msg)
		}
		st.writeStatus(pw)
		if now := st.c.Now(); now >= c.retryAt {
			c.retryAt = now + st.cfg.SyncBackOff
			st.timer(pw, st.cfg.SyncBackOff, kindPodSync, podTimer{what: "container config"})
		}
		return
	}
	c.nextConfig = st.readConfig(pw.ns, containerConfigRefs(&pw.pod.Spec, &c.spec))
	st.mountConfigVolumes(pw)
	c.op = "create"
	d := 20*time.Millisecond + time.Duration(st.c.Rand().Int64N(int64(40*time.Millisecond)))
	st.timer(pw, d, kindCreated, podTimer{ctr: c.spec.Name, gen: c.gen})
}

func (st *state) containerTimer(pw *podWorker, c *container, kind string, t podTimer) {
	switch kind {
	case kindPullDone:
		if c.op != "pull" {
			return
		}
		if t.pullErr != "" {
			st.rec.podEvent(pw, c, api.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %s", c.spec.Image, t.pullErr))
			st.rec.podEvent(pw, c, api.EventTypeWarning, "Failed", "Error: ErrImagePull")
			c.op = ""
			c.pullBo.next(st.c.Now(), st.cfg.BackOffPeriod, st.cfg.MaxContainerBackOff)
			c.waitReason, c.waitMsg, c.pullMsg = "ErrImagePull", t.pullErr, t.pullErr
			st.sync(pw)
			return
		}
		dur, took := t.dur, t.took
		im := newImage(c.spec.Image)
		st.images[im.ref] = im
		st.rec.podEvent(pw, c, api.EventTypeNormal, "Pulled", fmt.Sprintf("Successfully pulled image %q in %s (%s including waiting). Image size: %d bytes.", c.spec.Image, dur, took, im.size))
		st.create(pw, c)
	case kindCreated:
		if c.op != "create" {
			return
		}
		c.nextID = hexID(st.c, 32)
		st.rec.podEvent(pw, c, api.EventTypeNormal, "Created", "Created container: "+c.spec.Name)
		c.op = "start"
		d := c.beh.StartDelay + 5*time.Millisecond + time.Duration(st.c.Rand().Int64N(int64(20*time.Millisecond)))
		st.timer(pw, d, kindStarted, podTimer{ctr: c.spec.Name, gen: c.gen})
	case kindStarted:
		if c.op != "start" {
			return
		}
		if c.proc.StartError != "" && !(pw.static && st.cfg.Programs != nil) {
			st.startFailed(pw, c)
			st.sync(pw)
			return
		}
		st.started(pw, c)
		st.sync(pw)
	case kindReady:
		if c.cur != nil && !c.cur.finished {
			c.ready = true
			st.writeStatus(pw)
		}
	case kindExited:
		if c.cur != nil && !c.cur.finished {
			st.finish(pw, c, t.code, "")
			st.sync(pw)
		}
	case kindLiveness:
		if c.cur == nil || c.cur.finished || pw.terminating {
			return
		}
		st.livenessFailed(pw, c)
	case kindReadiness:
		if c.cur == nil || c.cur.finished || c.ready || pw.terminating {
			return
		}
		_, period := probeTiming(c.spec.ReadinessProbe)
		if c.cur.readyDue != 0 && st.c.Now() >= c.cur.readyDue {
			return // this probe is the one that succeeds
		}
		msg := c.readyFail
		if msg == "" {
			msg = probeFailure(c.spec.ReadinessProbe, pw.podIP, 503)
		}
		st.rec.podEvent(pw, c, api.EventTypeWarning, "Unhealthy", "Readiness probe failed: "+msg)
		if c.beh.NeverReady || c.readyFail != "" || c.cur.readyDue-st.c.Now() > period {
			st.timer(pw, period, kindReadiness, podTimer{ctr: c.spec.Name, gen: c.gen})
		}
	case kindStartup:
		if c.cur == nil || c.cur.finished || pw.terminating {
			return
		}
		st.startupFailed(pw, c)
	}
}

// startupFailed records one failed startup probe; at failureThreshold
// the kubelet kills the container so that it restarts.
func (st *state) startupFailed(pw *podWorker, c *container) {
	p := c.spec.StartupProbe
	c.startupFailures++
	st.rec.podEvent(pw, c, api.EventTypeWarning, "Unhealthy", "Startup probe failed: "+c.startFail)
	if c.startupFailures < int(failureThreshold(p)) {
		_, period := probeTiming(p)
		st.timer(pw, period, kindStartup, podTimer{ctr: c.spec.Name, gen: c.gen})
		return
	}
	c.startupFailures = 0
	st.rec.podEvent(pw, c, api.EventTypeNormal, "Killing", fmt.Sprintf("Container %s failed startup probe, will be restarted", c.spec.Name))
	st.probeKill(pw, c, p)
}

func failureThreshold(p *api.Probe) int32 {
	if p.FailureThreshold <= 0 {
		return 3
	}
	return p.FailureThreshold
}

// nextInstance begins a container's next run: the current one becomes the
// previous (its log kept for --previous) and counts as a restart.
func (st *state) nextInstance(pw *podWorker, c *container) {
	c.op = ""
	if c.cur != nil {
		c.prev = c.cur
		c.restarts++
		st.rotateLog(pw, c)
	}
	c.cur = &instance{id: c.nextID, startedAt: st.wall(), config: c.nextConfig, cpu: &cpuMeter{start: st.c.Now()}}
	c.ready = false
	c.waitReason, c.waitMsg = "", ""
}

// startFailed is a container the runtime created but could not start
// (its executable is not in the image): it terminates at once with
// reason StartError and exit code 128, and restarts with the back-off.
func (st *state) startFailed(pw *podWorker, c *container) {
	st.nextInstance(pw, c)
	st.rec.podEvent(pw, c, api.EventTypeWarning, "Failed", "Error: "+c.proc.StartError)
	st.finish(pw, c, 128, "StartError")
	c.cur.message = c.proc.StartError
}

// probeTiming is a probe's initial delay and period, with the defaults.
func probeTiming(p *api.Probe) (initial, period time.Duration) {
	period = 10 * time.Second
	if p.PeriodSeconds > 0 {
		period = time.Duration(p.PeriodSeconds) * time.Second
	}
	return time.Duration(p.InitialDelaySeconds) * time.Second, period
}

// livenessFailed records one failed liveness probe; at failureThreshold
// (3 by default) the kubelet kills the container so that it restarts.
func (st *state) livenessFailed(pw *podWorker, c *container) {
	p := c.spec.LivenessProbe
	c.probeFailures++
	msg := c.liveFail
	if msg == "" {
		msg = probeFailure(p, pw.podIP, 500)
	}
	st.rec.podEvent(pw, c, api.EventTypeWarning, "Unhealthy", "Liveness probe failed: "+msg)
	if c.probeFailures < int(failureThreshold(p)) {
		_, period := probeTiming(p)
		st.timer(pw, period, kindLiveness, podTimer{ctr: c.spec.Name, gen: c.gen})
		return
	}
	c.probeFailures = 0
	st.rec.podEvent(pw, c, api.EventTypeNormal, "Killing", fmt.Sprintf("Container %s failed liveness probe, will be restarted", c.spec.Name))
	st.probeKill(pw, c, p)
}

// probeKill stops a container whose liveness or startup probe failed,
// with the probe's (or the pod's) grace period.
func (st *state) probeKill(pw *podWorker, c *container, p *api.Probe) {
	grace := time.Duration(api.DefaultTerminationGrace) * time.Second
	if g := p.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	} else if g := pw.pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	grace = max(grace, minimumGracePeriod)
	c.gen++
	c.ready = false
	if c.beh.StopDelay < grace {
		st.timer(pw, c.beh.StopDelay, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 0, what: "SIGTERM"})
	} else {
		st.timer(pw, grace, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 137, what: "SIGKILL"})
	}
	st.writeStatus(pw)
}

// probeFailure is the prober's message for a failing handler.
func probeFailure(p *api.Probe, podIP string, code int) string {
	switch {
	case p.HTTPGet != nil:
		return fmt.Sprintf("HTTP probe failed with statuscode: %d", code)
	case p.TCPSocket != nil:
		return fmt.Sprintf("dial tcp %s:%s: connect: connection refused", podIP, p.TCPSocket.Port.String())
	case p.GRPC != nil:
		return `service unhealthy (responded with "NOT_SERVING")`
	}
	return "command failed: exit status 1"
}

// started makes the created container run.
func (st *state) started(pw *podWorker, c *container) {
	st.nextInstance(pw, c)
	c.probeFailures = 0
	st.rec.podEvent(pw, c, api.EventTypeNormal, "Started", "Started container "+c.spec.Name)
	st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepStarted, Container: c.spec.Name, ContainerID: c.cur.id[:12]})
	st.startupLines(pw, c)
	if !st.startProgram(pw, c) {
		return
	}
	st.startClient(pw, c)
	probes := !c.init || c.sidecar
	c.readyFail, c.liveFail, c.startFail, c.startupFailures = "", "", "", 0
	if probes {
		c.readyFail = st.probeFail(pw, c, c.spec.ReadinessProbe)
		c.liveFail = st.probeFail(pw, c, c.spec.LivenessProbe)
		c.startFail = st.probeFail(pw, c, c.spec.StartupProbe)
	}
	// A startup probe holds the readiness and liveness probes back until
	// it succeeds; one that keeps failing gets the container restarted.
	var gate time.Duration
	if sp := c.spec.StartupProbe; sp != nil && probes {
		initial, _ := probeTiming(sp)
		gate = initial
		if c.startFail != "" {
			st.timer(pw, initial, kindStartup, podTimer{ctr: c.spec.Name, gen: c.gen})
			probes = false
		}
	}
	if probes && !c.beh.NeverReady && c.readyFail == "" {
		delay := c.beh.ReadyAfter
		if rp := c.spec.ReadinessProbe; delay == 0 && rp != nil {
			initial, period := probeTiming(rp)
			delay = initial
			if rp.SuccessThreshold > 1 {
				delay += time.Duration(rp.SuccessThreshold-1) * period
			}
		}
		delay = max(delay, gate)
		if delay == 0 {
			c.ready = true
		} else {
			c.cur.readyDue = st.c.Now() + delay
			st.timer(pw, delay, kindReady, podTimer{ctr: c.spec.Name, gen: c.gen})
		}
	}
	if p := c.spec.ReadinessProbe; p != nil && !c.ready && probes {
		// Readiness probes before the container is ready fail, each with
		// an Unhealthy event.
		initial, _ := probeTiming(p)
		initial = max(initial, gate)
		if c.beh.NeverReady || c.readyFail != "" || c.cur.readyDue-st.c.Now() > initial {
			st.timer(pw, initial, kindReadiness, podTimer{ctr: c.spec.Name, gen: c.gen})
		}
	}
	if p := c.spec.LivenessProbe; p != nil && probes && (c.beh.Unhealthy || c.liveFail != "") {
		// Probes run initialDelaySeconds after the start, then every
		// periodSeconds; the first that comes after the process stopped
		// answering fails.
		initial, period := probeTiming(p)
		initial = max(initial, gate)
		first := initial
		if c.liveFail == "" && c.beh.UnhealthyAfter > initial {
			first = initial + (c.beh.UnhealthyAfter-initial+period-1)/period*period
		}
		st.timer(pw, first, kindLiveness, podTimer{ctr: c.spec.Name, gen: c.gen})
	}
	if c.beh.Exits {
		c.cur.exitDue = st.c.Now() + c.beh.ExitAfter
		st.timer(pw, c.beh.ExitAfter, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: c.beh.ExitCode})
	}
}

// finish records a container's exit.
func (st *state) finish(pw *podWorker, c *container, code int32, reason string) {
	c.gen++
	c.ready = false
	in := c.cur
	in.finished = true
	in.finishedAt = st.wall()
	in.finishedV = st.c.Now()
	in.exitCode = code
	in.reason = reason
	if reason == "" {
		in.reason = "Error"
		if code == 0 {
			in.reason = "Completed"
		}
	}
	if c.init && !c.sidecar && code == 0 {
		c.ready = true // a completed init container reports ready
	}
	if code != 0 && c.spec.TerminationMessagePolicy == api.TerminationMessageFallbackToLogsOnError {
		in.message = st.logTail(pw, c)
	}
	st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepExited, Container: c.spec.Name, ExitCode: code, Reason: in.reason})
	st.stopProgram(pw, c)
	st.stopClient(pw, c)
}

// syncTerminating stops a pod that is being deleted: SIGTERM to every
// running container, SIGKILL to those still running when the grace period
// ends, then the sandbox, then the final status and the delete with grace
// period 0 that removes the pod from the API.
func (st *state) syncTerminating(pw *podWorker) {
	if !pw.killStarted {
		pw.killStarted = true
		grace := time.Duration(api.DefaultTerminationGrace) * time.Second
		if g := pw.pod.DeletionGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		} else if g := pw.pod.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		grace = max(grace, minimumGracePeriod)
		st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepKilling, Grace: grace})
		for _, c := range pw.all() {
			if c.op != "" { // creating or pulling: abandon
				c.gen++
				c.op = ""
			}
			if c.cur == nil || c.cur.finished {
				continue
			}
			st.rec.podEvent(pw, c, api.EventTypeNormal, "Killing", "Stopping container "+c.spec.Name)
			c.gen++
			if c.beh.StopDelay < grace {
				st.timer(pw, c.beh.StopDelay, kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: 0, what: "SIGTERM"})
			}
		}
		st.timer(pw, grace, kindKillDeadline, podTimer{what: "SIGKILL"})
	}
	for _, c := range pw.all() {
		if c.cur != nil && !c.cur.finished {
			st.writeStatus(pw)
			return
		}
	}
	if pw.creating || pw.tearingDown {
		st.writeStatus(pw)
		return
	}
	if pw.sandboxReady && !pw.tornDown {
		if pw.hostNetwork {
			pw.tornDown, pw.sandboxReady = true, false
		} else {
			st.teardown(pw)
			st.writeStatus(pw)
			return
		}
	}
	if pw.terminal == "" {
		for _, c := range pw.all() {
			if c.cur != nil {
				c.waitReason, c.waitMsg = "", "" // no more restarts: show how it ended
			}
			if c.cur == nil {
				// Never ran: the status manager reports it terminated.
				c.cur = &instance{finished: true, exitCode: 137, reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated", finishedV: st.c.Now()}
				c.waitReason, c.waitMsg = "", ""
			}
		}
		pw.terminal = api.PodSucceeded
		for _, c := range pw.ctrs {
			if c.cur.exitCode != 0 || pw.failReason != "" {
				pw.terminal = api.PodFailed
			}
		}
	}
	st.writeStatus(pw)
	if pw.static || pw.deleting || !pw.deleted {
		return
	}
	pw.deleting = true
	st.c.Note(NoteKubelet, PodNote{Pod: pw.key, Step: StepDeleted})
	zero := int64(0)
	if _, err := st.cl.Delete("pods", pw.ns, pw.name, client.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
		st.log.Warn("failed to delete pod", zap.String("pod", pw.key), zap.Error(err))
		pw.deleting = false
		st.timer(pw, time.Second, kindPodSync, podTimer{what: "retry delete"})
	}
}

// defaultPullPolicy is the apiserver's default: Always for :latest or an
// untagged image, IfNotPresent otherwise.
func defaultPullPolicy(ref string) api.PullPolicy {
	full, _ := normalizeImage(ref)
	if len(full) > 7 && full[len(full)-7:] == ":latest" {
		return api.PullAlways
	}
	return api.PullIfNotPresent
}

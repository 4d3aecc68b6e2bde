package kubelet

import (
	"fmt"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Message kinds the kubelet answers or sends itself.
const (
	// KindLogs asks for a container's log (kubectl logs); the body is a
	// LogsRequest, the reply a *LogsResponse or an error.
	KindLogs = "kubelet logs"

	kindLease        = "lease-renew"
	kindNodeStatus   = "node-status-sync"
	kindRegister     = "register-retry"
	kindInformer     = "informer-retry"
	kindPodSync      = "pod-sync"
	kindSandboxDone  = "sandbox-created"
	kindTeardownDone = "sandbox-stopped"
	kindPullDone     = "image-pulled"
	kindCreated      = "container-created"
	kindStarted      = "container-started"
	kindExited       = "container-exited"
	kindReady        = "container-ready"
	kindKillDeadline = "grace-period-over"
	kindLiveness     = "liveness-probe"
	kindReadiness    = "readiness-probe"
	kindStartup      = "startup-probe"
)

// Kubelet is one node's kubelet. Run is its actor body. What the
// container runtime holds — sandboxes, containers, images, logs — lives in
// the Kubelet value and so survives a kubelet restart, as containers keep
// running while the kubelet is down; the rest (informers, the Lease, the
// pod workers' plans) is rebuilt by each incarnation. RunRuntime models the
// runtime's own life: it loses everything when its node reboots.
type Kubelet struct {
	cfg Config
	m   *machine
	st  *state // the running incarnation, for Logs and tests
}

// machine is the node's container runtime state (containerd's).
type machine struct {
	pods      map[string]*podWorker // "ns/name"
	static    []*podWorker
	images    map[string]*image        // by normalized reference
	pullsFree time.Duration            // when the serialized puller is free
	pulling   map[string]time.Duration // image -> when its queued pull ends
	logs      map[string]*containerLog
	// cpuSeen and cpuRetired account the node's CPU: the last cumulative
	// use reported per container instance, and the sum of those of
	// instances since gone (metrics.go).
	cpuSeen    map[string]int64
	cpuRetired int64
	boots      int
	bootID     string
	// lastWall is the latest virtual wall time the node's actors saw,
	// for reads out of band (ContainerLogs).
	lastWall time.Time
}

// New returns a node's kubelet. Spawn it on its node, after the node's
// runtime (kl.Spawn(k) does both):
//
//	kl := kubelet.New(kubelet.Config{Node: "worker-1", APIServers: apiservers})
//	k.Spawn(sim.ActorSpec{Name: kubelet.RuntimeName("worker-1"), Node: "worker-1", Component: "containerd", Run: kl.RunRuntime})
//	k.Spawn(sim.ActorSpec{Name: kubelet.ActorName("worker-1"), Node: "worker-1", Component: "kubelet", Run: kl.Run})
func New(cfg Config) *Kubelet {
	if cfg.Node == "" {
		panic("kubelet: Config.Node is required")
	}
	cfg = cfg.withDefaults()
	m := &machine{pods: map[string]*podWorker{}, images: map[string]*image{}, logs: map[string]*containerLog{}}
	m.bootID = uuidOf(fmt.Sprintf("boot/%s/%d", cfg.Node, m.boots))
	return &Kubelet{cfg: cfg, m: m}
}

// Spawn places the node's runtime actor and then its kubelet on the node,
// in the order a node start needs.
func (kl *Kubelet) Spawn(k *sim.Kernel) error {
	node := kl.cfg.Node
	if err := k.Spawn(sim.ActorSpec{Name: RuntimeName(node), Node: node, Component: "containerd", Run: kl.RunRuntime}); err != nil {
		return err
	}
	return k.Spawn(sim.ActorSpec{Name: ActorName(node), Node: node, Component: "kubelet", Run: kl.Run})
}

// Node is the node the kubelet runs.
func (kl *Kubelet) Node() string { return kl.cfg.Node }

// RuntimeName is the container runtime actor of a node.
func RuntimeName(node string) string { return "containerd-" + node }

// RunRuntime is the body of the node's container runtime actor
// (RuntimeName). It stands for the machine's boot and for the running
// containers' processes: it answers KindServe, a request that reached a
// container. When
// it starts again — its node was stopped and started — the runtime's state
// is gone: running containers are reported exited (exit code 255, reason
// Unknown), sandboxes are dead, and the kubelet recreates them, counting
// restarts. Spawn it before the kubelet so that, at a node start, it runs
// first. Without it a node restart keeps its containers running.
func (kl *Kubelet) RunRuntime(c *sim.Ctx) {
	m := kl.m
	if m.boots > 0 {
		m.reboot(c.Now(), c.WallTime())
		c.Note("containerd", "machine rebooted: containers and sandboxes are gone")
	}
	m.boots++
	m.bootID = uuidOf(fmt.Sprintf("boot/%s/%d", kl.cfg.Node, m.boots))
	for {
		msg := c.Recv()
		m.lastWall = c.WallTime()
		if msg.Kind != KindServe {
			continue
		}
		req, ok := msg.Body.(ServeRequest)
		if !ok {
			c.ReplyErr(msg, msg.Kind, fmt.Errorf("containerd: bad serve request %T", msg.Body))
			continue
		}
		reply, err := m.serve(c, req)
		if err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			continue
		}
		c.Reply(msg, msg.Kind, reply)
	}
}

// reboot loses what lived in memory: running containers and sandboxes.
func (m *machine) reboot(now time.Duration, wall time.Time) {
	for _, pw := range m.pods {
		if pw.terminal != "" {
			continue
		}
		for _, c := range pw.all() {
			c.op = ""
			c.gen++
			c.ready = false
			if c.cur != nil && !c.cur.finished {
				c.cur.finished, c.cur.finishedAt, c.cur.finishedV = true, wall, now
				c.cur.exitCode, c.cur.reason = 255, "Unknown"
			}
		}
		if pw.sandboxReady || pw.creating {
			pw.sandboxChanged = true
		}
		pw.sandboxReady, pw.creating, pw.tearingDown, pw.tornDown = false, false, false, false
	}
}

// Run is the actor body.
func (kl *Kubelet) Run(c *sim.Ctx) {
	if err := checkConfigFile(kl.cfg); err != nil {
		// The process exits 1 before it does anything; systemd starts it
		// again (Restart=always).
		c.Log().Error("command failed", zap.Error(err))
		return
	}
	st := newState(kl.cfg, c, kl.m)
	kl.st = st
	st.run()
}

// state is one incarnation of the kubelet.
type state struct {
	cfg Config
	c   *sim.Ctx
	cl  *client.Client
	log *zap.Logger
	rec *recorder
	*machine

	// node
	node          *api.Node // as last written
	registered    bool
	lease         *api.Lease
	leaseFails    int
	registerFails int
	lastPosted    time.Duration

	// pods
	informer *client.Informer
	pruned   bool // pods deleted while the kubelet was down are forgotten
	// staticRead: this incarnation has read its static pods;
	// staticVersion is the disk's version then, staticChecked when.
	staticRead    bool
	staticVersion uint64
	staticChecked time.Duration
}

func newState(cfg Config, c *sim.Ctx, m *machine) *state {
	cl := client.New(c, cfg.Token, cfg.APIServers...)
	cl.UserAgent = "kubelet"
	st := &state{cfg: cfg, c: c, cl: cl, log: c.Log(), machine: m}
	st.rec = &recorder{st: st, seen: map[string]*recorded{}}
	st.preload(PauseImage)
	for _, ref := range cfg.PreloadedImages {
		st.preload(ref)
	}
	static := cfg.StaticPods
	if cfg.Disk != nil {
		static = nil
		if c.Incarnation() == 1 {
			// kubeadm pre-pulled the images of the manifests it wrote.
			static = st.manifests()
		}
	}
	for _, p := range static {
		for _, ct := range p.Spec.InitContainers {
			st.preload(ct.Image)
		}
		for _, ct := range p.Spec.Containers {
			st.preload(ct.Image)
		}
	}
	st.resume()
	return st
}

// resume takes over the runtime's state from a previous incarnation: work
// that incarnation had in flight (a pull, a sandbox) is started over, and
// the timers of running containers are set again.
func (st *state) resume() {
	keys := make([]string, 0, len(st.pods))
	for k := range st.pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	now := st.c.Now()
	for _, k := range keys {
		pw := st.pods[k]
		if pw.creating {
			pw.creating, pw.sandboxID = false, ""
		}
		pw.retrying, pw.tearingDown, pw.killStarted, pw.deleting = false, false, false, false
		pw.lastStatus = ""
		for _, c := range pw.all() {
			if c.op != "" {
				c.op = ""
				c.gen++
			}
			if c.waitReason == "CrashLoopBackOff" {
				c.waitReason, c.waitMsg = "", ""
			}
			if c.cur == nil || c.cur.finished {
				continue
			}
			if c.cur.exitDue > 0 {
				st.timer(pw, max(0, c.cur.exitDue-now), kindExited, podTimer{ctr: c.spec.Name, gen: c.gen, code: c.beh.ExitCode})
			}
			if !c.ready && c.cur.readyDue > 0 {
				st.timer(pw, max(0, c.cur.readyDue-now), kindReady, podTimer{ctr: c.spec.Name, gen: c.gen})
			}
		}
	}
}

// prune forgets the pods that were deleted while the kubelet was down,
// once the first list shows which pods still exist.
func (st *state) prune() {
	if st.pruned || !st.informer.HasSynced() {
		return
	}
	st.pruned = true
	keys := make([]string, 0, len(st.pods))
	for k := range st.pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pw := st.pods[k]
		if pw.static {
			continue
		}
		o, ok := st.informer.Get(k)
		if !ok || o.GetObjectMeta().UID != pw.uid {
			st.forget(pw)
		}
	}
}

func (st *state) run() {
	c := st.c
	if len(st.static) > 0 {
		// A restarted kubelet reads its manifests again before it talks
		// to the apiserver: static pods run without it (a control-plane
		// node brings its own apiserver back this way).
		st.staticRead = true
		st.reconcileStatic()
	}
	st.register()
	for {
		m := c.Recv()
		st.handle(m)
	}
}

func (st *state) handle(m *sim.Message) {
	st.lastWall = st.wall()
	switch m.Kind {
	case kindRegister:
		st.register()
	case kindLease:
		st.renewLease()
	case kindNodeStatus:
		st.syncNodeStatus()
	case kindInformer:
		st.startInformer()
	case KindManifestsChanged:
		st.staticRead = true
		st.reconcileStatic()
	case KindResourceMetrics:
		st.c.Reply(m, m.Kind, st.resourceMetrics(st.c.Now(), st.c.WallTime()))
	case KindLogs:
		req, ok := m.Body.(LogsRequest)
		if !ok {
			st.c.ReplyErr(m, m.Kind, fmt.Errorf("kubelet: bad logs request %T", m.Body))
			return
		}
		res, err := st.logsFor(req)
		if err != nil {
			st.c.ReplyErr(m, m.Kind, err)
			return
		}
		st.c.Reply(m, m.Kind, res)
	case kindPodSync, kindSandboxDone, kindTeardownDone, kindPullDone, kindCreated, kindStarted, kindExited, kindReady, kindKillDeadline, kindLiveness, kindReadiness, kindStartup:
		st.handlePodTimer(m)
	default:
		if st.informer != nil && st.informer.Dispatch(m) {
			return
		}
	}
}

// startInformer lists and watches the pods bound to this node.
func (st *state) startInformer() {
	if st.informer == nil {
		st.informer = client.NewInformer(st.cl, "pods", "", client.ListOptions{FieldSelector: "spec.nodeName=" + st.cfg.Node})
		st.informer.AddHandler(client.Handler{
			OnAdd:    func(o api.Object) { st.podUpdated(o.(*api.Pod)) },
			OnUpdate: func(_, o api.Object) { st.podUpdated(o.(*api.Pod)) },
			OnDelete: func(o api.Object) { st.podDeleted(o.(*api.Pod)) },
		})
	}
	if err := st.informer.Run(); err != nil {
		st.log.Warn("pod list failed; retrying", zap.Error(err))
		st.c.After(time.Second, kindInformer, nil)
		return
	}
	st.prune()
}

// hexID draws n random bytes as lower-case hex (container and sandbox ids
// are 64 hex digits).
func hexID(c *sim.Ctx, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	r := c.Rand()
	for i := 0; i < n; i++ {
		v := byte(r.UintN(256))
		b[2*i], b[2*i+1] = digits[v>>4], digits[v&15]
	}
	return string(b)
}

func (st *state) wall() time.Time { return st.c.WallTime() }

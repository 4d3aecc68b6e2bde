package kubelet

import (
	"fmt"
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
)

// Kubelet is one node's kubelet. Run is its actor body; everything it knows
// lives in the incarnation that Run starts, so a restarted kubelet
// registers again, relists its pods and takes up where the API says they
// are (the container runtime's state is not modelled across restarts).
type Kubelet struct {
	cfg Config
	st  *state // the running incarnation, for Logs and tests
}

// New returns a node's kubelet. Spawn it on its node:
//
//	kl := kubelet.New(kubelet.Config{Node: "worker-1", APIServers: apiservers})
//	k.Spawn(sim.ActorSpec{Name: kubelet.ActorName("worker-1"), Node: "worker-1", Component: "kubelet", Run: kl.Run})
func New(cfg Config) *Kubelet {
	if cfg.Node == "" {
		panic("kubelet: Config.Node is required")
	}
	return &Kubelet{cfg: cfg.withDefaults()}
}

// Node is the node the kubelet runs.
func (kl *Kubelet) Node() string { return kl.cfg.Node }

// Run is the actor body.
func (kl *Kubelet) Run(c *sim.Ctx) {
	st := newState(kl.cfg, c)
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

	// node
	node          *api.Node // as last written
	registered    bool
	lease         *api.Lease
	leaseFails    int
	registerFails int
	lastPosted    time.Duration
	bootID        string

	// pods
	informer *client.Informer
	pods     map[string]*podWorker // "ns/name"
	static   []*podWorker

	// runtime
	images    map[string]*image // by normalized reference
	pullsFree time.Duration     // when the serialized puller is free
	logs      map[string]*containerLog
}

func newState(cfg Config, c *sim.Ctx) *state {
	cl := client.New(c, cfg.Token, cfg.APIServers...)
	cl.UserAgent = "kubelet"
	st := &state{cfg: cfg, c: c, cl: cl, log: c.Log(), pods: map[string]*podWorker{}, images: map[string]*image{}, logs: map[string]*containerLog{}}
	st.rec = &recorder{st: st, seen: map[string]*recorded{}}
	st.bootID = uuid(c)
	st.preload(PauseImage)
	for _, ref := range cfg.PreloadedImages {
		st.preload(ref)
	}
	for _, p := range cfg.StaticPods {
		for _, ct := range p.Spec.InitContainers {
			st.preload(ct.Image)
		}
		for _, ct := range p.Spec.Containers {
			st.preload(ct.Image)
		}
	}
	return st
}

func (st *state) run() {
	c := st.c
	st.register()
	for {
		m := c.Recv()
		st.handle(m)
	}
}

func (st *state) handle(m *sim.Message) {
	switch m.Kind {
	case kindRegister:
		st.register()
	case kindLease:
		st.renewLease()
	case kindNodeStatus:
		st.syncNodeStatus()
	case kindInformer:
		st.startInformer()
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
	case kindPodSync, kindSandboxDone, kindTeardownDone, kindPullDone, kindCreated, kindStarted, kindExited, kindReady, kindKillDeadline:
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
	}
}

// uuid draws an RFC 4122 version 4 UUID from the actor's stream.
func uuid(c *sim.Ctx) string {
	var u [16]byte
	r := c.Rand()
	for i := range u {
		u[i] = byte(r.UintN(256))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
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

// Package controllers is kube-controller-manager: control loops in
// client-go's shape. Shared informers (list, then watch, into a local cache)
// feed de-duplicating work queues; each controller reconciles one key at a
// time, level-triggered: it reads the desired and the actual state from the
// caches and acts on the difference, never on the event that woke it.
//
// Controllers here: ServiceAccount (a "default" account in every active
// namespace). The remaining controllers of the real binary join this
// manager as they are built.
package controllers

import (
	"time"

	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Controller is one control loop.
type Controller interface {
	// Name is the controller's name in --controllers ("serviceaccount").
	Name() string
	// Setup registers informer handlers that enqueue keys.
	Setup(m *Manager, q *Queue)
	// Reconcile brings one key to its desired state. An error requeues the
	// key with backoff.
	Reconcile(key string) error
}

// Manager runs controllers over shared informers inside one actor.
type Manager struct {
	C         *sim.Ctx
	Client    *client.Client
	informers map[string]*client.Informer
	order     []string
	queues    []*Queue
	ctrls     []Controller
}

// Config configures kube-controller-manager.
type Config struct {
	Token       string
	APIServers  []string
	Controllers []func() Controller
}

// New returns the actor body of kube-controller-manager.
func New(cfg Config) func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "kube-controller-manager"
		m := &Manager{C: c, Client: cl, informers: map[string]*client.Informer{}}
		for _, mk := range cfg.Controllers {
			ctrl := mk()
			q := newQueue(ctrl.Name())
			ctrl.Setup(m, q)
			m.ctrls = append(m.ctrls, ctrl)
			m.queues = append(m.queues, q)
		}
		m.run()
	}
}

// Informer returns the shared informer of a resource, creating it.
func (m *Manager) Informer(resource string) *client.Informer {
	if in, ok := m.informers[resource]; ok {
		return in
	}
	in := client.NewInformer(m.Client, resource, "", client.ListOptions{})
	m.informers[resource] = in
	m.order = append(m.order, resource)
	return in
}

const kindResync = "informer-retry"

func (m *Manager) run() {
	c := m.C
	m.startInformers()
	for {
		msg := c.Recv()
		switch {
		case msg.Kind == kindResync:
			m.startInformers()
		case msg.Kind == kindRequeue:
			q := msg.Body.(requeue)
			q.q.Add(q.key)
		default:
			for _, r := range m.order {
				if m.informers[r].Dispatch(msg) {
					break
				}
			}
		}
		m.process()
	}
}

func (m *Manager) startInformers() {
	failed := false
	for _, r := range m.order {
		in := m.informers[r]
		if in.HasSynced() {
			continue
		}
		if err := in.Run(); err != nil {
			m.C.Log().Warn("informer list failed", zap.String("resource", r), zap.Error(err))
			failed = true
		}
	}
	if failed {
		m.C.After(time.Second, kindResync, nil)
		return
	}
	m.process()
}

// process drains every queue: each key is reconciled once however many
// events named it.
func (m *Manager) process() {
	for i, q := range m.queues {
		for {
			key, ok := q.pop()
			if !ok {
				break
			}
			if err := m.ctrls[i].Reconcile(key); err != nil {
				d := q.backoff(key)
				m.C.Log().Info("requeue", zap.String("controller", q.name), zap.String("key", key), zap.Duration("after", d), zap.Error(err))
				m.C.After(d, kindRequeue, requeue{q: q, key: key})
				continue
			}
			q.forget(key)
		}
	}
}

const kindRequeue = "requeue"

type requeue struct {
	q   *Queue
	key string
}

// Queue is a de-duplicating work queue with per-key exponential backoff
// (5 ms doubling to 1000 s, client-go's default rate limiter).
type Queue struct {
	name     string
	items    []string
	queued   map[string]bool
	failures map[string]int
}

func newQueue(name string) *Queue {
	return &Queue{name: name, queued: map[string]bool{}, failures: map[string]int{}}
}

// Add queues a key unless it is already waiting.
func (q *Queue) Add(key string) {
	if q.queued[key] {
		return
	}
	q.queued[key] = true
	q.items = append(q.items, key)
}

func (q *Queue) pop() (string, bool) {
	if len(q.items) == 0 {
		return "", false
	}
	k := q.items[0]
	q.items = q.items[1:]
	delete(q.queued, k)
	return k, true
}

func (q *Queue) backoff(key string) time.Duration {
	n := q.failures[key]
	q.failures[key] = n + 1
	d := 5 * time.Millisecond << uint(n)
	if d > 1000*time.Second || d <= 0 {
		d = 1000 * time.Second
	}
	return d
}

func (q *Queue) forget(key string) { delete(q.failures, key) }

// Len is the number of waiting keys.
func (q *Queue) Len() int { return len(q.items) }

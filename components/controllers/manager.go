// Package controllers is kube-controller-manager: control loops in
// client-go's shape, run inside one actor per control-plane node.
//
// It owns the controllers' logic and the machinery they share: shared
// informers (list, then watch, into a local cache) with indexes, a
// de-duplicating work queue per controller with client-go's per-item
// exponential backoff and delayed adds on virtual time, client.EventRecorder
// that aggregates repeats, and leader election through the Lease
// kube-system/kube-controller-manager (package leaderelection), so that of
// several managers exactly one runs its controllers. It talks to the cluster
// only through kube-apiserver.
//
// Each controller reconciles one key at a time, level-triggered, as
// controller-runtime's reconcilers do: the key names an object, never the
// event that woke it; Reconcile reads the desired and the actual state from
// the caches and acts on the difference. A Result asks for a later look
// (RequeueAfter) and an error requeues with backoff.
//
// Controllers (their --controllers names): serviceaccount,
// root-ca-cert-publisher, replicaset,
// deployment, daemonset, statefulset, job, cronjob, ttl-after-finished-controller, node-lifecycle, taint-eviction-controller,
// namespace, endpointslice, garbage-collector, persistentvolume-binder,
// horizontalpodautoscaling.
// Defaults lists them.
package controllers

import (
	"fmt"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/leaderelection"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Result is what a reconcile asks of the queue besides success, as
// controller-runtime's reconcile.Result.
type Result struct {
	// RequeueAfter, if positive, looks at the key again after this long.
	RequeueAfter time.Duration
}

// Controller is one control loop.
type Controller interface {
	// Name is the controller's name in --controllers ("replicaset").
	Name() string
	// Setup registers informer handlers that enqueue keys.
	Setup(m *Manager, q *Queue)
	// Reconcile brings one key to its desired state. An error requeues the
	// key with backoff; a Result may ask for a later look.
	Reconcile(key string) (Result, error)
}

// Defaults returns the constructors of every controller this package has,
// in the order kube-controller-manager starts them.
func Defaults() []func() Controller {
	return []func() Controller{
		NewServiceAccounts,
		NewRootCACertPublisher,
		NewEndpoints,
		NewEndpointSlices,
		NewReplicaSets,
		NewDeployments,
		NewDaemonSets,
		NewJobs,
		NewCronJobs,
		NewStatefulSets,
		NewTTLAfterFinished,
		NewNamespaces,
		NewGarbageCollector,
		NewNodeLifecycle,
		NewTaintEviction,
		NewPodGC,
		NewDisruption,
		NewResourceQuotas,
		NewPersistentVolumes,
		NewLocalPathProvisioner,
		NewHorizontalPodAutoscalers,
	}
}

// LeaseName is the Lease kube-controller-manager's instances elect a leader
// through, in kube-system.
const LeaseName = "kube-controller-manager"

// Config configures kube-controller-manager.
type Config struct {
	// Token authenticates as system:kube-controller-manager.
	Token string
	// APIServers are the kube-apiserver actors, tried in order.
	APIServers []string
	// Controllers are the controllers' constructors (see Defaults).
	Controllers []func() Controller
	// DisableLeaderElection runs the controllers at once
	// (--leader-elect=false). By default managers elect a leader.
	DisableLeaderElection bool
	// LeaseDuration, RenewDeadline and RetryPeriod override the leader
	// election defaults (15 s, 10 s, 2 s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Identity overrides the holderIdentity ("<node>_<uuid>").
	Identity string
	// RootCA is the CA bundle (--root-ca-file) that root-ca-cert-publisher
	// publishes as the kube-root-ca.crt ConfigMap in every namespace.
	RootCA []byte
}

// Manager runs controllers over shared informers inside one actor.
type Manager struct {
	// C is the manager's actor.
	C *sim.Ctx
	// Client talks to kube-apiserver as system:kube-controller-manager.
	Client *client.Client

	cfg       Config
	elector   *leaderelection.Elector
	active    bool
	term      int
	informers map[string]*informer
	order     []string
	queues    []*Queue
	ctrls     []Controller
	recorders map[string]*client.EventRecorder
}

type informer struct {
	*client.Informer
	indexes map[string]*index
}

type index struct {
	fn      func(api.Object) []string
	entries map[string]map[string]api.Object // value -> key -> object
}

// New returns the actor body of kube-controller-manager.
func New(cfg Config) func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "kube-controller-manager"
		m := &Manager{C: c, Client: cl, cfg: cfg}
		m.run()
	}
}

// Identity is the manager's leader election identity.
func (m *Manager) Identity() string {
	if m.elector != nil {
		return m.elector.Identity()
	}
	return m.cfg.Identity
}

// IsLeader reports whether the controllers run in this manager.
func (m *Manager) IsLeader() bool { return m.active }

func (m *Manager) run() {
	c := m.C
	if m.cfg.DisableLeaderElection {
		m.startLeading()
	} else {
		id := m.cfg.Identity
		if id == "" {
			id = c.Node() + "_" + uuid(c)
		}
		lec := client.New(c, m.cfg.Token, m.cfg.APIServers...)
		lec.UserAgent = "kube-controller-manager/leader-election"
		// Each try of the lock is bounded so that a dead apiserver cannot
		// hold a renewal past the renew deadline.
		lec.Timeout = leaderelection.DefaultRetryPeriod
		e, err := leaderelection.New(c, leaderelection.Config{
			Client: lec, Namespace: api.NamespaceSystem, Name: LeaseName, Identity: id,
			LeaseDuration: m.cfg.LeaseDuration, RenewDeadline: m.cfg.RenewDeadline, RetryPeriod: m.cfg.RetryPeriod,
			Recorder: client.NewEventRecorder(c, lec, "kube-controller-manager"),
			Callbacks: leaderelection.Callbacks{
				OnStartedLeading: m.startLeading,
				OnStoppedLeading: m.stopLeading,
			},
		})
		if err != nil {
			c.Log().Error("invalid leader election configuration", zap.Error(err))
			return
		}
		m.elector = e
		e.Start()
	}
	for {
		msg := c.Recv()
		m.handle(msg)
		if m.active {
			m.process()
		}
	}
}

// startLeading builds the controllers and their informers afresh, as the
// real binary does once it holds the lease.
func (m *Manager) startLeading() {
	m.term++
	m.active = true
	m.informers = map[string]*informer{}
	m.order = nil
	m.queues = nil
	m.ctrls = nil
	m.recorders = map[string]*client.EventRecorder{}
	for _, mk := range m.cfg.Controllers {
		ctrl := mk()
		q := newQueue(m, ctrl.Name())
		ctrl.Setup(m, q)
		m.ctrls = append(m.ctrls, ctrl)
		m.queues = append(m.queues, q)
	}
	m.C.Note("controllers", fmt.Sprintf("starting %d controllers", len(m.ctrls)))
	m.startInformers()
}

// stopLeading stops every controller. The real binary exits here
// ("leaderelection lost") and its static pod restarts it; the manager
// drops its informers and queues and stands as a candidate again.
func (m *Manager) stopLeading() {
	m.C.Log().Error("leaderelection lost")
	m.active = false
	m.informers = nil
	m.order = nil
	m.queues = nil
	m.ctrls = nil
	if m.elector != nil {
		m.elector.Start()
	}
}

func (m *Manager) handle(msg *sim.Message) {
	if m.elector != nil && m.elector.Handle(msg) {
		return
	}
	switch msg.Kind {
	case kindResync:
		if term, _ := msg.Body.(int); m.active && term == m.term {
			m.startInformers()
		}
		return
	case kindRequeue:
		if r := msg.Body.(requeue); m.active && r.term == m.term {
			r.q.Add(r.key)
		}
		return
	}
	if m.active {
		for _, r := range m.order {
			if m.informers[r].Dispatch(msg) {
				return
			}
		}
	}
	if ev, ok := msg.Body.(*apiwire.WatchEvent); ok {
		// A watch of an earlier term (or one a relist replaced): hang up.
		for _, id := range ev.IDs() {
			m.C.Send(msg.From, apiwire.KindRequest, apiwire.CancelWatch{WatchID: id})
		}
	}
}

// Informer returns the shared informer of a resource, creating it. Call it
// from Setup.
func (m *Manager) Informer(resource string) *client.Informer {
	return m.informer(resource).Informer
}

func (m *Manager) informer(resource string) *informer {
	if in, ok := m.informers[resource]; ok {
		return in
	}
	in := &informer{Informer: client.NewInformer(m.Client, resource, "", client.ListOptions{}), indexes: map[string]*index{}}
	m.informers[resource] = in
	m.order = append(m.order, resource)
	in.AddHandler(client.Handler{
		OnAdd:    func(o api.Object) { in.reindex(nil, o) },
		OnUpdate: func(old, o api.Object) { in.reindex(old, o) },
		OnDelete: func(o api.Object) { in.reindex(o, nil) },
	})
	m.AddIndex(resource, IndexNamespace, func(o api.Object) []string { return []string{o.GetObjectMeta().Namespace} })
	return in
}

// IndexNamespace indexes every informer by namespace.
const IndexNamespace = "namespace"

// AddIndex maintains an index over a resource's cache: fn names the index
// values of an object. Call it from Setup; adding an index twice keeps the
// first.
func (m *Manager) AddIndex(resource, name string, fn func(api.Object) []string) {
	in := m.informer(resource)
	if _, ok := in.indexes[name]; ok {
		return
	}
	in.indexes[name] = &index{fn: fn, entries: map[string]map[string]api.Object{}}
}

func (in *informer) reindex(old, obj api.Object) {
	for _, ix := range in.indexes {
		if old != nil {
			k := old.GetObjectMeta().Key()
			for _, v := range ix.fn(old) {
				delete(ix.entries[v], k)
				if len(ix.entries[v]) == 0 {
					delete(ix.entries, v)
				}
			}
		}
		if obj != nil {
			k := obj.GetObjectMeta().Key()
			for _, v := range ix.fn(obj) {
				if ix.entries[v] == nil {
					ix.entries[v] = map[string]api.Object{}
				}
				ix.entries[v][k] = obj
			}
		}
	}
}

// ByIndex returns the cached objects of a resource with an index value,
// sorted by key.
func (m *Manager) ByIndex(resource, name, value string) []api.Object {
	in := m.informer(resource)
	ix := in.indexes[name]
	if ix == nil {
		return nil
	}
	return byKey(ix.entries[value])
}

// byKey lists a cache's objects in key order.
func byKey(set map[string]api.Object) []api.Object {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]api.Object, len(keys))
	for i, k := range keys {
		out[i] = set[k]
	}
	return out
}

// IndexLabels indexes objects by "namespace/key=value" for each of their
// labels; Select uses it when a controller added it.
const IndexLabels = "labels"

func labelIndex(o api.Object) []string {
	m := o.GetObjectMeta()
	out := make([]string, 0, len(m.Labels))
	for k, v := range m.Labels {
		out = append(out, m.Namespace+"/"+k+"="+v)
	}
	return out
}

// Select returns the cached objects of a resource in a namespace that a
// label selector matches, sorted by key: the namespace's objects filtered
// by the selector, as a lister's List(selector) returns them. With the
// labels index (AddIndex(resource, IndexLabels, ...) through
// AddLabelIndex) it starts from the smallest set an equality requirement
// names instead of from the whole namespace, as an indexer keyed by label
// would; the result is the same.
func (m *Manager) Select(resource, namespace string, sel api.Selector) []api.Object {
	if sel.IsNothing() {
		return nil
	}
	in := m.informer(resource)
	var cands map[string]api.Object
	if ix := in.indexes[IndexLabels]; ix != nil && namespace != "" {
		found := false
		for _, r := range sel.Requirements() {
			var set map[string]api.Object
			switch {
			case (r.Operator == api.SelectorEquals || r.Operator == api.SelectorDoubleEquals || r.Operator == api.SelectorIn) && len(r.Values) == 1:
				set = ix.entries[namespace+"/"+r.Key+"="+r.Values[0]]
			default:
				continue
			}
			if !found || len(set) < len(cands) {
				cands, found = set, true
			}
		}
		if !found {
			cands = in.indexes[IndexNamespace].entries[namespace]
		}
	} else {
		cands = in.indexes[IndexNamespace].entries[namespace]
	}
	keys := make([]string, 0, len(cands))
	for k, o := range cands {
		if sel.Matches(o.GetObjectMeta().Labels) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]api.Object, len(keys))
	for i, k := range keys {
		out[i] = cands[k]
	}
	return out
}

// AddLabelIndex adds the labels index to a resource's cache (see Select).
func (m *Manager) AddLabelIndex(resource string) { m.AddIndex(resource, IndexLabels, labelIndex) }

// union merges lists of cached objects sorted by key into one, sorted,
// without duplicates.
func union(lists ...[]api.Object) []api.Object {
	seen := map[string]api.Object{}
	for _, l := range lists {
		for _, o := range l {
			seen[o.GetObjectMeta().Key()] = o
		}
	}
	return byKey(seen)
}

// Recorder returns the event recorder of a component ("replicaset-controller").
func (m *Manager) Recorder(component string) *client.EventRecorder {
	if r, ok := m.recorders[component]; ok {
		return r
	}
	r := client.NewEventRecorder(m.C, m.Client, component)
	m.recorders[component] = r
	return r
}

// Now is the wall-clock time of the virtual instant.
func (m *Manager) Now() time.Time { return m.C.WallTime() }

const kindResync = "informer-retry"

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
		m.C.After(time.Second, kindResync, m.term)
		return
	}
	m.process()
}

// synced reports whether every informer has listed (WaitForCacheSync).
func (m *Manager) synced() bool {
	for _, r := range m.order {
		if !m.informers[r].HasSynced() {
			return false
		}
	}
	return true
}

// process drains every queue: each key is reconciled once however many
// events named it.
func (m *Manager) process() {
	if !m.synced() {
		return
	}
	term := m.term
	for i := 0; i < len(m.queues); i++ {
		q := m.queues[i]
		for {
			key, ok := q.pop()
			if !ok {
				break
			}
			res, err := m.ctrls[i].Reconcile(key)
			if !m.active || m.term != term {
				return // leadership was lost during the reconcile
			}
			if err != nil {
				d := q.backoff(key)
				m.C.Log().Info("requeue", zap.String("controller", q.name), zap.String("key", key), zap.Duration("after", d), zap.Error(err))
				q.AddAfter(key, d)
				continue
			}
			q.Forget(key)
			if res.RequeueAfter > 0 {
				q.AddAfter(key, res.RequeueAfter)
			}
		}
	}
}

const kindRequeue = "requeue"

type requeue struct {
	q    *Queue
	term int
	key  string
}

// Queue is a de-duplicating work queue with per-key exponential backoff
// (5 ms doubling to 1000 s, client-go's default item rate limiter) and
// delayed adds on virtual time.
type Queue struct {
	m        *Manager
	name     string
	items    []string
	queued   map[string]bool
	failures map[string]int
}

func newQueue(m *Manager, name string) *Queue {
	return &Queue{m: m, name: name, queued: map[string]bool{}, failures: map[string]int{}}
}

// Add queues a key unless it is already waiting.
func (q *Queue) Add(key string) {
	if q.queued[key] {
		return
	}
	q.queued[key] = true
	q.items = append(q.items, key)
}

// AddAfter queues a key once d of virtual time has passed.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	q.m.C.After(d, kindRequeue, requeue{q: q, term: q.m.term, key: key})
}

func (q *Queue) pop() (string, bool) {
	if len(q.items) == 0 {
		return "", false
	}
	k := q.items[0]
	q.items[0] = ""
	q.items = q.items[1:]
	delete(q.queued, k)
	return k, true
}

func (q *Queue) backoff(key string) time.Duration {
	n := q.failures[key]
	q.failures[key] = n + 1
	d := 5 * time.Millisecond << uint(n)
	if d > 1000*time.Second || d <= 0 || n > 40 {
		d = 1000 * time.Second
	}
	return d
}

// Forget clears a key's backoff.
func (q *Queue) Forget(key string) { delete(q.failures, key) }

// Len is the number of waiting keys.
func (q *Queue) Len() int { return len(q.items) }

// uuid draws a random (version 4) UUID from the actor's stream.
func uuid(c *sim.Ctx) string {
	var u [16]byte
	for i := range u {
		u[i] = byte(c.Rand().UintN(256))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

package client

import (
	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/sim"
)

// Handler receives an informer's notifications. Objects are shared and
// read-only: copy before changing.
type Handler struct {
	OnAdd    func(obj api.Object)
	OnUpdate func(old, obj api.Object)
	OnDelete func(obj api.Object)
}

// Informer keeps a local cache of one resource in step with the apiserver,
// as client-go's shared informer does: list (from the watch cache, with
// resourceVersion "0"), then watch from the list's resourceVersion; a watch
// that fails or reports 410 Gone starts over with a fresh list.
//
// An informer lives inside an actor: the actor passes every
// apiwire.WatchEvent it receives to Dispatch.
type Informer struct {
	cl        *Client
	resource  string
	namespace string
	opts      ListOptions

	watchID  int64
	server   string // the apiserver the watch runs on
	rv       string
	store    map[string]api.Object // "ns/name" -> object
	handlers []Handler
	synced   bool
}

// NewInformer returns an informer over a resource (namespace "" for all).
func NewInformer(cl *Client, resource, namespace string, opts ListOptions) *Informer {
	return &Informer{cl: cl, resource: resource, namespace: namespace, opts: opts, store: map[string]api.Object{}}
}

// AddHandler registers a handler; add it before Run.
func (in *Informer) AddHandler(h Handler) { in.handlers = append(in.handlers, h) }

// Run lists and starts watching. It returns the list error, if any; the
// caller retries later.
func (in *Informer) Run() error {
	items, rv, err := in.cl.List(in.resource, in.namespace, ListOptions{LabelSelector: in.opts.LabelSelector, FieldSelector: in.opts.FieldSelector, ResourceVersion: "0"})
	if err != nil {
		return err
	}
	fresh := make(map[string]api.Object, len(items))
	for _, o := range items {
		k := o.GetObjectMeta().Key()
		fresh[k] = o
		if old, ok := in.store[k]; ok {
			if old.GetObjectMeta().ResourceVersion != o.GetObjectMeta().ResourceVersion {
				in.notify(func(h Handler) {
					if h.OnUpdate != nil {
						h.OnUpdate(old, o)
					}
				})
			}
		} else {
			in.notify(func(h Handler) {
				if h.OnAdd != nil {
					h.OnAdd(o)
				}
			})
		}
	}
	for _, k := range sortedKeys(in.store) {
		if _, ok := fresh[k]; !ok {
			old := in.store[k]
			in.notify(func(h Handler) {
				if h.OnDelete != nil {
					h.OnDelete(old)
				}
			})
		}
	}
	in.store = fresh
	in.rv = rv
	in.synced = true
	return in.watch()
}

func (in *Informer) watch() error {
	id, err := in.cl.Watch(in.resource, in.namespace, ListOptions{LabelSelector: in.opts.LabelSelector, FieldSelector: in.opts.FieldSelector, ResourceVersion: in.rv, AllowWatchBookmarks: true})
	if err != nil {
		if apierrors.IsGone(err) {
			return in.Run()
		}
		return err
	}
	in.watchID = id
	in.server = in.cl.Server()
	return nil
}

// Watching names the informer's watch: the apiserver that serves it and
// the ID that apiserver gave it (0 when none is open).
func (in *Informer) Watching() (server string, id int64) { return in.server, in.watchID }

// HasSynced reports whether the first list completed.
func (in *Informer) HasSynced() bool { return in.synced }

// Dispatch applies a message if it is an event of this informer's watch
// and reports whether it was.
//
// When the apiserver serving the watch goes away (sim.KindDown), the
// informer lists and watches again through the next apiserver; it reports
// false for that message so every informer of the actor sees it.
func (in *Informer) Dispatch(m *sim.Message) bool {
	if d, ok := m.Body.(sim.Down); ok {
		if in.watchID != 0 && d.Name == in.server {
			in.watchID = 0
			if err := in.Run(); err != nil {
				in.synced = false
			}
		}
		return false
	}
	// Each apiserver numbers its watches on its own: after a failover, two
	// informers of one actor can hold the same ID on two apiservers. A
	// watch is its ID on the apiserver that streams it.
	ev, ok := m.Body.(*apiwire.WatchEvent)
	if !ok || in.watchID == 0 || !ev.For(in.watchID) || m.From != in.server {
		return false
	}
	switch ev.Type {
	case apiwire.Error:
		in.watchID = 0
		if err := in.Run(); err != nil {
			in.synced = false
		}
		return true
	case apiwire.Bookmark:
		in.rv = ev.Object.GetObjectMeta().ResourceVersion
		return true
	}
	o := ev.Object
	k := o.GetObjectMeta().Key()
	in.rv = o.GetObjectMeta().ResourceVersion
	old, had := in.store[k]
	switch ev.Type {
	case apiwire.Added, apiwire.Modified:
		in.store[k] = o
		if had {
			in.notify(func(h Handler) {
				if h.OnUpdate != nil {
					h.OnUpdate(old, o)
				}
			})
		} else {
			in.notify(func(h Handler) {
				if h.OnAdd != nil {
					h.OnAdd(o)
				}
			})
		}
	case apiwire.Deleted:
		delete(in.store, k)
		in.notify(func(h Handler) {
			if h.OnDelete != nil {
				h.OnDelete(o)
			}
		})
	}
	return true
}

func (in *Informer) notify(fn func(Handler)) {
	for _, h := range in.handlers {
		fn(h)
	}
}

// Get returns a cached object by "namespace/name" (or "name").
func (in *Informer) Get(key string) (api.Object, bool) {
	o, ok := in.store[key]
	return o, ok
}

// List returns the cached objects sorted by key.
func (in *Informer) List() []api.Object {
	out := make([]api.Object, 0, len(in.store))
	for _, k := range sortedKeys(in.store) {
		out = append(out, in.store[k])
	}
	return out
}

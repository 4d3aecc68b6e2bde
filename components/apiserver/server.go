// Package apiserver is kube-apiserver as a kernel actor: the only way into
// the cluster's state.
//
// Every request — from kubectl, a controller, the scheduler, a kubelet —
// arrives as a KindRequest message and walks the real pipeline:
//
//	authentication (static tokens, service account tokens, anonymous)
//	  -> authorization (RBAC over the cached Roles and Bindings)
//	  -> defaults, then admission: NamespaceLifecycle (first in the real
//	     chain), ServiceAccount, DefaultTolerationSeconds
//	  -> validation (name rules, required fields, immutability)
//	  -> storage (an etcd transaction; resourceVersion = etcd mod revision)
//
// and each step leaves a note in the trace. Writes run in a task per
// request, so a request waiting for etcd does not hold up the others.
//
// The watch cache: one etcd watch on /registry/ keeps every object in
// memory, decoded once and shared read-only; watches and resourceVersion=0
// reads are served from it, and its event history lets a watch resume from a
// past resourceVersion until the history window passes it (410 Gone,
// `too old resource version`). Reads with an empty resourceVersion are
// quorum reads from etcd, as in the real apiserver.
//
// Watches also serve streaming lists (sendInitialEvents=true, client-go's
// WatchList): an ADDED event per existing object, then a BOOKMARK annotated
// k8s.io/initial-events-end. Lists page with limit and continue tokens.
// The review APIs (SelfSubjectAccessReview, SubjectAccessReview,
// SelfSubjectRulesReview, SelfSubjectReview) are answered from RBAC and
// never stored (reviews.go); impersonation needs the impersonate verb.
//
// Simplifications, said where they show: RBAC is the only authorizer (the
// real control plane also runs the Node authorizer for kubelets); service
// account tokens are opaque strings rather than signed JWTs; one cache
// serves every resource; continue tokens page through the cache as it is,
// not as it was at the first page's revision.
//
// Every create, update and patch records its field manager in the
// object's metadata.managedFields, and server-side apply merges, removes
// and conflicts by them (package fieldmanager, which says what it
// simplifies).
package apiserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/fieldmanager"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Config configures one kube-apiserver.
type Config struct {
	// Etcd lists the etcd members (actor names) to talk to.
	Etcd []string
	// Tokens is the static token file: bearer token -> user.
	Tokens map[string]UserInfo
	// CompactionInterval is how often the apiserver compacts etcd
	// (--etcd-compaction-interval, 5 minutes by default).
	CompactionInterval time.Duration
	// WatchHistory is how many events the watch cache remembers for
	// watches that start in the past.
	WatchHistory int
	// EventTTL is how long Events live (--event-ttl, 1 hour).
	EventTTL time.Duration
	// Bootstrap lists objects the apiserver ensures at start, as its
	// post-start hooks do (system namespaces, bootstrap RBAC policy).
	Bootstrap []api.Object
	// AdvertiseAddress is the IP this apiserver advertises
	// (--advertise-address): the kubernetes Service's endpoints list the
	// addresses of the live apiservers. Empty: none is written.
	AdvertiseAddress string
}

func (c Config) withDefaults() Config {
	if c.CompactionInterval == 0 {
		c.CompactionInterval = 5 * time.Minute
	}
	if c.WatchHistory == 0 {
		c.WatchHistory = 10000
	}
	if c.EventTTL == 0 {
		c.EventTTL = time.Hour
	}
	return c
}

// New returns the actor body of a kube-apiserver.
func New(cfg Config) func(*sim.Ctx) {
	cfg = cfg.withDefaults()
	return func(c *sim.Ctx) {
		s := &server{cfg: cfg, c: c, written: map[string]pendingWrite{}, typed: newTypedCache(TypedCacheSize), etcd: etcd.NewClient(c, cfg.Etcd...), cache: newWatchCache(cfg.WatchHistory), watchers: map[string]*watcherSet{}, custom: map[string]*customKind{}, crdBusy: map[string]bool{}, crdSeen: map[string]string{}}
		s.run()
	}
}

type server struct {
	cfg   Config
	c     *sim.Ctx
	etcd  *etcd.Client
	cache *watchCache
	ready bool

	etcdWatch mvcc.WatchID
	// etcdMember is the member serving etcdWatch: a watch lives on one
	// member and ends with it.
	etcdMember string
	// etcdSeq is the last WatchResponse.Seq of etcdWatch.
	etcdSeq   uint64
	watchers  map[string]*watcherSet // by resource
	nextWatch int64
	lastRev   int64 // revision seen at the previous compaction tick

	eventLease      mvcc.LeaseID
	eventLeaseSince time.Duration

	// written holds objects this apiserver just stored, by key, until their
	// etcd watch event arrives: the cache takes them as they are instead of
	// decoding the bytes it wrote itself.
	written map[string]pendingWrite

	// typed keeps the field manager's typed form of the revisions this
	// apiserver wrote (typedcache.go).
	typed *typedCache
	// custom is the table of the kinds Established CRDs declare, by
	// plural.group (customresources.go); crdBusy marks the CRDs an
	// apiextensions controller task is working on.
	custom         map[string]*customKind
	customPrefixes []prefixEntry
	crdBusy        map[string]bool
	crdSeen        map[string]string // CRD name -> resourceVersion looked at
}

// pendingWrite is an object this apiserver is storing and the bytes it
// stores: the etcd watch event may come before the write's reply, and the
// cache recognises the object by its bytes.
type pendingWrite struct {
	obj  api.Object
	data []byte
}

type watcher struct {
	id        int64
	owner     string
	inc       int
	resource  string
	namespace string
	name      string
	labels    api.Selector
	fields    fieldSelector
	bookmarks bool
	closed    bool
	// triggered is set when the field selector pins the resource's
	// indexed trigger field, to triggerValue (see watcherSet).
	triggered    bool
	triggerValue string
	// after is the resourceVersion the watch started from: it delivers
	// only later changes, even those the cache had not yet seen when the
	// watch opened (as the real cacheWatcher filters them).
	after int64
}

const (
	kindCompactTick  = "compaction-tick"
	kindBookmarkTick = "bookmark-tick"
	kindRetryStart   = "retry-start"
	kindRewatch      = "rewatch"
	kindWatchProbe   = "etcd-watch-probe"
	kindFutureWatch  = "future-watch"
	bookmarkInterval = time.Minute
	// watchProbeInterval is how often the apiserver checks that the etcd
	// member serving its watch is still there, as the gRPC keepalive of
	// its etcd client does (only with more than one member to move to).
	watchProbeInterval = 10 * time.Second
)

// InitialEventsEndAnnotation marks the bookmark that ends the initial
// events of a streaming list.
const InitialEventsEndAnnotation = "k8s.io/initial-events-end"

// rewatch asks the run loop to reopen the etcd watch it names.
type rewatch struct{ watch mvcc.WatchID }

func (s *server) run() {
	c := s.c
	c.Publish(View{s})
	s.start()
	for {
		m := c.Recv()
		switch m.Kind {
		case etcd.KindWatchResponse:
			if r, ok := m.Body.(*etcd.WatchResponse); ok && r.WatchID == s.etcdWatch && m.From == s.etcdMember {
				if r.Seq != s.etcdSeq+1 {
					// A response was lost on the way (a cut link): the
					// stream is broken. Resume after the last revision the
					// cache holds, so nothing is missed.
					c.Note("rewatch", fmt.Sprintf("etcd watch stream from %s lost message %d: resuming from revision %d", m.From, s.etcdSeq+1, s.cache.rev+1))
					c.Send(s.etcdMember, etcd.KindCancelWatch, etcd.CancelWatch{WatchID: s.etcdWatch})
					s.rewatch()
					continue
				}
				s.etcdSeq = r.Seq
				if r.Canceled {
					c.Log().Warn("etcd watch cancelled", zap.String("member", m.From), zap.String("reason", r.CancelReason))
					s.rewatch()
					continue
				}
				s.applyEtcd(r)
			}
		case kindRewatch:
			if b, ok := m.Body.(rewatch); ok && b.watch == s.etcdWatch {
				s.rewatch()
			}
		case sim.KindDown:
			// The member serving the watch stopped: its stream broke, as
			// a reset connection breaks etcd clientv3's watch stream.
			if d, ok := m.Body.(sim.Down); ok && s.etcdWatch != 0 && d.Name == s.etcdMember {
				c.Log().Warn("etcd watch stream broken", zap.String("member", d.Name), zap.String("reason", d.Reason))
				s.rewatch()
			}
		case kindWatchProbe:
			s.probeWatch()
		case kindFutureWatch:
			if b, ok := m.Body.(futureWatch); ok {
				s.watchFuture(b)
			}
		case apiwire.KindRequest:
			s.serve(m)
		case kindRetryStart:
			s.start()
		case kindCompactTick:
			s.compact()
		case kindBookmarkTick:
			s.bookmarks()
		case kindEndpointsTick:
			s.reconcileEndpoints()
		case kindCRDRecheck:
			s.recheckCRD(m.Body)
		}
	}
}

// start lists everything from etcd into the cache and opens the watch that
// keeps it current. Until it succeeds the apiserver answers 503.
func (s *server) start() {
	c := s.c
	res, err := s.etcd.Range("/registry/", mvcc.PrefixEnd("/registry/"), mvcc.RangeOptions{}, false)
	if err != nil {
		c.Log().Warn("cannot list from etcd, retrying", zap.Error(err))
		c.After(time.Second, kindRetryStart, nil)
		return
	}
	s.fill(res)
	w, member, err := s.etcd.Watch(mvcc.WatchRequest{Key: "/registry/", End: mvcc.PrefixEnd("/registry/"), StartRev: res.Header.Revision + 1})
	if err != nil {
		c.Log().Warn("cannot watch etcd, retrying", zap.Error(err))
		c.After(time.Second, kindRetryStart, nil)
		return
	}
	s.watching(w.WatchID, member)
	s.ready = true
	c.Note("ready", fmt.Sprintf("watch cache primed with %d objects at revision %d", s.cache.objects.Len(), s.cache.rev))
	c.Log().Info("watch cache ready", zap.Int("objects", s.cache.objects.Len()), zap.Int64("revision", s.cache.rev))
	for _, obj := range s.cfg.Bootstrap {
		s.ensure(obj)
	}
	s.lastRev = s.cache.rev
	c.After(s.cfg.CompactionInterval, kindCompactTick, nil)
	c.After(bookmarkInterval, kindBookmarkTick, nil)
	s.reconcileEndpoints()
	if len(s.cfg.Etcd) > 1 {
		c.After(watchProbeInterval, kindWatchProbe, nil)
	}
}

// probeWatch checks, in a task, that the member serving the etcd watch
// still has it; if not, the run loop watches again elsewhere.
func (s *server) probeWatch() {
	c := s.c
	c.After(watchProbeInterval, kindWatchProbe, nil)
	id, member := s.etcdWatch, s.etcdMember
	c.Go(func(tc *sim.Ctx) {
		if err := s.etcd.For(tc).WatchProgress(member, id); err != nil {
			tc.Log().Warn("etcd watch lost", zap.String("member", member), zap.Error(err))
			tc.Send(tc.Name(), kindRewatch, rewatch{watch: id})
		}
	})
}

// watching records the etcd watch that feeds the cache and asks the kernel
// to say when the member serving it stops, so a restarted member (say, on a
// restored data directory) is watched again at once.
func (s *server) watching(id mvcc.WatchID, member string) {
	s.etcdWatch, s.etcdMember, s.etcdSeq = id, member, 0
	s.c.Monitor(member)
}

// rewatch reopens the cache's etcd watch after the member serving it
// cancelled it or went away: from the revision after the last one the
// cache holds, on whichever member answers, so no event is missed or seen
// twice. If that revision was compacted (or a restore moved the revision
// past it), the cache relists, and every watcher of the apiserver gets 410
// Gone and relists in turn, as the real watch cache's watchers do.
func (s *server) rewatch() {
	c := s.c
	old := s.etcdWatch
	s.etcdWatch, s.etcdMember = 0, ""
	w, member, err := s.etcd.Watch(mvcc.WatchRequest{Key: "/registry/", End: mvcc.PrefixEnd("/registry/"), StartRev: s.cache.rev + 1})
	switch {
	case err == nil:
		s.watching(w.WatchID, member)
		c.Note("rewatch", fmt.Sprintf("etcd watch resumed from revision %d on %s", s.cache.rev+1, member))
		return
	case errors.Is(err, mvcc.ErrCompacted):
		if s.relist() {
			return
		}
	default:
		c.Log().Warn("cannot watch etcd, retrying", zap.Error(err))
	}
	s.etcdWatch = old
	c.After(time.Second, kindRewatch, rewatch{watch: old})
}

// relist rebuilds the cache from a fresh list and reopens the watch; the
// apiserver's watchers are ended with 410 Gone.
func (s *server) relist() bool {
	c := s.c
	res, err := s.etcd.Range("/registry/", mvcc.PrefixEnd("/registry/"), mvcc.RangeOptions{}, false)
	if err != nil {
		return false
	}
	w, member, err := s.etcd.Watch(mvcc.WatchRequest{Key: "/registry/", End: mvcc.PrefixEnd("/registry/"), StartRev: res.Header.Revision + 1})
	if err != nil {
		return false
	}
	prev := s.cache.rev
	s.fill(res)
	s.watching(w.WatchID, member)
	c.Note("relist", fmt.Sprintf("etcd history was compacted: watch cache relisted %d objects at revision %d", s.cache.objects.Len(), s.cache.rev))
	gone := apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", prev, s.cache.rev))
	resources := make([]string, 0, len(s.watchers))
	for r := range s.watchers {
		resources = append(resources, r)
	}
	sort.Strings(resources)
	for _, r := range resources {
		for _, w := range s.watchers[r].all {
			if !w.closed {
				w.closed = true
				s.c.Stream(w.owner, w.inc, apiwire.KindWatchEvent, &apiwire.WatchEvent{WatchID: w.id, Type: apiwire.Error, Err: gone, Resource: r})
			}
		}
		delete(s.watchers, r)
	}
	s.lastRev = s.cache.rev
	return true
}

// fill replaces the cache with a list from etcd.
func (s *server) fill(res *etcd.RangeResponse) {
	s.cache = newWatchCache(s.cfg.WatchHistory)
	// Built-in kinds first, CRDs among them; then the custom resources
	// the CRDs serve.
	for pass := 0; pass < 2; pass++ {
		for _, kv := range res.KVs {
			info, ok := resourceOfKey(kv.Key)
			if pass == 1 {
				if ok {
					continue
				}
				if info, ok = s.lookupKey(kv.Key); !ok {
					continue
				}
			} else if !ok {
				continue
			}
			obj, err := decode(info, kv.Value, kv.ModRevision)
			if err != nil {
				s.c.Log().Error("skipping undecodable object", zap.String("key", kv.Key), zap.Error(err))
				continue
			}
			s.cache.objects.ReplaceOrInsert(&cacheEntry{key: kv.Key, info: info, obj: obj})
		}
		if pass == 0 {
			s.refreshCustom()
		}
	}
	s.cache.rev = res.Header.Revision
}

// ensure creates a bootstrap object unless it exists.
func (s *server) ensure(obj api.Object) {
	info, ok := api.ResourceOf(obj)
	if !ok {
		return
	}
	m := obj.GetObjectMeta()
	key := info.Key(m.Namespace, m.Name)
	if _, exists := s.cache.get(key); exists {
		return
	}
	obj = api.DeepCopyObject(obj)
	setDefaults(obj, true)
	fieldmanager.Update(info, fieldmanager.Owner{Manager: "kube-apiserver", APIVersion: info.APIVersion(), Now: api.NewTime(s.c.WallTime().Truncate(time.Second))}, nil, obj)
	s.stamp(obj)
	var err error
	if svc, ok := obj.(*api.Service); ok {
		h := &handler{s: s, c: s.c, etcd: s.etcd}
		_, err = h.createService(info, svc)
	} else {
		_, err = s.create(info, key, obj)
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		s.c.Log().Warn("bootstrap object not created", zap.String("key", key), zap.Error(err))
	}
}

// compact compacts etcd at the revision seen one interval ago, as the
// apiserver's compactor does.
func (s *server) compact() {
	c := s.c
	rev := s.lastRev
	s.lastRev = s.cache.rev
	c.After(s.cfg.CompactionInterval, kindCompactTick, nil)
	if rev <= 1 {
		return
	}
	c.Go(func(tc *sim.Ctx) {
		cl := s.etcd.For(tc)
		if err := cl.Compact(rev); err != nil && !errors.Is(err, mvcc.ErrCompacted) {
			tc.Log().Warn("compaction failed", zap.Error(err))
		}
	})
}

// applyEtcd folds an etcd watch response into the cache and fans the
// events out to the matching watchers.
func (s *server) applyEtcd(r *etcd.WatchResponse) {
	for _, e := range r.Events {
		var known api.Object
		if w, ok := s.written[e.KV.Key]; ok {
			delete(s.written, e.KV.Key)
			if e.Type == mvcc.EventPut && bytes.Equal(w.data, e.KV.Value) {
				known = w.obj
				known.GetObjectMeta().ResourceVersion = strconv.FormatInt(e.KV.ModRevision, 10)
			}
		}
		info, _ := s.lookupKey(e.KV.Key)
		ev, ok, err := s.cache.apply(e, info, known)
		if err != nil {
			s.c.Log().Error("bad object in etcd", zap.String("key", e.KV.Key), zap.Error(err))
			continue
		}
		if e.KV.ModRevision > s.cache.rev {
			s.cache.rev = e.KV.ModRevision
		}
		if ok {
			s.fanOut(ev)
			if ev.info.Resource == "customresourcedefinitions" {
				s.crdEvent(ev)
			}
		}
	}
	if r.Header.Revision > s.cache.rev {
		s.cache.rev = r.Header.Revision
	}
}

func (s *server) fanOut(ev cacheEvent) {
	set := s.watchers[ev.info.RequestResource()]
	if set == nil {
		return
	}
	fields := &eventFields{obj: ev.obj, prev: ev.prev}
	// One message per receiver and event type: the watches one client
	// holds (kubectl's many streams through kubesim serve, say) that see
	// the change the same way share it, as the watch cache shares one
	// serialized object among its watchers.
	var groups []*watchGroup
	var byKey map[watchGroupKey]*watchGroup
	set.candidates(ev.obj, ev.prev, func(w *watcher) {
		typ, ok := translate(w, ev, fields)
		if !ok {
			return
		}
		k := watchGroupKey{owner: w.owner, inc: w.inc, typ: typ}
		var g *watchGroup
		if byKey != nil {
			g = byKey[k]
		} else {
			for _, c := range groups {
				if c.key == k {
					g = c
					break
				}
			}
		}
		if g == nil {
			g = &watchGroup{key: k}
			groups = append(groups, g)
			if byKey != nil {
				byKey[k] = g
			} else if len(groups) > 8 {
				byKey = make(map[watchGroupKey]*watchGroup, 2*len(groups))
				for _, c := range groups {
					byKey[c.key] = c
				}
			}
		}
		g.ws = append(g.ws, w)
	})
	var gone []*watcher
	for _, g := range groups {
		msg := &apiwire.WatchEvent{WatchID: g.ws[0].id, Type: g.key.typ, Object: ev.obj, Resource: ev.info.Resource}
		for _, w := range g.ws[1:] {
			msg.Also = append(msg.Also, w.id)
		}
		if !s.c.Stream(g.key.owner, g.key.inc, apiwire.KindWatchEvent, msg) {
			gone = append(gone, g.ws...)
		}
	}
	for _, w := range gone {
		set.close(w)
	}
}

// watchGroupKey is a receiver and the event type it gets.
type watchGroupKey struct {
	owner string
	inc   int
	typ   apiwire.EventType
}

// watchGroup is the receiver's watches one event message is for.
type watchGroup struct {
	key watchGroupKey
	ws  []*watcher
}

// send delivers one cache event to one watcher (a replay when the watch
// starts); false when the watcher is gone.
func (s *server) send(w *watcher, ev cacheEvent, fields *eventFields) bool {
	typ, ok := translate(w, ev, fields)
	if !ok {
		return true
	}
	return s.c.Stream(w.owner, w.inc, apiwire.KindWatchEvent, &apiwire.WatchEvent{WatchID: w.id, Type: typ, Object: ev.obj, Resource: ev.info.Resource})
}

// translate says how one watcher sees a cache event, as a
// selector-filtered watch does: an object that stops matching is DELETED
// for that watcher, one that starts matching is ADDED; false when the
// watcher does not see it at all.
func translate(w *watcher, ev cacheEvent, fields *eventFields) (apiwire.EventType, bool) {
	if ev.rev != 0 && ev.rev <= w.after { // (initial events carry no revision of their own)
		return "", false
	}
	now := w.matches(ev.obj, fields)
	was := ev.prev != nil && w.matches(ev.prev, fields)
	typ := ev.typ
	switch {
	case ev.typ == apiwire.Modified && now && !was:
		typ = apiwire.Added
	case ev.typ == apiwire.Modified && !now && was:
		typ = apiwire.Deleted
	case !now && !(ev.typ == apiwire.Deleted && was):
		return "", false
	}
	if ev.typ == apiwire.Deleted && !now {
		return "", false
	}
	return typ, true
}

func (w *watcher) matches(obj api.Object, fields *eventFields) bool {
	m := obj.GetObjectMeta()
	if w.namespace != "" && m.Namespace != w.namespace {
		return false
	}
	if w.name != "" && m.Name != w.name {
		return false
	}
	if !w.labels.Matches(m.Labels) {
		return false
	}
	return w.fields.matches(obj, fields)
}

// bookmarks tells watchers that asked for them how far the cache has got,
// so they can resume from there; a watcher that is gone is dropped.
func (s *server) bookmarks() {
	s.c.After(bookmarkInterval, kindBookmarkTick, nil)
	rv := strconv.FormatInt(s.cache.rev, 10)
	resources := make([]string, 0, len(s.watchers))
	for r := range s.watchers {
		resources = append(resources, r)
	}
	sort.Strings(resources)
	for _, r := range resources {
		info, ok := s.lookupResource(r)
		set := s.watchers[r]
		if !ok {
			// The CRD that served the resource is gone: its watches end.
			for _, w := range set.all {
				if !w.closed {
					w.closed = true
					s.c.Stream(w.owner, w.inc, apiwire.KindWatchEvent, &apiwire.WatchEvent{WatchID: w.id, Type: apiwire.Error, Err: apierrors.NewResourceExpired("the resource is no longer served"), Resource: r})
				}
			}
			delete(s.watchers, r)
			continue
		}
		for _, w := range set.all {
			if w.closed {
				continue
			}
			if w.bookmarks && s.cache.rev > w.after { // never behind where the watch started
				obj := info.New()
				obj.GetObjectMeta().ResourceVersion = rv
				api.SetTypeMeta(obj)
				if !s.c.Stream(w.owner, w.inc, apiwire.KindWatchEvent, &apiwire.WatchEvent{WatchID: w.id, Type: apiwire.Bookmark, Object: obj, Resource: r}) {
					w.closed = true
					set.closed++
				}
			}
		}
		set.prune()
	}
}

// serve authenticates and authorizes a request, then handles it: from the
// cache in the main loop when it only reads memory, in a task otherwise.
func (s *server) serve(m *sim.Message) {
	c := s.c
	switch b := m.Body.(type) {
	case apiwire.CancelWatch:
		s.cancelWatch(b.WatchID)
		c.Reply(m, m.Kind, &apiwire.Response{Code: 200})
		return
	case *apiwire.Request:
		if !s.ready {
			c.ReplyErr(m, m.Kind, apierrors.NewServiceUnavailable("the server is currently unable to handle the request"))
			return
		}
		info, err := s.resolve(b)
		if err != nil {
			c.ReplyErr(m, m.Kind, err)
			return
		}
		user, ok := s.authenticate(b.Token, b.Certificate)
		if !ok {
			c.Note(NoteAuthn, AuthnNote{Invalid: true, Certificate: b.Certificate != nil})
			c.ReplyErr(m, m.Kind, apierrors.NewUnauthorized())
			return
		}
		if b.Impersonate != nil {
			as, err := s.impersonate(user, b.Impersonate)
			if err != nil {
				c.Note(NoteAuthn, AuthnNote{User: user, Certificate: b.Certificate != nil})
				c.ReplyErr(m, m.Kind, err)
				return
			}
			user = as
		}
		c.Note(NoteAuthn, AuthnNote{User: user, Certificate: b.Certificate != nil})
		attrs := attributes{user: user, verb: b.Verb, group: info.Group, resource: info.Resource, subresource: b.Subresource, namespace: b.Namespace, name: b.Name}
		if info.Resource == "namespaces" && b.Name != "" {
			// A Namespace is in itself, as the real RequestInfo has it: a
			// RoleBinding there may grant reading it.
			attrs.namespace = b.Name
		}
		decision := s.authorize(attrs)
		if !decision.Allowed && b.Verb == apiwire.VerbCreate && isSelfReview(info) && hasGroup(user, GroupAuthenticated) {
			decision = basicUser(decision)
		}
		if !decision.Allowed {
			reason := attrs.forbiddenReason()
			decision.Reason = reason.Error()
			c.Note(NoteAuthz, decision)
			c.ReplyErr(m, m.Kind, apierrors.NewForbidden(info.Group, info.Resource, b.Name, reason))
			return
		}
		c.Note(NoteAuthz, decision)
		switch {
		case b.Verb == apiwire.VerbCreate && isReview(info):
			res, err := s.review(b, user)
			s.reply(m, res, err)
		case b.Verb == apiwire.VerbWatch:
			s.watch(m, b, info)
		case b.Verb == apiwire.VerbList && b.ResourceVersion != "":
			res, err := s.listFromCache(b, info)
			s.reply(m, res, err)
		case b.Verb == apiwire.VerbGet && b.ResourceVersion == "0" && b.Subresource == "":
			res, err := s.getFromCache(b, info)
			s.reply(m, res, err)
		default:
			c.Go(func(tc *sim.Ctx) {
				h := &handler{s: s, c: tc, etcd: s.etcd.For(tc), user: user}
				res, err := h.handle(b, info)
				if err != nil {
					tc.ReplyErr(m, m.Kind, err)
					return
				}
				tc.Reply(m, m.Kind, res)
			})
		}
	default:
		c.ReplyErr(m, m.Kind, apierrors.NewBadRequest(fmt.Sprintf("unexpected request body %T", m.Body)))
	}
}

func (s *server) reply(m *sim.Message, res *apiwire.Response, err error) {
	if err != nil {
		s.c.ReplyErr(m, m.Kind, err)
		return
	}
	s.c.Reply(m, m.Kind, res)
}

// resolve checks the request's resource, verb and subresource.
func (s *server) resolve(r *apiwire.Request) (*api.ResourceInfo, error) {
	info, ok := s.lookupResource(r.Resource)
	if !ok {
		return nil, apierrors.NewNotFound("", r.Resource, r.Name).WithMessage("the server could not find the requested resource")
	}
	if r.Subresource != "" {
		sub, ok := info.Subresource(r.Subresource)
		if !ok || !containsVerb(sub.Verbs, r.Verb) {
			return nil, apierrors.NewNotFound(info.Group, info.Resource, r.Name).WithMessage("the server could not find the requested resource")
		}
	} else if !info.HasVerb(r.Verb) {
		return nil, apierrors.NewMethodNotSupported(info.Group, info.Resource, r.Verb)
	}
	if info.Namespaced && r.Namespace == "" && r.Verb != apiwire.VerbList && r.Verb != apiwire.VerbWatch && r.Verb != apiwire.VerbCreate {
		return nil, apierrors.NewBadRequest("the server could not find the requested resource")
	}
	return info, nil
}

func containsVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

func (s *server) cancelWatch(id int64) {
	for _, set := range s.watchers {
		for _, w := range set.all {
			if w.id == id && !w.closed {
				set.close(w)
				return
			}
		}
	}
}

// watch opens a watch from the cache. resourceVersion "" or "0" starts with
// ADDED events for everything that exists; a past version replays the
// history after it, or fails with 410 Gone when the window has passed it.
func (s *server) watch(m *sim.Message, r *apiwire.Request, info *api.ResourceInfo) {
	c := s.c
	w, err := s.newWatcher(m, r, info)
	if err != nil {
		c.ReplyErr(m, m.Kind, err)
		return
	}
	var replay []cacheEvent
	if r.SendInitialEvents || r.ResourceVersion == "" || r.ResourceVersion == "0" {
		s.cache.list(info.Key(r.Namespace, ""), func(e *cacheEntry) bool {
			replay = append(replay, cacheEvent{typ: apiwire.Added, info: info, obj: e.obj})
			return true
		})
	} else {
		rv, err := strconv.ParseInt(r.ResourceVersion, 10, 64)
		if err != nil {
			c.ReplyErr(m, m.Kind, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", r.ResourceVersion)))
			return
		}
		w.after = rv
		if rv > s.cache.rev {
			// A version the cache has not reached: wait for it a little,
			// as the real watch cache does, then give up with its error.
			c.After(futureWatchWait, kindFutureWatch, futureWatch{m: m, r: r, info: info})
			return
		}
		oldest := s.cache.oldest()
		if rv < oldest-1 {
			c.ReplyErr(m, m.Kind, apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", rv, oldest-1)))
			return
		}
		for _, ev := range s.cache.since(rv) {
			if ev.info.GVR() == info.GVR() {
				replay = append(replay, ev)
			}
		}
	}
	s.nextWatch++
	w.id = s.nextWatch
	c.Reply(m, m.Kind, &apiwire.Response{Code: 200, WatchID: w.id, ResourceVersion: strconv.FormatInt(s.cache.rev, 10)})
	for _, ev := range replay {
		if !s.send(w, ev, nil) {
			return
		}
	}
	if r.SendInitialEvents && w.bookmarks {
		// The end of a streaming list: a bookmark at the revision the
		// initial events reflect, annotated so the client knows its list
		// is complete (what client-go's reflector waits for).
		obj := info.New()
		api.SetTypeMeta(obj)
		om := obj.GetObjectMeta()
		om.ResourceVersion = strconv.FormatInt(s.cache.rev, 10)
		om.Annotations = map[string]string{InitialEventsEndAnnotation: "true"}
		if !s.c.Stream(w.owner, w.inc, apiwire.KindWatchEvent, &apiwire.WatchEvent{WatchID: w.id, Type: apiwire.Bookmark, Object: obj, Resource: info.RequestResource()}) {
			return
		}
	}
	set := s.watchers[info.RequestResource()]
	if set == nil {
		set = newWatcherSet(info.Resource)
		s.watchers[info.RequestResource()] = set
	}
	set.add(w)
}

// futureWatchWait is how long a watch from a resourceVersion the cache has
// not reached waits for it (the real watch cache waits about 3 s).
const futureWatchWait = 3 * time.Second

// futureWatch is a watch waiting for the cache to reach its version.
type futureWatch struct {
	m    *sim.Message
	r    *apiwire.Request
	info *api.ResourceInfo
}

// watchFuture opens the waiting watch if the cache got there, or refuses it
// with the real text: `Too large resource version: 1000, current: 162`
// (504, reason Timeout, cause ResourceVersionTooLarge).
func (s *server) watchFuture(f futureWatch) {
	rv, _ := strconv.ParseInt(f.r.ResourceVersion, 10, 64)
	if rv <= s.cache.rev {
		s.watch(f.m, f.r, f.info)
		return
	}
	err := apierrors.NewTimeout(fmt.Sprintf("Too large resource version: %d, current: %d", rv, s.cache.rev))
	err.ErrStatus.Details = &apierrors.StatusDetails{Causes: []apierrors.StatusCause{{Type: "ResourceVersionTooLarge", Message: "Too large resource version"}}, RetryAfterSeconds: 1}
	s.c.ReplyErr(f.m, f.m.Kind, err)
}

func (s *server) newWatcher(m *sim.Message, r *apiwire.Request, info *api.ResourceInfo) (*watcher, error) {
	w := &watcher{owner: m.From, inc: m.SenderIncarnation(), resource: info.Resource, namespace: r.Namespace, name: r.Name, bookmarks: r.AllowWatchBookmarks}
	var err error
	if w.labels, err = api.ParseSelector(r.LabelSelector); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if w.fields, err = parseFieldSelector(info, r.FieldSelector); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	return w, nil
}

// listFromCache serves a list from the watch cache.
func (s *server) listFromCache(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	w, err := s.newWatcher(&sim.Message{}, r, info)
	if err != nil {
		return nil, err
	}
	prefix := info.Key(r.Namespace, "")
	rev := s.cache.rev
	from := prefix
	if r.Continue != "" {
		tok, err := parseContinue(r.Continue)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid continue token: %v", err))
		}
		if tok.RV < s.cache.oldest()-1 {
			return nil, apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
		}
		from, rev = prefix+tok.Start, tok.RV
	}
	res := &apiwire.Response{Code: 200, ResourceVersion: strconv.FormatInt(rev, 10)}
	var remaining int64
	var last string
	s.cache.objects.AscendGreaterOrEqual(&cacheEntry{key: from}, func(e *cacheEntry) bool {
		if !strings.HasPrefix(e.key, prefix) {
			return false
		}
		if !w.matches(e.obj, nil) {
			return true
		}
		if r.Limit > 0 && int64(len(res.Items)) >= r.Limit {
			remaining++
			return true
		}
		res.Items = append(res.Items, e.obj)
		last = e.key
		return true
	})
	if remaining > 0 {
		// As the real apiserver's token: the revision of the first page and
		// the key to resume after (a NUL makes it the next key). kubesim
		// pages through the cache as it is now, not through etcd at the
		// first page's revision: objects changed meanwhile show their
		// newer state.
		res.Continue = encodeContinue(continueToken{V: "meta.k8s.io/v1", RV: rev, Start: strings.TrimPrefix(last, prefix) + "\x00"})
		res.RemainingItemCount = &remaining
	}
	return res, nil
}

// continueToken is the decoded form of a list's continue parameter.
type continueToken struct {
	V     string `json:"v"`
	RV    int64  `json:"rv"`
	Start string `json:"start"`
}

func encodeContinue(t continueToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseContinue(s string) (continueToken, error) {
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, err
	}
	if t.V != "meta.k8s.io/v1" || t.Start == "" || strings.Contains(t.Start, "/../") {
		return t, errors.New("continue key is not valid")
	}
	return t, nil
}

func (s *server) getFromCache(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	e, ok := s.cache.get(info.Key(r.Namespace, r.Name))
	if !ok {
		return nil, apierrors.NewNotFound(info.Group, info.Resource, r.Name)
	}
	return &apiwire.Response{Code: 200, Object: e.obj}, nil
}

// stamp sets what the apiserver owns on a new object: uid, creation time,
// generation, and a generated name.
func (s *server) stamp(obj api.Object) {
	m := obj.GetObjectMeta()
	rng := s.c.Rand()
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + randomSuffix(rng)
	}
	var u [16]byte
	for i := range u {
		u[i] = byte(rng.UintN(256))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	m.UID = api.UID(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]))
	if j, ok := obj.(*api.Job); ok {
		generateJobSelector(j)
	}
	m.CreationTimestamp = api.NewTime(s.c.WallTime().Truncate(time.Second))
	m.ResourceVersion = ""
	m.DeletionTimestamp = nil
	if hasSpec(obj) {
		m.Generation = 1
	}
}

// create stores a new object: "put only if the key does not exist".
func (s *server) create(info *api.ResourceInfo, key string, obj api.Object) (api.Object, error) {
	return createWith(s.etcd, info, key, obj, 0, s.written)
}

func createWith(cl *etcd.Client, info *api.ResourceInfo, key string, obj api.Object, lease mvcc.LeaseID, written map[string]pendingWrite) (api.Object, error) {
	data, err := encode(obj)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if written != nil {
		written[key] = pendingWrite{obj: obj, data: data}
	}
	res, err := cl.Txn(mvcc.TxnRequest{
		Compare: []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, 0)},
		Success: []mvcc.Op{mvcc.OpPut(key, data, lease)},
	})
	if err != nil {
		return nil, storageError(err)
	}
	if !res.Succeeded {
		return nil, apierrors.NewAlreadyExists(info.Group, info.Resource, obj.GetObjectMeta().Name)
	}
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(res.Header.Revision, 10)
	return obj, nil
}

// storageError shows an etcd failure the way kube-apiserver does.
func storageError(err error) error {
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, etcd.ErrRequestTimeout), errors.Is(err, sim.ErrTimeout):
		return apierrors.NewTimeout(etcd.ErrRequestTimeout.Error())
	case errors.Is(err, etcd.ErrRequestTooLarge):
		// Passed on as etcd said it, without a reason: kubectl prints
		// `Error from server: etcdserver: request is too large`.
		return &apierrors.StatusError{ErrStatus: apierrors.Status{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: err.Error(), Code: 500}}
	case errors.Is(err, mvcc.ErrNoSpace):
		return apierrors.NewInternalError(fmt.Errorf("etcdserver: mvcc: database space exceeded"))
	}
	return apierrors.NewInternalError(err)
}

func hasSpec(obj api.Object) bool {
	switch obj.(type) {
	case *api.Pod, *api.Deployment, *api.ReplicaSet, *api.DaemonSet, *api.Service, *api.Node, *api.NetworkPolicy, *api.CiliumNetworkPolicy, *api.Job, *api.CronJob, *api.StatefulSet, *api.CustomResource:
		return true
	}
	return false
}

// specOf is what generation tracks: everything but metadata and status.
func specOf(obj api.Object) string {
	b, _ := json.Marshal(obj)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	delete(m, "metadata")
	delete(m, "status")
	delete(m, "kind")
	delete(m, "apiVersion")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		sb.Write(m[k])
	}
	return sb.String()
}

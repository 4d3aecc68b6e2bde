package apiserver

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/btree"
	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
)

// The watch cache. kube-apiserver keeps one etcd watch per resource and
// serves lists and watches from memory; here one watch on /registry/ feeds
// one cache for every resource. Objects in it are decoded once and shared,
// read-only, with every watcher and list.

// prefixes maps etcd key prefixes to resources, longest first so that
// /registry/services/endpoints wins over /registry/services.
var prefixes = func() []prefixEntry {
	var out []prefixEntry
	for _, r := range api.Resources() {
		if r.KeyPrefix == "" {
			continue
		}
		out = append(out, prefixEntry{prefix: r.KeyPrefix + "/", info: r})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].prefix) != len(out[j].prefix) {
			return len(out[i].prefix) > len(out[j].prefix)
		}
		return out[i].prefix < out[j].prefix
	})
	return out
}()

type prefixEntry struct {
	prefix string
	info   *api.ResourceInfo
}

func resourceOfKey(key string) (*api.ResourceInfo, bool) {
	for _, p := range prefixes {
		if strings.HasPrefix(key, p.prefix) {
			return p.info, true
		}
	}
	return nil, false
}

// decode turns a stored value into an object whose resourceVersion is the
// key's mod revision, as the apiserver's storage layer does.
func decode(info *api.ResourceInfo, value []byte, modRev int64) (api.Object, error) {
	obj := info.New()
	if err := json.Unmarshal(value, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", info.Resource, err)
	}
	tm := obj.GetTypeMeta()
	tm.Kind, tm.APIVersion = info.Kind, info.APIVersion()
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(modRev, 10)
	return obj, nil
}

// encode serializes an object for etcd; the resourceVersion is not stored
// (it is the key's mod revision).
func encode(obj api.Object) ([]byte, error) {
	m := obj.GetObjectMeta()
	rv := m.ResourceVersion
	m.ResourceVersion = ""
	b, err := json.Marshal(obj)
	m.ResourceVersion = rv
	return b, err
}

type cacheEntry struct {
	key  string
	info *api.ResourceInfo
	obj  api.Object
}

type cacheEvent struct {
	rev  int64
	typ  apiwire.EventType
	info *api.ResourceInfo
	obj  api.Object
	prev api.Object // the object before a MODIFIED
}

type watchCache struct {
	rev     int64
	objects *btree.BTreeG[*cacheEntry]

	// history is a ring of the newest events, for watches that start at a
	// past resourceVersion.
	history []cacheEvent
	next    int
	full    bool
}

func newWatchCache(historySize int) *watchCache {
	return &watchCache{
		objects: btree.NewG(32, func(a, b *cacheEntry) bool { return a.key < b.key }),
		history: make([]cacheEvent, historySize),
	}
}

func (c *watchCache) get(key string) (*cacheEntry, bool) {
	return c.objects.Get(&cacheEntry{key: key})
}

// list returns the objects under a key prefix, in key order.
func (c *watchCache) list(prefix string, fn func(*cacheEntry) bool) {
	c.objects.AscendGreaterOrEqual(&cacheEntry{key: prefix}, func(e *cacheEntry) bool {
		if !strings.HasPrefix(e.key, prefix) {
			return false
		}
		return fn(e)
	})
}

// oldest is the oldest revision a watch can start from.
func (c *watchCache) oldest() int64 {
	if !c.full {
		if c.next == 0 {
			return c.rev
		}
		return c.history[0].rev
	}
	return c.history[c.next].rev
}

// since returns the events after rev, oldest first.
func (c *watchCache) since(rev int64) []cacheEvent {
	var all []cacheEvent
	if c.full {
		all = append(append(all, c.history[c.next:]...), c.history[:c.next]...)
	} else {
		all = c.history[:c.next]
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].rev > rev })
	return all[i:]
}

func (c *watchCache) record(ev cacheEvent) {
	c.history[c.next] = ev
	c.next++
	if c.next == len(c.history) {
		c.next = 0
		c.full = true
	}
}

// apply folds one etcd event into the cache and returns the cache event.
// known, if set, is the object the event's value encodes.
// info is the key's resource (nil when unknown: a custom resource whose
// CRD is no longer served can still be deleted from the cache).
func (c *watchCache) apply(e mvcc.Event, info *api.ResourceInfo, known api.Object) (cacheEvent, bool, error) {
	old, had := c.get(e.KV.Key)
	if info == nil {
		if !had {
			return cacheEvent{}, false, nil
		}
		info = old.info
	}
	if e.Type == mvcc.EventDelete {
		if !had {
			return cacheEvent{}, false, nil
		}
		c.objects.Delete(old)
		gone := api.DeepCopyObject(old.obj)
		gone.GetObjectMeta().ResourceVersion = strconv.FormatInt(e.KV.ModRevision, 10)
		ev := cacheEvent{rev: e.KV.ModRevision, typ: apiwire.Deleted, info: info, obj: gone, prev: old.obj}
		c.record(ev)
		return ev, true, nil
	}
	obj := known
	if obj == nil {
		var err error
		if obj, err = decode(info, e.KV.Value, e.KV.ModRevision); err != nil {
			return cacheEvent{}, false, err
		}
	}
	c.objects.ReplaceOrInsert(&cacheEntry{key: e.KV.Key, info: info, obj: obj})
	ev := cacheEvent{rev: e.KV.ModRevision, typ: apiwire.Added, info: info, obj: obj}
	if had {
		ev.typ = apiwire.Modified
		ev.prev = old.obj
	}
	c.record(ev)
	return ev, true, nil
}

// DecodeStored turns a value read from etcd under key into the object it
// holds, as the storage layer does (its resourceVersion is modRev). It is
// for readers of etcd that are not the apiserver — a debugger's views, an
// etcdctl — and fails for keys outside /registry/'s known resources.
func DecodeStored(key string, value []byte, modRev int64) (api.Object, *api.ResourceInfo, error) {
	info, ok := resourceOfKey(key)
	if !ok {
		return nil, nil, fmt.Errorf("%s: not an API object's key", key)
	}
	obj, err := decode(info, value, modRev)
	return obj, info, err
}

// DecodeStoredAs is DecodeStored for a resource the caller resolved (a
// custom resource, whose key only its CRD explains).
func DecodeStoredAs(info *api.ResourceInfo, value []byte, modRev int64) (api.Object, error) {
	return decode(info, value, modRev)
}

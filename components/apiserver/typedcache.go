package apiserver

import (
	"bytes"

	"github.com/kubesim/kubesim/components/apiserver/fieldmanager"
)

// TypedCacheSize is how many objects' typed forms (fieldmanager.Typed)
// each kube-apiserver keeps for the field manager; 0 keeps none. Tests set
// it to prove that the cache changes no managedFields entry.
var TypedCacheSize = 4096

// typedCache keeps, per key, the field manager's typed form of the value
// this apiserver last wrote there, so that the next Update of it (a
// kubelet's next status report, a controller's next status write, a lease
// renewal) converts only the new object. An entry stands for exactly the
// bytes it was written as: any other write — by another apiserver, a
// binding, a delete, an etcd restore that reuses revisions — leaves other
// bytes at the key, and the field manager converts the live object again.
// Bounded: past its size the oldest key is forgotten.
type typedCache struct {
	size    int
	entries map[string]typedEntry
	ring    []string
	next    int
}

type typedEntry struct {
	value []byte
	typed *fieldmanager.Typed
}

func newTypedCache(size int) *typedCache {
	return &typedCache{size: size, entries: map[string]typedEntry{}}
}

// get is the typed form of the value stored at key, nil if not kept.
func (c *typedCache) get(key string, value []byte) *fieldmanager.Typed {
	if c == nil {
		return nil
	}
	if e, ok := c.entries[key]; ok && bytes.Equal(e.value, value) {
		return e.typed
	}
	return nil
}

// put remembers t as the typed form of value, written at key.
func (c *typedCache) put(key string, value []byte, t *fieldmanager.Typed) {
	if c == nil || c.size <= 0 || t == nil {
		return
	}
	if _, ok := c.entries[key]; !ok {
		if len(c.ring) < c.size {
			c.ring = append(c.ring, key)
		} else {
			delete(c.entries, c.ring[c.next])
			c.ring[c.next] = key
			c.next = (c.next + 1) % c.size
		}
	}
	c.entries[key] = typedEntry{value: value, typed: t}
}

package apiserver

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/apiserver/fieldmanager"
)

// TestTypedCache: an entry answers only for the bytes it was written as,
// and past its size the oldest key is forgotten.
func TestTypedCache(t *testing.T) {
	c := newTypedCache(2)
	a, b := &fieldmanager.Typed{}, &fieldmanager.Typed{}
	c.put("/registry/pods/default/a", []byte(`{"v":1}`), a)
	assert.Same(t, a, c.get("/registry/pods/default/a", []byte(`{"v":1}`)))
	assert.Nil(t, c.get("/registry/pods/default/a", []byte(`{"v":2}`)), "other bytes at the key: another writer, or a restore")
	c.put("/registry/pods/default/a", []byte(`{"v":2}`), b)
	assert.Same(t, b, c.get("/registry/pods/default/a", []byte(`{"v":2}`)))
	for i := range 3 {
		c.put(fmt.Sprintf("/registry/pods/default/p%d", i), []byte(`{}`), a)
	}
	assert.Len(t, c.entries, 2)
	assert.Nil(t, c.get("/registry/pods/default/a", []byte(`{"v":2}`)), "evicted")
	assert.Same(t, a, c.get("/registry/pods/default/p2", []byte(`{}`)))
	var off *typedCache
	assert.Nil(t, off.get("k", nil))
	off.put("k", nil, a)
	zero := newTypedCache(0)
	zero.put("k", []byte(`{}`), a)
	assert.Nil(t, zero.get("k", []byte(`{}`)), "size 0 keeps nothing")
}

package mvcc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChangesAndHistoryReadWithoutTouching(t *testing.T) {
	s := New(Config{})
	put := func(k, v string) int64 {
		r, err := s.Put(k, []byte(v), NoLease)
		require.NoError(t, err)
		return r.Rev
	}
	r1 := put("/a", "1")
	r2 := put("/b", "x")
	r3 := put("/a", "2")
	_, err := s.DeleteRange("/a", "")
	require.NoError(t, err)
	r5 := put("/a", "3")
	before := s.Status()

	evs := s.Changes(r1, r3)
	require.Len(t, evs, 2)
	assert.Equal(t, "/b", evs[0].KV.Key)
	assert.Nil(t, evs[0].PrevKV, "a create replaces nothing")
	assert.Equal(t, "/a", evs[1].KV.Key)
	require.NotNil(t, evs[1].PrevKV)
	assert.Equal(t, "1", string(evs[1].PrevKV.Value))
	assert.Equal(t, "2", string(evs[1].KV.Value))
	assert.Empty(t, s.Changes(r5, r5+10), "nothing after the newest revision")
	assert.Equal(t, r2, s.Changes(r1, r2)[0].KV.ModRevision)

	h := s.History("/a")
	require.Len(t, h, 4)
	assert.Equal(t, []EventType{EventPut, EventPut, EventDelete, EventPut}, []EventType{h[0].Type, h[1].Type, h[2].Type, h[3].Type})
	assert.Equal(t, []string{"1", "2", "", "3"}, []string{string(h[0].KV.Value), string(h[1].KV.Value), string(h[2].KV.Value), string(h[3].KV.Value)})
	assert.Equal(t, int64(1), h[3].KV.Version, "a new generation starts at version 1")
	assert.Nil(t, s.History("/none"))
	assert.Equal(t, before, s.Status(), "reading changes nothing")

	err = s.Compact(r3)
	require.NoError(t, err)
	h = s.History("/a")
	assert.Equal(t, "2", string(h[0].KV.Value), "compaction keeps the version visible at the compact revision")
}

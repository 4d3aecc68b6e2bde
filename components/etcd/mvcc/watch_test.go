package mvcc

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder collects what a watch delivers.
type recorder struct {
	resps []WatchResponse
}

func (r *recorder) sink(resp WatchResponse) {
	resp.Events = append([]Event(nil), resp.Events...) // the slice may be shared
	r.resps = append(r.resps, resp)
}

// summary renders the deliveries as "rev:TYPE key=value ..." lines.
func (r *recorder) summary() []string {
	var out []string
	for _, resp := range r.resps {
		line := fmt.Sprintf("%d:", resp.Revision)
		for _, ev := range resp.Events {
			line += fmt.Sprintf(" %s %s", ev.Type, ev.KV.Key)
			if ev.Type == EventPut {
				line += "=" + string(ev.KV.Value)
			}
			if ev.PrevKV != nil {
				line += fmt.Sprintf(" (prev %s@%d)", ev.PrevKV.Value, ev.PrevKV.ModRevision)
			}
		}
		out = append(out, line)
	}
	return out
}

func (r *recorder) events() []Event {
	var out []Event
	for _, resp := range r.resps {
		out = append(out, resp.Events...)
	}
	return out
}

func TestWatchStartRevisions(t *testing.T) {
	// History: 2 put /k=a, 3 put /k=b, 4 delete /k, 5 put /x=y, 6 put /k=c;
	// then, with the watch in place, 7 put /k=d.
	tests := []struct {
		name        string
		compact     int64
		req         WatchRequest
		wantSummary []string
		wantCompact int64 // > 0: Watch must fail with this compact revision
	}{
		{
			name:        "from 0 sees only later writes",
			req:         WatchRequest{Key: "/k"},
			wantSummary: []string{"7: PUT /k=d"},
		},
		{
			name:        "from a past revision, inclusive",
			req:         WatchRequest{Key: "/k", StartRev: 3},
			wantSummary: []string{"3: PUT /k=b", "4: DELETE /k", "6: PUT /k=c", "7: PUT /k=d"},
		},
		{
			name:        "from the current revision",
			req:         WatchRequest{Key: "/k", StartRev: 6},
			wantSummary: []string{"6: PUT /k=c", "7: PUT /k=d"},
		},
		{
			name:        "from the next revision",
			req:         WatchRequest{Key: "/k", StartRev: 7},
			wantSummary: []string{"7: PUT /k=d"},
		},
		{
			name:        "from a future revision waits for it",
			req:         WatchRequest{Key: "/k", StartRev: 8},
			wantSummary: nil,
		},
		{
			name:        "prefix from the start",
			req:         WatchRequest{Key: "/", End: PrefixEnd("/"), StartRev: 1},
			wantSummary: []string{"2: PUT /k=a", "3: PUT /k=b", "4: DELETE /k", "5: PUT /x=y", "6: PUT /k=c", "7: PUT /k=d"},
		},
		{
			name:        "prev kv",
			req:         WatchRequest{Key: "/k", StartRev: 3, PrevKV: true},
			wantSummary: []string{"3: PUT /k=b (prev a@2)", "4: DELETE /k (prev b@3)", "6: PUT /k=c", "7: PUT /k=d (prev c@6)"},
		},
		{
			name:        "from the compact revision works and sees its tombstone",
			compact:     4,
			req:         WatchRequest{Key: "/k", StartRev: 4},
			wantSummary: []string{"4: DELETE /k", "6: PUT /k=c", "7: PUT /k=d"},
		},
		{
			name:        "prev kv older than the compact revision is left out",
			compact:     3,
			req:         WatchRequest{Key: "/k", StartRev: 3, PrevKV: true},
			wantSummary: []string{"3: PUT /k=b", "4: DELETE /k (prev b@3)", "6: PUT /k=c", "7: PUT /k=d (prev c@6)"},
		},
		{
			name:        "below the compact revision is refused",
			compact:     4,
			req:         WatchRequest{Key: "/k", StartRev: 3},
			wantCompact: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := docExample(t)
			if tt.compact > 0 {
				require.NoError(t, s.Compact(tt.compact))
			}
			var rec recorder
			_, err := s.Watch(tt.req, rec.sink)
			if tt.wantCompact > 0 {
				var ce *CompactedError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tt.wantCompact, ce.CompactRevision)
				assert.ErrorIs(t, err, ErrCompacted)
				assert.EqualError(t, err, "mvcc: required revision has been compacted")
				assert.Zero(t, s.Status().Watchers)
				return
			}
			require.NoError(t, err)
			mustPut(t, s, "/k", "d")
			assert.Equal(t, tt.wantSummary, rec.summary())
		})
	}
}

func TestWatchDeleteEventCarriesKeyAndRevision(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/a", "1")
	var rec recorder
	_, err := s.Watch(WatchRequest{Key: "/a"}, rec.sink)
	require.NoError(t, err)
	_, err = s.DeleteRange("/a", "")
	require.NoError(t, err)
	assert.Equal(t, []Event{{Type: EventDelete, KV: KeyValue{Key: "/a", ModRevision: 3}}}, rec.events())
}

func TestWatchOneResponsePerTxn(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/a/old", "x")
	var all, onlyB, exact recorder
	_, err := s.Watch(WatchRequest{Key: "/", End: allKeys}, all.sink)
	require.NoError(t, err)
	_, err = s.Watch(WatchRequest{Key: "/b/", End: PrefixEnd("/b/"), PrevKV: true}, onlyB.sink)
	require.NoError(t, err)
	_, err = s.Watch(WatchRequest{Key: "/a/old", PrevKV: true}, exact.sink)
	require.NoError(t, err)

	_, err = s.Txn(TxnRequest{Success: []Op{
		OpPut("/b/1", []byte("1"), NoLease),
		OpDelete("/a/", PrefixEnd("/a/")),
		OpPut("/b/2", []byte("2"), NoLease),
		OpPut("/c", []byte("3"), NoLease),
	}})
	require.NoError(t, err)

	assert.Equal(t, []string{"3: PUT /b/1=1 DELETE /a/old PUT /b/2=2 PUT /c=3"}, all.summary())
	assert.Equal(t, []string{"3: PUT /b/1=1 PUT /b/2=2"}, onlyB.summary())
	assert.Equal(t, []string{"3: DELETE /a/old (prev x@2)"}, exact.summary())
}

func TestWatchExactlyOnceInOrderAcrossManyWrites(t *testing.T) {
	s := New(Config{})
	var live, fromPast recorder
	_, err := s.Watch(WatchRequest{Key: "/p/", End: PrefixEnd("/p/")}, live.sink)
	require.NoError(t, err)
	for i := 0; i < 500; i++ {
		mustPut(t, s, fmt.Sprintf("/p/%d", i%37), fmt.Sprint(i))
		mustPut(t, s, fmt.Sprintf("/q/%d", i%11), fmt.Sprint(i)) // not watched
		if i%50 == 49 {
			_, err := s.DeleteRange("/p/1", "/p/2")
			require.NoError(t, err)
		}
	}
	_, err = s.Watch(WatchRequest{Key: "/p/", End: PrefixEnd("/p/"), StartRev: 2}, fromPast.sink)
	require.NoError(t, err)
	assert.Equal(t, live.summary(), fromPast.summary(), "replayed history equals what was seen live")

	var last int64
	for _, resp := range live.resps {
		assert.Greater(t, resp.Revision, last, "strictly increasing revisions")
		last = resp.Revision
		for _, ev := range resp.Events {
			assert.Equal(t, resp.Revision, ev.KV.ModRevision)
		}
	}
	assert.Len(t, live.resps, 500+10)
}

func TestCancelWatch(t *testing.T) {
	s := New(Config{})
	var a, b recorder
	ida, err := s.Watch(WatchRequest{Key: "/k"}, a.sink)
	require.NoError(t, err)
	_, err = s.Watch(WatchRequest{Key: "/", End: allKeys}, b.sink)
	require.NoError(t, err)
	mustPut(t, s, "/k", "1")
	require.NoError(t, s.CancelWatch(ida))
	assert.ErrorIs(t, s.CancelWatch(ida), ErrWatcherNotExist)
	mustPut(t, s, "/k", "2")
	assert.Equal(t, []string{"2: PUT /k=1"}, a.summary())
	assert.Equal(t, []string{"2: PUT /k=1", "3: PUT /k=2"}, b.summary())
	assert.Equal(t, 1, s.Status().Watchers)
}

func TestCancelFromInsideASink(t *testing.T) {
	s := New(Config{})
	var order []WatchID
	var ids []WatchID
	for i := 0; i < 3; i++ {
		id, err := s.Watch(WatchRequest{Key: "/", End: allKeys}, func(resp WatchResponse) {
			order = append(order, resp.WatchID)
			// The first watcher to hear of the write cancels every watch,
			// itself included: nobody hears anything afterwards.
			for _, id := range ids {
				_ = s.CancelWatch(id)
			}
		})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	mustPut(t, s, "/a", "1")
	mustPut(t, s, "/b", "2")
	assert.Equal(t, []WatchID{ids[0]}, order)
	assert.Zero(t, s.Status().Watchers)
}

func TestCancelDuringReplayStopsIt(t *testing.T) {
	s := New(Config{})
	for i := 0; i < 5; i++ {
		mustPut(t, s, "/a", fmt.Sprint(i))
	}
	var revs []int64
	_, err := s.Watch(WatchRequest{Key: "/a", StartRev: 2}, func(resp WatchResponse) {
		revs = append(revs, resp.Revision)
		if len(revs) == 2 {
			require.NoError(t, s.CancelWatch(resp.WatchID))
		}
	})
	require.NoError(t, err)
	mustPut(t, s, "/a", "later")
	assert.Equal(t, []int64{2, 3}, revs)
	assert.Zero(t, s.Status().Watchers)
}

func TestWatchersAreCalledInIDOrder(t *testing.T) {
	s := New(Config{})
	var order []WatchID
	sink := func(resp WatchResponse) { order = append(order, resp.WatchID) }
	reqs := []WatchRequest{
		{Key: "/a/b", End: allKeys},
		{Key: "/a/b"},
		{Key: "/a/", End: PrefixEnd("/a/")},
		{Key: "/", End: allKeys},
		{Key: "/a/b"},
		{Key: "/a/b", End: "/a/c"},
	}
	for _, req := range reqs {
		_, err := s.Watch(req, sink)
		require.NoError(t, err)
	}
	mustPut(t, s, "/a/b", "x")
	assert.Equal(t, []WatchID{1, 2, 3, 4, 5, 6}, order)
}

func TestWriteFromASinkPanics(t *testing.T) {
	s := New(Config{})
	_, err := s.Watch(WatchRequest{Key: "/a"}, func(WatchResponse) {
		_, _ = s.Put("/b", nil, NoLease)
	})
	require.NoError(t, err)
	assert.Panics(t, func() { mustPut(t, s, "/a", "1") })
}

func TestSinkMayReadAndWatch(t *testing.T) {
	s := New(Config{})
	var nested recorder
	var seen []KeyValue
	_, err := s.Watch(WatchRequest{Key: "/a"}, func(resp WatchResponse) {
		seen = append(seen, mustGet(t, s, "/a", 0)...)
		_, err := s.Watch(WatchRequest{Key: "/a", StartRev: resp.Revision}, nested.sink)
		require.NoError(t, err)
	})
	require.NoError(t, err)
	mustPut(t, s, "/a", "1")
	assert.Equal(t, []KeyValue{kv("/a", "1", 2, 2, 1)}, seen)
	assert.Equal(t, []string{"2: PUT /a=1"}, nested.summary(), "the nested watch replays the revision exactly once")
}

func TestThousandsOfWatchersOnlyMatchingOnesAreVisited(t *testing.T) {
	s := New(Config{})
	const n = 3000
	hits := make([]int, n+1)
	for i := 0; i < n; i++ {
		var req WatchRequest
		switch i % 3 {
		case 0:
			req = WatchRequest{Key: fmt.Sprintf("/ns%04d/", i), End: PrefixEnd(fmt.Sprintf("/ns%04d/", i))}
		case 1:
			req = WatchRequest{Key: fmt.Sprintf("/ns%04d/obj", i-1)}
		case 2:
			req = WatchRequest{Key: fmt.Sprintf("/ns%04d/", i-2), End: allKeys}
		}
		_, err := s.Watch(req, func(resp WatchResponse) { hits[resp.WatchID]++ })
		require.NoError(t, err)
	}
	mustPut(t, s, "/ns1500/obj", "x")
	for id := 1; id <= n; id++ {
		i := id - 1
		want := 0
		switch {
		case i == 1500 || i == 1501: // its prefix and exact watchers
			want = 1
		case i%3 == 2 && i-2 <= 1500: // every from-key watcher starting at or before it
			want = 1
		}
		assert.Equal(t, want, hits[id], "watch %d", id)
	}
	// The index answers without touching the others.
	assert.Len(t, s.watchers.match("/ns1500/obj", nil), 2+501)
}

func TestRequestProgress(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/a", "1")
	var synced, future recorder
	id, err := s.Watch(WatchRequest{Key: "/a"}, synced.sink)
	require.NoError(t, err)
	fid, err := s.Watch(WatchRequest{Key: "/a", StartRev: 10}, future.sink)
	require.NoError(t, err)

	require.NoError(t, s.RequestProgress(id))
	require.NoError(t, s.RequestProgress(fid))
	assert.Equal(t, []WatchResponse{{WatchID: id, Revision: 2}}, synced.resps)
	assert.Empty(t, future.resps, "a watch waiting for a future revision is not synced")
	assert.ErrorIs(t, s.RequestProgress(99), ErrWatcherNotExist)
}

package mvcc

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// busyStore builds a store with updates, deletes, re-creates, a txn, leases
// and a compaction.
func busyStore(t *testing.T) *Store {
	s := New(Config{})
	l, err := s.Grant(0, 30, 0)
	require.NoError(t, err)
	_, err = s.Grant(0, 60, 0) // no keys
	require.NoError(t, err)
	for i := 0; i < 40; i++ {
		key := fmt.Sprintf("/registry/pods/ns%d/p%d", i%3, i%7)
		lease := NoLease
		if i%5 == 0 {
			lease = l.ID
		}
		_, err := s.Put(key, []byte(fmt.Sprint("v", i)), lease)
		require.NoError(t, err)
		if i%9 == 8 {
			_, err := s.DeleteRange("/registry/pods/ns1/", PrefixEnd("/registry/pods/ns1/"))
			require.NoError(t, err)
		}
	}
	_, err = s.Txn(TxnRequest{Success: []Op{
		OpPut("/registry/a", []byte("1"), NoLease),
		OpPut("/registry/b", nil, NoLease),
		OpDelete("/registry/pods/ns2/p0", ""),
	}})
	require.NoError(t, err)
	require.NoError(t, s.Compact(20))
	return s
}

// assertSameReads checks that two stores answer every range at every
// retained revision alike.
func assertSameReads(t *testing.T, want, got *Store) {
	t.Helper()
	require.Equal(t, want.Rev(), got.Rev())
	require.Equal(t, want.FirstRev(), got.FirstRev())
	for rev := want.FirstRev(); rev <= want.Rev(); rev++ {
		if rev <= 0 {
			continue
		}
		for _, r := range [][2]string{{"/", allKeys}, {"/registry/pods/ns1/", PrefixEnd("/registry/pods/ns1/")}, {"/registry/a", ""}} {
			w, err := want.Range(r[0], r[1], RangeOptions{Rev: rev})
			require.NoError(t, err)
			g, err := got.Range(r[0], r[1], RangeOptions{Rev: rev})
			require.NoError(t, err)
			assert.Equal(t, w, g, "range %q..%q at %d", r[0], r[1], rev)
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := busyStore(t)
	data := s.Snapshot()
	r, err := Restore(data, RestoreOptions{Now: time.Minute})
	require.NoError(t, err)

	assertSameReads(t, s, r)
	assert.Equal(t, s.Status(), r.Status())
	assert.Equal(t, s.Leases(), r.Leases())
	for _, id := range s.Leases() {
		want, err := s.TimeToLive(id, 0)
		require.NoError(t, err)
		got, err := r.TimeToLive(id, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, want, got, "lease %d restarts its TTL at restore time", id)
	}
	assert.Equal(t, data, r.Snapshot(), "a restored store snapshots to the same bytes")

	// The restored store carries on: history replays alike, new writes
	// and lease IDs continue where the original left off.
	var a, b recorder
	_, err = s.Watch(WatchRequest{Key: "/", End: allKeys, StartRev: s.FirstRev(), PrevKV: true}, a.sink)
	require.NoError(t, err)
	_, err = r.Watch(WatchRequest{Key: "/", End: allKeys, StartRev: r.FirstRev(), PrevKV: true}, b.sink)
	require.NoError(t, err)
	assert.Equal(t, a.summary(), b.summary())
	l1, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	l2, err := r.Grant(0, 10, 0)
	require.NoError(t, err)
	assert.Equal(t, l1.ID, l2.ID)

	// Expiring the restored lease deletes its keys there.
	assert.NotEmpty(t, r.Expire(time.Minute+30*time.Second))
}

func TestSnapshotCorruption(t *testing.T) {
	data := busyStore(t).Snapshot()
	tests := []struct {
		name   string
		mangle func([]byte) []byte
	}{
		{name: "flipped bit in a value", mangle: func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
		{name: "flipped bit in the digest", mangle: func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }},
		{name: "truncated", mangle: func(b []byte) []byte { return b[:len(b)-100] }},
		{name: "too short", mangle: func(b []byte) []byte { return b[:10] }},
		{name: "empty", mangle: func([]byte) []byte { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.mangle(append([]byte(nil), data...))
			_, err := Restore(bad, RestoreOptions{})
			assert.ErrorIs(t, err, ErrSnapshotIntegrity)
			assert.ErrorContains(t, err, "snapshot file integrity check failed")
		})
	}
}

func TestRestoreBumpAndMarkCompacted(t *testing.T) {
	s := busyStore(t)
	oldRev := s.Rev()
	data := s.Snapshot()

	r, err := Restore(data, RestoreOptions{BumpRevision: 1000, MarkCompacted: true})
	require.NoError(t, err)
	assert.Equal(t, oldRev+1000, r.Rev())
	assert.Equal(t, oldRev+1000, r.FirstRev())

	// The latest state is intact.
	want, err := s.Range("/", allKeys, RangeOptions{})
	require.NoError(t, err)
	got, err := r.Range("/", allKeys, RangeOptions{})
	require.NoError(t, err)
	assert.Equal(t, want.KVs, got.KVs)

	// A client resuming its watch from a revision it saw before gets
	// ErrCompacted and must relist, instead of silently missing writes.
	_, err = r.Watch(WatchRequest{Key: "/", End: allKeys, StartRev: oldRev}, func(WatchResponse) {})
	var ce *CompactedError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, oldRev+1000, ce.CompactRevision)
	_, err = r.Range("/registry/a", "", RangeOptions{Rev: oldRev})
	assert.ErrorIs(t, err, ErrCompacted)

	// New writes land above every old revision.
	res, err := r.Put("/new", nil, NoLease)
	require.NoError(t, err)
	assert.Equal(t, oldRev+1001, res.Rev)
}

func TestRestoreOptionsMustGoTogether(t *testing.T) {
	data := New(Config{}).Snapshot()
	for _, opt := range []RestoreOptions{{BumpRevision: 5}, {MarkCompacted: true}, {BumpRevision: -1, MarkCompacted: true}} {
		_, err := Restore(data, opt)
		assert.ErrorIs(t, err, ErrRestoreOptions, "%+v", opt)
	}
}

func TestRestoreEmptyStore(t *testing.T) {
	r, err := Restore(New(Config{}).Snapshot(), RestoreOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), r.Rev())
	assert.Equal(t, Status{Revision: 1}, r.Status())
}

// FuzzRestore feeds the decoder arbitrary bodies with a valid digest, so
// the fuzzer gets past the checksum: Restore must fail cleanly or build a
// usable store, never panic.
func FuzzRestore(f *testing.F) {
	f.Add(snapshotBody(New(Config{}).Snapshot()))
	s := New(Config{})
	l, _ := s.Grant(0, 10, 0)
	_, _ = s.Put("/a", []byte("1"), l.ID)
	_, _ = s.Put("/b", nil, NoLease)
	_, _ = s.DeleteRange("/a", "")
	_, _ = s.Put("/a", []byte("2"), NoLease)
	_ = s.Compact(4)
	f.Add(snapshotBody(s.Snapshot()))
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(body)
		r, err := Restore(append(body, sum[:]...), RestoreOptions{})
		if err != nil {
			require.ErrorIs(t, err, ErrSnapshotIntegrity)
			return
		}
		_, err = r.Range("\x00", allKeys, RangeOptions{Rev: r.FirstRev()})
		require.NoError(t, err)
		_, err = r.Put("/new", nil, NoLease)
		require.NoError(t, err)
		require.NoError(t, r.Compact(r.Rev()))
	})
}

func snapshotBody(data []byte) []byte { return data[:len(data)-sha256.Size] }

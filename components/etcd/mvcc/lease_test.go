package mvcc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrant(t *testing.T) {
	tests := []struct {
		name    string
		id      LeaseID
		ttl     int64
		wantID  LeaseID
		wantTTL int64
		wantErr error
	}{
		{name: "allocates the next ID", id: 0, ttl: 10, wantID: 2, wantTTL: 10},
		{name: "explicit ID", id: 77, ttl: 10, wantID: 77, wantTTL: 10},
		{name: "TTL below the minimum is raised", id: 0, ttl: 1, wantID: 2, wantTTL: 2},
		{name: "zero TTL is raised", id: 0, ttl: 0, wantID: 2, wantTTL: 2},
		{name: "ID in use", id: 1, ttl: 10, wantErr: ErrLeaseExists},
		{name: "TTL too large", id: 0, ttl: MaxLeaseTTL + 1, wantErr: ErrLeaseTTLTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{})
			_, err := s.Grant(1, 5, 0) // lease 1 exists
			require.NoError(t, err)
			l, err := s.Grant(tt.id, tt.ttl, 10*time.Second)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, l.ID)
			assert.Equal(t, tt.wantTTL, l.TTL)
			assert.Equal(t, 10*time.Second+time.Duration(tt.wantTTL)*time.Second, l.Expiry)
		})
	}
}

func TestLeaseMessages(t *testing.T) {
	assert.EqualError(t, ErrLeaseNotFound, "etcdserver: requested lease not found")
	assert.EqualError(t, ErrLeaseExists, "etcdserver: lease already exists")
	assert.EqualError(t, ErrLeaseTTLTooLarge, "etcdserver: too large lease TTL")
}

func TestPutWithUnknownLease(t *testing.T) {
	s := New(Config{})
	_, err := s.Put("/a", []byte("x"), 5)
	assert.ErrorIs(t, err, ErrLeaseNotFound)
	assert.Equal(t, int64(1), s.Rev())
}

func TestLeaseExpiry(t *testing.T) {
	s := New(Config{})
	l1, err := s.Grant(0, 10, 0) // expires at 10s
	require.NoError(t, err)
	l2, err := s.Grant(0, 5, 0) // expires at 5s
	require.NoError(t, err)
	_, err = s.Put("/l1/a", []byte("a"), l1.ID)
	require.NoError(t, err)
	_, err = s.Put("/l1/b", []byte("b"), l1.ID)
	require.NoError(t, err)
	_, err = s.Put("/l2/a", []byte("c"), l2.ID)
	require.NoError(t, err)
	mustPut(t, s, "/free", "d")
	require.Equal(t, int64(5), s.Rev())

	var rec recorder
	_, err = s.Watch(WatchRequest{Key: "/", End: allKeys}, rec.sink)
	require.NoError(t, err)

	tests := []struct {
		name        string
		now         time.Duration
		keepAlive   LeaseID
		wantExpired []LeaseID
		wantKeys    []string
		wantRev     int64
	}{
		{name: "nothing before a deadline", now: 4 * time.Second, wantKeys: []string{"/free", "/l1/a", "/l1/b", "/l2/a"}, wantRev: 5},
		{name: "keep-alive moves the deadline", now: 4 * time.Second, keepAlive: l1.ID, wantKeys: []string{"/free", "/l1/a", "/l1/b", "/l2/a"}, wantRev: 5},
		{name: "at its deadline a lease expires", now: 5 * time.Second, wantExpired: []LeaseID{l2.ID}, wantKeys: []string{"/free", "/l1/a", "/l1/b"}, wantRev: 6},
		{name: "the kept-alive lease outlives its first deadline", now: 12 * time.Second, wantKeys: []string{"/free", "/l1/a", "/l1/b"}, wantRev: 6},
		{name: "then expires, both keys in one revision", now: 14 * time.Second, wantExpired: []LeaseID{l1.ID}, wantKeys: []string{"/free"}, wantRev: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.keepAlive != NoLease {
				ttl, err := s.KeepAlive(tt.keepAlive, tt.now)
				require.NoError(t, err)
				assert.Equal(t, int64(10), ttl)
			}
			assert.Equal(t, tt.wantExpired, s.Expire(tt.now))
			res, err := s.Range("/", allKeys, RangeOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.wantKeys, keysOf(res.KVs))
			assert.Equal(t, tt.wantRev, s.Rev())
		})
	}
	assert.Equal(t, []string{"6: DELETE /l2/a", "7: DELETE /l1/a DELETE /l1/b"}, rec.summary())
	assert.Empty(t, s.Leases())
}

func TestExpireRevokesInLeaseIDOrder(t *testing.T) {
	s := New(Config{})
	// Granted in an order unlike their IDs, all expiring together.
	for _, id := range []LeaseID{30, 10, 20} {
		_, err := s.Grant(id, 5, 0)
		require.NoError(t, err)
		_, err = s.Put("/k"+string(rune('0'+id/10)), nil, id)
		require.NoError(t, err)
	}
	var rec recorder
	_, err := s.Watch(WatchRequest{Key: "/", End: allKeys}, rec.sink)
	require.NoError(t, err)
	assert.Equal(t, []LeaseID{10, 20, 30}, s.Expire(time.Minute))
	assert.Equal(t, []string{"5: DELETE /k1", "6: DELETE /k2", "7: DELETE /k3"}, rec.summary())
}

func TestKeepAliveAndTimeToLive(t *testing.T) {
	s := New(Config{})
	l, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	_, err = s.Put("/b", nil, l.ID)
	require.NoError(t, err)
	_, err = s.Put("/a", nil, l.ID)
	require.NoError(t, err)

	st, err := s.TimeToLive(l.ID, 2500*time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, LeaseStatus{ID: l.ID, TTL: 7, GrantedTTL: 10, Keys: []string{"/a", "/b"}}, st)

	_, err = s.KeepAlive(l.ID, 10*time.Second)
	assert.ErrorIs(t, err, ErrLeaseNotFound, "a lease past its deadline cannot be renewed")
	st, err = s.TimeToLive(l.ID, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), st.TTL)

	_, err = s.KeepAlive(99, 0)
	assert.ErrorIs(t, err, ErrLeaseNotFound)
	_, err = s.TimeToLive(99, 0)
	assert.ErrorIs(t, err, ErrLeaseNotFound)
}

func TestReattachingAKeyMovesItBetweenLeases(t *testing.T) {
	s := New(Config{})
	a, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	b, err := s.Grant(0, 100, 0)
	require.NoError(t, err)
	_, err = s.Put("/k", []byte("1"), a.ID)
	require.NoError(t, err)
	_, err = s.Put("/k", []byte("2"), b.ID)
	require.NoError(t, err)
	_, err = s.Put("/free", []byte("x"), a.ID)
	require.NoError(t, err)
	_, err = s.Put("/free", []byte("y"), NoLease) // detaches
	require.NoError(t, err)

	st, err := s.TimeToLive(a.ID, 0)
	require.NoError(t, err)
	assert.Empty(t, st.Keys)
	assert.Equal(t, []LeaseID{a.ID}, s.Expire(10*time.Second))
	got := mustGet(t, s, "/k", 0)
	require.Len(t, got, 1)
	assert.Equal(t, int64(b.ID), got[0].Lease)
	assert.Len(t, mustGet(t, s, "/free", 0), 1)
}

func TestRevoke(t *testing.T) {
	s := New(Config{})
	l, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	_, err = s.Put("/a", []byte("1"), l.ID)
	require.NoError(t, err)
	_, err = s.Put("/b", []byte("2"), l.ID)
	require.NoError(t, err)
	_, err = s.DeleteRange("/b", "") // a deleted key leaves the lease
	require.NoError(t, err)

	res, err := s.Revoke(l.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.Rev)
	assert.Equal(t, []string{"/a"}, keysOf(res.PrevKVs))
	_, err = s.Revoke(l.ID)
	assert.ErrorIs(t, err, ErrLeaseNotFound)

	empty, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	res, err = s.Revoke(empty.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.Rev, "revoking a lease without keys is not a write")
}

func TestTxnPutAttachesLease(t *testing.T) {
	s := New(Config{})
	l, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	_, err = s.Txn(TxnRequest{Success: []Op{OpPut("/a", []byte("x"), l.ID)}})
	require.NoError(t, err)
	resp, err := s.Txn(TxnRequest{
		Compare: []Compare{CmpLease("/a", Equal, l.ID)},
		Success: []Op{OpGet("/a", "", RangeOptions{})},
	})
	require.NoError(t, err)
	assert.True(t, resp.Succeeded)
	assert.Equal(t, []LeaseID{l.ID}, s.Expire(10*time.Second))
	assert.Empty(t, mustGet(t, s, "/a", 0))
}

func TestMinLeaseTTLIsConfigurable(t *testing.T) {
	s := New(Config{MinLeaseTTL: 60})
	l, err := s.Grant(0, 10, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(60), l.TTL)
}

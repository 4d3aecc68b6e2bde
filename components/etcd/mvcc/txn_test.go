package mvcc

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTxnCompares(t *testing.T) {
	// /k: created at 2 (v=a, lease 0), updated at 3 (v=b): version 2,
	// create 2, mod 3. /missing does not exist.
	newStore := func(t *testing.T) *Store {
		s := New(Config{})
		mustPut(t, s, "/k", "a")
		mustPut(t, s, "/k", "b")
		return s
	}
	tests := []struct {
		name          string
		cmp           Compare
		wantSucceeded bool
	}{
		{"version equal", CmpVersion("/k", Equal, 2), true},
		{"version greater", CmpVersion("/k", Greater, 1), true},
		{"version less fails", CmpVersion("/k", Less, 2), false},
		{"version not equal", CmpVersion("/k", NotEqual, 3), true},
		{"create revision equal", CmpCreateRevision("/k", Equal, 2), true},
		{"create revision greater fails", CmpCreateRevision("/k", Greater, 2), false},
		{"mod revision equal", CmpModRevision("/k", Equal, 3), true},
		{"mod revision less", CmpModRevision("/k", Less, 4), true},
		{"mod revision stale fails", CmpModRevision("/k", Equal, 2), false},
		{"value equal", CmpValue("/k", Equal, []byte("b")), true},
		{"value greater", CmpValue("/k", Greater, []byte("a")), true},
		{"value less fails", CmpValue("/k", Less, []byte("a")), false},
		{"value not equal", CmpValue("/k", NotEqual, []byte("a")), true},
		{"lease equal none", CmpLease("/k", Equal, NoLease), true},
		{"lease greater fails", CmpLease("/k", Greater, NoLease), false},
		{"missing key: mod revision 0 (create if absent)", CmpModRevision("/missing", Equal, 0), true},
		{"missing key: version 0", CmpVersion("/missing", Equal, 0), true},
		{"missing key: create revision > 0 fails", CmpCreateRevision("/missing", Greater, 0), false},
		{"missing key: lease 0", CmpLease("/missing", Equal, NoLease), true},
		{"missing key: value equal empty fails", CmpValue("/missing", Equal, nil), false},
		{"missing key: value not equal fails too", CmpValue("/missing", NotEqual, []byte("x")), false},
		{"existing key: mod revision 0 fails", CmpModRevision("/k", Equal, 0), false},
		{"range compare holds for every key", Compare{Key: "/", RangeEnd: allKeys, Target: TargetVersion, Result: Greater, Version: 0}, true},
		{"range compare over no keys compares zero", Compare{Key: "/x", RangeEnd: "/y", Target: TargetVersion, Result: Equal}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			resp, err := s.Txn(TxnRequest{
				Compare: []Compare{tt.cmp},
				Success: []Op{OpPut("/ok", []byte("yes"), NoLease)},
				Failure: []Op{OpGet("/k", "", RangeOptions{})},
			})
			require.NoError(t, err)
			assert.Equal(t, tt.wantSucceeded, resp.Succeeded)
			if tt.wantSucceeded {
				assert.Equal(t, int64(4), resp.Rev, "a write txn takes a revision")
				assert.Equal(t, int64(4), s.Rev())
				require.Len(t, resp.Responses, 1)
				assert.Equal(t, int64(4), resp.Responses[0].Put.Rev)
			} else {
				assert.Equal(t, int64(3), resp.Rev, "a read-only txn does not")
				assert.Equal(t, int64(3), s.Rev())
				require.Len(t, resp.Responses, 1)
				assert.Equal(t, []KeyValue{kv("/k", "b", 2, 3, 2)}, resp.Responses[0].Range.KVs)
			}
		})
	}
}

func TestTxnOneRevisionWithSubRevisions(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/a", "old")
	resp, err := s.Txn(TxnRequest{
		Success: []Op{
			OpPut("/b", []byte("1"), NoLease),
			OpGet("/b", "", RangeOptions{}),
			OpDelete("/a", ""),
			OpPut("/c", []byte("2"), NoLease),
			OpGet("/", allKeys, RangeOptions{}),
		},
	})
	require.NoError(t, err)
	assert.True(t, resp.Succeeded)
	assert.Equal(t, int64(3), resp.Rev)
	require.Len(t, resp.Responses, 5)
	assert.Equal(t, []KeyValue{kv("/b", "1", 3, 3, 1)}, resp.Responses[1].Range.KVs, "a read sees the txn's earlier writes")
	assert.Equal(t, int64(1), resp.Responses[2].Delete.Deleted)
	assert.Equal(t, []string{"/b", "/c"}, keysOf(resp.Responses[4].Range.KVs))
	for i, r := range resp.Responses {
		assert.Equal(t, int64(3), r.Range.Rev+r.Put.Rev+r.Delete.Rev, "response %d carries the txn revision", i)
	}
	// The history records the sub revisions in op order.
	var subs []int64
	for _, r := range s.log[1:] {
		subs = append(subs, r.sub)
	}
	assert.Equal(t, []int64{0, 1, 2}, subs)
}

func TestTxnErrors(t *testing.T) {
	ops := func(n int) []Op {
		out := make([]Op, n)
		for i := range out {
			out[i] = OpPut(fmt.Sprintf("/k%d", i), nil, NoLease)
		}
		return out
	}
	tests := []struct {
		name    string
		req     TxnRequest
		wantErr error
		wantMsg string
	}{
		{
			name:    "128 ops are fine",
			req:     TxnRequest{Success: ops(128)},
			wantErr: nil,
		},
		{
			name:    "too many ops",
			req:     TxnRequest{Success: ops(129)},
			wantErr: ErrTooManyOps,
			wantMsg: "etcdserver: too many operations in txn request",
		},
		{
			name:    "too many ops in failure branch",
			req:     TxnRequest{Failure: ops(129)},
			wantErr: ErrTooManyOps,
		},
		{
			name:    "two puts to one key",
			req:     TxnRequest{Success: []Op{OpPut("/a", nil, NoLease), OpPut("/a", nil, NoLease)}},
			wantErr: ErrDuplicateKey,
			wantMsg: "etcdserver: duplicate key given in txn request",
		},
		{
			name:    "put inside a deleted range",
			req:     TxnRequest{Success: []Op{OpDelete("/a", "/c"), OpPut("/b", nil, NoLease)}},
			wantErr: ErrDuplicateKey,
		},
		{
			name:    "duplicate in the failure branch",
			req:     TxnRequest{Failure: []Op{OpPut("/a", nil, NoLease), OpPut("/a", nil, NoLease)}},
			wantErr: ErrDuplicateKey,
		},
		{
			name: "put in both branches is fine",
			req: TxnRequest{
				Success: []Op{OpPut("/a", nil, NoLease)},
				Failure: []Op{OpPut("/a", nil, NoLease)},
			},
		},
		{
			name:    "overlapping deletes are fine",
			req:     TxnRequest{Success: []Op{OpDelete("/a", "/c"), OpDelete("/b", allKeys)}},
			wantErr: nil,
		},
		{
			name: "nested txn branches may overlap each other",
			req: TxnRequest{Success: []Op{OpTxn(TxnRequest{
				Success: []Op{OpPut("/a", nil, NoLease)},
				Failure: []Op{OpDelete("/a", "")},
			})}},
		},
		{
			name: "nested put duplicating an outer put",
			req: TxnRequest{Success: []Op{
				OpPut("/a", nil, NoLease),
				OpTxn(TxnRequest{Success: []Op{OpPut("/a", nil, NoLease)}}),
			}},
			wantErr: ErrDuplicateKey,
		},
		{
			name:    "unknown lease",
			req:     TxnRequest{Success: []Op{OpPut("/a", nil, 42)}},
			wantErr: ErrLeaseNotFound,
		},
		{
			name:    "empty key",
			req:     TxnRequest{Success: []Op{OpPut("", nil, NoLease)}},
			wantErr: ErrEmptyKey,
		},
		{
			name:    "range at a future revision",
			req:     TxnRequest{Success: []Op{OpPut("/a", nil, NoLease), OpGet("/a", "", RangeOptions{Rev: 100})}},
			wantErr: ErrFutureRev,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{})
			_, err := s.Txn(tt.req)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantMsg != "" {
				assert.EqualError(t, err, tt.wantMsg)
			}
			assert.Equal(t, int64(1), s.Rev(), "a refused txn changes nothing")
			assert.Empty(t, s.log)
		})
	}
}

func TestTxnUnknownLeaseOnlyMattersOnTheTakenBranch(t *testing.T) {
	s := New(Config{})
	resp, err := s.Txn(TxnRequest{
		Compare: []Compare{CmpVersion("/a", Equal, 0)},
		Success: []Op{OpPut("/a", []byte("x"), NoLease)},
		Failure: []Op{OpPut("/a", []byte("x"), 99)},
	})
	require.NoError(t, err)
	assert.True(t, resp.Succeeded)
}

func TestNestedTxnComparesSeeTheStateBeforeTheTxn(t *testing.T) {
	s := New(Config{})
	resp, err := s.Txn(TxnRequest{
		Success: []Op{
			OpPut("/a", []byte("1"), NoLease),
			OpTxn(TxnRequest{
				Compare: []Compare{CmpVersion("/a", Equal, 0)}, // true before the outer put
				Success: []Op{OpPut("/b", []byte("2"), NoLease)},
				Failure: []Op{OpPut("/c", []byte("3"), NoLease)},
			}),
		},
	})
	require.NoError(t, err)
	require.Len(t, resp.Responses, 2)
	require.NotNil(t, resp.Responses[1].Txn)
	assert.True(t, resp.Responses[1].Txn.Succeeded)
	assert.Equal(t, int64(2), resp.Responses[1].Txn.Rev)
	assert.Len(t, mustGet(t, s, "/b", 0), 1)
	assert.Empty(t, mustGet(t, s, "/c", 0))
	assert.Equal(t, int64(2), s.Rev())
}

func TestTxnCreateIfAbsentAndConditionalUpdate(t *testing.T) {
	// The two txns kube-apiserver's etcd3 storage sends.
	s := New(Config{})
	create := func(key, value string) bool {
		resp, err := s.Txn(TxnRequest{
			Compare: []Compare{CmpModRevision(key, Equal, 0)},
			Success: []Op{OpPut(key, []byte(value), NoLease)},
			Failure: []Op{OpGet(key, "", RangeOptions{})},
		})
		require.NoError(t, err)
		return resp.Succeeded
	}
	update := func(key, value string, rv int64) bool {
		resp, err := s.Txn(TxnRequest{
			Compare: []Compare{CmpModRevision(key, Equal, rv)},
			Success: []Op{OpPut(key, []byte(value), NoLease)},
			Failure: []Op{OpGet(key, "", RangeOptions{})},
		})
		require.NoError(t, err)
		return resp.Succeeded
	}
	assert.True(t, create("/registry/pods/default/web", "v1"))
	assert.False(t, create("/registry/pods/default/web", "v1"), "AlreadyExists")
	assert.False(t, update("/registry/pods/default/web", "v2", 1), "Conflict on a stale resourceVersion")
	assert.True(t, update("/registry/pods/default/web", "v2", 2))
	assert.Equal(t, []KeyValue{kv("/registry/pods/default/web", "v2", 2, 3, 2)}, mustGet(t, s, "/registry/pods/default/web", 0))
}

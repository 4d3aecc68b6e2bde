package mvcc

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuota(t *testing.T) {
	value := bytes.Repeat([]byte("x"), 1000)
	// Each put of a 1000-byte value under a 2-byte key costs 1066 bytes
	// (key, value and the fixed per-revision overhead).
	s := New(Config{QuotaBytes: 5000})
	for i := 0; i < 4; i++ {
		_, err := s.Put(fmt.Sprintf("/%d", i), value, NoLease)
		require.NoError(t, err)
	}
	require.Equal(t, int64(4*(2+1000+revisionOverheadBytes)), s.Status().DBSize)

	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{
			name:    "a put beyond the quota fails",
			op:      func() error { _, err := s.Put("/4", value, NoLease); return err },
			wantErr: ErrNoSpace,
		},
		{
			name: "so does a txn that puts",
			op: func() error {
				_, err := s.Txn(TxnRequest{Success: []Op{OpPut("/4", value, NoLease)}})
				return err
			},
			wantErr: ErrNoSpace,
		},
		{
			name: "a read-only txn is fine",
			op: func() error {
				_, err := s.Txn(TxnRequest{Success: []Op{OpGet("/0", "", RangeOptions{})}})
				return err
			},
		},
		{
			name:    "a small put still fits",
			op:      func() error { _, err := s.Put("/s", nil, NoLease); return err },
			wantErr: nil,
		},
		{
			name:    "deletes are allowed",
			op:      func() error { _, err := s.DeleteRange("/", allKeys); return err },
			wantErr: nil,
		},
		{
			name:    "deleting alone frees nothing: the history is still there",
			op:      func() error { _, err := s.Put("/4", value, NoLease); return err },
			wantErr: ErrNoSpace,
		},
		{
			name:    "compaction is allowed",
			op:      func() error { return s.Compact(s.Rev()) },
			wantErr: nil,
		},
		{
			name:    "and frees the space",
			op:      func() error { _, err := s.Put("/4", value, NoLease); return err },
			wantErr: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.EqualError(t, err, "etcdserver: mvcc: database space exceeded")
		})
	}
}

func TestQuotaDefaultsAndDisabling(t *testing.T) {
	assert.Equal(t, int64(2<<30), New(Config{}).cfg.QuotaBytes)
	s := New(Config{QuotaBytes: -1})
	_, err := s.Put("/big", make([]byte, 1<<20), NoLease)
	require.NoError(t, err)
}

func TestQuotaAppliesToLeaseGrant(t *testing.T) {
	s := New(Config{QuotaBytes: 100})
	_, err := s.Put("/a", make([]byte, 10), NoLease)
	require.NoError(t, err)
	_, err = s.Grant(0, 10, 0)
	assert.ErrorIs(t, err, ErrNoSpace)
}

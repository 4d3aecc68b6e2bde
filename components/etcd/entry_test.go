package etcd

import (
	"testing"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func genOps(t *rapid.T, label string, depth int) []mvcc.Op {
	n := rapid.IntRange(0, 3).Draw(t, label+"n")
	if n == 0 {
		return nil
	}
	ops := make([]mvcc.Op, n)
	for i := range ops {
		typ := mvcc.OpType(rapid.IntRange(1, 4).Draw(t, label+"type"))
		if typ == mvcc.OpTypeTxn && depth > 1 {
			typ = mvcc.OpTypePut
		}
		op := mvcc.Op{Type: typ, Key: rapid.String().Draw(t, label+"key"), End: rapid.String().Draw(t, label+"end"),
			Lease: mvcc.LeaseID(rapid.Int64().Draw(t, label+"lease")),
			Range: mvcc.RangeOptions{Rev: rapid.Int64().Draw(t, label+"rev"), Limit: rapid.Int64().Draw(t, label+"limit"),
				CountOnly: rapid.Bool().Draw(t, label+"count"), KeysOnly: rapid.Bool().Draw(t, label+"keys")}}
		if rapid.Bool().Draw(t, label+"hasValue") {
			op.Value = rapid.SliceOf(rapid.Byte()).Draw(t, label+"value")
			if op.Value == nil {
				op.Value = []byte{}
			}
		}
		if typ == mvcc.OpTypeTxn {
			nested := genTxn(t, label+"nested", depth+1)
			op.Txn = &nested
		}
		ops[i] = op
	}
	return ops
}

func genTxn(t *rapid.T, label string, depth int) mvcc.TxnRequest {
	var txn mvcc.TxnRequest
	for i, n := 0, rapid.IntRange(0, 3).Draw(t, label+"compares"); i < n; i++ {
		c := mvcc.Compare{Key: rapid.String().Draw(t, "ckey"), RangeEnd: rapid.String().Draw(t, "cend"),
			Target: mvcc.CompareTarget(rapid.IntRange(0, 4).Draw(t, "target")), Result: mvcc.CompareResult(rapid.IntRange(0, 3).Draw(t, "result")),
			Version: rapid.Int64().Draw(t, "v"), CreateRevision: rapid.Int64().Draw(t, "c"), ModRevision: rapid.Int64().Draw(t, "m"), Lease: rapid.Int64().Draw(t, "l")}
		if rapid.Bool().Draw(t, "cHasValue") {
			c.Value = append([]byte{}, rapid.SliceOf(rapid.Byte()).Draw(t, "cvalue")...)
		}
		txn.Compare = append(txn.Compare, c)
	}
	txn.Success = genOps(t, label+"success", depth)
	txn.Failure = genOps(t, label+"failure", depth)
	return txn
}

// Every request survives the trip through a raft entry unchanged.
func TestEntryRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := &request{kind: entryKind(rapid.IntRange(1, 4).Draw(t, "kind")), proposer: rapid.Uint64().Draw(t, "proposer"),
			inc: rapid.Uint64().Draw(t, "inc"), seq: rapid.Uint64().Draw(t, "seq")}
		switch r.kind {
		case entryTxn:
			r.txn = genTxn(t, "txn", 0)
		case entryCompact:
			r.compact = rapid.Int64().Draw(t, "compact")
		case entryLeaseGrant:
			r.lease, r.ttl = mvcc.LeaseID(rapid.Int64().Draw(t, "lease")), rapid.Int64().Draw(t, "ttl")
		case entryLeaseRevoke:
			r.lease = mvcc.LeaseID(rapid.Int64().Draw(t, "lease"))
		}
		got, err := decodeRequest(encodeRequest(r))
		require.NoError(t, err)
		assert.Equal(t, r, got)
	})
}

// Damaged entries are refused, never panic.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(encodeRequest(&request{kind: entryTxn, proposer: 7, inc: 1, seq: 3, txn: mvcc.TxnRequest{
		Compare: []mvcc.Compare{mvcc.CmpModRevision("/a", mvcc.Equal, 0)},
		Success: []mvcc.Op{mvcc.OpPut("/a", []byte("x"), 0), mvcc.OpTxn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpDelete("/b", "")}})}}}))
	f.Add(encodeRequest(&request{kind: entryLeaseGrant, lease: 5, ttl: 60}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRequest(data)
		if err == nil {
			again, err := decodeRequest(encodeRequest(r))
			require.NoError(t, err)
			assert.Equal(t, r, again)
		}
	})
}

package etcd

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
)

// A raft entry's data is one request, encoded here (etcd encodes an
// InternalRaftRequest protobuf). Layout, integers as varints:
//
//	kind byte | proposer member ID | proposer incarnation | sequence | body
//
// The proposer triple lets the member that proposed the entry find the
// client waiting for it when it applies the entry; every other member
// applies it without answering anyone.
type entryKind byte

const (
	entryTxn entryKind = iota + 1
	entryCompact
	entryLeaseGrant
	entryLeaseRevoke
)

func (k entryKind) String() string {
	switch k {
	case entryTxn:
		return "txn"
	case entryCompact:
		return "compaction"
	case entryLeaseGrant:
		return "lease grant"
	case entryLeaseRevoke:
		return "lease revoke"
	}
	return "unknown"
}

// request is a decoded entry.
type request struct {
	kind     entryKind
	proposer uint64
	inc      uint64
	seq      uint64

	txn     mvcc.TxnRequest
	compact int64
	lease   mvcc.LeaseID
	ttl     int64
}

var errBadEntry = errors.New("etcdserver: undecodable raft entry")

func encodeRequest(r *request) []byte {
	b := make([]byte, 0, 64)
	b = append(b, byte(r.kind))
	b = binary.AppendUvarint(b, r.proposer)
	b = binary.AppendUvarint(b, r.inc)
	b = binary.AppendUvarint(b, r.seq)
	switch r.kind {
	case entryTxn:
		b = appendTxn(b, &r.txn)
	case entryCompact:
		b = binary.AppendVarint(b, r.compact)
	case entryLeaseGrant:
		b = binary.AppendVarint(b, int64(r.lease))
		b = binary.AppendVarint(b, r.ttl)
	case entryLeaseRevoke:
		b = binary.AppendVarint(b, int64(r.lease))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTxn(b []byte, t *mvcc.TxnRequest) []byte {
	b = binary.AppendUvarint(b, uint64(len(t.Compare)))
	for _, c := range t.Compare {
		b = appendString(b, c.Key)
		b = appendString(b, c.RangeEnd)
		b = binary.AppendVarint(b, int64(c.Target))
		b = binary.AppendVarint(b, int64(c.Result))
		b = binary.AppendVarint(b, c.Version)
		b = binary.AppendVarint(b, c.CreateRevision)
		b = binary.AppendVarint(b, c.ModRevision)
		b = binary.AppendVarint(b, c.Lease)
		b = appendBool(b, c.Value != nil)
		b = appendString(b, string(c.Value))
	}
	b = appendOps(b, t.Success)
	return appendOps(b, t.Failure)
}

func appendOps(b []byte, ops []mvcc.Op) []byte {
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for i := range ops {
		op := &ops[i]
		b = binary.AppendVarint(b, int64(op.Type))
		b = appendString(b, op.Key)
		b = appendString(b, op.End)
		b = appendBool(b, op.Value != nil)
		b = appendString(b, string(op.Value))
		b = binary.AppendVarint(b, int64(op.Lease))
		b = binary.AppendVarint(b, op.Range.Rev)
		b = binary.AppendVarint(b, op.Range.Limit)
		b = appendBool(b, op.Range.CountOnly)
		b = appendBool(b, op.Range.KeysOnly)
		b = appendBool(b, op.Txn != nil)
		if op.Txn != nil {
			b = appendTxn(b, op.Txn)
		}
	}
	return b
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadEntry
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errBadEntry
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errBadEntry
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errBadEntry
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

// count reads a length, refusing one that cannot fit in what is left (every
// element takes at least a byte), so damaged data cannot allocate wildly.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = errBadEntry
		return 0
	}
	return int(n)
}

func decodeRequest(data []byte) (*request, error) {
	d := &decoder{b: data}
	r := &request{kind: entryKind(d.byte())}
	r.proposer, r.inc, r.seq = d.uvarint(), d.uvarint(), d.uvarint()
	switch r.kind {
	case entryTxn:
		r.txn = d.txn(0)
	case entryCompact:
		r.compact = d.varint()
	case entryLeaseGrant:
		r.lease = mvcc.LeaseID(d.varint())
		r.ttl = d.varint()
	case entryLeaseRevoke:
		r.lease = mvcc.LeaseID(d.varint())
	default:
		d.err = errBadEntry
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errBadEntry
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w (%d bytes)", d.err, len(data))
	}
	return r, nil
}

func (d *decoder) txn(depth int) mvcc.TxnRequest {
	var t mvcc.TxnRequest
	if depth > 64 {
		d.err = errBadEntry
		return t
	}
	if n := d.count(); n > 0 {
		t.Compare = make([]mvcc.Compare, n)
		for i := range t.Compare {
			c := &t.Compare[i]
			c.Key = d.string()
			c.RangeEnd = d.string()
			c.Target = mvcc.CompareTarget(d.varint())
			c.Result = mvcc.CompareResult(d.varint())
			c.Version = d.varint()
			c.CreateRevision = d.varint()
			c.ModRevision = d.varint()
			c.Lease = d.varint()
			if set := d.bool(); set {
				c.Value = d.bytes()
			} else {
				d.bytes()
			}
		}
	}
	t.Success = d.ops(depth)
	t.Failure = d.ops(depth)
	return t
}

func (d *decoder) ops(depth int) []mvcc.Op {
	n := d.count()
	if n == 0 {
		return nil
	}
	ops := make([]mvcc.Op, n)
	for i := range ops {
		op := &ops[i]
		op.Type = mvcc.OpType(d.varint())
		op.Key = d.string()
		op.End = d.string()
		if set := d.bool(); set {
			op.Value = d.bytes()
		} else {
			d.bytes()
		}
		op.Lease = mvcc.LeaseID(d.varint())
		op.Range.Rev = d.varint()
		op.Range.Limit = d.varint()
		op.Range.CountOnly = d.bool()
		op.Range.KeysOnly = d.bool()
		if d.bool() {
			t := d.txn(depth + 1)
			op.Txn = &t
		}
		if d.err != nil {
			return nil
		}
	}
	return ops
}

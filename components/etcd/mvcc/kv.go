package mvcc

import "time"

// KeyValue is one version of a key, as etcd's mvccpb.KeyValue.
//
// Values handed out by the store (in range results, previous values and
// watch events) share their Value bytes with the store's history: treat them
// as read-only.
type KeyValue struct {
	Key   string
	Value []byte
	// CreateRevision is the revision that created the current generation
	// of the key (0 in a DELETE event's KV).
	CreateRevision int64
	// ModRevision is the revision of this version.
	ModRevision int64
	// Version counts changes since creation: 1 on create, +1 per update.
	// A deleted key has version 0.
	Version int64
	// Lease is the lease the key is attached to, 0 for none.
	Lease int64
}

// LeaseID identifies a lease. NoLease (0) means "not attached".
type LeaseID int64

// NoLease is the zero LeaseID: a key written with it belongs to no lease.
const NoLease LeaseID = 0

// RangeOptions tune a Range.
type RangeOptions struct {
	// Rev is the revision to read at; 0 (or negative) means the current
	// revision. A revision below the compact revision fails with
	// ErrCompacted, one above the current revision with ErrFutureRev.
	Rev int64
	// Limit caps the number of returned KVs; 0 means no limit. Count still
	// reports every match.
	Limit int64
	// CountOnly returns only Count.
	CountOnly bool
	// KeysOnly returns KVs without values.
	KeysOnly bool
}

// RangeResult is the answer to a Range.
type RangeResult struct {
	// KVs are the visible keys in key order, at most Limit of them.
	KVs []KeyValue
	// Rev is the store's current revision when the range was served (the
	// response header revision in etcd), not the revision read at.
	Rev int64
	// Count is the number of keys that matched, regardless of Limit.
	Count int64
	// More is true when Limit cut the result short.
	More bool
}

// PutResult is the answer to a Put.
type PutResult struct {
	// Rev is the revision the write created.
	Rev int64
	// PrevKV is the version the put replaced; nil if the key did not exist.
	// It points into the store's history: read-only.
	PrevKV *KeyValue
}

// DeleteResult is the answer to a DeleteRange.
type DeleteResult struct {
	// Rev is the revision of the delete, or the unchanged current revision
	// when nothing was deleted (an empty delete is not a write).
	Rev int64
	// Deleted counts the deleted keys.
	Deleted int64
	// PrevKVs are the deleted versions in key order.
	PrevKVs []KeyValue
}

// ReadView reads the store at its current or a past revision.
type ReadView interface {
	// FirstRev is the oldest revision that can still be read: the compact
	// revision (0 before any compaction).
	FirstRev() int64
	// Rev is the current revision.
	Rev() int64
	// Range reads [key, end) at opt.Rev; see Range on Store for end.
	Range(key, end string, opt RangeOptions) (RangeResult, error)
}

// WriteView changes the store; every call that changes something is one
// revision.
type WriteView interface {
	Put(key string, value []byte, lease LeaseID) (PutResult, error)
	DeleteRange(key, end string) (DeleteResult, error)
}

// KV is a multi-version key-value store: reads, writes, transactions and
// compaction.
type KV interface {
	ReadView
	WriteView
	Txn(req TxnRequest) (TxnResponse, error)
	Compact(rev int64) error
}

// WatchableKV is a KV whose changes can be watched.
type WatchableKV interface {
	KV
	Watch(req WatchRequest, sink func(WatchResponse)) (WatchID, error)
	CancelWatch(id WatchID) error
	RequestProgress(id WatchID) error
}

// Lessor grants leases and revokes the keys attached to them. Time is an
// argument: the store has no clock.
type Lessor interface {
	Grant(id LeaseID, ttlSeconds int64, now time.Duration) (Lease, error)
	KeepAlive(id LeaseID, now time.Duration) (int64, error)
	Revoke(id LeaseID) (DeleteResult, error)
	Expire(now time.Duration) []LeaseID
	TimeToLive(id LeaseID, now time.Duration) (LeaseStatus, error)
	Leases() []LeaseID
}

var (
	_ WatchableKV = (*Store)(nil)
	_ Lessor      = (*Store)(nil)
)

package mvcc

import (
	"github.com/google/btree"
)

// Defaults, as etcd's.
const (
	// DefaultQuotaBytes is etcd's default backend quota (--quota-backend-bytes):
	// 2 GiB.
	DefaultQuotaBytes int64 = 2 << 30
	// DefaultMaxTxnOps is etcd's default --max-txn-ops.
	DefaultMaxTxnOps = 128
	// DefaultMinLeaseTTL is the minimum lease TTL in seconds. etcd derives
	// it from the election timeout as ceil(1.5 * election timeout); with
	// the default 1000 ms that is 2 s.
	DefaultMinLeaseTTL int64 = 2
	// MaxLeaseTTL is etcd's upper bound on a lease TTL, in seconds.
	MaxLeaseTTL int64 = 9_000_000_000
)

// allKeys as a range end means "every key at or after the start key", as in
// etcd's RangeRequest.
const allKeys = "\x00"

// Config tunes a Store. The zero value gives etcd's defaults.
type Config struct {
	// QuotaBytes caps the approximate size of the store (see Status.DBSize
	// for how it is counted). A write that would take the size beyond it
	// fails with ErrNoSpace; deletes, compaction and lease revocation are
	// always allowed, because they are how an operator makes room. 0 means
	// DefaultQuotaBytes; a negative value disables the quota, as a negative
	// --quota-backend-bytes does in etcd.
	//
	// Unlike etcd, the store does not latch a NOSPACE alarm: once
	// compaction frees room, writes succeed again. In etcd the alarm stays
	// until an operator defragments and runs `etcdctl alarm disarm`; an
	// etcd-member actor that wants that behaviour can latch on ErrNoSpace.
	QuotaBytes int64

	// MaxTxnOps caps the operations per txn branch and the compares per
	// txn; a txn beyond it fails with ErrTooManyOps. 0 means
	// DefaultMaxTxnOps (etcd's --max-txn-ops default, 128).
	MaxTxnOps int

	// MinLeaseTTL is the smallest TTL, in seconds, Grant hands out: a
	// shorter request is raised to it, as etcd's lessor does so that a
	// lease cannot expire during a leader election. 0 means
	// DefaultMinLeaseTTL (2 s).
	MinLeaseTTL int64
}

func (c Config) withDefaults() Config {
	if c.QuotaBytes == 0 {
		c.QuotaBytes = DefaultQuotaBytes
	}
	if c.MaxTxnOps <= 0 {
		c.MaxTxnOps = DefaultMaxTxnOps
	}
	if c.MinLeaseTTL <= 0 {
		c.MinLeaseTTL = DefaultMinLeaseTTL
	}
	return c
}

// Size accounting. The store approximates the bytes etcd's bbolt file would
// use for the same data: every retained revision costs its key and value
// plus a fixed per-revision overhead (the 17-byte revision key, the
// protobuf framing of mvccpb.KeyValue and bbolt's leaf element header), and
// every lease a fixed cost. Compaction frees its revisions at once, as if
// it were followed by a defragmentation.
const (
	revisionOverheadBytes = 64
	leaseOverheadBytes    = 32
)

func recordBytes(r *record) int64 {
	return int64(len(r.kv.Key) + len(r.kv.Value) + revisionOverheadBytes)
}

// Store is an etcd-like multi-version key-value store with watches and
// leases. It is a pure data structure: no goroutines, clocks, I/O or locks.
// One owner drives it; its methods must not be called concurrently, and
// time comes in as arguments.
type Store struct {
	cfg Config

	rev        int64 // current revision
	compactRev int64 // 0 until the first compaction

	index treeIndex
	// log holds every retained record in revision order: the stand-in for
	// etcd's revision-keyed backend bucket, read by watches that start in
	// the past and by snapshots.
	log  []*record
	live int   // keys that currently exist
	size int64 // approximate bytes, see recordBytes

	// The write transaction in progress: its main revision, next sub
	// revision and the changes made so far.
	txnMain int64
	txnSub  int64
	changes []change

	leases      map[LeaseID]*lease
	leaseExpiry *btree.BTreeG[*lease]
	nextLeaseID LeaseID

	watchers watcherIndex
	// notifying is set while sinks run; writes from a sink are a bug.
	notifying bool
}

// change is one write of a transaction, kept for the watchers.
type change struct {
	rec  *record
	prev *record // the version replaced or deleted; nil on create
}

// New returns an empty store at revision 1, as a fresh etcd reports.
func New(cfg Config) *Store {
	return &Store{
		cfg:         cfg.withDefaults(),
		rev:         1,
		index:       newTreeIndex(),
		leases:      make(map[LeaseID]*lease),
		leaseExpiry: btree.NewG(8, lessLeaseExpiry),
		nextLeaseID: 1,
		watchers:    newWatcherIndex(),
	}
}

// Rev returns the current revision.
func (s *Store) Rev() int64 { return s.rev }

// FirstRev returns the compact revision, the oldest readable revision (0
// before any compaction).
func (s *Store) FirstRev() int64 { return s.compactRev }

// Status describes the store, in the spirit of etcd's StatusResponse.
type Status struct {
	Revision        int64
	CompactRevision int64
	// Keys counts the keys that exist at the current revision.
	Keys int
	// Revisions counts the retained records (versions and tombstones).
	Revisions int
	// DBSize approximates the bytes in use (etcd's dbSizeInUse): per
	// retained revision its key, value and a fixed overhead, plus a fixed
	// cost per lease. It is what QuotaBytes is checked against.
	DBSize   int64
	Leases   int
	Watchers int
}

// Status returns the store's current figures.
func (s *Store) Status() Status {
	return Status{
		Revision:        s.rev,
		CompactRevision: s.compactRev,
		Keys:            s.live,
		Revisions:       len(s.log),
		DBSize:          s.size,
		Leases:          len(s.leases),
		Watchers:        len(s.watchers.byID),
	}
}

// PrefixEnd returns the range end that makes [prefix, PrefixEnd(prefix))
// cover every key with the prefix, as clientv3.GetPrefixRangeEnd: the
// prefix with its last byte below 0xff incremented and what follows
// dropped; "\x00" (every key) when there is no such byte.
func PrefixEnd(prefix string) string {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return string(end[:i+1])
		}
	}
	return allKeys
}

// checkRev resolves the revision a read asks for against the current one.
func (s *Store) checkRev(rev, cur int64) (int64, error) {
	if rev <= 0 {
		return cur, nil
	}
	if rev > cur {
		return 0, ErrFutureRev
	}
	if rev < s.compactRev {
		return 0, ErrCompacted
	}
	return rev, nil
}

// Range returns the keys in [key, end) visible at opt.Rev, in key order.
// end == "" names the single key; end == "\x00" means every key at or after
// key; an end at or before key matches nothing.
func (s *Store) Range(key, end string, opt RangeOptions) (RangeResult, error) {
	if key == "" {
		return RangeResult{}, ErrEmptyKey
	}
	rev, err := s.checkRev(opt.Rev, s.rev)
	if err != nil {
		return RangeResult{}, err
	}
	res := s.rangeAt(key, end, rev, opt)
	res.Rev = s.rev
	return res, nil
}

// rangeAt reads at a checked revision.
func (s *Store) rangeAt(key, end string, rev int64, opt RangeOptions) RangeResult {
	var res RangeResult
	emit := func(r *record) {
		res.Count++
		if opt.CountOnly || (opt.Limit > 0 && int64(len(res.KVs)) >= opt.Limit) {
			return
		}
		kv := r.kv
		if opt.KeysOnly {
			kv.Value = nil
		}
		res.KVs = append(res.KVs, kv)
	}
	if end == "" {
		if ki := s.index.get(key); ki != nil {
			if r := ki.at(rev); r != nil {
				emit(r)
			}
		}
	} else {
		s.index.ascend(key, end, func(ki *keyIndex) bool {
			if r := ki.at(rev); r != nil {
				emit(r)
			}
			return true
		})
	}
	res.More = !opt.CountOnly && opt.Limit > 0 && res.Count > opt.Limit
	return res
}

// Put writes value under key, attached to lease (NoLease for none), as one
// revision. The value is copied. An unknown lease fails with
// ErrLeaseNotFound, a write beyond the quota with ErrNoSpace.
func (s *Store) Put(key string, value []byte, lease LeaseID) (PutResult, error) {
	s.mustNotBeNotifying()
	if key == "" {
		return PutResult{}, ErrEmptyKey
	}
	if err := s.checkLease(lease); err != nil {
		return PutResult{}, err
	}
	if err := s.checkQuota(putCost(key, value)); err != nil {
		return PutResult{}, err
	}
	s.beginWrite()
	prev := s.put(key, value, lease)
	var res PutResult
	if prev != nil {
		res.PrevKV = &prev.kv
	}
	res.Rev = s.commitWrite()
	return res, nil
}

// DeleteRange deletes the keys in [key, end) (end as in Range) as one
// revision and returns what it deleted. Deleting nothing is not a write and
// leaves the revision alone.
func (s *Store) DeleteRange(key, end string) (DeleteResult, error) {
	s.mustNotBeNotifying()
	if key == "" {
		return DeleteResult{}, ErrEmptyKey
	}
	s.beginWrite()
	res := s.deleteRange(key, end)
	res.Rev = s.commitWrite()
	return res, nil
}

func putCost(key string, value []byte) int64 {
	return int64(len(key) + len(value) + revisionOverheadBytes)
}

func (s *Store) checkQuota(cost int64) error {
	if s.cfg.QuotaBytes > 0 && cost > 0 && s.size+cost > s.cfg.QuotaBytes {
		return ErrNoSpace
	}
	return nil
}

func (s *Store) checkLease(id LeaseID) error {
	if id == NoLease {
		return nil
	}
	if _, ok := s.leases[id]; !ok {
		return ErrLeaseNotFound
	}
	return nil
}

func (s *Store) mustNotBeNotifying() {
	if s.notifying {
		panic("mvcc: store changed from inside a watch sink; a sink must hand events off, not write")
	}
}

// beginWrite opens a write transaction at the next revision.
func (s *Store) beginWrite() {
	s.txnMain = s.rev + 1
	s.txnSub = 0
	s.changes = s.changes[:0]
}

// commitWrite closes the write transaction: if it changed anything the
// revision moves and the watchers hear about it. It returns the revision.
func (s *Store) commitWrite() int64 {
	if len(s.changes) == 0 {
		return s.rev
	}
	s.rev = s.txnMain
	s.notify(s.rev, s.changes)
	clear(s.changes) // let go of the records
	s.changes = s.changes[:0]
	return s.rev
}

// readRevInTxn is the revision a read inside the open write transaction
// sees: its own writes once it has made some, as in etcd.
func (s *Store) readRevInTxn() int64 {
	if len(s.changes) > 0 {
		return s.txnMain
	}
	return s.rev
}

func (s *Store) appendRecord(r *record) {
	s.log = append(s.log, r)
	s.size += recordBytes(r)
}

// put writes one key inside the open transaction and returns the version it
// replaced. Lease and quota have been checked.
func (s *Store) put(key string, value []byte, lease LeaseID) (prev *record) {
	ki := s.index.getOrCreate(key)
	prev = ki.latest()
	r := &record{
		kv: KeyValue{
			Key:            ki.key,
			ModRevision:    s.txnMain,
			CreateRevision: s.txnMain,
			Version:        1,
			Lease:          int64(lease),
		},
		sub: s.txnSub,
		ki:  ki,
	}
	if len(value) > 0 {
		r.kv.Value = append(make([]byte, 0, len(value)), value...)
	}
	s.txnSub++
	if prev != nil {
		r.kv.CreateRevision = prev.kv.CreateRevision
		r.kv.Version = prev.kv.Version + 1
		if old := LeaseID(prev.kv.Lease); old != NoLease && old != lease {
			s.detachKey(old, key)
		}
	} else {
		s.live++
	}
	if lease != NoLease {
		s.attachKey(lease, ki.key)
	}
	ki.put(r)
	s.appendRecord(r)
	s.changes = append(s.changes, change{rec: r, prev: prev})
	return prev
}

// deleteRange tombstones the live keys in [key, end) inside the open
// transaction.
func (s *Store) deleteRange(key, end string) DeleteResult {
	var res DeleteResult
	if end == "" {
		if ki := s.index.get(key); ki != nil {
			if prev := ki.latest(); prev != nil {
				s.tombstone(ki, prev)
				res.PrevKVs = append(res.PrevKVs, prev.kv)
			}
		}
	} else {
		// Tombstoning appends to a keyIndex and leaves the btree alone, so
		// it is safe during the walk.
		s.index.ascend(key, end, func(ki *keyIndex) bool {
			if prev := ki.latest(); prev != nil {
				s.tombstone(ki, prev)
				res.PrevKVs = append(res.PrevKVs, prev.kv)
			}
			return true
		})
	}
	res.Deleted = int64(len(res.PrevKVs))
	return res
}

func (s *Store) tombstone(ki *keyIndex, prev *record) {
	r := &record{
		kv:        KeyValue{Key: ki.key, ModRevision: s.txnMain},
		sub:       s.txnSub,
		tombstone: true,
		ki:        ki,
	}
	s.txnSub++
	if old := LeaseID(prev.kv.Lease); old != NoLease {
		s.detachKey(old, ki.key)
	}
	s.live--
	ki.tombstone(r)
	s.appendRecord(r)
	s.changes = append(s.changes, change{rec: r, prev: prev})
}

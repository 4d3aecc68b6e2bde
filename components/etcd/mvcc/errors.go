package mvcc

import "errors"

// Errors returned by the store. Each text is etcd's for the same situation,
// so messages surfaced by the simulated apiserver read like the real thing.
// All are sentinels: compare with errors.Is. The two mvcc errors are the
// storage layer's texts; over gRPC etcd prefixes them with "etcdserver: ",
// which a server actor built on this package can add.
var (
	// ErrCompacted: the requested revision is below the compact revision
	// (etcd mvcc.ErrCompacted).
	ErrCompacted = errors.New("mvcc: required revision has been compacted")
	// ErrFutureRev: the requested revision is above the current revision
	// (etcd mvcc.ErrFutureRev).
	ErrFutureRev = errors.New("mvcc: required revision is a future revision")

	// ErrEmptyKey: a request named the empty key (rpctypes.ErrGRPCEmptyKey).
	ErrEmptyKey = errors.New("etcdserver: key is not provided")
	// ErrTooManyOps: a branch of a txn, or its compare list, holds more
	// operations than Config.MaxTxnOps (rpctypes.ErrGRPCTooManyOps).
	ErrTooManyOps = errors.New("etcdserver: too many operations in txn request")
	// ErrDuplicateKey: one execution path of a txn would write a key twice
	// (rpctypes.ErrGRPCDuplicateKey).
	ErrDuplicateKey = errors.New("etcdserver: duplicate key given in txn request")
	// ErrNoSpace: the write would take the store beyond Config.QuotaBytes
	// (rpctypes.ErrGRPCNoSpace).
	ErrNoSpace = errors.New("etcdserver: mvcc: database space exceeded")

	// ErrLeaseNotFound: the lease does not exist, or has expired
	// (rpctypes.ErrGRPCLeaseNotFound).
	ErrLeaseNotFound = errors.New("etcdserver: requested lease not found")
	// ErrLeaseExists: Grant with an ID already in use
	// (rpctypes.ErrGRPCLeaseExist).
	ErrLeaseExists = errors.New("etcdserver: lease already exists")
	// ErrLeaseTTLTooLarge: Grant with a TTL above MaxLeaseTTL
	// (rpctypes.ErrGRPCLeaseTTLTooLarge).
	ErrLeaseTTLTooLarge = errors.New("etcdserver: too large lease TTL")

	// ErrWatcherNotExist: CancelWatch with an unknown or already cancelled
	// ID (etcd mvcc.ErrWatcherNotExist).
	ErrWatcherNotExist = errors.New("mvcc: watcher does not exist")

	// ErrSnapshotIntegrity: Restore was given bytes that are truncated, fail
	// the appended sha256, or do not decode. The wording is etcdutl's (its
	// `snapshot status` check); etcdutl's restore reports a digest mismatch
	// as "expected sha256 ..., got ...", which Restore appends as detail.
	ErrSnapshotIntegrity = errors.New("snapshot file integrity check failed")
	// ErrRestoreOptions: BumpRevision and MarkCompacted were not given
	// together, a rule etcdutl enforces for --bump-revision and
	// --mark-compacted.
	ErrRestoreOptions = errors.New("snapshot restore: mark-compacted is required if bump-revision > 0, disallowed otherwise")
)

// CompactedError is returned by Watch when the requested start revision has
// been compacted away. It carries the compact revision, as etcd's cancelled
// watch response does in its compact_revision field, so the caller can
// report it (kube-apiserver turns it into 410 Gone) and relist.
// errors.Is(err, ErrCompacted) holds.
type CompactedError struct {
	// CompactRevision is the store's compact revision when the watch was
	// refused; watching from it works.
	CompactRevision int64
}

func (e *CompactedError) Error() string { return ErrCompacted.Error() }

// Unwrap makes errors.Is(err, ErrCompacted) true.
func (e *CompactedError) Unwrap() error { return ErrCompacted }

// Package mvcc is kubesim's etcd storage engine: an in-memory,
// multi-version key-value store with etcd v3 semantics — revisions,
// transactions, compaction, watches, leases, a space quota and snapshots.
//
// It is a pure data structure in the style of go.etcd.io/raft: no
// goroutines, clocks, I/O or locks. An etcd-member actor owns one Store and
// drives it, one call at a time; virtual time comes in as arguments
// (Grant, KeepAlive, Expire), and watch events go out synchronously through
// the sink functions the owner registered. The package calls nothing
// outside the standard library and the btree it indexes keys with.
//
// # Revisions
//
// The store revision starts at 1 and rises by one for every write
// transaction that changes something: a Put, a DeleteRange that deletes, a
// Txn with writes (all its writes share the revision and are ordered by a
// sub revision), a lease revocation that deletes keys. Reads, read-only
// txns, empty deletes and compactions leave it alone.
//
// Every key carries three counters, as etcd's mvccpb.KeyValue:
// CreateRevision (the revision that created it), ModRevision (the revision
// of its latest change) and Version (1 on create, +1 per update). Deleting
// a key ends its generation; creating it again starts a new one, with a
// new create revision and version 1.
//
// # Generations
//
// The key index (a btree of keys, as etcd's treeIndex, with a hash map
// beside it for point lookups) keeps, for each key, the revisions of its
// versions grouped into generations; each revision points at an immutable
// record holding the value. A worked example on key "/k" (t marks a
// tombstone):
//
//	rev 2  put    /k=a     generations: {2}
//	rev 3  put    /k=b                  {2, 3}
//	rev 4  delete /k                    {2, 3, 4t} {}
//	rev 5  put    /x=y     (another key; /k unchanged)
//	rev 6  put    /k=c                  {2, 3, 4t} {6}
//
//	Range("/k", rev=3) -> b  (create 2, mod 3, version 2)
//	Range("/k", rev=5) -> nothing: rev 5 is after the tombstone
//	Range("/k")        -> c  (create 6, mod 6, version 1)
//
// Compact(rev) keeps, per key, the newest version at or below rev and
// everything after it, and drops generations that ended before rev:
//
//	Compact(3)  {3, 4t} {6}    reads at 3 still see b
//	Compact(4)  {4t} {6}       the tombstone at 4 stays, so a watch from
//	                           revision 4 still reports the delete
//	Compact(6)  {6}
//
// Reads below the compact revision fail with ErrCompacted; reading at it
// works.
//
// # Watches
//
// Watch takes a key range and an inclusive start revision. History from
// the start revision is replayed before Watch returns; every later write
// reaches the sink from inside the call that made it, as one WatchResponse
// per revision holding that revision's matching events. A start revision
// below the compact revision is refused with a *CompactedError carrying the
// compact revision (etcd cancels such a watch with compact_revision set;
// kube-apiserver then answers 410 Gone and the client relists).
// RequestProgress answers with an empty response at the current revision,
// as etcd's progress notification.
//
// Watchers are indexed so that a write visits only those that can match
// it: single-key watches by hash, '/'-terminated prefix watches (the
// apiserver's per-resource and per-namespace watches) by hashing the key's
// '/'-prefixes, and any other range in an interval tree.
//
// # Leases
//
// Grant, KeepAlive, Revoke, Expire and TimeToLive follow etcd's lessor;
// the owner calls Expire(now) as its virtual clock advances. Expired leases
// are revoked in lease-ID order, each revocation deleting its keys in one
// revision.
//
// # Quota and snapshots
//
// Config.QuotaBytes bounds the approximate size (Status.DBSize); a write
// past it fails with ErrNoSpace while deletes and compaction still work.
// Snapshot serializes everything into a versioned byte format with a
// sha256 appended, as `etcdctl snapshot save` appends one to the bbolt
// file; Restore builds a new store from it, optionally bumping the
// revision and marking it compacted, as `etcdutl snapshot restore
// --bump-revision --mark-compacted` does so that clients watching from old
// revisions get ErrCompacted and relist instead of missing writes.
//
// # Departures from etcd
//
// Values live in memory; DBSize approximates bbolt's usage and shrinks on
// compaction as if defragmented. No NOSPACE alarm is latched. Lease IDs
// are allocated sequentially for determinism. Watch IDs are per store,
// from 1.
package mvcc

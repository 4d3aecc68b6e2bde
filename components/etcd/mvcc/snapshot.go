package mvcc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Snapshot layout (format version 1). Integers are varints (signed) or
// uvarints (lengths, counts) from encoding/binary; strings and byte slices
// are a uvarint length followed by the bytes.
//
//	magic "kubesim-mvcc" | format version byte
//	revision | compact revision | next lease ID
//	record count, then per record in revision order:
//	    main | sub | flags (bit 0: tombstone) | key
//	    unless a tombstone: value | create revision | version | lease
//	lease count, then per lease in ID order: ID | TTL seconds
//	sha256 of everything above (32 bytes)
//
// Like the sha256 `etcdctl snapshot save` appends to the bbolt file, the
// digest lets Restore refuse a damaged copy.
const (
	snapshotMagic   = "kubesim-mvcc"
	snapshotVersion = 1
	flagTombstone   = 1
)

// Snapshot serializes the whole store: every retained revision, the
// current and compact revisions and the leases (their IDs and TTLs; leases
// restart their countdown on Restore). Watchers are not part of it.
func (s *Store) Snapshot() []byte {
	b := make([]byte, 0, 64+s.size)
	b = append(b, snapshotMagic...)
	b = append(b, snapshotVersion)
	b = binary.AppendVarint(b, s.rev)
	b = binary.AppendVarint(b, s.compactRev)
	b = binary.AppendVarint(b, int64(s.nextLeaseID))
	b = binary.AppendUvarint(b, uint64(len(s.log)))
	for _, r := range s.log {
		b = binary.AppendVarint(b, r.kv.ModRevision)
		b = binary.AppendVarint(b, r.sub)
		var flags byte
		if r.tombstone {
			flags |= flagTombstone
		}
		b = append(b, flags)
		b = appendBytes(b, r.kv.Key)
		if r.tombstone {
			continue
		}
		b = appendBytes(b, string(r.kv.Value))
		b = binary.AppendVarint(b, r.kv.CreateRevision)
		b = binary.AppendVarint(b, r.kv.Version)
		b = binary.AppendVarint(b, r.kv.Lease)
	}
	ids := s.Leases()
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binary.AppendVarint(b, int64(id))
		b = binary.AppendVarint(b, s.leases[id].ttl)
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Config configures the new store.
	Config Config
	// BumpRevision moves the restored revision forward by this much, as
	// etcdutl's --bump-revision: revisions that clients saw after the
	// snapshot was taken are then in the past of the restored store rather
	// than reused for different writes. Requires MarkCompacted.
	BumpRevision int64
	// MarkCompacted compacts the restored store at its (bumped) revision,
	// as etcdutl's --mark-compacted, so watchers resuming from an old
	// revision get ErrCompacted and relist. Requires BumpRevision > 0.
	MarkCompacted bool
	// Now is the virtual time of the restore: every lease restarts with
	// its full TTL from it, as etcd refreshes leases when a new leader
	// takes over.
	Now time.Duration
}

// Restore builds a new store from a Snapshot, as `etcdutl snapshot restore`
// builds a new data directory. Bytes that are truncated, fail the sha256 or
// do not decode fail with ErrSnapshotIntegrity.
func Restore(data []byte, opt RestoreOptions) (*Store, error) {
	if opt.BumpRevision < 0 || (opt.BumpRevision > 0) != opt.MarkCompacted {
		return nil, ErrRestoreOptions
	}
	if len(data) < len(snapshotMagic)+1+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes is too short for a snapshot", ErrSnapshotIntegrity, len(data))
	}
	body, want := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], want) {
		return nil, fmt.Errorf("%w: expected sha256 %x, got %x", ErrSnapshotIntegrity, want, got[:])
	}
	s, err := decodeSnapshot(body, opt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshotIntegrity, err)
	}
	if opt.MarkCompacted {
		s.rev += opt.BumpRevision
		if err := s.Compact(s.rev); err != nil {
			return nil, err
		}
	}
	return s, nil
}

var errTruncated = errors.New("truncated")

type snapshotReader struct {
	b   []byte
	err error
}

func (r *snapshotReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapshotReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapshotReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errTruncated
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *snapshotReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func decodeSnapshot(body []byte, opt RestoreOptions) (*Store, error) {
	if !bytes.HasPrefix(body, []byte(snapshotMagic)) {
		return nil, errors.New("not a kubesim mvcc snapshot")
	}
	r := &snapshotReader{b: body[len(snapshotMagic):]}
	if v := r.byte(); v != snapshotVersion {
		return nil, fmt.Errorf("unsupported snapshot format version %d", v)
	}
	s := New(opt.Config)
	s.rev = r.varint()
	s.compactRev = r.varint()
	s.nextLeaseID = LeaseID(r.varint())
	n := r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if s.rev < 1 || s.compactRev < 0 || s.compactRev > s.rev {
		return nil, fmt.Errorf("revision %d with compact revision %d", s.rev, s.compactRev)
	}
	if n > uint64(len(r.b)) { // every record takes several bytes
		return nil, errTruncated
	}
	s.log = make([]*record, 0, n)
	var last revision
	for i := uint64(0); i < n && r.err == nil; i++ {
		rec := &record{}
		rec.kv.ModRevision = r.varint()
		rec.sub = r.varint()
		rec.tombstone = r.byte()&flagTombstone != 0
		key := string(r.bytes())
		if !rec.tombstone {
			if v := r.bytes(); len(v) > 0 {
				rec.kv.Value = bytes.Clone(v)
			}
			rec.kv.CreateRevision = r.varint()
			rec.kv.Version = r.varint()
			rec.kv.Lease = r.varint()
		}
		if r.err != nil {
			break
		}
		if key == "" || rec.kv.ModRevision < 1 || !last.less(rec.rev()) || rec.kv.ModRevision > s.rev {
			return nil, fmt.Errorf("record %d (%q at %d) out of order", i, key, rec.kv.ModRevision)
		}
		last = rec.rev()
		ki := s.index.getOrCreate(key)
		rec.kv.Key = ki.key
		rec.ki = ki
		wasLive := ki.latest() != nil
		if rec.tombstone {
			ki.tombstone(rec)
			if wasLive {
				s.live--
			}
		} else {
			ki.put(rec)
			if !wasLive {
				s.live++
			}
		}
		s.appendRecord(rec)
	}
	nl := r.uvarint()
	for i := uint64(0); i < nl && r.err == nil; i++ {
		id, ttl := LeaseID(r.varint()), r.varint()
		if r.err != nil {
			break
		}
		l := &lease{id: id, ttl: ttl, expiry: opt.Now + ttlDuration(ttl), keys: make(map[string]struct{})}
		s.leases[id] = l
		s.leaseExpiry.ReplaceOrInsert(l)
		s.size += leaseOverheadBytes
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.b))
	}
	var err error
	s.index.tree.Ascend(func(it indexItem) bool {
		if cur := it.ki.latest(); cur != nil && cur.kv.Lease != 0 {
			l := s.leases[LeaseID(cur.kv.Lease)]
			if l == nil {
				err = fmt.Errorf("key %q is attached to missing lease %d", it.key, cur.kv.Lease)
				return false
			}
			l.keys[it.key] = struct{}{}
		}
		return true
	})
	return s, err
}

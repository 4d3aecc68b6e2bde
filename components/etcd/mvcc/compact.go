package mvcc

import "sort"

// Compact discards the history that no read at or above rev needs: for every
// key, the versions older than its newest version at or below rev, and
// whole generations deleted before rev. A key deleted exactly at rev keeps
// its tombstone, so a watch from rev still sees the delete (as etcd's
// keyIndex.compact). Afterwards reads and watches below rev fail with
// ErrCompacted.
//
// Compacting at or below the current compact revision fails with
// ErrCompacted, beyond the current revision with ErrFutureRev. Compaction is
// not a write: the revision does not move and watchers hear nothing.
func (s *Store) Compact(rev int64) error {
	s.mustNotBeNotifying()
	if rev <= s.compactRev {
		return ErrCompacted
	}
	if rev > s.rev {
		return ErrFutureRev
	}
	prev := s.compactRev
	s.compactRev = rev

	// Only keys with a record in [prev, rev] can lose anything: a previous
	// compaction left each key at most one record at or below prev, and a
	// tombstone it kept sits exactly at prev. So walk that stretch of the
	// log rather than the whole index.
	log := s.log
	i := sort.Search(len(log), func(i int) bool { return log[i].kv.ModRevision >= prev })
	for ; i < len(log) && log[i].kv.ModRevision <= rev; i++ {
		ki := log[i].ki
		if ki.compactedAt == rev {
			continue
		}
		ki.compactedAt = rev
		if ki.compact(rev) {
			s.index.remove(ki)
		}
	}

	// Drop the records the index let go of. They all lie at or below rev,
	// a prefix of the log.
	n := 0
	for i, r := range s.log {
		if r.kv.ModRevision > rev {
			n += copy(s.log[n:], s.log[i:])
			break
		}
		if r.dropped {
			s.size -= recordBytes(r)
			continue
		}
		s.log[n] = r
		n++
	}
	clear(s.log[n:])
	s.log = s.log[:n]
	if cap(s.log) > 1024 && len(s.log) < cap(s.log)/4 {
		s.log = append([]*record(nil), s.log...)
	}
	return nil
}

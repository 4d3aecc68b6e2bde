package mvcc

import "sort"

// Reads for a debugger: what changed between two revisions, and every
// retained version of one key. Both only read the store (no watcher, no
// lease, no revision is touched), so a view can call them between the
// owner's writes without changing what the owner does next.

// Changes returns the events of the revisions after from, up to and
// including to, in revision order, each with the version it replaced (if
// that is still retained). Revisions below the compact revision are gone;
// Changes returns what is left.
func (s *Store) Changes(from, to int64) []Event {
	log := s.log
	i := sort.Search(len(log), func(i int) bool { return log[i].kv.ModRevision > from })
	var out []Event
	for ; i < len(log) && log[i].kv.ModRevision <= to; i++ {
		r := log[i]
		ev := Event{Type: EventPut, KV: r.kv}
		if r.tombstone {
			ev.Type = EventDelete
		}
		if r.ki != nil {
			if p := r.ki.at(r.kv.ModRevision - 1); p != nil && !p.dropped {
				ev.PrevKV = &p.kv
			}
		}
		out = append(out, ev)
	}
	return out
}

// History returns every retained version of key, oldest first: one event
// per revision that wrote or deleted it (a DELETE event carries the
// tombstone's revision). The versions below the compact revision are gone,
// as in etcd, except the one still visible at it.
func (s *Store) History(key string) []Event {
	ki := s.index.get(key)
	if ki == nil {
		return nil
	}
	var out []Event
	emit := func(r *record) {
		ev := Event{Type: EventPut, KV: r.kv}
		if r.tombstone {
			ev.Type = EventDelete
		}
		out = append(out, ev)
	}
	for _, g := range ki.past {
		for _, r := range g.recs {
			emit(r)
		}
	}
	for _, r := range ki.live {
		emit(r)
	}
	return out
}

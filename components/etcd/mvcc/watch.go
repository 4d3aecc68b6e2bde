package mvcc

import (
	"cmp"
	"slices"
	"sort"
	"strings"
)

// EventType says whether an event wrote or deleted a key.
type EventType int

// Event types, as mvccpb.Event_EventType.
const (
	EventPut EventType = iota
	EventDelete
)

func (t EventType) String() string {
	if t == EventDelete {
		return "DELETE"
	}
	return "PUT"
}

// Event is one change seen by a watcher.
type Event struct {
	Type EventType
	// KV is the written version; for a DELETE it carries only the key and
	// ModRevision (the delete's revision), as in etcd.
	KV KeyValue
	// PrevKV is the version before the change when the watch asked for it,
	// nil otherwise or when the key did not exist (or the previous version
	// is older than the compact revision). Read-only.
	PrevKV *KeyValue
}

// WatchID identifies a watch. IDs start at 1 and are never reused by a
// store (etcd numbers per gRPC stream, from 0).
type WatchID int64

// WatchRequest describes a watch.
type WatchRequest struct {
	// Key and End select the keys, with End as in Range ("" one key, "\x00"
	// every key from Key on, else [Key, End)).
	Key, End string
	// StartRev is the first revision to report, inclusive. 0 (or negative)
	// means "from the next write". A past revision replays history first; a
	// revision below the compact revision is refused with *CompactedError.
	// A future revision waits for it.
	StartRev int64
	// PrevKV asks for the previous version in every event.
	PrevKV bool
}

// WatchResponse carries all the events of one revision that match a watch.
// Its Events slice may be shared with other watchers: read-only.
type WatchResponse struct {
	WatchID  WatchID
	Revision int64
	Events   []Event
}

type watcher struct {
	id       WatchID
	key, end string
	prevKV   bool
	minRev   int64 // events below it are not delivered
	sink     func(WatchResponse)
	canceled bool

	// Dispatch scratch for multi-change revisions: the revision last
	// matched and the indexes of the changes it matched.
	seenRev int64
	hits    []int
}

func (w *watcher) contains(k string) bool { return inRange(k, w.key, w.end) }

// watcherIndex finds the watchers of a key. Single-key watchers are found
// by hash. Prefix watchers whose prefix ends in '/' (the apiserver's
// per-resource and per-namespace watches) are found by hashing each
// '/'-terminated prefix of the key, a handful of lookups. Every other range
// goes into an interval tree.
type watcherIndex struct {
	byID     map[WatchID]*watcher
	exact    map[string][]*watcher // in ID order
	prefixes map[string][]*watcher // in ID order
	// prefixLens[n] counts the prefixes of length n, so match hashes only
	// the prefix lengths somebody watches.
	prefixLens []int
	ranges     rangeTree
	nextID     WatchID

	scratch []*watcher
}

func newWatcherIndex() watcherIndex {
	return watcherIndex{
		byID:     make(map[WatchID]*watcher),
		exact:    make(map[string][]*watcher),
		prefixes: make(map[string][]*watcher),
		nextID:   1,
	}
}

// isDirPrefix reports whether w watches exactly the keys under a
// '/'-terminated prefix.
func (w *watcher) isDirPrefix() bool {
	return len(w.key) > 0 && w.key[len(w.key)-1] == '/' && w.end == PrefixEnd(w.key)
}

func (wi *watcherIndex) add(w *watcher) {
	wi.byID[w.id] = w
	switch {
	case w.end == "":
		wi.exact[w.key] = append(wi.exact[w.key], w)
	case w.isDirPrefix():
		wi.prefixes[w.key] = append(wi.prefixes[w.key], w)
		if n := len(w.key); n >= len(wi.prefixLens) {
			wi.prefixLens = append(wi.prefixLens, make([]int, n+1-len(wi.prefixLens))...)
		}
		wi.prefixLens[len(w.key)]++
	default:
		wi.ranges.insert(w)
	}
}

func (wi *watcherIndex) remove(w *watcher) {
	delete(wi.byID, w.id)
	switch {
	case w.end == "":
		removeFrom(wi.exact, w)
	case w.isDirPrefix():
		removeFrom(wi.prefixes, w)
		wi.prefixLens[len(w.key)]--
	default:
		wi.ranges.remove(w)
	}
}

func removeFrom(m map[string][]*watcher, w *watcher) {
	ws := m[w.key]
	if i := slices.Index(ws, w); i >= 0 {
		ws = slices.Delete(ws, i, i+1)
	}
	if len(ws) == 0 {
		delete(m, w.key)
	} else {
		m[w.key] = ws
	}
}

// match appends the watchers whose range holds k.
func (wi *watcherIndex) match(k string, out []*watcher) []*watcher {
	out = append(out, wi.exact[k]...)
	if len(wi.prefixes) > 0 {
		lens := wi.prefixLens
		for i := 0; i < len(k) && i < len(lens); {
			j := strings.IndexByte(k[i:], '/')
			if j < 0 {
				break
			}
			i += j + 1
			if i < len(lens) && lens[i] > 0 {
				out = append(out, wi.prefixes[k[:i]]...)
			}
		}
	}
	if wi.ranges.n > 0 {
		out = wi.ranges.stab(k, out)
	}
	return out
}

func byWatchID(a, b *watcher) int { return cmp.Compare(a.id, b.id) }

// Watch registers sink for the changes of req's keys. Events from
// req.StartRev up to the current revision are delivered before Watch
// returns, one response per revision; afterwards every committed write
// delivers its matching events from inside the call that made it, one
// response per revision, exactly once and in revision order. Watchers of
// one revision are called in WatchID order.
//
// A sink runs on the caller's stack: it may read the store, start or
// cancel watches, but must not write (the store panics if it does), and it
// must not modify the response.
//
// A StartRev below the compact revision fails with a *CompactedError
// carrying the compact revision; watching from the compact revision itself
// works.
func (s *Store) Watch(req WatchRequest, sink func(WatchResponse)) (WatchID, error) {
	if sink == nil {
		// Fail here rather than inside some later, unrelated write.
		panic("mvcc: Watch with a nil sink")
	}
	if req.Key == "" {
		return 0, ErrEmptyKey
	}
	if req.StartRev > 0 && req.StartRev < s.compactRev {
		return 0, &CompactedError{CompactRevision: s.compactRev}
	}
	wi := &s.watchers
	w := &watcher{
		id:     wi.nextID,
		key:    req.Key,
		end:    req.End,
		prevKV: req.PrevKV,
		sink:   sink,
		minRev: s.rev + 1,
	}
	wi.nextID++
	if req.StartRev > s.rev {
		w.minRev = req.StartRev
	}
	wi.add(w)
	if req.StartRev > 0 && req.StartRev <= s.rev {
		s.replay(w, req.StartRev)
	}
	return w.id, nil
}

// CancelWatch stops a watch. It may be called from a sink, also for the
// watch being notified: no event reaches a watch after its cancellation.
func (s *Store) CancelWatch(id WatchID) error {
	w, ok := s.watchers.byID[id]
	if !ok {
		return ErrWatcherNotExist
	}
	w.canceled = true
	s.watchers.remove(w)
	return nil
}

// RequestProgress sends the watch an empty response carrying the current
// revision: a progress notification, which tells the watcher it has seen
// everything up to that revision (kube-apiserver asks for one before serving
// a consistent list from its watch cache). Watches here are always in sync,
// so it is answered at once; a watch waiting for a future start revision
// gets nothing, as etcd only notifies synced watchers.
func (s *Store) RequestProgress(id WatchID) error {
	w, ok := s.watchers.byID[id]
	if !ok {
		return ErrWatcherNotExist
	}
	if w.minRev > s.rev+1 {
		return nil
	}
	s.deliver(w, WatchResponse{WatchID: id, Revision: s.rev})
	return nil
}

// deliver calls a sink with writes forbidden.
func (s *Store) deliver(w *watcher, resp WatchResponse) {
	was := s.notifying
	s.notifying = true
	defer func() { s.notifying = was }()
	w.sink(resp)
}

// replay delivers the retained history from revision from on, read from the
// revision-ordered log as etcd reads its backend for an unsynced watcher.
func (s *Store) replay(w *watcher, from int64) {
	log := s.log
	i := sort.Search(len(log), func(i int) bool { return log[i].kv.ModRevision >= from })
	was := s.notifying
	s.notifying = true
	defer func() { s.notifying = was }()
	var evs []Event
	for i < len(log) && !w.canceled {
		rev := log[i].kv.ModRevision
		evs = evs[:0:0]
		for ; i < len(log) && log[i].kv.ModRevision == rev; i++ {
			r := log[i]
			if !w.contains(r.kv.Key) {
				continue
			}
			ev := Event{Type: EventPut, KV: r.kv}
			if r.tombstone {
				ev.Type = EventDelete
			}
			if w.prevKV && rev-1 >= s.compactRev {
				if ki := s.index.get(r.kv.Key); ki != nil {
					if p := ki.at(rev - 1); p != nil {
						ev.PrevKV = &p.kv
					}
				}
			}
			evs = append(evs, ev)
		}
		if len(evs) > 0 {
			w.sink(WatchResponse{WatchID: w.id, Revision: rev, Events: evs})
		}
	}
}

func eventOf(c change, withPrev bool) Event {
	ev := Event{Type: EventPut, KV: c.rec.kv}
	if c.rec.tombstone {
		ev.Type = EventDelete
	}
	if withPrev && c.prev != nil {
		ev.PrevKV = &c.prev.kv
	}
	return ev
}

// notify delivers the changes of revision rev to the watchers that match.
func (s *Store) notify(rev int64, changes []change) {
	wi := &s.watchers
	if len(wi.byID) == 0 {
		return
	}
	matched := wi.scratch[:0]
	if len(changes) == 1 {
		matched = wi.match(changes[0].rec.kv.Key, matched)
	} else {
		for i := range changes {
			from := len(matched)
			matched = wi.match(changes[i].rec.kv.Key, matched)
			// Keep each watcher once, remembering which changes it saw.
			n := from
			for _, w := range matched[from:] {
				if w.seenRev != rev {
					w.seenRev = rev
					w.hits = w.hits[:0]
					matched[n] = w
					n++
				}
				w.hits = append(w.hits, i)
			}
			clear(matched[n:])
			matched = matched[:n]
		}
	}
	if len(matched) == 0 {
		wi.scratch = matched
		return
	}
	if !slices.IsSortedFunc(matched, byWatchID) {
		slices.SortFunc(matched, byWatchID)
	}
	// A watcher that matches every change shares one events slice with the
	// others (one with previous values, one without); the rest get their
	// own subset.
	var all, allPrev []Event
	s.notifying = true
	defer func() { s.notifying = false }() // also if a sink panics
	for _, w := range matched {
		if w.canceled || rev < w.minRev {
			continue
		}
		var evs []Event
		if len(changes) == 1 || len(w.hits) == len(changes) {
			if w.prevKV {
				if allPrev == nil {
					allPrev = make([]Event, len(changes))
					for i, c := range changes {
						allPrev[i] = eventOf(c, true)
					}
				}
				evs = allPrev
			} else {
				if all == nil {
					all = make([]Event, len(changes))
					for i, c := range changes {
						all[i] = eventOf(c, false)
					}
				}
				evs = all
			}
		} else {
			evs = make([]Event, len(w.hits))
			for j, i := range w.hits {
				evs[j] = eventOf(changes[i], w.prevKV)
			}
		}
		w.sink(WatchResponse{WatchID: w.id, Revision: rev, Events: evs})
	}
	clear(matched)
	wi.scratch = matched[:0]
}

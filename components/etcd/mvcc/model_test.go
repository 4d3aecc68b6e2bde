package mvcc

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The model is the simplest thing that could be etcd: a full copy of the
// key space per revision, plus the events of every revision. The property
// test drives the Store and the model with the same random operations and
// checks every read and every delivered watch event against it.

type modelEvent struct {
	typ  EventType
	kv   KeyValue
	prev *KeyValue
}

type modelWatch struct {
	id          WatchID
	key, end    string
	prevKV      bool
	from        int64 // first revision expected
	regRev      int64 // store revision at registration
	regCompact  int64 // compact revision at registration
	canceledRev int64 // 0 while active
	got         recorder
}

type modelLease struct {
	id     LeaseID
	ttl    int64
	expiry time.Duration
}

type model struct {
	states  []map[string]KeyValue // states[rev]; states[0] unused
	events  [][]modelEvent        // events[rev]
	compact int64
	leases  map[LeaseID]*modelLease
	next    LeaseID
	now     time.Duration
	watches []*modelWatch
}

func newModel() *model {
	return &model{
		states: []map[string]KeyValue{nil, {}},
		events: [][]modelEvent{nil, nil},
		leases: map[LeaseID]*modelLease{},
		next:   1,
	}
}

func (m *model) rev() int64               { return int64(len(m.states) - 1) }
func (m *model) cur() map[string]KeyValue { return m.states[m.rev()] }
func (m *model) keysIn(st map[string]KeyValue, key, end string) []string {
	var keys []string
	for k := range st {
		if inRange(k, key, end) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// modelTxn is a write transaction on the model.
type modelTxn struct {
	m     *model
	rev   int64
	state map[string]KeyValue
	evs   []modelEvent
}

func (m *model) begin() *modelTxn {
	return &modelTxn{m: m, rev: m.rev() + 1, state: maps.Clone(m.cur())}
}

func (tx *modelTxn) put(key string, value []byte, lease LeaseID) {
	kv := KeyValue{Key: key, Value: bytes.Clone(value), CreateRevision: tx.rev, ModRevision: tx.rev, Version: 1, Lease: int64(lease)}
	if len(kv.Value) == 0 {
		kv.Value = nil
	}
	ev := modelEvent{typ: EventPut, kv: kv}
	if prev, ok := tx.state[key]; ok {
		kv.CreateRevision = prev.CreateRevision
		kv.Version = prev.Version + 1
		ev.kv = kv
		ev.prev = &prev
	}
	tx.state[key] = kv
	tx.evs = append(tx.evs, ev)
}

func (tx *modelTxn) del(key, end string) []KeyValue {
	var prevs []KeyValue
	for _, k := range tx.m.keysIn(tx.state, key, end) {
		prev := tx.state[k]
		prevs = append(prevs, prev)
		delete(tx.state, k)
		tx.evs = append(tx.evs, modelEvent{typ: EventDelete, kv: KeyValue{Key: k, ModRevision: tx.rev}, prev: &prev})
	}
	return prevs
}

func (tx *modelTxn) commit() int64 {
	if len(tx.evs) == 0 {
		return tx.m.rev()
	}
	tx.m.states = append(tx.m.states, tx.state)
	tx.m.events = append(tx.m.events, tx.evs)
	return tx.m.rev()
}

func (m *model) rangeAt(key, end string, opt RangeOptions) (RangeResult, error) {
	rev := opt.Rev
	if rev <= 0 {
		rev = m.rev()
	}
	if rev > m.rev() {
		return RangeResult{}, ErrFutureRev
	}
	if rev < m.compact {
		return RangeResult{}, ErrCompacted
	}
	return m.rangeState(m.states[rev], key, end, opt), nil
}

func (m *model) rangeState(st map[string]KeyValue, key, end string, opt RangeOptions) RangeResult {
	res := RangeResult{Rev: m.rev()}
	for _, k := range m.keysIn(st, key, end) {
		res.Count++
		if opt.CountOnly || (opt.Limit > 0 && int64(len(res.KVs)) >= opt.Limit) {
			continue
		}
		kv := st[k]
		if opt.KeysOnly {
			kv.Value = nil
		}
		res.KVs = append(res.KVs, kv)
	}
	res.More = !opt.CountOnly && opt.Limit > 0 && res.Count > opt.Limit
	return res
}

func (m *model) compare(c Compare) bool {
	st := m.cur()
	var kvs []KeyValue
	if c.RangeEnd == "" {
		if kv, ok := st[c.Key]; ok {
			kvs = append(kvs, kv)
		}
	} else {
		for _, k := range m.keysIn(st, c.Key, c.RangeEnd) {
			kvs = append(kvs, st[k])
		}
	}
	if len(kvs) == 0 {
		if c.Target == TargetValue {
			return false
		}
		kvs = []KeyValue{{}}
	}
	for _, kv := range kvs {
		var d int
		switch c.Target {
		case TargetVersion:
			d = cmp.Compare(kv.Version, c.Version)
		case TargetCreate:
			d = cmp.Compare(kv.CreateRevision, c.CreateRevision)
		case TargetMod:
			d = cmp.Compare(kv.ModRevision, c.ModRevision)
		case TargetLease:
			d = cmp.Compare(kv.Lease, c.Lease)
		case TargetValue:
			d = bytes.Compare(kv.Value, c.Value)
		}
		ok := map[CompareResult]bool{Equal: d == 0, Greater: d > 0, Less: d < 0, NotEqual: d != 0}[c.Result]
		if !ok {
			return false
		}
	}
	return true
}

// expected renders what watch w should have received, in recorder.summary
// form.
func (m *model) expected(w *modelWatch) []string {
	last := m.rev()
	if w.canceledRev > 0 {
		last = w.canceledRev
	}
	var r recorder
	for rev := w.from; rev <= last; rev++ {
		var evs []Event
		for _, e := range m.events[rev] {
			if !inRange(e.kv.Key, w.key, w.end) {
				continue
			}
			ev := Event{Type: e.typ, KV: e.kv}
			replayed := rev <= w.regRev
			if w.prevKV && e.prev != nil && !(replayed && rev-1 < w.regCompact) {
				ev.PrevKV = e.prev
			}
			evs = append(evs, ev)
		}
		if len(evs) > 0 {
			r.sink(WatchResponse{WatchID: w.id, Revision: rev, Events: evs})
		}
	}
	return r.summary()
}

var (
	modelKeys = []string{"/a", "/a/1", "/a/2", "/a/3", "/b", "/b/1", "/c"}
	// Ranges as [key, end) pairs, end as in Range.
	modelRanges = [][2]string{
		{"/a", ""}, {"/a/2", ""}, {"/c", ""}, {"/zz", ""},
		{"/a/", PrefixEnd("/a/")}, {"/b", PrefixEnd("/b")}, {"/", allKeys},
		{"/a/2", allKeys}, {"/a/1", "/b/1"}, {"/c", "/a"},
	}
)

func drawRange(t *rapid.T, label string) (string, string) {
	r := rapid.SampledFrom(modelRanges).Draw(t, label)
	return r[0], r[1]
}

func drawValue(t *rapid.T, label string) []byte {
	return []byte(rapid.SampledFrom([]string{"", "x", "y", "zz", "long-value"}).Draw(t, label))
}

func (m *model) drawLease(t *rapid.T) LeaseID {
	ids := slices.Sorted(maps.Keys(m.leases))
	choices := append([]LeaseID{NoLease, NoLease, 99}, ids...)
	return rapid.SampledFrom(choices).Draw(t, "lease")
}

// drawOps draws a txn branch. Duplicates are possible on purpose.
func (m *model) drawOps(t *rapid.T, label string) []Op {
	n := rapid.IntRange(0, 4).Draw(t, label+"-len")
	ops := make([]Op, n)
	for i := range ops {
		switch rapid.IntRange(0, 2).Draw(t, label+"-type") {
		case 0:
			ops[i] = OpPut(rapid.SampledFrom(modelKeys).Draw(t, "key"), drawValue(t, "value"), m.drawLease(t))
		case 1:
			k, e := drawRange(t, "del")
			ops[i] = OpDelete(k, e)
		case 2:
			k, e := drawRange(t, "get")
			ops[i] = OpGet(k, e, RangeOptions{Limit: int64(rapid.IntRange(0, 3).Draw(t, "limit"))})
		}
	}
	return ops
}

// duplicates is the model's reading of etcd's rule for a flat branch.
func duplicates(ops []Op) bool {
	for i, a := range ops {
		for j, b := range ops {
			if i == j || a.Type != OpTypePut {
				continue
			}
			if b.Type == OpTypePut && a.Key == b.Key {
				return true
			}
			if b.Type == OpTypeDelete && inRange(a.Key, b.Key, b.End) {
				return true
			}
		}
	}
	return false
}

func TestStoreMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := New(Config{})
		m := newModel()

		t.Repeat(map[string]func(*rapid.T){
			"put": func(t *rapid.T) {
				key, value, lease := rapid.SampledFrom(modelKeys).Draw(t, "key"), drawValue(t, "value"), m.drawLease(t)
				res, err := s.Put(key, value, lease)
				if _, ok := m.leases[lease]; lease != NoLease && !ok {
					if !errors.Is(err, ErrLeaseNotFound) {
						t.Fatalf("put with unknown lease: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("put: %v", err)
				}
				tx := m.begin()
				prev, existed := m.cur()[key]
				tx.put(key, value, lease)
				if rev := tx.commit(); res.Rev != rev {
					t.Fatalf("put rev %d, model %d", res.Rev, rev)
				}
				if existed != (res.PrevKV != nil) || (existed && !equalKV(prev, *res.PrevKV)) {
					t.Fatalf("put prev %v, model %v", res.PrevKV, prev)
				}
			},
			"delete": func(t *rapid.T) {
				key, end := drawRange(t, "range")
				res, err := s.DeleteRange(key, end)
				if err != nil {
					t.Fatalf("delete: %v", err)
				}
				tx := m.begin()
				prevs := tx.del(key, end)
				if rev := tx.commit(); res.Rev != rev || !equalKVs(prevs, res.PrevKVs) {
					t.Fatalf("delete: rev %d prevs %v, model rev %d prevs %v", res.Rev, res.PrevKVs, rev, prevs)
				}
			},
			"txn": func(t *rapid.T) {
				key := rapid.SampledFrom(modelKeys).Draw(t, "cmp-key")
				c := Compare{
					Key:    key,
					Target: CompareTarget(rapid.IntRange(0, 4).Draw(t, "target")),
					Result: CompareResult(rapid.IntRange(0, 3).Draw(t, "result")),
				}
				if rapid.Bool().Draw(t, "cmp-range") {
					c.Key, c.RangeEnd = drawRange(t, "cmp-range-keys")
					if c.RangeEnd == "" {
						c.RangeEnd = allKeys
					}
				}
				operand := int64(rapid.IntRange(0, int(m.rev())+1).Draw(t, "operand"))
				c.Version, c.CreateRevision, c.ModRevision = operand%4, operand, operand
				c.Lease = int64(m.drawLease(t))
				c.Value = drawValue(t, "cmp-value")
				req := TxnRequest{Compare: []Compare{c}, Success: m.drawOps(t, "success"), Failure: m.drawOps(t, "failure")}

				resp, err := s.Txn(req)
				if duplicates(req.Success) || duplicates(req.Failure) {
					if !errors.Is(err, ErrDuplicateKey) {
						t.Fatalf("txn with duplicates: %v", err)
					}
					return
				}
				ok := m.compare(c)
				ops := req.Failure
				if ok {
					ops = req.Success
				}
				for _, op := range ops {
					if _, known := m.leases[op.Lease]; op.Type == OpTypePut && op.Lease != NoLease && !known {
						if !errors.Is(err, ErrLeaseNotFound) {
							t.Fatalf("txn with unknown lease: %v", err)
						}
						return
					}
				}
				if err != nil {
					t.Fatalf("txn: %v", err)
				}
				if resp.Succeeded != ok {
					t.Fatalf("txn succeeded=%v, model %v for %+v", resp.Succeeded, ok, c)
				}
				tx := m.begin()
				var want []RangeResult
				for _, op := range ops {
					switch op.Type {
					case OpTypePut:
						tx.put(op.Key, op.Value, op.Lease)
					case OpTypeDelete:
						tx.del(op.Key, op.End)
					case OpTypeRange:
						want = append(want, m.rangeState(tx.state, op.Key, op.End, op.Range))
					}
				}
				rev := tx.commit()
				if resp.Rev != rev {
					t.Fatalf("txn rev %d, model %d", resp.Rev, rev)
				}
				var got []RangeResult
				for _, r := range resp.Responses {
					if r.Type == OpTypeRange {
						got = append(got, r.Range)
					}
				}
				for i := range want {
					want[i].Rev = rev
					if !equalRange(want[i], got[i]) {
						t.Fatalf("txn range %d: got %+v, model %+v", i, got[i], want[i])
					}
				}
			},
			"range": func(t *rapid.T) {
				key, end := drawRange(t, "range")
				opt := RangeOptions{
					Rev:       int64(rapid.IntRange(-1, int(m.rev())+1).Draw(t, "rev")),
					Limit:     int64(rapid.IntRange(0, 3).Draw(t, "limit")),
					CountOnly: rapid.IntRange(0, 5).Draw(t, "count-only") == 0,
					KeysOnly:  rapid.Bool().Draw(t, "keys-only"),
				}
				got, err := s.Range(key, end, opt)
				want, werr := m.rangeAt(key, end, opt)
				if !errors.Is(err, werr) || (werr == nil && !equalRange(want, got)) {
					t.Fatalf("range %q..%q %+v: got %+v %v, model %+v %v", key, end, opt, got, err, want, werr)
				}
			},
			"compact": func(t *rapid.T) {
				rev := rapid.OneOf(
					rapid.SampledFrom([]int64{m.rev(), m.rev() - 1, m.compact}),
					rapid.Int64Range(m.compact-1, m.rev()+1),
				).Draw(t, "rev")
				err := s.Compact(rev)
				switch {
				case rev <= m.compact:
					if !errors.Is(err, ErrCompacted) {
						t.Fatalf("compact %d at %d: %v", rev, m.compact, err)
					}
				case rev > m.rev():
					if !errors.Is(err, ErrFutureRev) {
						t.Fatalf("compact %d beyond %d: %v", rev, m.rev(), err)
					}
				default:
					if err != nil {
						t.Fatalf("compact %d: %v", rev, err)
					}
					m.compact = rev
				}
			},
			"watch": func(t *rapid.T) {
				key, end := drawRange(t, "range")
				// Bias towards the interesting edges: the compact revision
				// and its neighbours, the current revision and "from now".
				start := rapid.OneOf(
					rapid.SampledFrom([]int64{0, m.compact - 1, m.compact, m.compact + 1, m.rev(), m.rev() + 1}),
					rapid.Int64Range(-1, m.rev()+2),
				).Draw(t, "start")
				w := &modelWatch{key: key, end: end, prevKV: rapid.Bool().Draw(t, "prev-kv"), regRev: m.rev(), regCompact: m.compact, from: start}
				if start <= 0 {
					w.from = m.rev() + 1
				}
				id, err := s.Watch(WatchRequest{Key: key, End: end, StartRev: start, PrevKV: w.prevKV}, w.got.sink)
				if start > 0 && start < m.compact {
					var ce *CompactedError
					if !errors.As(err, &ce) || ce.CompactRevision != m.compact {
						t.Fatalf("watch from compacted %d (compact %d): %v", start, m.compact, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("watch: %v", err)
				}
				w.id = id
				m.watches = append(m.watches, w)
			},
			"cancel": func(t *rapid.T) {
				if len(m.watches) == 0 {
					t.Skip("no watches")
				}
				w := rapid.SampledFrom(m.watches).Draw(t, "watch")
				err := s.CancelWatch(w.id)
				if w.canceledRev > 0 {
					if !errors.Is(err, ErrWatcherNotExist) {
						t.Fatalf("second cancel: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("cancel: %v", err)
				}
				w.canceledRev = m.rev()
			},
			"grant": func(t *rapid.T) {
				ttl := int64(rapid.IntRange(0, 10).Draw(t, "ttl"))
				l, err := s.Grant(0, ttl, m.now)
				if err != nil {
					t.Fatalf("grant: %v", err)
				}
				for m.leases[m.next] != nil {
					m.next++
				}
				ml := &modelLease{id: m.next, ttl: max(ttl, 2), expiry: m.now + time.Duration(max(ttl, 2))*time.Second}
				m.next++
				m.leases[ml.id] = ml
				if l.ID != ml.id || l.TTL != ml.ttl || l.Expiry != ml.expiry {
					t.Fatalf("grant %+v, model %+v", l, ml)
				}
			},
			"keepalive": func(t *rapid.T) {
				id := m.drawLease(t)
				_, err := s.KeepAlive(id, m.now)
				ml, ok := m.leases[id]
				if !ok || m.now >= ml.expiry {
					if !errors.Is(err, ErrLeaseNotFound) {
						t.Fatalf("keepalive of dead lease %d: %v", id, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("keepalive: %v", err)
				}
				ml.expiry = m.now + time.Duration(ml.ttl)*time.Second
			},
			"tick": func(t *rapid.T) {
				m.now += time.Duration(rapid.IntRange(0, 4000).Draw(t, "ms")) * time.Millisecond
				got := s.Expire(m.now)
				var want []LeaseID
				for _, id := range slices.Sorted(maps.Keys(m.leases)) {
					if m.leases[id].expiry > m.now {
						continue
					}
					want = append(want, id)
					delete(m.leases, id)
					tx := m.begin()
					for _, k := range m.keysIn(tx.state, "/", allKeys) {
						if LeaseID(tx.state[k].Lease) == id {
							tx.del(k, "")
						}
					}
					tx.commit()
				}
				if !slices.Equal(got, want) {
					t.Fatalf("expired %v, model %v", got, want)
				}
			},
			"snapshot": func(t *rapid.T) {
				r, err := Restore(s.Snapshot(), RestoreOptions{Now: m.now})
				if err != nil {
					t.Fatalf("restore: %v", err)
				}
				checkAllReads(t, r, m)
			},
			"": func(t *rapid.T) {
				if s.Rev() != m.rev() || s.FirstRev() != m.compact {
					t.Fatalf("rev %d/%d, model %d/%d", s.Rev(), s.FirstRev(), m.rev(), m.compact)
				}
				if got, want := s.Status().Keys, len(m.cur()); got != want {
					t.Fatalf("keys %d, model %d", got, want)
				}
				for _, w := range m.watches {
					if got, want := w.got.summary(), m.expected(w); !slices.Equal(got, want) {
						t.Fatalf("watch %d %q..%q from %d prev=%v:\n got  %q\n want %q", w.id, w.key, w.end, w.from, w.prevKV, got, want)
					}
				}
			},
		})
		checkAllReads(t, s, m)
	})
}

// checkAllReads compares every range at every readable revision.
func checkAllReads(t *rapid.T, s *Store, m *model) {
	for rev := max(m.compact, 1); rev <= m.rev(); rev++ {
		for _, r := range modelRanges {
			got, err := s.Range(r[0], r[1], RangeOptions{Rev: rev})
			if err != nil {
				t.Fatalf("range at %d: %v", rev, err)
			}
			want, _ := m.rangeAt(r[0], r[1], RangeOptions{Rev: rev})
			if !equalRange(want, got) {
				t.Fatalf("range %q..%q at %d: got %+v, model %+v", r[0], r[1], rev, got, want)
			}
		}
	}
}

func equalKV(a, b KeyValue) bool {
	return a.Key == b.Key && bytes.Equal(a.Value, b.Value) && a.CreateRevision == b.CreateRevision &&
		a.ModRevision == b.ModRevision && a.Version == b.Version && a.Lease == b.Lease
}

func equalKVs(a, b []KeyValue) bool {
	return slices.EqualFunc(a, b, equalKV)
}

func equalRange(a, b RangeResult) bool {
	return a.Rev == b.Rev && a.Count == b.Count && a.More == b.More && equalKVs(a.KVs, b.KVs)
}

func TestModelSelfCheck(t *testing.T) {
	// Guard against a vacuous model: it must see writes.
	m := newModel()
	tx := m.begin()
	tx.put("/a", []byte("x"), NoLease)
	if tx.commit() != 2 || fmt.Sprint(m.cur()["/a"].Value) != fmt.Sprint([]byte("x")) {
		t.Fatal("model does not record writes")
	}
}

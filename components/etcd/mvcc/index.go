package mvcc

import (
	"github.com/google/btree"
)

// revision addresses one change: main is the store revision of the write
// transaction, sub orders the changes inside it.
type revision struct {
	main int64
	sub  int64
}

func (a revision) less(b revision) bool {
	return a.main < b.main || (a.main == b.main && a.sub < b.sub)
}

// record is one stored change, the in-memory stand-in for a row of etcd's
// "key" bucket (which is keyed by revision). Records are immutable once
// written, so KeyValue pointers into them can be handed out; only the
// dropped mark is set, by compaction.
type record struct {
	kv KeyValue // kv.ModRevision == rev.main; a tombstone carries only Key and ModRevision
	// sub is the sub revision; main is kv.ModRevision.
	sub int64
	// ki is the key's index entry, so compaction can go from the revision
	// log to the keys it touches.
	ki        *keyIndex
	tombstone bool
	// dropped is set when compaction removes the record from the index, so
	// the revision log can let go of it too.
	dropped bool
}

func (r *record) rev() revision { return revision{main: r.kv.ModRevision, sub: r.sub} }

// keyIndex holds every retained revision of one key, grouped into
// generations as etcd's keyIndex does. A generation runs from a create to
// the tombstone that ends it; the last generation is the live one and is
// empty while the key is deleted. See the package doc for a worked example.
type keyIndex struct {
	key  string
	gens []generation // never empty
	// compactedAt is the revision of the last compaction that visited the
	// key, so a compaction visits each key once.
	compactedAt int64
}

type generation struct {
	recs []*record // ascending revisions; a non-last generation ends with a tombstone
}

func newKeyIndex(key string) *keyIndex {
	return &keyIndex{key: key, gens: make([]generation, 1, 2)}
}

// latest is the live version of the key, nil while it is deleted.
func (ki *keyIndex) latest() *record {
	g := &ki.gens[len(ki.gens)-1]
	if len(g.recs) == 0 {
		return nil
	}
	return g.recs[len(g.recs)-1]
}

// put appends a version to the live generation.
func (ki *keyIndex) put(r *record) {
	g := &ki.gens[len(ki.gens)-1]
	g.recs = append(g.recs, r)
}

// tombstone ends the live generation with r and opens an empty one.
func (ki *keyIndex) tombstone(r *record) {
	ki.put(r)
	ki.gens = append(ki.gens, generation{})
}

// at returns the version visible at main revision rev, nil if the key did
// not exist then (never created, deleted, or compacted away).
func (ki *keyIndex) at(rev int64) *record {
	// Most reads are at the current revision: the live version answers.
	if r := ki.latest(); r != nil && r.kv.ModRevision <= rev {
		return r
	}
	for gi := len(ki.gens) - 1; gi >= 0; gi-- {
		recs := ki.gens[gi].recs
		if len(recs) == 0 || recs[0].kv.ModRevision > rev {
			continue // empty, or created after rev
		}
		// The last record at or before rev; it exists since recs[0] qualifies.
		if r := recs[firstAfter(recs, rev)-1]; !r.tombstone {
			return r
		}
		return nil
	}
	return nil
}

// firstAfter returns the index of the first record above main revision rev,
// len(recs) if none.
func firstAfter(recs []*record, rev int64) int {
	lo, hi := 0, len(recs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if recs[mid].kv.ModRevision > rev {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// compact drops the versions that no read at or above atRev can see, marking
// them dropped, as etcd's keyIndex.compact: in the first generation that is
// live or whose tombstone is at or above atRev, the newest version at or
// below atRev survives along with everything after it; older generations go.
// It reports whether the key has nothing left and must leave the index.
func (ki *keyIndex) compact(atRev int64) (empty bool) {
	gi := 0
	for gi < len(ki.gens)-1 {
		recs := ki.gens[gi].recs
		if recs[len(recs)-1].kv.ModRevision >= atRev {
			break
		}
		for _, r := range recs {
			r.dropped = true
		}
		gi++
	}
	g := &ki.gens[gi]
	if n := len(g.recs); n > 0 {
		keep := firstAfter(g.recs, atRev) - 1
		if keep > 0 {
			for _, r := range g.recs[:keep] {
				r.dropped = true
			}
			// Shift in place and clear the tail so the backing array does
			// not pin dropped records.
			m := copy(g.recs, g.recs[keep:])
			clear(g.recs[m:])
			g.recs = g.recs[:m]
		}
	}
	if gi > 0 {
		m := copy(ki.gens, ki.gens[gi:])
		clear(ki.gens[m:])
		ki.gens = ki.gens[:m]
	}
	return len(ki.gens) == 1 && len(ki.gens[0].recs) == 0
}

// indexItem is what the btree stores: the key inline, so that comparisons
// during descent do not chase a pointer.
type indexItem struct {
	key string
	ki  *keyIndex
}

func lessItem(a, b indexItem) bool { return a.key < b.key }

// treeIndex is the key index: an ordered btree for ranges, as etcd's
// treeIndex, plus a hash map for the point lookups that dominate the
// apiserver's traffic (get, update, create-if-absent).
type treeIndex struct {
	tree *btree.BTreeG[indexItem]
	keys map[string]*keyIndex
}

// btreeDegree trades node size against depth; 32 keeps a 100k-key index four
// levels deep with cache-friendly nodes.
const btreeDegree = 32

func newTreeIndex() treeIndex {
	return treeIndex{
		tree: btree.NewG(btreeDegree, lessItem),
		keys: make(map[string]*keyIndex),
	}
}

func (t *treeIndex) get(key string) *keyIndex { return t.keys[key] }

// getOrCreate returns the keyIndex of key, adding an empty one if needed.
func (t *treeIndex) getOrCreate(key string) *keyIndex {
	if ki := t.keys[key]; ki != nil {
		return ki
	}
	ki := newKeyIndex(key)
	t.keys[key] = ki
	t.tree.ReplaceOrInsert(indexItem{key: key, ki: ki})
	return ki
}

func (t *treeIndex) remove(ki *keyIndex) {
	delete(t.keys, ki.key)
	t.tree.Delete(indexItem{key: ki.key})
}

// ascend visits the keyIndexes in [key, end) in key order, with end
// interpreted as in Range (end must not be ""), until f returns false.
func (t *treeIndex) ascend(key, end string, f func(ki *keyIndex) bool) {
	visit := func(it indexItem) bool { return f(it.ki) }
	if end == allKeys {
		t.tree.AscendGreaterOrEqual(indexItem{key: key}, visit)
		return
	}
	if end <= key {
		return
	}
	t.tree.AscendRange(indexItem{key: key}, indexItem{key: end}, visit)
}

func (t *treeIndex) len() int { return len(t.keys) }

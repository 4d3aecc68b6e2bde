package mvcc

import (
	"strings"

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
// the tombstone that ends it. The live generation is kept inline (it is
// empty while the key is deleted), so the common put and get touch one
// slice; ended generations wait in past until compaction lets them go. See
// the package doc for a worked example.
type keyIndex struct {
	key  string
	live []*record    // the current generation, ascending revisions
	past []generation // ended generations, oldest first; each ends with a tombstone
	// compactedAt is the revision of the last compaction that visited the
	// key, so a compaction visits each key once.
	compactedAt int64
}

type generation struct {
	recs []*record // ascending revisions, the last one a tombstone
}

func newKeyIndex(key string) *keyIndex {
	return &keyIndex{key: key}
}

// latest is the live version of the key, nil while it is deleted.
func (ki *keyIndex) latest() *record {
	if n := len(ki.live); n > 0 {
		return ki.live[n-1]
	}
	return nil
}

// put appends a version to the live generation.
func (ki *keyIndex) put(r *record) {
	ki.live = append(ki.live, r)
}

// tombstone ends the live generation with r; the next put opens a new one.
func (ki *keyIndex) tombstone(r *record) {
	ki.past = append(ki.past, generation{recs: append(ki.live, r)})
	ki.live = nil
}

// empty reports whether the key has no retained revision left.
func (ki *keyIndex) empty() bool { return len(ki.live) == 0 && len(ki.past) == 0 }

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

// at returns the version visible at main revision rev, nil if the key did
// not exist then (never created, deleted, or compacted away).
func (ki *keyIndex) at(rev int64) *record {
	if n := len(ki.live); n > 0 {
		if ki.live[n-1].kv.ModRevision <= rev {
			return ki.live[n-1] // most reads are at the current revision
		}
		if i := firstAfter(ki.live, rev); i > 0 {
			return ki.live[i-1]
		}
	}
	for gi := len(ki.past) - 1; gi >= 0; gi-- {
		recs := ki.past[gi].recs
		if recs[0].kv.ModRevision > rev {
			continue // created after rev
		}
		if r := recs[firstAfter(recs, rev)-1]; !r.tombstone {
			return r
		}
		return nil // deleted at or before rev
	}
	return nil
}

// compact drops the versions that no read at or above atRev can see, marking
// them dropped, as etcd's keyIndex.compact: in the first generation that is
// live or whose tombstone is at or above atRev, the newest version at or
// below atRev survives along with everything after it; older generations go.
// It reports whether the key has nothing left and must leave the index.
func (ki *keyIndex) compact(atRev int64) (empty bool) {
	gi := 0
	for gi < len(ki.past) {
		recs := ki.past[gi].recs
		if recs[len(recs)-1].kv.ModRevision >= atRev {
			break
		}
		for _, r := range recs {
			r.dropped = true
		}
		gi++
	}
	if gi < len(ki.past) {
		ki.past[gi].recs = trimBelow(ki.past[gi].recs, atRev)
	} else {
		ki.live = trimBelow(ki.live, atRev)
	}
	if gi > 0 {
		n := copy(ki.past, ki.past[gi:])
		clear(ki.past[n:])
		ki.past = ki.past[:n]
		if n == 0 {
			ki.past = nil
		}
	}
	return ki.empty()
}

// trimBelow drops the records older than the newest one at or below atRev.
// It shifts in place and clears the tail, so the backing array does not
// pin dropped records.
func trimBelow(recs []*record, atRev int64) []*record {
	keep := firstAfter(recs, atRev) - 1
	if keep <= 0 {
		return recs
	}
	for _, r := range recs[:keep] {
		r.dropped = true
	}
	n := copy(recs, recs[keep:])
	clear(recs[n:])
	return recs[:n]
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
	// Clone: the caller's string may be a slice of a larger buffer that
	// the index should not pin.
	key = strings.Clone(key)
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

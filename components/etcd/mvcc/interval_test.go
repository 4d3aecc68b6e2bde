package mvcc

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"
)

func TestRangeTreeStab(t *testing.T) {
	ws := []*watcher{
		{id: 1, key: "b", end: "d"},
		{id: 2, key: "a", end: allKeys},
		{id: 3, key: "c", end: "c\x00"},
		{id: 4, key: "b", end: "c"},
		{id: 5, key: "e", end: "f"},
		{id: 6, key: "d", end: "b"}, // empty range
	}
	var tr rangeTree
	for _, w := range ws {
		tr.insert(w)
	}
	tests := []struct {
		key     string
		wantIDs []WatchID
	}{
		{key: "a", wantIDs: []WatchID{2}},
		{key: "b", wantIDs: []WatchID{2, 1, 4}},
		{key: "bz", wantIDs: []WatchID{2, 1, 4}},
		{key: "c", wantIDs: []WatchID{2, 1, 3}},
		{key: "c\x00", wantIDs: []WatchID{2, 1}},
		{key: "d", wantIDs: []WatchID{2}},
		{key: "e", wantIDs: []WatchID{2, 5}},
		{key: "", wantIDs: nil},
	}
	for _, tt := range tests {
		var ids []WatchID
		for _, w := range tr.stab(tt.key, nil) {
			ids = append(ids, w.id)
		}
		assert.Equal(t, tt.wantIDs, ids, "stab %q", tt.key)
	}
	tr.remove(ws[0])
	tr.remove(ws[0]) // absent: no-op
	assert.Equal(t, 5, tr.n)
	assert.Len(t, tr.stab("bz", nil), 2)
}

// TestRangeTreeMatchesBruteForce inserts and removes random ranges and
// checks every stab against a linear scan, and the subtree maxima.
func TestRangeTreeMatchesBruteForce(t *testing.T) {
	alphabet := []string{"a", "b", "c", "d", "e", "f", allKeys}
	keyGen := rapid.Custom(func(t *rapid.T) string {
		return rapid.SampledFrom(alphabet[:6]).Draw(t, "k1") + rapid.SampledFrom([]string{"", "a", "z"}).Draw(t, "k2")
	})
	rapid.Check(t, func(t *rapid.T) {
		var tr rangeTree
		var live []*watcher
		next := WatchID(1)
		t.Repeat(map[string]func(*rapid.T){
			"insert": func(t *rapid.T) {
				w := &watcher{id: next, key: keyGen.Draw(t, "key")}
				if rapid.IntRange(0, 4).Draw(t, "inf") == 0 {
					w.end = allKeys
				} else {
					w.end = keyGen.Draw(t, "end")
				}
				next++
				tr.insert(w)
				live = append(live, w)
			},
			"remove": func(t *rapid.T) {
				if len(live) == 0 {
					t.Skip("empty")
				}
				i := rapid.IntRange(0, len(live)-1).Draw(t, "i")
				tr.remove(live[i])
				live = slices.Delete(live, i, i+1)
			},
			"": func(t *rapid.T) {
				if tr.n != len(live) {
					t.Fatalf("size %d, want %d", tr.n, len(live))
				}
				checkMaxEnd(t, tr.root)
				for _, k := range []string{"a", "aa", "az", "b", "c", "cz", "d", "e", "f", "fz", "g"} {
					var want []WatchID
					for _, w := range live {
						if w.contains(k) {
							want = append(want, w.id)
						}
					}
					var got []WatchID
					for _, w := range tr.stab(k, nil) {
						got = append(got, w.id)
					}
					slices.Sort(want)
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Fatalf("stab %q: got %v, want %v", k, got, want)
					}
				}
			},
		})
	})
}

func checkMaxEnd(t *rapid.T, n *rangeNode) (string, bool) {
	if n == nil {
		return "", false
	}
	end, inf := n.w.end, n.w.end == allKeys
	for _, c := range []*rangeNode{n.left, n.right} {
		if c == nil {
			continue
		}
		if c.prio > n.prio {
			t.Fatalf("heap order broken")
		}
		ce, ci := checkMaxEnd(t, c)
		if ci {
			inf = true
		} else if ce > end {
			end = ce
		}
	}
	if n.maxInf != inf || (!inf && n.maxEnd != end) {
		t.Fatalf("node %d: max end %q/%v, want %q/%v", n.w.id, n.maxEnd, n.maxInf, end, inf)
	}
	return n.maxEnd, n.maxInf
}

package mvcc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docExample builds the history of the package doc:
//
//	rev 2 put /k=a, 3 put /k=b, 4 delete /k, 5 put /x=y, 6 put /k=c
func docExample(t *testing.T) *Store {
	s := New(Config{})
	mustPut(t, s, "/k", "a")
	mustPut(t, s, "/k", "b")
	_, err := s.DeleteRange("/k", "")
	require.NoError(t, err)
	mustPut(t, s, "/x", "y")
	mustPut(t, s, "/k", "c")
	require.Equal(t, int64(6), s.Rev())
	return s
}

func TestCompactErrors(t *testing.T) {
	tests := []struct {
		name    string
		first   int64 // compaction done before, 0 for none
		rev     int64
		wantErr error
		wantMsg string
	}{
		{name: "compact at the current revision", rev: 6},
		{name: "compact in the past", rev: 3},
		{name: "beyond the current revision", rev: 7, wantErr: ErrFutureRev, wantMsg: "mvcc: required revision is a future revision"},
		{name: "at the compact revision", first: 4, rev: 4, wantErr: ErrCompacted, wantMsg: "mvcc: required revision has been compacted"},
		{name: "below the compact revision", first: 4, rev: 3, wantErr: ErrCompacted},
		{name: "above the compact revision", first: 4, rev: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := docExample(t)
			if tt.first > 0 {
				require.NoError(t, s.Compact(tt.first))
			}
			err := s.Compact(tt.rev)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.rev, s.FirstRev())
				assert.Equal(t, int64(6), s.Rev(), "compaction is not a write")
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantMsg != "" {
				assert.EqualError(t, err, tt.wantMsg)
			}
		})
	}
}

func TestCompactKeepsWhatReadsNeed(t *testing.T) {
	// For each compaction point of the doc example: the generations of /k
	// that remain, what reads at or after it see, and that reads before it
	// fail.
	tests := []struct {
		name          string
		rev           int64
		wantGens      [][]int64 // mod revisions per generation of /k; negative = tombstone
		wantRevisions int       // records left in the log
	}{
		{name: "compact 2 keeps everything", rev: 2, wantGens: [][]int64{{2, 3, -4}, {6}}, wantRevisions: 5},
		{name: "compact 3 drops the first version", rev: 3, wantGens: [][]int64{{3, -4}, {6}}, wantRevisions: 4},
		{name: "compact 4 keeps the tombstone at 4", rev: 4, wantGens: [][]int64{{-4}, {6}}, wantRevisions: 3},
		{name: "compact 5 drops the dead generation", rev: 5, wantGens: [][]int64{{6}}, wantRevisions: 2},
		{name: "compact 6", rev: 6, wantGens: [][]int64{{6}}, wantRevisions: 2},
	}
	want := map[int64][]KeyValue{
		2: {kv("/k", "a", 2, 2, 1)},
		3: {kv("/k", "b", 2, 3, 2)},
		4: nil,
		5: {kv("/x", "y", 5, 5, 1)},
		6: {kv("/k", "c", 6, 6, 1), kv("/x", "y", 5, 5, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := docExample(t)
			require.NoError(t, s.Compact(tt.rev))
			assert.Equal(t, tt.wantGens, generationsOf(s, "/k"))
			assert.Equal(t, tt.wantRevisions, s.Status().Revisions)
			for rev := int64(1); rev <= 6; rev++ {
				res, err := s.Range("/", allKeys, RangeOptions{Rev: rev})
				if rev < tt.rev {
					assert.ErrorIs(t, err, ErrCompacted, "rev %d", rev)
					continue
				}
				require.NoError(t, err, "rev %d", rev)
				if rev == 5 || rev == 4 {
					// /x only exists from 5 on.
					var wantAt []KeyValue
					if rev == 5 {
						wantAt = want[5]
					}
					assert.Equal(t, wantAt, res.KVs, "rev %d", rev)
					continue
				}
				assert.Equal(t, want[rev], res.KVs, "rev %d", rev)
			}
		})
	}
}

func generationsOf(s *Store, key string) [][]int64 {
	ki := s.index.get(key)
	if ki == nil {
		return nil
	}
	var gens [][]int64
	all := append(append([]generation(nil), ki.past...), generation{recs: ki.live})
	for _, g := range all {
		if len(g.recs) == 0 {
			continue
		}
		var revs []int64
		for _, r := range g.recs {
			if r.tombstone {
				revs = append(revs, -r.kv.ModRevision)
			} else {
				revs = append(revs, r.kv.ModRevision)
			}
		}
		gens = append(gens, revs)
	}
	return gens
}

func TestCompactRemovesDeletedKeysFromTheIndex(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/gone", "x")
	_, err := s.DeleteRange("/gone", "")
	require.NoError(t, err)
	mustPut(t, s, "/stay", "y")
	sizeBefore := s.Status().DBSize

	require.NoError(t, s.Compact(s.Rev()))
	assert.Nil(t, s.index.get("/gone"))
	assert.Equal(t, 1, s.index.tree.Len())
	assert.Equal(t, 1, s.Status().Keys)
	assert.Equal(t, 1, s.Status().Revisions)
	assert.Less(t, s.Status().DBSize, sizeBefore)
}

func TestCompactManyVersions(t *testing.T) {
	s := New(Config{})
	for i := 0; i < 100; i++ {
		mustPut(t, s, "/a", "v")
		mustPut(t, s, "/b", "v")
	}
	// /a is written at even revisions 2..200, /b at odd ones 3..201.
	require.NoError(t, s.Compact(150))
	assert.Equal(t, 2+51, s.Status().Revisions) // newest of each at or below 150, and 151..201
	res, err := s.Range("/a", "", RangeOptions{Rev: 150})
	require.NoError(t, err)
	require.Len(t, res.KVs, 1)
	assert.Equal(t, int64(75), res.KVs[0].Version)
	assert.Equal(t, int64(150), res.KVs[0].ModRevision)
	assert.Equal(t, int64(2), res.KVs[0].CreateRevision)
}

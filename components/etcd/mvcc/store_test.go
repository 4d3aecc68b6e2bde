package mvcc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustPut(t testing.TB, s *Store, key, value string) int64 {
	t.Helper()
	res, err := s.Put(key, []byte(value), NoLease)
	require.NoError(t, err)
	return res.Rev
}

func mustGet(t testing.TB, s *Store, key string, rev int64) []KeyValue {
	t.Helper()
	res, err := s.Range(key, "", RangeOptions{Rev: rev})
	require.NoError(t, err)
	return res.KVs
}

func kv(key, value string, create, mod, version int64) KeyValue {
	var v []byte
	if value != "" {
		v = []byte(value)
	}
	return KeyValue{Key: key, Value: v, CreateRevision: create, ModRevision: mod, Version: version}
}

func TestEmptyStoreIsAtRevisionOne(t *testing.T) {
	s := New(Config{})
	assert.Equal(t, int64(1), s.Rev())
	res, err := s.Range("/a", allKeys, RangeOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.KVs)
	assert.Equal(t, int64(1), res.Rev)
}

func TestRevisionsAndVersions(t *testing.T) {
	// One key through create, update, delete and re-create.
	tests := []struct {
		name    string
		op      func(s *Store) int64
		wantRev int64
		wantKVs []KeyValue
	}{
		{
			name:    "create starts version 1 at the new revision",
			op:      func(s *Store) int64 { return mustPut(t, s, "/k", "v1") },
			wantRev: 2,
			wantKVs: []KeyValue{kv("/k", "v1", 2, 2, 1)},
		},
		{
			name:    "update keeps the create revision and bumps the version",
			op:      func(s *Store) int64 { return mustPut(t, s, "/k", "v2") },
			wantRev: 3,
			wantKVs: []KeyValue{kv("/k", "v2", 2, 3, 2)},
		},
		{
			name: "delete hides the key",
			op: func(s *Store) int64 {
				res, err := s.DeleteRange("/k", "")
				require.NoError(t, err)
				assert.Equal(t, []KeyValue{kv("/k", "v2", 2, 3, 2)}, res.PrevKVs)
				return res.Rev
			},
			wantRev: 4,
		},
		{
			name: "deleting a missing key is not a write",
			op: func(s *Store) int64 {
				res, err := s.DeleteRange("/k", "")
				require.NoError(t, err)
				assert.Zero(t, res.Deleted)
				return res.Rev
			},
			wantRev: 4,
		},
		{
			name:    "re-create opens a new generation",
			op:      func(s *Store) int64 { return mustPut(t, s, "/k", "v3") },
			wantRev: 5,
			wantKVs: []KeyValue{kv("/k", "v3", 5, 5, 1)},
		},
	}
	s := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantRev, tt.op(s))
			assert.Equal(t, tt.wantRev, s.Rev())
			assert.Equal(t, tt.wantKVs, mustGet(t, s, "/k", 0))
		})
	}

	// Every past revision still reads as it was.
	history := []struct {
		rev     int64
		wantKVs []KeyValue
	}{
		{1, nil},
		{2, []KeyValue{kv("/k", "v1", 2, 2, 1)}},
		{3, []KeyValue{kv("/k", "v2", 2, 3, 2)}},
		{4, nil},
		{5, []KeyValue{kv("/k", "v3", 5, 5, 1)}},
	}
	for _, h := range history {
		assert.Equal(t, h.wantKVs, mustGet(t, s, "/k", h.rev), "rev %d", h.rev)
	}
}

func TestPutReturnsPrevKV(t *testing.T) {
	s := New(Config{})
	res, err := s.Put("/a", []byte("1"), NoLease)
	require.NoError(t, err)
	assert.Nil(t, res.PrevKV)
	res, err = s.Put("/a", []byte("2"), NoLease)
	require.NoError(t, err)
	require.NotNil(t, res.PrevKV)
	assert.Equal(t, kv("/a", "1", 2, 2, 1), *res.PrevKV)
}

func TestPutCopiesValue(t *testing.T) {
	s := New(Config{})
	buf := []byte("abc")
	mustPutBytes := func() {
		_, err := s.Put("/a", buf, NoLease)
		require.NoError(t, err)
	}
	mustPutBytes()
	buf[0] = 'X'
	assert.Equal(t, []byte("abc"), mustGet(t, s, "/a", 0)[0].Value)
}

func TestEmptyKeyIsRejected(t *testing.T) {
	s := New(Config{})
	_, err := s.Put("", nil, NoLease)
	assert.ErrorIs(t, err, ErrEmptyKey)
	_, err = s.Range("", "", RangeOptions{})
	assert.ErrorIs(t, err, ErrEmptyKey)
	_, err = s.DeleteRange("", allKeys)
	assert.ErrorIs(t, err, ErrEmptyKey)
	assert.EqualError(t, err, "etcdserver: key is not provided")
}

func keysOf(kvs []KeyValue) []string {
	var keys []string
	for _, kv := range kvs {
		keys = append(keys, kv.Key)
	}
	return keys
}

func TestRange(t *testing.T) {
	s := New(Config{})
	for _, k := range []string{"/a", "/b/1", "/b/2", "/b/3", "/c", "/d"} {
		mustPut(t, s, k, "v"+k) // revisions 2..7
	}
	_, err := s.DeleteRange("/c", "") // rev 8
	require.NoError(t, err)

	tests := []struct {
		name      string
		key, end  string
		opt       RangeOptions
		wantKeys  []string
		wantCount int64
		wantMore  bool
		wantErr   error
	}{
		{name: "single key", key: "/b/2", wantKeys: []string{"/b/2"}, wantCount: 1},
		{name: "missing key", key: "/zz", wantCount: 0},
		{name: "prefix", key: "/b/", end: PrefixEnd("/b/"), wantKeys: []string{"/b/1", "/b/2", "/b/3"}, wantCount: 3},
		{name: "half-open range", key: "/a", end: "/b/3", wantKeys: []string{"/a", "/b/1", "/b/2"}, wantCount: 3},
		{name: "from key skips deleted", key: "/b/3", end: allKeys, wantKeys: []string{"/b/3", "/d"}, wantCount: 2},
		{name: "end before key", key: "/d", end: "/a", wantCount: 0},
		{name: "limit counts everything", key: "/", end: allKeys, opt: RangeOptions{Limit: 2}, wantKeys: []string{"/a", "/b/1"}, wantCount: 5, wantMore: true},
		{name: "limit not reached", key: "/", end: allKeys, opt: RangeOptions{Limit: 5}, wantKeys: []string{"/a", "/b/1", "/b/2", "/b/3", "/d"}, wantCount: 5},
		{name: "count only", key: "/", end: allKeys, opt: RangeOptions{CountOnly: true, Limit: 1}, wantCount: 5},
		{name: "past revision sees the deleted key", key: "/c", end: allKeys, opt: RangeOptions{Rev: 7}, wantKeys: []string{"/c", "/d"}, wantCount: 2},
		{name: "past revision before the key", key: "/", end: allKeys, opt: RangeOptions{Rev: 3}, wantKeys: []string{"/a", "/b/1"}, wantCount: 2},
		{name: "future revision", key: "/a", opt: RangeOptions{Rev: 9}, wantErr: ErrFutureRev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Range(tt.key, tt.end, tt.opt)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantKeys, keysOf(res.KVs))
			assert.Equal(t, tt.wantCount, res.Count)
			assert.Equal(t, tt.wantMore, res.More)
			assert.Equal(t, int64(8), res.Rev)
		})
	}
}

func TestRangeKeysOnly(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/a", "value")
	res, err := s.Range("/a", "", RangeOptions{KeysOnly: true})
	require.NoError(t, err)
	require.Len(t, res.KVs, 1)
	assert.Nil(t, res.KVs[0].Value)
	assert.Equal(t, int64(2), res.KVs[0].ModRevision)
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix string
		want   string
	}{
		{"/registry/pods/", "/registry/pods0"},
		{"a", "b"},
		{"a\xff", "b"},
		{"\xff\xff", allKeys},
		{"", allKeys},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, PrefixEnd(tt.prefix), "prefix %q", tt.prefix)
	}
}

func TestStatus(t *testing.T) {
	s := New(Config{})
	mustPut(t, s, "/a", "1")
	mustPut(t, s, "/a", "2")
	mustPut(t, s, "/b", "3")
	_, err := s.DeleteRange("/b", "")
	require.NoError(t, err)
	st := s.Status()
	assert.Equal(t, int64(5), st.Revision)
	assert.Equal(t, int64(0), st.CompactRevision)
	assert.Equal(t, 1, st.Keys)
	assert.Equal(t, 4, st.Revisions)
	assert.Positive(t, st.DBSize)
}

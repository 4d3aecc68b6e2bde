package etcd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshotSaveAndRestoreRoundTrip(t *testing.T) {
	tc := newTestCluster(t, 3, 7)
	tc.waitLeader(5 * time.Second)
	_, err := tc.cl.Txn(put("/registry/a", "1"))
	require.NoError(t, err)
	lease, err := tc.cl.Grant(60)
	require.NoError(t, err)
	snapRes, err := tc.cl.Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut("/registry/leased", []byte("x"), lease.ID)}})
	require.NoError(t, err)
	snapRev := snapRes.Header.Revision
	oldCluster := tc.members[0].Disk.ClusterID
	oldIDs := []uint64{tc.members[0].ID, tc.members[1].ID, tc.members[2].ID}

	// etcdctl snapshot save, from a follower.
	f := (tc.leader() + 1) % 3
	data, err := SaveSnapshot(NewClient(tc.ext, tc.names[f]))
	require.NoError(t, err)
	after, err := tc.cl.Txn(put("/registry/b", "written after the snapshot"))
	require.NoError(t, err)

	// Stop the members, restore every data directory, start them again.
	for _, n := range tc.nodes {
		require.NoError(t, tc.k.StopNode(n))
	}
	disks := []*Disk{tc.members[0].Disk, tc.members[1].Disk, tc.members[2].Disk}
	require.NoError(t, RestoreCluster(data, disks, RestoreOptions{Names: tc.names, Token: "etcd-cluster-restored",
		BumpRevision: RecommendedBumpRevision, MarkCompacted: true, Now: tc.k.Now()}))
	for _, n := range tc.nodes {
		require.NoError(t, tc.k.StartNode(n))
	}
	tc.waitLeader(5 * time.Second)

	got, err := tc.cl.Range("/registry/", mvcc.PrefixEnd("/registry/"), mvcc.RangeOptions{}, false)
	require.NoError(t, err)
	var keys []string
	for _, kv := range got.KVs {
		keys = append(keys, kv.Key)
	}
	assert.Equal(t, []string{"/registry/a", "/registry/leased"}, keys, "objects written after the snapshot are gone")
	assert.Equal(t, snapRev+RecommendedBumpRevision, got.Header.Revision, "--bump-revision")
	assert.Greater(t, got.Header.Revision, after.Header.Revision)
	assert.NotEqual(t, oldCluster, got.Header.ClusterID, "a new cluster")
	for i, m := range tc.members {
		assert.NotEqual(t, oldIDs[i], m.ID, "member %d has a new ID", i)
		assert.Equal(t, got.Header.ClusterID, m.Disk.ClusterID)
	}

	// --mark-compacted: a watcher resuming from a revision it saw before
	// the restore is told to relist.
	_, _, err = tc.cl.Watch(mvcc.WatchRequest{Key: "/registry/", End: mvcc.PrefixEnd("/registry/"), StartRev: after.Header.Revision + 1})
	var ce *mvcc.CompactedError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, got.Header.Revision, ce.CompactRevision)

	// The restored cluster works, and its lease survived with a full TTL.
	_, err = tc.cl.KeepAlive(lease.ID)
	require.NoError(t, err)
	_, err = tc.cl.Txn(put("/registry/c", "new"))
	require.NoError(t, err)
}

func TestRestoreRefusesDamagedSnapshots(t *testing.T) {
	tc := newTestCluster(t, 1, 1)
	_, err := tc.cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	data, err := SaveSnapshot(tc.cl)
	require.NoError(t, err)
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 0xff
	err = RestoreCluster(bad, []*Disk{NewDisk()}, RestoreOptions{Names: []string{"x"}})
	assert.True(t, errors.Is(err, mvcc.ErrSnapshotIntegrity), "%v", err)
	err = RestoreCluster(data, []*Disk{NewDisk()}, RestoreOptions{Names: []string{"x"}, BumpRevision: 10})
	assert.True(t, errors.Is(err, mvcc.ErrRestoreOptions), "%v", err)
	err = RestoreCluster(data, []*Disk{NewDisk(), NewDisk()}, RestoreOptions{Names: []string{"x"}})
	assert.Error(t, err)
}

func TestEndpointStatusTable(t *testing.T) {
	tc := newTestCluster(t, 3, 1)
	tc.waitLeader(5 * time.Second)
	_, err := tc.cl.Txn(put("/a", "1"))
	require.NoError(t, err)
	tc.k.RunFor(10 * time.Millisecond)
	require.NoError(t, tc.k.StopNode(tc.nodes[2]))
	cl := NewClient(tc.ext, tc.names...)
	cl.Timeout = time.Second
	table := FormatStatusTable(Statuses(cl, tc.names))
	t.Log("\n" + table)
	lines := strings.Split(strings.TrimSpace(table), "\n")
	require.Len(t, lines, 7)
	assert.Equal(t, "| ENDPOINT  |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | REVISION | ERRORS |", lines[1])
	assert.Contains(t, lines[3], "| etcd-cp-1 ")
	assert.Contains(t, lines[3], "|  3.5.16 |")
	assert.Equal(t, "Failed to get the status of endpoint etcd-cp-3 (context deadline exceeded)", lines[6])
	leaders := strings.Count(table, "|      true |")
	assert.Equal(t, 1, leaders)
}

func TestHumanBytes(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1500, "1.5 kB"}, {82000, "82 kB"}, {2 << 30, "2.1 GB"}, {9960, "10 kB"}, {9940, "9.9 kB"}} {
		assert.Equal(t, tt.want, HumanBytes(tt.n))
	}
}

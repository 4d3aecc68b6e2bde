package etcdrestore

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "ab4eecbd600ebb81dbd64d971aa88774513f0353ad48fc7d0bee384996414355"

func configMap(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: payments\ndata: {owner: billing}\n", name)
}

func TestRestoreFromSnapshot(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeRestore)
}

func gradeRestore(t testing.TB) {
	k := simtest.Start(t)
	c := k.Cluster()
	k.Apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n")
	k.Apply(configMap("settings"))

	// Last night's backup: etcdctl snapshot save.
	snap, err := etcd.SaveSnapshot(etcd.NewClient(k.Kernel().External("etcdctl", ""), c.EtcdMembers...))
	require.NoError(t, err, "etcdctl snapshot save")

	// This morning: a new object, then the accident.
	k.Apply(configMap("created-after-the-backup"))
	_, err = c.Admin.Delete("configmaps", "payments", "settings", client.DeleteOptions{})
	require.NoError(t, err)
	_, lastRV, err := c.Admin.List("configmaps", "payments", client.ListOptions{})
	require.NoError(t, err)
	seen, _ := strconv.ParseInt(lastRV, 10, 64)

	cp := ControlPlane{EtcdMembers: c.EtcdMembers, APIServers: c.APIServers, Disks: []*etcd.Disk{c.Disk("cp-1")}}
	require.NoError(t, Restore(k.Kernel(), cp, snap), "Restore")

	// The cluster serves again, with the state of the snapshot.
	k.Eventually(time.Minute, "ConfigMap payments/settings is back", func() (string, bool) {
		_, err := c.Admin.Get("configmaps", "payments", "settings")
		return fmt.Sprintf("kubectl get configmap settings -n payments: %v", err), err == nil
	})
	_, err = c.Admin.Get("configmaps", "payments", "created-after-the-backup")
	assert.True(t, apierrors.IsNotFound(err), "what was written after the snapshot is gone: want NotFound, got %v", err)

	// resourceVersions never go backwards: a client that saw lastRV must
	// not be told about older revisions as if they were new.
	_, rv, err := c.Admin.List("configmaps", "payments", client.ListOptions{})
	require.NoError(t, err)
	now, _ := strconv.ParseInt(rv, 10, 64)
	assert.Greater(t, now, seen, "the resourceVersion after the restore (%d) is beyond every one a client has seen (%d)", now, seen)

	// A watcher resuming from what it saw before the restore is told to
	// relist (410 Gone), instead of silently keeping deleted objects.
	_, err = c.Admin.Watch("configmaps", "payments", client.ListOptions{ResourceVersion: lastRV})
	assert.True(t, apierrors.IsGone(err), "a watch from resourceVersion %s (before the restore) must get 410 Gone and relist; got %v", lastRV, err)
}

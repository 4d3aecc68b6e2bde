package nodefs

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilesDirectoriesAndMounts(t *testing.T) {
	f := New()
	v0 := f.Version()
	require.NoError(t, f.WriteFile("/etc/kubernetes/manifests/etcd.yaml", []byte("a"), 0o600))
	require.NoError(t, f.WriteFile("/etc/kubernetes/admin.conf", []byte("bc"), 0))
	assert.Greater(t, f.Version(), v0)
	b, err := f.ReadFile("/etc/kubernetes/manifests/../admin.conf")
	require.NoError(t, err)
	assert.Equal(t, "bc", string(b))

	_, err = f.ReadFile("/etc/nope")
	assert.True(t, errors.Is(err, fs.ErrNotExist))
	assert.EqualError(t, err, "open /etc/nope: no such file or directory")
	_, err = f.ReadFile("/etc/kubernetes")
	assert.EqualError(t, err, "read /etc/kubernetes: is a directory")
	assert.Error(t, f.WriteFile("relative", nil, 0))

	es, err := f.ReadDir("/etc/kubernetes")
	require.NoError(t, err)
	require.Len(t, es, 2)
	assert.Equal(t, Entry{Name: "admin.conf", Size: 2, Mode: 0o644}, es[0])
	assert.True(t, es[1].Dir)
	_, err = f.ReadDir("/etc/kubernetes/admin.conf")
	assert.EqualError(t, err, "readdirent /etc/kubernetes/admin.conf: not a directory")

	require.NoError(t, f.MkdirAll("/tmp"))
	require.NoError(t, f.Rename("/etc/kubernetes/manifests/etcd.yaml", "/tmp"))
	assert.True(t, f.Exists("/tmp/etcd.yaml"), "mv into a directory keeps the name")
	assert.False(t, f.Exists("/etc/kubernetes/manifests"), "an empty directory goes with its last file")
	require.NoError(t, f.Rename("/tmp", "/root/saved"))
	assert.Equal(t, []string{"/etc/kubernetes/admin.conf", "/root/saved/etcd.yaml"}, f.Files())

	disk := &struct{ n int }{1}
	require.NoError(t, f.Mount("/var/lib/etcd", disk))
	m, ok := f.Mounted("/var/lib/etcd/")
	require.True(t, ok)
	assert.Same(t, disk, m)
	es, err = f.ReadDir("/var/lib")
	require.NoError(t, err)
	assert.Equal(t, []Entry{{Name: "etcd", Dir: true, Mode: fs.ModeDir | 0o755, Mount: true}}, es)
	assert.True(t, f.Unmount("/var/lib/etcd"))
	assert.False(t, f.Exists("/var/lib/etcd"))
	assert.Error(t, f.Remove("/var/lib/etcd"))
}

package cluster

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// TestTypedCacheChangesNothing: kube-apiserver's cache of the field
// manager's typed values (apiserver.TypedCacheSize) only saves work. The
// same run with and without it — Deployments to Running, a scale-down,
// a node powered off, leases and node status renewed for two virtual
// minutes — stores the same bytes at every key, managedFields included,
// and records the same trace.
func TestTypedCacheChangesNothing(t *testing.T) {
	run := func(size int) (map[string]string, string) {
		prev := apiserver.TypedCacheSize
		apiserver.TypedCacheSize = size
		defer func() { apiserver.TypedCacheSize = prev }()
		h := sha256.New()
		c, err := New(Config{Seed: 3, Workers: []string{"worker-1", "worker-2", "worker-3"}, Options: []sim.Option{sim.WithTraceSink(func(r sim.Record) {
			h.Write([]byte(r.Text()))
			h.Write([]byte{'\n'})
		})}})
		require.NoError(t, err)
		defer c.Stop()
		require.True(t, c.WaitFor(c.NodesReady, time.Minute), "nodes Ready")
		r := rung{nodes: 3, pods: 30, perDeployment: 15}
		_, err = c.ApplyObjects(ladderManifests(r)...)
		require.NoError(t, err)
		require.True(t, c.WaitFor(func() bool { return deploymentsReady(c, 2) }, 5*time.Minute), "pods Running")
		require.NoError(t, c.K.StopNode("worker-1"))
		c.K.RunFor(2 * time.Minute)
		_, st := c.Store()
		res, err := st.Range("\x00", "\x00", mvcc.RangeOptions{})
		require.NoError(t, err)
		kvs := map[string]string{}
		for _, kv := range res.KVs {
			kvs[kv.Key] = string(kv.Value)
		}
		return kvs, fmt.Sprintf("%x", h.Sum(nil))
	}
	without, traceWithout := run(0)
	with, traceWith := run(apiserver.TypedCacheSize)
	managed := 0
	for k, v := range without {
		if strings.Contains(v, `"managedFields"`) {
			managed++
		}
		if with[k] != v {
			t.Errorf("%s differs with the typed cache:\nwithout: %s\nwith:    %s", k, v, with[k])
		}
	}
	assert.Len(t, with, len(without), "the same keys")
	assert.Greater(t, managed, 50, "the comparison covers managedFields")
	assert.Equal(t, traceWithout, traceWith, "the same trace")
}

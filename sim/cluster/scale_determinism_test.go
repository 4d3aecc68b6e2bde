package cluster

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim"
)

// scaleNodes is the size of the determinism test at scale, from
// KUBESIM_SCALE_NODES (`make test-scale` sets 1000); unset, the test is
// skipped: a 1,000-node run takes minutes, too long for `make test`.
func scaleNodes(t *testing.T) int {
	v := os.Getenv("KUBESIM_SCALE_NODES")
	if v == "" {
		t.Skip("set KUBESIM_SCALE_NODES (make test-scale) to run the determinism test at scale")
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "KUBESIM_SCALE_NODES")
	return n
}

// scaleTraceHash boots a cluster of n workers, runs 10 pods per node (one
// Deployment and Service per 15) to Running and powers one node off, and
// returns the SHA-256 of the whole trace.
func scaleTraceHash(t *testing.T, n int) (string, uint64) {
	h := sha256.New()
	workers := make([]string, n)
	for i := range workers {
		workers[i] = fmt.Sprintf("node-%05d", i+1)
	}
	c, err := New(Config{Seed: 7, Workers: workers, Options: []sim.Option{sim.WithTraceCapacity(1 << 10), sim.WithTraceSink(func(r sim.Record) {
		h.Write([]byte(r.Text()))
		h.Write([]byte{'\n'})
	})}})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.NodesReady, 5*time.Minute), "nodes Ready")
	r := rung{nodes: n, pods: 10 * n, perDeployment: 15}
	_, err = c.ApplyObjects(ladderManifests(r)...)
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return deploymentsReady(c, r.pods/r.perDeployment) }, 10*time.Minute), "pods Running")
	require.NoError(t, c.K.StopNode(workers[0]))
	c.K.RunFor(time.Minute)
	return fmt.Sprintf("%x", h.Sum(nil)), c.K.Steps()
}

func TestSameSeedSameTraceAtScale(t *testing.T) {
	n := scaleNodes(t)
	prev := runtime.GOMAXPROCS(1)
	a, stepsA := scaleTraceHash(t, n)
	runtime.GOMAXPROCS(max(2, prev))
	b, stepsB := scaleTraceHash(t, n)
	runtime.GOMAXPROCS(prev)
	assert.Equal(t, stepsA, stepsB, "kernel events")
	assert.Equal(t, a, b, "the trace hash of %d nodes at GOMAXPROCS=1 and %d", n, max(2, prev))
	t.Logf("%d nodes: %d events, trace sha256 %s", n, stepsA, a)
}

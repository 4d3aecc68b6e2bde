package etcd

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenFailover keeps the trace of a 3-member cluster's life as a
// golden transcript: the first election (pre-vote, vote), a write
// replicated and committed, the leader's crash, the re-election an election
// timeout later and the next write. Timer records (raft ticks) are left out.
// Regenerate with `go test -run TestGoldenFailover -update` and review the
// diff.
func TestGoldenFailover(t *testing.T) {
	tc := newTestCluster(t, 3, 1)
	var b strings.Builder
	tc.k.Trace().AddSink(func(r sim.Record) {
		if r.Event != sim.EventTimer {
			b.WriteString(r.Text())
			b.WriteByte('\n')
		}
	})
	l, _ := tc.waitLeader(5 * time.Second)
	_, err := NewClient(tc.ext, tc.names[l]).Txn(put("/registry/configmaps/default/a", "1"))
	require.NoError(t, err)
	tc.k.RunFor(200 * time.Millisecond)
	b.WriteString("--- crash the leader\n")
	require.NoError(t, tc.k.Crash(tc.names[l]))
	nl, _ := tc.waitLeader(5 * time.Second)
	_, err = NewClient(tc.ext, tc.names[nl]).Txn(put("/registry/configmaps/default/b", "2"))
	require.NoError(t, err)

	path := filepath.Join("testdata", "failover.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	assert.Equal(t, string(want), b.String())
}

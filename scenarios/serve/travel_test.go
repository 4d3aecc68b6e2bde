package serve

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The prompt travels back through a served run: requests from a real
// client (here over HTTP) are replayed on a second cluster, and views at a
// record before the create show no pod, while the served cluster keeps it.
func TestPromptTravelsBackThroughTheServedRun(t *testing.T) {
	boot := func(adjust func(*cluster.Config)) (*cluster.Cluster, error) {
		cfg := cluster.Config{Seed: 1}
		adjust(&cfg)
		return cluster.New(cfg)
	}
	c, err := boot(func(*cluster.Config) {})
	require.NoError(t, err)
	srv, err := New(Config{Cluster: c, Boot: boot, Paused: true})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	var before uint64
	require.NoError(t, srv.Do(ctx, func(c *cluster.Cluster) { before = c.K.Trace().Total() }))
	kubectlSession(t, srv) // creates web-1, advances 5 s, deletes it

	var out bytes.Buffer
	require.NoError(t, srv.Prompt(ctx, strings.NewReader(strings.Join([]string{
		"goto #" + itoa(before), "get pods",
		"until pod/web-1 exists", "get pods",
		"goto #999999999", "goto -3s", "until pod/x Flying",
		"live", "get pods",
		"resume", "back 3",
	}, "\n")+"\n"), &out, "en"))
	parts := strings.Split(out.String(), "NAME ")
	require.Len(t, parts, 3, out.String())
	assert.Contains(t, parts[0], "No resources found in default namespace.", "before the create there is no pod")
	assert.Contains(t, parts[0], "(in the past at #"+itoa(before))
	assert.Contains(t, parts[0], "pod/web-1 exists holds at #")
	i := strings.Index(parts[0], "holds at #")
	created := parseUint(parts[0][i+len("holds at #"):])
	assert.Greater(t, created, before)
	assert.Regexp(t, `^\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+web-1\s+0/1\s+Pending`, parts[1], "right after the create the pod is Pending")
	assert.Contains(t, parts[1], "past the end of the run", "bad moves are refused")
	assert.Contains(t, parts[1], "virtual time starts at 0s")
	assert.Contains(t, parts[1], `"Flying" is not a pod phase`)
	assert.Contains(t, parts[1], "(in the past at #"+itoa(created)+";", "and the cursor stays")
	assert.Contains(t, parts[1], "back to the served cluster")
	assert.Contains(t, parts[2], "Terminating", "the served cluster is where it was: web-1 is being deleted")
	assert.Contains(t, parts[2], "time travel works while paused")
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func parseUint(s string) uint64 {
	var n uint64
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + uint64(r-'0')
	}
	return n
}

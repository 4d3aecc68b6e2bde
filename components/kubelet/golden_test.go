package kubelet

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenPodLifecycle records what the kubelet on worker-1 does with one
// pod, from its binding to its deletion: its notes, events and the CNI
// messages, with virtual times. Requests to the apiserver are left out so
// that the transcript changes only when the kubelet does.
// Regenerate with: go test ./components/kubelet -run Golden -update
func TestGoldenPodLifecycle(t *testing.T) {
	var lines []string
	var from time.Duration
	sink := sim.WithTraceSink(func(r sim.Record) {
		if from == 0 {
			return
		}
		kubelet := r.From == "kubelet-worker-1" || r.To == "kubelet-worker-1"
		cniMsg := strings.HasPrefix(r.Kind, "CNI ")
		if !kubelet || (r.Event != sim.EventNote && !cniMsg && r.Event != sim.EventTimer) {
			return
		}
		text := r.Text() // "[  time] #seq rest": keep the time since the create and the rest
		rest := text[strings.Index(text, "] #")+3:]
		rest = rest[strings.Index(rest, " ")+1:]
		lines = append(lines, "["+sim.FormatVirtual(r.Time-from)+"] "+rest)
	})
	e := newEnv(t, envOpts{options: []sim.Option{sink}})
	from = e.c.K.Now()
	e.create(pod("web", "worker-1", "nginx:1.27", withBehavior(`main: {readyAfter: 3s, stopDelay: 2s, logs: ["ready to serve"]}`)))
	e.waitPod("web", time.Minute, ready)
	grace := int64(30)
	_, err := e.c.Admin.Delete("pods", "default", "web", client.DeleteOptions{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	e.waitGone("web", time.Minute)
	got := strings.Join(lines, "\n") + "\n"

	path := filepath.Join("testdata", "pod-lifecycle.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

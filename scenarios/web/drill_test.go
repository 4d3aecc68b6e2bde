package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/kubesim/kubesim/scenarios/narrate"
)

func nodeFailure(t *testing.T) *Data {
	t.Helper()
	dr, ok, err := library.Load("node-failure-eviction")
	require.True(t, ok)
	require.NoError(t, err)
	d, err := Build(Run{Name: dr.Name, Title: narrate.Text{En: dr.Title.En, Ko: dr.Title.Ko}, Seed: dr.Seed}, drill.Program(dr, drill.Options{}, &drill.Result{}))
	require.NoError(t, err)
	return d
}

// The node-failure drill's page: the node goes NotReady, its pods are
// evicted, and replacements run on the nodes left.
func TestNodeFailurePage(t *testing.T) {
	d := nodeFailure(t)
	var down, notReady, evicted uint64
	for _, s := range d.Downs {
		if len(s.Down) == 1 && s.Down[0] == "worker-3" && down == 0 {
			down = s.N
		}
	}
	require.NotZero(t, down, "worker-3 is powered off at some record")
	for _, w := range d.Writes {
		if w.NodeOf != nil && w.NodeOf.Name == "worker-3" && w.NodeOf.Ready != "True" && w.NodeOf.Ready != "" && notReady == 0 {
			notReady = w.N
		}
		if w.Pod != nil && w.Pod.Node == "worker-3" && w.Pod.Terminating && strings.HasPrefix(w.Pod.Name, "web-") && evicted == 0 {
			evicted = w.N
		}
	}
	require.NotZero(t, notReady, "worker-3's Ready condition leaves True")
	require.NotZero(t, evicted, "its pods are evicted")
	assert.Less(t, down, notReady)
	assert.Less(t, notReady, evicted)
	last := d.Records[len(d.Records)-1].N
	running := map[string]int{}
	for _, w := range d.Writes {
		if w.Pod == nil || !strings.HasPrefix(w.Pod.Name, "web-") {
			continue
		}
		if at := d.WriteAt(w.Key, last); at != nil && at.Rev == w.Rev && !at.Pod.Terminating && at.Pod.Phase == "Running" {
			running[at.Pod.Node]++
		}
	}
	assert.Equal(t, 6, running["worker-1"]+running["worker-2"], "six replicas run on the live workers at the end: %v", running)
	assert.Zero(t, running["worker-3"])

	if chromiumPath() == "" {
		t.Skip("no chromium binary on PATH: the rest is the page in the browser")
	}
	url := writePage(t, d)
	b := newBrowser(t)
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s#seq=%d", url, evicted)), loaded)
	assert.True(t, b.present(t, `[data-node="worker-3"].down`), "worker-3 is drawn powered off")
	assert.True(t, b.present(t, `[data-node="worker-3"] .pod[data-phase="Terminating"]`), "with its evicted pods")
	series := b.eval(t, `kubesimView.series()`).(map[string]any)
	get := func(phase, what string) float64 { return series[phase].(map[string]any)[what].(float64) }
	assert.GreaterOrEqual(t, get("NotReady", "max"), 1.0, "the plot shows the node NotReady")
	assert.GreaterOrEqual(t, get("Terminating", "max"), 1.0, "and the eviction")
	assert.GreaterOrEqual(t, get("Running", "last"), 6.0, "and the replacements running")
	b.noErrors(t)
}

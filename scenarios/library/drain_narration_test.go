package library

import (
	"strings"
	"testing"

	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The drain drill's evictions are narrated from the eviction API's typed
// notes, in English and Korean: at least one allowed by the budget and
// one refused with 429.
func TestDrainDrillNarratesEvictions(t *testing.T) {
	d, ok, err := Load("drain-with-pdb")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	var allowed, refused int
	for _, r := range res.Shown {
		n, ok := r.Body().(apiserver.EvictionNote)
		if !ok {
			continue
		}
		en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		assert.True(t, narrate.Typed(r))
		assert.Contains(t, en, n.Pod)
		assert.Contains(t, ko, n.Pod)
		assert.NotEqual(t, en, ko)
		switch {
		case n.Allowed && n.PDB == "web":
			allowed++
			assert.Contains(t, en, "PodDisruptionBudget web allowed")
		case !n.Allowed:
			refused++
			assert.True(t, strings.Contains(en, "429") && strings.Contains(ko, "429"), en)
			assert.Equal(t, int32(2), n.DesiredHealthy)
		}
	}
	assert.GreaterOrEqual(t, allowed, 3, "each web pod is let go by the budget")
	assert.GreaterOrEqual(t, refused, 1, "the budget refused at least once")
}

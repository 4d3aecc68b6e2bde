package library

import (
	"flag"
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seeds is how many seeds (1..N) TestEveryBuiltInPassesForEverySeed runs
// each built-in drill with. `make test` runs a few under the race
// detector; `make seeds` runs all hundred without it.
var seeds = flag.Int("seeds", 3, "run every built-in drill for seeds 1..N")

// large runs the large drills (library.IsLarge) in every test of the
// package; without it they run once, in TestEveryBuiltInDrillPasses
// (`make test-large` sets it).
var large = flag.Bool("large", false, "run the large built-in drills for every seed, mutant and view too")

// skipLarge skips a large drill unless -large is set.
func skipLarge(t *testing.T, d *drill.Drill) {
	t.Helper()
	if IsLarge(d) && !*large {
		t.Skipf("a drill of %d nodes runs for minutes: make test-large", len(d.Cluster.ControlPlanes)+len(d.Cluster.Workers))
	}
}

// Every built-in walkthrough and drill passes whatever the seed: no step
// or expectation depends on which node a pod lands on, which etcd member
// leads, or which identity Cilium allocates first.
func TestEveryBuiltInPassesForEverySeed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: every drill for every seed is the long tier")
	}
	for _, name := range Names() {
		d, _, err := Load(name)
		require.NoError(t, err)
		if d.IsIncident() {
			continue // incidents are proven by package incident's tests
		}
		for s := uint64(1); s <= uint64(*seeds); s++ {
			seed := s
			t.Run(fmt.Sprintf("%s/seed-%d", name, s), func(t *testing.T) {
				skipLarge(t, d)
				t.Parallel()
				res, err := drill.Run(d, drill.Options{Seed: &seed})
				require.NoError(t, err)
				for _, st := range res.Steps {
					assert.True(t, st.OK, "step %d %s (line %d): %s", st.Index+1, st.Name, st.Line, st.Error)
					for _, g := range st.Expect {
						assert.True(t, g.Passed, "%s (line %d): want %s, saw %s", g.Name, g.Line, g.Want, g.Saw)
					}
				}
				for _, g := range res.Expectations {
					assert.True(t, g.Passed, "%s (line %d): want %s, saw %s", g.Name, g.Line, g.Want, g.Saw)
				}
				assert.True(t, res.Passed)
			})
		}
	}
}

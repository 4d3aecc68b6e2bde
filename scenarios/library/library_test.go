package library

import (
	"testing"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every built-in drill parses and passes its own expectations.
func TestEveryBuiltInDrillPasses(t *testing.T) {
	names := Names()
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			d, ok, err := Load(name)
			require.True(t, ok)
			require.NoError(t, err)
			res, err := drill.Run(d, drill.Options{})
			require.NoError(t, err)
			for _, s := range res.Steps {
				assert.True(t, s.OK, "step %d (%s): %s", s.Index, s.Action, s.Error)
				for _, g := range s.Expect {
					assert.True(t, g.Passed, "%s: want %s, saw %s", g.Name, g.Want, g.Saw)
				}
			}
			for _, g := range res.Expectations {
				assert.True(t, g.Passed, "%s: want %s, saw %s", g.Name, g.Want, g.Saw)
			}
			assert.True(t, res.Passed)
		})
	}
}

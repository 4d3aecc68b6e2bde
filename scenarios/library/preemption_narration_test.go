package library

import (
	"testing"

	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The preemption drill's decisions are narrated from the scheduler's
// typed PreemptionNotes, in English and Korean: the web pods preempt on
// worker-2 because the database's budget makes worker-1 the worse
// candidate, and later wait for their victims instead of preempting again.
func TestPreemptionDrillNarratesDecisions(t *testing.T) {
	d, ok, err := Load("priority-preemption")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	var chosen, waiting, none int
	for _, r := range res.Shown {
		n, ok := r.Body().(scheduler.PreemptionNote)
		if !ok {
			continue
		}
		en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		assert.True(t, narrate.Typed(r))
		pod := n.Namespace + "/" + n.Name
		assert.Contains(t, en, pod)
		assert.Contains(t, ko, pod)
		assert.NotEqual(t, en, ko)
		switch {
		case n.Chosen != "":
			chosen++
			assert.Equal(t, "worker-2", n.Chosen)
			assert.Equal(t, plugins.ByPDBViolations, n.DecidedBy, "worker-1's victims would violate the db budget")
			assert.Contains(t, en, `by the rule "fewest PDB violations"`)
			assert.Contains(t, ko, "PDB 위반이 가장 적음")
			for _, c := range n.Candidates {
				assert.Contains(t, en, c.Node)
				if c.Node == "worker-1" {
					assert.Equal(t, 1, c.NumPDBViolations)
				}
			}
			for _, v := range n.Candidates[0].Victims {
				assert.Contains(t, en, v.Name)
			}
		case n.NotEligible == plugins.ErrReasonTerminatingOnNominated:
			waiting++
			assert.Contains(t, en, "worker-2")
			assert.Contains(t, en, "still terminating")
		case n.NotEligible == "":
			none++
		}
	}
	assert.Equal(t, 2, chosen, "each web pod preempts once")
	assert.GreaterOrEqual(t, waiting, 1, "a web pod waits for its victims")
	assert.GreaterOrEqual(t, none, 1, "the batch replacements find no candidate")
}

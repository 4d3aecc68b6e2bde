package library

import (
	"testing"

	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The job-pi-and-cron drill's CronJob decisions and its pod failure policy
// match are narrated from the controllers' typed notes, in English and
// Korean, each sentence naming the Job it is about.
func TestJobDrillNarratesCronJobDecisions(t *testing.T) {
	d, ok, err := Load("job-pi-and-cron")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	seen := map[controllers.CronJobDecision]int{}
	failJob := 0
	for _, r := range res.Shown {
		switch n := r.Body().(type) {
		case controllers.CronJobNote:
			en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
			assert.True(t, narrate.Typed(r))
			assert.NotEqual(t, en, ko)
			assert.True(t, hangul(ko), ko)
			assert.Contains(t, en, n.Job)
			assert.Contains(t, ko, n.Job)
			seen[n.Decision]++
		case controllers.JobPodFailureNote:
			en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
			assert.Contains(t, en, n.Pod)
			assert.Contains(t, ko, n.Pod)
			assert.Contains(t, en, "FailJob")
			assert.Contains(t, en, "exited with code 42")
			failJob++
		}
	}
	for _, want := range []controllers.CronJobDecision{controllers.CronJobCreated, controllers.CronJobForbidden, controllers.CronJobSawCompleted, controllers.CronJobPruned} {
		assert.Positive(t, seen[want], "a %s decision is narrated", want)
	}
	assert.Equal(t, 1, failJob, "the crash Job's one failed pod")
}

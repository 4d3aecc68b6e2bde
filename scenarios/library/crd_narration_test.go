package library

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CronTab drill is narrated from the apiextensions controllers' and
// the schema's typed notes, in English and Korean: the CRD Established,
// the CronTab pruned and defaulted, the cleanup that deleted it.
func TestCRDDrillNarratesTheCRDAndItsSchema(t *testing.T) {
	d, ok, err := Load("crd-crontab")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	var established, shaped, cleaned bool
	for _, r := range res.Shown {
		en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		switch n := r.Body().(type) {
		case apiserver.CRDNote:
			assert.True(t, narrate.Typed(r))
			assert.Contains(t, en, n.Name)
			assert.Contains(t, ko, n.Name)
			assert.NotEqual(t, en, ko)
			if n.Condition == api.CRDEstablished && n.Status == api.ConditionTrue {
				established = true
				assert.Contains(t, en, "is Established (InitialNamesAccepted)")
			}
			if n.Condition == api.CRDTerminating && n.Status == api.ConditionFalse {
				cleaned = true
				assert.Equal(t, 1, n.Deleted, "the one CronTab")
				assert.Contains(t, en, "deleted 1 custom resource(s)")
			}
		case apiserver.CustomNote:
			if n.Name != "my-new-cron-object" {
				continue
			}
			shaped = true
			assert.Equal(t, []string{"spec.schedule"}, n.Pruned)
			assert.Equal(t, []string{"spec.replicas"}, n.Defaulted)
			assert.Contains(t, en, "prunes spec.schedule")
			assert.Contains(t, en, "sets spec.replicas from the schema's defaults")
			assert.Contains(t, ko, "spec.schedule")
			assert.NotEqual(t, en, ko)
		}
	}
	assert.True(t, established, "the CRD became Established")
	assert.True(t, shaped, "the CronTab was pruned and defaulted")
	assert.True(t, cleaned, "the cleanup deleted the CronTab")
}

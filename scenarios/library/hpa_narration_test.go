package library

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The HPA drill's decisions are narrated from the controller's typed
// records, in English and Korean: the utilization against the target, the
// proposal, and the scale-down that waited for the stabilization window.
func TestHPADrillNarratesDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the HPA drill")
	}
	d, ok, err := Load("hpa-php-apache")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	var ups, downs, failed int
	for _, r := range res.Shown {
		dec, ok := r.Body().(controllers.HPADecision)
		if !ok {
			continue
		}
		en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		assert.True(t, narrate.Typed(r))
		assert.NotEqual(t, en, ko)
		switch {
		case dec.Error != "":
			failed++
			assert.Contains(t, en, dec.ErrorReason)
			assert.Contains(t, ko, dec.ErrorReason)
		case dec.Rescaled && dec.Desired > dec.Current:
			ups++
			want := fmt.Sprintf("%d%% of the pods' requests against a target of 50%%", dec.Utilization)
			assert.Contains(t, en, want)
			assert.Contains(t, ko, fmt.Sprintf("파드 요청의 %d%%", dec.Utilization))
			assert.Contains(t, en, fmt.Sprintf("It sets the scale of Deployment/php-apache to %d.", dec.Desired))
		case dec.Proposed < dec.Current && dec.Stabilized > dec.Proposed:
			downs++
			assert.Contains(t, en, "The scale-down stabilization window keeps the highest recommendation of the last 5m0s")
			assert.Contains(t, ko, "축소 안정화 기간")
		}
	}
	assert.GreaterOrEqual(t, ups, 2, "1 -> 5 -> 7")
	assert.GreaterOrEqual(t, downs, 10, "held up by the window for five minutes")
	assert.GreaterOrEqual(t, failed, 1, "the first sync has no metrics yet")
}

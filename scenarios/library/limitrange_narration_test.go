package library

import (
	"testing"

	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The limitrange-defaults drill narrates, from typed notes and in English
// and Korean, the defaults LimitRanger filled in, the pod it refused, and
// the kubelet's refresh of the mounted ConfigMap.
func TestLimitRangeDrillNarratesDefaultsViolationsAndRefresh(t *testing.T) {
	d, ok, err := Load("limitrange-defaults")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	var defaults, refused, refreshed int
	for _, r := range res.Shown {
		en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		switch n := r.Body().(type) {
		case apiserver.LimitRangerNote:
			assert.True(t, narrate.Typed(r))
			assert.NotEqual(t, en, ko)
			assert.Contains(t, ko, n.Name)
			if len(n.Violations) > 0 {
				refused++
				assert.Equal(t, "big", n.Name)
				assert.Contains(t, en, "LimitRange defaults sets a max of 1 cpu per Container, and the limit is 2")
				assert.Contains(t, ko, "최댓값 1")
			} else if n.Name == "app" {
				defaults++
				assert.Contains(t, en, "container app gets requests cpu=250m, memory=128Mi and limits cpu=500m, memory=256Mi from LimitRange defaults")
				assert.Contains(t, ko, "요청 cpu=250m, memory=128Mi")
			}
		case kubelet.ConfigVolumeNote:
			refreshed++
			assert.Equal(t, "app-config", n.Name)
			assert.Equal(t, []string{"greeting"}, n.Keys)
			assert.Contains(t, en, "rewrites volume config of pod default/app")
			assert.Contains(t, ko, "볼륨 config")
		}
	}
	assert.Equal(t, 1, defaults, "LimitRanger filled in app's resources once")
	assert.Equal(t, 1, refused, "LimitRanger refused big once")
	assert.Equal(t, 1, refreshed, "the kubelet refreshed the volume once")
}

package library

import (
	"testing"

	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dynamic provisioning drill narrates VolumeBinding's decision from
// the scheduler's typed notes, and the kubelet's mount, in English and
// Korean: for each pod the claim to provision on the chosen node, then
// the binding once the claim is Bound.
func TestStorageDrillNarratesVolumeBinding(t *testing.T) {
	d, ok, err := Load("storage-dynamic-provisioning")
	require.True(t, ok)
	require.NoError(t, err)
	res, err := drill.Run(d, drill.Options{})
	require.NoError(t, err)
	require.True(t, res.Passed)
	provisioned, bound, mounted := map[string]string{}, map[string]bool{}, 0
	for _, r := range res.Shown {
		en, ko := narrate.Line(r, narrate.English), narrate.Line(r, narrate.Korean)
		switch n := r.Body().(type) {
		case scheduler.VolumeBindingNote:
			assert.True(t, narrate.Typed(r))
			assert.NotEqual(t, en, ko)
			assert.Contains(t, en, n.Node)
			assert.Contains(t, ko, n.Node)
			if len(n.Bound) > 0 {
				bound[n.Name] = true
				assert.Contains(t, en, "binds the pod to "+n.Node)
				continue
			}
			require.Len(t, n.Provision, 1)
			provisioned[n.Name] = n.Provision[0]
			assert.Contains(t, en, "volume.kubernetes.io/selected-node="+n.Node)
			assert.Contains(t, ko, n.Provision[0])
		case kubelet.PodNote:
			if n.Step == kubelet.StepVolumesMounted {
				mounted++
				assert.Contains(t, en, n.Volumes[0])
				assert.Contains(t, ko, n.Volumes[0])
			}
		}
	}
	assert.Equal(t, map[string]string{"app": "data", "stuck": "fast-data"}, provisioned)
	assert.Equal(t, map[string]bool{"app": true, "stuck": true}, bound)
	assert.Equal(t, 2, mounted, "each pod's kubelet mounts its claim")
}

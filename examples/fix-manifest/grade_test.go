package fixmanifest

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "a416709dcebedb25f7e6a919418cffddac7a10e20f16d097c8060b8c16416138"

func TestManifestAppliesAndRuns(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeManifest)
}

func gradeManifest(t testing.TB) {
	k := simtest.Start(t, simtest.Workers("worker-1", "worker-2"))

	// 1. The manifest decodes strictly and passes validation.
	if _, err := k.TryApply(Manifest); err != nil {
		k.Fail("kubectl apply accepts the manifest", fmt.Sprintf("kubectl apply -f manifest.yaml refused it:\n%v", err))
	}

	// 2. It still means what it meant.
	d, err := client.Get[*api.Deployment](k.Admin(), "default", "web")
	require.NoError(t, err, "the Deployment is named web")
	svc, err := client.Get[*api.Service](k.Admin(), "default", "web")
	require.NoError(t, err, "the Service is named web")
	if assert.NotNil(t, d.Spec.Replicas, "spec.replicas is set") {
		assert.EqualValues(t, 3, *d.Spec.Replicas, "three replicas")
	}
	c := d.Spec.Template.Spec.Containers
	require.Len(t, c, 1, "one container")
	assert.Equal(t, "nginx:1.27", c[0].Image, "the image is unchanged")
	if assert.Len(t, c[0].Ports, 1, "one container port") {
		assert.EqualValues(t, 8080, c[0].Ports[0].ContainerPort, "the app listens on 8080, where the Service sends traffic")
	}
	assert.Equal(t, map[string]string{"app": "web"}, svc.Spec.Selector, "the Service still selects app=web")

	// 3. The pods run, and the Service selects them.
	pods := k.WaitForPodsRunning("app=web", 3, 3*time.Minute)
	sel := api.SelectorFromSet(svc.Spec.Selector)
	for _, p := range pods {
		assert.True(t, sel.Matches(p.Labels), "pod %s is selected by Service web (labels %v)", p.Name, p.Labels)
	}
}

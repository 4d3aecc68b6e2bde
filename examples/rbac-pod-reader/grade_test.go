package rbacpodreader

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "f68f954031b13d19b240c94a011062d05b3bc2705e01415efb3f94afa1c62ed9"

const setup = `apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: viewer
  namespace: team-a
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: team-a
spec:
  containers:
  - name: api
    image: nginx:1.27
---
apiVersion: v1
kind: Secret
metadata:
  name: db-password
  namespace: team-a
stringData:
  password: hunter2
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  containers:
  - name: web
    image: nginx:1.27
`

func TestViewerReadsPodsOnly(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeViewer)
}

func gradeViewer(t testing.TB) {
	k := simtest.Start(t)
	k.Apply(setup)
	if _, err := k.TryApply(Manifest); err != nil {
		k.Fail("kubectl apply accepts the manifest", err.Error())
	}
	// The ServiceAccount's token, as a pod running as team-a/viewer would
	// present it.
	viewer := k.Cluster().ClientAs(apiserver.ServiceAccountTokenFor("team-a", "viewer"))

	allowed := []struct {
		what string
		do   func() error
	}{
		{"list pods in team-a", func() error { _, _, err := viewer.List("pods", "team-a", client.ListOptions{}); return err }},
		{"get pod team-a/api", func() error { _, err := viewer.Get("pods", "team-a", "api"); return err }},
		{"watch pods in team-a", func() error {
			id, err := viewer.Watch("pods", "team-a", client.ListOptions{})
			if err == nil {
				viewer.StopWatch(id)
			}
			return err
		}},
	}
	for _, a := range allowed {
		assert.NoError(t, a.do(), "viewer may %s", a.what)
	}

	denied := []struct {
		what string
		do   func() error
	}{
		{"delete pod team-a/api", func() error { _, err := viewer.Delete("pods", "team-a", "api", client.DeleteOptions{}); return err }},
		{"create a pod in team-a", func() error {
			_, err := viewer.Create(&api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "intruder", Namespace: "team-a"},
				Spec: api.PodSpec{Containers: []api.Container{{Name: "x", Image: "busybox:1.36"}}}})
			return err
		}},
		{"label pod team-a/api (patch)", func() error {
			_, err := viewer.Patch("pods", "team-a", "api", apiwire.StrategicMergePatch, []byte(`{"metadata":{"labels":{"owned":"yes"}}}`), "")
			return err
		}},
		{"read secret team-a/db-password", func() error { _, err := viewer.Get("secrets", "team-a", "db-password"); return err }},
		{"list pods in default", func() error { _, _, err := viewer.List("pods", "default", client.ListOptions{}); return err }},
		{"list pods in all namespaces", func() error { _, _, err := viewer.List("pods", "", client.ListOptions{}); return err }},
	}
	for _, d := range denied {
		err := d.do()
		assert.True(t, apierrors.IsForbidden(err), "viewer must not %s: want 403 Forbidden, got %s", d.what, describe(err))
	}

	// The denied delete left the pod alone.
	_, err := k.Admin().Get("pods", "team-a", "api")
	require.NoError(t, err, "pod team-a/api still exists")
}

func describe(err error) string {
	if err == nil {
		return "success"
	}
	return fmt.Sprintf("%q", err.Error())
}

package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The kubernetes/website task "Configure a Pod to Use a PersistentVolume
// for Storage": pods/storage/pv-volume.yaml and pv-claim.yaml.
const websitePV = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
`

const websitePVC = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
`

func TestRealKubectlStorage(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	t.Run("default class", func(t *testing.T) {
		out := e.must("get", "sc")
		assert.Equal(t, "NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE", firstLine(out))
		assert.Regexp(t, `\nstandard \(default\) +rancher\.io/local-path +Delete +WaitForFirstConsumer +false +\S+\n`, out)
	})
	t.Run("website pv and claim bind", func(t *testing.T) {
		assert.Equal(t, "persistentvolume/task-pv-volume created\n", e.must("apply", "-f", e.file("pv-volume.yaml", websitePV)))
		assert.Equal(t, "persistentvolumeclaim/task-pv-claim created\n", e.must("apply", "-f", e.file("pv-claim.yaml", websitePVC)))
		out := e.eventually("Bound", "get", "pvc")
		assert.Equal(t, "NAME            STATUS   VOLUME           CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE", firstLine(out))
		assert.Regexp(t, `\ntask-pv-claim +Bound +task-pv-volume +10Gi +RWO +manual +<unset> +\S+\n`, out)
		out = e.eventually("Bound", "get", "pv")
		assert.Regexp(t, `^NAME +CAPACITY +ACCESS MODES +RECLAIM POLICY +STATUS +CLAIM +STORAGECLASS +VOLUMEATTRIBUTESCLASS +REASON +AGE\n`, out)
		assert.Regexp(t, `\ntask-pv-volume +10Gi +RWO +Retain +Bound +default/task-pv-claim +manual +<unset> +\S+\n`, out)
	})
	t.Run("describe pvc", func(t *testing.T) {
		out := e.must("describe", "pvc", "task-pv-claim")
		assert.Regexp(t, `Status:\s+Bound`, out)
		assert.Regexp(t, `Volume:\s+task-pv-volume`, out)
		assert.Contains(t, out, "kubernetes.io/pvc-protection")
	})
	t.Run("invalid claim", func(t *testing.T) {
		_, errOut, code := e.run("", "apply", "-f", e.file("bad.yaml", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {resources: {requests: {storage: 1Gi}}}\n"))
		assert.NotEqual(t, 0, code)
		assert.Contains(t, errOut, `spec.accessModes: Required value: at least 1 access mode is required`)
	})
}

package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kubernetes/website task's pods/storage/pv-volume.yaml and
// pv-claim.yaml, as JSON.
const (
	taskPVVolume = `{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"task-pv-volume","labels":{"type":"local"}},
 "spec":{"storageClassName":"manual","capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/mnt/data"}}}`
	taskPVClaim = `{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"task-pv-claim"},
 "spec":{"storageClassName":"manual","accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"3Gi"}}}}`
)

func TestDecodeStorageExamples(t *testing.T) {
	var pv PersistentVolume
	require.NoError(t, DecodeJSONInto([]byte(taskPVVolume), &pv))
	assert.Equal(t, "manual", pv.Spec.StorageClassName)
	assert.Equal(t, "10Gi", pv.Spec.Capacity[ResourceStorage].String())
	require.NotNil(t, pv.Spec.HostPath)
	assert.Equal(t, "/mnt/data", pv.Spec.HostPath.Path)
	assert.Equal(t, []PersistentVolumeAccessMode{ReadWriteOnce}, pv.Spec.AccessModes)

	var pvc PersistentVolumeClaim
	require.NoError(t, DecodeJSONInto([]byte(taskPVClaim), &pvc))
	assert.Equal(t, "manual", PersistentVolumeClaimStorageClass(&pvc))
	assert.Equal(t, "3Gi", pvc.Spec.Resources.Requests[ResourceStorage].String())
}

func TestStorageDefaults(t *testing.T) {
	var pv PersistentVolume
	SetDefaultsPersistentVolume(&pv)
	assert.Equal(t, PersistentVolumeReclaimRetain, pv.Spec.PersistentVolumeReclaimPolicy)
	require.NotNil(t, pv.Spec.VolumeMode)
	assert.Equal(t, PersistentVolumeFilesystem, *pv.Spec.VolumeMode)
	assert.Equal(t, VolumePending, pv.Status.Phase)

	// An explicit policy (a provisioner's Delete) is kept.
	pv2 := PersistentVolume{Spec: PersistentVolumeSpec{PersistentVolumeReclaimPolicy: PersistentVolumeReclaimDelete}}
	SetDefaultsPersistentVolume(&pv2)
	assert.Equal(t, PersistentVolumeReclaimDelete, pv2.Spec.PersistentVolumeReclaimPolicy)

	var pvc PersistentVolumeClaim
	SetDefaultsPersistentVolumeClaim(&pvc)
	assert.Equal(t, ClaimPending, pvc.Status.Phase)
	require.NotNil(t, pvc.Spec.VolumeMode)
	assert.Equal(t, PersistentVolumeFilesystem, *pvc.Spec.VolumeMode)
	assert.Equal(t, "", PersistentVolumeClaimStorageClass(&pvc))

	var sc StorageClass
	SetDefaultsStorageClass(&sc)
	require.NotNil(t, sc.ReclaimPolicy)
	assert.Equal(t, PersistentVolumeReclaimDelete, *sc.ReclaimPolicy)
	require.NotNil(t, sc.VolumeBindingMode)
	assert.Equal(t, VolumeBindingImmediate, *sc.VolumeBindingMode)
	assert.False(t, IsDefaultStorageClass(&sc))
	sc.Annotations = map[string]string{AnnIsDefaultStorageClass: "true"}
	assert.True(t, IsDefaultStorageClass(&sc))
	assert.False(t, IsDefaultStorageClass(nil))
}

func TestAccessModeShort(t *testing.T) {
	for m, want := range map[PersistentVolumeAccessMode]string{ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP", "Other": "Other"} {
		assert.Equal(t, want, AccessModeShort(m), string(m))
	}
}

func TestDeepCopyPersistentVolume(t *testing.T) {
	var pv PersistentVolume
	require.NoError(t, DecodeJSONInto([]byte(taskPVVolume), &pv))
	SetDefaultsPersistentVolume(&pv)
	cp := DeepCopy(&pv)
	cp.Spec.HostPath.Path = "/elsewhere"
	*cp.Spec.VolumeMode = PersistentVolumeBlock
	cp.Spec.AccessModes[0] = ReadWriteMany
	assert.Equal(t, "/mnt/data", pv.Spec.HostPath.Path)
	assert.Equal(t, PersistentVolumeFilesystem, *pv.Spec.VolumeMode)
	assert.Equal(t, ReadWriteOnce, pv.Spec.AccessModes[0])
}

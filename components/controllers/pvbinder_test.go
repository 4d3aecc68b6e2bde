package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kubernetes/website example: pods/storage/pv-volume.yaml (10Gi,
// class manual, hostPath /mnt/data) and pv-claim.yaml (3Gi of manual).
func websitePV(name, size string, policy api.PersistentVolumeReclaimPolicy) *api.PersistentVolume {
	return &api.PersistentVolume{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"type": "local"}},
		Spec: api.PersistentVolumeSpec{StorageClassName: "manual", Capacity: api.ResourceList{api.ResourceStorage: api.MustParseQuantity(size)},
			AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce}, HostPath: &api.HostPathVolumeSource{Path: "/mnt/data"},
			PersistentVolumeReclaimPolicy: policy}}
}

func websiteClaim(class *string) *api.PersistentVolumeClaim {
	return &api.PersistentVolumeClaim{ObjectMeta: api.ObjectMeta{Name: "task-pv-claim", Namespace: "default"},
		Spec: api.PersistentVolumeClaimSpec{StorageClassName: class, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
			Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("3Gi")}}}}
}

func (e *env) claim(name string) *api.PersistentVolumeClaim {
	o, err := client.Get[*api.PersistentVolumeClaim](e.Admin, "default", name)
	require.NoError(e.t, err)
	return o
}

func (e *env) volume(name string) (*api.PersistentVolume, bool) {
	o, err := client.Get[*api.PersistentVolume](e.Admin, "", name)
	return o, err == nil
}

func TestBinderBindsSmallestFitAndReleasesOnRetain(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewPersistentVolumes)
	e.create(websitePV("big", "50Gi", ""))
	e.create(websitePV("task-pv-volume", "10Gi", ""))
	e.create(websiteClaim(ptr("manual")))
	e.waitFor("the claim to be Bound", func() bool { return e.claim("task-pv-claim").Status.Phase == api.ClaimBound }, 10*time.Second)

	pvc := e.claim("task-pv-claim")
	assert.Equal(t, "task-pv-volume", pvc.Spec.VolumeName, "smallest fit")
	assert.Equal(t, "10Gi", pvc.Status.Capacity[api.ResourceStorage].String(), "the volume's capacity, not the request")
	assert.Equal(t, []api.PersistentVolumeAccessMode{api.ReadWriteOnce}, pvc.Status.AccessModes)
	assert.Equal(t, "yes", pvc.Annotations[api.AnnBindCompleted])
	assert.Equal(t, "yes", pvc.Annotations[api.AnnBoundByController])
	pv, _ := e.volume("task-pv-volume")
	assert.Equal(t, api.VolumeBound, pv.Status.Phase)
	require.NotNil(t, pv.Spec.ClaimRef)
	assert.Equal(t, pvc.UID, pv.Spec.ClaimRef.UID)
	assert.Equal(t, "default", pv.Spec.ClaimRef.Namespace)
	big, _ := e.volume("big")
	assert.Equal(t, api.VolumeAvailable, big.Status.Phase)

	// Deleting the claim (no pod uses it) releases the Retain volume.
	_, err := e.Admin.Delete("persistentvolumeclaims", "default", "task-pv-claim", client.DeleteOptions{})
	require.NoError(t, err)
	e.waitFor("the volume to be Released", func() bool { v, _ := e.volume("task-pv-volume"); return v.Status.Phase == api.VolumeReleased }, 10*time.Second)
	_, err = e.Admin.Get("persistentvolumeclaims", "default", "task-pv-claim")
	assert.Error(t, err, "pvc-protection let the unused claim go")
}

func TestBinderDeletesOnDeleteAndExplainsWaiting(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewPersistentVolumes)
	e.create(websiteClaim(ptr("")))
	e.create(&api.PersistentVolumeClaim{ObjectMeta: api.ObjectMeta{Name: "late", Namespace: "default"},
		Spec: api.PersistentVolumeClaimSpec{AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
			Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("1Gi")}}}})
	e.run(3 * time.Second)
	events := e.events("default")
	assert.Contains(t, events, "persistentvolume-controller FailedBinding: no persistent volumes available for this claim and no storage class is set")
	assert.Contains(t, events, "persistentvolume-controller WaitForFirstConsumer: waiting for first consumer to be created before binding")
	assert.Equal(t, api.ClaimPending, e.claim("task-pv-claim").Status.Phase)

	pv := websitePV("scratch", "5Gi", api.PersistentVolumeReclaimDelete)
	pv.Spec.StorageClassName = ""
	e.create(pv)
	e.waitFor("the class-less claim to be Bound", func() bool { return e.claim("task-pv-claim").Status.Phase == api.ClaimBound }, 10*time.Second)
	_, err := e.Admin.Delete("persistentvolumeclaims", "default", "task-pv-claim", client.DeleteOptions{})
	require.NoError(t, err)
	e.waitFor("the Delete volume to be gone", func() bool { _, ok := e.volume("scratch"); return !ok }, 10*time.Second)
}

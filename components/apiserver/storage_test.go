package apiserver_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func claim(name string, class *string) *api.PersistentVolumeClaim {
	return &api.PersistentVolumeClaim{
		TypeMeta:   api.TypeMeta{Kind: "PersistentVolumeClaim", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PersistentVolumeClaimSpec{
			AccessModes:      []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
			StorageClassName: class,
			Resources:        api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("3Gi")}},
		},
	}
}

func TestDefaultStorageClassAtBootAndAdmission(t *testing.T) {
	c := boot(t)
	sc, err := client.Get[*api.StorageClass](c.Admin, "", "standard")
	require.NoError(t, err)
	assert.True(t, api.IsDefaultStorageClass(sc))
	assert.Equal(t, "rancher.io/local-path", sc.Provisioner)
	assert.Equal(t, api.VolumeBindingWaitForFirstConsumer, *sc.VolumeBindingMode)

	obj, err := c.Admin.Create(claim("data", nil))
	require.NoError(t, err)
	pvc := obj.(*api.PersistentVolumeClaim)
	require.NotNil(t, pvc.Spec.StorageClassName, "DefaultStorageClass")
	assert.Equal(t, "standard", *pvc.Spec.StorageClassName)
	assert.Equal(t, []string{api.FinalizerPVCProtection}, pvc.Finalizers, "StorageObjectInUseProtection")
	assert.Equal(t, api.ClaimPending, pvc.Status.Phase)
	assert.Equal(t, api.PersistentVolumeFilesystem, *pvc.Spec.VolumeMode)

	// An explicit empty class stays empty: it asks for volumes without one.
	obj, err = c.Admin.Create(claim("static", ptrTo("")))
	require.NoError(t, err)
	assert.Equal(t, "", *obj.(*api.PersistentVolumeClaim).Spec.StorageClassName)

	pv := &api.PersistentVolume{
		TypeMeta:   api.TypeMeta{Kind: "PersistentVolume", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "task-pv-volume"},
		Spec: api.PersistentVolumeSpec{
			Capacity:    api.ResourceList{api.ResourceStorage: api.MustParseQuantity("10Gi")},
			AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
			HostPath:    &api.HostPathVolumeSource{Path: "/mnt/data"},
		},
	}
	obj, err = c.Admin.Create(pv)
	require.NoError(t, err)
	got := obj.(*api.PersistentVolume)
	assert.Equal(t, api.PersistentVolumeReclaimRetain, got.Spec.PersistentVolumeReclaimPolicy)
	assert.Equal(t, []string{api.FinalizerPVProtection}, got.Finalizers)
	assert.Equal(t, api.VolumePending, got.Status.Phase)
}

func TestStorageValidationTexts(t *testing.T) {
	c := boot(t)
	noModes := claim("nomodes", nil)
	noModes.Spec.AccessModes = nil
	noModes.Spec.Resources.Requests = nil
	_, err := c.Admin.Create(noModes)
	assert.EqualError(t, err, `PersistentVolumeClaim "nomodes" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Required value]`)

	badMode := claim("badmode", nil)
	badMode.Spec.AccessModes = []api.PersistentVolumeAccessMode{"ReadWriteSometimes"}
	_, err = c.Admin.Create(badMode)
	assert.EqualError(t, err, `PersistentVolumeClaim "badmode" is invalid: spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`)

	pv := &api.PersistentVolume{TypeMeta: api.TypeMeta{Kind: "PersistentVolume", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "empty"}}
	_, err = c.Admin.Create(pv)
	assert.EqualError(t, err, `PersistentVolume "empty" is invalid: [spec.accessModes: Required value, spec.capacity: Required value, spec: Required value: must specify a volume type]`)

	sc := &api.StorageClass{TypeMeta: api.TypeMeta{Kind: "StorageClass", APIVersion: "storage.k8s.io/v1"}, ObjectMeta: api.ObjectMeta{Name: "fast"}}
	_, err = c.Admin.Create(sc)
	assert.EqualError(t, err, `StorageClass.storage.k8s.io "fast" is invalid: provisioner: Required value`)

	// A claim's spec is fixed once created.
	obj, err := c.Admin.Create(claim("fixed", nil))
	require.NoError(t, err)
	pvc := api.DeepCopyObject(obj).(*api.PersistentVolumeClaim)
	pvc.Spec.AccessModes = []api.PersistentVolumeAccessMode{api.ReadWriteMany}
	_, err = c.Admin.Update(pvc)
	assert.ErrorContains(t, err, `spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims`)
	// ...but the binder may fill in the volume name of an unbound claim.
	pvc.Spec.AccessModes = []api.PersistentVolumeAccessMode{api.ReadWriteOnce}
	pvc.Spec.VolumeName = "some-pv"
	_, err = c.Admin.Update(pvc)
	assert.NoError(t, err)
}

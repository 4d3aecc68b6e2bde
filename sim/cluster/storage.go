package cluster

import "github.com/kubesim/kubesim/components/api"

// defaultStorageClass is the StorageClass a kind cluster ships: `standard`,
// marked default, for Rancher's local-path provisioner, binding when the
// first pod uses a claim. kubesim creates it at boot as kind's manifests do.
func defaultStorageClass() *api.StorageClass {
	reclaim := api.PersistentVolumeReclaimDelete
	binding := api.VolumeBindingWaitForFirstConsumer
	return &api.StorageClass{
		TypeMeta: api.TypeMeta{Kind: "StorageClass", APIVersion: "storage.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{Name: "standard", Annotations: map[string]string{
			api.AnnIsDefaultStorageClass: "true",
		}},
		Provisioner:       "rancher.io/local-path",
		ReclaimPolicy:     &reclaim,
		VolumeBindingMode: &binding,
	}
}

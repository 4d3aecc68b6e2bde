package controllers

import (
	"github.com/kubesim/kubesim/components/api"
)

// Pieces of the persistentvolume-binder that need no cluster: matching a
// claim to a volume and building a claim from a template. They follow
// k8s.io/kubernetes' pkg/controller/volume/persistentvolume: a volume
// pre-bound to the claim (spec.claimRef names it) wins; otherwise the
// smallest Available volume that satisfies the claim is picked. The binder
// loop itself is not wired into the controller manager yet.

// volumeBoundToClaim reports whether the volume's claimRef names the claim
// (by namespace and name, and by UID when the claimRef carries one).
func volumeBoundToClaim(pv *api.PersistentVolume, pvc *api.PersistentVolumeClaim) bool {
	ref := pv.Spec.ClaimRef
	if ref == nil || ref.Namespace != pvc.Namespace || ref.Name != pvc.Name {
		return false
	}
	return ref.UID == "" || ref.UID == pvc.UID
}

// volumeModeOf returns the volume mode, Filesystem when unset.
func volumeModeOf(m *api.PersistentVolumeMode) api.PersistentVolumeMode {
	if m == nil {
		return api.PersistentVolumeFilesystem
	}
	return *m
}

// hasAccessModes reports whether the volume offers every mode the claim asks.
func hasAccessModes(pv *api.PersistentVolume, want []api.PersistentVolumeAccessMode) bool {
	for _, w := range want {
		found := false
		for _, m := range pv.Spec.AccessModes {
			if m == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// FindMatchingVolume returns the volume the binder would bind the claim to,
// or nil when none fits. A volume pre-bound to the claim is returned if its
// volume mode matches. Otherwise a candidate must be Available, unclaimed,
// not being deleted, of the claim's storage class and volume mode, carry
// labels matching the claim's selector, offer all the claim's access modes
// and at least the requested storage; of those the smallest wins, ties going
// to the earlier volume in the list. A malformed selector is returned as an
// error.
func FindMatchingVolume(pvc *api.PersistentVolumeClaim, volumes []*api.PersistentVolume) (*api.PersistentVolume, error) {
	sel := api.Everything()
	if pvc.Spec.Selector != nil {
		s, err := api.LabelSelectorAsSelector(pvc.Spec.Selector)
		if err != nil {
			return nil, err
		}
		sel = s
	}
	request := pvc.Spec.Resources.Requests[api.ResourceStorage]
	class := api.PersistentVolumeClaimStorageClass(pvc)
	claimMode := volumeModeOf(pvc.Spec.VolumeMode)
	var best *api.PersistentVolume
	var bestSize api.Quantity
	for _, pv := range volumes {
		if volumeModeOf(pv.Spec.VolumeMode) != claimMode {
			continue
		}
		if volumeBoundToClaim(pv, pvc) {
			return pv, nil
		}
		if pv.Spec.ClaimRef != nil || pv.DeletionTimestamp != nil || pv.Status.Phase != api.VolumeAvailable {
			continue
		}
		if pv.Spec.StorageClassName != class || !sel.Matches(pv.Labels) || !hasAccessModes(pv, pvc.Spec.AccessModes) {
			continue
		}
		size := pv.Spec.Capacity[api.ResourceStorage]
		if size.Cmp(request) < 0 {
			continue
		}
		if best == nil || size.Cmp(bestSize) < 0 {
			best, bestSize = pv, size
		}
	}
	return best, nil
}

// ClaimFromTemplate builds the claim a controller creates from a template
// (a StatefulSet's volumeClaimTemplates entry): the given name and
// namespace, the template's labels and annotations and a deep copy of its
// spec, with owner as its controller reference when not nil. The claim is
// defaulted as the API server would (volume mode Filesystem, phase Pending).
func ClaimFromTemplate(tmpl *api.PersistentVolumeClaimTemplate, namespace, name string, owner *api.OwnerReference) *api.PersistentVolumeClaim {
	t := api.DeepCopyValue(*tmpl)
	pvc := &api.PersistentVolumeClaim{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: api.ObjectMeta{
			Name:        name,
			Namespace:   namespace,
			Labels:      t.Labels,
			Annotations: t.Annotations,
		},
		Spec: t.Spec,
	}
	if owner != nil {
		pvc.OwnerReferences = []api.OwnerReference{api.DeepCopyValue(*owner)}
	}
	api.SetDefaultsPersistentVolumeClaim(pvc)
	return pvc
}

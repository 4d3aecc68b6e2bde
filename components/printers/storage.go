package printers

import (
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// Columns of kube-apiserver's printers for the storage kinds.

func init() {
	register("persistentvolumes", []Column{
		nameColumn(),
		col("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity."),
		col("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
		col("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
		col("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
		col("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
		col("StorageClass", "string", "storageClassName is the name of StorageClass to which this persistent volume belongs."),
		col("VolumeAttributesClass", "string", "Name of VolumeAttributesClass to which this persistent volume belongs. Empty value is not allowed."),
		col("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
		ageColumn(),
		wide("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state."),
	}, func(obj api.Object, now time.Time) []any {
		pv := obj.(*api.PersistentVolume)
		claim := ""
		if ref := pv.Spec.ClaimRef; ref != nil {
			claim = ref.Namespace + "/" + ref.Name
		}
		status := string(pv.Status.Phase)
		if pv.DeletionTimestamp != nil {
			status = "Terminating"
		}
		capacity := ""
		if q, ok := pv.Spec.Capacity[api.ResourceStorage]; ok {
			capacity = q.String()
		}
		return []any{pv.Name, capacity, AccessModes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
			status, claim, pv.Spec.StorageClassName, unsetIfNil(pv.Spec.VolumeAttributesClassName), pv.Status.Reason,
			Age(pv.CreationTimestamp, now), volumeMode(pv.Spec.VolumeMode)}
	})

	register("persistentvolumeclaims", []Column{
		nameColumn(),
		col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
		col("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
		col("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
		col("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has."),
		col("StorageClass", "string", "storageClassName is the name of the StorageClass required by the claim."),
		col("VolumeAttributesClass", "string", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
		ageColumn(),
		wide("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim."),
	}, func(obj api.Object, now time.Time) []any {
		pvc := obj.(*api.PersistentVolumeClaim)
		status := string(pvc.Status.Phase)
		if pvc.DeletionTimestamp != nil {
			status = "Terminating"
		}
		capacity, modes := "", ""
		if pvc.Spec.VolumeName != "" {
			modes = AccessModes(pvc.Status.AccessModes)
			if q, ok := pvc.Status.Capacity[api.ResourceStorage]; ok {
				capacity = q.String()
			}
		}
		return []any{pvc.Name, status, pvc.Spec.VolumeName, capacity, modes, api.PersistentVolumeClaimStorageClass(pvc),
			unsetIfNil(pvc.Spec.VolumeAttributesClassName), Age(pvc.CreationTimestamp, now), volumeMode(pvc.Spec.VolumeMode)}
	})

	register("storageclasses", []Column{
		nameColumn(),
		col("Provisioner", "string", "provisioner indicates the type of the provisioner."),
		col("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
		col("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
		col("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
		ageColumn(),
	}, func(obj api.Object, now time.Time) []any {
		sc := obj.(*api.StorageClass)
		name := sc.Name
		if api.IsDefaultStorageClass(sc) {
			name += " (default)"
		}
		reclaim, binding := string(api.PersistentVolumeReclaimDelete), string(api.VolumeBindingImmediate)
		if sc.ReclaimPolicy != nil {
			reclaim = string(*sc.ReclaimPolicy)
		}
		if sc.VolumeBindingMode != nil {
			binding = string(*sc.VolumeBindingMode)
		}
		expand := false
		if sc.AllowVolumeExpansion != nil {
			expand = *sc.AllowVolumeExpansion
		}
		return []any{name, sc.Provisioner, reclaim, binding, expand, Age(sc.CreationTimestamp, now)}
	})
}

// AccessModes abbreviates access modes as kubectl does, in the fixed order
// RWO, ROX, RWX, RWOP whatever the order in the object.
func AccessModes(modes []api.PersistentVolumeAccessMode) string {
	var out []string
	for _, m := range []api.PersistentVolumeAccessMode{api.ReadWriteOnce, api.ReadOnlyMany, api.ReadWriteMany, api.ReadWriteOncePod} {
		for _, have := range modes {
			if have == m {
				out = append(out, api.AccessModeShort(m))
				break
			}
		}
	}
	return strings.Join(out, ",")
}

func unsetIfNil(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

func volumeMode(m *api.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

package framework

import "github.com/kubesim/kubesim/components/api"

// Volumes is what the VolumeBinding plugin needs beyond the snapshot: the
// scheduler's informer caches of PersistentVolumeClaims, PersistentVolumes
// and StorageClasses to read, and the two API writes its PreBind makes.
// The scheduler actor implements it; a Handle without one (NewHandle, in
// tests of other plugins) makes VolumeBinding skip every pod.
type Volumes interface {
	// Claim returns a PersistentVolumeClaim from the cache.
	Claim(namespace, name string) (*api.PersistentVolumeClaim, bool)
	// Volume returns a PersistentVolume from the cache.
	Volume(name string) (*api.PersistentVolume, bool)
	// ListVolumes returns every PersistentVolume, sorted by name.
	ListVolumes() []*api.PersistentVolume
	// Class returns a StorageClass from the cache.
	Class(name string) (*api.StorageClass, bool)

	// SetSelectedNode writes the volume.kubernetes.io/selected-node
	// annotation on a claim, asking its provisioner for a volume on node.
	SetSelectedNode(claim *api.PersistentVolumeClaim, node string) error
	// BindVolume writes the claim into a volume's spec.claimRef, for the
	// persistentvolume-binder to complete the binding.
	BindVolume(volume *api.PersistentVolume, claim *api.PersistentVolumeClaim) error
}

// handleWithVolumes is a Handle that also offers Volumes.
type handleWithVolumes struct {
	handle
	volumes Volumes
}

func (h handleWithVolumes) Volumes() Volumes { return h.volumes }

// VolumesOf returns the Volumes of a Handle built with NewHandleWithVolumes
// (or a Scheduler whose Config has Volumes), or nil.
func VolumesOf(h Handle) Volumes {
	if v, ok := h.(interface{ Volumes() Volumes }); ok {
		return v.Volumes()
	}
	return nil
}

// NewHandleWithVolumes returns a Handle over lister that also offers
// volumes to the VolumeBinding plugin.
func NewHandleWithVolumes(lister SharedLister, volumes Volumes) Handle {
	if volumes == nil {
		return NewHandle(lister)
	}
	return handleWithVolumes{handle: handle{lister: lister}, volumes: volumes}
}

// Event resources of the storage kinds: VolumeBinding registers them so
// that a pod waiting for a claim, a volume or a class is retried when one
// appears or changes.
const (
	PersistentVolumeClaim EventResource = "PersistentVolumeClaim"
	PersistentVolume      EventResource = "PersistentVolume"
	StorageClass          EventResource = "StorageClass"
)

// Volumes hands a plugin the storage view of the handle it was built
// with (NewFramework wraps every handle in a frameworkHandle).
func (h frameworkHandle) Volumes() Volumes { return VolumesOf(h.Handle) }

package api

// This file holds the storage kinds: PersistentVolume and
// PersistentVolumeClaim (core/v1) and StorageClass (storage.k8s.io/v1),
// with the field names and defaults of Kubernetes v1.32, served as pv, pvc
// and sc. kube-apiserver applies the defaults, the DefaultStorageClass and
// StorageObjectInUseProtection admission plugins and validation
// (components/apiserver/storage.go); kube-controller-manager's
// persistentvolume-binder binds claims to volumes
// (components/controllers/pvbinder.go) and kind's local-path provisioner
// makes volumes for the `standard` class kubesim boots with
// (components/controllers/localpath.go); the scheduler's VolumeBinding
// plugin picks the node of a WaitForFirstConsumer claim
// (components/scheduler/plugins/volumebinding.go), and the kubelet starts a
// pod only once its claims are Bound (components/kubelet/volumes.go).

// Well-known storage annotations and finalizers.
const (
	// AnnIsDefaultStorageClass marks the StorageClass that the
	// DefaultStorageClass admission plugin gives to claims without one.
	AnnIsDefaultStorageClass = "storageclass.kubernetes.io/is-default-class"
	// AnnBindCompleted is set on a claim once the binder has bound it.
	AnnBindCompleted = "pv.kubernetes.io/bind-completed"
	// AnnBoundByController is set on a claim or volume the binder bound
	// (rather than a user pre-binding it).
	AnnBoundByController = "pv.kubernetes.io/bound-by-controller"
	// AnnSelectedNode is the node the scheduler picked for a
	// WaitForFirstConsumer claim.
	AnnSelectedNode = "volume.kubernetes.io/selected-node"
	// AnnStorageProvisioner names the provisioner asked to provision a claim.
	AnnStorageProvisioner = "volume.kubernetes.io/storage-provisioner"
	// AnnBetaStorageProvisioner is the beta name the binder still sets
	// beside AnnStorageProvisioner.
	AnnBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	// AnnDynamicallyProvisioned names the provisioner that made a volume.
	AnnDynamicallyProvisioned = "pv.kubernetes.io/provisioned-by"

	FinalizerPVCProtection = "kubernetes.io/pvc-protection"
	FinalizerPVProtection  = "kubernetes.io/pv-protection"
)

// PersistentVolumeAccessMode is how a volume can be mounted.
type PersistentVolumeAccessMode string

// Access modes, with their kubectl abbreviations in AccessModeShort.
const (
	ReadWriteOnce    PersistentVolumeAccessMode = "ReadWriteOnce"
	ReadOnlyMany     PersistentVolumeAccessMode = "ReadOnlyMany"
	ReadWriteMany    PersistentVolumeAccessMode = "ReadWriteMany"
	ReadWriteOncePod PersistentVolumeAccessMode = "ReadWriteOncePod"
)

// AccessModeShort returns kubectl's abbreviation: RWO, ROX, RWX, RWOP.
func AccessModeShort(m PersistentVolumeAccessMode) string {
	switch m {
	case ReadWriteOnce:
		return "RWO"
	case ReadOnlyMany:
		return "ROX"
	case ReadWriteMany:
		return "RWX"
	case ReadWriteOncePod:
		return "RWOP"
	}
	return string(m)
}

// PersistentVolumeReclaimPolicy says what happens to a released volume.
type PersistentVolumeReclaimPolicy string

const (
	PersistentVolumeReclaimRecycle PersistentVolumeReclaimPolicy = "Recycle"
	PersistentVolumeReclaimDelete  PersistentVolumeReclaimPolicy = "Delete"
	PersistentVolumeReclaimRetain  PersistentVolumeReclaimPolicy = "Retain"
)

// PersistentVolumeMode is Filesystem or Block.
type PersistentVolumeMode string

const (
	PersistentVolumeBlock      PersistentVolumeMode = "Block"
	PersistentVolumeFilesystem PersistentVolumeMode = "Filesystem"
)

// PersistentVolumePhase is a volume's lifecycle phase.
type PersistentVolumePhase string

const (
	VolumePending   PersistentVolumePhase = "Pending"
	VolumeAvailable PersistentVolumePhase = "Available"
	VolumeBound     PersistentVolumePhase = "Bound"
	VolumeReleased  PersistentVolumePhase = "Released"
	VolumeFailed    PersistentVolumePhase = "Failed"
)

// PersistentVolumeClaimPhase is a claim's lifecycle phase.
type PersistentVolumeClaimPhase string

const (
	ClaimPending PersistentVolumeClaimPhase = "Pending"
	ClaimBound   PersistentVolumeClaimPhase = "Bound"
	ClaimLost    PersistentVolumeClaimPhase = "Lost"
)

// ---------------------------------------------------------------- PersistentVolume

// PersistentVolume is a piece of storage in the cluster.
type PersistentVolume struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PersistentVolumeSpec   `json:"spec,omitempty"`
	Status     PersistentVolumeStatus `json:"status,omitempty"`
}

// PersistentVolumeList is a list of PersistentVolumes.
type PersistentVolumeList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []PersistentVolume `json:"items"`
}

// PersistentVolumeSpec is a volume's capacity, source and binding. Of the
// volume sources kubesim knows hostPath, local and csi.
type PersistentVolumeSpec struct {
	Capacity                      ResourceList                  `json:"capacity,omitempty"`
	HostPath                      *HostPathVolumeSource         `json:"hostPath,omitempty"`
	Local                         *LocalVolumeSource            `json:"local,omitempty"`
	CSI                           *CSIPersistentVolumeSource    `json:"csi,omitempty"`
	AccessModes                   []PersistentVolumeAccessMode  `json:"accessModes,omitempty"`
	ClaimRef                      *ObjectReference              `json:"claimRef,omitempty"`
	PersistentVolumeReclaimPolicy PersistentVolumeReclaimPolicy `json:"persistentVolumeReclaimPolicy,omitempty"`
	StorageClassName              string                        `json:"storageClassName,omitempty"`
	MountOptions                  []string                      `json:"mountOptions,omitempty"`
	VolumeMode                    *PersistentVolumeMode         `json:"volumeMode,omitempty"`
	NodeAffinity                  *VolumeNodeAffinity           `json:"nodeAffinity,omitempty"`
	VolumeAttributesClassName     *string                       `json:"volumeAttributesClassName,omitempty"`
}

// LocalVolumeSource is a directory or disk on one node.
type LocalVolumeSource struct {
	Path   string  `json:"path"`
	FSType *string `json:"fsType,omitempty"`
}

// CSIPersistentVolumeSource is a volume of an external CSI driver.
type CSIPersistentVolumeSource struct {
	Driver           string            `json:"driver"`
	VolumeHandle     string            `json:"volumeHandle"`
	ReadOnly         bool              `json:"readOnly,omitempty"`
	FSType           string            `json:"fsType,omitempty"`
	VolumeAttributes map[string]string `json:"volumeAttributes,omitempty"`
}

// VolumeNodeAffinity restricts the nodes a volume can be used from.
type VolumeNodeAffinity struct {
	Required *NodeSelector `json:"required,omitempty"`
}

// PersistentVolumeStatus is a volume's phase.
type PersistentVolumeStatus struct {
	Phase                   PersistentVolumePhase `json:"phase,omitempty"`
	Message                 string                `json:"message,omitempty"`
	Reason                  string                `json:"reason,omitempty"`
	LastPhaseTransitionTime *Time                 `json:"lastPhaseTransitionTime,omitempty"`
}

// ---------------------------------------------------------------- PersistentVolumeClaim

// PersistentVolumeClaim is a user's request for storage.
type PersistentVolumeClaim struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PersistentVolumeClaimSpec   `json:"spec,omitempty"`
	Status     PersistentVolumeClaimStatus `json:"status,omitempty"`
}

// PersistentVolumeClaimList is a list of PersistentVolumeClaims.
type PersistentVolumeClaimList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []PersistentVolumeClaim `json:"items"`
}

// PersistentVolumeClaimSpec is what a claim asks for.
type PersistentVolumeClaimSpec struct {
	AccessModes               []PersistentVolumeAccessMode `json:"accessModes,omitempty"`
	Selector                  *LabelSelector               `json:"selector,omitempty"`
	Resources                 VolumeResourceRequirements   `json:"resources,omitempty"`
	VolumeName                string                       `json:"volumeName,omitempty"`
	StorageClassName          *string                      `json:"storageClassName,omitempty"`
	VolumeMode                *PersistentVolumeMode        `json:"volumeMode,omitempty"`
	VolumeAttributesClassName *string                      `json:"volumeAttributesClassName,omitempty"`
}

// VolumeResourceRequirements is a claim's storage request and limit.
type VolumeResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// PersistentVolumeClaimStatus is a claim's phase and what it got.
type PersistentVolumeClaimStatus struct {
	Phase       PersistentVolumeClaimPhase   `json:"phase,omitempty"`
	AccessModes []PersistentVolumeAccessMode `json:"accessModes,omitempty"`
	Capacity    ResourceList                 `json:"capacity,omitempty"`
}

// PersistentVolumeClaimTemplate is a claim to be created from a template
// (a StatefulSet's volumeClaimTemplates entry, a generic ephemeral volume).
type PersistentVolumeClaimTemplate struct {
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PersistentVolumeClaimSpec `json:"spec"`
}

// ---------------------------------------------------------------- StorageClass

// VolumeBindingMode says when claims of a class are bound.
type VolumeBindingMode string

const (
	VolumeBindingImmediate            VolumeBindingMode = "Immediate"
	VolumeBindingWaitForFirstConsumer VolumeBindingMode = "WaitForFirstConsumer"
)

// StorageClass (storage.k8s.io/v1) describes a kind of storage and who
// provisions it. It has no spec: its fields are top level.
type StorageClass struct {
	TypeMeta             `json:",inline"`
	ObjectMeta           `json:"metadata,omitempty"`
	Provisioner          string                         `json:"provisioner"`
	Parameters           map[string]string              `json:"parameters,omitempty"`
	ReclaimPolicy        *PersistentVolumeReclaimPolicy `json:"reclaimPolicy,omitempty"`
	MountOptions         []string                       `json:"mountOptions,omitempty"`
	AllowVolumeExpansion *bool                          `json:"allowVolumeExpansion,omitempty"`
	VolumeBindingMode    *VolumeBindingMode             `json:"volumeBindingMode,omitempty"`
}

// StorageClassList is a list of StorageClasses.
type StorageClassList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []StorageClass `json:"items"`
}

// IsDefaultStorageClass reports whether the class carries the
// is-default-class annotation with the value "true".
func IsDefaultStorageClass(sc *StorageClass) bool {
	return sc != nil && sc.Annotations[AnnIsDefaultStorageClass] == "true"
}

// ---------------------------------------------------------------- defaults

// SetDefaultsPersistentVolume applies the v1 defaults: reclaim policy
// Retain (a provisioner sets Delete explicitly), volume mode Filesystem and
// phase Pending.
func SetDefaultsPersistentVolume(pv *PersistentVolume) {
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		m := PersistentVolumeFilesystem
		pv.Spec.VolumeMode = &m
	}
	if pv.Status.Phase == "" {
		pv.Status.Phase = VolumePending
	}
}

// SetDefaultsPersistentVolumeClaim applies the v1 defaults: volume mode
// Filesystem and phase Pending.
func SetDefaultsPersistentVolumeClaim(pvc *PersistentVolumeClaim) {
	if pvc.Spec.VolumeMode == nil {
		m := PersistentVolumeFilesystem
		pvc.Spec.VolumeMode = &m
	}
	if pvc.Status.Phase == "" {
		pvc.Status.Phase = ClaimPending
	}
}

// SetDefaultsStorageClass applies the storage/v1 defaults: reclaim policy
// Delete and binding mode Immediate.
func SetDefaultsStorageClass(sc *StorageClass) {
	if sc.ReclaimPolicy == nil {
		p := PersistentVolumeReclaimDelete
		sc.ReclaimPolicy = &p
	}
	if sc.VolumeBindingMode == nil {
		m := VolumeBindingImmediate
		sc.VolumeBindingMode = &m
	}
}

// PersistentVolumeClaimStorageClass returns the claim's class name, or ""
// when it has none.
func PersistentVolumeClaimStorageClass(pvc *PersistentVolumeClaim) string {
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// Storage kinds in the request pipeline: the defaults of PersistentVolume,
// PersistentVolumeClaim and StorageClass, the DefaultStorageClass and
// StorageObjectInUseProtection admission plugins, and validation with the
// messages of the real apiserver (a subset of its checks: the ones a
// trainee meets).

// defaultStorage applies the storage kinds' defaults; it reports false for
// other kinds.
func defaultStorage(obj api.Object, note func(string, ...any)) bool {
	switch o := obj.(type) {
	case *api.PersistentVolume:
		if o.Spec.PersistentVolumeReclaimPolicy == "" {
			note("spec.persistentVolumeReclaimPolicy=Retain")
		}
		api.SetDefaultsPersistentVolume(o)
	case *api.PersistentVolumeClaim:
		api.SetDefaultsPersistentVolumeClaim(o)
	case *api.StorageClass:
		if o.ReclaimPolicy == nil {
			note("reclaimPolicy=Delete")
		}
		if o.VolumeBindingMode == nil {
			note("volumeBindingMode=Immediate")
		}
		api.SetDefaultsStorageClass(o)
	default:
		return false
	}
	return true
}

// storageAdmission runs the storage admission plugins on a create:
// DefaultStorageClass gives a claim without spec.storageClassName the
// default class (the newest, when several are marked default), and
// StorageObjectInUseProtection adds the pvc-protection and pv-protection
// finalizers.
func (s *server) storageAdmission(obj api.Object) []AdmissionChange {
	var notes []AdmissionChange
	addFinalizer := func(m *api.ObjectMeta, f string) {
		for _, have := range m.Finalizers {
			if have == f {
				return
			}
		}
		m.Finalizers = append(m.Finalizers, f)
		notes = append(notes, AdmissionChange{Plugin: "StorageObjectInUseProtection", Change: "metadata.finalizers+=" + f})
	}
	switch o := obj.(type) {
	case *api.PersistentVolumeClaim:
		if o.Spec.StorageClassName == nil {
			if sc := s.defaultStorageClass(); sc != nil {
				name := sc.Name
				o.Spec.StorageClassName = &name
				notes = append(notes, AdmissionChange{Plugin: "DefaultStorageClass", Change: "spec.storageClassName=" + name})
			}
		}
		addFinalizer(&o.ObjectMeta, api.FinalizerPVCProtection)
	case *api.PersistentVolume:
		addFinalizer(&o.ObjectMeta, api.FinalizerPVProtection)
	}
	return notes
}

// defaultStorageClass is the StorageClass annotated as the default, the
// newest when there are several (ties broken by name), or nil.
func (s *server) defaultStorageClass() *api.StorageClass {
	info, _ := api.ResourceFor("storageclasses")
	var best *api.StorageClass
	s.cache.list(info.KeyPrefix+"/", func(e *cacheEntry) bool {
		sc, ok := e.obj.(*api.StorageClass)
		if !ok || !api.IsDefaultStorageClass(sc) {
			return true
		}
		if best == nil || best.CreationTimestamp.Time.Before(sc.CreationTimestamp.Time) ||
			(best.CreationTimestamp.Equal(sc.CreationTimestamp) && sc.Name < best.Name) {
			best = sc
		}
		return true
	})
	return best
}

var (
	supportedAccessModes   = []string{string(api.ReadOnlyMany), string(api.ReadWriteMany), string(api.ReadWriteOnce), string(api.ReadWriteOncePod)}
	supportedReclaim       = []string{string(api.PersistentVolumeReclaimDelete), string(api.PersistentVolumeReclaimRecycle), string(api.PersistentVolumeReclaimRetain)}
	supportedVolumeModes   = []string{string(api.PersistentVolumeBlock), string(api.PersistentVolumeFilesystem)}
	supportedBindingModes  = []string{string(api.VolumeBindingImmediate), string(api.VolumeBindingWaitForFirstConsumer)}
	supportedClassReclaims = []string{string(api.PersistentVolumeReclaimDelete), string(api.PersistentVolumeReclaimRetain)}
)

func storageContains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func validateAccessModes(modes []api.PersistentVolumeAccessMode, path string, required string) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if len(modes) == 0 {
		return []apierrors.FieldError{apierrors.Required(path, required)}
	}
	rwop := false
	for _, m := range modes {
		if !storageContains(supportedAccessModes, string(m)) {
			errs = append(errs, apierrors.NotSupported(path, string(m), supportedAccessModes))
		}
		rwop = rwop || m == api.ReadWriteOncePod
	}
	if rwop && len(modes) > 1 {
		errs = append(errs, apierrors.Forbidden(path, "may not use ReadWriteOncePod with other access modes"))
	}
	return errs
}

func validateVolumeMode(m *api.PersistentVolumeMode, path string) []apierrors.FieldError {
	if m != nil && !storageContains(supportedVolumeModes, string(*m)) {
		return []apierrors.FieldError{apierrors.NotSupported(path, string(*m), supportedVolumeModes)}
	}
	return nil
}

// validateStorage validates the storage kinds; other kinds pass.
func validateStorage(obj, old api.Object) []apierrors.FieldError {
	var errs []apierrors.FieldError
	switch o := obj.(type) {
	case *api.PersistentVolume:
		errs = append(errs, validateAccessModes(o.Spec.AccessModes, "spec.accessModes", "")...)
		if len(o.Spec.Capacity) == 0 {
			errs = append(errs, apierrors.Required("spec.capacity", ""))
		} else if q, ok := o.Spec.Capacity[api.ResourceStorage]; !ok || len(o.Spec.Capacity) > 1 {
			errs = append(errs, apierrors.NotSupported("spec.capacity", capacityKeys(o.Spec.Capacity), []string{string(api.ResourceStorage)}))
		} else if q.Sign() <= 0 {
			errs = append(errs, apierrors.Invalid("spec.capacity[storage]", q.String(), "must be greater than zero"))
		}
		sources := 0
		for _, set := range []bool{o.Spec.HostPath != nil, o.Spec.Local != nil, o.Spec.CSI != nil} {
			if set {
				sources++
			}
		}
		switch {
		case sources == 0:
			errs = append(errs, apierrors.Required("spec", "must specify a volume type"))
		case sources > 1:
			errs = append(errs, apierrors.Forbidden("spec", "may not specify more than 1 volume type"))
		}
		if o.Spec.HostPath != nil && o.Spec.HostPath.Path == "" {
			errs = append(errs, apierrors.Required("spec.hostPath.path", ""))
		}
		if o.Spec.Local != nil {
			if o.Spec.Local.Path == "" {
				errs = append(errs, apierrors.Required("spec.local.path", ""))
			}
			if o.Spec.NodeAffinity == nil || o.Spec.NodeAffinity.Required == nil {
				errs = append(errs, apierrors.Required("spec.nodeAffinity", "Local volume requires node affinity"))
			}
		}
		if o.Spec.CSI != nil {
			if o.Spec.CSI.Driver == "" {
				errs = append(errs, apierrors.Required("spec.csi.driver", ""))
			}
			if o.Spec.CSI.VolumeHandle == "" {
				errs = append(errs, apierrors.Required("spec.csi.volumeHandle", ""))
			}
		}
		if p := string(o.Spec.PersistentVolumeReclaimPolicy); p != "" && !storageContains(supportedReclaim, p) {
			errs = append(errs, apierrors.NotSupported("spec.persistentVolumeReclaimPolicy", p, supportedReclaim))
		}
		if o.Spec.StorageClassName != "" {
			for _, msg := range IsDNS1123Subdomain(o.Spec.StorageClassName) {
				errs = append(errs, apierrors.Invalid("spec.storageClassName", o.Spec.StorageClassName, msg))
			}
		}
		errs = append(errs, validateVolumeMode(o.Spec.VolumeMode, "spec.volumeMode")...)
		if prev, ok := old.(*api.PersistentVolume); ok && prev.Spec.VolumeMode != nil && o.Spec.VolumeMode != nil && *prev.Spec.VolumeMode != *o.Spec.VolumeMode {
			errs = append(errs, apierrors.Invalid("spec.volumeMode", string(*o.Spec.VolumeMode), "field is immutable"))
		}
	case *api.PersistentVolumeClaim:
		errs = append(errs, validateAccessModes(o.Spec.AccessModes, "spec.accessModes", "at least 1 access mode is required")...)
		if q, ok := o.Spec.Resources.Requests[api.ResourceStorage]; !ok {
			errs = append(errs, apierrors.Required("spec.resources[storage]", ""))
		} else if q.Sign() <= 0 {
			errs = append(errs, apierrors.Invalid("spec.resources[storage]", q.String(), "must be greater than zero"))
		}
		if o.Spec.StorageClassName != nil && *o.Spec.StorageClassName != "" {
			for _, msg := range IsDNS1123Subdomain(*o.Spec.StorageClassName) {
				errs = append(errs, apierrors.Invalid("spec.storageClassName", *o.Spec.StorageClassName, msg))
			}
		}
		errs = append(errs, validateVolumeMode(o.Spec.VolumeMode, "spec.volumeMode")...)
		if prev, ok := old.(*api.PersistentVolumeClaim); ok && !claimSpecUpdateAllowed(prev, o) {
			errs = append(errs, apierrors.Forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
		}
	case *api.StorageClass:
		if o.Provisioner == "" {
			errs = append(errs, apierrors.Required("provisioner", ""))
		} else if len(o.Provisioner) > 63 {
			errs = append(errs, apierrors.TooLong("provisioner", 63))
		}
		if o.ReclaimPolicy != nil && !storageContains(supportedClassReclaims, string(*o.ReclaimPolicy)) {
			errs = append(errs, apierrors.NotSupported("reclaimPolicy", string(*o.ReclaimPolicy), supportedClassReclaims))
		}
		if o.VolumeBindingMode != nil && !storageContains(supportedBindingModes, string(*o.VolumeBindingMode)) {
			errs = append(errs, apierrors.NotSupported("volumeBindingMode", string(*o.VolumeBindingMode), supportedBindingModes))
		}
		if prev, ok := old.(*api.StorageClass); ok {
			if !equalStringMaps(prev.Parameters, o.Parameters) {
				errs = append(errs, apierrors.Forbidden("parameters", "updates to parameters are forbidden."))
			}
			if prev.Provisioner != o.Provisioner {
				errs = append(errs, apierrors.Forbidden("provisioner", "updates to provisioner are forbidden."))
			}
			if !equalPtr(prev.ReclaimPolicy, o.ReclaimPolicy) {
				errs = append(errs, apierrors.Forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
			}
			if !equalPtr(prev.VolumeBindingMode, o.VolumeBindingMode) {
				errs = append(errs, apierrors.Invalid("volumeBindingMode", fmtPtr(o.VolumeBindingMode), "field is immutable"))
			}
		}
	}
	return errs
}

// claimSpecUpdateAllowed is the claim update rule: the spec is fixed once
// created, except that the binder may fill in spec.volumeName of an
// unbound claim and a class may be given to a claim without one
// (retroactive default class), and a bound claim's storage request may
// grow (kubesim does not expand volumes, so it accepts the change only).
func claimSpecUpdateAllowed(old, cur *api.PersistentVolumeClaim) bool {
	o := api.DeepCopyObject(old).(*api.PersistentVolumeClaim)
	if o.Spec.VolumeName == "" {
		o.Spec.VolumeName = cur.Spec.VolumeName
	}
	if o.Spec.StorageClassName == nil {
		o.Spec.StorageClassName = cur.Spec.StorageClassName
	}
	if o.Status.Phase == api.ClaimBound {
		o.Spec.Resources.Requests = cur.Spec.Resources.Requests
	}
	o.Spec.VolumeAttributesClassName = cur.Spec.VolumeAttributesClassName
	a, errA := json.Marshal(o.Spec)
	b, errB := json.Marshal(cur.Spec)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

func capacityKeys(l api.ResourceList) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func equalStringMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

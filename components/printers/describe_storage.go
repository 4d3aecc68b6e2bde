package printers

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// The storage describers: PersistentVolumes, PersistentVolumeClaims and
// StorageClasses in kubectl's layout.

func init() {
	registerDescriber("persistentvolumes", describePersistentVolume)
	registerDescriber("persistentvolumeclaims", describePersistentVolumeClaim)
	registerDescriber("storageclasses", describeStorageClass)
}

const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class"

func describePersistentVolume(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	pv := obj.(*api.PersistentVolume)
	w.line(0, "Name:\t%s\n", pv.Name)
	multiline(w, "Labels", pv.Labels)
	annotations(w, "Annotations", pv.Annotations)
	w.line(0, "Finalizers:\t%v\n", pv.Finalizers)
	class := pv.Spec.StorageClassName
	if c, ok := pv.Annotations[betaStorageClassAnnotation]; ok {
		class = c
	}
	w.line(0, "StorageClass:\t%s\n", class)
	if pv.DeletionTimestamp != nil {
		w.line(0, "Status:\tTerminating (lasts %s)\n", HumanDuration(now.Sub(pv.DeletionTimestamp.Time)))
	} else {
		w.line(0, "Status:\t%v\n", pv.Status.Phase)
	}
	claim := ""
	if ref := pv.Spec.ClaimRef; ref != nil {
		claim = ref.Namespace + "/" + ref.Name
	}
	w.line(0, "Claim:\t%s\n", claim)
	w.line(0, "Reclaim Policy:\t%v\n", pv.Spec.PersistentVolumeReclaimPolicy)
	w.line(0, "Access Modes:\t%s\n", AccessModes(pv.Spec.AccessModes))
	if pv.Spec.VolumeMode != nil {
		w.line(0, "VolumeMode:\t%v\n", *pv.Spec.VolumeMode)
	}
	storage := pv.Spec.Capacity[api.ResourceStorage]
	w.line(0, "Capacity:\t%s\n", storage.String())
	w.line(0, "Node Affinity:\t")
	if a := pv.Spec.NodeAffinity; a == nil || a.Required == nil {
		w.line(0, "<none>\n")
	} else {
		w.line(0, "\n")
		w.line(1, "Required Terms:\t")
		if len(a.Required.NodeSelectorTerms) == 0 {
			w.line(0, "<none>\n")
		} else {
			w.line(0, "\n")
			for i, t := range a.Required.NodeSelectorTerms {
				w.line(2, "Term %v:\t", i)
				if len(t.MatchExpressions) == 0 {
					w.line(0, "<none>\n")
					continue
				}
				for j, r := range t.MatchExpressions {
					if j > 0 {
						w.line(2, "\t")
					}
					expr := fmt.Sprintf("%s %s", r.Key, strings.ToLower(string(r.Operator)))
					if len(r.Values) > 0 {
						expr += " [" + strings.Join(r.Values, ", ") + "]"
					}
					w.line(0, "%s\n", expr)
				}
			}
		}
	}
	w.line(0, "Message:\t%s\n", pv.Status.Message)
	w.line(0, "Source:\n")
	switch s := pv.Spec; {
	case s.HostPath != nil:
		typ := "<none>"
		if s.HostPath.Type != nil {
			typ = string(*s.HostPath.Type)
		}
		w.line(2, "Type:\tHostPath (bare host directory volume)\n")
		w.line(2, "Path:\t%v\n", s.HostPath.Path)
		w.line(2, "HostPathType:\t%v\n", typ)
	case s.Local != nil:
		w.line(2, "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n")
		w.line(2, "Path:\t%v\n", s.Local.Path)
	case s.CSI != nil:
		w.line(2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n")
		w.line(2, "Driver:\t%v\n", s.CSI.Driver)
		w.line(2, "FSType:\t%v\n", s.CSI.FSType)
		w.line(2, "VolumeHandle:\t%v\n", s.CSI.VolumeHandle)
		w.line(2, "ReadOnly:\t%v\n", s.CSI.ReadOnly)
		w.line(2, "VolumeAttributes:\t")
		if len(s.CSI.VolumeAttributes) == 0 {
			w.line(0, "<none>\n")
		}
		for i, k := range sortedNames(s.CSI.VolumeAttributes) {
			if i > 0 {
				w.line(2, "\t")
			}
			line := k + "=" + s.CSI.VolumeAttributes[k]
			if len(line) > maxAnnotationLen {
				line = line[:maxAnnotationLen] + "..."
			}
			w.line(2, "%s\n", line)
		}
	default:
		w.line(1, "<unknown>\n")
	}
	describeEvents(w, events, now)
}

func describePersistentVolumeClaim(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	pvc := obj.(*api.PersistentVolumeClaim)
	w.line(0, "Name:\t%s\n", pvc.Name)
	w.line(0, "Namespace:\t%s\n", pvc.Namespace)
	w.line(0, "StorageClass:\t%s\n", claimClass(&pvc.ObjectMeta, &pvc.Spec))
	if pvc.DeletionTimestamp != nil {
		w.line(0, "Status:\tTerminating (lasts %s)\n", HumanDuration(now.Sub(pvc.DeletionTimestamp.Time)))
	} else {
		w.line(0, "Status:\t%v\n", pvc.Status.Phase)
	}
	w.line(0, "Volume:\t%s\n", pvc.Spec.VolumeName)
	multiline(w, "Labels", pvc.Labels)
	annotations(w, "Annotations", pvc.Annotations)
	w.line(0, "Finalizers:\t%v\n", pvc.Finalizers)
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		modes = AccessModes(pvc.Status.AccessModes)
		q := pvc.Status.Capacity[api.ResourceStorage]
		capacity = q.String()
	}
	w.line(0, "Capacity:\t%s\n", capacity)
	w.line(0, "Access Modes:\t%s\n", modes)
	if pvc.Spec.VolumeMode != nil {
		w.line(0, "VolumeMode:\t%v\n", *pvc.Spec.VolumeMode)
	}
	// "Used By": the pods of the namespace that mount the claim, by name.
	var users []string
	for _, o := range list("pods", pvc.Namespace) {
		p := o.(*api.Pod)
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name {
				users = append(users, p.Name)
				break
			}
		}
	}
	sortStable(users, func(a, b string) bool { return a < b })
	w.line(0, "Used By:\t")
	if len(users) == 0 {
		w.line(0, "<none>\n")
	}
	for i, u := range users {
		if i > 0 {
			w.line(0, "\t")
		}
		w.line(0, "%s\n", u)
	}
	describeEvents(w, events, now)
}

func describeStorageClass(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	sc := obj.(*api.StorageClass)
	w.line(0, "Name:\t%s\n", sc.Name)
	isDefault := "No"
	if api.IsDefaultStorageClass(sc) || sc.Annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true" {
		isDefault = "Yes"
	}
	w.line(0, "IsDefaultClass:\t%s\n", isDefault)
	w.line(0, "Annotations:\t%s\n", formatLabels(sc.Annotations))
	w.line(0, "Provisioner:\t%s\n", sc.Provisioner)
	w.line(0, "Parameters:\t%s\n", formatLabels(sc.Parameters))
	w.line(0, "AllowVolumeExpansion:\t%s\n", boolOrUnset(sc.AllowVolumeExpansion))
	if len(sc.MountOptions) == 0 {
		w.line(0, "MountOptions:\t<none>\n")
	} else {
		w.line(0, "MountOptions:\n")
		for _, o := range sc.MountOptions {
			w.line(1, "%s\n", o)
		}
	}
	if sc.ReclaimPolicy != nil {
		w.line(0, "ReclaimPolicy:\t%s\n", *sc.ReclaimPolicy)
	}
	if sc.VolumeBindingMode != nil {
		w.line(0, "VolumeBindingMode:\t%s\n", *sc.VolumeBindingMode)
	}
	describeEvents(w, events, now)
}

package controllers

import (
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// PersistentVolumes is kube-controller-manager's persistentvolume-binder
// together with the pvc-protection and pv-protection controllers:
//
//   - an unbound claim gets the smallest matching Available volume
//     (FindMatchingVolume): the volume's spec.claimRef and phase Bound, the
//     claim's spec.volumeName, phase Bound, capacity and access modes, and
//     the pv.kubernetes.io/bind-completed and bound-by-controller
//     annotations;
//   - a claim without a match waits, with the binder's events:
//     FailedBinding when it has no class, WaitForFirstConsumer for a
//     class that binds late, ExternalProvisioning for one a provisioner
//     serves, ProvisioningFailed when the class does not exist;
//   - a volume whose claim is gone is Released (reclaim policy Retain) or
//     deleted (Delete); a volume without a claim is Available;
//   - a claim being deleted keeps kubernetes.io/pvc-protection while a pod
//     that is not finished uses it; a volume being deleted keeps
//     kubernetes.io/pv-protection while it is Bound.
//
// A claim waiting for a provisioner gets the
// volume.kubernetes.io/storage-provisioner annotation (and its beta twin)
// naming the class's provisioner; the provisioner (for kind's class, the
// local-path provisioner in localpath.go) creates the volume, which the
// binder then binds. A Delete volume of an external provisioner is left
// Released for that provisioner to delete.
type PersistentVolumes struct {
	m   *Manager
	rec *client.EventRecorder
}

// NewPersistentVolumes returns the controller.
func NewPersistentVolumes() Controller { return &PersistentVolumes{} }

// Name implements Controller.
func (c *PersistentVolumes) Name() string { return "persistentvolume-binder" }

const (
	claimKeyPrefix  = "pvc:"
	volumeKeyPrefix = "pv:"
)

// Setup implements Controller.
func (c *PersistentVolumes) Setup(m *Manager, q *Queue) {
	c.m = m
	c.rec = m.Recorder("persistentvolume-controller")
	claimKey := func(o api.Object) string {
		return claimKeyPrefix + o.GetObjectMeta().Namespace + "/" + o.GetObjectMeta().Name
	}
	m.Informer("persistentvolumeclaims").AddHandler(handlerFor(q, claimKey))
	// A claim's deletion may release its volume.
	m.Informer("persistentvolumeclaims").AddHandler(client.Handler{OnDelete: func(o api.Object) {
		if name := o.(*api.PersistentVolumeClaim).Spec.VolumeName; name != "" {
			q.Add(volumeKeyPrefix + name)
		}
	}})
	// A volume's change wakes the volume and every claim still waiting.
	wake := func(o api.Object) {
		q.Add(volumeKeyPrefix + o.GetObjectMeta().Name)
		for _, obj := range m.Informer("persistentvolumeclaims").List() {
			if pvc := obj.(*api.PersistentVolumeClaim); pvc.Status.Phase != api.ClaimBound {
				q.Add(claimKey(pvc))
			}
		}
	}
	m.Informer("persistentvolumes").AddHandler(client.Handler{
		OnAdd: wake, OnUpdate: func(_, o api.Object) { wake(o) }, OnDelete: wake,
	})
	// A pod's end may release a claim being deleted.
	m.Informer("pods").AddHandler(client.Handler{OnDelete: func(o api.Object) {
		for _, name := range podClaims(o.(*api.Pod)) {
			q.Add(claimKeyPrefix + o.GetObjectMeta().Namespace + "/" + name)
		}
	}, OnUpdate: func(_, o api.Object) {
		for _, name := range podClaims(o.(*api.Pod)) {
			q.Add(claimKeyPrefix + o.GetObjectMeta().Namespace + "/" + name)
		}
	}})
	m.Informer("storageclasses")
}

func podClaims(p *api.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return out
}

// Reconcile implements Controller.
func (c *PersistentVolumes) Reconcile(key string) (Result, error) {
	switch {
	case strings.HasPrefix(key, claimKeyPrefix):
		return Result{}, c.syncClaim(strings.TrimPrefix(key, claimKeyPrefix))
	case strings.HasPrefix(key, volumeKeyPrefix):
		return Result{}, c.syncVolume(strings.TrimPrefix(key, volumeKeyPrefix))
	}
	return Result{}, nil
}

func (c *PersistentVolumes) volumes() []*api.PersistentVolume {
	var out []*api.PersistentVolume
	for _, o := range c.m.Informer("persistentvolumes").List() {
		out = append(out, o.(*api.PersistentVolume))
	}
	return out
}

func (c *PersistentVolumes) syncClaim(key string) error {
	obj, ok := c.m.Informer("persistentvolumeclaims").Get(key)
	if !ok {
		return nil
	}
	pvc := obj.(*api.PersistentVolumeClaim)
	if pvc.DeletionTimestamp != nil {
		return c.releaseClaimFinalizer(pvc)
	}
	if pvc.Status.Phase == api.ClaimBound {
		return nil
	}
	var pv *api.PersistentVolume
	if pvc.Spec.VolumeName != "" {
		if o, ok := c.m.Informer("persistentvolumes").Get(pvc.Spec.VolumeName); ok {
			pv = o.(*api.PersistentVolume)
		}
		if pv == nil || (pv.Spec.ClaimRef != nil && pv.Spec.ClaimRef.UID != "" && pv.Spec.ClaimRef.UID != pvc.UID) {
			return nil // pre-bound to a volume that is missing or taken: wait
		}
	} else {
		var err error
		if pv, err = FindMatchingVolume(pvc, c.volumes()); err != nil {
			c.rec.Event(pvc, api.EventTypeWarning, "FailedBinding", err.Error())
			return nil
		}
	}
	if pv == nil {
		return c.explainWaiting(pvc)
	}
	return c.bind(pvc, pv)
}

// explainWaiting records why an unbound claim found no volume.
func (c *PersistentVolumes) explainWaiting(pvc *api.PersistentVolumeClaim) error {
	class := api.PersistentVolumeClaimStorageClass(pvc)
	if class == "" {
		c.rec.Event(pvc, api.EventTypeNormal, "FailedBinding", "no persistent volumes available for this claim and no storage class is set")
		return nil
	}
	o, ok := c.m.Informer("storageclasses").Get(class)
	if !ok {
		c.rec.Eventf(pvc, api.EventTypeWarning, "ProvisioningFailed", "storageclass.storage.k8s.io %q not found", class)
		return nil
	}
	sc := o.(*api.StorageClass)
	if sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == api.VolumeBindingWaitForFirstConsumer && pvc.Annotations[api.AnnSelectedNode] == "" {
		c.rec.Event(pvc, api.EventTypeNormal, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
		return nil
	}
	// The claim names its provisioner (setClaimProvisioner), which is
	// what an external provisioner watches for.
	if pvc.Annotations[api.AnnStorageProvisioner] != sc.Provisioner || pvc.Annotations[api.AnnBetaStorageProvisioner] != sc.Provisioner {
		claim := api.DeepCopyObject(pvc).(*api.PersistentVolumeClaim)
		setAnnotation(&claim.ObjectMeta, api.AnnStorageProvisioner, sc.Provisioner)
		setAnnotation(&claim.ObjectMeta, api.AnnBetaStorageProvisioner, sc.Provisioner)
		if _, err := c.m.Client.Update(claim); err != nil {
			return err
		}
	}
	c.rec.Eventf(pvc, api.EventTypeNormal, "ExternalProvisioning", "Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.", sc.Provisioner)
	return nil
}

func (c *PersistentVolumes) bind(pvc *api.PersistentVolumeClaim, pv *api.PersistentVolume) error {
	// The volume first, so that a crash leaves a claimRef the next pass
	// finishes from (FindMatchingVolume prefers a volume pre-bound to the
	// claim).
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != pvc.UID {
		v := api.DeepCopyObject(pv).(*api.PersistentVolume)
		v.Spec.ClaimRef = &api.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID, ResourceVersion: pvc.ResourceVersion}
		setAnnotation(&v.ObjectMeta, api.AnnBoundByController, "yes")
		updated, err := c.m.Client.Update(v)
		if err != nil {
			return err
		}
		pv = updated.(*api.PersistentVolume)
	}
	if pv.Status.Phase != api.VolumeBound {
		v := api.DeepCopyObject(pv).(*api.PersistentVolume)
		v.Status.Phase = api.VolumeBound
		t := api.NewTime(c.m.Now())
		v.Status.LastPhaseTransitionTime = &t
		if _, err := c.m.Client.UpdateStatus(v); err != nil {
			return err
		}
	}
	claim := api.DeepCopyObject(pvc).(*api.PersistentVolumeClaim)
	if claim.Spec.VolumeName != pv.Name || claim.Annotations[api.AnnBindCompleted] != "yes" {
		bySelf := claim.Spec.VolumeName == ""
		claim.Spec.VolumeName = pv.Name
		setAnnotation(&claim.ObjectMeta, api.AnnBindCompleted, "yes")
		if bySelf {
			setAnnotation(&claim.ObjectMeta, api.AnnBoundByController, "yes")
		}
		updated, err := c.m.Client.Update(claim)
		if err != nil {
			return err
		}
		claim = api.DeepCopyObject(updated).(*api.PersistentVolumeClaim)
	}
	claim.Status.Phase = api.ClaimBound
	claim.Status.AccessModes = append([]api.PersistentVolumeAccessMode(nil), pv.Spec.AccessModes...)
	claim.Status.Capacity = api.ResourceList{}
	for k, v := range pv.Spec.Capacity {
		claim.Status.Capacity[k] = v
	}
	_, err := c.m.Client.UpdateStatus(claim)
	return err
}

func setAnnotation(m *api.ObjectMeta, k, v string) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[k] = v
}

func (c *PersistentVolumes) syncVolume(name string) error {
	obj, ok := c.m.Informer("persistentvolumes").Get(name)
	if !ok {
		return nil
	}
	pv := obj.(*api.PersistentVolume)
	ref := pv.Spec.ClaimRef
	if ref == nil {
		if pv.DeletionTimestamp != nil {
			return c.dropFinalizer(pv, api.FinalizerPVProtection)
		}
		return c.setVolumePhase(pv, api.VolumeAvailable)
	}
	claimGone := true
	if o, ok := c.m.Informer("persistentvolumeclaims").Get(ref.Namespace + "/" + ref.Name); ok {
		claim := o.(*api.PersistentVolumeClaim)
		claimGone = ref.UID != "" && claim.UID != ref.UID
		if !claimGone && ref.UID == "" {
			return nil // pre-bound by a user: the claim's sync binds it
		}
	}
	if !claimGone {
		return nil // bound, or being bound by the claim's sync
	}
	if pv.DeletionTimestamp != nil {
		return c.dropFinalizer(pv, api.FinalizerPVProtection)
	}
	switch pv.Spec.PersistentVolumeReclaimPolicy {
	case api.PersistentVolumeReclaimDelete:
		if by := pv.Annotations[api.AnnDynamicallyProvisioned]; by != "" && !strings.HasPrefix(by, "kubernetes.io/") {
			// An external provisioner's volume: the binder marks it
			// Released and the provisioner deletes it.
			return c.setVolumePhase(pv, api.VolumeReleased)
		}
		if pv.Status.Phase != api.VolumeReleased {
			if err := c.setVolumePhase(pv, api.VolumeReleased); err != nil {
				return err
			}
		}
		_, err := c.m.Client.Delete("persistentvolumes", "", pv.Name, client.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	case api.PersistentVolumeReclaimRecycle:
		c.rec.Event(pv, api.EventTypeWarning, "VolumeFailedRecycle", "Recycle is not supported by kubesim")
		return c.setVolumePhase(pv, api.VolumeFailed)
	}
	return c.setVolumePhase(pv, api.VolumeReleased)
}

func (c *PersistentVolumes) setVolumePhase(pv *api.PersistentVolume, phase api.PersistentVolumePhase) error {
	if pv.Status.Phase == phase {
		return nil
	}
	v := api.DeepCopyObject(pv).(*api.PersistentVolume)
	v.Status.Phase = phase
	t := api.NewTime(c.m.Now())
	v.Status.LastPhaseTransitionTime = &t
	_, err := c.m.Client.UpdateStatus(v)
	return err
}

// releaseClaimFinalizer is the pvc-protection controller: a claim being
// deleted loses its finalizer once no unfinished pod uses it.
func (c *PersistentVolumes) releaseClaimFinalizer(pvc *api.PersistentVolumeClaim) error {
	for _, o := range c.m.Informer("pods").List() {
		p := o.(*api.Pod)
		if p.Namespace != pvc.Namespace || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		for _, name := range podClaims(p) {
			if name == pvc.Name {
				return nil
			}
		}
	}
	return c.dropFinalizer(pvc, api.FinalizerPVCProtection)
}

func (c *PersistentVolumes) dropFinalizer(obj api.Object, f string) error {
	cp := api.DeepCopyObject(obj)
	m := cp.GetObjectMeta()
	kept := m.Finalizers[:0:0]
	for _, have := range m.Finalizers {
		if have != f {
			kept = append(kept, have)
		}
	}
	if len(kept) == len(m.Finalizers) {
		return nil
	}
	m.Finalizers = kept
	_, err := c.m.Client.Update(cp)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

package controllers

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// LocalPathProvisionerName is the provisioner of kind's default
// StorageClass `standard`.
const LocalPathProvisionerName = "rancher.io/local-path"

// LocalPathDir is where the local-path provisioner makes its volumes on
// the node, as kind's local-path-config does.
const LocalPathDir = "/var/local-path-provisioner"

// LocalPathProvisioner is Rancher's local-path provisioner, the dynamic
// provisioner kind ships for its `standard` class: for a claim that the
// persistentvolume-binder handed to rancher.io/local-path (the
// volume.kubernetes.io/storage-provisioner annotation) and, for a
// WaitForFirstConsumer class, that the scheduler gave a node (the
// volume.kubernetes.io/selected-node annotation), it creates the volume
// pvc-<claim uid>: a hostPath directory
// /var/local-path-provisioner/pvc-<uid>_<namespace>_<claim> on that node,
// node affinity to it (kubernetes.io/hostname), the claim's size and
// access modes, the class's reclaim policy, and a claimRef to the claim,
// so the binder binds the two. Its events are the external provisioner
// library's: Provisioning, then ProvisioningSucceeded "Successfully
// provisioned volume pvc-<uid>". A Released volume it made with reclaim
// policy Delete is deleted (the real provisioner also removes the
// directory with a helper pod; kubesim empties it on the node's disk
// only through the node shell's view, see scenarios/nodeshell).
//
// Simplification: in kind the provisioner is the local-path-provisioner
// Deployment in the local-path-storage namespace; kubesim runs it as a
// control loop of kube-controller-manager, so it needs no pod and fails
// with the controller manager. As the real one, it cannot serve an
// Immediate class: with no node chosen it reports ProvisioningFailed
// "configuration error, no node was specified".
type LocalPathProvisioner struct {
	m   *Manager
	rec *client.EventRecorder
}

// NewLocalPathProvisioner returns the provisioner's loop.
func NewLocalPathProvisioner() Controller { return &LocalPathProvisioner{} }

// Name implements Controller.
func (c *LocalPathProvisioner) Name() string { return "local-path-provisioner" }

// Setup implements Controller.
func (c *LocalPathProvisioner) Setup(m *Manager, q *Queue) {
	c.m = m
	c.rec = m.Recorder(LocalPathProvisionerName + "_local-path-provisioner")
	m.Informer("persistentvolumeclaims").AddHandler(handlerFor(q, func(o api.Object) string {
		return claimKeyPrefix + o.GetObjectMeta().Namespace + "/" + o.GetObjectMeta().Name
	}))
	m.Informer("persistentvolumes").AddHandler(handlerFor(q, func(o api.Object) string {
		return volumeKeyPrefix + o.GetObjectMeta().Name
	}))
	m.Informer("storageclasses")
}

// Reconcile implements Controller.
func (c *LocalPathProvisioner) Reconcile(key string) (Result, error) {
	switch {
	case strings.HasPrefix(key, claimKeyPrefix):
		return Result{}, c.provision(strings.TrimPrefix(key, claimKeyPrefix))
	case strings.HasPrefix(key, volumeKeyPrefix):
		return Result{}, c.reclaim(strings.TrimPrefix(key, volumeKeyPrefix))
	}
	return Result{}, nil
}

// LocalPathVolumePath is the directory of a claim's volume on its node.
func LocalPathVolumePath(pvc *api.PersistentVolumeClaim) string {
	return fmt.Sprintf("%s/pvc-%s_%s_%s", LocalPathDir, pvc.UID, pvc.Namespace, pvc.Name)
}

func (c *LocalPathProvisioner) provision(key string) error {
	o, ok := c.m.Informer("persistentvolumeclaims").Get(key)
	if !ok {
		return nil
	}
	pvc := o.(*api.PersistentVolumeClaim)
	if pvc.DeletionTimestamp != nil || pvc.Spec.VolumeName != "" || pvc.Status.Phase != api.ClaimPending ||
		pvc.Annotations[api.AnnStorageProvisioner] != LocalPathProvisionerName {
		return nil
	}
	so, ok := c.m.Informer("storageclasses").Get(api.PersistentVolumeClaimStorageClass(pvc))
	if !ok {
		return nil
	}
	sc := so.(*api.StorageClass)
	if sc.Provisioner != LocalPathProvisionerName {
		return nil
	}
	node := pvc.Annotations[api.AnnSelectedNode]
	if node == "" {
		if sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == api.VolumeBindingWaitForFirstConsumer {
			return nil // the scheduler has not picked a node yet
		}
		// A local volume needs a node: an Immediate class cannot work.
		c.rec.Eventf(pvc, api.EventTypeNormal, "Provisioning", "External provisioner is provisioning volume for claim %q", pvc.Namespace+"/"+pvc.Name)
		c.rec.Eventf(pvc, api.EventTypeWarning, "ProvisioningFailed", "failed to provision volume with StorageClass %q: configuration error, no node was specified", sc.Name)
		return nil
	}
	name := "pvc-" + string(pvc.UID)
	if _, ok := c.m.Informer("persistentvolumes").Get(name); ok {
		return nil
	}
	c.rec.Eventf(pvc, api.EventTypeNormal, "Provisioning", "External provisioner is provisioning volume for claim %q", pvc.Namespace+"/"+pvc.Name)
	reclaim := api.PersistentVolumeReclaimDelete
	if sc.ReclaimPolicy != nil {
		reclaim = *sc.ReclaimPolicy
	}
	dirOrCreate := api.HostPathType("DirectoryOrCreate")
	mode := volumeModeOf(pvc.Spec.VolumeMode)
	pv := &api.PersistentVolume{
		TypeMeta: api.TypeMeta{Kind: "PersistentVolume", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Annotations: map[string]string{
			api.AnnDynamicallyProvisioned: LocalPathProvisionerName,
		}},
		Spec: api.PersistentVolumeSpec{
			Capacity:                      api.ResourceList{api.ResourceStorage: pvc.Spec.Resources.Requests[api.ResourceStorage]},
			HostPath:                      &api.HostPathVolumeSource{Path: LocalPathVolumePath(pvc), Type: &dirOrCreate},
			AccessModes:                   append([]api.PersistentVolumeAccessMode(nil), pvc.Spec.AccessModes...),
			ClaimRef:                      &api.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID, ResourceVersion: pvc.ResourceVersion},
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              sc.Name,
			MountOptions:                  append([]string(nil), sc.MountOptions...),
			VolumeMode:                    &mode,
		},
	}
	pv.Annotations["local.path.provisioner/selected-node"] = node
	pv.Spec.NodeAffinity = &api.VolumeNodeAffinity{Required: &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{
		MatchExpressions: []api.NodeSelectorRequirement{{Key: api.LabelHostname, Operator: api.NodeSelectorOpIn, Values: []string{node}}},
	}}}}
	if _, err := c.m.Client.Create(pv); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		c.rec.Eventf(pvc, api.EventTypeWarning, "ProvisioningFailed", "failed to provision volume with StorageClass %q: %v", sc.Name, err)
		return err
	}
	c.rec.Eventf(pvc, api.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume %s", name)
	return nil
}

// reclaim deletes a Released volume of reclaim policy Delete that this
// provisioner made.
func (c *LocalPathProvisioner) reclaim(name string) error {
	o, ok := c.m.Informer("persistentvolumes").Get(name)
	if !ok {
		return nil
	}
	pv := o.(*api.PersistentVolume)
	if pv.Annotations[api.AnnDynamicallyProvisioned] != LocalPathProvisionerName || pv.DeletionTimestamp != nil ||
		pv.Status.Phase != api.VolumeReleased || pv.Spec.PersistentVolumeReclaimPolicy != api.PersistentVolumeReclaimDelete {
		return nil
	}
	_, err := c.m.Client.Delete("persistentvolumes", "", pv.Name, client.DeleteOptions{})
	return ignoreNotFound(err)
}

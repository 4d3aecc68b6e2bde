package controllers

import (
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// gcResources are the resources the garbage collector follows. The real
// one discovers every deletable resource (events included); the simulator
// names the ones that carry owner references here.
var gcResources = []string{"pods", "replicasets", "deployments", "daemonsets", "controllerrevisions", "services",
	"endpointslices", "endpoints", "configmaps", "secrets", "serviceaccounts", "leases", "nodes",
	"statefulsets", "persistentvolumeclaims"}

// IndexOwner indexes objects by the UIDs of their owners.
const IndexOwner = "owner"

func ownerIndex(o api.Object) []string {
	refs := o.GetObjectMeta().OwnerReferences
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r.UID)
	}
	return out
}

// GarbageCollector deletes objects whose owners are gone and carries out
// the three deletion propagation policies through owner references:
//
//   - Background (the default): the owner goes at once; the collector then
//     finds its dependents dangling (every owner gone, confirmed with a
//     live read) and deletes them, and so on down.
//   - Foreground: the apiserver keeps the owner, with a deletionTimestamp
//     and the foregroundDeletion finalizer, while the collector deletes its
//     dependents; once no dependent with blockOwnerDeletion=true is left it
//     removes the finalizer and the owner goes.
//   - Orphan: the owner has the orphan finalizer; the collector removes the
//     owner's reference from every dependent, then the finalizer.
//
// A dependent with another owner still alive survives: its references to
// owners that are gone are removed instead.
type GarbageCollector struct {
	m *Manager
	q *Queue
}

// NewGarbageCollector returns the controller.
func NewGarbageCollector() Controller { return &GarbageCollector{} }

// Name implements Controller.
func (gc *GarbageCollector) Name() string { return "garbage-collector" }

func gcKey(resource string, o api.Object) string { return resource + "|" + o.GetObjectMeta().Key() }

// Setup implements Controller.
func (gc *GarbageCollector) Setup(m *Manager, q *Queue) {
	gc.m, gc.q = m, q
	for _, r := range gcResources {
		if _, ok := api.ResourceFor(r); !ok {
			continue
		}
		resource := r
		m.AddIndex(resource, IndexOwner, ownerIndex)
		touch := func(o api.Object) {
			q.Add(gcKey(resource, o))
			// Its owners may wait for it (foreground), its dependents may
			// be orphans now.
			meta := o.GetObjectMeta()
			for _, ref := range meta.OwnerReferences {
				if info, ok := api.ResourceForAPIVersionKind(ref.APIVersion, ref.Kind); ok {
					ns := ""
					if info.Namespaced {
						ns = meta.Namespace
					}
					om := api.ObjectMeta{Namespace: ns, Name: ref.Name}
					q.Add(info.Resource + "|" + om.Key())
				}
			}
			gc.enqueueDependents(meta.UID)
		}
		m.Informer(resource).AddHandler(client.Handler{OnAdd: touch, OnUpdate: func(_, o api.Object) { touch(o) }, OnDelete: touch})
	}
}

func (gc *GarbageCollector) enqueueDependents(uid api.UID) {
	for _, r := range gc.resources() {
		for _, d := range gc.m.ByIndex(r, IndexOwner, string(uid)) {
			gc.q.Add(gcKey(r, d))
		}
	}
}

func (gc *GarbageCollector) resources() []string {
	var out []string
	for _, r := range gcResources {
		if _, ok := api.ResourceFor(r); ok {
			out = append(out, r)
		}
	}
	return out
}

type dependent struct {
	resource string
	obj      api.Object
}

func (gc *GarbageCollector) dependents(uid api.UID) []dependent {
	var out []dependent
	for _, r := range gc.resources() {
		for _, d := range gc.m.ByIndex(r, IndexOwner, string(uid)) {
			out = append(out, dependent{r, d})
		}
	}
	return out
}

// Reconcile implements Controller; the key is "resource|namespace/name".
func (gc *GarbageCollector) Reconcile(key string) (Result, error) {
	resource, objKey, ok := strings.Cut(key, "|")
	if !ok {
		return Result{}, nil
	}
	o, ok := gc.m.Informer(resource).Get(objKey)
	if !ok {
		return Result{}, nil
	}
	meta := o.GetObjectMeta()
	if meta.DeletionTimestamp != nil {
		switch {
		case meta.HasFinalizer(api.FinalizerOrphanDependents):
			return Result{}, gc.orphan(resource, o)
		case meta.HasFinalizer(api.FinalizerDeleteDependents):
			return Result{}, gc.foreground(resource, o)
		}
		return Result{}, nil
	}
	if len(meta.OwnerReferences) == 0 {
		return Result{}, nil
	}
	return Result{}, gc.attemptToDelete(resource, o)
}

// ownerState is how a dependent sees one owner.
type ownerState int

const (
	ownerSolid ownerState = iota
	ownerDangling
	ownerWaiting // being deleted in the foreground
)

func (gc *GarbageCollector) classify(meta *api.ObjectMeta, ref api.OwnerReference) (ownerState, error) {
	info, ok := api.ResourceForAPIVersionKind(ref.APIVersion, ref.Kind)
	if !ok {
		return ownerSolid, nil // unknown kinds are left alone
	}
	ns := ""
	if info.Namespaced {
		ns = meta.Namespace
	}
	var owner api.Object
	cacheKey := ref.Name
	if ns != "" {
		cacheKey = ns + "/" + ref.Name
	}
	if o, ok := gc.m.Informer(info.Resource).Get(cacheKey); ok && o.GetObjectMeta().UID == ref.UID {
		owner = o
	} else {
		// Absent from the cache (or another object under the name): a live
		// read decides, so a stale cache never deletes anything.
		live, err := gc.m.Client.Get(info.Resource, ns, ref.Name)
		switch {
		case apierrors.IsNotFound(err):
			return ownerDangling, nil
		case err != nil:
			return ownerSolid, err
		case live.GetObjectMeta().UID != ref.UID:
			return ownerDangling, nil
		}
		owner = live
	}
	om := owner.GetObjectMeta()
	if om.DeletionTimestamp != nil && om.HasFinalizer(api.FinalizerDeleteDependents) {
		return ownerWaiting, nil
	}
	return ownerSolid, nil
}

// attemptToDelete deletes a dependent whose owners are all gone (or all
// deleting it in the foreground), or drops its references to gone owners
// when one still stands.
func (gc *GarbageCollector) attemptToDelete(resource string, o api.Object) error {
	meta := o.GetObjectMeta()
	var solid, dangling, waiting []api.OwnerReference
	for _, ref := range meta.OwnerReferences {
		st, err := gc.classify(meta, ref)
		if err != nil {
			return err
		}
		switch st {
		case ownerSolid:
			solid = append(solid, ref)
		case ownerDangling:
			dangling = append(dangling, ref)
		case ownerWaiting:
			waiting = append(waiting, ref)
		}
	}
	switch {
	case len(solid) > 0:
		if len(dangling) == 0 && len(waiting) == 0 {
			return nil
		}
		// Keep living for the solid owner: forget the gone ones, and stop
		// blocking the ones deleting in the foreground.
		c := api.DeepCopyObject(o)
		cm := c.GetObjectMeta()
		var refs []api.OwnerReference
		for _, r := range cm.OwnerReferences {
			if containsRef(dangling, r.UID) {
				continue
			}
			if containsRef(waiting, r.UID) {
				r.BlockOwnerDeletion = boolPtr(false)
			}
			refs = append(refs, r)
		}
		cm.OwnerReferences = refs
		_, err := gc.m.Client.Update(c)
		return ignoreNotFound(err)
	case len(waiting) > 0 && len(gc.dependents(meta.UID)) > 0:
		// An owner waits for us and we have dependents ourselves: delete in
		// the foreground too, so the wait propagates down.
		return gc.delete(resource, o, api.DeletePropagationForeground)
	default:
		policy := api.DeletePropagationBackground
		switch {
		case meta.HasFinalizer(api.FinalizerOrphanDependents):
			policy = api.DeletePropagationOrphan
		case meta.HasFinalizer(api.FinalizerDeleteDependents):
			policy = api.DeletePropagationForeground
		}
		return gc.delete(resource, o, policy)
	}
}

func (gc *GarbageCollector) delete(resource string, o api.Object, policy string) error {
	meta := o.GetObjectMeta()
	gc.m.C.Note("garbage-collector", "deleting "+resource+" "+meta.Key()+" (propagationPolicy="+policy+")")
	_, err := gc.m.Client.Delete(resource, meta.Namespace, meta.Name, client.DeleteOptions{PropagationPolicy: policy})
	return ignoreNotFound(err)
}

// foreground deletes an owner's dependents and lets the owner go once no
// dependent blocks it.
func (gc *GarbageCollector) foreground(resource string, o api.Object) error {
	meta := o.GetObjectMeta()
	blocking := 0
	for _, d := range gc.dependents(meta.UID) {
		dm := d.obj.GetObjectMeta()
		for _, r := range dm.OwnerReferences {
			if r.UID == meta.UID && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion {
				blocking++
			}
		}
		if dm.DeletionTimestamp == nil {
			gc.q.Add(gcKey(d.resource, d.obj)) // attemptToDelete sees the waiting owner
		}
	}
	if blocking > 0 {
		return nil
	}
	return gc.removeFinalizer(resource, o, api.FinalizerDeleteDependents)
}

// orphan removes the owner's references from its dependents, then the
// orphan finalizer.
func (gc *GarbageCollector) orphan(resource string, o api.Object) error {
	meta := o.GetObjectMeta()
	for _, d := range gc.dependents(meta.UID) {
		c := api.DeepCopyObject(d.obj)
		cm := c.GetObjectMeta()
		var refs []api.OwnerReference
		for _, r := range cm.OwnerReferences {
			if r.UID != meta.UID {
				refs = append(refs, r)
			}
		}
		cm.OwnerReferences = refs
		if _, err := gc.m.Client.Update(c); ignoreNotFound(err) != nil {
			return err
		}
	}
	return gc.removeFinalizer(resource, o, api.FinalizerOrphanDependents)
}

func (gc *GarbageCollector) removeFinalizer(resource string, o api.Object, f string) error {
	c := api.DeepCopyObject(o)
	cm := c.GetObjectMeta()
	var fs []string
	for _, x := range cm.Finalizers {
		if x != f {
			fs = append(fs, x)
		}
	}
	cm.Finalizers = fs
	_, err := gc.m.Client.Update(c)
	return ignoreNotFound(err)
}

func containsRef(refs []api.OwnerReference, uid api.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

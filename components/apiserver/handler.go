package apiserver

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/fieldmanager"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// handler serves one request that needs etcd, in its own task.
type handler struct {
	s    *server
	c    *sim.Ctx
	etcd *etcd.Client
	user UserInfo
}

func (h *handler) handle(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	switch r.Verb {
	case apiwire.VerbCreate, apiwire.VerbUpdate, apiwire.VerbPatch:
		if err := checkFieldManager(r); err != nil {
			return nil, err
		}
	}
	switch r.Verb {
	case apiwire.VerbGet:
		obj, _, err := h.read(info, r.Namespace, r.Name)
		if err != nil {
			return nil, err
		}
		return &apiwire.Response{Code: 200, Object: obj}, nil
	case apiwire.VerbList:
		return h.list(r, info)
	case apiwire.VerbCreate:
		switch r.Subresource {
		case "binding":
			return h.bind(r)
		case "eviction":
			return h.evict(r, info)
		case "exec", "attach", "portforward":
			// A connect subresource: kube-apiserver reads the pod for its
			// node and containers and then streams to that node's kubelet
			// (the front end does the streaming); nothing is stored.
			obj, _, err := h.read(info, r.Namespace, r.Name)
			if err != nil {
				return nil, err
			}
			return &apiwire.Response{Code: 200, Object: obj}, nil
		}
		return h.create(r, info, false)
	case apiwire.VerbUpdate:
		if r.Subresource == "scale" {
			return h.updateScale(r, info)
		}
		return h.update(r, info, r.Object, false)
	case apiwire.VerbPatch:
		return h.patch(r, info)
	case apiwire.VerbDelete:
		return h.delete(r, info)
	case apiwire.VerbDeleteCollection:
		return h.deleteCollection(r, info)
	}
	return nil, apierrors.NewMethodNotSupported(info.Group, info.Resource, r.Verb)
}

// read is a quorum read of one object from etcd.
func (h *handler) read(info *api.ResourceInfo, namespace, name string) (api.Object, int64, error) {
	obj, rev, _, err := h.readValue(info, namespace, name)
	return obj, rev, err
}

// readValue is read with the bytes stored at the key.
func (h *handler) readValue(info *api.ResourceInfo, namespace, name string) (api.Object, int64, []byte, error) {
	key := info.Key(namespace, name)
	res, err := h.etcd.Range(key, "", mvcc.RangeOptions{}, false)
	if err != nil {
		return nil, 0, nil, storageError(err)
	}
	if len(res.KVs) == 0 {
		return nil, 0, nil, apierrors.NewNotFound(info.Group, info.Resource, name)
	}
	kv := res.KVs[0]
	// The watch cache has usually decoded this very revision already; a
	// copy of it is what decoding the value would give.
	if e, ok := h.s.cache.get(key); ok && e.obj.GetObjectMeta().ResourceVersion == strconv.FormatInt(kv.ModRevision, 10) {
		return api.DeepCopyObject(e.obj), kv.ModRevision, kv.Value, nil
	}
	obj, err := decode(info, kv.Value, kv.ModRevision)
	if err != nil {
		return nil, 0, nil, apierrors.NewInternalError(err)
	}
	return obj, kv.ModRevision, kv.Value, nil
}

// list is a consistent list: etcd confirms the current revision, then the
// watch cache (which has seen every event up to it) answers, as the real
// apiserver's consistent reads from cache do.
func (h *handler) list(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	prefix := info.Key(r.Namespace, "")
	res, err := h.etcd.Range(prefix, mvcc.PrefixEnd(prefix), mvcc.RangeOptions{CountOnly: true}, false)
	if err != nil {
		return nil, storageError(err)
	}
	for i := 0; h.s.cache.rev < res.Header.Revision && i < 100; i++ {
		h.c.Sleep(time.Millisecond)
	}
	return h.s.listFromCache(r, info)
}

// owner is the field manager of a write, for managedFields.
func (h *handler) owner(r *apiwire.Request, info *api.ResourceInfo) fieldmanager.Owner {
	return fieldmanager.Owner{Manager: managerName(r), Subresource: r.Subresource, APIVersion: info.APIVersion(), Now: api.NewTime(h.c.WallTime().Truncate(time.Second))}
}

// create stores a new object. applied says that the object is the result
// of a server-side apply whose managedFields are already set; otherwise
// the write is recorded as an Update of its manager.
func (h *handler) create(r *apiwire.Request, info *api.ResourceInfo, applied bool) (*apiwire.Response, error) {
	if r.Object == nil {
		return nil, apierrors.NewBadRequest("the body of the request is empty")
	}
	if info.IsCustom() {
		if err := checkCustomBody(info, r.Object); err != nil {
			return nil, err
		}
		if k := h.s.customKindOf(info); k != nil && k.terminating {
			return nil, apierrors.NewMethodNotSupported(info.Group, info.Resource, r.Verb).WithMessage("create not allowed while custom resource definition is terminating")
		}
	} else if k, ok := api.ResourceOf(r.Object); !ok || k != info {
		got := r.Object.GetTypeMeta().Kind
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", r.Object.GetTypeMeta().APIVersion+", Kind="+got, info.GVK().String()))
	}
	obj := api.DeepCopyObject(r.Object)
	api.SetTypeMeta(obj)
	m := obj.GetObjectMeta()
	if info.Namespaced {
		if m.Namespace == "" {
			m.Namespace = r.Namespace
		} else if r.Namespace != "" && m.Namespace != r.Namespace {
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	if fields := setDefaults(obj, true); len(fields) > 0 {
		h.c.Note(NoteDefaults, DefaultsNote{Kind: info.Kind, Name: m.Name, Fields: fields})
	}
	h.admitCustom(info, obj)
	if !applied {
		// The creator owns what it sent and the defaults filled in, as
		// the real create handler records it after decoding (which
		// defaults); admission's changes are nobody's.
		fieldmanager.Update(info, h.owner(r, info), nil, obj)
	}
	h.s.stamp(obj)
	// NamespaceLifecycle is the first plugin of the admission chain.
	if err := h.s.namespaceLifecycle(r, info, obj); err != nil {
		h.c.Note(NoteAdmission, AdmissionNote{RejectedBy: "NamespaceLifecycle", Reason: err.Error()})
		return nil, err
	}
	if pod, ok := obj.(*api.Pod); ok && r.Subresource == "" {
		// LimitRanger follows NamespaceLifecycle.
		if note := h.s.limitRangerMutate(r, pod); note != nil && len(note.Defaults) > 0 {
			h.c.Note(NoteLimitRanger, *note)
		}
	}
	changes, err := h.s.mutatingAdmission(r, obj)
	if len(changes) > 0 {
		h.c.Note(NoteAdmission, AdmissionNote{Changes: changes})
	}
	if err != nil {
		plugin := "ServiceAccount"
		if refusal, ok := err.(*admissionRefusal); ok {
			plugin, err = refusal.plugin, refusal.err
		}
		h.c.Note(NoteAdmission, AdmissionNote{RejectedBy: plugin, Reason: err.Error()})
		return nil, err
	}
	if errs := append(validate(info, obj, nil), h.s.validateCustom(info, obj)...); len(errs) > 0 {
		err := apierrors.NewInvalid(info.Group, info.Kind, m.Name, errs)
		h.c.Note(NoteValidation, ValidationNote{Kind: info.Kind, Name: m.Name, Err: err.Error()})
		return nil, err
	}
	h.c.Note(NoteValidation, ValidationNote{Kind: info.Kind, Name: m.Name})
	if note, err := h.s.limitRangerValidate(r, info, obj); err != nil {
		h.c.Note(NoteLimitRanger, *note)
		h.c.Note(NoteAdmission, AdmissionNote{RejectedBy: "LimitRanger", Reason: err.Error()})
		return nil, err
	}
	if err := h.s.resourceQuota(r, info, obj, nil); err != nil {
		h.c.Note(NoteAdmission, AdmissionNote{RejectedBy: "ResourceQuota", Reason: err.Error()})
		return nil, err
	}
	if svc, ok := obj.(*api.Service); ok && !r.DryRun {
		return h.createService(info, svc)
	}
	if r.DryRun {
		return &apiwire.Response{Code: 201, Object: obj}, nil
	}
	key := info.Key(m.Namespace, m.Name)
	var lease mvcc.LeaseID
	if info.Resource == "events" {
		lease = h.eventLease()
	}
	stored, err := createWith(h.etcd, info, key, obj, lease, h.s.written)
	if err != nil {
		return nil, err
	}
	return &apiwire.Response{Code: 201, Object: stored}, nil
}

// eventLease attaches events to a lease of --event-ttl, reusing one lease
// for a minute as the apiserver's lease manager does.
func (h *handler) eventLease() mvcc.LeaseID {
	s := h.s
	now := h.c.Now()
	if s.eventLease != 0 && now-s.eventLeaseSince < time.Minute {
		return s.eventLease
	}
	l, err := h.etcd.Grant(int64((s.cfg.EventTTL + time.Minute) / time.Second))
	if err != nil {
		return 0
	}
	s.eventLease, s.eventLeaseSince = l.ID, now
	return l.ID
}

// update replaces an object, guarded by resourceVersion. applied says
// that in is the result of a server-side apply with its managedFields
// set; otherwise the write is recorded as an Update of its manager.
func (h *handler) update(r *apiwire.Request, info *api.ResourceInfo, in api.Object, applied bool) (*apiwire.Response, error) {
	if in == nil {
		return nil, apierrors.NewBadRequest("the body of the request is empty")
	}
	m := in.GetObjectMeta()
	if m.Name != r.Name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.Name, r.Name))
	}
	old, modRev, stored, err := h.readValue(info, r.Namespace, r.Name)
	if err != nil {
		return nil, err
	}
	if m.ResourceVersion != "" && m.ResourceVersion != strconv.FormatInt(modRev, 10) {
		return nil, apierrors.NewConflict(info.Group, info.Resource, r.Name, apierrors.ErrModified)
	}
	obj := api.DeepCopyObject(in)
	api.SetTypeMeta(obj)
	nm := obj.GetObjectMeta()
	om := old.GetObjectMeta()
	nm.Namespace = om.Namespace
	nm.UID = om.UID
	nm.CreationTimestamp = om.CreationTimestamp
	nm.DeletionTimestamp = om.DeletionTimestamp
	nm.DeletionGracePeriodSeconds = om.DeletionGracePeriodSeconds
	nm.Generation = om.Generation
	if info.IsCustom() {
		if err := checkCustomBody(info, obj); err != nil {
			return nil, err
		}
	}
	cr, _ := obj.(*api.CustomResource)
	switch r.Subresource {
	case "status":
		// A status update cannot change the spec or the labels (as the
		// real status strategies reset them); annotations may change.
		keepSpec(obj, old)
		if cr != nil {
			keepCustomSpec(cr, old.(*api.CustomResource))
		}
		nm.Labels, nm.Finalizers, nm.OwnerReferences = om.Labels, om.Finalizers, om.OwnerReferences
	case "finalize":
		if ns, ok := obj.(*api.Namespace); ok {
			fin := ns.Spec.Finalizers
			keepSpec(obj, old)
			ns.Spec.Finalizers = fin
			ns.Status = old.(*api.Namespace).Status
		}
	default:
		if _, ok := info.Subresource("status"); ok {
			keepStatus(obj, old)
			if cr != nil {
				keepCustomStatus(cr, old.(*api.CustomResource))
			}
		}
		if hasSpec(obj) && specOf(obj) != specOf(old) {
			nm.Generation = om.Generation + 1
		}
	}
	if svc, ok := obj.(*api.Service); ok {
		if errs := patchAllocatedValues(svc, old.(*api.Service)); len(errs) > 0 {
			return nil, apierrors.NewInvalid(info.Group, info.Kind, nm.Name, errs)
		}
	}
	setDefaults(obj, false)
	key := info.Key(nm.Namespace, nm.Name)
	var typed *fieldmanager.Typed
	h.admitCustom(info, obj)
	switch {
	case r.Subresource == "finalize":
		nm.ManagedFields = om.ManagedFields
	case !applied:
		typed = fieldmanager.UpdateTyped(info, h.owner(r, info), old, h.s.typed.get(key, stored), obj)
	}
	if pc, ok := obj.(*api.PriorityClass); ok && r.Subresource == "" {
		if err := h.s.admitPriorityClass(pc); err != nil {
			return nil, apierrors.NewForbidden("scheduling.k8s.io", "priorityclasses", pc.Name, err)
		}
	}
	if errs := append(validate(info, obj, old), h.s.validateCustom(info, obj)...); len(errs) > 0 {
		err := apierrors.NewInvalid(info.Group, info.Kind, nm.Name, errs)
		h.c.Note(NoteValidation, ValidationNote{Kind: info.Kind, Name: nm.Name, Err: err.Error()})
		return nil, err
	}
	if note, err := h.s.limitRangerValidate(r, info, obj); err != nil {
		h.c.Note(NoteLimitRanger, *note)
		h.c.Note(NoteAdmission, AdmissionNote{RejectedBy: "LimitRanger", Reason: err.Error()})
		return nil, err
	}
	if err := h.s.resourceQuota(r, info, obj, old); err != nil {
		h.c.Note(NoteAdmission, AdmissionNote{RejectedBy: "ResourceQuota", Reason: err.Error()})
		return nil, err
	}
	if r.DryRun {
		return &apiwire.Response{Code: 200, Object: obj}, nil
	}
	if same(obj, old) {
		return &apiwire.Response{Code: 200, Object: old}, nil // nothing changed: no write
	}
	if nm.DeletionTimestamp != nil && len(nm.Finalizers) == 0 && !namespaceHoldsOn(obj) && graceOver(nm) {
		// The last finalizer is gone and no grace period runs: the object
		// can finally go. (A pod in its grace period stays until its kubelet
		// deletes it with grace 0.)
		return h.remove(info, key, obj, modRev)
	}
	res, data, err := h.putValue(info, key, obj, modRev)
	if err == nil && typed != nil {
		// Nothing but resourceVersion changed since the field manager
		// converted obj: its typed form is that of the bytes stored.
		h.s.typed.put(key, data, typed)
	}
	return res, err
}

func namespaceHoldsOn(obj api.Object) bool {
	ns, ok := obj.(*api.Namespace)
	return ok && len(ns.Spec.Finalizers) > 0
}

// put writes an object if nobody changed it since modRev.
func (h *handler) put(info *api.ResourceInfo, key string, obj api.Object, modRev int64) (*apiwire.Response, error) {
	res, _, err := h.putValue(info, key, obj, modRev)
	return res, err
}

// putValue is put, with the bytes it stored.
func (h *handler) putValue(info *api.ResourceInfo, key string, obj api.Object, modRev int64) (*apiwire.Response, []byte, error) {
	data, err := encode(obj)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	h.s.written[key] = pendingWrite{obj: obj, data: data}
	res, err := h.etcd.Txn(mvcc.TxnRequest{
		Compare: []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, modRev)},
		Success: []mvcc.Op{mvcc.OpPut(key, data, 0)},
	})
	if err != nil {
		return nil, nil, storageError(err)
	}
	if !res.Succeeded {
		return nil, nil, apierrors.NewConflict(info.Group, info.Resource, obj.GetObjectMeta().Name, apierrors.ErrModified)
	}
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(res.Header.Revision, 10)
	return &apiwire.Response{Code: 200, Object: obj}, data, nil
}

// remove deletes an object's key if nobody changed it since modRev (with a
// Service, the addresses and ports it held).
func (h *handler) remove(info *api.ResourceInfo, key string, obj api.Object, modRev int64) (*apiwire.Response, error) {
	ops := []mvcc.Op{mvcc.OpDelete(key, "")}
	if svc, ok := obj.(*api.Service); ok {
		for _, k := range releaseKeys(svc) {
			ops = append(ops, mvcc.OpDelete(k, ""))
		}
	}
	res, err := h.etcd.Txn(mvcc.TxnRequest{
		Compare: []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, modRev)},
		Success: ops,
	})
	if err != nil {
		return nil, storageError(err)
	}
	if !res.Succeeded {
		return nil, apierrors.NewConflict(info.Group, info.Resource, obj.GetObjectMeta().Name, apierrors.ErrModified)
	}
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(res.Header.Revision, 10)
	return &apiwire.Response{Code: 200, Object: obj}, nil
}

func (h *handler) patch(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	for attempt := 0; ; attempt++ {
		old, modRev, err := h.read(info, r.Namespace, r.Name)
		if apierrors.IsNotFound(err) && r.PatchType == apiwire.ApplyPatch && r.Subresource == "" {
			return h.applyCreate(r, info)
		}
		if err != nil {
			return nil, err
		}
		var patched api.Object
		if r.PatchType == apiwire.ApplyPatch {
			if err := checkApplied(r, info); err != nil {
				return nil, err
			}
			if patched, err = fieldmanager.Apply(info, h.owner(r, info), old, r.Patch, r.Force); err != nil {
				return nil, err // a conflict of managers is final: no retry
			}
		} else if patched, err = applyPatch(info, old, r.Patch, r.PatchType); err != nil {
			return nil, err
		}
		pm := patched.GetObjectMeta()
		explicitRV := pm.ResourceVersion != "" && pm.ResourceVersion != strconv.FormatInt(modRev, 10)
		if !explicitRV {
			pm.ResourceVersion = strconv.FormatInt(modRev, 10)
		}
		res, err := h.update(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: r.Resource, Subresource: r.Subresource, Namespace: r.Namespace, Name: r.Name, DryRun: r.DryRun, FieldManager: r.FieldManager, UserAgent: r.UserAgent}, info, patched, r.PatchType == apiwire.ApplyPatch)
		if apierrors.IsConflict(err) && !explicitRV && attempt < 5 {
			continue // a patch retries on conflict, as the real one does
		}
		return res, err
	}
}

// delete follows the real rules: finalizers and graceful pod deletion set
// deletionTimestamp and keep the object; otherwise the key goes.
func (h *handler) delete(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	old, modRev, err := h.read(info, r.Namespace, r.Name)
	if err != nil {
		return nil, err
	}
	obj := api.DeepCopyObject(old)
	m := obj.GetObjectMeta()
	key := info.Key(m.Namespace, m.Name)
	now := api.NewTime(h.c.WallTime().Truncate(time.Second))
	changed := false

	switch r.PropagationPolicy {
	case apiwire.PropagationForeground:
		if !m.HasFinalizer(api.FinalizerDeleteDependents) {
			m.Finalizers = append(m.Finalizers, api.FinalizerDeleteDependents)
			changed = true
		}
	case apiwire.PropagationOrphan:
		if !m.HasFinalizer(api.FinalizerOrphanDependents) {
			m.Finalizers = append(m.Finalizers, api.FinalizerOrphanDependents)
			changed = true
		}
	}

	if crd, ok := obj.(*api.CustomResourceDefinition); ok {
		if m.DeletionTimestamp != nil {
			return &apiwire.Response{Code: 200, Object: old}, nil
		}
		markCRDDeleted(crd, now)
		h.c.Note(NoteDelete, fmt.Sprintf("%s %s is Terminating until its custom resources are deleted", info.Kind, m.Name))
		if r.DryRun {
			return &apiwire.Response{Code: 200, Object: obj}, nil
		}
		return h.put(info, key, obj, modRev)
	}
	if ns, ok := obj.(*api.Namespace); ok {
		if m.DeletionTimestamp == nil {
			m.DeletionTimestamp = &now
			ns.Status.Phase = api.NamespaceTerminating
			changed = true
		}
		if len(ns.Spec.Finalizers) > 0 || len(m.Finalizers) > 0 {
			h.c.Note(NoteDelete, "namespace "+m.Name+" is Terminating until its finalizers are done")
			if !changed {
				return &apiwire.Response{Code: 200, Object: old}, nil
			}
			return h.put(info, key, obj, modRev)
		}
	}

	if _, ok := obj.(*api.Pod); ok && m.DeletionTimestamp != nil && len(m.Finalizers) == 0 {
		// Deleting a pod that is already terminating: only a grace period
		// of 0 (the kubelet's final delete, or --force) ends it now;
		// otherwise the running grace period stands.
		if r.GracePeriodSeconds == nil || *r.GracePeriodSeconds != 0 {
			return &apiwire.Response{Code: 200, Object: old}, nil
		}
		return h.remove(info, key, obj, modRev)
	}
	if pod, ok := obj.(*api.Pod); ok && m.DeletionTimestamp == nil {
		grace := int64(30)
		if pod.Spec.TerminationGracePeriodSeconds != nil {
			grace = *pod.Spec.TerminationGracePeriodSeconds
		}
		if r.GracePeriodSeconds != nil {
			grace = *r.GracePeriodSeconds
		}
		terminal := pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed
		if pod.Spec.NodeName != "" && !terminal && grace > 0 {
			ts := api.NewTime(h.c.WallTime().Add(time.Duration(grace) * time.Second).Truncate(time.Second))
			m.DeletionTimestamp = &ts
			m.DeletionGracePeriodSeconds = &grace
			h.c.Note(NoteDelete, fmt.Sprintf("graceful deletion: the kubelet on %s has %ds to stop pod %s", pod.Spec.NodeName, grace, m.Name))
			return h.put(info, key, obj, modRev)
		}
	}

	if len(m.Finalizers) > 0 {
		if m.DeletionTimestamp == nil {
			m.DeletionTimestamp = &now
			zero := int64(0)
			m.DeletionGracePeriodSeconds = &zero
			changed = true
		}
		h.c.Note(NoteDelete, fmt.Sprintf("%s %s has finalizers %v: marked for deletion, kept until they are removed", info.Kind, m.Name, m.Finalizers))
		if !changed {
			return &apiwire.Response{Code: 200, Object: old}, nil
		}
		return h.put(info, key, obj, modRev)
	}
	if r.DryRun {
		return &apiwire.Response{Code: 200, Object: obj}, nil
	}
	return h.remove(info, key, obj, modRev)
}

func (h *handler) deleteCollection(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	list, err := h.s.listFromCache(r, info)
	if err != nil {
		return nil, err
	}
	res := &apiwire.Response{Code: 200, ResourceVersion: list.ResourceVersion}
	for _, o := range list.Items {
		m := o.GetObjectMeta()
		d, err := h.delete(&apiwire.Request{Verb: apiwire.VerbDelete, Resource: r.Resource, Namespace: m.Namespace, Name: m.Name, PropagationPolicy: r.PropagationPolicy, GracePeriodSeconds: r.GracePeriodSeconds}, info)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		if d != nil {
			res.Items = append(res.Items, d.Object)
		}
	}
	return res, nil
}

// bind is pods/binding: the scheduler's decision, stored as the pod's
// nodeName and a PodScheduled=True condition.
func (h *handler) bind(r *apiwire.Request) (*apiwire.Response, error) {
	b, ok := r.Object.(*api.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest("a Binding is required")
	}
	info, _ := api.ResourceFor("pods")
	name := r.Name
	if name == "" {
		name = b.Name
	}
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		return nil, apierrors.NewInvalid("", "Binding", name, []apierrors.FieldError{apierrors.NotSupported("target.kind", b.Target.Kind, []string{"Node"})})
	}
	for attempt := 0; attempt < 5; attempt++ {
		old, modRev, err := h.read(info, r.Namespace, name)
		if err != nil {
			return nil, err
		}
		pod := api.DeepCopy(old.(*api.Pod))
		if pod.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict("", "pods/binding", name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", name))
		}
		if pod.Spec.NodeName != "" {
			return nil, apierrors.NewConflict("", "pods/binding", name, fmt.Errorf("pod %s is already assigned to node %q", name, pod.Spec.NodeName))
		}
		pod.Spec.NodeName = b.Target.Name
		setCondition(&pod.Status, api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(h.c.WallTime().Truncate(time.Second))})
		res, err := h.put(info, info.Key(pod.Namespace, name), pod, modRev)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &apiwire.Response{Code: 201, Object: res.Object}, nil
	}
	return nil, apierrors.NewConflict("", "pods/binding", name, apierrors.ErrModified)
}

func setCondition(st *api.PodStatus, c api.PodCondition) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == c.Type {
			if st.Conditions[i].Status != c.Status {
				st.Conditions[i] = c
			}
			return
		}
	}
	st.Conditions = append(st.Conditions, c)
}

// same reports whether an update changes nothing that would be stored.
func same(a, b api.Object) bool {
	ea, err1 := encode(a)
	eb, err2 := encode(b)
	return err1 == nil && err2 == nil && string(ea) == string(eb)
}

// graceOver reports whether an object marked for deletion has no grace
// period left to wait for.
func graceOver(m *api.ObjectMeta) bool {
	return m.DeletionGracePeriodSeconds == nil || *m.DeletionGracePeriodSeconds == 0
}

// updateScale is PUT <workload>/scale: the autoscaling/v1 Scale's
// spec.replicas becomes the workload's, guarded by the Scale's
// resourceVersion (the workload's). The answer is the workload; the front
// end presents it as a Scale.
func (h *handler) updateScale(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	sc, ok := r.Object.(*api.Scale)
	if !ok {
		got := "nothing"
		if r.Object != nil {
			got = r.Object.GetTypeMeta().Kind
		}
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a Scale, got %s", got))
	}
	if sc.Name != r.Name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", sc.Name, r.Name))
	}
	if sc.Spec.Replicas < 0 {
		return nil, apierrors.NewInvalid("autoscaling", "Scale", sc.Name, []apierrors.FieldError{apierrors.Invalid("spec.replicas", sc.Spec.Replicas, "must be greater than or equal to 0")})
	}
	old, modRev, err := h.read(info, r.Namespace, r.Name)
	if err != nil {
		return nil, err
	}
	if sc.ResourceVersion != "" && sc.ResourceVersion != strconv.FormatInt(modRev, 10) {
		return nil, apierrors.NewConflict(info.Group, info.Resource, r.Name, apierrors.ErrModified)
	}
	obj := api.DeepCopyObject(old)
	replicas := sc.Spec.Replicas
	switch o := obj.(type) {
	case *api.Deployment:
		o.Spec.Replicas = &replicas
	case *api.ReplicaSet:
		o.Spec.Replicas = &replicas
	case *api.StatefulSet:
		o.Spec.Replicas = &replicas
	case *api.CustomResource:
		// The CRD's specReplicasPath (".spec.replicas") takes the Scale's
		// spec.replicas.
		k := h.s.customKindOf(info)
		if k == nil || k.scale == nil {
			return nil, apierrors.NewNotFound(info.Group, info.Resource, r.Name).WithMessage("the server could not find the requested resource")
		}
		path := strings.Split(strings.TrimPrefix(k.scale.SpecReplicasPath, "."), ".")
		o.SetNestedField(float64(replicas), path...)
	default:
		return nil, apierrors.NewNotFound(info.Group, info.Resource, r.Name).WithMessage("the server could not find the requested resource")
	}
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(modRev, 10)
	return h.update(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: r.Resource, Subresource: "scale", Namespace: r.Namespace, Name: r.Name, DryRun: r.DryRun, FieldManager: r.FieldManager, UserAgent: r.UserAgent}, info, obj, false)
}

// Server-side apply: the applied configuration is created when the
// object does not exist (operation Apply), and otherwise merged into it by
// applyManaged (managedfields.go), which owns the rules of ownership,
// conflicts and removal.

// checkApplied requires what the real apply requires of its body: the
// kind and apiVersion of the URL's resource and the URL's name.
func checkApplied(r *apiwire.Request, info *api.ResourceInfo) error {
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(r.Patch, &head); err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	switch {
	case head.APIVersion == "":
		return apierrors.NewBadRequest("apiVersion must be set in apply patch")
	case head.Kind == "":
		return apierrors.NewBadRequest("kind must be set in apply patch")
	case head.Kind != info.Kind || head.APIVersion != info.APIVersion():
		return apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", head.APIVersion+", Kind="+head.Kind, info.GVK().String()))
	case head.Metadata.Name != "" && head.Metadata.Name != r.Name:
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", head.Metadata.Name, r.Name))
	}
	return nil
}

// applyCreate is an apply of an object that does not exist: a create.
func (h *handler) applyCreate(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	if err := checkApplied(r, info); err != nil {
		return nil, err
	}
	obj, err := fieldmanager.Apply(info, h.owner(r, info), nil, r.Patch, r.Force)
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	if m.Name == "" {
		m.Name = r.Name
	}
	return h.create(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: r.Resource, Namespace: r.Namespace, Object: obj, DryRun: r.DryRun, FieldManager: r.FieldManager, UserAgent: r.UserAgent}, info, true)
}

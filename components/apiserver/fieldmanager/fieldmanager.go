// Package fieldmanager keeps metadata.managedFields, as kube-apiserver's
// field manager does: who owns which field of an object, how an update
// takes fields over, and how a server-side apply merges, removes what its
// applier dropped, and conflicts with other managers.
//
// Every create, update and patch names a field manager: the fieldManager
// query parameter, else the User-Agent up to its first "/" (so
// "kube-controller-manager", "kubelet", "kube-scheduler"). An update
// (operation Update) takes ownership of the fields it changed, away from
// whoever had them, and adds them to that manager's entry for the
// apiVersion and subresource it wrote through; the entry's time is the
// write's (virtual) time. An apply (operation Apply) is the applier's
// whole intent: its entry becomes exactly the fields of the applied
// configuration; fields it owned last time and dropped now are removed
// from the object unless another applier owns them; and a field whose
// value it would change while another manager owns it is a conflict —
// 409 `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"
// using apps/v1: .spec.replicas` — unless force=true takes it over.
//
// The merging itself is sigs.k8s.io/structured-merge-diff, the library the
// real apiserver uses, over the real schema of the built-in kinds (the one
// client-go's apply configurations carry): lists merge as their schema says
// (containers by name, ports by containerPort and protocol, Service ports
// by port and protocol, finalizers as a set, most other lists atomic).
// Kinds k8s.io/api does not define (Cilium's) are merged as a schemaless
// custom resource is: maps by key, every list atomic.
//
// Update entries are capped at 10 per object by merging the oldest into
// "ancient-changes", as the real field manager does. Writes that bypass the
// field manager in the real apiserver bypass it here too: pods/binding,
// and the deletionTimestamp and finalizers a delete sets.
//
// Simplified: the apiVersion of every entry is the one kubesim serves (no
// conversion between versions), and the last-applied-configuration
// annotation of client-side apply is not upgraded into an Apply entry.
//
// This package is the one place besides the HTTP front end that reaches
// k8s.io: for the merge library and the schema of the built-in kinds (the
// generated Go types only name each kind's schema). Objects stay
// kubesim's own and reach the library as JSON documents.
package fieldmanager

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// ManagerFromUserAgent is the default field manager of a client that names
// none: "kubectl/v1.34.0 (linux/amd64) kubernetes/abc" -> "kubectl".
func ManagerFromUserAgent(ua string) string {
	prefix, _, _ := strings.Cut(ua, "/")
	var b strings.Builder
	for _, r := range prefix {
		if !unicode.IsPrint(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > FieldManagerMaxLength {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxUpdateManagers is DefaultMaxUpdateManagers of the real field manager.
const maxUpdateManagers = 10

// ancientChanges is the manager the oldest Update entries are merged into.
const ancientChanges = "ancient-changes"

// FieldManagerMaxLength is validation.FieldManagerMaxLength.
const FieldManagerMaxLength = 128

var (
	typeScheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{
			corev1.AddToScheme, appsv1.AddToScheme, coordinationv1.AddToScheme, discoveryv1.AddToScheme,
			networkingv1.AddToScheme, rbacv1.AddToScheme, policyv1.AddToScheme, schedulingv1.AddToScheme,
			networkingv1.AddToScheme, rbacv1.AddToScheme, policyv1.AddToScheme,
			storagev1.AddToScheme,
		} {
			if err := add(s); err != nil {
				panic(err) // the generated registrations cannot fail
			}
		}
		return s
	}()
	builtinTypes = applyconfigurations.NewTypeConverter(typeScheme)
	deducedTypes = managedfields.NewDeducedTypeConverter()

	// stripped are the fields no manager owns (the real stripMetaManager's
	// list).
	stripped = fieldpath.NewSet(
		fieldpath.MakePathOrDie("apiVersion"),
		fieldpath.MakePathOrDie("kind"),
		fieldpath.MakePathOrDie("metadata"),
		fieldpath.MakePathOrDie("metadata", "name"),
		fieldpath.MakePathOrDie("metadata", "namespace"),
		fieldpath.MakePathOrDie("metadata", "creationTimestamp"),
		fieldpath.MakePathOrDie("metadata", "selfLink"),
		fieldpath.MakePathOrDie("metadata", "uid"),
		fieldpath.MakePathOrDie("metadata", "clusterName"),
		fieldpath.MakePathOrDie("metadata", "generation"),
		fieldpath.MakePathOrDie("metadata", "managedFields"),
		fieldpath.MakePathOrDie("metadata", "resourceVersion"),
	)
)

// Owner is who writes, and through which subresource, at what time.
type Owner struct {
	// Manager is the field manager's name.
	Manager string
	// Subresource is the subresource written through ("status",
	// "scale"), empty for the main resource.
	Subresource string
	// APIVersion is the version the object was written at.
	APIVersion string
	// Now is the time of the write (virtual, whole seconds).
	Now api.Time
}

// id is the manager identifier of structured-merge-diff's ManagedFields:
// the JSON of the entry without its fields and time (and, for an applier,
// without its apiVersion, so that one applier has one entry).
func (o Owner) id(op api.ManagedFieldsOperationType) string {
	e := api.ManagedFieldsEntry{Manager: o.Manager, Operation: op, APIVersion: o.APIVersion, Subresource: o.Subresource}
	if e.Manager == "" {
		e.Manager = "unknown"
	}
	if op == api.ManagedFieldsOperationApply {
		e.APIVersion = ""
	}
	b, _ := json.Marshal(e) // strings only: cannot fail
	return string(b)
}

// managedSet is an object's decoded managedFields.
type managedSet struct {
	fields fieldpath.ManagedFields
	times  map[string]*api.Time
	// raw is the FieldsV1 a set was decoded from or encoded as: sets are
	// never modified (a change makes a new one), so a set this write did
	// not touch is encoded as it was.
	raw map[fieldpath.VersionedSet][]byte
}

func decodeManaged(entries []api.ManagedFieldsEntry) (managedSet, error) {
	m := managedSet{fields: fieldpath.ManagedFields{}, times: map[string]*api.Time{}, raw: map[fieldpath.VersionedSet][]byte{}}
	for i, e := range entries {
		if e.FieldsType != "FieldsV1" {
			return managedSet{}, fmt.Errorf("metadata.managedFields[%d].fieldsType: Invalid value: %q: must be `FieldsV1`", i, e.FieldsType)
		}
		if e.Operation != api.ManagedFieldsOperationApply && e.Operation != api.ManagedFieldsOperationUpdate {
			return managedSet{}, fmt.Errorf("metadata.managedFields[%d].operation: Unsupported value: %q: supported values: \"Apply\", \"Update\"", i, e.Operation)
		}
		id := Owner{Manager: e.Manager, Subresource: e.Subresource, APIVersion: e.APIVersion}.id(e.Operation)
		set := &fieldpath.Set{}
		if e.FieldsV1 != nil && len(e.FieldsV1.Raw) > 0 {
			if err := set.FromJSON(strings.NewReader(string(e.FieldsV1.Raw))); err != nil {
				return managedSet{}, fmt.Errorf("metadata.managedFields[%d].fieldsV1: %v", i, err)
			}
		}
		vs := fieldpath.NewVersionedSet(set, fieldpath.APIVersion(e.APIVersion), e.Operation == api.ManagedFieldsOperationApply)
		m.fields[id] = vs
		m.times[id] = e.Time
		if e.FieldsV1 != nil {
			m.raw[vs] = e.FieldsV1.Raw
		}
	}
	return m, nil
}

// encode is the managedFields list, sorted as the real one sorts it:
// by operation (Apply first), then time, manager, apiVersion, subresource.
func (m managedSet) encode() ([]api.ManagedFieldsEntry, error) {
	if len(m.fields) == 0 {
		return nil, nil
	}
	out := make([]api.ManagedFieldsEntry, 0, len(m.fields))
	for id, vs := range m.fields {
		e, err := entryOfID(id)
		if err != nil {
			return nil, err
		}
		e.APIVersion = string(vs.APIVersion())
		e.Operation = api.ManagedFieldsOperationUpdate
		if vs.Applied() {
			e.Operation = api.ManagedFieldsOperationApply
		}
		b, ok := m.raw[vs]
		if !ok {
			if b, err = vs.Set().ToJSON(); err != nil {
				return nil, err
			}
			if m.raw != nil {
				m.raw[vs] = b
			}
		}
		e.FieldsType = "FieldsV1"
		e.FieldsV1 = &api.FieldsV1{Raw: b}
		e.Time = m.times[id]
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		p, q := out[i], out[j]
		if p.Operation != q.Operation {
			return p.Operation < q.Operation
		}
		if ps, qs := unixOf(p.Time), unixOf(q.Time); ps != qs {
			return ps < qs
		}
		if p.Manager != q.Manager {
			return p.Manager < q.Manager
		}
		if p.APIVersion != q.APIVersion {
			return p.APIVersion < q.APIVersion
		}
		return p.Subresource < q.Subresource
	})
	return out, nil
}

// entryIDs memoizes entryOfID: an object's writers are few, and their
// identifiers come back on every write.
var entryIDs sync.Map // string -> api.ManagedFieldsEntry

// entryOfID is the entry a manager identifier (Owner.id) stands for.
func entryOfID(id string) (api.ManagedFieldsEntry, error) {
	if e, ok := entryIDs.Load(id); ok {
		return e.(api.ManagedFieldsEntry), nil
	}
	var e api.ManagedFieldsEntry
	if err := json.Unmarshal([]byte(id), &e); err != nil {
		return e, fmt.Errorf("manager identifier %s: %w", id, err)
	}
	entryIDs.Store(id, e)
	return e, nil
}

func unixOf(t *api.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

// strip removes the fields nobody owns from one manager's set.
func (m managedSet) strip(id string) {
	vs, ok := m.fields[id]
	if !ok {
		return
	}
	set := vs.Set().Difference(stripped)
	if set.Empty() {
		delete(m.fields, id)
		return
	}
	m.fields[id] = fieldpath.NewVersionedSet(set, vs.APIVersion(), vs.Applied())
}

// capUpdates merges the oldest Update entries into one "ancient-changes"
// entry per apiVersion until at most maxUpdateManagers remain.
func (m managedSet) capUpdates() {
	var updaters []string
	for id, vs := range m.fields {
		if !vs.Applied() {
			updaters = append(updaters, id)
		}
	}
	if len(updaters) <= maxUpdateManagers {
		return
	}
	sort.Slice(updaters, func(i, j int) bool {
		ti, tj := unixOf(m.times[updaters[i]]), unixOf(m.times[updaters[j]])
		if ti != tj {
			return ti < tj
		}
		return updaters[i] < updaters[j]
	})
	first := map[fieldpath.APIVersion]string{}
	for i, n := 0, len(updaters); i < len(updaters) && n > maxUpdateManagers; i++ {
		id := updaters[i]
		vs := m.fields[id]
		bucket := Owner{Manager: ancientChanges, APIVersion: string(vs.APIVersion())}.id(api.ManagedFieldsOperationUpdate)
		f, seen := first[vs.APIVersion()]
		if !seen {
			first[vs.APIVersion()] = id
			continue
		}
		if _, ok := m.fields[bucket]; !ok {
			m.fields[bucket] = m.fields[f]
			delete(m.fields, f)
		}
		m.fields[bucket] = fieldpath.NewVersionedSet(vs.Set().Union(m.fields[bucket].Set()), vs.APIVersion(), false)
		m.times[bucket] = m.times[id]
		delete(m.fields, id)
		n--
	}
}

// sameVersion is the converter of a server that serves one version of each
// kind: nothing to convert.
type sameVersion struct{}

func (sameVersion) Convert(v *typed.TypedValue, _ fieldpath.APIVersion) (*typed.TypedValue, error) {
	return v, nil
}
func (sameVersion) IsMissingVersionError(error) bool { return false }

// updaterFor is the merge.Updater of one write: a write through the main
// resource neither owns nor changes status, a status write owns nothing
// but status (the real strategies' reset fields).
func updaterFor(info *api.ResourceInfo, subresource string) *merge.Updater {
	b := &merge.UpdaterBuilder{Converter: sameVersion{}}
	version := fieldpath.APIVersion(info.APIVersion())
	_, hasStatus := info.Subresource("status")
	switch {
	case subresource == "status":
		b.IgnoreFilter = map[fieldpath.APIVersion]fieldpath.Filter{version: fieldpath.NewExcludeSetFilter(fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
		))}
	case hasStatus:
		b.IgnoreFilter = map[fieldpath.APIVersion]fieldpath.Filter{version: fieldpath.NewExcludeSetFilter(fieldpath.NewSet(
			fieldpath.MakePathOrDie("status"),
		))}
	}
	return b.BuildUpdater()
}

// toTyped converts an object (or an applied document) to
// structured-merge-diff's typed value of its kind.
func toTyped(info *api.ResourceInfo, doc map[string]any, allowDuplicates bool) (*typed.TypedValue, error) {
	if md, ok := doc["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
	}
	u := &unstructured.Unstructured{Object: doc}
	var opts []typed.ValidationOptions
	if allowDuplicates {
		opts = append(opts, typed.AllowDuplicates)
	}
	tc := builtinTypes
	if !typeScheme.Recognizes(u.GroupVersionKind()) {
		tc = deducedTypes
	}
	tv, err := tc.ObjectToTyped(u, opts...)
	if err != nil {
		return nil, err
	}
	return tv, nil
}

// docOf is an object's JSON as a document, without its managedFields.
func docOf(obj api.Object) (map[string]any, error) {
	b, err := api.ToJSON(obj)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if d, ok := api.DropNulls(doc).(map[string]any); ok {
		doc = d
	}
	return doc, nil
}

// emptyOf is the empty object of a kind, the "live" side of a create.
func emptyOf(info *api.ResourceInfo) api.Object {
	return api.SetTypeMeta(info.New())
}

// isResetManagedFields reports whether a write asks to clear
// managedFields: an empty list, or a list of one empty entry.
func isResetManagedFields(entries []api.ManagedFieldsEntry) bool {
	if len(entries) == 0 {
		return entries != nil
	}
	if len(entries) == 1 {
		e := entries[0]
		return e.Manager == "" && e.Operation == "" && e.APIVersion == "" && e.Time == nil && e.FieldsType == "" && e.FieldsV1 == nil && e.Subresource == ""
	}
	return false
}

// Update records an Update of live (nil for a create) into obj by
// owner: obj's managedFields are set from live's (or from obj's own, when
// a write through the main resource sends valid ones) plus the fields
// this write changed. A failure keeps live's entries, as the real
// UpdateNoErrors does.
func Update(info *api.ResourceInfo, owner Owner, live, obj api.Object) {
	UpdateTyped(info, owner, live, nil, obj)
}

// Typed is an object as the merge library sees it (its typed value,
// without managedFields). Converting an object costs a JSON round trip
// and a walk of the schema — most of an Update's work — so kube-apiserver
// keeps the Typed of the revisions it wrote and hands it back as the live
// side of the next write to the same revision. A Typed is never modified.
type Typed struct {
	tv *typed.TypedValue
	// entries are the managedFields the object was stored with, and
	// managed their decoded form, so that a write sending them back
	// unchanged need not parse them again.
	entries []api.ManagedFieldsEntry
	managed managedSet
}

// UpdateTyped is Update with the typed form of live, when the caller kept
// it from the write that stored live (nil: convert live). It returns obj's
// typed form (nil if the update failed), which stands for the stored
// object as long as only the fields no manager owns (resourceVersion,
// uid, ...) change after this call.
func UpdateTyped(info *api.ResourceInfo, owner Owner, live api.Object, liveTyped *Typed, obj api.Object) *Typed {
	nm := obj.GetObjectMeta()
	var liveEntries []api.ManagedFieldsEntry
	if live != nil {
		liveEntries = live.GetObjectMeta().ManagedFields
	}
	if live == nil {
		live, liveTyped = emptyOf(info), nil
	}
	decode := decodeManaged
	if liveTyped != nil {
		decode = liveTyped.decodeManaged
	}
	managed, err := managedOfUpdate(owner, liveEntries, nm.ManagedFields, decode)
	if err != nil {
		nm.ManagedFields = liveEntries
		return nil
	}
	entries, newTyped, err := updateManaged(info, owner, live, liveTyped, obj, managed)
	if err != nil {
		nm.ManagedFields = liveEntries
		return nil
	}
	nm.ManagedFields = entries
	return newTyped
}

// decodeManaged is decodeManaged, answered from t's own entries when
// they are the ones asked for.
func (t *Typed) decodeManaged(entries []api.ManagedFieldsEntry) (managedSet, error) {
	if t.entries == nil || !sameEntries(entries, t.entries) {
		return decodeManaged(entries)
	}
	m := managedSet{fields: make(fieldpath.ManagedFields, len(t.managed.fields)), times: make(map[string]*api.Time, len(t.managed.times)), raw: make(map[fieldpath.VersionedSet][]byte, len(t.managed.fields))}
	for id, vs := range t.managed.fields {
		m.fields[id] = vs
		if b, ok := t.managed.raw[vs]; ok {
			m.raw[vs] = b
		}
	}
	for id, tm := range t.managed.times {
		m.times[id] = tm
	}
	return m, nil
}

func sameEntries(a, b []api.ManagedFieldsEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		p, q := &a[i], &b[i]
		if p.Manager != q.Manager || p.Operation != q.Operation || p.APIVersion != q.APIVersion || p.FieldsType != q.FieldsType || p.Subresource != q.Subresource {
			return false
		}
		if (p.Time == nil) != (q.Time == nil) || (p.Time != nil && !p.Time.Time.Equal(q.Time.Time)) {
			return false
		}
		if (p.FieldsV1 == nil) != (q.FieldsV1 == nil) || (p.FieldsV1 != nil && string(p.FieldsV1.Raw) != string(q.FieldsV1.Raw)) {
			return false
		}
	}
	return true
}

func managedOfUpdate(owner Owner, live, sent []api.ManagedFieldsEntry, decodeManaged func([]api.ManagedFieldsEntry) (managedSet, error)) (managedSet, error) {
	if owner.Subresource != "" {
		// A subresource cannot set managedFields.
		m, err := decodeManaged(live)
		if err != nil {
			return decodeManaged(nil)
		}
		return m, nil
	}
	if isResetManagedFields(sent) {
		return decodeManaged(nil)
	}
	m, err := decodeManaged(sent)
	if err != nil || len(m.fields) == 0 {
		if m, err = decodeManaged(live); err != nil {
			return decodeManaged(nil)
		}
	}
	return m, nil
}

func updateManaged(info *api.ResourceInfo, owner Owner, live api.Object, liveTyped *Typed, obj api.Object, managed managedSet) ([]api.ManagedFieldsEntry, *Typed, error) {
	var liveTV *typed.TypedValue
	if liveTyped != nil {
		liveTV = liveTyped.tv
	} else {
		liveDoc, err := docOf(live)
		if err != nil {
			return nil, nil, err
		}
		if liveTV, err = toTyped(info, liveDoc, true); err != nil {
			return nil, nil, err
		}
	}
	newDoc, err := docOf(obj)
	if err != nil {
		return nil, nil, err
	}
	newTV, err := toTyped(info, newDoc, true)
	if err != nil {
		return nil, nil, err
	}
	const current = "current-operation"
	version := fieldpath.APIVersion(info.APIVersion())
	_, fields, err := updaterFor(info, owner.Subresource).Update(liveTV, newTV, version, managed.fields, current)
	if err != nil {
		return nil, nil, err
	}
	managed.fields = fields
	managed.strip(current)
	if vs, ok := managed.fields[current]; ok {
		delete(managed.fields, current)
		id := owner.id(api.ManagedFieldsOperationUpdate)
		if prev, ok := managed.fields[id]; ok {
			vs = fieldpath.NewVersionedSet(vs.Set().Union(prev.Set()), vs.APIVersion(), false)
		}
		managed.fields[id] = vs
		now := owner.Now
		managed.times[id] = &now
	}
	managed.capUpdates()
	entries, err := managed.encode()
	if err != nil {
		return nil, nil, err
	}
	return entries, &Typed{tv: newTV, entries: entries, managed: managed}, nil
}

// Apply is server-side apply of the document patch onto live (nil
// for a create): the merged object with its managedFields, or the 409 of
// the conflicts.
func Apply(info *api.ResourceInfo, owner Owner, live api.Object, patch []byte, force bool) (api.Object, error) {
	var doc map[string]any
	if err := json.Unmarshal(patch, &doc); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	if md, ok := doc["metadata"].(map[string]any); ok {
		if mf, ok := md["managedFields"]; ok && mf != nil {
			return nil, apierrors.NewBadRequest("metadata.managedFields must be nil")
		}
	}
	var liveEntries []api.ManagedFieldsEntry
	if live == nil {
		live = emptyOf(info)
		m := live.GetObjectMeta()
		if md, ok := doc["metadata"].(map[string]any); ok {
			m.Name, _ = md["name"].(string)
			m.Namespace, _ = md["namespace"].(string)
		}
	} else {
		liveEntries = live.GetObjectMeta().ManagedFields
	}
	managed, err := decodeManaged(liveEntries)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to decode managed fields: %v", err))
	}
	liveDoc, err := docOf(live)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	where := fmt.Sprintf("%s/%s; %s", orUnknown(live.GetObjectMeta().Namespace), orUnknown(live.GetObjectMeta().Name), info.GVK())
	patchTV, err := toTyped(info, doc, false)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("failed to create typed patch object (%s): %v", where, err))
	}
	liveTV, err := toTyped(info, liveDoc, true)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to create typed live object (%s): %v", where, err))
	}
	id := owner.id(api.ManagedFieldsOperationApply)
	version := fieldpath.APIVersion(info.APIVersion())
	merged, fields, err := updaterFor(info, owner.Subresource).Apply(liveTV, patchTV, version, managed.fields, id, force)
	if err != nil {
		if conflicts, ok := err.(merge.Conflicts); ok {
			return nil, conflictError(conflicts)
		}
		return nil, apierrors.NewInternalError(err)
	}
	managed.fields = fields
	managed.strip(id)
	var obj api.Object
	if merged == nil {
		obj = api.DeepCopyObject(live) // nothing changed in the object
	} else {
		now := owner.Now
		managed.times[id] = &now
		b, err := json.Marshal(merged.AsValue().Unstructured())
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		if obj, err = api.DecodeJSON(b); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
	}
	managed.capUpdates()
	entries, err := managed.encode()
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to encode managed fields: %v", err))
	}
	obj.GetObjectMeta().ManagedFields = entries
	return obj, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// conflictError is the real apply conflict: 409 Conflict, one cause per
// field, and the message for one or for N conflicts. Conflicts are sorted
// by manager and path, so the text is the same on every run.
func conflictError(conflicts merge.Conflicts) error {
	sort.SliceStable(conflicts, func(i, j int) bool {
		if conflicts[i].Manager != conflicts[j].Manager {
			return conflicts[i].Manager < conflicts[j].Manager
		}
		return conflicts[i].Path.Compare(conflicts[j].Path) < 0
	})
	causes := make([]apierrors.StatusCause, 0, len(conflicts))
	for _, c := range conflicts {
		causes = append(causes, apierrors.StatusCause{
			Type:    apierrors.CauseTypeFieldManagerConflict,
			Message: "conflict with " + printManager(c.Manager),
			Field:   c.Path.String(),
		})
	}
	if len(conflicts) == 1 {
		return apierrors.NewApplyConflict(causes, fmt.Sprintf("Apply failed with 1 conflict: conflict with %s: %s", printManager(conflicts[0].Manager), conflicts[0].Path))
	}
	var lines []string
	last := ""
	for _, c := range conflicts {
		if c.Manager != last || len(lines) == 0 {
			lines = append(lines, fmt.Sprintf("conflicts with %s:", printManager(c.Manager)))
			last = c.Manager
		}
		lines = append(lines, "- "+c.Path.String())
	}
	return apierrors.NewApplyConflict(causes, fmt.Sprintf("Apply failed with %d conflicts: %s", len(conflicts), strings.Join(lines, "\n")))
}

// printManager names a manager in a conflict: `"kubectl-client-side-apply"
// using apps/v1`, `"kubectl" with subresource "scale" using apps/v1`, or
// just `"kubectl"` for an applier.
func printManager(id string) string {
	var e api.ManagedFieldsEntry
	if err := json.Unmarshal([]byte(id), &e); err != nil {
		return fmt.Sprintf("%q", id)
	}
	s := fmt.Sprintf("%q", e.Manager)
	if e.Subresource != "" {
		s += fmt.Sprintf(" with subresource %q", e.Subresource)
	}
	if e.Operation == api.ManagedFieldsOperationUpdate {
		s += " using " + e.APIVersion
	}
	return s
}

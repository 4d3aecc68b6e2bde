package apiserver

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/crdschema"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/sim"
)

// Custom resources, as the apiextensions-apiserver inside kube-apiserver
// serves them. Every kube-apiserver keeps, from its watch cache, the
// table of the kinds its Established CustomResourceDefinitions declare
// (customKinds) and serves them beside the built-in ones: same storage,
// cache, watch, admission and field manager, with the CRD's structural
// schema for pruning, defaulting and validation. It also runs the
// apiextensions controllers that write a CRD's status: the naming
// controller (NamesAccepted, acceptedNames), the establishing controller
// (Established) and the finalizer that deletes a CRD's custom resources
// before the CRD goes (customresourcecleanup.apiextensions.k8s.io).
//
// kubesim simplifies: a CRD is served at its storage version only (no
// conversion between versions), and an apiserver serves a CRD as soon as
// its own cache sees it Established.

// customKind is one CRD's served resource.
type customKind struct {
	crd    *api.CustomResourceDefinition
	info   *api.ResourceInfo
	schema *api.JSONSchemaProps
	scale  *api.CustomResourceSubresourceScale
	// terminating: the CRD is being deleted; its objects can be read and
	// deleted but no longer created.
	terminating bool
}

// CustomNote is what the schema of a custom resource's CRD did to it on a
// write: the fields pruned because the schema does not know them and the
// fields set from `default:` values.
type CustomNote struct {
	Kind, Name string
	Pruned     []string
	Defaulted  []string
}

// NoteCustomResource is the kind of a CustomNote.
const NoteCustomResource = "custom-resource"

// Summary implements sim.Summarizer.
func (n CustomNote) Summary() string {
	var parts []string
	if len(n.Pruned) > 0 {
		parts = append(parts, "pruned "+strings.Join(n.Pruned, ", "))
	}
	if len(n.Defaulted) > 0 {
		parts = append(parts, "defaulted "+strings.Join(n.Defaulted, ", "))
	}
	return fmt.Sprintf("%s %q: %s", n.Kind, n.Name, strings.Join(parts, "; "))
}

// CRDNote records a change of a CRD's status made by the apiextensions
// controllers: a condition that became what it is now.
type CRDNote struct {
	Name      string // crontabs.stable.example.com
	Condition string // NamesAccepted, Established, Terminating
	Status    api.ConditionStatus
	Reason    string
	Message   string
	// Deleted counts the custom resources the cleanup deleted.
	Deleted int
}

// NoteCRD is the kind of a CRDNote.
const NoteCRD = "crd-status"

// Summary implements sim.Summarizer.
func (n CRDNote) Summary() string {
	return fmt.Sprintf("%s: %s=%s (%s: %s)", n.Name, n.Condition, n.Status, n.Reason, n.Message)
}

func crdCondition(crd *api.CustomResourceDefinition, typ string) *api.CustomResourceDefinitionCondition {
	for i := range crd.Status.Conditions {
		if crd.Status.Conditions[i].Type == typ {
			return &crd.Status.Conditions[i]
		}
	}
	return nil
}

func crdConditionTrue(crd *api.CustomResourceDefinition, typ string) bool {
	c := crdCondition(crd, typ)
	return c != nil && c.Status == api.ConditionTrue
}

// setCRDCondition sets a condition, keeping its transition time when the
// status does not change, as apiextensions' SetCRDCondition does. It
// reports whether anything changed.
func setCRDCondition(crd *api.CustomResourceDefinition, c api.CustomResourceDefinitionCondition) bool {
	if old := crdCondition(crd, c.Type); old != nil {
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		if *old == c {
			return false
		}
		*old = c
		return true
	}
	crd.Status.Conditions = append(crd.Status.Conditions, c)
	return true
}

func storageVersion(crd *api.CustomResourceDefinition) *api.CustomResourceDefinitionVersion {
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Storage {
			return &crd.Spec.Versions[i]
		}
	}
	return nil
}

// refreshCustom rebuilds the table of served kinds from the CRDs in the
// cache: those Established, and those being deleted after they were.
func (s *server) refreshCustom() {
	crdInfo, _ := api.ResourceFor("customresourcedefinitions")
	next := map[string]*customKind{}
	s.cache.list(crdInfo.Key("", ""), func(e *cacheEntry) bool {
		crd := e.obj.(*api.CustomResourceDefinition)
		v := storageVersion(crd)
		if v == nil || !v.Served || !crdConditionTrue(crd, api.CRDEstablished) {
			return true
		}
		info := api.CustomResourceInfo(crd, v.Name)
		k := &customKind{crd: crd, info: info, terminating: crd.DeletionTimestamp != nil}
		if v.Schema != nil {
			k.schema = v.Schema.OpenAPIV3Schema
		}
		if v.Subresources != nil {
			k.scale = v.Subresources.Scale
		}
		if old, ok := s.custom[info.RequestResource()]; ok && old.info.GVK() == info.GVK() && old.info.Namespaced == info.Namespaced && subresourceNames(old.info) == subresourceNames(info) {
			// The same resource: keep its info, which cache entries and
			// watchers point at.
			*old.info = *info
			k.info = old.info
		}
		next[info.RequestResource()] = k
		return true
	})
	s.custom = next
	s.customPrefixes = s.customPrefixes[:0]
	for _, k := range next {
		s.customPrefixes = append(s.customPrefixes, prefixEntry{prefix: k.info.KeyPrefix + "/", info: k.info})
	}
	sort.Slice(s.customPrefixes, func(i, j int) bool { return s.customPrefixes[i].prefix < s.customPrefixes[j].prefix })
}

func subresourceNames(info *api.ResourceInfo) string {
	var names []string
	for _, sub := range info.Subresources {
		names = append(names, sub.Name)
	}
	return strings.Join(names, ",")
}

// ServedDefinitions lists the CRDs whose kinds this apiserver serves, by
// name. They are the cache's objects: only read them.
func (v View) ServedDefinitions() []*api.CustomResourceDefinition {
	out := make([]*api.CustomResourceDefinition, 0, len(v.s.custom))
	for _, k := range v.s.custom {
		out = append(out, k.crd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookupKey finds the resource of an etcd key: a built-in one, or one a
// CRD serves.
func (s *server) lookupKey(key string) (*api.ResourceInfo, bool) {
	if info, ok := resourceOfKey(key); ok {
		return info, true
	}
	for _, p := range s.customPrefixes {
		if strings.HasPrefix(key, p.prefix) {
			return p.info, true
		}
	}
	return nil, false
}

// lookupResource finds the resource a request names: a built-in plural,
// or plural.group for a custom resource.
func (s *server) lookupResource(resource string) (*api.ResourceInfo, bool) {
	if info, ok := api.ResourceFor(resource); ok {
		return info, true
	}
	if k, ok := s.custom[resource]; ok {
		return k.info, true
	}
	return nil, false
}

func (s *server) customKindOf(info *api.ResourceInfo) *customKind {
	if !info.IsCustom() {
		return nil
	}
	return s.custom[info.RequestResource()]
}

// checkCustomBody is the decoding check of a custom resource's body: the
// kind and apiVersion of the URL's resource.
func checkCustomBody(info *api.ResourceInfo, obj api.Object) error {
	_, ok := obj.(*api.CustomResource)
	tm := obj.GetTypeMeta()
	if !ok || tm.Kind != info.Kind || tm.APIVersion != info.APIVersion() {
		return apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", tm.APIVersion+", Kind="+tm.Kind, info.GVK().String()))
	}
	return nil
}

// admitCustom prunes and defaults a custom resource with its CRD's
// schema, as the apiextensions-apiserver's decoder does, and records
// what changed.
func (h *handler) admitCustom(info *api.ResourceInfo, obj api.Object) {
	k := h.s.customKindOf(info)
	cr, ok := obj.(*api.CustomResource)
	if k == nil || !ok || k.schema == nil {
		return
	}
	if cr.Content == nil {
		cr.Content = map[string]any{}
	}
	pruned := crdschema.Prune(k.schema, cr.Content)
	defaulted := crdschema.Default(k.schema, cr.Content)
	if len(pruned)+len(defaulted) > 0 {
		h.c.Note(NoteCustomResource, CustomNote{Kind: info.Kind, Name: cr.Name, Pruned: pruned, Defaulted: defaulted})
	}
}

// validateCustom checks a custom resource against its CRD's schema.
func (s *server) validateCustom(info *api.ResourceInfo, obj api.Object) []apierrors.FieldError {
	k := s.customKindOf(info)
	cr, ok := obj.(*api.CustomResource)
	if k == nil || !ok || k.schema == nil {
		return nil
	}
	return crdschema.Validate(k.schema, cr.Content)
}

// keepCustomStatus and keepCustomSpec are the status subresource's reset
// fields for a custom resource: a write of the main resource cannot
// change .status, a write of /status changes nothing else.
func keepCustomStatus(obj, old *api.CustomResource) {
	if st, ok := old.Content["status"]; ok {
		obj.SetNestedField(st, "status")
	} else {
		delete(obj.Content, "status")
	}
}

func keepCustomSpec(obj, old *api.CustomResource) {
	st, hasStatus := obj.Content["status"]
	obj.Content = map[string]any{}
	for k, v := range old.Content {
		obj.Content[k] = v
	}
	if hasStatus {
		obj.Content["status"] = st
	} else {
		delete(obj.Content, "status")
	}
}

// crdEvent runs the apiextensions controllers when a CRD changes in the
// cache: naming, establishing, and the cleanup of a deleted CRD.
func (s *server) crdEvent(ev cacheEvent) {
	s.refreshCustom()
	crd := ev.obj.(*api.CustomResourceDefinition)
	if ev.typ == apiwire.Deleted {
		// Names the CRD held are free again: the naming controller looks
		// at the group's other CRDs.
		delete(s.crdSeen, crd.Name)
		info, _ := api.ResourceFor("customresourcedefinitions")
		var again []string
		s.cache.list(info.Key("", ""), func(e *cacheEntry) bool {
			if e.obj.(*api.CustomResourceDefinition).Spec.Group == crd.Spec.Group {
				again = append(again, e.obj.GetObjectMeta().Name)
			}
			return true
		})
		for _, n := range again {
			delete(s.crdSeen, n)
			s.recheckCRD(n)
		}
		return
	}
	// Each version of a CRD is looked at once (a task's own write brings
	// a new one).
	if s.crdBusy[crd.Name] || s.crdSeen[crd.Name] == crd.ResourceVersion {
		return
	}
	s.crdSeen[crd.Name] = crd.ResourceVersion
	var work func(h *handler) error
	switch {
	case crd.DeletionTimestamp != nil:
		if crd.GetObjectMeta().HasFinalizer(api.CustomResourceCleanupFinalizer) {
			work = func(h *handler) error { return h.cleanupCRD(crd.Name) }
		}
	case !crdConditionTrue(crd, api.CRDNamesAccepted) || !namesEqual(crd.Status.AcceptedNames, crd.Spec.Names):
		work = func(h *handler) error { return h.nameCRD(crd.Name) }
	case !crdConditionTrue(crd, api.CRDEstablished):
		work = func(h *handler) error { return h.establishCRD(crd.Name) }
	}
	if work == nil {
		return
	}
	s.crdBusy[crd.Name] = true
	s.c.Go(func(tc *sim.Ctx) {
		defer func() {
			// Changes seen while the task ran were skipped: look again.
			delete(s.crdBusy, crd.Name)
			tc.Send(tc.Name(), kindCRDRecheck, crd.Name)
		}()
		h := &handler{s: s, c: tc, etcd: s.etcd.For(tc), user: UserInfo{Name: "system:apiserver", Groups: []string{GroupMasters}}}
		if err := work(h); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			tc.Log().Warn("custom resource definition controller", zap.String("crd", crd.Name), zap.Error(err))
		}
	})
}

// kindCRDRecheck asks the run loop to look at a CRD again once a
// controller task on it is done.
const kindCRDRecheck = "crd-recheck"

func (s *server) recheckCRD(body any) {
	name, _ := body.(string)
	info, _ := api.ResourceFor("customresourcedefinitions")
	if e, ok := s.cache.get(info.Key("", name)); ok {
		s.crdEvent(cacheEvent{typ: apiwire.Modified, info: info, obj: e.obj})
	}
}

func namesEqual(accepted, spec api.CustomResourceDefinitionNames) bool {
	if spec.ListKind == "" {
		spec.ListKind = spec.Kind + "List"
	}
	if spec.Singular == "" {
		spec.Singular = strings.ToLower(spec.Kind)
	}
	return accepted.Plural == spec.Plural && accepted.Singular == spec.Singular && accepted.Kind == spec.Kind &&
		accepted.ListKind == spec.ListKind && slices.Equal(accepted.ShortNames, spec.ShortNames) && slices.Equal(accepted.Categories, spec.Categories)
}

func (h *handler) now() api.Time { return api.NewTime(h.c.WallTime().Truncate(time.Second)) }

func (h *handler) readCRD(name string) (*api.CustomResourceDefinition, *api.ResourceInfo, error) {
	info, _ := api.ResourceFor("customresourcedefinitions")
	obj, _, err := h.read(info, "", name)
	if err != nil {
		return nil, nil, err
	}
	return obj.(*api.CustomResourceDefinition), info, nil
}

func (h *handler) writeCRDStatus(info *api.ResourceInfo, crd *api.CustomResourceDefinition) error {
	_, err := h.update(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: info.Resource, Subresource: "status", Name: crd.Name, UserAgent: "kube-apiserver"}, info, crd, false)
	return err
}

func (h *handler) noteCondition(crd *api.CustomResourceDefinition, typ string, deleted int) {
	if c := crdCondition(crd, typ); c != nil {
		h.c.Note(NoteCRD, CRDNote{Name: crd.Name, Condition: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message, Deleted: deleted})
	}
}

// nameCRD is the naming controller: it accepts the names a CRD asks for
// unless another CRD of the group already has one of them, and says so
// in NamesAccepted (NoConflicts, or PluralConflict and the like with
// `"crontabs" is already in use`).
func (h *handler) nameCRD(name string) error {
	crd, info, err := h.readCRD(name)
	if err != nil {
		return err
	}
	want := crd.Spec.Names
	if want.ListKind == "" {
		want.ListKind = want.Kind + "List"
	}
	if want.Singular == "" {
		want.Singular = strings.ToLower(want.Kind)
	}
	taken := map[string]map[string]bool{"plural": {}, "singular": {}, "short": {}, "kind": {}, "list": {}}
	h.s.cache.list(info.Key("", ""), func(e *cacheEntry) bool {
		other := e.obj.(*api.CustomResourceDefinition)
		if other.Name == crd.Name || other.Spec.Group != crd.Spec.Group {
			return true
		}
		n := other.Status.AcceptedNames
		taken["plural"][n.Plural] = true
		taken["singular"][n.Singular] = true
		taken["kind"][n.Kind] = true
		taken["list"][n.ListKind] = true
		for _, sn := range n.ShortNames {
			taken["short"][sn] = true
		}
		return true
	})
	accepted := crd.Status.AcceptedNames
	cond := api.CustomResourceDefinitionCondition{Type: api.CRDNamesAccepted, Status: api.ConditionTrue, LastTransitionTime: h.now(), Reason: "NoConflicts", Message: "no conflicts found"}
	conflict := func(reason, value string) {
		if cond.Status == api.ConditionTrue {
			cond.Status, cond.Reason, cond.Message = api.ConditionFalse, reason, fmt.Sprintf("%q is already in use", value)
		}
	}
	// As the real naming controller: a name this CRD already holds stays
	// its own; a new one must be free in the group.
	fresh := func(kind, requested, held string) bool { return requested == held || !taken[kind][requested] }
	if !fresh("plural", want.Plural, accepted.Plural) {
		conflict("PluralConflict", want.Plural)
	}
	if !fresh("singular", want.Singular, accepted.Singular) {
		conflict("SingularConflict", want.Singular)
	}
	for _, sn := range want.ShortNames {
		if !slices.Contains(accepted.ShortNames, sn) && taken["short"][sn] {
			conflict("ShortNamesConflict", sn)
		}
	}
	if !fresh("kind", want.Kind, accepted.Kind) {
		conflict("KindConflict", want.Kind)
	}
	if !fresh("list", want.ListKind, accepted.ListKind) {
		conflict("ListKindConflict", want.ListKind)
	}
	if cond.Status == api.ConditionTrue {
		crd.Status.AcceptedNames = want
	}
	established := api.CustomResourceDefinitionCondition{Type: api.CRDEstablished, Status: api.ConditionFalse, LastTransitionTime: h.now(), Reason: "NotAccepted", Message: "not all names are accepted"}
	if old := crdCondition(crd, api.CRDEstablished); old != nil {
		established = *old
	}
	if established.Status != api.ConditionTrue && cond.Status == api.ConditionTrue {
		established = api.CustomResourceDefinitionCondition{Type: api.CRDEstablished, Status: api.ConditionFalse, LastTransitionTime: h.now(), Reason: "Installing", Message: "the initial names have been accepted"}
	}
	setCRDCondition(crd, cond)
	setCRDCondition(crd, established)
	if err := h.writeCRDStatus(info, crd); err != nil {
		return err
	}
	h.noteCondition(crd, api.CRDNamesAccepted, 0)
	return nil
}

// establishCRD is the establishing controller: once the names are
// accepted the kind is served (Established, InitialNamesAccepted).
func (h *handler) establishCRD(name string) error {
	crd, info, err := h.readCRD(name)
	if err != nil {
		return err
	}
	if !crdConditionTrue(crd, api.CRDNamesAccepted) || crdConditionTrue(crd, api.CRDEstablished) {
		return nil
	}
	setCRDCondition(crd, api.CustomResourceDefinitionCondition{Type: api.CRDEstablished, Status: api.ConditionTrue, LastTransitionTime: h.now(), Reason: "InitialNamesAccepted", Message: "the initial names have been accepted"})
	if err := h.writeCRDStatus(info, crd); err != nil {
		return err
	}
	h.noteCondition(crd, api.CRDEstablished, 0)
	return nil
}

// cleanupCRD is the CRD finalizer: it deletes every custom resource of a
// deleted CRD (Terminating: InstanceDeletionInProgress), then removes the
// customresourcecleanup finalizer (InstanceDeletionCompleted), which lets
// the CRD go. Objects held by their own finalizers keep it waiting.
func (h *handler) cleanupCRD(name string) error {
	crd, info, err := h.readCRD(name)
	if err != nil {
		return err
	}
	if setCRDCondition(crd, api.CustomResourceDefinitionCondition{Type: api.CRDTerminating, Status: api.ConditionTrue, LastTransitionTime: h.now(), Reason: "InstanceDeletionInProgress", Message: "CustomResource deletion is in progress"}) {
		if err := h.writeCRDStatus(info, crd); err != nil {
			return err
		}
		h.noteCondition(crd, api.CRDTerminating, 0)
	}
	deleted := 0
	if v := storageVersion(crd); v != nil {
		cr := api.CustomResourceInfo(crd, v.Name)
		if k, ok := h.s.custom[cr.RequestResource()]; ok {
			cr = k.info
		}
		for attempt := 0; ; attempt++ {
			var keys []api.Object
			h.s.cache.list(cr.Key("", ""), func(e *cacheEntry) bool {
				keys = append(keys, e.obj)
				return true
			})
			remaining := 0
			for _, o := range keys {
				m := o.GetObjectMeta()
				if m.DeletionTimestamp == nil {
					if _, err := h.delete(&apiwire.Request{Verb: apiwire.VerbDelete, Resource: cr.RequestResource(), Namespace: m.Namespace, Name: m.Name}, cr); err != nil && !apierrors.IsNotFound(err) {
						return err
					}
					deleted++
				}
				if len(m.Finalizers) > 0 {
					remaining++
				}
			}
			if remaining == 0 {
				break
			}
			if attempt == 0 {
				h.c.Note(NoteCRD, CRDNote{Name: crd.Name, Condition: api.CRDTerminating, Status: api.ConditionTrue, Reason: "InstanceDeletionCheck",
					Message: fmt.Sprintf("could not confirm zero CustomResources remaining: %d remaining", remaining)})
			}
			h.c.Sleep(5 * time.Second)
		}
	}
	if crd, info, err = h.readCRD(name); err != nil {
		return err
	}
	setCRDCondition(crd, api.CustomResourceDefinitionCondition{Type: api.CRDTerminating, Status: api.ConditionFalse, LastTransitionTime: h.now(), Reason: "InstanceDeletionCompleted", Message: "removed all instances"})
	if err := h.writeCRDStatus(info, crd); err != nil {
		return err
	}
	h.noteCondition(crd, api.CRDTerminating, deleted)
	if crd, info, err = h.readCRD(name); err != nil {
		return err
	}
	crd.Finalizers = slices.DeleteFunc(crd.Finalizers, func(f string) bool { return f == api.CustomResourceCleanupFinalizer })
	_, err = h.update(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: info.Resource, Name: crd.Name, UserAgent: "kube-apiserver"}, info, crd, false)
	return err
}

// markCRDDeleted is the first delete of a CRD, as the real REST storage
// does it: Terminating (InstanceDeletionPending), a deletionTimestamp and
// the cleanup finalizer, so the CRD stays until its objects are gone.
func markCRDDeleted(crd *api.CustomResourceDefinition, now api.Time) {
	setCRDCondition(crd, api.CustomResourceDefinitionCondition{Type: api.CRDTerminating, Status: api.ConditionTrue, LastTransitionTime: now, Reason: "InstanceDeletionPending", Message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon"})
	crd.DeletionTimestamp = &now
	zero := int64(0)
	crd.DeletionGracePeriodSeconds = &zero
	if !crd.HasFinalizer(api.CustomResourceCleanupFinalizer) {
		crd.Finalizers = append(crd.Finalizers, api.CustomResourceCleanupFinalizer)
	}
}

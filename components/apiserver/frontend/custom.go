package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/crdschema"
	"github.com/kubesim/kubesim/components/printers"
)

// Custom resources over HTTP. kube-apiserver serves the kinds of its
// Established CRDs at /apis/<group>/<version>/<plural> (in JSON only:
// custom resources have no protobuf form), lists them in discovery, the
// OpenAPI v3 documents and `kubectl get all` (category "all"), and prints
// them with the CRD's additionalPrinterColumns. The front end learns the
// served CRDs from the backend (CustomBackend); a backend without it
// serves none.

// CustomBackend is implemented by backends that can say which CRDs
// kube-apiserver serves.
type CustomBackend interface {
	// CustomResourceDefinitions lists the served (Established) CRDs. The
	// objects are shared: only read them.
	CustomResourceDefinitions(ctx context.Context) []*api.CustomResourceDefinition
}

func (h *Handler) customDefinitions(ctx context.Context) []*api.CustomResourceDefinition {
	cb, ok := h.cfg.Backend.(CustomBackend)
	if !ok {
		return nil
	}
	crds := cb.CustomResourceDefinitions(ctx)
	sort.Slice(crds, func(i, j int) bool { return crds[i].Name < crds[j].Name })
	return crds
}

// customInfo is the resource a CRD serves (at its storage version, the
// one kubesim serves).
func customInfo(crd *api.CustomResourceDefinition) (*api.ResourceInfo, bool) {
	for _, v := range crd.Spec.Versions {
		if v.Storage && v.Served {
			return api.CustomResourceInfo(crd, v.Name), true
		}
	}
	return nil, false
}

func crdVersion(crd *api.CustomResourceDefinition, version string) *api.CustomResourceDefinitionVersion {
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == version {
			return &crd.Spec.Versions[i]
		}
	}
	return nil
}

// resolveCustom fills the target of a path no built-in kind serves from
// the CRDs, and reports whether one serves it.
func (h *Handler) resolveCustom(r *http.Request, t *target) bool {
	if t.group == "" {
		return false
	}
	for _, crd := range h.customDefinitions(r.Context()) {
		info, ok := customInfo(crd)
		if ok && info.Group == t.group && info.Version == t.version && info.Resource == t.resource {
			t.info, t.crd, t.unknown = info, crd, false
			t.resource = info.RequestResource()
			return true
		}
	}
	return false
}

// servedGroups is the built-in group versions and those of the served
// CRDs, core first and then by group name.
func (h *Handler) allGroups(r *http.Request) []groupVersionResources {
	groups := servedGroups()
	index := map[api.GroupVersion]int{}
	for i, g := range groups {
		index[g.gv] = i
	}
	for _, crd := range h.customDefinitions(r.Context()) {
		info, ok := customInfo(crd)
		if !ok {
			continue
		}
		gv := info.GroupVersion()
		i, ok := index[gv]
		if !ok {
			i = len(groups)
			index[gv] = i
			groups = append(groups, groupVersionResources{gv: gv})
		}
		groups[i].resources = append(groups[i].resources, info)
		groups[i].crds = append(groups[i].crds, crd)
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].gv.Group < groups[j].gv.Group })
	return groups
}

// decodeCustom decodes a custom resource's body. Fields its schema does
// not know fail with fieldValidation=Strict (kubectl's default), are
// reported with Warn, and are dropped (pruned) in every case.
func decodeCustom(body []byte, t target, validation string) (api.Object, []string, error) {
	info := t.info
	cannot := func(err error) error {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", info.Kind, info.Version, info.Kind, err))
	}
	cr := &api.CustomResource{}
	if err := json.Unmarshal(body, cr); err != nil {
		return nil, nil, cannot(err)
	}
	if cr.Kind == "" && cr.APIVersion == "" {
		cr.Kind, cr.APIVersion = info.Kind, info.APIVersion()
	}
	var warnings []string
	if v := crdVersion(t.crd, info.Version); v != nil && v.Schema != nil && v.Schema.OpenAPIV3Schema != nil && cr.Content != nil {
		probe := api.DeepCopyValue(cr.Content)
		for _, p := range crdschema.Prune(v.Schema.OpenAPIV3Schema, probe) {
			warnings = append(warnings, fmt.Sprintf("unknown field %q", p))
		}
	}
	switch {
	case len(warnings) > 0 && validation == "Strict":
		return nil, nil, cannot(fmt.Errorf("strict decoding error: %s", strings.Join(warnings, ", ")))
	case validation == "Ignore":
		warnings = nil
	}
	return cr, warnings, nil
}

// customTable is the Table of custom resources: NAME, then the CRD's
// additionalPrinterColumns (or AGE when it has none).
func (h *Handler) customTable(crd *api.CustomResourceDefinition, version string, objs []api.Object) *printers.Table {
	var columns []api.CustomResourceColumnDefinition
	if v := crdVersion(crd, version); v != nil {
		columns = v.AdditionalPrinterColumns
	}
	return printers.CustomTable(columns, objs, h.cfg.Backend.Now())
}

// customScaleOf presents a custom resource read through its scale
// subresource as an autoscaling/v1 Scale, from the CRD's
// specReplicasPath, statusReplicasPath and labelSelectorPath.
func customScaleOf(crd *api.CustomResourceDefinition, obj api.Object) (api.Object, bool) {
	cr, ok := obj.(*api.CustomResource)
	if !ok || crd == nil {
		return nil, false
	}
	info, _ := customInfo(crd)
	v := crdVersion(crd, info.Version)
	if v == nil || v.Subresources == nil || v.Subresources.Scale == nil {
		return nil, false
	}
	sc := v.Subresources.Scale
	doc, err := cr.Object()
	if err != nil {
		return nil, false
	}
	s := api.SetTypeMeta(&api.Scale{ObjectMeta: api.ObjectMeta{Name: cr.Name, Namespace: cr.Namespace, UID: cr.UID, ResourceVersion: cr.ResourceVersion, CreationTimestamp: cr.CreationTimestamp}})
	if n, ok := printers.JSONPathValue(doc, sc.SpecReplicasPath).(int64); ok {
		s.Spec.Replicas = int32(n)
	}
	if n, ok := printers.JSONPathValue(doc, sc.StatusReplicasPath).(int64); ok {
		s.Status.Replicas = int32(n)
	}
	if sc.LabelSelectorPath != nil {
		if sel, ok := printers.JSONPathValue(doc, *sc.LabelSelectorPath).(string); ok {
			s.Status.Selector = sel
		}
	}
	return s, true
}

// customSchemas adds the schemas of a group version's custom resources
// to its OpenAPI v3 document, named as the real apiserver names them
// (com.example.stable.v1.CronTab: the group reversed) and built from the
// CRD's openAPIV3Schema with apiVersion, kind and metadata added.
func customSchemas(b *schemaBuilder, g groupVersionResources) {
	for _, crd := range g.crds {
		info, ok := customInfo(crd)
		if !ok {
			continue
		}
		s := map[string]any{"type": "object"}
		if v := crdVersion(crd, info.Version); v != nil && v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
			raw, err := json.Marshal(v.Schema.OpenAPIV3Schema)
			if err == nil {
				_ = json.Unmarshal(raw, &s)
			}
		}
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		props["apiVersion"] = map[string]any{"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}
		props["kind"] = map[string]any{"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}
		props["metadata"] = map[string]any{"allOf": []any{b.ref(reflect.TypeOf(api.ObjectMeta{}), reflect.TypeOf(metav1.ObjectMeta{}))}, "description": "Standard object's metadata."}
		s["properties"] = props
		s["x-kubernetes-group-version-kind"] = []map[string]string{{"group": info.Group, "version": info.Version, "kind": info.Kind}}
		parts := strings.Split(info.Group, ".")
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
		b.schemas[strings.Join(parts, ".")+"."+info.Version+"."+info.Kind] = s
	}
}

// Package crdschema applies a CustomResourceDefinition's structural
// openAPIV3Schema to a custom resource held as decoded JSON, in the order
// the real apiextensions-apiserver does on create and update: prune the
// fields the schema does not know (unless x-kubernetes-preserve-unknown-
// fields), apply `default:` values, then validate, reporting field errors
// with the texts of the upstream OpenAPI validator
// (`spec.replicas in body must be of type integer: "string"`). It also
// validates the CRD object itself (ValidateDefinition). It is pure: no
// state, no clock, and it walks map keys in sorted order so that errors
// come out in a fixed order.
//
// kubesim simplifies: formats, oneOf/anyOf/allOf/not, CEL rules
// (x-kubernetes-validations), list types and embedded resources are not
// checked.
package crdschema

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// Prune removes, in place, every field of obj that the schema does not
// declare. metadata, apiVersion and kind at the root are kept (the
// apiserver handles them); x-kubernetes-preserve-unknown-fields keeps a
// subtree as it is. It returns the paths it removed, in order
// ("spec.extra", "spec.items[0].x").
func Prune(s *api.JSONSchemaProps, obj map[string]any) []string {
	if s == nil {
		return nil
	}
	var pruned []string
	pruneObject(s, obj, "", true, &pruned)
	return pruned
}

func preserves(s *api.JSONSchemaProps) bool {
	return s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}

func pruneObject(s *api.JSONSchemaProps, obj map[string]any, path string, root bool, pruned *[]string) {
	for _, k := range sortedKeys(obj) {
		if root && (k == "apiVersion" || k == "kind" || k == "metadata") {
			continue
		}
		if p, ok := s.Properties[k]; ok {
			pruneValue(&p, obj[k], join(path, k), pruned)
			continue
		}
		if s.AdditionalProperties != nil {
			pruneValue(s.AdditionalProperties, obj[k], join(path, k), pruned)
			continue
		}
		if !preserves(s) {
			delete(obj, k)
			*pruned = append(*pruned, join(path, k))
		}
	}
}

func pruneValue(s *api.JSONSchemaProps, v any, path string, pruned *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if s.XEmbeddedResource {
			return
		}
		pruneObject(s, x, path, false, pruned)
	case []any:
		if s.Items != nil {
			for i, e := range x {
				pruneValue(s.Items, e, fmt.Sprintf("%s[%d]", path, i), pruned)
			}
		}
	}
}

// Default sets, in place, the `default:` of every property that is absent
// from an object that is present (the root always is). Defaults are deep
// copies, and are themselves defaulted below. It returns the paths it set,
// in order.
func Default(s *api.JSONSchemaProps, obj map[string]any) []string {
	if s == nil {
		return nil
	}
	var set []string
	defaultObject(s, obj, "", &set)
	return set
}

func defaultObject(s *api.JSONSchemaProps, obj map[string]any, path string, set *[]string) {
	for _, k := range sortedKeys(s.Properties) {
		p := s.Properties[k]
		if _, ok := obj[k]; !ok && p.Default != nil {
			obj[k] = api.DeepCopyValue(p.Default)
			*set = append(*set, join(path, k))
		}
		if v, ok := obj[k]; ok {
			defaultValue(&p, v, join(path, k), set)
		}
	}
	if s.AdditionalProperties != nil {
		for _, k := range sortedKeys(obj) {
			if _, declared := s.Properties[k]; !declared {
				defaultValue(s.AdditionalProperties, obj[k], join(path, k), set)
			}
		}
	}
}

func defaultValue(s *api.JSONSchemaProps, v any, path string, set *[]string) {
	switch x := v.(type) {
	case map[string]any:
		defaultObject(s, x, path, set)
	case []any:
		if s.Items != nil {
			for i, e := range x {
				defaultValue(s.Items, e, fmt.Sprintf("%s[%d]", path, i), set)
			}
		}
	}
}

// Validate checks obj against the schema and returns the field errors, in
// a fixed order. metadata, apiVersion and kind at the root are left to the
// apiserver.
func Validate(s *api.JSONSchemaProps, obj map[string]any) []apierrors.FieldError {
	if s == nil {
		return nil
	}
	var errs []apierrors.FieldError
	validateObject(s, obj, "", true, &errs)
	return errs
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func validateObject(s *api.JSONSchemaProps, obj map[string]any, path string, root bool, errs *[]apierrors.FieldError) {
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			*errs = append(*errs, apierrors.Required(join(path, r), ""))
		}
	}
	for _, k := range sortedKeys(obj) {
		if root && (k == "apiVersion" || k == "kind" || k == "metadata") {
			continue
		}
		if p, ok := s.Properties[k]; ok {
			validateValue(&p, obj[k], join(path, k), errs)
		} else if s.AdditionalProperties != nil {
			validateValue(s.AdditionalProperties, obj[k], join(path, k), errs)
		}
	}
}

// jsonType names a decoded JSON value as the OpenAPI validator does.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case int64, int:
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func typeMatches(want, got string, s *api.JSONSchemaProps) bool {
	switch {
	case s.XIntOrString:
		return got == "integer" || got == "string"
	case want == "":
		return true
	case got == "null":
		return s.Nullable
	case want == "number":
		return got == "number" || got == "integer"
	default:
		return want == got
	}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

func formatNumber(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(f)
}

func validateValue(s *api.JSONSchemaProps, v any, path string, errs *[]apierrors.FieldError) {
	got := jsonType(v)
	if !typeMatches(s.Type, got, s) {
		*errs = append(*errs, apierrors.Invalid(path, got, fmt.Sprintf("%s in body must be of type %s: %q", path, s.Type, got)))
		return
	}
	if v == nil {
		return
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		valid := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			valid[i] = fmt.Sprint(e)
		}
		*errs = append(*errs, apierrors.NotSupported(path, v, valid))
	}
	if f, ok := number(v); ok {
		if s.Minimum != nil && f < *s.Minimum {
			*errs = append(*errs, apierrors.Invalid(path, v, fmt.Sprintf("%s in body should be greater than or equal to %s", path, formatNumber(*s.Minimum))))
		}
		if s.Maximum != nil && f > *s.Maximum {
			*errs = append(*errs, apierrors.Invalid(path, v, fmt.Sprintf("%s in body should be less than or equal to %s", path, formatNumber(*s.Maximum))))
		}
	}
	if str, ok := v.(string); ok {
		n := int64(len([]rune(str)))
		if s.MinLength != nil && n < *s.MinLength {
			*errs = append(*errs, apierrors.Invalid(path, str, fmt.Sprintf("%s in body should be at least %d chars long", path, *s.MinLength)))
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			*errs = append(*errs, apierrors.TooLong(path, int(*s.MaxLength)))
		}
		if s.Pattern != "" {
			if re, err := regexp.Compile(s.Pattern); err == nil && !re.MatchString(str) {
				*errs = append(*errs, apierrors.Invalid(path, str, fmt.Sprintf("%s in body should match '%s'", path, s.Pattern)))
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		validateObject(s, x, path, false, errs)
	case []any:
		if s.Items != nil {
			for i, e := range x {
				validateValue(s.Items, e, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ValidateDefinition checks a CRD as the apiextensions-apiserver's
// validation does: the name is <plural>.<group>, the group has a dot, the
// scope is known, the names are set, and exactly one version is the
// storage version.
func ValidateDefinition(crd *api.CustomResourceDefinition) []apierrors.FieldError {
	var errs []apierrors.FieldError
	sp := &crd.Spec
	if want := sp.Names.Plural + "." + sp.Group; crd.Name != want {
		errs = append(errs, apierrors.Invalid("metadata.name", crd.Name, `must be spec.names.plural+"."+spec.group`))
	}
	if sp.Group == "" {
		errs = append(errs, apierrors.Required("spec.group", ""))
	} else if !strings.Contains(sp.Group, ".") {
		errs = append(errs, apierrors.Invalid("spec.group", sp.Group, "should be a domain with at least one dot"))
	}
	if sp.Scope != api.ClusterScoped && sp.Scope != api.NamespaceScoped {
		errs = append(errs, apierrors.NotSupported("spec.scope", string(sp.Scope), []string{string(api.ClusterScoped), string(api.NamespaceScoped)}))
	}
	if sp.Names.Plural == "" {
		errs = append(errs, apierrors.Required("spec.names.plural", ""))
	}
	if sp.Names.Kind == "" {
		errs = append(errs, apierrors.Required("spec.names.kind", ""))
	}
	if len(sp.Versions) == 0 {
		errs = append(errs, apierrors.Invalid("spec.versions", "[]", "must have exactly one version marked as storage version"))
		return errs
	}
	storage := 0
	seen := map[string]bool{}
	var names []string
	for i, v := range sp.Versions {
		if v.Storage {
			storage++
		}
		if seen[v.Name] {
			errs = append(errs, apierrors.Duplicate(fmt.Sprintf("spec.versions[%d].name", i), v.Name))
		}
		seen[v.Name] = true
		names = append(names, v.Name)
	}
	if storage != 1 {
		errs = append(errs, apierrors.Invalid("spec.versions", names, "must have exactly one version marked as storage version"))
	}
	return errs
}

// Establish fills the status the real controllers write once the names
// are free: NamesAccepted (NoConflicts), Established
// (InitialNamesAccepted), acceptedNames and storedVersions.
func Establish(crd *api.CustomResourceDefinition, now api.Time) {
	crd.Status.AcceptedNames = crd.Spec.Names
	if crd.Status.AcceptedNames.ListKind == "" {
		crd.Status.AcceptedNames.ListKind = crd.Spec.Names.Kind + "List"
	}
	if crd.Status.AcceptedNames.Singular == "" {
		crd.Status.AcceptedNames.Singular = strings.ToLower(crd.Spec.Names.Kind)
	}
	crd.Status.Conditions = []api.CustomResourceDefinitionCondition{
		{Type: api.CRDNamesAccepted, Status: api.ConditionTrue, LastTransitionTime: now, Reason: "NoConflicts", Message: "no conflicts found"},
		{Type: api.CRDEstablished, Status: api.ConditionTrue, LastTransitionTime: now, Reason: "InitialNamesAccepted", Message: "the initial names have been accepted"},
	}
	for _, v := range crd.Spec.Versions {
		if v.Storage && !slices.Contains(crd.Status.StoredVersions, v.Name) {
			crd.Status.StoredVersions = append(crd.Status.StoredVersions, v.Name)
		}
	}
}

package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// CustomResource is an object of a kind a CustomResourceDefinition
// declares at run time. Its metadata is typed like every other object's;
// the rest (spec, status, any top-level field the schema allows) is
// decoded JSON in Content: map[string]any whose leaves are string,
// float64, bool, nil, []any and map[string]any. It encodes as the flat
// object a real custom resource is:
//
//	{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{...},"spec":{...}}
type CustomResource struct {
	TypeMeta
	ObjectMeta
	// Content holds every top-level field but apiVersion, kind and
	// metadata.
	Content map[string]any
}

// CustomResourceList is a list of custom resources of one kind.
type CustomResourceList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Items    []CustomResource `json:"items"`
}

// MarshalJSON writes the flat form, keys sorted.
func (c CustomResource) MarshalJSON() ([]byte, error) {
	doc := make(map[string]any, len(c.Content)+3)
	for k, v := range c.Content {
		doc[k] = v
	}
	if c.APIVersion != "" {
		doc["apiVersion"] = c.APIVersion
	}
	if c.Kind != "" {
		doc["kind"] = c.Kind
	}
	doc["metadata"] = &c.ObjectMeta
	return json.Marshal(doc)
}

// UnmarshalJSON reads the flat form. metadata must be an ObjectMeta; an
// unknown metadata field is an error that names it, as for every kind.
func (c *CustomResource) UnmarshalJSON(b []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	*c = CustomResource{}
	if v, ok := doc["apiVersion"]; ok {
		if err := json.Unmarshal(v, &c.APIVersion); err != nil {
			return fmt.Errorf("apiVersion: %w", err)
		}
	}
	if v, ok := doc["kind"]; ok {
		if err := json.Unmarshal(v, &c.Kind); err != nil {
			return fmt.Errorf("kind: %w", err)
		}
	}
	if v, ok := doc["metadata"]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c.ObjectMeta); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
	}
	for k, v := range doc {
		if k == "apiVersion" || k == "kind" || k == "metadata" {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if c.Content == nil {
			c.Content = map[string]any{}
		}
		c.Content[k] = x
	}
	return nil
}

// Object returns the whole object as one decoded JSON document (a fresh
// map; the values below the top level are shared with c).
func (c *CustomResource) Object() (map[string]any, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	err = json.Unmarshal(b, &doc)
	return doc, err
}

// NestedField returns the value at a path of keys below the top level
// ("spec", "replicas") and whether it is there.
func (c *CustomResource) NestedField(path ...string) (any, bool) {
	if len(path) == 0 {
		return nil, false
	}
	u := Unstructured{Object: c.Content}
	return u.NestedField(path...)
}

// SetNestedField sets the value at a path of keys below the top level,
// creating the objects on the way.
func (c *CustomResource) SetNestedField(v any, path ...string) {
	if c.Content == nil {
		c.Content = map[string]any{}
	}
	m := c.Content
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// CustomResourceInfo describes the resource a CustomResourceDefinition
// serves at one version, as the entries of the built-in registry
// describe theirs. Its etcd prefix is /registry/<group>/<plural>, as the
// apiextensions-apiserver stores custom resources. The info is not added
// to the built-in registry: each kube-apiserver keeps the kinds its CRDs
// declare.
func CustomResourceInfo(crd *CustomResourceDefinition, version string) *ResourceInfo {
	names := crd.Status.AcceptedNames
	if names.Plural == "" {
		names = crd.Spec.Names
	}
	listKind := names.ListKind
	if listKind == "" {
		listKind = names.Kind + "List"
	}
	singular := names.Singular
	if singular == "" {
		singular = strings.ToLower(names.Kind)
	}
	info := &ResourceInfo{
		Group: crd.Spec.Group, Version: version, Kind: names.Kind, ListKind: listKind,
		Resource: names.Plural, Singular: singular,
		ShortNames: append([]string(nil), names.ShortNames...), Categories: append([]string(nil), names.Categories...),
		Namespaced: crd.Spec.Scope == NamespaceScoped, Verbs: standardVerbs,
		KeyPrefix: "/registry/" + crd.Spec.Group + "/" + names.Plural,
		custom:    true,
		newObject: func() Object { return &CustomResource{} }, newList: func() ListObject { return &CustomResourceList{} },
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != version || v.Subresources == nil {
			continue
		}
		if v.Subresources.Status != nil {
			info.Subresources = append(info.Subresources, statusSub(crd.Spec.Group, version, names.Kind))
		}
		if v.Subresources.Scale != nil {
			info.Subresources = append(info.Subresources, Subresource{Name: "scale", Kind: scaleKind, Verbs: statusVerbs})
		}
	}
	return info
}

// IsCustom reports whether the resource is served for a
// CustomResourceDefinition.
func (r *ResourceInfo) IsCustom() bool { return r.custom }

// RequestResource is the name a request (apiwire.Request.Resource) gives
// the resource: the plural for built-in kinds, plural.group for custom
// resources, whose plurals may repeat across groups.
func (r *ResourceInfo) RequestResource() string {
	if r.custom {
		return r.GroupResource()
	}
	return r.Resource
}

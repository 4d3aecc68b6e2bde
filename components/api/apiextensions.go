package api

// This file holds apiextensions.k8s.io/v1 CustomResourceDefinition with the
// json names of the real API, and Unstructured, the map-based object a
// custom resource is held in (kubesim has no Go type for a kind a user
// defines at run time).

// CustomResourceDefinition declares a kind that kube-apiserver serves at
// /apis/<group>/<version>/<plural>. Its name must be <plural>.<group>.
type CustomResourceDefinition struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       CustomResourceDefinitionSpec   `json:"spec"`
	Status     CustomResourceDefinitionStatus `json:"status,omitempty"`
}

// CustomResourceDefinitionList is a list of CustomResourceDefinitions.
type CustomResourceDefinitionList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Items    []CustomResourceDefinition `json:"items"`
}

// ResourceScope is "Cluster" or "Namespaced".
type ResourceScope string

// The two scopes a CRD may declare.
const (
	ClusterScoped   ResourceScope = "Cluster"
	NamespaceScoped ResourceScope = "Namespaced"
)

// CustomResourceDefinitionSpec is what the author asks to be served.
type CustomResourceDefinitionSpec struct {
	Group    string                            `json:"group"`
	Names    CustomResourceDefinitionNames     `json:"names"`
	Scope    ResourceScope                     `json:"scope"`
	Versions []CustomResourceDefinitionVersion `json:"versions"`
	// PreserveUnknownFields is false in apiextensions.k8s.io/v1: unknown
	// fields are pruned.
	PreserveUnknownFields bool `json:"preserveUnknownFields,omitempty"`
}

// CustomResourceDefinitionNames are the names a kind is served under.
type CustomResourceDefinitionNames struct {
	Plural     string   `json:"plural"`
	Singular   string   `json:"singular,omitempty"`
	ShortNames []string `json:"shortNames,omitempty"`
	Kind       string   `json:"kind"`
	ListKind   string   `json:"listKind,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// CustomResourceDefinitionVersion is one served version of the kind.
// Exactly one version is the storage version.
type CustomResourceDefinitionVersion struct {
	Name                     string                           `json:"name"`
	Served                   bool                             `json:"served"`
	Storage                  bool                             `json:"storage"`
	Deprecated               bool                             `json:"deprecated,omitempty"`
	DeprecationWarning       *string                          `json:"deprecationWarning,omitempty"`
	Schema                   *CustomResourceValidation        `json:"schema,omitempty"`
	Subresources             *CustomResourceSubresources      `json:"subresources,omitempty"`
	AdditionalPrinterColumns []CustomResourceColumnDefinition `json:"additionalPrinterColumns,omitempty"`
}

// CustomResourceValidation holds the version's schema.
type CustomResourceValidation struct {
	OpenAPIV3Schema *JSONSchemaProps `json:"openAPIV3Schema,omitempty"`
}

// CustomResourceSubresources turns on /status and /scale.
type CustomResourceSubresources struct {
	Status *CustomResourceSubresourceStatus `json:"status,omitempty"`
	Scale  *CustomResourceSubresourceScale  `json:"scale,omitempty"`
}

// CustomResourceSubresourceStatus has no fields: its presence enables
// the status subresource.
type CustomResourceSubresourceStatus struct{}

// CustomResourceSubresourceScale names the JSON paths the Scale
// subresource reads and writes.
type CustomResourceSubresourceScale struct {
	SpecReplicasPath   string  `json:"specReplicasPath"`
	StatusReplicasPath string  `json:"statusReplicasPath"`
	LabelSelectorPath  *string `json:"labelSelectorPath,omitempty"`
}

// CustomResourceColumnDefinition is one extra column of kubectl get.
type CustomResourceColumnDefinition struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format,omitempty"`
	Description string `json:"description,omitempty"`
	Priority    int32  `json:"priority,omitempty"`
	JSONPath    string `json:"jsonPath"`
}

// JSONSchemaProps is the subset of OpenAPI v3 a structural schema uses in
// kubesim: types, properties, items, required, bounds, enum, pattern,
// default and x-kubernetes-preserve-unknown-fields. Default and Enum hold
// decoded JSON (float64, string, bool, map[string]any, []any).
type JSONSchemaProps struct {
	Type                   string                     `json:"type,omitempty"`
	Format                 string                     `json:"format,omitempty"`
	Description            string                     `json:"description,omitempty"`
	Properties             map[string]JSONSchemaProps `json:"properties,omitempty"`
	Items                  *JSONSchemaProps           `json:"items,omitempty"`
	AdditionalProperties   *JSONSchemaProps           `json:"additionalProperties,omitempty"`
	Required               []string                   `json:"required,omitempty"`
	Minimum                *float64                   `json:"minimum,omitempty"`
	Maximum                *float64                   `json:"maximum,omitempty"`
	MinLength              *int64                     `json:"minLength,omitempty"`
	MaxLength              *int64                     `json:"maxLength,omitempty"`
	Pattern                string                     `json:"pattern,omitempty"`
	Enum                   []any                      `json:"enum,omitempty"`
	Default                any                        `json:"default,omitempty"`
	Nullable               bool                       `json:"nullable,omitempty"`
	XPreserveUnknownFields *bool                      `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
	XIntOrString           bool                       `json:"x-kubernetes-int-or-string,omitempty"`
	XEmbeddedResource      bool                       `json:"x-kubernetes-embedded-resource,omitempty"`
}

// CustomResourceDefinitionStatus reports whether the names were accepted
// and the kind is served.
type CustomResourceDefinitionStatus struct {
	Conditions     []CustomResourceDefinitionCondition `json:"conditions,omitempty"`
	AcceptedNames  CustomResourceDefinitionNames       `json:"acceptedNames"`
	StoredVersions []string                            `json:"storedVersions,omitempty"`
}

// CustomResourceDefinitionCondition types.
const (
	CRDEstablished   = "Established"
	CRDNamesAccepted = "NamesAccepted"
	CRDTerminating   = "Terminating"
)

// CustomResourceCleanupFinalizer holds a CRD until its custom resources
// are deleted.
const CustomResourceCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

// CustomResourceDefinitionCondition is one condition of a CRD.
type CustomResourceDefinitionCondition struct {
	Type               string          `json:"type"`
	Status             ConditionStatus `json:"status"`
	LastTransitionTime Time            `json:"lastTransitionTime,omitempty"`
	Reason             string          `json:"reason,omitempty"`
	Message            string          `json:"message,omitempty"`
}

// Unstructured is an object of a kind kubesim has no Go type for, held as
// decoded JSON: map[string]any whose leaves are string, float64 (or
// int64), bool, nil, []any and map[string]any. DeepCopyValue copies it
// like any other value.
type Unstructured struct {
	Object map[string]any
}

// NestedField returns the value at the path of keys and whether it exists.
func (u *Unstructured) NestedField(path ...string) (any, bool) {
	var cur any = u.Object
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

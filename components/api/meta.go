package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TypeMeta names the schema of a serialized object: its kind and the
// group/version it belongs to ("v1", "apps/v1", "cilium.io/v2").
type TypeMeta struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// GetTypeMeta returns the receiver; through embedding it makes every kind
// expose its TypeMeta.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// GroupVersionKind splits APIVersion into group and version.
func (t TypeMeta) GroupVersionKind() GroupVersionKind {
	gv := ParseGroupVersion(t.APIVersion)
	return GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: t.Kind}
}

// GroupVersion identifies an API group at one version. The core group is
// the empty string and is written "v1".
type GroupVersion struct {
	Group   string
	Version string
}

// ParseGroupVersion splits "apps/v1" into {apps, v1} and "v1" into {"", v1}.
func ParseGroupVersion(apiVersion string) GroupVersion {
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		return GroupVersion{Group: apiVersion[:i], Version: apiVersion[i+1:]}
	}
	return GroupVersion{Version: apiVersion}
}

// String returns the apiVersion spelling: "v1" or "apps/v1".
func (gv GroupVersion) String() string {
	if gv.Group == "" {
		return gv.Version
	}
	return gv.Group + "/" + gv.Version
}

// GroupVersionKind identifies a kind within a group version.
type GroupVersionKind struct {
	Group   string
	Version string
	Kind    string
}

// GroupVersion drops the kind.
func (gvk GroupVersionKind) GroupVersion() GroupVersion {
	return GroupVersion{Group: gvk.Group, Version: gvk.Version}
}

// APIVersion returns the apiVersion spelling of the group version.
func (gvk GroupVersionKind) APIVersion() string { return gvk.GroupVersion().String() }

// String renders as Kubernetes does: "apps/v1, Kind=Deployment".
func (gvk GroupVersionKind) String() string {
	return gvk.APIVersion() + ", Kind=" + gvk.Kind
}

// GroupVersionResource identifies a resource (plural name) within a group
// version.
type GroupVersionResource struct {
	Group    string
	Version  string
	Resource string
}

// String renders as "apps/v1, Resource=deployments".
func (gvr GroupVersionResource) String() string {
	return GroupVersion{Group: gvr.Group, Version: gvr.Version}.String() + ", Resource=" + gvr.Resource
}

// UID is a unique identifier an apiserver assigns to an object at creation.
type UID string

// ObjectMeta is the metadata every persisted object carries.
// Field order and json names follow metav1.ObjectMeta.
type ObjectMeta struct {
	Name                       string            `json:"name,omitempty"`
	GenerateName               string            `json:"generateName,omitempty"`
	Namespace                  string            `json:"namespace,omitempty"`
	UID                        UID               `json:"uid,omitempty"`
	ResourceVersion            string            `json:"resourceVersion,omitempty"`
	Generation                 int64             `json:"generation,omitempty"`
	CreationTimestamp          Time              `json:"creationTimestamp,omitempty"`
	DeletionTimestamp          *Time             `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference  `json:"ownerReferences,omitempty"`
	Finalizers                 []string          `json:"finalizers,omitempty"`
	// ManagedFields records which field manager owns which fields, kept
	// by kube-apiserver on every write (server-side apply's bookkeeping).
	ManagedFields []ManagedFieldsEntry `json:"managedFields,omitempty"`
}

// GetObjectMeta returns the receiver; through embedding it makes every kind
// expose its ObjectMeta.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// Key returns "namespace/name", or "name" for cluster-scoped objects — the
// form informers and kubectl messages use.
func (m *ObjectMeta) Key() string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// ControllerRef returns the owner reference with controller=true, or nil.
func (m *ObjectMeta) ControllerRef() *OwnerReference {
	for i := range m.OwnerReferences {
		if c := m.OwnerReferences[i].Controller; c != nil && *c {
			return &m.OwnerReferences[i]
		}
	}
	return nil
}

// HasFinalizer reports whether f is among the object's finalizers.
func (m *ObjectMeta) HasFinalizer(f string) bool {
	for _, x := range m.Finalizers {
		if x == f {
			return true
		}
	}
	return false
}

// ManagedFieldsEntry is one manager's share of an object, as
// metav1.ManagedFieldsEntry: the fields that manager set with one
// operation (Apply, or Update for every other write) at one apiVersion,
// through the main resource or a subresource.
type ManagedFieldsEntry struct {
	Manager     string                     `json:"manager,omitempty"`
	Operation   ManagedFieldsOperationType `json:"operation,omitempty"`
	APIVersion  string                     `json:"apiVersion,omitempty"`
	Time        *Time                      `json:"time,omitempty"`
	FieldsType  string                     `json:"fieldsType,omitempty"`
	FieldsV1    *FieldsV1                  `json:"fieldsV1,omitempty"`
	Subresource string                     `json:"subresource,omitempty"`
}

// ManagedFieldsOperationType is the operation a managedFields entry
// records.
type ManagedFieldsOperationType string

// The two operations.
const (
	ManagedFieldsOperationApply  ManagedFieldsOperationType = "Apply"
	ManagedFieldsOperationUpdate ManagedFieldsOperationType = "Update"
)

// FieldsV1 is a set of fields in structured-merge-diff's JSON form, kept
// verbatim: `{"f:spec":{"f:replicas":{}}}`, with `k:{"name":"web"}` for an
// item of a list keyed by name and `v:"x"` for an item of a set.
type FieldsV1 = RawExtension

// OwnerReference points from a dependent to its owner, for garbage
// collection and controller adoption.
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                UID    `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// ListMeta is the metadata of a list: the resourceVersion the list was read
// at and the continue token of a paginated list.
type ListMeta struct {
	ResourceVersion    string `json:"resourceVersion,omitempty"`
	Continue           string `json:"continue,omitempty"`
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
}

// GetListMeta returns the receiver; through embedding it makes every list
// kind expose its ListMeta.
func (m *ListMeta) GetListMeta() *ListMeta { return m }

// Object is implemented by every top-level kind (a pointer to Pod, Node,
// Deployment, ...). Objects are shared read-only: see the package doc.
type Object interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
}

// ListObject is implemented by every list kind (a pointer to PodList, ...).
// Items are reached with ListItems and SetListItems.
type ListObject interface {
	GetTypeMeta() *TypeMeta
	GetListMeta() *ListMeta
}

// LabelSelectorOperator is the operator of a LabelSelectorRequirement.
type LabelSelectorOperator string

// Label selector operators.
const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// LabelSelector selects objects by labels. The requirements of matchLabels
// and matchExpressions are ANDed. An empty selector matches everything; a
// nil *LabelSelector matches nothing (see SelectorMatches).
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	Key      string                `json:"key"`
	Operator LabelSelectorOperator `json:"operator"`
	Values   []string              `json:"values,omitempty"`
}

// ConditionStatus is "True", "False" or "Unknown".
type ConditionStatus string

// Condition statuses.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// Condition is the generic condition of metav1.Condition, used by newer
// types (Service status, Cilium policies).
type Condition struct {
	Type               string          `json:"type"`
	Status             ConditionStatus `json:"status"`
	ObservedGeneration int64           `json:"observedGeneration,omitempty"`
	LastTransitionTime Time            `json:"lastTransitionTime"`
	Reason             string          `json:"reason"`
	Message            string          `json:"message"`
}

// Status is the body of an apiserver error response (and of some
// successful deletes), as metav1.Status.
type Status struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	// Status is "Success" or "Failure".
	Status  string         `json:"status,omitempty"`
	Message string         `json:"message,omitempty"`
	Reason  StatusReason   `json:"reason,omitempty"`
	Details *StatusDetails `json:"details,omitempty"`
	Code    int32          `json:"code,omitempty"`
}

// StatusReason is the machine-readable reason of a failed request.
type StatusReason string

// Status reasons used by the apiserver.
const (
	StatusReasonUnknown            StatusReason = ""
	StatusReasonUnauthorized       StatusReason = "Unauthorized"
	StatusReasonForbidden          StatusReason = "Forbidden"
	StatusReasonNotFound           StatusReason = "NotFound"
	StatusReasonAlreadyExists      StatusReason = "AlreadyExists"
	StatusReasonConflict           StatusReason = "Conflict"
	StatusReasonGone               StatusReason = "Gone"
	StatusReasonExpired            StatusReason = "Expired"
	StatusReasonInvalid            StatusReason = "Invalid"
	StatusReasonBadRequest         StatusReason = "BadRequest"
	StatusReasonMethodNotAllowed   StatusReason = "MethodNotAllowed"
	StatusReasonTimeout            StatusReason = "Timeout"
	StatusReasonServerTimeout      StatusReason = "ServerTimeout"
	StatusReasonTooManyRequests    StatusReason = "TooManyRequests"
	StatusReasonInternalError      StatusReason = "InternalError"
	StatusReasonServiceUnavailable StatusReason = "ServiceUnavailable"
	StatusReasonNotAcceptable      StatusReason = "NotAcceptable"
)

// Status values of Status.Status.
const (
	StatusSuccess = "Success"
	StatusFailure = "Failure"
)

// StatusDetails names the object a Status is about and, for Invalid, the
// individual field causes.
type StatusDetails struct {
	Name              string        `json:"name,omitempty"`
	Group             string        `json:"group,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	UID               UID           `json:"uid,omitempty"`
	Causes            []StatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int32         `json:"retryAfterSeconds,omitempty"`
}

// StatusCause is one reason of a failed request.
type StatusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Error makes a *Status usable as a Go error carrying its message.
func (s *Status) Error() string { return s.Message }

// DeleteOptions is the optional body of a DELETE request.
type DeleteOptions struct {
	TypeMeta           `json:",inline"`
	GracePeriodSeconds *int64         `json:"gracePeriodSeconds,omitempty"`
	Preconditions      *Preconditions `json:"preconditions,omitempty"`
	PropagationPolicy  *string        `json:"propagationPolicy,omitempty"`
	DryRun             []string       `json:"dryRun,omitempty"`
}

// Preconditions must hold for a delete to proceed.
type Preconditions struct {
	UID             *UID    `json:"uid,omitempty"`
	ResourceVersion *string `json:"resourceVersion,omitempty"`
}

// Deletion propagation policies.
const (
	DeletePropagationOrphan     = "Orphan"
	DeletePropagationBackground = "Background"
	DeletePropagationForeground = "Foreground"
)

// Time is a timestamp serialized as metav1.Time is: RFC 3339 in UTC at second
// precision, and null when zero.
type Time struct {
	time.Time
}

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t} }

// NewTimePtr wraps t and returns a pointer, for optional fields.
func NewTimePtr(t time.Time) *Time { return &Time{t} }

// Equal compares at the serialized (second) precision.
func (t Time) Equal(u Time) bool {
	return t.Truncate(time.Second).Equal(u.Truncate(time.Second))
}

// String formats as serialized.
func (t Time) String() string {
	if t.IsZero() {
		return "null"
	}
	return t.UTC().Format(time.RFC3339)
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(time.RFC3339) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected an RFC 3339 timestamp string, got %s", b)
	}
	return t.UnmarshalText([]byte(s))
}

// MarshalText formats as MarshalJSON does, without quotes ("" when zero).
func (t Time) MarshalText() ([]byte, error) {
	if t.IsZero() {
		return nil, nil
	}
	return []byte(t.UTC().Format(time.RFC3339)), nil
}

// UnmarshalText parses RFC 3339; the empty string is the zero time.
func (t *Time) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		t.Time = time.Time{}
		return nil
	}
	p, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return fmt.Errorf("expected an RFC 3339 timestamp, got %q", b)
	}
	t.Time = p.UTC().Truncate(time.Second)
	return nil
}

// RFC3339Micro is the layout of MicroTime.
const RFC3339Micro = "2006-01-02T15:04:05.000000Z07:00"

// MicroTime is a timestamp with microsecond precision, serialized as
// metav1.MicroTime: RFC 3339 with six fractional digits in UTC, null when
// zero. Leases and events.k8s.io use it.
type MicroTime struct {
	time.Time
}

// NewMicroTime wraps t.
func NewMicroTime(t time.Time) MicroTime { return MicroTime{t} }

// NewMicroTimePtr wraps t and returns a pointer, for optional fields.
func NewMicroTimePtr(t time.Time) *MicroTime { return &MicroTime{t} }

// Equal compares at the serialized (microsecond) precision.
func (t MicroTime) Equal(u MicroTime) bool {
	return t.Truncate(time.Microsecond).Equal(u.Truncate(time.Microsecond))
}

// String formats as serialized.
func (t MicroTime) String() string {
	if t.IsZero() {
		return "null"
	}
	return t.UTC().Format(RFC3339Micro)
}

// MarshalJSON implements json.Marshaler.
func (t MicroTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(RFC3339Micro) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected an RFC 3339 timestamp string, got %s", b)
	}
	return t.UnmarshalText([]byte(s))
}

// MarshalText formats as MarshalJSON does, without quotes ("" when zero).
func (t MicroTime) MarshalText() ([]byte, error) {
	if t.IsZero() {
		return nil, nil
	}
	return []byte(t.UTC().Format(RFC3339Micro)), nil
}

// UnmarshalText parses RFC 3339 with optional fractional seconds.
func (t *MicroTime) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		t.Time = time.Time{}
		return nil
	}
	p, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("expected an RFC 3339 timestamp, got %q", b)
	}
	t.Time = p.UTC().Truncate(time.Microsecond)
	return nil
}

// Duration wraps time.Duration and serializes as its String form ("1m30s"),
// as metav1.Duration.
type Duration struct {
	time.Duration
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Duration.String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a duration string, got %s", b)
	}
	return d.UnmarshalText([]byte(s))
}

// UnmarshalText parses Go duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	p, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("expected a duration, got %q", b)
	}
	d.Duration = p
	return nil
}

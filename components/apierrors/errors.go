// Package apierrors holds the errors kube-apiserver returns, as Kubernetes'
// metav1.Status objects with the real reasons, codes and message texts.
// Components, the client library and the HTTP front end share them, so a
// learner sees the same `pods "web" already exists` everywhere.
package apierrors

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// StatusReason is metav1.StatusReason.
type StatusReason string

// Reasons, as metav1 names them.
const (
	ReasonUnauthorized       StatusReason = "Unauthorized"
	ReasonForbidden          StatusReason = "Forbidden"
	ReasonNotFound           StatusReason = "NotFound"
	ReasonAlreadyExists      StatusReason = "AlreadyExists"
	ReasonConflict           StatusReason = "Conflict"
	ReasonGone               StatusReason = "Gone"
	ReasonExpired            StatusReason = "Expired"
	ReasonInvalid            StatusReason = "Invalid"
	ReasonBadRequest         StatusReason = "BadRequest"
	ReasonMethodNotAllowed   StatusReason = "MethodNotAllowed"
	ReasonNotAcceptable      StatusReason = "NotAcceptable"
	ReasonUnsupportedMedia   StatusReason = "UnsupportedMediaType"
	ReasonTimeout            StatusReason = "Timeout"
	ReasonServerTimeout      StatusReason = "ServerTimeout"
	ReasonTooManyRequests    StatusReason = "TooManyRequests"
	ReasonInternalError      StatusReason = "InternalError"
	ReasonServiceUnavailable StatusReason = "ServiceUnavailable"
)

// CauseTypeFieldManagerConflict is the cause reason of a server-side
// apply conflict, as metav1 names it.
const CauseTypeFieldManagerConflict = "FieldManagerConflict"

// StatusCause is one field-level cause of an Invalid error or of an apply
// conflict.
type StatusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// StatusDetails is metav1.StatusDetails.
type StatusDetails struct {
	Name              string        `json:"name,omitempty"`
	Group             string        `json:"group,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	UID               string        `json:"uid,omitempty"`
	Causes            []StatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int32         `json:"retryAfterSeconds,omitempty"`
}

// Status is metav1.Status as it travels over the wire.
type Status struct {
	Kind       string         `json:"kind"`
	APIVersion string         `json:"apiVersion"`
	Metadata   struct{}       `json:"metadata"`
	Status     string         `json:"status"`
	Message    string         `json:"message,omitempty"`
	Reason     StatusReason   `json:"reason,omitempty"`
	Details    *StatusDetails `json:"details,omitempty"`
	Code       int32          `json:"code"`
}

// StatusError is an error carrying a Status.
type StatusError struct{ ErrStatus Status }

func (e *StatusError) Error() string { return e.ErrStatus.Message }

// Summary is the one line the trace shows: "409 Conflict: ...".
func (e *StatusError) Summary() string {
	return fmt.Sprintf("%d %s: %s", e.ErrStatus.Code, e.ErrStatus.Reason, e.ErrStatus.Message)
}

func newErr(code int32, reason StatusReason, msg string, details *StatusDetails) *StatusError {
	return &StatusError{Status{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: msg, Reason: reason, Details: details, Code: code}}
}

// qualified is "pods" or "deployments.apps": the group-qualified resource
// the real messages name.
func qualified(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}

// NewNotFound: `pods "web" not found`.
func NewNotFound(group, resource, name string) *StatusError {
	return newErr(404, ReasonNotFound, fmt.Sprintf("%s %q not found", qualified(group, resource), name),
		&StatusDetails{Name: name, Group: group, Kind: resource})
}

// NewAlreadyExists: `pods "web" already exists`.
func NewAlreadyExists(group, resource, name string) *StatusError {
	return newErr(409, ReasonAlreadyExists, fmt.Sprintf("%s %q already exists", qualified(group, resource), name),
		&StatusDetails{Name: name, Group: group, Kind: resource})
}

// NewConflict is the optimistic-concurrency failure of an update with a
// stale resourceVersion.
func NewConflict(group, resource, name string, err error) *StatusError {
	return newErr(409, ReasonConflict, fmt.Sprintf("Operation cannot be fulfilled on %s %q: %v", qualified(group, resource), name, err),
		&StatusDetails{Name: name, Group: group, Kind: resource})
}

// ErrModified is the cause text of a resourceVersion conflict.
var ErrModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")

// NewApplyConflict is a 409 Conflict of server-side apply: message is the
// whole "Apply failed with 1 conflict: ..." text, each cause one field
// owned by another manager.
func NewApplyConflict(causes []StatusCause, message string) *StatusError {
	return newErr(409, ReasonConflict, message, &StatusDetails{Causes: causes})
}

// NewForbidden: `pods "web" is forbidden: <reason>` (or `pods is forbidden`
// when there is no name).
func NewForbidden(group, resource, name string, reason error) *StatusError {
	subject := qualified(group, resource)
	if name != "" {
		subject = fmt.Sprintf("%s %q", subject, name)
	}
	return newErr(403, ReasonForbidden, fmt.Sprintf("%s is forbidden: %v", subject, reason),
		&StatusDetails{Name: name, Group: group, Kind: resource})
}

// NewUnauthorized is the 401 of a request with no valid credentials.
func NewUnauthorized() *StatusError {
	return newErr(401, ReasonUnauthorized, "Unauthorized", nil)
}

// NewResourceExpired: `too old resource version: 5 (10)`, reason Expired, code 410.
func NewResourceExpired(msg string) *StatusError {
	return newErr(410, ReasonExpired, msg, nil)
}

// NewBadRequest is a 400 with the given message.
func NewBadRequest(msg string) *StatusError {
	return newErr(400, ReasonBadRequest, msg, nil)
}

// NewMethodNotSupported: `<verb> is not supported on resources of kind "<resource>"`.
func NewMethodNotSupported(group, resource, verb string) *StatusError {
	return newErr(405, ReasonMethodNotAllowed, fmt.Sprintf("%s is not supported on resources of kind %q", verb, qualified(group, resource)),
		&StatusDetails{Group: group, Kind: resource})
}

// NewInternalError: `Internal error occurred: <err>`.
func NewInternalError(err error) *StatusError {
	return newErr(500, ReasonInternalError, fmt.Sprintf("Internal error occurred: %v", err),
		&StatusDetails{Causes: []StatusCause{{Message: err.Error()}}})
}

// NewTimeout is the 504 the apiserver returns when storage did not answer
// in time; message is storage's own error ("etcdserver: request timed out").
func NewTimeout(message string) *StatusError {
	return newErr(504, ReasonTimeout, message, nil)
}

// NewServiceUnavailable is a 503.
func NewServiceUnavailable(message string) *StatusError {
	return newErr(503, ReasonServiceUnavailable, message, nil)
}

// NewUnsupportedMediaType: `the body of the request was in an unknown format - accepted media types include: ...`.
func NewUnsupportedMediaType(contentType string, accepted []string) *StatusError {
	return newErr(415, ReasonUnsupportedMedia, fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s", strings.Join(accepted, ", ")), nil)
}

// FieldError is one invalid field, in the shape of field.Error.
type FieldError struct {
	Type     string // "Required value", "Invalid value", "Unsupported value", "Duplicate value", "Forbidden", "Too long"
	Field    string
	BadValue any
	Detail   string
	// NoValue hides BadValue (Required, Forbidden).
	NoValue bool
}

// Error renders as field.Error does: `metadata.name: Invalid value: "Web": <detail>`.
func (e FieldError) Error() string { return e.Field + ": " + e.ErrorBody() }

// ErrorBody is the error without its field, as field.Error.ErrorBody:
// what a Status cause's message says (kubectl prints the field before it).
func (e FieldError) ErrorBody() string {
	var b strings.Builder
	b.WriteString(e.Type)
	if !e.NoValue {
		b.WriteString(": ")
		b.WriteString(formatValue(e.BadValue))
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []string:
		parts := make([]string, len(x))
		for i, v := range x {
			parts[i] = fmt.Sprintf("%q", v)
		}
		return "[]string{" + strings.Join(parts, ", ") + "}"
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q:%q", k, x[k])
		}
		return "map[string]string{" + strings.Join(parts, ", ") + "}"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// Required is a missing field.
func Required(field, detail string) FieldError {
	return FieldError{Type: "Required value", Field: field, Detail: detail, NoValue: true}
}

// Invalid is a field with a bad value.
func Invalid(field string, value any, detail string) FieldError {
	return FieldError{Type: "Invalid value", Field: field, BadValue: value, Detail: detail}
}

// NotSupported is a value outside a fixed set.
func NotSupported(field string, value any, valid []string) FieldError {
	quoted := make([]string, len(valid))
	for i, v := range valid {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return FieldError{Type: "Unsupported value", Field: field, BadValue: value, Detail: "supported values: " + strings.Join(quoted, ", ")}
}

// Duplicate is a repeated value.
func Duplicate(field string, value any) FieldError {
	return FieldError{Type: "Duplicate value", Field: field, BadValue: value}
}

// TooLong is a value over its size limit:
// `metadata.annotations: Too long: must have at most 262144 bytes`.
func TooLong(field string, limit int) FieldError {
	return FieldError{Type: "Too long", Field: field, Detail: fmt.Sprintf("must have at most %d bytes", limit), NoValue: true}
}

// Forbidden is a field that may not be set.
func Forbidden(field, detail string) FieldError {
	return FieldError{Type: "Forbidden", Field: field, Detail: detail, NoValue: true}
}

// NewInvalid: `Pod "Web" is invalid: metadata.name: Invalid value: ...`,
// with one cause per field error; several errors are listed in brackets.
func NewInvalid(group, kind, name string, errs []FieldError) *StatusError {
	causes := make([]StatusCause, len(errs))
	msgs := make([]string, len(errs))
	for i, e := range errs {
		causes[i] = StatusCause{Type: fieldReason(e.Type), Message: e.ErrorBody(), Field: e.Field}
		msgs[i] = e.Error()
	}
	kindName := kind
	if group != "" {
		kindName = kind + "." + group
	}
	var msg string
	if len(msgs) == 1 {
		msg = fmt.Sprintf("%s %q is invalid: %s", kindName, name, msgs[0])
	} else {
		msg = fmt.Sprintf("%s %q is invalid: [%s]", kindName, name, strings.Join(msgs, ", "))
	}
	return newErr(422, ReasonInvalid, msg, &StatusDetails{Name: name, Group: group, Kind: kind, Causes: causes})
}

func fieldReason(t string) string {
	switch t {
	case "Required value":
		return "FieldValueRequired"
	case "Invalid value":
		return "FieldValueInvalid"
	case "Unsupported value":
		return "FieldValueNotSupported"
	case "Duplicate value":
		return "FieldValueDuplicate"
	case "Forbidden":
		return "FieldValueForbidden"
	case "Too long":
		return "FieldValueTooLong"
	}
	return "FieldValueInvalid"
}

// ReasonOf returns the reason of a StatusError (or "" for other errors).
func ReasonOf(err error) StatusReason {
	var se *StatusError
	if errors.As(err, &se) {
		return se.ErrStatus.Reason
	}
	return ""
}

// CodeOf returns the HTTP code of a StatusError (500 for other errors).
func CodeOf(err error) int32 {
	var se *StatusError
	if errors.As(err, &se) {
		return se.ErrStatus.Code
	}
	return 500
}

// IsNotFound and friends test a reason.
func IsNotFound(err error) bool      { return ReasonOf(err) == ReasonNotFound }
func IsAlreadyExists(err error) bool { return ReasonOf(err) == ReasonAlreadyExists }
func IsConflict(err error) bool      { return ReasonOf(err) == ReasonConflict }
func IsForbidden(err error) bool     { return ReasonOf(err) == ReasonForbidden }
func IsInvalid(err error) bool       { return ReasonOf(err) == ReasonInvalid }
func IsGone(err error) bool {
	r := ReasonOf(err)
	return r == ReasonExpired || r == ReasonGone
}
func IsTimeout(err error) bool { return ReasonOf(err) == ReasonTimeout }

// KubectlText is what kubectl prints for a server error:
// `Error from server (NotFound): pods "x" not found`.
func KubectlText(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("Error from server (%s): %s", se.ErrStatus.Reason, se.ErrStatus.Message)
	}
	return "error: " + err.Error()
}

// WithMessage replaces the message, keeping reason and code.
func (e *StatusError) WithMessage(msg string) *StatusError {
	e.ErrStatus.Message = msg
	return e
}

// NewTooManyRequests is a 429 with the given message and Retry-After
// seconds (0: none suggested), as the eviction API refuses a disruption.
func NewTooManyRequests(message string, retryAfterSeconds int32) *StatusError {
	return newErr(429, ReasonTooManyRequests, message, &StatusDetails{RetryAfterSeconds: retryAfterSeconds})
}

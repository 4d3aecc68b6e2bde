// Package apiwire holds the messages between kube-apiserver and its clients:
// a Request (what an HTTP request carries), its Response, and the
// WatchEvents a watch pushes. It sits below both sides, so that a client —
// the kubelet, kube-scheduler, a controller, CoreDNS — depends on these few
// types and on package api, never on kube-apiserver's implementation or the
// etcd packages behind it (deps_test.go keeps it so).
package apiwire

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// Verbs, as RBAC names them.
const (
	VerbGet              = "get"
	VerbList             = "list"
	VerbWatch            = "watch"
	VerbCreate           = "create"
	VerbUpdate           = "update"
	VerbPatch            = "patch"
	VerbDelete           = "delete"
	VerbDeleteCollection = "deletecollection"
)

// Message kinds.
const (
	// KindRequest is a client's call; the reply carries a *Response or a
	// *apierrors.StatusError.
	KindRequest = "request"
	// KindWatchEvent is pushed to a watcher.
	KindWatchEvent = "WatchEvent"
)

// PatchType is the Content-Type of a patch.
type PatchType string

// Patch types.
const (
	MergePatch          PatchType = "application/merge-patch+json"
	StrategicMergePatch PatchType = "application/strategic-merge-patch+json"
	JSONPatch           PatchType = "application/json-patch+json"
	// ApplyPatch is server-side apply: the body is the caller's whole
	// intent for the object (the front end turns its YAML into JSON).
	ApplyPatch PatchType = "application/apply-patch+yaml"
)

// Deletion propagation policies.
const (
	PropagationBackground = "Background"
	PropagationForeground = "Foreground"
	PropagationOrphan     = "Orphan"
)

// Request is one API call, what an HTTP request to kube-apiserver carries:
// the verb and resource path, the caller's credential, and the body.
type Request struct {
	Verb        string
	Resource    string // plural: "pods"
	Subresource string // "status", "binding", "scale", "log"
	Namespace   string
	Name        string

	// Token is the bearer token the caller authenticates with.
	Token string
	// UserAgent names the client in the trace ("kubectl", "kube-scheduler").
	UserAgent string
	// Impersonate, when set, asks to act as another identity (the
	// Impersonate-User and Impersonate-Group headers, kubectl --as and
	// --as-group); the caller needs the RBAC verb impersonate on it.
	Impersonate *Impersonation

	// Object is the body of create and update (and of pods/binding).
	Object api.Object
	// Patch and PatchType are the body of a patch.
	Patch     []byte
	PatchType PatchType

	// List and watch options.
	LabelSelector   string
	FieldSelector   string
	ResourceVersion string
	Limit           int64
	// AllowWatchBookmarks asks for periodic BOOKMARK events.
	AllowWatchBookmarks bool
	// SendInitialEvents makes a watch start with an ADDED event for every
	// object that exists, ended by a BOOKMARK annotated
	// k8s.io/initial-events-end (a streaming list, client-go's WatchList).
	SendInitialEvents bool
	// ResourceVersionMatch says how ResourceVersion applies to a list or a
	// streaming list: "NotOlderThan" or "Exact".
	ResourceVersionMatch string
	// Continue is the token of a paginated list's next page.
	Continue string

	// Delete options.
	PropagationPolicy  string
	GracePeriodSeconds *int64

	DryRun       bool
	FieldManager string
}

// Path is the request's URL path, as the HTTP front end would see it.
func (r *Request) Path() string {
	info, ok := api.ResourceFor(r.Resource)
	var b strings.Builder
	if ok && info.Group != "" {
		b.WriteString("/apis/" + info.Group + "/" + info.Version)
	} else {
		b.WriteString("/api/v1")
	}
	if r.Namespace != "" {
		b.WriteString("/namespaces/" + r.Namespace)
	}
	b.WriteString("/" + r.Resource)
	if r.Name != "" {
		b.WriteString("/" + r.Name)
	}
	if r.Subresource != "" {
		b.WriteString("/" + r.Subresource)
	}
	return b.String()
}

// Method is the HTTP method of the verb.
func (r *Request) Method() string {
	switch r.Verb {
	case VerbCreate:
		return "POST"
	case VerbUpdate:
		return "PUT"
	case VerbPatch:
		return "PATCH"
	case VerbDelete, VerbDeleteCollection:
		return "DELETE"
	}
	return "GET"
}

// Summary implements sim.Summarizer: "POST /api/v1/namespaces/default/pods (web)".
func (r *Request) Summary() string {
	s := r.Method() + " " + r.Path()
	var q []string
	if r.Verb == VerbWatch {
		q = append(q, "watch=true")
		if r.SendInitialEvents {
			q = append(q, "sendInitialEvents=true")
		}
	}
	if r.LabelSelector != "" {
		q = append(q, "labelSelector="+r.LabelSelector)
	}
	if r.FieldSelector != "" {
		q = append(q, "fieldSelector="+r.FieldSelector)
	}
	if r.ResourceVersion != "" && (r.Verb == VerbWatch || r.Verb == VerbList || r.Verb == VerbGet) {
		q = append(q, "resourceVersion="+r.ResourceVersion)
	}
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	if r.Verb == VerbCreate && r.Object != nil {
		m := r.Object.GetObjectMeta()
		if m.Name != "" {
			s += " (" + m.Name + ")"
		} else if m.GenerateName != "" {
			s += " (" + m.GenerateName + "*)"
		}
	}
	return s
}

// Impersonation is the identity a request asks to act as.
type Impersonation struct {
	User   string
	Groups []string
}

// Response is a successful answer.
type Response struct {
	// Code is the HTTP status: 200, or 201 for a create.
	Code int
	// Object is the object read, created, updated or deleted.
	Object api.Object
	// Items and ResourceVersion answer a list; Continue, when set, is the
	// token of the next page and RemainingItemCount how many items follow.
	Items              []api.Object
	ResourceVersion    string
	Continue           string
	RemainingItemCount *int64
	// WatchID identifies a watch the request opened; events follow as
	// WatchEvent messages.
	WatchID int64
	// Warnings become `Warning:` headers.
	Warnings []string
}

// Summary implements sim.Summarizer.
func (r *Response) Summary() string {
	switch {
	case r.WatchID != 0:
		return fmt.Sprintf("200 OK, watch %d open", r.WatchID)
	case r.Object != nil:
		m := r.Object.GetObjectMeta()
		return fmt.Sprintf("%d %s %s resourceVersion=%s", r.Code, statusText(r.Code), m.Key(), m.ResourceVersion)
	default:
		return fmt.Sprintf("%d %s, %d item(s) at resourceVersion=%s", r.Code, statusText(r.Code), len(r.Items), r.ResourceVersion)
	}
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	}
	return ""
}

// EventType is a watch event's type.
type EventType string

// Watch event types.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	Bookmark EventType = "BOOKMARK"
	Error    EventType = "ERROR"
)

// WatchEvent is one event on a watch. Object is shared and read-only.
type WatchEvent struct {
	WatchID int64
	// Also are the receiver's other watches the event is for, seen the
	// same way: kube-apiserver sends one message for all of them.
	Also     []int64
	Type     EventType
	Object   api.Object
	Resource string
	// Err is set on ERROR events (410 Gone when the watcher fell behind).
	Err error
}

// For reports whether the event is for the watch id.
func (e *WatchEvent) For(id int64) bool {
	if e.WatchID == id {
		return true
	}
	for _, a := range e.Also {
		if a == id {
			return true
		}
	}
	return false
}

// IDs are every watch the event is for, WatchID first.
func (e *WatchEvent) IDs() []int64 {
	return append([]int64{e.WatchID}, e.Also...)
}

// Summary implements sim.Summarizer: "ADDED pods default/web (resourceVersion 12)".
func (e *WatchEvent) Summary() string {
	if e.Type == Error {
		return fmt.Sprintf("ERROR %v", e.Err)
	}
	m := e.Object.GetObjectMeta()
	if e.Type == Bookmark {
		return fmt.Sprintf("BOOKMARK %s (resourceVersion %s)", e.Resource, m.ResourceVersion)
	}
	if len(e.Also) > 0 {
		return fmt.Sprintf("%s %s %s (resourceVersion %s, %d watches)", e.Type, e.Resource, m.Key(), m.ResourceVersion, 1+len(e.Also))
	}
	return fmt.Sprintf("%s %s %s (resourceVersion %s)", e.Type, e.Resource, m.Key(), m.ResourceVersion)
}

// CancelWatch closes a watch (the client hung up).
type CancelWatch struct{ WatchID int64 }

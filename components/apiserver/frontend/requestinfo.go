package frontend

import (
	"net/http"
	"strings"
)

// RequestInfo is what kube-apiserver's RequestInfoFactory reads from a
// request's method and path, before anything else: whether it names a
// resource, the RBAC verb, and the object it is about. The audit log and
// authorization speak of requests in these terms.
type RequestInfo struct {
	// IsResourceRequest is false for /version, /healthz, discovery and the
	// like; their Verb is the lower-case HTTP method.
	IsResourceRequest bool
	Path              string
	// Verb is get, list, watch, create, update, patch, delete or
	// deletecollection for resource requests.
	Verb                                   string
	APIGroup, APIVersion                   string
	Namespace, Resource, Subresource, Name string
}

// NewRequestInfo parses a request as kube-apiserver does:
// /api/v1/... and /apis/<group>/<version>/... are resource requests
// (`[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`, a Namespace's
// own status and finalize being its subresources); GET is get with a name
// and list (or watch, with watch=true) without; DELETE without a name is
// deletecollection.
func NewRequestInfo(r *http.Request) RequestInfo {
	info := RequestInfo{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || (parts[0] == "apis" && len(parts) < 4) {
		return info // discovery documents, /version, /healthz, ...
	}
	t, ok := parsePath(parts)
	if !ok {
		return info
	}
	info.IsResourceRequest = true
	info.APIGroup, info.APIVersion = t.group, t.version
	info.Namespace, info.Resource, info.Subresource, info.Name = t.namespace, t.resource, t.sub, t.name
	if t.resource == "namespaces" && t.name != "" && t.namespace == "" {
		info.Namespace = t.name // a Namespace is in itself, as RBAC and the audit log see it
	}
	switch r.Method {
	case http.MethodPost:
		info.Verb = "create"
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		switch {
		case isTrue(q.Get("watch")):
			info.Verb = "watch"
		case t.name == "":
			info.Verb = "list"
		default:
			info.Verb = "get"
		}
	case http.MethodPut:
		info.Verb = "update"
	case http.MethodPatch:
		info.Verb = "patch"
	case http.MethodDelete:
		info.Verb = "delete"
		if t.name == "" {
			info.Verb = "deletecollection"
		}
	}
	return info
}

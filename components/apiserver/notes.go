package apiserver

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// The notes kube-apiserver writes into the trace as a request walks its
// pipeline (sim.Ctx.Note): typed, so that narration and views read what
// each stage found rather than its wording. Each says in Summary what the
// trace line shows.

// Note kinds, in the order of the pipeline.
const (
	NoteAuthn      = "authn"
	NoteAuthz      = "authz"
	NoteDefaults   = "defaults"
	NoteAdmission  = "admission"
	NoteValidation = "validation"
	NoteAllocation = "allocation"
	NoteDelete     = "delete"
)

// AuthnNote is what authentication established.
type AuthnNote struct {
	// User is the caller; unset when the token was not valid.
	User UserInfo
	// Invalid is set when the credential matched nobody (401).
	Invalid bool
	// Certificate is set when the credential was a client certificate
	// (x509 authentication) rather than a bearer token.
	Certificate bool
}

// Summary implements sim.Summarizer.
func (n AuthnNote) Summary() string {
	switch {
	case n.Invalid && n.Certificate:
		return "invalid client certificate: 401 Unauthorized"
	case n.Invalid:
		return "invalid bearer token: 401 Unauthorized"
	case n.Certificate:
		return "user " + n.User.String() + " (x509 client certificate)"
	}
	return "user " + n.User.String()
}

// AuthzNote is RBAC's decision on a request.
type AuthzNote struct {
	User                                          string
	Verb, Group, Resource, Subresource, Namespace string
	Allowed                                       bool
	// BindingKind (ClusterRoleBinding or RoleBinding), BindingNamespace and
	// BindingName name the binding that allowed it; RoleKind and RoleName
	// its role, and Rule the rule of it that matched.
	BindingKind, BindingNamespace, BindingName string
	RoleKind, RoleName                         string
	Rule                                       api.PolicyRule
	// Subject is the binding's subject that named the caller (the user,
	// one of its groups, or its service account).
	Subject api.Subject
	// Reason is the denial text, when denied.
	Reason string
}

// Summary implements sim.Summarizer.
func (n AuthzNote) Summary() string {
	if !n.Allowed {
		return "RBAC: denied: " + n.Reason
	}
	if n.BindingKind == "RoleBinding" {
		return fmt.Sprintf("RBAC: allowed by RoleBinding \"%s/%s\" of %s %q", n.BindingNamespace, n.BindingName, n.RoleKind, n.RoleName)
	}
	return fmt.Sprintf("RBAC: allowed by ClusterRoleBinding %q of ClusterRole %q", n.BindingName, n.RoleName)
}

// RuleText prints a policy rule as `kubectl describe role` lists it:
// verbs on resources in API groups.
func RuleText(r api.PolicyRule) string {
	groups := make([]string, len(r.APIGroups))
	for i, g := range r.APIGroups {
		if g == "" {
			g = `""`
		}
		groups[i] = g
	}
	s := fmt.Sprintf("verbs [%s] on resources [%s] in API groups [%s]", strings.Join(r.Verbs, " "), strings.Join(r.Resources, " "), strings.Join(groups, " "))
	if len(r.ResourceNames) > 0 {
		s += " named [" + strings.Join(r.ResourceNames, " ") + "]"
	}
	return s
}

// DefaultsNote lists the fields defaulting filled in.
type DefaultsNote struct {
	Kind, Name string
	Fields     []string // "spec.restartPolicy=Always"
}

// Summary implements sim.Summarizer.
func (n DefaultsNote) Summary() string { return strings.Join(n.Fields, ", ") }

// AdmissionChange is one change a mutating admission plugin made.
type AdmissionChange struct {
	Plugin string // "ServiceAccount", "DefaultTolerationSeconds"
	Change string // "spec.serviceAccountName=default"
}

// AdmissionNote is what the admission chain did to a request.
type AdmissionNote struct {
	Changes []AdmissionChange
	// RejectedBy and Reason are set when a plugin refused the request.
	RejectedBy string
	Reason     string
}

// Summary implements sim.Summarizer.
func (n AdmissionNote) Summary() string {
	if n.RejectedBy != "" {
		if n.RejectedBy == "NamespaceLifecycle" {
			return "NamespaceLifecycle rejected: " + n.Reason
		}
		return "rejected: " + n.Reason
	}
	parts := make([]string, len(n.Changes))
	for i, c := range n.Changes {
		parts[i] = c.Plugin + ": " + c.Change
	}
	return strings.Join(parts, "; ")
}

// ValidationNote is validation's verdict on an object.
type ValidationNote struct {
	Kind, Name string
	// Err is the 422 text when the object was refused.
	Err string
}

// Summary implements sim.Summarizer.
func (n ValidationNote) Summary() string {
	if n.Err != "" {
		return "rejected: " + n.Err
	}
	return fmt.Sprintf("%s %q is valid", n.Kind, n.Name)
}

// AllocationNote is what the Service IP and NodePort allocators gave.
type AllocationNote struct {
	Namespace, Name string
	ClusterIP       string
	NodePorts       []int32
}

// Summary implements sim.Summarizer.
func (n AllocationNote) Summary() string {
	s := fmt.Sprintf("service %s/%s: clusterIP %s", n.Namespace, n.Name, orNone(n.ClusterIP))
	for _, p := range n.NodePorts {
		s += fmt.Sprintf(", nodePort %d", p)
	}
	return s
}

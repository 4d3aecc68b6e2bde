package apiserver

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
)

// UserInfo is the identity authentication establishes.
type UserInfo struct {
	Name   string
	Groups []string
}

func (u UserInfo) String() string {
	return fmt.Sprintf("%q groups=%v", u.Name, u.Groups)
}

// Well-known identities.
const (
	Anonymous             = "system:anonymous"
	GroupAuthenticated    = "system:authenticated"
	GroupUnauthenticated  = "system:unauthenticated"
	GroupMasters          = "system:masters"
	GroupNodes            = "system:nodes"
	GroupServiceAccounts  = "system:serviceaccounts"
	ServiceAccountPrefix  = "system:serviceaccount:"
	ServiceAccountToken   = "sa-token:" // prefix of the simulated service account tokens
	GroupKubeadmClusterAd = "kubeadm:cluster-admins"
)

// ServiceAccountTokenFor returns the bearer token the simulated token
// controller issues for a service account. Real tokens are signed JWTs; the
// simulator's carry the account's name and are checked against the
// ServiceAccount object, which is what matters to authentication.
func ServiceAccountTokenFor(namespace, name string) string {
	return ServiceAccountToken + namespace + ":" + name
}

// authenticate maps a request's credentials to a user: a verified client
// certificate first (CN is the user, each O a group), then the bearer
// token — the static token file, then service account tokens; no
// credential is system:anonymous.
func (s *server) authenticate(token string, cert *apiwire.ClientCertificate) (UserInfo, bool) {
	if cert != nil {
		if cert.CommonName == "" {
			return UserInfo{}, false // the real x509 authenticator refuses an empty CN
		}
		return UserInfo{Name: cert.CommonName, Groups: append(append([]string(nil), cert.Organization...), GroupAuthenticated)}, true
	}
	if token == "" {
		return UserInfo{Name: Anonymous, Groups: []string{GroupUnauthenticated}}, true
	}
	if u, ok := s.cfg.Tokens[token]; ok {
		return UserInfo{Name: u.Name, Groups: append(append([]string(nil), u.Groups...), GroupAuthenticated)}, true
	}
	if rest, ok := strings.CutPrefix(token, ServiceAccountToken); ok {
		ns, name, ok := strings.Cut(rest, ":")
		if !ok {
			return UserInfo{}, false
		}
		if _, exists := s.cache.get(api.KeyFor("serviceaccounts", ns, name)); !exists {
			return UserInfo{}, false
		}
		return UserInfo{
			Name:   ServiceAccountPrefix + ns + ":" + name,
			Groups: []string{GroupServiceAccounts, GroupServiceAccounts + ":" + ns, GroupAuthenticated},
		}, true
	}
	return UserInfo{}, false
}

// attributes is what RBAC decides on.
type attributes struct {
	user        UserInfo
	verb        string
	group       string
	resource    string
	subresource string
	namespace   string
	name        string
}

// forbiddenReason is the real RBAC denial text:
// `User "jane" cannot list resource "pods" in API group "" in the namespace "default"`.
func (a attributes) forbiddenReason() error {
	res := a.resource
	if a.subresource != "" {
		res += "/" + a.subresource
	}
	scope := "at the cluster scope"
	if a.namespace != "" {
		scope = fmt.Sprintf("in the namespace %q", a.namespace)
	}
	return fmt.Errorf("User %q cannot %s resource %q in API group %q %s", a.user.Name, a.verb, res, a.group, scope)
}

// authorize evaluates RBAC from the cached ClusterRoleBindings and the
// RoleBindings of the request's namespace. The decision names the binding,
// role and rule that allowed the request, for the trace.
func (s *server) authorize(a attributes) AuthzNote {
	d := AuthzNote{User: a.user.Name, Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource, Namespace: a.namespace}
	s.cache.list(api.KeyFor("clusterrolebindings", "", ""), func(e *cacheEntry) bool {
		b := e.obj.(*api.ClusterRoleBinding)
		sub, ok := subjectMatching(b.Subjects, a.user, "")
		if !ok {
			return true
		}
		if rule, ok := s.roleAllows(b.RoleRef, "", a); ok {
			d.Allowed, d.BindingKind, d.BindingName, d.RoleKind, d.RoleName, d.Rule, d.Subject = true, "ClusterRoleBinding", b.Name, b.RoleRef.Kind, b.RoleRef.Name, rule, sub
			return false
		}
		return true
	})
	if d.Allowed || a.namespace == "" {
		return d
	}
	s.cache.list(api.KeyFor("rolebindings", a.namespace, ""), func(e *cacheEntry) bool {
		b := e.obj.(*api.RoleBinding)
		sub, ok := subjectMatching(b.Subjects, a.user, b.Namespace)
		if !ok {
			return true
		}
		if rule, ok := s.roleAllows(b.RoleRef, b.Namespace, a); ok {
			d.Allowed, d.BindingKind, d.BindingNamespace, d.BindingName, d.RoleKind, d.RoleName, d.Rule, d.Subject = true, "RoleBinding", b.Namespace, b.Name, b.RoleRef.Kind, b.RoleRef.Name, rule, sub
			return false
		}
		return true
	})
	return d
}

// subjectMatching returns the first subject of a binding that names the
// user, one of its groups, or its service account.
func subjectMatching(subjects []api.Subject, u UserInfo, bindingNS string) (api.Subject, bool) {
	for _, sub := range subjects {
		switch sub.Kind {
		case "User":
			if sub.Name == u.Name {
				return sub, true
			}
		case "Group":
			for _, g := range u.Groups {
				if g == sub.Name {
					return sub, true
				}
			}
		case "ServiceAccount":
			ns := sub.Namespace
			if ns == "" {
				ns = bindingNS
			}
			if u.Name == ServiceAccountPrefix+ns+":"+sub.Name {
				return sub, true
			}
		}
	}
	return api.Subject{}, false
}

func (s *server) roleAllows(ref api.RoleRef, namespace string, a attributes) (api.PolicyRule, bool) {
	var rules []api.PolicyRule
	switch ref.Kind {
	case "ClusterRole":
		e, ok := s.cache.get(api.KeyFor("clusterroles", "", ref.Name))
		if !ok {
			return api.PolicyRule{}, false
		}
		rules = e.obj.(*api.ClusterRole).Rules
	case "Role":
		e, ok := s.cache.get(api.KeyFor("roles", namespace, ref.Name))
		if !ok {
			return api.PolicyRule{}, false
		}
		rules = e.obj.(*api.Role).Rules
	}
	for i := range rules {
		if ruleAllows(&rules[i], a) {
			return rules[i], true
		}
	}
	return api.PolicyRule{}, false
}

func ruleAllows(r *api.PolicyRule, a attributes) bool {
	if !has(r.Verbs, a.verb) || !has(r.APIGroups, a.group) {
		return false
	}
	res := a.resource
	if a.subresource != "" {
		res += "/" + a.subresource
	}
	ok := false
	for _, x := range r.Resources {
		if x == "*" || x == res || (a.subresource != "" && x == "*/"+a.subresource) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	if len(r.ResourceNames) > 0 && !has(r.ResourceNames, a.name) {
		return false
	}
	return true
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v {
			return true
		}
	}
	return false
}

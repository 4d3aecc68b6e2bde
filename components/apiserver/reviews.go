package apiserver

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// The review APIs answer a question from memory and store nothing, as the
// real ones do: SelfSubjectAccessReview and SubjectAccessReview ask RBAC
// about one action (`kubectl auth can-i`), SelfSubjectRulesReview lists
// what RBAC grants in a namespace (`can-i --list`), SelfSubjectReview
// says who the caller is (`kubectl auth whoami`).
//
// Simplifications: the bootstrap ClusterRole and ClusterRoleBinding
// system:basic-user are not stored objects; their grant (every
// authenticated user may create the self reviews) is applied by
// basicUser. kubesim's RBAC has no nonResourceURLs rules; a
// non-resource action is allowed on the public paths system:public-info-viewer
// opens (/healthz, /livez, /readyz, /version) and otherwise only by a rule
// that grants every verb on every resource.

// isReview reports whether a resource is one of the review APIs.
func isReview(info *api.ResourceInfo) bool {
	switch info.Resource {
	case "selfsubjectaccessreviews", "subjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews":
		return true
	}
	return false
}

// isSelfReview reports whether a resource is a review any authenticated
// user may create about itself.
func isSelfReview(info *api.ResourceInfo) bool {
	switch info.Resource {
	case "selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews":
		return true
	}
	return false
}

func hasGroup(u UserInfo, g string) bool {
	for _, x := range u.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// basicUser is the decision of the real bootstrap ClusterRoleBinding
// system:basic-user, which lets every authenticated user create the self
// reviews. kubesim grants it here rather than storing that role and
// binding among its bootstrap objects.
func basicUser(d AuthzNote) AuthzNote {
	d.Allowed, d.Reason = true, ""
	d.BindingKind, d.BindingName, d.RoleKind, d.RoleName = "ClusterRoleBinding", "system:basic-user", "ClusterRole", "system:basic-user"
	d.Rule = api.PolicyRule{APIGroups: []string{d.Group}, Resources: []string{d.Resource}, Verbs: []string{apiwire.VerbCreate}}
	d.Subject = api.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: GroupAuthenticated}
	return d
}

var publicPaths = []string{"/healthz", "/livez", "/readyz", "/version"}

func (s *server) review(r *apiwire.Request, user UserInfo) (*apiwire.Response, error) {
	switch o := r.Object.(type) {
	case *api.SelfSubjectAccessReview:
		out := api.DeepCopy(o)
		st, err := s.accessReview(user, out.Spec.ResourceAttributes, out.Spec.NonResourceAttributes)
		if err != nil {
			return nil, err
		}
		out.Status = st
		return &apiwire.Response{Code: 201, Object: api.SetTypeMeta(out)}, nil
	case *api.SubjectAccessReview:
		out := api.DeepCopy(o)
		if out.Spec.User == "" && len(out.Spec.Groups) == 0 {
			return nil, apierrors.NewInvalid("authorization.k8s.io", "SubjectAccessReview", "", []apierrors.FieldError{apierrors.Invalid("spec.user", "", "at least one of user or group must be specified")})
		}
		st, err := s.accessReview(UserInfo{Name: out.Spec.User, Groups: out.Spec.Groups}, out.Spec.ResourceAttributes, out.Spec.NonResourceAttributes)
		if err != nil {
			return nil, err
		}
		out.Status = st
		return &apiwire.Response{Code: 201, Object: api.SetTypeMeta(out)}, nil
	case *api.SelfSubjectRulesReview:
		out := api.DeepCopy(o)
		out.Status = s.rulesReview(user, out.Spec.Namespace)
		return &apiwire.Response{Code: 201, Object: api.SetTypeMeta(out)}, nil
	case *api.SelfSubjectReview:
		out := api.DeepCopy(o)
		out.Status.UserInfo = api.AuthenticatedUser{Username: user.Name, Groups: append([]string(nil), user.Groups...)}
		return &apiwire.Response{Code: 201, Object: api.SetTypeMeta(out)}, nil
	case nil:
		return nil, apierrors.NewBadRequest("the body of the request is empty")
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("unexpected %s in a review request", o.GetTypeMeta().Kind))
	}
}

func (s *server) accessReview(user UserInfo, ra *api.ResourceAttributes, nra *api.NonResourceAttributes) (api.SubjectAccessReviewStatus, error) {
	switch {
	case ra != nil && nra != nil:
		return api.SubjectAccessReviewStatus{}, apierrors.NewInvalid("authorization.k8s.io", "SelfSubjectAccessReview", "", []apierrors.FieldError{apierrors.Invalid("spec.nonResourceAttributes", "", "cannot be specified in combination with resourceAttributes")})
	case ra == nil && nra == nil:
		return api.SubjectAccessReviewStatus{}, apierrors.NewInvalid("authorization.k8s.io", "SelfSubjectAccessReview", "", []apierrors.FieldError{apierrors.Invalid("spec.resourceAttributes", "", "exactly one of nonResourceAttributes or resourceAttributes must be specified")})
	case nra != nil:
		for _, p := range publicPaths {
			if nra.Path == p && nra.Verb == "get" {
				return api.SubjectAccessReviewStatus{Allowed: true, Reason: `RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:authenticated"`}, nil
			}
		}
		d := s.authorize(attributes{user: user, verb: nra.Verb, group: "*", resource: "*"})
		return accessStatus(d), nil
	}
	d := s.authorize(attributes{user: user, verb: ra.Verb, group: ra.Group, resource: ra.Resource, subresource: ra.Subresource, namespace: ra.Namespace, name: ra.Name})
	return accessStatus(d), nil
}

// accessStatus is RBAC's answer as the review reports it: the binding
// that allowed it, or no reason when nothing did.
func accessStatus(d AuthzNote) api.SubjectAccessReviewStatus {
	if !d.Allowed {
		return api.SubjectAccessReviewStatus{}
	}
	subject := fmt.Sprintf("%s %q", d.Subject.Kind, d.Subject.Name)
	if d.Subject.Kind == "ServiceAccount" {
		subject = fmt.Sprintf("ServiceAccount \"%s/%s\"", d.Subject.Namespace, d.Subject.Name)
	}
	binding := fmt.Sprintf("%s %q", d.BindingKind, d.BindingName)
	if d.BindingNamespace != "" {
		binding = fmt.Sprintf("%s \"%s/%s\"", d.BindingKind, d.BindingName, d.BindingNamespace)
	}
	return api.SubjectAccessReviewStatus{Allowed: true, Reason: fmt.Sprintf("RBAC: allowed by %s of %s %q to %s", binding, d.RoleKind, d.RoleName, subject)}
}

// rulesReview collects the rules of every binding that names the user:
// cluster-wide bindings and those of the namespace.
func (s *server) rulesReview(user UserInfo, namespace string) api.SubjectRulesReviewStatus {
	st := api.SubjectRulesReviewStatus{ResourceRules: []api.ResourceRule{}, NonResourceRules: []api.NonResourceRule{}}
	add := func(ref api.RoleRef, ns string) {
		var rules []api.PolicyRule
		switch ref.Kind {
		case "ClusterRole":
			if e, ok := s.cache.get(api.KeyFor("clusterroles", "", ref.Name)); ok {
				rules = e.obj.(*api.ClusterRole).Rules
			}
		case "Role":
			if e, ok := s.cache.get(api.KeyFor("roles", ns, ref.Name)); ok {
				rules = e.obj.(*api.Role).Rules
			}
		}
		for _, r := range rules {
			st.ResourceRules = append(st.ResourceRules, api.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
			if has(r.Verbs, "*") && has(r.Resources, "*") {
				st.NonResourceRules = append(st.NonResourceRules, api.NonResourceRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}})
			}
		}
	}
	s.cache.list(api.KeyFor("clusterrolebindings", "", ""), func(e *cacheEntry) bool {
		b := e.obj.(*api.ClusterRoleBinding)
		if _, ok := subjectMatching(b.Subjects, user, ""); ok {
			add(b.RoleRef, "")
		}
		return true
	})
	if namespace != "" {
		s.cache.list(api.KeyFor("rolebindings", namespace, ""), func(e *cacheEntry) bool {
			b := e.obj.(*api.RoleBinding)
			if _, ok := subjectMatching(b.Subjects, user, b.Namespace); ok {
				add(b.RoleRef, b.Namespace)
			}
			return true
		})
	}
	if hasGroup(user, GroupAuthenticated) {
		// system:basic-user's rules (see basicUser).
		st.ResourceRules = append(st.ResourceRules,
			api.ResourceRule{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}},
			api.ResourceRule{Verbs: []string{"create"}, APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}})
	}
	st.NonResourceRules = append(st.NonResourceRules, api.NonResourceRule{Verbs: []string{"get"}, NonResourceURLs: append([]string(nil), publicPaths...)})
	return st
}

// impersonate checks the RBAC `impersonate` verb for the identity the
// Impersonate-User and Impersonate-Group headers ask for, as the real
// apiserver's impersonation filter does, and returns it.
func (s *server) impersonate(caller UserInfo, imp *apiwire.Impersonation) (UserInfo, error) {
	check := func(group, resource, namespace, name string) error {
		a := attributes{user: caller, verb: "impersonate", group: group, resource: resource, namespace: namespace, name: name}
		if d := s.authorize(a); !d.Allowed {
			return apierrors.NewForbidden(group, resource, name, a.forbiddenReason())
		}
		return nil
	}
	out := UserInfo{Name: imp.User}
	if rest, ok := strings.CutPrefix(imp.User, ServiceAccountPrefix); ok {
		ns, name, _ := strings.Cut(rest, ":")
		if err := check("", "serviceaccounts", ns, name); err != nil {
			return UserInfo{}, err
		}
		out.Groups = []string{GroupServiceAccounts, GroupServiceAccounts + ":" + ns}
	} else if err := check("", "users", "", imp.User); err != nil {
		return UserInfo{}, err
	}
	for _, g := range imp.Groups {
		if err := check("", "groups", "", g); err != nil {
			return UserInfo{}, err
		}
		out.Groups = append(out.Groups, g)
	}
	if imp.User != Anonymous {
		out.Groups = append(out.Groups, GroupAuthenticated)
	}
	return out, nil
}

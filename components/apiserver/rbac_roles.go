package apiserver

import "github.com/kubesim/kubesim/components/api"

// The user-facing ClusterRoles admin, edit and view, as the real
// bootstrap policy defines them (kube-apiserver's
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy): each is an aggregated
// role with an aggregationRule selecting the ClusterRoles labelled
// rbac.authorization.k8s.io/aggregate-to-<role>; the rules themselves live
// in system:aggregate-to-admin, -edit and -view. view is labelled
// aggregate-to-edit and edit aggregate-to-admin, so edit holds view's
// rules and admin holds edit's.
//
//   - view reads most namespaced objects, but not Secrets, Roles or
//     RoleBindings;
//   - edit adds writing them, Secrets, exec/attach/port-forward and
//     impersonating service accounts, but not Roles or RoleBindings (and,
//     since v1.22, not writing Endpoints or EndpointSlices);
//   - admin adds Roles, RoleBindings and localsubjectaccessreviews.
//
// Simplification: kubesim runs no clusterrole-aggregation controller. The
// bootstrap folds the selected roles' rules into admin, edit and view once,
// as the controller's first sync would; a ClusterRole labelled
// aggregate-to-* created later is not folded in.

const (
	labelAggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
	labelAggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	labelAggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"
)

func userFacingRoles() []*api.ClusterRole {
	read := []string{"get", "list", "watch"}
	write := []string{"create", "delete", "deletecollection", "patch", "update"}
	readWrite := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	rule := func(groups []string, resources []string, verbs []string) api.PolicyRule {
		return api.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
	}
	core := []string{""}
	role := func(name string, labels map[string]string, aggregates string, rules []api.PolicyRule) *api.ClusterRole {
		l := map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
		for k, v := range labels {
			l[k] = v
		}
		r := &api.ClusterRole{TypeMeta: api.TypeMeta{Kind: "ClusterRole", APIVersion: "rbac.authorization.k8s.io/v1"},
			ObjectMeta: api.ObjectMeta{Name: name, Labels: l, Annotations: map[string]string{"rbac.authorization.kubernetes.io/autoupdate": "true"}},
			Rules:      rules}
		if aggregates != "" {
			r.AggregationRule = &api.AggregationRule{ClusterRoleSelectors: []api.LabelSelector{{MatchLabels: map[string]string{aggregates: "true"}}}}
		}
		return r
	}
	roles := []*api.ClusterRole{
		role("admin", nil, labelAggregateToAdmin, nil),
		role("edit", map[string]string{labelAggregateToAdmin: "true"}, labelAggregateToEdit, nil),
		role("view", map[string]string{labelAggregateToEdit: "true"}, labelAggregateToView, nil),
		role("system:aggregate-to-admin", map[string]string{labelAggregateToAdmin: "true"}, "", []api.PolicyRule{
			rule([]string{"authorization.k8s.io"}, []string{"localsubjectaccessreviews"}, []string{"create"}),
			rule([]string{"rbac.authorization.k8s.io"}, []string{"rolebindings", "roles"}, readWrite),
		}),
		role("system:aggregate-to-edit", map[string]string{labelAggregateToEdit: "true"}, "", []api.PolicyRule{
			rule(core, []string{"pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"}, read),
			rule(core, []string{"serviceaccounts"}, []string{"impersonate"}),
			rule(core, []string{"pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"}, write),
			rule(core, []string{"pods/eviction"}, []string{"create"}),
			rule(core, []string{"configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"}, write),
			rule(core, []string{"serviceaccounts/token"}, []string{"create"}),
			rule([]string{"apps"}, []string{"daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"}, write),
			rule([]string{"autoscaling"}, []string{"horizontalpodautoscalers"}, write),
			rule([]string{"batch"}, []string{"cronjobs", "jobs"}, write),
			rule([]string{"extensions"}, []string{"daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"}, write),
			rule([]string{"policy"}, []string{"poddisruptionbudgets"}, write),
			rule([]string{"networking.k8s.io"}, []string{"ingresses", "networkpolicies"}, write),
			rule([]string{"coordination.k8s.io"}, []string{"leases"}, readWrite),
		}),
		role("system:aggregate-to-view", map[string]string{labelAggregateToView: "true"}, "", []api.PolicyRule{
			rule(core, []string{"configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"}, read),
			rule(core, []string{"bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"}, read),
			rule(core, []string{"namespaces"}, read),
			rule([]string{"discovery.k8s.io"}, []string{"endpointslices"}, read),
			rule([]string{"apps"}, []string{"controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"}, read),
			rule([]string{"autoscaling"}, []string{"horizontalpodautoscalers", "horizontalpodautoscalers/status"}, read),
			rule([]string{"batch"}, []string{"cronjobs", "cronjobs/status", "jobs", "jobs/status"}, read),
			rule([]string{"extensions"}, []string{"daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"}, read),
			rule([]string{"policy"}, []string{"poddisruptionbudgets", "poddisruptionbudgets/status"}, read),
			rule([]string{"networking.k8s.io"}, []string{"ingresses", "ingresses/status", "networkpolicies"}, read),
		}),
	}
	aggregate(roles)
	return roles
}

// aggregate fills the rules of every role with an aggregationRule from the
// roles its selectors match, in the order of roles, repeating until nothing
// changes (view feeds edit, edit feeds admin), as the aggregation
// controller converges.
func aggregate(roles []*api.ClusterRole) {
	for changed := true; changed; {
		changed = false
		for _, r := range roles {
			if r.AggregationRule == nil {
				continue
			}
			var rules []api.PolicyRule
			for _, sel := range r.AggregationRule.ClusterRoleSelectors {
				for _, other := range roles {
					if other != r && api.SelectorMatches(&sel, other.Labels) {
						for _, rule := range other.Rules {
							if !containsRule(rules, rule) {
								rules = append(rules, rule)
							}
						}
					}
				}
			}
			if len(rules) != len(r.Rules) {
				r.Rules, changed = rules, true
			}
		}
	}
}

func containsRule(rules []api.PolicyRule, r api.PolicyRule) bool {
	for _, x := range rules {
		if equalStrings(x.Verbs, r.Verbs) && equalStrings(x.APIGroups, r.APIGroups) && equalStrings(x.Resources, r.Resources) &&
			equalStrings(x.ResourceNames, r.ResourceNames) && equalStrings(x.NonResourceURLs, r.NonResourceURLs) {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package apiserver

import "github.com/kubesim/kubesim/components/api"

// DefaultBootstrap is what a fresh kube-apiserver ensures exists, as its
// post-start hooks and kubeadm do: the system namespaces and the bootstrap
// RBAC policy, with the real names, and the system PriorityClasses.
//
// Simplification: the real control plane authorizes kubelets with the Node
// authorizer and runs each controller under its own service account; here
// the system:node and system:kube-controller-manager roles carry those
// rights.
func DefaultBootstrap() []api.Object {
	var out []api.Object
	for _, ns := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		out = append(out, &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns}}})
	}
	out = append(out, kubernetesService())
	for _, pc := range api.SystemPriorityClasses() {
		out = append(out, pc)
	}
	all := []api.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}
	read := []string{"get", "list", "watch"}
	write := []string{"create", "update", "patch", "delete"}
	rw := append(append([]string(nil), read...), write...)
	roles := []struct {
		name  string
		rules []api.PolicyRule
	}{
		{"cluster-admin", all},
		{"system:kube-scheduler", []api.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "nodes", "namespaces", "services", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers"}, Verbs: read},
			{APIGroups: []string{"apps"}, Resources: []string{"replicasets", "statefulsets"}, Verbs: read},
			{APIGroups: []string{""}, Resources: []string{"pods/binding", "bindings"}, Verbs: []string{"create"}},
			{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch", "update"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete"}},
			{APIGroups: []string{"policy"}, Resources: []string{"poddisruptionbudgets"}, Verbs: read},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: append(rw, "create")},
		}},
		{"system:volume-scheduler", []api.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"persistentvolumes"}, Verbs: []string{"get", "list", "patch", "update", "watch"}},
			{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: read},
			{APIGroups: []string{""}, Resources: []string{"persistentvolumeclaims"}, Verbs: []string{"get", "list", "patch", "update", "watch"}},
		}},
		{"system:kube-controller-manager", all},
		{"system:node", []api.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/status"}, Verbs: rw},
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/status"}, Verbs: rw},
			{APIGroups: []string{""}, Resources: []string{"services", "endpoints", "configmaps", "secrets", "namespaces", "serviceaccounts"}, Verbs: read},
			{APIGroups: []string{""}, Resources: []string{"persistentvolumeclaims", "persistentvolumes"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: rw},
			{APIGroups: []string{"cilium.io"}, Resources: []string{"*"}, Verbs: rw},
		}},
		{"system:node-proxier", []api.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services", "endpoints", "nodes"}, Verbs: read},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		}},
		{"system:coredns", []api.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"endpoints", "services", "pods", "namespaces"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
		}},
		{"cilium", []api.PolicyRule{
			{APIGroups: []string{"", "networking.k8s.io", "discovery.k8s.io"}, Resources: []string{"pods", "namespaces", "nodes", "services", "endpoints", "endpointslices", "networkpolicies"}, Verbs: read},
			{APIGroups: []string{"cilium.io"}, Resources: []string{"*"}, Verbs: rw},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		}},
		{"cilium-operator", []api.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "nodes", "namespaces", "services", "endpoints"}, Verbs: read},
			{APIGroups: []string{"cilium.io"}, Resources: []string{"*"}, Verbs: rw},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: rw},
		}},
	}
	for _, r := range roles {
		out = append(out, &api.ClusterRole{TypeMeta: api.TypeMeta{Kind: "ClusterRole", APIVersion: "rbac.authorization.k8s.io/v1"},
			ObjectMeta: api.ObjectMeta{Name: r.name, Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}}, Rules: r.rules})
	}
	for _, r := range userFacingRoles() {
		out = append(out, r)
	}
	bindings := []struct {
		name, role string
		subject    api.Subject
	}{
		{"cluster-admin", "cluster-admin", api.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: GroupMasters}},
		{"kubeadm:cluster-admins", "cluster-admin", api.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: GroupKubeadmClusterAd}},
		{"system:kube-scheduler", "system:kube-scheduler", api.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "system:kube-scheduler"}},
		{"system:volume-scheduler", "system:volume-scheduler", api.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "system:kube-scheduler"}},
		{"system:kube-controller-manager", "system:kube-controller-manager", api.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "system:kube-controller-manager"}},
		{"system:node", "system:node", api.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: GroupNodes}},
		{"kubeadm:node-proxier", "system:node-proxier", api.Subject{Kind: "ServiceAccount", Name: "kube-proxy", Namespace: "kube-system"}},
		{"system:coredns", "system:coredns", api.Subject{Kind: "ServiceAccount", Name: "coredns", Namespace: "kube-system"}},
		{"cilium", "cilium", api.Subject{Kind: "ServiceAccount", Name: "cilium", Namespace: "kube-system"}},
		{"cilium-operator", "cilium-operator", api.Subject{Kind: "ServiceAccount", Name: "cilium-operator", Namespace: "kube-system"}},
	}
	for _, b := range bindings {
		out = append(out, &api.ClusterRoleBinding{TypeMeta: api.TypeMeta{Kind: "ClusterRoleBinding", APIVersion: "rbac.authorization.k8s.io/v1"},
			ObjectMeta: api.ObjectMeta{Name: b.name, Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
			Subjects:   []api.Subject{b.subject}, RoleRef: api.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: b.role}})
	}
	return out
}

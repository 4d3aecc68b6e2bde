package apiserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUserFacingRolesAggregateAsTheRealOnes(t *testing.T) {
	byName := map[string]int{}
	list := userFacingRoles()
	for i, r := range list {
		byName[r.Name] = i
	}
	allows := func(role, verb, group, resource, sub string) bool {
		r := list[byName[role]]
		a := attributes{verb: verb, group: group, resource: resource, subresource: sub, namespace: "alice"}
		for i := range r.Rules {
			if ruleAllows(&r.Rules[i], a) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name                  string
		verb, group, resource string
		sub                   string
		wantView              bool
		wantEdit              bool
		wantAdmin             bool
	}{
		{"list pods", "list", "", "pods", "", true, true, true},
		{"create pods", "create", "", "pods", "", false, true, true},
		{"read secrets", "get", "", "secrets", "", false, true, true},
		{"exec", "create", "", "pods", "exec", false, true, true},
		{"read logs", "get", "", "pods", "log", true, true, true},
		{"scale a deployment", "update", "apps", "deployments", "scale", false, true, true},
		{"write endpointslices (not since v1.22)", "create", "discovery.k8s.io", "endpointslices", "", false, false, false},
		{"read endpointslices", "list", "discovery.k8s.io", "endpointslices", "", true, true, true},
		{"create rolebindings", "create", "rbac.authorization.k8s.io", "rolebindings", "", false, false, true},
		{"read roles", "get", "rbac.authorization.k8s.io", "roles", "", false, false, true},
		{"write resourcequotas", "update", "", "resourcequotas", "", false, false, false},
		{"delete nodes", "delete", "", "nodes", "", false, false, false},
		{"list nodes", "list", "", "nodes", "", false, false, false},
		{"impersonate service accounts", "impersonate", "", "serviceaccounts", "", false, true, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.wantView, allows("view", tt.verb, tt.group, tt.resource, tt.sub), "view: %s", tt.name)
		assert.Equal(t, tt.wantEdit, allows("edit", tt.verb, tt.group, tt.resource, tt.sub), "edit: %s", tt.name)
		assert.Equal(t, tt.wantAdmin, allows("admin", tt.verb, tt.group, tt.resource, tt.sub), "admin: %s", tt.name)
	}

	admin, edit, view := list[byName["admin"]], list[byName["edit"]], list[byName["view"]]
	require.NotNil(t, admin.AggregationRule)
	assert.Equal(t, map[string]string{"rbac.authorization.k8s.io/aggregate-to-admin": "true"}, admin.AggregationRule.ClusterRoleSelectors[0].MatchLabels)
	assert.Equal(t, "true", edit.Labels["rbac.authorization.k8s.io/aggregate-to-admin"])
	assert.Equal(t, "true", view.Labels["rbac.authorization.k8s.io/aggregate-to-edit"])
	assert.Equal(t, "true", list[byName["system:aggregate-to-view"]].Labels["rbac.authorization.k8s.io/aggregate-to-view"])
	assert.Len(t, view.Rules, len(list[byName["system:aggregate-to-view"]].Rules), "view is exactly system:aggregate-to-view")
	assert.Len(t, edit.Rules, len(view.Rules)+len(list[byName["system:aggregate-to-edit"]].Rules))
	assert.Len(t, admin.Rules, len(edit.Rules)+len(list[byName["system:aggregate-to-admin"]].Rules))
}

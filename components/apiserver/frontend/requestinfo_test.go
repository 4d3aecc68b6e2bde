package frontend

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewRequestInfo(t *testing.T) {
	tests := []struct {
		name, method, url string
		want              RequestInfo
	}{
		{"list", "GET", "/api/v1/namespaces/alice/pods?limit=500", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/alice/pods", Verb: "list", APIVersion: "v1", Namespace: "alice", Resource: "pods"}},
		{"get", "GET", "/api/v1/namespaces/alice/pods/web", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/alice/pods/web", Verb: "get", APIVersion: "v1", Namespace: "alice", Resource: "pods", Name: "web"}},
		{"watch", "GET", "/apis/apps/v1/namespaces/alice/deployments?watch=true", RequestInfo{IsResourceRequest: true, Path: "/apis/apps/v1/namespaces/alice/deployments", Verb: "watch", APIGroup: "apps", APIVersion: "v1", Namespace: "alice", Resource: "deployments"}},
		{"create", "POST", "/api/v1/namespaces/alice/pods", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/alice/pods", Verb: "create", APIVersion: "v1", Namespace: "alice", Resource: "pods"}},
		{"subresource", "PUT", "/apis/apps/v1/namespaces/alice/deployments/web/scale", RequestInfo{IsResourceRequest: true, Path: "/apis/apps/v1/namespaces/alice/deployments/web/scale", Verb: "update", APIGroup: "apps", APIVersion: "v1", Namespace: "alice", Resource: "deployments", Name: "web", Subresource: "scale"}},
		{"patch", "PATCH", "/api/v1/nodes/worker-1", RequestInfo{IsResourceRequest: true, Path: "/api/v1/nodes/worker-1", Verb: "patch", APIVersion: "v1", Resource: "nodes", Name: "worker-1"}},
		{"delete", "DELETE", "/api/v1/nodes/worker-1", RequestInfo{IsResourceRequest: true, Path: "/api/v1/nodes/worker-1", Verb: "delete", APIVersion: "v1", Resource: "nodes", Name: "worker-1"}},
		{"deletecollection", "DELETE", "/api/v1/namespaces/alice/pods", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/alice/pods", Verb: "deletecollection", APIVersion: "v1", Namespace: "alice", Resource: "pods"}},
		{"a namespace is in itself", "GET", "/api/v1/namespaces/alice", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/alice", Verb: "get", APIVersion: "v1", Namespace: "alice", Resource: "namespaces", Name: "alice"}},
		{"namespace status", "PUT", "/api/v1/namespaces/alice/status", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/alice/status", Verb: "update", APIVersion: "v1", Namespace: "alice", Resource: "namespaces", Name: "alice", Subresource: "status"}},
		{"discovery", "GET", "/apis/apps/v1", RequestInfo{Path: "/apis/apps/v1", Verb: "get"}},
		{"version", "GET", "/version", RequestInfo{Path: "/version", Verb: "get"}},
		{"core discovery", "GET", "/api/v1", RequestInfo{Path: "/api/v1", Verb: "get"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NewRequestInfo(httptest.NewRequest(tt.method, tt.url, nil)), tt.name)
	}
}

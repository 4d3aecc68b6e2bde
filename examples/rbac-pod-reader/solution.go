//go:build solution

package rbacpodreader

// Manifest grants exactly the read verbs (get, list, watch) on pods, in
// team-a only: a Role and a RoleBinding are namespaced, so nothing is
// granted in other namespaces, and RBAC denies whatever no rule allows.
const Manifest = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: team-a
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: viewer-reads-pods
  namespace: team-a
subjects:
- kind: ServiceAccount
  name: viewer
  namespace: team-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
`

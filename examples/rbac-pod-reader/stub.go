//go:build !solution

package rbacpodreader

// Manifest grants the ServiceAccount viewer of namespace team-a what a
// dashboard needs: reading pods in team-a. It must not let viewer change
// or delete anything, nor read anything else.
//
// The first attempt below works for the dashboard... and for much more.
const Manifest = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: team-a
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["*"]
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

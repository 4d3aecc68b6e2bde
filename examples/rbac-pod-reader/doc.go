// Package rbacpodreader is an exercise on kube-apiserver's RBAC
// authorizer: grant a ServiceAccount read access to the pods of one
// namespace, and nothing more. See README.md.
package rbacpodreader

// Package realclients holds the tests that drive `kubesim serve` with the
// real Go clients of Kubernetes — client-go and controller-runtime with
// their default settings (protobuf bodies, streaming lists, informers,
// leader election, server-side apply) — and with the real kubectl for the
// verbs that need more than plain CRUD (explain, auth can-i, auth whoami,
// apply --server-side, diff). It has no code of its own: k8s.io/client-go
// and sigs.k8s.io/controller-runtime are test dependencies only.
package realclients

// Package pendingpod is an exercise on kube-scheduler's Filter plugins:
// read why two pods stay Pending (FailedScheduling) and fix their
// manifests — a toleration for a tainted node pool, a request that was
// mistyped. See README.md.
package pendingpod

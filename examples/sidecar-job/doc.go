// Package sidecarjob is an exercise on the kubelet's container lifecycle:
// a run-to-completion pod that never completes because of its sidecar,
// fixed with a native sidecar (an init container with restartPolicy
// Always). See README.md.
package sidecarjob

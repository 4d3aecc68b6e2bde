//go:build solution

package sidecarjob

// Manifest runs the log shipper as a native sidecar (Kubernetes 1.29+):
// an init container with restartPolicy Always. The kubelet starts init
// containers in order — migrate to completion, then log-shipper, which
// only has to start, not finish — and then the pod's containers. When the
// report exits, a Never (or OnFailure) pod's sidecars are stopped and the
// pod Succeeds. As a regular container the shipper would run forever and
// the pod would stay Running: the classic "my Job never finishes" of
// service-mesh and log sidecars.
const Manifest = `apiVersion: v1
kind: Pod
metadata:
  name: nightly-report
  annotations:
    kubesim.io/behavior: |
      report: {exitAfter: 30s, exitCode: 0, logs: ["report: 1204 rows"]}
      log-shipper: {logs: ["shipping /var/log/report"]}
spec:
  restartPolicy: Never
  initContainers:
  - name: migrate
    image: registry.example.com/migrate:1.4
  - name: log-shipper
    image: fluent/fluent-bit:3.1
    restartPolicy: Always
  containers:
  - name: report
    image: registry.example.com/report:2.1
`

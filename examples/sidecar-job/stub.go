//go:build !solution

package sidecarjob

// Manifest is a nightly report: migrate the schema, then run the report,
// with a log shipper beside it that must be up before the report prints
// its first line. The kubesim.io/behavior annotation says how the
// simulated processes behave (the report finishes after 30s; the shipper
// runs until it is stopped). As it is, the pod never completes.
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
  containers:
  - name: report
    image: registry.example.com/report:2.1
  - name: log-shipper
    image: fluent/fluent-bit:3.1
`

//go:build !solution

package pendingpod

// Manifest holds the two pods. Both stay Pending as they are: read their
// FailedScheduling events (go test prints them) and fix the manifest.
//
//   - report is a batch job that needs 3 CPUs. The batch node pool is
//     where it belongs.
//   - cache uses 3Gi of memory at its peak.
const Manifest = `apiVersion: v1
kind: Pod
metadata:
  name: report
spec:
  containers:
  - name: report
    image: busybox:1.36
    command: ["sleep", "infinity"]
    resources:
      requests:
        cpu: "3"
        memory: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  containers:
  - name: redis
    image: redis:7.4
    resources:
      requests:
        cpu: 500m
        memory: 30Gi
`

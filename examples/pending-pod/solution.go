//go:build solution

package pendingpod

// Manifest holds the two pods, fixed:
//
//   - report fits only on batch-1 (the only node with 3 free CPUs), whose
//     taint dedicated=batch:NoSchedule keeps out every pod that does not
//     tolerate it: the toleration names that taint exactly, so the pod
//     still may not land on the control plane.
//   - cache asked for 30Gi, more than any node has: the request is what
//     the pod uses, 3Gi.
const Manifest = `apiVersion: v1
kind: Pod
metadata:
  name: report
spec:
  tolerations:
  - key: dedicated
    operator: Equal
    value: batch
    effect: NoSchedule
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
        memory: 3Gi
`

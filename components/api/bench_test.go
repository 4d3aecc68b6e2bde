package api

import (
	"os"
	"testing"
)

func BenchmarkDeepCopyTypicalPod(b *testing.B) {
	objs, err := DecodeManifests("p.yaml", []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
  labels: {app: web, pod-template-hash: abc}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web, uid: u, controller: true}]
spec:
  containers:
  - name: main
    image: nginx
    ports: [{containerPort: 80}]
    resources: {requests: {cpu: 100m, memory: 64Mi}}
  tolerations:
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
status:
  phase: Running
  podIP: 10.244.1.5
  conditions: [{type: Ready, status: "True"}]
`))
	if err != nil {
		b.Fatal(err)
	}
	pod := objs[0].(*Pod)
	b.ReportAllocs()
	for b.Loop() {
		_ = DeepCopy(pod)
	}
}

func BenchmarkDecodeManifests(b *testing.B) {
	data, err := os.ReadFile("testdata/all-kinds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeManifests("all-kinds.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToJSONPod(b *testing.B) {
	var pod Object
	for _, o := range loadAllKinds(b) {
		if _, ok := o.(*Pod); ok {
			pod = o
			break
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToJSON(pod); err != nil {
			b.Fatal(err)
		}
	}
}

package simtest_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/simtest"
)

// Boot a cluster, apply a Deployment, wait for its pods and read where
// they run. In a test, pass the test's t to Start; the example captures
// a testing.TB of its own.
func Example() {
	simtest.Capture("Example", func(t testing.TB) {
		k := simtest.Start(t, simtest.Workers("worker-1", "worker-2"))
		k.Apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: nginx:1.27
`)
		var nodes []string
		for _, p := range k.WaitForPodsRunning("app=web", 2, 2*time.Minute) {
			nodes = append(nodes, p.Spec.NodeName)
		}
		slices.Sort(nodes)
		fmt.Println("Running on", nodes)
	})
	// Output:
	// Running on [worker-1 worker-2]
}

// Apply a manifest and read the part of the trace it caused: kubectl's
// request and the apiserver's answer.
func ExampleKit_Trace() {
	simtest.Capture("ExampleKit_Trace", func(t testing.TB) {
		k := simtest.Start(t)
		mark := k.Trace().Total()
		k.Apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {color: blue}\n")
		for _, r := range k.Trace().Since(mark) {
			if r.From == "kubectl" || r.To == "kubectl" {
				fmt.Println(r.Event, r.From, "->", r.To, r.Kind)
			}
		}
	})
	// Output:
	// deliver kubectl -> kube-apiserver-cp-1 request
	// reply kube-apiserver-cp-1 -> kubectl request
}

// Step the kernel one event at a time: each Step delivers exactly one
// message (or fires one timer), and the trace says which.
func ExampleKit_Kernel() {
	simtest.Capture("ExampleKit_Kernel", func(t testing.TB) {
		k := simtest.Start(t)
		k.Admin().Caller().Send("kube-apiserver-cp-1", "ping", "hello")
		for k.Kernel().Step() {
			r := k.Trace().Tail(1)[0]
			if r.Event == sim.EventDeliver && r.From == "kubectl" {
				fmt.Println(r.From, "->", r.To, r.Kind)
				break
			}
		}
	})
	// Output:
	// kubectl -> kube-apiserver-cp-1 ping
}

// A failed expectation reports what was expected, what the cluster shows
// and how the trace ends. Capture keeps the report instead of failing.
func ExampleCapture() {
	rec := simtest.Capture("TestPending", func(t testing.TB) {
		k := simtest.Start(t, simtest.Workers("worker-1"))
		k.Apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: main\n    image: nginx:1.27\n    resources:\n      requests: {cpu: \"32\"}\n")
		k.WaitForPodPhase("big", "Running", 30*time.Second)
	})
	fmt.Println(rec.Failed())
	for _, want := range []string{"expected: pod default/big in phase Running", "FailedScheduling", "Insufficient cpu", "last 20 trace records"} {
		fmt.Println(want, containsText(rec.Report(), want))
	}
	// Output:
	// true
	// expected: pod default/big in phase Running true
	// FailedScheduling true
	// Insufficient cpu true
	// last 20 trace records true
}

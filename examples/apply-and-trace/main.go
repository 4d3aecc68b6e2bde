// Command apply-and-trace boots a simulated cluster, applies a Pod manifest
// and prints every message the request caused, from kubectl to etcd and
// back. It is the smallest program on kubesim's public API.
//
//	go run ./examples/apply-and-trace
package main

import (
	"fmt"
	"os"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "infinity"]
`

func main() {
	c, err := cluster.New(cluster.Config{Seed: 42})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Stop()

	before := c.K.Trace().Total()
	results, err := c.Apply("hello.yaml", []byte(manifest))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, r := range results {
		fmt.Println(r)
	}
	var flow []sim.Record
	for _, r := range c.K.Trace().Since(before) {
		if r.Event != sim.EventTimer {
			flow = append(flow, r)
		}
	}
	sim.WriteText(os.Stdout, flow)
}

package cluster_test

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Boot a cluster, apply a manifest and read the object back.
func Example() {
	c, err := cluster.New(cluster.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	defer c.Stop()
	res, err := c.Apply("web.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    image: nginx:1.27\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0])
	pod, _ := client.Get[*api.Pod](c.Admin, "default", "web")
	fmt.Println(pod.Status.Phase, pod.Spec.ServiceAccountName)
	// Output:
	// pod/web created
	// Pending default
}

// A manifest with a mistake is refused before anything is sent, with the
// file, line and field.
func ExampleCluster_Apply_strict() {
	c, _ := cluster.New(cluster.Config{Seed: 1})
	defer c.Stop()
	_, err := c.Apply("web.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    imagee: nginx\n"))
	fmt.Println(err)
	// Output:
	// web.yaml:8:5: Pod "web": unknown field "spec.containers[0].imagee"
}

// Step the kernel and read the trace: every delivery, in order.
func ExampleCluster_trace() {
	c, _ := cluster.New(cluster.Config{Seed: 1})
	defer c.Stop()
	from := c.K.Trace().Total()
	c.Admin.Create(&api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "cfg", Namespace: "default"}})
	for _, r := range c.K.Trace().Since(from) {
		if r.Event == sim.EventDeliver || r.Event == sim.EventReply {
			fmt.Printf("%s %s -> %s %s\n", r.Event, r.From, r.To, r.Kind)
		}
	}
	// Output:
	// deliver kubectl -> kube-apiserver-cp-1 request
	// deliver kube-apiserver-cp-1 -> etcd-cp-1 Txn
	// deliver etcd-cp-1 -> kube-apiserver-cp-1 WatchResponse
	// reply etcd-cp-1 -> kube-apiserver-cp-1 Txn
	// reply kube-apiserver-cp-1 -> kubectl request
}

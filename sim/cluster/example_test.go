package cluster_test

import (
	"fmt"
	"regexp"

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

var revision = regexp.MustCompile(`(revision |resourceVersion=)\d+`)

// Step the kernel and read the trace: every delivery between kubectl's
// request and its reply that involves kubectl, kube-apiserver or etcd.
func ExampleCluster_trace() {
	c, _ := cluster.New(cluster.Config{Seed: 1})
	defer c.Stop()
	from := c.K.Trace().Total()
	c.Admin.Create(&api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "cfg", Namespace: "default"}})
	involved := map[string]bool{"kubectl": true, "kube-apiserver-cp-1": true, "etcd-cp-1": true}
	for _, r := range c.K.Trace().Since(from) {
		if (r.Event == sim.EventDeliver || r.Event == sim.EventReply) && involved[r.From] && involved[r.To] {
			// Revision numbers depend on everything the cluster wrote before.
			summary := revision.ReplaceAllString(r.Summary(), "${1}N")
			fmt.Printf("%s %s -> %s %s: %s\n", r.Event, r.From, r.To, r.Kind, summary)
		}
	}
	// Output:
	// deliver kubectl -> kube-apiserver-cp-1 request: POST /api/v1/namespaces/default/configmaps (cfg)
	// deliver kube-apiserver-cp-1 -> etcd-cp-1 Txn: if mod_revision(/registry/configmaps/default/cfg) = 0 then put /registry/configmaps/default/cfg
	// deliver etcd-cp-1 -> kube-apiserver-cp-1 WatchResponse: PUT /registry/configmaps/default/cfg (revision N)
	// reply etcd-cp-1 -> kube-apiserver-cp-1 Txn: succeeded, revision N
	// reply kube-apiserver-cp-1 -> kubectl request: 201 Created default/cfg resourceVersion=N
}

package api_test

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
)

func ExampleDecodeManifests() {
	objs, err := api.DecodeManifests("web.yaml", []byte(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: main
    image: nginx
    resources: {requests: {cpu: "0.5"}}
---
{apiVersion: "v1", kind: "Pod", metadata: {name: "typo"}, spec: {containers: [{name: "main", imagee: "nginx"}]}}
`))
	fmt.Println(len(objs), err)
	// Output:
	// 0 web.yaml:11:94: Pod "typo": unknown field "spec.containers[0].imagee"
}

func ExampleParseSelector() {
	sel, err := api.ParseSelector("tier in (fe,be),app=web,!canary")
	if err != nil {
		panic(err)
	}
	fmt.Println(sel.String())
	fmt.Println(sel.Matches(map[string]string{"app": "web", "tier": "fe"}))
	// Output:
	// app=web,!canary,tier in (be,fe)
	// true
}

func ExampleDeepCopy() {
	shared := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}}}
	mine := api.DeepCopy(shared) // never modify a shared object in place
	mine.Labels["app"] = "db"
	fmt.Println(shared.Labels["app"], mine.Labels["app"])
	// Output: web db
}

func ExampleToYAML() {
	y, _ := api.ToYAML(&api.ConfigMap{
		ObjectMeta: api.ObjectMeta{Name: "cfg", Namespace: "default"},
		Data:       map[string]string{"mode": "fast", "replicas": "3"},
	})
	fmt.Print(string(y))
	// Output:
	// apiVersion: v1
	// data:
	//   mode: fast
	//   replicas: "3"
	// kind: ConfigMap
	// metadata:
	//   creationTimestamp: null
	//   name: cfg
	//   namespace: default
}

func ExampleParseQuantity() {
	for _, s := range []string{"1000m", "0.5", "1024Mi", "1536Mi", "1e3"} {
		q := api.MustParseQuantity(s)
		fmt.Println(s, "->", q.String(), q.MilliValue())
	}
	// Output:
	// 1000m -> 1 1000
	// 0.5 -> 500m 500
	// 1024Mi -> 1Gi 1073741824000
	// 1536Mi -> 1536Mi 1610612736000
	// 1e3 -> 1e3 1000000
}

package apiserver

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// FuzzApplyPatch feeds every patch type arbitrary bodies against a Pod and
// a Deployment: a patch that cannot apply is a Status error (400, 415,
// 422), never a panic or a 500.
func FuzzApplyPatch(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"labels":{"tier":"front","app":null}}}`,
		`{"metadata":{"annotations":{"a":"b"},"labels":{"tier":null}},"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"image":"nginx:1.28","name":"main"},{"$patch":"delete","name":"side"}]}}`,
		`{"spec":{"containers":[{"name":"main","$retainKeys":["name","image"],"image":"x"}]}}`,
		`{"spec":{"$deleteFromPrimitiveList/finalizers":["a"]},"metadata":{"finalizers":["b"]}}`,
		`{"$patch":"replace","spec":{}}`,
		`[{"op":"add","path":"/metadata/labels/x","value":"y"}]`,
		`[{"op":"remove","path":"/spec/containers/0"}]`,
		`[{"op":"replace","path":"/spec/replicas","value":5},{"op":"test","path":"/spec/replicas","value":5}]`,
		`[{"op":"move","from":"/metadata/labels","path":"/metadata/annotations"}]`,
		`[{"op":"copy","from":"/spec","path":"/spec/template"}]`,
		`[{"op":"add","path":"/spec/containers/-","value":{"name":"b","image":"busybox"}}]`,
		`[{"op":"add","path":"/metadata/labels/a~1b","value":"1"}]`,
		`[{"op":"add","path":"/spec/containers/99999999999999999999","value":1}]`,
		`{"spec":{"replicas":"three"}}`, `null`, `[]`, `{}`, `"x"`, `{"metadata":{"name":null}}`, `{bad`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(2))
	}
	pods, _ := api.ResourceFor("pods")
	deployments, _ := api.ResourceFor("deployments")
	replicas := int32(2)
	olds := []struct {
		info *api.ResourceInfo
		obj  api.Object
	}{
		{pods, &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}, Finalizers: []string{"a"}},
			Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27"}, {Name: "side", Image: "busybox"}}}}},
		{deployments, &api.Deployment{TypeMeta: api.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"}, ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: api.DeploymentSpec{Replicas: &replicas, Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "nginx"}}}}}}},
	}
	types := []apiwire.PatchType{apiwire.MergePatch, apiwire.StrategicMergePatch, apiwire.JSONPatch}
	f.Fuzz(func(t *testing.T, patch []byte, kind uint8) {
		pt := types[int(kind)%len(types)]
		for _, o := range olds {
			obj, err := applyPatch(o.info, o.obj, patch, pt)
			if err != nil {
				se, ok := err.(*apierrors.StatusError)
				if !ok {
					t.Fatalf("%s patch %q: not a Status error: %T %v", pt, patch, err, err)
				}
				if se.ErrStatus.Code == 500 {
					t.Fatalf("%s patch %q: 500: %v", pt, patch, err)
				}
				continue
			}
			if obj == nil {
				t.Fatalf("%s patch %q: no object and no error", pt, patch)
			}
		}
	})
}

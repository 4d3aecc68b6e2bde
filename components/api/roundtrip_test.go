package api

import (
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadAllKinds decodes testdata/all-kinds.yaml: one rich object per kind.
func loadAllKinds(t testing.TB) []Object {
	t.Helper()
	data, err := os.ReadFile("testdata/all-kinds.yaml")
	require.NoError(t, err)
	objs, err := DecodeManifests("all-kinds.yaml", data)
	require.NoError(t, err)
	return objs
}

func TestAllKindsFixtureCoversRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range loadAllKinds(t) {
		seen[o.GetTypeMeta().Kind] = true
	}
	for _, r := range Resources() {
		assert.True(t, seen[r.Kind], "testdata/all-kinds.yaml has no %s", r.Kind)
	}
}

func TestRoundTripEveryKind(t *testing.T) {
	for _, obj := range loadAllKinds(t) {
		name := obj.GetTypeMeta().Kind + "/" + obj.GetObjectMeta().Name
		t.Run(name, func(t *testing.T) {
			// YAML -> object -> JSON -> object.
			j, err := ToJSON(obj)
			require.NoError(t, err)
			back, err := DecodeJSON(j)
			require.NoError(t, err, "%s", j)
			assert.Equal(t, obj, back)

			// object -> kubectl YAML -> object.
			y, err := ToYAML(obj)
			require.NoError(t, err)
			again, err := DecodeManifests("out.yaml", y)
			require.NoError(t, err, "%s", y)
			require.Len(t, again, 1)
			assert.Equal(t, obj, again[0])

			// The result matches what encoding/json makes of the JSON too,
			// so the reflective decoder and the json tags agree.
			viaStd := reflect.New(reflect.TypeOf(obj).Elem()).Interface()
			require.NoError(t, jsonUnmarshal(j, viaStd))
			assert.Equal(t, obj, viaStd)
		})
	}
}

func TestToJSONFieldOrder(t *testing.T) {
	pod := &Pod{ObjectMeta: ObjectMeta{Name: "web", Namespace: "default"},
		Spec: PodSpec{Containers: []Container{{Name: "main", Image: "nginx"}}}}
	j, err := ToJSON(pod)
	require.NoError(t, err)
	assert.Equal(t, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default","creationTimestamp":null},"spec":{"containers":[{"name":"main","image":"nginx","resources":{}}]},"status":{}}`, string(j))
	assert.Empty(t, pod.Kind, "ToJSON must not modify a shared object")
}

func TestToYAMLLikeKubectl(t *testing.T) {
	replicas := int32(2)
	d := &Deployment{
		ObjectMeta: ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"},
			Annotations: map[string]string{"note": "line one\nline two\n"}, ResourceVersion: "17"},
		Spec: DeploymentSpec{
			Replicas: &replicas,
			Selector: &LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: PodTemplateSpec{
				ObjectMeta: ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: PodSpec{Containers: []Container{{
					Name: "main", Image: "nginx",
					Ports: []ContainerPort{{ContainerPort: 80}},
					Args:  []string{"true", "8080", ""},
				}}},
			},
		},
	}
	y, err := ToYAML(d)
	require.NoError(t, err)
	want := `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    note: |
      line one
      line two
  creationTimestamp: null
  labels:
    app: web
  name: web
  namespace: default
  resourceVersion: "17"
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - args:
        - "true"
        - "8080"
        - ""
        image: nginx
        name: main
        ports:
        - containerPort: 80
        resources: {}
status: {}
`
	assert.Equal(t, want, string(y))
}

func TestTimeEncoding(t *testing.T) {
	var zero Time
	b, err := zero.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))

	objs, err := DecodeManifests("l.yaml", []byte(`
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: l, namespace: kube-node-lease, creationTimestamp: 2024-05-01T10:00:00.9+02:00}
spec: {renewTime: 2024-05-01T10:00:00.1234567Z}
`))
	require.NoError(t, err)
	j, err := ToJSON(objs[0])
	require.NoError(t, err)
	assert.Contains(t, string(j), `"creationTimestamp":"2024-05-01T08:00:00Z"`, "Time is UTC at second precision")
	assert.Contains(t, string(j), `"renewTime":"2024-05-01T10:00:00.123456Z"`, "MicroTime keeps six digits")
}

func TestSecretDataIsBase64(t *testing.T) {
	s := &Secret{ObjectMeta: ObjectMeta{Name: "s"}, Data: map[string][]byte{"k": []byte("secret")}}
	y, err := ToYAML(s)
	require.NoError(t, err)
	assert.Contains(t, string(y), "k: c2VjcmV0\n")
}

package api

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeManifestsErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		in      string
		wantErr string
	}{
		{
			name: "unknown field",
			file: "pod.yaml",
			in: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: main
    imagee: nginx
`,
			wantErr: `pod.yaml:8:5: Pod "web": unknown field "spec.containers[0].imagee"`,
		},
		{
			name:    "unknown field in flow style",
			file:    "pod.yaml",
			in:      `{apiVersion: "v1", kind: "Pod", metadata: {name: "web"}, spec: {containers: [{name: "main", imagee: "nginx"}]}}`,
			wantErr: `pod.yaml:1:93: Pod "web": unknown field "spec.containers[0].imagee"`,
		},
		{
			name: "wrong scalar type",
			file: "deploy.yaml",
			in: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
`,
			wantErr: `deploy.yaml:6:13: Deployment "web": spec.replicas: expected an integer, got "three"`,
		},
		{
			name:    "integer out of range",
			file:    "deploy.yaml",
			in:      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3000000000}\n",
			wantErr: `deploy.yaml:4:18: Deployment "web": spec.replicas: integer 3000000000 out of range for int32`,
		},
		{
			name:    "number where a string is expected",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    version: 1.0\n",
			wantErr: `pod.yaml:6:14: Pod "web": metadata.labels[version]: expected a string, got 1.0`,
		},
		{
			name:    "mapping where a sequence is expected",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    name: main\n",
			wantErr: `pod.yaml:6:5: Pod "web": spec.containers: expected a sequence, got a mapping`,
		},
		{
			name:    "scalar where a mapping is expected",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata: web\n",
			wantErr: `pod.yaml:3:11: Pod: metadata: expected a mapping, got "web"`,
		},
		{
			name:    "boolean",
			file:    "svc.yaml",
			in:      "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {publishNotReadyAddresses: \"yes\"}\n",
			wantErr: `svc.yaml:4:34: Service "web": spec.publishNotReadyAddresses: expected a boolean, got "yes"`,
		},
		{
			name:    "invalid quantity",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: main\n    resources:\n      requests: {cpu: lots}\n",
			wantErr: `pod.yaml:8:23: Pod "web": spec.containers[0].resources.requests[cpu]: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
		},
		{
			name:    "bad quantity suffix",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: main\n    resources:\n      limits: {memory: 1K}\n",
			wantErr: `pod.yaml:8:24: Pod "web": spec.containers[0].resources.limits[memory]: unable to parse quantity's suffix`,
		},
		{
			name:    "int or string",
			file:    "svc.yaml",
			in:      "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: 80\n    targetPort: 80.5\n",
			wantErr: `svc.yaml:7:17: Service "web": spec.ports[0].targetPort: expected an integer or a string, got 80.5`,
		},
		{
			name:    "bad time",
			file:    "node.yaml",
			in:      "apiVersion: v1\nkind: Node\nmetadata: {name: n1, creationTimestamp: yesterday}\n",
			wantErr: `node.yaml:3:41: Node "n1": metadata.creationTimestamp: expected an RFC 3339 timestamp, got "yesterday"`,
		},
		{
			name:    "bad base64",
			file:    "secret.yaml",
			in:      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: not-base64!}\n",
			wantErr: `secret.yaml:4:11: Secret "s": data[k]: expected base64 data: illegal base64 data at input byte 3`,
		},
		{
			name:    "missing kind",
			file:    "x.yaml",
			in:      "apiVersion: v1\nmetadata: {name: web}\n",
			wantErr: `x.yaml:1:1: missing "kind"`,
		},
		{
			name:    "missing apiVersion",
			file:    "x.yaml",
			in:      "kind: Pod\nmetadata: {name: web}\n",
			wantErr: `x.yaml:1:1: Pod "web": missing "apiVersion"`,
		},
		{
			name:    "unknown kind",
			file:    "x.yaml",
			in:      "apiVersion: v1\nmetadata: {name: web}\nkind: Podd\n",
			wantErr: `x.yaml:3:7: unknown kind "Podd" in apiVersion "v1"`,
		},
		{
			name:    "kind in another group",
			file:    "x.yaml",
			in:      "apiVersion: v1\nkind: Deployment\nmetadata: {name: web}\n",
			wantErr: `x.yaml:1:13: unknown kind "Deployment" in apiVersion "v1" (Deployment is served as "apps/v1")`,
		},
		{
			name:    "kind not a string",
			file:    "x.yaml",
			in:      "apiVersion: v1\nkind: [Pod]\n",
			wantErr: `x.yaml:2:7: kind: expected a string, got a sequence`,
		},
		{
			name:    "duplicate key",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  name: web2\n",
			wantErr: `pod.yaml:5:3: Pod "web": duplicate field "metadata.name"`,
		},
		{
			name:    "duplicate map key",
			file:    "pod.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {a: b, a: c}\n",
			wantErr: `pod.yaml:5:18: Pod "web": duplicate field "metadata.labels[a]"`,
		},
		{
			name:    "not a mapping",
			file:    "x.yaml",
			in:      "- apiVersion: v1\n  kind: Pod\n",
			wantErr: `x.yaml:1:1: expected a mapping (an object with apiVersion and kind), got a sequence`,
		},
		{
			name:    "invalid yaml",
			file:    "x.yaml",
			in:      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n    labels: x\n",
			wantErr: `x.yaml: yaml: line 5: mapping values are not allowed in this context`,
		},
		{
			name:    "error in second document",
			file:    "multi.yaml",
			in:      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {x: 1}\n",
			wantErr: `multi.yaml:8:11: ConfigMap "b": data[x]: expected a string, got 1`,
		},
		{
			name:    "error inside a List",
			file:    "list.yaml",
			in:      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {foo: 1}\n",
			wantErr: `list.yaml:7:10: Pod "a": unknown field "items[0].spec.foo"`,
		},
		{
			name: "several errors are all reported",
			file: "pod.yaml",
			in:   "apiVersion: v1\nkind: Pod\nmetadata: {name: web, nmae: x}\nspec: {restartPolicy: 1}\n",
			wantErr: `pod.yaml:3:23: Pod "web": unknown field "metadata.nmae"` + "\n" +
				`pod.yaml:4:23: Pod "web": spec.restartPolicy: expected a string, got 1`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := DecodeManifests(tt.file, []byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, objs)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
}

func TestDecodeErrorIsStructured(t *testing.T) {
	_, err := DecodeManifests("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {nodeName: [a]}\n"))
	var de *DecodeError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, DecodeError{File: "pod.yaml", Line: 4, Column: 18, Kind: "Pod", Name: "web",
		Field: "spec.nodeName", Message: "spec.nodeName: expected a string, got a sequence"}, *de)
}

func TestDecodeManifestsBlockAndFlowAgree(t *testing.T) {
	block := `
# a comment-only document follows
---
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: main
    image: nginx
    ports:
    - containerPort: 80
    resources:
      requests:
        cpu: 100m
---
`
	flow := `{apiVersion: "v1", kind: "Pod", metadata: {name: "web", labels: {app: "web"}}, spec: {containers: [{name: "main", image: "nginx", ports: [{containerPort: 80}], resources: {requests: {cpu: "100m"}}}]}}`
	a, err := DecodeManifests("block.yaml", []byte(block))
	require.NoError(t, err)
	b, err := DecodeManifests("flow.yaml", []byte(flow))
	require.NoError(t, err)
	require.Len(t, a, 1)
	assert.Equal(t, a, b)
	pod := a[0].(*Pod)
	assert.Equal(t, int64(100), pod.Spec.Containers[0].Resources.Requests.Cpu().MilliValue())
}

func TestDecodeManifestsEmpty(t *testing.T) {
	for _, in := range []string{"", "---\n", "# only a comment\n", "---\n---\n# c\n---\n"} {
		objs, err := DecodeManifests("e.yaml", []byte(in))
		require.NoError(t, err, "%q", in)
		assert.Empty(t, objs)
	}
}

func TestDecodeManifestsList(t *testing.T) {
	objs, err := DecodeManifests("l.yaml", []byte(`apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: a}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: s, namespace: a}}
`))
	require.NoError(t, err)
	require.Len(t, objs, 2)
	assert.Equal(t, "Namespace", objs[0].GetTypeMeta().Kind)
	assert.Equal(t, "s", objs[1].GetObjectMeta().Name)
}

func TestDecodeManifestsAnchors(t *testing.T) {
	objs, err := DecodeManifests("a.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: web, labels: &l {app: web}}
spec:
  nodeSelector: *l
  containers: [{name: main}]
`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"app": "web"}, objs[0].(*Pod).Spec.NodeSelector)
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // a field checked on success
		wantErr string
	}{
		{name: "ok", in: `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}`, want: "web"},
		{name: "unknown field", in: `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web"},"spec":{"foo":1,"bar":2}}`,
			wantErr: `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`},
		{name: "duplicate field", in: `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","name":"x"}}`,
			wantErr: `strict decoding error: duplicate field "metadata.name"`},
		{name: "type error", in: `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web"},"spec":{"replicas":"three"}}`,
			wantErr: `Deployment "web": spec.replicas: expected an integer, got "three"`},
		{name: "not an object", in: `[1]`, wantErr: `expected a JSON object`},
		{name: "missing kind", in: `{"metadata":{"name":"web"}}`, wantErr: `missing "kind"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := DecodeJSON([]byte(tt.in))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, obj.GetObjectMeta().Name)
		})
	}
}

func TestDecodeJSONLenientAndDefault(t *testing.T) {
	pods, _ := ResourceFor("pods")
	obj, warnings, err := DecodeJSONWithOptions([]byte(`{"metadata":{"name":"web"},"spec":{"foo":1}}`),
		DecodeOptions{Lenient: true, Default: pods})
	require.NoError(t, err)
	assert.Equal(t, []string{`unknown field "spec.foo"`}, warnings)
	assert.Equal(t, "Pod", obj.GetTypeMeta().Kind)
	assert.Equal(t, "v1", obj.GetTypeMeta().APIVersion)

	var opts DeleteOptions
	require.NoError(t, DecodeJSONInto([]byte(`{"propagationPolicy":"Foreground","gracePeriodSeconds":0}`), &opts))
	assert.Equal(t, DeletePropagationForeground, *opts.PropagationPolicy)
	err = DecodeJSONInto([]byte(`{"propagation":"x"}`), &opts)
	require.Error(t, err)
	assert.Equal(t, `strict decoding error: unknown field "propagation"`, err.Error())
}

func TestDecodeSubresourceBodies(t *testing.T) {
	obj, err := DecodeJSON([]byte(`{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":5}}`))
	require.NoError(t, err)
	require.IsType(t, &Scale{}, obj)
	assert.Equal(t, int32(5), obj.(*Scale).Spec.Replicas)

	obj, err = DecodeJSON([]byte(`{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"web-1","namespace":"default"},"deleteOptions":{"gracePeriodSeconds":0}}`))
	require.NoError(t, err)
	require.IsType(t, &Eviction{}, obj)
}

func TestDecodeUnquotedDateAsString(t *testing.T) {
	objs, err := DecodeManifests("cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, annotations: {released: 2024-05-01}}\n"))
	require.NoError(t, err)
	assert.Equal(t, "2024-05-01", objs[0].GetObjectMeta().Annotations["released"])
}

// KYAML, the flow-style YAML subset Kubernetes' docs use: double-quoted
// strings, braces and brackets, trailing commas, comments.
func TestDecodeManifestsKYAML(t *testing.T) {
	in := `---
{
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",  # a comment
    labels: {
      app: "web",
    },
  },
  spec: {
    replicas: 3,
    selector: {
      matchLabels: {
        app: "web",
      },
    },
    template: {
      metadata: {labels: {app: "web"}},
      spec: {
        containers: [{
          name: "main",
          image: "nginx:1.27",
          ports: [{
            containerPort: 80,
          }],
        }],
      },
    },
  },
}
`
	objs, err := DecodeManifests("web.kyaml", []byte(in))
	require.NoError(t, err)
	require.Len(t, objs, 1)
	d := objs[0].(*Deployment)
	assert.Equal(t, int32(3), *d.Spec.Replicas)
	assert.Equal(t, int32(80), d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort)

	bad := `{
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {name: "web"},
  spec: {
    replicas: "3",
  },
}
`
	_, err = DecodeManifests("web.kyaml", []byte(bad))
	require.Error(t, err)
	assert.Equal(t, `web.kyaml:6:15: Deployment "web": spec.replicas: expected an integer, got "3"`, err.Error())
}

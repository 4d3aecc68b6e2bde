package apiserver_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// applyDoc is a Deployment web as an applier writes it: replicas (nil: not
// set) and containers by name.
func applyDoc(replicas *int, containers ...string) []byte {
	return applyImage(replicas, "nginx:1.27", containers...)
}

func applyImage(replicas *int, image string, containers ...string) []byte {
	spec := map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
		"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
			"spec":     map[string]any{"containers": containerList(image, containers)},
		},
	}
	if replicas != nil {
		spec["replicas"] = *replicas
	}
	b, _ := json.Marshal(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"}, "spec": spec})
	return b
}

func containerList(image string, names []string) []any {
	out := []any{}
	for _, n := range names {
		out = append(out, map[string]any{"name": n, "image": image})
	}
	return out
}

func intp(i int) *int { return &i }

// step is one write of a table test.
type step struct {
	verb     string // "create" (the deployment of limits_test, replicas 1), "apply", "scale"
	manager  string
	replicas *int
	names    []string // containers applied
	image    string   // their image: nginx:1.27 unless set
	force    bool
	dryRun   bool
}

func (s step) request() *apiwire.Request {
	r := &apiwire.Request{Resource: "deployments", Namespace: "default", Name: "web", FieldManager: s.manager, Force: s.force, DryRun: s.dryRun}
	switch s.verb {
	case "create":
		r.Verb, r.Name, r.Object = apiwire.VerbCreate, "", deployment("web", map[string]string{"app": "web"})
	case "apply":
		image := s.image
		if image == "" {
			image = "nginx:1.27"
		}
		r.Verb, r.PatchType, r.Patch = apiwire.VerbPatch, apiwire.ApplyPatch, applyImage(s.replicas, image, s.names...)
	case "scale":
		r.Verb, r.Subresource, r.PatchType, r.Patch = apiwire.VerbPatch, "scale", apiwire.MergePatch, []byte(`{"spec":{"replicas":`+itoa(int32(*s.replicas))+`}}`)
	}
	return r
}

// owned is manager (with operation and subresource) -> the fieldsV1 of its
// entry, for the fields a test looks at.
func owned(t *testing.T, obj api.Object) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range obj.GetObjectMeta().ManagedFields {
		require.Equal(t, "FieldsV1", e.FieldsType)
		key := e.Manager + "/" + string(e.Operation)
		if e.Subresource != "" {
			key += "/" + e.Subresource
		}
		assert.NotContains(t, out, key, "one entry per manager, operation and subresource")
		out[key] = string(e.FieldsV1.Raw)
	}
	return out
}

func TestServerSideApply(t *testing.T) {
	csaFields := `"f:replicas":{}`
	tests := []struct {
		name         string
		steps        []step
		wantErr      string
		wantCode     int32
		wantCauses   []apierrors.StatusCause
		wantReplicas int32
		wantNames    []string
		wantOwns     map[string][]string // manager key -> substrings of its fieldsV1
		wantNotOwns  map[string][]string
	}{
		{
			name:         "a create by apply is operation Apply and owns exactly what was applied",
			steps:        []step{{verb: "apply", manager: "kubectl", replicas: intp(2), names: []string{"main"}}},
			wantReplicas: 2, wantNames: []string{"main"},
			wantOwns:    map[string][]string{"kubectl/Apply": {`"f:replicas":{}`, `"k:{\"name\":\"main\"}":{".":{},"f:image":{},"f:name":{}}`}},
			wantNotOwns: map[string][]string{"kubectl/Apply": {"f:imagePullPolicy", "f:revisionHistoryLimit", "f:metadata\":{\"f:name"}},
		},
		{
			name:         "a create records the creator's fields and the defaults as an Update",
			steps:        []step{{verb: "create", manager: "kubectl-client-side-apply"}},
			wantReplicas: 1, wantNames: []string{"main"},
			wantOwns: map[string][]string{"kubectl-client-side-apply/Update": {csaFields, `"f:revisionHistoryLimit":{}`, `"f:imagePullPolicy":{}`, `"f:rollingUpdate":{".":{}`}},
		},
		{
			name: "a container dropped from the applied configuration is removed",
			steps: []step{
				{verb: "apply", manager: "kubectl", names: []string{"main", "sidecar"}},
				{verb: "apply", manager: "kubectl", names: []string{"main"}},
			},
			wantReplicas: 1, wantNames: []string{"main"},
			wantNotOwns: map[string][]string{"kubectl/Apply": {"sidecar"}},
		},
		{
			name: "a dropped field another applier also owns stays",
			steps: []step{
				{verb: "apply", manager: "kubectl", names: []string{"main", "sidecar"}},
				{verb: "apply", manager: "other", names: []string{"sidecar"}},
				{verb: "apply", manager: "kubectl", names: []string{"main"}},
			},
			wantReplicas: 1, wantNames: []string{"main", "sidecar"},
			wantOwns: map[string][]string{"other/Apply": {"sidecar"}},
		},
		{
			name: "replicas set by client-side apply conflict",
			steps: []step{
				{verb: "create", manager: "kubectl-client-side-apply"},
				{verb: "apply", manager: "kubectl", replicas: intp(3), names: []string{"main"}},
			},
			wantErr:  `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`,
			wantCode: 409,
			wantCauses: []apierrors.StatusCause{
				{Type: "FieldManagerConflict", Message: `conflict with "kubectl-client-side-apply" using apps/v1`, Field: ".spec.replicas"},
			},
		},
		{
			name: "the same value is no conflict: both own it",
			steps: []step{
				{verb: "create", manager: "kubectl-client-side-apply"},
				{verb: "apply", manager: "kubectl", replicas: intp(1), names: []string{"main"}},
			},
			wantReplicas: 1, wantNames: []string{"main"},
			wantOwns: map[string][]string{"kubectl/Apply": {csaFields}, "kubectl-client-side-apply/Update": {csaFields}},
		},
		{
			name: "replicas set through the scale subresource conflict, naming the subresource",
			steps: []step{
				{verb: "apply", manager: "kubectl", replicas: intp(2), names: []string{"main"}},
				{verb: "scale", manager: "kubectl", replicas: intp(5)},
				{verb: "apply", manager: "kubectl", replicas: intp(2), names: []string{"main"}},
			},
			wantErr:  `Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas`,
			wantCode: 409,
			wantCauses: []apierrors.StatusCause{
				{Type: "FieldManagerConflict", Message: `conflict with "kubectl" with subresource "scale" using apps/v1`, Field: ".spec.replicas"},
			},
		},
		{
			name: "two conflicts with two managers: the plural text, managers sorted",
			steps: []step{
				{verb: "apply", manager: "kubectl", replicas: intp(2), names: []string{"main"}},
				{verb: "scale", manager: "hpa", replicas: intp(4)},
				{verb: "apply", manager: "other", replicas: intp(7), names: []string{"main"}, image: "nginx:1.28"},
			},
			wantErr: "Apply failed with 2 conflicts: conflicts with \"hpa\" with subresource \"scale\" using apps/v1:\n- .spec.replicas\n" +
				"conflicts with \"kubectl\":\n- .spec.template.spec.containers[name=\"main\"].image",
			wantCode: 409,
			wantCauses: []apierrors.StatusCause{
				{Type: "FieldManagerConflict", Message: `conflict with "hpa" with subresource "scale" using apps/v1`, Field: ".spec.replicas"},
				{Type: "FieldManagerConflict", Message: `conflict with "kubectl"`, Field: `.spec.template.spec.containers[name="main"].image`},
			},
		},
		{
			name: "force takes the field over",
			steps: []step{
				{verb: "create", manager: "kubectl-client-side-apply"},
				{verb: "apply", manager: "kubectl", replicas: intp(3), names: []string{"main"}, force: true},
			},
			wantReplicas: 3, wantNames: []string{"main"},
			wantOwns:    map[string][]string{"kubectl/Apply": {csaFields}},
			wantNotOwns: map[string][]string{"kubectl-client-side-apply/Update": {csaFields}},
		},
		{
			name: "an applier that dropped replicas gives them back to the default, not to itself",
			steps: []step{
				{verb: "apply", manager: "kubectl", replicas: intp(4), names: []string{"main"}},
				{verb: "apply", manager: "kubectl", names: []string{"main"}},
			},
			wantReplicas: 1, wantNames: []string{"main"},
			wantNotOwns: map[string][]string{"kubectl/Apply": {csaFields}},
		},
		{
			name: "dryRun answers the result and stores nothing",
			steps: []step{
				{verb: "apply", manager: "kubectl", replicas: intp(2), names: []string{"main"}},
				{verb: "apply", manager: "kubectl", replicas: intp(6), names: []string{"main", "sidecar"}, dryRun: true},
			},
			wantReplicas: 2, wantNames: []string{"main"},
			wantNotOwns: map[string][]string{"kubectl/Apply": {"sidecar"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := boot(t)
			var err error
			var last *apiwire.Response
			for _, s := range tt.steps {
				last, err = c.Admin.Do(s.request())
				if err != nil {
					break
				}
				if s.dryRun {
					d := last.Object.(*api.Deployment)
					assert.Equal(t, int32(*s.replicas), *d.Spec.Replicas, "the dry run answers the applied result")
					assert.Len(t, d.Spec.Template.Spec.Containers, len(s.names))
				}
			}
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				var se *apierrors.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.wantCode, se.ErrStatus.Code)
				assert.Equal(t, apierrors.ReasonConflict, se.ErrStatus.Reason)
				require.NotNil(t, se.ErrStatus.Details)
				assert.Equal(t, tt.wantCauses, se.ErrStatus.Details.Causes)
				return
			}
			require.NoError(t, err)
			got, err := c.Admin.Get("deployments", "default", "web")
			require.NoError(t, err)
			d := got.(*api.Deployment)
			assert.Equal(t, tt.wantReplicas, *d.Spec.Replicas)
			var names []string
			for _, ctr := range d.Spec.Template.Spec.Containers {
				names = append(names, ctr.Name)
			}
			assert.Equal(t, tt.wantNames, names)
			o := owned(t, d)
			for mgr, subs := range tt.wantOwns {
				require.Contains(t, o, mgr)
				for _, s := range subs {
					assert.Contains(t, o[mgr], s, mgr)
				}
			}
			for mgr, subs := range tt.wantNotOwns {
				for _, s := range subs {
					assert.NotContains(t, o[mgr], s, mgr)
				}
			}
		})
	}
}

func TestManagedFieldsOfEveryWrite(t *testing.T) {
	c := boot(t)
	created, err := c.Admin.Create(configMap("settings", map[string]string{"a": "1"}))
	require.NoError(t, err)
	m := created.GetObjectMeta()
	require.Len(t, m.ManagedFields, 1)
	e := m.ManagedFields[0]
	assert.Equal(t, "kubectl", e.Manager, "no fieldManager: the User-Agent's prefix")
	assert.Equal(t, api.ManagedFieldsOperationUpdate, e.Operation)
	assert.Equal(t, "v1", e.APIVersion)
	assert.Equal(t, `{"f:data":{".":{},"f:a":{}}}`, string(e.FieldsV1.Raw))
	assert.Equal(t, m.CreationTimestamp, *e.Time, "the time is the kernel's")

	// Two updates by one manager make one entry; another manager's update
	// takes the field it changed.
	c.K.RunFor(3 * time.Second)
	for _, w := range []struct{ manager, key, value string }{{"editor", "b", "2"}, {"editor", "c", "3"}, {"kubectl-edit", "a", "9"}} {
		cm, err := c.Admin.Get("configmaps", "default", "settings")
		require.NoError(t, err)
		cm = api.DeepCopyObject(cm)
		cm.(*api.ConfigMap).Data[w.key] = w.value
		_, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: "configmaps", Namespace: "default", Name: "settings", Object: cm, FieldManager: w.manager})
		require.NoError(t, err)
	}
	got, err := c.Admin.Get("configmaps", "default", "settings")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"kubectl/Update":      `{"f:data":{}}`, // the map itself, its keys taken
		"editor/Update":       `{"f:data":{"f:b":{},"f:c":{}}}`,
		"kubectl-edit/Update": `{"f:data":{"f:a":{}}}`,
	}, owned(t, got))
	for _, e := range got.GetObjectMeta().ManagedFields {
		if e.Manager == "editor" {
			assert.Equal(t, m.CreationTimestamp.Add(3*time.Second), e.Time.Time, "an update stamps its entry")
		}
	}

	// A write that changes nothing is no write.
	rv := got.GetObjectMeta().ResourceVersion
	again, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: "configmaps", Namespace: "default", Name: "settings", Object: got, FieldManager: "someone-else"})
	require.NoError(t, err)
	assert.Equal(t, rv, again.Object.GetObjectMeta().ResourceVersion)
}

func TestControllersOwnWhatTheyWrite(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	_, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbPatch, Resource: "deployments", Namespace: "default", Name: "web", PatchType: apiwire.ApplyPatch, FieldManager: "kubectl", Patch: applyDoc(intp(1), "main")})
	require.NoError(t, err)
	c.K.RunFor(30 * time.Second)
	d, err := c.Admin.Get("deployments", "default", "web")
	require.NoError(t, err)
	o := owned(t, d)
	assert.Contains(t, o, "kubectl/Apply")
	assert.Contains(t, o["kube-controller-manager/Update/status"], `"f:availableReplicas":{}`)
	assert.Contains(t, o["kube-controller-manager/Update"], `"f:deployment.kubernetes.io/revision":{}`)

	pods, _, err := c.Admin.List("pods", "default", client.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, pods)
	po := owned(t, pods[0])
	assert.Contains(t, po["kube-controller-manager/Update"], `"f:ownerReferences":{".":{},"k:{\"uid\":`)
	assert.Contains(t, po["kubelet/Update/status"], `"f:phase":{}`)
}

func TestFieldManagerOptions(t *testing.T) {
	c := boot(t)
	tests := []struct {
		name    string
		req     *apiwire.Request
		wantErr string
	}{
		{
			name:    "apply needs a field manager",
			req:     &apiwire.Request{Verb: apiwire.VerbPatch, Resource: "deployments", Namespace: "default", Name: "web", PatchType: apiwire.ApplyPatch, Patch: applyDoc(nil, "main")},
			wantErr: `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`,
		},
		{
			name:    "force only for apply",
			req:     &apiwire.Request{Verb: apiwire.VerbPatch, Resource: "deployments", Namespace: "default", Name: "web", PatchType: apiwire.MergePatch, Patch: []byte(`{}`), Force: true},
			wantErr: `PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch`,
		},
		{
			name:    "an applied configuration may not carry managedFields",
			req:     &apiwire.Request{Verb: apiwire.VerbPatch, Resource: "configmaps", Namespace: "default", Name: "x", PatchType: apiwire.ApplyPatch, FieldManager: "kubectl", Patch: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","managedFields":[{"manager":"me"}]}}`)},
			wantErr: `metadata.managedFields must be nil`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Admin.Do(tt.req)
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
	_, err := c.Admin.Get("configmaps", "default", "x")
	assert.True(t, apierrors.IsNotFound(err), "nothing was stored: %v", err)
}

// TestApplyListSemantics: lists merge as the real schema says — Service
// ports by port and protocol, finalizers as a set, a container's env by
// name — so two appliers share a list and each removes only its items.
func TestApplyListSemantics(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		applies  []struct{ manager, doc, wantErr string }
		want     func(t *testing.T, obj api.Object)
	}{
		{
			name:     "Service ports keyed by port and protocol",
			resource: "services",
			applies: []struct{ manager, doc, wantErr string }{
				{"a", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"selector":{"app":"x"},"ports":[{"name":"http","port":80},{"name":"https","port":443}]}}`, ""},
				{"b", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"ports":[{"name":"dns","port":53,"protocol":"UDP"}]}}`, ""},
				{"a", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"selector":{"app":"x"},"ports":[{"name":"http","port":80}]}}`, ""},
			},
			want: func(t *testing.T, obj api.Object) {
				var ports []string
				for _, p := range obj.(*api.Service).Spec.Ports {
					ports = append(ports, p.Name+"/"+itoa(p.Port)+"/"+string(p.Protocol))
				}
				assert.Equal(t, []string{"http/80/TCP", "dns/53/UDP"}, ports, "a's https went, b's dns stayed")
			},
		},
		{
			name:     "finalizers are a set",
			resource: "configmaps",
			applies: []struct{ manager, doc, wantErr string }{
				{"a", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","finalizers":["example.com/a"]}}`, ""},
				{"b", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","finalizers":["example.com/b"]}}`, ""},
			},
			want: func(t *testing.T, obj api.Object) {
				assert.Equal(t, []string{"example.com/a", "example.com/b"}, obj.GetObjectMeta().Finalizers)
				for _, e := range obj.GetObjectMeta().ManagedFields {
					assert.Contains(t, string(e.FieldsV1.Raw), `"v:\"example.com/`+e.Manager+`\"":{}`)
				}
			},
		},
		{
			name:     "a container's env by name, its args atomic",
			resource: "deployments",
			applies: []struct{ manager, doc, wantErr string }{
				{"a", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"main","image":"nginx","args":["-a","-b"],"env":[{"name":"A","value":"1"}]}]}}}}`, ""},
				{"b", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"B","value":"2"}]}]}}}}`, ""},
				{"b", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"template":{"spec":{"containers":[{"name":"main","args":["-a"],"env":[{"name":"B","value":"2"}]}]}}}}`,
					`Apply failed with 1 conflict: conflict with "a": .spec.template.spec.containers[name="main"].args`},
			},
			want: func(t *testing.T, obj api.Object) {
				c := obj.(*api.Deployment).Spec.Template.Spec.Containers[0]
				require.Len(t, c.Env, 2)
				assert.Equal(t, "A", c.Env[0].Name)
				assert.Equal(t, "B", c.Env[1].Name)
				assert.Equal(t, []string{"-a", "-b"}, c.Args, "args are atomic: one item changed is a conflict on the whole list")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := boot(t)
			for _, a := range tt.applies {
				_, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbPatch, Resource: tt.resource, Namespace: "default", Name: "x", PatchType: apiwire.ApplyPatch, FieldManager: a.manager, Patch: []byte(a.doc)})
				if a.wantErr != "" {
					assert.EqualError(t, err, a.wantErr)
					continue
				}
				require.NoError(t, err, a.manager)
			}
			got, err := c.Admin.Get(tt.resource, "default", "x")
			require.NoError(t, err)
			tt.want(t, got)
		})
	}
}

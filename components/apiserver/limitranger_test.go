package apiserver_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// createManifest decodes one manifest and creates it as the admin.
func createManifest(t *testing.T, c *cluster.Cluster, manifest string) (api.Object, error) {
	t.Helper()
	objs, err := api.DecodeManifests("test.yaml", []byte(manifest))
	require.NoError(t, err)
	require.Len(t, objs, 1)
	return c.Admin.Create(objs[0])
}

func mustCreateManifest(t *testing.T, c *cluster.Cluster, manifest string) api.Object {
	t.Helper()
	obj, err := createManifest(t, c, manifest)
	require.NoError(t, err)
	return obj
}

func resources(c api.Container) (requests, limits map[string]string) {
	requests, limits = map[string]string{}, map[string]string{}
	for rn, q := range c.Resources.Requests {
		requests[string(rn)] = q.String()
	}
	for rn, q := range c.Resources.Limits {
		limits[string(rn)] = q.String()
	}
	return requests, limits
}

// kubernetes/website admin/resource/cpu-constraints-namespace: a
// LimitRange with a CPU min and max; its defaults come from the max; pods
// over the max or under the min are refused with LimitRanger's texts.
func TestLimitRangeCPUConstraintsExample(t *testing.T) {
	c := boot(t)
	lr := mustCreateManifest(t, c, `
apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-min-max-demo-lr
  namespace: default
spec:
  limits:
  - max:
      cpu: "800m"
    min:
      cpu: "200m"
    type: Container
`).(*api.LimitRange)
	require.Len(t, lr.Spec.Limits, 1)
	it := lr.Spec.Limits[0]
	assert.Equal(t, "800m", it.Default.Cpu().String(), "the default limit is the max")
	assert.Equal(t, "800m", it.DefaultRequest.Cpu().String(), "the default request is the default limit")

	tests := []struct {
		name                   string
		limit, request         string
		wantErr                string
		wantRequest, wantLimit string
		wantAnnotation         string
	}{
		{name: "within", limit: "800m", request: "500m", wantRequest: "500m", wantLimit: "800m"},
		{name: "limit over the max", limit: "1.5", request: "500m",
			wantErr: `pods "constraints-cpu-demo-2" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m`},
		{name: "request under the min", limit: "800m", request: "100m",
			wantErr: `pods "constraints-cpu-demo-3" is forbidden: minimum cpu usage per Container is 200m, but request is 100m`},
		{name: "no resources gets the defaults", wantRequest: "800m", wantLimit: "800m",
			wantAnnotation: "LimitRanger plugin set: cpu request for container constraints-cpu-demo-4-ctr; cpu limit for container constraints-cpu-demo-4-ctr"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := pod("constraints-cpu-demo-" + string(rune('1'+i)))
			p.Spec.Containers[0].Name = p.Name + "-ctr"
			if tc.limit != "" {
				p.Spec.Containers[0].Resources.Limits = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(tc.limit)}
				p.Spec.Containers[0].Resources.Requests = api.ResourceList{api.ResourceCPU: api.MustParseQuantity(tc.request)}
			}
			obj, err := c.Admin.Create(p)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tc.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			got := obj.(*api.Pod)
			req, lim := resources(got.Spec.Containers[0])
			assert.Equal(t, tc.wantRequest, req["cpu"])
			assert.Equal(t, tc.wantLimit, lim["cpu"])
			assert.Equal(t, tc.wantAnnotation, got.Annotations[apiserver.AnnotationLimitRanger])
		})
	}
}

// kubernetes/website admin/resource/memory-default-namespace: default
// and defaultRequest fill in what a container leaves out; a limit alone
// sets the request to the limit (pod defaulting, before LimitRanger).
func TestLimitRangeMemoryDefaultsExample(t *testing.T) {
	c := boot(t)
	mustCreateManifest(t, c, `
apiVersion: v1
kind: LimitRange
metadata:
  name: mem-limit-range
  namespace: default
spec:
  limits:
  - default:
      memory: 512Mi
    defaultRequest:
      memory: 256Mi
    type: Container
`)
	tests := []struct {
		name                   string
		requests, limits       api.ResourceList
		wantRequest, wantLimit string
		wantAnnotation         string
	}{
		{name: "neither", wantRequest: "256Mi", wantLimit: "512Mi",
			wantAnnotation: "LimitRanger plugin set: memory request for container main; memory limit for container main"},
		{name: "limit only", limits: api.ResourceList{api.ResourceMemory: api.MustParseQuantity("1Gi")}, wantRequest: "1Gi", wantLimit: "1Gi"},
		{name: "request only", requests: api.ResourceList{api.ResourceMemory: api.MustParseQuantity("128Mi")}, wantRequest: "128Mi", wantLimit: "512Mi",
			wantAnnotation: "LimitRanger plugin set: memory limit for container main"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := pod("default-mem-demo-" + string(rune('a'+i)))
			p.Spec.Containers[0].Resources = api.ResourceRequirements{Requests: tc.requests, Limits: tc.limits}
			obj, err := c.Admin.Create(p)
			require.NoError(t, err)
			got := obj.(*api.Pod)
			req, lim := resources(got.Spec.Containers[0])
			assert.Equal(t, tc.wantRequest, req["memory"])
			assert.Equal(t, tc.wantLimit, lim["memory"])
			assert.Equal(t, tc.wantAnnotation, got.Annotations[apiserver.AnnotationLimitRanger])
		})
	}
	// A request over the default limit: the default limit is filled in,
	// then pod validation refuses request > limit.
	p := pod("default-mem-demo-big")
	p.Spec.Containers[0].Resources.Requests = api.ResourceList{api.ResourceMemory: api.MustParseQuantity("1Gi")}
	_, err := c.Admin.Create(p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `spec.containers[0].resources.requests[memory]: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi`)
}

// LimitRanger's constraints, one by one, against its real texts.
func TestLimitRangerConstraints(t *testing.T) {
	q := api.MustParseQuantity
	tests := []struct {
		name    string
		item    api.LimitRangeItem
		ctrs    []api.ResourceRequirements
		init    *api.ResourceRequirements
		wantErr string
	}{
		{name: "container max without a limit",
			item: api.LimitRangeItem{Type: api.LimitTypeContainer, Max: api.ResourceList{"memory": q("1Gi")}, Default: api.ResourceList{}},
			ctrs: []api.ResourceRequirements{{Requests: api.ResourceList{"memory": q("100Mi")}}},
			// the item's default limit is its max, so defaulting fills it in
		},
		{name: "container max: request over it (limit within)",
			item:    api.LimitRangeItem{Type: api.LimitTypeContainer, Max: api.ResourceList{"cpu": q("1")}},
			ctrs:    []api.ResourceRequirements{{Limits: api.ResourceList{"cpu": q("1")}, Requests: api.ResourceList{"cpu": q("2")}}},
			wantErr: `spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`},
		{name: "container max: limit over it",
			item:    api.LimitRangeItem{Type: api.LimitTypeContainer, Max: api.ResourceList{"cpu": q("1")}},
			ctrs:    []api.ResourceRequirements{{Limits: api.ResourceList{"cpu": q("2")}}},
			wantErr: `pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2`},
		{name: "container min: limit under it",
			item:    api.LimitRangeItem{Type: api.LimitTypeContainer, Min: api.ResourceList{"memory": q("64Mi")}},
			ctrs:    []api.ResourceRequirements{{Limits: api.ResourceList{"memory": q("32Mi")}}},
			wantErr: `pods "p" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi`},
		{name: "ratio exceeded",
			item:    api.LimitRangeItem{Type: api.LimitTypeContainer, MaxLimitRequestRatio: api.ResourceList{"cpu": q("2")}},
			ctrs:    []api.ResourceRequirements{{Requests: api.ResourceList{"cpu": q("100m")}, Limits: api.ResourceList{"cpu": q("500m")}}},
			wantErr: `pods "p" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000`},
		{name: "ratio within",
			item: api.LimitRangeItem{Type: api.LimitTypeContainer, MaxLimitRequestRatio: api.ResourceList{"cpu": q("2")}},
			ctrs: []api.ResourceRequirements{{Requests: api.ResourceList{"cpu": q("250m")}, Limits: api.ResourceList{"cpu": q("500m")}}}},
		{name: "ratio without a request",
			item:    api.LimitRangeItem{Type: api.LimitTypeContainer, MaxLimitRequestRatio: api.ResourceList{"cpu": q("2")}},
			ctrs:    []api.ResourceRequirements{{}},
			wantErr: `pods "p" is forbidden: cpu max limit to request ratio per Container is 2, but no request is specified or request is 0`},
		{name: "pod max over the containers' sum",
			item: api.LimitRangeItem{Type: api.LimitTypePod, Max: api.ResourceList{"memory": q("1Gi")}},
			ctrs: []api.ResourceRequirements{
				{Limits: api.ResourceList{"memory": q("600Mi")}},
				{Limits: api.ResourceList{"memory": q("600Mi")}},
			},
			wantErr: `pods "p" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi`},
		{name: "pod max: a big init container counts",
			item:    api.LimitRangeItem{Type: api.LimitTypePod, Max: api.ResourceList{"memory": q("1Gi")}},
			ctrs:    []api.ResourceRequirements{{Limits: api.ResourceList{"memory": q("100Mi")}}},
			init:    &api.ResourceRequirements{Limits: api.ResourceList{"memory": q("2Gi")}},
			wantErr: `pods "p" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 2Gi`},
		{name: "pod max without limits",
			item:    api.LimitRangeItem{Type: api.LimitTypePod, Max: api.ResourceList{"memory": q("1Gi")}},
			ctrs:    []api.ResourceRequirements{{}},
			wantErr: `pods "p" is forbidden: maximum memory usage per Pod is 1Gi.  No limit is specified`},
		{name: "two violations are listed together",
			item:    api.LimitRangeItem{Type: api.LimitTypeContainer, Max: api.ResourceList{"cpu": q("1"), "memory": q("1Gi")}},
			ctrs:    []api.ResourceRequirements{{Limits: api.ResourceList{"cpu": q("2"), "memory": q("2Gi")}}},
			wantErr: `pods "p" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := boot(t)
			_, err := c.Admin.Create(&api.LimitRange{TypeMeta: api.TypeMeta{Kind: "LimitRange", APIVersion: "v1"},
				ObjectMeta: api.ObjectMeta{Name: "limits", Namespace: "default"}, Spec: api.LimitRangeSpec{Limits: []api.LimitRangeItem{tc.item}}})
			require.NoError(t, err)
			p := pod("p")
			p.Spec.Containers = nil
			for i, r := range tc.ctrs {
				p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: "c" + string(rune('0'+i)), Image: "nginx:1.27", Resources: r})
			}
			if tc.init != nil {
				p.Spec.InitContainers = []api.Container{{Name: "init", Image: "busybox:1.36", Resources: *tc.init}}
			}
			_, err = c.Admin.Create(p)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// A PersistentVolumeClaim item bounds a claim's storage request, on
// create and on a resize.
func TestLimitRangeClaimStorage(t *testing.T) {
	c := boot(t)
	mustCreateManifest(t, c, `
apiVersion: v1
kind: LimitRange
metadata: {name: storagelimits, namespace: default}
spec:
  limits:
  - type: PersistentVolumeClaim
    max: {storage: 2Gi}
    min: {storage: 1Gi}
`)
	claim := func(name, size string) string {
		return `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ` + name + `, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ` + size + `}}
`
	}
	_, err := createManifest(t, c, claim("pvc-limit-greater", "5Gi"))
	require.Error(t, err)
	assert.Equal(t, `persistentvolumeclaims "pvc-limit-greater" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi`, err.Error())
	_, err = createManifest(t, c, claim("pvc-limit-lower", "500Mi"))
	require.Error(t, err)
	assert.Equal(t, `persistentvolumeclaims "pvc-limit-lower" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi`, err.Error())
	obj := bound(t, c, mustCreateManifest(t, c, claim("ok", "1Gi")))
	obj.Spec.Resources.Requests[api.ResourceStorage] = api.MustParseQuantity("3Gi")
	_, err = c.Admin.Update(obj)
	require.Error(t, err)
	assert.Equal(t, `persistentvolumeclaims "ok" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi`, err.Error())
}

// LimitRange validation, with core/v1's texts.
func TestLimitRangeValidation(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		wantErr string
	}{
		{name: "min over max", spec: `
  - type: Container
    min: {cpu: "2"}
    max: {cpu: "1"}`, wantErr: `spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1`},
		{name: "default on a Pod item", spec: `
  - type: Pod
    default: {cpu: "1"}`, wantErr: "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"},
		{name: "claim item without storage", spec: `
  - type: PersistentVolumeClaim
    max: {cpu: "1"}`, wantErr: `spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided`},
		{name: "duplicate type", spec: `
  - type: Container
    max: {cpu: "1"}
  - type: Container
    max: {cpu: "2"}`, wantErr: `spec.limits[1].type: Duplicate value: "Container"`},
		{name: "unknown type", spec: `
  - type: Node
    max: {cpu: "1"}`, wantErr: `spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified`},
		{name: "ratio under 1", spec: `
  - type: Container
    maxLimitRequestRatio: {cpu: 500m}`, wantErr: `spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1`},
		{name: "default request over the default", spec: `
  - type: Container
    default: {memory: 256Mi}
    defaultRequest: {memory: 512Mi}`, wantErr: `spec.limits[0].defaultRequest[memory]: Invalid value: "512Mi": default request value 512Mi is greater than default limit value 256Mi`},
		{name: "not a container resource", spec: `
  - type: Container
    max: {storage: 1Gi}`, wantErr: `spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers`},
	}
	c := boot(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := createManifest(t, c, "apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad, namespace: default}\nspec:\n  limits:"+tc.spec+"\n")
			require.Error(t, err)
			assert.Contains(t, err.Error(), `LimitRange "bad" is invalid: `)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// The classic exercise: a quota that requires limits, and a LimitRange
// that supplies them. LimitRanger runs before ResourceQuota, so a pod
// without resources is admitted with the defaults and counted.
func TestLimitRangeDefaultsSatisfyQuota(t *testing.T) {
	c := boot(t)
	mustCreateManifest(t, c, `
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: default}
spec:
  hard: {requests.cpu: "1", limits.cpu: "4", limits.memory: 2Gi}
`)
	_, err := c.Admin.Create(pod("before"))
	require.Error(t, err, "without a LimitRange the quota wants limits")
	assert.Equal(t, `pods "before" is forbidden: failed quota: compute: must specify limits.cpu for: main; limits.memory for: main; requests.cpu for: main`, err.Error())

	mustCreateManifest(t, c, `
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: default}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 250m, memory: 128Mi}
`)
	for _, name := range []string{"a", "b", "c", "d"} {
		_, err := c.Admin.Create(pod(name))
		require.NoError(t, err, name)
	}
	_, err = c.Admin.Create(pod("e"))
	require.Error(t, err, "four pods at 250m use the whole requests.cpu")
	assert.Equal(t, `pods "e" is forbidden: exceeded quota: compute, requested: requests.cpu=250m, used: requests.cpu=1, limited: requests.cpu=1`, err.Error())
}

// ResourceQuota charges an update for what it adds: a claim that grows.
func TestResourceQuotaChargesClaimResize(t *testing.T) {
	c := boot(t)
	mustCreateManifest(t, c, `
apiVersion: v1
kind: ResourceQuota
metadata: {name: storage, namespace: default}
spec:
  hard: {requests.storage: 5Gi, persistentvolumeclaims: "2"}
`)
	claim := func(name, size string) string {
		return "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: " + name + ", namespace: default}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: " + size + "}}\n"
	}
	a := bound(t, c, mustCreateManifest(t, c, claim("a", "2Gi")))
	mustCreateManifest(t, c, claim("b", "2Gi"))
	_, err := createManifest(t, c, claim("c", "1Gi"))
	require.Error(t, err)
	assert.Equal(t, `persistentvolumeclaims "c" is forbidden: exceeded quota: storage, requested: persistentvolumeclaims=1, used: persistentvolumeclaims=2, limited: persistentvolumeclaims=2`, err.Error())

	a.Spec.Resources.Requests[api.ResourceStorage] = api.MustParseQuantity("4Gi")
	_, err = c.Admin.Update(a)
	require.Error(t, err)
	assert.Equal(t, `persistentvolumeclaims "a" is forbidden: exceeded quota: storage, requested: requests.storage=2Gi, used: requests.storage=4Gi, limited: requests.storage=5Gi`, err.Error())

	a.Spec.Resources.Requests[api.ResourceStorage] = api.MustParseQuantity("3Gi")
	a.ResourceVersion = ""
	_, err = c.Admin.Update(a)
	assert.NoError(t, err, "growing within the quota is admitted")
}

// bound marks a claim Bound (only a bound claim may grow) and returns a
// writable copy of it.
func bound(t *testing.T, c *cluster.Cluster, obj api.Object) *api.PersistentVolumeClaim {
	t.Helper()
	pvc := api.DeepCopy(obj.(*api.PersistentVolumeClaim))
	pvc.Status.Phase = api.ClaimBound
	out, err := c.Admin.UpdateStatus(pvc)
	require.NoError(t, err)
	return api.DeepCopy(out.(*api.PersistentVolumeClaim))
}

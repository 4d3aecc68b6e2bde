package apiserver_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func boot(t *testing.T) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{}})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	return c
}

func pod(name string) *api.Pod {
	return &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "main", Image: "nginx:1.27"}}},
	}
}

func TestCreateAppliesDefaultsAdmissionAndStamps(t *testing.T) {
	c := boot(t)
	obj, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	p := obj.(*api.Pod)
	assert.Equal(t, "default", p.Spec.ServiceAccountName, "ServiceAccount admission")
	assert.Equal(t, api.DefaultSchedulerName, p.Spec.SchedulerName)
	assert.Equal(t, api.RestartPolicyAlways, p.Spec.RestartPolicy)
	assert.Equal(t, int64(30), *p.Spec.TerminationGracePeriodSeconds)
	assert.Equal(t, api.PullIfNotPresent, p.Spec.Containers[0].ImagePullPolicy)
	assert.Equal(t, api.PodPending, p.Status.Phase)
	assert.Equal(t, api.PodQOSBestEffort, p.Status.QOSClass)
	require.Len(t, p.Spec.Tolerations, 2, "DefaultTolerationSeconds")
	assert.Equal(t, api.TaintNodeNotReady, p.Spec.Tolerations[0].Key)
	assert.Equal(t, int64(300), *p.Spec.Tolerations[1].TolerationSeconds)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, string(p.UID))
	assert.NotEmpty(t, p.ResourceVersion)
	assert.False(t, p.CreationTimestamp.IsZero())

	got, err := client.Get[*api.Pod](c.Admin, "default", "web-1")
	require.NoError(t, err)
	assert.Equal(t, p.ResourceVersion, got.ResourceVersion, "resourceVersion is the etcd mod revision")
	assert.Equal(t, p.UID, got.UID)
}

func TestErrorTexts(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)

	_, err = c.Admin.Create(pod("web-1"))
	assert.EqualError(t, err, `pods "web-1" already exists`)
	assert.True(t, apierrors.IsAlreadyExists(err))

	_, err = c.Admin.Get("pods", "default", "nope")
	assert.EqualError(t, err, `pods "nope" not found`)
	assert.Equal(t, "Error from server (NotFound): pods \"nope\" not found", apierrors.KubectlText(err))

	stale := pod("web-1")
	stale.ResourceVersion = "1"
	_, err = c.Admin.Update(stale)
	assert.EqualError(t, err, `Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again`)
	assert.Equal(t, int32(409), apierrors.CodeOf(err))

	bad := pod("Web_1")
	_, err = c.Admin.Create(bad)
	assert.EqualError(t, err, `Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`)

	noContainers := pod("empty")
	noContainers.Spec.Containers = nil
	_, err = c.Admin.Create(noContainers)
	assert.EqualError(t, err, `Pod "empty" is invalid: spec.containers: Required value`)

	noImage := pod("noimage")
	noImage.Spec.Containers[0].Image = ""
	_, err = c.Admin.Create(noImage)
	assert.EqualError(t, err, `Pod "noimage" is invalid: spec.containers[0].image: Required value`)

	elsewhere := pod("x")
	elsewhere.Namespace = "nowhere"
	_, err = c.Admin.Create(elsewhere)
	assert.EqualError(t, err, `namespaces "nowhere" not found`)

	svc := &api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "1web", Namespace: "default"}}
	_, err = c.Admin.Create(svc)
	assert.ErrorContains(t, err, `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character`)

	// Nothing of the rejected requests was stored.
	items, _, err := c.Admin.List("pods", "default", client.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, items, 1)
}

func TestTerminatingNamespaceRefusesNewContent(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(&api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "team-a"}})
	require.NoError(t, err)
	obj, err := c.Admin.Delete("namespaces", "", "team-a", client.DeleteOptions{})
	require.NoError(t, err)
	assert.Equal(t, api.NamespaceTerminating, obj.(*api.Namespace).Status.Phase, "the kubernetes finalizer holds it")
	p := pod("late")
	p.Namespace = "team-a"
	_, err = c.Admin.Create(p)
	assert.EqualError(t, err, `pods "late" is forbidden: unable to create new content in namespace team-a because it is being terminated`)
	assert.Equal(t, int32(403), apierrors.CodeOf(err))

	// A pod to be named by the apiserver (a ReplicaSet's) is refused under
	// its generateName: the same error on every retry.
	for range 2 {
		g := pod("")
		g.Namespace, g.GenerateName = "team-a", "web-7c6d5f9b8-"
		_, err = c.Admin.Create(g)
		assert.EqualError(t, err, `pods "web-7c6d5f9b8-" is forbidden: unable to create new content in namespace team-a because it is being terminated`)
	}
}

func TestRBACAllowsAndDenies(t *testing.T) {
	c := boot(t)
	anon := c.ClientAs("")
	_, _, err := anon.List("pods", "default", client.ListOptions{})
	assert.EqualError(t, err, `pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"`)

	_, err = c.ClientAs("forged").Get("pods", "default", "x")
	assert.EqualError(t, err, "Unauthorized")

	// A service account may read pods once a RoleBinding grants "view".
	_, err = c.Admin.Create(&api.ServiceAccount{TypeMeta: api.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "reader", Namespace: "default"}})
	require.NoError(t, err)
	reader := c.ClientAs(apiserver.ServiceAccountTokenFor("default", "reader"))
	_, _, err = reader.List("pods", "default", client.ListOptions{})
	assert.EqualError(t, err, `pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "default"`)
	_, err = c.Admin.Create(&api.RoleBinding{TypeMeta: api.TypeMeta{Kind: "RoleBinding", APIVersion: "rbac.authorization.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{Name: "reader-view", Namespace: "default"},
		Subjects:   []api.Subject{{Kind: "ServiceAccount", Name: "reader", Namespace: "default"}},
		RoleRef:    api.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"}})
	require.NoError(t, err)
	c.K.RunFor(time.Second)
	_, _, err = reader.List("pods", "default", client.ListOptions{})
	assert.NoError(t, err)
	_, err = reader.Create(pod("sneaky"))
	assert.EqualError(t, err, `pods is forbidden: User "system:serviceaccount:default:reader" cannot create resource "pods" in API group "" in the namespace "default"`)
	_, _, err = reader.List("nodes", "", client.ListOptions{})
	assert.EqualError(t, err, `nodes is forbidden: User "system:serviceaccount:default:reader" cannot list resource "nodes" in API group "" at the cluster scope`)
}

func TestGenerateNameFinalizersAndDeletion(t *testing.T) {
	c := boot(t)
	p := pod("")
	p.GenerateName = "web-"
	p.Finalizers = []string{"example.com/hold"}
	obj, err := c.Admin.Create(p)
	require.NoError(t, err)
	name := obj.GetObjectMeta().Name
	assert.Regexp(t, `^web-[bcdfghjklmnpqrstvwxz2456789]{5}$`, name)

	obj, err = c.Admin.Delete("pods", "default", name, client.DeleteOptions{})
	require.NoError(t, err)
	require.NotNil(t, obj.GetObjectMeta().DeletionTimestamp, "a finalizer keeps the object, marked")
	_, err = c.Admin.Get("pods", "default", name)
	require.NoError(t, err)

	held := api.DeepCopy(obj.(*api.Pod))
	held.Finalizers = nil
	_, err = c.Admin.Update(held)
	require.NoError(t, err)
	_, err = c.Admin.Get("pods", "default", name)
	assert.True(t, apierrors.IsNotFound(err), "removing the last finalizer deletes it")
}

func TestBindingAssignsOnce(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	require.NoError(t, c.Admin.Bind("default", "web-1", "worker-1"))
	got, err := client.Get[*api.Pod](c.Admin, "default", "web-1")
	require.NoError(t, err)
	assert.Equal(t, "worker-1", got.Spec.NodeName)
	require.Len(t, got.Status.Conditions, 1)
	assert.Equal(t, api.PodScheduled, got.Status.Conditions[0].Type)
	err = c.Admin.Bind("default", "web-1", "worker-2")
	assert.EqualError(t, err, `Operation cannot be fulfilled on pods/binding "web-1": pod web-1 is already assigned to node "worker-1"`)

	// A bound pod is deleted gracefully: the kubelet gets its grace period.
	obj, err := c.Admin.Delete("pods", "default", "web-1", client.DeleteOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(30), *obj.GetObjectMeta().DeletionGracePeriodSeconds)
}

func TestPatchAndStatusSubresource(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	obj, err := c.Admin.Patch("pods", "default", "web-1", apiwire.MergePatch, []byte(`{"metadata":{"labels":{"tier":"front","app":null}}}`), "")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"tier": "front"}, obj.GetObjectMeta().Labels)

	obj, err = c.Admin.Patch("pods", "default", "web-1", apiwire.StrategicMergePatch,
		[]byte(`{"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"name":"main","image":"nginx:1.28"}]}}`), "")
	require.NoError(t, err)
	assert.Equal(t, "nginx:1.28", obj.(*api.Pod).Spec.Containers[0].Image)

	// The main resource ignores status; the status subresource ignores spec.
	p := api.DeepCopy(obj.(*api.Pod))
	p.Status.Phase = api.PodRunning
	p.ResourceVersion = ""
	obj, err = c.Admin.Update(p)
	require.NoError(t, err)
	assert.Equal(t, api.PodPending, obj.(*api.Pod).Status.Phase)
	obj, err = c.Admin.UpdateStatus(p)
	require.NoError(t, err)
	assert.Equal(t, api.PodRunning, obj.(*api.Pod).Status.Phase)

	// Changing an immutable field is refused.
	p = api.DeepCopy(obj.(*api.Pod))
	p.Spec.RestartPolicy = api.RestartPolicyNever
	_, err = c.Admin.Update(p)
	assert.ErrorContains(t, err, `Pod "web-1" is invalid: spec: Forbidden: pod updates may not change fields other than`)
}

// watcher collects watch events delivered to an external endpoint.
func watch(t *testing.T, c *cluster.Cluster, name, resource string, opts client.ListOptions) (*sim.External, int64) {
	ext := c.K.External(name, "")
	cl := client.New(ext, cluster.AdminToken, c.APIServers...)
	id, err := cl.Watch(resource, "default", opts)
	require.NoError(t, err)
	return ext, id
}

func drain(ext *sim.External) []string {
	var out []string
	for {
		m, ok := ext.Recv()
		if !ok {
			return out
		}
		if ev, ok := m.Body.(*apiwire.WatchEvent); ok {
			out = append(out, fmt.Sprintf("%s %s", ev.Type, ev.Object.GetObjectMeta().Name))
		}
	}
}

func TestWatchFansOutToEveryWatcherInOrder(t *testing.T) {
	c := boot(t)
	a, _ := watch(t, c, "watcher-a", "pods", client.ListOptions{})
	b, _ := watch(t, c, "watcher-b", "pods", client.ListOptions{LabelSelector: "app=web"})
	for i := 1; i <= 3; i++ {
		_, err := c.Admin.Create(pod(fmt.Sprintf("web-%d", i)))
		require.NoError(t, err)
	}
	_, err := c.Admin.Patch("pods", "default", "web-2", apiwire.MergePatch, []byte(`{"metadata":{"labels":{"app":"other"}}}`), "")
	require.NoError(t, err)
	_, err = c.Admin.Delete("pods", "default", "web-3", client.DeleteOptions{})
	require.NoError(t, err)
	c.K.RunFor(time.Second)
	assert.Equal(t, []string{"ADDED web-1", "ADDED web-2", "ADDED web-3", "MODIFIED web-2", "DELETED web-3"}, drain(a))
	assert.Equal(t, []string{"ADDED web-1", "ADDED web-2", "ADDED web-3", "DELETED web-2", "DELETED web-3"}, drain(b),
		"a pod leaving the selector is DELETED for a selector watch")
}

func TestWatchFromResourceVersionAndTooOld(t *testing.T) {
	c := boot(t)
	first, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	_, err = c.Admin.Create(pod("web-2"))
	require.NoError(t, err)
	ext, _ := watch(t, c, "resumer", "pods", client.ListOptions{ResourceVersion: first.GetObjectMeta().ResourceVersion})
	c.K.RunFor(time.Second)
	assert.Equal(t, []string{"ADDED web-2"}, drain(ext), "a watch from a resourceVersion replays only what came after it")

	cl := client.New(c.K.External("late", ""), cluster.AdminToken, c.APIServers...)
	_, err = cl.Watch("pods", "default", client.ListOptions{ResourceVersion: "-5"})
	assert.Error(t, err)
}

func TestTooOldResourceVersionIsGone(t *testing.T) {
	// The watch cache remembers the newest 10,000 events; 10,050 updates
	// push the first version out of its window.
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{}})
	require.NoError(t, err)
	defer c.Stop()
	obj, err := c.Admin.Create(&api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "cm", Namespace: "default"}})
	require.NoError(t, err)
	rv := obj.GetObjectMeta().ResourceVersion
	for i := 0; i < 10050; i++ {
		cm := api.DeepCopy(obj.(*api.ConfigMap))
		cm.Data = map[string]string{"i": fmt.Sprint(i)}
		cm.ResourceVersion = ""
		obj, err = c.Admin.Update(cm)
		require.NoError(t, err)
	}
	cl := client.New(c.K.External("old", ""), cluster.AdminToken, c.APIServers...)
	_, err = cl.Watch("configmaps", "default", client.ListOptions{ResourceVersion: rv})
	require.Error(t, err)
	assert.True(t, apierrors.IsGone(err))
	assert.True(t, strings.HasPrefix(err.Error(), "too old resource version: "+rv+" ("), err.Error())
}

func TestTraceShowsThePipeline(t *testing.T) {
	c := boot(t)
	from := c.K.Trace().Total()
	_, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	var lines []string
	for _, r := range c.K.Trace().Since(from) {
		if r.Event == sim.EventTimer {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s %s>%s %s", r.Event, r.From, r.To, r.Kind))
	}
	joined := strings.Join(lines, "\n")
	for _, want := range []string{
		"deliver kubectl>kube-apiserver-cp-1 request",
		"note kube-apiserver-cp-1>kube-apiserver-cp-1 authn",
		"note kube-apiserver-cp-1>kube-apiserver-cp-1 authz",
		"note kube-apiserver-cp-1>kube-apiserver-cp-1 admission",
		"note kube-apiserver-cp-1>kube-apiserver-cp-1 validation",
		"deliver kube-apiserver-cp-1>etcd-cp-1 Txn",
		"reply etcd-cp-1>kube-apiserver-cp-1 Txn",
		"deliver etcd-cp-1>kube-apiserver-cp-1 WatchResponse",
		"reply kube-apiserver-cp-1>kubectl request",
	} {
		assert.Contains(t, joined, want)
	}
}

func TestFieldSelectors(t *testing.T) {
	c := boot(t)
	for _, n := range []string{"a", "b"} {
		_, err := c.Admin.Create(pod(n))
		require.NoError(t, err)
	}
	require.NoError(t, c.Admin.Bind("default", "b", "worker-1"))
	items, _, err := c.Admin.List("pods", "default", client.ListOptions{FieldSelector: "spec.nodeName=worker-1"})
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, "b", items[0].GetObjectMeta().Name)
	items, _, err = c.Admin.List("pods", "default", client.ListOptions{FieldSelector: "metadata.name!=b"})
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, "a", items[0].GetObjectMeta().Name)
	_, _, err = c.Admin.List("pods", "default", client.ListOptions{FieldSelector: "spec.foo=x"})
	assert.EqualError(t, err, "field label not supported: spec.foo")
	assert.Equal(t, int32(400), apierrors.CodeOf(err))
}

func TestWatchFromAFutureResourceVersion(t *testing.T) {
	c := boot(t)
	start := c.K.Now()
	_, err := c.Admin.Watch("pods", "default", client.ListOptions{ResourceVersion: "999999"})
	require.Error(t, err)
	assert.Regexp(t, `^Too large resource version: 999999, current: \d+$`, err.Error())
	assert.Equal(t, int32(504), apierrors.CodeOf(err))
	assert.Equal(t, apierrors.ReasonTimeout, apierrors.ReasonOf(err))
	assert.GreaterOrEqual(t, c.K.Now()-start, 3*time.Second, "it waited for the cache first")

	// A version the cache reaches while the watch waits opens it.
	_, rv, err := c.Admin.List("pods", "default", client.ListOptions{})
	require.NoError(t, err)
	n, _ := strconv.ParseInt(rv, 10, 64)
	_, err = c.Admin.Create(pod("soon"))
	require.NoError(t, err)
	_, err = c.Admin.Watch("pods", "default", client.ListOptions{ResourceVersion: strconv.FormatInt(n+1, 10)})
	assert.NoError(t, err)
}

// One receiver's watches that see a change alike share one message; a
// watch that sees it otherwise (a selector it leaves) gets its own.
func TestWatchesOfOneReceiverShareAMessage(t *testing.T) {
	c := boot(t)
	ext := c.K.External("many-streams", "")
	cl := client.New(ext, cluster.AdminToken, c.APIServers...)
	var ids []int64
	for _, sel := range []string{"", "", "app=web"} {
		id, err := cl.Watch("pods", "default", client.ListOptions{LabelSelector: sel})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	_, err := c.Admin.Create(pod("web-1"))
	require.NoError(t, err)
	_, err = c.Admin.Patch("pods", "default", "web-1", apiwire.MergePatch, []byte(`{"metadata":{"labels":{"app":"other"}}}`), "")
	require.NoError(t, err)
	c.K.RunFor(time.Second)
	var got []string
	for {
		m, ok := ext.Recv()
		if !ok {
			break
		}
		if ev, ok := m.Body.(*apiwire.WatchEvent); ok {
			got = append(got, fmt.Sprintf("%s %v", ev.Type, ev.IDs()))
			assert.True(t, ev.For(ev.WatchID))
		}
	}
	assert.Equal(t, []string{
		fmt.Sprintf("ADDED %v", ids),
		fmt.Sprintf("MODIFIED %v", ids[:2]),
		fmt.Sprintf("DELETED %v", ids[2:]),
	}, got)
}

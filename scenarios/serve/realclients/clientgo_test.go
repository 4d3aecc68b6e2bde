package realclients

import (
	"context"
	"crypto/tls"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios/serve"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// klog's flush daemon starts with the package and never ends.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
		// A closed SPDY connection hands its close error over for up to a
		// second (spdystream's shutdown), then ends.
		goleak.IgnoreTopFunction("github.com/moby/spdystream.(*Connection).shutdown"),
	)
}

// served is a cluster behind `kubesim serve` on a loopback port.
type served struct {
	srv  *serve.Server
	cfg  *rest.Config
	stop func()

	mu   sync.Mutex
	seen map[string]bool // "request: <Content-Type>", "response: <Content-Type>", "query: <param>"
}

// saw reports whether the clients sent or received what key names.
func (s *served) saw(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[key]
}

// recorder notes the media types and list parameters on the wire.
type recorder struct {
	s    *served
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.next.RoundTrip(req)
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if ct := req.Header.Get("Content-Type"); ct != "" {
		r.s.seen["request: "+ct] = true
	}
	for k := range req.URL.Query() {
		r.s.seen["query: "+k] = true
	}
	if res != nil {
		r.s.seen["response: "+res.Header.Get("Content-Type")] = true
	}
	return res, err
}

// startServed boots a cluster and serves it at speed 20; the returned
// rest.Config is what a kubeconfig for it gives client-go: the server's
// address, its CA and the kubeconfig's token, and nothing else, so every
// client setting stays at its default.
func startServed(t *testing.T) *served {
	t.Helper()
	return startServedConfig(t, cluster.Config{Seed: 1})
}

// startServedConfig is startServed for a cluster booted with cfg.
func startServedConfig(t *testing.T, cfg cluster.Config) *served {
	t.Helper()
	c, err := cluster.New(cfg)
	require.NoError(t, err)
	srv, err := serve.New(serve.Config{Cluster: c, Speed: 20})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serve.CAPool(srv.CA())}}
	s := &served{srv: srv, cfg: &rest.Config{Host: srv.URL(), BearerToken: srv.BearerToken(), TLSClientConfig: rest.TLSClientConfig{CAData: srv.CA()}}, seen: map[string]bool{}}
	s.cfg.WrapTransport = func(http.RoundTripper) http.RoundTripper { return recorder{s: s, next: transport} }
	s.stop = func() {
		cancel()
		require.NoError(t, <-done)
		transport.CloseIdleConnections()
	}
	t.Cleanup(s.stop)
	return s
}

func TestClientGoDefaults(t *testing.T) {
	s := startServed(t)
	cs, err := kubernetes.NewForConfig(s.cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A shared informer factory as a controller starts it.
	var mu sync.Mutex
	var events []string
	record := func() cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{
			AddFunc: func(o any) { mu.Lock(); events = append(events, "add "+o.(metav1.Object).GetName()); mu.Unlock() },
			UpdateFunc: func(_, o any) {
				mu.Lock()
				events = append(events, "update "+o.(metav1.Object).GetName())
				mu.Unlock()
			},
			DeleteFunc: func(o any) {
				if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
					o = d.Obj
				}
				mu.Lock()
				events = append(events, "delete "+o.(metav1.Object).GetName())
				mu.Unlock()
			},
		}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("default"))
	_, err = factory.Core().V1().ConfigMaps().Informer().AddEventHandler(record())
	require.NoError(t, err)
	nodes := factory.Core().V1().Nodes().Lister()
	stop := make(chan struct{})
	defer func() { close(stop); factory.Shutdown() }()
	factory.Start(stop)
	synced := factory.WaitForCacheSync(ctxDone(ctx))
	for typ, ok := range synced {
		require.True(t, ok, "informer for %v synced (needs the streaming list's initial-events-end bookmark)", typ)
	}
	list, err := nodes.List(labels.Everything())
	require.NoError(t, err)
	assert.NotEmpty(t, list, "the node informer's cache holds the cluster's nodes")

	cms := cs.CoreV1().ConfigMaps("default")
	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{"app": "demo"}}, Data: map[string]string{"a": "1"}}, metav1.CreateOptions{})
	require.NoError(t, err, "create with a protobuf body")
	assert.Equal(t, "1", cm.Data["a"])
	assert.NotEmpty(t, cm.UID)

	_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, metav1.CreateOptions{})
	assert.True(t, apierrors.IsAlreadyExists(err), "a second create is AlreadyExists: %v", err)

	got, err := cms.Get(ctx, "app", metav1.GetOptions{})
	require.NoError(t, err)
	got.Data["b"] = "2"
	upd, err := cms.Update(ctx, got, metav1.UpdateOptions{})
	require.NoError(t, err, "update with a protobuf body")
	assert.Equal(t, "2", upd.Data["b"])
	_, err = cms.Update(ctx, got, metav1.UpdateOptions{})
	assert.True(t, apierrors.IsConflict(err), "an update with a stale resourceVersion conflicts: %v", err)

	for _, p := range []struct {
		typ  types.PatchType
		body string
		key  string
	}{
		{types.MergePatchType, `{"data":{"c":"3"}}`, "c"},
		{types.StrategicMergePatchType, `{"data":{"d":"4"}}`, "d"},
		{types.JSONPatchType, `[{"op":"add","path":"/data/e","value":"5"}]`, "e"},
	} {
		out, err := cms.Patch(ctx, "app", p.typ, []byte(p.body), metav1.PatchOptions{})
		require.NoError(t, err, "patch %s", p.typ)
		assert.Contains(t, out.Data, p.key, "patch %s", p.typ)
	}

	// Server-side apply, of an existing object and of a new one.
	applied, err := cms.Apply(ctx, corev1ac.ConfigMap("app", "default").WithData(map[string]string{"f": "6"}), metav1.ApplyOptions{FieldManager: "realclients", Force: true})
	require.NoError(t, err, "server-side apply")
	assert.Equal(t, "6", applied.Data["f"])
	assert.Equal(t, "1", applied.Data["a"], "apply merges into the object")
	applied, err = cms.Apply(ctx, corev1ac.ConfigMap("applied", "default").WithData(map[string]string{"g": "7"}), metav1.ApplyOptions{FieldManager: "realclients"})
	require.NoError(t, err, "server-side apply creates")
	assert.Equal(t, "7", applied.Data["g"])
	assert.NotEmpty(t, applied.UID)

	// Paginated list: limit and continue.
	for _, name := range []string{"b-1", "b-2", "b-3"} {
		_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"batch": "b"}}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	page, err := cms.List(ctx, metav1.ListOptions{LabelSelector: "batch=b", Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.NotEmpty(t, page.Continue, "a limited list has a continue token")
	require.NotNil(t, page.RemainingItemCount)
	assert.EqualValues(t, 1, *page.RemainingItemCount)
	rest2, err := cms.List(ctx, metav1.ListOptions{LabelSelector: "batch=b", Limit: 2, Continue: page.Continue})
	require.NoError(t, err)
	require.Len(t, rest2.Items, 1)
	assert.Equal(t, "b-3", rest2.Items[0].Name)
	assert.Empty(t, rest2.Continue)

	require.NoError(t, cms.Delete(ctx, "app", metav1.DeleteOptions{}), "delete with protobuf DeleteOptions")
	_, err = cms.Get(ctx, "app", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "gone after delete: %v", err)

	// Scale through the autoscaling/v1 subresource.
	replicas := int32(1)
	deps := cs.AppsV1().Deployments("default")
	_, err = deps.Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27"}}},
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	// The Deployment controller may write the status between the get and
	// the update: the Scale's resourceVersion then conflicts, as on a real
	// cluster, and the client retries.
	var sc *autoscalingv1.Scale
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		assert.EqualValues(t, 1, cur.Spec.Replicas)
		cur.Spec.Replicas = 3
		sc, err = deps.UpdateScale(ctx, "web", cur, metav1.UpdateOptions{})
		return err
	})
	require.NoError(t, err, "UpdateScale")
	assert.EqualValues(t, 3, sc.Spec.Replicas)
	d, err := deps.Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 3, *d.Spec.Replicas, "the Deployment took the Scale's replicas")

	// The informer saw every change to the ConfigMap, in order, after the
	// namespace's kube-root-ca.crt (root-ca-cert-publisher's).
	want := []string{"add kube-root-ca.crt", "add app", "update app", "update app", "update app", "update app", "update app", "add applied", "add b-1", "add b-2", "add b-3", "delete app"}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) >= len(want)
	}, 30*time.Second, 20*time.Millisecond)
	mu.Lock()
	assert.Equal(t, want, events)
	mu.Unlock()

	// What travelled: protobuf both ways, and a streaming list.
	assert.True(t, s.saw("request: application/vnd.kubernetes.protobuf"), "client-go sent protobuf bodies")
	assert.True(t, s.saw("response: application/vnd.kubernetes.protobuf"), "the server answered in protobuf")
	assert.True(t, s.saw("response: application/vnd.kubernetes.protobuf;stream=watch"), "watches streamed protobuf")
	assert.True(t, s.saw("query: sendInitialEvents"), "the informers used streaming lists (WatchList)")
}

func ctxDone(ctx context.Context) <-chan struct{} { return ctx.Done() }

// Package simtest is kubesim's test kit: it boots a simulated cluster for
// one test, drives it on virtual time, and turns a failed expectation into
// a report a person can act on — what was expected, what the cluster
// shows (the pods as `kubectl get pods -o wide` prints them, the events of
// the objects involved) and the last records of the trace.
//
//	func TestWeb(t *testing.T) {
//		k := simtest.Start(t, simtest.Workers("worker-1", "worker-2", "worker-3"))
//		k.Apply(webDeployment)
//		pods := k.WaitForPodsRunning("app=web", 3, 2*time.Minute)
//		...
//	}
//
// Start registers a cleanup that stops the cluster and then checks with
// go.uber.org/goleak that none of its goroutines outlived it. The check
// compares against the goroutines that existed when Start was called, so
// it only holds for tests that do not run in parallel with others; a
// package whose tests call t.Parallel should pass NoLeakCheck and use
// goleak.VerifyTestMain in its TestMain instead.
//
// Every wait is bounded by a virtual deadline ("within 2m of cluster
// time"), never by the wall clock, so a failing wait costs microseconds
// per virtual second and gives the same report on every run. The kit reads
// the cluster through its own client endpoint, "simtest", from the
// apiserver's watch cache (resourceVersion=0): its polling neither reaches
// etcd nor shows in the trace tail of a report.
//
// The kit is built on testify: failures go through assert.Fail, so they
// print like any other testify failure, and the methods that must stop
// the test call FailNow afterwards. A failed wait reads like this:
//
//	expected: 1 pod(s) matching "app=huge" Running in namespace default (within 20s of virtual time)
//	seen (at 22.435100s of virtual time):
//	    0 of 1 matching pod(s) Running
//	    NAME   READY   STATUS    RESTARTS   AGE   IP       NODE     NOMINATED NODE   READINESS GATES
//	    huge   0/1     Pending   0          20s   <none>   <none>   <none>           <none>
//	    events:
//	        LAST SEEN   TYPE      REASON             OBJECT     MESSAGE
//	        20s         Warning   FailedScheduling   pod/huge   0/2 nodes are available: 1 Insufficient cpu, ...
//	last 20 trace records:
//	    [    22.102981s] #3713 kube-scheduler-cp-1 -> kube-apiserver-cp-1 request: PUT ...
//
// Capture runs a function with a Recorder, a testing.TB that keeps
// failures instead of reporting them: to test what a grader says when it
// fails (examples/ does, for every exercise), and to run the kit in
// Example functions.
package simtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

// Endpoint is the name of the kit's client endpoint in the trace.
const Endpoint = "simtest"

// DefaultTraceTail is how many trace records a failure report ends with.
const DefaultTraceTail = 20

// pollEvery is how often (in virtual time) a wait looks at the cluster
// again, as cluster.WaitFor does.
const pollEvery = 100 * time.Millisecond

// Option configures Start.
type Option func(*settings)

type settings struct {
	cluster   cluster.Config
	schedCfgs []func(*framework.Config)
	leakCheck bool
	waitNodes bool
	tail      int
}

// Seed sets the run's seed (default 1).
func Seed(seed uint64) Option { return func(s *settings) { s.cluster.Seed = seed } }

// ControlPlanes names the control-plane nodes (default cp-1).
func ControlPlanes(names ...string) Option {
	return func(s *settings) { s.cluster.ControlPlanes = names }
}

// Workers names the worker nodes (default worker-1 and worker-2; none
// for no names).
func Workers(names ...string) Option {
	return func(s *settings) {
		if names == nil {
			names = []string{}
		}
		s.cluster.Workers = names
	}
}

// Nodes shapes nodes by name: capacity, zone, labels, taints (see
// cluster.NodeSpec). Naming a node here does not create it: list it in
// Workers or ControlPlanes too.
func Nodes(specs ...cluster.NodeSpec) Option {
	return func(s *settings) { s.cluster.Nodes = append(s.cluster.Nodes, specs...) }
}

// SchedulerPlugin registers a plugin with kube-scheduler under name and
// enables it in the default profile; weight matters for Score plugins
// (0 means 1). It is how a test runs its own plugin in a whole cluster.
func SchedulerPlugin(name string, factory framework.PluginFactory, weight int32) Option {
	return SchedulerConfig(func(cfg *framework.Config) {
		if err := cfg.Registry.Register(name, factory); err != nil {
			panic(fmt.Sprintf("simtest: %v", err))
		}
		cfg.Profiles[0] = cfg.Profiles[0].With(framework.PluginSpec{Name: name, Weight: weight})
	})
}

// SchedulerConfig changes kube-scheduler's framework configuration
// (disable a default plugin, change a weight). Several apply in order.
func SchedulerConfig(fn func(*framework.Config)) Option {
	return func(s *settings) { s.schedCfgs = append(s.schedCfgs, fn) }
}

// KernelOptions are passed to the kernel (trace capacity, sinks, logs).
func KernelOptions(opts ...sim.Option) Option {
	return func(s *settings) { s.cluster.Options = append(s.cluster.Options, opts...) }
}

// NoLeakCheck leaves out the goroutine leak check after the cluster stops,
// for packages that run tests in parallel and check with
// goleak.VerifyTestMain instead.
func NoLeakCheck() Option { return func(s *settings) { s.leakCheck = false } }

// NoWaitForNodes returns from Start as soon as the apiserver serves,
// without waiting for every node to be Ready.
func NoWaitForNodes() Option { return func(s *settings) { s.waitNodes = false } }

// TraceTail sets how many trace records a failure report ends with.
func TraceTail(n int) Option { return func(s *settings) { s.tail = n } }

// Kit is one test's handle on a running cluster. Its methods report
// failures to the test it was started with (or the one WithT names); they
// must be called from the test's goroutine, which drives the kernel.
type Kit struct {
	t     testing.TB
	c     *cluster.Cluster
	cl    *client.Client
	ns    string
	tail  int
	calls *callLog
}

// Start boots a cluster for t: by default one control plane (cp-1), two
// workers (worker-1, worker-2) and seed 1, and waits until every node is
// Ready and kube-scheduler and kube-controller-manager hold their leases.
// It stops the cluster when the test ends.
func Start(t testing.TB, opts ...Option) *Kit {
	t.Helper()
	s := settings{cluster: cluster.Config{Seed: 1}, leakCheck: true, waitNodes: true, tail: DefaultTraceTail}
	for _, o := range opts {
		o(&s)
	}
	if len(s.schedCfgs) > 0 {
		cfgs := s.schedCfgs
		s.cluster.Scheduler = func(cfg *framework.Config) {
			for _, fn := range cfgs {
				fn(cfg)
			}
		}
	}
	var ignore goleak.Option
	if s.leakCheck {
		ignore = goleak.IgnoreCurrent()
	}
	c, err := cluster.New(s.cluster)
	if err != nil {
		assert.Fail(t, fmt.Sprintf("simtest: the cluster did not boot: %v", err))
		t.FailNow()
		return nil
	}
	t.Cleanup(func() {
		c.Stop()
		if s.leakCheck {
			goleak.VerifyNone(t, ignore)
		}
	})
	k := &Kit{t: t, c: c, ns: "default", tail: s.tail, calls: &callLog{}}
	k.cl = client.New(k.endpoint(), cluster.AdminToken, c.APIServers...)
	k.cl.UserAgent = Endpoint
	if s.waitNodes {
		k.Eventually(time.Minute, "every node registered and Ready, kube-scheduler and kube-controller-manager leading", func() (string, bool) {
			leaders := k.leaders()
			return k.nodesTable() + leaders, c.NodesReady() && leaders == ""
		})
	}
	return k
}

// leaders says which of kube-scheduler and kube-controller-manager holds
// no Lease yet ("" once both lead), as kubeadm waits for the control
// plane before it reports the cluster up. It matters: a pod that already
// exists when kube-scheduler starts leading is queued by its first list
// but only scheduled at the next pod event or the 30 s flush of
// unschedulable pods.
func (k *Kit) leaders() string {
	var missing []string
	objs, _, _ := k.cl.List("leases", "kube-system", client.ListOptions{ResourceVersion: "0"})
	for _, name := range []string{"kube-scheduler", "kube-controller-manager"} {
		held := false
		for _, o := range objs {
			l := o.(*api.Lease)
			held = held || (l.Name == name && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "")
		}
		if !held {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("no leader yet: %s\n", strings.Join(missing, ", "))
}

func (k *Kit) endpoint() *recordingCaller {
	return &recordingCaller{ext: k.c.K.External(Endpoint, ""), k: k.c.K, log: k.calls}
}

// WithT returns a kit on the same cluster that reports to t: for
// subtests, or for a test of a grader's own messages.
func (k *Kit) WithT(t testing.TB) *Kit {
	out := *k
	out.t = t
	return &out
}

// InNamespace returns a kit on the same cluster whose pod names,
// selectors and manifests without a namespace refer to ns.
func (k *Kit) InNamespace(ns string) *Kit {
	out := *k
	out.ns = ns
	return &out
}

// T is the test the kit reports to.
func (k *Kit) T() testing.TB { return k.t }

// Cluster is the running cluster.
func (k *Kit) Cluster() *cluster.Cluster { return k.c }

// Kernel is the cluster's kernel.
func (k *Kit) Kernel() *sim.Kernel { return k.c.K }

// Trace is the kernel's trace.
func (k *Kit) Trace() *sim.Trace { return k.c.K.Trace() }

// Admin is kubectl with cluster-admin credentials.
func (k *Kit) Admin() *client.Client { return k.c.Admin }

// Now is the virtual time since the cluster booted.
func (k *Kit) Now() time.Duration { return k.c.K.Now() }

// RunFor lets d of virtual time pass.
func (k *Kit) RunFor(d time.Duration) { k.c.K.RunFor(d) }

// RunUntil runs the cluster until cond holds or within of virtual time
// has passed, looking every 100ms; it reports whether cond held. It does
// not fail the test: see Eventually for that.
func (k *Kit) RunUntil(cond func() bool, within time.Duration) bool {
	return k.c.WaitFor(cond, within)
}

// Eventually runs the cluster until check reports ok. If within of
// virtual time passes first, the test fails now with a report: expected,
// what check saw last, and the trace's tail.
func (k *Kit) Eventually(within time.Duration, expected string, check func() (seen string, ok bool)) bool {
	k.t.Helper()
	var seen string
	ok := k.RunUntil(func() bool {
		var done bool
		seen, done = check()
		return done
	}, within)
	if !ok {
		k.Fail(fmt.Sprintf("%s (within %v of virtual time)", expected, within), seen)
	}
	return ok
}

// Apply is `kubectl apply -f` of a manifest (one or more YAML documents);
// objects without a namespace go to the kit's namespace. A manifest that
// does not decode or that the apiserver refuses fails the test now.
func (k *Kit) Apply(manifest string) []cluster.ApplyResult {
	k.t.Helper()
	res, err := k.TryApply(manifest)
	if err != nil {
		k.Fail("the manifest to be applied", fmt.Sprintf("kubectl apply failed: %v", err))
	}
	return res
}

// TryApply is Apply that returns the error instead of failing: for tests
// about what the apiserver refuses.
func (k *Kit) TryApply(manifest string) ([]cluster.ApplyResult, error) {
	objs, err := api.DecodeManifests("manifest.yaml", []byte(manifest))
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		info, ok := api.ResourceOf(o)
		if m := o.GetObjectMeta(); ok && info.Namespaced && m.Namespace == "" {
			m.Namespace = k.ns
		}
	}
	return k.c.ApplyObjects(objs...)
}

// List lists a resource in the kit's namespace (all namespaces for a
// cluster-scoped resource) from the watch cache, sorted by name; selector
// is a label selector ("" for all). It fails the test on an error.
func (k *Kit) List(resource, selector string) []api.Object {
	k.t.Helper()
	objs, err := k.list(resource, selector)
	if err != nil {
		k.Fail(fmt.Sprintf("a list of %s", resource), err.Error())
	}
	return objs
}

func (k *Kit) list(resource, selector string) ([]api.Object, error) {
	ns := k.ns
	if info, ok := api.ResourceFor(resource); ok && !info.Namespaced {
		ns = ""
	}
	objs, _, err := k.cl.List(resource, ns, client.ListOptions{LabelSelector: selector, ResourceVersion: "0"})
	return objs, err
}

// Pods lists the pods of the kit's namespace matching a label selector
// ("" for all), sorted by name.
func (k *Kit) Pods(selector string) []*api.Pod {
	k.t.Helper()
	return podsOf(k.List("pods", selector))
}

func podsOf(objs []api.Object) []*api.Pod {
	out := make([]*api.Pod, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*api.Pod))
	}
	return out
}

// Pod returns a pod of the kit's namespace; a missing pod fails the test
// now, with the pods there are.
func (k *Kit) Pod(name string) *api.Pod {
	k.t.Helper()
	if p := k.findPod(name); p != nil {
		return p
	}
	k.Fail(fmt.Sprintf("pod %s/%s", k.ns, name), "no such pod\n"+k.podsReport(nil))
	return nil
}

func (k *Kit) findPod(name string) *api.Pod {
	objs, err := k.list("pods", "")
	if err != nil {
		return nil
	}
	for _, o := range objs {
		if o.GetObjectMeta().Name == name {
			return o.(*api.Pod)
		}
	}
	return nil
}

// Events returns the events about an object (matched by kind, namespace
// and name), oldest first.
func (k *Kit) Events(obj api.Object) []api.Event {
	k.t.Helper()
	kind := obj.GetTypeMeta().Kind
	if info, ok := api.ResourceOf(obj); ok {
		kind = info.Kind
	}
	m := obj.GetObjectMeta()
	return k.eventsAbout(kind, m.Namespace, m.Name)
}

func (k *Kit) eventsAbout(kind, ns, name string) []api.Event {
	objs, _, err := k.cl.List("events", ns, client.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil
	}
	var out []api.Event
	for _, o := range objs {
		e := o.(*api.Event)
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name && e.InvolvedObject.Namespace == ns {
			out = append(out, *e)
		}
	}
	slices.SortStableFunc(out, func(a, b api.Event) int {
		return eventTime(a).Compare(eventTime(b))
	})
	return out
}

func eventTime(e api.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}

// WaitForPodsRunning runs the cluster until at least n pods of the kit's
// namespace matching selector are Running, and returns them sorted by
// name. If within of virtual time passes first, the test fails now; the
// report shows the matching pods, the events of those not Running and the
// trace's tail.
func (k *Kit) WaitForPodsRunning(selector string, n int, within time.Duration) []*api.Pod {
	k.t.Helper()
	var running []*api.Pod
	expected := fmt.Sprintf("%d pod(s) matching %q Running in namespace %s", n, selector, k.ns)
	k.Eventually(within, expected, func() (string, bool) {
		objs, err := k.list("pods", selector)
		if err != nil {
			return err.Error(), false
		}
		pods := podsOf(objs)
		running = running[:0]
		for _, p := range pods {
			if p.Status.Phase == api.PodRunning {
				running = append(running, p)
			}
		}
		if len(running) >= n {
			return "", true
		}
		return fmt.Sprintf("%d of %d matching pod(s) Running\n%s", len(running), len(pods), k.podsReport(pods)), false
	})
	return running
}

// WaitForPod runs the cluster until the named pod satisfies cond, and
// returns it; expected says what cond checks ("scheduled on worker-1").
// If within of virtual time passes first, the test fails now, showing the
// pod, its events and the trace's tail.
func (k *Kit) WaitForPod(name string, within time.Duration, expected string, cond func(*api.Pod) bool) *api.Pod {
	k.t.Helper()
	var pod *api.Pod
	k.Eventually(within, fmt.Sprintf("pod %s/%s %s", k.ns, name, expected), func() (string, bool) {
		pod = k.findPod(name)
		if pod == nil {
			return "no such pod\n" + k.podsReport(nil), false
		}
		if cond(pod) {
			return "", true
		}
		return k.podsReport([]*api.Pod{pod}), false
	})
	return pod
}

// WaitForPodPhase waits until the named pod is in phase.
func (k *Kit) WaitForPodPhase(name string, phase api.PodPhase, within time.Duration) *api.Pod {
	k.t.Helper()
	return k.WaitForPod(name, within, "in phase "+string(phase), func(p *api.Pod) bool { return p.Status.Phase == phase })
}

// WaitForEvent runs the cluster until an event with reason is recorded
// about obj, and returns it. If within of virtual time passes first, the
// test fails now, listing the object's events.
func (k *Kit) WaitForEvent(obj api.Object, reason string, within time.Duration) api.Event {
	k.t.Helper()
	var found api.Event
	m := obj.GetObjectMeta()
	k.Eventually(within, fmt.Sprintf("an event %s about %s %s/%s", reason, obj.GetTypeMeta().Kind, m.Namespace, m.Name), func() (string, bool) {
		evs := k.Events(obj)
		for _, e := range evs {
			if e.Reason == reason {
				found = e
				return "", true
			}
		}
		return "events:\n" + indent(eventsTable(evs, k.c.K.WallTime())), false
	})
	return found
}

// Fail fails the test now with the kit's report: expected, seen, and the
// trace's tail. Graders use it for checks of their own.
func (k *Kit) Fail(expected, seen string) {
	k.t.Helper()
	assert.Fail(k.t, k.Report(expected, seen))
	k.t.FailNow()
}

// Check fails the test (and carries on) with the kit's report unless ok.
func (k *Kit) Check(ok bool, expected string, seen func() string) bool {
	k.t.Helper()
	if !ok {
		assert.Fail(k.t, k.Report(expected, seen()))
	}
	return ok
}

// Report formats a failure: what was expected, what the cluster showed,
// and the last records of the trace (without the kit's own reads).
func (k *Kit) Report(expected, seen string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "expected: %s\n", expected)
	fmt.Fprintf(&b, "seen (at %s of virtual time):\n", strings.TrimSpace(sim.FormatVirtual(k.c.K.Now())))
	if strings.TrimSpace(seen) == "" {
		seen = "(nothing)"
	}
	b.WriteString(indent(seen))
	tail := k.TraceTail(k.tail)
	fmt.Fprintf(&b, "last %d trace records:\n", len(tail))
	for _, r := range tail {
		b.WriteString("    " + r.Text() + "\n")
	}
	return b.String()
}

// TraceTail returns the newest n trace records, leaving out the kit's own
// reads (the requests of the "simtest" endpoint and the apiserver's
// authentication and authorization notes about them).
func (k *Kit) TraceTail(n int) []sim.Record {
	tr := k.c.K.Trace()
	recs := tr.Records()
	first := tr.Total() - uint64(len(recs)) + 1 // position of recs[0]
	var out []sim.Record
	for i := len(recs) - 1; i >= 0 && len(out) < n; i-- {
		if !k.calls.ours(recs[i], first+uint64(i)) {
			out = append(out, recs[i])
		}
	}
	slices.Reverse(out)
	return out
}

// podsReport is `kubectl get pods -o wide` of pods (all pods of the
// namespace when nil) and the events of those not Running.
func (k *Kit) podsReport(pods []*api.Pod) string {
	if pods == nil {
		objs, err := k.list("pods", "")
		if err != nil {
			return err.Error()
		}
		pods = podsOf(objs)
	}
	if len(pods) == 0 {
		return fmt.Sprintf("No resources found in %s namespace.\n", k.ns)
	}
	now := k.c.K.WallTime()
	objs := make([]api.Object, len(pods))
	for i, p := range pods {
		objs[i] = p
	}
	var b strings.Builder
	b.WriteString(table("pods", objs, now))
	var evs []api.Event
	for _, p := range pods {
		if p.Status.Phase != api.PodRunning {
			evs = append(evs, k.eventsAbout("Pod", p.Namespace, p.Name)...)
		}
	}
	if len(evs) > 0 {
		b.WriteString("events:\n")
		b.WriteString(indent(eventsTable(evs, now)))
	}
	return b.String()
}

func (k *Kit) nodesTable() string {
	objs, err := k.list("nodes", "")
	if err != nil {
		return err.Error()
	}
	if len(objs) == 0 {
		return "No resources found\n"
	}
	return table("nodes", objs, k.c.K.WallTime())
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines, "\n    ") + "\n"
}

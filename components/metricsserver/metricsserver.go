// Package metricsserver is metrics-server: the cluster add-on that scrapes
// every node's kubelet for its resource metrics (package kubelet's
// KindResourceMetrics, the /metrics/resource endpoint as data) every
// metric resolution (15 s, --metric-resolution) and serves the
// metrics.k8s.io/v1beta1 resource metrics API — PodMetrics and
// NodeMetrics — that the HorizontalPodAutoscaler controller and
// `kubectl top` read.
//
// Its actor runs for the kube-system pod of the metrics-server Deployment
// (k8s-app=metrics-server), named after the pod, as CoreDNS's does. Like
// the real one it keeps the last two scrapes of each node and reports as
// usage the rate between them: CPU in nanocores over the window between
// the two samples, memory as the last working set. A container that
// restarted between the samples (its start time changed) has no rate
// yet; a pod is reported only once all its containers have one, so a
// freshly started pod has no metrics for one resolution — the
// HorizontalPodAutoscaler's "missing metrics" case.
//
// # Where kubesim simplifies
//
//   - The metrics API is not served by kube-apiserver's aggregation layer
//     through an APIService: its clients (the HPA controller, `kubesim
//     serve`'s /apis/metrics.k8s.io) find the running metrics-server pod
//     in kube-system (Resolve) and ask its actor (KindQuery) directly.
//   - The kubelets are scraped one after another, each call bounded by
//     ScrapeTimeout, not concurrently.
package metricsserver

import (
	"fmt"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Defaults of the real metrics-server (v0.7).
const (
	// DefaultResolution is --metric-resolution.
	DefaultResolution = 15 * time.Second
	// ScrapeTimeout bounds one kubelet call.
	ScrapeTimeout = time.Second
)

// LabelApp is the label the metrics-server pods carry (k8s-app=metrics-server).
const (
	LabelKey   = "k8s-app"
	LabelValue = "metrics-server"
)

// KindQuery asks metrics-server for resource metrics; the body is a
// Query, the reply a QueryReply or an error.
const KindQuery = "metrics query"

// Query selects PodMetrics (Nodes false) or NodeMetrics (Nodes true).
type Query struct {
	Nodes bool
	// Namespace limits pods ("" every namespace); Name picks one object.
	Namespace, Name string
	// LabelSelector filters by the pods' (nodes') labels.
	LabelSelector string
}

// Summary implements sim.Summarizer.
func (q Query) Summary() string {
	what := "pods"
	if q.Nodes {
		what = "nodes"
	}
	s := what
	if q.Namespace != "" {
		s += " in " + q.Namespace
	}
	if q.Name != "" {
		s += " " + q.Name
	}
	if q.LabelSelector != "" {
		s += " -l " + q.LabelSelector
	}
	return s
}

// ContainerUsage is one container's usage in a PodMetrics.
type ContainerUsage struct {
	Name string
	// CPUNanoCores is the CPU rate over the window; MemoryBytes the
	// working set.
	CPUNanoCores int64
	MemoryBytes  int64
}

// PodMetrics is metrics.k8s.io/v1beta1 PodMetrics.
type PodMetrics struct {
	Namespace, Name string
	Labels          map[string]string
	// Timestamp is the end of the window (the last sample), Window its
	// length.
	Timestamp  time.Time
	Window     time.Duration
	Containers []ContainerUsage
}

// CPUMilli is the pod's CPU use in millicores (the sum of its containers').
func (p PodMetrics) CPUMilli() int64 {
	var n int64
	for _, c := range p.Containers {
		n += c.CPUNanoCores
	}
	return n / 1_000_000
}

// MemoryBytes is the pod's working set.
func (p PodMetrics) MemoryBytes() int64 {
	var n int64
	for _, c := range p.Containers {
		n += c.MemoryBytes
	}
	return n
}

// NodeMetrics is metrics.k8s.io/v1beta1 NodeMetrics.
type NodeMetrics struct {
	Name         string
	Labels       map[string]string
	Timestamp    time.Time
	Window       time.Duration
	CPUNanoCores int64
	MemoryBytes  int64
}

// QueryReply is the answer to a Query, sorted by namespace and name.
type QueryReply struct {
	Pods  []PodMetrics
	Nodes []NodeMetrics
}

// Summary implements sim.Summarizer.
func (r QueryReply) Summary() string {
	if r.Nodes != nil {
		return fmt.Sprintf("%d node metrics", len(r.Nodes))
	}
	return fmt.Sprintf("%d pod metrics", len(r.Pods))
}

// Config configures metrics-server.
type Config struct {
	// Token authenticates as the kube-system/metrics-server service
	// account (system:metrics-server's rules).
	Token string
	// APIServers are the kube-apiserver actors, tried in order.
	APIServers []string
	// Resolution is --metric-resolution (default 15 s).
	Resolution time.Duration
}

const kindScrape = "metrics-server scrape"

type server struct {
	cfg   Config
	c     *sim.Ctx
	pods  *client.Informer
	nodes *client.Informer
	// samples are the last two scrapes of each node (prev, cur).
	samples map[string][2]*kubelet.ResourceMetrics
	scrapes int
}

// New returns the actor body of metrics-server.
func New(cfg Config) func(*sim.Ctx) {
	if cfg.Resolution <= 0 {
		cfg.Resolution = DefaultResolution
	}
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "metrics-server/v0.7.2"
		s := &server{cfg: cfg, c: c, samples: map[string][2]*kubelet.ResourceMetrics{},
			pods: client.NewInformer(cl, "pods", "", client.ListOptions{}), nodes: client.NewInformer(cl, "nodes", "", client.ListOptions{})}
		c.Publish(s)
		s.run()
	}
}

func (s *server) run() {
	c := s.c
	c.After(0, kindScrape, nil)
	for {
		m := c.Recv()
		switch m.Kind {
		case kindScrape:
			s.scrape()
			c.After(s.cfg.Resolution, kindScrape, nil)
		case KindQuery:
			q, ok := m.Body.(Query)
			if !ok {
				c.ReplyErr(m, m.Kind, fmt.Errorf("metrics-server: bad query %T", m.Body))
				continue
			}
			reply, err := s.query(q)
			if err != nil {
				c.ReplyErr(m, m.Kind, err)
				continue
			}
			c.Reply(m, m.Kind, reply)
		default:
			if !s.pods.Dispatch(m) {
				s.nodes.Dispatch(m)
			}
		}
	}
}

// scrape reads every node's kubelet once.
func (s *server) scrape() {
	for _, in := range []*client.Informer{s.pods, s.nodes} {
		if !in.HasSynced() {
			if err := in.Run(); err != nil {
				s.c.Log().Info("Failed to sync informers", zap.Error(err))
				return
			}
		}
	}
	var names []string
	for _, o := range s.nodes.List() {
		names = append(names, o.GetObjectMeta().Name)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	ok := 0
	for _, n := range names {
		seen[n] = true
		m, err := s.c.Call(kubelet.ActorName(n), kubelet.KindResourceMetrics, nil, ScrapeTimeout)
		if err != nil {
			s.c.Log().Info("Failed to scrape node", zap.String("node", n), zap.Error(err))
			continue
		}
		rm := m.Body.(kubelet.ResourceMetrics)
		pair := s.samples[n]
		if pair[1] != nil && pair[1].At == rm.At {
			continue
		}
		s.samples[n] = [2]*kubelet.ResourceMetrics{pair[1], &rm}
		ok++
	}
	for n := range s.samples { // deleting: the order does not matter
		if !seen[n] {
			delete(s.samples, n)
		}
	}
	s.scrapes++
	s.c.Note("scrape", Scrape{Nodes: len(names), Scraped: ok})
}

// Scrape is the trace note of one scrape.
type Scrape struct{ Nodes, Scraped int }

// Summary implements sim.Summarizer.
func (s Scrape) Summary() string {
	return fmt.Sprintf("scraped %d of %d nodes", s.Scraped, s.Nodes)
}

type ctrKey struct{ ns, pod, ctr string }

func (s *server) query(q Query) (QueryReply, error) {
	sel, err := api.ParseSelector(q.LabelSelector)
	if err != nil {
		return QueryReply{}, err
	}
	nodeNames := make([]string, 0, len(s.samples))
	for n := range s.samples {
		nodeNames = append(nodeNames, n)
	}
	sort.Strings(nodeNames)
	if q.Nodes {
		out := QueryReply{Nodes: []NodeMetrics{}}
		for _, n := range nodeNames {
			pair := s.samples[n]
			if pair[0] == nil || (q.Name != "" && n != q.Name) {
				continue
			}
			var labels map[string]string
			if o, ok := s.nodes.Get(n); ok {
				labels = o.GetObjectMeta().Labels
			}
			if !sel.Matches(labels) {
				continue
			}
			prev, cur := pair[0], pair[1]
			window := cur.At - prev.At
			out.Nodes = append(out.Nodes, NodeMetrics{Name: n, Labels: labels, Timestamp: cur.Timestamp, Window: window,
				CPUNanoCores: rate(cur.NodeCPUUsageCoreNanoseconds-prev.NodeCPUUsageCoreNanoseconds, window), MemoryBytes: cur.NodeMemoryWorkingSetBytes})
		}
		if q.Name != "" && len(out.Nodes) == 0 {
			return QueryReply{}, notFound("nodes", q.Name)
		}
		return out, nil
	}
	out := QueryReply{Pods: []PodMetrics{}}
	for _, n := range nodeNames {
		pair := s.samples[n]
		if pair[0] == nil {
			continue
		}
		prev, cur := pair[0], pair[1]
		before := map[ctrKey]kubelet.ContainerMetrics{}
		for _, ct := range prev.Containers {
			before[ctrKey{ct.Namespace, ct.Pod, ct.Container}] = ct
		}
		window := cur.At - prev.At
		var pm *PodMetrics
		complete := true
		flush := func() {
			if pm != nil && complete && len(pm.Containers) > 0 {
				out.Pods = append(out.Pods, *pm)
			}
			pm, complete = nil, true
		}
		for _, ct := range cur.Containers { // sorted by namespace, pod, container
			if pm == nil || pm.Namespace != ct.Namespace || pm.Name != ct.Pod {
				flush()
				if (q.Namespace != "" && ct.Namespace != q.Namespace) || (q.Name != "" && ct.Pod != q.Name) {
					continue
				}
				o, ok := s.pods.Get(ct.Namespace + "/" + ct.Pod)
				if !ok || !sel.Matches(o.GetObjectMeta().Labels) {
					continue
				}
				pm = &PodMetrics{Namespace: ct.Namespace, Name: ct.Pod, Labels: o.GetObjectMeta().Labels, Timestamp: cur.Timestamp, Window: window}
			}
			b, ok := before[ctrKey{ct.Namespace, ct.Pod, ct.Container}]
			if !ok || !b.StartTime.Equal(ct.StartTime) {
				complete = false
				continue
			}
			pm.Containers = append(pm.Containers, ContainerUsage{Name: ct.Container,
				CPUNanoCores: rate(ct.CPUUsageCoreNanoseconds-b.CPUUsageCoreNanoseconds, window), MemoryBytes: ct.MemoryWorkingSetBytes})
		}
		flush()
	}
	sort.Slice(out.Pods, func(i, j int) bool {
		if out.Pods[i].Namespace != out.Pods[j].Namespace {
			return out.Pods[i].Namespace < out.Pods[j].Namespace
		}
		return out.Pods[i].Name < out.Pods[j].Name
	})
	if q.Name != "" && len(out.Pods) == 0 {
		return QueryReply{}, notFound("pods", q.Name)
	}
	return out, nil
}

// rate is core-nanoseconds used over a window, in nanocores.
func rate(used int64, window time.Duration) int64 {
	if window <= 0 || used < 0 {
		return 0
	}
	return int64(float64(used) / window.Seconds())
}

// notFound is the metrics API's NotFound ("podmetrics.metrics.k8s.io
// \"x\" not found").
func notFound(resource, name string) error {
	r := "podmetrics"
	if resource == "nodes" {
		r = "nodemetrics"
	}
	return apierrors.NewNotFound(Group, r, name)
}

// Group and Version of the resource metrics API.
const (
	Group   = "metrics.k8s.io"
	Version = "v1beta1"
)

// Resolve finds the actor serving the metrics API: the running, ready
// metrics-server pod of kube-system (the first by name), as the
// aggregation layer would reach the APIService's Service. Without one the
// error reads as kube-apiserver's when the APIService is unavailable.
func Resolve(cl *client.Client, resource string) (string, error) {
	objs, _, err := cl.List("pods", api.NamespaceSystem, client.ListOptions{LabelSelector: LabelKey + "=" + LabelValue})
	if err != nil {
		return "", err
	}
	pods := make([]*api.Pod, 0, len(objs))
	for _, o := range objs {
		pods = append(pods, o.(*api.Pod))
	}
	return Pick(pods, resource)
}

// Pick is Resolve over pods already read (a controller's cache).
func Pick(pods []*api.Pod, resource string) (string, error) {
	var names []string
	for _, p := range pods {
		if p.Namespace == api.NamespaceSystem && p.Labels[LabelKey] == LabelValue && p.DeletionTimestamp == nil && p.Status.Phase == api.PodRunning && podReady(p) {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return "", Unavailable(resource)
	}
	sort.Strings(names)
	return names[0], nil
}

// Unavailable is kube-apiserver's error for a metrics API whose
// APIService has no available endpoint: "the server is currently unable
// to handle the request (get pods.metrics.k8s.io)".
func Unavailable(resource string) error {
	return apierrors.NewServiceUnavailable(fmt.Sprintf("the server is currently unable to handle the request (get %s.%s)", resource, Group))
}

func podReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// Ask sends a query to the metrics-server actor found by Resolve.
func Ask(cl *client.Client, caller interface {
	Call(to, kind string, body any, timeout time.Duration) (*sim.Message, error)
}, q Query) (QueryReply, error) {
	resource := "pods"
	if q.Nodes {
		resource = "nodes"
	}
	actor, err := Resolve(cl, resource)
	if err != nil {
		return QueryReply{}, err
	}
	m, err := caller.Call(actor, KindQuery, q, 5*time.Second)
	if err != nil {
		if apierrors.ReasonOf(err) == apierrors.ReasonNotFound {
			return QueryReply{}, err
		}
		return QueryReply{}, Unavailable(resource)
	}
	return m.Body.(QueryReply), nil
}

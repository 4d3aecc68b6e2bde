package frontend

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/metricsserver"
)

// The resource metrics API, metrics.k8s.io/v1beta1: PodMetrics and
// NodeMetrics, which `kubectl top` reads. In a real cluster kube-apiserver
// proxies /apis/metrics.k8s.io to metrics-server through the
// v1beta1.metrics.k8s.io APIService; here a Backend that implements
// MetricsBackend asks the metrics-server pod's actor (package
// metricsserver), and only then is the group in discovery.

// MetricsBackend is a Backend that can answer the resource metrics API.
type MetricsBackend interface {
	Metrics(ctx context.Context, q metricsserver.Query) (metricsserver.QueryReply, error)
}

var metricsGV = api.GroupVersion{Group: metricsserver.Group, Version: metricsserver.Version}

// metricsResources are the two resources of the group, for discovery.
var metricsResources = []*api.ResourceInfo{
	{Group: metricsserver.Group, Version: metricsserver.Version, Kind: "NodeMetrics", ListKind: "NodeMetricsList", Resource: "nodes", Singular: "", Verbs: []string{"get", "list"}},
	{Group: metricsserver.Group, Version: metricsserver.Version, Kind: "PodMetrics", ListKind: "PodMetricsList", Resource: "pods", Singular: "", Namespaced: true, Verbs: []string{"get", "list"}},
}

func (h *Handler) metricsBackend() (MetricsBackend, bool) {
	mb, ok := h.cfg.Backend.(MetricsBackend)
	return mb, ok
}

// withMetrics adds the metrics group to the served groups (sorted by
// group name) when the backend serves it.
func (h *Handler) withMetrics(groups []groupVersionResources) []groupVersionResources {
	if _, ok := h.metricsBackend(); !ok {
		return groups
	}
	out := make([]groupVersionResources, 0, len(groups)+1)
	added := false
	for i, g := range groups {
		if !added && i > 0 && g.gv.Group > metricsGV.Group {
			out = append(out, groupVersionResources{gv: metricsGV, resources: metricsResources})
			added = true
		}
		out = append(out, g)
	}
	if !added {
		out = append(out, groupVersionResources{gv: metricsGV, resources: metricsResources})
	}
	return out
}

// metrics answers GET /apis/metrics.k8s.io/v1beta1/...: nodes[/name],
// pods, namespaces/<ns>/pods[/name], with labelSelector.
func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	mb, ok := h.metricsBackend()
	if !ok {
		writeError(w, notFound())
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// apis metrics.k8s.io v1beta1 ...
	if len(parts) == 2 {
		m := apiGroup(metricsGV)
		m["kind"], m["apiVersion"] = "APIGroup", "v1"
		writeJSON(w, http.StatusOK, m)
		return
	}
	if len(parts) < 3 || parts[2] != metricsserver.Version {
		writeError(w, notFound())
		return
	}
	if len(parts) == 3 {
		writeJSON(w, http.StatusOK, resourceList(groupVersionResources{gv: metricsGV, resources: metricsResources}))
		return
	}
	rest := parts[3:]
	q := metricsserver.Query{LabelSelector: r.URL.Query().Get("labelSelector")}
	switch {
	case rest[0] == "nodes" && len(rest) <= 2:
		q.Nodes = true
		if len(rest) == 2 {
			q.Name = rest[1]
		}
	case rest[0] == "pods" && len(rest) == 1:
	case rest[0] == "namespaces" && len(rest) >= 3 && len(rest) <= 4 && rest[2] == "pods":
		q.Namespace = rest[1]
		if len(rest) == 4 {
			q.Name = rest[3]
		}
	default:
		writeError(w, notFound())
		return
	}
	if _, err := api.ParseSelector(q.LabelSelector); err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	reply, err := mb.Metrics(r.Context(), q)
	if err != nil {
		writeError(w, err)
		return
	}
	now := h.cfg.Backend.Now()
	if q.Nodes {
		items := make([]map[string]any, 0, len(reply.Nodes))
		for _, n := range reply.Nodes {
			items = append(items, nodeMetricsJSON(n, now))
		}
		if q.Name != "" && len(items) == 1 {
			writeJSON(w, http.StatusOK, items[0])
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "NodeMetricsList", "apiVersion": metricsGV.String(), "metadata": map[string]any{}, "items": items})
		return
	}
	items := make([]map[string]any, 0, len(reply.Pods))
	for _, p := range reply.Pods {
		items = append(items, podMetricsJSON(p, now))
	}
	if q.Name != "" && len(items) == 1 {
		writeJSON(w, http.StatusOK, items[0])
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "PodMetricsList", "apiVersion": metricsGV.String(), "metadata": map[string]any{}, "items": items})
}

// usage is a ResourceList as metrics-server writes it: cpu in nanocores
// ("498123456n"), memory in Ki.
func usage(cpuNano, memBytes int64) map[string]string {
	return map[string]string{"cpu": strconv.FormatInt(cpuNano, 10) + "n", "memory": strconv.FormatInt(memBytes/1024, 10) + "Ki"}
}

func window(d time.Duration) string { return d.String() }

func podMetricsJSON(p metricsserver.PodMetrics, now time.Time) map[string]any {
	containers := make([]map[string]any, 0, len(p.Containers))
	for _, c := range p.Containers {
		containers = append(containers, map[string]any{"name": c.Name, "usage": usage(c.CPUNanoCores, c.MemoryBytes)})
	}
	meta := map[string]any{"name": p.Name, "namespace": p.Namespace, "creationTimestamp": now.UTC().Format(time.RFC3339)}
	if len(p.Labels) > 0 {
		meta["labels"] = p.Labels
	}
	return map[string]any{"kind": "PodMetrics", "apiVersion": metricsGV.String(), "metadata": meta,
		"timestamp": p.Timestamp.UTC().Format(time.RFC3339), "window": window(p.Window), "containers": containers}
}

func nodeMetricsJSON(n metricsserver.NodeMetrics, now time.Time) map[string]any {
	meta := map[string]any{"name": n.Name, "creationTimestamp": now.UTC().Format(time.RFC3339)}
	if len(n.Labels) > 0 {
		meta["labels"] = n.Labels
	}
	return map[string]any{"kind": "NodeMetrics", "apiVersion": metricsGV.String(), "metadata": meta,
		"timestamp": n.Timestamp.UTC().Format(time.RFC3339), "window": window(n.Window), "usage": usage(n.CPUNanoCores, n.MemoryBytes)}
}

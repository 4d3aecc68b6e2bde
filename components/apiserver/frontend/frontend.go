// Package frontend is kube-apiserver's HTTP face: it lets the real kubectl
// talk to the simulated cluster.
//
// A Handler translates each HTTP request of the REST API into an
// apiwire.Request and hands it to a Backend, which the driver implements
// by sending it to the kube-apiserver actor through the kernel. So every
// kubectl call enters the simulation as an ordinary request — the trace
// shows `kubectl -> kube-apiserver-cp-1 GET /api/v1/namespaces/default/pods`
// — and walks authentication, RBAC, admission, validation and storage like
// any other. There is no side door: the front end holds no state of the
// cluster and never writes anything itself.
//
// What the front end does itself is what the real apiserver's HTTP layer
// does before its storage code runs: routing, content negotiation (JSON,
// YAML bodies, protobuf for the built-in kinds as client-go sends and
// expects by default, or a server-side Table built with package printers
// when kubectl asks for one), decoding bodies with the requested
// fieldValidation, impersonation headers, discovery (aggregated v2 and
// legacy), OpenAPI v3 documents with the schemas of every served kind
// (kubectl's validation and `kubectl explain`), /version and the health
// endpoints, watch streams (JSON lines or length-delimited protobuf), and
// the upgraded streams of pods/exec, pods/attach and pods/portforward
// (streams.go), whose other end a StreamBackend answers.
//
// This package is the only one of kubesim that imports k8s.io's generated
// types, and only to translate: protobuf bodies into the JSON kubesim's
// decoder reads and back (protobuf.go), and their field documentation
// into the schemas (openapi.go). The stream protocols are k8s.io/streaming's
// (the WebSocket channel protocol and SPDY/3.1 that kube-apiserver and the
// kubelet use), not written again here.
// A body that cannot be decoded is refused here with the real Status text
// and never reaches the simulation (as the real apiserver refuses it in its
// handler, before admission).
//
// The package reads no clock: ages in tables come from Backend.Now, the
// simulation's virtual time.
package frontend

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/apiwire"
)

// Backend is what the front end needs from the driver that owns the kernel.
// Its methods are called from HTTP handler goroutines; the driver hands the
// work to the one goroutine that steps the kernel and waits for the answer.
type Backend interface {
	// Do sends one request to kube-apiserver and returns its answer (a
	// *apierrors.StatusError when the apiserver refused it).
	Do(ctx context.Context, r *apiwire.Request) (*apiwire.Response, error)
	// Watch opens a watch. Events arrive on the Watch's channel until the
	// apiserver ends it (the channel closes) or Stop is called.
	Watch(ctx context.Context, r *apiwire.Request) (*Watch, error)
	// Logs reads a container's log from the kubelet of the pod's node, as
	// kube-apiserver's pods/log proxies to the kubelet.
	Logs(ctx context.Context, r LogsRequest) ([]string, error)
	// Now is the simulation's current time, for the ages in tables.
	Now() time.Time
}

// Watch is an open watch.
type Watch struct {
	// Events delivers the watch's events; it is closed when the watch ends.
	Events <-chan *apiwire.WatchEvent
	// Stop cancels the watch; it may be called more than once.
	Stop func()
}

// LogsRequest asks for a container's log (GET pods/{name}/log).
type LogsRequest struct {
	Namespace, Pod, Node, Container string
	Previous, Timestamps            bool
}

// Config configures a Handler.
type Config struct {
	// Backend carries requests into the simulation. Required.
	Backend Backend
	// Token is the bearer token requests authenticate with. kubectl sends
	// no credentials over plain HTTP, so the front end acts as the user of
	// the kubeconfig it wrote (kubernetes-admin by default).
	Token string
	// UserAgent names the client in the trace ("kubectl").
	UserAgent string
}

// Handler is the http.Handler of the front end.
type Handler struct {
	cfg     Config
	mux     *http.ServeMux
	encoded encodedObjects // watch events' objects, encoded once
}

// New returns the front end's handler.
func New(cfg Config) *Handler {
	if cfg.UserAgent == "" {
		cfg.UserAgent = "kubectl"
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /version", h.version)
	for _, p := range []string{"/healthz", "/readyz", "/livez"} {
		h.mux.HandleFunc("GET "+p, h.health)
		h.mux.HandleFunc("GET "+p+"/", h.health)
	}
	h.mux.HandleFunc("GET /api", h.coreGroup)
	h.mux.HandleFunc("GET /apis", h.groups)
	h.mux.HandleFunc("GET /openapi/v2", h.openAPIV2)
	h.mux.HandleFunc("GET /openapi/v3", h.openAPIRoot)
	h.mux.HandleFunc("GET /openapi/v3/", h.openAPIGroupVersion)
	h.mux.HandleFunc("/api/", h.resource)
	h.mux.HandleFunc("/apis/", h.resource)
	h.mux.HandleFunc("GET /apis/metrics.k8s.io", h.metrics)
	h.mux.HandleFunc("GET /apis/metrics.k8s.io/", h.metrics)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, notFound()) })
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// request is the common part of every apiwire.Request the front end
// sends.
func (h *Handler) request(verb string) *apiwire.Request {
	return &apiwire.Request{Verb: verb, Token: h.cfg.Token, UserAgent: h.cfg.UserAgent}
}

// wantsTable reports whether the client asked for a server-side Table, as
// `kubectl get` does: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`.
func wantsTable(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=Table") && strings.Contains(part, "g=meta.k8s.io") {
			return true
		}
	}
	return false
}

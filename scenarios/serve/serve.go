// Package serve runs a simulated cluster behind an HTTP listener, so the
// real kubectl can drive it: `kubesim serve`, then
// `kubectl --kubeconfig kubesim.kubeconfig get pods`.
//
// One goroutine — the one that calls Run — owns the kernel. It paces
// virtual time to the wall clock (Speed virtual seconds per wall second; or
// Paused, where time moves only when the prompt says so) and, between
// steps, serves the requests the HTTP handlers hand it over a channel, one
// at a time and in the order they arrived. A request is sent to
// kube-apiserver from the "kubectl" endpoint and the kernel steps until
// the answer comes back, so it shows in the trace like any other client's:
//
//	kubectl -> kube-apiserver-cp-1 GET /api/v1/namespaces/default/pods
//
// Watch events pushed to that endpoint are routed to the HTTP streams that
// opened them. Given the same requests in the same order, in paused mode,
// the trace is the same on every run.
//
// With Config.Users the server is a classroom (classroom.go): a client
// certificate, a namespace and an ordinary user's RBAC for every trainee,
// cluster-admin for the instructor, no anonymous requests. With
// Config.AuditLog every HTTP request is logged as an audit.k8s.io/v1 Event
// (audit.go), beside the simulation: the trace does not change.
//
// This is the only place of kubesim where the wall clock is read: the
// pacing loop lives here, outside the simulation, and so do the audit
// log's timestamps and the certificates' validity.
package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiserver/frontend"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/metricsserver"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Config configures a Server.
type Config struct {
	// Cluster is the cluster to serve; the Server takes it over and stops
	// it when Run returns.
	Cluster *cluster.Cluster
	// Listen is the address to listen on (default 127.0.0.1:0, a free
	// port on the loopback interface only).
	Listen string
	// Speed is how many virtual seconds pass per wall-clock second
	// (default 1).
	Speed float64
	// Paused starts with virtual time stopped: it moves only through
	// Advance and Step (the prompt's `advance 30s` and `step`), and while
	// requests are served.
	Paused bool
	// Token is the simulated identity the served kubeconfig's credential
	// stands for (default: kubernetes-admin's token). The kubeconfig
	// itself carries a bearer token made fresh for the run; requests
	// without it act as who their own credentials say (authn.go).
	Token string
	// AllowNonLoopback acknowledges that Listen is an address other
	// machines can reach. Without it such an address is refused.
	AllowNonLoopback bool
	// RequestTimeout bounds one request in virtual time (default 60 s).
	RequestTimeout time.Duration
	// DNSListen, if set, is the address of the DNS front end (UDP and
	// TCP), which answers through the simulated CoreDNS.
	DNSListen string
	// Boot, if set, boots a cluster exactly as Cluster was booted, after
	// adjust has added to its configuration (kernel options, Created): the
	// prompt's time travel replays the served run on it (travel.go).
	// Without it, the prompt cannot go back.
	Boot func(adjust func(*cluster.Config)) (*cluster.Cluster, error)
	// Commands are prompt commands of whoever serves the cluster (an
	// incident's check, hint, give-up), tried before the built-in ones.
	Commands []Command
	// Users, if set, makes the server a classroom (classroom.go): every
	// user named gets a client certificate, a namespace of its own and the
	// RBAC of an ordinary user there; Instructor is cluster-admin.
	// Requests without credentials are then refused (401), and Listen
	// may be an address other machines reach.
	Users []string
	// Instructor is the classroom's cluster-admin user (default
	// "instructor").
	Instructor string
	// AdvertiseAddress, if set, is the host other machines reach the
	// server at (kube-apiserver's --advertise-address): the classroom's
	// kubeconfigs name it, and the serving certificate covers it. Without
	// it they name the listen address, or, when that is every address of
	// the machine (0.0.0.0, [::]), its first non-loopback IPv4 address.
	AdvertiseAddress string
	// AuditLog, if set, receives one audit.k8s.io/v1 Event per HTTP
	// request, a JSON line each (audit.go). It is written out of band:
	// the trace is the same without it.
	AuditLog io.Writer
	// Routes, if set, answers the HTTP requests under /kubesim/ (an
	// incident's check for `kubesim incident check`); the rest go to the
	// Kubernetes API front end. They answer loopback clients only, with the
	// served kubeconfig's own credentials (authn.go).
	Routes http.Handler
	// UI, if set, makes the web view (package web) that answers under
	// /ui/, for loopback browsers with the one-time link's cookie or the
	// kubeconfig's token (ui.go).
	UI func(*Server) http.Handler
}

// Command is a prompt command.
type Command struct {
	Name string
	// Help is its line in help ("check  grade the fix").
	Help string
	Run  func(ctx context.Context, args []string, out io.Writer)
}

// Server is a cluster served over HTTP.
type Server struct {
	cfg     Config
	c       *cluster.Cluster
	ext     *sim.External
	cl      *client.Client
	handler http.Handler

	pki   *pki
	token string   // the served kubeconfig's bearer token
	hosts []string // what Host headers may name besides loopback
	users []*classUser
	audit *auditLog // nil without Config.AuditLog

	jobs chan func()
	done chan struct{}

	now    atomic.Int64 // virtual wall time, unix nanoseconds, for Backend.Now
	paused atomic.Bool
	speed  atomic.Uint64 // math.Float64bits

	// Owned by the driver goroutine.
	watches     map[watchKey]*watchState
	journal     []sim.Input // every input since the server took the cluster over
	forwardPort int         // port-forwarded requests so far (their source ports)

	ui uiAuth

	past    *cursor.Session // the prompt's time travel, when it is in the past (prompt goroutine only)
	sshNode string          // the node the prompt is on after `ssh NODE` (prompt goroutine only)

	mu       sync.Mutex
	listener net.Listener
	httpSrv  *http.Server
	dns      *dnsServers
}

// watchKey names a watch: watch IDs are per apiserver.
type watchKey struct {
	server string
	id     int64
}

type watchState struct {
	ch     chan *apiwire.WatchEvent
	closed bool
}

// watchBuffer is how many events a watch stream may fall behind before
// the server gives up on it, as the apiserver's watch cache drops a
// watcher that does not keep up (the client lists again).
const watchBuffer = 4096

// New prepares a server for a booted cluster.
func New(cfg Config) (*Server, error) {
	if cfg.Cluster == nil {
		return nil, errors.New("serve: Config.Cluster is required")
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Speed == 0 {
		cfg.Speed = 1
	}
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("serve: speed must be positive, got %v", cfg.Speed)
	}
	if cfg.Token == "" {
		cfg.Token = cluster.AdminToken
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = client.DefaultTimeout
	}
	if len(cfg.Users) > 0 && cfg.Instructor == "" {
		cfg.Instructor = DefaultInstructor
	}
	if len(cfg.Users) > 0 {
		if err := checkUsers(cfg.Users, cfg.Instructor); err != nil {
			return nil, err
		}
	}
	if !IsLoopback(cfg.Listen) && !cfg.AllowNonLoopback && len(cfg.Users) == 0 {
		return nil, fmt.Errorf("serve: %s is not a loopback address: other machines could reach the cluster; say so explicitly to listen there", cfg.Listen)
	}
	hosts := servedHosts(cfg.Listen)
	if cfg.AdvertiseAddress != "" {
		if strings.ContainsAny(cfg.AdvertiseAddress, ":/ ") && net.ParseIP(cfg.AdvertiseAddress) == nil {
			return nil, fmt.Errorf("serve: advertise address %q: expected a host name or an IP address, without a port", cfg.AdvertiseAddress)
		}
		hosts = append(hosts, cfg.AdvertiseAddress)
	}
	p, err := newPKI(hosts)
	if err != nil {
		return nil, fmt.Errorf("serve: making the serving certificate: %w", err)
	}
	s := &Server{pki: p, token: newToken(), hosts: hosts, cfg: cfg, c: cfg.Cluster, jobs: make(chan func()), done: make(chan struct{}), watches: map[watchKey]*watchState{}}
	if cfg.AuditLog != nil {
		s.audit = &auditLog{w: cfg.AuditLog}
	}
	s.ui.secret = newToken()
	s.ext = s.c.Kubectl()
	// No default token: each request carries its own credentials, and
	// none is system:anonymous.
	s.cl = client.New(s.ext, "", s.c.APIServers...)
	s.cl.UserAgent = "kubectl"
	s.cl.Timeout = cfg.RequestTimeout
	s.handler = s.guard(frontend.New(frontend.Config{Backend: (*backend)(s), UserAgent: "kubectl"}))
	s.c.K.JournalInputs(func(in sim.Input) { s.journal = append(s.journal, in) })
	if len(cfg.Users) > 0 {
		if err := s.setUpClassroom(); err != nil {
			return nil, err
		}
	}
	s.paused.Store(cfg.Paused)
	s.SetSpeed(cfg.Speed)
	s.publishNow()
	return s, nil
}

// Handler is the HTTP front end behind its guard (for tests that serve it
// themselves).
func (s *Server) Handler() http.Handler { return s.handler }

// Listen opens the listener; Addr reports it afterwards.
func (s *Server) Listen() error {
	l, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	if s.cfg.DNSListen != "" {
		if err := s.listenDNS(s.cfg.DNSListen); err != nil {
			l.Close()
			return err
		}
	}
	s.mu.Lock()
	// Request a client certificate, advertising the run's CA, but let a
	// request without one through to the other authenticators: the guard
	// verifies what was presented, as kube-apiserver with --client-ca-file
	// does.
	s.listener = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{s.pki.cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
		ClientAuth: tls.RequestClientCert, ClientCAs: s.pki.caPool})
	mux := http.NewServeMux()
	mux.Handle(NodesPath, s.guard(s.adminOnly(loopbackOnly(s.nodesHandler()))))
	if s.cfg.Routes != nil {
		mux.Handle("/kubesim/", s.guard(s.adminOnly(loopbackOnly(s.cfg.Routes))))
	}
	if s.cfg.UI != nil {
		mux.Handle("/ui/", s.guard(loopbackOnly(s.uiGate(s.cfg.UI(s)))))
	}
	mux.Handle("/", s.handler)
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	s.mu.Unlock()
	return nil
}

// Addr is the address the server listens on ("127.0.0.1:41234").
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// URL is the server's base URL.
func (s *Server) URL() string { return "https://" + s.Addr() }

// AdvertisedURL is the URL other machines reach the server at (see
// Config.AdvertiseAddress); the loopback URL when it listens there.
func (s *Server) AdvertisedURL() string {
	addr := s.Addr()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return s.URL()
	}
	switch ip := net.ParseIP(host); {
	case s.cfg.AdvertiseAddress != "":
		host = s.cfg.AdvertiseAddress
	case ip != nil && ip.IsUnspecified():
		host = "127.0.0.1"
		for _, h := range s.hosts {
			if hip := net.ParseIP(h); hip != nil && hip.To4() != nil && !hip.IsLoopback() && !hip.IsLinkLocalUnicast() {
				host = h
				break
			}
		}
	}
	return "https://" + net.JoinHostPort(host, port)
}

// CA is the PEM certificate of the CA that signed the serving certificate.
func (s *Server) CA() []byte { return s.pki.caPEM }

// BearerToken is the served kubeconfig's token: it acts as Config.Token.
func (s *Server) BearerToken() string { return s.token }

// CAPool is a certificate pool that trusts the server.
func CAPool(caPEM []byte) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return pool
}

// Cluster is the served cluster. Use it only from functions passed to Do.
func (s *Server) Cluster() *cluster.Cluster { return s.c }

// Run serves until ctx ends: it listens (if Listen was not called), drives
// the kernel and answers requests. It stops the HTTP server, closes the
// watch streams and shuts the kernel down before returning.
func (s *Server) Run(ctx context.Context) error {
	if s.Addr() == "" {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	srv, l := s.httpSrv, s.listener
	s.mu.Unlock()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	if s.dns != nil {
		s.dns.start()
	}

	err := s.drive(ctx)

	close(s.done)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for key := range s.watches {
		s.closeWatch(key)
	}
	if e := srv.Shutdown(shutdownCtx); e != nil {
		srv.Close()
	}
	if s.dns != nil {
		s.dns.stop(shutdownCtx)
	}
	if e := <-serveErr; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	s.c.Stop()
	return err
}

// tick is how often the pacing loop moves virtual time forward.
const tick = 10 * time.Millisecond

func (s *Server) drive(ctx context.Context) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	wallStart, virtStart := time.Now(), s.c.K.Now()
	wasPaused, lastSpeed := s.paused.Load(), s.Speed()
	for {
		select {
		case <-ctx.Done():
			return nil
		case job := <-s.jobs:
			job()
			s.route()
		case <-t.C:
			paused := s.paused.Load()
			if speed := s.Speed(); paused != wasPaused || speed != lastSpeed {
				wallStart, virtStart, wasPaused, lastSpeed = time.Now(), s.c.K.Now(), paused, speed
			}
			if paused {
				continue
			}
			target := virtStart + time.Duration(float64(time.Since(wallStart))*s.Speed())
			if d := target - s.c.K.Now(); d > 0 {
				// Catch up at most a second of virtual time per tick, so
				// requests are not starved when the simulation is slow.
				if d > time.Second {
					d = time.Second
				}
				s.c.K.RunFor(d)
				s.route()
			}
		}
		s.publishNow()
	}
}

func (s *Server) publishNow() { s.now.Store(s.c.K.WallTime().UnixNano()) }

// Do runs fn on the driver goroutine, between kernel steps, and waits for
// it. fn may use the cluster freely.
func (s *Server) Do(ctx context.Context, fn func(c *cluster.Cluster)) error {
	done := make(chan struct{})
	job := func() {
		defer close(done)
		fn(s.c)
	}
	select {
	case s.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errStopped
	}
	select {
	case <-done:
		return nil
	case <-s.done:
		return errStopped
	}
}

var errStopped = errors.New("serve: the server is shutting down")

// Advance moves virtual time forward by d (the prompt's `advance 30s`).
func (s *Server) Advance(ctx context.Context, d time.Duration) error {
	return s.Do(ctx, func(c *cluster.Cluster) { c.K.RunFor(d) })
}

// Step delivers the next event and returns its trace line (the prompt's
// `step`); "" when nothing is queued.
func (s *Server) Step(ctx context.Context) (string, error) {
	var line string
	err := s.Do(ctx, func(c *cluster.Cluster) {
		mark := c.K.Trace().Total()
		if !c.K.Step() {
			return
		}
		for _, r := range c.K.Trace().Since(mark) {
			if line != "" {
				line += "\n"
			}
			line += r.Text()
		}
	})
	return line, err
}

// SetPaused stops or restarts virtual time.
func (s *Server) SetPaused(p bool) { s.paused.Store(p) }

// Paused reports whether virtual time is stopped.
func (s *Server) Paused() bool { return s.paused.Load() }

// SetSpeed sets how many virtual seconds pass per wall second.
func (s *Server) SetSpeed(f float64) {
	if f > 0 {
		s.speed.Store(floatBits(f))
	}
}

// Speed is the pacing factor.
func (s *Server) Speed() float64 { return floatFrom(s.speed.Load()) }

// Now is the simulation's current time as the cluster's clocks show it.
func (s *Server) Now() time.Time { return time.Unix(0, s.now.Load()).UTC() }

// route hands the watch events that reached the kubectl endpoint to their
// streams.
func (s *Server) route() {
	for {
		m, ok := s.ext.Recv()
		if !ok {
			return
		}
		ev, ok := m.Body.(*apiwire.WatchEvent)
		if !ok {
			continue
		}
		for _, id := range ev.IDs() {
			key := watchKey{server: m.From, id: id}
			w := s.watches[key]
			if w == nil || w.closed {
				continue
			}
			select {
			case w.ch <- ev:
				if ev.Type == apiwire.Error {
					s.closeWatch(key)
				}
			default:
				s.closeWatch(key) // too slow: end the stream; the client relists
				s.cancelWatch(key)
			}
		}
	}
}

func (s *Server) closeWatch(key watchKey) {
	if w := s.watches[key]; w != nil {
		if !w.closed {
			w.closed = true
			close(w.ch)
		}
		delete(s.watches, key)
	}
}

// cancelWatch tells the apiserver the client hung up, as a closed HTTP
// connection tells the real one.
func (s *Server) cancelWatch(key watchKey) {
	s.ext.Call(key.server, apiwire.KindRequest, apiwire.CancelWatch{WatchID: key.id}, time.Second)
}

// backend is the Server as the front end sees it.
type backend Server

var _ frontend.Backend = (*backend)(nil)

func (b *backend) Do(ctx context.Context, r *apiwire.Request) (*apiwire.Response, error) {
	s := (*Server)(b)
	var res *apiwire.Response
	var err error
	credentialsFrom(ctx).apply(r)
	if e := s.Do(ctx, func(*cluster.Cluster) { res, err = s.cl.Do(r) }); e != nil {
		return nil, e
	}
	return res, err
}

func (b *backend) Watch(ctx context.Context, r *apiwire.Request) (*frontend.Watch, error) {
	s := (*Server)(b)
	var key watchKey
	var ch chan *apiwire.WatchEvent
	var err error
	credentialsFrom(ctx).apply(r)
	e := s.Do(ctx, func(c *cluster.Cluster) {
		// Like client.Client, try the apiservers in order; remember which
		// one holds the watch.
		for _, a := range c.APIServers {
			var m *sim.Message
			m, err = s.ext.Call(a, apiwire.KindRequest, r, s.cfg.RequestTimeout)
			if errors.Is(err, sim.ErrTimeout) || errors.Is(err, sim.ErrRefused) {
				continue
			}
			if err != nil {
				return
			}
			key = watchKey{server: a, id: m.Body.(*apiwire.Response).WatchID}
			ch = make(chan *apiwire.WatchEvent, watchBuffer)
			s.watches[key] = &watchState{ch: ch}
			return
		}
	})
	if e != nil {
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = s.Do(context.Background(), func(*cluster.Cluster) {
				if _, open := s.watches[key]; open {
					s.closeWatch(key)
					s.cancelWatch(key)
				}
			})
		})
	}
	return &frontend.Watch{Events: ch, Stop: stop}, nil
}

func (b *backend) Logs(ctx context.Context, r frontend.LogsRequest) ([]string, error) {
	s := (*Server)(b)
	var lines []string
	var err error
	e := s.Do(ctx, func(c *cluster.Cluster) {
		name := kubelet.ActorName(r.Node)
		if !c.K.Running(name) {
			return // no kubelet runs there: an empty log
		}
		var m *sim.Message
		m, err = s.ext.Call(name, kubelet.KindLogs, kubelet.LogsRequest{Namespace: r.Namespace, Pod: r.Pod, Container: r.Container, Previous: r.Previous, Timestamps: r.Timestamps}, 10*time.Second)
		if err != nil {
			return
		}
		if res, ok := m.Body.(*kubelet.LogsResponse); ok {
			lines = res.Lines
		}
	})
	if e != nil {
		return nil, e
	}
	return lines, err
}

func (b *backend) Now() time.Time { return (*Server)(b).Now() }

var _ frontend.CustomBackend = (*backend)(nil)

// CustomResourceDefinitions are the CRDs the first ready apiserver
// serves, read from its cache between kernel steps (as kube-apiserver's
// discovery reads its own CRD informer).
func (b *backend) CustomResourceDefinitions(ctx context.Context) []*api.CustomResourceDefinition {
	s := (*Server)(b)
	var out []*api.CustomResourceDefinition
	_ = s.Do(ctx, func(c *cluster.Cluster) {
		for _, a := range c.APIServers {
			if v, ok := c.Inspect(a).(apiserver.View); ok && v.Ready() {
				out = v.ServedDefinitions()
				return
			}
		}
	})
	return out
}

// loopbackOnly refuses requests that do not come from the loopback
// interface, or whose Host header names another host (a page in a browser
// reaching a local port through DNS rebinding).
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		reqHost := r.Host
		if h, _, err := net.SplitHostPort(reqHost); err == nil {
			reqHost = h
		}
		if err != nil || ip == nil || !ip.IsLoopback() || (reqHost != "localhost" && (net.ParseIP(reqHost) == nil || !net.ParseIP(reqHost).IsLoopback())) {
			area := "/kubesim/"
			if strings.HasPrefix(r.URL.Path, "/ui/") {
				area = "/ui/"
			}
			http.Error(w, "forbidden: only loopback clients may use "+area, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Metrics answers the resource metrics API from the metrics-server pod's
// actor, as kube-apiserver's aggregation layer would proxy it.
// Simplification: the caller is not authorized for metrics.k8s.io; the
// cluster's admin client finds the pod.
func (b *backend) Metrics(ctx context.Context, q metricsserver.Query) (metricsserver.QueryReply, error) {
	s := (*Server)(b)
	var reply metricsserver.QueryReply
	var err error
	if e := s.Do(ctx, func(c *cluster.Cluster) { reply, err = metricsserver.Ask(c.Admin, c.Kubectl(), q) }); e != nil {
		return metricsserver.QueryReply{}, e
	}
	return reply, err
}

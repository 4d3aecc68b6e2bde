// Package coredns runs CoreDNS as a kernel actor: one actor per pod of the
// kube-system CoreDNS Deployment ("coredns-<n>"), behind the kube-dns
// Service (10.96.0.10) like any Service, through kube-proxy's rules.
//
// Each actor watches Services, EndpointSlices, Pods and Namespaces (as
// system:serviceaccount:kube-system:coredns) into a dns.Store and answers
// KindQuery messages with package dns's kubeadm server (errors,
// loadbalance, cache, kubernetes, forward) — the same ServeDNS a pod's
// resolver, a probe or a network front end reaches. Until the first lists
// have completed the kubernetes plugin answers SERVFAIL, as CoreDNS does
// while it waits for the API ("plugin/kubernetes: waiting for Kubernetes
// API before starting server"). Names outside the cluster domain go to the
// scenario's upstream resolvers (Config.Upstreams: a fake Internet such as
// dns.StaticUpstream). KindCorefile returns the Corefile text of the
// coredns ConfigMap.
//
// A crashed CoreDNS pod answers nothing: its queries time out, and the
// pod's resolver prints ";; connection timed out; no servers could be
// reached".
package coredns

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Message kinds CoreDNS answers.
const (
	// KindQuery: body a Query, reply a Reply.
	KindQuery = "DNS query"
	// KindCorefile: reply the Corefile text.
	KindCorefile = "Corefile"
	kindRetry    = "retry-informers"
)

// Query is a DNS message from a client address, as it arrives on
// CoreDNS's UDP socket at :53.
type Query struct {
	Client netip.AddrPort
	Msg    *dns.Msg
}

// Summary implements sim.Summarizer: "A web.default.svc.cluster.local.".
func (q Query) Summary() string {
	return fmt.Sprintf("%s %s from %s", q.Msg.Q().Type, q.Msg.Q().Name, q.Client)
}

// Reply is CoreDNS's answer.
type Reply struct{ Msg *dns.Msg }

// Summary implements sim.Summarizer: "web.default.svc.cluster.local.
// NOERROR: A 10.96.12.34".
func (r Reply) Summary() string { return r.Msg.Q().Name + " " + r.Result() }

// Result is the reply without the name: "NXDOMAIN", "NOERROR: A 10.96.0.10".
func (r Reply) Result() string {
	if r.Msg.Rcode != dns.RcodeSuccess {
		return r.Msg.Rcode.String()
	}
	parts := ""
	for i, rr := range r.Msg.Answer {
		if i > 0 {
			parts += ", "
		}
		parts += rr.Type.String() + " " + rr.Data
	}
	if parts == "" {
		parts = "no answer"
	}
	return "NOERROR: " + parts
}

// Config configures one CoreDNS pod.
type Config struct {
	// Token authenticates as the kube-system/coredns service account.
	Token string
	// APIServers are the kube-apiserver actors, tried in order.
	APIServers []string
	// Corefile fills kubeadm's Corefile (cluster domain, upstream).
	Corefile dns.CorefileOptions
	// Upstreams stand for the nameservers of the node's /etc/resolv.conf
	// that "forward . /etc/resolv.conf" sends other names to. None: every
	// forwarded query fails with SERVFAIL.
	Upstreams []dns.Upstream
}

type coreDNS struct {
	cfg       Config
	c         *sim.Ctx
	store     *dns.Store
	server    *dns.KubeadmServer
	informers []*client.Informer
}

// New returns a CoreDNS pod's actor body.
func New(cfg Config) func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "coredns"
		d := &coreDNS{cfg: cfg, c: c, store: dns.NewStore(c.WallTime)}
		d.server = dns.NewKubeadmServer(dns.KubeadmConfig{CorefileOptions: cfg.Corefile, Backend: d.store, Upstreams: cfg.Upstreams, Clock: c.WallTime, Rand: c.Rand()})
		add := func(resource string, upsert func(api.Object), del func(ns, name string)) {
			in := client.NewInformer(cl, resource, "", client.ListOptions{})
			in.AddHandler(client.Handler{
				OnAdd:    upsert,
				OnUpdate: func(_, o api.Object) { upsert(o) },
				OnDelete: func(o api.Object) { del(o.GetObjectMeta().Namespace, o.GetObjectMeta().Name) },
			})
			d.informers = append(d.informers, in)
		}
		s := d.store
		add("namespaces", func(o api.Object) { s.UpsertNamespace(o.(*api.Namespace)) }, func(_, name string) { s.DeleteNamespace(name) })
		add("services", func(o api.Object) { s.UpsertService(o.(*api.Service)) }, s.DeleteService)
		add("endpointslices", func(o api.Object) { s.UpsertEndpointSlice(o.(*api.EndpointSlice)) }, s.DeleteEndpointSlice)
		add("pods", func(o api.Object) { s.UpsertPod(o.(*api.Pod)) }, s.DeletePod)
		d.run()
	}
}

func (d *coreDNS) run() {
	c := d.c
	d.start()
	for {
		m := c.Recv()
		switch m.Kind {
		case kindRetry:
			d.start()
		case KindQuery:
			q := m.Body.(Query)
			out := d.server.ServeDNS(context.Background(), q.Client, q.Msg)
			c.Reply(m, KindQuery, Reply{Msg: out})
		case KindCorefile:
			c.Reply(m, KindCorefile, d.server.Corefile)
		default:
			for _, in := range d.informers {
				if in.Dispatch(m) {
					break
				}
			}
		}
	}
}

func (d *coreDNS) start() {
	for _, in := range d.informers {
		if in.HasSynced() {
			continue
		}
		if err := in.Run(); err != nil {
			d.c.Log().Info("plugin/kubernetes: waiting for Kubernetes API before starting server", zap.Error(err))
			d.c.After(time.Second, kindRetry, nil)
			return
		}
	}
	d.store.SetSynced(true)
	d.c.Note("ready", "plugin/kubernetes: synced; serving .:53")
}

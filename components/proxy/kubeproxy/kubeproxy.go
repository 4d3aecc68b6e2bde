// Package kubeproxy runs kube-proxy as a kernel actor: "kube-proxy-<node>",
// the pod of the kube-proxy DaemonSet on every node.
//
// It watches Services, EndpointSlices and its own Node through the
// apiserver (as system:serviceaccount:kube-system:kube-proxy), feeds them
// into package proxy's pure core — the iptables Proxier, or in eBPF mode
// the BPFLoadBalancer that stands for Cilium's kube-proxy replacement — and
// syncs with kube-proxy's rhythm: not before both informers have synced,
// at most once per minSyncPeriod (1 s) after a change, and at least once
// per syncPeriod (30 s), a full resync at least once an hour
// (proxyutil.FullSyncPeriod). Each sync that changes the rules is a Note
// in the trace ("programmed 12 rules for 3 service ports") and a
// KindRestore message to the node's kernel (package datapath), which keeps
// the rules as netfilter does: a crashed kube-proxy leaves them as they
// were, and traffic follows the stale rules until a restarted kube-proxy
// relists and syncs again.
//
// KindRules asks kube-proxy for the rules of its last sync as text
// (iptables-restore input, or "cilium-dbg bpf lb list" in eBPF mode).
//
// A sync recompiles only the Services whose Service or EndpointSlices
// changed, as kube-proxy's partial syncs do, and the cluster's nodes share
// what they compiled from the same inputs (proxy.RuleCache); the rules are
// those of a full rebuild. Where kubesim simplifies: the whole ruleset is
// handed to the node's kernel on every sync that changed something; there
// is no conntrack cleanup, no healthz server and no nftables or IPVS mode.
package kubeproxy

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Mode is kube-proxy's proxy mode.
type Mode string

// Modes.
const (
	ModeIPTables Mode = "iptables"
	// ModeEBPF stands for Cilium's kube-proxy replacement: the same
	// informers program BPF load-balancer maps instead of iptables.
	ModeEBPF Mode = "ebpf"
)

// Message kinds kube-proxy answers.
const (
	// KindRules asks for the rules of the last sync: reply a string.
	KindRules = "kube-proxy rules"
	kindSync  = "sync-proxy-rules"
	kindRetry = "retry-informers"
)

// Defaults of kube-proxy's configuration (KubeProxyConfiguration).
const (
	DefaultMinSyncPeriod = time.Second
	DefaultSyncPeriod    = 30 * time.Second
	// FullSyncPeriod is how often a sync rewrites every chain even when
	// nothing changed.
	FullSyncPeriod = time.Hour
)

// DefaultClusterCIDR is the pod network of kubesim's clusters: Cilium's
// cluster pool.
var DefaultClusterCIDR = netip.MustParsePrefix("10.0.0.0/8")

// ActorName is kube-proxy's actor on a node.
func ActorName(node string) string { return "kube-proxy-" + node }

// Config configures kube-proxy on one node.
type Config struct {
	// Node is the node kube-proxy runs on (--hostname-override).
	Node string
	// Token authenticates as the kube-system/kube-proxy service account.
	Token string
	// APIServers are the kube-apiserver actors, tried in order.
	APIServers []string
	// Mode is iptables (the default) or ebpf.
	Mode Mode
	// ClusterCIDR is --cluster-cidr; DefaultClusterCIDR when zero.
	ClusterCIDR netip.Prefix
	// NodeIPs are the node's addresses; empty means the InternalIP of the
	// Node object, as kube-proxy detects it.
	NodeIPs []netip.Addr
	// MinSyncPeriod and SyncPeriod override the defaults (1 s, 30 s).
	MinSyncPeriod, SyncPeriod time.Duration
	// Kernel is the actor holding the node's rules;
	// datapath.NodeName(Node) when empty.
	Kernel string
	// Rules, if set, is the cache of compiled service rules shared by the
	// cluster's kube-proxies (proxy.RuleCache): nodes with the same inputs
	// share the rules instead of each compiling them.
	Rules *proxy.RuleCache
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeIPTables
	}
	if !c.ClusterCIDR.IsValid() {
		c.ClusterCIDR = DefaultClusterCIDR
	}
	if c.MinSyncPeriod == 0 {
		c.MinSyncPeriod = DefaultMinSyncPeriod
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = DefaultSyncPeriod
	}
	if c.Kernel == "" {
		c.Kernel = datapath.NodeName(c.Node)
	}
	return c
}

// backend is what Proxier and BPFLoadBalancer share.
type backend interface {
	UpsertService(*api.Service)
	DeleteService(namespace, name string)
	UpsertEndpointSlice(*api.EndpointSlice)
	DeleteEndpointSlice(namespace, name string)
	Pending() bool
}

type kubeProxy struct {
	cfg       Config
	c         *sim.Ctx
	services  *client.Informer
	slices    *client.Informer
	nodes     *client.Informer
	nodeIPs   []netip.Addr
	be        backend
	proxier   *proxy.Proxier
	lb        *proxy.BPFLoadBalancer
	synced    bool // at least one sync ran in this incarnation
	lastSync  time.Duration
	lastFull  time.Duration
	timer     sim.TimerID
	timerAt   time.Duration
	timerSet  bool
	lastText  string
	lastCount [2]int
}

// New returns kube-proxy's actor body. Spawn it as ActorName(node) on the
// node, with the node's kernel (datapath.NewNode) spawned beside it.
func New(cfg Config) func(*sim.Ctx) {
	cfg = cfg.withDefaults()
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "kube-proxy"
		p := &kubeProxy{cfg: cfg, c: c, nodeIPs: cfg.NodeIPs}
		p.services = client.NewInformer(cl, "services", "", client.ListOptions{})
		p.slices = client.NewInformer(cl, "endpointslices", "", client.ListOptions{})
		p.nodes = client.NewInformer(cl, "nodes", "", client.ListOptions{FieldSelector: "metadata.name=" + cfg.Node})
		p.newBackend()
		p.services.AddHandler(client.Handler{
			OnAdd:    func(o api.Object) { p.be.UpsertService(o.(*api.Service)); p.requestSync() },
			OnUpdate: func(_, o api.Object) { p.be.UpsertService(o.(*api.Service)); p.requestSync() },
			OnDelete: func(o api.Object) {
				p.be.DeleteService(o.GetObjectMeta().Namespace, o.GetObjectMeta().Name)
				p.requestSync()
			},
		})
		p.slices.AddHandler(client.Handler{
			OnAdd:    func(o api.Object) { p.be.UpsertEndpointSlice(o.(*api.EndpointSlice)); p.requestSync() },
			OnUpdate: func(_, o api.Object) { p.be.UpsertEndpointSlice(o.(*api.EndpointSlice)); p.requestSync() },
			OnDelete: func(o api.Object) {
				p.be.DeleteEndpointSlice(o.GetObjectMeta().Namespace, o.GetObjectMeta().Name)
				p.requestSync()
			},
		})
		p.nodes.AddHandler(client.Handler{OnAdd: p.onNode, OnUpdate: func(_, o api.Object) { p.onNode(o) }})
		p.run()
	}
}

// newBackend starts over with an empty proxier for the node's addresses,
// refilled from the informers' caches.
func (p *kubeProxy) newBackend() {
	if p.cfg.Mode == ModeEBPF {
		p.lb = proxy.NewBPFLoadBalancer(proxy.BPFConfig{NodeName: p.cfg.Node, NodeIPs: p.nodeIPs})
		p.be = p.lb
	} else {
		p.proxier = proxy.NewProxier(proxy.Config{NodeName: p.cfg.Node, NodeIPs: p.nodeIPs, ClusterCIDR: p.cfg.ClusterCIDR, Rules: p.cfg.Rules})
		p.be = p.proxier
	}
	for _, o := range p.services.List() {
		p.be.UpsertService(o.(*api.Service))
	}
	for _, o := range p.slices.List() {
		p.be.UpsertEndpointSlice(o.(*api.EndpointSlice))
	}
}

// onNode takes the node's InternalIP when no addresses were configured;
// NodePort rules match on them.
func (p *kubeProxy) onNode(o api.Object) {
	if len(p.cfg.NodeIPs) > 0 {
		return
	}
	var ips []netip.Addr
	for _, a := range o.(*api.Node).Status.Addresses {
		if a.Type != api.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() {
			ips = append(ips, ip)
		}
	}
	if equalAddrs(ips, p.nodeIPs) {
		return
	}
	p.nodeIPs = ips
	p.c.Log().Info("Successfully retrieved node IP(s)", zap.Stringers("IPs", ips))
	p.newBackend()
	p.requestSync()
}

func equalAddrs(a, b []netip.Addr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (p *kubeProxy) run() {
	c := p.c
	p.startInformers()
	for {
		m := c.Recv()
		switch m.Kind {
		case kindRetry:
			p.startInformers()
		case kindSync:
			p.timerSet = false
			p.sync()
		case KindRules:
			c.Reply(m, KindRules, p.rulesText())
		default:
			for _, in := range []*client.Informer{p.services, p.slices, p.nodes} {
				if in.Dispatch(m) {
					break
				}
			}
		}
	}
}

// startInformers lists and watches, retrying every second while the
// apiserver does not answer.
func (p *kubeProxy) startInformers() {
	for _, in := range []*client.Informer{p.nodes, p.services, p.slices} {
		if in.HasSynced() {
			continue
		}
		if err := in.Run(); err != nil {
			p.c.Log().Warn("failed to list", zap.Error(err))
			p.c.After(time.Second, kindRetry, nil)
			return
		}
	}
	p.requestSync()
}

// requestSync asks for a sync as kube-proxy's bounded-frequency runner
// does: now, but not sooner than minSyncPeriod after the last one.
func (p *kubeProxy) requestSync() {
	at := p.c.Now()
	if p.synced && at < p.lastSync+p.cfg.MinSyncPeriod {
		at = p.lastSync + p.cfg.MinSyncPeriod
	}
	p.schedule(at)
}

func (p *kubeProxy) schedule(at time.Duration) {
	if p.timerSet {
		if p.timerAt <= at {
			return
		}
		p.c.CancelTimer(p.timer)
	}
	p.timer, p.timerAt, p.timerSet = p.c.After(at-p.c.Now(), kindSync, nil), at, true
}

// sync programs the node when something changed (or a full resync is
// due), then waits for the next change or syncPeriod.
func (p *kubeProxy) sync() {
	c := p.c
	if !p.services.HasSynced() || !p.slices.HasSynced() {
		return // "Not syncing iptables until Services and Endpoints have been received from master"
	}
	now := c.Now()
	full := !p.synced || now-p.lastFull >= FullSyncPeriod
	if p.be.Pending() || full {
		prog := datapath.Program{}
		note := SyncNote{Node: p.cfg.Node, Full: full}
		if p.lb != nil {
			maps := p.lb.Sync()
			prog.LB, prog.Services = p.lb, len(maps.Frontends)
			note.EBPF, note.Frontends, note.Backends = true, len(maps.Frontends), len(maps.Backends)
		} else {
			rs := p.proxier.Sync()
			prog.Proxier = p.proxier
			prog.Rules = rs.NAT.Len() + rs.Filter.Len()
			prog.Services = p.countServices()
			note.Rules, note.Services = prog.Rules, prog.Services
		}
		if full {
			p.lastFull = now
		}
		c.Send(p.cfg.Kernel, datapath.KindRestore, prog)
		c.Note(NoteSync, note)
	}
	p.synced, p.lastSync = true, now
	p.schedule(now + p.cfg.SyncPeriod)
}

// countServices counts the Services kube-proxy programs: those with a
// cluster IP (not headless, not ExternalName).
func (p *kubeProxy) countServices() int {
	n := 0
	for _, o := range p.services.List() {
		s := o.(*api.Service)
		if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != "None" && s.Spec.Type != api.ServiceTypeExternalName {
			n++
		}
	}
	return n
}

func (p *kubeProxy) rulesText() string {
	if p.lb != nil {
		if m := p.lb.Maps(); m != nil {
			return m.List()
		}
		return ""
	}
	if rs := p.proxier.Rules(); rs != nil {
		return rs.String()
	}
	return ""
}

// NoteSync is the kind of the trace note kube-proxy writes after a sync.
const NoteSync = "sync"

// SyncNote is what one sync programmed into the node.
type SyncNote struct {
	Node string
	// Full is set for a full resync (the first, and every SyncPeriod).
	Full bool
	// iptables mode: Rules for Services service ports.
	Rules, Services int
	// eBPF mode: Frontends and Backends in the service maps.
	EBPF                bool
	Frontends, Backends int
}

// Summary implements sim.Summarizer.
func (n SyncNote) Summary() string {
	if n.EBPF {
		return fmt.Sprintf("programmed %d frontends and %d backends into %s", n.Frontends, n.Backends, proxy.MapServices)
	}
	return fmt.Sprintf("programmed %d rules for %d services", n.Rules, n.Services)
}

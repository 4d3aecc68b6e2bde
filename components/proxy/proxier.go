package proxy

import (
	"net/netip"
	"sync"

	"github.com/kubesim/kubesim/components/api"
)

// Config describes the node a proxier programs and the kube-proxy flags
// that change the rules. The zero value of every flag is kube-proxy's
// default on a current Linux node.
type Config struct {
	// NodeName is the node this proxier runs on; endpoints whose nodeName
	// matches are local (Local traffic policies).
	NodeName string
	// NodeIPs are the node's own addresses: a destination among them (or
	// in 127.0.0.0/8) is "--dst-type LOCAL", which is how NodePorts are
	// caught, and the first one is the source masquerade rewrites to.
	NodeIPs []netip.Addr
	// ClusterCIDR is the pod CIDR (--cluster-cidr). It drives the local
	// traffic detector: service chains mark traffic from outside it for
	// masquerade ("! -s <ClusterCIDR> -j KUBE-MARK-MASQ"). Zero: no such
	// rule, as kube-proxy without a detector.
	ClusterCIDR netip.Prefix
	// Rules, if set, is the cache of compiled service rules this proxier
	// shares with the other nodes' (see RuleCache); without it the
	// proxier keeps a cache of its own, for its partial syncs.
	Rules *RuleCache
	// MasqueradeAll marks all service traffic for SNAT (--masquerade-all).
	MasqueradeAll bool
	// NoLocalhostNodePorts turns off --iptables-localhost-nodeports
	// (default on): NodePorts are then not reachable on 127.0.0.1 and the
	// KUBE-FIREWALL anti-martian rule is not written.
	NoLocalhostNodePorts bool
	// NoRandomFully models an iptables without --random-fully on
	// MASQUERADE (every current one has it).
	NoRandomFully bool
	// NoNFAcct models a kernel without nfnetlink_acct: kube-proxy then
	// leaves out the "-m nfacct" counters on the INVALID drop and the
	// localhost NodePort rules. Most current nodes have it.
	NoNFAcct bool
}

// Proxier is kube-proxy's iptables mode on one node, without the kernel:
// the actor feeds it Services and EndpointSlices from its informers and
// decides when to Sync; Walk answers what a packet would meet in the rules
// programmed by the last Sync. Between two syncs the rules are stale, as on
// a real node whose kube-proxy is slow or down.
//
// All methods are safe for concurrent use.
type Proxier struct {
	mu      sync.Mutex
	cfg     Config
	tr      tracker
	rules   *Ruleset
	syncs   int
	recent  recentLists
	localIP map[netip.Addr]bool
	held    map[fragKey]bool // the fragments of the last sync
}

// NewProxier returns a proxier with nothing programmed.
func NewProxier(cfg Config) *Proxier {
	if cfg.Rules == nil {
		cfg.Rules = NewRuleCache()
	}
	p := &Proxier{cfg: cfg, tr: newTracker(), recent: recentLists{}, localIP: map[netip.Addr]bool{}}
	for _, ip := range cfg.NodeIPs {
		p.localIP[ip] = true
	}
	return p
}

// Config returns the proxier's configuration.
func (p *Proxier) Config() Config { return p.cfg }

// UpsertService records the current state of a Service (add or update).
// The object is kept, not copied: it must not be modified afterwards.
func (p *Proxier) UpsertService(svc *api.Service) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tr.upsertService(svc)
}

// DeleteService forgets a Service.
func (p *Proxier) DeleteService(namespace, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tr.deleteService(namespace, name)
}

// UpsertEndpointSlice records the current state of an EndpointSlice. Only
// slices labelled kubernetes.io/service-name and of address type IPv4 are
// used, as by kube-proxy's IPv4 proxier.
func (p *Proxier) UpsertEndpointSlice(es *api.EndpointSlice) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tr.upsertSlice(es)
}

// DeleteEndpointSlice forgets an EndpointSlice.
func (p *Proxier) DeleteEndpointSlice(namespace, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tr.deleteSlice(namespace, name)
}

// Pending reports whether Services or EndpointSlices changed since the
// last Sync, i.e. whether the programmed rules are stale.
func (p *Proxier) Pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tr.changed || p.rules == nil
}

// Sync compiles the current Services and EndpointSlices into a new ruleset
// (kube-proxy's syncProxyRules; only the changed Services are compiled
// again, see RuleCache) and programs it.
func (p *Proxier) Sync() *Ruleset {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasLarge := p.rules != nil && p.rules.LargeCluster
	p.rules, p.held = buildRuleset(&p.cfg, &p.tr, p.cfg.Rules, p.held, wasLarge)
	p.tr.changed = false
	p.syncs++
	return p.rules
}

// Rules returns the programmed ruleset, nil before the first Sync.
func (p *Proxier) Rules() *Ruleset {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rules
}

// Syncs returns how many times Sync ran.
func (p *Proxier) Syncs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.syncs
}

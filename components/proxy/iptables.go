package proxy

import (
	"fmt"
	"net/netip"

	"github.com/kubesim/kubesim/components/api"
)

var (
	loopback4 = netip.MustParsePrefix("127.0.0.0/8")
)

// builder compiles service ports into a Ruleset in the order kube-proxy's
// iptables proxier (syncProxyRules) writes its restore input.
type builder struct {
	cfg    *Config
	filter *Table
	nat    *Table
	large  bool
	probs  map[int]string
}

func (b *builder) probability(n int) string {
	if p, ok := b.probs[n]; ok {
		return p
	}
	p := fmt.Sprintf("%0.10f", 1.0/float64(n))
	b.probs[n] = p
	return p
}

// serviceComment is appendServiceCommentLocked: comments that large
// cluster mode drops.
func (b *builder) serviceComment(r *ruleBuilder, c string) *ruleBuilder {
	if b.large {
		return r
	}
	return r.comment(c)
}

type compiled struct {
	sp  *servicePort
	cat categorized
	sep map[string]string // endpoint "IP:port" -> KUBE-SEP chain
}

// buildRuleset is a sync: every service port's fragment, from the cache
// when its inputs did not change (see RuleCache), in kube-proxy's order.
// held are the fragments of the previous sync; the new ones are returned.
func buildRuleset(cfg *Config, t *tracker, cache *RuleCache, held map[fragKey]bool, wasLarge bool) (*Ruleset, map[fragKey]bool) {
	ports := t.servicePorts()
	idx := t.endpointsIndex()
	probs := map[int]string{}
	cidr, flags := cfg.ClusterCIDR, cfgFlags(cfg)
	collect := func(large bool) ([]*fragment, map[fragKey]bool, int) {
		frags := make([]*fragment, len(ports))
		keys := make(map[fragKey]bool, len(ports))
		total := 0
		for i, sp := range ports {
			slices := idx[sp.namespace+"/"+sp.service]
			key := fragKey{svc: sp.svc, port: sp.name + "/" + sp.protocol, slices: slicesIdentity(slices), large: large, cidr: cidr, flags: flags}
			if sp.usesLocalEndpoints() {
				key.node = cfg.NodeName
			}
			frags[i] = cache.acquire(key, func() *fragment { return compileFragment(cfg, sp, slices, large, probs) })
			keys[key] = true
			total += frags[i].endpoints
		}
		return frags, keys, total
	}
	frags, keys, total := collect(wasLarge)
	if large := total > largeClusterEndpointsThreshold; large != wasLarge {
		for k := range keys {
			cache.release(k)
		}
		frags, keys, _ = collect(large)
	}
	for k := range held {
		cache.release(k)
	}
	rs := cache.ruleset(cfg, frags, func() *Ruleset {
		b := &builder{cfg: cfg, filter: newTable("filter"), nat: newTable("nat"), large: total > largeClusterEndpointsThreshold, probs: probs}
		b.header()
		for _, f := range frags {
			f.writeTo(b.nat, b.filter)
		}
		b.trailer()
		return &Ruleset{Filter: b.filter, NAT: b.nat, Endpoints: total, LargeCluster: b.large}
	})
	return rs, keys
}

// compileFragment writes one service port's rules into tables of its own.
func compileFragment(cfg *Config, sp *servicePort, slices []*api.EndpointSlice, large bool, probs map[int]string) *fragment {
	eps := endpointsFor(sp, slices, cfg.NodeName)
	c := compiled{sp: sp, cat: categorize(sp, eps), sep: map[string]string{}}
	for _, e := range eps {
		c.sep[e.str] = "KUBE-SEP-" + EndpointHash(sp.name, sp.protocol, e.str)
	}
	b := &builder{cfg: cfg, filter: newTable("filter"), nat: newTable("nat"), large: large, probs: probs}
	b.service(&c)
	// kube-proxy counts every endpoint the endpoints map holds.
	return &fragment{slices: slices, endpoints: len(eps), natChains: b.nat.chains, natRules: b.nat.rules, filChains: b.filter.chains, filRules: b.filter.rules}
}

// buildRulesetFull compiles every service port afresh (no cache): the
// reference the partial syncs are tested against.
func buildRulesetFull(cfg *Config, t *tracker) *Ruleset {
	ports := t.servicePorts()
	idx := t.endpointsIndex()
	services := make([]compiled, 0, len(ports))
	total := 0
	for _, sp := range ports {
		eps := endpointsFor(sp, idx[sp.namespace+"/"+sp.service], cfg.NodeName)
		c := compiled{sp: sp, cat: categorize(sp, eps), sep: map[string]string{}}
		for _, e := range eps {
			c.sep[e.str] = "KUBE-SEP-" + EndpointHash(sp.name, sp.protocol, e.str)
		}
		// kube-proxy counts every endpoint the endpoints map holds.
		total += len(eps)
		services = append(services, c)
	}
	b := &builder{
		cfg:    cfg,
		filter: newTable("filter"),
		nat:    newTable("nat"),
		large:  total > largeClusterEndpointsThreshold,
		probs:  map[int]string{},
	}
	b.header()
	for i := range services {
		b.service(&services[i])
	}
	b.trailer()
	return &Ruleset{Filter: b.filter, NAT: b.nat, Endpoints: total, LargeCluster: b.large}
}

func (b *builder) header() {
	for _, c := range []string{ChainServices, ChainExternalServices, ChainForward, ChainNodePorts, ChainProxyFirewall} {
		b.filter.declare(c)
	}
	for _, c := range []string{ChainServices, ChainNodePorts, ChainPostrouting, ChainMarkMasq} {
		b.nat.declare(c)
	}
	b.nat.add(newRule(ChainPostrouting).mark(true).jump("RETURN"))
	b.nat.add(newRule(ChainPostrouting).markXor())
	b.nat.add(newRule(ChainPostrouting).comment("kubernetes service traffic requiring SNAT").masquerade(!b.cfg.NoRandomFully))
	b.nat.add(newRule(ChainMarkMasq).markOr())
	if !b.cfg.NoLocalhostNodePorts {
		b.filter.declare(ChainKubeletFirewall)
		b.filter.add(newRule(ChainKubeletFirewall).
			comment("block incoming localnet connections").
			dstCIDR(loopback4).notSrcCIDR(loopback4).
			ctstate(true, "RELATED,ESTABLISHED,DNAT", ctEstablished|ctRelated|ctDNAT).
			jump("DROP"))
	}
}

func (b *builder) service(c *compiled) {
	sp := c.sp
	proto := sp.protocol
	clusterChain := "KUBE-SVC-" + PortProtoHash(sp.name, proto)
	localChain := "KUBE-SVL-" + PortProtoHash(sp.name, proto)
	extChain := "KUBE-EXT-" + PortProtoHash(sp.name, proto)

	usesClusterChain := len(c.cat.cluster) > 0 && sp.usesClusterEndpoints()
	usesLocalChain := len(c.cat.local) > 0 && sp.usesLocalEndpoints()

	internalChain := clusterChain
	hasInternal := c.cat.any
	if sp.intLocal {
		internalChain = localChain
		hasInternal = len(c.cat.local) > 0
	}
	externalPolicyChain := clusterChain
	hasExternal := c.cat.any
	if sp.extLocal {
		externalPolicyChain = localChain
		hasExternal = len(c.cat.local) > 0
	}
	usesExtChain := c.cat.any && sp.externallyAccessible()

	var intFilterTarget, intFilterComment, extFilterTarget, extFilterComment string
	if !c.cat.any {
		intFilterTarget, extFilterTarget = "REJECT", "REJECT"
		intFilterComment = sp.name + " has no endpoints"
		extFilterComment = intFilterComment
	} else {
		if !hasInternal {
			intFilterTarget = "DROP"
			intFilterComment = sp.name + " has no local endpoints"
		}
		if !hasExternal {
			extFilterTarget = "DROP"
			extFilterComment = sp.name + " has no local endpoints"
		}
	}

	// Capture the cluster IP.
	if hasInternal {
		b.nat.add(newRule(ChainServices).comment(sp.name + " cluster IP").proto(proto).
			dst(sp.clusterIP).dport(sp.port).jump(internalChain))
	} else {
		b.filter.add(newRule(ChainServices).comment(intFilterComment).proto(proto).
			dst(sp.clusterIP).dport(sp.port).jump(intFilterTarget))
	}
	// Capture external IPs.
	for _, ip := range sp.externalIP {
		if c.cat.any {
			b.nat.add(newRule(ChainServices).comment(sp.name + " external IP").proto(proto).
				dst(ip).dport(sp.port).jump(extChain))
		}
		if !hasExternal {
			b.filter.add(newRule(ChainExternalServices).comment(extFilterComment).proto(proto).
				dst(ip).dport(sp.port).jump(extFilterTarget))
		}
	}
	// Capture load-balancer ingress.
	for _, ip := range sp.lbIP {
		if c.cat.any {
			b.nat.add(newRule(ChainServices).comment(sp.name + " loadbalancer IP").proto(proto).
				dst(ip).dport(sp.port).jump(extChain))
		}
	}
	if !hasExternal {
		for _, ip := range sp.lbIP {
			b.filter.add(newRule(ChainExternalServices).comment(extFilterComment).proto(proto).
				dst(ip).dport(sp.port).jump(extFilterTarget))
		}
	}
	// Capture node ports.
	if sp.nodePort != 0 {
		if c.cat.any {
			if !b.cfg.NoLocalhostNodePorts && !b.cfg.NoNFAcct {
				b.nat.add(newRule(ChainNodePorts).comment(sp.name).proto(proto).
					dstCIDR(loopback4).dport(sp.nodePort).nfacct(nfacctLocalhostNodePort).jump(extChain))
			}
			b.nat.add(newRule(ChainNodePorts).comment(sp.name).proto(proto).
				dport(sp.nodePort).jump(extChain))
		}
		if !hasExternal {
			b.filter.add(newRule(ChainExternalServices).comment(extFilterComment).dstTypeLocal().
				proto(proto).dport(sp.nodePort).jump(extFilterTarget))
		}
	}
	// Capture the health-check node port.
	if sp.healthPort != 0 {
		b.filter.add(newRule(ChainNodePorts).comment(sp.name + " health check node port").
			proto("tcp").dport(sp.healthPort).jump("ACCEPT"))
	}

	// Internal traffic: masquerade off-cluster sources.
	if hasInternal {
		r := newRule(internalChain).comment(sp.name + " cluster IP").proto(proto).dst(sp.clusterIP).dport(sp.port)
		switch {
		case b.cfg.MasqueradeAll:
			b.nat.add(r.jump(ChainMarkMasq))
		case b.cfg.ClusterCIDR.IsValid():
			b.nat.add(r.notSrcCIDR(b.cfg.ClusterCIDR).jump(ChainMarkMasq))
		}
	}
	// External traffic.
	if usesExtChain {
		b.nat.declare(extChain)
		if !sp.extLocal {
			b.nat.add(newRule(extChain).comment("masquerade traffic for " + sp.name + " external destinations").jump(ChainMarkMasq))
		} else {
			if b.cfg.ClusterCIDR.IsValid() {
				b.nat.add(newRule(extChain).comment("pod traffic for " + sp.name + " external destinations").
					srcCIDR(b.cfg.ClusterCIDR).jump(clusterChain))
			}
			b.nat.add(newRule(extChain).comment("masquerade LOCAL traffic for " + sp.name + " external destinations").
				srcTypeLocal().jump(ChainMarkMasq))
			b.nat.add(newRule(extChain).comment("route LOCAL traffic for " + sp.name + " external destinations").
				srcTypeLocal().jump(clusterChain))
		}
		if hasExternal {
			b.nat.add(newRule(extChain).jump(externalPolicyChain))
		}
	}
	if usesClusterChain {
		b.nat.declare(clusterChain)
		b.serviceToEndpoints(c, clusterChain, c.cat.cluster)
	}
	if usesLocalChain {
		b.nat.declare(localChain)
		b.serviceToEndpoints(c, localChain, c.cat.local)
	}
	// Per-endpoint chains.
	for _, e := range c.cat.reachable {
		chain := c.sep[e.str]
		b.nat.declare(chain)
		b.nat.add(b.serviceComment(newRule(chain), sp.name).src(e.addr.Addr()).jump(ChainMarkMasq))
		r := b.serviceComment(newRule(chain), sp.name)
		if sp.affinity {
			r.recentSetting(chain)
		}
		b.nat.add(r.proto(proto).dnat(e.addr))
	}
}

// serviceToEndpoints writes kube-proxy's writeServiceToEndpointRules: the
// session-affinity rcheck rules first, then endpoint i of n chosen with
// probability 1/(n-i), the last one unconditionally.
func (b *builder) serviceToEndpoints(c *compiled, chain string, eps []*endpoint) {
	sp := c.sp
	if sp.affinity {
		for _, e := range eps {
			sep := c.sep[e.str]
			b.nat.add(b.serviceComment(newRule(chain), sp.name+" -> "+e.str).recentCheck(sep, sp.sticky).jump(sep))
		}
	}
	n := len(eps)
	for i, e := range eps {
		r := b.serviceComment(newRule(chain), sp.name+" -> "+e.str)
		if i < n-1 {
			r.statistic(b.probability(n - i))
		}
		b.nat.add(r.jump(c.sep[e.str]))
	}
}

func (b *builder) trailer() {
	r := newRule(ChainServices).comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain").dstTypeLocal()
	if b.cfg.NoLocalhostNodePorts {
		r.notDstCIDR(loopback4)
	}
	b.nat.add(r.jump(ChainNodePorts))

	inv := newRule(ChainForward).ctstate(false, "INVALID", ctInvalid)
	if !b.cfg.NoNFAcct {
		inv.nfacct(nfacctInvalidDropped)
	}
	b.filter.add(inv.jump("DROP"))
	b.filter.add(newRule(ChainForward).comment("kubernetes forwarding rules").mark(false).jump("ACCEPT"))
	b.filter.add(newRule(ChainForward).comment("kubernetes forwarding conntrack rule").
		ctstate(false, "RELATED,ESTABLISHED", ctRelated|ctEstablished).jump("ACCEPT"))
}

package cilium

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kubesim/kubesim/components/api"
)

// Direction of a policy decision.
type Direction string

// Directions: egress is enforced at the source endpoint, ingress at the
// destination endpoint.
const (
	Egress  Direction = "egress"
	Ingress Direction = "ingress"
)

// PortProtocol is a port and its protocol ("TCP", "UDP", "SCTP").
type PortProtocol struct {
	Port     uint16
	Protocol string
}

// Peer is one end of a connection as the policy engine sees it: an
// identity with its labels and an address. Endpoint marks a pod managed
// by Cilium, whose policy is enforced; world, host and remote nodes are
// not endpoints.
type Peer struct {
	Identity NumericIdentity
	Labels   Labels
	IP       netip.Addr
	Endpoint bool
	// Namespace and Name identify a pod, for messages and flows.
	Namespace string
	Name      string
	// NamedPorts are the pod's container ports by name, used to resolve
	// named ports in rules about traffic to it.
	NamedPorts map[string]PortProtocol
}

// String is "ns/pod" for a pod, else the address.
func (p Peer) String() string {
	if p.Name != "" {
		return p.Namespace + "/" + p.Name
	}
	return p.IP.String()
}

// PodPeer builds the peer of a pod endpoint from its identity and IP; the
// named ports come from the pod's container ports.
func PodPeer(pod *api.Pod, ident Identity, ip netip.Addr) Peer {
	p := Peer{Identity: ident.ID, Labels: ident.Labels, IP: ip, Endpoint: true, Namespace: pod.Namespace, Name: pod.Name}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == "" {
				continue
			}
			if p.NamedPorts == nil {
				p.NamedPorts = map[string]PortProtocol{}
			}
			proto := string(cp.Protocol)
			if proto == "" {
				proto = string(api.ProtocolTCP)
			}
			p.NamedPorts[cp.Name] = PortProtocol{Port: uint16(cp.ContainerPort), Protocol: proto}
		}
	}
	return p
}

// ReservedPeer builds a peer with a reserved identity: WorldPeer, the
// local host, a remote node.
func ReservedPeer(id NumericIdentity, ip netip.Addr) Peer {
	return Peer{Identity: id, Labels: NewLabels(Label{Source: SourceReserved, Key: id.String()}), IP: ip}
}

// WorldPeer is an address outside the cluster (identity world).
func WorldPeer(ip netip.Addr) Peer { return ReservedPeer(IdentityWorld, ip) }

// portRule is one port (or range, or named port) of a rule; empty
// protocol "ANY".
type portRule struct {
	port    uint16 // 0: every port
	endPort uint16
	named   string
	proto   string // TCP, UDP, SCTP or ANY
}

func (r portRule) matches(port uint16, proto string, named map[string]PortProtocol) bool {
	if r.proto != "ANY" && r.proto != proto {
		return false
	}
	if r.named != "" {
		np, ok := named[r.named]
		return ok && np.Port == port && np.Protocol == proto
	}
	if r.port == 0 {
		return true
	}
	if r.endPort > 0 {
		return port >= r.port && port <= r.endPort
	}
	return port == r.port
}

type cidrRule struct {
	cidr   netip.Prefix
	except []netip.Prefix
}

func (c cidrRule) matches(ip netip.Addr) bool {
	if !ip.IsValid() || !c.cidr.Contains(ip) {
		return false
	}
	for _, e := range c.except {
		if e.Contains(ip) {
			return false
		}
	}
	return true
}

// peerRule is one ingress or egress rule, compiled: the peers it selects
// (ORed) and the ports (ORed; none means every port).
type peerRule struct {
	name      string // "ingress[0]", "spec.egress[1]"
	nothing   bool   // selects no peer (a CiliumNetworkPolicy rule "{}")
	anyPeer   bool   // selects every peer (a rule with only ports)
	endpoints []Selector
	entities  []string
	cidrs     []cidrRule
	ports     []portRule
}

func (r *peerRule) peerMatches(p Peer) bool {
	if r.nothing {
		return false
	}
	if r.anyPeer {
		return true
	}
	for _, s := range r.endpoints {
		if s.Matches(p.Labels) {
			return true
		}
	}
	for _, e := range r.entities {
		if entityMatches(e, p) {
			return true
		}
	}
	// CIDR rules select addresses outside the cluster: a pod, the host or a
	// node has its own identity and is never matched by a CIDR.
	if p.Identity == IdentityWorld {
		for _, c := range r.cidrs {
			if c.matches(p.IP) {
				return true
			}
		}
	}
	return false
}

func (r *peerRule) matches(p Peer, port uint16, proto string, named map[string]PortProtocol) bool {
	if !r.peerMatches(p) {
		return false
	}
	if len(r.ports) == 0 {
		return true
	}
	for _, pr := range r.ports {
		if pr.matches(port, proto, named) {
			return true
		}
	}
	return false
}

// entityMatches implements fromEntities/toEntities.
func entityMatches(entity string, p Peer) bool {
	switch entity {
	case api.EntityAll:
		return true
	case api.EntityCluster:
		return p.Identity != IdentityWorld
	}
	id, ok := ReservedIdentity(entity)
	return ok && p.Identity == id
}

// rule is one policy rule selecting endpoints.
type rule struct {
	origin  string // "CiliumNetworkPolicy default/rule1" or "NetworkPolicy default/deny"
	subject Selector
	enforce map[Direction]bool
	allow   map[Direction][]*peerRule
	deny    map[Direction][]*peerRule
	sortKey string
}

func newRule(origin string, subject Selector) *rule {
	return &rule{origin: origin, subject: subject, enforce: map[Direction]bool{},
		allow: map[Direction][]*peerRule{}, deny: map[Direction][]*peerRule{}}
}

// DropReason is a Cilium datapath drop reason code.
type DropReason int

// Drop reasons used by kubesim.
const (
	DropPolicyDenied   DropReason = 133
	DropNoService      DropReason = 158
	DropPolicyDenyList DropReason = 181
)

var dropReasonText = map[DropReason]string{
	DropPolicyDenied:   "Policy denied",
	DropNoService:      "Service backend not found",
	DropPolicyDenyList: "Policy denied by denylist",
}

// String is the text Hubble prints for the reason.
func (d DropReason) String() string {
	if s, ok := dropReasonText[d]; ok {
		return s
	}
	return "Unknown drop reason " + strconv.Itoa(int(d))
}

// DirectionDecision is the outcome in one direction.
type DirectionDecision struct {
	// Enforced reports that a policy selects the endpoint in this
	// direction, which puts it in default deny.
	Enforced bool
	Allowed  bool
	// By names what decided: "CiliumNetworkPolicy default/rule1 ingress[0]",
	// "no policy selects default/xwing for egress", "default deny".
	By string
}

// Decision is the verdict of the policy engine on one connection.
type Decision struct {
	Allowed bool
	// DroppedAt is where the connection is dropped (egress at the
	// source, ingress at the destination), "" when allowed.
	DroppedAt  Direction
	DropReason DropReason
	Egress     DirectionDecision
	Ingress    DirectionDecision
}

// String summarises the decision in one line.
func (d Decision) String() string {
	if d.Allowed {
		return fmt.Sprintf("ALLOWED (egress: %s; ingress: %s)", d.Egress.By, d.Ingress.By)
	}
	dd := d.Egress
	if d.DroppedAt == Ingress {
		dd = d.Ingress
	}
	return fmt.Sprintf("DROPPED at %s: %s (%d) — %s", d.DroppedAt, d.DropReason, int(d.DropReason), dd.By)
}

// Repository holds the NetworkPolicies and CiliumNetworkPolicies an actor
// fed in, compiled into rules over identities, and decides connections.
// It is safe for concurrent use.
type Repository struct {
	mu       sync.Mutex
	k8s      map[string][]*rule
	cnp      map[string][]*rule
	rules    []*rule
	revision uint64
}

// NewRepository returns an empty repository: everything is allowed.
func NewRepository() *Repository {
	return &Repository{k8s: map[string][]*rule{}, cnp: map[string][]*rule{}}
}

// Revision counts policy changes (the agent's policy revision).
func (r *Repository) Revision() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revision
}

func (r *Repository) rebuild() {
	r.rules = r.rules[:0]
	for _, rs := range r.k8s {
		r.rules = append(r.rules, rs...)
	}
	for _, rs := range r.cnp {
		r.rules = append(r.rules, rs...)
	}
	sort.SliceStable(r.rules, func(i, j int) bool { return r.rules[i].sortKey < r.rules[j].sortKey })
	r.revision++
}

// UpsertNetworkPolicy adds or replaces a Kubernetes NetworkPolicy.
func (r *Repository) UpsertNetworkPolicy(np *api.NetworkPolicy) error {
	compiled, err := compileNetworkPolicy(np)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.k8s[np.Namespace+"/"+np.Name] = compiled
	r.rebuild()
	return nil
}

// DeleteNetworkPolicy removes a NetworkPolicy.
func (r *Repository) DeleteNetworkPolicy(namespace, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.k8s[namespace+"/"+name]; ok {
		delete(r.k8s, namespace+"/"+name)
		r.rebuild()
	}
}

// UpsertCiliumNetworkPolicy adds or replaces a CiliumNetworkPolicy. An
// invalid policy is refused with an error, as the agent marks it invalid.
func (r *Repository) UpsertCiliumNetworkPolicy(cnp *api.CiliumNetworkPolicy) error {
	compiled, err := compileCNP(cnp)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cnp[cnp.Namespace+"/"+cnp.Name] = compiled
	r.rebuild()
	return nil
}

// DeleteCiliumNetworkPolicy removes a CiliumNetworkPolicy.
func (r *Repository) DeleteCiliumNetworkPolicy(namespace, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cnp[namespace+"/"+name]; ok {
		delete(r.cnp, namespace+"/"+name)
		r.rebuild()
	}
}

// Decide evaluates a new connection from src to dst on port/protocol
// ("TCP", "UDP", "SCTP"): egress policy at the source when it is an
// endpoint, then ingress policy at the destination when it is one. In a
// direction no policy selects, everything is allowed; once one does, only
// what a rule allows passes (default deny) and deny rules win over allow
// rules. Ingress from the local host (reserved:host) is always allowed, as
// Cilium's default allow-localhost does for kubelet probes.
func (r *Repository) Decide(src, dst Peer, port uint16, protocol string) Decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	protocol = strings.ToUpper(protocol)
	if protocol == "" {
		protocol = "TCP"
	}
	d := Decision{Allowed: true}
	if src.Endpoint {
		d.Egress = r.decide(Egress, src, dst, port, protocol)
		if !d.Egress.Allowed {
			d.Allowed, d.DroppedAt, d.DropReason = false, Egress, dropReasonOf(d.Egress)
			return d
		}
	} else {
		d.Egress = DirectionDecision{Allowed: true, By: src.String() + " is not a Cilium endpoint"}
	}
	if dst.Endpoint {
		d.Ingress = r.decide(Ingress, dst, src, port, protocol)
		if !d.Ingress.Allowed {
			d.Allowed, d.DroppedAt, d.DropReason = false, Ingress, dropReasonOf(d.Ingress)
		}
	} else {
		d.Ingress = DirectionDecision{Allowed: true, By: dst.String() + " is not a Cilium endpoint"}
	}
	return d
}

func dropReasonOf(dd DirectionDecision) DropReason {
	if strings.HasPrefix(dd.By, "denied by ") {
		return DropPolicyDenyList
	}
	return DropPolicyDenied
}

// decide evaluates one direction at endpoint ep for traffic with peer.
func (r *Repository) decide(dir Direction, ep, peer Peer, port uint16, proto string) DirectionDecision {
	named := ep.NamedPorts
	if dir == Egress {
		named = peer.NamedPorts
	}
	var selected []*rule
	enforced := false
	for _, ru := range r.rules {
		if ru.subject.Matches(ep.Labels) {
			selected = append(selected, ru)
			enforced = enforced || ru.enforce[dir]
		}
	}
	for _, ru := range selected {
		for _, pr := range ru.deny[dir] {
			if pr.matches(peer, port, proto, named) {
				return DirectionDecision{Enforced: true, By: "denied by " + ru.origin + " " + pr.name}
			}
		}
	}
	if !enforced {
		return DirectionDecision{Allowed: true, By: fmt.Sprintf("no policy selects %s for %s", ep, dir)}
	}
	if dir == Ingress && peer.Identity == IdentityHost {
		return DirectionDecision{Enforced: true, Allowed: true, By: "allow-localhost (reserved:host)"}
	}
	for _, ru := range selected {
		for _, pr := range ru.allow[dir] {
			if pr.matches(peer, port, proto, named) {
				return DirectionDecision{Enforced: true, Allowed: true, By: ru.origin + " " + pr.name}
			}
		}
	}
	return DirectionDecision{Enforced: true, By: fmt.Sprintf("default deny: no %s rule selecting %s allows %s on %d/%s", dir, ep, peer, port, proto)}
}

// ---------------------------------------------------------------- compile

func parseCIDR(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
}

func compileCIDRRule(cidr string, except []string) (cidrRule, error) {
	p, err := parseCIDR(cidr)
	if err != nil {
		return cidrRule{}, err
	}
	c := cidrRule{cidr: p}
	for _, e := range except {
		ep, err := parseCIDR(e)
		if err != nil {
			return cidrRule{}, err
		}
		if !p.Contains(ep.Addr()) {
			return cidrRule{}, fmt.Errorf("except %s is not within %s", ep, p)
		}
		c.except = append(c.except, ep)
	}
	return c, nil
}

func compileCiliumPorts(rules []api.CiliumPortRule) ([]portRule, error) {
	var out []portRule
	for _, pr := range rules {
		for _, pp := range pr.Ports {
			proto := strings.ToUpper(pp.Protocol)
			if proto == "" {
				proto = "ANY"
			}
			switch proto {
			case "TCP", "UDP", "SCTP", "ANY":
			default:
				return nil, fmt.Errorf("unsupported protocol %q", pp.Protocol)
			}
			r := portRule{proto: proto}
			if n, err := strconv.ParseUint(pp.Port, 10, 16); err == nil {
				r.port = uint16(n)
			} else if pp.Port != "" {
				r.named = strings.ToLower(pp.Port)
			}
			if pp.EndPort > 0 {
				r.endPort = uint16(pp.EndPort)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func compileSelectors(ses []api.EndpointSelector, ns string) ([]Selector, error) {
	out := make([]Selector, 0, len(ses))
	for i := range ses {
		s, err := NewSelector(&ses[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s.inNamespace(ns))
	}
	return out, nil
}

// compileCiliumPeer compiles the L3/L4 parts shared by ingress and egress
// rules. A rule with no peer at all and no ports selects nothing (the
// documented "ingress: [{}]" default-deny idiom); with ports only it
// selects every peer on those ports.
func compileCiliumPeer(name, ns string, eps []api.EndpointSelector, cidrs []string, cidrSet []api.CIDRRule, entities []string, ports []api.CiliumPortRule) (*peerRule, error) {
	pr := &peerRule{name: name}
	var err error
	if pr.endpoints, err = compileSelectors(eps, ns); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, c := range cidrs {
		cr, err := compileCIDRRule(c, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pr.cidrs = append(pr.cidrs, cr)
	}
	for _, c := range cidrSet {
		cr, err := compileCIDRRule(c.CIDR, c.Except)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pr.cidrs = append(pr.cidrs, cr)
	}
	for _, e := range entities {
		switch e {
		case api.EntityAll, api.EntityCluster:
		default:
			if _, ok := ReservedIdentity(e); !ok {
				return nil, fmt.Errorf("%s: unknown entity %q", name, e)
			}
		}
		pr.entities = append(pr.entities, e)
	}
	if pr.ports, err = compileCiliumPorts(ports); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	noPeers := len(eps) == 0 && len(cidrs) == 0 && len(cidrSet) == 0 && len(entities) == 0
	switch {
	case noPeers && len(pr.ports) == 0:
		pr.nothing = true
	case noPeers:
		pr.anyPeer = true
	}
	return pr, nil
}

func compileCNP(cnp *api.CiliumNetworkPolicy) ([]*rule, error) {
	var specs []api.CiliumRule
	var prefixes []string
	if cnp.Spec != nil {
		specs = append(specs, *cnp.Spec)
		prefixes = append(prefixes, "")
	}
	for i := range cnp.Specs {
		specs = append(specs, cnp.Specs[i])
		prefixes = append(prefixes, fmt.Sprintf("specs[%d].", i))
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("CiliumNetworkPolicy %s/%s: Invalid CiliumNetworkPolicy spec(s): empty policy", cnp.Namespace, cnp.Name)
	}
	origin := "CiliumNetworkPolicy " + cnp.Namespace + "/" + cnp.Name
	var out []*rule
	for i, spec := range specs {
		if spec.EndpointSelector == nil {
			if spec.NodeSelector != nil {
				continue // host policies are not modelled
			}
			return nil, fmt.Errorf("%s: rule %d has no endpointSelector", origin, i)
		}
		subject, err := NewSelector(spec.EndpointSelector)
		if err != nil {
			return nil, fmt.Errorf("%s: endpointSelector: %w", origin, err)
		}
		ru := newRule(origin, subject.inNamespace(cnp.Namespace))
		ru.sortKey = "2/" + cnp.Namespace + "/" + cnp.Name + "/" + fmt.Sprintf("%04d", i)
		pfx := prefixes[i]
		for j, in := range spec.Ingress {
			pr, err := compileCiliumPeer(fmt.Sprintf("%singress[%d]", pfx, j), cnp.Namespace, in.FromEndpoints, in.FromCIDR, in.FromCIDRSet, in.FromEntities, in.ToPorts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			ru.allow[Ingress] = append(ru.allow[Ingress], pr)
		}
		for j, in := range spec.IngressDeny {
			pr, err := compileCiliumPeer(fmt.Sprintf("%singressDeny[%d]", pfx, j), cnp.Namespace, in.FromEndpoints, in.FromCIDR, in.FromCIDRSet, in.FromEntities, in.ToPorts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			ru.deny[Ingress] = append(ru.deny[Ingress], pr)
		}
		for j, eg := range spec.Egress {
			pr, err := compileCiliumPeer(fmt.Sprintf("%segress[%d]", pfx, j), cnp.Namespace, eg.ToEndpoints, eg.ToCIDR, eg.ToCIDRSet, eg.ToEntities, eg.ToPorts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			ru.allow[Egress] = append(ru.allow[Egress], pr)
		}
		for j, eg := range spec.EgressDeny {
			pr, err := compileCiliumPeer(fmt.Sprintf("%segressDeny[%d]", pfx, j), cnp.Namespace, eg.ToEndpoints, eg.ToCIDR, eg.ToCIDRSet, eg.ToEntities, eg.ToPorts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			ru.deny[Egress] = append(ru.deny[Egress], pr)
		}
		// A direction with rules (allow or deny) turns on default deny
		// unless enableDefaultDeny says otherwise.
		ru.enforce[Ingress] = len(spec.Ingress) > 0 || len(spec.IngressDeny) > 0
		ru.enforce[Egress] = len(spec.Egress) > 0 || len(spec.EgressDeny) > 0
		if dd := spec.EnableDefaultDeny; dd != nil {
			if dd.Ingress != nil {
				ru.enforce[Ingress] = *dd.Ingress
			}
			if dd.Egress != nil {
				ru.enforce[Egress] = *dd.Egress
			}
		}
		out = append(out, ru)
	}
	return out, nil
}

// k8sPodSelector turns a NetworkPolicy pod selector into a selector over
// identity labels (k8s source), restricted to namespace ns when ns != "".
func k8sPodSelector(ls *api.LabelSelector, ns string) (Selector, error) {
	s, err := fromLabelSelector(ls, func(k string) (string, string) { return SourceK8s, k })
	if err != nil {
		return Selector{}, err
	}
	if ns != "" {
		s = s.with(requirement{source: SourceK8s, key: LabelPodNamespace, op: api.LabelSelectorOpIn, values: []string{ns}})
	}
	return s, nil
}

// k8sNamespaceSelector selects pods of the namespaces matching ls, through
// the io.cilium.k8s.namespace.labels.* labels of their identities, as
// Cilium translates namespaceSelector; "{}" selects pods of every
// namespace (not the world).
func k8sNamespaceSelector(ls *api.LabelSelector) (Selector, error) {
	s, err := fromLabelSelector(ls, func(k string) (string, string) { return SourceK8s, LabelNamespaceLabelPrefix + k })
	if err != nil {
		return Selector{}, err
	}
	return s.with(requirement{source: SourceK8s, key: LabelPodNamespace, op: api.LabelSelectorOpExists}), nil
}

func compileK8sPeers(name, ns string, peers []api.NetworkPolicyPeer, ports []api.NetworkPolicyPort) (*peerRule, error) {
	pr := &peerRule{name: name, anyPeer: len(peers) == 0}
	for i, p := range peers {
		switch {
		case p.IPBlock != nil:
			if p.PodSelector != nil || p.NamespaceSelector != nil {
				return nil, fmt.Errorf("%s.from[%d]: may not specify more than 1 peer type when ipBlock is set", name, i)
			}
			cr, err := compileCIDRRule(p.IPBlock.CIDR, p.IPBlock.Except)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			pr.cidrs = append(pr.cidrs, cr)
		case p.NamespaceSelector != nil:
			s, err := k8sNamespaceSelector(p.NamespaceSelector)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if p.PodSelector != nil {
				ps, err := k8sPodSelector(p.PodSelector, "")
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				s.reqs = append(s.reqs, ps.reqs...)
			}
			pr.endpoints = append(pr.endpoints, s)
		case p.PodSelector != nil:
			s, err := k8sPodSelector(p.PodSelector, ns)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			pr.endpoints = append(pr.endpoints, s)
		default:
			return nil, fmt.Errorf("%s.from[%d]: must specify a peer", name, i)
		}
	}
	for _, p := range ports {
		r := portRule{proto: "TCP"}
		if p.Protocol != nil {
			r.proto = string(*p.Protocol)
		}
		if p.Port != nil {
			if p.Port.Type == api.IntOrStringString {
				r.named = strings.ToLower(p.Port.StrVal)
			} else {
				r.port = uint16(p.Port.IntVal)
			}
		}
		if p.EndPort != nil {
			r.endPort = uint16(*p.EndPort)
		}
		pr.ports = append(pr.ports, r)
	}
	return pr, nil
}

func compileNetworkPolicy(np *api.NetworkPolicy) ([]*rule, error) {
	origin := "NetworkPolicy " + np.Namespace + "/" + np.Name
	subject, err := k8sPodSelector(&np.Spec.PodSelector, np.Namespace)
	if err != nil {
		return nil, fmt.Errorf("%s: podSelector: %w", origin, err)
	}
	ru := newRule(origin, subject)
	ru.sortKey = "1/" + np.Namespace + "/" + np.Name
	types := np.Spec.PolicyTypes
	if len(types) == 0 {
		types = []api.PolicyType{api.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			types = append(types, api.PolicyTypeEgress)
		}
	}
	for _, t := range types {
		switch t {
		case api.PolicyTypeIngress:
			ru.enforce[Ingress] = true
		case api.PolicyTypeEgress:
			ru.enforce[Egress] = true
		default:
			return nil, fmt.Errorf("%s: unsupported policyType %q", origin, t)
		}
	}
	if ru.enforce[Ingress] {
		for j, in := range np.Spec.Ingress {
			pr, err := compileK8sPeers(fmt.Sprintf("ingress[%d]", j), np.Namespace, in.From, in.Ports)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			ru.allow[Ingress] = append(ru.allow[Ingress], pr)
		}
	}
	if ru.enforce[Egress] {
		for j, eg := range np.Spec.Egress {
			pr, err := compileK8sPeers(fmt.Sprintf("egress[%d]", j), np.Namespace, eg.To, eg.Ports)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			ru.allow[Egress] = append(ru.allow[Egress], pr)
		}
	}
	return []*rule{ru}, nil
}

// Enforced reports whether a policy selects an endpoint with these labels
// for the direction (its traffic that way is then default-deny), as
// `cilium endpoint list` shows in POLICY ENFORCEMENT.
func (r *Repository) Enforced(labels Labels, dir Direction) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ru := range r.rules {
		if ru.subject.Matches(labels) && ru.enforce[dir] {
			return true
		}
	}
	return false
}

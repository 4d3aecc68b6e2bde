package proxy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// Packet is a probe: the first packet of a new connection from Src to Dst.
type Packet struct {
	Src      netip.Addr
	Dst      netip.AddrPort
	Protocol api.Protocol // TCP when empty
}

func (p Packet) String() string {
	proto := p.Protocol
	if proto == "" {
		proto = api.ProtocolTCP
	}
	return fmt.Sprintf("%s -> %s/%s", p.Src, p.Dst, proto)
}

// Verdict is what the data path did with a probe.
type Verdict string

// Verdicts.
const (
	// VerdictDNAT: a service rule rewrote the destination to an endpoint.
	VerdictDNAT Verdict = "DNAT"
	// VerdictReject: kube-proxy rejects it (a Service without endpoints);
	// the client sees "Connection refused".
	VerdictReject Verdict = "REJECT"
	// VerdictDrop: dropped (for example a Local traffic policy without a
	// local endpoint, or eBPF "Service backend not found"); the client
	// times out.
	VerdictDrop Verdict = "DROP"
	// VerdictUnchanged: no service rule applied; the packet leaves as it
	// came. Sent to a Service IP this means nobody answers: the symptom of
	// rules that were never synced.
	VerdictUnchanged Verdict = "UNCHANGED"
)

// Hop is one step of a walk: a rule that matched (or a statistic rule that
// was evaluated and not taken, with Taken false).
type Hop struct {
	Table string // "nat" or "filter"; for eBPF the map name
	Chain string
	Rule  string // the rule text, or the map entry
	Taken bool
	Note  string
}

func (h Hop) String() string {
	mark := "->"
	if !h.Taken {
		mark = "  "
	}
	s := fmt.Sprintf("%s %-6s %s", mark, h.Table, h.Rule)
	if h.Note != "" {
		s += "   # " + h.Note
	}
	return s
}

// Trace is the result of walking one probe through a node's data path.
type Trace struct {
	Packet  Packet
	Verdict Verdict
	// Service is the ServicePortName ("ns/svc:port") whose rules caught
	// the probe, "" if none.
	Service string
	// Endpoint is the DNAT destination.
	Endpoint netip.AddrPort
	// Masqueraded reports SNAT in POSTROUTING; Source is then the node IP.
	Masqueraded bool
	Source      netip.Addr
	Hops        []Hop
}

// String renders the trace one hop per line, ending with the verdict.
func (t Trace) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "probe %s\n", t.Packet)
	for _, h := range t.Hops {
		sb.WriteString(h.String())
		sb.WriteByte('\n')
	}
	switch t.Verdict {
	case VerdictDNAT:
		fmt.Fprintf(&sb, "verdict DNAT to %s (%s)", t.Endpoint, t.Service)
	case VerdictReject, VerdictDrop:
		fmt.Fprintf(&sb, "verdict %s", t.Verdict)
		if t.Service != "" {
			fmt.Fprintf(&sb, " (%s)", t.Service)
		}
	default:
		fmt.Fprintf(&sb, "verdict %s", t.Verdict)
	}
	if t.Masqueraded {
		fmt.Fprintf(&sb, ", masqueraded to %s", t.Source)
	}
	sb.WriteByte('\n')
	return sb.String()
}

// recentLists is the state of the xt_recent module: per list name, the
// last time each source address was --set.
type recentLists map[string]map[netip.Addr]time.Time

// jump rules kube-proxy (and the kubelet) insert into the built-in chains.
var (
	jumpNATPrerouting  = newRule("PREROUTING").comment("kubernetes service portals").jump(ChainServices)
	jumpNATOutput      = newRule("OUTPUT").comment("kubernetes service portals").jump(ChainServices)
	jumpNATPostrouting = newRule("POSTROUTING").comment("kubernetes postrouting rules").jump(ChainPostrouting)

	jumpsFilterForward = []*Rule{
		newRule("FORWARD").ctstate(false, "NEW", ctNew).comment("kubernetes load balancer firewall").jump(ChainProxyFirewall),
		newRule("FORWARD").comment("kubernetes forwarding rules").jump(ChainForward),
		newRule("FORWARD").ctstate(false, "NEW", ctNew).comment("kubernetes service portals").jump(ChainServices),
		newRule("FORWARD").ctstate(false, "NEW", ctNew).comment("kubernetes externally-visible service portals").jump(ChainExternalServices),
	}
	jumpsFilterInput = []*Rule{
		newRule("INPUT").jump(ChainKubeletFirewall),
		newRule("INPUT").ctstate(false, "NEW", ctNew).comment("kubernetes load balancer firewall").jump(ChainProxyFirewall),
		newRule("INPUT").comment("kubernetes health check service ports").jump(ChainNodePorts),
		newRule("INPUT").ctstate(false, "NEW", ctNew).comment("kubernetes externally-visible service portals").jump(ChainExternalServices),
	}
	jumpsFilterOutput = []*Rule{
		newRule("OUTPUT").jump(ChainKubeletFirewall),
		newRule("OUTPUT").ctstate(false, "NEW", ctNew).comment("kubernetes load balancer firewall").jump(ChainProxyFirewall),
		newRule("OUTPUT").ctstate(false, "NEW", ctNew).comment("kubernetes service portals").jump(ChainServices),
	}
)

// Walk sends one probe through the rules of the last Sync, as the kernel
// would: nat PREROUTING (OUTPUT when Src is one of the node's IPs), filter
// FORWARD (INPUT when the destination is the node itself, OUTPUT for
// host-network clients), nat POSTROUTING. Statistic matches draw from rng
// exactly as xt_statistic does; "-m recent" state (session affinity) lives
// in the proxier and ages on the caller's virtual time now.
func (p *Proxier) Walk(pkt Packet, rng *rand.Rand, now time.Time) Trace {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pkt.Protocol == "" {
		pkt.Protocol = api.ProtocolTCP
	}
	tr := Trace{Packet: pkt, Verdict: VerdictUnchanged, Source: pkt.Src}
	if p.rules == nil {
		tr.Hops = append(tr.Hops, Hop{Table: "nat", Rule: "no rules programmed yet", Note: "kube-proxy never synced"})
		return tr
	}
	w := &walker{
		p: p, rs: p.rules, rng: rng, now: now,
		src: pkt.Src, dst: pkt.Dst, proto: strings.ToLower(string(pkt.Protocol)), ct: ctNew,
		tr: &tr,
	}
	hostSrc := p.localIP[pkt.Src]

	// nat PREROUTING / OUTPUT.
	jump := jumpNATPrerouting
	if hostSrc {
		jump = jumpNATOutput
	}
	w.hop("nat", jump, "")
	if w.traverse(p.rules.NAT, ChainServices, 0) == "DNAT" {
		w.ct |= ctDNAT
		tr.Verdict = VerdictDNAT
		tr.Endpoint = w.dst
	}

	// filter.
	jumps := jumpsFilterForward
	switch {
	case hostSrc:
		jumps = jumpsFilterOutput
	case w.isLocal(w.dst.Addr()):
		jumps = jumpsFilterInput
	}
	for _, j := range jumps {
		if !w.matches(j) {
			continue
		}
		w.hop("filter", j, "")
		t := w.traverse(p.rules.Filter, j.Target, 0)
		if t == "REJECT" || t == "DROP" {
			tr.Verdict = Verdict(t)
			tr.Endpoint = netip.AddrPort{}
			return tr
		}
		if t == "ACCEPT" {
			break
		}
	}

	// nat POSTROUTING.
	w.hop("nat", jumpNATPostrouting, "")
	if w.traverse(p.rules.NAT, ChainPostrouting, 0) == "MASQUERADE" {
		tr.Masqueraded = true
		if len(p.cfg.NodeIPs) > 0 {
			tr.Source = p.cfg.NodeIPs[0]
		}
	}
	return tr
}

type walker struct {
	p     *Proxier
	rs    *Ruleset
	rng   *rand.Rand
	now   time.Time
	src   netip.Addr
	dst   netip.AddrPort
	proto string
	mark  uint32
	ct    ctState
	tr    *Trace
}

func (w *walker) isLocal(a netip.Addr) bool {
	return w.p.localIP[a] || loopback4.Contains(a)
}

func (w *walker) hop(table string, r *Rule, note string) {
	w.tr.Hops = append(w.tr.Hops, Hop{Table: table, Chain: r.Chain, Rule: r.text, Taken: true, Note: note})
}

// traverse runs a chain and returns the terminal target that ended the
// traversal ("DNAT", "REJECT", "DROP", "ACCEPT", "MASQUERADE") or "" when
// the chain fell through or returned.
func (w *walker) traverse(t *Table, chain string, depth int) string {
	if depth > 16 {
		return ""
	}
	for _, r := range t.index[chain] {
		if !w.matches(r) {
			continue
		}
		note := ""
		if r.probability != "" {
			draw := w.rng.Uint32() & 0x7FFFFFFF
			if draw >= r.threshold {
				w.tr.Hops = append(w.tr.Hops, Hop{Table: t.Name, Chain: r.Chain, Rule: r.text,
					Note: fmt.Sprintf("statistic: drew %.4f, not below %s", float64(draw)/(1<<31), r.probability)})
				continue
			}
			note = fmt.Sprintf("statistic: drew %.4f, below %s", float64(draw)/(1<<31), r.probability)
		}
		if r.recentCheck > 0 {
			note = "session affinity: client seen recently"
		}
		if r.recentSet {
			lst := w.p.recent[r.recentName]
			if lst == nil {
				lst = map[netip.Addr]time.Time{}
				w.p.recent[r.recentName] = lst
			}
			lst[w.src] = w.now
		}
		if w.tr.Service == "" {
			w.tr.Service = serviceOf(r)
		}
		w.hop(t.Name, r, note)
		switch r.Target {
		case "RETURN":
			return ""
		case "DNAT":
			w.dst = r.toDest
			return "DNAT"
		case "REJECT", "DROP", "ACCEPT":
			return r.Target
		case "MASQUERADE":
			return "MASQUERADE"
		case "MARK":
			if r.markOr {
				w.mark |= MasqueradeMark
			} else if r.markXor {
				w.mark ^= MasqueradeMark
			}
		default:
			if res := w.traverse(t, r.Target, depth+1); res != "" {
				return res
			}
		}
	}
	return ""
}

// serviceOf extracts the ServicePortName from the comment of a rule that
// captures a service: "ns/svc:port cluster IP" (external IP, loadbalancer
// IP), a bare name in KUBE-NODEPORTS, or "ns/svc:port has no endpoints".
func serviceOf(r *Rule) string {
	c := r.Comment
	if c == "" {
		return ""
	}
	for _, suffix := range []string{" cluster IP", " external IP", " loadbalancer IP"} {
		if strings.HasSuffix(c, suffix) && r.Chain == ChainServices {
			return strings.TrimSuffix(c, suffix)
		}
	}
	if i := strings.Index(c, " has no "); i > 0 {
		return c[:i]
	}
	if r.Chain == ChainNodePorts && !strings.Contains(c, " ") {
		return c
	}
	return ""
}

func (w *walker) matches(r *Rule) bool {
	if r.proto != "" && r.proto != w.proto {
		return false
	}
	d, s := w.dst.Addr(), w.src
	if r.dst.IsValid() && !r.dst.Contains(d) {
		return false
	}
	if r.notDst.IsValid() && r.notDst.Contains(d) {
		return false
	}
	if r.src.IsValid() && !r.src.Contains(s) {
		return false
	}
	if r.notSrc.IsValid() && r.notSrc.Contains(s) {
		return false
	}
	if r.dport != 0 && uint16(r.dport) != w.dst.Port() {
		return false
	}
	if r.dstLocal && !w.isLocal(d) {
		return false
	}
	if r.srcLocal && !w.isLocal(s) {
		return false
	}
	if r.markSet {
		has := w.mark&MasqueradeMark == MasqueradeMark
		if has == r.markNot {
			return false
		}
	}
	if r.ctSet {
		in := w.ct&r.ctStates != 0
		if in == r.ctNot {
			return false
		}
	}
	if r.recentCheck > 0 {
		lst := w.p.recent[r.recentName]
		last, ok := lst[s]
		if !ok {
			return false
		}
		if w.now.Sub(last) > time.Duration(r.recentCheck)*time.Second {
			delete(lst, s) // --reap
			return false
		}
	}
	return true
}

package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Chain names kube-proxy owns.
const (
	ChainServices         = "KUBE-SERVICES"
	ChainExternalServices = "KUBE-EXTERNAL-SERVICES"
	ChainNodePorts        = "KUBE-NODEPORTS"
	ChainPostrouting      = "KUBE-POSTROUTING"
	ChainMarkMasq         = "KUBE-MARK-MASQ"
	ChainForward          = "KUBE-FORWARD"
	ChainProxyFirewall    = "KUBE-PROXY-FIREWALL"
	ChainKubeletFirewall  = "KUBE-FIREWALL"
)

// MasqueradeMark is the mark KUBE-MARK-MASQ sets (kube-proxy's default
// --iptables-masquerade-bit 14).
const MasqueradeMark uint32 = 0x4000

const masqMarkText = "0x4000"

// largeClusterEndpointsThreshold is kube-proxy's switch to "large cluster
// mode": above 1000 endpoints in total, the per-endpoint comments are left
// out to keep the ruleset small.
const largeClusterEndpointsThreshold = 1000

// nfacct counters kube-proxy attaches when the kernel has nfnetlink_acct.
const (
	nfacctInvalidDropped    = "ct_state_invalid_dropped_pkts"
	nfacctLocalhostNodePort = "localhost_nps_accepted_pkts"
)

// PortProtoHash is kube-proxy's chain-name hash: the first 16 characters of
// base32(sha256(servicePortName + protocol)), protocol in lower case; for
// an endpoint chain, pass servicePortName + protocol + "IP:port" as one
// string through EndpointHash.
func PortProtoHash(servicePortName, protocol string) string {
	return hash16(servicePortName + protocol)
}

// EndpointHash is the hash of a KUBE-SEP chain: servicePortName + protocol
// + endpoint ("IP:port").
func EndpointHash(servicePortName, protocol, endpoint string) string {
	return hash16(servicePortName + protocol + endpoint)
}

func hash16(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(sum[:])[:16]
}

// ctState is a set of conntrack states; the probes kubesim walks are always
// NEW connections, DNAT once a DNAT rule rewrote them.
type ctState uint8

const (
	ctNew ctState = 1 << iota
	ctEstablished
	ctRelated
	ctInvalid
	ctDNAT
)

// Rule is one line of a table: "-A CHAIN matches... -j TARGET". It keeps
// the matches in structured form so that a packet can be walked through
// the ruleset, and the text kube-proxy wrote so that it can be shown.
type Rule struct {
	Chain   string
	Comment string // unquoted comment, "" if none
	Target  string // a chain name or DNAT, REJECT, DROP, ACCEPT, RETURN, MARK, MASQUERADE

	proto       string // "" matches every protocol
	dst, src    netip.Prefix
	notDst      netip.Prefix
	notSrc      netip.Prefix
	dport       int
	dstLocal    bool // -m addrtype --dst-type LOCAL
	srcLocal    bool // -m addrtype --src-type LOCAL
	markSet     bool // -m mark [!] --mark 0x4000/0x4000
	markNot     bool
	ctSet       bool // -m conntrack [!] --ctstate ...
	ctNot       bool
	ctStates    ctState
	probability string // --probability text, "" if no statistic match
	threshold   uint32 // what the kernel compares a random 31-bit value against
	recentName  string
	recentCheck int  // --rcheck --seconds N (0: no rcheck)
	recentSet   bool // --set
	toDest      netip.AddrPort
	markOr      bool // MARK --or-mark
	markXor     bool // MARK --xor-mark

	text string
}

// String returns the rule as kube-proxy writes it to iptables-restore.
func (r *Rule) String() string { return r.text }

// Probability returns the --probability text of a statistic match, or "".
func (r *Rule) Probability() string { return r.probability }

// ToDestination returns the DNAT target, or the zero AddrPort.
func (r *Rule) ToDestination() netip.AddrPort { return r.toDest }

// ruleBuilder appends match tokens in the order kube-proxy writes them and
// records each match in the structured rule at the same time.
type ruleBuilder struct {
	r   Rule
	buf strings.Builder
}

func newRule(chain string) *ruleBuilder {
	b := &ruleBuilder{r: Rule{Chain: chain}}
	b.buf.Grow(160)
	b.buf.WriteString("-A ")
	b.buf.WriteString(chain)
	return b
}

func (b *ruleBuilder) tok(s ...string) *ruleBuilder {
	for _, t := range s {
		b.buf.WriteByte(' ')
		b.buf.WriteString(t)
	}
	return b
}

// comment adds "-m comment --comment"; kube-proxy quotes every comment it
// formats with spaces, and writes bare ServicePortNames unquoted.
func (b *ruleBuilder) comment(c string) *ruleBuilder {
	b.r.Comment = c
	if strings.ContainsRune(c, ' ') {
		return b.tok("-m", "comment", "--comment", `"`+c+`"`)
	}
	return b.tok("-m", "comment", "--comment", c)
}

func (b *ruleBuilder) proto(p string) *ruleBuilder {
	b.r.proto = p
	return b.tok("-m", p, "-p", p)
}

func (b *ruleBuilder) dst(a netip.Addr) *ruleBuilder {
	b.r.dst = netip.PrefixFrom(a, a.BitLen())
	return b.tok("-d", a.String())
}

func (b *ruleBuilder) dstCIDR(p netip.Prefix) *ruleBuilder {
	b.r.dst = p
	return b.tok("-d", p.String())
}

func (b *ruleBuilder) notDstCIDR(p netip.Prefix) *ruleBuilder {
	b.r.notDst = p
	return b.tok("!", "-d", p.String())
}

func (b *ruleBuilder) src(a netip.Addr) *ruleBuilder {
	b.r.src = netip.PrefixFrom(a, a.BitLen())
	return b.tok("-s", a.String())
}

func (b *ruleBuilder) srcCIDR(p netip.Prefix) *ruleBuilder {
	b.r.src = p
	return b.tok("-s", p.String())
}

func (b *ruleBuilder) notSrcCIDR(p netip.Prefix) *ruleBuilder {
	b.r.notSrc = p
	return b.tok("!", "-s", p.String())
}

func (b *ruleBuilder) dport(n int) *ruleBuilder {
	b.r.dport = n
	return b.tok("--dport", strconv.Itoa(n))
}

func (b *ruleBuilder) dstTypeLocal() *ruleBuilder {
	b.r.dstLocal = true
	return b.tok("-m", "addrtype", "--dst-type", "LOCAL")
}

func (b *ruleBuilder) srcTypeLocal() *ruleBuilder {
	b.r.srcLocal = true
	return b.tok("-m", "addrtype", "--src-type", "LOCAL")
}

func (b *ruleBuilder) mark(not bool) *ruleBuilder {
	b.r.markSet, b.r.markNot = true, not
	if not {
		return b.tok("-m", "mark", "!", "--mark", masqMarkText+"/"+masqMarkText)
	}
	return b.tok("-m", "mark", "--mark", masqMarkText+"/"+masqMarkText)
}

func (b *ruleBuilder) ctstate(not bool, text string, states ctState) *ruleBuilder {
	b.r.ctSet, b.r.ctNot, b.r.ctStates = true, not, states
	if not {
		return b.tok("-m", "conntrack", "!", "--ctstate", text)
	}
	return b.tok("-m", "conntrack", "--ctstate", text)
}

func (b *ruleBuilder) nfacct(name string) *ruleBuilder {
	return b.tok("-m", "nfacct", "--nfacct-name", name)
}

// statistic adds "-m statistic --mode random --probability p". The kernel
// keeps the probability as round(p * 2^31) and matches when a random 31-bit
// number is below it (xt_statistic), so the printed 10 decimals are what
// decides, as on a real node.
func (b *ruleBuilder) statistic(p string) *ruleBuilder {
	f, _ := strconv.ParseFloat(p, 64)
	b.r.probability = p
	b.r.threshold = uint32(math.Round(f * (1 << 31)))
	return b.tok("-m", "statistic", "--mode", "random", "--probability", p)
}

func (b *ruleBuilder) recentCheck(name string, seconds int) *ruleBuilder {
	b.r.recentName, b.r.recentCheck = name, seconds
	return b.tok("-m", "recent", "--name", name, "--rcheck", "--seconds", strconv.Itoa(seconds), "--reap")
}

func (b *ruleBuilder) recentSetting(name string) *ruleBuilder {
	b.r.recentName, b.r.recentSet = name, true
	return b.tok("-m", "recent", "--name", name, "--set")
}

func (b *ruleBuilder) jump(target string) *Rule {
	b.r.Target = target
	b.tok("-j", target)
	return b.done()
}

func (b *ruleBuilder) dnat(to netip.AddrPort) *Rule {
	b.r.Target, b.r.toDest = "DNAT", to
	b.tok("-j", "DNAT", "--to-destination", to.String())
	return b.done()
}

func (b *ruleBuilder) markOr() *Rule {
	b.r.Target, b.r.markOr = "MARK", true
	b.tok("-j", "MARK", "--or-mark", masqMarkText)
	return b.done()
}

func (b *ruleBuilder) markXor() *Rule {
	b.r.Target, b.r.markXor = "MARK", true
	b.tok("-j", "MARK", "--xor-mark", masqMarkText)
	return b.done()
}

func (b *ruleBuilder) masquerade(randomFully bool) *Rule {
	b.r.Target = "MASQUERADE"
	b.tok("-j", "MASQUERADE")
	if randomFully {
		b.tok("--random-fully")
	}
	return b.done()
}

func (b *ruleBuilder) done() *Rule {
	b.r.text = b.buf.String()
	r := b.r
	return &r
}

// Table is one iptables table as kube-proxy writes it: the chain
// declarations in the order they were first written, then the rules in the
// order they were generated (rules of different chains interleave, as in
// kube-proxy's restore input).
type Table struct {
	Name   string
	chains []string
	rules  []*Rule
	index  map[string][]*Rule
}

func newTable(name string) *Table {
	return &Table{Name: name, index: map[string][]*Rule{}}
}

func (t *Table) declare(chain string) {
	t.chains = append(t.chains, chain)
	if _, ok := t.index[chain]; !ok {
		t.index[chain] = nil
	}
}

func (t *Table) add(r *Rule) {
	t.rules = append(t.rules, r)
	t.index[r.Chain] = append(t.index[r.Chain], r)
}

// Chains returns the declared chains in declaration order.
func (t *Table) Chains() []string { return append([]string(nil), t.chains...) }

// Rules returns the rules of one chain in order (nil for an unknown chain).
func (t *Table) Rules(chain string) []*Rule { return append([]*Rule(nil), t.index[chain]...) }

// Len returns the number of rules in the table.
func (t *Table) Len() int { return len(t.rules) }

// String renders the table in iptables-save syntax as kube-proxy feeds it
// to iptables-restore: "*nat", ":CHAIN - [0:0]" lines, "-A" lines, "COMMIT".
func (t *Table) String() string {
	var sb strings.Builder
	sb.Grow(t.size())
	t.writeTo(&sb)
	return sb.String()
}

// size is the length of the rendered table.
func (t *Table) size() int {
	n := len(t.Name) + 2 + len("COMMIT\n")
	for _, c := range t.chains {
		n += len(c) + len(": - [0:0]\n")
	}
	for _, r := range t.rules {
		n += len(r.text) + 1
	}
	return n
}

func (t *Table) writeTo(sb *strings.Builder) {
	sb.WriteString("*")
	sb.WriteString(t.Name)
	sb.WriteByte('\n')
	for _, c := range t.chains {
		sb.WriteString(":")
		sb.WriteString(c)
		sb.WriteString(" - [0:0]\n")
	}
	for _, r := range t.rules {
		sb.WriteString(r.text)
		sb.WriteByte('\n')
	}
	sb.WriteString("COMMIT\n")
}

// Ruleset is what one Sync programmed: the filter and nat tables. It is
// immutable and may be shared.
type Ruleset struct {
	Filter *Table
	NAT    *Table
	// Endpoints is the total number of endpoint chains' endpoints counted
	// for large-cluster mode.
	Endpoints int
	// LargeCluster reports kube-proxy's large-cluster mode (more than 1000
	// endpoints): per-endpoint comments are omitted.
	LargeCluster bool
}

// String renders both tables, filter first, exactly as kube-proxy writes
// its iptables-restore input.
func (rs *Ruleset) String() string {
	var sb strings.Builder
	sb.Grow(rs.Filter.size() + rs.NAT.size())
	rs.Filter.writeTo(&sb)
	rs.NAT.writeTo(&sb)
	return sb.String()
}

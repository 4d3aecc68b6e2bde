package dns

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Type is a resource record type.
type Type uint16

// Record types kubesim answers.
const (
	TypeA     Type = 1
	TypeNS    Type = 2
	TypeCNAME Type = 5
	TypeSOA   Type = 6
	TypePTR   Type = 12
	TypeMX    Type = 15
	TypeTXT   Type = 16
	TypeAAAA  Type = 28
	TypeSRV   Type = 33
	TypeANY   Type = 255
)

var typeNames = map[Type]string{
	TypeA: "A", TypeNS: "NS", TypeCNAME: "CNAME", TypeSOA: "SOA", TypePTR: "PTR", TypeMX: "MX",
	TypeTXT: "TXT", TypeAAAA: "AAAA", TypeSRV: "SRV", TypeANY: "ANY",
}

func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ParseType parses "A", "srv", ...
func ParseType(s string) (Type, bool) {
	for t, n := range typeNames {
		if strings.EqualFold(n, s) {
			return t, true
		}
	}
	return 0, false
}

// Class is a record class; only IN is used.
type Class uint16

// ClassINET is the Internet class.
const ClassINET Class = 1

func (c Class) String() string {
	if c == ClassINET {
		return "IN"
	}
	return "CLASS" + strconv.Itoa(int(c))
}

// Rcode is a response code.
type Rcode int

// Response codes.
const (
	RcodeSuccess        Rcode = 0 // NOERROR
	RcodeFormatError    Rcode = 1
	RcodeServerFailure  Rcode = 2 // SERVFAIL
	RcodeNameError      Rcode = 3 // NXDOMAIN
	RcodeNotImplemented Rcode = 4
	RcodeRefused        Rcode = 5
)

var rcodeNames = map[Rcode]string{
	RcodeSuccess: "NOERROR", RcodeFormatError: "FORMERR", RcodeServerFailure: "SERVFAIL",
	RcodeNameError: "NXDOMAIN", RcodeNotImplemented: "NOTIMP", RcodeRefused: "REFUSED",
}

func (r Rcode) String() string {
	if s, ok := rcodeNames[r]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// Question is the question of a message.
type Question struct {
	Name  string // fully qualified, with the trailing dot
	Type  Type
	Class Class
}

// String renders the question as dig's QUESTION SECTION does.
func (q Question) String() string {
	return ";" + q.Name + "\t" + q.Class.String() + "\t" + q.Type.String()
}

// RR is a resource record: owner name, type, class, TTL and the record data
// in zone-file text ("10.96.0.10", "0 100 80 web.default.svc.cluster.local.").
type RR struct {
	Name  string
	Type  Type
	Class Class
	TTL   uint32
	Data  string
}

// String renders the record in zone-file style, tab-separated as dig and
// CoreDNS's tests print it: "web.default.svc.cluster.local.\t30\tIN\tA\t10.96.12.34".
func (rr RR) String() string {
	return rr.Name + "\t" + strconv.FormatUint(uint64(rr.TTL), 10) + "\t" + rr.Class.String() + "\t" + rr.Type.String() + "\t" + rr.Data
}

// NewA builds an A (or, for an IPv6 address, AAAA) record.
func NewA(name string, ttl uint32, ip netip.Addr) RR {
	t := TypeA
	if ip.Is6() && !ip.Is4In6() {
		t = TypeAAAA
	}
	return RR{Name: Fqdn(name), Type: t, Class: ClassINET, TTL: ttl, Data: ip.String()}
}

// NewCNAME builds a CNAME record.
func NewCNAME(name string, ttl uint32, target string) RR {
	return RR{Name: Fqdn(name), Type: TypeCNAME, Class: ClassINET, TTL: ttl, Data: Fqdn(target)}
}

// NewPTR builds a PTR record.
func NewPTR(name string, ttl uint32, target string) RR {
	return RR{Name: Fqdn(name), Type: TypePTR, Class: ClassINET, TTL: ttl, Data: Fqdn(target)}
}

// NewSRV builds an SRV record.
func NewSRV(name string, ttl uint32, priority, weight, port uint16, target string) RR {
	return RR{Name: Fqdn(name), Type: TypeSRV, Class: ClassINET, TTL: ttl,
		Data: fmt.Sprintf("%d %d %d %s", priority, weight, port, Fqdn(target))}
}

// SOA is the data of an SOA record.
type SOA struct {
	Ns, Mbox                               string
	Serial, Refresh, Retry, Expire, Minttl uint32
}

// NewSOA builds an SOA record.
func NewSOA(zone string, ttl uint32, soa SOA) RR {
	return RR{Name: Fqdn(zone), Type: TypeSOA, Class: ClassINET, TTL: ttl,
		Data: fmt.Sprintf("%s %s %d %d %d %d %d", Fqdn(soa.Ns), Fqdn(soa.Mbox), soa.Serial, soa.Refresh, soa.Retry, soa.Expire, soa.Minttl)}
}

// SOAData parses the data of an SOA record.
func (rr RR) SOAData() (SOA, bool) {
	if rr.Type != TypeSOA {
		return SOA{}, false
	}
	f := strings.Fields(rr.Data)
	if len(f) != 7 {
		return SOA{}, false
	}
	var n [5]uint32
	for i := range n {
		v, err := strconv.ParseUint(f[i+2], 10, 32)
		if err != nil {
			return SOA{}, false
		}
		n[i] = uint32(v)
	}
	return SOA{Ns: f[0], Mbox: f[1], Serial: n[0], Refresh: n[1], Retry: n[2], Expire: n[3], Minttl: n[4]}, true
}

// Addr returns the address of an A or AAAA record.
func (rr RR) Addr() (netip.Addr, bool) {
	if rr.Type != TypeA && rr.Type != TypeAAAA {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(rr.Data)
	return a, err == nil
}

// Msg is a DNS message, not in wire format: a front end may map it to
// wire format later. Names are fully qualified and compared without case.
type Msg struct {
	ID                 uint16
	Response           bool
	Authoritative      bool
	RecursionDesired   bool
	RecursionAvailable bool
	Rcode              Rcode
	Question           []Question
	Answer             []RR
	Ns                 []RR
	Extra              []RR
}

// NewQuery builds a query for name and type, recursion desired as a stub
// resolver asks.
func NewQuery(id uint16, name string, t Type) *Msg {
	return &Msg{ID: id, RecursionDesired: true, Question: []Question{{Name: Fqdn(name), Type: t, Class: ClassINET}}}
}

// Reply returns an empty response to m (same id and question).
func (m *Msg) Reply() *Msg {
	return &Msg{ID: m.ID, Response: true, RecursionDesired: m.RecursionDesired,
		Question: append([]Question(nil), m.Question...)}
}

// ReplyRcode returns an empty response with an rcode.
func (m *Msg) ReplyRcode(rc Rcode) *Msg {
	r := m.Reply()
	r.Rcode = rc
	return r
}

// Copy returns a deep copy.
func (m *Msg) Copy() *Msg {
	c := *m
	c.Question = append([]Question(nil), m.Question...)
	c.Answer = append([]RR(nil), m.Answer...)
	c.Ns = append([]RR(nil), m.Ns...)
	c.Extra = append([]RR(nil), m.Extra...)
	return &c
}

// Q returns the question (the zero Question if none).
func (m *Msg) Q() Question {
	if len(m.Question) == 0 {
		return Question{}
	}
	return m.Question[0]
}

// String renders the message as dig prints it.
func (m *Msg) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, ";; ->>HEADER<<- opcode: QUERY, status: %s, id: %d\n", m.Rcode, m.ID)
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	fmt.Fprintf(&sb, ";; flags: %s; QUERY: %d, ANSWER: %d, AUTHORITY: %d, ADDITIONAL: %d\n",
		strings.Join(flags, " "), len(m.Question), len(m.Answer), len(m.Ns), len(m.Extra))
	sb.WriteString("\n;; QUESTION SECTION:\n")
	for _, q := range m.Question {
		sb.WriteString(q.String())
		sb.WriteByte('\n')
	}
	for _, sec := range []struct {
		name string
		rrs  []RR
	}{{"ANSWER", m.Answer}, {"AUTHORITY", m.Ns}, {"ADDITIONAL", m.Extra}} {
		if len(sec.rrs) == 0 {
			continue
		}
		fmt.Fprintf(&sb, "\n;; %s SECTION:\n", sec.name)
		for _, rr := range sec.rrs {
			sb.WriteString(rr.String())
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// Sorted renders records one per line and sorts them, the way CoreDNS's
// tests compare answers whose order is not fixed.
func Sorted(rrs []RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	sort.Strings(out)
	return out
}

// Fqdn adds the trailing dot.
func Fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// IsSubDomain reports whether child is parent or below it (case-insensitive,
// both fully qualified).
func IsSubDomain(parent, child string) bool {
	parent, child = strings.ToLower(Fqdn(parent)), strings.ToLower(Fqdn(child))
	if parent == "." {
		return true
	}
	return child == parent || strings.HasSuffix(child, "."+parent)
}

// ReverseName returns the in-addr.arpa (or ip6.arpa) name of an address.
func ReverseName(ip netip.Addr) string {
	if ip.Is4() {
		b := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", b[3], b[2], b[1], b[0])
	}
	b := ip.As16()
	var sb strings.Builder
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		sb.WriteByte(hex[b[i]&0xf])
		sb.WriteByte('.')
		sb.WriteByte(hex[b[i]>>4])
		sb.WriteByte('.')
	}
	sb.WriteString("ip6.arpa.")
	return sb.String()
}

// AddrFromReverse extracts the address of a reverse name, or false.
func AddrFromReverse(name string) (netip.Addr, bool) {
	name = strings.ToLower(Fqdn(name))
	switch {
	case strings.HasSuffix(name, ".in-addr.arpa."):
		labels := strings.Split(strings.TrimSuffix(name, ".in-addr.arpa."), ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
			labels[i], labels[j] = labels[j], labels[i]
		}
		a, err := netip.ParseAddr(strings.Join(labels, "."))
		return a, err == nil
	case strings.HasSuffix(name, ".ip6.arpa."):
		labels := strings.Split(strings.TrimSuffix(name, ".ip6.arpa."), ".")
		if len(labels) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i := range 16 {
			hi, err1 := strconv.ParseUint(labels[31-2*i], 16, 8)
			lo, err2 := strconv.ParseUint(labels[30-2*i], 16, 8)
			if err1 != nil || err2 != nil {
				return netip.Addr{}, false
			}
			b[i] = byte(hi<<4 | lo)
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}

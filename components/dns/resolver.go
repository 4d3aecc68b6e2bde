package dns

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ResolvConf is a pod's /etc/resolv.conf.
type ResolvConf struct {
	Nameservers []netip.Addr
	Search      []string
	Ndots       int
	// Attempts per nameserver (glibc's default 2; the kubelet does not
	// write an attempts option).
	Attempts int
}

// PodResolvConf is the resolv.conf the kubelet writes for a pod with
// dnsPolicy ClusterFirst: the cluster DNS Service as nameserver, search
// <ns>.svc.<domain> svc.<domain> <domain>, ndots:5. (The kubelet also
// appends the node's own search domains; kubesim's nodes have none.)
func PodResolvConf(namespace, clusterDomain string, nameserver netip.Addr) ResolvConf {
	if clusterDomain == "" {
		clusterDomain = "cluster.local"
	}
	return ResolvConf{
		Nameservers: []netip.Addr{nameserver},
		Search:      []string{namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain},
		Ndots:       5,
		Attempts:    2,
	}
}

// String renders the file as a container runtime writes it.
func (rc ResolvConf) String() string {
	var sb strings.Builder
	if len(rc.Search) > 0 {
		sb.WriteString("search " + strings.Join(rc.Search, " ") + "\n")
	}
	for _, ns := range rc.Nameservers {
		sb.WriteString("nameserver " + ns.String() + "\n")
	}
	if rc.Ndots != 1 {
		sb.WriteString("options ndots:" + strconv.Itoa(rc.Ndots) + "\n")
	}
	return sb.String()
}

// Candidates lists the names a stub resolver tries for name, in order, as
// glibc's res_search does: a name ending in a dot only as given; with
// fewer dots than ndots each search suffix, then the name as given; with at
// least ndots dots the name first, then the suffixes.
func (rc ResolvConf) Candidates(name string) []string {
	if strings.HasSuffix(name, ".") {
		return []string{name}
	}
	var searched []string
	for _, s := range rc.Search {
		searched = append(searched, name+"."+strings.TrimSuffix(s, ".")+".")
	}
	if strings.Count(name, ".") >= rc.Ndots {
		return append([]string{name + "."}, searched...)
	}
	return append(searched, name+".")
}

// Transport sends one query to one nameserver and returns the reply; an
// error means no reply (a timeout). The actor routes it through the kernel
// to a CoreDNS pod — or fails it when DNS is down.
type Transport func(ctx context.Context, server netip.Addr, q *Msg) (*Msg, error)

// Query is one query a resolver made and what came back.
type Query struct {
	Server   netip.Addr
	Question Question
	Reply    *Msg  // nil when the server did not answer
	Err      error // the transport's error
}

// String renders "A web.default.svc.cluster.local. @10.96.0.10 -> NXDOMAIN".
func (q Query) String() string {
	res := "no reply (" + fmt.Sprint(q.Err) + ")"
	if q.Reply != nil {
		res = q.Reply.Rcode.String()
		if q.Reply.Rcode == RcodeSuccess {
			res += fmt.Sprintf(", %d answers", len(q.Reply.Answer))
		}
	}
	return fmt.Sprintf("%s %s @%s -> %s", q.Question.Type, q.Question.Name, q.Server, res)
}

// Result is the outcome of one lookup through the search list.
type Result struct {
	Name string
	Type Type
	// Queries are all the queries made, in order.
	Queries []Query
	// Answer is the reply that ended the walk successfully, nil otherwise.
	Answer *Msg
	// Rcode is the final status: NOERROR (with Answer), NXDOMAIN, or
	// SERVFAIL; NoData reports a name that exists without such records.
	Rcode  Rcode
	NoData bool
	// TimedOut reports that a query got no reply from any nameserver,
	// which ends the walk (glibc stops searching).
	TimedOut bool
	// LastName is the last name asked.
	LastName string
}

// Addrs returns the addresses of the answer.
func (r Result) Addrs() []netip.Addr {
	if r.Answer == nil {
		return nil
	}
	var out []netip.Addr
	for _, rr := range r.Answer.Answer {
		if a, ok := rr.Addr(); ok {
			out = append(out, a)
		}
	}
	return out
}

// Resolver is a pod's stub resolver (glibc's res_search over a Transport).
// It is not safe for concurrent use: a pod resolves one name at a time.
type Resolver struct {
	Conf      ResolvConf
	Transport Transport
	nextID    uint16
}

// NewResolver returns a resolver with query ids from 1.
func NewResolver(conf ResolvConf, t Transport) *Resolver {
	return &Resolver{Conf: conf, Transport: t}
}

func (r *Resolver) id() uint16 {
	r.nextID++
	return r.nextID
}

// exchange asks each nameserver in turn, Attempts rounds, until one answers.
func (r *Resolver) exchange(ctx context.Context, res *Result, name string, t Type) (*Msg, bool) {
	attempts := r.Conf.Attempts
	if attempts < 1 {
		attempts = 1
	}
	for range attempts {
		for _, ns := range r.Conf.Nameservers {
			q := NewQuery(r.id(), name, t)
			reply, err := r.Transport(ctx, ns, q)
			res.Queries = append(res.Queries, Query{Server: ns, Question: q.Q(), Reply: reply, Err: err})
			if err == nil && reply != nil {
				return reply, true
			}
		}
	}
	return nil, false
}

// Lookup resolves name for type t through the search list. Like glibc it
// goes on after NXDOMAIN, NODATA and SERVFAIL and stops at the first
// answer with records, or when no nameserver answers.
func (r *Resolver) Lookup(ctx context.Context, name string, t Type) Result {
	res := Result{Name: name, Type: t, Rcode: RcodeNameError}
	gotNoData, gotServfail := false, false
	for _, cand := range r.Conf.Candidates(name) {
		res.LastName = cand
		reply, ok := r.exchange(ctx, &res, cand, t)
		if !ok {
			res.TimedOut = true
			res.Rcode = RcodeServerFailure
			return res
		}
		switch {
		case reply.Rcode == RcodeSuccess && hasType(reply, t):
			res.Answer, res.Rcode = reply, RcodeSuccess
			res.NoData = false
			return res
		case reply.Rcode == RcodeSuccess:
			gotNoData = true
		case reply.Rcode == RcodeServerFailure:
			gotServfail = true
		}
	}
	switch {
	case gotNoData:
		res.Rcode, res.NoData = RcodeSuccess, true
	case gotServfail:
		res.Rcode = RcodeServerFailure
	}
	return res
}

// hasType reports an answer of type t (a CNAME chain ending in one counts).
func hasType(m *Msg, t Type) bool {
	for _, rr := range m.Answer {
		if rr.Type == t {
			return true
		}
	}
	return false
}

// Nslookup runs "nslookup name" in the pod and returns what it prints.
// The format is BIND 9's nslookup (the dnsutils image of the Kubernetes
// DNS-debugging guide):
//
//	Server:		10.96.0.10
//	Address:	10.96.0.10#53
//
//	Name:	web.default.svc.cluster.local
//	Address: 10.96.12.34
//
// with "Non-authoritative answer:" before answers that did not come from
// an authoritative server, "<name>\tcanonical name = <target>." for CNAMEs,
// "** server can't find <name>: NXDOMAIN" (or SERVFAIL), "*** Can't find
// <name>: No answer" for a name without addresses, and only ";; connection
// timed out; no servers could be reached" when nobody answers. kubesim's
// nslookup asks for A records only; the real one also asks AAAA, which
// adds nothing in an IPv4 cluster.
func (r *Resolver) Nslookup(ctx context.Context, name string) (string, Result) {
	res := r.Lookup(ctx, name, TypeA)
	var sb strings.Builder
	if res.TimedOut {
		sb.WriteString(";; connection timed out; no servers could be reached\n\n")
		return sb.String(), res
	}
	server := r.Conf.Nameservers[0]
	if n := len(res.Queries); n > 0 {
		server = res.Queries[n-1].Server
	}
	fmt.Fprintf(&sb, "Server:\t\t%s\nAddress:\t%s#53\n\n", server, server)
	switch {
	case res.Answer != nil:
		if !res.Answer.Authoritative {
			sb.WriteString("Non-authoritative answer:\n")
		}
		for _, rr := range res.Answer.Answer {
			switch rr.Type {
			case TypeCNAME:
				fmt.Fprintf(&sb, "%s\tcanonical name = %s\n", strings.TrimSuffix(rr.Name, "."), rr.Data)
			case TypeA, TypeAAAA:
				fmt.Fprintf(&sb, "Name:\t%s\nAddress: %s\n", strings.TrimSuffix(rr.Name, "."), rr.Data)
			}
		}
	case res.NoData:
		fmt.Fprintf(&sb, "*** Can't find %s: No answer\n", name)
	default:
		fmt.Fprintf(&sb, "** server can't find %s: %s\n", strings.TrimSuffix(res.LastName, "."), res.Rcode)
	}
	sb.WriteString("\n")
	return sb.String(), res
}

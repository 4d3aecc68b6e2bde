package serve

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	mdns "github.com/miekg/dns"
)

// The DNS front end answers real DNS clients (dig, nslookup) over UDP and
// TCP through the simulated CoreDNS: each query becomes a KindQuery
// message from the "dig" endpoint to a CoreDNS pod, so it shows in the
// trace as `dig -> coredns-0 DNS query: A web.default.svc.cluster.local.`
// and the answer is whatever that pod's plugins say. (A pod's own query
// would reach CoreDNS through the kube-dns Service and kube-proxy's rules;
// the front end stands outside the cluster and asks a CoreDNS pod
// directly.) With no CoreDNS pod running, or none answering, the query is
// left unanswered and the client times out, as it would against a dead
// CoreDNS.

// dnsQueryTimeout bounds a query in virtual time.
const dnsQueryTimeout = 5 * time.Second

// dnsServers are the UDP and TCP listeners of the DNS front end.
type dnsServers struct {
	udp, tcp *mdns.Server
	addr     string
}

// listenDNS opens UDP and TCP on the same address.
func (s *Server) listenDNS(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	// TCP on the port UDP got (port 0 picks one for both).
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return err
	}
	h := mdns.HandlerFunc(s.serveDNS)
	s.dns = &dnsServers{udp: &mdns.Server{PacketConn: pc, Handler: h}, tcp: &mdns.Server{Listener: l, Handler: h}, addr: pc.LocalAddr().String()}
	return nil
}

// DNSAddr is the address of the DNS front end ("" without one).
func (s *Server) DNSAddr() string {
	if s.dns == nil {
		return ""
	}
	return s.dns.addr
}

// start serves both and returns once they accept queries (a shutdown
// before that would miss them).
func (d *dnsServers) start() {
	for _, srv := range []*mdns.Server{d.udp, d.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
	}
}

func (d *dnsServers) stop(ctx context.Context) {
	d.udp.ShutdownContext(ctx)
	d.tcp.ShutdownContext(ctx)
}

func (s *Server) serveDNS(w mdns.ResponseWriter, r *mdns.Msg) {
	if len(r.Question) != 1 {
		m := new(mdns.Msg)
		m.SetRcode(r, mdns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	query := &dns.Msg{ID: r.Id, RecursionDesired: r.RecursionDesired,
		Question: []dns.Question{{Name: strings.ToLower(q.Name), Type: dns.Type(q.Qtype), Class: dns.Class(q.Qclass)}}}
	client, _ := netip.ParseAddrPort(w.RemoteAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := s.queryCoreDNS(ctx, coredns.Query{Client: client, Msg: query})
	if err != nil || reply == nil {
		return // unanswered: the client times out
	}
	m := new(mdns.Msg)
	m.SetReply(r)
	m.Rcode = int(reply.Rcode)
	m.Authoritative = reply.Authoritative
	m.RecursionAvailable = reply.RecursionAvailable
	for _, section := range []struct {
		from []dns.RR
		to   *[]mdns.RR
	}{{reply.Answer, &m.Answer}, {reply.Ns, &m.Ns}, {reply.Extra, &m.Extra}} {
		for _, rr := range section.from {
			if wire, err := mdns.NewRR(rr.String()); err == nil && wire != nil {
				*section.to = append(*section.to, wire)
			}
		}
	}
	w.WriteMsg(m)
}

var errNoCoreDNS = errors.New("serve: no CoreDNS pod is running")

// queryCoreDNS asks the first running CoreDNS pod.
func (s *Server) queryCoreDNS(ctx context.Context, q coredns.Query) (*dns.Msg, error) {
	var reply *dns.Msg
	var err error
	e := s.Do(ctx, func(c *cluster.Cluster) {
		err = errNoCoreDNS
		for _, a := range c.K.Actors() {
			if a.Component != "coredns" || !c.K.Running(a.Name) {
				continue
			}
			var m *sim.Message
			m, err = s.digEndpoint().Call(a.Name, coredns.KindQuery, q, dnsQueryTimeout)
			if err != nil {
				return
			}
			if r, ok := m.Body.(coredns.Reply); ok {
				reply = r.Msg
			} else if r, ok := m.Body.(*coredns.Reply); ok {
				reply = r.Msg
			}
			return
		}
	})
	if e != nil {
		return nil, e
	}
	return reply, err
}

func (s *Server) digEndpoint() *sim.External { return s.c.K.External("dig", "") }

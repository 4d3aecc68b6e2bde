package datapath

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/kubesim/kubesim/components/dns"
)

// Connect opens a TCP connection from a pod to host:port and closes it
// again without sending anything, as `nc -z host port` does: the name
// resolves through the pod's resolv.conf, the SYN walks the same hops as
// curl's, and nothing reaches the server's process (so it logs nothing).
// ExitCode is 0 when the connection was accepted, 6 when the name did not
// resolve, 7 when it was refused and 28 when the connect timed out; Output
// is empty — the caller words the tool's messages.
func (p *Prober) Connect(podRef, host string, port uint16) Result {
	s, err := p.open(podRef, "nc -z "+host+" "+strconv.Itoa(int(port)))
	if err != nil {
		return s.finish()
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		res := s.resolver().Lookup(context.Background(), host, dns.TypeA)
		s.res.Lookup = &res
		addrs := res.Addrs()
		if len(addrs) == 0 {
			s.res.ExitCode = 6
			return s.finish()
		}
		addr = addrs[0]
	}
	deadline := p.k.Now() + p.ConnectTimeout
	out, pod, _ := s.send(netip.AddrPortFrom(addr, port), "TCP")
	switch out {
	case refused:
		s.res.ExitCode = 7
	case lost:
		s.waitUntil(deadline)
		s.hop(s.res.Pod, "TCP SYN", "no SYN-ACK: connect timeout")
		s.res.ExitCode = 28
	default:
		s.res.Server = pod.Namespace + "/" + pod.Name
		s.hop(s.res.Pod, fmt.Sprintf("TCP port %d", s.res.Endpoint.Port()), "connected, closed (FIN)")
	}
	return s.finish()
}

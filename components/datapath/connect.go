package datapath

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
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
	addr, ok := s.address(host)
	if !ok {
		s.res.ExitCode = 6
		return s.finish()
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

// Ping sends count ICMP echo requests from a pod to host, a second of
// virtual time apart, and prints as busybox's ping does. An echo request
// that reaches a pod's stack is answered (the kernel answers, whatever
// listens); one to a ClusterIP is not — kube-proxy's rules DNAT only the
// Service's TCP, UDP and SCTP ports, so nothing owns the address, as
// `ping` of a ClusterIP fails in a real cluster in iptables mode. A policy
// drop, a dead node or a missing pod lose it. ExitCode is 0 when a reply
// came, 1 otherwise.
func (p *Prober) Ping(podRef, host string, count int) Result {
	s, err := p.open(podRef, fmt.Sprintf("ping -c %d %s", count, host))
	if err != nil {
		return s.finish()
	}
	addr, ok := s.address(host)
	if !ok {
		s.res.Output, s.res.ExitCode = fmt.Sprintf("ping: bad address '%s'\n", host), 1
		return s.finish()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "PING %s (%s): 56 data bytes\n", host, addr)
	received := 0
	var rtts []time.Duration
	for seq := 0; seq < count; seq++ {
		start := p.k.Now()
		_, pod, _ := s.send(netip.AddrPortFrom(addr, 0), "ICMP")
		if pod != nil {
			received++
			rtt := 2 * (p.k.Now() - start)
			rtts = append(rtts, rtt)
			ttl := 64
			if s.dstNodeOf(pod) != s.node {
				ttl = 63
			}
			s.hop(pod.Namespace+"/"+pod.Name, "ICMP echo request", "echo reply")
			fmt.Fprintf(&b, "64 bytes from %s: seq=%d ttl=%d time=%.3f ms\n", addr, seq, ttl, float64(rtt.Microseconds())/1000)
		} else {
			s.hop(s.res.Pod, "ICMP echo request", "no reply")
		}
		if seq < count-1 {
			s.waitUntil(start + time.Second)
		}
	}
	fmt.Fprintf(&b, "\n--- %s ping statistics ---\n%d packets transmitted, %d packets received, %d%% packet loss\n", host, count, received, (count-received)*100/count)
	if len(rtts) > 0 {
		lo, hi, sum := rtts[0], rtts[0], time.Duration(0)
		for _, r := range rtts {
			lo, hi, sum = min(lo, r), max(hi, r), sum+r
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		fmt.Fprintf(&b, "round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", ms(lo), ms(sum/time.Duration(len(rtts))), ms(hi))
	}
	s.res.Output = b.String()
	if received == 0 {
		s.res.ExitCode = 1
	}
	return s.finish()
}

// dstNodeOf is the node of the pod the last packet reached ("" unknown).
func (s *session) dstNodeOf(*api.Pod) string {
	for i := len(s.res.Verdicts) - 1; i >= 0; i-- {
		if n := s.res.Verdicts[i].DstNode; n != "" {
			return n
		}
	}
	return ""
}

package datapath

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/sim"
)

// A load generator is a container whose process is a request loop
// (images.RequestLoop), such as the HorizontalPodAutoscaler walkthrough's
// busybox running "while sleep 0.01; do wget -q -O- http://php-apache;
// done". Its actor (kubelet.ClientActorName, started by the kubelet through
// kubelet.Config.Clients) sends one request every loop interval from the
// pod, over the same hops as a probe: the name through the pod's
// resolv.conf and CoreDNS, the node's service rules (a fresh DNAT choice
// per connection, so the load spreads over the Service's endpoints),
// policy at both agents, then the server container's process, which
// counts the request's CPU time (package kubelet's resource metrics).
//
// Simplifications: the loop is open (a request every interval whatever
// the answer or its delay; a failed request waits for the connect timeout
// only when the packet was lost); what wget prints is not kept in the
// container's log.

// LoadStats counts what a load generator's requests got.
type LoadStats struct {
	Sent, Answered, Failed int
}

// NewRequestLoop returns the body of a load generator's actor for the
// container of pod (whose Status.PodIP is set). cfg gives the resolver's
// settings (a Prober's DNSServiceIP, ClusterDomain, Servers and
// ConnectTimeout; nil: the defaults).
func NewRequestLoop(pod *api.Pod, container string, loop images.RequestLoop, cfg *Prober) func(*sim.Ctx) {
	p := &Prober{Servers: DefaultServers, DNSServiceIP: DefaultDNSServiceIP, ClusterDomain: "cluster.local", ConnectTimeout: DefaultConnectTimeout}
	if cfg != nil {
		p.Servers, p.DNSServiceIP, p.ClusterDomain, p.ConnectTimeout = cfg.Servers, cfg.DNSServiceIP, cfg.ClusterDomain, cfg.ConnectTimeout
	}
	interval := loop.Interval
	if interval <= 0 {
		interval = images.LoopInterval
	}
	return func(c *sim.Ctx) {
		ip, err := netip.ParseAddr(pod.Status.PodIP)
		if err != nil {
			return // no network: nothing to send from
		}
		stats := &LoadStats{}
		c.Publish(stats)
		for {
			start := c.Now()
			ok, lost := requestOnce(c, p, pod, ip, loop)
			stats.Sent++
			if ok {
				stats.Answered++
			} else {
				stats.Failed++
			}
			if lost {
				// wget waits for its connection to time out.
				if d := start + p.ConnectTimeout - c.Now(); d > 0 {
					c.Sleep(d)
				}
			}
			if d := start + interval - c.Now(); d > 0 {
				c.Sleep(d)
			} else {
				c.Sleep(time.Millisecond)
			}
		}
	}
}

// requestOnce sends one GET of the loop's URL; answered says it got an HTTP
// answer, timedOut that the connection got no answer at all.
func requestOnce(c *sim.Ctx, p *Prober, pod *api.Pod, ip netip.Addr, loop images.RequestLoop) (answered, timedOut bool) {
	s := &session{p: p, ext: c, wait: c.Sleep, pod: pod, ip: ip, node: pod.Spec.NodeName,
		res:   &Result{Command: loop.Client + " " + loop.URL, Pod: pod.Namespace + "/" + pod.Name, Node: pod.Spec.NodeName},
		start: c.Now(), rng: c.Rand()}
	host, port := parseTarget(loop.URL)
	addr, found := s.address(host)
	if !found {
		return false, false
	}
	out, dst, _ := s.send(netip.AddrPortFrom(addr, port), "TCP")
	switch out {
	case refused:
		return false, false
	case lost:
		return false, true
	}
	hostHeader := host
	if port != 80 {
		hostHeader = net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	ua := "Wget"
	if loop.Client == "curl" {
		ua = CurlUserAgent
	}
	req := kubelet.ServeRequest{Namespace: dst.Namespace, Pod: dst.Name, Container: s.container, Request: images.Request{
		Method: "GET", Path: targetPath(loop.URL), Host: hostHeader, UserAgent: ua,
		ClientIP: ip.String(), ClientPort: s.srcPort, Port: int32(s.res.Endpoint.Port())}}
	m, err := c.Call(kubelet.RuntimeName(s.dstNode), kubelet.KindServe, req, hopTimeout)
	if err != nil {
		return false, false
	}
	return m.Body.(kubelet.ServeReply).Response.Status != 0, false
}

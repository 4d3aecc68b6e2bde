package datapath

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/sim"
)

// Defaults of the probes.
var (
	// DefaultDNSServiceIP is the kube-dns Service's cluster IP, the 10th
	// address of the service CIDR.
	DefaultDNSServiceIP = netip.MustParseAddr("10.96.0.10")
)

const (
	// DefaultConnectTimeout is curl's connect timeout in probes, as
	// "curl --connect-timeout 10".
	DefaultConnectTimeout = 10 * time.Second
	// DNSTimeout is glibc's per-query timeout (resolv.conf "timeout:5").
	DNSTimeout = 5 * time.Second
	// hopTimeout bounds a call to a node component that is up.
	hopTimeout = time.Second
)

// Prober runs commands in pods, as "kubectl exec <pod> -- <command>" does,
// and sends their packets hop by hop through the cluster's actors. It is
// used from the driver goroutine.
type Prober struct {
	k  *sim.Kernel
	cl *client.Client
	// Servers maps a pod (namespace, name and labels, as the destination's
	// agent knows them) to the actor running its server process. The
	// default (DefaultServers) knows CoreDNS pods.
	Servers func(pod *api.Pod) (actor string, ok bool)
	// DNSServiceIP is the nameserver of pods' resolv.conf.
	DNSServiceIP netip.Addr
	// ClusterDomain is the cluster's DNS domain (cluster.local).
	ClusterDomain string
	// ConnectTimeout is curl's connect timeout.
	ConnectTimeout time.Duration
	rngs           map[string]*rand.Rand
}

// DefaultServers knows the CoreDNS pods (kube-system, k8s-app=kube-dns):
// their CoreDNS actor carries the pod's name.
func DefaultServers(pod *api.Pod) (string, bool) {
	if pod.Namespace == "kube-system" && pod.Labels["k8s-app"] == "kube-dns" {
		return pod.Name, true
	}
	return "", false
}

// NewProber returns a prober over a kernel; cl reads pods as kubectl exec
// does (the admin client of the cluster).
func NewProber(k *sim.Kernel, cl *client.Client) *Prober {
	return &Prober{k: k, cl: cl, Servers: DefaultServers, DNSServiceIP: DefaultDNSServiceIP,
		ClusterDomain: "cluster.local", ConnectTimeout: DefaultConnectTimeout, rngs: map[string]*rand.Rand{}}
}

// Hop is one traced step of a probe.
type Hop struct {
	// At is the virtual time the step ended.
	At time.Duration
	// Actor is who handled the packet ("datapath-worker-1",
	// "cilium-agent-worker-2", "coredns-1").
	Actor string
	// What the step was ("DNS A web.default.svc.cluster.local.",
	// "netfilter", "egress policy") and what came of it.
	What, Result string
}

func (h Hop) String() string {
	return fmt.Sprintf("[%10s] %-26s %-40s %s", h.At, h.Actor, h.What, h.Result)
}

// Result is what a probe did: every hop, the verdicts, and what the
// command printed and returned.
type Result struct {
	Command  string
	Pod      string // ns/name
	Node     string
	Hops     []Hop
	Lookup   *dns.Result   // the name resolution, if any
	Walks    []proxy.Trace // the kube-proxy walks, in order
	Verdicts []agent.VerdictReply
	// Endpoint is the address the connection reached (after DNAT).
	Endpoint netip.AddrPort
	// Server is the pod that answered ("ns/name").
	Server   string
	Output   string
	ExitCode int
	Elapsed  time.Duration
}

// String prints the command, its hops, its output and, as kubectl exec
// does, "command terminated with exit code N" when it failed.
func (r Result) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "$ kubectl exec %s -- %s\n", strings.TrimPrefix(r.Pod, "default/"), r.Command)
	for _, h := range r.Hops {
		sb.WriteString("  " + h.String() + "\n")
	}
	sb.WriteString(r.Output)
	if r.ExitCode != 0 {
		fmt.Fprintf(&sb, "command terminated with exit code %d\n", r.ExitCode)
	}
	return sb.String()
}

// caller sends a session's packets and tells the time: a *sim.External
// (probes, run from the driver) or a *sim.Ctx (an actor).
type caller interface {
	Call(to, kind string, body any, timeout time.Duration) (*sim.Message, error)
	Now() time.Duration
}

// session is one command in one pod.
type session struct {
	p *Prober
	// ext sends the session's packets: the exec endpoint of a probe, or
	// the actor of a load generator (load.go); wait lets virtual time run.
	ext   caller
	wait  func(time.Duration)
	pod   *api.Pod
	ip    netip.Addr
	node  string
	res   *Result
	start time.Duration
	rng   *rand.Rand
	// what the last send reached: the destination's node, the
	// listening container and the connection's source port
	dstNode, container string
	srcPort            uint16
}

func (p *Prober) open(podRef, command string) (*session, error) {
	ns, name := "default", podRef
	if i := strings.IndexByte(podRef, '/'); i >= 0 {
		ns, name = podRef[:i], podRef[i+1:]
	}
	s := &session{p: p, res: &Result{Command: command, Pod: ns + "/" + name}, start: p.k.Now()}
	pod, err := client.Get[*api.Pod](p.cl, ns, name)
	if err != nil {
		s.res.Output, s.res.ExitCode = fmt.Sprintf("Error from server (NotFound): pods %q not found\n", name), 1
		return s, err
	}
	if pod.Status.Phase != api.PodRunning || pod.Status.PodIP == "" {
		s.res.Output, s.res.ExitCode = fmt.Sprintf("error: unable to upgrade connection: pod %s is not running (phase %s)\n", name, pod.Status.Phase), 1
		return s, errors.New("pod not running")
	}
	s.pod, s.node = pod, pod.Spec.NodeName
	s.ip, _ = netip.ParseAddr(pod.Status.PodIP)
	s.res.Node = s.node
	s.ext, s.wait = p.k.External("exec-"+ns+"-"+name, s.node), p.k.RunFor
	key := ns + "/" + name
	if p.rngs[key] == nil {
		p.rngs[key] = p.k.Rand("exec/" + key)
	}
	s.rng = p.rngs[key]
	return s, nil
}

// now is the virtual time (a session that failed to open has no sender
// yet: the prober's kernel tells it).
func (s *session) now() time.Duration {
	if s.ext == nil {
		return s.p.k.Now()
	}
	return s.ext.Now()
}

func (s *session) hop(actor, what, result string) {
	s.res.Hops = append(s.res.Hops, Hop{At: s.now() - s.start, Actor: actor, What: what, Result: result})
}

// waitUntil lets virtual time run to the deadline: a packet that got no
// answer, a client that waits for its timeout.
func (s *session) waitUntil(deadline time.Duration) {
	if d := deadline - s.ext.Now(); d > 0 {
		s.wait(d)
	}
}

func (s *session) finish() Result {
	s.res.Elapsed = s.now() - s.start
	return *s.res
}

// ephemeralPort is a source port from Linux's default
// ip_local_port_range (32768-60999).
func (s *session) ephemeralPort() uint16 { return uint16(32768 + s.rng.IntN(60999-32768+1)) }

// outcome of sending a packet through the datapath.
type outcome int

const (
	delivered outcome = iota // to a listening socket
	refused                  // REJECT, or a reset from the pod
	lost                     // dropped, or nobody there
)

// send carries the first packet of a connection from the session's pod to
// dst: the node's service rules, egress policy at the source's agent,
// ingress policy at the destination's agent, the pod's socket. It
// returns the pod that answered.
func (s *session) send(dst netip.AddrPort, protocol string) (outcome, *api.Pod, netip.AddrPort) {
	srcPort := s.ephemeralPort()
	s.dstNode, s.container, s.srcPort = "", "", srcPort
	pkt := proxy.Packet{Src: s.ip, Dst: dst, Protocol: api.Protocol(protocol)}
	m, err := s.ext.Call(NodeName(s.node), KindWalk, pkt, hopTimeout)
	if err != nil {
		s.hop(NodeName(s.node), "netfilter "+pkt.String(), "no answer: "+err.Error())
		return lost, nil, dst
	}
	tr := m.Body.(WalkReply).Trace
	s.res.Walks = append(s.res.Walks, tr)
	s.hop(NodeName(s.node), "netfilter "+pkt.String(), verdictText(tr))
	switch tr.Verdict {
	case proxy.VerdictReject:
		return refused, nil, dst
	case proxy.VerdictDrop:
		return lost, nil, dst
	case proxy.VerdictDNAT:
		dst = tr.Endpoint
	}
	s.res.Endpoint = dst
	req := agent.VerdictRequest{Direction: cilium.Egress, Src: s.ip, Dst: dst.Addr(), SrcPort: srcPort, DstPort: dst.Port(), Protocol: protocol}
	src := cni.AgentName(s.node)
	m, err = s.ext.Call(src, agent.KindVerdict, req, hopTimeout)
	if err != nil {
		s.hop(src, "egress policy", "no answer: "+err.Error())
		return lost, nil, dst
	}
	eg := m.Body.(agent.VerdictReply)
	s.res.Verdicts = append(s.res.Verdicts, eg)
	s.hop(src, "egress policy", eg.Summary())
	if !eg.Allowed || eg.DstNode == "" {
		return lost, nil, dst
	}
	req.Direction = cilium.Ingress
	to := cni.AgentName(eg.DstNode)
	m, err = s.ext.Call(to, agent.KindVerdict, req, hopTimeout)
	if err != nil {
		s.hop(to, "ingress policy", "no answer: "+err.Error())
		return lost, nil, dst
	}
	in := m.Body.(agent.VerdictReply)
	s.res.Verdicts = append(s.res.Verdicts, in)
	s.hop(to, "ingress policy", in.Summary())
	if !in.Allowed || in.Pod == "" {
		return lost, nil, dst
	}
	m, err = s.ext.Call(to, agent.KindDeliver, agent.DeliverRequest{Dst: dst, Protocol: protocol}, hopTimeout)
	if err != nil {
		s.hop(to, "deliver", "no answer: "+err.Error())
		return lost, nil, dst
	}
	dr := m.Body.(agent.DeliverReply)
	s.hop(to, agent.DeliverRequest{Dst: dst, Protocol: protocol}.Summary(), dr.Summary())
	if dr.Pod == "" {
		return lost, nil, dst
	}
	ns, name, _ := strings.Cut(dr.Pod, "/")
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: in.PodLabels}}
	if dr.Container == "" {
		return refused, pod, dst
	}
	s.dstNode, s.container = eg.DstNode, dr.Container
	return delivered, pod, dst
}

// ---------------------------------------------------------------- DNS

// transport carries a resolver's query as a UDP packet to the nameserver
// address, through the same hops as any connection, to the CoreDNS pod
// behind it.
func (s *session) transport(_ context.Context, server netip.Addr, q *dns.Msg) (*dns.Msg, error) {
	deadline := s.ext.Now() + DNSTimeout
	what := fmt.Sprintf("DNS %s %s", q.Q().Type, q.Q().Name)
	out, pod, dst := s.send(netip.AddrPortFrom(server, 53), "UDP")
	switch out {
	case refused:
		return nil, fmt.Errorf("read udp %s->%s:53: recvfrom: connection refused", s.ip, server)
	case lost:
		s.waitUntil(deadline)
		s.hop(s.res.Pod, what, "no reply within 5s")
		return nil, fmt.Errorf("read udp %s->%s:53: %w", s.ip, server, dns.ErrTimeout)
	}
	actor, ok := "", false
	if s.p.Servers != nil {
		actor, ok = s.p.Servers(pod)
	}
	if !ok {
		s.waitUntil(deadline)
		s.hop(pod.Namespace+"/"+pod.Name, what, "no DNS server in the pod")
		return nil, fmt.Errorf("read udp %s->%s:53: %w", s.ip, server, dns.ErrTimeout)
	}
	m, err := s.ext.Call(actor, coredns.KindQuery, coredns.Query{Client: netip.AddrPortFrom(s.ip, s.ephemeralPort()), Msg: q}, deadline-s.ext.Now())
	if err != nil {
		s.waitUntil(deadline)
		s.hop(actor, what, "no reply: "+err.Error())
		return nil, fmt.Errorf("read udp %s->%s: %w", s.ip, dst, dns.ErrTimeout)
	}
	reply := m.Body.(coredns.Reply)
	s.hop(actor, what, reply.Result())
	return reply.Msg, nil
}

// address is host as an IP address, or its first A record through the
// pod's resolver (the lookup kept in the result); false when the name does
// not resolve.
func (s *session) address(host string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr, true
	}
	res := s.resolver().Lookup(context.Background(), host, dns.TypeA)
	s.res.Lookup = &res
	addrs := res.Addrs()
	if len(addrs) == 0 {
		return netip.Addr{}, false
	}
	return addrs[0], true
}

func (s *session) resolver() *dns.Resolver {
	conf := dns.PodResolvConf(s.pod.Namespace, s.p.ClusterDomain, s.p.DNSServiceIP)
	return dns.NewResolver(conf, s.transport)
}

// Nslookup runs "nslookup <name>" in a pod ("ns/name", or a name in the
// default namespace) and returns what it printed; nslookup exits 1 when
// it found no address.
func (p *Prober) Nslookup(podRef, name string) Result {
	s, err := p.open(podRef, "nslookup "+name)
	if err != nil {
		return s.finish()
	}
	out, res := s.resolver().Nslookup(context.Background(), name)
	s.res.Lookup = &res
	s.res.Output = out
	if res.Answer == nil {
		s.res.ExitCode = 1
	}
	return s.finish()
}

// ---------------------------------------------------------------- curl

// Curl runs "curl <target>" in a pod: target is "host[:port][/path]" with
// an optional "http://", host a name (resolved through the pod's
// resolv.conf) or an address, port 80 by default. See CurlArgs.
func (p *Prober) Curl(podRef, target string) Result { return p.CurlArgs(podRef, target) }

// curlOptions are the curl flags a probe understands.
type curlOptions struct {
	method, url, writeOut, output string
	host                          string // a "Host:" header
	include, head, fail           bool
}

// parseCurl reads curl's command line: -X/--request, -H/--header (Host),
// -i/--include, -I/--head, -f/--fail, -d/--data (POST), -o/--output,
// -w/--write-out (%{http_code}); -s, -S, -v, -k, -L and the timeouts are
// accepted and change nothing here.
func parseCurl(args []string) (curlOptions, string) {
	var o curlOptions
	value := func(i *int, name string) (string, bool) {
		if *i+1 >= len(args) {
			return "", false
		}
		*i++
		return args[*i], true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
			o.url = a
		case a == "-X" || a == "--request":
			v, ok := value(&i, a)
			if !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter", a)
			}
			o.method = v
		case strings.HasPrefix(a, "-X") && len(a) > 2:
			o.method = a[2:]
		case a == "-H" || a == "--header":
			v, ok := value(&i, a)
			if !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter", a)
			}
			if name, val, ok := strings.Cut(v, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "host") {
				o.host = strings.TrimSpace(val)
			}
		case a == "-d" || a == "--data" || a == "--data-raw" || a == "--data-binary":
			if _, ok := value(&i, a); !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter", a)
			}
			if o.method == "" {
				o.method = "POST"
			}
		case a == "-o" || a == "--output":
			v, ok := value(&i, a)
			if !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter", a)
			}
			o.output = v
		case a == "-w" || a == "--write-out":
			v, ok := value(&i, a)
			if !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter", a)
			}
			o.writeOut = v
		case a == "-m" || a == "--max-time" || a == "--connect-timeout" || a == "--retry":
			if _, ok := value(&i, a); !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter", a)
			}
		case a == "--include":
			o.include = true
		case a == "--head":
			o.head = true
		case a == "--fail":
			o.fail = true
		case a == "--silent" || a == "--show-error" || a == "--verbose" || a == "--insecure" || a == "--location":
		case len(a) > 1 && a[1] != '-' && strings.Trim(a[1:], "sSvkLfiI") == "":
			// combined short flags: -sSL, -fsS, -si
			o.fail = o.fail || strings.ContainsRune(a, 'f')
			o.include = o.include || strings.ContainsRune(a, 'i')
			o.head = o.head || strings.ContainsRune(a, 'I')
		default:
			return o, fmt.Sprintf("curl: option %s: is unknown", a)
		}
	}
	if o.url == "" {
		return o, "curl: no URL specified"
	}
	if o.method == "" {
		o.method = "GET"
		if o.head {
			o.method = "HEAD"
		}
	}
	return o, ""
}

// CurlArgs runs curl with arguments in a pod ("-s", "-XPOST",
// "deathstar.default.svc.cluster.local/v1/request-landing"). After the
// connection (see send) the request goes to the destination node's
// container runtime, where the listening container's process answers as
// its image does (package images: nginx's welcome page, the deathstar's
// "Ship landed", the pod's name for an image kubesim does not know) and
// prints its access-log line. Failures print curl's messages and exit
// codes: 2 (a bad option), 6 (could not resolve host), 7 (refused:
// REJECT for a Service without endpoints, or nothing listening), 22
// (--fail and a status of 400 or more), 28 (connect timeout: a policy
// drop, a dead node, stale rules to an address that is gone), 52 (a
// server that answers nothing, such as a DNS server's TCP port).
func (p *Prober) CurlArgs(podRef string, args ...string) Result {
	s, err := p.open(podRef, strings.TrimSpace("curl "+strings.Join(args, " ")))
	if err != nil {
		return s.finish()
	}
	opts, bad := parseCurl(args)
	if bad != "" {
		s.res.Output, s.res.ExitCode = bad+"\ncurl: try 'curl --help' or 'curl --manual' for more information\n", 2
		if bad == "curl: no URL specified" {
			s.res.Output = "curl: try 'curl --help' or 'curl --manual' for more information\n"
		}
		return s.finish()
	}
	host, port := parseTarget(opts.url)
	addr, ok := s.address(host)
	if !ok {
		s.res.Output, s.res.ExitCode = fmt.Sprintf("curl: (6) Could not resolve host: %s\n", host), 6
		return s.finish()
	}
	connectStart := p.k.Now()
	deadline := connectStart + p.ConnectTimeout
	out, pod, _ := s.send(netip.AddrPortFrom(addr, port), "TCP")
	switch out {
	case refused:
		s.res.Output = fmt.Sprintf("curl: (7) Failed to connect to %s port %d after %d ms: Couldn't connect to server\n", host, port, (p.k.Now() - connectStart).Milliseconds())
		s.res.ExitCode = 7
		return s.finish()
	case lost:
		s.waitUntil(deadline)
		s.hop(s.res.Pod, "TCP SYN", "no SYN-ACK: connect timeout")
		s.res.Output = fmt.Sprintf("curl: (28) Connection timed out after %d milliseconds\n", (p.k.Now() - connectStart).Milliseconds())
		s.res.ExitCode = 28
		return s.finish()
	}
	s.res.Server = pod.Namespace + "/" + pod.Name
	hostHeader := host
	if port != 80 {
		hostHeader = net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	if opts.host != "" {
		hostHeader = opts.host
	}
	path := targetPath(opts.url)
	req := kubelet.ServeRequest{Namespace: pod.Namespace, Pod: pod.Name, Container: s.container, Request: images.Request{
		Method: opts.method, Path: path, Host: hostHeader, UserAgent: CurlUserAgent,
		ClientIP: s.ip.String(), ClientPort: s.srcPort, Port: int32(s.res.Endpoint.Port())}}
	runtime := kubelet.RuntimeName(s.dstNode)
	what := fmt.Sprintf("%s %s port %d", opts.method, path, s.res.Endpoint.Port())
	m, err := s.ext.Call(runtime, kubelet.KindServe, req, hopTimeout)
	if err != nil {
		// The connection was accepted but the request got no answer.
		s.hop(runtime, what, "no answer: "+err.Error())
		s.res.Output, s.res.ExitCode = "curl: (52) Empty reply from server\n", 52
		return s.finish()
	}
	reply := m.Body.(kubelet.ServeReply)
	s.hop(runtime, what, reply.Summary())
	resp := reply.Response
	if resp.Status == 0 {
		s.res.Output, s.res.ExitCode = fmt.Sprintf("curl: (%d) %s\n", resp.CurlExit, resp.CurlError), resp.CurlExit
		return s.finish()
	}
	if opts.fail && resp.Status >= 400 {
		s.res.Output, s.res.ExitCode = fmt.Sprintf("curl: (22) The requested URL returned error: %d\n", resp.Status), 22
		return s.finish()
	}
	var b strings.Builder
	if opts.include || opts.head {
		b.WriteString(resp.Head())
	}
	if !opts.head && opts.output == "" {
		b.WriteString(resp.Body)
	}
	if opts.writeOut != "" {
		w := strings.ReplaceAll(opts.writeOut, "%{http_code}", strconv.Itoa(resp.Status))
		w = strings.ReplaceAll(w, `\n`, "\n")
		b.WriteString(w)
	}
	s.res.Output = b.String()
	return s.finish()
}

// CurlUserAgent is the User-Agent of curl in probes.
const CurlUserAgent = "curl/8.5.0"

// targetPath is the path (and query) of a curl URL, "/" when it has none.
func targetPath(target string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(target, "http://"), "https://")
	if i := strings.IndexByte(t, '/'); i >= 0 {
		return t[i:]
	}
	return "/"
}

func parseTarget(target string) (string, uint16) {
	t := strings.TrimPrefix(strings.TrimPrefix(target, "http://"), "https://")
	if i := strings.IndexByte(t, '/'); i >= 0 {
		t = t[:i]
	}
	host, portText, err := net.SplitHostPort(t)
	if err != nil {
		return t, 80
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return host, 80
	}
	return host, uint16(port)
}

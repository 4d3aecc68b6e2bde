package agent

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/images"
	"go.uber.org/zap"
)

// Message kinds of the agent's policy enforcement and Hubble.
const (
	// KindVerdict asks the agent to enforce policy on the first packet of
	// a connection: body a VerdictRequest, reply a VerdictReply. The
	// source's agent decides egress, the destination's agent ingress.
	KindVerdict = "policy verdict"
	// KindDeliver hands an allowed packet to the local endpoint: body a
	// DeliverRequest, reply a DeliverReply (does a socket answer?).
	KindDeliver = "deliver"
	// KindObserve queries the agent's Hubble ring: body an
	// ObserveRequest, reply the "hubble observe" text.
	KindObserve = "hubble observe"
)

// VerdictRequest is a packet at one end of the datapath.
type VerdictRequest struct {
	Direction        cilium.Direction // Egress at the source, Ingress at the destination
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Protocol         string // TCP when empty
}

// Summary implements sim.Summarizer.
func (r VerdictRequest) Summary() string {
	return fmt.Sprintf("%s %s:%d -> %s:%d/%s", strings.ToLower(string(r.Direction)), r.Src, r.SrcPort, r.Dst, r.DstPort, proto(r.Protocol))
}

func proto(p string) string {
	if p == "" {
		return "TCP"
	}
	return strings.ToUpper(p)
}

// VerdictReply is the agent's enforcement result.
type VerdictReply struct {
	Direction cilium.Direction
	Allowed   bool
	Decision  cilium.Decision
	// Flows are what the agent's Hubble recorded for this packet.
	Flows []cilium.Flow
	// DstNode is the node the destination address lives on, from the
	// agent's ipcache ("" outside the cluster): where the packet is
	// tunnelled to.
	DstNode string
	// Pod is the local endpoint at this end ("ns/name"), "" if none, and
	// PodLabels its labels.
	Pod       string
	PodLabels map[string]string
	node      string
}

// Summary implements sim.Summarizer.
func (r VerdictReply) Summary() string {
	if !r.Allowed {
		dd := r.Decision.Egress
		if r.Decision.DroppedAt == cilium.Ingress {
			dd = r.Decision.Ingress
		}
		return fmt.Sprintf("DROPPED (%s): %s", r.Decision.DropReason, dd.By)
	}
	if r.Direction == cilium.Egress {
		if r.DstNode == "" {
			return "ALLOWED, to the world"
		}
		if r.DstNode == r.node {
			return "ALLOWED, local delivery"
		}
		return "ALLOWED, tunnel to " + r.DstNode
	}
	if r.Pod == "" {
		return "ALLOWED"
	}
	return "ALLOWED, to endpoint " + r.Pod
}

// DeliverRequest is a packet for a local endpoint, past ingress policy.
type DeliverRequest struct {
	Dst      netip.AddrPort
	Protocol string
}

// Summary implements sim.Summarizer.
func (r DeliverRequest) Summary() string {
	if proto(r.Protocol) == "TCP" {
		return fmt.Sprintf("TCP SYN to %s", r.Dst)
	}
	return fmt.Sprintf("%s to %s", proto(r.Protocol), r.Dst)
}

// DeliverReply is what the endpoint's network stack does with it.
type DeliverReply struct {
	// Pod is the endpoint ("ns/name"), "" if no pod has the address.
	Pod string
	// Container listens on the port: a running container of the pod
	// whose process listens there (package images says what the image's
	// command listens on). Empty: nothing listens, TCP answers with a
	// reset.
	Container string
	// Image is the listening container's image; DeclaredPorts says
	// kubesim's catalog does not know it, so its declared containerPorts
	// stood for the sockets it listens on.
	Image         string
	DeclaredPorts bool
	Protocol      string
	Port          uint16
}

// Summary implements sim.Summarizer.
func (r DeliverReply) Summary() string {
	switch {
	case r.Pod == "":
		return "no such endpoint"
	case r.Container == "":
		if proto(r.Protocol) == "TCP" {
			return fmt.Sprintf("RST from %s: nothing listens on %d/TCP", r.Pod, r.Port)
		}
		return fmt.Sprintf("ICMP port unreachable from %s: nothing listens on %d/%s", r.Pod, r.Port, proto(r.Protocol))
	}
	how := ""
	if r.DeclaredPorts {
		how = fmt.Sprintf(" (image %s is not in kubesim's catalog: its declared containerPort stands for the socket)", r.Image)
	}
	if proto(r.Protocol) == "TCP" {
		return fmt.Sprintf("SYN-ACK from %s: container %s listens on %d/TCP%s", r.Pod, r.Container, r.Port, how)
	}
	return fmt.Sprintf("delivered to %s: container %s listens on %d/%s%s", r.Pod, r.Container, r.Port, proto(r.Protocol), how)
}

// ObserveRequest filters the Hubble ring as "hubble observe" flags do.
type ObserveRequest struct {
	Pod, FromPod, ToPod string // "[namespace/]name-prefix"
	Namespace           string
	Verdict             cilium.Verdict
	// Last keeps only the last N matching flows (0: all in the ring).
	Last int
}

// Summary implements sim.Summarizer.
func (r ObserveRequest) Summary() string {
	var parts []string
	add := func(flag, v string) {
		if v != "" {
			parts = append(parts, flag+" "+v)
		}
	}
	add("--pod", r.Pod)
	add("--from-pod", r.FromPod)
	add("--to-pod", r.ToPod)
	add("--namespace", r.Namespace)
	add("--verdict", string(r.Verdict))
	if r.Last > 0 {
		add("--last", strconv.Itoa(r.Last))
	}
	return strings.Join(append([]string{"hubble observe"}, parts...), " ")
}

func (r ObserveRequest) filters() []cilium.Filter {
	var fs []cilium.Filter
	if r.Pod != "" {
		fs = append(fs, cilium.FilterPod(r.Pod))
	}
	if r.FromPod != "" {
		fs = append(fs, cilium.FilterFromPod(r.FromPod))
	}
	if r.ToPod != "" {
		fs = append(fs, cilium.FilterToPod(r.ToPod))
	}
	if r.Namespace != "" {
		fs = append(fs, cilium.FilterNamespace(r.Namespace))
	}
	if r.Verdict != "" {
		fs = append(fs, cilium.FilterVerdict(r.Verdict))
	}
	return fs
}

// policyState is what the agent keeps for enforcement: the policy
// repository, the ipcache (address -> endpoint, from CiliumEndpoints),
// the node CIDRs (address -> node, from CiliumNodes), its node's pods
// (named ports, listening containers) and the Hubble ring.
type policyState struct {
	repo     *cilium.Repository
	hubble   *cilium.Observer
	policies *client.Informer
	cnps     *client.Informer
	ceps     *client.Informer
	allNodes *client.Informer
	pods     *client.Informer
	ipcache  map[netip.Addr]*api.CiliumEndpoint
	podByIP  map[netip.Addr]*api.Pod
}

func (a *agent) setupPolicy(cl *client.Client) {
	p := &a.policy
	p.repo = cilium.NewRepository()
	p.hubble = cilium.NewObserver()
	p.ipcache = map[netip.Addr]*api.CiliumEndpoint{}
	p.podByIP = map[netip.Addr]*api.Pod{}
	p.policies = client.NewInformer(cl, "networkpolicies", "", client.ListOptions{})
	p.cnps = client.NewInformer(cl, "ciliumnetworkpolicies", "", client.ListOptions{})
	p.ceps = client.NewInformer(cl, "ciliumendpoints", "", client.ListOptions{})
	p.allNodes = client.NewInformer(cl, "ciliumnodes", "", client.ListOptions{})
	p.pods = client.NewInformer(cl, "pods", "", client.ListOptions{FieldSelector: "spec.nodeName=" + a.cfg.Node})
	logErr := func(kind string, o api.Object, err error) {
		if err != nil {
			a.c.Log().Warn("cannot import policy", zap.String("kind", kind), zap.String("policy", o.GetObjectMeta().Key()), zap.Error(err))
		}
	}
	upNP := func(o api.Object) {
		logErr("NetworkPolicy", o, p.repo.UpsertNetworkPolicy(o.(*api.NetworkPolicy)))
		a.c.Note("policy", fmt.Sprintf("NetworkPolicy %s imported, policy revision %d", o.GetObjectMeta().Key(), p.repo.Revision()))
	}
	p.policies.AddHandler(client.Handler{OnAdd: upNP, OnUpdate: func(_, o api.Object) { upNP(o) },
		OnDelete: func(o api.Object) { p.repo.DeleteNetworkPolicy(o.GetObjectMeta().Namespace, o.GetObjectMeta().Name) }})
	upCNP := func(o api.Object) {
		logErr("CiliumNetworkPolicy", o, p.repo.UpsertCiliumNetworkPolicy(o.(*api.CiliumNetworkPolicy)))
		a.c.Note("policy", fmt.Sprintf("CiliumNetworkPolicy %s imported, policy revision %d", o.GetObjectMeta().Key(), p.repo.Revision()))
	}
	p.cnps.AddHandler(client.Handler{OnAdd: upCNP, OnUpdate: func(_, o api.Object) { upCNP(o) },
		OnDelete: func(o api.Object) {
			p.repo.DeleteCiliumNetworkPolicy(o.GetObjectMeta().Namespace, o.GetObjectMeta().Name)
		}})
	setCEP := func(o api.Object, del bool) {
		cep := o.(*api.CiliumEndpoint)
		if cep.Status.Networking == nil {
			return
		}
		for _, pair := range cep.Status.Networking.Addressing {
			ip, err := netip.ParseAddr(pair.IPv4)
			if err != nil {
				continue
			}
			if del {
				if cur, ok := p.ipcache[ip]; ok && cur.Key() == cep.Key() {
					delete(p.ipcache, ip)
				}
			} else {
				p.ipcache[ip] = cep
			}
		}
	}
	p.ceps.AddHandler(client.Handler{OnAdd: func(o api.Object) { setCEP(o, false) },
		OnUpdate: func(old, o api.Object) { setCEP(old, true); setCEP(o, false) },
		OnDelete: func(o api.Object) { setCEP(o, true) }})
	setPod := func(o api.Object, del bool) {
		pod := o.(*api.Pod)
		ip, err := netip.ParseAddr(pod.Status.PodIP)
		if err != nil {
			return
		}
		if del {
			if cur, ok := p.podByIP[ip]; ok && cur.Key() == pod.Key() {
				delete(p.podByIP, ip)
			}
			return
		}
		p.podByIP[ip] = pod
	}
	p.pods.AddHandler(client.Handler{OnAdd: func(o api.Object) { setPod(o, false) },
		OnUpdate: func(old, o api.Object) { setPod(old, true); setPod(o, false) },
		OnDelete: func(o api.Object) { setPod(o, true) }})
}

func (p *policyState) informers() []*client.Informer {
	return []*client.Informer{p.allNodes, p.ceps, p.pods, p.policies, p.cnps}
}

// peer resolves an address as Cilium's ipcache does: a pod endpoint with
// its identity, this node's router (host), another node's pod CIDR
// without an endpoint (remote-node stands in), else world.
func (a *agent) peer(ip netip.Addr) (cilium.Peer, string) {
	p := &a.policy
	node := a.nodeOf(ip)
	if cep, ok := p.ipcache[ip]; ok && cep.Status.Identity != nil {
		ident := cilium.NumericIdentity(cep.Status.Identity.ID)
		peer := cilium.Peer{Identity: ident, Labels: cilium.ParseLabels(cep.Status.Identity.Labels...), IP: ip, Endpoint: true, Namespace: cep.Namespace, Name: cep.Name}
		if pod, ok := p.podByIP[ip]; ok {
			peer = cilium.PodPeer(pod, cilium.Identity{ID: ident, Labels: peer.Labels}, ip)
		}
		return peer, node
	}
	if ip == a.router {
		return cilium.ReservedPeer(cilium.IdentityHost, ip), a.cfg.Node
	}
	if node != "" {
		return cilium.ReservedPeer(cilium.IdentityRemoteNode, ip), node
	}
	return cilium.WorldPeer(ip), ""
}

// nodeOf finds the node whose pod CIDR holds ip.
func (a *agent) nodeOf(ip netip.Addr) string {
	for _, o := range a.policy.allNodes.List() {
		cn := o.(*api.CiliumNode)
		for _, c := range cn.Spec.IPAM.PodCIDRs {
			if pfx, err := netip.ParsePrefix(c); err == nil && pfx.Contains(ip) {
				return cn.Name
			}
		}
	}
	return ""
}

// verdict enforces one direction and records the flows this node's
// datapath reports.
func (a *agent) verdict(req VerdictRequest) VerdictReply {
	src, srcNode := a.peer(req.Src)
	dst, dstNode := a.peer(req.Dst)
	protocol := proto(req.Protocol)
	var d cilium.Decision
	local := src
	if req.Direction == cilium.Egress {
		// Only this end's direction is enforced here.
		other := dst
		other.Endpoint = false
		d = a.policy.repo.Decide(src, other, req.DstPort, protocol)
	} else {
		local = dst
		other := src
		other.Endpoint = false
		d = a.policy.repo.Decide(other, dst, req.DstPort, protocol)
	}
	flows := cilium.ProbeFlows(cilium.Probe{Time: a.c.WallTime(), Src: src, Dst: dst, SrcNode: srcNode, DstNode: dstNode,
		SrcPort: req.SrcPort, DstPort: req.DstPort, Protocol: protocol, Decision: d})
	reply := VerdictReply{Direction: req.Direction, Allowed: d.Allowed, Decision: d, DstNode: dstNode, node: a.cfg.Node}
	if local.Endpoint {
		reply.Pod = local.Namespace + "/" + local.Name
		if pod, ok := a.policy.podByIP[local.IP]; ok {
			reply.PodLabels = pod.Labels
		} else if cep, ok := a.policy.ipcache[local.IP]; ok {
			reply.PodLabels = cep.Labels
		}
	}
	for _, f := range flows {
		atDst := f.ObservationPoint == cilium.ToEndpoint || (f.Event == cilium.EventDrop && d.DroppedAt == cilium.Ingress)
		if f.NodeName != a.cfg.Node || atDst != (req.Direction == cilium.Ingress) {
			continue
		}
		if err := a.policy.hubble.Record(f); err != nil {
			a.c.Log().Warn("hubble", zap.Error(err))
		}
		reply.Flows = append(reply.Flows, f)
	}
	return reply
}

// deliver hands a packet to a local endpoint's stack.
func (a *agent) deliver(req DeliverRequest) DeliverReply {
	reply := DeliverReply{Protocol: proto(req.Protocol), Port: req.Dst.Port()}
	if cep, ok := a.policy.ipcache[req.Dst.Addr()]; ok && a.ipam != nil && a.ipam.CIDR().Contains(req.Dst.Addr()) {
		reply.Pod = cep.Key()
	}
	if pod, ok := a.policy.podByIP[req.Dst.Addr()]; ok {
		reply.Pod = pod.Key()
		reply.Container, reply.Image, reply.DeclaredPorts = listener(pod, req.Dst.Port(), reply.Protocol)
	}
	return reply
}

// listener names the running container of a Running pod whose process
// listens on the port, "" if none. No process runs in a simulated
// container: package images says what its image's command listens on
// (containerPort is informational, as in Kubernetes); for an image the
// catalog does not know, the declared ports stand for its sockets.
func listener(pod *api.Pod, port uint16, protocol string) (name, image string, declared bool) {
	if pod.Status.Phase != api.PodRunning {
		return "", "", false
	}
	running := map[string]bool{}
	for _, cs := range pod.Status.ContainerStatuses {
		running[cs.Name] = cs.State.Running != nil
	}
	for _, c := range pod.Spec.Containers {
		if r, known := running[c.Name]; known && !r {
			continue
		}
		p := images.OfContainer(&c)
		if p.Listens(int32(port), protocol) {
			return c.Name, c.Image, p.DeclaredPorts
		}
	}
	return "", "", false
}

// observe renders the matching flows of the ring, oldest first.
// View is what a running agent publishes for a debugger's views
// (sim.Kernel.Inspect); its methods only read.
type View struct{ a *agent }

// Observe answers as `hubble observe` with the request's filters.
func (v View) Observe(req ObserveRequest) string { return v.a.observe(req) }

func (a *agent) observe(req ObserveRequest) string {
	flows := a.policy.hubble.Flows(req.filters()...)
	if req.Last > 0 && len(flows) > req.Last {
		flows = flows[len(flows)-req.Last:]
	}
	var sb strings.Builder
	for _, f := range flows {
		sb.WriteString(f.Compact())
		sb.WriteByte('\n')
	}
	return sb.String()
}

// EndpointInfo is one endpoint as `cilium endpoint list` shows it.
type EndpointInfo struct {
	ID       int64
	Pod      string // ns/name
	IPv4     string
	Identity int64
}

// Enforced reports whether a policy selects an endpoint of these identity
// labels ("k8s:app=web") for ingress and for egress.
func (v View) Enforced(labels []string) (ingress, egress bool) {
	ls := cilium.ParseLabels(labels...)
	return v.a.policy.repo.Enforced(ls, cilium.Ingress), v.a.policy.repo.Enforced(ls, cilium.Egress)
}

// Endpoints lists the agent's endpoints by ID.
func (v View) Endpoints() []EndpointInfo {
	out := make([]EndpointInfo, 0, len(v.a.endpoints))
	for _, ep := range v.a.endpoints {
		out = append(out, EndpointInfo{ID: ep.id, Pod: ep.pod, IPv4: ep.ip.String(), Identity: ep.identity})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Ready reports whether the agent has its node's pod CIDR (IPAM ready).
func (v View) Ready() bool { return v.a.ready }

// IPAM is the node's pod CIDR ("" before the operator gave one) and how
// many of its addresses are allocated.
func (v View) IPAM() (cidr string, used, size int) {
	if v.a.ipam == nil {
		return "", 0, 0
	}
	u := len(v.a.ipam.Used())
	return v.a.ipam.CIDR().String(), u, u + v.a.ipam.Free()
}

// Router is the agent's cilium_host address.
func (v View) Router() string {
	if !v.a.router.IsValid() {
		return ""
	}
	return v.a.router.String()
}

package proxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// BPF map names of Cilium's IPv4 load balancer.
const (
	MapServices = "cilium_lb4_services_v2"
	MapBackends = "cilium_lb4_backends_v3"
	MapRevNAT   = "cilium_lb4_reverse_nat"
	MapAffinity = "cilium_lb4_affinity"
)

// BPFConfig describes the node of a BPFLoadBalancer.
type BPFConfig struct {
	// NodeName decides which backends are local (Local traffic policies).
	NodeName string
	// NodeIPs get a NodePort frontend each, besides the 0.0.0.0 surrogate.
	NodeIPs []netip.Addr
}

// LBFrontend is one service frontend: the slot-0 entry of
// cilium_lb4_services_v2 and, in Backends, its slots 1..N.
type LBFrontend struct {
	Address  netip.AddrPort
	Protocol string // "TCP", "UDP", "SCTP"
	// Type is Cilium's service type flag: ClusterIP, NodePort,
	// ExternalIPs or LoadBalancer.
	Type string
	// Routable is false for ClusterIPs and the 0.0.0.0 NodePort surrogate.
	Routable        bool
	ExtLocal        bool
	IntLocal        bool
	SessionAffinity bool
	AffinityTimeout int
	// RevNAT is the reverse-NAT (service) id.
	RevNAT uint16
	// Backends are the backend ids in slots 1..N.
	Backends []uint32
	// Service is the ServicePortName it came from.
	Service string
}

// Key renders the frontend as cilium-dbg prints a service key:
// "10.96.12.34:80/TCP".
func (f *LBFrontend) Key() string {
	return net.JoinHostPort(f.Address.Addr().String(), strconv.Itoa(int(f.Address.Port()))) + "/" + f.Protocol
}

// Flags renders Cilium's ServiceFlags string: "ClusterIP, non-routable".
func (f *LBFrontend) Flags() string {
	parts := []string{f.Type}
	if f.ExtLocal {
		parts = append(parts, "Local")
	}
	if f.IntLocal {
		parts = append(parts, "InternalLocal")
	}
	if f.SessionAffinity {
		parts = append(parts, "sessionAffinity")
	}
	if !f.Routable {
		parts = append(parts, "non-routable")
	}
	return strings.Join(parts, ", ")
}

// LBBackend is one entry of cilium_lb4_backends_v3.
type LBBackend struct {
	ID       uint32
	Address  netip.AddrPort
	Protocol string
}

// LBMaps is what one BPFLoadBalancer.Sync programmed. It is immutable.
type LBMaps struct {
	Frontends []*LBFrontend // sorted by Key
	Backends  []*LBBackend  // sorted by ID
	byKey     map[string]*LBFrontend
	byID      map[uint32]*LBBackend
}

// Frontend returns the frontend with the given key ("10.96.12.34:80/TCP").
func (m *LBMaps) Frontend(key string) (*LBFrontend, bool) {
	f, ok := m.byKey[key]
	return f, ok
}

// Backend returns a backend by id.
func (m *LBMaps) Backend(id uint32) (*LBBackend, bool) {
	b, ok := m.byID[id]
	return b, ok
}

// List renders "cilium-dbg bpf lb list": per frontend the slot-0 entry
// "0.0.0.0:0 (revnat) (0) [flags]" then one line per backend slot
// "IP:port/PROTO (revnat) (slot)", through the same tabwriter settings.
// cilium-dbg walks a hash map, so its line order varies; kubesim sorts
// frontends by key and slots by number.
func (m *LBMaps) List() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 5, 0, 3, ' ', 0)
	fmt.Fprintf(w, "%s\t%s\n", "SERVICE ADDRESS", "BACKEND ADDRESS (REVNAT_ID) (SLOT)")
	for _, f := range m.Frontends {
		fmt.Fprintf(w, "%s\t%s\t\n", f.Key(), fmt.Sprintf("%s:%d (%d) (%d) [%s] %s", "0.0.0.0", 0, f.RevNAT, 0, f.Flags(), ""))
		for slot, id := range f.Backends {
			b := m.byID[id]
			fmt.Fprintf(w, "%s\t%s\t\n", "", fmt.Sprintf("%s:%d/%s (%d) (%d)", b.Address.Addr(), b.Address.Port(), b.Protocol, f.RevNAT, slot+1))
		}
	}
	w.Flush()
	return sb.String()
}

// ListBackends renders "cilium-dbg bpf lb list --backends": backend id and
// "PROTO://IP" (cilium-dbg prints no port here).
func (m *LBMaps) ListBackends() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 5, 0, 3, ' ', 0)
	fmt.Fprintf(w, "%s\t%s\n", "ID", "BACKEND ADDRESS (REVNAT_ID) (SLOT)")
	for _, b := range m.Backends {
		fmt.Fprintf(w, "%d\t%s://%s\t\n", b.ID, b.Protocol, b.Address.Addr())
	}
	w.Flush()
	return sb.String()
}

// ListRevNAT renders "cilium-dbg bpf lb list --revnat": reverse-NAT id and
// the frontend address replies are rewritten back to.
func (m *LBMaps) ListRevNAT() string {
	fs := append([]*LBFrontend(nil), m.Frontends...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].RevNAT < fs[j].RevNAT })
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 5, 0, 3, ' ', 0)
	fmt.Fprintf(w, "%s\t%s\n", "ID", "BACKEND ADDRESS (REVNAT_ID) (SLOT)")
	for _, f := range fs {
		fmt.Fprintf(w, "%d\t%s\t\n", f.RevNAT, net.JoinHostPort(f.Address.Addr().String(), strconv.Itoa(int(f.Address.Port()))))
	}
	w.Flush()
	return sb.String()
}

type affinityKey struct {
	client netip.Addr
	revNAT uint16
}

type affinityEntry struct {
	backend  uint32
	lastUsed time.Time
}

// BPFLoadBalancer is Cilium's kube-proxy replacement on one node: the same
// Services and EndpointSlices as Proxier, programmed into BPF maps instead
// of iptables chains. Backend and reverse-NAT ids stay stable across syncs
// while in use. All methods are safe for concurrent use.
type BPFLoadBalancer struct {
	mu          sync.Mutex
	cfg         BPFConfig
	tr          tracker
	maps        *LBMaps
	backendIDs  map[string]uint32 // "IP:port/PROTO"
	nextBackend uint32
	revNATs     map[string]uint16 // frontend key
	nextRevNAT  uint16
	affinity    map[affinityKey]affinityEntry
	localIP     map[netip.Addr]bool
}

// NewBPFLoadBalancer returns a load balancer with empty maps.
func NewBPFLoadBalancer(cfg BPFConfig) *BPFLoadBalancer {
	lb := &BPFLoadBalancer{
		cfg:         cfg,
		tr:          newTracker(),
		backendIDs:  map[string]uint32{},
		nextBackend: 1,
		revNATs:     map[string]uint16{},
		nextRevNAT:  1,
		affinity:    map[affinityKey]affinityEntry{},
		localIP:     map[netip.Addr]bool{},
	}
	for _, ip := range cfg.NodeIPs {
		lb.localIP[ip] = true
	}
	return lb
}

// UpsertService records a Service.
func (lb *BPFLoadBalancer) UpsertService(svc *api.Service) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.tr.upsertService(svc)
}

// DeleteService forgets a Service.
func (lb *BPFLoadBalancer) DeleteService(namespace, name string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.tr.deleteService(namespace, name)
}

// UpsertEndpointSlice records an EndpointSlice.
func (lb *BPFLoadBalancer) UpsertEndpointSlice(es *api.EndpointSlice) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.tr.upsertSlice(es)
}

// DeleteEndpointSlice forgets an EndpointSlice.
func (lb *BPFLoadBalancer) DeleteEndpointSlice(namespace, name string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.tr.deleteSlice(namespace, name)
}

// Pending reports whether the maps are stale.
func (lb *BPFLoadBalancer) Pending() bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.tr.changed || lb.maps == nil
}

// Maps returns the programmed maps, nil before the first Sync.
func (lb *BPFLoadBalancer) Maps() *LBMaps {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.maps
}

// Sync rebuilds the maps from the current Services and EndpointSlices.
// Backends are the ready endpoints (serving-terminating ones when none is
// ready), only local ones for a Local traffic policy, in "IP:port" order.
func (lb *BPFLoadBalancer) Sync() *LBMaps {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	m := &LBMaps{byKey: map[string]*LBFrontend{}, byID: map[uint32]*LBBackend{}}
	idx := lb.tr.endpointsIndex()
	usedBackends := map[string]bool{}
	usedRevNAT := map[string]bool{}
	for _, sp := range lb.tr.servicePorts() {
		eps := endpointsFor(sp, idx[sp.namespace+"/"+sp.service], lb.cfg.NodeName)
		active := filter(eps, func(e *endpoint) bool { return e.ready })
		if len(active) == 0 {
			active = filter(eps, func(e *endpoint) bool { return e.serving && e.terminating })
		}
		local := filter(active, func(e *endpoint) bool { return e.local })
		proto := strings.ToUpper(sp.protocol)
		add := func(addr netip.AddrPort, typ string, routable bool, localOnly bool) {
			f := &LBFrontend{
				Address: addr, Protocol: proto, Type: typ, Routable: routable,
				SessionAffinity: sp.affinity, AffinityTimeout: sp.sticky, Service: sp.name,
			}
			if typ == "ClusterIP" {
				f.IntLocal = sp.intLocal
			} else {
				f.ExtLocal = sp.extLocal
			}
			key := f.Key()
			if _, dup := m.byKey[key]; dup {
				return
			}
			id, ok := lb.revNATs[key]
			if !ok {
				id = lb.nextRevNAT
				lb.nextRevNAT++
				lb.revNATs[key] = id
			}
			f.RevNAT = id
			usedRevNAT[key] = true
			backends := active
			if localOnly {
				backends = local
			}
			for _, e := range backends {
				bkey := e.str + "/" + proto
				bid, ok := lb.backendIDs[bkey]
				if !ok {
					bid = lb.nextBackend
					lb.nextBackend++
					lb.backendIDs[bkey] = bid
				}
				usedBackends[bkey] = true
				if _, ok := m.byID[bid]; !ok {
					b := &LBBackend{ID: bid, Address: e.addr, Protocol: proto}
					m.byID[bid] = b
					m.Backends = append(m.Backends, b)
				}
				f.Backends = append(f.Backends, bid)
			}
			m.byKey[key] = f
			m.Frontends = append(m.Frontends, f)
		}
		add(netip.AddrPortFrom(sp.clusterIP, uint16(sp.port)), "ClusterIP", false, sp.intLocal)
		if sp.nodePort != 0 {
			add(netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(sp.nodePort)), "NodePort", false, sp.extLocal)
			for _, ip := range lb.cfg.NodeIPs {
				add(netip.AddrPortFrom(ip, uint16(sp.nodePort)), "NodePort", true, sp.extLocal)
			}
		}
		for _, ip := range sp.externalIP {
			add(netip.AddrPortFrom(ip, uint16(sp.port)), "ExternalIPs", true, sp.extLocal)
		}
		for _, ip := range sp.lbIP {
			add(netip.AddrPortFrom(ip, uint16(sp.port)), "LoadBalancer", true, sp.extLocal)
		}
	}
	for k := range lb.backendIDs {
		if !usedBackends[k] {
			delete(lb.backendIDs, k)
		}
	}
	for k := range lb.revNATs {
		if !usedRevNAT[k] {
			delete(lb.revNATs, k)
		}
	}
	sort.Slice(m.Frontends, func(i, j int) bool { return m.Frontends[i].Key() < m.Frontends[j].Key() })
	sort.Slice(m.Backends, func(i, j int) bool { return m.Backends[i].ID < m.Backends[j].ID })
	lb.maps = m
	lb.tr.changed = false
	return m
}

// Walk looks a probe up as Cilium's socket/tc load balancer does: the
// frontend by destination address, port and protocol (a NodePort on any
// local address through the 0.0.0.0 surrogate), then a backend slot
// chosen at random among the N in use (Cilium's default "random"
// algorithm), or the client's affinity entry while it is fresh.
func (lb *BPFLoadBalancer) Walk(pkt Packet, rng *rand.Rand, now time.Time) Trace {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if pkt.Protocol == "" {
		pkt.Protocol = api.ProtocolTCP
	}
	tr := Trace{Packet: pkt, Verdict: VerdictUnchanged, Source: pkt.Src}
	if lb.maps == nil {
		tr.Hops = append(tr.Hops, Hop{Table: MapServices, Rule: "maps not programmed yet", Note: "agent never synced"})
		return tr
	}
	proto := string(pkt.Protocol)
	key := net.JoinHostPort(pkt.Dst.Addr().String(), strconv.Itoa(int(pkt.Dst.Port()))) + "/" + proto
	f, ok := lb.maps.byKey[key]
	if !ok && (lb.localIP[pkt.Dst.Addr()] || loopback4.Contains(pkt.Dst.Addr())) {
		key = "0.0.0.0:" + strconv.Itoa(int(pkt.Dst.Port())) + "/" + proto
		f, ok = lb.maps.byKey[key]
	}
	if !ok {
		tr.Hops = append(tr.Hops, Hop{Table: MapServices, Rule: key + " (0)", Note: "no such frontend"})
		return tr
	}
	tr.Service = f.Service
	tr.Hops = append(tr.Hops, Hop{Table: MapServices, Taken: true,
		Rule: fmt.Sprintf("%s (0) -> count %d, revnat %d [%s]", key, len(f.Backends), f.RevNAT, f.Flags())})
	if len(f.Backends) == 0 {
		tr.Verdict = VerdictDrop
		tr.Hops = append(tr.Hops, Hop{Table: MapServices, Taken: true, Rule: "drop", Note: "Service backend not found (158)"})
		return tr
	}
	var (
		bid  uint32
		slot int
		note string
	)
	ak := affinityKey{client: pkt.Src, revNAT: f.RevNAT}
	if f.SessionAffinity {
		if e, ok := lb.affinity[ak]; ok && now.Sub(e.lastUsed) <= time.Duration(f.AffinityTimeout)*time.Second {
			for i, id := range f.Backends {
				if id == e.backend {
					bid, slot = id, i+1
					note = fmt.Sprintf("%s hit: client %s sticks to backend %d", MapAffinity, pkt.Src, id)
				}
			}
		}
	}
	if bid == 0 {
		slot = rng.IntN(len(f.Backends)) + 1
		bid = f.Backends[slot-1]
		note = fmt.Sprintf("random slot %d of %d", slot, len(f.Backends))
	}
	if f.SessionAffinity {
		lb.affinity[ak] = affinityEntry{backend: bid, lastUsed: now}
	}
	b := lb.maps.byID[bid]
	tr.Hops = append(tr.Hops,
		Hop{Table: MapServices, Taken: true, Rule: fmt.Sprintf("%s (%d) -> backend %d", key, slot, bid), Note: note},
		Hop{Table: MapBackends, Taken: true, Rule: fmt.Sprintf("%d -> %s://%s", bid, b.Protocol, b.Address)},
	)
	tr.Verdict = VerdictDNAT
	tr.Endpoint = b.Address
	return tr
}

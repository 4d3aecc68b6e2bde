package cilium

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"sync"
)

// Cluster-pool IPAM defaults (cluster-pool-ipv4-cidr and
// cluster-pool-ipv4-mask-size).
const (
	DefaultClusterPoolCIDR     = "10.0.0.0/8"
	DefaultClusterPoolMaskSize = 24
)

// Owners of the addresses the agent takes for itself.
const (
	OwnerRouter = "router" // the cilium_host address, the pods' gateway
	OwnerHealth = "health" // the cilium-health endpoint
)

// Errors of the cluster pool and the node allocator, with Cilium's texts.
var (
	ErrNoCIDRsRemaining = errors.New("CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")
	ErrRangeFull        = errors.New("range is full")
	ErrAllocated        = errors.New("provided IP is already allocated")
)

// NotInRangeError is returned for an address outside the node's CIDR.
type NotInRangeError struct{ ValidRange string }

func (e *NotInRangeError) Error() string {
	return "provided IP is not in the valid range. The range of valid IPs is " + e.ValidRange
}

// ClusterPool is the cilium-operator side of cluster-pool IPAM: it carves
// the cluster CIDR into per-node pod CIDRs (CiliumNode
// spec.ipam.podCIDRs). Like Kubernetes' CIDR set it hands out the next
// free subnet after the last one given, wrapping around, so a released
// CIDR is not reused at once. It is safe for concurrent use.
type ClusterPool struct {
	mu       sync.Mutex
	cidr     netip.Prefix
	maskSize int
	max      int
	used     map[int]string // subnet index -> node
	nodes    map[string]int
	next     int
}

// NewClusterPool validates the pool. Use DefaultClusterPoolCIDR and
// DefaultClusterPoolMaskSize for Cilium's defaults.
func NewClusterPool(cidr string, maskSize int) (*ClusterPool, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return nil, fmt.Errorf("invalid cluster-pool-ipv4-cidr %q", cidr)
	}
	p = p.Masked()
	if maskSize < p.Bits() || maskSize > 30 {
		return nil, fmt.Errorf("invalid cluster-pool-ipv4-mask-size %d for cluster CIDR %s", maskSize, p)
	}
	if maskSize-p.Bits() > 24 {
		return nil, fmt.Errorf("mask size %d is too big for cluster CIDR %s (more than 2^24 node CIDRs)", maskSize, p)
	}
	return &ClusterPool{
		cidr: p, maskSize: maskSize, max: 1 << (maskSize - p.Bits()),
		used: map[int]string{}, nodes: map[string]int{},
	}, nil
}

func (p *ClusterPool) subnet(i int) netip.Prefix {
	base := ip4ToUint(p.cidr.Addr())
	return netip.PrefixFrom(uintToIP4(base+uint32(i)<<(32-p.maskSize)), p.maskSize)
}

// AllocateNode returns the node's pod CIDR, allocating one on first call.
func (p *ClusterPool) AllocateNode(node string) (netip.Prefix, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i, ok := p.nodes[node]; ok {
		return p.subnet(i), nil
	}
	if len(p.used) >= p.max {
		return netip.Prefix{}, ErrNoCIDRsRemaining
	}
	c := p.next
	for range p.max {
		if _, taken := p.used[c]; !taken {
			break
		}
		c = (c + 1) % p.max
	}
	p.used[c] = node
	p.nodes[node] = c
	p.next = (c + 1) % p.max
	return p.subnet(c), nil
}

// ReleaseNode returns a node's CIDR to the pool (the CiliumNode is gone).
func (p *ClusterPool) ReleaseNode(node string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.nodes[node]
	if !ok {
		return false
	}
	delete(p.nodes, node)
	delete(p.used, i)
	return true
}

// NodeCIDR returns the CIDR of a node.
func (p *ClusterPool) NodeCIDR(node string) (netip.Prefix, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.nodes[node]
	if !ok {
		return netip.Prefix{}, false
	}
	return p.subnet(i), true
}

// NodeAllocation is one node's pod CIDR.
type NodeAllocation struct {
	Node string
	CIDR netip.Prefix
}

// Nodes lists the allocations sorted by node name.
func (p *ClusterPool) Nodes() []NodeAllocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]NodeAllocation, 0, len(p.nodes))
	for n, i := range p.nodes {
		out = append(out, NodeAllocation{Node: n, CIDR: p.subnet(i)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// IPAMOption configures a NodeIPAM.
type IPAMOption interface{ apply(*NodeIPAM) }

type ipamOptionFunc func(*NodeIPAM)

func (f ipamOptionFunc) apply(a *NodeIPAM) { f(a) }

// WithRandomScan makes AllocateNext pick a random start offset and scan
// forward, as Cilium's allocator really does; the default (lowest free
// address) is kubesim's, chosen so that trainees can predict addresses.
func WithRandomScan(rng *rand.Rand) IPAMOption {
	return ipamOptionFunc(func(a *NodeIPAM) { a.rng = rng })
}

// NodeIPAM is the agent side of cluster-pool IPAM on one node: it hands
// out addresses of the node's pod CIDR, never the network or the broadcast
// address, never one address twice. It is safe for concurrent use.
type NodeIPAM struct {
	mu     sync.Mutex
	cidr   netip.Prefix
	base   uint32 // first usable address (network + 1)
	max    int    // usable addresses
	owners map[int]string
	rng    *rand.Rand
}

// NewNodeIPAM returns an allocator over cidr.
func NewNodeIPAM(cidr netip.Prefix, opts ...IPAMOption) (*NodeIPAM, error) {
	if !cidr.IsValid() || !cidr.Addr().Is4() || cidr.Bits() > 30 {
		return nil, fmt.Errorf("invalid pod CIDR %s", cidr)
	}
	cidr = cidr.Masked()
	a := &NodeIPAM{
		cidr:   cidr,
		base:   ip4ToUint(cidr.Addr()) + 1,
		max:    1<<(32-cidr.Bits()) - 2,
		owners: map[int]string{},
	}
	for _, o := range opts {
		o.apply(a)
	}
	return a, nil
}

// CIDR returns the node's pod CIDR.
func (a *NodeIPAM) CIDR() netip.Prefix { return a.cidr }

// AllocateNext takes a free address for owner (e.g. "default/xwing").
func (a *NodeIPAM) AllocateNext(owner string) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.owners) >= a.max {
		return netip.Addr{}, ErrRangeFull
	}
	start := 0
	if a.rng != nil {
		start = a.rng.IntN(a.max)
	}
	for i := range a.max {
		off := (start + i) % a.max
		if _, taken := a.owners[off]; !taken {
			a.owners[off] = owner
			return uintToIP4(a.base + uint32(off)), nil
		}
	}
	return netip.Addr{}, ErrRangeFull
}

func (a *NodeIPAM) offset(ip netip.Addr) (int, error) {
	if !a.cidr.Contains(ip) {
		return 0, &NotInRangeError{ValidRange: a.cidr.String()}
	}
	off := int(int64(ip4ToUint(ip)) - int64(a.base))
	if off < 0 || off >= a.max {
		return 0, &NotInRangeError{ValidRange: a.cidr.String()}
	}
	return off, nil
}

// Allocate takes a specific address (an agent restoring its endpoints).
func (a *NodeIPAM) Allocate(ip netip.Addr, owner string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	off, err := a.offset(ip)
	if err != nil {
		return err
	}
	if _, taken := a.owners[off]; taken {
		return ErrAllocated
	}
	a.owners[off] = owner
	return nil
}

// Release frees an address; releasing a free or foreign address is a
// no-op, as in Cilium. It reports whether something was freed.
func (a *NodeIPAM) Release(ip netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	off, err := a.offset(ip)
	if err != nil {
		return false
	}
	if _, taken := a.owners[off]; !taken {
		return false
	}
	delete(a.owners, off)
	return true
}

// Owner returns who holds an address.
func (a *NodeIPAM) Owner(ip netip.Addr) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	off, err := a.offset(ip)
	if err != nil {
		return "", false
	}
	o, ok := a.owners[off]
	return o, ok
}

// Free returns the number of free addresses.
func (a *NodeIPAM) Free() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.max - len(a.owners)
}

// IPAllocation is one used address and its owner.
type IPAllocation struct {
	IP    netip.Addr
	Owner string
}

// Used lists the allocations sorted by address.
func (a *NodeIPAM) Used() []IPAllocation {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]IPAllocation, 0, len(a.owners))
	for off, o := range a.owners {
		out = append(out, IPAllocation{IP: uintToIP4(a.base + uint32(off)), Owner: o})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP.Less(out[j].IP) })
	return out
}

// AllocateAgentAddresses takes the router (cilium_host) and health
// addresses the agent allocates for itself before any pod, as it does at
// start-up. With the default lowest-free scan they are .1 and .2.
func (a *NodeIPAM) AllocateAgentAddresses() (router, health netip.Addr, err error) {
	if router, err = a.AllocateNext(OwnerRouter); err != nil {
		return
	}
	health, err = a.AllocateNext(OwnerHealth)
	return
}

func ip4ToUint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func uintToIP4(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

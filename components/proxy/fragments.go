package proxy

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/kubesim/kubesim/components/api"
)

// Partial syncs and shared rules. What one service port writes into the
// tables depends only on the Service, its EndpointSlices, a few kube-proxy
// flags, large-cluster mode and — for Local traffic policies — the node.
// A sync keeps each port's rules as a fragment and writes a port again
// only when one of those inputs changed, as kube-proxy's partial syncs
// write only the changed chains; and since the Service and slice objects
// an informer holds are the apiserver's shared ones, the proxiers of one
// cluster can share a fragment through a RuleCache instead of computing
// the same rules once per node. The rules are identical either way.

// RuleCache holds compiled service-port fragments for the proxiers that
// share it (the nodes of one cluster). Fragments no proxier holds any more
// are dropped. Safe for concurrent use.
type RuleCache struct {
	mu    sync.Mutex
	frags map[fragKey]*fragment
	sets  []*sharedSet // the newest whole rulesets, newest first
}

// sharedSet is a whole ruleset and what it was written from: a node whose
// sync comes to the same fragments with the same flags takes it as it is.
type sharedSet struct {
	flags    uint8
	cidr     netip.Prefix
	noRandom bool
	frags    []*fragment
	rs       *Ruleset
}

const sharedSets = 4

func (s *sharedSet) matches(cfg *Config, frags []*fragment) bool {
	if s.flags != cfgFlags(cfg) || s.cidr != cfg.ClusterCIDR || s.noRandom != cfg.NoRandomFully || len(s.frags) != len(frags) {
		return false
	}
	for i, f := range frags {
		if s.frags[i] != f {
			return false
		}
	}
	return true
}

// ruleset returns a ruleset written from frags with cfg's flags, built by
// build unless a recent one was written from the same.
func (c *RuleCache) ruleset(cfg *Config, frags []*fragment, build func() *Ruleset) *Ruleset {
	c.mu.Lock()
	for _, s := range c.sets {
		if s.matches(cfg, frags) {
			c.mu.Unlock()
			return s.rs
		}
	}
	c.mu.Unlock()
	rs := build()
	c.mu.Lock()
	s := &sharedSet{flags: cfgFlags(cfg), cidr: cfg.ClusterCIDR, noRandom: cfg.NoRandomFully, frags: frags, rs: rs}
	c.sets = append([]*sharedSet{s}, c.sets[:min(len(c.sets), sharedSets-1)]...)
	c.mu.Unlock()
	return rs
}

// NewRuleCache returns an empty cache.
func NewRuleCache() *RuleCache { return &RuleCache{frags: map[fragKey]*fragment{}} }

// Len reports how many fragments the cache holds.
func (c *RuleCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frags)
}

// fragKey names a fragment's inputs. Objects are compared by identity:
// they are immutable once an informer holds them, and the fragment keeps
// them referenced so an identity cannot be reused while it is cached.
type fragKey struct {
	svc    *api.Service
	port   string // service port name and protocol
	slices string // identities of the service's slices, in order
	node   string // the node, only when the port uses Local endpoints
	large  bool
	cidr   netip.Prefix
	flags  uint8
}

type fragment struct {
	refs      int
	slices    []*api.EndpointSlice // keeps the identities in the key alive
	endpoints int
	natChains []string
	natRules  []*Rule
	filChains []string
	filRules  []*Rule
}

func (f *fragment) writeTo(nat, filter *Table) {
	for _, c := range f.natChains {
		nat.declare(c)
	}
	for _, r := range f.natRules {
		nat.add(r)
	}
	for _, c := range f.filChains {
		filter.declare(c)
	}
	for _, r := range f.filRules {
		filter.add(r)
	}
}

func slicesIdentity(slices []*api.EndpointSlice) string {
	var sb strings.Builder
	for _, es := range slices {
		fmt.Fprintf(&sb, "%p,", es)
	}
	return sb.String()
}

func cfgFlags(cfg *Config) uint8 {
	var f uint8
	if cfg.MasqueradeAll {
		f |= 1
	}
	if cfg.NoLocalhostNodePorts {
		f |= 2
	}
	if cfg.NoNFAcct {
		f |= 4
	}
	return f
}

// acquire returns the fragment for key, building it with build if no
// proxier holds one, and counts the caller as a holder.
func (c *RuleCache) acquire(key fragKey, build func() *fragment) *fragment {
	c.mu.Lock()
	f := c.frags[key]
	c.mu.Unlock()
	if f == nil {
		f = build()
		c.mu.Lock()
		if g := c.frags[key]; g != nil {
			f = g // built meanwhile by another proxier
		} else {
			c.frags[key] = f
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	f.refs++
	c.mu.Unlock()
	return f
}

// release drops a holder of the fragment under key.
func (c *RuleCache) release(key fragKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.frags[key]; f != nil {
		if f.refs--; f.refs <= 0 {
			delete(c.frags, key)
		}
	}
}

package dns

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheCountsDownOnVirtualTime(t *testing.T) {
	c := &clock{now: t0}
	up := internet()
	s := kubeadmServer(c, up, false)

	first := ask(s, "example.com.", TypeA)
	require.Equal(t, RcodeSuccess, first.Rcode)
	assert.False(t, first.Authoritative, "straight from upstream")
	assert.Equal(t, uint32(30), first.Answer[0].TTL, "TTL 300 capped to 30")

	c.Advance(10 * time.Second)
	second := ask(s, "example.com.", TypeA)
	assert.Equal(t, uint32(20), second.Answer[0].TTL)
	assert.True(t, second.Authoritative, "CoreDNS sets aa on answers from its cache")
	assert.Len(t, up.Queries(), 1, "answered from the cache")

	c.Advance(20 * time.Second)
	assert.Equal(t, uint32(0), ask(s, "example.com.", TypeA).Answer[0].TTL, "still served at 0 s left")
	assert.Len(t, up.Queries(), 1)

	c.Advance(time.Second)
	third := ask(s, "example.com.", TypeA)
	assert.Equal(t, uint32(30), third.Answer[0].TTL)
	assert.Len(t, up.Queries(), 2, "expired: asked upstream again")
	hits, misses := s.Cache.Stats()
	assert.Equal(t, 2, hits)
	assert.Equal(t, 2, misses)
}

func TestCacheNegativeAndServfail(t *testing.T) {
	c := &clock{now: t0}
	up := internet()
	s := kubeadmServer(c, up, false)
	require.Equal(t, RcodeNameError, ask(s, "nosuch.example.", TypeA).Rcode)
	c.Advance(29 * time.Second)
	require.Equal(t, RcodeNameError, ask(s, "nosuch.example.", TypeA).Rcode)
	assert.Len(t, up.Queries(), 1, "NXDOMAIN cached for min(SOA minimum, 30 s)")

	// An upstream that does not answer: nothing is written, nothing cached.
	up.Down = true
	require.Equal(t, RcodeServerFailure, ask(s, "down.example.", TypeA).Rcode)
	up.Down = false
	assert.Equal(t, RcodeNameError, ask(s, "down.example.", TypeA).Rcode, "a timeout is not cached")

	// An upstream answering SERVFAIL: cached for 5 s.
	up.ServFail = true
	require.Equal(t, RcodeServerFailure, ask(s, "broken.example.", TypeA).Rcode)
	up.ServFail = false
	c.Advance(5 * time.Second)
	require.Equal(t, RcodeServerFailure, ask(s, "broken.example.", TypeA).Rcode, "SERVFAIL cached for 5 s")
	c.Advance(time.Second)
	assert.Equal(t, RcodeNameError, ask(s, "broken.example.", TypeA).Rcode)
}

// TestClusterAnswersAndTheCache shows the difference between the current
// kubeadm Corefile (cluster.local not cached: a deleted Service is gone at
// once) and the older one (answers live on for up to 30 s).
func TestClusterAnswersAndTheCache(t *testing.T) {
	for _, tt := range []struct {
		name      string
		legacy    bool
		wantStale bool
	}{
		{name: "current kubeadm: cluster.local is not cached", legacy: false, wantStale: false},
		{name: "older kubeadm: cache 30 covers cluster.local", legacy: true, wantStale: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{now: t0}
			store := clusterStore(c)
			s := NewKubeadmServer(KubeadmConfig{CorefileOptions: CorefileOptions{CacheClusterDomain: tt.legacy},
				Backend: store, Upstreams: []Upstream{internet()}, Clock: c.Now, Rand: rand.New(rand.NewPCG(1, 1))})
			require.Equal(t, RcodeSuccess, s.ServeDNS(context.Background(), client, NewQuery(1, "web.default.svc.cluster.local.", TypeA)).Rcode)
			store.DeleteService("default", "web")
			c.Advance(10 * time.Second)
			m := s.ServeDNS(context.Background(), client, NewQuery(2, "web.default.svc.cluster.local.", TypeA))
			if tt.wantStale {
				require.Equal(t, RcodeSuccess, m.Rcode)
				assert.Equal(t, uint32(20), m.Answer[0].TTL)
				c.Advance(21 * time.Second)
				m = s.ServeDNS(context.Background(), client, NewQuery(3, "web.default.svc.cluster.local.", TypeA))
			}
			assert.Equal(t, RcodeNameError, m.Rcode)
		})
	}
}

func TestCacheCapacityEvictsOldest(t *testing.T) {
	c := &clock{now: t0}
	up := internet()
	cache := NewCache(CacheConfig{SuccessTTL: 30 * time.Second, DenialTTL: 30 * time.Second, Capacity: 2, Clock: c.Now})
	s := NewServer(cache.Plugin(), NewForward(".", rand.New(rand.NewPCG(1, 1)), up).Plugin())
	for _, n := range []string{"a.example.", "b.example.", "c.example."} {
		s.ServeDNS(context.Background(), client, NewQuery(1, n, TypeA))
		c.Advance(time.Second)
	}
	assert.Equal(t, 2, cache.Len())
	s.ServeDNS(context.Background(), client, NewQuery(1, "a.example.", TypeA))
	assert.Len(t, up.Queries(), 4, "a.example. was evicted first")
}

func TestLoadBalanceShufflesAddresses(t *testing.T) {
	c := &clock{now: t0}
	store := clusterStore(c)
	orders := map[string]int{}
	for seed := range uint64(40) {
		s := NewKubeadmServer(KubeadmConfig{Backend: store, Upstreams: []Upstream{internet()}, Clock: c.Now, Rand: rand.New(rand.NewPCG(seed, 1))})
		m := s.ServeDNS(context.Background(), client, NewQuery(1, "db.default.svc.cluster.local.", TypeA))
		require.Len(t, m.Answer, 2)
		orders[m.Answer[0].Data]++
	}
	assert.Len(t, orders, 2, "both addresses come first for some seeds")
	assert.Greater(t, orders["10.244.1.20"], 5)
	assert.Greater(t, orders["10.244.2.21"], 5)
}

func TestForwardSkipsFailingUpstreams(t *testing.T) {
	good, bad := internet(), &StaticUpstream{Addr: "192.168.1.2:53", Down: true}
	fwd := NewForward(".", rand.New(rand.NewPCG(3, 3)), bad, good)
	s := NewServer(NewErrors().Plugin(), fwd.Plugin())
	for range 10 {
		m := s.ServeDNS(context.Background(), netip.AddrPort{}, NewQuery(1, "example.com.", TypeA))
		require.Equal(t, RcodeSuccess, m.Rcode, "a down upstream is skipped")
	}
	assert.LessOrEqual(t, len(bad.Queries()), 2, "after max_fails 2 the bad upstream is not tried")
}

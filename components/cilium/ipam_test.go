package cilium

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestClusterPoolDefaults(t *testing.T) {
	p, err := NewClusterPool(DefaultClusterPoolCIDR, DefaultClusterPoolMaskSize)
	require.NoError(t, err)
	tests := []struct {
		node string
		want string
	}{
		{"node-1", "10.0.0.0/24"},
		{"node-2", "10.0.1.0/24"},
		{"node-1", "10.0.0.0/24"}, // idempotent
		{"node-3", "10.0.2.0/24"},
	}
	for _, tt := range tests {
		got, err := p.AllocateNode(tt.node)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got.String(), tt.node)
	}
	require.True(t, p.ReleaseNode("node-2"))
	got, err := p.AllocateNode("node-4")
	require.NoError(t, err)
	assert.Equal(t, "10.0.3.0/24", got.String(), "the next candidate, not the freed one, as the CIDR set does")
	assert.Equal(t, []NodeAllocation{
		{Node: "node-1", CIDR: netip.MustParsePrefix("10.0.0.0/24")},
		{Node: "node-3", CIDR: netip.MustParsePrefix("10.0.2.0/24")},
		{Node: "node-4", CIDR: netip.MustParsePrefix("10.0.3.0/24")},
	}, p.Nodes())
}

func TestClusterPoolExhaustionAndWrap(t *testing.T) {
	p, err := NewClusterPool("10.10.0.0/22", 24)
	require.NoError(t, err)
	for _, n := range []string{"a", "b", "c", "d"} {
		_, err := p.AllocateNode(n)
		require.NoError(t, err)
	}
	_, err = p.AllocateNode("e")
	assert.ErrorIs(t, err, ErrNoCIDRsRemaining)
	assert.EqualError(t, err, "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")
	p.ReleaseNode("b")
	got, err := p.AllocateNode("e")
	require.NoError(t, err)
	assert.Equal(t, "10.10.1.0/24", got.String(), "after wrapping around the freed CIDR is found")

	_, err = NewClusterPool("10.0.0.0/8", 4)
	assert.Error(t, err)
	_, err = NewClusterPool("not-a-cidr", 24)
	assert.Error(t, err)
}

func TestNodeIPAM(t *testing.T) {
	a, err := NewNodeIPAM(netip.MustParsePrefix("10.0.1.0/24"))
	require.NoError(t, err)
	router, health, err := a.AllocateAgentAddresses()
	require.NoError(t, err)
	assert.Equal(t, "10.0.1.1", router.String(), "the network address is never handed out")
	assert.Equal(t, "10.0.1.2", health.String())
	xwing, err := a.AllocateNext("default/xwing")
	require.NoError(t, err)
	assert.Equal(t, "10.0.1.3", xwing.String())
	assert.Equal(t, 254-3, a.Free())

	assert.ErrorIs(t, a.Allocate(xwing, "other"), ErrAllocated)
	err = a.Allocate(netip.MustParseAddr("10.0.2.5"), "x")
	assert.EqualError(t, err, "provided IP is not in the valid range. The range of valid IPs is 10.0.1.0/24")
	assert.Error(t, a.Allocate(netip.MustParseAddr("10.0.1.255"), "x"), "broadcast is outside the usable range")
	assert.Error(t, a.Allocate(netip.MustParseAddr("10.0.1.0"), "x"), "network is outside the usable range")

	assert.True(t, a.Release(xwing))
	assert.False(t, a.Release(xwing), "releasing twice is a no-op")
	again, err := a.AllocateNext("default/tiefighter")
	require.NoError(t, err)
	assert.Equal(t, xwing, again, "lowest free address")
	owner, ok := a.Owner(again)
	assert.True(t, ok)
	assert.Equal(t, "default/tiefighter", owner)
	assert.Equal(t, []IPAllocation{
		{IP: router, Owner: OwnerRouter}, {IP: health, Owner: OwnerHealth}, {IP: again, Owner: "default/tiefighter"},
	}, a.Used())
}

func TestNodeIPAMFullAndRandomScan(t *testing.T) {
	a, err := NewNodeIPAM(netip.MustParsePrefix("10.0.9.0/30"))
	require.NoError(t, err)
	_, err = a.AllocateNext("a")
	require.NoError(t, err)
	_, err = a.AllocateNext("b")
	require.NoError(t, err)
	_, err = a.AllocateNext("c")
	assert.ErrorIs(t, err, ErrRangeFull)
	assert.EqualError(t, err, "range is full")

	r1, _ := NewNodeIPAM(netip.MustParsePrefix("10.0.1.0/24"), WithRandomScan(rand.New(rand.NewPCG(1, 1))))
	r2, _ := NewNodeIPAM(netip.MustParsePrefix("10.0.1.0/24"), WithRandomScan(rand.New(rand.NewPCG(1, 1))))
	for range 20 {
		x, err := r1.AllocateNext("p")
		require.NoError(t, err)
		y, err := r2.AllocateNext("p")
		require.NoError(t, err)
		assert.Equal(t, x, y, "same seed, same addresses")
	}
}

// TestNodeIPAMProperties: whatever the sequence of allocations and
// releases, no address is handed out twice, every address is usable
// (inside the CIDR, not network or broadcast), released addresses come
// back, and the free count adds up.
func TestNodeIPAMProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bits := rapid.IntRange(26, 30).Draw(t, "bits")
		cidr := netip.PrefixFrom(netip.MustParseAddr("10.0.7.0"), bits).Masked()
		var opts []IPAMOption
		if rapid.Bool().Draw(t, "random") {
			opts = append(opts, WithRandomScan(rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))))
		}
		a, err := NewNodeIPAM(cidr, opts...)
		if err != nil {
			t.Fatal(err)
		}
		usable := 1<<(32-bits) - 2
		held := map[netip.Addr]string{}
		network, broadcast := cidr.Addr(), uintToIP4(ip4ToUint(cidr.Addr())+uint32(1<<(32-bits))-1)
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for i := range steps {
			if len(held) > 0 && rapid.IntRange(0, 2).Draw(t, "op") == 0 {
				ips := make([]netip.Addr, 0, len(held))
				for ip := range held {
					ips = append(ips, ip)
				}
				sortAddrs(ips)
				ip := rapid.SampledFrom(ips).Draw(t, "release")
				if !a.Release(ip) {
					t.Fatalf("release of held %s failed", ip)
				}
				delete(held, ip)
				continue
			}
			owner := "pod-" + string(rune('a'+i%26))
			ip, err := a.AllocateNext(owner)
			if len(held) == usable {
				if err == nil {
					t.Fatalf("allocated %s from a full range", ip)
				}
				continue
			}
			if err != nil {
				t.Fatalf("allocation failed with %d/%d used: %v", len(held), usable, err)
			}
			if _, dup := held[ip]; dup {
				t.Fatalf("%s handed out twice", ip)
			}
			if !cidr.Contains(ip) || ip == network || ip == broadcast {
				t.Fatalf("%s is not a usable address of %s", ip, cidr)
			}
			held[ip] = owner
		}
		if a.Free() != usable-len(held) {
			t.Fatalf("free %d, want %d", a.Free(), usable-len(held))
		}
		if len(a.Used()) != len(held) {
			t.Fatalf("used %d, want %d", len(a.Used()), len(held))
		}
	})
}

func sortAddrs(a []netip.Addr) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].Less(a[j-1]); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

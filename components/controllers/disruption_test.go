package controllers_test

import (
	"fmt"
	goslices "slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
)

// zoneOutage registers size nodes in zone-a and 5 in zone-b, lets the
// first silent of zone-a stop renewing their Leases while the others
// renew every 10 s for the given time, and returns how many of zone-a's
// nodes carry the unreachable NoExecute taint at the end.
func zoneOutage(t *testing.T, size, silent int, d time.Duration) int {
	e := boot(t, cluster.Config{}, controllers.NewNodeLifecycle)
	var live, zoneA []string
	for i := range size {
		n := fmt.Sprintf("a-%02d", i+1)
		e.registerNode(n, "zone-a")
		zoneA = append(zoneA, n)
		if i >= silent {
			live = append(live, n)
		}
	}
	for i := range 5 {
		n := fmt.Sprintf("b-%d", i+1)
		e.registerNode(n, "zone-b")
		live = append(live, n)
	}
	for end := e.K.Now() + d; e.K.Now() < end; {
		for _, n := range live {
			e.renewLease(n)
		}
		e.run(10 * time.Second)
	}
	tainted := 0
	for _, n := range zoneA {
		if goslices.Contains(taintStrings(getNode(t, e, n)), "node.kubernetes.io/unreachable:NoExecute") {
			tainted++
		}
	}
	return tainted
}

// In a large zone (more than --large-cluster-size-threshold, 50 nodes)
// with at least --unhealthy-zone-threshold (55%) of its nodes NotReady,
// the zone is partially disrupted and its nodes are tainted at
// --secondary-node-eviction-rate, 0.01 nodes/s: one node per 100 s, not
// one per 10 s.
func TestPartiallyDisruptedLargeZoneTaintsAtTheSecondaryRate(t *testing.T) {
	// 40 of zone-a's 61 nodes (cp-1 is in zone-a too) fall silent: 66%.
	tainted := zoneOutage(t, 60, 40, 5*time.Minute)
	// 50 s grace, then 250 s at 0.01/s with a burst of 1: 1 + 2.5.
	assert.GreaterOrEqual(t, tainted, 1, "the secondary rate still taints")
	assert.LessOrEqual(t, tainted, 4, "the zone is tainted at 0.01 nodes/s (0.1/s would have tainted ~25)")
}

// In a small cluster the same partial disruption stops tainting: the
// reduced rate for a zone of at most 50 nodes is 0.
func TestPartiallyDisruptedSmallZoneTaintsNothing(t *testing.T) {
	// 8 of zone-a's 11 nodes fall silent: 73%. The first node found
	// NotReady may be tainted in the monitor pass before the zone's
	// state turns PartialDisruption (its token was there); none after.
	assert.LessOrEqual(t, zoneOutage(t, 10, 8, 5*time.Minute), 1, "a partially disrupted small zone is not tainted")
}

// A zone whose every node is down, while other zones are healthy, is
// tainted at the normal --node-eviction-rate (0.1 nodes/s): the
// controller reads it as the zone's failure, not its own.
func TestFullyDisruptedZoneTaintsAtTheNormalRate(t *testing.T) {
	// zone-c: 12 nodes, all silent; zone-a (cp-1) and zone-b stay healthy.
	e := boot(t, cluster.Config{}, controllers.NewNodeLifecycle)
	var zoneC, live []string
	for i := range 12 {
		n := fmt.Sprintf("c-%02d", i+1)
		e.registerNode(n, "zone-c")
		zoneC = append(zoneC, n)
	}
	for i := range 3 {
		n := fmt.Sprintf("b-%d", i+1)
		e.registerNode(n, "zone-b")
		live = append(live, n)
	}
	for end := e.K.Now() + 2*time.Minute; e.K.Now() < end; {
		for _, n := range live {
			e.renewLease(n)
		}
		e.run(10 * time.Second)
	}
	tainted := 0
	for _, n := range zoneC {
		if goslices.Contains(taintStrings(getNode(t, e, n)), "node.kubernetes.io/unreachable:NoExecute") {
			tainted++
		}
	}
	// 50 s grace, then ~70 s at 0.1/s with a burst of 1.
	assert.GreaterOrEqual(t, tainted, 5)
	assert.LessOrEqual(t, tainted, 9)
}

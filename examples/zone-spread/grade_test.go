package zonespread

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "9f768ad0be12435ac401d5549a89c35d4df3310d29858eeff3690129fe542ff9"

// The cluster of the exercise: zone-a has two big nodes, zone-b and
// zone-c one small node each. Left to the resource plugins alone, the
// scheduler prefers the big, empty nodes of zone-a.
var nodes = []cluster.NodeSpec{
	{Name: "a-1", CPU: "16", Memory: "64Gi", Zone: "zone-a"},
	{Name: "a-2", CPU: "16", Memory: "64Gi", Zone: "zone-a"},
	{Name: "b-1", CPU: "4", Memory: "16Gi", Zone: "zone-b"},
	{Name: "c-1", CPU: "4", Memory: "16Gi", Zone: "zone-c"},
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 6
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: shop
        image: nginx:1.27
        resources:
          requests: {cpu: 500m, memory: 512Mi}
`

func start(t testing.TB, seed uint64) *simtest.Kit {
	return simtest.Start(t, simtest.Seed(seed),
		simtest.Workers("a-1", "a-2", "b-1", "c-1"), simtest.Nodes(nodes...),
		// The cluster's scheduler runs without the built-in spreading
		// (PodTopologySpread's system defaults would do the job) ...
		simtest.SchedulerConfig(func(cfg *framework.Config) {
			cfg.Profiles[0] = cfg.Profiles[0].Without(plugins.PodTopologySpreadName)
		}),
		// ... and with yours.
		simtest.SchedulerPlugin(Name, New, 5))
}

func TestSixReplicasOverThreeZones(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeSixReplicas)
}

// gradeSixReplicas runs the rollout with three seeds: ties between equally
// good nodes are broken at random, and a plugin must not depend on luck.
func gradeSixReplicas(t testing.TB) {
	for _, seed := range []uint64{1, 2, 3} {
		func() {
			k := start(t, seed)
			k.Apply(deployment)
			pods := k.WaitForPodsRunning("app=shop", 6, 3*time.Minute)
			zoneOf := map[string]string{}
			for _, n := range nodes {
				zoneOf[n.Name] = n.Zone
			}
			perZone := map[string]int{}
			var where []string
			for _, p := range pods {
				perZone[zoneOf[p.Spec.NodeName]]++
				where = append(where, p.Name+" on "+p.Spec.NodeName+" ("+zoneOf[p.Spec.NodeName]+")")
			}
			slices.Sort(where)
			assert.Equal(t, map[string]int{"zone-a": 2, "zone-b": 2, "zone-c": 2}, perZone,
				"seed %d: 6 replicas of app=shop over 3 zones: 2 per zone\n%s", seed, strings.Join(where, "\n"))
		}()
	}
}

// Pods of another app do not count: spreading is per app. Three replicas
// of app=cache pinned to zone-a must not push app=shop out of zone-a.
func TestOtherAppsDoNotCount(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeOtherApps)
}

func gradeOtherApps(t testing.TB) {
	k := start(t, 1)
	cache := strings.NewReplacer("name: shop", "name: cache", "app: shop", "app: cache", "replicas: 6", "replicas: 3",
		"    spec:\n", "    spec:\n      nodeSelector: {topology.kubernetes.io/zone: zone-a}\n").Replace(deployment)
	k.Apply(cache)
	k.WaitForPodsRunning("app=cache", 3, 3*time.Minute)
	k.Apply(deployment)
	pods := k.WaitForPodsRunning("app=shop", 6, 3*time.Minute)
	perZone := map[string]int{}
	for _, p := range pods {
		perZone[strings.Split(p.Spec.NodeName, "-")[0]]++
	}
	assert.Equal(t, map[string]int{"a": 2, "b": 2, "c": 2}, perZone, "app=shop spreads 2/2/2 whatever app=cache does")
}

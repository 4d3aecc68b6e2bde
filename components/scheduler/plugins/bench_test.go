package plugins_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// basicNodes are scheduler_perf's node-default: 4 cpu, 32Gi, 110 pods,
// here spread over three zones.
func basicNodes(n int) []*api.Node {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	out := make([]*api.Node, n)
	for i := range out {
		out[i] = schedtest.MakeNode(fmt.Sprintf("node-%05d", i)).Capacity("4", "32Gi", 110).Zone(zones[i%3]).Obj()
	}
	return out
}

// basicPods are scheduler_perf's SchedulingBasic pods (pod-default: 100m
// cpu, 500Mi memory) with a few other simple shapes mixed in.
func basicPods(n int) []*api.Pod {
	shapes := [][2]string{{"100m", "500Mi"}, {"100m", "500Mi"}, {"250m", "1Gi"}, {"50m", "200Mi"}}
	out := make([]*api.Pod, n)
	for i := range out {
		s := shapes[i%len(shapes)]
		out[i] = schedtest.MakePod(fmt.Sprintf("pod-%06d", i)).Req(s[0], s[1]).Label("app", fmt.Sprintf("app-%d", i%10)).Obj()
	}
	return out
}

func benchmarkScheduling(b *testing.B, numNodes, numPods int) {
	nodes, pods := basicNodes(numNodes), basicPods(numPods)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.StopTimer()
	scheduled := 0
	for i := 0; i < b.N; i++ {
		cache := framework.NewCache()
		for _, n := range nodes {
			cache.AddNode(n)
		}
		s, err := framework.NewScheduler(cache, plugins.DefaultConfig(rand.New(rand.NewPCG(1, uint64(i)))))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, p := range pods {
			res, err := s.Schedule(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Assume(ctx, p, res); err != nil {
				b.Fatal(err)
			}
			scheduled++
		}
		b.StopTimer()
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(scheduled)/sec, "pods/s")
	b.ReportMetric(sec*1e6/float64(scheduled), "µs/pod")
}

func BenchmarkSchedulingBasic(b *testing.B) {
	b.Run("1000Nodes/10000Pods", func(b *testing.B) { benchmarkScheduling(b, 1000, 10000) })
	b.Run("5000Nodes/30000Pods", func(b *testing.B) { benchmarkScheduling(b, 5000, 30000) })
}

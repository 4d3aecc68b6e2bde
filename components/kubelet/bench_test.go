package kubelet

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// BenchmarkPodStartup measures the simulator's cost of taking pods from
// bound to Ready: sandbox, CNI ADD, pull, create, start, status writes and
// events, 100 pods spread over two nodes per iteration.
func BenchmarkPodStartup(b *testing.B) {
	const pods = 100
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, envOpts{})
		events0 := e.c.K.Trace().Total()
		b.StartTimer()
		for j := 0; j < pods; j++ {
			e.create(pod(fmt.Sprintf("p-%d", j), []string{"worker-1", "worker-2"}[j%2], "nginx:1.27"))
		}
		ok := e.c.WaitFor(func() bool {
			items, _, err := e.c.Admin.List("pods", "default", client.ListOptions{})
			if err != nil {
				return false
			}
			n := 0
			for _, o := range items {
				if ready(o.(*api.Pod)) {
					n++
				}
			}
			return n == pods
		}, 10*time.Minute)
		b.StopTimer()
		if !ok {
			b.Fatal("pods did not become ready")
		}
		b.ReportMetric(float64(e.c.K.Trace().Total()-events0)/pods, "trace-records/pod")
		e.c.K.Shutdown()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*pods), "µs/pod")
}

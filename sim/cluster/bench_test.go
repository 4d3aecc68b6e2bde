package cluster

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
)

func allRunning(c *Cluster, ns, selector string, want int) bool {
	items, _, err := c.Admin.List("pods", ns, client.ListOptions{LabelSelector: selector, ResourceVersion: "0"})
	if err != nil || (want >= 0 && len(items) != want) || len(items) == 0 {
		return false
	}
	for _, o := range items {
		p := o.(*api.Pod)
		if p.Status.Phase != api.PodRunning || p.DeletionTimestamp != nil {
			return false
		}
	}
	return true
}

// BenchmarkBoot measures a cluster of 3 control-plane and 3 worker nodes
// from nothing to every kube-system pod Running (mirror pods, DaemonSets,
// CoreDNS, cilium-operator), in wall time and in the virtual time it covers.
func BenchmarkBoot(b *testing.B) {
	for range b.N {
		start := time.Now()
		c, err := New(Config{Seed: 1, ControlPlanes: []string{"cp-1", "cp-2", "cp-3"}, Workers: []string{"worker-1", "worker-2", "worker-3"}, Addons: true,
			Options: []sim.Option{sim.WithTraceCapacity(1 << 12)}})
		if err != nil {
			b.Fatal(err)
		}
		// 12 mirror pods, 6+6 DaemonSet pods, 2 CoreDNS, 1 cilium-operator.
		if !c.WaitFor(func() bool { return allRunning(c, "kube-system", "", 27) }, 5*time.Minute) {
			items, _, _ := c.Admin.List("pods", "kube-system", client.ListOptions{})
			b.Fatalf("kube-system not Running after 5 virtual minutes: %d pods", len(items))
		}
		wall := time.Since(start)
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		b.ReportMetric(c.K.Now().Seconds(), "virtual-s")
		c.Stop()
	}
}

// BenchmarkNodeFailure measures the node-failure drill: 10 replicas on 3
// workers, one worker powered off, until 10 replicas run on the others —
// the node lifecycle controller's 50 s grace period and the 300 s
// toleration included.
func BenchmarkNodeFailure(b *testing.B) {
	for range b.N {
		b.StopTimer()
		c, err := New(Config{Seed: 1, Workers: []string{"worker-1", "worker-2", "worker-3"}, Options: []sim.Option{sim.WithTraceCapacity(1 << 12)}})
		if err != nil {
			b.Fatal(err)
		}
		c.WaitFor(c.NodesReady, time.Minute)
		_, err = c.Apply("web.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
`))
		if err != nil {
			b.Fatal(err)
		}
		if !c.WaitFor(func() bool { return allRunning(c, "default", "app=web", 10) }, 3*time.Minute) {
			b.Fatal("the replicas did not start")
		}
		b.StartTimer()
		start, vstart := time.Now(), c.K.Now()
		if err := c.K.StopNode("worker-3"); err != nil {
			b.Fatal(err)
		}
		ok := c.WaitFor(func() bool {
			items, _, err := c.Admin.List("pods", "default", client.ListOptions{LabelSelector: "app=web", ResourceVersion: "0"})
			if err != nil {
				return false
			}
			n := 0
			for _, o := range items {
				p := o.(*api.Pod)
				if p.Status.Phase == api.PodRunning && p.Spec.NodeName != "worker-3" && p.DeletionTimestamp == nil {
					n++
				}
			}
			return n == 10
		}, 15*time.Minute)
		b.StopTimer()
		if !ok {
			b.Fatal("no replacements")
		}
		wall, virt := time.Since(start), c.K.Now()-vstart
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		b.ReportMetric(virt.Seconds(), "virtual-s")
		b.ReportMetric(float64(virt)/float64(wall), "x-real-time")
		c.Stop()
	}
}

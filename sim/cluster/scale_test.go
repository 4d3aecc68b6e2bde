package cluster

import (
	"flag"
	"fmt"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
)

// The scale ladder: `make bench-scale` runs BenchmarkScaleLadder once per
// rung and writes the figures to testdata/scale-ladder.md (-scale.out).
// -scale.rungs picks rungs by node count (e.g. "100,1000"); without it
// `make bench` skips the ladder. KUBESIM_PPROF=host:port serves pprof
// while a rung runs.
var (
	scaleOut    = flag.String("scale.out", "", "write the scale ladder's figures to this file")
	scaleRungs  = flag.String("scale.rungs", "", "comma-separated node counts of the rungs to run (100, 1000, 5000); none: the ladder is skipped (make bench-scale sets it)")
	scalePhases = flag.Int("scale.phases", 4, "how many of the phases to run (1: boot only; for profiling)")
)

// A rung: workers, pods (Deployments of perDeployment replicas, 10m CPU
// each) and one ClusterIP Service per Deployment.
type rung struct {
	nodes         int
	pods          int
	perDeployment int
}

var ladder = []rung{
	{nodes: 100, pods: 3_000, perDeployment: 15},
	{nodes: 1_000, pods: 30_000, perDeployment: 15},
	{nodes: 5_000, pods: 150_000, perDeployment: 15},
}

// phase is one measured phase of a rung.
type phase struct {
	name      string
	wall      time.Duration
	cpu       time.Duration // the process's user and system CPU time: on a shared machine, steadier than wall time
	virtual   time.Duration
	events    uint64
	peakHeap  uint64
	allocs    uint64
	heapAfter uint64
}

// heapSampler tracks the peak live heap during a phase by sampling it
// between simulation steps (runtime/metrics is cheap enough to read every
// virtual second).
type heapSampler struct{ peak uint64 }

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:objects"}}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readHeap() (live, allocs uint64) {
	metrics.Read(heapSample)
	return heapSample[0].Value.Uint64(), heapSample[1].Value.Uint64()
}

func (h *heapSampler) sample() {
	if live, _ := readHeap(); live > h.peak {
		h.peak = live
	}
}

// measure runs fn as one phase.
func measure(c *Cluster, name string, fn func(h *heapSampler) error) (phase, error) {
	h := &heapSampler{}
	live, allocs0 := readHeap()
	h.peak = live
	start, cpu0, vstart, ev := time.Now(), cpuTime(), c.K.Now(), c.K.Steps()
	err := fn(h)
	p := phase{name: name, wall: time.Since(start), cpu: cpuTime() - cpu0, virtual: c.K.Now() - vstart, events: c.K.Steps() - ev}
	fmt.Fprintf(os.Stderr, "scale: %s: %v wall, %v virtual, %d events (%v)\n", name, p.wall, p.virtual, p.events, err)
	h.sample()
	live, allocs1 := readHeap()
	p.peakHeap, p.allocs, p.heapAfter = h.peak, allocs1-allocs0, live
	return p, err
}

// waitSampled is WaitFor with the heap sampled every step of virtual time.
func waitSampled(c *Cluster, h *heapSampler, step time.Duration, cond func() bool, limit time.Duration) bool {
	deadline := c.K.Now() + limit
	last := time.Now()
	for {
		h.sample()
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "scale: ... at %v virtual, %d events\n", c.K.Now(), c.K.Steps())
		}
		if cond() {
			return true
		}
		if c.K.Now() >= deadline {
			return false
		}
		c.K.RunFor(min(step, deadline-c.K.Now()))
	}
}

// deploymentsReady reports whether every Deployment of the ladder has all
// its replicas ready and updated.
func deploymentsReady(c *Cluster, want int) bool {
	items, _, err := c.Admin.List("deployments", "default", client.ListOptions{ResourceVersion: "0"})
	if err != nil || len(items) != want {
		return false
	}
	for _, o := range items {
		d := o.(*api.Deployment)
		r := int32(1)
		if d.Spec.Replicas != nil {
			r = *d.Spec.Replicas
		}
		if d.Status.ReadyReplicas != r || d.Status.UpdatedReplicas != r || d.Status.Replicas != r {
			return false
		}
	}
	return true
}

// podsRunningOff counts Running, ready pods of the ladder not on a node in
// down, and the pods that are not.
func podsRunningOff(c *Cluster, down map[string]bool) (running, other int, err error) {
	items, _, err := c.Admin.List("pods", "default", client.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return 0, 0, err
	}
	for _, o := range items {
		p := o.(*api.Pod)
		if p.Status.Phase == api.PodRunning && p.DeletionTimestamp == nil && !down[p.Spec.NodeName] {
			running++
		} else {
			other++
		}
	}
	return running, other, nil
}

func ladderManifests(r rung) []api.Object {
	var objs []api.Object
	for i := range r.pods / r.perDeployment {
		name := fmt.Sprintf("app-%05d", i)
		replicas := int32(r.perDeployment)
		labels := map[string]string{"app": name}
		objs = append(objs, &api.Deployment{
			TypeMeta:   api.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
			Spec: api.DeploymentSpec{
				Replicas: &replicas,
				Selector: &api.LabelSelector{MatchLabels: labels},
				Template: api.PodTemplateSpec{
					ObjectMeta: api.ObjectMeta{Labels: labels},
					Spec: api.PodSpec{Containers: []api.Container{{Name: "app", Image: "nginx:1.27",
						Ports:     []api.ContainerPort{{ContainerPort: 80}},
						Resources: api.ResourceRequirements{Requests: api.ResourceList{"cpu": api.MustParseQuantity("10m")}}}}},
				},
			},
		}, &api.Service{
			TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
			Spec:       api.ServiceSpec{Selector: labels, Ports: []api.ServicePort{{Port: 80, TargetPort: api.FromInt32(80)}}},
		})
	}
	return objs
}

// runRung runs one rung's phases.
func runRung(r rung) ([]phase, error) {
	workers := make([]string, r.nodes)
	for i := range workers {
		workers[i] = fmt.Sprintf("node-%05d", i+1)
	}
	var c *Cluster
	var phases []phase
	boot, err := measureBoot(workers, &c)
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	phases = append(phases, boot)
	if *scalePhases < 2 {
		return phases, nil
	}
	deployments := r.pods / r.perDeployment
	p, err := measure(c, "pods Running", func(h *heapSampler) error {
		if _, err := c.ApplyObjects(ladderManifests(r)...); err != nil {
			return err
		}
		if !waitSampled(c, h, time.Second, func() bool { return deploymentsReady(c, deployments) }, 30*time.Minute) {
			return fmt.Errorf("%d pods not Running after 30 virtual minutes", r.pods)
		}
		if n, other, err := podsRunningOff(c, nil); err != nil || n != r.pods {
			return fmt.Errorf("pods Running: %d of %d (%d others, %v)", n, r.pods, other, err)
		}
		return nil
	})
	phases = append(phases, p)
	if err != nil || *scalePhases < 3 {
		return phases, err
	}
	p, err = measure(c, "5 idle minutes", func(h *heapSampler) error {
		waitSampled(c, h, time.Second, func() bool { return false }, 5*time.Minute)
		return nil
	})
	phases = append(phases, p)
	if *scalePhases < 4 {
		return phases, nil
	}
	// Power off zone-b (a third of the workers; the control plane stays
	// in zone-a), then wait for the replacements: the node lifecycle
	// controller taints a fully disrupted zone's nodes at
	// --node-eviction-rate, the taint-eviction controller evicts after the
	// 300 s toleration, the ReplicaSets replace the pods elsewhere.
	down := map[string]bool{}
	p, err = measure(c, "zone-b powered off -> replacements Running", func(h *heapSampler) error {
		for i, n := range workers {
			if i%3 == 1 {
				down[n] = true
				if err := c.K.StopNode(n); err != nil {
					return err
				}
			}
		}
		limit := 20*time.Minute + time.Duration(float64(len(down))/0.1)*time.Second
		c.K.RunFor(time.Minute) // beyond the 50 s grace period: pods marked not ready
		if !waitSampled(c, h, 5*time.Second, func() bool { return deploymentsReady(c, deployments) }, limit) {
			return fmt.Errorf("replacements not Running after %v", limit)
		}
		if n, other, err := podsRunningOff(c, down); err != nil || n != r.pods {
			return fmt.Errorf("pods Running off zone-b: %d of %d (%d others, %v)", n, r.pods, other, err)
		}
		return nil
	})
	phases = append(phases, p)
	return phases, err
}

func measureBoot(workers []string, out **Cluster) (phase, error) {
	h := &heapSampler{}
	live, allocs0 := readHeap()
	h.peak = live
	start, cpu0 := time.Now(), cpuTime()
	c, err := New(Config{Seed: 1, Workers: workers, Options: []sim.Option{sim.WithTraceCapacity(1 << 12)}})
	if err != nil {
		return phase{}, err
	}
	*out = c
	ok := waitSampled(c, h, time.Second, c.NodesReady, 5*time.Minute)
	p := phase{name: "boot to nodes Ready", wall: time.Since(start), cpu: cpuTime() - cpu0, virtual: c.K.Now(), events: c.K.Steps()}
	h.sample()
	live, allocs1 := readHeap()
	p.peakHeap, p.allocs, p.heapAfter = h.peak, allocs1-allocs0, live
	fmt.Fprintf(os.Stderr, "scale: %s: %v wall, %v virtual, %d events\n", p.name, p.wall, p.virtual, p.events)
	if !ok {
		return p, fmt.Errorf("%d nodes not Ready after 5 virtual minutes", len(workers))
	}
	return p, nil
}

// BenchmarkScaleLadder runs the rungs named by -scale.rungs, each once
// whatever b.N is, and reports per phase: wall and virtual time, kernel
// events, events per wall second, peak live heap and allocations per pod.
func BenchmarkScaleLadder(b *testing.B) {
	if *scaleRungs == "" {
		b.Skip("the scale ladder runs for minutes: make bench-scale (or -scale.rungs=100,1000,5000)")
	}
	if addr := os.Getenv("KUBESIM_PPROF"); addr != "" {
		srv := &http.Server{Addr: addr} // profiles of a long rung while it runs
		go srv.ListenAndServe()
		defer srv.Close()
	}
	var report strings.Builder
	fmt.Fprintf(&report, "# The scale ladder\n\nWritten by `make bench-scale` (BenchmarkScaleLadder, sim/cluster): %s/%s, %d CPUs, GOMAXPROCS=%d, %s.\n"+
		"Wall time depends on the machine's load; CPU time (user and system, all threads, GC included) is the steadier figure.\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	for _, r := range ladder {
		if !strings.Contains(","+*scaleRungs+",", fmt.Sprintf(",%d,", r.nodes)) {
			continue
		}
		b.Run(fmt.Sprintf("nodes=%d/pods=%d", r.nodes, r.pods), func(b *testing.B) {
			for range b.N {
				runtime.GC()
				phases, err := runRung(r)
				writeRung(&report, r, phases, err)
				if err != nil {
					b.Fatal(err)
				}
				var wall time.Duration
				for _, p := range phases {
					wall += p.wall
				}
				b.ReportMetric(wall.Seconds(), "wall-s")
			}
		})
	}
	if *scaleOut != "" && strings.Contains(report.String(), "### ") {
		if err := os.WriteFile(*scaleOut, []byte(report.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func mib(n uint64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func writeRung(w *strings.Builder, r rung, phases []phase, err error) {
	fmt.Fprintf(w, "### %d nodes, %d pods, %d Services\n\n", r.nodes, r.pods, r.pods/r.perDeployment)
	fmt.Fprintf(w, "| phase | wall | CPU | virtual | kernel events | events/s (wall) | peak heap | allocs/pod |\n|---|---|---|---|---|---|---|---|\n")
	var total phase
	for _, p := range phases {
		fmt.Fprintf(w, "| %s | %.2f s | %.2f s | %.0f s | %d | %.0f | %s | %d |\n", p.name, p.wall.Seconds(), p.cpu.Seconds(), p.virtual.Seconds(), p.events,
			float64(p.events)/p.wall.Seconds(), mib(p.peakHeap), p.allocs/uint64(r.pods))
		total.wall += p.wall
		total.cpu += p.cpu
		total.virtual += p.virtual
		total.events += p.events
		total.allocs += p.allocs
		total.peakHeap = max(total.peakHeap, p.peakHeap)
	}
	fmt.Fprintf(w, "| **all** | %.2f s | %.2f s | %.0f s | %d | %.0f | %s | %d |\n\n", total.wall.Seconds(), total.cpu.Seconds(), total.virtual.Seconds(), total.events,
		float64(total.events)/total.wall.Seconds(), mib(total.peakHeap), total.allocs/uint64(r.pods))
	fmt.Fprintf(w, "Per pod: %.0f µs wall, %.0f µs CPU, %d allocations; per node: %.1f ms wall, %.1f ms CPU.\n\n",
		float64(total.wall.Microseconds())/float64(r.pods), float64(total.cpu.Microseconds())/float64(r.pods), total.allocs/uint64(r.pods),
		float64(total.wall.Microseconds())/1000/float64(r.nodes), float64(total.cpu.Microseconds())/1000/float64(r.nodes))
	if err != nil {
		fmt.Fprintf(w, "Stopped: %v\n\n", err)
	}
}

package datapath_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/require"
)

// BenchmarkProgramRules measures kube-proxy on 100 nodes programming
// 1,000 Services with 10 endpoints each: from the actors' start (list,
// watch, first sync) until every node's kernel holds all the rules.
func BenchmarkProgramRules(b *testing.B) {
	const nodes, services, endpoints = 100, 1000, 10
	for range b.N {
		b.StopTimer()
		var workers []string
		for i := range nodes {
			workers = append(workers, fmt.Sprintf("worker-%d", i+1))
		}
		c, err := cluster.New(cluster.Config{Seed: 1, Workers: workers, Options: []sim.Option{sim.WithTraceCapacity(1 << 12)}})
		require.NoError(b, err)
		// The cluster runs kube-proxy on every node; stop the workers' so
		// the measurement starts from a kube-proxy start.
		for _, n := range workers {
			require.NoError(b, c.K.Crash(kubeproxy.ActorName(n)))
		}
		for s := range services {
			name := fmt.Sprintf("svc-%d", s)
			ip := fmt.Sprintf("10.96.%d.%d", 10+s/250, 1+s%250)
			_, err := c.Admin.Create(&api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name},
				Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: ip, ClusterIPs: []string{ip},
					Ports: []api.ServicePort{{Name: "http", Port: 80, Protocol: api.ProtocolTCP, TargetPort: api.FromInt32(8080)}}}})
			require.NoError(b, err)
			es := &api.EndpointSlice{TypeMeta: api.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
				ObjectMeta:  api.ObjectMeta{Namespace: "default", Name: name + "-abcde", Labels: map[string]string{"kubernetes.io/service-name": name}},
				AddressType: api.AddressTypeIPv4, Ports: []api.EndpointSlicePort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(api.ProtocolTCP)}}}
			for e := range endpoints {
				n := s*endpoints + e
				es.Endpoints = append(es.Endpoints, api.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 1+n/62500, (n/250)%250, 1+n%250)}, Conditions: api.EndpointConditions{Ready: ptr(true)}})
			}
			_, err = c.Admin.Create(es)
			require.NoError(b, err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := c.K.Now()
		b.StartTimer()
		wall, cpu := time.Now(), cpuTime()
		for _, n := range workers {
			require.NoError(b, c.K.Restart(kubeproxy.ActorName(n)))
		}
		synced := map[string]bool{}
		c.K.Trace().AddSink(func(r sim.Record) {
			if r.Kind == "sync" {
				synced[r.From] = true
			}
		})
		ok := c.WaitFor(func() bool { return len(synced) == nodes }, 5*time.Minute)
		elapsed, cpuUsed := time.Since(wall), cpuTime()-cpu
		b.StopTimer()
		require.True(b, ok)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(elapsed.Milliseconds()), "wall-ms")
		b.ReportMetric(float64(cpuUsed.Milliseconds()), "cpu-ms")
		b.ReportMetric((c.K.Now() - start).Seconds(), "virtual-s")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MB")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "alloc-MB")
		c.Stop()
	}
}

// cpuTime is the process's user and system time: on a shared machine the
// wall time says more about the neighbours than about the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCurl measures probes per second: by address (kube-proxy walk
// and two policy verdicts) and by name (plus the resolv.conf search walk).
func BenchmarkCurl(b *testing.B) {
	for _, target := range []string{"10.96.12.34", "web"} {
		b.Run(target, func(b *testing.B) {
			e := newEnv(b, envOpts{})
			e.web()
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				if r := e.p.Curl("client", target); r.ExitCode != 0 {
					b.Fatal(r.String())
				}
			}
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu).Seconds(), "probes/cpu-s")
		})
	}
}

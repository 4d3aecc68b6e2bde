package kubelet

import (
	"sort"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// The kubelet's resource metrics: what its /metrics/resource endpoint
// (cAdvisor's counters) gives metrics-server, here as data. A container's
// CPU use comes from package images' cost model: its program's idle
// baseline plus the CPU time of each HTTP request it answered, capped per
// second at its CPU limit (the node's CPUs without one); its memory is its
// program's working set (capped at its memory limit). The node's use is
// its containers' plus the node's own daemons (systemCPUMilli,
// systemMemoryBytes). All of it is a simplification: no process runs.

// KindResourceMetrics asks the kubelet for its resource metrics (body
// ignored); the reply is a ResourceMetrics. A kubelet that is down does
// not answer, as its port 10250 would not.
const KindResourceMetrics = "kubelet resource metrics"

// The node's own daemons (kubelet, containerd, systemd, journald).
const (
	systemCPUMilli    = 40
	systemMemoryBytes = 350 << 20
)

// ContainerMetrics are one running container's counters.
type ContainerMetrics struct {
	Namespace, Pod, Container string
	// StartTime is when the container (its current instance) started.
	StartTime time.Time
	// CPUUsageCoreNanoseconds is the cumulative CPU use of the instance
	// (container_cpu_usage_seconds_total, in core-nanoseconds).
	CPUUsageCoreNanoseconds int64
	// MemoryWorkingSetBytes is container_memory_working_set_bytes.
	MemoryWorkingSetBytes int64
}

// ResourceMetrics is one scrape of a kubelet's resource metrics.
type ResourceMetrics struct {
	Node string
	// Timestamp is when the counters were read (virtual wall time, on a
	// whole second), At the same instant as virtual time.
	Timestamp time.Time
	At        time.Duration
	// NodeCPUUsageCoreNanoseconds is node_cpu_usage_seconds_total, in
	// core-nanoseconds since the node booted.
	NodeCPUUsageCoreNanoseconds int64
	NodeMemoryWorkingSetBytes   int64
	// Containers are sorted by namespace, pod and container.
	Containers []ContainerMetrics
}

// Summary implements sim.Summarizer.
func (r ResourceMetrics) Summary() string {
	return r.Node + ": " + strconv.Itoa(len(r.Containers)) + " containers"
}

// cpuMeter accounts one container instance's CPU time per virtual second.
type cpuMeter struct {
	start time.Duration
	// busy is the request CPU time charged in each second (index: the
	// second since start), kept until it is read.
	busy map[int64]time.Duration
}

// charge adds the CPU time of one request answered at now.
func (in *instance) charge(now time.Duration, cpu time.Duration) {
	if in == nil || in.cpu == nil || cpu <= 0 {
		return
	}
	m := in.cpu
	if m.busy == nil {
		m.busy = map[int64]time.Duration{}
	}
	m.busy[int64((now-m.start)/time.Second)] += cpu
}

// usage is the cumulative CPU use, in core-nanoseconds, over the whole
// seconds from the start to now: each second the idle baseline plus the
// requests of that second, capped at the limit.
func (m *cpuMeter) usage(now time.Duration, idleMilli, limitMilli int64) int64 {
	seconds := int64((now - m.start) / time.Second)
	if seconds <= 0 {
		return 0
	}
	perSecond := func(busy time.Duration) int64 {
		return min(idleMilli*int64(time.Millisecond)+int64(busy), limitMilli*int64(time.Millisecond))
	}
	total := seconds * perSecond(0)
	for s, busy := range m.busy { // a sum: the order does not matter
		if s < seconds {
			total += perSecond(busy) - perSecond(0)
		}
	}
	return total
}

// resourceMetrics reads the counters at now (wall: its wall time).
func (st *state) resourceMetrics(now time.Duration, wall time.Time) ResourceMetrics {
	m := st.machine
	nodeMilli := api.MustParseQuantity(st.cfg.CPU).MilliValue()
	out := ResourceMetrics{Node: st.cfg.Node, At: now.Truncate(time.Second), Timestamp: wall.Add(now.Truncate(time.Second) - now)}
	if m.cpuSeen == nil {
		m.cpuSeen = map[string]int64{}
	}
	seen := map[string]int64{}
	var sumCPU, sumMem int64
	keys := make([]string, 0, len(m.pods))
	for k := range m.pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pw := m.pods[k]
		if pw.gone || pw.terminal != "" {
			continue
		}
		for _, c := range pw.all() {
			if c.cur == nil || c.cur.finished || c.cur.cpu == nil {
				continue
			}
			cost := c.proc.Cost()
			limit := nodeMilli
			if q, ok := c.spec.Resources.Limits[api.ResourceCPU]; ok && q.MilliValue() > 0 {
				limit = min(limit, q.MilliValue())
			}
			mem := cost.MemoryBytes
			if q, ok := c.spec.Resources.Limits[api.ResourceMemory]; ok && q.Value() > 0 {
				mem = min(mem, q.Value())
			}
			cpu := c.cur.cpu.usage(now, cost.IdleMilli, limit)
			seen[c.cur.id] = cpu
			sumCPU += cpu
			sumMem += mem
			out.Containers = append(out.Containers, ContainerMetrics{Namespace: pw.ns, Pod: pw.name, Container: c.spec.Name,
				StartTime: c.cur.startedAt, CPUUsageCoreNanoseconds: cpu, MemoryWorkingSetBytes: mem})
		}
	}
	for id, cpu := range m.cpuSeen { // a sum: the order does not matter
		if _, ok := seen[id]; !ok {
			m.cpuRetired += cpu
		}
	}
	m.cpuSeen = seen
	out.NodeCPUUsageCoreNanoseconds = int64(now/time.Second)*systemCPUMilli*int64(time.Millisecond) + m.cpuRetired + sumCPU
	out.NodeMemoryWorkingSetBytes = systemMemoryBytes + sumMem
	return out
}

// ClientActorName is the actor that sends a load-generator container's
// requests (Config.Clients).
func ClientActorName(namespace, pod, container string) string {
	return "load-" + namespace + "-" + pod + "-" + container
}

// startClient starts the actor of a container whose process is a request
// loop.
func (st *state) startClient(pw *podWorker, c *container) {
	if st.cfg.Clients == nil || c.proc.Loop == nil || c.annotated || pw.pod == nil {
		return
	}
	name := ClientActorName(pw.ns, pw.name, c.spec.Name)
	if st.c.Exists(name) {
		st.c.Stop(name)
	}
	pod := api.DeepCopy(pw.pod)
	pod.Spec.NodeName = st.cfg.Node
	pod.Status.PodIP = pw.podIP
	run := st.cfg.Clients(pod, c.spec.Name, *c.proc.Loop)
	if run == nil {
		return
	}
	if err := st.c.Spawn(sim.ActorSpec{Name: name, Node: st.cfg.Node, Component: "load-generator", Run: run}); err != nil {
		st.log.Warn("Failed starting a load generator", zap.String("actor", name), zap.Error(err))
	}
}

// stopClient stops it when the container stops.
func (st *state) stopClient(pw *podWorker, c *container) {
	if st.cfg.Clients == nil || c.proc.Loop == nil {
		return
	}
	if name := ClientActorName(pw.ns, pw.name, c.spec.Name); st.c.Exists(name) {
		st.c.Stop(name)
	}
}

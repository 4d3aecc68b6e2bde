// Package chaos runs a workload on a whole simulated cluster under random
// faults, heals everything, and checks the cluster's invariants:
// Deployments converge, no pod runs on two nodes, pod IPs and ClusterIPs
// are unique, EndpointSlices and every node's rules match the Services,
// DNS answers match, no goroutine is left behind.
//
// A seed decides everything: the workload (Deployments with Services, a
// client pod sending curl and nslookup probes) and the fault schedule over
// virtual time (component crashes and restarts, CoreDNS pod deletions,
// node power, network partitions, etcd leader moves and member crashes).
// The schedule is drawn from a stream of the kernel's seeded randomness of
// its own ("chaos"), so it does not perturb the cluster's other streams.
// The schedule is a drill (package drill): its steps run through the drill
// runner's own step code, and it can be written out as a drill file that
// instructors replay with `kubesim run`.
//
// Faults never break the cluster beyond what healing repairs: at most one
// fault touches the control-plane nodes at a time (so etcd keeps its
// quorum and an apiserver stays up), at most one worker is powered off,
// and every fault is repaired by the end of the schedule.
//
// Simplifications: the cluster's shape is fixed (three control-plane
// nodes, three workers, kube-proxy in iptables mode); the drill file
// grades only what the drill format can say (the Deployments' pods Running,
// curl and nslookup answering), the other invariants are checked by
// `kubesim chaos` itself; and the goroutine check counts every goroutine
// of the process, so it assumes nothing else in it starts one meanwhile.
package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Kind is a kind of fault the schedule draws from.
type Kind struct {
	Name string
	Help string // English
	Ko   string // Korean
}

// Kinds are the fault kinds, in the order --help lists them.
var Kinds = []Kind{
	{"control-plane", "crash and restart kube-apiserver, kube-controller-manager or kube-scheduler on a control-plane node",
		"컨트롤 플레인 노드의 kube-apiserver, kube-controller-manager, kube-scheduler를 강제 종료했다가 재시작"},
	{"etcd", "crash and restart one etcd member (never more than one at a time: the quorum holds)",
		"etcd 멤버 하나를 강제 종료했다가 재시작 (한 번에 하나만: 쿼럼 유지)"},
	{"etcd-leader", "etcdctl move-leader to a member the seed picks",
		"시드가 고른 멤버로 etcdctl move-leader"},
	{"kubelet", "crash and restart a node's kubelet", "노드의 kubelet을 강제 종료했다가 재시작"},
	{"kube-proxy", "crash and restart a node's kube-proxy", "노드의 kube-proxy를 강제 종료했다가 재시작"},
	{"cilium", "crash and restart a node's Cilium agent", "노드의 Cilium 에이전트를 강제 종료했다가 재시작"},
	{"coredns", "delete a CoreDNS pod (its Deployment replaces it)", "CoreDNS 파드 하나를 삭제 (Deployment가 대체)"},
	{"node-power", "power a node off, and on again later", "노드 전원을 껐다가 나중에 다시 켬"},
	{"partition", "cut the network between two nodes, and heal it later", "두 노드 사이의 네트워크를 끊었다가 나중에 복구"},
}

// KindNames are the fault kinds' names, in order.
func KindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = k.Name
	}
	return out
}

// ParseKinds reads --faults: a comma-separated list of kinds, or "all"
// (or "") for every kind. An unknown kind is an error naming the valid ones.
func ParseKinds(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return KindNames(), nil
	}
	valid := KindNames()
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(valid, f) {
			return nil, fmt.Errorf("unknown fault kind %q in --faults (valid kinds: %s, or all)", f, strings.Join(valid, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	// The order of the list is the order of Kinds, so that the same set
	// gives the same schedule however it was written.
	sort.Slice(out, func(i, j int) bool { return slices.Index(valid, out[i]) < slices.Index(valid, out[j]) })
	return out, nil
}

// The cluster every chaos run uses: three control-plane nodes (a
// three-member etcd) and three workers.
var (
	ControlPlanes = []string{"cp-1", "cp-2", "cp-3"}
	Workers       = []string{"worker-1", "worker-2", "worker-3"}
)

// Deployment is one Deployment of the workload, with its ClusterIP Service
// of the same name.
type Deployment struct {
	Name     string
	Replicas int
	// Port is the Service's port; TargetPort the containers'.
	Port, TargetPort int
}

// ClientPod is the pod the probes run in. It tolerates every taint, so
// that it is never evicted: the probes have one place to run from.
const ClientPod = "client"

// Warmup is the virtual time from the start of the drill to the first
// fault: the workload is applied and runs before anything breaks.
const Warmup = 2 * time.Minute

// Action is one thing the schedule does at a virtual instant.
type Action struct {
	// At counts from the drill's start.
	At time.Duration
	// Op is a drill step's action: kill, restart, stopNode, startNode,
	// partition, heal, moveLeader, delete, exec.
	Op string
	// Target is the actor, node or member; for partition and heal the
	// first end; for delete the CoreDNS pods' selector; for exec the
	// probe's command ("curl web").
	Target string
	// Peer is a partition's other end.
	Peer string
	// Kind is the fault kind this action belongs to ("" for traffic).
	Kind string
	// Heal marks a repair that the end of the schedule forced (the fault
	// was still on when the duration ran out).
	Heal bool
}

// Plan is a chaos run's workload and schedule.
type Plan struct {
	Seed     uint64
	Duration time.Duration
	Kinds    []string
	Workload []Deployment
	Actions  []Action
}

// Faults counts the actions that inject a fault (not their repairs, not
// traffic).
func (p *Plan) Faults() int {
	n := 0
	for _, a := range p.Actions {
		switch a.Op {
		case "kill", "stopNode", "partition", "moveLeader", "delete":
			n++
		}
	}
	return n
}

// Probes counts the traffic actions.
func (p *Plan) Probes() int {
	n := 0
	for _, a := range p.Actions {
		if a.Op == "exec" {
			n++
		}
	}
	return n
}

// NewPlan draws a plan from the seed: the workload, then the schedule of
// faults over duration (after the warmup) and the probes between them.
func NewPlan(seed uint64, duration time.Duration, kinds []string) (*Plan, error) {
	if duration <= 0 {
		return nil, fmt.Errorf("the duration must be more than 0, got %s", duration)
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no fault kinds: expected some of %s", strings.Join(KindNames(), ", "))
	}
	// The chaos stream is the kernel's: the same seed and name give the
	// same stream in the cluster's kernel, so drawing it here, from a
	// kernel without actors, is drawing it there.
	k := sim.New(seed, sim.WithTraceCapacity(1))
	rng := k.Rand("chaos")
	k.Shutdown()
	p := &Plan{Seed: seed, Duration: duration, Kinds: kinds}
	p.Workload = []Deployment{
		{Name: "web", Replicas: 2 + rng.IntN(3), Port: 80, TargetPort: 80},
		{Name: "api", Replicas: 2 + rng.IntN(3), Port: 80, TargetPort: 8080},
		{Name: "cache", Replicas: 1 + rng.IntN(3), Port: 6379, TargetPort: 6379},
	}
	g := &generator{rng: rng, plan: p, active: map[int]*active{}}
	g.faults()
	g.traffic()
	sort.SliceStable(p.Actions, func(i, j int) bool { return p.Actions[i].At < p.Actions[j].At })
	return p, nil
}

// active is a fault that is on: what it touches, and its repair.
type active struct {
	nodes  []string
	actor  string
	powers bool // a node powered off
	until  time.Duration
}

type generator struct {
	rng    *rand.Rand
	plan   *Plan
	active map[int]*active
	nextID int
}

// maxConcurrent bounds the faults that are on at once.
const maxConcurrent = 3

// tick rounds a drawn instant to a tenth of a second, so that the drill
// file reads well.
func tick(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

func (g *generator) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func isControlPlane(node string) bool { return slices.Contains(ControlPlanes, node) }

// expire forgets the faults repaired by t.
func (g *generator) expire(t time.Duration) {
	for id, a := range g.active {
		if a.until <= t {
			delete(g.active, id)
		}
	}
}

// allowed reports whether a fault touching nodes (and actor) may start
// now: the control-plane nodes take one fault at a time, a node one fault
// at a time, and one worker at most is powered off.
func (g *generator) allowed(nodes []string, powers bool) bool {
	if len(g.active) >= maxConcurrent {
		return false
	}
	for _, a := range g.active {
		for _, n := range nodes {
			if slices.Contains(a.nodes, n) {
				return false
			}
			if isControlPlane(n) && slices.ContainsFunc(a.nodes, isControlPlane) {
				return false
			}
		}
		if powers && a.powers {
			return false
		}
	}
	return true
}

// controlPlaneQuiet reports whether no fault touches a control-plane node:
// an etcd leader move then finds a leader to ask.
func (g *generator) controlPlaneQuiet() bool {
	for _, a := range g.active {
		if slices.ContainsFunc(a.nodes, isControlPlane) {
			return false
		}
	}
	return true
}

func (g *generator) add(a Action) { g.plan.Actions = append(g.plan.Actions, a) }

// on records a fault that lasts from start to until (clipped to the end
// of the schedule, where the repair counts as healing).
func (g *generator) on(kind string, start, length time.Duration, nodes []string, powers bool, fault, repair Action) {
	end := Warmup + g.plan.Duration
	until := tick(start + length)
	repair.Heal = until >= end
	if until > end {
		until = end
	}
	fault.At, fault.Kind = start, kind
	repair.At, repair.Kind = until, kind
	g.add(fault)
	g.add(repair)
	g.nextID++
	g.active[g.nextID] = &active{nodes: nodes, powers: powers, until: until}
}

// faults draws the fault schedule: a fault every 20 to 70 s of virtual
// time on average, each of a kind the plan allows, on a target the seed
// picks among those the rules above leave free.
func (g *generator) faults() {
	p := g.plan
	end := Warmup + p.Duration
	all := append(append([]string(nil), ControlPlanes...), Workers...)
	for t := Warmup + tick(g.between(5*time.Second, 30*time.Second)); t < end; t += tick(g.between(20*time.Second, 70*time.Second)) {
		g.expire(t)
		kind := g.pick(p.Kinds)
		// A few tries at a free target; a busy cluster skips this beat.
		for try := 0; try < 4; try++ {
			if g.try(kind, t, all) {
				break
			}
		}
	}
}

func (g *generator) try(kind string, t time.Duration, all []string) bool {
	crash := func(actor, node string, lo, hi time.Duration) bool {
		nodes := []string{node}
		if !g.allowed(nodes, false) {
			return false
		}
		g.on(kind, t, g.between(lo, hi), nodes, false,
			Action{Op: "kill", Target: actor}, Action{Op: "restart", Target: actor})
		return true
	}
	switch kind {
	case "control-plane":
		cp := g.pick(ControlPlanes)
		comp := g.pick([]string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"})
		return crash(comp+"-"+cp, cp, 5*time.Second, 90*time.Second)
	case "etcd":
		cp := g.pick(ControlPlanes)
		return crash("etcd-"+cp, cp, 5*time.Second, 90*time.Second)
	case "kubelet":
		n := g.pick(all)
		return crash("kubelet-"+n, n, 10*time.Second, 2*time.Minute)
	case "kube-proxy":
		n := g.pick(all)
		return crash("kube-proxy-"+n, n, 5*time.Second, 90*time.Second)
	case "cilium":
		n := g.pick(all)
		return crash("cilium-agent-"+n, n, 5*time.Second, 90*time.Second)
	case "etcd-leader":
		to := "etcd-" + g.pick(ControlPlanes)
		if !g.controlPlaneQuiet() {
			return false
		}
		g.add(Action{At: t, Op: "moveLeader", Target: to, Kind: kind})
		return true
	case "coredns":
		g.add(Action{At: t, Op: "delete", Target: "k8s-app=kube-dns", Kind: kind})
		return true
	case "node-power":
		n := g.pick(all)
		nodes := []string{n}
		if !g.allowed(nodes, !isControlPlane(n)) {
			return false
		}
		// Long enough, at times, for the node lifecycle controller's 50 s
		// grace period and the pods' 300 s toleration to run out.
		g.on(kind, t, g.between(20*time.Second, 7*time.Minute), nodes, !isControlPlane(n),
			Action{Op: "stopNode", Target: n}, Action{Op: "startNode", Target: n})
		return true
	case "partition":
		a := g.pick(all)
		b := g.pick(all)
		if a == b {
			return false
		}
		if b < a {
			a, b = b, a
		}
		nodes := []string{a, b}
		if !g.allowed(nodes, false) {
			return false
		}
		g.on(kind, t, g.between(10*time.Second, 2*time.Minute), nodes, false,
			Action{Op: "partition", Target: "node/" + a, Peer: "node/" + b},
			Action{Op: "heal", Target: "node/" + a, Peer: "node/" + b})
		return true
	}
	return false
}

// traffic draws the probes: from the client pod, every 15 to 45 s, a curl
// or an nslookup of one of the workload's Services.
func (g *generator) traffic() {
	p := g.plan
	end := Warmup + p.Duration
	for t := Warmup + tick(g.between(0, 15*time.Second)); t < end; t += tick(g.between(15*time.Second, 45*time.Second)) {
		d := p.Workload[g.rng.IntN(len(p.Workload))]
		cmd := fmt.Sprintf("curl %s:%d", d.Name, d.Port)
		if g.rng.IntN(3) == 0 {
			cmd = "nslookup " + d.Name
		}
		g.add(Action{At: t, Op: "exec", Target: cmd})
	}
}

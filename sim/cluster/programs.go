package cluster

import (
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/components/metricsserver"
	"github.com/kubesim/kubesim/sim"
)

// Programs links the add-on pods of kube-system to the actors that stand
// for their containers' programs. A kubelet runs a pod's containers as
// behaviours (started, ready, exited); for the add-ons the program itself
// matters — CoreDNS answers DNS, kube-proxy programs rules, Cilium's agent
// gives pods their network — so the actors follow the pods:
//
//   - CoreDNS and metrics-server: when a pod of the coredns (metrics-server) Deployment runs, an actor named
//     after the pod starts on the pod's node; it stops when the pod stops
//     running or goes away (a scaled-down Deployment, a deleted pod, a dead
//     node).
//   - kube-proxy and the Cilium agent (DaemonSets): the node's actor
//     (kube-proxy-<node>, cilium-<node>) stops when the node's DaemonSet
//     pod is deleted or its containers stop, and its next incarnation
//     starts when a new pod of the DaemonSet runs on the node — so
//     `kubectl delete pod` restarts it, and a DaemonSet whose nodeSelector
//     no longer matches a node leaves that node without it.
//   - cilium-operator (a Deployment): its actor runs on the node of the
//     running operator pod, and moves with it.
//
// Simplification (said in the README): a cluster boots its node agents
// and the operator with the nodes, before their pods exist, as kubeadm's
// and Cilium's installers would have left them running; from the first
// pod of each that runs, the actors follow the pods (and a node agent whose
// first pod is deleted before it ever ran stops with it). An actor that
// crashed while its pod stays Running is not restarted: the simulated
// kubelet does not see a program die (drills use that for "kube-proxy is
// down"). This is a simulator mechanism: in a real cluster the container
// runtime starts the program itself.
type programs struct {
	cl  *Cluster
	cfg coredns.Config
	// metrics configures the metrics-server pods' actors.
	metrics metricsserver.Config
	c       *sim.Ctx
	pods    *client.Informer
	// adopted is, per node agent actor, the UID of the pod it runs for.
	adopted map[string]api.UID
	// paused is, per actor this link stopped because its pod's containers
	// stopped (a node powered off and on, its containers restarting), the
	// UID of that pod: when the same pod runs again, so does its program.
	paused map[string]api.UID
	// booting is, per node agent actor booted with its node and not yet
	// following a running pod, the UID of the DaemonSet pod that is on its
	// way there (pulling its image, say): if that pod is deleted before it
	// runs, the agent goes with it.
	booting map[string]api.UID
}

// ProgramsActor is the actor name of the link.
const ProgramsActor = "pod-programs"

// The add-ons whose programs run as actors, by the label their pods carry.
const (
	labelK8sApp      = "k8s-app"
	appCoreDNS       = "kube-dns"
	appKubeProxy     = "kube-proxy"
	appCilium        = "cilium"
	labelOperatorApp = "io.cilium/app"
	operatorApp      = "operator"
	operatorActor    = "cilium-operator"
)

func newPrograms(cl *Cluster) func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		adm := client.New(c, AdminToken, cl.APIServers...)
		adm.UserAgent = "kubesim"
		p := &programs{cl: cl, c: c, adopted: map[string]api.UID{}, paused: map[string]api.UID{}, booting: map[string]api.UID{},
			cfg:     coredns.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "coredns"), APIServers: cl.APIServers},
			metrics: metricsserver.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "metrics-server"), APIServers: cl.APIServers}}
		p.pods = client.NewInformer(adm, "pods", "kube-system", client.ListOptions{})
		p.pods.AddHandler(client.Handler{OnDelete: p.onDelete})
		for {
			if err := p.pods.Run(); err == nil {
				break
			}
			c.Sleep(time.Second)
		}
		p.sync()
		for {
			m := c.Recv()
			if s, ok := m.Body.(startProgram); ok && m.Kind == kindStartProgram {
				if !c.Running(s.spec.Name) {
					p.start(s.spec)
				}
				continue
			}
			if p.pods.Dispatch(m) {
				p.sync()
			}
		}
	}
}

// running reports whether a pod's program runs: bound, Running, every
// container running, not being deleted.
func running(pod *api.Pod) bool {
	return pod.DeletionTimestamp == nil && pod.Status.Phase == api.PodRunning && pod.Spec.NodeName != "" && containersRunning(pod)
}

func (p *programs) sync() {
	var dns, proxies, agents, operators, metrics []*api.Pod
	for _, o := range p.pods.List() {
		pod := o.(*api.Pod)
		switch {
		case pod.Labels[labelK8sApp] == appCoreDNS:
			dns = append(dns, pod)
		case pod.Labels[labelK8sApp] == appKubeProxy:
			proxies = append(proxies, pod)
		case pod.Labels[labelK8sApp] == appCilium:
			agents = append(agents, pod)
		case pod.Labels[labelOperatorApp] == operatorApp:
			operators = append(operators, pod)
		case pod.Labels[labelK8sApp] == metricsserver.LabelValue:
			metrics = append(metrics, pod)
		}
	}
	p.syncPerPod(dns, "coredns", coredns.New(p.cfg))
	p.syncPerPod(metrics, "metrics-server", metricsserver.New(p.metrics))
	p.syncNodeAgents(proxies, p.cl.kubeProxyActor, p.cl.kubeProxyRun)
	p.syncNodeAgents(agents, p.cl.ciliumActor, p.cl.ciliumRun)
	p.syncOperator(operators)
}

// syncPerPod runs an actor named after each running pod of a Deployment
// (CoreDNS, metrics-server) on the pod's node.
func (p *programs) syncPerPod(pods []*api.Pod, component string, run func(*sim.Ctx)) {
	want := map[string]*api.Pod{}
	for _, pod := range pods {
		if running(pod) {
			want[pod.Name] = pod
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pod := want[n]
		if uid, ok := p.paused[n]; ok && uid == pod.UID && !p.c.Running(n) {
			delete(p.paused, n)
			p.start(sim.ActorSpec{Name: n, Node: pod.Spec.NodeName, Component: component, Run: run})
			continue
		}
		if p.c.Running(n) || p.c.Exists(n) {
			continue // a stopped program of a pod name is not restarted: pods get new names
		}
		if err := p.c.Spawn(sim.ActorSpec{Name: n, Node: pod.Spec.NodeName, Component: component, Run: run}); err != nil {
			p.c.Log().Warn("cannot start program " + n + ": " + err.Error())
		}
	}
	for _, pod := range pods {
		if _, ok := want[pod.Name]; !ok && p.c.Running(pod.Name) {
			p.c.Stop(pod.Name)
			if pod.DeletionTimestamp == nil {
				p.paused[pod.Name] = pod.UID
			}
		}
	}
}

// syncNodeAgents makes each node's agent follow the DaemonSet pod on it.
func (p *programs) syncNodeAgents(pods []*api.Pod, actor func(node string) string, run func(node string) sim.ActorSpec) {
	byNode := map[string]*api.Pod{} // the running pod of each node
	pending := map[string]*api.Pod{}
	var nodes []string
	for _, pod := range pods {
		n := pod.Spec.NodeName
		if n == "" {
			continue
		}
		if _, seen := byNode[n]; !seen {
			nodes = append(nodes, n)
			byNode[n] = nil
		}
		if running(pod) {
			byNode[n] = pod
		} else if pod.DeletionTimestamp == nil && pending[n] == nil {
			pending[n] = pod
		}
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		name := actor(n)
		pod := byNode[n]
		uid, adopted := p.adopted[name]
		switch {
		case pod == nil && !adopted:
			if q := pending[n]; q != nil {
				p.booting[name] = q.UID
			}
		case pod == nil:
			if adopted && p.c.Running(name) {
				p.c.Stop(name) // its pod stopped or is being deleted
				p.paused[name] = uid
			}
		case !adopted:
			// Booted with the node: from now on it follows this pod. (One
			// that crashed before stays down: the same pod still runs.)
			p.adopted[name] = pod.UID
			delete(p.booting, name)
			if !p.c.Exists(name) {
				p.start(run(n))
			}
		case uid != pod.UID:
			p.adopted[name] = pod.UID
			delete(p.paused, name)
			p.restart(run(n))
		case p.paused[name] == uid:
			// The same pod runs again (its containers restarted after the
			// node came back): so does its program.
			delete(p.paused, name)
			if !p.c.Running(name) {
				p.start(run(n))
			}
		}
	}
}

// start spawns a program's actor (the next incarnation of a stopped one).
func (p *programs) start(spec sim.ActorSpec) {
	if err := p.c.Spawn(spec); err != nil {
		p.c.Log().Warn("cannot start program " + spec.Name + ": " + err.Error())
	}
}

// restart stops a program that still runs and starts its next
// incarnation once it has stopped (Stop takes effect when this actor
// parks, so the start comes back as a message).
func (p *programs) restart(spec sim.ActorSpec) {
	if !p.c.Running(spec.Name) {
		p.start(spec)
		return
	}
	p.c.Stop(spec.Name)
	p.c.After(0, kindStartProgram, startProgram{spec: spec})
}

const kindStartProgram = "start program"

// startProgram is the message restart sends itself.
type startProgram struct{ spec sim.ActorSpec }

// Summary implements sim.Summarizer.
func (s startProgram) Summary() string { return s.spec.Name + " on " + s.spec.Node }

// syncOperator runs cilium-operator's actor on the node of its running pod.
func (p *programs) syncOperator(pods []*api.Pod) {
	var pod *api.Pod
	for _, o := range pods {
		if running(o) {
			pod = o
			break
		}
	}
	uid, adopted := p.adopted[operatorActor]
	switch {
	case pod == nil:
		if adopted && len(pods) == 0 && p.c.Running(operatorActor) {
			p.c.Stop(operatorActor) // scaled to zero or deleted
		}
	case adopted && uid == pod.UID:
	case !adopted && p.c.Running(operatorActor) && p.operatorNode() == pod.Spec.NodeName:
		p.adopted[operatorActor] = pod.UID // booted there: it follows this pod
	default:
		p.adopted[operatorActor] = pod.UID
		p.restart(p.cl.operatorRun(pod.Spec.NodeName))
	}
}

func (p *programs) operatorNode() string {
	for _, a := range p.cl.K.Actors() {
		if a.Name == operatorActor {
			return a.Node
		}
	}
	return ""
}

// onDelete stops the program of a pod that is gone.
func (p *programs) onDelete(o api.Object) {
	pod, ok := o.(*api.Pod)
	if !ok {
		return
	}
	var name string
	switch {
	case pod.Labels[labelK8sApp] == appCoreDNS, pod.Labels[labelK8sApp] == metricsserver.LabelValue:
		name = pod.Name
	case pod.Labels[labelK8sApp] == appKubeProxy:
		name = p.cl.kubeProxyActor(pod.Spec.NodeName)
	case pod.Labels[labelK8sApp] == appCilium:
		name = p.cl.ciliumActor(pod.Spec.NodeName)
	case pod.Labels[labelOperatorApp] == operatorApp:
		name = operatorActor
	default:
		// Not an add-on of this link: a static pod's mirror (etcd-cp-1,
		// say) shares its name with the control-plane program, which
		// follows the kubelet, not the mirror pod.
		return
	}
	if p.adopted[name] == "" && p.booting[name] == pod.UID {
		// The pod meant for an agent booted with its node went before it
		// ever ran (a DaemonSet that no longer wants the node): so does
		// the agent.
		delete(p.booting, name)
		p.adopted[name] = pod.UID
		if p.c.Running(name) {
			p.c.Stop(name)
		}
		return
	}
	if p.adopted[name] != "" && p.adopted[name] != pod.UID {
		return // a newer pod already took over
	}
	if p.c.Running(name) && (name == pod.Name || p.adopted[name] == pod.UID) {
		p.c.Stop(name)
	}
}

func containersRunning(pod *api.Pod) bool {
	if len(pod.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running == nil {
			return false
		}
	}
	return true
}

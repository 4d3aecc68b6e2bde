package cluster

import (
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/sim"
)

// Programs links pods to the actors that stand for their containers'
// programs. A kubelet runs a pod's containers as behaviours (started,
// ready, exited); for the CoreDNS pods the program itself matters — it
// answers DNS — so when a CoreDNS pod's containers run, an actor named
// after the pod starts on the pod's node, and it stops when the pod stops
// running or goes away (a scaled-down Deployment, a deleted pod, a dead
// node). This is a simulator mechanism: in a real cluster the container
// runtime starts the program itself.
type programs struct {
	cfg  coredns.Config
	c    *sim.Ctx
	pods *client.Informer
}

// ProgramsActor is the actor name of the link.
const ProgramsActor = "pod-programs"

func newPrograms(cl *Cluster) func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		adm := client.New(c, AdminToken, cl.APIServers...)
		adm.UserAgent = "kubesim"
		p := &programs{c: c, cfg: coredns.Config{Token: apiserver.ServiceAccountTokenFor("kube-system", "coredns"), APIServers: cl.APIServers}}
		p.pods = client.NewInformer(adm, "pods", "kube-system", client.ListOptions{LabelSelector: "k8s-app=kube-dns"})
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
			if p.pods.Dispatch(m) {
				p.sync()
			}
		}
	}
}

func (p *programs) sync() {
	want := map[string]*api.Pod{}
	for _, o := range p.pods.List() {
		pod := o.(*api.Pod)
		if pod.DeletionTimestamp == nil && pod.Status.Phase == api.PodRunning && pod.Spec.NodeName != "" && containersRunning(pod) {
			want[pod.Name] = pod
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if p.c.Running(n) {
			continue
		}
		if p.c.Exists(n) {
			continue // a stopped program of a pod name is not restarted: pods get new names
		}
		pod := want[n]
		if err := p.c.Spawn(sim.ActorSpec{Name: n, Node: pod.Spec.NodeName, Component: "coredns", Run: coredns.New(p.cfg)}); err != nil {
			p.c.Log().Warn("cannot start program " + n + ": " + err.Error())
		}
	}
	for _, o := range p.pods.List() {
		pod := o.(*api.Pod)
		if _, ok := want[pod.Name]; !ok && p.c.Running(pod.Name) {
			p.c.Stop(pod.Name)
		}
	}
}

// onDelete stops the program of a pod that is gone.
func (p *programs) onDelete(o api.Object) {
	if name := o.GetObjectMeta().Name; p.c.Running(name) {
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

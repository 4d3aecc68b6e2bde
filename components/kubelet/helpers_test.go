package kubelet

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/sim"
	"github.com/stretchr/testify/require"
)

// fakeAgent answers CNI ADD and DEL as the node's Cilium agent would,
// handing out 10.0.<n>.<i> addresses.
type fakeAgent struct {
	node   string
	prefix string
	next   int
	adds   []cni.AddRequest
	dels   []cni.DelRequest
}

func (a *fakeAgent) run(c *sim.Ctx) {
	for {
		m := c.Recv()
		switch req := m.Body.(type) {
		case cni.AddRequest:
			a.adds = append(a.adds, req)
			a.next++
			c.Reply(m, m.Kind, &cni.AddResult{IP: fmt.Sprintf("%s.%d", a.prefix, a.next), Interface: "eth0", HostVeth: "lxc0001", EndpointID: int64(a.next), Identity: 256})
		case cni.DelRequest:
			a.dels = append(a.dels, req)
			c.Reply(m, m.Kind, nil)
		}
	}
}

// controlPlane is the smallest cluster the kubelet needs: one etcd member
// and one kube-apiserver on cp-1, and kubectl. It is built here rather
// than through sim/cluster so that these tests do not depend on what else
// the cluster assembly spawns (a real Cilium agent, kubelets).
type controlPlane struct {
	K          *sim.Kernel
	APIServers []string
	Admin      *client.Client
	kubectl    *sim.External
}

const adminToken = "admin-token"

func newControlPlane(t testing.TB, seed uint64, opts ...sim.Option) *controlPlane {
	t.Helper()
	k := sim.New(seed, opts...)
	t.Cleanup(k.Shutdown)
	tokens := map[string]apiserver.UserInfo{adminToken: {Name: "kubernetes-admin", Groups: []string{apiserver.GroupKubeadmClusterAd}}}
	for _, n := range []string{"cp-1", "worker-1", "worker-2"} {
		tokens[TokenPrefix+n] = apiserver.UserInfo{Name: "system:node:" + n, Groups: []string{apiserver.GroupNodes}}
	}
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "etcd-cp-1", Node: "cp-1", Component: "etcd", Run: etcd.NewMember("etcd-cp-1", 0x8e9e05c52164694d, etcd.NewDisk()).Run}))
	require.NoError(t, k.Spawn(sim.ActorSpec{Name: "kube-apiserver-cp-1", Node: "cp-1", Component: "kube-apiserver",
		Run: apiserver.New(apiserver.Config{Etcd: []string{"etcd-cp-1"}, Tokens: tokens, Bootstrap: apiserver.DefaultBootstrap()})}))
	cp := &controlPlane{K: k, APIServers: []string{"kube-apiserver-cp-1"}, kubectl: k.External("kubectl", "")}
	cp.Admin = client.New(cp.kubectl, adminToken, cp.APIServers...)
	cp.Admin.UserAgent = "kubectl"
	sa := &api.ServiceAccount{TypeMeta: api.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "default", Namespace: "default"}}
	require.True(t, cp.WaitFor(func() bool {
		_, err := cp.Admin.Create(sa)
		return err == nil || apierrors.IsAlreadyExists(err)
	}, time.Minute), "kube-apiserver serves")
	return cp
}

// WaitFor runs the simulation in steps of 100 ms until cond holds or limit
// passes.
func (cp *controlPlane) WaitFor(cond func() bool, limit time.Duration) bool {
	deadline := cp.K.Now() + limit
	for !cond() {
		if cp.K.Now() >= deadline {
			return false
		}
		cp.K.RunFor(min(100*time.Millisecond, deadline-cp.K.Now()))
	}
	return true
}

func (cp *controlPlane) Kubectl() *sim.External { return cp.kubectl }

type env struct {
	t      testing.TB
	c      *controlPlane
	kls    map[string]*Kubelet
	agents map[string]*fakeAgent
}

type envOpts struct {
	seed       uint64
	noAgentOn  map[string]bool
	staticPods []*api.Pod
	options    []sim.Option
	// images the registry has (nil: all)
	imageExists func(string) bool
}

// newEnv boots a control plane with a kubelet on cp-1, worker-1 and
// worker-2, and a fake network agent on every node but those excluded.
func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	if o.seed == 0 {
		o.seed = 1
	}
	c := newControlPlane(t, o.seed, o.options...)
	e := &env{t: t, c: c, kls: map[string]*Kubelet{}, agents: map[string]*fakeAgent{}}
	for i, node := range []string{"cp-1", "worker-1", "worker-2"} {
		if !o.noAgentOn[node] {
			e.startAgent(node, i)
		}
		cfg := Config{Node: node, APIServers: c.APIServers, InternalIP: fmt.Sprintf("172.18.0.%d", i+2), Zone: "zone-a", ImageExists: o.imageExists}
		if node == "cp-1" {
			cfg.ControlPlane = true
			cfg.StaticPods = o.staticPods
		}
		kl := New(cfg)
		e.kls[node] = kl
		require.NoError(t, kl.Spawn(c.K))
	}
	require.True(t, c.WaitFor(func() bool {
		nodes, _, err := c.Admin.List("nodes", "", client.ListOptions{})
		return err == nil && len(nodes) == 3
	}, time.Minute), "nodes register")
	return e
}

func (e *env) startAgent(node string, i int) {
	a := &fakeAgent{node: node, prefix: fmt.Sprintf("10.0.%d", i)}
	e.agents[node] = a
	require.NoError(e.t, e.c.K.Spawn(sim.ActorSpec{Name: cni.AgentName(node), Node: node, Component: "cilium-agent", Run: a.run}))
}

// pod is a one-container pod bound to a node.
func pod(name, node, image string, mutate ...func(*api.Pod)) *api.Pod {
	p := &api.Pod{
		TypeMeta:   api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       api.PodSpec{NodeName: node, Containers: []api.Container{{Name: "main", Image: image}}},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func withBehavior(b string) func(*api.Pod) {
	return func(p *api.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[AnnotationBehavior] = b
	}
}

func withRestartPolicy(r api.RestartPolicy) func(*api.Pod) {
	return func(p *api.Pod) { p.Spec.RestartPolicy = r }
}

func (e *env) create(p *api.Pod) *api.Pod {
	e.t.Helper()
	out, err := e.c.Admin.Create(p)
	require.NoError(e.t, err)
	return out.(*api.Pod)
}

func (e *env) get(name string) *api.Pod {
	e.t.Helper()
	p, err := client.Get[*api.Pod](e.c.Admin, "default", name)
	require.NoError(e.t, err)
	return p
}

// waitPod runs the cluster until cond holds for the pod.
func (e *env) waitPod(name string, limit time.Duration, cond func(*api.Pod) bool) *api.Pod {
	e.t.Helper()
	var last *api.Pod
	ok := e.c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](e.c.Admin, "default", name)
		if err != nil {
			return false
		}
		last = p
		return cond(p)
	}, limit)
	require.True(e.t, ok, "pod %s did not reach the condition; last status: %+v", name, statusOf(last))
	return last
}

func statusOf(p *api.Pod) any {
	if p == nil {
		return nil
	}
	return p.Status
}

func running(p *api.Pod) bool { return p.Status.Phase == api.PodRunning }

func ready(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// events lists the events about an object, oldest first, as
// "Type Reason [fieldPath] Message".
func (e *env) events(ns, name string) []string {
	e.t.Helper()
	items, _, err := e.c.Admin.List("events", ns, client.ListOptions{})
	require.NoError(e.t, err)
	var evs []*api.Event
	for _, o := range items {
		ev := o.(*api.Event)
		if ev.InvolvedObject.Name == name {
			evs = append(evs, ev)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Name < evs[j].Name })
	var out []string
	for _, ev := range evs {
		s := ev.Type + " " + ev.Reason
		if ev.InvolvedObject.FieldPath != "" {
			s += " [" + ev.InvolvedObject.FieldPath + "]"
		}
		out = append(out, s+" "+ev.Message)
	}
	return out
}

func reasons(evs []string) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, strings.Fields(e)[1])
	}
	return out
}

func condition(p *api.Pod, t api.PodConditionType) api.PodCondition {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return api.PodCondition{}
}

// waitGone runs until the pod is gone and returns the last version seen and
// when it went.
func (e *env) waitGone(name string, limit time.Duration) (*api.Pod, time.Duration) {
	e.t.Helper()
	var last *api.Pod
	ok := e.c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](e.c.Admin, "default", name)
		if apierrors.IsNotFound(err) {
			return true
		}
		if err == nil {
			last = p
		}
		return false
	}, limit)
	require.True(e.t, ok, "pod %s was not deleted", name)
	return last, e.c.K.Now()
}

package controllers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is a booted cluster whose kube-controller-manager runs the given
// controllers. sim/cluster starts its own manager with the ServiceAccount
// controller; tests add managers of their own (on the same control-plane
// nodes) and the Lease decides which one runs.
type env struct {
	t testing.TB
	*cluster.Cluster
	managers []string
}

func boot(t *testing.T, cfg cluster.Config, ctrls ...func() controllers.Controller) *env {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	if cfg.Workers == nil {
		cfg.Workers = []string{}
	}
	c, err := cluster.New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	e := &env{t: t, Cluster: c}
	// Tests play the scheduler (Bind) and the kubelet themselves.
	for _, name := range c.Schedulers {
		require.NoError(t, c.K.Crash(name))
	}
	if len(ctrls) > 0 {
		// Replace the cluster's manager with one running the controllers
		// under test (the lease moves to it once the old one is gone).
		for _, name := range c.ControllerManagers {
			require.NoError(t, c.K.Crash(name))
		}
		node := "cp-1"
		if len(cfg.ControlPlanes) > 0 {
			node = cfg.ControlPlanes[0]
		}
		e.spawnManager(c.ControllerManagers[0]+"-test", node, controllers.Config{Token: cluster.ControllerToken, APIServers: c.APIServers,
			Controllers: append([]func() controllers.Controller{controllers.NewServiceAccounts}, ctrls...), DisableLeaderElection: true})
	}
	return e
}

func (e *env) spawnManager(name, node string, cfg controllers.Config) {
	e.t.Helper()
	require.NoError(e.t, e.K.Spawn(sim.ActorSpec{Name: name, Node: node, Component: "kube-controller-manager", Run: controllers.New(cfg)}))
	e.managers = append(e.managers, name)
}

// run advances virtual time.
func (e *env) run(d time.Duration) { e.K.RunFor(d) }

// waitFor runs until cond holds, failing the test after limit.
func (e *env) waitFor(what string, cond func() bool, limit time.Duration) {
	e.t.Helper()
	require.True(e.t, e.WaitFor(cond, limit), "timed out waiting for %s", what)
}

func (e *env) create(obj api.Object) api.Object {
	e.t.Helper()
	out, err := e.Admin.Create(obj)
	require.NoError(e.t, err)
	return out
}

func (e *env) list(resource, ns string) []api.Object {
	e.t.Helper()
	items, _, err := e.Admin.List(resource, ns, client.ListOptions{})
	require.NoError(e.t, err)
	return items
}

func (e *env) events(ns string) []string {
	var out []string
	for _, o := range e.list("events", ns) {
		ev := o.(*api.Event)
		out = append(out, ev.Source.Component+" "+ev.Reason+": "+ev.Message)
	}
	return out
}

func (e *env) logsContain(actor, s string) bool {
	for _, l := range e.K.Logs(actor) {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

// runPod plays the kubelet: binds a pod to a node and reports it Running
// (and Ready if ready) with an IP.
func (e *env) runPod(ns, name, node, ip string, ready bool) {
	e.t.Helper()
	o, err := e.Admin.Get("pods", ns, name)
	require.NoError(e.t, err)
	if o.(*api.Pod).Spec.NodeName == "" {
		require.NoError(e.t, e.Admin.Bind(ns, name, node))
	}
	e.setPodStatus(ns, name, func(p *api.Pod) {
		p.Status.Phase = api.PodRunning
		p.Status.PodIP = ip
		p.Status.PodIPs = []api.PodIP{{IP: ip}}
		p.Status.HostIP = "192.168.0.10"
		st := api.ConditionFalse
		if ready {
			st = api.ConditionTrue
		}
		setPodCond(p, api.PodCondition{Type: api.PodReady, Status: st, LastTransitionTime: api.NewTime(e.K.WallTime())})
	})
}

func (e *env) setPodStatus(ns, name string, fn func(*api.Pod)) {
	e.t.Helper()
	for i := 0; ; i++ {
		o, err := e.Admin.Get("pods", ns, name)
		require.NoError(e.t, err)
		p := api.DeepCopy(o.(*api.Pod))
		fn(p)
		_, err = e.Admin.UpdateStatus(p)
		if err == nil || i > 5 {
			require.NoError(e.t, err)
			return
		}
	}
}

func setPodCond(p *api.Pod, c api.PodCondition) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == c.Type {
			if p.Status.Conditions[i].Status == c.Status {
				c.LastTransitionTime = p.Status.Conditions[i].LastTransitionTime
			}
			p.Status.Conditions[i] = c
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, c)
}

// pods lists the pods of a namespace (not being deleted unless all).
func (e *env) pods(ns string, all bool) []*api.Pod {
	var out []*api.Pod
	for _, o := range e.list("pods", ns) {
		p := o.(*api.Pod)
		if all || p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func podTemplate(labels map[string]string) api.PodTemplateSpec {
	return api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: labels},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "web", Image: "nginx:1.27", Ports: []api.ContainerPort{{Name: "http", ContainerPort: 8080}}}}}}
}

func replicaSet(name string, replicas int32, labels map[string]string) *api.ReplicaSet {
	return &api.ReplicaSet{TypeMeta: api.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       api.ReplicaSetSpec{Replicas: ptr(replicas), Selector: &api.LabelSelector{MatchLabels: labels}, Template: podTemplate(labels)}}
}

// kubelet plays every node's kubelet for one pass: pods without a node
// are bound to worker-1 (the scheduler's part), pods not yet running are
// started and reported ready, and pods being deleted are removed at once.
func (e *env) kubelet(ns string) {
	e.t.Helper()
	for i, p := range e.pods(ns, true) {
		switch {
		case p.DeletionTimestamp != nil:
			_, _ = e.Admin.Delete("pods", ns, p.Name, client.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
		case p.Status.Phase != api.PodRunning:
			e.runPod(ns, p.Name, "worker-1", fmt.Sprintf("10.244.1.%d", 2+i), true)
		}
	}
}

// settle runs with the kubelet playing along until cond holds.
func (e *env) settle(ns, what string, cond func() bool, limit time.Duration) {
	e.t.Helper()
	deadline := e.K.Now() + limit
	for !cond() {
		require.Less(e.t, e.K.Now(), deadline, "timed out waiting for %s", what)
		e.kubelet(ns)
		e.run(500 * time.Millisecond)
	}
}

func clientHandler(q *controllers.Queue) client.Handler {
	return client.Handler{
		OnAdd:    func(o api.Object) { q.Add(o.GetObjectMeta().Key()) },
		OnUpdate: func(_, o api.Object) { q.Add(o.GetObjectMeta().Key()) },
	}
}

package controllers_test

import (
	"sort"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func daemonSet(name string, nodeSelector map[string]string) *api.DaemonSet {
	labels := map[string]string{"app": name}
	t := podTemplate(labels)
	t.Spec.NodeSelector = nodeSelector
	return &api.DaemonSet{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.DaemonSetSpec{Selector: &api.LabelSelector{MatchLabels: labels}, Template: t}}
}

func podsByNode(e *env) map[string][]*api.Pod {
	out := map[string][]*api.Pod{}
	for _, p := range e.pods("default", false) {
		a := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields[0]
		out[a.Values[0]] = append(out[a.Values[0]], p)
	}
	return out
}

func nodeNames(m map[string][]*api.Pod) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDaemonSetOnePodPerEligibleNode(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewDaemonSets)
	e.registerNode("worker-1", "zone-a")
	e.registerNode("worker-2", "zone-a")
	e.registerNode("worker-3", "zone-b")
	n3 := api.DeepCopy(getNode(t, e, "worker-3"))
	n3.Spec.Taints = []api.Taint{{Key: "dedicated", Value: "gpu", Effect: api.TaintEffectNoSchedule}}
	_, err := e.Admin.Update(n3)
	require.NoError(t, err)
	ds := e.create(daemonSet("agent", nil)).(*api.DaemonSet)
	e.run(2 * time.Second)

	got := podsByNode(e)
	assert.Equal(t, []string{"worker-1", "worker-2"}, nodeNames(got), "not cp-1 (control-plane NoSchedule) nor worker-3 (untolerated taint)")
	p := got["worker-1"][0]
	assert.Equal(t, ds.UID, p.ControllerRef().UID)
	assert.Empty(t, p.Spec.NodeName, "the scheduler binds it")
	assert.Equal(t, api.NodeSelectorRequirement{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{"worker-1"}},
		p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields[0])
	var tols []string
	for _, tol := range p.Spec.Tolerations {
		secs := ""
		if tol.TolerationSeconds != nil {
			secs = "for a while"
		}
		tols = append(tols, tol.Key+":"+string(tol.Effect)+secs)
	}
	assert.Equal(t, []string{"node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute",
		"node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
		"node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"}, tols,
		"the daemon tolerations, without tolerationSeconds (admission leaves them alone)")
	assert.NotEmpty(t, p.Labels["controller-revision-hash"])
	assert.Contains(t, e.events("default"), "daemonset-controller SuccessfulCreate: Created pod: "+p.Name)

	for n, ps := range got {
		e.runPod("default", ps[0].Name, n, "10.244.9."+n[len(n)-1:], true)
	}
	e.run(2 * time.Second)
	o, _ := e.Admin.Get("daemonsets", "default", "agent")
	st := o.(*api.DaemonSet).Status
	assert.Equal(t, api.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2, UpdatedNumberScheduled: 2, ObservedGeneration: 1}, st)
}

func TestDaemonSetNodeSelectorAndMisscheduled(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewDaemonSets)
	e.registerNode("worker-1", "zone-a")
	e.registerNode("worker-2", "zone-a")
	n := api.DeepCopy(getNode(t, e, "worker-1"))
	n.Labels["disk"] = "ssd"
	_, err := e.Admin.Update(n)
	require.NoError(t, err)
	e.create(daemonSet("ssd-agent", map[string]string{"disk": "ssd"}))
	e.run(2 * time.Second)
	assert.Equal(t, []string{"worker-1"}, nodeNames(podsByNode(e)))

	// The label moves: the pod follows.
	n = api.DeepCopy(getNode(t, e, "worker-1"))
	delete(n.Labels, "disk")
	_, err = e.Admin.Update(n)
	require.NoError(t, err)
	n2 := api.DeepCopy(getNode(t, e, "worker-2"))
	n2.Labels["disk"] = "ssd"
	_, err = e.Admin.Update(n2)
	require.NoError(t, err)
	e.run(2 * time.Second)
	assert.Equal(t, []string{"worker-2"}, nodeNames(podsByNode(e)))
}

func TestDaemonSetRollingUpdateOneAtATime(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewDaemonSets)
	for _, n := range []string{"worker-1", "worker-2", "worker-3"} {
		e.registerNode(n, "zone-a")
	}
	e.create(daemonSet("agent", nil))
	run := func() {
		for n, ps := range podsByNode(e) {
			for _, p := range ps {
				if p.Status.Phase != api.PodRunning {
					e.runPod("default", p.Name, n, "10.244.9."+n[len(n)-1:], true)
				}
			}
		}
	}
	e.run(2 * time.Second)
	run()
	e.run(2 * time.Second)
	o, _ := e.Admin.Get("daemonsets", "default", "agent")
	ds := api.DeepCopy(o.(*api.DaemonSet))
	ds.Spec.Template.Spec.Containers[0].Image = "agent:2"
	_, err := e.Admin.Update(ds)
	require.NoError(t, err)
	e.run(2 * time.Second)
	terminating := 0
	for _, p := range e.pods("default", true) {
		if p.DeletionTimestamp != nil {
			terminating++
		}
	}
	assert.Equal(t, 1, terminating, "maxUnavailable 1: one old pod at a time")
}

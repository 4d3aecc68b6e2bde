package cluster

import (
	"github.com/kubesim/kubesim/components/api"
)

// Settled reports whether the cluster has come to rest after its boot:
// every node registered and Ready, every Deployment and DaemonSet in
// kube-system has all its replicas ready, every kube-system pod is
// Running, and the actors of the add-ons' programs (CoreDNS, kube-proxy,
// the Cilium agents, the cilium-operator) run on their pods' nodes. It reads etcd's data and the
// kernel out of band, so waiting for it changes nothing in the run.
func (c *Cluster) Settled() bool {
	nodes, err := c.StoredObjects("nodes", "", "")
	if err != nil || len(nodes) != len(c.cfg.ControlPlanes)+len(c.cfg.Workers) {
		return false
	}
	for _, o := range nodes {
		if !nodeReady(o.(*api.Node)) {
			return false
		}
	}
	deps, err := c.StoredObjects("deployments", "kube-system", "")
	if err != nil {
		return false
	}
	for _, o := range deps {
		d := o.(*api.Deployment)
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.ObservedGeneration < d.Generation || d.Status.ReadyReplicas != want || d.Status.Replicas != want {
			return false
		}
	}
	dss, err := c.StoredObjects("daemonsets", "kube-system", "")
	if err != nil {
		return false
	}
	for _, o := range dss {
		ds := o.(*api.DaemonSet)
		if ds.Status.ObservedGeneration < ds.Generation || ds.Status.DesiredNumberScheduled == 0 || ds.Status.NumberReady != ds.Status.DesiredNumberScheduled {
			return false
		}
	}
	pods, err := c.StoredObjects("pods", "kube-system", "")
	if err != nil {
		return false
	}
	for _, o := range pods {
		p := o.(*api.Pod)
		if p.DeletionTimestamp != nil || p.Status.Phase != api.PodRunning || !containersRunning(p) {
			return false
		}
		if actor := c.programOf(p); actor != "" && !c.runsOn(actor, p.Spec.NodeName) {
			return false
		}
	}
	return true
}

// programOf names the actor that runs a kube-system pod's program (see
// programs), "" for a pod without one.
func (c *Cluster) programOf(p *api.Pod) string {
	switch {
	case p.Labels[labelK8sApp] == appCoreDNS:
		return p.Name
	case p.Labels[labelK8sApp] == appKubeProxy:
		return c.kubeProxyActor(p.Spec.NodeName)
	case p.Labels[labelK8sApp] == appCilium:
		return c.ciliumActor(p.Spec.NodeName)
	case p.Labels[labelOperatorApp] == operatorApp:
		return operatorActor
	}
	return ""
}

// runsOn reports whether the actor is running on the node.
func (c *Cluster) runsOn(actor, node string) bool {
	if !c.K.Running(actor) {
		return false
	}
	for _, a := range c.K.Actors() {
		if a.Name == actor {
			return a.Node == node
		}
	}
	return false
}

func nodeReady(n *api.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == api.NodeReady {
			return cond.Status == api.ConditionTrue
		}
	}
	return false
}

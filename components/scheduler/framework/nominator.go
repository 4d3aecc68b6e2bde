package framework

import (
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// Nominator remembers the pods that preemption nominated to a node
// (status.nominatedNodeName) while they wait for their victims to go, as
// the real scheduling queue's nominator does. Filtering any other pod of
// equal or lower priority on that node counts the nominated pods as if
// they already ran there (Framework.RunFilterPluginsWithNominatedPods), so
// that the room preemption made is not taken by someone else.
//
// The actor keeps it up to date from the pod watch and from its own
// nominations. A Nominator is used from one goroutine.
type Nominator struct {
	byNode map[string][]*PodInfo
	nodeOf map[string]string
}

// NewNominator returns an empty nominator.
func NewNominator() *Nominator {
	return &Nominator{byNode: map[string][]*PodInfo{}, nodeOf: map[string]string{}}
}

// AddNominatedPod records pod as nominated to nodeName, replacing an
// earlier nomination; an empty nodeName removes it.
func (n *Nominator) AddNominatedPod(pod *api.Pod, nodeName string) {
	n.DeleteNominatedPodIfExists(pod)
	if nodeName == "" || pod.Spec.NodeName != "" {
		return
	}
	key := PodKey(pod)
	n.nodeOf[key] = nodeName
	n.byNode[nodeName] = append(n.byNode[nodeName], NewPodInfo(pod))
}

// DeleteNominatedPodIfExists forgets pod's nomination.
func (n *Nominator) DeleteNominatedPodIfExists(pod *api.Pod) {
	key := PodKey(pod)
	node, ok := n.nodeOf[key]
	if !ok {
		return
	}
	delete(n.nodeOf, key)
	list := slices.DeleteFunc(n.byNode[node], func(pi *PodInfo) bool { return PodKey(pi.Pod) == key })
	if len(list) == 0 {
		delete(n.byNode, node)
		return
	}
	n.byNode[node] = list
}

// NominatedNodeName is the node pod is nominated to, or "".
func (n *Nominator) NominatedNodeName(pod *api.Pod) string { return n.nodeOf[PodKey(pod)] }

// NominatedPodsForNode returns the pods nominated to nodeName, in the
// order they were nominated. The slice must not be modified.
func (n *Nominator) NominatedPodsForNode(nodeName string) []*PodInfo {
	if n == nil {
		return nil
	}
	return n.byNode[nodeName]
}

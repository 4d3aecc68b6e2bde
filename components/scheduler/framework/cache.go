package framework

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// Cache is the scheduler's own record of the cluster: nodes, the pods bound
// to them, and the pods it has assumed but whose binding is not yet
// confirmed. The actor around the scheduler feeds it from watches
// (AddNode, UpdatePod, ...) and tells it about its own decisions
// (AssumePod after choosing a node, ForgetPod if the bind fails).
//
// Assumed pods are what lets the scheduler move on to the next pod before
// the apiserver has confirmed a binding: the assumed pod already counts
// against its node's resources, so the next cycle does not place a second
// pod in the same space. When the watch later delivers the bound pod,
// AddPod turns the assumed entry into a confirmed one (moving it if the pod
// landed elsewhere). Assumed pods never expire here, as with the real
// scheduler's default (a zero assumed-pod TTL): they wait for the watch or
// for ForgetPod.
//
// NodeInfos are kept in a list ordered by last change, with a generation
// number each, so that UpdateSnapshot copies only what changed since the
// last cycle: with 5,000 nodes and one assumed pod per cycle, a cycle
// copies one NodeInfo, not 5,000.
//
// A Cache is used from one goroutine (the scheduler actor); it has no lock.
type Cache struct {
	nodes    map[string]*nodeInfoListItem
	headNode *nodeInfoListItem
	nodeTree *nodeTree
	// treeChanged records that the nodeTree order changed (a node added,
	// removed or moved between zones) since the last UpdateSnapshot.
	treeChanged bool

	podStates   map[string]*podState
	assumedPods map[string]bool

	namespaces   map[string]map[string]string
	namespaceGen int64

	generation int64
}

type nodeInfoListItem struct {
	info       *NodeInfo
	next, prev *nodeInfoListItem
}

type podState struct {
	pod *api.Pod
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		nodes:       map[string]*nodeInfoListItem{},
		nodeTree:    newNodeTree(),
		podStates:   map[string]*podState{},
		assumedPods: map[string]bool{},
		namespaces:  map[string]map[string]string{},
	}
}

func (c *Cache) nextGeneration() int64 {
	c.generation++
	return c.generation
}

// touch bumps a node's generation and moves it to the head of the list.
func (c *Cache) touch(item *nodeInfoListItem) {
	item.info.Generation = c.nextGeneration()
	if c.headNode == item {
		return
	}
	if item.prev != nil {
		item.prev.next = item.next
	}
	if item.next != nil {
		item.next.prev = item.prev
	}
	item.prev = nil
	item.next = c.headNode
	if c.headNode != nil {
		c.headNode.prev = item
	}
	c.headNode = item
}

func (c *Cache) unlink(name string) {
	item, ok := c.nodes[name]
	if !ok {
		return
	}
	if item.prev != nil {
		item.prev.next = item.next
	}
	if item.next != nil {
		item.next.prev = item.prev
	}
	if c.headNode == item {
		c.headNode = item.next
	}
	delete(c.nodes, name)
}

func (c *Cache) item(name string) *nodeInfoListItem {
	item, ok := c.nodes[name]
	if !ok {
		item = &nodeInfoListItem{info: &NodeInfo{}}
		c.nodes[name] = item
	}
	return item
}

// AddNode adds a node, or updates it if the cache already knows it.
func (c *Cache) AddNode(node *api.Node) {
	item := c.item(node.Name)
	if old := item.info.Node(); old != nil {
		c.updateTree(old, node)
	} else {
		c.nodeTree.addNode(node)
		c.treeChanged = true
	}
	item.info.SetNode(node)
	c.touch(item)
}

// UpdateNode replaces a node object.
func (c *Cache) UpdateNode(oldNode, newNode *api.Node) {
	item := c.item(newNode.Name)
	if cur := item.info.Node(); cur != nil {
		c.updateTree(cur, newNode)
	} else {
		c.nodeTree.addNode(newNode)
		c.treeChanged = true
	}
	item.info.SetNode(newNode)
	c.touch(item)
}

func (c *Cache) updateTree(oldNode, newNode *api.Node) {
	if zoneKey(oldNode) != zoneKey(newNode) {
		c.nodeTree.updateNode(oldNode, newNode)
		c.treeChanged = true
	}
}

// RemoveNode removes a node. Its NodeInfo stays (without a node) while pods
// are still recorded on it, because pod deletions arrive on another watch
// and may come later.
func (c *Cache) RemoveNode(node *api.Node) error {
	item, ok := c.nodes[node.Name]
	if !ok || item.info.Node() == nil {
		return fmt.Errorf("node %v is not found", node.Name)
	}
	c.nodeTree.removeNode(item.info.Node())
	c.treeChanged = true
	item.info.node = nil
	item.info.Allocatable = Resource{}
	if len(item.info.Pods) == 0 {
		c.unlink(node.Name)
		return nil
	}
	c.touch(item)
	return nil
}

// AssumePod records a pod the scheduler has just placed (spec.nodeName set
// to the chosen node) before the binding is confirmed.
func (c *Cache) AssumePod(pod *api.Pod) error {
	key := PodKey(pod)
	if _, ok := c.podStates[key]; ok {
		return fmt.Errorf("pod %v(%v) is in the cache, so can't be assumed", key, pod.Namespace+"/"+pod.Name)
	}
	if pod.Spec.NodeName == "" {
		return fmt.Errorf("pod %v(%v) has no spec.nodeName, so can't be assumed", key, pod.Namespace+"/"+pod.Name)
	}
	c.addPod(pod, true)
	return nil
}

// ForgetPod drops an assumed pod, typically because its binding failed.
func (c *Cache) ForgetPod(pod *api.Pod) error {
	key := PodKey(pod)
	st, ok := c.podStates[key]
	if ok && st.pod.Spec.NodeName != pod.Spec.NodeName {
		return fmt.Errorf("pod %v(%v) was assumed on %v but assigned to %v", key, pod.Namespace+"/"+pod.Name, pod.Spec.NodeName, st.pod.Spec.NodeName)
	}
	if !ok || !c.assumedPods[key] {
		return fmt.Errorf("pod %v(%v) wasn't assumed so cannot be forgotten", key, pod.Namespace+"/"+pod.Name)
	}
	return c.removePod(st.pod)
}

// IsAssumedPod reports whether the pod is assumed and not yet confirmed.
func (c *Cache) IsAssumedPod(pod *api.Pod) bool { return c.assumedPods[PodKey(pod)] }

// AddPod records a pod bound to a node, as seen on the watch. An assumed
// pod becomes confirmed (and moves if it landed on another node).
func (c *Cache) AddPod(pod *api.Pod) error {
	key := PodKey(pod)
	st, ok := c.podStates[key]
	switch {
	case ok && c.assumedPods[key]:
		if err := c.removePod(st.pod); err != nil {
			return err
		}
		c.addPod(pod, false)
	case !ok:
		c.addPod(pod, false)
	default:
		return fmt.Errorf("pod %v(%v) was already in added state", key, pod.Namespace+"/"+pod.Name)
	}
	return nil
}

// UpdatePod replaces a bound pod.
func (c *Cache) UpdatePod(oldPod, newPod *api.Pod) error {
	key := PodKey(oldPod)
	st, ok := c.podStates[key]
	if !ok {
		return fmt.Errorf("pod %v(%v) is not added to scheduler cache, so cannot be updated", key, oldPod.Namespace+"/"+oldPod.Name)
	}
	if c.assumedPods[key] {
		return fmt.Errorf("assumed pod %v(%v) should not be updated", key, oldPod.Namespace+"/"+oldPod.Name)
	}
	if st.pod.Spec.NodeName != newPod.Spec.NodeName {
		return fmt.Errorf("pod %v(%v) updated on a different node than previously added to", key, oldPod.Namespace+"/"+oldPod.Name)
	}
	if err := c.removePod(st.pod); err != nil {
		return err
	}
	c.addPod(newPod, false)
	return nil
}

// RemovePod removes a bound (or assumed) pod.
func (c *Cache) RemovePod(pod *api.Pod) error {
	key := PodKey(pod)
	st, ok := c.podStates[key]
	if !ok {
		return fmt.Errorf("pod %v(%v) is not found in scheduler cache, so cannot be removed from it", key, pod.Namespace+"/"+pod.Name)
	}
	return c.removePod(st.pod)
}

func (c *Cache) addPod(pod *api.Pod, assumed bool) {
	key := PodKey(pod)
	item := c.item(pod.Spec.NodeName)
	item.info.AddPodInfo(NewPodInfo(pod))
	c.touch(item)
	c.podStates[key] = &podState{pod: pod}
	if assumed {
		c.assumedPods[key] = true
	}
	if _, ok := c.namespaces[pod.Namespace]; !ok {
		c.namespaces[pod.Namespace] = map[string]string{api.LabelMetadataName: pod.Namespace}
		c.namespaceGen++
	}
}

func (c *Cache) removePod(pod *api.Pod) error {
	key := PodKey(pod)
	item, ok := c.nodes[pod.Spec.NodeName]
	if !ok {
		return fmt.Errorf("node %v of pod %v(%v) is not found", pod.Spec.NodeName, key, pod.Namespace+"/"+pod.Name)
	}
	if err := item.info.RemovePod(pod); err != nil {
		return err
	}
	if len(item.info.Pods) == 0 && item.info.Node() == nil {
		c.unlink(pod.Spec.NodeName)
	} else {
		c.touch(item)
	}
	delete(c.podStates, key)
	delete(c.assumedPods, key)
	return nil
}

// GetPod returns the cached version of a pod.
func (c *Cache) GetPod(pod *api.Pod) (*api.Pod, error) {
	st, ok := c.podStates[PodKey(pod)]
	if !ok {
		return nil, fmt.Errorf("pod %v(%v) does not exist in scheduler cache", PodKey(pod), pod.Namespace+"/"+pod.Name)
	}
	return st.pod, nil
}

// AddNamespace records a namespace's labels, for namespaceSelectors in pod
// affinity terms. UpdateNamespace is the same call.
func (c *Cache) AddNamespace(ns *api.Namespace) {
	labels := maps.Clone(ns.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	if _, ok := labels[api.LabelMetadataName]; !ok {
		labels[api.LabelMetadataName] = ns.Name
	}
	c.namespaces[ns.Name] = labels
	c.namespaceGen++
}

// UpdateNamespace replaces a namespace's labels.
func (c *Cache) UpdateNamespace(ns *api.Namespace) { c.AddNamespace(ns) }

// RemoveNamespace forgets a namespace.
func (c *Cache) RemoveNamespace(ns *api.Namespace) {
	delete(c.namespaces, ns.Name)
	c.namespaceGen++
}

// NodeCount is the number of nodes.
func (c *Cache) NodeCount() int { return c.nodeTree.numNodes }

// PodCount is the number of pods, assumed ones included.
func (c *Cache) PodCount() int { return len(c.podStates) }

// AssumedPodCount is the number of assumed, unconfirmed pods.
func (c *Cache) AssumedPodCount() int { return len(c.assumedPods) }

// UpdateSnapshot brings s up to date with the cache, copying only the
// NodeInfos changed since s was last updated and rebuilding the node lists
// only when nodes came or went (or pods with affinity did).
func (c *Cache) UpdateSnapshot(s *Snapshot) {
	snapGen := s.generation
	updateAll := c.treeChanged
	updateAffinity := false
	for item := c.headNode; item != nil && item.info.Generation > snapGen; item = item.next {
		node := item.info.Node()
		if node == nil {
			continue
		}
		existing, ok := s.nodeInfoMap[node.Name]
		if !ok {
			updateAll = true
			existing = &NodeInfo{}
			s.nodeInfoMap[node.Name] = existing
		}
		clone := item.info.Snapshot()
		if (len(existing.PodsWithAffinity) > 0) != (len(clone.PodsWithAffinity) > 0) ||
			(len(existing.PodsWithRequiredAntiAffinity) > 0) != (len(clone.PodsWithRequiredAntiAffinity) > 0) {
			updateAffinity = true
		}
		// Keep the pointer: it is what the snapshot's lists hold.
		*existing = *clone
	}
	if c.headNode != nil {
		s.generation = c.headNode.info.Generation
	}
	if len(s.nodeInfoMap) > c.nodeTree.numNodes {
		for name := range s.nodeInfoMap {
			if item, ok := c.nodes[name]; !ok || item.info.Node() == nil {
				delete(s.nodeInfoMap, name)
			}
		}
		updateAll = true
	}
	if updateAll || updateAffinity {
		c.updateSnapshotLists(s, updateAll)
	}
	c.treeChanged = false
	if s.namespaceGen != c.namespaceGen {
		s.namespaceLabels = maps.Clone(c.namespaces)
		s.namespaceGen = c.namespaceGen
	}
}

func (c *Cache) updateSnapshotLists(s *Snapshot, updateAll bool) {
	if updateAll {
		s.nodeInfoList = s.nodeInfoList[:0]
		for _, name := range c.nodeTree.list() {
			if ni := s.nodeInfoMap[name]; ni != nil {
				s.nodeInfoList = append(s.nodeInfoList, ni)
			}
		}
	}
	s.havePodsWithAffinityList = s.havePodsWithAffinityList[:0]
	s.havePodsWithRequiredAntiAffinityList = s.havePodsWithRequiredAntiAffinityList[:0]
	for _, ni := range s.nodeInfoList {
		if len(ni.PodsWithAffinity) > 0 {
			s.havePodsWithAffinityList = append(s.havePodsWithAffinityList, ni)
		}
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			s.havePodsWithRequiredAntiAffinityList = append(s.havePodsWithRequiredAntiAffinityList, ni)
		}
	}
}

// Lines describes the cache for a debugger, one line per node in name
// order — its pods (assumed ones marked) and requested CPU and memory
// against allocatable — so two moments can be compared line by line.
func (c *Cache) Lines() []string {
	names := make([]string, 0, len(c.nodes))
	for n := range c.nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		info := c.nodes[n].info
		pods := make([]string, 0, len(info.Pods))
		for _, p := range info.Pods {
			name := p.Pod.Namespace + "/" + p.Pod.Name
			if c.assumedPods[PodKey(p.Pod)] {
				name += " (assumed)"
			}
			pods = append(pods, name)
		}
		sort.Strings(pods)
		line := fmt.Sprintf("node %s: cpu %dm/%dm, memory %s/%s, %d pod(s)", n, info.Requested.MilliCPU, info.Allocatable.MilliCPU,
			api.NewQuantity(info.Requested.Memory, api.BinarySI).String(), api.NewQuantity(info.Allocatable.Memory, api.BinarySI).String(), len(pods))
		if len(pods) > 0 {
			line += ": " + strings.Join(pods, ", ")
		}
		out = append(out, line)
	}
	return out
}

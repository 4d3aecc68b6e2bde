package framework

import (
	"fmt"
	"maps"
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// Snapshot is the immutable view of the cluster that one scheduling cycle
// works on: NodeInfos copied from the Cache at the start of the cycle, in
// nodeTree order. A Scheduler keeps one Snapshot and lets the Cache bring
// it up to date incrementally before every cycle (Cache.UpdateSnapshot):
// only the NodeInfos whose generation moved are copied again.
type Snapshot struct {
	nodeInfoMap                          map[string]*NodeInfo
	nodeInfoList                         []*NodeInfo
	havePodsWithAffinityList             []*NodeInfo
	havePodsWithRequiredAntiAffinityList []*NodeInfo
	namespaceLabels                      map[string]map[string]string
	namespaceGen                         int64
	generation                           int64
}

var _ SharedLister = (*Snapshot)(nil)

// NewEmptySnapshot returns a snapshot with no nodes.
func NewEmptySnapshot() *Snapshot {
	return &Snapshot{nodeInfoMap: map[string]*NodeInfo{}, namespaceLabels: map[string]map[string]string{}}
}

// NewSnapshot builds a standalone snapshot from objects, for tests and for
// running plugins outside a Scheduler. Pods are placed by spec.nodeName;
// node order is the nodeTree order a Cache would give.
func NewSnapshot(pods []*api.Pod, nodes []*api.Node) *Snapshot {
	c := NewCache()
	for _, n := range nodes {
		c.AddNode(n)
	}
	for _, p := range pods {
		_ = c.AddPod(p)
	}
	s := NewEmptySnapshot()
	c.UpdateSnapshot(s)
	return s
}

// List returns the nodes in snapshot order.
func (s *Snapshot) List() []*NodeInfo { return s.nodeInfoList }

// HavePodsWithAffinityList returns the nodes running pods with pod
// (anti-)affinity.
func (s *Snapshot) HavePodsWithAffinityList() []*NodeInfo { return s.havePodsWithAffinityList }

// HavePodsWithRequiredAntiAffinityList returns the nodes running pods with
// required pod anti-affinity.
func (s *Snapshot) HavePodsWithRequiredAntiAffinityList() []*NodeInfo {
	return s.havePodsWithRequiredAntiAffinityList
}

// Get returns a node's NodeInfo.
func (s *Snapshot) Get(nodeName string) (*NodeInfo, error) {
	if ni, ok := s.nodeInfoMap[nodeName]; ok && ni.Node() != nil {
		return ni, nil
	}
	return nil, fmt.Errorf("nodeinfo not found for node name %q", nodeName)
}

// NumNodes is the number of nodes.
func (s *Snapshot) NumNodes() int { return len(s.nodeInfoList) }

// NamespaceLabels returns a namespace's labels; an unknown namespace has
// the label the apiserver always sets, kubernetes.io/metadata.name.
func (s *Snapshot) NamespaceLabels(namespace string) map[string]string {
	if l, ok := s.namespaceLabels[namespace]; ok {
		return l
	}
	return map[string]string{api.LabelMetadataName: namespace}
}

// Namespaces returns the known namespaces, sorted.
func (s *Snapshot) Namespaces() []string { return slices.Sorted(maps.Keys(s.namespaceLabels)) }

package framework

import (
	"slices"

	"github.com/kubesim/kubesim/components/api"
)

// nodeTree orders nodes the way the real scheduler's nodeTree does: nodes
// are grouped by zone (region + zone labels), zones in the order they were
// first seen, and list() takes one node from each zone in turn. A search
// that stops early (percentageOfNodesToScore) therefore still looks at
// every zone instead of exhausting the first one.
type nodeTree struct {
	zones    []string            // zone keys, in order of first appearance
	tree     map[string][]string // zone key -> node names, in insertion order
	numNodes int
}

func newNodeTree() *nodeTree { return &nodeTree{tree: map[string][]string{}} }

// zoneKey mirrors utilnode.GetZoneKey: "region:\x00:zone", or "" when the
// node has neither label.
func zoneKey(node *api.Node) string {
	region := node.Labels[api.LabelTopologyRegion]
	zone := node.Labels[api.LabelTopologyZone]
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

func (t *nodeTree) addNode(node *api.Node) {
	z := zoneKey(node)
	names, ok := t.tree[z]
	if ok && slices.Contains(names, node.Name) {
		return
	}
	if !ok {
		t.zones = append(t.zones, z)
	}
	t.tree[z] = append(names, node.Name)
	t.numNodes++
}

func (t *nodeTree) removeNode(node *api.Node) {
	z := zoneKey(node)
	names := t.tree[z]
	i := slices.Index(names, node.Name)
	if i < 0 {
		return
	}
	names = slices.Delete(names, i, i+1)
	if len(names) == 0 {
		delete(t.tree, z)
		t.zones = slices.DeleteFunc(t.zones, func(s string) bool { return s == z })
	} else {
		t.tree[z] = names
	}
	t.numNodes--
}

func (t *nodeTree) updateNode(oldNode, newNode *api.Node) {
	if zoneKey(oldNode) == zoneKey(newNode) {
		return
	}
	t.removeNode(oldNode)
	t.addNode(newNode)
}

// list returns node names zone-interleaved: the first node of each zone,
// then the second of each, and so on.
func (t *nodeTree) list() []string {
	out := make([]string, 0, t.numNodes)
	for round := 0; len(out) < t.numNodes; round++ {
		for _, z := range t.zones {
			if names := t.tree[z]; round < len(names) {
				out = append(out, names[round])
			}
		}
	}
	return out
}

package mvcc

// rangeTree indexes the range watchers so that a write visits only the
// watchers whose range holds its key. It is an interval tree (as etcd's
// adt.IntervalTree) built on a treap: nodes are ordered by (start key,
// watch ID), heap-ordered by a priority derived from the watch ID (so the
// shape is deterministic), and each node knows the largest end in its
// subtree. A stabbing query then skips every subtree that ends at or before
// the key, and every right subtree that starts after it: O(log n + hits).
type rangeTree struct {
	root *rangeNode
	n    int
}

type rangeNode struct {
	w           *watcher
	prio        uint64
	left, right *rangeNode
	// maxEnd is the largest range end in the subtree; maxInf says one of
	// them is unbounded ("\x00").
	maxEnd string
	maxInf bool
}

// splitmix64 turns a watch ID into a well-spread treap priority.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func nodeLess(a, b *watcher) bool {
	return a.key < b.key || (a.key == b.key && a.id < b.id)
}

// fix recomputes n's subtree maximum end from its children.
func (n *rangeNode) fix() {
	n.maxInf = n.w.end == allKeys
	n.maxEnd = n.w.end
	for _, c := range [2]*rangeNode{n.left, n.right} {
		if c == nil {
			continue
		}
		if c.maxInf {
			n.maxInf = true
		} else if c.maxEnd > n.maxEnd {
			n.maxEnd = c.maxEnd
		}
	}
}

// endsAfter reports whether some range in the subtree ends after k.
func (n *rangeNode) endsAfter(k string) bool {
	return n.maxInf || n.maxEnd > k
}

func (t *rangeTree) insert(w *watcher) {
	t.root = insertNode(t.root, &rangeNode{w: w, prio: splitmix64(uint64(w.id))})
	t.n++
}

func insertNode(n, x *rangeNode) *rangeNode {
	if n == nil {
		x.fix()
		return x
	}
	if nodeLess(x.w, n.w) {
		n.left = insertNode(n.left, x)
		if n.left.prio > n.prio {
			return rotateRight(n)
		}
	} else {
		n.right = insertNode(n.right, x)
		if n.right.prio > n.prio {
			return rotateLeft(n)
		}
	}
	n.fix()
	return n
}

func rotateRight(n *rangeNode) *rangeNode {
	l := n.left
	n.left = l.right
	n.fix()
	l.right = n
	l.fix()
	return l
}

func rotateLeft(n *rangeNode) *rangeNode {
	r := n.right
	n.right = r.left
	n.fix()
	r.left = n
	r.fix()
	return r
}

func (t *rangeTree) remove(w *watcher) {
	var found bool
	t.root, found = removeNode(t.root, w)
	if found {
		t.n--
	}
}

func removeNode(n *rangeNode, w *watcher) (*rangeNode, bool) {
	if n == nil {
		return nil, false
	}
	var found bool
	switch {
	case n.w == w:
		return merge(n.left, n.right), true
	case nodeLess(w, n.w):
		n.left, found = removeNode(n.left, w)
	default:
		n.right, found = removeNode(n.right, w)
	}
	n.fix()
	return n, found
}

// merge joins two treaps where every node of a sorts before every node of b.
func merge(a, b *rangeNode) *rangeNode {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if a.prio > b.prio {
		a.right = merge(a.right, b)
		a.fix()
		return a
	}
	b.left = merge(a, b.left)
	b.fix()
	return b
}

// stab appends to out every watcher whose range holds k, in (start, ID)
// order.
func (t *rangeTree) stab(k string, out []*watcher) []*watcher {
	return stabNode(t.root, k, out)
}

func stabNode(n *rangeNode, k string, out []*watcher) []*watcher {
	for n != nil && n.endsAfter(k) {
		out = stabNode(n.left, k, out)
		if n.w.key > k {
			break // this node and its right subtree start after k
		}
		if n.w.contains(k) {
			out = append(out, n.w)
		}
		n = n.right
	}
	return out
}

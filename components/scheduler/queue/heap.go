package queue

// podHeap is a binary heap of QueuedPodInfos keyed by pod key, so that a
// pod can be found, updated or removed in O(log n).
type podHeap struct {
	items []*QueuedPodInfo
	index map[string]int
	less  func(a, b *QueuedPodInfo) bool
}

func newPodHeap(less func(a, b *QueuedPodInfo) bool) *podHeap {
	return &podHeap{index: map[string]int{}, less: less}
}

func (h *podHeap) Len() int { return len(h.items) }

func (h *podHeap) Get(key string) (*QueuedPodInfo, bool) {
	i, ok := h.index[key]
	if !ok {
		return nil, false
	}
	return h.items[i], true
}

func (h *podHeap) Has(key string) bool { _, ok := h.index[key]; return ok }

// AddOrUpdate inserts p or, if its key is present, replaces it and
// restores the heap order.
func (h *podHeap) AddOrUpdate(p *QueuedPodInfo) {
	if i, ok := h.index[p.key]; ok {
		h.items[i] = p
		h.fix(i)
		return
	}
	h.items = append(h.items, p)
	h.index[p.key] = len(h.items) - 1
	h.up(len(h.items) - 1)
}

func (h *podHeap) Delete(key string) (*QueuedPodInfo, bool) {
	i, ok := h.index[key]
	if !ok {
		return nil, false
	}
	p := h.items[i]
	last := len(h.items) - 1
	h.swap(i, last)
	h.items[last] = nil
	h.items = h.items[:last]
	delete(h.index, key)
	if i < last {
		h.fix(i)
	}
	return p, true
}

func (h *podHeap) Peek() (*QueuedPodInfo, bool) {
	if len(h.items) == 0 {
		return nil, false
	}
	return h.items[0], true
}

func (h *podHeap) Pop() (*QueuedPodInfo, bool) {
	if len(h.items) == 0 {
		return nil, false
	}
	return h.Delete(h.items[0].key)
}

// List returns the pods in heap (not sorted) order.
func (h *podHeap) List() []*QueuedPodInfo { return append([]*QueuedPodInfo(nil), h.items...) }

func (h *podHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.index[h.items[i].key] = i
	h.index[h.items[j].key] = j
}

func (h *podHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *podHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *podHeap) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(h.items[r], h.items[l]) {
			j = r
		}
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

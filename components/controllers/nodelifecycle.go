package controllers

import (
	"fmt"
	"github.com/kubesim/kubesim/components/client"
	"reflect"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"go.uber.org/zap"
)

// Node lifecycle timings: kube-controller-manager's --node-monitor-period,
// --node-monitor-grace-period (50 s since v1.32, 40 s before),
// node-startup-grace-period, --node-eviction-rate and
// --secondary-node-eviction-rate, --unhealthy-zone-threshold and
// --large-cluster-size-threshold.
const (
	NodeMonitorPeriod      = 5 * time.Second
	NodeMonitorGracePeriod = 50 * time.Second
	NodeStartupGracePeriod = 60 * time.Second
	NodeEvictionRate       = 0.1
	SecondaryEvictionRate  = 0.01
	UnhealthyZoneThreshold = 0.55
	LargeClusterThreshold  = 50
)

// Node condition reasons and messages the controller writes.
const (
	ReasonNodeStatusUnknown      = "NodeStatusUnknown"
	ReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
	MessageNodeStatusUnknown     = "Kubelet stopped posting node status."
	MessageNodeNeverUpdated      = "Kubelet never posted node status."
)

const monitorKey = "monitor"
const taintPassKey = "no-execute-tainting"

type zoneState string

const (
	stateNormal            zoneState = "Normal"
	stateFullDisruption    zoneState = "FullDisruption"
	statePartialDisruption zoneState = "PartialDisruption"
	stateInitial           zoneState = "Initial"
)

// NodeLifecycle is the node lifecycle controller. Every node-monitor
// period it looks at each node's heartbeats — the Lease the kubelet renews
// in kube-node-lease every 10 s and the Ready condition's
// lastHeartbeatTime — as observed on its own clock; a node silent for the
// grace period gets its Ready (and pressure) conditions set Unknown
// ("Kubelet stopped posting node status."), its pods marked not ready, and
// the NoExecute taint node.kubernetes.io/unreachable (not-ready when Ready
// is False), added at the zone's eviction rate unless the whole zone is
// down. It also keeps the NoSchedule taints that mirror node conditions
// (TaintNodesByCondition). Evicting pods from NoExecute-tainted nodes is
// the taint-eviction-controller's job.
type NodeLifecycle struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder

	health     map[string]*nodeHealth
	known      map[string]bool
	zoneStates map[string]zoneState
	tainter    map[string]*zoneQueue // NoExecute tainting, rate limited per zone
	disrupted  bool                  // every zone fully disrupted
}

type nodeHealth struct {
	status     *api.NodeStatus
	lease      *api.Lease
	probe      time.Duration // last change of a heartbeat, on our clock
	transition time.Duration
}

// zoneQueue is a rate-limited queue of nodes waiting for a NoExecute
// taint (RateLimitedTimedQueue with a token bucket of burst 1).
type zoneQueue struct {
	nodes  []string
	qps    float64
	tokens float64
	at     time.Duration
}

func (z *zoneQueue) add(n string) {
	for _, x := range z.nodes {
		if x == n {
			return
		}
	}
	z.nodes = append(z.nodes, n)
}

func (z *zoneQueue) remove(n string) {
	for i, x := range z.nodes {
		if x == n {
			z.nodes = append(z.nodes[:i], z.nodes[i+1:]...)
			return
		}
	}
}

func (z *zoneQueue) refill(now time.Duration) {
	z.tokens = min(1, z.tokens+z.qps*(now-z.at).Seconds())
	z.at = now
}

// NewNodeLifecycle returns the controller.
func NewNodeLifecycle() Controller {
	return &NodeLifecycle{health: map[string]*nodeHealth{}, known: map[string]bool{}, zoneStates: map[string]zoneState{}, tainter: map[string]*zoneQueue{}}
}

// Name implements Controller.
func (nc *NodeLifecycle) Name() string { return "node-lifecycle" }

// IndexNodeName indexes pods by spec.nodeName.
const IndexNodeName = "nodeName"

func nodeNameIndex(o api.Object) []string {
	if n := o.(*api.Pod).Spec.NodeName; n != "" {
		return []string{n}
	}
	return nil
}

// Setup implements Controller.
func (nc *NodeLifecycle) Setup(m *Manager, q *Queue) {
	nc.m, nc.q = m, q
	nc.rec = m.Recorder("node-controller")
	m.AddIndex("pods", IndexNodeName, nodeNameIndex)
	m.Informer("leases")
	m.Informer("pods")
	m.Informer("nodes").AddHandler(handlerFor(q, func(o api.Object) string { return "node/" + o.GetObjectMeta().Name }))
	q.Add(monitorKey)
}

// Reconcile implements Controller: "monitor" is the periodic health pass,
// "node/<name>" the NoSchedule taints of one node.
func (nc *NodeLifecycle) Reconcile(key string) (Result, error) {
	switch {
	case key == monitorKey:
		if err := nc.monitor(); err != nil {
			nc.m.C.Log().Error("Error monitoring node health", zap.Error(err))
		}
		nc.q.Add(taintPassKey)
		return Result{RequeueAfter: NodeMonitorPeriod}, nil
	case key == taintPassKey:
		return nc.noExecuteTaintingPass(), nil
	case len(key) > 5 && key[:5] == "node/":
		return Result{}, nc.noScheduleTaintingPass(key[5:])
	}
	return Result{}, nil
}

func zoneOf(n *api.Node) string {
	region, zone := n.Labels[api.LabelTopologyRegion], n.Labels[api.LabelTopologyZone]
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

func nodeCondition(st *api.NodeStatus, t api.NodeConditionType) *api.NodeCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// monitor is monitorNodeHealth.
func (nc *NodeLifecycle) monitor() error {
	nodes := nc.m.Informer("nodes").List()
	seen := map[string]bool{}
	for _, o := range nodes {
		n := o.(*api.Node)
		seen[n.Name] = true
		if !nc.known[n.Name] {
			nc.known[n.Name] = true
			nc.rec.Eventf(n, api.EventTypeNormal, "RegisteredNode", "Node %s event: Registered Node %s in Controller", n.Name, n.Name)
			zone := zoneOf(n)
			if _, ok := nc.zoneStates[zone]; !ok {
				nc.zoneStates[zone] = stateInitial
				nc.tainter[zone] = &zoneQueue{qps: NodeEvictionRate, tokens: 1, at: nc.m.C.Now()}
			}
		}
	}
	for _, name := range sortedSet(nc.known) {
		if !seen[name] {
			delete(nc.known, name)
			delete(nc.health, name)
			for _, z := range nc.tainter {
				z.remove(name)
			}
			nc.m.C.Log().Info("Removing Node " + name + " from Controller")
		}
	}
	zoneReady := map[string][]*api.NodeCondition{}
	var firstErr error
	for _, o := range nodes {
		n := o.(*api.Node)
		observed, current, err := nc.tryUpdateNodeHealth(n)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		zone := zoneOf(n)
		zoneReady[zone] = append(zoneReady[zone], current)
		if current == nil {
			continue
		}
		if !nc.disrupted {
			nc.processTaintBaseEviction(n, current)
		} else if hasTaint(n, notReadyNoExecute) || hasTaint(n, unreachableNoExecute) {
			// A taint added just before the disruption showed, now in the
			// cache: no evictions while the control plane may be the one cut off.
			nc.updateTaints(n.Name, nil, []api.Taint{notReadyNoExecute, unreachableNoExecute})
		}
		wasReady := observed != nil && observed.Status == api.ConditionTrue
		switch {
		case current.Status != api.ConditionTrue && wasReady:
			nc.rec.Eventf(n, api.EventTypeNormal, "NodeNotReady", "Node %s status is now: %s", n.Name, "NodeNotReady")
			if err := nc.markPodsNotReady(n.Name); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	nc.handleDisruption(zoneReady, nodes)
	return firstErr
}

// tryUpdateNodeHealth refreshes what the controller knows of a node's
// heartbeats and, when they stopped for the grace period, sets the
// node's conditions Unknown. It returns the Ready condition before and
// after.
func (nc *NodeLifecycle) tryUpdateNodeHealth(n *api.Node) (*api.NodeCondition, *api.NodeCondition, error) {
	now := nc.m.C.Now()
	h := nc.health[n.Name]
	observed := nodeCondition(&n.Status, api.NodeReady)
	grace := NodeMonitorGracePeriod
	if observed == nil {
		grace = NodeStartupGracePeriod
		if h == nil {
			// Never heard of: count from its creation, as seen now.
			h = &nodeHealth{probe: now, transition: now}
			nc.health[n.Name] = h
		}
		h.status = &n.Status
	} else {
		if h == nil {
			h = &nodeHealth{probe: now, transition: now}
			nc.health[n.Name] = h
		} else if saved := nodeCondition(h.status, api.NodeReady); saved == nil {
			h.probe, h.transition = now, now
		} else if !saved.LastHeartbeatTime.Equal(observed.LastHeartbeatTime) {
			h.probe = now
			if !saved.LastTransitionTime.Equal(observed.LastTransitionTime) {
				h.transition = now
			}
		}
		h.status = &n.Status
	}
	if o, ok := nc.m.Informer("leases").Get(api.NamespaceNodeLease + "/" + n.Name); ok {
		l := o.(*api.Lease)
		if l.Spec.RenewTime != nil && (h.lease == nil || h.lease.Spec.RenewTime == nil || h.lease.Spec.RenewTime.Before(l.Spec.RenewTime.Time)) {
			h.lease = l
			h.probe = now
		}
	}
	var obsCopy *api.NodeCondition
	if observed != nil {
		c := *observed
		obsCopy = &c
	}
	if now <= h.probe+grace {
		return obsCopy, observed, nil
	}
	// Heartbeats stopped for longer than the grace period: whatever the
	// conditions said, nobody knows any more.
	c := api.DeepCopy(n)
	wall := api.NewTime(nc.m.Now())
	for _, t := range []api.NodeConditionType{api.NodeReady, api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure} {
		cur := nodeCondition(&c.Status, t)
		if cur == nil {
			c.Status.Conditions = append(c.Status.Conditions, api.NodeCondition{Type: t, Status: api.ConditionUnknown,
				Reason: ReasonNodeStatusNeverUpdated, Message: MessageNodeNeverUpdated, LastHeartbeatTime: n.CreationTimestamp, LastTransitionTime: wall})
			continue
		}
		if cur.Status != api.ConditionUnknown {
			cur.Status = api.ConditionUnknown
			cur.Reason = ReasonNodeStatusUnknown
			cur.Message = MessageNodeStatusUnknown
			cur.LastTransitionTime = wall
		}
	}
	current := nodeCondition(&c.Status, api.NodeReady)
	if reflect.DeepEqual(current, observed) {
		return obsCopy, observed, nil
	}
	u, err := nc.m.Client.UpdateStatus(c)
	if err != nil {
		return nil, nil, fmt.Errorf("error updating node %s: %w", n.Name, err)
	}
	un := u.(*api.Node)
	h.status = &un.Status
	h.transition = now
	nc.m.C.Note("node-lifecycle", fmt.Sprintf("node %s: no heartbeat for %s, Ready=Unknown", n.Name, grace))
	return obsCopy, nodeCondition(&un.Status, api.NodeReady), nil
}

// markPodsNotReady sets Ready=False on the pods of an unresponsive node,
// as nobody can vouch for them any more.
func (nc *NodeLifecycle) markPodsNotReady(node string) error {
	var firstErr error
	for _, o := range nc.m.ByIndex("pods", IndexNodeName, node) {
		p := o.(*api.Pod)
		c := podCondition(p, api.PodReady)
		if c == nil || c.Status == api.ConditionFalse {
			continue
		}
		cp := api.DeepCopy(p)
		rc := podCondition(cp, api.PodReady)
		rc.Status = api.ConditionFalse
		rc.LastTransitionTime = api.NewTime(nc.m.Now())
		if _, err := nc.m.Client.UpdateStatus(cp); err != nil {
			if !apierrors.IsNotFound(err) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		nc.rec.Eventf(p, api.EventTypeWarning, "NodeNotReady", "Node is not ready")
	}
	return firstErr
}

var (
	notReadyNoExecute    = api.Taint{Key: api.TaintNodeNotReady, Effect: api.TaintEffectNoExecute}
	unreachableNoExecute = api.Taint{Key: api.TaintNodeUnreachable, Effect: api.TaintEffectNoExecute}
)

// processTaintBaseEviction swaps the NoExecute taint to match Ready, or
// queues the node for its first one.
func (nc *NodeLifecycle) processTaintBaseEviction(n *api.Node, ready *api.NodeCondition) {
	z := nc.tainter[zoneOf(n)]
	switch ready.Status {
	case api.ConditionFalse:
		if hasTaint(n, unreachableNoExecute) {
			nc.swapTaint(n.Name, notReadyNoExecute, unreachableNoExecute)
		} else if !hasTaint(n, notReadyNoExecute) {
			z.add(n.Name)
		}
	case api.ConditionUnknown:
		if hasTaint(n, notReadyNoExecute) {
			nc.swapTaint(n.Name, unreachableNoExecute, notReadyNoExecute)
		} else if !hasTaint(n, unreachableNoExecute) {
			z.add(n.Name)
		}
	case api.ConditionTrue:
		z.remove(n.Name)
		if hasTaint(n, notReadyNoExecute) || hasTaint(n, unreachableNoExecute) {
			nc.updateTaints(n.Name, nil, []api.Taint{notReadyNoExecute, unreachableNoExecute})
		}
	}
}

// noExecuteTaintingPass taints queued nodes as the zones' rate limiters
// allow and asks to run again while nodes wait.
func (nc *NodeLifecycle) noExecuteTaintingPass() Result {
	now := nc.m.C.Now()
	var wait time.Duration
	for _, zone := range sortedZones(nc.tainter) {
		z := nc.tainter[zone]
		z.refill(now)
		for len(z.nodes) > 0 && z.tokens >= 1 {
			name := z.nodes[0]
			z.nodes = z.nodes[1:]
			o, ok := nc.m.Informer("nodes").Get(name)
			if !ok {
				continue
			}
			n := o.(*api.Node)
			ready := nodeCondition(&n.Status, api.NodeReady)
			if h := nc.health[name]; h != nil && h.status != nil {
				// What the controller itself just wrote may not be back
				// through the watch yet.
				ready = nodeCondition(h.status, api.NodeReady)
			}
			if ready == nil {
				continue
			}
			var add, remove api.Taint
			switch ready.Status {
			case api.ConditionFalse:
				add, remove = notReadyNoExecute, unreachableNoExecute
			case api.ConditionUnknown:
				add, remove = unreachableNoExecute, notReadyNoExecute
			default:
				continue
			}
			z.tokens--
			nc.swapTaint(name, add, remove)
		}
		if len(z.nodes) > 0 && z.qps > 0 {
			d := time.Duration((1 - z.tokens) / z.qps * float64(time.Second))
			if wait == 0 || d < wait {
				wait = d
			}
		}
	}
	if wait > 0 {
		return Result{RequeueAfter: wait}
	}
	return Result{}
}

func (nc *NodeLifecycle) swapTaint(node string, add, remove api.Taint) {
	nc.updateTaints(node, []api.Taint{add}, []api.Taint{remove})
}

// handleDisruption computes zone states: when every zone is fully
// disrupted the controller assumes the problem is its own (a network
// partition of the control plane) and stops tainting; a partially
// disrupted zone is tainted slower, or not at all in small clusters.
func (nc *NodeLifecycle) handleDisruption(zoneReady map[string][]*api.NodeCondition, nodes []api.Object) {
	newStates := map[string]zoneState{}
	allFull := len(zoneReady) > 0
	for zone, conds := range zoneReady {
		ready, notReady := 0, 0
		for _, c := range conds {
			if c != nil && c.Status == api.ConditionTrue {
				ready++
			} else {
				notReady++
			}
		}
		st := stateNormal
		switch {
		case ready == 0 && notReady > 0:
			st = stateFullDisruption
		case notReady > 2 && float64(notReady)/float64(notReady+ready) >= UnhealthyZoneThreshold:
			st = statePartialDisruption
		}
		newStates[zone] = st
		if st != stateFullDisruption {
			allFull = false
		}
	}
	switch {
	case allFull && !nc.disrupted:
		nc.m.C.Log().Info("Controller detected that all Nodes are not-Ready. Entering master disruption mode")
		nc.disrupted = true
		for _, o := range nodes {
			n := o.(*api.Node)
			if hasTaint(n, notReadyNoExecute) || hasTaint(n, unreachableNoExecute) {
				nc.updateTaints(n.Name, nil, []api.Taint{notReadyNoExecute, unreachableNoExecute})
			}
		}
		for _, z := range nc.tainter {
			z.nodes, z.qps = nil, 0
		}
	case !allFull && nc.disrupted:
		nc.m.C.Log().Info("Controller detected that some Nodes are Ready. Exiting master disruption mode")
		nc.disrupted = false
		for _, o := range nodes {
			n := o.(*api.Node)
			if h := nc.health[n.Name]; h != nil {
				h.probe = nc.m.C.Now() // give every node a full grace period again
			}
		}
	}
	for _, zone := range sortedZoneStates(newStates) {
		st := newStates[zone]
		z := nc.tainter[zone]
		if z == nil {
			continue
		}
		if st != nc.zoneStates[zone] || nc.disrupted {
			nc.zoneStates[zone] = st
		}
		switch {
		case nc.disrupted:
			z.qps = 0
		case st == statePartialDisruption:
			if len(zoneReady[zone]) > LargeClusterThreshold {
				z.qps = SecondaryEvictionRate
			} else {
				z.qps = 0
			}
		default:
			z.qps = NodeEvictionRate
		}
	}
}

// noScheduleTaintingPass keeps the NoSchedule taints that mirror node
// conditions and spec.unschedulable.
func (nc *NodeLifecycle) noScheduleTaintingPass(name string) error {
	o, ok := nc.m.Informer("nodes").Get(name)
	if !ok {
		return nil
	}
	n := o.(*api.Node)
	want := map[string]bool{}
	for _, c := range n.Status.Conditions {
		switch {
		case c.Type == api.NodeReady && c.Status == api.ConditionFalse:
			want[api.TaintNodeNotReady] = true
		case c.Type == api.NodeReady && c.Status == api.ConditionUnknown:
			want[api.TaintNodeUnreachable] = true
		case c.Type == api.NodeMemoryPressure && c.Status == api.ConditionTrue:
			want[api.TaintNodeMemoryPressure] = true
		case c.Type == api.NodeDiskPressure && c.Status == api.ConditionTrue:
			want[api.TaintNodeDiskPressure] = true
		case c.Type == api.NodePIDPressure && c.Status == api.ConditionTrue:
			want[api.TaintNodePIDPressure] = true
		case c.Type == api.NodeNetworkUnavailable && c.Status == api.ConditionTrue:
			want[api.TaintNodeNetworkUnavailable] = true
		}
	}
	if n.Spec.Unschedulable {
		want[api.TaintNodeUnschedulable] = true
	}
	managed := []string{api.TaintNodeNotReady, api.TaintNodeUnreachable, api.TaintNodeMemoryPressure, api.TaintNodeDiskPressure,
		api.TaintNodePIDPressure, api.TaintNodeNetworkUnavailable, api.TaintNodeUnschedulable}
	var add, remove []api.Taint
	for _, k := range managed {
		t := api.Taint{Key: k, Effect: api.TaintEffectNoSchedule}
		switch has := hasTaint(n, t); {
		case want[k] && !has:
			add = append(add, t)
		case !want[k] && has:
			remove = append(remove, t)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	return nc.updateTaints(name, add, remove)
}

func hasTaint(n *api.Node, t api.Taint) bool {
	for _, x := range n.Spec.Taints {
		if x.Key == t.Key && x.Effect == t.Effect {
			return true
		}
	}
	return false
}

// updateTaints adds and removes taints (matched by key and effect) on the
// live node, retrying on conflicts; added taints get timeAdded.
func (nc *NodeLifecycle) updateTaints(name string, add, remove []api.Taint) error {
	return updateNodeTaints(nc.m, name, add, remove)
}

func updateNodeTaints(m *Manager, name string, add, remove []api.Taint) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var o api.Object
		if attempt == 0 {
			var ok bool
			if o, ok = m.Informer("nodes").Get(name); !ok {
				return nil
			}
		} else if o, err = m.Client.Get("nodes", "", name); err != nil {
			return err
		}
		n := api.DeepCopy(o.(*api.Node))
		var taints []api.Taint
		for _, t := range n.Spec.Taints {
			drop := false
			for _, r := range append(append([]api.Taint(nil), remove...), add...) {
				if t.Key == r.Key && t.Effect == r.Effect {
					drop = true
				}
			}
			if !drop {
				taints = append(taints, t)
			}
		}
		for _, t := range add {
			t.TimeAdded = api.NewTimePtr(m.Now())
			for _, old := range n.Spec.Taints {
				if old.Key == t.Key && old.Effect == t.Effect && old.Value == t.Value {
					t.TimeAdded = old.TimeAdded
				}
			}
			taints = append(taints, t)
		}
		if reflect.DeepEqual(taints, n.Spec.Taints) {
			return nil
		}
		n.Spec.Taints = taints
		if _, err = m.Client.Update(n); err == nil || !apierrors.IsConflict(err) {
			return err
		}
	}
	return err
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedZones(m map[string]*zoneQueue) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedZoneStates(m map[string]zoneState) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

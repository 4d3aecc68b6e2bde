package controllers

import (
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// DaemonSets is the DaemonSet controller: one pod per eligible node. A node
// is eligible when it matches the template's nodeName, nodeSelector and
// required node affinity and the pod tolerates its NoSchedule and NoExecute
// taints; a pod already there stays while it tolerates the NoExecute ones.
// Pods are placed by the default scheduler (since v1.12): the controller
// pins each to its node with a required node affinity term
// matchFields metadata.name In [node], and adds the tolerations daemons
// need (not-ready and unreachable NoExecute without a time limit; disk-,
// memory- and pid-pressure and unschedulable NoSchedule; network-
// unavailable NoSchedule for hostNetwork pods). Updates follow the
// RollingUpdate strategy (maxUnavailable 1 by default) or OnDelete.
type DaemonSets struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
	exp *expectations
}

// NewDaemonSets returns the controller.
func NewDaemonSets() Controller { return &DaemonSets{exp: newExpectations()} }

// Name implements Controller.
func (dc *DaemonSets) Name() string { return "daemonset" }

// Setup implements Controller.
func (dc *DaemonSets) Setup(m *Manager, q *Queue) {
	dc.m, dc.q = m, q
	dc.rec = m.Recorder("daemonset-controller")
	m.AddIndex("pods", IndexController, controllerIndex)
	m.AddLabelIndex("pods")
	m.Informer("daemonsets").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
	all := func(api.Object) {
		for _, o := range m.Informer("daemonsets").List() {
			q.Add(o.GetObjectMeta().Key())
		}
	}
	m.Informer("nodes").AddHandler(client.Handler{OnAdd: all, OnDelete: all, OnUpdate: func(old, o api.Object) {
		if !shouldIgnoreNodeUpdate(old.(*api.Node), o.(*api.Node)) {
			all(o)
		}
	}})
	onPod := func(o api.Object) {
		ref := o.GetObjectMeta().ControllerRef()
		if ref != nil && ref.Kind == "DaemonSet" {
			key := o.GetObjectMeta().Namespace + "/" + ref.Name
			q.Add(key)
		}
	}
	m.Informer("pods").AddHandler(client.Handler{
		OnAdd: func(o api.Object) {
			if ref := o.GetObjectMeta().ControllerRef(); ref != nil && ref.Kind == "DaemonSet" {
				dc.exp.creationObserved(o.GetObjectMeta().Namespace + "/" + ref.Name)
			}
			onPod(o)
		},
		OnUpdate: func(_, o api.Object) { onPod(o) },
		OnDelete: func(o api.Object) {
			if ref := o.GetObjectMeta().ControllerRef(); ref != nil && ref.Kind == "DaemonSet" {
				dc.exp.deletionObserved(o.GetObjectMeta().Namespace+"/"+ref.Name, o.GetObjectMeta().Key())
			}
			onPod(o)
		},
	})
}

// Reconcile implements Controller; the key is "namespace/name".
func (dc *DaemonSets) Reconcile(key string) (Result, error) {
	o, ok := dc.m.Informer("daemonsets").Get(key)
	if !ok {
		dc.exp.forget(key)
		return Result{}, nil
	}
	ds := o.(*api.DaemonSet)
	sel, err := api.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		return Result{}, nil
	}
	claimed, err := dc.m.claim(ds, sel, union(dc.m.ByIndex("pods", IndexController, string(ds.UID)), dc.m.Select("pods", ds.Namespace, sel)), dc.m.recheckOwner("daemonsets", ds))
	if err != nil {
		return Result{}, err
	}
	byNode := map[string][]*api.Pod{}
	for _, c := range claimed {
		p := c.(*api.Pod)
		if p.DeletionTimestamp != nil {
			continue
		}
		if n := targetNode(p); n != "" {
			byNode[n] = append(byNode[n], p)
		}
	}
	hash := ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)
	nodes := dc.m.Informer("nodes").List()
	var create []string
	var remove []*api.Pod
	if dc.exp.satisfied(key, dc.m.C.Now()) && ds.DeletionTimestamp == nil {
		seen := map[string]bool{}
		for _, no := range nodes {
			n := no.(*api.Node)
			seen[n.Name] = true
			run, keep := shouldRun(n, ds)
			pods := byNode[n.Name]
			switch {
			case run && len(pods) == 0:
				create = append(create, n.Name)
			case keep:
				var alive []*api.Pod
				for _, p := range pods {
					if p.Status.Phase == api.PodFailed {
						dc.rec.Eventf(ds, api.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, n.Name)
						remove = append(remove, p)
						continue
					}
					alive = append(alive, p)
				}
				if len(alive) > 1 { // keep the oldest
					sort.Slice(alive, func(i, j int) bool {
						if !alive[i].CreationTimestamp.Equal(alive[j].CreationTimestamp) {
							return alive[i].CreationTimestamp.Before(alive[j].CreationTimestamp.Time)
						}
						return alive[i].Name < alive[j].Name
					})
					remove = append(remove, alive[1:]...)
				}
				if len(alive) == 0 && run {
					create = append(create, n.Name)
				}
			default:
				remove = append(remove, pods...)
			}
		}
		for _, n := range sortedNodeKeys(byNode) {
			if !seen[n] {
				remove = append(remove, byNode[n]...) // the node is gone
			}
		}
		remove = append(remove, dc.rollingUpdate(ds, byNode, nodes, hash, remove)...)
	}
	err = dc.manage(ds, key, hash, create, remove)
	if serr := dc.updateStatus(ds, byNode, nodes, hash); serr != nil && err == nil {
		err = serr
	}
	if err == nil && ds.Spec.MinReadySeconds > 0 && ds.Status.NumberReady != ds.Status.NumberAvailable {
		return Result{RequeueAfter: time.Duration(ds.Spec.MinReadySeconds) * time.Second}, nil
	}
	return Result{}, err
}

// rollingUpdate deletes pods of an old template, as many at a time as
// maxUnavailable allows; the next sync creates their replacements.
func (dc *DaemonSets) rollingUpdate(ds *api.DaemonSet, byNode map[string][]*api.Pod, nodes []api.Object, hash string, already []*api.Pod) []*api.Pod {
	if ds.Spec.UpdateStrategy.Type != api.RollingUpdateDaemonSetStrategyType {
		return nil
	}
	desired := 0
	for _, no := range nodes {
		if run, _ := shouldRun(no.(*api.Node), ds); run {
			desired++
		}
	}
	maxUnavailable := 1
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		if v, err := api.ScaledValueFromIntOrPercent(ru.MaxUnavailable, desired, true); err == nil {
			maxUnavailable = v
		}
	}
	gone := map[string]bool{}
	for _, p := range already {
		gone[p.Name] = true
	}
	unavailable := 0
	var old []*api.Pod
	now := dc.m.Now()
	for _, no := range nodes {
		n := no.(*api.Node)
		if run, _ := shouldRun(n, ds); !run {
			continue
		}
		pods := byNode[n.Name]
		if len(pods) == 0 || gone[pods[0].Name] {
			unavailable++
			continue
		}
		p := pods[0]
		if !isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
			unavailable++
		}
		if p.Labels[api.LabelControllerRevisionHash] != hash {
			old = append(old, p)
		}
	}
	var out []*api.Pod
	for _, p := range old { // unavailable old pods first: they cost nothing
		if !isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
			out = append(out, p)
		}
	}
	for _, p := range old {
		if unavailable >= maxUnavailable {
			break
		}
		if isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
			out = append(out, p)
			unavailable++
		}
	}
	return out
}

func (dc *DaemonSets) manage(ds *api.DaemonSet, key, hash string, create []string, remove []*api.Pod) error {
	now := dc.m.C.Now()
	var firstErr error
	if len(create) > 0 {
		create = create[:min(len(create), BurstReplicas)]
		dc.exp.expectCreations(key, len(create), now)
		i := 0
		ok, err := slowStartBatch(len(create), 1, func() error {
			node := create[i]
			i++
			pod := daemonPod(ds, node, hash)
			created, err := dc.m.Client.Create(pod)
			if err != nil {
				dc.rec.Eventf(ds, api.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
				return err
			}
			dc.rec.Eventf(ds, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", created.GetObjectMeta().Name)
			return nil
		})
		for j := ok; j < len(create); j++ {
			dc.exp.creationObserved(key)
		}
		firstErr = err
	}
	seen := map[string]bool{}
	for _, p := range remove {
		if seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		if _, err := dc.m.Client.Delete("pods", p.Namespace, p.Name, client.DeleteOptions{}); err != nil {
			if ignoreNotFound(err) != nil && firstErr == nil {
				firstErr = err
				dc.rec.Eventf(ds, api.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
			}
			continue
		}
		dc.rec.Eventf(ds, api.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", p.Name)
	}
	return firstErr
}

func (dc *DaemonSets) updateStatus(ds *api.DaemonSet, byNode map[string][]*api.Pod, nodes []api.Object, hash string) error {
	st := api.DeepCopyValue(ds.Status)
	st.DesiredNumberScheduled, st.CurrentNumberScheduled, st.NumberMisscheduled = 0, 0, 0
	st.NumberReady, st.NumberAvailable, st.UpdatedNumberScheduled = 0, 0, 0
	now := dc.m.Now()
	for _, no := range nodes {
		n := no.(*api.Node)
		run, _ := shouldRun(n, ds)
		pods := byNode[n.Name]
		if !run {
			if len(pods) > 0 {
				st.NumberMisscheduled++
			}
			continue
		}
		st.DesiredNumberScheduled++
		if len(pods) == 0 {
			continue
		}
		st.CurrentNumberScheduled++
		p := pods[0]
		if isPodReady(p) {
			st.NumberReady++
			if isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
				st.NumberAvailable++
			}
		}
		if p.Labels[api.LabelControllerRevisionHash] == hash {
			st.UpdatedNumberScheduled++
		}
	}
	st.NumberUnavailable = max(st.DesiredNumberScheduled-st.NumberAvailable, 0)
	st.ObservedGeneration = ds.Generation
	if reflect.DeepEqual(st, ds.Status) {
		return nil
	}
	c := api.DeepCopy(ds)
	c.Status = st
	_, err := dc.m.Client.UpdateStatus(c)
	return ignoreNotFound(err)
}

// daemonPod is the pod of a DaemonSet for one node.
func daemonPod(ds *api.DaemonSet, node, hash string) *api.Pod {
	p := podFromTemplate(&ds.Spec.Template, ds)
	p.Labels = withLabel(p.Labels, api.LabelControllerRevisionHash, hash)
	p.Labels[api.LabelPodTemplateGeneration] = strconv.FormatInt(ds.Generation, 10)
	p.Spec.Tolerations = daemonTolerations(p.Spec.Tolerations, p.Spec.HostNetwork)
	pinToNode(&p.Spec, node)
	return p
}

// pinToNode replaces the required node affinity with the one term
// matchFields metadata.name In [node], so the default scheduler can only
// place the pod there.
func pinToNode(s *api.PodSpec, node string) {
	term := api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{node}}}}
	if s.Affinity == nil {
		s.Affinity = &api.Affinity{}
	}
	if s.Affinity.NodeAffinity == nil {
		s.Affinity.NodeAffinity = &api.NodeAffinity{}
	}
	s.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{term}}
}

// daemonTolerations adds the tolerations every daemon pod gets
// (AddOrUpdateDaemonPodTolerations).
func daemonTolerations(ts []api.Toleration, hostNetwork bool) []api.Toleration {
	add := []api.Toleration{
		{Key: api.TaintNodeNotReady, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute},
		{Key: api.TaintNodeUnreachable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute},
		{Key: api.TaintNodeDiskPressure, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
		{Key: api.TaintNodeMemoryPressure, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
		{Key: api.TaintNodePIDPressure, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
		{Key: api.TaintNodeUnschedulable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule},
	}
	if hostNetwork {
		add = append(add, api.Toleration{Key: api.TaintNodeNetworkUnavailable, Operator: api.TolerationOpExists, Effect: api.TaintEffectNoSchedule})
	}
	out := append([]api.Toleration(nil), ts...)
	for _, a := range add {
		replaced := false
		for i, t := range out {
			if t.Key == a.Key && t.Effect == a.Effect {
				out[i] = a
				replaced = true
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return out
}

// shouldRun is NodeShouldRunDaemonPod: whether a new daemon pod belongs on
// the node, and whether one already there may stay.
func shouldRun(n *api.Node, ds *api.DaemonSet) (run, keep bool) {
	spec := ds.Spec.Template.Spec
	if spec.NodeName != "" && spec.NodeName != n.Name {
		return false, false
	}
	if !api.SelectorFromSet(spec.NodeSelector).Matches(n.Labels) {
		return false, false
	}
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		if !a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.Matches(n.Labels, n.Name) {
			return false, false
		}
	}
	tols := daemonTolerations(spec.Tolerations, spec.HostNetwork)
	fits, keepRunning := true, true
	for _, t := range n.Spec.Taints {
		if t.Effect != api.TaintEffectNoSchedule && t.Effect != api.TaintEffectNoExecute {
			continue
		}
		tolerated := false
		for _, tol := range tols {
			if tolerates(tol, t) {
				tolerated = true
			}
		}
		if !tolerated {
			fits = false
			if t.Effect == api.TaintEffectNoExecute {
				keepRunning = false
			}
		}
	}
	if !fits {
		return false, keepRunning
	}
	return true, true
}

// targetNode is where a daemon pod is or will be: its nodeName, or the
// node its matchFields affinity pins it to.
func targetNode(p *api.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == "metadata.name" && f.Operator == api.NodeSelectorOpIn && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

func sortedNodeKeys(m map[string][]*api.Pod) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shouldIgnoreNodeUpdate is the DaemonSet controller's filter of node
// updates: a heartbeat (the conditions' times, the resourceVersion) or a
// condition that is not True before and after changes nothing about
// which nodes should run daemon pods, so it does not wake every
// DaemonSet.
func shouldIgnoreNodeUpdate(old, cur *api.Node) bool {
	if !nodeInSameCondition(old.Status.Conditions, cur.Status.Conditions) {
		return false
	}
	o := api.DeepCopy(old)
	o.ResourceVersion = cur.ResourceVersion
	o.Status.Conditions = cur.Status.Conditions
	return reflect.DeepEqual(o, cur)
}

// nodeInSameCondition reports whether the same condition types are True.
func nodeInSameCondition(old, cur []api.NodeCondition) bool {
	trueBefore := map[api.NodeConditionType]bool{}
	for _, c := range old {
		if c.Status == api.ConditionTrue {
			trueBefore[c.Type] = true
		}
	}
	for _, c := range cur {
		if c.Status != api.ConditionTrue {
			continue
		}
		if !trueBefore[c.Type] {
			return false
		}
		delete(trueBefore, c.Type)
	}
	return len(trueBefore) == 0
}

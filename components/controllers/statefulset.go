package controllers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// StatefulSets is the StatefulSet controller: pods with stable names
// <set>-<ordinal> for ordinals start..start+replicas-1, each with hostname
// = its name and subdomain = spec.serviceName. With OrderedReady (the
// default) it creates pods in ordinal order, waiting for each to be
// Running and Ready (and available for minReadySeconds) before the next,
// and removes surplus pods from the highest ordinal down, one at a time;
// Parallel creates and deletes without waiting. Every pod template the set
// has had is a ControllerRevision <set>-<hash>; status.currentRevision and
// status.updateRevision name them. RollingUpdate replaces pods from the
// highest ordinal down to spec.updateStrategy.rollingUpdate.partition, one
// at a time, each after the previous one is ready again; OnDelete replaces
// a pod only when the user deletes it.
//
// Before each pod it creates the claims of spec.volumeClaimTemplates, one
// <template>-<set>-<ordinal> per template (labels: the template's and the
// selector's matchLabels), and the pod mounts them as the template's
// volume name. Claims outlive their pods: a replacement pod gets the same
// claims back. persistentVolumeClaimRetentionPolicy decides what the
// claims outlive: whenDeleted: Delete makes the set their owner (the
// garbage collector removes them with the set), whenScaled: Delete makes
// a condemned pod their owner just before the pod is deleted (they go
// with it). The default, Retain for both, keeps them.
//
// Simplifications: maxUnavailable (alpha) is ignored; a retention policy
// changed on a live set applies to claims as their pods are next created
// or condemned, not at once.
type StatefulSets struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
}

// NewStatefulSets returns the controller.
func NewStatefulSets() Controller { return &StatefulSets{} }

// Name implements Controller.
func (sc *StatefulSets) Name() string { return "statefulset" }

// Setup implements Controller.
func (sc *StatefulSets) Setup(m *Manager, q *Queue) {
	sc.m, sc.q = m, q
	sc.rec = m.Recorder("statefulset-controller")
	m.AddIndex("pods", IndexController, controllerIndex)
	m.AddLabelIndex("pods")
	m.Informer("statefulsets").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
	onOwned := func(o api.Object) {
		if ref := o.GetObjectMeta().ControllerRef(); ref != nil && ref.Kind == "StatefulSet" {
			q.Add(o.GetObjectMeta().Namespace + "/" + ref.Name)
		}
	}
	h := client.Handler{OnAdd: onOwned, OnUpdate: func(_, o api.Object) { onOwned(o) }, OnDelete: onOwned}
	m.Informer("pods").AddHandler(h)
	m.Informer("controllerrevisions").AddHandler(h)
	m.Informer("persistentvolumeclaims")
}

// setOrdinal is the ordinal of a pod named <set>-<n>, or -1.
func setOrdinal(set, pod string) int {
	if !strings.HasPrefix(pod, set+"-") {
		return -1
	}
	n, err := strconv.Atoi(pod[len(set)+1:])
	if err != nil || n < 0 || strconv.Itoa(n) != pod[len(set)+1:] {
		return -1
	}
	return n
}

// Reconcile implements Controller; the key is "namespace/name".
func (sc *StatefulSets) Reconcile(key string) (Result, error) {
	o, ok := sc.m.Informer("statefulsets").Get(key)
	if !ok {
		return Result{}, nil
	}
	set := o.(*api.StatefulSet)
	if set.DeletionTimestamp != nil {
		return Result{}, nil
	}
	sel, err := api.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil || sel.Empty() {
		return Result{}, nil
	}
	claimed, err := sc.m.claim(set, sel, union(sc.m.ByIndex("pods", IndexController, string(set.UID)), sc.m.Select("pods", set.Namespace, sel)), sc.m.recheckOwner("statefulsets", set))
	if err != nil {
		return Result{}, err
	}
	current, update, _, err := sc.revisions(set)
	if err != nil {
		return Result{}, err
	}
	replicas := 1
	if set.Spec.Replicas != nil {
		replicas = int(*set.Spec.Replicas)
	}
	start := 0
	if set.Spec.Ordinals != nil {
		start = int(set.Spec.Ordinals.Start)
	}
	slots := make([]*api.Pod, replicas)
	var condemned []*api.Pod
	var pods []*api.Pod
	for _, c := range claimed {
		p := c.(*api.Pod)
		ord := setOrdinal(set.Name, p.Name)
		if ord < 0 {
			continue // not a pod of this set's identity scheme
		}
		pods = append(pods, p)
		if ord >= start && ord < start+replicas {
			slots[ord-start] = p
		} else {
			condemned = append(condemned, p)
		}
	}
	sort.Slice(condemned, func(i, j int) bool {
		return setOrdinal(set.Name, condemned[i].Name) > setOrdinal(set.Name, condemned[j].Name)
	})
	err = sc.sync(set, slots, start, condemned, current, update)
	if serr := sc.updateStatus(set, pods, current, update); serr != nil && err == nil {
		err = serr
	}
	if err == nil && set.Spec.MinReadySeconds > 0 {
		return Result{RequeueAfter: time.Duration(set.Spec.MinReadySeconds) * time.Second}, nil
	}
	return Result{}, err
}

// sync makes one pass of the ordered (or parallel) state machine: create
// or replace missing and failed pods, delete condemned ones, then roll.
func (sc *StatefulSets) sync(set *api.StatefulSet, slots []*api.Pod, start int, condemned []*api.Pod, current, update *api.ControllerRevision) error {
	ordered := set.Spec.PodManagementPolicy != api.ParallelPodManagement
	now := sc.m.Now()
	healthy := func(p *api.Pod) bool {
		return p.DeletionTimestamp == nil && p.Status.Phase == api.PodRunning && isPodAvailable(p, set.Spec.MinReadySeconds, now)
	}
	partition := 0
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		partition = int(*ru.Partition)
	}
	for i, p := range slots {
		ord := start + i
		if p != nil && p.Status.Phase == api.PodFailed && p.DeletionTimestamp == nil {
			sc.rec.Eventf(set, api.EventTypeWarning, "RecreatingFailedPod", "StatefulSet %s/%s is recreating failed Pod %s", set.Namespace, set.Name, p.Name)
			if err := sc.deletePod(set, p); err != nil {
				return err
			}
			if ordered {
				return nil
			}
			continue
		}
		if p == nil {
			// Pods below the partition keep the current revision
			// (newVersionedStatefulSetPod).
			rev := update
			if set.Spec.UpdateStrategy.Type == api.RollingUpdateStatefulSetStrategyType && ord < partition {
				rev = current
			}
			if err := sc.createPod(set, ord, rev); err != nil {
				return err
			}
			if ordered {
				return nil
			}
			continue
		}
		if ordered && !healthy(p) {
			return nil // wait for it before touching the next ordinal
		}
	}
	for _, p := range condemned {
		if p.DeletionTimestamp != nil {
			if ordered {
				return nil
			}
			continue
		}
		if ordered {
			for _, s := range slots {
				if s == nil || !healthy(s) {
					return nil
				}
			}
		}
		if err := sc.condemnClaims(set, p); err != nil {
			return err
		}
		if err := sc.deletePod(set, p); err != nil {
			return err
		}
		if ordered {
			return nil
		}
	}
	if set.Spec.UpdateStrategy.Type != api.RollingUpdateStatefulSetStrategyType {
		return nil
	}
	for i := len(slots) - 1; i >= 0; i-- {
		p := slots[i]
		if start+i < partition {
			break
		}
		if p == nil {
			return nil // created this pass; not in the cache yet
		}
		if p.Labels[api.LabelControllerRevisionHash] != update.Name && p.DeletionTimestamp == nil {
			return sc.deletePod(set, p)
		}
		if !healthy(p) {
			return nil // the replaced pod must be ready before the next
		}
	}
	return nil
}

func (sc *StatefulSets) createPod(set *api.StatefulSet, ord int, rev *api.ControllerRevision) error {
	tmpl := set.Spec.Template
	if rev != nil {
		var t api.PodTemplateSpec
		if err := revisionTemplate(rev, &t); err == nil {
			tmpl = t
		}
	}
	p := podFromTemplate(&tmpl, set)
	p.GenerateName = ""
	p.Name = fmt.Sprintf("%s-%d", set.Name, ord)
	p.Labels = withLabel(p.Labels, api.LabelControllerRevisionHash, rev.Name)
	p.Labels[api.StatefulSetPodNameLabel] = p.Name
	p.Labels[api.PodIndexLabel] = strconv.Itoa(ord)
	p.Spec.Hostname = p.Name
	p.Spec.Subdomain = set.Spec.ServiceName
	if err := sc.createClaims(set, p, ord); err != nil {
		return err
	}
	if _, err := sc.m.Client.Create(p); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		sc.rec.Eventf(set, api.EventTypeWarning, "FailedCreate", "create Pod %s in StatefulSet %s failed error: %v", p.Name, set.Name, err)
		return err
	}
	sc.rec.Eventf(set, api.EventTypeNormal, "SuccessfulCreate", "create Pod %s in StatefulSet %s successful", p.Name, set.Name)
	return nil
}

// claimName is the claim of template tmpl for the pod of ordinal ord:
// <template>-<set>-<ordinal>.
func claimName(tmpl *api.PersistentVolumeClaim, set *api.StatefulSet, ord int) string {
	return fmt.Sprintf("%s-%s-%d", tmpl.Name, set.Name, ord)
}

func retentionPolicy(set *api.StatefulSet) api.StatefulSetPersistentVolumeClaimRetentionPolicy {
	p := api.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: api.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  api.RetainPersistentVolumeClaimRetentionPolicyType,
	}
	if r := set.Spec.PersistentVolumeClaimRetentionPolicy; r != nil {
		if r.WhenDeleted != "" {
			p.WhenDeleted = r.WhenDeleted
		}
		if r.WhenScaled != "" {
			p.WhenScaled = r.WhenScaled
		}
	}
	return p
}

// createClaims creates the pod's missing claims (createPersistentVolumeClaims
// upstream) and points the pod's volumes at them, replacing a template
// volume of the same name.
func (sc *StatefulSets) createClaims(set *api.StatefulSet, p *api.Pod, ord int) error {
	for i := range set.Spec.VolumeClaimTemplates {
		tmpl := &set.Spec.VolumeClaimTemplates[i]
		name := claimName(tmpl, set, ord)
		vol := api.Volume{Name: tmpl.Name}
		vol.PersistentVolumeClaim = &api.PersistentVolumeClaimVolumeSource{ClaimName: name}
		replaced := false
		for j := range p.Spec.Volumes {
			if p.Spec.Volumes[j].Name == tmpl.Name {
				p.Spec.Volumes[j], replaced = vol, true
			}
		}
		if !replaced {
			p.Spec.Volumes = append(p.Spec.Volumes, vol)
		}
		if _, ok := sc.m.Informer("persistentvolumeclaims").Get(set.Namespace + "/" + name); ok {
			continue
		}
		var owner *api.OwnerReference
		if retentionPolicy(set).WhenDeleted == api.DeletePersistentVolumeClaimRetentionPolicyType {
			ref := newControllerRef(set)
			owner = &ref
		}
		t := api.PersistentVolumeClaimTemplate{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
		claim := ClaimFromTemplate(&t, set.Namespace, name, owner)
		claim.Status = api.PersistentVolumeClaimStatus{Phase: api.ClaimPending}
		if set.Spec.Selector != nil && len(set.Spec.Selector.MatchLabels) > 0 {
			if claim.Labels == nil {
				claim.Labels = map[string]string{}
			}
			for k, v := range set.Spec.Selector.MatchLabels {
				claim.Labels[k] = v
			}
		}
		if _, err := sc.m.Client.Create(claim); err != nil && !apierrors.IsAlreadyExists(err) {
			sc.rec.Eventf(set, api.EventTypeWarning, "FailedCreate", "create Claim %s for Pod %s in StatefulSet %s failed error: %v", name, p.Name, set.Name, err)
			return err
		} else if err == nil {
			sc.rec.Eventf(set, api.EventTypeNormal, "SuccessfulCreate", "create Claim %s Pod %s in StatefulSet %s success", name, p.Name, set.Name)
		}
	}
	return nil
}

// condemnClaims makes a pod removed by a scale-down the owner of its
// claims when whenScaled is Delete, so that they go with it.
func (sc *StatefulSets) condemnClaims(set *api.StatefulSet, p *api.Pod) error {
	if retentionPolicy(set).WhenScaled != api.DeletePersistentVolumeClaimRetentionPolicyType {
		return nil
	}
	ord := setOrdinal(set.Name, p.Name)
	for i := range set.Spec.VolumeClaimTemplates {
		o, ok := sc.m.Informer("persistentvolumeclaims").Get(set.Namespace + "/" + claimName(&set.Spec.VolumeClaimTemplates[i], set, ord))
		if !ok {
			continue
		}
		owned := false
		for _, ref := range o.GetObjectMeta().OwnerReferences {
			owned = owned || ref.UID == p.UID
		}
		if owned {
			continue
		}
		claim := api.DeepCopyObject(o).(*api.PersistentVolumeClaim)
		claim.OwnerReferences = append(claim.OwnerReferences, api.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: p.Name, UID: p.UID})
		if _, err := sc.m.Client.Update(claim); ignoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

func (sc *StatefulSets) deletePod(set *api.StatefulSet, p *api.Pod) error {
	if _, err := sc.m.Client.Delete("pods", p.Namespace, p.Name, client.DeleteOptions{}); err != nil {
		if ignoreNotFound(err) == nil {
			return nil
		}
		sc.rec.Eventf(set, api.EventTypeWarning, "FailedDelete", "delete Pod %s in StatefulSet %s failed error: %v", p.Name, set.Name, err)
		return err
	}
	sc.rec.Eventf(set, api.EventTypeNormal, "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful", p.Name, set.Name)
	return nil
}

// revisionPatch is what a StatefulSet ControllerRevision stores: the
// template, as the real controller's getPatch does.
type revisionPatch struct {
	Spec struct {
		Template api.PodTemplateSpec `json:"template"`
	} `json:"spec"`
}

func revisionTemplate(rev *api.ControllerRevision, t *api.PodTemplateSpec) error {
	var p revisionPatch
	if err := json.Unmarshal(rev.Data.Raw, &p); err != nil {
		return err
	}
	*t = p.Spec.Template
	return nil
}

// revisions returns the current and update ControllerRevisions, creating
// the update one for a new template, and all the set's revisions by
// revision number; history beyond revisionHistoryLimit is deleted.
func (sc *StatefulSets) revisions(set *api.StatefulSet) (current, update *api.ControllerRevision, all []*api.ControllerRevision, err error) {
	for _, o := range sc.m.Informer("controllerrevisions").List() {
		if o.GetObjectMeta().Namespace == set.Namespace && isControlledBy(o, set) {
			all = append(all, o.(*api.ControllerRevision))
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Revision < all[j].Revision })
	collisions := int32(0) // hashed as 0 before the first status, as upstream does
	if set.Status.CollisionCount != nil {
		collisions = *set.Status.CollisionCount
	}
	name := set.Name + "-" + ComputeHash(&set.Spec.Template, &collisions)
	var maxRev int64
	for _, r := range all {
		maxRev = max(maxRev, r.Revision)
		if r.Name == name {
			update = r
		}
		if r.Name == set.Status.CurrentRevision {
			current = r
		}
	}
	if update == nil {
		var p revisionPatch
		p.Spec.Template = set.Spec.Template
		raw, _ := json.Marshal(p)
		cr := &api.ControllerRevision{TypeMeta: api.TypeMeta{Kind: "ControllerRevision", APIVersion: "apps/v1"},
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: set.Namespace, Labels: api.DeepCopyValue(set.Spec.Template.Labels),
				OwnerReferences: []api.OwnerReference{newControllerRef(set)}},
			Data: api.RawExtension{Raw: raw}, Revision: maxRev + 1}
		created, cerr := sc.m.Client.Create(cr)
		if cerr != nil && !apierrors.IsAlreadyExists(cerr) {
			return nil, nil, nil, cerr
		}
		if cerr == nil {
			update = created.(*api.ControllerRevision)
		} else {
			update = cr
		}
		all = append(all, update)
	}
	if current == nil {
		current = update
	}
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	var old []*api.ControllerRevision
	for _, r := range all {
		if r.Name != current.Name && r.Name != update.Name {
			old = append(old, r)
		}
	}
	for i := 0; i < len(old)-limit; i++ {
		if _, err := sc.m.Client.Delete("controllerrevisions", set.Namespace, old[i].Name, client.DeleteOptions{}); ignoreNotFound(err) != nil {
			return nil, nil, nil, err
		}
	}
	return current, update, all, nil
}

func (sc *StatefulSets) updateStatus(set *api.StatefulSet, pods []*api.Pod, current, update *api.ControllerRevision) error {
	st := api.DeepCopyValue(set.Status)
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.CurrentReplicas, st.UpdatedReplicas = 0, 0, 0, 0, 0
	now := sc.m.Now()
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		st.Replicas++
		if isPodReady(p) {
			st.ReadyReplicas++
			if isPodAvailable(p, set.Spec.MinReadySeconds, now) {
				st.AvailableReplicas++
			}
		}
		switch p.Labels[api.LabelControllerRevisionHash] {
		case current.Name:
			st.CurrentReplicas++
		}
		if p.Labels[api.LabelControllerRevisionHash] == update.Name {
			st.UpdatedReplicas++
		}
	}
	st.CurrentRevision, st.UpdateRevision = current.Name, update.Name
	want := int32(1)
	if set.Spec.Replicas != nil {
		want = *set.Spec.Replicas
	}
	// The rollout is complete: the update revision becomes the current one.
	if st.UpdatedReplicas == want && st.Replicas == want && st.ReadyReplicas == want {
		st.CurrentRevision, st.CurrentReplicas = update.Name, st.UpdatedReplicas
	}
	if st.CollisionCount == nil {
		st.CollisionCount = new(int32)
	}
	st.ObservedGeneration = set.Generation
	if reflect.DeepEqual(st, set.Status) {
		return nil
	}
	c := api.DeepCopy(set)
	c.Status = st
	_, err := sc.m.Client.UpdateStatus(c)
	return ignoreNotFound(err)
}

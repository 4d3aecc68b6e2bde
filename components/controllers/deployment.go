package controllers

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// Deployment condition reasons, as the deployment controller writes them.
const (
	ReasonNewReplicaSetCreated       = "NewReplicaSetCreated"
	ReasonFoundNewReplicaSet         = "FoundNewReplicaSet"
	ReasonReplicaSetUpdated          = "ReplicaSetUpdated"
	ReasonNewReplicaSetAvailable     = "NewReplicaSetAvailable"
	ReasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
	ReasonFailedReplicaSetCreate     = "ReplicaSetCreateError"
	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	ReasonDeploymentPaused           = "DeploymentPaused"
	ReasonDeploymentResumed          = "DeploymentResumed"
)

// Deployments is the Deployment controller: it rolls the pod template out
// through ReplicaSets named <deployment>-<pod-template-hash>, one per
// template revision, scaling the new one up and the old ones down within
// maxSurge and maxUnavailable (RollingUpdate) or all old ones to zero first
// (Recreate); it keeps revisionHistoryLimit old ReplicaSets and reports
// the Available and Progressing conditions.
type Deployments struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
}

// NewDeployments returns the controller.
func NewDeployments() Controller { return &Deployments{} }

// Name implements Controller.
func (dc *Deployments) Name() string { return "deployment" }

// Setup implements Controller.
func (dc *Deployments) Setup(m *Manager, q *Queue) {
	dc.m, dc.q = m, q
	dc.rec = m.Recorder("deployment-controller")
	m.AddIndex("pods", IndexController, controllerIndex)
	m.AddIndex("replicasets", IndexController, controllerIndex)
	m.AddLabelIndex("replicasets")
	m.Informer("deployments").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
	onRS := func(o api.Object) {
		rs := o.(*api.ReplicaSet)
		if ref := rs.ControllerRef(); ref != nil {
			if ref.Kind == "Deployment" {
				q.Add(rs.Namespace + "/" + ref.Name)
			}
			return
		}
		for _, d := range m.ByIndex("deployments", IndexNamespace, rs.Namespace) {
			if api.SelectorMatches(d.(*api.Deployment).Spec.Selector, rs.Labels) {
				q.Add(d.GetObjectMeta().Key())
			}
		}
	}
	m.Informer("replicasets").AddHandler(client.Handler{OnAdd: onRS, OnUpdate: func(old, o api.Object) { onRS(old); onRS(o) }, OnDelete: onRS})
	// Recreate waits for the old pods to be gone.
	m.Informer("pods").AddHandler(client.Handler{OnDelete: func(o api.Object) {
		ref := o.GetObjectMeta().ControllerRef()
		if ref == nil || ref.Kind != "ReplicaSet" {
			return
		}
		if rs, ok := m.Informer("replicasets").Get(o.GetObjectMeta().Namespace + "/" + ref.Name); ok {
			onRS(rs)
		}
	}})
}

// Reconcile implements Controller; the key is "namespace/name".
func (dc *Deployments) Reconcile(key string) (Result, error) {
	o, ok := dc.m.Informer("deployments").Get(key)
	if !ok {
		return Result{}, nil
	}
	d := api.DeepCopy(o.(*api.Deployment))
	if d.Spec.Selector == nil || (len(d.Spec.Selector.MatchLabels) == 0 && len(d.Spec.Selector.MatchExpressions) == 0) {
		dc.rec.Eventf(d, api.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			_, err := dc.m.Client.UpdateStatus(d)
			return Result{}, err
		}
		return Result{}, nil
	}
	rsList, err := dc.replicaSetsFor(d)
	if err != nil {
		return Result{}, err
	}
	if d.DeletionTimestamp != nil {
		newRS, oldRSs, err := dc.allReplicaSets(d, rsList, false)
		if err != nil {
			return Result{}, err
		}
		return Result{}, dc.syncStatus(append(oldRSs, newRS), newRS, d)
	}
	if err := dc.checkPaused(d); err != nil {
		return Result{}, err
	}
	if d.Spec.Paused {
		return Result{}, dc.sync(d, rsList)
	}
	scaling, err := dc.isScalingEvent(d, rsList)
	if err != nil {
		return Result{}, err
	}
	if scaling {
		return Result{}, dc.sync(d, rsList)
	}
	if d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
		return dc.rolloutRecreate(d, rsList)
	}
	return dc.rolloutRolling(d, rsList)
}

// replicaSetsFor claims the ReplicaSets of the deployment.
func (dc *Deployments) replicaSetsFor(d *api.Deployment) ([]*api.ReplicaSet, error) {
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	claimed, err := dc.m.claim(d, sel, union(dc.m.ByIndex("replicasets", IndexController, string(d.UID)), dc.m.Select("replicasets", d.Namespace, sel)), dc.m.recheckOwner("deployments", d))
	out := make([]*api.ReplicaSet, len(claimed))
	for i, o := range claimed {
		out[i] = o.(*api.ReplicaSet)
	}
	return out, err
}

// ---------------------------------------------------------------- strategies

func (dc *Deployments) rolloutRolling(d *api.Deployment, rsList []*api.ReplicaSet) (Result, error) {
	newRS, oldRSs, err := dc.allReplicaSets(d, rsList, true)
	if err != nil {
		return Result{}, err
	}
	allRSs := append(append([]*api.ReplicaSet(nil), oldRSs...), newRS)
	scaledUp, err := dc.reconcileNewReplicaSet(allRSs, newRS, d)
	if err != nil {
		return Result{}, err
	}
	if scaledUp {
		return dc.syncRolloutStatus(allRSs, newRS, d)
	}
	scaledDown, err := dc.reconcileOldReplicaSets(allRSs, activeReplicaSets(oldRSs), newRS, d)
	if err != nil {
		return Result{}, err
	}
	if scaledDown {
		return dc.syncRolloutStatus(allRSs, newRS, d)
	}
	if deploymentComplete(d, &d.Status) {
		if err := dc.cleanup(oldRSs, d); err != nil {
			return Result{}, err
		}
	}
	return dc.syncRolloutStatus(allRSs, newRS, d)
}

func (dc *Deployments) rolloutRecreate(d *api.Deployment, rsList []*api.ReplicaSet) (Result, error) {
	newRS, oldRSs, err := dc.allReplicaSets(d, rsList, false)
	if err != nil {
		return Result{}, err
	}
	allRSs := append(append([]*api.ReplicaSet(nil), oldRSs...), newRS)
	scaledDown := false
	for _, rs := range activeReplicaSets(oldRSs) {
		if *rs.Spec.Replicas == 0 {
			continue
		}
		scaled, _, err := dc.scaleAndRecord(rs, 0, d)
		if err != nil {
			return Result{}, err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown || dc.oldPodsRunning(newRS, oldRSs) {
		return dc.syncRolloutStatus(allRSs, newRS, d)
	}
	if newRS == nil {
		newRS, oldRSs, err = dc.allReplicaSets(d, rsList, true)
		if err != nil {
			return Result{}, err
		}
		allRSs = append(append([]*api.ReplicaSet(nil), oldRSs...), newRS)
	}
	if _, _, err := dc.scaleAndRecord(newRS, *d.Spec.Replicas, d); err != nil {
		return Result{}, err
	}
	if deploymentComplete(d, &d.Status) {
		if err := dc.cleanup(oldRSs, d); err != nil {
			return Result{}, err
		}
	}
	return dc.syncRolloutStatus(allRSs, newRS, d)
}

// oldPodsRunning: any pod of an old ReplicaSet that has not terminated.
func (dc *Deployments) oldPodsRunning(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) bool {
	if actualReplicas(oldRSs) > 0 {
		return true
	}
	for _, rs := range oldRSs {
		for _, o := range dc.m.ByIndex("pods", IndexController, string(rs.UID)) {
			if ph := o.(*api.Pod).Status.Phase; ph != api.PodSucceeded && ph != api.PodFailed {
				return true
			}
		}
	}
	return false
}

// sync handles a scaling event or a paused deployment: scale
// proportionally, no template rollout.
func (dc *Deployments) sync(d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, err := dc.allReplicaSets(d, rsList, false)
	if err != nil {
		return err
	}
	if err := dc.scale(d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Spec.Paused {
		if err := dc.cleanup(oldRSs, d); err != nil {
			return err
		}
	}
	return dc.syncStatus(append(oldRSs, newRS), newRS, d)
}

func (dc *Deployments) isScalingEvent(d *api.Deployment, rsList []*api.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := dc.allReplicaSets(d, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range activeReplicaSets(append(oldRSs, newRS)) {
		if v, ok := intAnnotation(rs, api.AnnotationDesiredReplicas); ok && int32(v) != *d.Spec.Replicas {
			return true, nil
		}
	}
	return false, nil
}

// scale spreads a change of spec.replicas over the active ReplicaSets in
// proportion to their size (proportional scaling), so a rollout in
// progress keeps its shape.
func (dc *Deployments) scale(d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		if *rs.Spec.Replicas == *d.Spec.Replicas {
			return nil
		}
		_, _, err := dc.scaleAndRecord(rs, *d.Spec.Replicas, d)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range activeReplicaSets(oldRSs) {
			if _, _, err := dc.scaleAndRecord(old, 0, d); err != nil {
				return err
			}
		}
		return nil
	}
	if d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType {
		return nil
	}
	all := activeReplicaSets(append(append([]*api.ReplicaSet(nil), oldRSs...), newRS))
	allowed := *d.Spec.Replicas
	if allowed > 0 {
		allowed += maxSurge(d)
	}
	toAdd := allowed - specReplicas(all)
	op := ""
	switch {
	case toAdd > 0:
		sort.SliceStable(all, func(i, j int) bool { return bySizeNewer(all[i], all[j]) })
		op = "up"
	case toAdd < 0:
		sort.SliceStable(all, func(i, j int) bool { return bySizeOlder(all[i], all[j]) })
		op = "down"
	}
	sizes := map[string]int32{}
	var added int32
	for _, rs := range all {
		if toAdd != 0 {
			p := proportion(rs, d, toAdd, added)
			sizes[rs.Name] = *rs.Spec.Replicas + p
			added += p
		} else {
			sizes[rs.Name] = *rs.Spec.Replicas
		}
	}
	if toAdd != 0 && len(all) > 0 {
		sizes[all[0].Name] += toAdd - added
		if sizes[all[0].Name] < 0 {
			sizes[all[0].Name] = 0
		}
	}
	for _, rs := range all {
		if _, _, err := dc.scaleRS(rs, sizes[rs.Name], d, op); err != nil {
			return err
		}
	}
	return nil
}

func proportion(rs *api.ReplicaSet, d *api.Deployment, toAdd, added int32) int32 {
	if rs == nil || *rs.Spec.Replicas == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	var fraction int32
	if *d.Spec.Replicas == 0 {
		fraction = -*rs.Spec.Replicas
	} else {
		full := *d.Spec.Replicas + maxSurge(d)
		annotated := d.Status.Replicas
		if v, ok := intAnnotation(rs, api.AnnotationMaxReplicas); ok {
			annotated = int32(v)
		}
		if annotated == 0 {
			annotated = 1
		}
		fraction = int32(math.Round(float64(*rs.Spec.Replicas)*float64(full)/float64(annotated))) - *rs.Spec.Replicas
	}
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

func (dc *Deployments) reconcileNewReplicaSet(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) (bool, error) {
	if *newRS.Spec.Replicas == *d.Spec.Replicas {
		return false, nil
	}
	if *newRS.Spec.Replicas > *d.Spec.Replicas {
		scaled, _, err := dc.scaleAndRecord(newRS, *d.Spec.Replicas, d)
		return scaled, err
	}
	scaled, _, err := dc.scaleAndRecord(newRS, newRSReplicas(d, allRSs, newRS), d)
	return scaled, err
}

// reconcileOldReplicaSets scales old ReplicaSets down as far as
// maxUnavailable allows: unhealthy replicas first, then the oldest sets.
func (dc *Deployments) reconcileOldReplicaSets(allRSs, oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) (bool, error) {
	if specReplicas(oldRSs) == 0 {
		return false, nil
	}
	minAvailable := *d.Spec.Replicas - maxUnavailable(d)
	newUnavailable := *newRS.Spec.Replicas - newRS.Status.AvailableReplicas
	maxScaledDown := specReplicas(allRSs) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	sortByCreation(oldRSs)
	var cleaned int32
	for i, rs := range oldRSs {
		if cleaned >= maxScaledDown {
			break
		}
		if *rs.Spec.Replicas == 0 || *rs.Spec.Replicas == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxScaledDown-cleaned, *rs.Spec.Replicas-rs.Status.AvailableReplicas)
		if n <= 0 {
			continue
		}
		_, updated, err := dc.scaleAndRecord(rs, *rs.Spec.Replicas-n, d)
		if err != nil {
			return cleaned > 0, err
		}
		oldRSs[i] = updated
		cleaned += n
	}
	all := append(append([]*api.ReplicaSet(nil), oldRSs...), newRS)
	available := availableReplicas(all)
	var scaledDown int32
	if available > minAvailable {
		total := available - minAvailable
		for _, rs := range oldRSs {
			if scaledDown >= total {
				break
			}
			if *rs.Spec.Replicas == 0 {
				continue
			}
			n := min(*rs.Spec.Replicas, total-scaledDown)
			if _, _, err := dc.scaleAndRecord(rs, *rs.Spec.Replicas-n, d); err != nil {
				return cleaned+scaledDown > 0, err
			}
			scaledDown += n
		}
	}
	return cleaned+scaledDown > 0, nil
}

// scaleAndRecord scales a ReplicaSet up or down and records
// ScalingReplicaSet.
func (dc *Deployments) scaleAndRecord(rs *api.ReplicaSet, n int32, d *api.Deployment) (bool, *api.ReplicaSet, error) {
	if *rs.Spec.Replicas == n {
		return false, rs, nil
	}
	op := "down"
	if *rs.Spec.Replicas < n {
		op = "up"
	}
	return dc.scaleRS(rs, n, d, op)
}

func (dc *Deployments) scaleRS(rs *api.ReplicaSet, n int32, d *api.Deployment, op string) (bool, *api.ReplicaSet, error) {
	sizeChanges := *rs.Spec.Replicas != n
	desired, max := *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d)
	if !sizeChanges && !replicasAnnotationsNeedUpdate(rs, desired, max) {
		return false, rs, nil
	}
	c := api.DeepCopy(rs)
	old := *c.Spec.Replicas
	c.Spec.Replicas = &n
	setReplicasAnnotations(c, desired, max)
	u, err := dc.m.Client.Update(c)
	if err != nil {
		return false, rs, err
	}
	if sizeChanges {
		dc.rec.Eventf(d, api.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", op, rs.Name, old, n)
	}
	return sizeChanges, u.(*api.ReplicaSet), nil
}

// ---------------------------------------------------------------- the new ReplicaSet

// allReplicaSets finds (or creates) the ReplicaSet of the current template
// and brings the revision annotations in line.
func (dc *Deployments) allReplicaSets(d *api.Deployment, rsList []*api.ReplicaSet, create bool) (*api.ReplicaSet, []*api.ReplicaSet, error) {
	existing := findNewReplicaSet(d, rsList)
	var oldRSs []*api.ReplicaSet
	for _, rs := range rsList {
		if existing == nil || rs.UID != existing.UID {
			oldRSs = append(oldRSs, rs)
		}
	}
	newRS, err := dc.newReplicaSet(d, existing, oldRSs, create)
	return newRS, oldRSs, err
}

func (dc *Deployments) newReplicaSet(d *api.Deployment, existing *api.ReplicaSet, oldRSs []*api.ReplicaSet, create bool) (*api.ReplicaSet, error) {
	newRevision := strconv.FormatInt(maxRevision(oldRSs)+1, 10)
	now := api.NewTime(dc.m.Now())
	if existing != nil {
		c := api.DeepCopy(existing)
		changed := setNewReplicaSetAnnotations(d, c, newRevision, true)
		if changed || c.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			c.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			u, err := dc.m.Client.Update(c)
			if err != nil {
				return nil, err
			}
			return u.(*api.ReplicaSet), nil
		}
		needsUpdate := setDeploymentRevision(d, c.Annotations[api.AnnotationDeploymentRevision])
		if hasProgressDeadline(d) && deploymentCondition(d.Status, api.DeploymentProgressing) == nil {
			setDeploymentCondition(&d.Status, newDeploymentCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonFoundNewReplicaSet, fmt.Sprintf("Found new replica set %q", c.Name), now))
			needsUpdate = true
		}
		if needsUpdate {
			if err := dc.updateStatus(d); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	if !create {
		return nil, nil
	}
	hash := ComputeHash(&d.Spec.Template, d.Status.CollisionCount)
	tmpl := api.DeepCopyValue(d.Spec.Template)
	tmpl.Labels = withLabel(tmpl.Labels, api.LabelPodTemplateHash, hash)
	sel := api.DeepCopyValue(*d.Spec.Selector)
	sel.MatchLabels = withLabel(sel.MatchLabels, api.LabelPodTemplateHash, hash)
	zero := int32(0)
	rs := &api.ReplicaSet{
		TypeMeta: api.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: d.Name + "-" + hash, Namespace: d.Namespace,
			OwnerReferences: []api.OwnerReference{newControllerRef(d)}, Labels: tmpl.Labels},
		Spec: api.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: &sel, Template: tmpl},
	}
	n := newRSReplicas(d, append(append([]*api.ReplicaSet(nil), oldRSs...), rs), rs)
	rs.Spec.Replicas = &n
	setNewReplicaSetAnnotations(d, rs, newRevision, false)
	created, err := dc.m.Client.Create(rs)
	alreadyExists := false
	switch {
	case apierrors.IsAlreadyExists(err):
		alreadyExists = true
		o, gerr := dc.m.Client.Get("replicasets", rs.Namespace, rs.Name)
		if gerr != nil {
			return nil, gerr
		}
		if isControlledBy(o, d) && equalIgnoreHash(&o.(*api.ReplicaSet).Spec.Template, &d.Spec.Template) {
			created, err = o, nil
			break
		}
		// A hash collision: another template hashed the same. Bump the
		// collision count so the next hash differs.
		cc := int32(0)
		if d.Status.CollisionCount != nil {
			cc = *d.Status.CollisionCount
		}
		cc++
		d.Status.CollisionCount = &cc
		if uerr := dc.updateStatus(d); uerr != nil {
			return nil, uerr
		}
		return nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) {
			setDeploymentCondition(&d.Status, newDeploymentCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonFailedReplicaSetCreate, msg, now))
			_ = dc.updateStatus(d)
		}
		dc.rec.Eventf(d, api.EventTypeWarning, ReasonFailedReplicaSetCreate, "%s", msg)
		return nil, err
	}
	newRS := created.(*api.ReplicaSet)
	if !alreadyExists && n > 0 {
		dc.rec.Eventf(d, api.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", newRS.Name, n)
	}
	needsUpdate := setDeploymentRevision(d, newRevision)
	if !alreadyExists && hasProgressDeadline(d) {
		setDeploymentCondition(&d.Status, newDeploymentCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetCreated, fmt.Sprintf("Created new replica set %q", newRS.Name), now))
		needsUpdate = true
	}
	if needsUpdate {
		if err := dc.updateStatus(d); err != nil {
			return nil, err
		}
	}
	return newRS, nil
}

// updateStatus writes d's status and keeps the returned resourceVersion
// and managedFields (a write that sent stale managedFields back would
// replace the server's, as with the real apiserver).
// The real status strategy keeps annotation changes (the revision
// annotation travels with the status update); this apiserver's status
// subresource keeps only the status, so changed annotations go first in
// an update of the object.
func (dc *Deployments) updateStatus(d *api.Deployment) error {
	if cached, ok := dc.m.Informer("deployments").Get(d.Key()); ok && !reflect.DeepEqual(cached.GetObjectMeta().Annotations, d.Annotations) {
		o, err := dc.m.Client.Update(d)
		if err != nil {
			return err
		}
		d.ResourceVersion, d.ManagedFields = o.GetObjectMeta().ResourceVersion, o.GetObjectMeta().ManagedFields
	}
	o, err := dc.m.Client.UpdateStatus(d)
	if err != nil {
		return err
	}
	d.ResourceVersion, d.ManagedFields = o.GetObjectMeta().ResourceVersion, o.GetObjectMeta().ManagedFields
	return nil
}

// setDeploymentRevision sets the deployment's revision annotation; the
// deployment itself is updated (metadata) when it changes.
func setDeploymentRevision(d *api.Deployment, revision string) bool {
	if d.Annotations[api.AnnotationDeploymentRevision] == revision {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[api.AnnotationDeploymentRevision] = revision
	return true
}

// setNewReplicaSetAnnotations copies the deployment's annotations to the
// new ReplicaSet and sets its revision and replica annotations.
func setNewReplicaSetAnnotations(d *api.Deployment, rs *api.ReplicaSet, newRevision string, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for _, k := range sortedKeys(d.Annotations) {
		if skipCopyAnnotation(k) || rs.Annotations[k] == d.Annotations[k] {
			continue
		}
		rs.Annotations[k] = d.Annotations[k]
		changed = true
	}
	old := rs.Annotations[api.AnnotationDeploymentRevision]
	oldN, _ := strconv.ParseInt(old, 10, 64)
	newN, _ := strconv.ParseInt(newRevision, 10, 64)
	if old == "" || oldN < newN {
		rs.Annotations[api.AnnotationDeploymentRevision] = newRevision
		changed = true
	}
	if !exists && setReplicasAnnotations(rs, *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d)) {
		changed = true
	}
	return changed
}

func skipCopyAnnotation(k string) bool {
	switch k {
	case api.AnnotationLastAppliedConfiguration, api.AnnotationDeploymentRevision, "deployment.kubernetes.io/revision-history",
		api.AnnotationDesiredReplicas, api.AnnotationMaxReplicas, "deprecated.deployment.rollback.to":
		return true
	}
	return false
}

func setReplicasAnnotations(rs *api.ReplicaSet, desired, max int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, max) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[api.AnnotationDesiredReplicas] = strconv.Itoa(int(desired))
	rs.Annotations[api.AnnotationMaxReplicas] = strconv.Itoa(int(max))
	return true
}

func replicasAnnotationsNeedUpdate(rs *api.ReplicaSet, desired, max int32) bool {
	return rs.Annotations[api.AnnotationDesiredReplicas] != strconv.Itoa(int(desired)) ||
		rs.Annotations[api.AnnotationMaxReplicas] != strconv.Itoa(int(max))
}

// newRSReplicas is how big the new ReplicaSet may be now.
func newRSReplicas(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) int32 {
	if d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType {
		return *d.Spec.Replicas
	}
	maxTotal := *d.Spec.Replicas + maxSurge(d)
	current := specReplicas(allRSs)
	if current >= maxTotal {
		return *newRS.Spec.Replicas
	}
	up := min(maxTotal-current, *d.Spec.Replicas-*newRS.Spec.Replicas)
	return *newRS.Spec.Replicas + up
}

// ---------------------------------------------------------------- status

func (dc *Deployments) calculateStatus(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) api.DeploymentStatus {
	available := availableReplicas(allRSs)
	unavailable := max(specReplicas(allRSs)-available, 0)
	st := api.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            actualReplicas(allRSs),
		UpdatedReplicas:     actualReplicas([]*api.ReplicaSet{newRS}),
		ReadyReplicas:       readyReplicas(allRSs),
		AvailableReplicas:   available,
		UnavailableReplicas: unavailable,
		CollisionCount:      d.Status.CollisionCount,
		Conditions:          append([]api.DeploymentCondition(nil), d.Status.Conditions...),
	}
	now := api.NewTime(dc.m.Now())
	if available >= *d.Spec.Replicas-maxUnavailable(d) {
		setDeploymentCondition(&st, newDeploymentCondition(api.DeploymentAvailable, api.ConditionTrue, ReasonMinimumReplicasAvailable, "Deployment has minimum availability.", now))
	} else {
		setDeploymentCondition(&st, newDeploymentCondition(api.DeploymentAvailable, api.ConditionFalse, ReasonMinimumReplicasUnavailable, "Deployment does not have minimum availability.", now))
	}
	return st
}

func (dc *Deployments) syncStatus(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) error {
	st := dc.calculateStatus(allRSs, newRS, d)
	if reflect.DeepEqual(d.Status, st) {
		return nil
	}
	d.Status = st
	return dc.updateStatus(d)
}

// syncRolloutStatus also maintains Progressing and asks to look again when
// the progress deadline would pass.
func (dc *Deployments) syncRolloutStatus(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) (Result, error) {
	st := dc.calculateStatus(allRSs, newRS, d)
	now := api.NewTime(dc.m.Now())
	if !hasProgressDeadline(d) {
		removeDeploymentCondition(&st, api.DeploymentProgressing)
	}
	cur := deploymentCondition(st, api.DeploymentProgressing)
	complete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == ReasonNewReplicaSetAvailable
	if hasProgressDeadline(d) && !complete {
		switch {
		case deploymentComplete(d, &st):
			msg := "Deployment has successfully progressed."
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name)
			}
			setDeploymentCondition(&st, newDeploymentCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonNewReplicaSetAvailable, msg, now))
		case deploymentProgressing(d, &st):
			msg := "Deployment is progressing."
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)
			}
			c := newDeploymentCondition(api.DeploymentProgressing, api.ConditionTrue, ReasonReplicaSetUpdated, msg, now)
			if cur != nil {
				if cur.Status == api.ConditionTrue {
					c.LastTransitionTime = cur.LastTransitionTime
				}
				removeDeploymentCondition(&st, api.DeploymentProgressing)
			}
			setDeploymentCondition(&st, c)
		case deploymentTimedOut(d, &st, now.Time):
			msg := "Deployment has timed out progressing."
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)
			}
			setDeploymentCondition(&st, newDeploymentCondition(api.DeploymentProgressing, api.ConditionFalse, ReasonProgressDeadlineExceeded, msg, now))
		}
	}
	if f := replicaFailure(allRSs, newRS); f != nil {
		setDeploymentCondition(&st, *f)
	} else {
		removeDeploymentCondition(&st, api.DeploymentReplicaFailure)
	}
	if reflect.DeepEqual(d.Status, st) {
		return dc.requeueStuck(d, st), nil
	}
	d.Status = st
	return Result{}, dc.updateStatus(d)
}

// requeueStuck looks again when the progress deadline passes, so that
// ProgressDeadlineExceeded is reported without another event.
func (dc *Deployments) requeueStuck(d *api.Deployment, st api.DeploymentStatus) Result {
	cur := deploymentCondition(st, api.DeploymentProgressing)
	if cur == nil || !hasProgressDeadline(d) || cur.Reason == ReasonNewReplicaSetAvailable || cur.Reason == ReasonProgressDeadlineExceeded {
		return Result{}
	}
	if st.Replicas == st.UpdatedReplicas && st.Replicas == st.AvailableReplicas {
		return Result{}
	}
	after := cur.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(dc.m.Now())
	if after < time.Second {
		return Result{RequeueAfter: time.Millisecond}
	}
	return Result{RequeueAfter: after + time.Second}
}

func replicaFailure(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) *api.DeploymentCondition {
	var rss []*api.ReplicaSet
	if newRS != nil {
		rss = append(rss, newRS)
	}
	for _, rs := range allRSs {
		if rs != nil && (newRS == nil || rs.UID != newRS.UID) {
			rss = append(rss, rs)
		}
	}
	for _, rs := range rss {
		for _, c := range rs.Status.Conditions {
			if c.Type == api.ReplicaSetReplicaFailure {
				return &api.DeploymentCondition{Type: api.DeploymentReplicaFailure, Status: c.Status, LastTransitionTime: c.LastTransitionTime,
					LastUpdateTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message}
			}
		}
	}
	return nil
}

// checkPaused keeps Progressing Unknown/DeploymentPaused while paused.
func (dc *Deployments) checkPaused(d *api.Deployment) error {
	if !hasProgressDeadline(d) {
		return nil
	}
	cur := deploymentCondition(d.Status, api.DeploymentProgressing)
	pausedCond := cur != nil && cur.Reason == ReasonDeploymentPaused
	now := api.NewTime(dc.m.Now())
	switch {
	case d.Spec.Paused && !pausedCond:
		setDeploymentCondition(&d.Status, newDeploymentCondition(api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentPaused, "Deployment is paused", now))
	case !d.Spec.Paused && pausedCond:
		setDeploymentCondition(&d.Status, newDeploymentCondition(api.DeploymentProgressing, api.ConditionUnknown, ReasonDeploymentResumed, "Deployment is resumed", now))
	default:
		return nil
	}
	return dc.updateStatus(d)
}

// cleanup deletes the oldest ReplicaSets beyond revisionHistoryLimit once
// they are scaled to zero.
func (dc *Deployments) cleanup(oldRSs []*api.ReplicaSet, d *api.Deployment) error {
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var alive []*api.ReplicaSet
	for _, rs := range oldRSs {
		if rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	sort.SliceStable(alive, func(i, j int) bool {
		ri, rj := revision(alive[i]), revision(alive[j])
		if ri != rj {
			return ri < rj
		}
		return creationLess(alive[i], alive[j])
	})
	for _, rs := range alive[:diff] {
		if rs.Status.Replicas != 0 || *rs.Spec.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration || rs.DeletionTimestamp != nil {
			continue
		}
		if _, err := dc.m.Client.Delete("replicasets", rs.Namespace, rs.Name, client.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------- helpers

// ComputeHash is the pod-template-hash of a template: FNV-32a over the
// template (and the collision count, if any) as the deployment controller
// computes it, printed as a decimal number and then spelled with the
// "safe" alphabet of rand.SafeEncodeString, so it never forms words.
// The real controller hashes a spew dump of the Go struct; the simulator
// hashes its JSON encoding, so values differ from a real cluster's while
// keeping their properties (stable, 32-bit, collision count folded in).
func ComputeHash(t *api.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, _ := json.Marshal(t)
	h.Write(b)
	if collisionCount != nil {
		var cc [4]byte
		binary.LittleEndian.PutUint32(cc[:], uint32(*collisionCount))
		h.Write(cc[:])
	}
	return safeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

const safeAlphanums = "bcdfghjklmnpqrstvwxz2456789"

// safeEncodeString maps each byte onto an alphabet without vowels and
// without 0, 1 and 3 (rand.SafeEncodeString).
func safeEncodeString(s string) string {
	r := make([]byte, len(s))
	for i, b := range []byte(s) {
		r[i] = safeAlphanums[int(b)%len(safeAlphanums)]
	}
	return string(r)
}

func withLabel(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// equalIgnoreHash compares two templates without the pod-template-hash label.
func equalIgnoreHash(a, b *api.PodTemplateSpec) bool {
	strip := func(t *api.PodTemplateSpec) string {
		c := api.DeepCopyValue(*t)
		delete(c.Labels, api.LabelPodTemplateHash)
		if len(c.Labels) == 0 {
			c.Labels = nil
		}
		out, _ := json.Marshal(c)
		return string(out)
	}
	return strip(a) == strip(b)
}

func findNewReplicaSet(d *api.Deployment, rsList []*api.ReplicaSet) *api.ReplicaSet {
	sorted := append([]*api.ReplicaSet(nil), rsList...)
	sortByCreation(sorted)
	for _, rs := range sorted {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

func creationLess(a, b *api.ReplicaSet) bool {
	if !a.CreationTimestamp.Equal(b.CreationTimestamp) {
		return a.CreationTimestamp.Before(b.CreationTimestamp.Time)
	}
	return a.Name < b.Name
}

func sortByCreation(rss []*api.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool { return creationLess(rss[i], rss[j]) })
}

func bySizeNewer(a, b *api.ReplicaSet) bool {
	if *a.Spec.Replicas == *b.Spec.Replicas {
		return creationLess(b, a)
	}
	return *a.Spec.Replicas > *b.Spec.Replicas
}

func bySizeOlder(a, b *api.ReplicaSet) bool {
	if *a.Spec.Replicas == *b.Spec.Replicas {
		return creationLess(a, b)
	}
	return *a.Spec.Replicas > *b.Spec.Replicas
}

func activeReplicaSets(rss []*api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range rss {
		if rs != nil && *rs.Spec.Replicas > 0 {
			out = append(out, rs)
		}
	}
	return out
}

func activeOrLatest(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) *api.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	olds := append([]*api.ReplicaSet(nil), oldRSs...)
	sort.SliceStable(olds, func(i, j int) bool { return creationLess(olds[j], olds[i]) })
	all := activeReplicaSets(append(olds, newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return olds[0]
	case 1:
		return all[0]
	}
	return nil
}

func isSaturated(d *api.Deployment, rs *api.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	v, ok := intAnnotation(rs, api.AnnotationDesiredReplicas)
	return ok && int32(v) == *d.Spec.Replicas && *rs.Spec.Replicas == *d.Spec.Replicas && rs.Status.AvailableReplicas == *d.Spec.Replicas
}

func intAnnotation(o api.Object, k string) (int64, bool) {
	v, ok := o.GetObjectMeta().Annotations[k]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func revision(rs *api.ReplicaSet) int64 {
	n, _ := intAnnotation(rs, api.AnnotationDeploymentRevision)
	return n
}

func maxRevision(rss []*api.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, revision(rs))
	}
	return m
}

func specReplicas(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil && rs.Spec.Replicas != nil {
			n += *rs.Spec.Replicas
		}
	}
	return n
}

func actualReplicas(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.Replicas
		}
	}
	return n
}

func readyReplicas(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.ReadyReplicas
		}
	}
	return n
}

func availableReplicas(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.AvailableReplicas
		}
	}
	return n
}

// resolveFenceposts turns maxSurge (rounded up) and maxUnavailable
// (rounded down) into numbers; both zero would deadlock, so
// maxUnavailable becomes 1.
func resolveFenceposts(surge, unavailable *api.IntOrString, desired int32) (int32, int32) {
	s, err := api.ScaledValueFromIntOrPercent(surge, int(desired), true)
	if err != nil {
		s = 0
	}
	u, err := api.ScaledValueFromIntOrPercent(unavailable, int(desired), false)
	if err != nil {
		u = 0
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u)
}

func maxSurge(d *api.Deployment) int32 {
	if d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate == nil {
		return 0
	}
	s, _ := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, *d.Spec.Replicas)
	return s
}

func maxUnavailable(d *api.Deployment) int32 {
	if d.Spec.Strategy.Type != api.RollingUpdateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate == nil || *d.Spec.Replicas == 0 {
		return 0
	}
	_, u := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, *d.Spec.Replicas)
	return min(u, *d.Spec.Replicas)
}

func hasProgressDeadline(d *api.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

func deploymentComplete(d *api.Deployment, st *api.DeploymentStatus) bool {
	return st.UpdatedReplicas == *d.Spec.Replicas && st.Replicas == *d.Spec.Replicas &&
		st.AvailableReplicas == *d.Spec.Replicas && st.ObservedGeneration >= d.Generation
}

func deploymentProgressing(d *api.Deployment, st *api.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas || st.AvailableReplicas > old.AvailableReplicas
}

func deploymentTimedOut(d *api.Deployment, st *api.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := deploymentCondition(*st, api.DeploymentProgressing)
	if c == nil || c.Reason == ReasonNewReplicaSetAvailable {
		return false
	}
	if c.Reason == ReasonProgressDeadlineExceeded {
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
}

func newDeploymentCondition(t api.DeploymentConditionType, s api.ConditionStatus, reason, msg string, now api.Time) api.DeploymentCondition {
	return api.DeploymentCondition{Type: t, Status: s, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: msg}
}

func deploymentCondition(st api.DeploymentStatus, t api.DeploymentConditionType) *api.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// setDeploymentCondition replaces a condition; one with the same status
// and reason is left alone, and the transition time survives a change of
// reason without a change of status.
func setDeploymentCondition(st *api.DeploymentStatus, c api.DeploymentCondition) {
	cur := deploymentCondition(*st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeDeploymentCondition(st, c.Type)
	st.Conditions = append(st.Conditions, c)
}

func removeDeploymentCondition(st *api.DeploymentStatus, t api.DeploymentConditionType) {
	var out []api.DeploymentCondition
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

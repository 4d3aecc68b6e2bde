package controllers

import (
	"fmt"
	"reflect"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/metricsserver"
)

// The horizontal-pod-autoscaler controller's defaults
// (kube-controller-manager flags).
const (
	// HPASyncPeriod is --horizontal-pod-autoscaler-sync-period.
	HPASyncPeriod = 15 * time.Second
	// HPACPUInitializationPeriod is
	// --horizontal-pod-autoscaler-cpu-initialization-period.
	HPACPUInitializationPeriod = 5 * time.Minute
	// HPAInitialReadinessDelay is
	// --horizontal-pod-autoscaler-initial-readiness-delay.
	HPAInitialReadinessDelay = 30 * time.Second
)

// NoteHPA is the trace note of each HPA decision (an HPADecision).
const NoteHPA = "hpa"

// HPADecision is one sync of a HorizontalPodAutoscaler, as typed data for
// narration: what the metric read, what it proposed, what the behavior
// made of it, and whether the target was rescaled.
type HPADecision struct {
	// HPA is namespace/name, Target "Deployment/php-apache".
	HPA, Target string
	// Resource is the metric's resource ("cpu"); Utilization and
	// TargetUtilization are in percent of the pods' requests. Ready,
	// Missing and Unready count the pods the calculator saw.
	Resource                       api.ResourceName
	Utilization, TargetUtilization int32
	Ready, Missing, Unready        int
	// Current is the target's replicas; Proposed what the metric asks
	// for; Stabilized after the stabilization window; Desired after the
	// rate policies and min/max.
	Current, Proposed, Stabilized, Desired int32
	// StabilizedReason is AbleToScale's reason (ReadyForNewScale,
	// ScaleDownStabilized, ScaleUpStabilized); LimitReason is
	// ScalingLimited's (DesiredWithinRange, TooManyReplicas, ...).
	StabilizedReason, LimitReason string
	// Window is the scale-down stabilization window.
	Window time.Duration
	// Rescaled says the target's scale was updated to Desired.
	Rescaled bool
	// Error is why no replica count was computed ("" when one was);
	// ErrorReason its event reason (FailedGetResourceMetric, FailedGetScale).
	Error, ErrorReason string
}

// Summary implements sim.Summarizer.
func (d HPADecision) Summary() string {
	if d.Error != "" {
		return fmt.Sprintf("%s: %s: %s", d.HPA, d.ErrorReason, d.Error)
	}
	s := fmt.Sprintf("%s: %s %d%%/%d%%, %d -> proposed %d, stabilized %d, desired %d", d.HPA, d.Resource, d.Utilization, d.TargetUtilization, d.Current, d.Proposed, d.Stabilized, d.Desired)
	if d.Rescaled {
		s += " (rescaled)"
	}
	return s
}

// HorizontalPodAutoscalerController is the horizontal-pod-autoscaler
// controller: every sync period it reads each HPA's target through the
// scale subresource, its pods' resource metrics from the metrics API
// (metrics-server), computes the replica count (replica calculator,
// podautoscaler.go), normalizes it by the behavior, updates the target's
// scale and writes the HPA's status, conditions and events, as
// pkg/controller/podautoscaler does.
//
// Simplifications: only Resource metrics with a Utilization or
// AverageValue target are computed (others fail with the real
// FailedGetPodsMetric-style message "not supported by kubesim"); the
// metrics API is read from the metrics-server pod's actor, found among
// the manager's cached kube-system pods, not through kube-apiserver's
// aggregation layer (package metricsserver).
type HorizontalPodAutoscalerController struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
	// due is when each HPA's next sync is due: events that name an HPA
	// before then are dropped, as the real controller's rate-limited
	// queue drops them.
	due             map[string]time.Duration
	recommendations map[string][]hpaRecommendation
	ups, downs      map[string][]hpaScaleEvent
}

// NewHorizontalPodAutoscalers returns the controller.
func NewHorizontalPodAutoscalers() Controller {
	return &HorizontalPodAutoscalerController{due: map[string]time.Duration{}, recommendations: map[string][]hpaRecommendation{},
		ups: map[string][]hpaScaleEvent{}, downs: map[string][]hpaScaleEvent{}}
}

// Name implements Controller.
func (c *HorizontalPodAutoscalerController) Name() string { return "horizontalpodautoscaling" }

// Setup implements Controller.
func (c *HorizontalPodAutoscalerController) Setup(m *Manager, q *Queue) {
	c.m, c.q = m, q
	c.rec = m.Recorder("horizontal-pod-autoscaler")
	m.AddLabelIndex("pods")
	m.Informer("horizontalpodautoscalers").AddHandler(client.Handler{
		// Every HPA is first synced one period after it is seen, then
		// every period.
		OnAdd: func(o api.Object) { c.enqueue(objectKey(o)) },
		OnDelete: func(o api.Object) {
			k := objectKey(o)
			delete(c.due, k)
			delete(c.recommendations, k)
			delete(c.ups, k)
			delete(c.downs, k)
		},
	})
}

func (c *HorizontalPodAutoscalerController) enqueue(key string) {
	if _, waiting := c.due[key]; waiting {
		return
	}
	c.due[key] = c.m.C.Now() + HPASyncPeriod
	c.q.AddAfter(key, HPASyncPeriod)
}

// Reconcile implements Controller; the key is namespace/name of an HPA.
func (c *HorizontalPodAutoscalerController) Reconcile(key string) (Result, error) {
	now := c.m.C.Now()
	if due, ok := c.due[key]; ok && now < due {
		return Result{}, nil // a sync is already due later
	}
	obj, ok := c.m.Informer("horizontalpodautoscalers").Get(key)
	if !ok {
		delete(c.due, key)
		return Result{}, nil
	}
	c.due[key] = now + HPASyncPeriod
	c.reconcile(key, api.DeepCopy(obj.(*api.HorizontalPodAutoscaler)))
	return Result{RequeueAfter: HPASyncPeriod}, nil
}

// hpaTarget is what the scale subresource says of the target.
type hpaTarget struct {
	resource        string
	obj             api.Object
	specReplicas    int32
	statusReplicas  int32
	selector        string
	resourceVersion string
}

func (c *HorizontalPodAutoscalerController) getScale(h *api.HorizontalPodAutoscaler) (*hpaTarget, error) {
	ref := h.Spec.ScaleTargetRef
	gv := api.ParseGroupVersion(ref.APIVersion)
	var resource string
	switch {
	case gv.Group == "apps" && ref.Kind == "Deployment":
		resource = "deployments"
	case gv.Group == "apps" && ref.Kind == "ReplicaSet":
		resource = "replicasets"
	case gv.Group == "apps" && ref.Kind == "StatefulSet":
		resource = "statefulsets"
	default:
		return nil, fmt.Errorf("no matches for kind %q in group %q", ref.Kind, gv.Group)
	}
	obj, err := c.m.Client.Get(resource, h.Namespace, ref.Name)
	if err != nil {
		return nil, err
	}
	t := &hpaTarget{resource: resource, obj: obj, resourceVersion: obj.GetObjectMeta().ResourceVersion}
	var replicas *int32
	var sel *api.LabelSelector
	switch o := obj.(type) {
	case *api.Deployment:
		replicas, sel, t.statusReplicas = o.Spec.Replicas, o.Spec.Selector, o.Status.Replicas
	case *api.ReplicaSet:
		replicas, sel, t.statusReplicas = o.Spec.Replicas, o.Spec.Selector, o.Status.Replicas
	case *api.StatefulSet:
		replicas, sel, t.statusReplicas = o.Spec.Replicas, o.Spec.Selector, o.Status.Replicas
	}
	t.specReplicas = 1
	if replicas != nil {
		t.specReplicas = *replicas
	}
	if sel != nil {
		t.selector = api.FormatLabelSelector(sel)
	}
	return t, nil
}

func (c *HorizontalPodAutoscalerController) updateScale(h *api.HorizontalPodAutoscaler, t *hpaTarget, replicas int32) error {
	sc := &api.Scale{TypeMeta: api.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: api.ObjectMeta{Name: h.Spec.ScaleTargetRef.Name, Namespace: h.Namespace, ResourceVersion: t.resourceVersion},
		Spec:       api.ScaleSpec{Replicas: replicas}}
	_, err := c.m.Client.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: t.resource, Subresource: "scale", Namespace: h.Namespace, Name: sc.Name, Object: sc})
	return err
}

// setHPACondition is setCondition: the transition time moves only when
// the status changes.
func (c *HorizontalPodAutoscalerController) setCondition(h *api.HorizontalPodAutoscaler, t api.HorizontalPodAutoscalerConditionType, status api.ConditionStatus, reason, message string) {
	now := api.NewTime(c.m.Now())
	for i := range h.Status.Conditions {
		cond := &h.Status.Conditions[i]
		if cond.Type == t {
			if cond.Status != status {
				cond.LastTransitionTime = now
			}
			cond.Status, cond.Reason, cond.Message = status, reason, message
			return
		}
	}
	h.Status.Conditions = append(h.Status.Conditions, api.HorizontalPodAutoscalerCondition{Type: t, Status: status, LastTransitionTime: now, Reason: reason, Message: message})
}

func (c *HorizontalPodAutoscalerController) reconcile(key string, h *api.HorizontalPodAutoscaler) {
	api.SetHPADefaults(h)
	original := api.DeepCopyValue(h.Status)
	ref := h.Spec.ScaleTargetRef
	dec := HPADecision{HPA: key, Target: ref.Kind + "/" + ref.Name, Window: time.Duration(*h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds) * time.Second}
	defer func() { c.m.C.Note(NoteHPA, dec) }()

	t, err := c.getScale(h)
	if err != nil {
		c.rec.Event(h, api.EventTypeWarning, "FailedGetScale", err.Error())
		c.setCondition(h, api.HPAAbleToScale, api.ConditionFalse, "FailedGetScale", "the HPA controller was unable to get the target's current scale: "+err.Error())
		c.updateStatusIfNeeded(original, h)
		dec.Error, dec.ErrorReason = err.Error(), "FailedGetScale"
		return
	}
	c.setCondition(h, api.HPAAbleToScale, api.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale")
	current := t.specReplicas
	dec.Current = current
	if len(c.recommendations[key]) == 0 {
		c.recommendations[key] = []hpaRecommendation{{Replicas: current, At: c.m.Now()}}
	}
	minR := *h.Spec.MinReplicas
	var desired int32
	var statuses []api.MetricStatus
	rescale := true
	rescaleReason := ""
	switch {
	case current == 0 && minR != 0:
		rescale = false
		c.setCondition(h, api.HPAScalingActive, api.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
	case current > h.Spec.MaxReplicas:
		rescaleReason, desired = "Current number of replicas above Spec.MaxReplicas", h.Spec.MaxReplicas
	case current < minR:
		rescaleReason, desired = "Current number of replicas below Spec.MinReplicas", minR
	default:
		proposed, metricName, sts, reason, err := c.computeReplicasForMetrics(h, t, &dec)
		statuses = sts
		if err != nil {
			h.Status.CurrentReplicas, h.Status.CurrentMetrics = current, statuses
			c.updateStatusIfNeeded(original, h)
			c.rec.Event(h, api.EventTypeWarning, "FailedComputeMetricsReplicas", err.Error())
			dec.Error, dec.ErrorReason = err.Error(), reason
			return
		}
		dec.Proposed = proposed
		if proposed > current {
			rescaleReason = metricName + " above target"
		}
		if proposed < current {
			rescaleReason = "All metrics below target"
		}
		wall := c.m.Now()
		n := normalizeDesired(wall, h, current, proposed, c.recommendations[key], c.ups[key], c.downs[key])
		c.recordRecommendation(key, h, wall, proposed)
		if n.StabilizedReason != "ReadyForNewScale" {
			c.setCondition(h, api.HPAAbleToScale, api.ConditionTrue, n.StabilizedReason, n.StabilizedMessage)
		} else {
			c.setCondition(h, api.HPAAbleToScale, api.ConditionTrue, "ReadyForNewScale", "recommended size matches current size")
		}
		limited := api.ConditionFalse
		if n.Limit.Limited {
			limited = api.ConditionTrue
		}
		c.setCondition(h, api.HPAScalingLimited, limited, n.Limit.Reason, n.Limit.Message)
		dec.StabilizedReason, dec.LimitReason = n.StabilizedReason, n.Limit.Reason
		dec.Stabilized = stabilizedOnly(wall, h, current, proposed, c.recommendations[key])
		desired = n.Replicas
		rescale = desired != current
	}
	if rescale {
		if err := c.updateScale(h, t, desired); err != nil {
			c.rec.Eventf(h, api.EventTypeWarning, "FailedRescale", "New size: %d; reason: %s; error: %v", desired, rescaleReason, err.Error())
			c.setCondition(h, api.HPAAbleToScale, api.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: "+err.Error())
			h.Status.CurrentReplicas, h.Status.CurrentMetrics = current, statuses
			c.updateStatusIfNeeded(original, h)
			dec.Error, dec.ErrorReason = err.Error(), "FailedRescale"
			return
		}
		c.setCondition(h, api.HPAAbleToScale, api.ConditionTrue, "SucceededRescale", fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired))
		c.rec.Eventf(h, api.EventTypeNormal, "SuccessfulRescale", "New size: %d; reason: %s", desired, rescaleReason)
		c.storeScaleEvent(key, h, current, desired)
		dec.Rescaled = true
	} else {
		desired = current
	}
	dec.Desired = desired
	h.Status.CurrentReplicas, h.Status.DesiredReplicas, h.Status.CurrentMetrics = current, desired, statuses
	if rescale {
		h.Status.LastScaleTime = api.NewTimePtr(c.m.Now())
	}
	c.updateStatusIfNeeded(original, h)
}

// stabilizedOnly is the recommendation after the stabilization windows
// alone (for the decision record); history already holds proposed.
func stabilizedOnly(now time.Time, h *api.HorizontalPodAutoscaler, current, proposed int32, history []hpaRecommendation) int32 {
	rec, _, _ := stabilize(now, current, proposed, history, h.Spec.Behavior)
	return rec
}

// recordRecommendation keeps the unstabilized recommendation, dropping
// those older than both windows.
func (c *HorizontalPodAutoscalerController) recordRecommendation(key string, h *api.HorizontalPodAutoscaler, now time.Time, replicas int32) {
	window := time.Duration(max(*h.Spec.Behavior.ScaleUp.StabilizationWindowSeconds, *h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds)) * time.Second
	kept := c.recommendations[key][:0]
	for _, r := range c.recommendations[key] {
		if !r.At.Before(now.Add(-window)) {
			kept = append(kept, r)
		}
	}
	c.recommendations[key] = append(kept, hpaRecommendation{Replicas: replicas, At: now})
}

// storeScaleEvent keeps the change within the longest policy period.
func (c *HorizontalPodAutoscalerController) storeScaleEvent(key string, h *api.HorizontalPodAutoscaler, from, to int32) {
	now := c.m.Now()
	events, rules, change := c.downs, h.Spec.Behavior.ScaleDown, from-to
	if to > from {
		events, rules, change = c.ups, h.Spec.Behavior.ScaleUp, to-from
	}
	var longest int32
	for _, p := range rules.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	kept := events[key][:0]
	for _, e := range events[key] {
		if e.At.After(now.Add(-time.Duration(longest) * time.Second)) {
			kept = append(kept, e)
		}
	}
	events[key] = append(kept, hpaScaleEvent{Change: change, At: now})
}

func (c *HorizontalPodAutoscalerController) updateStatusIfNeeded(original api.HorizontalPodAutoscalerStatus, h *api.HorizontalPodAutoscaler) {
	if reflect.DeepEqual(original, h.Status) {
		return
	}
	if _, err := c.m.Client.UpdateStatus(h); err != nil && !apierrors.IsNotFound(err) {
		c.rec.Event(h, api.EventTypeWarning, "FailedUpdateStatus", err.Error())
	}
}

// computeReplicasForMetrics is the highest proposal of the HPA's metrics.
// On failure it returns the failing metric's condition reason.
func (c *HorizontalPodAutoscalerController) computeReplicasForMetrics(h *api.HorizontalPodAutoscaler, t *hpaTarget, dec *HPADecision) (int32, string, []api.MetricStatus, string, error) {
	if t.selector == "" {
		c.rec.Event(h, api.EventTypeWarning, "SelectorRequired", "selector is required")
		c.setCondition(h, api.HPAScalingActive, api.ConditionFalse, "InvalidSelector", "the HPA target's scale is missing a selector")
		return 0, "", nil, "InvalidSelector", fmt.Errorf("selector is required")
	}
	sel, err := api.ParseSelector(t.selector)
	if err != nil {
		msg := fmt.Sprintf("couldn't convert selector into a corresponding internal selector object: %v", err)
		c.rec.Event(h, api.EventTypeWarning, "InvalidSelector", msg)
		c.setCondition(h, api.HPAScalingActive, api.ConditionFalse, "InvalidSelector", msg)
		return 0, "", nil, "InvalidSelector", fmt.Errorf("%s", msg)
	}
	statuses := make([]api.MetricStatus, len(h.Spec.Metrics))
	var replicas int32
	metric := ""
	invalid := 0
	var firstErr error
	var firstReason, firstMessage string
	for i, spec := range h.Spec.Metrics {
		proposal, name, reason, err := c.computeReplicasForMetric(h, spec, t, sel, &statuses[i], dec)
		if err != nil {
			if invalid == 0 {
				firstErr, firstReason = err, reason
				firstMessage = "the HPA was unable to compute the replica count: " + errCause(err)
			}
			invalid++
			continue
		}
		if replicas == 0 || proposal > replicas {
			replicas, metric = proposal, name
		}
	}
	if invalid > 0 && (invalid >= len(h.Spec.Metrics) || replicas < t.specReplicas) {
		c.setCondition(h, api.HPAScalingActive, api.ConditionFalse, firstReason, firstMessage)
		return 0, "", statuses, firstReason, fmt.Errorf("invalid metrics (%d invalid out of %d), first error is: %v", invalid, len(h.Spec.Metrics), firstErr)
	}
	if len(h.Spec.Metrics) == 0 {
		// The real API defaults an empty metrics list to 80% cpu; kubesim's
		// validation requires one, so this is not reached.
		return t.specReplicas, "", statuses, "", nil
	}
	c.setCondition(h, api.HPAScalingActive, api.ConditionTrue, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from "+metric)
	return replicas, metric, statuses, "", nil
}

// metricError carries the inner error the condition message quotes.
type metricError struct {
	outer string
	inner error
}

func (e *metricError) Error() string { return e.outer + ": " + e.inner.Error() }

func errCause(err error) string {
	if me, ok := err.(*metricError); ok {
		return me.inner.Error()
	}
	return err.Error()
}

// computeReplicasForMetric computes one Resource metric.
func (c *HorizontalPodAutoscalerController) computeReplicasForMetric(h *api.HorizontalPodAutoscaler, spec api.MetricSpec, t *hpaTarget, sel api.Selector, status *api.MetricStatus, dec *HPADecision) (int32, string, string, error) {
	if spec.Type != api.ResourceMetricSourceType || spec.Resource == nil {
		err := fmt.Errorf("metric source type %q is not supported by kubesim", spec.Type)
		c.rec.Event(h, api.EventTypeWarning, "InvalidMetricSourceType", err.Error())
		return 0, "", "InvalidMetricSourceType", err
	}
	res := spec.Resource.Name
	target := spec.Resource.Target
	fail := func(err error) (int32, string, string, error) {
		inner := fmt.Errorf("failed to get %s utilization: %v", res, err)
		if target.AverageValue != nil {
			inner = fmt.Errorf("failed to get %s usage: %v", res, err)
		}
		c.rec.Event(h, api.EventTypeWarning, "FailedGetResourceMetric", inner.Error())
		return 0, "", "FailedGetResourceMetric", &metricError{outer: fmt.Sprintf("failed to get %s resource metric value", res), inner: inner}
	}
	samples, err := c.samples(h.Namespace, sel, res)
	if err != nil {
		return fail(err)
	}
	for _, s := range samples {
		switch s.State {
		case hpaPodReady:
			dec.Ready++
		case hpaPodMissing:
			dec.Missing++
		case hpaPodUnready:
			dec.Unready++
		}
	}
	dec.Resource = res
	if target.AverageValue != nil {
		// An AverageValue target: the usage per pod against the value,
		// with the same treatment of missing and unready pods.
		r, err := rawResourceReplicas(t.specReplicas, target.AverageValue.MilliValue(), samples)
		if err != nil {
			return fail(err)
		}
		*status = api.MetricStatus{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricStatus{Name: res,
			Current: api.MetricValueStatus{AverageValue: quantityPtr(api.NewMilliQuantity(r.RawAverageMilli, api.DecimalSI))}}}
		return r.Replicas, fmt.Sprintf("%s resource", res), "", nil
	}
	if target.AverageUtilization == nil {
		return fail(fmt.Errorf("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"))
	}
	r, err := resourceReplicas(t.specReplicas, *target.AverageUtilization, res, samples)
	if err != nil {
		return fail(err)
	}
	util := r.Utilization
	dec.Utilization, dec.TargetUtilization = util, *target.AverageUtilization
	*status = api.MetricStatus{Type: api.ResourceMetricSourceType, Resource: &api.ResourceMetricStatus{Name: res,
		Current: api.MetricValueStatus{AverageUtilization: &util, AverageValue: quantityPtr(api.NewMilliQuantity(r.RawAverageMilli, api.DecimalSI))}}}
	return r.Replicas, fmt.Sprintf("%s resource utilization (percentage of request)", res), "", nil
}

func quantityPtr(q api.Quantity) *api.Quantity { return &q }

// rawResourceReplicas is GetRawResourceReplicas: an AverageValue target
// scaled like a utilization of the pods' use against the value.
func rawResourceReplicas(current int32, targetMilli int64, pods []hpaPodSample) (hpaReplicaResult, error) {
	if targetMilli <= 0 {
		return hpaReplicaResult{}, fmt.Errorf("invalid average value target %dm", targetMilli)
	}
	// Each pod's request stands for the target value: utilization 100%
	// is then exactly the target.
	scaled := make([]hpaPodSample, len(pods))
	for i, p := range pods {
		p.RequestMilli, p.MissingRequest = targetMilli, ""
		scaled[i] = p
	}
	r, err := resourceReplicas(current, 100, api.ResourceCPU, scaled)
	return r, err
}

// samples reads the metrics API and classifies the target's pods as the
// replica calculator's groupPods does.
func (c *HorizontalPodAutoscalerController) samples(namespace string, sel api.Selector, res api.ResourceName) ([]hpaPodSample, error) {
	var system []*api.Pod
	for _, o := range c.m.Select("pods", api.NamespaceSystem, api.SelectorFromSet(map[string]string{metricsserver.LabelKey: metricsserver.LabelValue})) {
		system = append(system, o.(*api.Pod))
	}
	actor, err := metricsserver.Pick(system, "pods")
	if err != nil {
		return nil, fmt.Errorf("unable to get metrics for resource %s: unable to fetch metrics from resource metrics API: %v", res, err)
	}
	m, err := c.m.C.Call(actor, metricsserver.KindQuery, metricsserver.Query{Namespace: namespace, LabelSelector: sel.String()}, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("unable to get metrics for resource %s: unable to fetch metrics from resource metrics API: %v", res, metricsserver.Unavailable("pods"))
	}
	reply := m.Body.(metricsserver.QueryReply)
	if len(reply.Pods) == 0 {
		return nil, fmt.Errorf("unable to get metrics for resource %s: no metrics returned from resource metrics API", res)
	}
	metrics := map[string]metricsserver.PodMetrics{}
	for _, pm := range reply.Pods {
		metrics[pm.Name] = pm
	}
	pods := c.m.Select("pods", namespace, sel)
	if len(pods) == 0 {
		return nil, fmt.Errorf("no pods returned by selector while calculating replica count")
	}
	now := c.m.Now()
	out := make([]hpaPodSample, 0, len(pods))
	for _, o := range pods {
		p := o.(*api.Pod)
		s := hpaPodSample{Name: p.Name}
		for _, ct := range p.Spec.Containers {
			q, ok := ct.Resources.Requests[res]
			if !ok {
				s.RequestMilli, s.MissingRequest = 0, ct.Name
				break
			}
			s.RequestMilli += q.MilliValue()
		}
		pm, found := metrics[p.Name]
		switch {
		case p.DeletionTimestamp != nil || p.Status.Phase == api.PodFailed:
			s.State = hpaPodIgnored
		case p.Status.Phase == api.PodPending:
			s.State = hpaPodUnready
		case !found:
			s.State = hpaPodMissing
		case res == api.ResourceCPU && cpuUnready(p, pm, now):
			s.State = hpaPodUnready
		default:
			s.State = hpaPodReady
			if res == api.ResourceCPU {
				s.UsageMilli = pm.CPUMilli()
			} else {
				s.UsageMilli = pm.MemoryBytes() * 1000
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// cpuUnready is groupPods' test for a cpu sample to ignore: a pod not
// ready, or within its initialization period and ready for less than a
// metric window.
func cpuUnready(p *api.Pod, pm metricsserver.PodMetrics, now time.Time) bool {
	var ready *api.PodCondition
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == api.PodReady {
			ready = &p.Status.Conditions[i]
		}
	}
	if ready == nil || p.Status.StartTime == nil {
		return true
	}
	start := p.Status.StartTime.Time
	if start.Add(HPACPUInitializationPeriod).After(now) {
		return ready.Status == api.ConditionFalse || pm.Timestamp.Before(ready.LastTransitionTime.Add(pm.Window))
	}
	return ready.Status == api.ConditionFalse && start.Add(HPAInitialReadinessDelay).After(ready.LastTransitionTime.Time)
}

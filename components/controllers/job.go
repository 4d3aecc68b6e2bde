package controllers

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// Job back-off: a failed pod is replaced after DefaultJobPodFailureBackOff,
// doubling with each failure after the last success, up to
// MaxJobPodFailureBackOff (pkg/controller/job).
const (
	DefaultJobPodFailureBackOff = 10 * time.Second
	MaxJobPodFailureBackOff     = 6 * time.Minute
)

// Jobs is the Job controller: it runs pods of a Job until completions of
// them succeed, replacing failed ones with exponential back-off until
// backoffLimit or activeDeadlineSeconds is exceeded, and reports status and
// conditions.
//
// A podFailurePolicy decides what each failed pod means, its first
// matching rule first: FailJob fails the Job at once (reason
// PodFailurePolicy), Ignore leaves the failure out of status.failed and
// the back-off, Count is the default.
//
// Simplified: pods are counted while they exist (no job-tracking finalizer,
// so uncountedTerminatedPods stays empty) and the counters never go down;
// successPolicy and backoffLimitPerIndex are stored but not acted on, so
// a FailIndex rule counts as Count. FailureTarget and Failed are set
// together.
type Jobs struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
	exp *expectations
	// noted are the failed pods whose podFailurePolicy match was recorded.
	noted map[api.UID]bool
}

// NewJobs returns the controller.
func NewJobs() Controller { return &Jobs{exp: newExpectations(), noted: map[api.UID]bool{}} }

// JobPodFailureNote is the typed record of the Job controller applying a
// podFailurePolicy rule to a failed pod (trace kind "job-pod-failure").
type JobPodFailureNote struct {
	Namespace, Job, Pod string
	// Rule is the index of the matching rule and Action its action.
	Rule   int
	Action api.PodFailurePolicyAction
	// Container and ExitCode are what an onExitCodes rule matched;
	// Condition what an onPodConditions rule matched.
	Container string
	ExitCode  int32
	Condition api.PodConditionType
}

// Summary implements sim.Summarizer.
func (n JobPodFailureNote) Summary() string {
	return fmt.Sprintf("job %s/%s: pod %s matches podFailurePolicy rule %d (%s)", n.Namespace, n.Job, n.Pod, n.Rule, n.Action)
}

// Name implements Controller.
func (j *Jobs) Name() string { return "job" }

// Setup implements Controller.
func (j *Jobs) Setup(m *Manager, q *Queue) {
	j.m, j.q = m, q
	j.rec = m.Recorder("job-controller")
	m.AddIndex("pods", IndexController, controllerIndex)
	m.Informer("jobs").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
	m.Informer("jobs").AddHandler(client.Handler{OnDelete: func(o api.Object) { j.exp.forget(o.GetObjectMeta().Key()) }})
	m.Informer("pods").AddHandler(client.Handler{
		OnAdd: func(o api.Object) {
			if k := j.controllerOf(o.(*api.Pod)); k != "" {
				j.exp.creationObserved(k)
				q.Add(k)
			}
		},
		OnUpdate: func(_, o api.Object) {
			if k := j.controllerOf(o.(*api.Pod)); k != "" {
				q.Add(k)
			}
		},
		OnDelete: func(o api.Object) {
			delete(j.noted, o.GetObjectMeta().UID)
			if k := j.controllerOf(o.(*api.Pod)); k != "" {
				q.Add(k)
			}
		},
	})
}

func (j *Jobs) controllerOf(p *api.Pod) string {
	ref := p.ControllerRef()
	if ref == nil || ref.Kind != "Job" {
		return ""
	}
	return p.Namespace + "/" + ref.Name
}

func jobFinished(job *api.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == api.JobComplete || c.Type == api.JobFailed) && c.Status == api.ConditionTrue {
			return true
		}
	}
	return false
}

func podFinishTime(p *api.Pod) time.Time {
	var t time.Time
	for _, cs := range p.Status.ContainerStatuses {
		if tr := cs.State.Terminated; tr != nil && tr.FinishedAt.Time.After(t) {
			t = tr.FinishedAt.Time
		}
	}
	if t.IsZero() {
		if c := podCondition(p, api.PodReady); c != nil {
			t = c.LastTransitionTime.Time
		}
	}
	return t
}

// Reconcile implements Controller; the key is "namespace/name".
func (j *Jobs) Reconcile(key string) (Result, error) {
	o, ok := j.m.Informer("jobs").Get(key)
	if !ok {
		j.exp.forget(key)
		return Result{}, nil
	}
	job := o.(*api.Job)
	if job.DeletionTimestamp != nil || jobFinished(job) {
		return Result{}, nil
	}
	now := j.m.Now()
	nowT := api.NewTime(now.Truncate(time.Second))
	var active, succeededPods, failedPods []*api.Pod
	for _, po := range j.m.ByIndex("pods", IndexController, string(job.UID)) {
		p := po.(*api.Pod)
		switch {
		case p.Status.Phase == api.PodSucceeded:
			succeededPods = append(succeededPods, p)
		case p.Status.Phase == api.PodFailed:
			failedPods = append(failedPods, p)
		case p.DeletionTimestamp == nil:
			active = append(active, p)
		}
	}
	st := api.DeepCopyValue(job.Status)
	indexed := job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == api.IndexedCompletion
	completions := int32(-1)
	if job.Spec.Completions != nil {
		completions = *job.Spec.Completions
	}
	parallelism := int32(1)
	if job.Spec.Parallelism != nil {
		parallelism = *job.Spec.Parallelism
	}
	backoffLimit := int32(6)
	if job.Spec.BackoffLimit != nil {
		backoffLimit = *job.Spec.BackoffLimit
	}
	suspended := job.Spec.Suspend != nil && *job.Spec.Suspend
	if st.StartTime == nil && !suspended {
		st.StartTime = &nowT
	}
	done := map[int]bool{}
	if indexed {
		for _, p := range succeededPods {
			if i, ok := podIndex(p); ok && i < int(completions) {
				done[i] = true
			}
		}
		st.CompletedIndexes = formatIndexes(done)
		st.Succeeded = max(st.Succeeded, int32(len(done)))
	} else {
		st.Succeeded = max(st.Succeeded, int32(len(succeededPods)))
	}
	counted, failJob := failedPods, ""
	if pfp := job.Spec.PodFailurePolicy; pfp != nil {
		counted = nil
		for _, p := range failedPods {
			m := matchPodFailurePolicy(pfp, p)
			if m.Count {
				counted = append(counted, p)
			}
			if m.Message != "" && failJob == "" {
				failJob = m.Message
			}
			if m.Rule >= 0 && !j.noted[p.UID] {
				j.noted[p.UID] = true
				j.m.C.Note("job-pod-failure", JobPodFailureNote{Namespace: job.Namespace, Job: job.Name, Pod: p.Name,
					Rule: m.Rule, Action: m.Action, Container: m.Container, ExitCode: m.ExitCode, Condition: m.Condition})
			}
		}
	}
	st.Failed = max(st.Failed, int32(len(counted)))
	ready := int32(0)
	restarts := int32(0)
	for _, p := range active {
		if isPodReady(p) {
			ready++
		}
		for _, cs := range p.Status.ContainerStatuses {
			restarts += cs.RestartCount
		}
	}
	st.Ready = &ready

	// Has the Job failed or succeeded?
	var failReason, failMessage string
	onFailure := job.Spec.Template.Spec.RestartPolicy == api.RestartPolicyOnFailure
	switch {
	case failJob != "":
		failReason, failMessage = api.JobReasonPodFailurePolicy, failJob
	case st.Failed > backoffLimit || (onFailure && backoffLimit > 0 && restarts+st.Failed > backoffLimit) || (onFailure && backoffLimit == 0 && restarts > 0):
		failReason, failMessage = api.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit"
	case job.Spec.ActiveDeadlineSeconds != nil && st.StartTime != nil &&
		!now.Before(st.StartTime.Time.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second)):
		failReason, failMessage = api.JobReasonDeadlineExceeded, "Job was active longer than specified deadline"
	}
	complete := false
	if completions >= 0 {
		complete = st.Succeeded >= completions
	} else {
		complete = len(succeededPods) > 0 && len(active) == 0
	}
	var requeue time.Duration
	switch {
	case failReason != "":
		j.deletePods(job, active)
		st.Conditions = setJobCond(st.Conditions, api.JobFailureTarget, failReason, failMessage, nowT)
		st.Conditions = setJobCond(st.Conditions, api.JobFailed, failReason, failMessage, nowT)
		j.rec.Eventf(job, api.EventTypeWarning, failReason, "%s", failMessage)
		st.Active = 0
	case complete:
		j.deletePods(job, active)
		st.Conditions = setJobCond(st.Conditions, api.JobSuccessCriteriaMet, api.JobReasonCompletionsReached, "Reached expected number of succeeded pods", nowT)
		st.Conditions = setJobCond(st.Conditions, api.JobComplete, api.JobReasonCompletionsReached, "Reached expected number of succeeded pods", nowT)
		st.CompletionTime = &nowT
		j.rec.Eventf(job, api.EventTypeNormal, "Completed", "Job completed")
		st.Active = 0
	case suspended:
		j.deletePods(job, active)
		st.Active = 0
	default:
		want := parallelism
		if completions >= 0 {
			want = min(parallelism, completions-st.Succeeded)
		}
		if !j.exp.satisfied(key, j.m.C.Now()) {
			break
		}
		if n := int(want) - len(active); n > 0 {
			if wait := j.backoffRemaining(succeededPods, counted, now); wait > 0 {
				requeue = wait
			} else {
				j.createPods(job, n, active, done, indexed, completions)
			}
		}
		st.Active = int32(len(active))
		if job.Spec.ActiveDeadlineSeconds != nil && st.StartTime != nil {
			left := st.StartTime.Time.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second).Sub(now)
			if requeue == 0 || left < requeue {
				requeue = left
			}
		}
	}
	if !reflect.DeepEqual(st, job.Status) {
		c := api.DeepCopy(job)
		c.Status = st
		if _, err := j.m.Client.UpdateStatus(c); err != nil {
			return Result{}, err
		}
	}
	return Result{RequeueAfter: requeue}, nil
}

// backoffRemaining is how long to wait before replacing a failed pod:
// 10 s doubling per failure since the last success, capped at 6 min,
// counted from the last failure.
func (j *Jobs) backoffRemaining(succeeded, failed []*api.Pod, now time.Time) time.Duration {
	var lastSuccess time.Time
	for _, p := range succeeded {
		if t := podFinishTime(p); t.After(lastSuccess) {
			lastSuccess = t
		}
	}
	n := 0
	var lastFailure time.Time
	for _, p := range failed {
		t := podFinishTime(p)
		if t.After(lastSuccess) || lastSuccess.IsZero() {
			n++
			if t.After(lastFailure) {
				lastFailure = t
			}
		}
	}
	if n == 0 {
		return 0
	}
	d := DefaultJobPodFailureBackOff
	for i := 1; i < n && d < MaxJobPodFailureBackOff; i++ {
		d *= 2
	}
	d = min(d, MaxJobPodFailureBackOff)
	return lastFailure.Add(d).Sub(now)
}

func (j *Jobs) createPods(job *api.Job, n int, active []*api.Pod, done map[int]bool, indexed bool, completions int32) {
	var indexes []int
	if indexed {
		running := map[int]bool{}
		for _, p := range active {
			if i, ok := podIndex(p); ok {
				running[i] = true
			}
		}
		for i := 0; i < int(completions) && len(indexes) < n; i++ {
			if !done[i] && !running[i] {
				indexes = append(indexes, i)
			}
		}
		n = len(indexes)
	}
	if n == 0 {
		return
	}
	key := job.Key()
	j.exp.expectCreations(key, n, j.m.C.Now())
	ok, _ := slowStartBatch(n, 1, func() error {
		pod := podFromTemplate(&job.Spec.Template, job)
		if indexed {
			i := indexes[0]
			indexes = indexes[1:]
			addIndex(pod, job.Name, i)
		}
		created, err := j.m.Client.Create(pod)
		if err != nil {
			j.rec.Eventf(job, api.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
			return err
		}
		j.rec.Eventf(job, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", created.GetObjectMeta().Name)
		return nil
	})
	for i := ok; i < n; i++ {
		j.exp.creationObserved(key)
	}
}

func (j *Jobs) deletePods(job *api.Job, pods []*api.Pod) {
	for _, p := range pods {
		if _, err := j.m.Client.Delete("pods", p.Namespace, p.Name, client.DeleteOptions{}); err == nil {
			j.rec.Eventf(job, api.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", p.Name)
		}
	}
}

// addIndex gives an Indexed Job's pod its completion index: the
// annotation and label, hostname <job>-<index> and JOB_COMPLETION_INDEX.
func addIndex(pod *api.Pod, job string, i int) {
	s := strconv.Itoa(i)
	pod.GenerateName = job + "-" + s + "-"
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Annotations[api.AnnotationJobCompletionIndex] = s
	pod.Labels[api.AnnotationJobCompletionIndex] = s
	pod.Spec.Hostname = job + "-" + s
	for k := range pod.Spec.Containers {
		c := &pod.Spec.Containers[k]
		c.Env = append(c.Env, api.EnvVar{Name: "JOB_COMPLETION_INDEX", Value: s})
	}
}

func podIndex(p *api.Pod) (int, bool) {
	i, err := strconv.Atoi(p.Annotations[api.AnnotationJobCompletionIndex])
	return i, err == nil && i >= 0
}

// formatIndexes writes a set of indexes as intervals ("0-2,4").
func formatIndexes(set map[int]bool) string {
	var xs []int
	for i := range set {
		xs = append(xs, i)
	}
	sort.Ints(xs)
	var parts []string
	for k := 0; k < len(xs); {
		e := k
		for e+1 < len(xs) && xs[e+1] == xs[e]+1 {
			e++
		}
		if e == k {
			parts = append(parts, strconv.Itoa(xs[k]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", xs[k], xs[e]))
		}
		k = e + 1
	}
	return strings.Join(parts, ",")
}

func setJobCond(conds []api.JobCondition, t api.JobConditionType, reason, msg string, now api.Time) []api.JobCondition {
	for i := range conds {
		if conds[i].Type == t {
			if conds[i].Status != api.ConditionTrue {
				conds[i].LastTransitionTime = now
			}
			conds[i].Status, conds[i].Reason, conds[i].Message, conds[i].LastProbeTime = api.ConditionTrue, reason, msg, now
			return conds
		}
	}
	return append(conds, api.JobCondition{Type: t, Status: api.ConditionTrue, LastProbeTime: now, LastTransitionTime: now, Reason: reason, Message: msg})
}

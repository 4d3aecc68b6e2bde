package controllers

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/api/cron"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// AnnotationCronJobScheduledTimestamp is the annotation on a CronJob's Job
// that carries the time it was scheduled for, in the CronJob's time zone
// (RFC 3339).
const AnnotationCronJobScheduledTimestamp = "batch.kubernetes.io/cronjob-scheduled-timestamp"

// cronJobNextScheduleDelta pads every requeue past the schedule time, as
// the real controller does against clock skew.
const cronJobNextScheduleDelta = 100 * time.Millisecond

// maxMissedSchedules is how many missed start times the controller still
// catches up on; beyond it, it warns (TooManyMissedTimes).
const maxMissedSchedules = 100

// CronJobs is the CronJob controller (cronjob-controller, the "v2"
// controller of pkg/controller/cronjob): it creates a Job named
// <cronjob>-<scheduled time in minutes since the epoch> at each time the
// schedule names, honouring suspend, startingDeadlineSeconds and
// concurrencyPolicy (Allow, Forbid, Replace), tracks its Jobs in
// status.active, lastScheduleTime and lastSuccessfulTime, and deletes
// finished Jobs beyond successfulJobsHistoryLimit and
// failedJobsHistoryLimit (oldest first). It looks again 100 ms after the
// next schedule time, on virtual time.
//
// Without spec.timeZone the schedule is read in UTC, the zone kubesim's
// kube-controller-manager runs in.
type CronJobs struct {
	m   *Manager
	q   *Queue
	rec *client.EventRecorder
	// due is when each key's pending look is due (virtual time): a
	// reconcile between two schedule times asks for no second timer, as
	// client-go's delaying queue keeps one entry per key.
	due map[string]time.Duration
	// written is the resourceVersion of each CronJob's last status write:
	// a cached copy older than that is stale, and the watch event that
	// brings the write will look again.
	written map[string]int64
	// held is the schedule time Forbid last held back, per key: the
	// decision is recorded once however many looks repeat it.
	held map[string]time.Time
}

// NewCronJobs returns the controller.
func NewCronJobs() Controller {
	return &CronJobs{due: map[string]time.Duration{}, written: map[string]int64{}, held: map[string]time.Time{}}
}

func resourceVersion(o api.Object) int64 {
	n, _ := strconv.ParseInt(o.GetObjectMeta().ResourceVersion, 10, 64)
	return n
}

// Name implements Controller.
func (c *CronJobs) Name() string { return "cronjob" }

// Setup implements Controller.
func (c *CronJobs) Setup(m *Manager, q *Queue) {
	c.m, c.q = m, q
	c.rec = m.Recorder("cronjob-controller")
	m.AddIndex("jobs", IndexController, controllerIndex)
	m.Informer("cronjobs").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Key() }))
	owner := func(o api.Object) {
		if ref := o.GetObjectMeta().ControllerRef(); ref != nil && ref.Kind == "CronJob" {
			q.Add(o.GetObjectMeta().Namespace + "/" + ref.Name)
		}
	}
	m.Informer("jobs").AddHandler(client.Handler{
		OnAdd:    owner,
		OnUpdate: func(_, o api.Object) { owner(o) },
		OnDelete: owner,
	})
}

// CronJobDecision names what the CronJob controller did at a look.
type CronJobDecision string

// The CronJob controller's decisions, one note each.
const (
	// CronJobCreated: a schedule time came and a Job was created.
	CronJobCreated CronJobDecision = "Created"
	// CronJobForbidden: a schedule time came while a Job was active and
	// concurrencyPolicy is Forbid, so no Job was created.
	CronJobForbidden CronJobDecision = "Forbidden"
	// CronJobReplaced: concurrencyPolicy Replace deleted an active Job to
	// make room for the new one.
	CronJobReplaced CronJobDecision = "Replaced"
	// CronJobMissed: the schedule time is older than
	// startingDeadlineSeconds; it is skipped.
	CronJobMissed CronJobDecision = "Missed"
	// CronJobTooManyMissed: more than 100 start times were missed; the
	// controller starts only the latest.
	CronJobTooManyMissed CronJobDecision = "TooManyMissed"
	// CronJobSawCompleted: an active Job finished and left status.active.
	CronJobSawCompleted CronJobDecision = "SawCompleted"
	// CronJobPruned: a finished Job beyond the history limit was deleted.
	CronJobPruned CronJobDecision = "Pruned"
)

// CronJobNote is the typed record of one decision of the CronJob
// controller (trace kind "cronjob").
type CronJobNote struct {
	Namespace, Name string
	Decision        CronJobDecision
	// Job is the Job created, deleted or seen finishing.
	Job string
	// Scheduled is the schedule time the decision is about (Created,
	// Forbidden, Replaced, Missed, TooManyMissed).
	Scheduled time.Time
	// Next is the schedule time after it.
	Next time.Time
	// Condition is how a seen Job finished (Complete or Failed); for
	// Pruned, which history it was pruned from.
	Condition api.JobConditionType
	// Limit is the history limit that pruned (Pruned), or the
	// startingDeadlineSeconds that missed (Missed).
	Limit int64
	// Active is how many Jobs were active when Forbid held one back.
	Active int
}

// Summary implements sim.Summarizer.
func (n CronJobNote) Summary() string {
	s := fmt.Sprintf("cronjob %s/%s: %s", n.Namespace, n.Name, n.Decision)
	if n.Job != "" {
		s += " job " + n.Job
	}
	if !n.Scheduled.IsZero() {
		s += " scheduled " + n.Scheduled.UTC().Format(time.RFC3339)
	}
	return s
}

func (c *CronJobs) note(cj *api.CronJob, n CronJobNote) {
	n.Namespace, n.Name = cj.Namespace, cj.Name
	c.m.C.Note("cronjob", n)
}

func jobFinishedAs(j *api.Job) (api.JobConditionType, bool) {
	for _, cond := range j.Status.Conditions {
		if (cond.Type == api.JobComplete || cond.Type == api.JobFailed) && cond.Status == api.ConditionTrue {
			return cond.Type, true
		}
	}
	return "", false
}

func inActive(cj *api.CronJob, uid api.UID) bool {
	for _, r := range cj.Status.Active {
		if r.UID == uid {
			return true
		}
	}
	return false
}

func removeActive(cj *api.CronJob, uid api.UID) {
	out := cj.Status.Active[:0]
	for _, r := range cj.Status.Active {
		if r.UID != uid {
			out = append(out, r)
		}
	}
	cj.Status.Active = out
	if len(out) == 0 {
		cj.Status.Active = nil
	}
}

// CronJobName is the name of the Job a CronJob creates for a schedule
// time: the time in minutes since the epoch, so that the name itself
// keeps two Jobs from being made for one time.
func CronJobName(cronJob string, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cronJob, scheduled.Unix()/60)
}

// Reconcile implements Controller; the key is "namespace/name".
func (c *CronJobs) Reconcile(key string) (Result, error) {
	o, ok := c.m.Informer("cronjobs").Get(key)
	if !ok {
		delete(c.due, key)
		delete(c.written, key)
		delete(c.held, key)
		return Result{}, nil
	}
	if resourceVersion(o) < c.written[key] {
		return Result{}, nil
	}
	cj := api.DeepCopy(o.(*api.CronJob))
	var jobs []*api.Job
	for _, jo := range c.m.ByIndex("jobs", IndexController, string(cj.UID)) {
		jobs = append(jobs, jo.(*api.Job))
	}
	orig := api.DeepCopyValue(cj.Status)
	requeue, err := c.sync(cj, jobs, &orig)
	c.cleanupFinished(cj, jobs)
	if !reflect.DeepEqual(orig, cj.Status) {
		updated, uerr := c.m.Client.UpdateStatus(cj)
		switch {
		case uerr != nil && err == nil:
			err = uerr
		case uerr == nil:
			c.written[key] = resourceVersion(updated)
		}
	}
	if err != nil {
		return Result{}, err
	}
	if requeue <= 0 {
		return Result{}, nil
	}
	at := c.m.C.Now() + requeue
	if d, ok := c.due[key]; ok && d > c.m.C.Now() && d <= at {
		return Result{}, nil // a look is already due no later
	}
	c.due[key] = at
	return Result{RequeueAfter: requeue}, nil
}

// sync is syncCronJob: reconcile status.active with the Jobs, then start
// the Job of the most recent unmet schedule time if one is due. It returns
// when to look again. When it has to read the CronJob afresh, it replaces
// *cj and *orig with what it read.
func (c *CronJobs) sync(cj *api.CronJob, jobs []*api.Job, orig *api.CronJobStatus) (time.Duration, error) {
	now := c.m.Now()
	children := map[api.UID]bool{}
	for _, j := range jobs {
		children[j.UID] = true
		cond, finished := jobFinishedAs(j)
		found := inActive(cj, j.UID)
		switch {
		case !found && !finished:
			// Perhaps our own status update has not reached the cache
			// yet: read the CronJob from the apiserver before warning.
			if fresh, err := c.m.Client.Get("cronjobs", cj.Namespace, cj.Name); err == nil && inActive(fresh.(*api.CronJob), j.UID) {
				*cj = *api.DeepCopy(fresh.(*api.CronJob))
				*orig = api.DeepCopyValue(cj.Status)
				continue
			}
			c.rec.Eventf(cj, api.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j.Name)
		case found && finished:
			removeActive(cj, j.UID)
			c.rec.Eventf(cj, api.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %s", j.Name, cond)
			c.note(cj, CronJobNote{Decision: CronJobSawCompleted, Job: j.Name, Condition: cond})
		}
		if cond == api.JobComplete && j.Status.CompletionTime != nil &&
			(cj.Status.LastSuccessfulTime == nil || j.Status.CompletionTime.After(cj.Status.LastSuccessfulTime.Time)) {
			t := *j.Status.CompletionTime
			cj.Status.LastSuccessfulTime = &t
		}
	}
	for _, ref := range append([]api.ObjectReference(nil), cj.Status.Active...) {
		if children[ref.UID] {
			continue
		}
		_, err := c.m.Client.Get("jobs", ref.Namespace, ref.Name)
		switch {
		case apierrors.IsNotFound(err):
			c.rec.Eventf(cj, api.EventTypeNormal, "MissingJob", "Active job went missing: %v", ref.Name)
			removeActive(cj, ref.UID)
		case err != nil:
			return 0, err
		}
	}
	if cj.DeletionTimestamp != nil {
		return 0, nil
	}
	loc := time.UTC
	if tz := cj.Spec.TimeZone; tz != nil {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			c.rec.Eventf(cj, api.EventTypeWarning, "UnknownTimeZone", "invalid timeZone: %q: %s", *tz, err)
			return 0, nil
		}
		loc = l
	}
	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		return 0, nil
	}
	sched, err := cron.ParseIn(cj.Spec.Schedule, loc)
	if err != nil {
		c.rec.Eventf(cj, api.EventTypeWarning, "UnparseableSchedule", "unparseable schedule: %q : %s", cj.Spec.Schedule, err)
		return 0, nil
	}
	scheduled, missed, err := mostRecentScheduleTime(cj, now, sched, true)
	if err != nil {
		c.rec.Eventf(cj, api.EventTypeWarning, "InvalidSchedule", "invalid schedule: %s : %s", cj.Spec.Schedule, err)
		return 0, nil
	}
	if scheduled == nil {
		return nextScheduleDelay(cj, now, sched), nil
	}
	next := sched.Next(*scheduled)
	if missed > maxMissedSchedules {
		c.rec.Eventf(cj, api.EventTypeWarning, "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
		c.note(cj, CronJobNote{Decision: CronJobTooManyMissed, Scheduled: *scheduled, Next: next, Limit: missed})
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		c.rec.Eventf(cj, api.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC1123Z))
		c.note(cj, CronJobNote{Decision: CronJobMissed, Scheduled: *scheduled, Next: next, Limit: *d})
		return nextScheduleDelay(cj, now, sched), nil
	}
	name := CronJobName(cj.Name, *scheduled)
	for _, ref := range cj.Status.Active {
		if ref.Name == name {
			return nextScheduleDelay(cj, now, sched), nil
		}
	}
	if cj.Status.LastScheduleTime != nil && cj.Status.LastScheduleTime.Time.Equal(*scheduled) {
		return nextScheduleDelay(cj, now, sched), nil
	}
	if cj.Spec.ConcurrencyPolicy == api.ForbidConcurrent && len(cj.Status.Active) > 0 {
		c.rec.Eventf(cj, api.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
		if key := cj.Key(); !c.held[key].Equal(*scheduled) {
			c.held[key] = *scheduled
			c.note(cj, CronJobNote{Decision: CronJobForbidden, Scheduled: *scheduled, Next: next, Active: len(cj.Status.Active), Job: cj.Status.Active[0].Name})
		}
		return nextScheduleDelay(cj, now, sched), nil
	}
	if cj.Spec.ConcurrencyPolicy == api.ReplaceConcurrent {
		for _, ref := range append([]api.ObjectReference(nil), cj.Status.Active...) {
			o, err := c.m.Client.Get("jobs", ref.Namespace, ref.Name)
			if err != nil {
				c.rec.Eventf(cj, api.EventTypeWarning, "FailedGet", "Get job: %v", err)
				return 0, err
			}
			if !c.deleteJob(cj, o.(*api.Job)) {
				return 0, fmt.Errorf("could not replace job %s/%s", ref.Namespace, ref.Name)
			}
			c.note(cj, CronJobNote{Decision: CronJobReplaced, Job: ref.Name, Scheduled: *scheduled, Next: next})
		}
	}
	job := jobFromCronJob(cj, name, *scheduled, loc)
	created, err := c.m.Client.Create(job)
	switch {
	case apierrors.IsAlreadyExists(err):
		o, gerr := c.m.Client.Get("jobs", cj.Namespace, name)
		if gerr != nil {
			return 0, gerr
		}
		if !isControlledBy(o, cj) || inActive(cj, o.GetObjectMeta().UID) {
			return 0, nil
		}
		created = o
	case err != nil:
		c.rec.Eventf(cj, api.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return 0, err
	default:
		c.rec.Eventf(cj, api.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.GetObjectMeta().Name)
		c.note(cj, CronJobNote{Decision: CronJobCreated, Job: name, Scheduled: *scheduled, Next: next})
	}
	ref := client.Reference(created)
	cj.Status.Active = append(cj.Status.Active, ref)
	t := api.NewTime(*scheduled)
	cj.Status.LastScheduleTime = &t
	return nextScheduleDelay(cj, now, sched), nil
}

// jobFromCronJob is getJobFromTemplate2: the template's labels and
// annotations, the scheduled-timestamp annotation, the CronJob as
// controller.
func jobFromCronJob(cj *api.CronJob, name string, scheduled time.Time, loc *time.Location) *api.Job {
	tpl := api.DeepCopyValue(cj.Spec.JobTemplate)
	labels := map[string]string{}
	for k, v := range tpl.Labels {
		labels[k] = v
	}
	annotations := map[string]string{}
	for k, v := range tpl.Annotations {
		annotations[k] = v
	}
	annotations[AnnotationCronJobScheduledTimestamp] = scheduled.In(loc).Format(time.RFC3339)
	if len(labels) == 0 {
		labels = nil
	}
	return &api.Job{
		TypeMeta: api.TypeMeta{Kind: "Job", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: cj.Namespace, Labels: labels, Annotations: annotations,
			OwnerReferences: []api.OwnerReference{newControllerRef(cj)}},
		Spec: tpl.Spec,
	}
}

// mostRecentScheduleTime is the most recent schedule time not after now
// since the last one acted on (or the CronJob's creation, or now minus
// startingDeadlineSeconds, whichever is latest), nil if none, and roughly
// how many were missed (the real controller's estimate: elapsed time over
// the interval between the first two).
func mostRecentScheduleTime(cj *api.CronJob, now time.Time, s cron.Schedule, withDeadline bool) (*time.Time, int64, error) {
	earliest := earliestScheduleBase(cj, now, withDeadline)
	t1 := s.Next(earliest)
	if t1.IsZero() || now.Before(t1) {
		return nil, 0, nil
	}
	t2 := s.Next(t1)
	if t2.IsZero() || now.Before(t2) {
		return &t1, 0, nil
	}
	between := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if between < 1 {
		return nil, 0, fmt.Errorf("time difference between two schedules is less than 1 second")
	}
	missed := int64(now.Sub(t1).Seconds())/between + 1
	var recent time.Time
	// Start two intervals before the estimate and let the schedule find
	// the exact times, for schedules whose intervals are uneven.
	from := t1.Add(time.Duration((missed-2)*between) * time.Second)
	for t := s.Next(from); !t.IsZero() && !t.After(now); t = s.Next(t) {
		recent = t
	}
	if recent.IsZero() {
		return nil, missed, nil
	}
	return &recent, missed, nil
}

func earliestScheduleBase(cj *api.CronJob, now time.Time, withDeadline bool) time.Time {
	earliest := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if withDeadline && cj.Spec.StartingDeadlineSeconds != nil {
		if d := now.Add(-time.Duration(*cj.Spec.StartingDeadlineSeconds) * time.Second); d.After(earliest) {
			earliest = d
		}
	}
	return earliest
}

// nextScheduleDelay is nextScheduleTimeDuration: how long until the
// schedule time after the most recent one, plus 100 ms.
func nextScheduleDelay(cj *api.CronJob, now time.Time, s cron.Schedule) time.Duration {
	recent, missed, err := mostRecentScheduleTime(cj, now, s, false)
	base := now
	switch {
	case err != nil:
	case recent != nil:
		base = *recent
	case missed == 0:
		base = earliestScheduleBase(cj, now, false)
	}
	next := s.Next(base)
	if next.IsZero() {
		return 0
	}
	return next.Add(cronJobNextScheduleDelta).Sub(now)
}

// cleanupFinished deletes the oldest finished Jobs beyond the history
// limits.
func (c *CronJobs) cleanupFinished(cj *api.CronJob, jobs []*api.Job) {
	if cj.Spec.SuccessfulJobsHistoryLimit == nil && cj.Spec.FailedJobsHistoryLimit == nil {
		return
	}
	var succeeded, failed []*api.Job
	for _, j := range jobs {
		switch cond, _ := jobFinishedAs(j); cond {
		case api.JobComplete:
			succeeded = append(succeeded, j)
		case api.JobFailed:
			failed = append(failed, j)
		}
	}
	if l := cj.Spec.SuccessfulJobsHistoryLimit; l != nil {
		c.removeOldest(cj, succeeded, *l, api.JobComplete)
	}
	if l := cj.Spec.FailedJobsHistoryLimit; l != nil {
		c.removeOldest(cj, failed, *l, api.JobFailed)
	}
}

func (c *CronJobs) removeOldest(cj *api.CronJob, jobs []*api.Job, limit int32, cond api.JobConditionType) {
	n := len(jobs) - int(limit)
	if n <= 0 {
		return
	}
	sorted := append([]*api.Job(nil), jobs...)
	sort.SliceStable(sorted, func(a, b int) bool {
		sa, sb := sorted[a].Status.StartTime, sorted[b].Status.StartTime
		switch {
		case sa == nil && sb != nil:
			return false
		case sa != nil && sb == nil:
			return true
		case sa == nil || sa.Time.Equal(sb.Time):
			return strings.Compare(sorted[a].Name, sorted[b].Name) < 0
		}
		return sa.Time.Before(sb.Time)
	})
	for _, j := range sorted[:n] {
		if c.deleteJob(cj, j) {
			c.note(cj, CronJobNote{Decision: CronJobPruned, Job: j.Name, Condition: cond, Limit: int64(limit)})
		}
	}
}

// deleteJob deletes a Job (in the background: the garbage collector
// removes its pods) and drops it from status.active.
func (c *CronJobs) deleteJob(cj *api.CronJob, j *api.Job) bool {
	_, err := c.m.Client.Delete("jobs", j.Namespace, j.Name, client.DeleteOptions{PropagationPolicy: api.DeletePropagationBackground})
	switch {
	case apierrors.IsNotFound(err):
		// Deleted already; the cache has not heard yet.
		removeActive(cj, j.UID)
		return false
	case err != nil:
		c.rec.Eventf(cj, api.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return false
	}
	removeActive(cj, j.UID)
	c.rec.Eventf(cj, api.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", j.Name)
	return true
}

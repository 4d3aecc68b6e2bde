package controllers_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cronJob(name, schedule string, policy api.ConcurrencyPolicy) *api.CronJob {
	return &api.CronJob{TypeMeta: api.TypeMeta{Kind: "CronJob", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.CronJobSpec{Schedule: schedule, ConcurrencyPolicy: policy,
			JobTemplate: api.JobTemplateSpec{Spec: job("x", 1, 1, 0).Spec}}}
}

func getCronJob(t *testing.T, e *env, name string) *api.CronJob {
	t.Helper()
	o, err := e.Admin.Get("cronjobs", "default", name)
	require.NoError(t, err)
	return o.(*api.CronJob)
}

func jobNames(e *env) []string {
	var out []string
	for _, o := range e.list("jobs", "default") {
		if o.GetObjectMeta().DeletionTimestamp == nil {
			out = append(out, o.GetObjectMeta().Name)
		}
	}
	return out
}

func cronEvents(e *env, reason string) []string {
	var out []string
	for _, s := range e.events("default") {
		if strings.HasPrefix(s, "cronjob-controller "+reason+": ") {
			out = append(out, strings.TrimPrefix(s, "cronjob-controller "+reason+": "))
		}
	}
	return out
}

// minuteAfter is the first whole minute after the cluster's now.
func minuteAfter(e *env) time.Time { return e.K.WallTime().Truncate(time.Minute).Add(time.Minute) }

func TestCronJobForbidHoldsTheNextRunBack(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewCronJobs)
	first := minuteAfter(e)
	e.create(cronJob("forbid", "* * * * *", api.ForbidConcurrent))
	e.waitFor("the first Job", func() bool { return len(jobNames(e)) == 1 }, 2*time.Minute)
	name := controllers.CronJobName("forbid", first)
	assert.Equal(t, []string{name}, jobNames(e))
	j := getJob(t, e, name)
	assert.Equal(t, first.UTC().Format(time.RFC3339), j.Annotations[controllers.AnnotationCronJobScheduledTimestamp])
	ref := j.ControllerRef()
	require.NotNil(t, ref)
	assert.Equal(t, "CronJob", ref.Kind)
	assert.Equal(t, "batch/v1", ref.APIVersion)
	assert.Equal(t, "forbid", ref.Name)

	// Its pod never finishes: the next two minutes are held back.
	e.run(2*time.Minute + time.Second)
	assert.Equal(t, []string{name}, jobNames(e), "Forbid: no second Job while the first runs")
	assert.NotEmpty(t, cronEvents(e, "JobAlreadyActive"))
	assert.Equal(t, "Not starting job because prior execution is running and concurrency policy is Forbid", cronEvents(e, "JobAlreadyActive")[0])
	cj := getCronJob(t, e, "forbid")
	require.Len(t, cj.Status.Active, 1)
	assert.Equal(t, name, cj.Status.Active[0].Name)
	assert.Equal(t, first.Unix(), cj.Status.LastScheduleTime.Unix(), "a held-back time is not a schedule time")

	// Once it completes, the next minute starts a new Job.
	e.finishPod(activePods(e)[0], 0)
	e.waitFor("a second Job", func() bool { return len(jobNames(e)) == 2 }, 2*time.Minute)
	assert.Contains(t, cronEvents(e, "SawCompletedJob"), "Saw completed job: "+name+", condition: Complete")
	cj = getCronJob(t, e, "forbid")
	require.NotNil(t, cj.Status.LastSuccessfulTime)
}

func TestCronJobReplaceDeletesTheRunningJob(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewCronJobs)
	first := minuteAfter(e)
	e.create(cronJob("replace", "* * * * *", api.ReplaceConcurrent))
	e.waitFor("the first Job", func() bool { return len(jobNames(e)) == 1 }, 2*time.Minute)
	e.waitFor("the second Job", func() bool {
		n := jobNames(e)
		return len(n) == 1 && n[0] != controllers.CronJobName("replace", first)
	}, 2*time.Minute)
	assert.Contains(t, cronEvents(e, "SuccessfulDelete"), "Deleted job "+controllers.CronJobName("replace", first))
	assert.Equal(t, []string{controllers.CronJobName("replace", first.Add(time.Minute))}, jobNames(e))
	cj := getCronJob(t, e, "replace")
	require.Len(t, cj.Status.Active, 1)
	assert.Equal(t, controllers.CronJobName("replace", first.Add(time.Minute)), cj.Status.Active[0].Name)
}

func TestCronJobAllowRunsConcurrently(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewCronJobs)
	e.create(cronJob("allow", "*/2 * * * *", api.AllowConcurrent))
	e.run(6*time.Minute + time.Second)
	assert.Len(t, jobNames(e), 3, "every other minute, none finishing")
	assert.Len(t, getCronJob(t, e, "allow").Status.Active, 3)
	assert.Empty(t, cronEvents(e, "JobAlreadyActive"))
}

func TestCronJobSuspendAndTooManyMissed(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewCronJobs)
	cj := cronJob("late", "* * * * *", api.AllowConcurrent)
	cj.Spec.Suspend = ptr(true)
	e.create(cj)
	// With startingDeadlineSeconds, only the deadline's window counts.
	cj = cronJob("deadline", "* * * * *", api.AllowConcurrent)
	cj.Spec.Suspend = ptr(true)
	cj.Spec.StartingDeadlineSeconds = ptr(int64(120))
	e.create(cj)
	e.run(102 * time.Minute)
	assert.Empty(t, jobNames(e), "suspended: no Job")

	// Resumed after 102 missed minutes: one Job each, for the latest
	// time, and a warning for the CronJob without a deadline.
	for _, name := range []string{"late", "deadline"} {
		c := getCronJob(t, e, name)
		c.Spec.Suspend = ptr(false)
		_, err := e.Admin.Update(c)
		require.NoError(t, err)
	}
	e.waitFor("two Jobs", func() bool { return len(jobNames(e)) == 2 }, 10*time.Second)
	latest := e.K.WallTime().Truncate(time.Minute)
	assert.ElementsMatch(t, []string{controllers.CronJobName("late", latest), controllers.CronJobName("deadline", latest)}, jobNames(e))
	var warned []string
	for _, o := range e.list("events", "default") {
		if ev := o.(*api.Event); ev.Reason == "TooManyMissedTimes" {
			warned = append(warned, ev.InvolvedObject.Name+": "+ev.Message)
		}
	}
	assert.Equal(t, []string{"late: too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"}, warned)
}

func TestCronJobHistoryLimitsPruneOldestFirst(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewCronJobs, controllers.NewGarbageCollector)
	cj := cronJob("hist", "* * * * *", api.ForbidConcurrent)
	cj.Spec.SuccessfulJobsHistoryLimit = ptr(int32(2))
	cj.Spec.FailedJobsHistoryLimit = ptr(int32(1))
	e.create(cj)
	var created []string
	for i := 0; i < 5; i++ {
		e.waitFor("a pod", func() bool { return len(activePods(e)) == 1 }, 2*time.Minute)
		p := activePods(e)[0]
		created = append(created, p.Labels[api.LabelJobName])
		code := int32(0)
		if i == 1 || i == 3 {
			code = 1 // backoffLimit 0: the Job fails
		}
		e.finishPod(p, code)
		e.run(2 * time.Second)
	}
	e.run(5 * time.Second)
	// Kept: the 2 latest succeeded (created[2], created[4]) and the latest
	// failed (created[3]).
	assert.ElementsMatch(t, []string{created[2], created[3], created[4]}, jobNames(e))
	assert.ElementsMatch(t, []string{"Deleted job " + created[0], "Deleted job " + created[1]}, cronEvents(e, "SuccessfulDelete"))
	assert.Contains(t, cronEvents(e, "SawCompletedJob"), "Saw completed job: "+created[3]+", condition: Failed")
}

func TestCronJobInItsTimeZone(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewCronJobs)
	start := e.K.WallTime()
	seoul, err := time.LoadLocation("Asia/Seoul")
	require.NoError(t, err)
	// Five minutes from now, on Seoul's clock.
	at := start.In(seoul).Truncate(time.Minute).Add(5 * time.Minute)
	cj := cronJob("seoul", fmt.Sprintf("%d %d * * *", at.Minute(), at.Hour()), api.AllowConcurrent)
	cj.Spec.TimeZone = ptr("Asia/Seoul")
	e.create(cj)
	e.run(4 * time.Minute)
	assert.Empty(t, jobNames(e), "not yet")
	e.waitFor("the Job", func() bool { return len(jobNames(e)) == 1 }, 2*time.Minute)
	j := getJob(t, e, jobNames(e)[0])
	assert.Equal(t, controllers.CronJobName("seoul", at), j.Name)
	assert.Equal(t, at.Format(time.RFC3339), j.Annotations[controllers.AnnotationCronJobScheduledTimestamp], "in the CronJob's zone")
	assert.True(t, strings.HasSuffix(j.Annotations[controllers.AnnotationCronJobScheduledTimestamp], "+09:00"))
}

// cronScenario runs CronJobs in a zone with daylight saving and in UTC,
// with Forbid and Replace, for a few minutes, and returns the trace.
func cronScenario(t *testing.T, seed uint64) string {
	var buf bytes.Buffer
	e := boot(t, cluster.Config{Seed: seed, Options: []sim.Option{sim.WithTraceSink(func(r sim.Record) {
		buf.WriteString(r.Text())
		buf.WriteByte('\n')
	})}}, controllers.NewJobs, controllers.NewCronJobs, controllers.NewGarbageCollector)
	ny := cronJob("ny", "*/2 * * * *", api.ForbidConcurrent)
	ny.Spec.TimeZone = ptr("America/New_York")
	e.create(ny)
	e.create(cronJob("utc", "* * * * *", api.ReplaceConcurrent))
	for i := 0; i < 5*60; i++ { // five minutes, the kubelet playing along
		e.kubelet("default")
		e.run(time.Second)
	}
	return buf.String()
}

func TestCronJobSameSeedSameTrace(t *testing.T) {
	a := cronScenario(t, 5)
	prev := runtime.GOMAXPROCS(1)
	b := cronScenario(t, 5)
	runtime.GOMAXPROCS(prev)
	require.Contains(t, a, "cronjob default/ny: Created")
	require.Contains(t, a, "cronjob default/utc: Replaced")
	assert.True(t, a == b, "the same seed gives a byte-identical trace across GOMAXPROCS (%d vs %d bytes)", len(a), len(b))
}

package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
)

// piJob is kubernetes/website's controllers/job.yaml.
func piJob(name string) *api.Job {
	return &api.Job{
		TypeMeta:   api.TypeMeta{Kind: "Job", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.JobSpec{
			BackoffLimit: ptrTo(int32(4)),
			Template: api.PodTemplateSpec{Spec: api.PodSpec{
				RestartPolicy: api.RestartPolicyNever,
				Containers:    []api.Container{{Name: "pi", Image: "perl:5.34.0", Command: []string{"perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"}}},
			}},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestJobDefaultsAndGeneratedSelector(t *testing.T) {
	c := boot(t)
	obj, err := c.Admin.Create(piJob("pi"))
	require.NoError(t, err)
	j := obj.(*api.Job)
	assert.Equal(t, int32(1), *j.Spec.Completions)
	assert.Equal(t, int32(1), *j.Spec.Parallelism)
	assert.Equal(t, int32(4), *j.Spec.BackoffLimit, "a set backoffLimit is kept")
	assert.Equal(t, api.NonIndexedCompletion, *j.Spec.CompletionMode)
	assert.False(t, *j.Spec.Suspend)
	assert.Equal(t, api.TerminatingOrFailed, *j.Spec.PodReplacementPolicy)
	assert.Nil(t, j.Spec.ManualSelector)
	uid := string(j.UID)
	require.NotEmpty(t, uid)
	assert.Equal(t, map[string]string{api.LabelJobControllerUID: uid}, j.Spec.Selector.MatchLabels)
	assert.Equal(t, map[string]string{
		"batch.kubernetes.io/controller-uid": uid, "controller-uid": uid,
		"batch.kubernetes.io/job-name": "pi", "job-name": "pi",
	}, j.Spec.Template.Labels)
	assert.Equal(t, j.Spec.Template.Labels, j.Labels, "a Job without labels gets its template's")
	assert.Equal(t, int64(1), j.Generation)

	// Without backoffLimit, parallelism only: completions stays unset.
	work := piJob("queue")
	work.Spec.BackoffLimit = nil
	work.Spec.Parallelism = ptrTo(int32(3))
	obj, err = c.Admin.Create(work)
	require.NoError(t, err)
	j = obj.(*api.Job)
	assert.Equal(t, int32(6), *j.Spec.BackoffLimit)
	assert.Nil(t, j.Spec.Completions)

	// The selector is immutable.
	j = api.DeepCopy(j)
	j.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"x": "y"}}
	j.Spec.Template.Labels["x"] = "y"
	_, err = c.Admin.Update(j)
	assert.ErrorContains(t, err, "spec.selector: Invalid value")
	assert.ErrorContains(t, err, "field is immutable")
}

func TestJobAndCronJobValidation(t *testing.T) {
	c := boot(t)
	always := piJob("always")
	always.Spec.Template.Spec.RestartPolicy = api.RestartPolicyAlways
	_, err := c.Admin.Create(always)
	assert.EqualError(t, err, `Job.batch "always" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`)

	neg := piJob("neg")
	neg.Spec.Parallelism = ptrTo(int32(-1))
	_, err = c.Admin.Create(neg)
	assert.EqualError(t, err, `Job.batch "neg" is invalid: spec.parallelism: Invalid value: -1: must be greater than or equal to 0`)

	idx := piJob("idx")
	idx.Spec.CompletionMode = ptrTo(api.IndexedCompletion)
	idx.Spec.Parallelism = ptrTo(int32(2))
	_, err = c.Admin.Create(idx)
	assert.EqualError(t, err, `Job.batch "idx" is invalid: spec.completions: Required value: when completion mode is Indexed`)

	manual := piJob("manual")
	manual.Spec.ManualSelector = ptrTo(true)
	_, err = c.Admin.Create(manual)
	assert.EqualError(t, err, `Job.batch "manual" is invalid: spec.selector: Required value`)

	cj := &api.CronJob{
		TypeMeta:   api.TypeMeta{Kind: "CronJob", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec:       api.CronJobSpec{Schedule: "* * * * *", JobTemplate: api.JobTemplateSpec{Spec: piJob("x").Spec}},
	}
	cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = api.RestartPolicyOnFailure
	obj, err := c.Admin.Create(cj)
	require.NoError(t, err)
	got := obj.(*api.CronJob)
	assert.Equal(t, api.AllowConcurrent, got.Spec.ConcurrencyPolicy)
	assert.Equal(t, int32(3), *got.Spec.SuccessfulJobsHistoryLimit)
	assert.Equal(t, int32(1), *got.Spec.FailedJobsHistoryLimit)
	assert.False(t, *got.Spec.Suspend)
	assert.Nil(t, got.Spec.StartingDeadlineSeconds)
	assert.Equal(t, int32(1), *got.Spec.JobTemplate.Spec.Completions)

	bad := api.DeepCopy(cj)
	bad.Name = "bad"
	bad.Spec.Schedule = ""
	bad.Spec.ConcurrencyPolicy = "Sometimes"
	_, err = c.Admin.Create(bad)
	assert.EqualError(t, err, `CronJob.batch "bad" is invalid: [spec.schedule: Required value, spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"]`)
}

func TestCronJobScheduleAndTimeZoneValidation(t *testing.T) {
	c := boot(t)
	mk := func(name, schedule string, tz *string) *api.CronJob {
		cj := &api.CronJob{
			TypeMeta:   api.TypeMeta{Kind: "CronJob", APIVersion: "batch/v1"},
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
			Spec:       api.CronJobSpec{Schedule: schedule, TimeZone: tz, JobTemplate: api.JobTemplateSpec{Spec: piJob("x").Spec}},
		}
		return cj
	}
	tests := []struct {
		name, schedule string
		tz             *string
		wantErr        string
	}{
		{"every-minute", "* * * * *", nil, ""},
		{"descriptor", "@hourly", nil, ""},
		{"every", "@every 5m", nil, ""},
		{"names", "0 9 * JAN-MAR MON-FRI", ptrTo("Asia/Seoul"), ""},
		{"fields", "* * * *", nil, `CronJob.batch "fields" is invalid: spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]`},
		{"minute", "61 * * * *", nil, `CronJob.batch "minute" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`},
		{"descriptor-typo", "@daly", nil, `CronJob.batch "descriptor-typo" is invalid: spec.schedule: Invalid value: "@daly": unrecognized descriptor: @daly`},
		{"tz-prefix", "TZ=UTC * * * * *", nil, `CronJob.batch "tz-prefix" is invalid: spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		{"cron-tz-prefix", "CRON_TZ=Mars/Base * * * * *", nil, `CronJob.batch "cron-tz-prefix" is invalid: [spec.schedule: Invalid value: "CRON_TZ=Mars/Base * * * * *": provided bad location Mars/Base: unknown time zone Mars/Base, spec.schedule: Invalid value: "CRON_TZ=Mars/Base * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead]`},
		{"unknown-zone", "* * * * *", ptrTo("Mars/Base"), `CronJob.batch "unknown-zone" is invalid: spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base`},
		{"bad-zone-name", "* * * * *", ptrTo("../etc/passwd"), `CronJob.batch "bad-zone-name" is invalid: spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd`},
		{"empty-zone", "* * * * *", ptrTo(""), `CronJob.batch "empty-zone" is invalid: spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string`},
		{"local-zone", "* * * * *", ptrTo("Local"), `CronJob.batch "local-zone" is invalid: spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Admin.Create(mk(tt.name, tt.schedule, tt.tz))
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestPodFailurePolicyValidation(t *testing.T) {
	c := boot(t)
	j := piJob("pfp")
	j.Spec.Template.Spec.RestartPolicy = api.RestartPolicyOnFailure
	j.Spec.PodFailurePolicy = &api.PodFailurePolicy{Rules: []api.PodFailurePolicyRule{{
		Action:      api.PodFailurePolicyActionFailJob,
		OnExitCodes: &api.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptrTo("main"), Operator: api.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}},
	}}}
	_, err := c.Admin.Create(j)
	assert.EqualError(t, err, `Job.batch "pfp" is invalid: [spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "main": must be one of the container or initContainer names in the pod template, spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified]`)

	j.Spec.Template.Spec.RestartPolicy = api.RestartPolicyNever
	j.Spec.PodFailurePolicy.Rules[0].OnExitCodes.ContainerName = ptrTo("pi")
	_, err = c.Admin.Create(j)
	assert.NoError(t, err)
}

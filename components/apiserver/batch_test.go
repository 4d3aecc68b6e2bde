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

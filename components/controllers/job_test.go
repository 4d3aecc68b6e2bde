package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func job(name string, completions, parallelism, backoff int32) *api.Job {
	return &api.Job{TypeMeta: api.TypeMeta{Kind: "Job", APIVersion: "batch/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.JobSpec{Completions: ptr(completions), Parallelism: ptr(parallelism), BackoffLimit: ptr(backoff),
			Template: api.PodTemplateSpec{Spec: api.PodSpec{RestartPolicy: api.RestartPolicyNever,
				Containers: []api.Container{{Name: "pi", Image: "perl:5.34.0"}}}}}}
}

func getJob(t *testing.T, e *env, name string) *api.Job {
	t.Helper()
	o, err := e.Admin.Get("jobs", "default", name)
	require.NoError(t, err)
	return o.(*api.Job)
}

// finishPod plays the kubelet: the pod's container exits with code.
func (e *env) finishPod(p *api.Pod, code int32) {
	e.t.Helper()
	if p.Spec.NodeName == "" {
		require.NoError(e.t, e.Admin.Bind(p.Namespace, p.Name, "worker-1"))
	}
	e.setPodStatus(p.Namespace, p.Name, func(p *api.Pod) {
		p.Status.Phase = api.PodSucceeded
		if code != 0 {
			p.Status.Phase = api.PodFailed
		}
		p.Status.ContainerStatuses = []api.ContainerStatus{{Name: "pi", State: api.ContainerState{
			Terminated: &api.ContainerStateTerminated{ExitCode: code, FinishedAt: api.NewTime(e.K.WallTime())}}}}
	})
}

func activePods(e *env) []*api.Pod {
	var out []*api.Pod
	for _, p := range e.pods("default", false) {
		if p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed {
			out = append(out, p)
		}
	}
	return out
}

func jobCond(j *api.Job, t api.JobConditionType) *api.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == t {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func TestJobRunsCompletionsWithParallelism(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs)
	e.create(job("pi", 3, 2, 6))
	e.waitFor("2 pods", func() bool { return len(activePods(e)) == 2 }, 10*time.Second)
	e.run(5 * time.Second)
	require.Len(t, activePods(e), 2, "parallelism caps the active pods")
	j := getJob(t, e, "pi")
	assert.Equal(t, int32(2), j.Status.Active)
	require.NotNil(t, j.Status.StartTime)

	for _, p := range activePods(e) {
		e.finishPod(p, 0)
	}
	e.waitFor("the third pod", func() bool { return len(activePods(e)) == 1 }, 10*time.Second)
	e.run(2 * time.Second)
	require.Len(t, activePods(e), 1, "only completions-succeeded pods are still needed")
	e.finishPod(activePods(e)[0], 0)
	e.waitFor("Complete", func() bool { return jobCond(getJob(t, e, "pi"), api.JobComplete) != nil }, 10*time.Second)

	j = getJob(t, e, "pi")
	assert.Equal(t, int32(3), j.Status.Succeeded)
	assert.Equal(t, int32(0), j.Status.Active)
	require.NotNil(t, j.Status.CompletionTime)
	c := jobCond(j, api.JobComplete)
	assert.Equal(t, api.ConditionTrue, c.Status)
	assert.Equal(t, "CompletionsReached", c.Reason)
	assert.Equal(t, "Reached expected number of succeeded pods", c.Message)
	require.NotNil(t, jobCond(j, api.JobSuccessCriteriaMet))
	assert.Equal(t, 3, countEvents(e, "default", "SuccessfulCreate"))
	assert.Contains(t, e.events("default"), "job-controller Completed: Job completed")
	for _, p := range e.pods("default", true) {
		assert.Regexp(t, `^pi-[a-z0-9]{5}$`, p.Name)
		assert.Equal(t, "pi", p.Labels["batch.kubernetes.io/job-name"])
	}
}

func TestJobBackoffLimitWithExponentialBackoff(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs)
	e.create(job("fail", 1, 1, 2))
	var created []time.Duration
	for attempt := 0; attempt < 3; attempt++ {
		e.waitFor("a pod", func() bool { return len(activePods(e)) == 1 }, 2*time.Minute)
		created = append(created, e.K.Now())
		e.finishPod(activePods(e)[0], 1)
	}
	e.waitFor("Failed", func() bool { return jobCond(getJob(t, e, "fail"), api.JobFailed) != nil }, 10*time.Second)
	e.run(2 * time.Minute)
	assert.Empty(t, activePods(e), "no pod after the backoff limit")
	// Replacements wait 10 s, then 20 s, after the failure.
	gap1, gap2 := created[1]-created[0], created[2]-created[1]
	assert.GreaterOrEqual(t, gap1, 10*time.Second)
	assert.Less(t, gap1, 12*time.Second)
	assert.GreaterOrEqual(t, gap2, 20*time.Second)
	assert.Less(t, gap2, 22*time.Second)

	j := getJob(t, e, "fail")
	assert.Equal(t, int32(3), j.Status.Failed)
	c := jobCond(j, api.JobFailed)
	assert.Equal(t, "BackoffLimitExceeded", c.Reason)
	assert.Equal(t, "Job has reached the specified backoff limit", c.Message)
	require.NotNil(t, jobCond(j, api.JobFailureTarget))
	assert.Nil(t, jobCond(j, api.JobComplete))
	assert.Contains(t, e.events("default"), "job-controller BackoffLimitExceeded: Job has reached the specified backoff limit")
}

func TestJobActiveDeadline(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs)
	jb := job("slow", 1, 1, 6)
	jb.Spec.ActiveDeadlineSeconds = ptr(int64(30))
	e.create(jb)
	e.waitFor("a pod", func() bool { return len(activePods(e)) == 1 }, 10*time.Second)
	e.run(20 * time.Second)
	assert.Nil(t, jobCond(getJob(t, e, "slow"), api.JobFailed), "not before the deadline")
	e.waitFor("Failed", func() bool { return jobCond(getJob(t, e, "slow"), api.JobFailed) != nil }, 15*time.Second)
	c := jobCond(getJob(t, e, "slow"), api.JobFailed)
	assert.Equal(t, "DeadlineExceeded", c.Reason)
	assert.Equal(t, "Job was active longer than specified deadline", c.Message)
	e.waitFor("the pod deleted", func() bool { return len(e.pods("default", false)) == 0 }, 10*time.Second)
}

func TestJobIndexed(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs)
	jb := job("idx", 3, 3, 6)
	jb.Spec.CompletionMode = ptr(api.IndexedCompletion)
	e.create(jb)
	e.waitFor("3 pods", func() bool { return len(activePods(e)) == 3 }, 10*time.Second)
	seen := map[string]bool{}
	for _, p := range activePods(e) {
		i := p.Annotations["batch.kubernetes.io/job-completion-index"]
		seen[i] = true
		assert.Equal(t, i, p.Labels["batch.kubernetes.io/job-completion-index"])
		assert.Equal(t, "idx-"+i, p.Spec.Hostname)
		assert.Regexp(t, `^idx-`+i+`-[a-z0-9]{5}$`, p.Name)
		assert.Contains(t, p.Spec.Containers[0].Env, api.EnvVar{Name: "JOB_COMPLETION_INDEX", Value: i})
		if i != "1" {
			e.finishPod(p, 0)
		}
	}
	assert.Equal(t, map[string]bool{"0": true, "1": true, "2": true}, seen)
	e.waitFor("0,2 completed", func() bool { return getJob(t, e, "idx").Status.CompletedIndexes == "0,2" }, 10*time.Second)
	e.finishPod(activePods(e)[0], 0)
	e.waitFor("Complete", func() bool { return jobCond(getJob(t, e, "idx"), api.JobComplete) != nil }, 10*time.Second)
	assert.Equal(t, "0-2", getJob(t, e, "idx").Status.CompletedIndexes)
}

func TestTTLAfterFinishedDeletesTheJob(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs, controllers.NewTTLAfterFinished, controllers.NewGarbageCollector)
	jb := job("short", 1, 1, 6)
	jb.Spec.TTLSecondsAfterFinished = ptr(int32(100))
	e.create(jb)
	e.waitFor("a pod", func() bool { return len(activePods(e)) == 1 }, 10*time.Second)
	e.finishPod(activePods(e)[0], 0)
	e.waitFor("Complete", func() bool { return jobCond(getJob(t, e, "short"), api.JobComplete) != nil }, 10*time.Second)
	e.run(90 * time.Second)
	_, err := e.Admin.Get("jobs", "default", "short")
	require.NoError(t, err, "kept until the TTL")
	e.run(20 * time.Second)
	if o, err := e.Admin.Get("jobs", "default", "short"); err == nil {
		assert.NotNil(t, o.GetObjectMeta().DeletionTimestamp, "deleted after the TTL")
	}
	// Deleted in the foreground: the pods go first, then the Job.
	e.settle("default", "the Job and its pods deleted", func() bool {
		_, err := e.Admin.Get("jobs", "default", "short")
		return err != nil && len(e.pods("default", true)) == 0
	}, 30*time.Second)
}

func TestJobPodFailurePolicy(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewJobs)
	jb := job("pfp", 1, 1, 6)
	jb.Spec.PodFailurePolicy = &api.PodFailurePolicy{Rules: []api.PodFailurePolicyRule{
		{Action: api.PodFailurePolicyActionFailJob, OnExitCodes: &api.PodFailurePolicyOnExitCodesRequirement{
			ContainerName: ptr("pi"), Operator: api.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		{Action: api.PodFailurePolicyActionIgnore, OnPodConditions: []api.PodFailurePolicyOnPodConditionsPattern{
			{Type: api.PodConditionType("DisruptionTarget"), Status: api.ConditionTrue}}},
		{Action: api.PodFailurePolicyActionCount, OnExitCodes: &api.PodFailurePolicyOnExitCodesRequirement{
			Operator: api.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{0, 42}}},
	}}
	var notes []controllers.JobPodFailureNote
	e.K.Trace().AddSink(func(r sim.Record) {
		if n, ok := r.Body().(controllers.JobPodFailureNote); ok {
			notes = append(notes, n)
		}
	})
	e.create(jb)

	// A disrupted pod is ignored: not counted, replaced without back-off.
	e.waitFor("a pod", func() bool { return len(activePods(e)) == 1 }, 10*time.Second)
	p := activePods(e)[0]
	// The condition comes first, then the pod fails (as an eviction does).
	e.setPodStatus(p.Namespace, p.Name, func(p *api.Pod) {
		setPodCond(p, api.PodCondition{Type: "DisruptionTarget", Status: api.ConditionTrue, Reason: "EvictionByEvictionAPI"})
	})
	p = activePods(e)[0]
	e.finishPod(p, 137)
	e.waitFor("a replacement", func() bool { return len(activePods(e)) == 1 }, 3*time.Second)
	assert.Equal(t, int32(0), getJob(t, e, "pfp").Status.Failed, "an ignored failure is not counted")

	// Exit code 3 (NotIn 0,42): counted, replaced after the back-off.
	e.finishPod(activePods(e)[0], 3)
	e.waitFor("counted", func() bool { return getJob(t, e, "pfp").Status.Failed == 1 }, 3*time.Second)
	e.run(5 * time.Second)
	assert.Empty(t, activePods(e), "back-off before the replacement")
	e.waitFor("a replacement", func() bool { return len(activePods(e)) == 1 }, 10*time.Second)

	// Exit code 42 of container pi: FailJob.
	p = activePods(e)[0]
	e.finishPod(p, 42)
	e.waitFor("Failed", func() bool { return jobCond(getJob(t, e, "pfp"), api.JobFailed) != nil }, 5*time.Second)
	j := getJob(t, e, "pfp")
	want := "Container pi for pod default/" + p.Name + " failed with exit code 42 matching FailJob rule at index 0"
	for _, ct := range []api.JobConditionType{api.JobFailureTarget, api.JobFailed} {
		c := jobCond(j, ct)
		require.NotNil(t, c, "%s", ct)
		assert.Equal(t, "PodFailurePolicy", c.Reason)
		assert.Equal(t, want, c.Message)
	}
	assert.Equal(t, int32(2), j.Status.Failed)
	assert.Contains(t, e.events("default"), "job-controller PodFailurePolicy: "+want)
	require.Len(t, notes, 3, "one record per failed pod")
	assert.Equal(t, api.PodFailurePolicyActionIgnore, notes[0].Action)
	assert.Equal(t, api.PodConditionType("DisruptionTarget"), notes[0].Condition)
	assert.Equal(t, api.PodFailurePolicyActionCount, notes[1].Action)
	assert.Equal(t, int32(3), notes[1].ExitCode)
	assert.Equal(t, controllers.JobPodFailureNote{Namespace: "default", Job: "pfp", Pod: p.Name, Rule: 0, Action: api.PodFailurePolicyActionFailJob, Container: "pi", ExitCode: 42}, notes[2])
}

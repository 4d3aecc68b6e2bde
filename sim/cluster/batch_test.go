package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubernetes/website's controllers/job.yaml.
const piJobYAML = `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
`

func jobCondition(j *api.Job, t api.JobConditionType) *api.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == t && j.Status.Conditions[i].Status == api.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func TestUpstreamPiJobCompletes(t *testing.T) {
	c, err := New(Config{Seed: 21})
	require.NoError(t, err)
	defer c.Stop()
	res, err := c.Apply("job.yaml", []byte(piJobYAML))
	require.NoError(t, err)
	assert.Equal(t, "job.batch/pi created", res[0].String())
	get := func() *api.Job {
		o, err := c.Admin.Get("jobs", "default", "pi")
		require.NoError(t, err)
		return o.(*api.Job)
	}
	require.True(t, c.WaitFor(func() bool { return jobCondition(get(), api.JobComplete) != nil }, 3*time.Minute), "the pi Job completes")
	j := get()
	assert.Equal(t, int32(1), j.Status.Succeeded)
	assert.Equal(t, int32(0), j.Status.Failed)
	require.NotNil(t, j.Status.CompletionTime)

	pods, _, err := c.Admin.List("pods", "default", client.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=pi"})
	require.NoError(t, err)
	require.Len(t, pods, 1)
	p := pods[0].(*api.Pod)
	assert.Equal(t, api.PodSucceeded, p.Status.Phase)
	logs, err := c.ContainerLogs("default", p.Name, "pi", false)
	require.NoError(t, err)
	var text []string
	for _, l := range logs {
		text = append(text, l.Text)
	}
	assert.True(t, strings.HasPrefix(strings.Join(text, "\n"), "3.14159265358979"), "the pod printed pi: %q", text)
}

func TestFailingJobHitsBackoffLimit(t *testing.T) {
	c, err := New(Config{Seed: 22})
	require.NoError(t, err)
	defer c.Stop()
	_, err = c.Apply("fail.yaml", []byte(`apiVersion: batch/v1
kind: Job
metadata:
  name: fail
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", "exit 1"]
`))
	require.NoError(t, err)
	get := func() *api.Job {
		o, err := c.Admin.Get("jobs", "default", "fail")
		require.NoError(t, err)
		return o.(*api.Job)
	}
	require.True(t, c.WaitFor(func() bool { return jobCondition(get(), api.JobFailed) != nil }, 5*time.Minute), "the Job fails")
	j := get()
	assert.Equal(t, int32(3), j.Status.Failed)
	assert.Equal(t, "BackoffLimitExceeded", jobCondition(j, api.JobFailed).Reason)
}

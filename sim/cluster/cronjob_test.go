package cluster

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubernetes/website's application/job/cronjob.yaml.
const helloCronJobYAML = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
`

func TestUpstreamHelloCronJobRunsEachMinute(t *testing.T) {
	c, err := New(Config{Seed: 23})
	require.NoError(t, err)
	defer c.Stop()
	res, err := c.Apply("cronjob.yaml", []byte(helloCronJobYAML))
	require.NoError(t, err)
	assert.Equal(t, "cronjob.batch/hello created", res[0].String())
	o, err := c.Admin.Get("cronjobs", "default", "hello")
	require.NoError(t, err)
	uid := o.GetObjectMeta().UID

	completed := func() []*api.Job {
		items, _, err := c.Admin.List("jobs", "default", client.ListOptions{})
		require.NoError(t, err)
		var out []*api.Job
		for _, o := range items {
			if j := o.(*api.Job); jobCondition(j, api.JobComplete) != nil {
				out = append(out, j)
			}
		}
		return out
	}
	// By 00:05:10 five Jobs ran (00:01 to 00:05); the history keeps 3.
	c.K.RunFor(5*time.Minute + 10*time.Second)
	require.Len(t, completed(), 3, "successfulJobsHistoryLimit 3")

	items, _, err := c.Admin.List("jobs", "default", client.ListOptions{})
	require.NoError(t, err)
	var names []string
	for _, o := range items {
		j := o.(*api.Job)
		names = append(names, j.Name)
		require.NotNil(t, j.ObjectMeta.ControllerRef(), "%s has a controller", j.Name)
		assert.Equal(t, "CronJob", j.ControllerRef().Kind)
		assert.Equal(t, uid, j.ControllerRef().UID)
		ts, err := time.Parse(time.RFC3339, j.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"])
		require.NoError(t, err, "the scheduled-timestamp annotation of %s", j.Name)
		assert.Zero(t, ts.Second(), "scheduled on the minute")
		assert.Equal(t, "hello-"+itoa(ts.Unix()/60), j.Name, "named after the scheduled minute")
	}
	sort.Strings(names)
	assert.LessOrEqual(t, len(names), 4, "the 3 succeeded Jobs of the history (and perhaps a running one): %v", names)

	cj, err := c.Admin.Get("cronjobs", "default", "hello")
	require.NoError(t, err)
	st := cj.(*api.CronJob).Status
	require.NotNil(t, st.LastScheduleTime)
	require.NotNil(t, st.LastSuccessfulTime)

	// A pod of the latest completed Job printed the date and the greeting.
	last := completed()
	sort.Slice(last, func(a, b int) bool { return last[a].Name < last[b].Name })
	pods, _, err := c.Admin.List("pods", "default", client.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + last[len(last)-1].Name})
	require.NoError(t, err)
	require.Len(t, pods, 1)
	logs, err := c.ContainerLogs("default", pods[0].GetObjectMeta().Name, "hello", false)
	require.NoError(t, err)
	var text []string
	for _, l := range logs {
		text = append(text, l.Text)
	}
	require.Len(t, text, 2, "date, then the greeting: %q", text)
	assert.Equal(t, "Hello from the Kubernetes cluster", text[1])
	assert.Contains(t, text[0], "UTC")

	var reasons []string
	evs, _, err := c.Admin.List("events", "default", client.ListOptions{FieldSelector: "involvedObject.kind=CronJob"})
	require.NoError(t, err)
	for _, o := range evs {
		e := o.(*api.Event)
		reasons = append(reasons, e.Reason+": "+e.Message)
	}
	joined := strings.Join(reasons, "\n")
	assert.Contains(t, joined, "SuccessfulCreate: Created job hello-")
	assert.Contains(t, joined, "SawCompletedJob: Saw completed job: hello-")
	assert.Contains(t, joined, ", condition: Complete")
	assert.Contains(t, joined, "SuccessfulDelete: Deleted job hello-", "the history limit (3) prunes the oldest")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

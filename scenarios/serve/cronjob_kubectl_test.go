package serve

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubernetes/website's application/job/cronjob.yaml.
const helloCronJob = `apiVersion: batch/v1
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

// The "Running Automated Tasks with a CronJob" page, through the real
// kubectl: the CronJob, its Jobs as they appear (get jobs --watch), a
// Job's log, and a Job made by hand from the CronJob's template.
func TestRealKubectlCronJob(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	assert.Equal(t, "cronjob.batch/hello created\n", e.must("apply", "-f", e.file("cronjob.yaml", helloCronJob)))
	out := e.must("get", "cronjob", "hello")
	assert.Regexp(t, `^NAME +SCHEDULE +TIMEZONE +SUSPEND +ACTIVE +LAST SCHEDULE +AGE\n`, out)
	assert.Regexp(t, `\nhello +\* \* \* \* \* +<none> +False +\d +\S+ +\S+\n`, out)

	// get jobs --watch prints each Job as the controller creates it.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	watched, _, _ := e.runCtx(ctx, "", "get", "jobs", "--watch")
	cancel()
	assert.Regexp(t, `(?m)^NAME +STATUS +COMPLETIONS +DURATION +AGE$`, watched)
	assert.Regexp(t, `(?m)^hello-\d{8} +(Running|Complete) +[01]/1 `, watched)

	// The latest completed Job's log (the history keeps three, so take
	// the newest before it is pruned).
	var logs string
	for i := 0; i < 50 && !strings.Contains(logs, "Hello from the Kubernetes cluster"); i++ {
		out = e.must("get", "jobs", "--sort-by=.metadata.name")
		var job string
		for _, m := range regexp.MustCompile(`(?m)^(hello-\d{8}) +Complete `).FindAllStringSubmatch(out, -1) {
			job = m[1]
		}
		if job != "" {
			logs, _, _ = e.run("", "logs", "job/"+job)
		}
		if !strings.Contains(logs, "Hello") {
			time.Sleep(200 * time.Millisecond)
		}
	}
	assert.Regexp(t, `\nhello +\* \* \* \* \* +<none> +False +\d +\d+s +\S+\n`, e.must("get", "cronjob", "hello"), "LAST SCHEDULE is set")
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	require.Len(t, lines, 2, logs)
	assert.Regexp(t, `^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}$`, lines[0], "date's output")
	assert.Equal(t, "Hello from the Kubernetes cluster", lines[1])

	desc := e.must("describe", "cronjob", "hello")
	assert.Contains(t, desc, "Schedule:")
	assert.Regexp(t, `SuccessfulCreate +\S+ +cronjob-controller +Created job hello-`, desc)

	assert.Equal(t, "job.batch/manual created\n", e.must("create", "job", "--from=cronjob/hello", "manual"))
	assert.Equal(t, "CronJob/hello", e.must("get", "job", "manual", "-o", "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"))
	e.eventually("Complete", "get", "job", "manual")
}

package sidecarjob

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "9fbba4aeec4398ac964eed5af380604dacc1635534e618d3478983a9d2fb6742"

func TestReportCompletes(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeReport)
}

// status finds a container's status among the pod's init and app
// containers.
func status(p *api.Pod, name string) *api.ContainerStatus {
	for _, list := range [][]api.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

func started(cs *api.ContainerStatus) (time.Time, bool) {
	switch {
	case cs == nil:
		return time.Time{}, false
	case cs.State.Running != nil:
		return cs.State.Running.StartedAt.Time, true
	case cs.State.Terminated != nil:
		return cs.State.Terminated.StartedAt.Time, true
	}
	return time.Time{}, false
}

func gradeReport(t testing.TB) {
	k := simtest.Start(t, simtest.Workers("worker-1"))
	k.Apply(Manifest)

	// The shipper is up before the report starts: its first line is
	// shipped.
	k.Eventually(2*time.Minute, "containers report and log-shipper both started", func() (string, bool) {
		p := k.Pod("nightly-report")
		_, a := started(status(p, "report"))
		_, b := started(status(p, "log-shipper"))
		return fmt.Sprintf("phase %s, init containers %+v, containers %+v", p.Status.Phase, p.Status.InitContainerStatuses, p.Status.ContainerStatuses), a && b
	})
	p := k.Pod("nightly-report")
	reportAt, _ := started(status(p, "report"))
	shipperAt, _ := started(status(p, "log-shipper"))
	assert.False(t, shipperAt.After(reportAt), "log-shipper started (%v) no later than report (%v)", shipperAt, reportAt)
	if m := status(p, "migrate"); assert.NotNil(t, m, "the migrate init container still runs first") && m.State.Terminated != nil {
		assert.False(t, m.State.Terminated.FinishedAt.After(reportAt), "migrate finished before the report started")
	}

	// The report finishes, and so does the pod.
	p = k.WaitForPodPhase("nightly-report", api.PodSucceeded, 5*time.Minute)
	if p == nil {
		return
	}
	cs := status(p, "report")
	require.NotNil(t, cs)
	if assert.NotNil(t, cs.State.Terminated, "report terminated") {
		assert.EqualValues(t, 0, cs.State.Terminated.ExitCode, "report exited 0")
	}
	assert.Equal(t, api.RestartPolicyNever, p.Spec.RestartPolicy, "the pod still runs once (restartPolicy Never)")
}

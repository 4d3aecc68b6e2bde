package printers

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

func jobHas(j *api.Job, t api.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == api.ConditionTrue {
			return true
		}
	}
	return false
}

// jobStatus is the STATUS column of `kubectl get jobs` (v1.32).
func jobStatus(j *api.Job) string {
	switch {
	case jobHas(j, api.JobComplete):
		return "Complete"
	case jobHas(j, api.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case jobHas(j, api.JobFailureTarget):
		return "FailureTarget"
	case jobHas(j, api.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	case jobHas(j, api.JobSuspended):
		return "Suspended"
	}
	return "Running"
}

// jobCompletions is the COMPLETIONS column: succeeded/completions, or for
// a work-queue Job (no completions) succeeded/1, "of" its parallelism.
func jobCompletions(j *api.Job) string {
	if j.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	}
	if j.Spec.Parallelism != nil && *j.Spec.Parallelism > 1 {
		return fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, *j.Spec.Parallelism)
	}
	return fmt.Sprintf("%d/1", j.Status.Succeeded)
}

// jobDuration is the DURATION column: start to completion, or to now
// while the Job runs; empty before it starts.
func jobDuration(j *api.Job, now time.Time) string {
	switch {
	case j.Status.StartTime == nil:
		return ""
	case j.Status.CompletionTime == nil:
		return HumanDuration(now.Sub(j.Status.StartTime.Time))
	}
	return HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
}

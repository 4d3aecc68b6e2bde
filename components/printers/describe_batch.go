package printers

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// The batch/v1 describers: Jobs and CronJobs in kubectl's layout.

func init() {
	registerDescriber("jobs", describeJob)
	registerDescriber("cronjobs", describeCronJob)
}

func describeJob(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	j := obj.(*api.Job)
	w.line(0, "Name:\t%s\n", j.Name)
	w.line(0, "Namespace:\t%s\n", j.Namespace)
	w.line(0, "Selector:\t%s\n", selectorString(j.Spec.Selector))
	multiline(w, "Labels", j.Labels)
	annotations(w, "Annotations", j.Annotations)
	controlledBy(w, &j.ObjectMeta)
	if j.Spec.Parallelism != nil {
		w.line(0, "Parallelism:\t%d\n", *j.Spec.Parallelism)
	}
	if j.Spec.Completions != nil {
		w.line(0, "Completions:\t%d\n", *j.Spec.Completions)
	} else {
		w.line(0, "Completions:\t<unset>\n")
	}
	if j.Spec.CompletionMode != nil {
		w.line(0, "Completion Mode:\t%s\n", *j.Spec.CompletionMode)
	}
	if j.Spec.Suspend != nil {
		w.line(0, "Suspend:\t%v\n", *j.Spec.Suspend)
	}
	if j.Spec.BackoffLimit != nil {
		w.line(0, "Backoff Limit:\t%v\n", *j.Spec.BackoffLimit)
	}
	if j.Spec.TTLSecondsAfterFinished != nil {
		w.line(0, "TTL Seconds After Finished:\t%v\n", *j.Spec.TTLSecondsAfterFinished)
	}
	if j.Status.StartTime != nil {
		w.line(0, "Start Time:\t%s\n", j.Status.StartTime.Time.Format(describeTime))
	}
	if j.Status.CompletionTime != nil {
		w.line(0, "Completed At:\t%s\n", j.Status.CompletionTime.Time.Format(describeTime))
	}
	if j.Status.StartTime != nil && j.Status.CompletionTime != nil {
		w.line(0, "Duration:\t%s\n", HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time)))
	}
	if j.Spec.ActiveDeadlineSeconds != nil {
		w.line(0, "Active Deadline Seconds:\t%ds\n", *j.Spec.ActiveDeadlineSeconds)
	}
	if j.Status.Ready == nil {
		w.line(0, "Pods Statuses:\t%d Active / %d Succeeded / %d Failed\n", j.Status.Active, j.Status.Succeeded, j.Status.Failed)
	} else {
		w.line(0, "Pods Statuses:\t%d Active (%d Ready) / %d Succeeded / %d Failed\n", j.Status.Active, *j.Status.Ready, j.Status.Succeeded, j.Status.Failed)
	}
	if j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == "Indexed" {
		w.line(0, "Completed Indexes:\t%s\n", capIndexes(j.Status.CompletedIndexes, 50))
	}
	describePodTemplate(w, &j.Spec.Template)
	describeEvents(w, events, now)
}

// capIndexes cuts a completed-indexes list after the first comma past
// softLimit characters, as kubectl does.
func capIndexes(indexes string, softLimit int) string {
	if indexes == "" {
		return "<none>"
	}
	i := softLimit
	for ; i < len(indexes); i++ {
		if indexes[i] == ',' {
			break
		}
	}
	if i >= len(indexes) {
		return indexes
	}
	return indexes[:i+1] + "..."
}

func describeCronJob(w prefixWriter, obj api.Object, events []api.Event, now time.Time, _ Lister) {
	cj := obj.(*api.CronJob)
	w.line(0, "Name:\t%s\n", cj.Name)
	w.line(0, "Namespace:\t%s\n", cj.Namespace)
	multiline(w, "Labels", cj.Labels)
	annotations(w, "Annotations", cj.Annotations)
	w.line(0, "Schedule:\t%s\n", cj.Spec.Schedule)
	w.line(0, "Concurrency Policy:\t%s\n", cj.Spec.ConcurrencyPolicy)
	w.line(0, "Suspend:\t%s\n", boolOrUnset(cj.Spec.Suspend))
	w.line(0, "Successful Job History Limit:\t%s\n", int32OrUnset(cj.Spec.SuccessfulJobsHistoryLimit))
	w.line(0, "Failed Job History Limit:\t%s\n", int32OrUnset(cj.Spec.FailedJobsHistoryLimit))
	if cj.Spec.StartingDeadlineSeconds != nil {
		w.line(0, "Starting Deadline Seconds:\t%ds\n", *cj.Spec.StartingDeadlineSeconds)
	} else {
		w.line(0, "Starting Deadline Seconds:\t<unset>\n")
	}
	jt := cj.Spec.JobTemplate.Spec
	if jt.Selector != nil {
		w.line(0, "Selector:\t%s\n", selectorString(jt.Selector))
	} else {
		w.line(0, "Selector:\t<unset>\n")
	}
	w.line(0, "Parallelism:\t%s\n", int32OrUnset(jt.Parallelism))
	w.line(0, "Completions:\t%s\n", int32OrUnset(jt.Completions))
	if jt.ActiveDeadlineSeconds != nil {
		w.line(0, "Active Deadline Seconds:\t%ds\n", *jt.ActiveDeadlineSeconds)
	}
	describePodTemplate(w, &jt.Template)
	if cj.Status.LastScheduleTime != nil {
		w.line(0, "Last Schedule Time:\t%s\n", cj.Status.LastScheduleTime.Time.Format(describeTime))
	} else {
		w.line(0, "Last Schedule Time:\t<unset>\n")
	}
	w.line(0, "Active Jobs:\t")
	if len(cj.Status.Active) == 0 {
		w.line(0, "<none>\n")
	} else {
		for i, j := range cj.Status.Active {
			if i > 0 {
				w.line(0, ", ")
			}
			w.line(0, "%s", j.Name)
		}
		w.line(0, "\n")
	}
	describeEvents(w, events, now)
}

func boolOrUnset(b *bool) string {
	if b == nil {
		return "<unset>"
	}
	return capitalBool(*b)
}

func int32OrUnset(p *int32) string {
	if p == nil {
		return "<unset>"
	}
	return fmt.Sprint(*p)
}

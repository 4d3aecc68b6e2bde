package apiserver

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// generateJobSelector does what the Job strategy does on create unless
// spec.manualSelector is true: it labels the pod template with the Job's
// uid and name (the batch.kubernetes.io/ labels and their legacy
// unprefixed forms) and selects on the uid.
func generateJobSelector(j *api.Job) {
	defer func() {
		// SetDefaults_Job: a Job without labels gets its template's (the
		// real apiserver applies it again when it reads the object back,
		// so they include the generated ones).
		if len(j.Labels) == 0 && len(j.Spec.Template.Labels) > 0 {
			j.Labels = map[string]string{}
			for k, v := range j.Spec.Template.Labels {
				j.Labels[k] = v
			}
		}
	}()
	if j.Spec.ManualSelector != nil && *j.Spec.ManualSelector {
		return
	}
	uid := string(j.UID)
	labels := map[string]string{}
	for k, v := range j.Spec.Template.Labels {
		labels[k] = v
	}
	labels[api.LabelJobControllerUID] = uid
	labels[api.LabelLegacyControllerUID] = uid
	labels[api.LabelJobName] = j.Name
	labels[api.LabelLegacyJobName] = j.Name
	j.Spec.Template.Labels = labels
	j.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{api.LabelJobControllerUID: uid}}
}

func nonNegative32(path string, v *int32) []apierrors.FieldError {
	if v != nil && *v < 0 {
		return []apierrors.FieldError{apierrors.Invalid(path, *v, "must be greater than or equal to 0")}
	}
	return nil
}

// validateJobSpec checks a Job's (or a CronJob's job template's) spec at
// path, with the real validation's messages.
func validateJobSpec(s *api.JobSpec, path string, generated bool) []apierrors.FieldError {
	var errs []apierrors.FieldError
	errs = append(errs, nonNegative32(path+".parallelism", s.Parallelism)...)
	errs = append(errs, nonNegative32(path+".completions", s.Completions)...)
	errs = append(errs, nonNegative32(path+".backoffLimit", s.BackoffLimit)...)
	errs = append(errs, nonNegative32(path+".ttlSecondsAfterFinished", s.TTLSecondsAfterFinished)...)
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds < 0 {
		errs = append(errs, apierrors.Invalid(path+".activeDeadlineSeconds", *s.ActiveDeadlineSeconds, "must be greater than or equal to 0"))
	}
	if s.CompletionMode != nil {
		switch *s.CompletionMode {
		case api.NonIndexedCompletion:
		case api.IndexedCompletion:
			if s.Completions == nil {
				errs = append(errs, apierrors.Required(path+".completions", fmt.Sprintf("when completion mode is %s", api.IndexedCompletion)))
			}
		default:
			errs = append(errs, apierrors.NotSupported(path+".completionMode", string(*s.CompletionMode), []string{"NonIndexed", "Indexed"}))
		}
	}
	if s.PodReplacementPolicy != nil {
		switch *s.PodReplacementPolicy {
		case api.TerminatingOrFailed, api.Failed:
		default:
			errs = append(errs, apierrors.NotSupported(path+".podReplacementPolicy", string(*s.PodReplacementPolicy), []string{"Failed", "TerminatingOrFailed"}))
		}
	}
	if s.PodFailurePolicy != nil {
		for i, r := range s.PodFailurePolicy.Rules {
			rp := fmt.Sprintf("%s.podFailurePolicy.rules[%d]", path, i)
			switch r.Action {
			case api.PodFailurePolicyActionFailJob, api.PodFailurePolicyActionFailIndex, api.PodFailurePolicyActionIgnore, api.PodFailurePolicyActionCount:
			default:
				errs = append(errs, apierrors.NotSupported(rp+".action", string(r.Action), []string{"Count", "FailIndex", "FailJob", "Ignore"}))
			}
			if (r.OnExitCodes == nil) == (len(r.OnPodConditions) == 0) {
				errs = append(errs, apierrors.Invalid(rp, "", "specifying one of OnExitCodes and OnPodConditions is required"))
			}
			if r.OnExitCodes != nil {
				switch r.OnExitCodes.Operator {
				case api.PodFailurePolicyOnExitCodesOpIn, api.PodFailurePolicyOnExitCodesOpNotIn:
				default:
					errs = append(errs, apierrors.NotSupported(rp+".onExitCodes.operator", string(r.OnExitCodes.Operator), []string{"In", "NotIn"}))
				}
			}
		}
	}
	if s.Selector != nil || (generated && s.ManualSelector != nil && *s.ManualSelector) {
		if s.Selector == nil {
			errs = append(errs, apierrors.Required(path+".selector", ""))
		} else if !api.SelectorMatches(s.Selector, s.Template.Labels) {
			errs = append(errs, apierrors.Invalid(path+".template.metadata.labels", s.Template.Labels, "`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, validatePodSpec(&s.Template.Spec, path+".template.spec")...)
	switch s.Template.Spec.RestartPolicy {
	case api.RestartPolicyOnFailure, api.RestartPolicyNever:
	default:
		errs = append(errs, apierrors.NotSupported(path+".template.spec.restartPolicy", string(s.Template.Spec.RestartPolicy), []string{"OnFailure", "Never"}))
	}
	return errs
}

// validateCronJob checks a CronJob. The schedule is only required to be
// set here; kubesim does not parse cron expressions.
func validateCronJob(c *api.CronJob) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if c.Spec.Schedule == "" {
		errs = append(errs, apierrors.Required("spec.schedule", ""))
	}
	switch c.Spec.ConcurrencyPolicy {
	case api.AllowConcurrent, api.ForbidConcurrent, api.ReplaceConcurrent:
	case "":
		errs = append(errs, apierrors.Required("spec.concurrencyPolicy", ""))
	default:
		errs = append(errs, apierrors.NotSupported("spec.concurrencyPolicy", string(c.Spec.ConcurrencyPolicy), []string{"Allow", "Forbid", "Replace"}))
	}
	if c.Spec.StartingDeadlineSeconds != nil && *c.Spec.StartingDeadlineSeconds < 0 {
		errs = append(errs, apierrors.Invalid("spec.startingDeadlineSeconds", *c.Spec.StartingDeadlineSeconds, "must be greater than or equal to 0"))
	}
	errs = append(errs, nonNegative32("spec.successfulJobsHistoryLimit", c.Spec.SuccessfulJobsHistoryLimit)...)
	errs = append(errs, nonNegative32("spec.failedJobsHistoryLimit", c.Spec.FailedJobsHistoryLimit)...)
	errs = append(errs, validateJobSpec(&c.Spec.JobTemplate.Spec, "spec.jobTemplate.spec", false)...)
	return errs
}

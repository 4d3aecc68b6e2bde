package apiserver

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/api/cron"
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
				if cn := r.OnExitCodes.ContainerName; cn != nil && !hasContainer(&s.Template.Spec, *cn) {
					errs = append(errs, apierrors.Invalid(rp+".onExitCodes.containerName", *cn, "must be one of the container or initContainer names in the pod template"))
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
	switch rp := s.Template.Spec.RestartPolicy; {
	case rp != api.RestartPolicyOnFailure && rp != api.RestartPolicyNever:
		errs = append(errs, apierrors.NotSupported(path+".template.spec.restartPolicy", string(rp), []string{"OnFailure", "Never"}))
	case s.PodFailurePolicy != nil && rp != api.RestartPolicyNever:
		errs = append(errs, apierrors.Invalid(path+".template.spec.restartPolicy", string(rp), `only "Never" is supported when podFailurePolicy is specified`))
	}
	return errs
}

func hasContainer(p *api.PodSpec, name string) bool {
	for _, c := range p.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range p.InitContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// validateCronJob checks a CronJob (old is the stored one on update), in
// the real validation's order and words. spec.schedule is parsed as the
// CronJob controller reads it (package cron); a TZ= or CRON_TZ= prefix is
// refused on create (an old object that had one may keep it, as upstream).
func validateCronJob(c *api.CronJob, old *api.CronJob) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if c.Spec.Schedule == "" {
		errs = append(errs, apierrors.Required("spec.schedule", ""))
	} else {
		allowTZ := old != nil && strings.Contains(old.Spec.Schedule, "TZ")
		if _, err := cron.Parse(c.Spec.Schedule); err != nil {
			errs = append(errs, apierrors.Invalid("spec.schedule", c.Spec.Schedule, err.Error()))
		}
		switch {
		case allowTZ && strings.Contains(c.Spec.Schedule, "TZ") && c.Spec.TimeZone != nil:
			errs = append(errs, apierrors.Invalid("spec.schedule", c.Spec.Schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
		case !allowTZ && strings.Contains(c.Spec.Schedule, "TZ"):
			errs = append(errs, apierrors.Invalid("spec.schedule", c.Spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
		}
	}
	if c.Spec.StartingDeadlineSeconds != nil && *c.Spec.StartingDeadlineSeconds < 0 {
		errs = append(errs, apierrors.Invalid("spec.startingDeadlineSeconds", *c.Spec.StartingDeadlineSeconds, "must be greater than or equal to 0"))
	}
	if old == nil || !reflect.DeepEqual(old.Spec.TimeZone, c.Spec.TimeZone) {
		errs = append(errs, validateTimeZone(c.Spec.TimeZone)...)
	}
	switch c.Spec.ConcurrencyPolicy {
	case api.AllowConcurrent, api.ForbidConcurrent, api.ReplaceConcurrent:
	case "":
		errs = append(errs, apierrors.Required("spec.concurrencyPolicy", ""))
	default:
		errs = append(errs, apierrors.NotSupported("spec.concurrencyPolicy", string(c.Spec.ConcurrencyPolicy), []string{"Allow", "Forbid", "Replace"}))
	}
	errs = append(errs, nonNegative32("spec.successfulJobsHistoryLimit", c.Spec.SuccessfulJobsHistoryLimit)...)
	errs = append(errs, nonNegative32("spec.failedJobsHistoryLimit", c.Spec.FailedJobsHistoryLimit)...)
	errs = append(errs, validateJobSpec(&c.Spec.JobTemplate.Spec, "spec.jobTemplate.spec", false)...)
	return errs
}

// timeZoneComponent is what one "/"-separated part of an IANA zone name
// may hold (letters, digits, ".", "-", "_", "+"; at most 14).
var timeZoneComponent = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

// validateTimeZone checks spec.timeZone: an explicit IANA zone that
// time.LoadLocation knows.
func validateTimeZone(tz *string) []apierrors.FieldError {
	const path = "spec.timeZone"
	if tz == nil {
		return nil
	}
	if *tz == "" {
		return []apierrors.FieldError{apierrors.Invalid(path, *tz, "timeZone must be nil or non-empty string")}
	}
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !timeZoneComponent.MatchString(part) {
			return []apierrors.FieldError{apierrors.Invalid(path, *tz, "unknown time zone "+*tz)}
		}
	}
	var errs []apierrors.FieldError
	if strings.EqualFold(*tz, "Local") {
		errs = append(errs, apierrors.Invalid(path, *tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		errs = append(errs, apierrors.Invalid(path, *tz, err.Error()))
	}
	return errs
}

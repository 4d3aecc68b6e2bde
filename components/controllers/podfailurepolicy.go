package controllers

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
)

// podFailureMatch is what a Job's podFailurePolicy makes of one failed
// pod: the first rule that matches decides (pkg/controller/job's
// matchPodFailurePolicy).
type podFailureMatch struct {
	// Rule is the index of the matching rule, -1 if none matched.
	Rule   int
	Action api.PodFailurePolicyAction
	// Count is false for an Ignore rule: the failure does not count
	// towards backoffLimit.
	Count bool
	// Message is the Job's failure message for a FailJob rule.
	Message string
	// Container and ExitCode name the terminated container an
	// onExitCodes rule matched; Condition the pod condition an
	// onPodConditions rule matched.
	Container string
	ExitCode  int32
	Condition api.PodConditionType
}

// matchPodFailurePolicy applies the rules in order. A rule with an action
// kubesim does not know is skipped, as clients must skip unknown actions.
// FailIndex needs backoffLimitPerIndex, which kubesim does not model: it
// counts as Count.
func matchPodFailurePolicy(pfp *api.PodFailurePolicy, p *api.Pod) podFailureMatch {
	none := podFailureMatch{Rule: -1, Count: true}
	if pfp == nil {
		return none
	}
	for i, r := range pfp.Rules {
		m := podFailureMatch{Rule: i, Action: r.Action, Count: true}
		switch {
		case r.OnExitCodes != nil:
			cs := matchExitCodes(p, r.OnExitCodes)
			if cs == nil {
				continue
			}
			m.Container, m.ExitCode = cs.Name, cs.State.Terminated.ExitCode
			if r.Action == api.PodFailurePolicyActionFailJob {
				m.Message = fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d matching %s rule at index %d",
					cs.Name, p.Namespace, p.Name, m.ExitCode, r.Action, i)
			}
		case len(r.OnPodConditions) > 0:
			cond, ok := matchPodConditions(p, r.OnPodConditions)
			if !ok {
				continue
			}
			m.Condition = cond
			if r.Action == api.PodFailurePolicyActionFailJob {
				m.Message = fmt.Sprintf("Pod %s/%s has condition %s matching %s rule at index %d", p.Namespace, p.Name, cond, r.Action, i)
			}
		default:
			continue
		}
		switch r.Action {
		case api.PodFailurePolicyActionIgnore:
			m.Count = false
		case api.PodFailurePolicyActionFailJob, api.PodFailurePolicyActionCount, api.PodFailurePolicyActionFailIndex:
		default:
			continue
		}
		return m
	}
	return none
}

// matchExitCodes is the first terminated container (then init container)
// with a non-zero exit code that the requirement names.
func matchExitCodes(p *api.Pod, req *api.PodFailurePolicyOnExitCodesRequirement) *api.ContainerStatus {
	for _, list := range [][]api.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range list {
			cs := &list[i]
			t := cs.State.Terminated
			if t == nil || t.ExitCode == 0 || (req.ContainerName != nil && *req.ContainerName != cs.Name) {
				continue
			}
			in := false
			for _, v := range req.Values {
				if v == t.ExitCode {
					in = true
				}
			}
			if in == (req.Operator == api.PodFailurePolicyOnExitCodesOpIn) &&
				(req.Operator == api.PodFailurePolicyOnExitCodesOpIn || req.Operator == api.PodFailurePolicyOnExitCodesOpNotIn) {
				return cs
			}
		}
	}
	return nil
}

func matchPodConditions(p *api.Pod, patterns []api.PodFailurePolicyOnPodConditionsPattern) (api.PodConditionType, bool) {
	for _, c := range p.Status.Conditions {
		for _, pat := range patterns {
			if c.Type == pat.Type && c.Status == pat.Status {
				return c.Type, true
			}
		}
	}
	return "", false
}

package apiserver

import (
	"regexp"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

var percentRE = regexp.MustCompile(`^[0-9]+%$`)

// validatePDB checks a PodDisruptionBudget's spec as policy/v1 does.
func validatePDB(pdb *api.PodDisruptionBudget) []apierrors.FieldError {
	var errs []apierrors.FieldError
	s := &pdb.Spec
	if s.MinAvailable != nil && s.MaxUnavailable != nil {
		errs = append(errs, apierrors.Invalid("spec", goValue("policy.PodDisruptionBudgetSpec{...}"), "minAvailable and maxUnavailable cannot be both set"))
	}
	if s.MinAvailable != nil {
		errs = append(errs, nonnegativeIntOrPercent(*s.MinAvailable, "spec.minAvailable")...)
	}
	if s.MaxUnavailable != nil {
		errs = append(errs, nonnegativeIntOrPercent(*s.MaxUnavailable, "spec.maxUnavailable")...)
	}
	if s.Selector != nil {
		if _, err := api.LabelSelectorAsSelector(s.Selector); err != nil {
			errs = append(errs, apierrors.Invalid("spec.selector", selectorValue(s.Selector), err.Error()))
		}
	}
	if p := s.UnhealthyPodEvictionPolicy; p != nil && *p != api.IfHealthyBudget && *p != api.AlwaysAllow {
		errs = append(errs, apierrors.NotSupported("spec.unhealthyPodEvictionPolicy", string(*p), []string{string(api.AlwaysAllow), string(api.IfHealthyBudget)}))
	}
	return errs
}

// nonnegativeIntOrPercent is ValidateNonnegativeIntOrPercent plus the
// 100 % bound.
func nonnegativeIntOrPercent(v api.IntOrString, path string) []apierrors.FieldError {
	if v.Type == api.IntOrStringInt {
		if v.IntVal < 0 {
			return []apierrors.FieldError{apierrors.Invalid(path, v.IntVal, "must be greater than or equal to 0")}
		}
		return nil
	}
	if !percentRE.MatchString(v.StrVal) {
		return []apierrors.FieldError{apierrors.Invalid(path, v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}
	}
	if percentValue(v.StrVal) > 100 {
		return []apierrors.FieldError{apierrors.Invalid(path, v.StrVal, "must not be greater than 100%")}
	}
	return nil
}

func percentValue(s string) int {
	n := 0
	for _, c := range s[:len(s)-1] {
		n = n*10 + int(c-'0')
		if n > 1000 {
			return n
		}
	}
	return n
}

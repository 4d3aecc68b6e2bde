package apiserver

import (
	"unicode"

	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/fieldmanager"
	"github.com/kubesim/kubesim/components/apiwire"
)

// managerName is the manager of a write: ?fieldManager=, else the
// User-Agent's prefix before its first "/" with unprintable characters
// dropped and cut at 128 bytes, as the real handlers derive it.
func managerName(r *apiwire.Request) string {
	if r.FieldManager != "" {
		return r.FieldManager
	}
	return fieldmanager.ManagerFromUserAgent(r.UserAgent)
}

// checkFieldManager validates the fieldManager and force options as the
// real PatchOptions/UpdateOptions/CreateOptions validation does.
func checkFieldManager(r *apiwire.Request) error {
	var errs []apierrors.FieldError
	apply := r.Verb == apiwire.VerbPatch && r.PatchType == apiwire.ApplyPatch
	if apply && r.FieldManager == "" {
		errs = append(errs, apierrors.Required("fieldManager", "is required for apply patch"))
	}
	if len(r.FieldManager) > fieldmanager.FieldManagerMaxLength {
		errs = append(errs, apierrors.TooLong("fieldManager", fieldmanager.FieldManagerMaxLength))
	}
	for _, c := range r.FieldManager {
		if !unicode.IsPrint(c) {
			errs = append(errs, apierrors.Invalid("fieldManager", r.FieldManager, "must only contain printable characters"))
			break
		}
	}
	if r.Force && !apply {
		errs = append(errs, apierrors.Forbidden("force", "may not be specified for non-apply patch"))
	}
	if len(errs) > 0 {
		kind := map[string]string{apiwire.VerbCreate: "CreateOptions", apiwire.VerbUpdate: "UpdateOptions", apiwire.VerbPatch: "PatchOptions"}[r.Verb]
		return apierrors.NewInvalid("meta.k8s.io", kind, "", errs)
	}
	return nil
}

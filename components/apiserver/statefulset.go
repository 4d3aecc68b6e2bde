package apiserver

import (
	"encoding/json"
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// defaultStatefulSet fills the apps/v1 defaults of a StatefulSet: one
// replica, OrderedReady, RollingUpdate with partition 0, ten revisions of
// history and claims retained when the set is deleted or scaled.
func defaultStatefulSet(o *api.StatefulSet, note func(format string, args ...any)) {
	if o.Spec.Replicas == nil {
		o.Spec.Replicas = ptr(int32(1))
		note("spec.replicas=1")
	}
	if o.Spec.PodManagementPolicy == "" {
		o.Spec.PodManagementPolicy = api.OrderedReadyPodManagement
	}
	if o.Spec.UpdateStrategy.Type == "" {
		o.Spec.UpdateStrategy.Type = api.RollingUpdateStatefulSetStrategyType
	}
	if o.Spec.UpdateStrategy.Type == api.RollingUpdateStatefulSetStrategyType {
		if o.Spec.UpdateStrategy.RollingUpdate == nil {
			o.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateStatefulSetStrategy{}
		}
		if o.Spec.UpdateStrategy.RollingUpdate.Partition == nil {
			o.Spec.UpdateStrategy.RollingUpdate.Partition = ptr(int32(0))
		}
	}
	if o.Spec.RevisionHistoryLimit == nil {
		o.Spec.RevisionHistoryLimit = ptr(int32(10))
	}
	if o.Spec.PersistentVolumeClaimRetentionPolicy == nil {
		o.Spec.PersistentVolumeClaimRetentionPolicy = &api.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if o.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted == "" {
		o.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = api.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if o.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled == "" {
		o.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = api.RetainPersistentVolumeClaimRetentionPolicyType
	}
	defaultPodSpec(&o.Spec.Template.Spec, note)
}

// validateStatefulSet checks a StatefulSet's spec with the messages of the
// real apps validation.
func validateStatefulSet(o *api.StatefulSet) []apierrors.FieldError {
	var errs []apierrors.FieldError
	s := &o.Spec
	switch s.PodManagementPolicy {
	case "":
		errs = append(errs, apierrors.Required("spec.podManagementPolicy", ""))
	case api.OrderedReadyPodManagement, api.ParallelPodManagement:
	default:
		errs = append(errs, apierrors.Invalid("spec.podManagementPolicy", string(s.PodManagementPolicy),
			fmt.Sprintf("must be '%s' or '%s'", api.OrderedReadyPodManagement, api.ParallelPodManagement)))
	}
	switch s.UpdateStrategy.Type {
	case "":
		errs = append(errs, apierrors.Required("spec.updateStrategy", ""))
	case api.OnDeleteStatefulSetStrategyType:
		if s.UpdateStrategy.RollingUpdate != nil {
			errs = append(errs, apierrors.Invalid("spec.updateStrategy.rollingUpdate", "",
				fmt.Sprintf("only allowed for updateStrategy '%s'", api.RollingUpdateStatefulSetStrategyType)))
		}
	case api.RollingUpdateStatefulSetStrategyType:
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil && *ru.Partition < 0 {
			errs = append(errs, apierrors.Invalid("spec.updateStrategy.rollingUpdate.partition", *ru.Partition, "must be greater than or equal to 0"))
		}
	default:
		errs = append(errs, apierrors.Invalid("spec.updateStrategy", string(s.UpdateStrategy.Type),
			fmt.Sprintf("must be '%s' or '%s'", api.RollingUpdateStatefulSetStrategyType, api.OnDeleteStatefulSetStrategyType)))
	}
	if p := s.PersistentVolumeClaimRetentionPolicy; p != nil {
		valid := []string{string(api.RetainPersistentVolumeClaimRetentionPolicyType), string(api.DeletePersistentVolumeClaimRetentionPolicyType)}
		for _, f := range []struct {
			path string
			v    api.PersistentVolumeClaimRetentionPolicyType
		}{{"spec.persistentVolumeClaimRetentionPolicy.whenDeleted", p.WhenDeleted}, {"spec.persistentVolumeClaimRetentionPolicy.whenScaled", p.WhenScaled}} {
			if f.v != api.RetainPersistentVolumeClaimRetentionPolicyType && f.v != api.DeletePersistentVolumeClaimRetentionPolicyType {
				errs = append(errs, apierrors.NotSupported(f.path, string(f.v), valid))
			}
		}
	}
	if s.Replicas != nil && *s.Replicas < 0 {
		errs = append(errs, apierrors.Invalid("spec.replicas", *s.Replicas, "must be greater than or equal to 0"))
	}
	if s.MinReadySeconds < 0 {
		errs = append(errs, apierrors.Invalid("spec.minReadySeconds", s.MinReadySeconds, "must be greater than or equal to 0"))
	}
	if s.Ordinals != nil && s.Ordinals.Start < 0 {
		errs = append(errs, apierrors.Invalid("spec.ordinals.start", s.Ordinals.Start, "must be greater than or equal to 0"))
	}
	if s.ServiceName != "" {
		for _, msg := range IsDNS1123Label(s.ServiceName) {
			errs = append(errs, apierrors.Invalid("spec.serviceName", s.ServiceName, msg))
		}
	}
	for i, t := range s.VolumeClaimTemplates {
		if t.Name == "" {
			errs = append(errs, apierrors.Required(fmt.Sprintf("spec.volumeClaimTemplates[%d].metadata.name", i), "name or generateName is required"))
		}
		// The template's spec is validated as a claim's
		// (ValidatePersistentVolumeClaimSpec), under the template's path.
		claim := &api.PersistentVolumeClaim{Spec: t.Spec}
		for _, e := range validateStorage(claim, nil) {
			e.Field = fmt.Sprintf("spec.volumeClaimTemplates[%d].", i) + e.Field
			errs = append(errs, e)
		}
	}
	if s.Selector == nil {
		errs = append(errs, apierrors.Required("spec.selector", ""))
	} else if len(s.Selector.MatchLabels) == 0 && len(s.Selector.MatchExpressions) == 0 {
		errs = append(errs, apierrors.Invalid("spec.selector", "", "empty selector is invalid for statefulset"))
	} else if !api.SelectorMatches(s.Selector, s.Template.Labels) {
		errs = append(errs, apierrors.Invalid("spec.template.metadata.labels", s.Template.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, validatePodSpec(&s.Template.Spec, "spec.template.spec")...)
	if s.Template.Spec.RestartPolicy != "" && s.Template.Spec.RestartPolicy != api.RestartPolicyAlways {
		errs = append(errs, apierrors.NotSupported("spec.template.spec.restartPolicy", string(s.Template.Spec.RestartPolicy), []string{string(api.RestartPolicyAlways)}))
	}
	return errs
}

// validateStatefulSetUpdate forbids changes to the spec other than those
// the real apiserver allows.
func validateStatefulSetUpdate(o, old *api.StatefulSet) []apierrors.FieldError {
	a, b := o.Spec, old.Spec
	a.Replicas, a.Ordinals, a.Template, a.UpdateStrategy = b.Replicas, b.Ordinals, b.Template, b.UpdateStrategy
	a.RevisionHistoryLimit, a.PersistentVolumeClaimRetentionPolicy, a.MinReadySeconds = b.RevisionHistoryLimit, b.PersistentVolumeClaimRetentionPolicy, b.MinReadySeconds
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if string(x) != string(y) {
		return []apierrors.FieldError{apierrors.Forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")}
	}
	return nil
}

package apiserver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/crdschema"
)

// Name rules, with the real messages (apimachinery validation).
const (
	dns1123LabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1035LabelFmt     = "[a-z]([-a-z0-9]*[a-z0-9])?"
)

var (
	dns1123LabelRe     = regexp.MustCompile("^" + dns1123LabelFmt + "$")
	dns1123SubdomainRe = regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
	dns1035LabelRe     = regexp.MustCompile("^" + dns1035LabelFmt + "$")
)

// IsDNS1123Subdomain returns the problems of a DNS-1123 subdomain name.
func IsDNS1123Subdomain(v string) []string {
	var errs []string
	if len(v) > 253 {
		errs = append(errs, "must be no more than 253 characters")
	}
	if !dns1123SubdomainRe.MatchString(v) {
		errs = append(errs, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '"+dns1123SubdomainFmt+"')")
	}
	return errs
}

// IsDNS1123Label returns the problems of a DNS-1123 label name.
func IsDNS1123Label(v string) []string {
	var errs []string
	if len(v) > 63 {
		errs = append(errs, "must be no more than 63 characters")
	}
	if !dns1123LabelRe.MatchString(v) {
		errs = append(errs, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '"+dns1123LabelFmt+"')")
	}
	return errs
}

// IsDNS1035Label returns the problems of a DNS-1035 label name.
func IsDNS1035Label(v string) []string {
	var errs []string
	if len(v) > 63 {
		errs = append(errs, "must be no more than 63 characters")
	}
	if !dns1035LabelRe.MatchString(v) {
		errs = append(errs, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '"+dns1035LabelFmt+"')")
	}
	return errs
}

// nameRule is the name validation of each resource: Namespaces and
// Services are labels, most others subdomains.
func nameRule(resource string) func(string) []string {
	switch resource {
	case "namespaces":
		return IsDNS1123Label
	case "services":
		return IsDNS1035Label
	case "roles", "clusterroles", "rolebindings", "clusterrolebindings":
		return isPathSegmentName // ValidateRBACName: "system:metrics-server"
	}
	return IsDNS1123Subdomain
}

// isPathSegmentName is path.IsValidPathSegmentName, the rule of RBAC
// objects' names.
func isPathSegmentName(v string) []string {
	switch v {
	case ".", "..":
		return []string{fmt.Sprintf("may not be '%s'", v)}
	}
	var errs []string
	for _, bad := range []string{"/", "%"} {
		if strings.Contains(v, bad) {
			errs = append(errs, fmt.Sprintf("may not contain '%s'", bad))
		}
	}
	return errs
}

func validateMeta(info *api.ResourceInfo, m *api.ObjectMeta) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if m.Name == "" {
		if m.GenerateName == "" {
			errs = append(errs, apierrors.Required("metadata.name", "name or generateName is required"))
		}
	} else {
		for _, msg := range nameRule(info.Resource)(m.Name) {
			errs = append(errs, apierrors.Invalid("metadata.name", m.Name, msg))
		}
	}
	if info.Namespaced {
		if m.Namespace == "" {
			errs = append(errs, apierrors.Required("metadata.namespace", ""))
		} else {
			for _, msg := range IsDNS1123Label(m.Namespace) {
				errs = append(errs, apierrors.Invalid("metadata.namespace", m.Namespace, msg))
			}
		}
	} else if m.Namespace != "" {
		errs = append(errs, apierrors.Forbidden("metadata.namespace", "not allowed on this type"))
	}
	for k := range m.Labels {
		if msgs := labelKeyProblems(k); len(msgs) > 0 {
			errs = append(errs, apierrors.Invalid("metadata.labels", k, strings.Join(msgs, "; ")))
		}
	}
	return errs
}

var labelValueRe = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)

func labelKeyProblems(k string) []string {
	name := k
	if i := strings.LastIndex(k, "/"); i >= 0 {
		if p := IsDNS1123Subdomain(k[:i]); len(p) > 0 {
			return p
		}
		name = k[i+1:]
	}
	if len(name) == 0 || len(name) > 63 || !labelValueRe.MatchString(name) {
		return []string{"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}
	}
	return nil
}

// validate checks an object about to be stored.
// Size limits of the real apiserver's validation.
const (
	// totalAnnotationSizeLimit bounds the keys and values of an object's
	// annotations together (apimachinery's TotalAnnotationSizeLimitB).
	totalAnnotationSizeLimit = 256 << 10
	// maxConfigDataSize bounds a ConfigMap's or Secret's data
	// (MaxSecretSize, also used for ConfigMaps).
	maxConfigDataSize = 1 << 20
)

// goValue is a bad value shown as Go syntax, as the real field errors
// print structs (`v1.LabelSelector{MatchLabels:...}`).
type goValue string

func (v goValue) String() string { return string(v) }

// selectorValue prints a label selector as the real immutability error
// does.
func selectorValue(sel *api.LabelSelector) goValue {
	if sel == nil {
		return "(*v1.LabelSelector)(nil)"
	}
	ml := "map[string]string(nil)"
	if sel.MatchLabels != nil {
		keys := make([]string, 0, len(sel.MatchLabels))
		for k := range sel.MatchLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q:%q", k, sel.MatchLabels[k])
		}
		ml = "map[string]string{" + strings.Join(parts, ", ") + "}"
	}
	me := "[]v1.LabelSelectorRequirement(nil)"
	if sel.MatchExpressions != nil {
		parts := make([]string, len(sel.MatchExpressions))
		for i, r := range sel.MatchExpressions {
			vals := make([]string, len(r.Values))
			for j, v := range r.Values {
				vals[j] = fmt.Sprintf("%q", v)
			}
			parts[i] = fmt.Sprintf("v1.LabelSelectorRequirement{Key:%q, Operator:%q, Values:[]string{%s}}", r.Key, string(r.Operator), strings.Join(vals, ", "))
		}
		me = "[]v1.LabelSelectorRequirement{" + strings.Join(parts, ", ") + "}"
	}
	return goValue(fmt.Sprintf("v1.LabelSelector{MatchLabels:%s, MatchExpressions:%s}", ml, me))
}

// immutableSelector refuses a changed spec.selector of a workload, as
// apps/v1 does.
func immutableSelector(sel, old *api.LabelSelector) []apierrors.FieldError {
	a, _ := json.Marshal(sel)
	b, _ := json.Marshal(old)
	if string(a) != string(b) {
		return []apierrors.FieldError{apierrors.Invalid("spec.selector", selectorValue(sel), "field is immutable")}
	}
	return nil
}

func validateSizes(obj api.Object) []apierrors.FieldError {
	var errs []apierrors.FieldError
	total := 0
	for k, v := range obj.GetObjectMeta().Annotations {
		total += len(k) + len(v)
	}
	if total > totalAnnotationSizeLimit {
		errs = append(errs, apierrors.TooLong("metadata.annotations", totalAnnotationSizeLimit))
	}
	switch o := obj.(type) {
	case *api.ConfigMap:
		size := 0
		for k, v := range o.Data {
			size += len(k) + len(v)
		}
		for k, v := range o.BinaryData {
			size += len(k) + len(v)
		}
		if size > maxConfigDataSize {
			errs = append(errs, apierrors.TooLong("[]", maxConfigDataSize))
		}
	case *api.Secret:
		size := 0
		for k, v := range o.Data {
			size += len(k) + len(v)
		}
		if size > maxConfigDataSize {
			errs = append(errs, apierrors.TooLong("data", maxConfigDataSize))
		}
	}
	return errs
}

// immutableData refuses changes to a ConfigMap or Secret marked immutable.
func immutableData(obj, old api.Object) []apierrors.FieldError {
	var was *bool
	var now *bool
	var same bool
	switch o := obj.(type) {
	case *api.ConfigMap:
		p := old.(*api.ConfigMap)
		was, now = p.Immutable, o.Immutable
		a, _ := json.Marshal([]any{o.Data, o.BinaryData})
		b, _ := json.Marshal([]any{p.Data, p.BinaryData})
		same = string(a) == string(b)
	case *api.Secret:
		p := old.(*api.Secret)
		was, now = p.Immutable, o.Immutable
		a, _ := json.Marshal(o.Data)
		b, _ := json.Marshal(p.Data)
		same = string(a) == string(b)
	default:
		return nil
	}
	if was == nil || !*was {
		return nil
	}
	var errs []apierrors.FieldError
	if now == nil || !*now {
		errs = append(errs, apierrors.Forbidden("immutable", "field is immutable when `immutable` is set"))
	}
	if !same {
		errs = append(errs, apierrors.Forbidden("data", "field is immutable when `immutable` is set"))
	}
	return errs
}

func validate(info *api.ResourceInfo, obj api.Object, old api.Object) []apierrors.FieldError {
	errs := validateMeta(info, obj.GetObjectMeta())
	errs = append(errs, validateSizes(obj)...)
	if old != nil {
		errs = append(errs, immutableData(obj, old)...)
		switch o := obj.(type) {
		case *api.Deployment:
			errs = append(errs, immutableSelector(o.Spec.Selector, old.(*api.Deployment).Spec.Selector)...)
		case *api.ReplicaSet:
			errs = append(errs, immutableSelector(o.Spec.Selector, old.(*api.ReplicaSet).Spec.Selector)...)
		case *api.DaemonSet:
			errs = append(errs, immutableSelector(o.Spec.Selector, old.(*api.DaemonSet).Spec.Selector)...)
		case *api.Job:
			errs = append(errs, immutableSelector(o.Spec.Selector, old.(*api.Job).Spec.Selector)...)
		case *api.StatefulSet:
			errs = append(errs, validateStatefulSetUpdate(o, old.(*api.StatefulSet))...)
		case *api.PriorityClass:
			errs = append(errs, validatePriorityClassUpdate(o, old.(*api.PriorityClass))...)
		}
	}
	switch o := obj.(type) {
	case *api.Pod:
		errs = append(errs, validatePodSpec(&o.Spec, "spec")...)
		if old != nil {
			errs = append(errs, validatePodUpdate(o, old.(*api.Pod))...)
		}
	case *api.ReplicaSet:
		errs = append(errs, validateSelectorAndTemplate(o.Spec.Selector, &o.Spec.Template)...)
		if o.Spec.Replicas != nil && *o.Spec.Replicas < 0 {
			errs = append(errs, apierrors.Invalid("spec.replicas", *o.Spec.Replicas, "must be greater than or equal to 0"))
		}
	case *api.Deployment:
		errs = append(errs, validateSelectorAndTemplate(o.Spec.Selector, &o.Spec.Template)...)
		if o.Spec.Replicas != nil && *o.Spec.Replicas < 0 {
			errs = append(errs, apierrors.Invalid("spec.replicas", *o.Spec.Replicas, "must be greater than or equal to 0"))
		}
	case *api.DaemonSet:
		errs = append(errs, validateSelectorAndTemplate(o.Spec.Selector, &o.Spec.Template)...)
	case *api.HorizontalPodAutoscaler:
		errs = append(errs, validateHPASpec(&o.Spec)...)
	case *api.StatefulSet:
		errs = append(errs, validateStatefulSet(o)...)
	case *api.Service:
		errs = append(errs, validateService(o)...)
	case *api.PodDisruptionBudget:
		errs = append(errs, validatePDB(o)...)
	case *api.CustomResourceDefinition:
		errs = append(errs, crdschema.ValidateDefinition(o)...)
	case *api.Job:
		errs = append(errs, validateJobSpec(&o.Spec, "spec", true)...)
	case *api.CronJob:
		oldCJ, _ := old.(*api.CronJob)
		errs = append(errs, validateCronJob(o, oldCJ)...)
	case *api.PriorityClass:
		errs = append(errs, validatePriorityClass(o)...)
	case *api.LimitRange:
		errs = append(errs, validateLimitRange(o)...)
	case *api.PersistentVolume, *api.PersistentVolumeClaim, *api.StorageClass:
		errs = append(errs, validateStorage(o, old)...)
	}
	return errs
}

// validatePriorityClass is kube-apiserver's PriorityClass validation: names
// with the system- prefix are reserved for the built-in classes (with their
// own values), other classes may not exceed HighestUserDefinablePriority, and
// preemptionPolicy is one of the two policies.
func validatePriorityClass(pc *api.PriorityClass) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if strings.HasPrefix(pc.Name, api.SystemPriorityClassPrefix) {
		if err := knownSystemPriorityClass(pc); err != nil {
			errs = append(errs, apierrors.Forbidden("metadata.name", "priority class names with '"+api.SystemPriorityClassPrefix+"' prefix are reserved for system use only. error: "+err.Error()))
		}
	} else if pc.Value > api.HighestUserDefinablePriority {
		errs = append(errs, apierrors.Forbidden("value", fmt.Sprintf("maximum allowed value of a user defined priority is %d", api.HighestUserDefinablePriority)))
	}
	if p := pc.PreemptionPolicy; p != nil && *p != api.PreemptLowerPriority && *p != api.PreemptNever {
		errs = append(errs, apierrors.NotSupported("preemptionPolicy", string(*p), []string{string(api.PreemptLowerPriority), string(api.PreemptNever)}))
	}
	return errs
}

// knownSystemPriorityClass says why a system- class is not one of the
// built-in ones, nil when it is.
func knownSystemPriorityClass(pc *api.PriorityClass) error {
	for _, sys := range api.SystemPriorityClasses() {
		if sys.Name != pc.Name {
			continue
		}
		if sys.Value != pc.Value {
			return fmt.Errorf("value of %v PriorityClass must be %v", pc.Name, sys.Value)
		}
		if pc.GlobalDefault {
			return fmt.Errorf("globalDefault of %v PriorityClass must be %v", pc.Name, false)
		}
		return nil
	}
	return fmt.Errorf("%v is not a known system priority class", pc.Name)
}

// validatePriorityClassUpdate keeps value and preemptionPolicy as created.
func validatePriorityClassUpdate(pc, old *api.PriorityClass) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if pc.Value != old.Value {
		errs = append(errs, apierrors.Forbidden("value", "may not be changed in an update."))
	}
	if policyOf(pc.PreemptionPolicy) != policyOf(old.PreemptionPolicy) {
		errs = append(errs, apierrors.Invalid("preemptionPolicy", policyOf(pc.PreemptionPolicy), "field is immutable"))
	}
	return errs
}

// policyOf is a class's preemption policy with its default.
func policyOf(p *api.PreemptionPolicy) api.PreemptionPolicy {
	if p == nil {
		return api.PreemptLowerPriority
	}
	return *p
}

func validatePodSpec(s *api.PodSpec, path string) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if len(s.Containers) == 0 {
		errs = append(errs, apierrors.Required(path+".containers", ""))
	}
	seen := map[string]bool{}
	check := func(list []api.Container, field string) {
		for i, c := range list {
			p := fmt.Sprintf("%s.%s[%d]", path, field, i)
			if c.Name == "" {
				errs = append(errs, apierrors.Required(p+".name", ""))
			} else {
				for _, msg := range IsDNS1123Label(c.Name) {
					errs = append(errs, apierrors.Invalid(p+".name", c.Name, msg))
				}
				if seen[c.Name] {
					errs = append(errs, apierrors.Duplicate(p+".name", c.Name))
				}
				seen[c.Name] = true
			}
			if c.Image == "" {
				errs = append(errs, apierrors.Required(p+".image", ""))
			}
			for _, rn := range sortedResourceNames(c.Resources.Requests) {
				if lim, ok := c.Resources.Limits[rn]; ok && c.Resources.Requests[rn].Cmp(lim) > 0 {
					req := c.Resources.Requests[rn]
					errs = append(errs, apierrors.Invalid(fmt.Sprintf("%s.resources.requests[%s]", p, rn), req.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", rn, lim.String())))
				}
			}
			for j, port := range c.Ports {
				if port.ContainerPort < 1 || port.ContainerPort > 65535 {
					errs = append(errs, apierrors.Invalid(fmt.Sprintf("%s.ports[%d].containerPort", p, j), port.ContainerPort, "must be between 1 and 65535, inclusive"))
				}
			}
		}
	}
	check(s.InitContainers, "initContainers")
	check(s.Containers, "containers")
	switch s.RestartPolicy {
	case api.RestartPolicyAlways, api.RestartPolicyOnFailure, api.RestartPolicyNever:
	default:
		errs = append(errs, apierrors.NotSupported(path+".restartPolicy", string(s.RestartPolicy), []string{"Always", "OnFailure", "Never"}))
	}
	return errs
}

func validateSelectorAndTemplate(sel *api.LabelSelector, tmpl *api.PodTemplateSpec) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if sel == nil {
		errs = append(errs, apierrors.Required("spec.selector", ""))
	} else if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		errs = append(errs, apierrors.Invalid("spec.selector", "", "empty selector is invalid for deployment"))
	} else if !api.SelectorMatches(sel, tmpl.Labels) {
		errs = append(errs, apierrors.Invalid("spec.template.metadata.labels", tmpl.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, validatePodSpec(&tmpl.Spec, "spec.template.spec")...)
	return errs
}

// validatePodUpdate enforces the immutability of a pod's spec: only images,
// activeDeadlineSeconds and added tolerations may change.
func validatePodUpdate(p, old *api.Pod) []apierrors.FieldError {
	a, b := api.DeepCopy(p), api.DeepCopy(old)
	for i := range a.Spec.Containers {
		if i < len(b.Spec.Containers) {
			a.Spec.Containers[i].Image = b.Spec.Containers[i].Image
		}
	}
	for i := range a.Spec.InitContainers {
		if i < len(b.Spec.InitContainers) {
			a.Spec.InitContainers[i].Image = b.Spec.InitContainers[i].Image
		}
	}
	a.Spec.ActiveDeadlineSeconds = b.Spec.ActiveDeadlineSeconds
	if len(a.Spec.Tolerations) >= len(b.Spec.Tolerations) {
		a.Spec.Tolerations = b.Spec.Tolerations
	}
	if b.Spec.NodeName == "" {
		a.Spec.NodeName = "" // binding sets it
	}
	ja, _ := encode(&api.Pod{Spec: a.Spec})
	jb, _ := encode(&api.Pod{Spec: b.Spec})
	if string(ja) != string(jb) {
		return []apierrors.FieldError{apierrors.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")}
	}
	return nil
}

// validateHPASpec checks an autoscaling/v2 HorizontalPodAutoscaler spec
// with the messages of the real validation.
func validateHPASpec(s *api.HorizontalPodAutoscalerSpec) []apierrors.FieldError {
	var errs []apierrors.FieldError
	if s.ScaleTargetRef.Kind == "" {
		errs = append(errs, apierrors.Required("spec.scaleTargetRef.kind", ""))
	}
	if s.ScaleTargetRef.Name == "" {
		errs = append(errs, apierrors.Required("spec.scaleTargetRef.name", ""))
	}
	minR := int32(1)
	if s.MinReplicas != nil {
		minR = *s.MinReplicas
		if minR < 1 {
			errs = append(errs, apierrors.Invalid("spec.minReplicas", minR, "must be greater than or equal to 1"))
		}
	}
	if s.MaxReplicas < 1 {
		errs = append(errs, apierrors.Invalid("spec.maxReplicas", s.MaxReplicas, "must be greater than 0"))
	} else if s.MaxReplicas < minR {
		errs = append(errs, apierrors.Invalid("spec.maxReplicas", s.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i, m := range s.Metrics {
		p := fmt.Sprintf("spec.metrics[%d]", i)
		switch m.Type {
		case api.ResourceMetricSourceType:
			if m.Resource == nil {
				errs = append(errs, apierrors.Required(p+".resource", "must populate information for the given metric source"))
				continue
			}
			if m.Resource.Name == "" {
				errs = append(errs, apierrors.Required(p+".resource.name", "must specify a resource name"))
			}
			t := m.Resource.Target
			switch t.Type {
			case api.UtilizationMetricType:
				if t.AverageUtilization == nil {
					errs = append(errs, apierrors.Required(p+".resource.target.averageUtilization", "must set averageUtilization when type is Utilization"))
				} else if *t.AverageUtilization <= 0 {
					errs = append(errs, apierrors.Invalid(p+".resource.target.averageUtilization", *t.AverageUtilization, "must be greater than 0"))
				}
			case api.AverageValueMetricType:
				if t.AverageValue == nil {
					errs = append(errs, apierrors.Required(p+".resource.target.averageValue", "must set averageValue when type is AverageValue"))
				}
			default:
				errs = append(errs, apierrors.NotSupported(p+".resource.target.type", string(t.Type), []string{"AverageValue", "Utilization"}))
			}
		case api.PodsMetricSourceType, api.ObjectMetricSourceType, api.ExternalMetricSourceType, api.ContainerResourceMetricSourceType:
			errs = append(errs, apierrors.Invalid(p+".type", string(m.Type), "kubesim computes only Resource metrics"))
		case "":
			errs = append(errs, apierrors.Required(p+".type", "must specify a metric source type"))
		default:
			errs = append(errs, apierrors.NotSupported(p+".type", string(m.Type), []string{"ContainerResource", "External", "Object", "Pods", "Resource"}))
		}
	}
	if b := s.Behavior; b != nil {
		errs = append(errs, validateHPAScalingRules(b.ScaleUp, "spec.behavior.scaleUp")...)
		errs = append(errs, validateHPAScalingRules(b.ScaleDown, "spec.behavior.scaleDown")...)
	}
	return errs
}

func validateHPAScalingRules(r *api.HPAScalingRules, path string) []apierrors.FieldError {
	if r == nil {
		return nil
	}
	var errs []apierrors.FieldError
	if w := r.StabilizationWindowSeconds; w != nil {
		if *w < 0 {
			errs = append(errs, apierrors.Invalid(path+".stabilizationWindowSeconds", *w, "must be greater than or equal to zero"))
		} else if *w > 3600 {
			errs = append(errs, apierrors.Invalid(path+".stabilizationWindowSeconds", *w, "must be less than or equal to 3600"))
		}
	}
	if sp := r.SelectPolicy; sp != nil {
		switch *sp {
		case api.MaxChangePolicySelect, api.MinChangePolicySelect, api.DisabledPolicySelect:
		default:
			errs = append(errs, apierrors.NotSupported(path+".selectPolicy", string(*sp), []string{"Disabled", "Max", "Min"}))
		}
	}
	if len(r.Policies) == 0 {
		errs = append(errs, apierrors.Required(path+".policies", "must specify at least one Policy"))
	}
	for i, p := range r.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		if p.Type != api.PodsScalingPolicy && p.Type != api.PercentScalingPolicy {
			errs = append(errs, apierrors.NotSupported(pp+".type", string(p.Type), []string{"Percent", "Pods"}))
		}
		if p.Value <= 0 {
			errs = append(errs, apierrors.Invalid(pp+".value", p.Value, "must be greater than zero"))
		}
		if p.PeriodSeconds <= 0 {
			errs = append(errs, apierrors.Invalid(pp+".periodSeconds", p.PeriodSeconds, "must be greater than zero"))
		} else if p.PeriodSeconds > 1800 {
			errs = append(errs, apierrors.Invalid(pp+".periodSeconds", p.PeriodSeconds, "must be less than or equal to 1800"))
		}
	}
	return errs
}

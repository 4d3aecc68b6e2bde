package apiserver

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
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
	}
	return IsDNS1123Subdomain
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
func validate(info *api.ResourceInfo, obj api.Object, old api.Object) []apierrors.FieldError {
	errs := validateMeta(info, obj.GetObjectMeta())
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
	case *api.Service:
		errs = append(errs, validateService(o)...)
	}
	return errs
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

package api

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FieldRequirement is one term of a field selector: field = value,
// field == value or field != value.
type FieldRequirement struct {
	Field    string
	Operator SelectorOperator
	Value    string
}

// FieldSelector is a parsed `--field-selector`: a conjunction of terms on
// the selectable fields of a kind (ObjectFields). The zero FieldSelector
// matches everything.
type FieldSelector struct {
	reqs []FieldRequirement
}

// ParseFieldSelector parses `spec.nodeName=node-1,status.phase!=Running`.
// A backslash escapes ',', '=', '!' and '\' in values. Errors read as the
// apiserver's: `invalid selector: 'foo'; can't understand 'foo'`.
func ParseFieldSelector(s string) (FieldSelector, error) {
	var sel FieldSelector
	if strings.TrimSpace(s) == "" {
		return sel, nil
	}
	for _, term := range splitUnescaped(s, ',') {
		field, op, value, ok := splitFieldTerm(term)
		if !ok {
			return FieldSelector{}, fmt.Errorf("invalid selector: '%s'; can't understand '%s'", s, term)
		}
		v, err := unescapeFieldValue(value)
		if err != nil {
			return FieldSelector{}, err
		}
		sel.reqs = append(sel.reqs, FieldRequirement{Field: strings.TrimSpace(field), Operator: op, Value: v})
	}
	sort.SliceStable(sel.reqs, func(i, j int) bool { return sel.reqs[i].Field < sel.reqs[j].Field })
	return sel, nil
}

// FieldSelectorFromSet returns the equality selector of a field set.
func FieldSelectorFromSet(set map[string]string) FieldSelector {
	var sel FieldSelector
	for _, k := range sortedKeys(set) {
		sel.reqs = append(sel.reqs, FieldRequirement{Field: k, Operator: SelectorEquals, Value: set[k]})
	}
	return sel
}

func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// splitFieldTerm finds the first unescaped operator of a term.
func splitFieldTerm(term string) (field string, op SelectorOperator, value string, ok bool) {
	for i := 0; i < len(term); i++ {
		switch {
		case term[i] == '\\':
			i++
		case strings.HasPrefix(term[i:], "!="):
			return term[:i], SelectorNotEquals, term[i+2:], true
		case strings.HasPrefix(term[i:], "=="):
			return term[:i], SelectorDoubleEquals, term[i+2:], true
		case term[i] == '=':
			return term[:i], SelectorEquals, term[i+1:], true
		}
	}
	return "", "", "", false
}

func unescapeFieldValue(v string) (string, error) {
	if !strings.ContainsAny(v, `\,=`) {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\\':
			if i+1 >= len(v) {
				return "", fmt.Errorf("invalid field selector: unterminated escape sequence in %q", v)
			}
			i++
			switch v[i] {
			case '\\', ',', '=', '!':
				b.WriteByte(v[i])
			default:
				return "", fmt.Errorf("invalid field selector: invalid escape sequence \\%c in %q", v[i], v)
			}
		case ',', '=':
			return "", fmt.Errorf("invalid field selector: unescaped %q in %q", c, v)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func escapeFieldValue(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`)
	return r.Replace(v)
}

// Empty reports whether the selector has no terms.
func (s FieldSelector) Empty() bool { return len(s.reqs) == 0 }

// Requirements returns a copy of the terms, sorted by field.
func (s FieldSelector) Requirements() []FieldRequirement {
	return append([]FieldRequirement(nil), s.reqs...)
}

// Matches reports whether every term holds for fields (see ObjectFields).
// An absent field has the value "".
func (s FieldSelector) Matches(fields map[string]string) bool {
	for _, r := range s.reqs {
		v := fields[r.Field]
		if (r.Operator == SelectorNotEquals) == (v == r.Value) {
			return false
		}
	}
	return true
}

// RequiresExactMatch returns the value a field must equal, if a term pins
// it — the hook for indexed lists such as the kubelet's
// spec.nodeName=<node> watch.
func (s FieldSelector) RequiresExactMatch(field string) (string, bool) {
	for _, r := range s.reqs {
		if r.Field == field && r.Operator != SelectorNotEquals {
			return r.Value, true
		}
	}
	return "", false
}

// String renders the selector in `--field-selector` syntax.
func (s FieldSelector) String() string {
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		parts[i] = r.Field + string(r.Operator) + escapeFieldValue(r.Value)
	}
	return strings.Join(parts, ",")
}

// Validate checks that every field is selectable for kind, with the
// apiserver's message: `field label not supported: spec.foo`.
func (s FieldSelector) Validate(kind string) error {
	allowed := SelectableFields(kind)
	for _, r := range s.reqs {
		ok := false
		for _, f := range allowed {
			if f == r.Field {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("field label not supported: %s", r.Field)
		}
	}
	return nil
}

// selectableFields lists, per kind, the fields the apiserver lets clients
// select on beyond metadata.name and metadata.namespace.
var selectableFields = map[string][]string{
	"Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
		"spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
	"Node":      {"spec.unschedulable"},
	"Namespace": {"status.phase"},
	"Secret":    {"type"},
	"Service":   {"spec.clusterIP", "spec.type"},
	"Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
		"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
		"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
	"ReplicaSet": {"status.replicas"},
}

// SelectableFields lists the selectable fields of a kind, sorted.
func SelectableFields(kind string) []string {
	out := []string{"metadata.name", "metadata.namespace"}
	out = append(out, selectableFields[kind]...)
	sort.Strings(out)
	return out
}

// ObjectFields returns the selectable fields of obj with their values, as
// the apiserver computes them for field selectors.
func ObjectFields(obj Object) map[string]string {
	m := obj.GetObjectMeta()
	f := map[string]string{"metadata.name": m.Name, "metadata.namespace": m.Namespace}
	switch o := obj.(type) {
	case *Pod:
		f["spec.nodeName"] = o.Spec.NodeName
		f["spec.restartPolicy"] = string(o.Spec.RestartPolicy)
		f["spec.schedulerName"] = o.Spec.SchedulerName
		f["spec.serviceAccountName"] = o.Spec.ServiceAccountName
		f["spec.hostNetwork"] = strconv.FormatBool(o.Spec.HostNetwork)
		f["status.phase"] = string(o.Status.Phase)
		f["status.podIP"] = o.Status.PodIP
		ips := make([]string, len(o.Status.PodIPs))
		for i, ip := range o.Status.PodIPs {
			ips[i] = ip.IP
		}
		f["status.podIPs"] = strings.Join(ips, ",")
		f["status.nominatedNodeName"] = o.Status.NominatedNodeName
	case *Node:
		f["spec.unschedulable"] = strconv.FormatBool(o.Spec.Unschedulable)
	case *Namespace:
		f["status.phase"] = string(o.Status.Phase)
	case *Secret:
		f["type"] = string(o.Type)
	case *Service:
		f["spec.clusterIP"] = o.Spec.ClusterIP
		f["spec.type"] = string(o.Spec.Type)
	case *Event:
		f["involvedObject.kind"] = o.InvolvedObject.Kind
		f["involvedObject.namespace"] = o.InvolvedObject.Namespace
		f["involvedObject.name"] = o.InvolvedObject.Name
		f["involvedObject.uid"] = string(o.InvolvedObject.UID)
		f["involvedObject.apiVersion"] = o.InvolvedObject.APIVersion
		f["involvedObject.resourceVersion"] = o.InvolvedObject.ResourceVersion
		f["involvedObject.fieldPath"] = o.InvolvedObject.FieldPath
		f["reason"] = o.Reason
		f["reportingComponent"] = o.ReportingController
		f["source"] = o.Source.Component
		f["type"] = o.Type
	case *ReplicaSet:
		f["status.replicas"] = strconv.Itoa(int(o.Status.Replicas))
	}
	return f
}

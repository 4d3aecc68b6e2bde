package apiserver

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// Field selectors: `metadata.name=web,spec.nodeName!=worker-1`. Each
// resource supports metadata.name and metadata.namespace plus the fields its
// real registry strategy indexes.

type fieldRequirement struct {
	field string
	value string
	not   bool
}

type fieldSelector []fieldRequirement

func (s fieldSelector) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		op := "="
		if r.not {
			op = "!="
		}
		parts[i] = r.field + op + r.value
	}
	return strings.Join(parts, ",")
}

func parseFieldSelector(resource, sel string) (fieldSelector, error) {
	if strings.TrimSpace(sel) == "" {
		return nil, nil
	}
	var out fieldSelector
	for _, term := range strings.Split(sel, ",") {
		var r fieldRequirement
		switch {
		case strings.Contains(term, "!="):
			i := strings.Index(term, "!=")
			r = fieldRequirement{field: term[:i], value: term[i+2:], not: true}
		case strings.Contains(term, "=="):
			i := strings.Index(term, "==")
			r = fieldRequirement{field: term[:i], value: term[i+2:]}
		case strings.Contains(term, "="):
			i := strings.Index(term, "=")
			r = fieldRequirement{field: term[:i], value: term[i+1:]}
		default:
			return nil, fmt.Errorf("invalid selector: '%s'; can't understand '%s'", sel, term)
		}
		r.field = strings.TrimSpace(r.field)
		if _, ok := fieldValue(resource, r.field, nil); !ok {
			return nil, fmt.Errorf("field label not supported: %s", r.field)
		}
		out = append(out, r)
	}
	return out, nil
}

func (s fieldSelector) matches(resource string, obj api.Object) bool {
	for _, r := range s {
		v, _ := fieldValue(resource, r.field, obj)
		if (v == r.value) == r.not {
			return false
		}
	}
	return true
}

// fieldValue returns a selectable field of obj; with obj nil it only
// reports whether the field is selectable for the resource.
func fieldValue(resource, field string, obj api.Object) (string, bool) {
	switch field {
	case "metadata.name":
		if obj == nil {
			return "", true
		}
		return obj.GetObjectMeta().Name, true
	case "metadata.namespace":
		if obj == nil {
			return "", true
		}
		return obj.GetObjectMeta().Namespace, true
	}
	switch resource {
	case "pods":
		switch field {
		case "spec.nodeName", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName", "spec.restartPolicy":
		default:
			return "", false
		}
		p, _ := obj.(*api.Pod)
		if p == nil {
			return "", true
		}
		switch field {
		case "spec.nodeName":
			return p.Spec.NodeName, true
		case "spec.schedulerName":
			return p.Spec.SchedulerName, true
		case "spec.serviceAccountName":
			return p.Spec.ServiceAccountName, true
		case "status.phase":
			return string(p.Status.Phase), true
		case "status.podIP":
			return p.Status.PodIP, true
		case "status.nominatedNodeName":
			return p.Status.NominatedNodeName, true
		case "spec.restartPolicy":
			return string(p.Spec.RestartPolicy), true
		}
	case "events":
		switch field {
		case "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
			"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
			"reason", "reportingComponent", "source", "type":
		default:
			return "", false
		}
		e, _ := obj.(*api.Event)
		if e == nil {
			return "", true
		}
		switch field {
		case "involvedObject.kind":
			return e.InvolvedObject.Kind, true
		case "involvedObject.namespace":
			return e.InvolvedObject.Namespace, true
		case "involvedObject.name":
			return e.InvolvedObject.Name, true
		case "involvedObject.uid":
			return string(e.InvolvedObject.UID), true
		case "involvedObject.apiVersion":
			return e.InvolvedObject.APIVersion, true
		case "involvedObject.resourceVersion":
			return e.InvolvedObject.ResourceVersion, true
		case "involvedObject.fieldPath":
			return e.InvolvedObject.FieldPath, true
		case "reason":
			return e.Reason, true
		case "reportingComponent":
			return e.ReportingController, true
		case "source":
			return e.Source.Component, true
		case "type":
			return e.Type, true
		}
	case "nodes":
		if field != "spec.unschedulable" {
			return "", false
		}
		n, _ := obj.(*api.Node)
		if n == nil {
			return "", true
		}
		return fmt.Sprint(n.Spec.Unschedulable), true
	case "namespaces":
		if field != "status.phase" {
			return "", false
		}
		n, _ := obj.(*api.Namespace)
		if n == nil {
			return "", true
		}
		return string(n.Status.Phase), true
	}
	return "", false
}

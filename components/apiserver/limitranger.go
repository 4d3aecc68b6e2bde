package apiserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// The LimitRanger admission plugin, second in kube-apiserver's default
// chain (after NamespaceLifecycle, before ServiceAccount and, much later,
// ResourceQuota). It reads the LimitRanges of the request's namespace, in
// name order, and
//
//   - on a pod create (mutating half), fills each container's and init
//     container's missing requests and limits from the Container items'
//     defaultRequest and default, and records what it set in the pod's
//     kubernetes.io/limit-ranger annotation: "LimitRanger plugin set: cpu,
//     memory request for container app; cpu, memory limit for container
//     app";
//   - on a pod create and on a PersistentVolumeClaim create or update
//     (validating half), refuses what lies outside an item's min, max or
//     maxLimitRequestRatio with 403 Forbidden and the plugin's texts:
//     `pods "big" is forbidden: maximum cpu usage per Container is 800m,
//     but limit is 1500m`.
//
// Because LimitRanger runs before ResourceQuota, a quota that demands
// limits.cpu is satisfied by a LimitRange that supplies a default limit.
//
// Simplifications: the real plugin also looks a namespace's LimitRanges up
// live (with a 30 s cache) when its informer has none yet; kubesim reads
// the watch cache, which is never behind its own writes. The errors of one
// LimitRange are listed in resource-name order (the real plugin walks Go
// maps, so their order varies). Pod-level resources (spec.resources, a
// 1.32 alpha) and in-place resize (pods/resize) are not modelled.

// AnnotationLimitRanger is the annotation in which LimitRanger says which
// defaults it applied to a pod.
const AnnotationLimitRanger = "kubernetes.io/limit-ranger"

// NoteLimitRanger is the kind of a LimitRangerNote.
const NoteLimitRanger = "limitranger"

// LimitRangerDefault is what LimitRanger filled in for one container.
type LimitRangerDefault struct {
	Container string
	// Init is set for an init container.
	Init bool
	// Requests and Limits are the resources it set, in name order, with
	// the values it set them to.
	Requests, Limits []LimitRangerValue
	// From names the LimitRange that supplied the defaults.
	From string
}

// LimitRangerValue is one resource and its quantity.
type LimitRangerValue struct {
	Resource api.ResourceName
	Value    string
}

// LimitRangerViolation is one constraint an object broke.
type LimitRangerViolation struct {
	// LimitRange names the LimitRange; Type is its item's type.
	LimitRange string
	Type       api.LimitType
	Resource   api.ResourceName
	// Constraint is "min", "max" or "maxLimitRequestRatio".
	Constraint string
	// Enforced is the item's bound; Observed what the object asked for
	// (empty when it asked for nothing), and Field which side of the
	// object it was ("request", "limit", "ratio").
	Enforced, Observed, Field string
	// Message is the plugin's text for it.
	Message string
}

// LimitRangerNote is what LimitRanger did to a request.
type LimitRangerNote struct {
	Kind, Namespace, Name string
	// LimitRanges are the namespace's LimitRanges it consulted.
	LimitRanges []string
	// Defaults is what the mutating half filled in (pods only).
	Defaults []LimitRangerDefault
	// Annotation is the kubernetes.io/limit-ranger value it wrote.
	Annotation string
	// Violations is why the validating half refused the object; empty
	// when it passed.
	Violations []LimitRangerViolation
}

// Summary implements sim.Summarizer.
func (n LimitRangerNote) Summary() string {
	switch {
	case len(n.Violations) > 0:
		msgs := make([]string, len(n.Violations))
		for i, v := range n.Violations {
			msgs[i] = v.Message
		}
		return "LimitRanger rejected: " + strings.Join(msgs, ", ")
	case n.Annotation != "":
		return n.Annotation
	}
	return fmt.Sprintf("LimitRanger: %s %q within %s", n.Kind, n.Name, strings.Join(n.LimitRanges, ", "))
}

// limitRanges is the namespace's LimitRanges, in name order.
func (s *server) limitRanges(ns string) []*api.LimitRange {
	var out []*api.LimitRange
	s.cache.list(api.KeyFor("limitranges", ns, ""), func(e *cacheEntry) bool {
		if lr, ok := e.obj.(*api.LimitRange); ok {
			out = append(out, lr)
		}
		return true
	})
	return out
}

func limitRangeNames(lrs []*api.LimitRange) []string {
	names := make([]string, len(lrs))
	for i, lr := range lrs {
		names[i] = lr.Name
	}
	return names
}

// limitRangerMutate is the mutating half, for a pod being created. It
// returns the note (nil when the namespace has no LimitRange).
func (s *server) limitRangerMutate(r *apiwire.Request, pod *api.Pod) *LimitRangerNote {
	lrs := s.limitRanges(pod.Namespace)
	if len(lrs) == 0 {
		return nil
	}
	note := &LimitRangerNote{Kind: "Pod", Namespace: pod.Namespace, Name: admissionName(r, pod), LimitRanges: limitRangeNames(lrs)}
	for _, lr := range lrs {
		var parts []string
		requests, limits := api.ResourceList{}, api.ResourceList{}
		for _, it := range lr.Spec.Limits {
			if it.Type != api.LimitTypeContainer {
				continue
			}
			for rn, q := range it.DefaultRequest {
				requests[rn] = q
			}
			for rn, q := range it.Default {
				limits[rn] = q
			}
		}
		if len(requests) == 0 && len(limits) == 0 {
			continue
		}
		merge := func(c *api.Container, init bool) {
			d := LimitRangerDefault{Container: c.Name, Init: init, From: lr.Name}
			fill := func(dst *api.ResourceList, from api.ResourceList) []LimitRangerValue {
				var set []LimitRangerValue
				for _, rn := range sortedResourceNames(from) {
					if *dst == nil {
						*dst = api.ResourceList{}
					}
					if _, ok := (*dst)[rn]; !ok {
						(*dst)[rn] = from[rn]
						set = append(set, LimitRangerValue{Resource: rn, Value: from[rn].String()})
					}
				}
				return set
			}
			d.Limits = fill(&c.Resources.Limits, limits)
			d.Requests = fill(&c.Resources.Requests, requests)
			what := "container"
			if init {
				what = "init container"
			}
			if len(d.Requests) > 0 {
				parts = append(parts, resourceNames(d.Requests)+" request for "+what+" "+c.Name)
			}
			if len(d.Limits) > 0 {
				parts = append(parts, resourceNames(d.Limits)+" limit for "+what+" "+c.Name)
			}
			if len(d.Requests) > 0 || len(d.Limits) > 0 {
				note.Defaults = append(note.Defaults, d)
			}
		}
		for i := range pod.Spec.Containers {
			merge(&pod.Spec.Containers[i], false)
		}
		for i := range pod.Spec.InitContainers {
			merge(&pod.Spec.InitContainers[i], true)
		}
		if len(parts) > 0 {
			// Each LimitRange that sets something rewrites the
			// annotation, as the real plugin does: the last one's text
			// stays.
			note.Annotation = "LimitRanger plugin set: " + strings.Join(parts, "; ")
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[AnnotationLimitRanger] = note.Annotation
		}
	}
	return note
}

func resourceNames(vs []LimitRangerValue) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = string(v.Resource)
	}
	return strings.Join(names, ", ")
}

// limitRangerValidate is the validating half: for a pod create and a
// PersistentVolumeClaim create or update it checks each LimitRange in
// turn and refuses at the first that the object breaks. note (may be nil)
// receives the violations.
func (s *server) limitRangerValidate(r *apiwire.Request, info *api.ResourceInfo, obj api.Object) (*LimitRangerNote, error) {
	if r.Subresource != "" {
		return nil, nil
	}
	var kind string
	switch obj.(type) {
	case *api.Pod:
		if r.Verb != apiwire.VerbCreate {
			return nil, nil // a pod's resources cannot change after create
		}
		kind = "Pod"
	case *api.PersistentVolumeClaim:
		kind = "PersistentVolumeClaim"
	default:
		return nil, nil
	}
	m := obj.GetObjectMeta()
	lrs := s.limitRanges(m.Namespace)
	if len(lrs) == 0 {
		return nil, nil
	}
	name := m.Name
	if name == "" {
		name = m.GenerateName
	}
	note := &LimitRangerNote{Kind: kind, Namespace: m.Namespace, Name: name, LimitRanges: limitRangeNames(lrs)}
	for _, lr := range lrs {
		var vs []LimitRangerViolation
		switch o := obj.(type) {
		case *api.Pod:
			vs = podLimitViolations(lr, o)
		case *api.PersistentVolumeClaim:
			vs = claimLimitViolations(lr, o)
		}
		if len(vs) == 0 {
			continue
		}
		note.Violations = vs
		msgs := make([]string, 0, len(vs))
		for _, v := range vs {
			if !slices.Contains(msgs, v.Message) {
				msgs = append(msgs, v.Message)
			}
		}
		msg := msgs[0]
		if len(msgs) > 1 {
			msg = "[" + strings.Join(msgs, ", ") + "]"
		}
		return note, apierrors.NewForbidden(info.Group, info.Resource, name, errors.New(msg))
	}
	return note, nil
}

// podLimitViolations checks a pod against one LimitRange: Container items
// against every container and init container, Pod items against the
// pod's total (the containers' sum, raised by the largest init
// container, as the scheduler counts it).
func podLimitViolations(lr *api.LimitRange, pod *api.Pod) []LimitRangerViolation {
	var vs []LimitRangerViolation
	for _, it := range lr.Spec.Limits {
		switch it.Type {
		case api.LimitTypeContainer:
			for _, cs := range [][]api.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
				for _, c := range cs {
					vs = append(vs, itemViolations(lr.Name, it, c.Resources.Requests, c.Resources.Limits, false)...)
				}
			}
		case api.LimitTypePod:
			requests, limits := podTotals(pod)
			vs = append(vs, itemViolations(lr.Name, it, requests, limits, false)...)
		}
	}
	return vs
}

// podTotals is a pod's requests and limits: for each resource the sum
// over its containers, or the largest init container's when that is more.
func podTotals(pod *api.Pod) (requests, limits api.ResourceList) {
	total := func(get func(c *api.Container) api.ResourceList) api.ResourceList {
		out := api.ResourceList{}
		for i := range pod.Spec.Containers {
			for rn, q := range get(&pod.Spec.Containers[i]) {
				out[rn] = out[rn].Add(q)
			}
		}
		for i := range pod.Spec.InitContainers {
			for rn, q := range get(&pod.Spec.InitContainers[i]) {
				if cur, ok := out[rn]; !ok || q.Cmp(cur) > 0 {
					out[rn] = q
				}
			}
		}
		return out
	}
	requests = total(func(c *api.Container) api.ResourceList { return c.Resources.Requests })
	limits = total(func(c *api.Container) api.ResourceList { return c.Resources.Limits })
	return requests, limits
}

// claimLimitViolations checks a claim's storage request against the
// PersistentVolumeClaim items (a claim's limits are not user input).
func claimLimitViolations(lr *api.LimitRange, pvc *api.PersistentVolumeClaim) []LimitRangerViolation {
	var vs []LimitRangerViolation
	for _, it := range lr.Spec.Limits {
		if it.Type == api.LimitTypePersistentVolumeClaim {
			vs = append(vs, itemViolations(lr.Name, it, pvc.Spec.Resources.Requests, nil, true)...)
		}
	}
	return vs
}

// itemViolations applies one item's min, max and maxLimitRequestRatio to
// a set of requests and limits. requestOnly is the claim form of max: the
// request is what counts, not the limit.
func itemViolations(lrName string, it api.LimitRangeItem, requests, limits api.ResourceList, requestOnly bool) []LimitRangerViolation {
	var vs []LimitRangerViolation
	add := func(rn api.ResourceName, constraint string, enforced api.Quantity, field, observed, msg string) {
		vs = append(vs, LimitRangerViolation{LimitRange: lrName, Type: it.Type, Resource: rn, Constraint: constraint,
			Enforced: enforced.String(), Field: field, Observed: observed, Message: msg})
	}
	for _, rn := range sortedResourceNames(it.Min) {
		enforced := it.Min[rn]
		req, hasReq := requests[rn]
		lim, hasLim := limits[rn]
		switch {
		case !hasReq:
			add(rn, "min", enforced, "request", "", fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", rn, it.Type, enforced))
		case cmpMilli(req, enforced) < 0:
			add(rn, "min", enforced, "request", req.String(), fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", rn, it.Type, enforced, req))
		case hasLim && cmpMilli(lim, enforced) < 0:
			add(rn, "min", enforced, "limit", lim.String(), fmt.Sprintf("minimum %s usage per %s is %s, but limit is %s", rn, it.Type, enforced, lim))
		}
	}
	for _, rn := range sortedResourceNames(it.Max) {
		enforced := it.Max[rn]
		req, hasReq := requests[rn]
		lim, hasLim := limits[rn]
		if requestOnly {
			switch {
			case !hasReq:
				add(rn, "max", enforced, "request", "", fmt.Sprintf("maximum %s usage per %s is %s.  No request is specified", rn, it.Type, enforced))
			case cmpMilli(req, enforced) > 0:
				add(rn, "max", enforced, "request", req.String(), fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", rn, it.Type, enforced, req))
			}
			continue
		}
		switch {
		case !hasLim:
			add(rn, "max", enforced, "limit", "", fmt.Sprintf("maximum %s usage per %s is %s.  No limit is specified", rn, it.Type, enforced))
		case cmpMilli(lim, enforced) > 0:
			add(rn, "max", enforced, "limit", lim.String(), fmt.Sprintf("maximum %s usage per %s is %s, but limit is %s", rn, it.Type, enforced, lim))
		case hasReq && cmpMilli(req, enforced) > 0:
			add(rn, "max", enforced, "request", req.String(), fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", rn, it.Type, enforced, req))
		}
	}
	for _, rn := range sortedResourceNames(it.MaxLimitRequestRatio) {
		enforced := it.MaxLimitRequestRatio[rn]
		req, hasReq := requests[rn]
		lim, hasLim := limits[rn]
		switch {
		case !hasReq || req.IsZero():
			add(rn, "maxLimitRequestRatio", enforced, "request", "", fmt.Sprintf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", rn, it.Type, enforced))
		case !hasLim || lim.IsZero():
			add(rn, "maxLimitRequestRatio", enforced, "limit", "", fmt.Sprintf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", rn, it.Type, enforced))
		default:
			ratio := float64(lim.MilliValue()) / float64(req.MilliValue())
			if ratio*1000 > float64(enforced.MilliValue()) {
				add(rn, "maxLimitRequestRatio", enforced, "ratio", fmt.Sprintf("%f", ratio), fmt.Sprintf("%s max limit to request ratio per %s is %s, but provided ratio is %f", rn, it.Type, enforced, ratio))
			}
		}
	}
	return vs
}

// cmpMilli compares two quantities at milli precision, as the plugin
// compares them (so 0.0001 CPU counts as 1m).
func cmpMilli(a, b api.Quantity) int {
	am, bm := a.MilliValue(), b.MilliValue()
	switch {
	case am < bm:
		return -1
	case am > bm:
		return 1
	}
	return 0
}

// validateLimitRange is core/v1's LimitRange validation, with its texts:
// one item per type, known types and resource names, no defaults on a Pod
// item, a storage bound on a PersistentVolumeClaim item, non-negative
// quantities, and min <= defaultRequest <= default <= max with a ratio of
// at least 1 that max/min can reach.
func validateLimitRange(lr *api.LimitRange) []apierrors.FieldError {
	var errs []apierrors.FieldError
	seen := map[api.LimitType]bool{}
	for i, it := range lr.Spec.Limits {
		path := fmt.Sprintf("spec.limits[%d]", i)
		switch it.Type {
		case api.LimitTypePod, api.LimitTypeContainer, api.LimitTypePersistentVolumeClaim:
		default:
			if !strings.Contains(string(it.Type), "/") {
				errs = append(errs, apierrors.Invalid(path+".type", string(it.Type), "must be a standard limit type or fully qualified"))
			}
		}
		if seen[it.Type] {
			errs = append(errs, apierrors.Duplicate(path+".type", string(it.Type)))
		}
		seen[it.Type] = true
		keys := map[api.ResourceName]bool{}
		check := func(field string, rl api.ResourceList) {
			for _, rn := range sortedResourceNames(rl) {
				keys[rn] = true
				p := fmt.Sprintf("%s.%s[%s]", path, field, rn)
				errs = append(errs, limitRangeResourceName(it.Type, rn, p)...)
				if q := rl[rn]; q.Sign() < 0 {
					errs = append(errs, apierrors.Invalid(p, q.String(), "must be greater than or equal to 0"))
				}
			}
		}
		check("max", it.Max)
		check("min", it.Min)
		if it.Type == api.LimitTypePod {
			if len(it.Default) > 0 {
				errs = append(errs, apierrors.Forbidden(path+".default", "may not be specified when `type` is 'Pod'"))
			}
			if len(it.DefaultRequest) > 0 {
				errs = append(errs, apierrors.Forbidden(path+".defaultRequest", "may not be specified when `type` is 'Pod'"))
			}
		} else {
			check("default", it.Default)
			check("defaultRequest", it.DefaultRequest)
		}
		if it.Type == api.LimitTypePersistentVolumeClaim {
			_, hasMin := it.Min[api.ResourceStorage]
			_, hasMax := it.Max[api.ResourceStorage]
			if !hasMin && !hasMax {
				errs = append(errs, apierrors.Required(path+".limits", "either minimum or maximum storage value is required, but neither was provided"))
			}
		}
		check("maxLimitRequestRatio", it.MaxLimitRequestRatio)
		names := make([]api.ResourceName, 0, len(keys))
		for rn := range keys {
			names = append(names, rn)
		}
		slices.Sort(names)
		for _, rn := range names {
			key := func(field string) string { return fmt.Sprintf("%s.%s[%s]", path, field, rn) }
			min, hasMin := it.Min[rn]
			max, hasMax := it.Max[rn]
			def, hasDef := it.Default[rn]
			defReq, hasDefReq := it.DefaultRequest[rn]
			ratio, hasRatio := it.MaxLimitRequestRatio[rn]
			if it.Type == api.LimitTypePod {
				hasDef, hasDefReq = false, false
			}
			if hasMin && hasMax && min.Cmp(max) > 0 {
				errs = append(errs, apierrors.Invalid(key("min"), min.String(), fmt.Sprintf("min value %s is greater than max value %s", min, max)))
			}
			if hasDefReq && hasMin && min.Cmp(defReq) > 0 {
				errs = append(errs, apierrors.Invalid(key("defaultRequest"), defReq.String(), fmt.Sprintf("min value %s is greater than default request value %s", min, defReq)))
			}
			if hasDefReq && hasMax && defReq.Cmp(max) > 0 {
				errs = append(errs, apierrors.Invalid(key("defaultRequest"), defReq.String(), fmt.Sprintf("default request value %s is greater than max value %s", defReq, max)))
			}
			if hasDefReq && hasDef && defReq.Cmp(def) > 0 {
				errs = append(errs, apierrors.Invalid(key("defaultRequest"), defReq.String(), fmt.Sprintf("default request value %s is greater than default limit value %s", defReq, def)))
			}
			if hasDef && hasMin && min.Cmp(def) > 0 {
				errs = append(errs, apierrors.Invalid(key("default"), min.String(), fmt.Sprintf("min value %s is greater than default value %s", min, def)))
			}
			if hasDef && hasMax && def.Cmp(max) > 0 {
				errs = append(errs, apierrors.Invalid(key("default"), max.String(), fmt.Sprintf("default value %s is greater than max value %s", def, max)))
			}
			if hasRatio && ratio.CmpInt64(1) < 0 {
				errs = append(errs, apierrors.Invalid(key("maxLimitRequestRatio"), ratio.String(), fmt.Sprintf("ratio %s is less than 1", ratio)))
			}
			if hasRatio && hasMin && hasMax && min.MilliValue() > 0 {
				limit := float64(max.MilliValue()) / float64(min.MilliValue())
				if float64(ratio.MilliValue())/1000 > limit {
					errs = append(errs, apierrors.Invalid(key("maxLimitRequestRatio"), ratio.String(), fmt.Sprintf("ratio %s is greater than max/min = %f", ratio, limit)))
				}
			}
		}
	}
	return errs
}

// limitRangeResourceName checks a resource name of an item: a Pod or
// Container item takes the container resources (cpu, memory,
// ephemeral-storage, hugepages-<size>) or a qualified name, other items
// the standard resource names.
func limitRangeResourceName(t api.LimitType, rn api.ResourceName, path string) []apierrors.FieldError {
	s := string(rn)
	if strings.Contains(s, "/") {
		return nil
	}
	switch t {
	case api.LimitTypePod, api.LimitTypeContainer:
		switch {
		case rn == api.ResourceCPU, rn == api.ResourceMemory, rn == api.ResourceEphemeralStorage, strings.HasPrefix(s, "hugepages-"):
			return nil
		}
		return []apierrors.FieldError{apierrors.Invalid(path, s, "must be a standard resource for containers")}
	}
	switch {
	case rn == api.ResourceCPU, rn == api.ResourceMemory, rn == api.ResourceEphemeralStorage, rn == api.ResourceStorage,
		rn == api.ResourcePods, strings.HasPrefix(s, "hugepages-"), strings.HasPrefix(s, "requests."), strings.HasPrefix(s, "limits."):
		return nil
	}
	return []apierrors.FieldError{apierrors.Invalid(path, s, "must be a standard resource type or fully qualified")}
}

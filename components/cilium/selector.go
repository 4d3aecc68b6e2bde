package cilium

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// requirement is one expression of a Selector, on a source-qualified key.
type requirement struct {
	source string
	key    string
	op     api.LabelSelectorOperator
	values []string
}

func (r requirement) matches(ls Labels) bool {
	v, ok := ls.Get(r.source, r.key)
	switch r.op {
	case api.LabelSelectorOpIn:
		return ok && contains(r.values, v)
	case api.LabelSelectorOpNotIn:
		return !ok || !contains(r.values, v)
	case api.LabelSelectorOpExists:
		return ok
	case api.LabelSelectorOpDoesNotExist:
		return !ok
	}
	return false
}

func (r requirement) String() string {
	k := r.source + ":" + r.key
	switch r.op {
	case api.LabelSelectorOpIn:
		if len(r.values) == 1 {
			return k + "=" + r.values[0]
		}
		return k + " in (" + strings.Join(r.values, ",") + ")"
	case api.LabelSelectorOpNotIn:
		return k + " notin (" + strings.Join(r.values, ",") + ")"
	case api.LabelSelectorOpExists:
		return k
	default:
		return "!" + k
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Selector selects identities by their labels, as a Cilium endpoint
// selector: a LabelSelector whose keys may carry a source ("k8s:app");
// a key without a source matches any source. Requirements are ANDed; the
// empty selector matches every identity.
type Selector struct {
	reqs    []requirement
	nothing bool
}

// selectNothing matches no identity.
var selectNothing = Selector{nothing: true}

// NewSelector converts an API endpoint selector. A nil one selects
// nothing.
func NewSelector(es *api.EndpointSelector) (Selector, error) {
	if es == nil {
		return selectNothing, nil
	}
	return fromLabelSelector((*api.LabelSelector)(es), func(k string) (string, string) { return splitSource(k) })
}

// fromLabelSelector builds a selector, mapping each key to a (source, key).
func fromLabelSelector(ls *api.LabelSelector, mapKey func(string) (string, string)) (Selector, error) {
	var s Selector
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		src, key := mapKey(k)
		s.reqs = append(s.reqs, requirement{source: src, key: key, op: api.LabelSelectorOpIn, values: []string{ls.MatchLabels[k]}})
	}
	for _, e := range ls.MatchExpressions {
		src, key := mapKey(e.Key)
		switch e.Operator {
		case api.LabelSelectorOpIn, api.LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				return Selector{}, fmt.Errorf("%s: for 'in', 'notin' operators, values set can't be empty", e.Key)
			}
		case api.LabelSelectorOpExists, api.LabelSelectorOpDoesNotExist:
			if len(e.Values) != 0 {
				return Selector{}, fmt.Errorf("%s: values set must be empty for exists and does not exist", e.Key)
			}
		default:
			return Selector{}, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		s.reqs = append(s.reqs, requirement{source: src, key: key, op: e.Operator, values: append([]string(nil), e.Values...)})
	}
	return s, nil
}

// Matches reports whether the labels satisfy every requirement.
func (s Selector) Matches(ls Labels) bool {
	if s.nothing {
		return false
	}
	for _, r := range s.reqs {
		if !r.matches(ls) {
			return false
		}
	}
	return true
}

// hasKey reports a requirement on key with source k8s or any.
func (s Selector) hasKey(key string) bool {
	for _, r := range s.reqs {
		if r.key == key && (r.source == SourceK8s || r.source == SourceAny) {
			return true
		}
	}
	return false
}

func (s Selector) hasSource(source string) bool {
	for _, r := range s.reqs {
		if r.source == source {
			return true
		}
	}
	return false
}

// with returns a copy with one more requirement.
func (s Selector) with(r requirement) Selector {
	out := Selector{nothing: s.nothing, reqs: append(append([]requirement(nil), s.reqs...), r)}
	return out
}

// inNamespace restricts a selector of a namespaced policy to the policy's
// namespace unless it names a namespace itself (or selects reserved
// identities), as Cilium does when it parses a CiliumNetworkPolicy.
func (s Selector) inNamespace(ns string) Selector {
	if s.nothing || ns == "" || s.hasKey(LabelPodNamespace) || s.hasSource(SourceReserved) {
		return s
	}
	return s.with(requirement{source: SourceK8s, key: LabelPodNamespace, op: api.LabelSelectorOpIn, values: []string{ns}})
}

// String renders the requirements, "&"-joined; "{}" for the empty one.
func (s Selector) String() string {
	if s.nothing {
		return "<nothing>"
	}
	if len(s.reqs) == 0 {
		return "{}"
	}
	parts := make([]string, len(s.reqs))
	for i, r := range s.reqs {
		parts[i] = r.String()
	}
	return strings.Join(parts, "&")
}

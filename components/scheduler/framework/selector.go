package framework

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// Selector is a compiled metav1.LabelSelector: requirements ANDed, values
// looked up without parsing on every match. The zero Selector matches
// everything; Nothing() matches nothing.
//
// The distinction between "nil selector" and "empty selector" is kept, as
// in labels.Selector: a nil *api.LabelSelector compiles to Nothing, an empty
// one to Everything. Several plugins depend on it (PodTopologySpread counts
// no pods for either, but an empty selector still matches the incoming pod
// itself).
type Selector struct {
	nothing bool
	reqs    []labelRequirement
}

type labelRequirement struct {
	key    string
	op     api.LabelSelectorOperator
	values []string // sorted, for In and NotIn
}

// Everything returns a selector matching all label sets.
func Everything() Selector { return Selector{} }

// Nothing returns a selector matching no label set.
func Nothing() Selector { return Selector{nothing: true} }

// NewSelector compiles ls. A nil selector is Nothing; an invalid one (an In
// without values, an Exists with values, an unknown operator) is Nothing and
// an error, as LabelSelectorAsSelector fails on it.
func NewSelector(ls *api.LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	var s Selector
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.reqs = append(s.reqs, labelRequirement{key: k, op: api.LabelSelectorOpIn, values: []string{ls.MatchLabels[k]}})
	}
	for _, e := range ls.MatchExpressions {
		r, err := newLabelRequirement(e.Key, e.Operator, e.Values)
		if err != nil {
			return Nothing(), err
		}
		s.reqs = append(s.reqs, r)
	}
	return s, nil
}

// SelectorFromSet returns a selector requiring every key=value of set.
func SelectorFromSet(set map[string]string) Selector {
	s, _ := NewSelector(&api.LabelSelector{MatchLabels: set})
	return s
}

func newLabelRequirement(key string, op api.LabelSelectorOperator, values []string) (labelRequirement, error) {
	switch op {
	case api.LabelSelectorOpIn, api.LabelSelectorOpNotIn:
		if len(values) == 0 {
			return labelRequirement{}, fmt.Errorf("for 'in', 'notin' operators, values set can't be empty")
		}
	case api.LabelSelectorOpExists, api.LabelSelectorOpDoesNotExist:
		if len(values) != 0 {
			return labelRequirement{}, fmt.Errorf("values set must be empty for exists and does not exist")
		}
	default:
		return labelRequirement{}, fmt.Errorf("%q is not a valid label selector operator", op)
	}
	vs := slices.Clone(values)
	slices.Sort(vs)
	return labelRequirement{key: key, op: op, values: vs}, nil
}

// WithIn returns s plus the requirement "key in (values)". It is how
// matchLabelKeys are merged into a selector.
func (s Selector) WithIn(key string, values ...string) Selector {
	return s.with(labelRequirement{key: key, op: api.LabelSelectorOpIn, values: slices.Sorted(slices.Values(values))})
}

// WithNotIn returns s plus "key notin (values)" (mismatchLabelKeys).
func (s Selector) WithNotIn(key string, values ...string) Selector {
	return s.with(labelRequirement{key: key, op: api.LabelSelectorOpNotIn, values: slices.Sorted(slices.Values(values))})
}

func (s Selector) with(r labelRequirement) Selector {
	if s.nothing {
		return s
	}
	reqs := make([]labelRequirement, len(s.reqs), len(s.reqs)+1)
	copy(reqs, s.reqs)
	return Selector{reqs: append(reqs, r)}
}

// Matches reports whether labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	if s.nothing {
		return false
	}
	for i := range s.reqs {
		if !s.reqs[i].matches(labels) {
			return false
		}
	}
	return true
}

// Empty reports whether the selector has no requirements (and so matches
// everything). Nothing is not empty.
func (s Selector) Empty() bool { return !s.nothing && len(s.reqs) == 0 }

// IsNothing reports whether the selector matches nothing.
func (s Selector) IsNothing() bool { return s.nothing }

// String renders the selector in kubectl's syntax ("app=web,tier in (a,b)").
func (s Selector) String() string {
	if s.nothing {
		return "<none>"
	}
	parts := make([]string, 0, len(s.reqs))
	for _, r := range s.reqs {
		switch r.op {
		case api.LabelSelectorOpIn:
			if len(r.values) == 1 {
				parts = append(parts, r.key+"="+r.values[0])
			} else {
				parts = append(parts, r.key+" in ("+strings.Join(r.values, ",")+")")
			}
		case api.LabelSelectorOpNotIn:
			parts = append(parts, r.key+" notin ("+strings.Join(r.values, ",")+")")
		case api.LabelSelectorOpExists:
			parts = append(parts, r.key)
		case api.LabelSelectorOpDoesNotExist:
			parts = append(parts, "!"+r.key)
		}
	}
	return strings.Join(parts, ",")
}

func (r *labelRequirement) matches(labels map[string]string) bool {
	v, ok := labels[r.key]
	switch r.op {
	case api.LabelSelectorOpIn:
		return ok && containsSorted(r.values, v)
	case api.LabelSelectorOpNotIn:
		return !ok || !containsSorted(r.values, v)
	case api.LabelSelectorOpExists:
		return ok
	case api.LabelSelectorOpDoesNotExist:
		return !ok
	}
	return false
}

func containsSorted(sorted []string, v string) bool {
	if len(sorted) <= 8 {
		for _, s := range sorted {
			if s == v {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearch(sorted, v)
	return found
}

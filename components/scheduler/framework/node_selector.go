package framework

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/kubesim/kubesim/components/api"
)

// NodeNameField is the only field a nodeSelectorTerm's matchFields may use.
const NodeNameField = "metadata.name"

// NodeSelector is a compiled v1.NodeSelector: a node matches when any term
// matches (terms are ORed); inside a term every matchExpression and every
// matchField must hold (ANDed). A term with neither expressions nor fields
// matches nothing, and so does a term that fails to parse (a Gt with a
// non-integer value, a matchField other than metadata.name); the other
// terms still count. A selector with no usable term matches no node.
type NodeSelector struct {
	terms []nodeSelectorTerm
}

type nodeSelectorTerm struct {
	exprs  []nodeRequirement
	fields []nodeRequirement
}

type nodeRequirement struct {
	key    string
	op     api.NodeSelectorOperator
	values []string // sorted, for In and NotIn
	num    int64    // for Gt and Lt
}

// NewNodeSelector compiles ns. It returns the terms that parsed and an
// error naming the first one that did not.
func NewNodeSelector(ns *api.NodeSelector) (*NodeSelector, error) {
	out := &NodeSelector{}
	if ns == nil {
		return out, nil
	}
	var firstErr error
	for i := range ns.NodeSelectorTerms {
		t, ok, err := compileNodeSelectorTerm(&ns.NodeSelectorTerms[i])
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("nodeSelectorTerms[%d]: %w", i, err)
		}
		if ok {
			out.terms = append(out.terms, t)
		}
	}
	return out, firstErr
}

// compileNodeSelectorTerm returns ok=false for an empty or invalid term,
// both of which match nothing.
func compileNodeSelectorTerm(term *api.NodeSelectorTerm) (nodeSelectorTerm, bool, error) {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return nodeSelectorTerm{}, false, nil
	}
	var t nodeSelectorTerm
	for _, e := range term.MatchExpressions {
		r, err := compileNodeRequirement(e)
		if err != nil {
			return nodeSelectorTerm{}, false, fmt.Errorf("matchExpressions: %w", err)
		}
		t.exprs = append(t.exprs, r)
	}
	for _, f := range term.MatchFields {
		if f.Key != NodeNameField {
			return nodeSelectorTerm{}, false, fmt.Errorf("matchFields: %q is not a supported field selector key, only %q", f.Key, NodeNameField)
		}
		if f.Operator != api.NodeSelectorOpIn && f.Operator != api.NodeSelectorOpNotIn {
			return nodeSelectorTerm{}, false, fmt.Errorf("matchFields: %q is not a valid field selector operator", f.Operator)
		}
		r, err := compileNodeRequirement(f)
		if err != nil {
			return nodeSelectorTerm{}, false, fmt.Errorf("matchFields: %w", err)
		}
		t.fields = append(t.fields, r)
	}
	return t, true, nil
}

func compileNodeRequirement(e api.NodeSelectorRequirement) (nodeRequirement, error) {
	r := nodeRequirement{key: e.Key, op: e.Operator}
	switch e.Operator {
	case api.NodeSelectorOpIn, api.NodeSelectorOpNotIn:
		if len(e.Values) == 0 {
			return r, fmt.Errorf("for 'in', 'notin' operators, values set can't be empty")
		}
		r.values = slices.Sorted(slices.Values(e.Values))
	case api.NodeSelectorOpExists, api.NodeSelectorOpDoesNotExist:
		if len(e.Values) != 0 {
			return r, fmt.Errorf("values set must be empty for exists and does not exist")
		}
	case api.NodeSelectorOpGt, api.NodeSelectorOpLt:
		if len(e.Values) != 1 {
			return r, fmt.Errorf("for 'Gt', 'Lt' operators, exactly one value is required")
		}
		n, err := strconv.ParseInt(e.Values[0], 10, 64)
		if err != nil {
			return r, fmt.Errorf("for 'Gt', 'Lt' operators, the value must be an integer")
		}
		r.num = n
	default:
		return r, fmt.Errorf("%q is not a valid node selector operator", e.Operator)
	}
	return r, nil
}

// Match reports whether node satisfies any term.
func (ns *NodeSelector) Match(node *api.Node) bool {
	if ns == nil {
		return false
	}
	for i := range ns.terms {
		if ns.terms[i].match(node) {
			return true
		}
	}
	return false
}

func (t *nodeSelectorTerm) match(node *api.Node) bool {
	for i := range t.exprs {
		r := &t.exprs[i]
		v, ok := node.Labels[r.key]
		if !r.matches(v, ok) {
			return false
		}
	}
	for i := range t.fields {
		if !t.fields[i].matches(node.Name, true) {
			return false
		}
	}
	return true
}

func (r *nodeRequirement) matches(v string, present bool) bool {
	switch r.op {
	case api.NodeSelectorOpIn:
		return present && containsSorted(r.values, v)
	case api.NodeSelectorOpNotIn:
		return !present || !containsSorted(r.values, v)
	case api.NodeSelectorOpExists:
		return present
	case api.NodeSelectorOpDoesNotExist:
		return !present
	case api.NodeSelectorOpGt, api.NodeSelectorOpLt:
		if !present {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		if r.op == api.NodeSelectorOpGt {
			return n > r.num
		}
		return n < r.num
	}
	return false
}

// RequiredNodeAffinity is what a node must satisfy for a pod:
// spec.nodeSelector AND the required node affinity terms.
type RequiredNodeAffinity struct {
	labelSelector Selector
	hasSelector   bool
	nodeSelector  *NodeSelector
}

// GetRequiredNodeAffinity compiles the pod's nodeSelector and required node
// affinity. Parse errors make the affected terms match nothing, as the real
// scheduler ignores them for backwards compatibility.
func GetRequiredNodeAffinity(pod *api.Pod) RequiredNodeAffinity {
	var r RequiredNodeAffinity
	if len(pod.Spec.NodeSelector) > 0 {
		r.labelSelector = SelectorFromSet(pod.Spec.NodeSelector)
		r.hasSelector = true
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		r.nodeSelector, _ = NewNodeSelector(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
	}
	return r
}

// Match reports whether node satisfies both the nodeSelector and the
// required affinity.
func (r *RequiredNodeAffinity) Match(node *api.Node) bool {
	if r.hasSelector && !r.labelSelector.Matches(node.Labels) {
		return false
	}
	if r.nodeSelector != nil {
		return r.nodeSelector.Match(node)
	}
	return true
}

// IsEmpty reports whether the pod constrains nodes at all.
func (r *RequiredNodeAffinity) IsEmpty() bool { return !r.hasSelector && r.nodeSelector == nil }

// PreferredSchedulingTerms is a compiled list of weighted node preferences.
type PreferredSchedulingTerms struct {
	terms   []nodeSelectorTerm
	weights []int32
}

// NewPreferredSchedulingTerms compiles terms. Empty or invalid terms are
// dropped: they match no node.
func NewPreferredSchedulingTerms(terms []api.PreferredSchedulingTerm) (*PreferredSchedulingTerms, error) {
	out := &PreferredSchedulingTerms{}
	var firstErr error
	for i := range terms {
		if terms[i].Weight == 0 {
			continue
		}
		t, ok, err := compileNodeSelectorTerm(&terms[i].Preference)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("preferredDuringSchedulingIgnoredDuringExecution[%d]: %w", i, err)
		}
		if ok {
			out.terms = append(out.terms, t)
			out.weights = append(out.weights, terms[i].Weight)
		}
	}
	return out, firstErr
}

// Score returns the sum of the weights of the terms node matches.
func (p *PreferredSchedulingTerms) Score(node *api.Node) int64 {
	var s int64
	for i := range p.terms {
		if p.terms[i].match(node) {
			s += int64(p.weights[i])
		}
	}
	return s
}

// Len is the number of usable terms.
func (p *PreferredSchedulingTerms) Len() int { return len(p.terms) }

package framework

import "github.com/kubesim/kubesim/components/api"

// ToleratesTaint reports whether one toleration tolerates one taint, with
// the rules of core/v1 Toleration.ToleratesTaint:
//
//   - an empty effect matches every effect, otherwise effects must be equal;
//   - an empty key (only valid with Exists) matches every key, otherwise
//     keys must be equal;
//   - Exists ignores the value; Equal (and an empty operator, which means
//     Equal) requires equal values.
//
// So {operator: Exists} with no key and no effect tolerates everything.
func ToleratesTaint(t *api.Toleration, taint *api.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", api.TolerationOpEqual:
		return t.Value == taint.Value
	case api.TolerationOpExists:
		return true
	}
	return false
}

// TolerationsTolerateTaint reports whether any toleration tolerates taint.
func TolerationsTolerateTaint(tolerations []api.Toleration, taint *api.Taint) bool {
	for i := range tolerations {
		if ToleratesTaint(&tolerations[i], taint) {
			return true
		}
	}
	return false
}

// DoNotScheduleTaint selects the taints that the Filter extension point
// enforces: NoSchedule and NoExecute. PreferNoSchedule never filters.
func DoNotScheduleTaint(t *api.Taint) bool {
	return t.Effect == api.TaintEffectNoSchedule || t.Effect == api.TaintEffectNoExecute
}

// FindMatchingUntoleratedTaint returns the first taint selected by inclusion
// that no toleration tolerates.
func FindMatchingUntoleratedTaint(taints []api.Taint, tolerations []api.Toleration, inclusion func(*api.Taint) bool) (api.Taint, bool) {
	for i := range taints {
		if inclusion != nil && !inclusion(&taints[i]) {
			continue
		}
		if !TolerationsTolerateTaint(tolerations, &taints[i]) {
			return taints[i], true
		}
	}
	return api.Taint{}, false
}

package api

import (
	"slices"
	"strconv"
)

// ---------------------------------------------------------------- LimitRange

// LimitRange sets resource usage limits for each kind of resource in a
// namespace (core/v1). The LimitRanger admission plugin fills in a
// container's missing requests and limits from a Container item's
// defaultRequest and default, and refuses a pod, container or
// PersistentVolumeClaim outside an item's min, max or
// maxLimitRequestRatio.
type LimitRange struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       LimitRangeSpec `json:"spec,omitempty"`
}

// LimitRangeSpec is the limits of a LimitRange, one item per type.
type LimitRangeSpec struct {
	Limits []LimitRangeItem `json:"limits"`
}

// LimitType is what a LimitRangeItem applies to.
type LimitType string

// The limit types of core/v1.
const (
	LimitTypePod                   LimitType = "Pod"
	LimitTypeContainer             LimitType = "Container"
	LimitTypePersistentVolumeClaim LimitType = "PersistentVolumeClaim"
)

// LimitRangeItem is the min/max usage limits of one type, by resource
// name.
type LimitRangeItem struct {
	Type                 LimitType    `json:"type"`
	Max                  ResourceList `json:"max,omitempty"`
	Min                  ResourceList `json:"min,omitempty"`
	Default              ResourceList `json:"default,omitempty"`
	DefaultRequest       ResourceList `json:"defaultRequest,omitempty"`
	MaxLimitRequestRatio ResourceList `json:"maxLimitRequestRatio,omitempty"`
}

// LimitRangeList is a list of LimitRanges.
type LimitRangeList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata,omitempty"`
	Items    []LimitRange `json:"items"`
}

// SetLimitRangeDefaults applies core/v1's LimitRangeItem defaults to a
// Container item: a resource with a max but no default gets the max as
// its default limit, one with a default limit but no default request gets
// the limit as its default request, and one with a min but still no
// default request gets the min. It returns the fields it set, in the
// order it set them ("spec.limits[0].default[cpu]=800m").
func SetLimitRangeDefaults(lr *LimitRange) []string {
	var set []string
	for i := range lr.Spec.Limits {
		it := &lr.Spec.Limits[i]
		if it.Type != LimitTypeContainer {
			continue
		}
		if it.Default == nil {
			it.Default = ResourceList{}
		}
		if it.DefaultRequest == nil {
			it.DefaultRequest = ResourceList{}
		}
		fill := func(dst ResourceList, from ResourceList, field string) {
			for _, rn := range sortedNames(from) {
				if _, ok := dst[rn]; !ok {
					dst[rn] = from[rn]
					set = append(set, "spec.limits["+strconv.Itoa(i)+"]."+field+"["+string(rn)+"]="+from[rn].String())
				}
			}
		}
		fill(it.Default, it.Max, "default")
		fill(it.DefaultRequest, it.Default, "defaultRequest")
		fill(it.DefaultRequest, it.Min, "defaultRequest")
	}
	return set
}

// sortedNames is a resource list's names in order.
func sortedNames(rl ResourceList) []ResourceName {
	names := make([]ResourceName, 0, len(rl))
	for n := range rl {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

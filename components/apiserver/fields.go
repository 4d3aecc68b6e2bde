package apiserver

import "github.com/kubesim/kubesim/components/api"

// fieldSelector is a parsed field selector (`metadata.name=web`,
// `involvedObject.uid=...`) checked against the fields the real registry
// strategies make selectable (api.SelectableFields).
type fieldSelector struct{ sel api.FieldSelector }

func parseFieldSelector(info *api.ResourceInfo, s string) (fieldSelector, error) {
	sel, err := api.ParseFieldSelector(s)
	if err != nil {
		return fieldSelector{}, err
	}
	if err := sel.Validate(info.Kind); err != nil {
		return fieldSelector{}, err
	}
	return fieldSelector{sel: sel}, nil
}

func (s fieldSelector) matches(obj api.Object, fields *eventFields) bool {
	if s.sel.Empty() {
		return true
	}
	if fields == nil {
		return s.sel.Matches(api.ObjectFields(obj))
	}
	return s.sel.Matches(fields.of(obj))
}

package apiserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

// keepStatus copies old's status into obj: an update of the main resource
// cannot change status when the status subresource exists.
func keepStatus(obj, old api.Object) { copyField(obj, old, "Status") }

// keepSpec copies old's spec into obj: a status update cannot change spec.
func keepSpec(obj, old api.Object) { copyField(obj, old, "Spec") }

func copyField(dst, src api.Object, name string) {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	s := reflect.ValueOf(src).Elem().FieldByName(name)
	if d.IsValid() && s.IsValid() && d.CanSet() {
		d.Set(s)
	}
}

// mergeKeys are the patchMergeKey of the lists strategic merge patch merges
// by key rather than replacing, per field name (the subset of the real
// schema that manifests change). "ports" depends on where it is: see
// mergeKeyFor.
var mergeKeys = map[string]string{
	"containers":                "name",
	"initContainers":            "name",
	"ephemeralContainers":       "name",
	"env":                       "name",
	"volumes":                   "name",
	"volumeMounts":              "mountPath",
	"imagePullSecrets":          "name",
	"conditions":                "type",
	"ownerReferences":           "uid",
	"hostAliases":               "ip",
	"topologySpreadConstraints": "topologyKey",
}

// mergeKeyFor returns the merge key of the list at a field path such as
// "spec.template.spec.containers[].ports": a container's ports merge by
// containerPort, a Service's spec.ports by port, and other ports lists
// (EndpointSlice, NetworkPolicy) are atomic and replaced.
func mergeKeyFor(path string) (string, bool) {
	name := path[strings.LastIndexByte(path, '.')+1:]
	if name != "ports" {
		key, ok := mergeKeys[name]
		return key, ok
	}
	switch parent := strings.TrimSuffix(path, ".ports"); {
	case path == "spec.ports":
		return "port", true
	case strings.HasSuffix(parent, "ontainers[]"):
		return "containerPort", true
	}
	return "", false
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// applyPatch applies a JSON patch (RFC 6902, kubectl patch --type json), a
// JSON merge patch (RFC 7386) or a strategic merge patch, as kubectl apply
// sends it, and decodes the result.
func applyPatch(info *api.ResourceInfo, old api.Object, patch []byte, pt apiwire.PatchType) (api.Object, error) {
	orig, err := json.Marshal(old)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	var doc, p any
	if err := json.Unmarshal(orig, &doc); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if pt == apiwire.JSONPatch {
		if doc, err = applyJSONPatch(doc, patch); err != nil {
			return nil, err
		}
		return decodePatched(info, doc)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err))
	}
	switch pt {
	case apiwire.MergePatch, "":
		doc = mergePatch(doc, p, false, "")
	case apiwire.StrategicMergePatch:
		if _, ok := p.(map[string]any); !ok {
			return nil, apierrors.NewBadRequest("unable to apply patch: strategic merge patch must be a JSON object")
		}
		doc = mergePatch(doc, p, true, "")
	default:
		return nil, apierrors.NewUnsupportedMediaType(string(pt), []string{string(apiwire.JSONPatch), string(apiwire.MergePatch), string(apiwire.StrategicMergePatch)})
	}
	return decodePatched(info, doc)
}

// decodePatched decodes a patched document as the resource's kind.
func decodePatched(info *api.ResourceInfo, doc any) (api.Object, error) {
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	obj := info.New()
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("unable to apply patch: %v", err))
	}
	api.SetTypeMeta(obj)
	return obj, nil
}

// mergePatch merges patch into doc at a field path: objects merge key by
// key, null deletes, anything else replaces. With strategic set, lists with
// a merge key (mergeKeyFor) merge element by element, $retainKeys clears
// the keys it does not list, and the $patch / $setElementOrder /
// $deleteFromPrimitiveList directives are honoured or stripped.
func mergePatch(doc, patch any, strategic bool, path string) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		if strategic {
			if pl, ok := patch.([]any); ok {
				if dl, ok := doc.([]any); ok {
					if key, ok := mergeKeyFor(path); ok {
						return mergeList(dl, pl, key, path)
					}
				}
				return stripDirectives(pl)
			}
		}
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	if strategic {
		if v, ok := pm["$patch"]; ok && v == "replace" {
			delete(pm, "$patch")
			return stripDirectives(pm)
		}
	}
	keys := make([]string, 0, len(pm))
	for k := range pm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := pm[k]
		if strategic {
			switch {
			case strings.HasPrefix(k, "$setElementOrder/"), k == "$retainKeys", k == "$patch":
				continue
			case strings.HasPrefix(k, "$deleteFromPrimitiveList/"):
				name := strings.TrimPrefix(k, "$deleteFromPrimitiveList/")
				dm[name] = removePrimitives(dm[name], v)
				continue
			}
		}
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = mergePatch(dm[k], v, strategic, joinPath(path, k))
	}
	if retain, ok := pm["$retainKeys"].([]any); ok && strategic {
		keep := map[string]bool{}
		for _, r := range retain {
			if name, ok := r.(string); ok {
				keep[name] = true
			}
		}
		for k := range dm {
			if !keep[k] {
				delete(dm, k)
			}
		}
	}
	return dm
}

func mergeList(doc, patch []any, key, path string) any {
	out := append([]any(nil), doc...)
	for _, pe := range patch {
		pm, ok := pe.(map[string]any)
		if !ok {
			out = append(out, pe)
			continue
		}
		id := pm[key]
		idx := -1
		for i, de := range out {
			if dm, ok := de.(map[string]any); ok && fmt.Sprint(dm[key]) == fmt.Sprint(id) {
				idx = i
				break
			}
		}
		if pm["$patch"] == "delete" {
			if idx >= 0 {
				out = append(out[:idx], out[idx+1:]...)
			}
			continue
		}
		if idx >= 0 {
			out[idx] = mergePatch(out[idx], pm, true, path+"[]")
		} else {
			out = append(out, stripDirectives(pm))
		}
	}
	return out
}

func stripDirectives(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if strings.HasPrefix(k, "$") {
				continue
			}
			out[k] = stripDirectives(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripDirectives(e)
		}
		return out
	}
	return v
}

func removePrimitives(list, remove any) any {
	l, ok := list.([]any)
	r, ok2 := remove.([]any)
	if !ok || !ok2 {
		return list
	}
	var out []any
	for _, e := range l {
		drop := false
		for _, x := range r {
			if fmt.Sprint(e) == fmt.Sprint(x) {
				drop = true
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/apierrors"
)

// jsonPatchOp is one operation of an RFC 6902 JSON patch
// (kubectl patch --type json).
type jsonPatchOp struct {
	Op    string           `json:"op"`
	Path  string           `json:"path"`
	From  string           `json:"from"`
	Value *json.RawMessage `json:"value"`
}

// applyJSONPatch applies an RFC 6902 patch to a decoded JSON document. A
// patch that is not a list of operations is a 400; an operation that does
// not apply is the 422 the apiserver gives, with the reason as its cause.
func applyJSONPatch(doc any, patch []byte) (any, error) {
	var ops []jsonPatchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	for _, op := range ops {
		var err error
		if doc, err = applyJSONPatchOp(doc, op); err != nil {
			return nil, &apierrors.StatusError{ErrStatus: apierrors.Status{Kind: "Status", APIVersion: "v1", Status: "Failure",
				Message: "the server rejected our request due to an error in our request", Reason: apierrors.ReasonInvalid,
				Details: &apierrors.StatusDetails{Causes: []apierrors.StatusCause{{Type: "UnexpectedServerResponse", Message: err.Error()}}},
				Code:    http.StatusUnprocessableEntity}}
		}
	}
	return doc, nil
}

func applyJSONPatchOp(doc any, op jsonPatchOp) (any, error) {
	value := func() (any, error) {
		if op.Value == nil {
			return nil, fmt.Errorf("%s operation has no value", op.Op)
		}
		var v any
		err := json.Unmarshal(*op.Value, &v)
		return v, err
	}
	switch op.Op {
	case "add":
		v, err := value()
		if err != nil {
			return nil, err
		}
		return pointerSet(doc, op.Path, v, "add", true)
	case "replace":
		v, err := value()
		if err != nil {
			return nil, err
		}
		if _, ok := pointerGet(doc, op.Path); !ok {
			return nil, fmt.Errorf("replace operation does not apply: doc is missing key: %s", op.Path)
		}
		return pointerSet(doc, op.Path, v, "replace", false)
	case "remove":
		return pointerRemove(doc, op.Path)
	case "move", "copy":
		v, ok := pointerGet(doc, op.From)
		if !ok {
			return nil, fmt.Errorf("%s operation does not apply: doc is missing from path: %s", op.Op, op.From)
		}
		if op.Op == "move" {
			var err error
			if doc, err = pointerRemove(doc, op.From); err != nil {
				return nil, err
			}
		} else {
			// A copy is a value of its own: sharing it would let later
			// operations change both places, and copying a value into
			// itself (/spec into /spec/template) would make a cycle.
			v = deepCopyJSON(v)
		}
		return pointerSet(doc, op.Path, v, op.Op, true)
	case "test":
		want, err := value()
		if err != nil {
			return nil, err
		}
		got, ok := pointerGet(doc, op.Path)
		if !ok || !reflect.DeepEqual(got, want) {
			return nil, fmt.Errorf("testing value %s failed: test failed", op.Path)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unexpected kind: %s", op.Op)
}

func pointerTokens(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("JSON pointer must be empty or start with a \"/\": %q", path)
	}
	toks := strings.Split(path[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

func pointerGet(doc any, path string) (any, bool) {
	toks, err := pointerTokens(path)
	if err != nil {
		return nil, false
	}
	cur := doc
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// pointerSet sets (replace) or inserts (add: "-" appends, an index shifts
// the rest) the value at path, returning the new document.
func pointerSet(doc any, path string, v any, op string, insert bool) (any, error) {
	toks, err := pointerTokens(path)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return v, nil
	}
	parent, ok := pointerGet(doc, "/"+strings.Join(escapeTokens(toks[:len(toks)-1]), "/"))
	if len(toks) == 1 {
		parent, ok = doc, true
	}
	if !ok {
		return nil, fmt.Errorf("%s operation does not apply: doc is missing path: %q", op, path)
	}
	last := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
		return doc, nil
	case []any:
		i := len(p)
		if last != "-" {
			if i, err = strconv.Atoi(last); err != nil || i < 0 || i > len(p) || (!insert && i == len(p)) {
				return nil, fmt.Errorf("%s operation does not apply: index out of range: %q", op, path)
			}
		}
		var out []any
		if insert {
			out = append(append(append([]any{}, p[:i]...), v), p[i:]...)
		} else {
			out = append([]any{}, p...)
			out[i] = v
		}
		return pointerSet(doc, "/"+strings.Join(escapeTokens(toks[:len(toks)-1]), "/"), out, op, false)
	}
	return nil, fmt.Errorf("%s operation does not apply: doc is missing path: %q", op, path)
}

func pointerRemove(doc any, path string) (any, error) {
	toks, err := pointerTokens(path)
	if err != nil || len(toks) == 0 {
		return nil, fmt.Errorf("remove operation does not apply: doc is missing path: %q", path)
	}
	parentPath := "/" + strings.Join(escapeTokens(toks[:len(toks)-1]), "/")
	parent, ok := doc, true
	if len(toks) > 1 {
		parent, ok = pointerGet(doc, parentPath)
	}
	missing := fmt.Errorf("remove operation does not apply: doc is missing path: %q", path)
	if !ok {
		return nil, missing
	}
	last := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]any:
		if _, ok := p[last]; !ok {
			return nil, missing
		}
		delete(p, last)
		return doc, nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return nil, missing
		}
		out := append(append([]any{}, p[:i]...), p[i+1:]...)
		if len(toks) == 1 {
			return out, nil
		}
		return pointerSet(doc, parentPath, out, "remove", false)
	}
	return nil, missing
}

func escapeTokens(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

// deepCopyJSON copies a decoded JSON value.
func deepCopyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyJSON(e)
		}
		return out
	}
	return v
}

package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"go.yaml.in/yaml/v3"
)

// withTypeMeta returns obj, or a shallow copy of it with kind and
// apiVersion filled from its Go type when they are empty. obj itself is
// never modified (it may be shared).
func withTypeMeta(obj any) any {
	tm, ok := obj.(interface{ GetTypeMeta() *TypeMeta })
	if !ok || reflect.ValueOf(obj).IsNil() {
		return obj
	}
	if cur := tm.GetTypeMeta(); cur.Kind != "" && cur.APIVersion != "" {
		return obj
	}
	g, ok := GVKOf(obj)
	if !ok {
		return obj
	}
	v := reflect.ValueOf(obj).Elem()
	cp := reflect.New(v.Type())
	cp.Elem().Set(v)
	out := cp.Interface()
	t := out.(interface{ GetTypeMeta() *TypeMeta }).GetTypeMeta()
	if t.Kind == "" {
		t.Kind = g.Kind
	}
	if t.APIVersion == "" {
		t.APIVersion = g.APIVersion()
	}
	return out
}

// ToJSON encodes an object (or list, or any value of this package) as the
// apiserver does: fields in Kubernetes' order (kind, apiVersion, metadata,
// spec, status), map keys sorted, no trailing newline. Empty kind and
// apiVersion are filled from the Go type.
func ToJSON(obj any) ([]byte, error) {
	return json.Marshal(withTypeMeta(obj))
}

// ToYAML encodes an object as `kubectl get -o yaml` prints it: the JSON
// form rendered as YAML with keys sorted, two-space indent and sequences
// not indented under their key.
func ToYAML(obj any) ([]byte, error) {
	j, err := ToJSON(obj)
	if err != nil {
		return nil, err
	}
	return JSONToYAML(j)
}

// JSONToYAML renders a JSON document as kubectl does.
func JSONToYAML(j []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(yamlNode(x)); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// yamlNode builds a node tree from JSON data with map keys sorted.
func yamlNode(x any) *yaml.Node {
	switch t := x.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		v := "false"
		if t {
			v = "true"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: v}
	case json.Number:
		tag := "!!int"
		if _, err := t.Int64(); err != nil {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}
	case string:
		n := &yaml.Node{}
		n.SetString(t)
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range t {
			n.Content = append(n.Content, yamlNode(e))
		}
		if len(t) == 0 {
			n.Style = yaml.FlowStyle
		}
		return n
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			kn := &yaml.Node{}
			kn.SetString(k)
			n.Content = append(n.Content, kn, yamlNode(t[k]))
		}
		if len(t) == 0 {
			n.Style = yaml.FlowStyle
		}
		return n
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(x)}
}

// DropNulls removes the null members of decoded JSON (maps and lists,
// recursively, in place) and returns it: what a patch or an apply document
// leaves when the fields an encoder wrote as null mean "not set".
func DropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = DropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = DropNulls(e)
		}
	}
	return v
}

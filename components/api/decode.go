package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// DecodeError is one problem found while decoding a manifest. Its message
// names the file, line and column, the object and the field path:
//
//	pod.yaml:7:7: Pod "web": unknown field "spec.containers[0].imagee"
//	deploy.yaml:5:13: Deployment "web": spec.replicas: expected an integer, got "three"
//	x.yaml:1:1: missing "kind"
type DecodeError struct {
	File   string
	Line   int
	Column int
	// Kind and Name identify the object when known.
	Kind string
	Name string
	// Field is the field path ("spec.containers[0].image"), if any.
	Field string
	// Strict marks unknown and duplicate fields: errors only under strict
	// decoding.
	Strict bool
	// Message is the problem, e.g. `unknown field "spec.foo"` or
	// `spec.replicas: expected an integer, got "three"`.
	Message string
}

// Error renders the location, the object and the message.
func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.Kind != "" {
		b.WriteString(e.Kind)
		if e.Name != "" {
			fmt.Fprintf(&b, " %q", e.Name)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// StrictDecodingError is DecodeJSON's error for unknown or duplicate
// fields, worded as the apiserver's:
// `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`.
type StrictDecodingError struct {
	Errors []string
}

func (e *StrictDecodingError) Error() string {
	return "strict decoding error: " + strings.Join(e.Errors, ", ")
}

// maxDecodeErrors bounds the errors reported for one input.
const maxDecodeErrors = 50

// DecodeManifests decodes a multi-document YAML stream (documents separated
// by `---`; empty ones skipped) in block or flow style into objects, in
// order. A document of kind List (apiVersion v1) contributes its items.
//
// Decoding is strict: unknown fields, duplicate fields, values of the wrong
// type, a missing or unknown kind, an apiVersion that does not serve the
// kind and documents that are not mappings are errors. All errors found are
// returned joined (each a *DecodeError, or a YAML syntax error prefixed by
// the file name) and no objects are returned then.
func DecodeManifests(filename string, data []byte) ([]Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []Object
	var errs []error
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filename, err))
			break
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if root.Kind == 0 || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
			continue // an empty document or one with only comments
		}
		d := &decoder{file: filename, strict: true}
		got := d.decodeDocument(root, "")
		errs = append(errs, d.errs...)
		objs = append(objs, got...)
		if len(errs) >= maxDecodeErrors {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return objs, nil
}

// DecodeOptions tune DecodeJSONWithOptions.
type DecodeOptions struct {
	// Lenient reports unknown and duplicate fields as warnings instead of
	// failing, as the apiserver does with fieldValidation=Warn.
	Lenient bool
	// Default is the kind assumed when the body names no kind and
	// apiVersion (the resource of the request URL); nil requires both.
	Default *ResourceInfo
}

// DecodeJSON strictly decodes one JSON object (a request body). Unknown or
// duplicate fields give a *StrictDecodingError; other problems a
// *DecodeError without a file.
func DecodeJSON(data []byte) (Object, error) {
	obj, _, err := DecodeJSONWithOptions(data, DecodeOptions{})
	return obj, err
}

// DecodeJSONWithOptions decodes one JSON object. In lenient mode unknown
// and duplicate fields are returned as warnings (`unknown field "spec.foo"`)
// and otherwise ignored.
func DecodeJSONWithOptions(data []byte, opts DecodeOptions) (Object, []string, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, &DecodeError{Message: "expected a JSON object"}
	}
	// JSON is YAML: parsing it as YAML gives positions and one code path.
	var doc yaml.Node
	if err := yaml.Unmarshal(trimmed, &doc); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	root := doc.Content[0]
	d := &decoder{strict: !opts.Lenient, json: true, defaultKind: opts.Default}
	objs := d.decodeDocument(root, "")
	var strictMsgs []string
	var other []error
	for _, e := range d.errs {
		var de *DecodeError
		if errors.As(e, &de) && de.Strict {
			strictMsgs = append(strictMsgs, de.Message)
			continue
		}
		other = append(other, e)
	}
	if len(other) > 0 {
		return nil, nil, errors.Join(other...)
	}
	if len(strictMsgs) > 0 {
		return nil, nil, &StrictDecodingError{Errors: strictMsgs}
	}
	if len(objs) != 1 {
		return nil, nil, &DecodeError{Message: "expected a single object, got a List"}
	}
	return objs[0], d.warnings, nil
}

// DecodeJSONInto strictly decodes a JSON value into v (any type of this
// package, e.g. *DeleteOptions or *Scale) without kind checks.
func DecodeJSONInto(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("DecodeJSONInto needs a non-nil pointer, got %T", v)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(bytes.TrimSpace(data), &doc); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	d := &decoder{strict: true, json: true}
	d.value(doc.Content[0], rv.Elem(), "")
	var strictMsgs []string
	var other []error
	for _, e := range d.errs {
		var de *DecodeError
		if errors.As(e, &de) && de.Strict {
			strictMsgs = append(strictMsgs, de.Message)
			continue
		}
		other = append(other, e)
	}
	if len(other) > 0 {
		return errors.Join(other...)
	}
	if len(strictMsgs) > 0 {
		return &StrictDecodingError{Errors: strictMsgs}
	}
	return nil
}

// decoder walks a yaml.Node tree against a Go type by reflection, using
// json tags as field names.
type decoder struct {
	file        string
	strict      bool
	json        bool
	defaultKind *ResourceInfo

	kind, name string // the object being decoded, for messages
	errs       []error
	warnings   []string
}

func (d *decoder) fail(n *yaml.Node, field, msg string) {
	e := &DecodeError{File: d.file, Kind: d.kind, Name: d.name, Field: field, Message: msg}
	if n != nil && !d.json {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) typeErr(n *yaml.Node, field, msg string) {
	if field != "" {
		msg = field + ": " + msg
	}
	d.fail(n, field, msg)
}

func (d *decoder) strictErr(n *yaml.Node, field, msg string) {
	if !d.strict {
		d.warnings = append(d.warnings, msg)
		return
	}
	e := &DecodeError{File: d.file, Kind: d.kind, Name: d.name, Field: field, Strict: true, Message: msg}
	if n != nil && !d.json {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// describe renders a node for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "an unsupported node"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mappingValue returns the value node of key in a mapping, or nil.
func mappingValue(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolveAlias(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return k, resolveAlias(m.Content[i+1])
		}
	}
	return nil, nil
}

// decodeDocument decodes one top-level object (or List) at path prefix.
func (d *decoder) decodeDocument(root *yaml.Node, prefix string) []Object {
	root = resolveAlias(root)
	d.kind, d.name = "", ""
	if root.Kind != yaml.MappingNode {
		d.fail(root, prefix, fmt.Sprintf("%sexpected a mapping (an object with apiVersion and kind), got %s", pathPrefix(prefix), describe(root)))
		return nil
	}
	kindKey, kindNode := mappingValue(root, "kind")
	avKey, avNode := mappingValue(root, "apiVersion")
	_ = kindKey
	_ = avKey
	kind, apiVersion := "", ""
	if kindNode != nil {
		if kindNode.Kind != yaml.ScalarNode || kindNode.ShortTag() != "!!str" {
			d.fail(kindNode, join(prefix, "kind"), fmt.Sprintf("%s: expected a string, got %s", join(prefix, "kind"), describe(kindNode)))
			return nil
		}
		kind = kindNode.Value
	}
	if avNode != nil {
		if avNode.Kind != yaml.ScalarNode || avNode.ShortTag() != "!!str" {
			d.fail(avNode, join(prefix, "apiVersion"), fmt.Sprintf("%s: expected a string, got %s", join(prefix, "apiVersion"), describe(avNode)))
			return nil
		}
		apiVersion = avNode.Value
	}
	if kind == "" && apiVersion == "" && d.defaultKind != nil {
		kind, apiVersion = d.defaultKind.Kind, d.defaultKind.APIVersion()
	}
	if kind == "" {
		d.fail(root, prefix, fmt.Sprintf("%smissing \"kind\"", pathPrefix(prefix)))
		return nil
	}
	if kind == "List" && (apiVersion == "v1" || apiVersion == "") {
		return d.decodeList(root, prefix, apiVersion)
	}
	if apiVersion == "" {
		if _, name := mappingValue(root, "metadata"); name != nil {
			d.name = metadataName(name)
		}
		if _, ok := ResourceForKind(kind); ok {
			d.kind = kind
		}
		d.fail(root, prefix, fmt.Sprintf("%smissing \"apiVersion\"", pathPrefix(prefix)))
		return nil
	}
	info, ok := ResourceForAPIVersionKind(apiVersion, kind)
	if !ok {
		info, ok = bodyKinds[GroupVersionKind{Group: ParseGroupVersion(apiVersion).Group, Version: ParseGroupVersion(apiVersion).Version, Kind: kind}]
	}
	if !ok && isCustomGroup(ParseGroupVersion(apiVersion).Group) {
		// A kind of a group kubesim does not build in: a custom resource,
		// which the apiserver checks against its CRD.
		return d.customResource(root, prefix, apiVersion, kind)
	}
	if !ok {
		if other, known := ResourceForKind(kind); known {
			d.fail(avNode, join(prefix, "apiVersion"), fmt.Sprintf("%sunknown kind %q in apiVersion %q (%s is served as %q)", pathPrefix(prefix), kind, apiVersion, kind, other.APIVersion()))
		} else {
			at := kindNode
			if at == nil {
				at = root
			}
			d.fail(at, join(prefix, "kind"), fmt.Sprintf("%sunknown kind %q in apiVersion %q", pathPrefix(prefix), kind, apiVersion))
		}
		return nil
	}
	d.kind = kind
	if _, meta := mappingValue(root, "metadata"); meta != nil {
		d.name = metadataName(meta)
	}
	obj := info.New()
	before := len(d.errs)
	d.value(root, reflect.ValueOf(obj).Elem(), prefix)
	if len(d.errs) > before {
		return nil
	}
	*obj.GetTypeMeta() = TypeMeta{Kind: info.Kind, APIVersion: info.APIVersion()}
	return []Object{obj}
}

// isCustomGroup reports whether a group can only be a CRD's: it has a dot
// and no built-in kind is in it.
func isCustomGroup(group string) bool {
	if !strings.Contains(group, ".") {
		return false
	}
	for _, gv := range GroupVersions() {
		if gv.Group == group {
			return false
		}
	}
	return true
}

// customResource decodes a document as a CustomResource: metadata as
// strictly as any kind's, the rest as plain JSON data.
func (d *decoder) customResource(root *yaml.Node, prefix, apiVersion, kind string) []Object {
	d.kind = kind
	if _, meta := mappingValue(root, "metadata"); meta != nil {
		d.name = metadataName(meta)
	}
	var doc any
	if err := root.Decode(&doc); err != nil {
		d.fail(root, prefix, fmt.Sprintf("%s%v", pathPrefix(prefix), err))
		return nil
	}
	b, err := json.Marshal(jsonCompatible(doc))
	if err != nil {
		d.fail(root, prefix, fmt.Sprintf("%s%v", pathPrefix(prefix), err))
		return nil
	}
	obj := &CustomResource{}
	if err := json.Unmarshal(b, obj); err != nil {
		d.fail(root, join(prefix, "metadata"), fmt.Sprintf("%s%v", pathPrefix(prefix), err))
		return nil
	}
	obj.TypeMeta = TypeMeta{Kind: kind, APIVersion: apiVersion}
	return []Object{obj}
}

// bodyKinds are request bodies of subresources that are objects but not
// resources of their own; they decode like any kind.
var bodyKinds = map[GroupVersionKind]*ResourceInfo{
	scaleKind: {Group: "autoscaling", Version: "v1", Kind: "Scale", Namespaced: true,
		newObject: func() Object { return &Scale{} }},
	gvk("policy", "v1", "Eviction"): {Group: "policy", Version: "v1", Kind: "Eviction", Namespaced: true,
		newObject: func() Object { return &Eviction{} }},
}

func metadataName(meta *yaml.Node) string {
	if meta.Kind != yaml.MappingNode {
		return ""
	}
	_, n := mappingValue(meta, "name")
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	if n.ShortTag() != "!!str" {
		return ""
	}
	return n.Value
}

// decodeList decodes a v1 List: metadata is ignored, items decoded in order.
func (d *decoder) decodeList(root *yaml.Node, prefix, apiVersion string) []Object {
	var out []Object
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolveAlias(root.Content[i]), resolveAlias(root.Content[i+1])
		switch k.Value {
		case "kind", "apiVersion", "metadata":
		case "items":
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				d.kind, d.name = "List", ""
				d.typeErr(v, join(prefix, "items"), "expected a sequence, got "+describe(v))
				continue
			}
			for j, item := range v.Content {
				out = append(out, d.decodeDocument(item, fmt.Sprintf("%s[%d]", join(prefix, "items"), j))...)
			}
		default:
			d.kind, d.name = "List", ""
			d.strictErr(k, join(prefix, k.Value), fmt.Sprintf("unknown field %q", join(prefix, k.Value)))
		}
	}
	return out
}

func pathPrefix(p string) string {
	if p == "" {
		return ""
	}
	return p + ": "
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// ---------------------------------------------------------------- struct fields

type fieldInfo struct {
	name  string
	index []int
}

type structFields struct {
	byName map[string]fieldInfo
}

var structCache sync.Map // reflect.Type -> *structFields

// fieldsOf lists the json-visible fields of a struct type, flattening
// embedded structs that have no json name, as encoding/json does.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := structCache.Load(t); ok {
		return f.(*structFields)
	}
	sf := &structFields{byName: map[string]fieldInfo{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := sf.byName[name]; !dup {
				sf.byName[name] = fieldInfo{name: name, index: idx}
			}
		}
	}
	walk(t, nil)
	structCache.Store(t, sf)
	return sf
}

// ---------------------------------------------------------------- values

var (
	typeQuantity     = reflect.TypeOf(Quantity{})
	typeIntOrString  = reflect.TypeOf(IntOrString{})
	typeTime         = reflect.TypeOf(Time{})
	typeMicroTime    = reflect.TypeOf(MicroTime{})
	typeDuration     = reflect.TypeOf(Duration{})
	typeRawExtension = reflect.TypeOf(RawExtension{})
	typeBytes        = reflect.TypeOf([]byte(nil))
)

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// value decodes n into v (settable) at field path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n == nil {
		return
	}
	t := v.Type()
	if isNull(n) {
		// JSON null leaves value types alone and clears references.
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			v.SetZero()
		default:
			if t == typeTime || t == typeMicroTime || t == typeRawExtension {
				v.SetZero()
			}
		}
		return
	}
	switch t {
	case typeQuantity:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			d.typeErr(n, path, "expected a quantity, got "+describe(n))
			return
		}
		q, err := ParseQuantity(strings.TrimSpace(n.Value))
		if err != nil {
			d.typeErr(n, path, err.Error())
			return
		}
		v.Set(reflect.ValueOf(q))
		return
	case typeIntOrString:
		if n.Kind == yaml.ScalarNode {
			switch n.ShortTag() {
			case "!!str":
				v.Set(reflect.ValueOf(FromString(n.Value)))
				return
			case "!!int":
				var i int64
				if err := n.Decode(&i); err == nil && i >= math.MinInt32 && i <= math.MaxInt32 {
					v.Set(reflect.ValueOf(FromInt32(int32(i))))
					return
				}
			}
		}
		d.typeErr(n, path, "expected an integer or a string, got "+describe(n))
		return
	case typeTime, typeMicroTime:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
			d.typeErr(n, path, "expected an RFC 3339 timestamp, got "+describe(n))
			return
		}
		var err error
		if t == typeTime {
			var tm Time
			err = tm.UnmarshalText([]byte(n.Value))
			v.Set(reflect.ValueOf(tm))
		} else {
			var tm MicroTime
			err = tm.UnmarshalText([]byte(n.Value))
			v.Set(reflect.ValueOf(tm))
		}
		if err != nil {
			d.typeErr(n, path, err.Error())
		}
		return
	case typeDuration:
		var du Duration
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.typeErr(n, path, "expected a duration string, got "+describe(n))
			return
		}
		if err := du.UnmarshalText([]byte(n.Value)); err != nil {
			d.typeErr(n, path, err.Error())
			return
		}
		v.Set(reflect.ValueOf(du))
		return
	case typeRawExtension:
		var x any
		if err := n.Decode(&x); err != nil {
			d.typeErr(n, path, err.Error())
			return
		}
		raw, err := json.Marshal(jsonCompatible(x))
		if err != nil {
			d.typeErr(n, path, err.Error())
			return
		}
		v.Set(reflect.ValueOf(RawExtension{Raw: raw}))
		return
	case typeBytes:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.typeErr(n, path, "expected a base64 string, got "+describe(n))
			return
		}
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			d.typeErr(n, path, "expected base64 data: "+err.Error())
			return
		}
		v.SetBytes(b)
		return
	}

	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		d.structValue(n, v, path)
	case reflect.Map:
		d.mapValue(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeErr(n, path, "expected a sequence, got "+describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		// An unquoted date stays text, as with kubectl's YAML reader.
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
			d.typeErr(n, path, "expected a string, got "+describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.typeErr(n, path, "expected a boolean, got "+describe(n))
			return
		}
		var b bool
		_ = n.Decode(&b)
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.typeErr(n, path, "expected an integer, got "+describe(n))
			return
		}
		if v.OverflowInt(i) {
			d.typeErr(n, path, fmt.Sprintf("integer %s out of range for %s", n.Value, intTypeName(t)))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var i uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.typeErr(n, path, "expected a non-negative integer, got "+describe(n))
			return
		}
		if v.OverflowUint(i) {
			d.typeErr(n, path, fmt.Sprintf("integer %s out of range for %s", n.Value, intTypeName(t)))
			return
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
			d.typeErr(n, path, "expected a number, got "+describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.typeErr(n, path, err.Error())
			return
		}
		v.Set(reflect.ValueOf(jsonCompatible(x)))
	default:
		d.typeErr(n, path, "cannot decode into "+t.String())
	}
}

func intTypeName(t reflect.Type) string {
	return t.Kind().String()
}

func (d *decoder) structValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "expected a mapping, got "+describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.typeErr(k, path, "expected a string key, got "+describe(k))
			continue
		}
		fp := join(path, k.Value)
		if seen[k.Value] {
			d.strictErr(k, fp, fmt.Sprintf("duplicate field %q", fp))
			continue
		}
		seen[k.Value] = true
		f, ok := fields.byName[k.Value]
		if !ok {
			d.strictErr(k, fp, fmt.Sprintf("unknown field %q", fp))
			continue
		}
		d.value(val, fieldByIndexAlloc(v, f.index), fp)
	}
}

// fieldByIndexAlloc is FieldByIndex that allocates nil embedded pointers.
func fieldByIndexAlloc(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

func (d *decoder) mapValue(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "expected a mapping, got "+describe(n))
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.typeErr(n, path, "cannot decode into "+t.String())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.typeErr(k, path, "expected a string key, got "+describe(k))
			continue
		}
		fp := path + "[" + k.Value + "]"
		if seen[k.Value] {
			d.strictErr(k, fp, fmt.Sprintf("duplicate field %q", fp))
			continue
		}
		seen[k.Value] = true
		elem := reflect.New(t.Elem()).Elem()
		d.value(val, elem, fp)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), elem)
	}
}

// jsonCompatible converts YAML-decoded generic data (maps with any keys)
// into data encoding/json accepts.
func jsonCompatible(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[k] = jsonCompatible(v)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[fmt.Sprint(k)] = jsonCompatible(v)
		}
		return m
	case []any:
		for i, v := range t {
			t[i] = jsonCompatible(v)
		}
		return t
	}
	return x
}

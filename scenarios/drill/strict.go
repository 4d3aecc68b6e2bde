package drill

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Strict decoding of drill files: every key must be known, every value of
// the expected kind, and every mistake is reported with the file, the line
// and the path of the field, so an instructor can fix a drill without
// guessing.

// Error is one mistake in a drill file.
type Error struct {
	File    string
	Line    int
	Column  int
	Path    string
	Message string
}

func (e *Error) Error() string {
	if e.File == "" {
		return e.Message // already located (a manifest's own error)
	}
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Message)
	}
	return fmt.Sprintf("%s: %s", loc, e.Message)
}

// Errors is every mistake found in a file.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

type decoder struct {
	file string
	errs Errors
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// nodeDecoder is implemented by types that decode themselves.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

var durationType = reflect.TypeOf(Duration(0))

// decode fills v (a pointer) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeNode(d, n, path)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return
		}
		nv := reflect.New(v.Type().Elem())
		d.decode(n, nv.Elem(), path)
		v.Set(nv)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping, got %s", describe(n))
			return
		}
		fields := map[string]reflect.Value{}
		var names []string
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = v.Field(i)
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			fp := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				sort.Strings(names)
				d.fail(k, fp, "unknown field %q (expected one of: %s)", k.Value, strings.Join(names, ", "))
				continue
			}
			if seen[k.Value] {
				d.fail(k, fp, "duplicate field %q", k.Value)
				continue
			}
			seen[k.Value] = true
			d.decode(val, f, fp)
		}
		if lf := v.FieldByName("Line"); lf.IsValid() && lf.Kind() == reflect.Int {
			lf.SetInt(int64(n.Line))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			d.decode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping, got %s", describe(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, ev, join(path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value), ev)
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int32, reflect.Int64:
		var x int64
		if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
			d.fail(n, path, "expected an integer, got %s", describe(n))
			return
		}
		v.SetInt(x)
	case reflect.Uint64:
		var x uint64
		if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
			d.fail(n, path, "expected a non-negative integer, got %s", describe(n))
			return
		}
		v.SetUint(x)
	case reflect.Bool:
		var x bool
		if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
			d.fail(n, path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(x)
	default:
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// Duration is a virtual duration written as Go does ("90s", "5m", "1h30m").
type Duration time.Duration

func (dur *Duration) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a duration such as 30s or 5m, got %s", describe(n))
		return
	}
	x, err := time.ParseDuration(n.Value)
	if err != nil || x < 0 {
		d.fail(n, path, "expected a duration such as 30s or 5m, got %q", n.Value)
		return
	}
	*dur = Duration(x)
}

// Text is narration in English and Korean. A plain string is English only.
type Text struct {
	En string `yaml:"en"`
	Ko string `yaml:"ko"`
}

func (t *Text) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		t.En = n.Value
		return
	}
	type plain Text
	var p plain
	d.decode(n, reflect.ValueOf(&p).Elem(), path)
	*t = Text(p)
}

// In returns the text in a language, falling back to English.
func (t Text) In(lang string) string {
	if lang == "ko" && t.Ko != "" {
		return t.Ko
	}
	return t.En
}

// Manifest is an inline manifest; Line is where it starts in the drill file,
// so errors inside it point into the drill file.
type Manifest struct {
	Text   string
	Line   int
	Indent int
}

func (m *Manifest) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a manifest as a block string (apply: |), got %s", describe(n))
		return
	}
	m.Text, m.Line = n.Value, n.Line
	if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
		m.Line = n.Line + 1
	}
}

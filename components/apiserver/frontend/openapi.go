package frontend

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The OpenAPI v3 schemas of the served kinds, for `kubectl explain` and
// kubectl's field validation.
//
// A schema describes kubesim's own type — the fields it serves, no more —
// with the documentation of the matching field of k8s.io/api's generated
// type (its SwaggerDoc), so `kubectl explain pods.spec` prints what it
// prints against a real cluster for every field kubesim models, and
// nothing for fields it does not. Each group version's document carries
// the schemas its kinds reach, named as the real ones
// (io.k8s.api.core.v1.PodSpec, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta).

type schemaBuilder struct {
	schemas map[string]map[string]any
}

var (
	timeType        = reflect.TypeOf(api.Time{})
	quantityType    = reflect.TypeOf(api.Quantity{})
	intOrStringType = reflect.TypeOf(api.IntOrString{})
	jsonMarshaler   = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

// schemaName is the OpenAPI name of a type: that of its k8s.io/api twin,
// or one under io.kubesim for the kinds k8s.io/api does not define.
func schemaName(ours, theirs reflect.Type) string {
	if theirs != nil && theirs.PkgPath() != "" {
		p := theirs.PkgPath()
		switch {
		case strings.HasPrefix(p, "k8s.io/api/"):
			return "io.k8s.api." + strings.ReplaceAll(strings.TrimPrefix(p, "k8s.io/api/"), "/", ".") + "." + theirs.Name()
		case strings.HasPrefix(p, "k8s.io/apimachinery/"):
			return "io.k8s.apimachinery." + strings.ReplaceAll(strings.TrimPrefix(p, "k8s.io/apimachinery/"), "/", ".") + "." + theirs.Name()
		}
	}
	return "io.kubesim.api." + ours.Name()
}

// swaggerDoc is the documentation k8s.io/api generated for a type.
func swaggerDoc(t reflect.Type) map[string]string {
	if t == nil {
		return nil
	}
	if m, ok := reflect.New(t).Elem().Interface().(interface{ SwaggerDoc() map[string]string }); ok {
		return m.SwaggerDoc()
	}
	return nil
}

// jsonFields lists a struct's JSON fields, inline structs flattened.
type jsonField struct {
	name string
	sf   reflect.StructField
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, sf: f})
	}
	return out
}

func fieldOf(t reflect.Type, name string) (reflect.Type, bool) {
	if t == nil || t.Kind() != reflect.Struct {
		return nil, false
	}
	for _, f := range jsonFields(t) {
		if f.name == name {
			return f.sf.Type, true
		}
	}
	return nil, false
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// named registers a leaf schema under its real name and refers to it.
func (b *schemaBuilder) named(name string, s map[string]any) map[string]any {
	b.schemas[name] = s
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// ref builds (once) the schema of a struct and returns a reference to it.
func (b *schemaBuilder) ref(ours, theirs reflect.Type) map[string]any {
	name := schemaName(ours, theirs)
	if _, ok := b.schemas[name]; !ok {
		s := map[string]any{"type": "object"}
		b.schemas[name] = s // placeholder: recursive types end here
		doc := swaggerDoc(theirs)
		if d := doc[""]; d != "" {
			s["description"] = d
		}
		props := map[string]any{}
		for _, f := range jsonFields(ours) {
			var twin reflect.Type
			if t, ok := fieldOf(theirs, f.name); ok {
				twin = t
			}
			p := b.schema(f.sf.Type, twin)
			if d := doc[f.name]; d != "" {
				if _, isRef := p["$ref"]; isRef {
					p = map[string]any{"allOf": []any{p}, "description": d}
				} else {
					p["description"] = d
				}
			}
			props[f.name] = p
		}
		s["properties"] = props
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// schema is the schema of a value of type ours (theirs: its k8s.io/api
// twin, when known).
func (b *schemaBuilder) schema(ours, theirs reflect.Type) map[string]any {
	ours, theirs = deref(ours), deref(theirs)
	switch ours {
	case timeType:
		return b.named("io.k8s.apimachinery.pkg.apis.meta.v1.Time", map[string]any{"type": "string", "format": "date-time",
			"description": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers."})
	case quantityType:
		return b.named("io.k8s.apimachinery.pkg.api.resource.Quantity", map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}},
			"description": "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors."})
	case intOrStringType:
		return b.named("io.k8s.apimachinery.pkg.util.intstr.IntOrString", map[string]any{"oneOf": []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}, "format": "int-or-string",
			"description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number."})
	}
	switch ours.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int32, reflect.Uint32, reflect.Int16, reflect.Uint16, reflect.Int8, reflect.Uint8:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number", "format": "double"}
	case reflect.Slice:
		if ours.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		var te reflect.Type
		if theirs != nil && theirs.Kind() == reflect.Slice {
			te = theirs.Elem()
		}
		return map[string]any{"type": "array", "items": b.schema(ours.Elem(), te)}
	case reflect.Map:
		var te reflect.Type
		if theirs != nil && theirs.Kind() == reflect.Map {
			te = theirs.Elem()
		}
		return map[string]any{"type": "object", "additionalProperties": b.schema(ours.Elem(), te)}
	case reflect.Struct:
		if ours.Implements(jsonMarshaler) || reflect.PointerTo(ours).Implements(jsonMarshaler) {
			return map[string]any{"type": "string"}
		}
		if theirs != nil && theirs.Kind() != reflect.Struct {
			theirs = nil
		}
		return b.ref(ours, theirs)
	case reflect.Interface:
		return map[string]any{"type": "object"}
	}
	return map[string]any{}
}

// components builds the schemas of a group version's kinds.
func components(g groupVersionResources) map[string]any {
	b := &schemaBuilder{schemas: map[string]map[string]any{}}
	for _, res := range g.resources {
		if res.IsCustom() {
			continue
		}
		ours := reflect.TypeOf(res.New()).Elem()
		var theirs reflect.Type
		if obj, err := wireScheme.New(schema.GroupVersionKind{Group: res.Group, Version: res.Version, Kind: res.Kind}); err == nil {
			theirs = reflect.TypeOf(obj).Elem()
		}
		b.ref(ours, theirs)
		name := schemaName(ours, theirs)
		b.schemas[name]["x-kubernetes-group-version-kind"] = []map[string]string{{"group": res.Group, "version": res.Version, "kind": res.Kind}}
	}
	customSchemas(b, g)
	names := make([]string, 0, len(b.schemas))
	for n := range b.schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]any, len(names))
	for _, n := range names {
		out[n] = b.schemas[n]
	}
	return map[string]any{"schemas": out}
}

package api

import (
	"maps"
	"reflect"
	"sync"
	"time"
)

// DeepCopy returns a copy of obj that shares no mutable memory with it:
// pointers, slices and maps are duplicated, nil stays nil and empty stays
// empty. It is the way to get a writable object from a shared one.
func DeepCopy[T Object](obj T) T { return DeepCopyValue(obj) }

// DeepCopyObject is DeepCopy for an Object of unknown kind.
func DeepCopyObject(obj Object) Object {
	if obj == nil {
		return nil
	}
	return DeepCopyValue(obj)
}

// DeepCopyList deep-copies a list object.
func DeepCopyList[T ListObject](list T) T { return DeepCopyValue(list) }

// DeepCopyValue deep-copies any value built from the types of this package
// (or plain Go data). It walks the value by reflection without a JSON
// round trip; per-type plans are cached so that only the fields that hold
// pointers, slices or maps are visited. time.Time values are immutable and
// copied as values. A type with an unexported field that holds references
// cannot be copied this way and panics (none of the API types has one).
func DeepCopyValue[T any](v T) T {
	src := reflect.ValueOf(&v).Elem()
	var out T
	dst := reflect.ValueOf(&out).Elem()
	deepCopyInto(dst, src)
	return out
}

// immutableTypes are copied by assignment even though they hold pointers.
var immutableTypes = map[reflect.Type]bool{
	reflect.TypeOf(time.Time{}):     true,
	reflect.TypeOf(Time{}):          true,
	reflect.TypeOf(MicroTime{}):     true,
	reflect.TypeOf(time.Location{}): true,
}

// copyFunc copies src into the settable dst of the same type.
type copyFunc func(dst, src reflect.Value)

// copiers caches one compiled copyFunc per type; nil means a plain
// assignment is already a deep copy.
var copiers sync.Map // reflect.Type -> copyFunc

func deepCopyInto(dst, src reflect.Value) {
	if c := copierFor(src.Type()); c != nil {
		c(dst, src)
		return
	}
	dst.Set(src)
}

func copierFor(t reflect.Type) copyFunc {
	if c, ok := copiers.Load(t); ok {
		return c.(copyFunc)
	}
	c := compileCopier(t, map[reflect.Type]*copyFunc{})
	copiers.Store(t, c)
	return c
}

// isFlat reports whether assignment deep-copies t: it holds no pointer,
// slice, map, interface, channel or function (time values excepted).
func isFlat(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if immutableTypes[t] {
		return true
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	case reflect.Array:
		return isFlat(t.Elem(), visiting)
	case reflect.Struct:
		if visiting[t] {
			return false
		}
		visiting[t] = true
		defer delete(visiting, t)
		for i := 0; i < t.NumField(); i++ {
			if !isFlat(t.Field(i).Type, visiting) {
				return false
			}
		}
	}
	return true
}

// compileCopier builds the copier of t once, so that copying walks only
// the parts of a value that hold references, without re-inspecting types.
func compileCopier(t reflect.Type, inProgress map[reflect.Type]*copyFunc) copyFunc {
	if isFlat(t, map[reflect.Type]bool{}) {
		return nil
	}
	if slot, ok := inProgress[t]; ok {
		// A recursive type: call through the slot filled in below.
		return func(dst, src reflect.Value) { (*slot)(dst, src) }
	}
	slot := new(copyFunc)
	inProgress[t] = slot
	var c copyFunc
	switch t.Kind() {
	case reflect.Pointer:
		elem := t.Elem()
		ec := compileCopier(elem, inProgress)
		c = func(dst, src reflect.Value) {
			if src.IsNil() {
				dst.SetZero()
				return
			}
			n := reflect.New(elem)
			if ec != nil {
				ec(n.Elem(), src.Elem())
			} else {
				n.Elem().Set(src.Elem())
			}
			dst.Set(n)
		}
	case reflect.Slice:
		ec := compileCopier(t.Elem(), inProgress)
		c = func(dst, src reflect.Value) {
			if src.IsNil() {
				dst.SetZero()
				return
			}
			n := reflect.MakeSlice(t, src.Len(), src.Len())
			if ec == nil {
				reflect.Copy(n, src)
			} else {
				for i := 0; i < src.Len(); i++ {
					ec(n.Index(i), src.Index(i))
				}
			}
			dst.Set(n)
		}
	case reflect.Map:
		kc := compileCopier(t.Key(), inProgress)
		vc := compileCopier(t.Elem(), inProgress)
		// The common flat maps are cloned without reflection.
		switch t {
		case reflect.TypeOf(map[string]string(nil)):
			c = func(dst, src reflect.Value) {
				dst.Set(reflect.ValueOf(maps.Clone(src.Interface().(map[string]string))))
			}
		case reflect.TypeOf(ResourceList(nil)):
			c = func(dst, src reflect.Value) {
				dst.Set(reflect.ValueOf(maps.Clone(src.Interface().(ResourceList))))
			}
		}
		if c != nil {
			break
		}
		c = func(dst, src reflect.Value) {
			if src.IsNil() {
				dst.SetZero()
				return
			}
			n := reflect.MakeMapWithSize(t, src.Len())
			it := src.MapRange()
			for it.Next() {
				k, v := it.Key(), it.Value()
				if kc != nil {
					kk := reflect.New(t.Key()).Elem()
					kc(kk, k)
					k = kk
				}
				if vc != nil {
					vv := reflect.New(t.Elem()).Elem()
					vc(vv, v)
					v = vv
				}
				n.SetMapIndex(k, v)
			}
			dst.Set(n)
		}
	case reflect.Interface:
		c = func(dst, src reflect.Value) {
			if src.IsNil() {
				dst.SetZero()
				return
			}
			e := src.Elem()
			n := reflect.New(e.Type()).Elem()
			deepCopyInto(n, e)
			dst.Set(n)
		}
	case reflect.Struct:
		type fieldCopier struct {
			index int
			copy  copyFunc
		}
		var fields []fieldCopier
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			fc := compileCopier(f.Type, inProgress)
			if fc == nil {
				continue
			}
			if !f.IsExported() {
				panic("api: DeepCopy cannot copy unexported field " + t.String() + "." + f.Name)
			}
			fields = append(fields, fieldCopier{i, fc})
		}
		c = func(dst, src reflect.Value) {
			dst.Set(src)
			for _, f := range fields {
				f.copy(dst.Field(f.index), src.Field(f.index))
			}
		}
	case reflect.Array:
		ec := compileCopier(t.Elem(), inProgress)
		c = func(dst, src reflect.Value) {
			dst.Set(src)
			if ec == nil {
				return
			}
			for i := 0; i < src.Len(); i++ {
				ec(dst.Index(i), src.Index(i))
			}
		}
	default:
		// Channels and functions have no deep copy: they are shared.
		c = func(dst, src reflect.Value) { dst.Set(src) }
	}
	*slot = c
	delete(inProgress, t)
	return c
}

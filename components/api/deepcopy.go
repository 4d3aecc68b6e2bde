package api

import (
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
// copied as values.
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

// copyPlan says, for a type, whether a plain assignment is a deep copy and,
// for structs, which fields need a deeper walk.
type copyPlan struct {
	flat   bool
	fields []int
}

var copyPlans sync.Map // reflect.Type -> *copyPlan

func planFor(t reflect.Type) *copyPlan {
	if p, ok := copyPlans.Load(t); ok {
		return p.(*copyPlan)
	}
	p := buildPlan(t, map[reflect.Type]bool{})
	copyPlans.Store(t, p)
	return p
}

func buildPlan(t reflect.Type, visiting map[reflect.Type]bool) *copyPlan {
	if immutableTypes[t] {
		return &copyPlan{flat: true}
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return &copyPlan{flat: false}
	case reflect.Array:
		if visiting[t] {
			return &copyPlan{flat: false}
		}
		visiting[t] = true
		return &copyPlan{flat: buildPlan(t.Elem(), visiting).flat}
	case reflect.Struct:
		if visiting[t] {
			return &copyPlan{flat: false}
		}
		visiting[t] = true
		p := &copyPlan{flat: true}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !buildPlan(f.Type, visiting).flat {
				if !f.IsExported() {
					panic("api: DeepCopy cannot copy unexported field " + t.String() + "." + f.Name)
				}
				p.flat = false
				p.fields = append(p.fields, i)
			}
		}
		return p
	}
	return &copyPlan{flat: true}
}

func deepCopyInto(dst, src reflect.Value) {
	t := src.Type()
	p := planFor(t)
	if p.flat {
		dst.Set(src)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.New(t.Elem())
		deepCopyInto(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeSlice(t, src.Len(), src.Len())
		if planFor(t.Elem()).flat {
			reflect.Copy(n, src)
		} else {
			for i := 0; i < src.Len(); i++ {
				deepCopyInto(n.Index(i), src.Index(i))
			}
		}
		dst.Set(n)
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeMapWithSize(t, src.Len())
		flatKey, flatVal := planFor(t.Key()).flat, planFor(t.Elem()).flat
		it := src.MapRange()
		for it.Next() {
			k, v := it.Key(), it.Value()
			if !flatKey {
				kc := reflect.New(t.Key()).Elem()
				deepCopyInto(kc, k)
				k = kc
			}
			if !flatVal {
				vc := reflect.New(t.Elem()).Elem()
				deepCopyInto(vc, v)
				v = vc
			}
			n.SetMapIndex(k, v)
		}
		dst.Set(n)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		e := src.Elem()
		c := reflect.New(e.Type()).Elem()
		deepCopyInto(c, e)
		dst.Set(c)
	case reflect.Struct:
		dst.Set(src)
		for _, i := range p.fields {
			deepCopyInto(dst.Field(i), src.Field(i))
		}
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			deepCopyInto(dst.Index(i), src.Index(i))
		}
	default:
		// Channels and functions are shared: they have no deep copy.
		dst.Set(src)
	}
}

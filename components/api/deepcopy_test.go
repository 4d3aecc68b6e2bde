package api

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scribble changes every value reachable from v: strings grow, numbers
// change, booleans flip, maps gain a key, and it follows pointers, slices
// and maps. Applied to a deep copy it must leave the original untouched.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			c := reflect.New(e.Type()).Elem()
			c.Set(e)
			scribble(c)
			if v.CanSet() {
				v.Set(c)
			}
		}
	case reflect.Struct:
		switch v.Type() {
		case typeQuantity:
			if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(Quantity).Add(MustParseQuantity("1"))))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				v.Index(i).SetUint(v.Index(i).Uint() + 1)
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			scribble(v.Index(i))
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			scribble(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			scribble(e)
			v.SetMapIndex(k, e)
		}
		if v.Type().Key().Kind() == reflect.String {
			v.SetMapIndex(reflect.ValueOf("scribbled").Convert(v.Type().Key()), reflect.New(v.Type().Elem()).Elem())
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + "~")
		}
	case reflect.Bool:
		if v.CanSet() {
			v.SetBool(!v.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.CanSet() {
			v.SetInt(v.Int() + 1)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.CanSet() {
			v.SetUint(v.Uint() + 1)
		}
	}
}

func TestDeepCopyEveryKind(t *testing.T) {
	originals := loadAllKinds(t)
	pristine := loadAllKinds(t)
	for i, obj := range originals {
		t.Run(obj.GetTypeMeta().Kind+"/"+obj.GetObjectMeta().Name, func(t *testing.T) {
			cp := DeepCopyObject(obj)
			require.Equal(t, obj, cp)
			require.NotSame(t, obj, cp)

			scribble(reflect.ValueOf(cp))
			assert.NotEqual(t, pristine[i], cp, "scribble changed nothing")
			assert.Equal(t, pristine[i], obj, "mutating the copy changed the original")
		})
	}
}

func TestDeepCopyKeepsNilAndEmpty(t *testing.T) {
	p := &Pod{Spec: PodSpec{Containers: []Container{}, NodeSelector: map[string]string{}}}
	cp := DeepCopy(p)
	assert.NotNil(t, cp.Spec.Containers)
	assert.Empty(t, cp.Spec.Containers)
	assert.NotNil(t, cp.Spec.NodeSelector)
	assert.Nil(t, cp.Spec.InitContainers)
	assert.Nil(t, cp.Labels)
	assert.Nil(t, cp.Spec.Affinity)
	var nilPod *Pod
	assert.Nil(t, DeepCopy(nilPod))
	assert.Nil(t, DeepCopyObject(nil))
}

func TestDeepCopyList(t *testing.T) {
	list := &PodList{Items: []Pod{{ObjectMeta: ObjectMeta{Name: "a", Labels: map[string]string{"x": "y"}}}}}
	cp := DeepCopyList(list)
	cp.Items[0].Labels["x"] = "z"
	assert.Equal(t, "y", list.Items[0].Labels["x"])
}

func BenchmarkDeepCopyPod(b *testing.B) {
	var pod *Pod
	for _, o := range loadAllKinds(b) {
		if p, ok := o.(*Pod); ok {
			pod = p
			break
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = DeepCopy(pod)
	}
}

package experiments

import "reflect"

// Load checks every sweep point of a file of up to maxLoadCheckedPoints
// points, and a Plan of the spec would check them all again before its
// first run: a fifth of the command's time on a 10,000-point sweep of a
// small page. Load keeps a deep copy of the spec it checked; a Plan of a
// spec still equal to it (reflect.DeepEqual: however it was changed,
// through Set, a field or a slice it shares) skips the second check.

// snapshot returns a deep copy of s's exported contents: every slice,
// map and pointer reached through exported fields is copied, so that no
// change to s shows in the copy. Unexported fields are copied as they
// are (the source a spec was loaded from is never changed).
func snapshot(s *Spec) *Spec {
	c := new(Spec)
	deepCopy(reflect.ValueOf(c).Elem(), reflect.ValueOf(s).Elem())
	return c
}

// deepCopy sets dst, which must be settable, to a deep copy of src.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			dst.Set(src)
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem())
		dst.Set(v)
	case reflect.Struct:
		dst.Set(src) // unexported fields as they are
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}

// checkedAtLoad reports whether Load checked every point of s and s has
// not changed since.
func (s *Spec) checkedAtLoad() bool {
	return s.src != nil && s.src.checked != nil && reflect.DeepEqual(s, s.src.checked)
}

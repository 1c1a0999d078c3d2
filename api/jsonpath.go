package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// encoding/json names a field at fault by Go struct path ("Decided.period", without array indexes)
// or only by its key (unknown fields). The ledger names fields by JSON path
// ("indicators[1].targets[0].year"), so these helpers find that path by walking the body again.

// frame is one open object or array while walking a body.
type frame struct {
	typ     reflect.Type // the Go type decoded into, nil where unknown
	object  bool
	key     string // object: the current key
	wantKey bool   // object: the next string token is a key
	index   int    // array: the current index
}

type walker struct {
	dec   *json.Decoder
	stack []frame
}

func newWalker(body []byte, t reflect.Type) *walker {
	w := &walker{dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	w.stack = []frame{{typ: t}} // a root frame, so that the top-level value has a parent
	return w
}

func (w *walker) path() string {
	var b strings.Builder
	for _, f := range w.stack[1:] {
		if f.object {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	return b.String()
}

// next reads one token. At a key it returns the key with isKey set and path the key's path; at the
// start of a value it returns value set and path the value's. It returns false at the end of the
// body or at a syntax error.
func (w *walker) next() (key string, isKey, value bool, path string, ok bool) {
	tok, err := w.dec.Token()
	if err != nil {
		return "", false, false, "", false
	}
	top := &w.stack[len(w.stack)-1]
	if s, isString := tok.(string); isString && top.object && top.wantKey {
		top.key, top.wantKey = s, false
		return s, true, false, w.path(), true
	}
	switch tok {
	case json.Delim('}'), json.Delim(']'):
		w.stack = w.stack[:len(w.stack)-1]
		w.done()
		return "", false, false, "", true
	case json.Delim('{'), json.Delim('['):
		path = w.path()
		w.stack = append(w.stack, frame{typ: w.childType(), object: tok == json.Delim('{'), wantKey: true})
		return "", false, true, path, true
	}
	path = w.path()
	w.done()
	return "", false, true, path, true
}

// done moves the innermost open container past the value just read.
func (w *walker) done() {
	top := &w.stack[len(w.stack)-1]
	if top.object {
		top.wantKey = true
	} else {
		top.index++
	}
}

// childType is the Go type of the value that starts now, within the innermost container.
func (w *walker) childType() reflect.Type {
	top := w.stack[len(w.stack)-1]
	t := deref(top.typ)
	switch {
	case t == nil:
		return nil
	case len(w.stack) == 1:
		return t
	case top.object && t.Kind() == reflect.Struct:
		if f, ok := fieldByJSONName(t, top.key); ok {
			return f.Type
		}
	case !top.object && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		return t.Elem()
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldByJSONName finds the field that encoding/json decodes key into, through embedded structs and
// ignoring case, as encoding/json does.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct {
			if g, ok := fieldByJSONName(deref(f.Type), key); ok {
				return g, true
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// pathAt returns the JSON path of the value the decoder was reading when it stopped at offset.
func pathAt(body []byte, offset int64) string {
	w := newWalker(body, nil)
	for {
		_, _, value, path, ok := w.next()
		if !ok {
			return ""
		}
		if value && w.dec.InputOffset() >= offset {
			return path
		}
	}
}

// unknownFieldPath returns the JSON path of the first key named name that v's type has no field for.
func unknownFieldPath(body []byte, v any, name string) string {
	w := newWalker(body, reflect.TypeOf(v))
	for {
		key, isKey, _, path, ok := w.next()
		if !ok {
			return name
		}
		if !isKey || key != name {
			continue
		}
		t := deref(w.stack[len(w.stack)-1].typ)
		if t == nil || t.Kind() != reflect.Struct {
			continue
		}
		if _, known := fieldByJSONName(t, key); !known {
			return path
		}
	}
}

package hivehub

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeStrict decodes a HiveHub answer into v, refusing what a lenient
// decoder would quietly resolve: a member named twice (which copy counts is
// up to the decoder, so a proxy and Synap could each read a different
// user_id) and a member whose name differs only in case from one of the
// contract's (`User_Id`), which encoding/json would take for `user_id`.
// Members the contract does not name at all are ignored, so HiveHub may add
// fields. The json/v2 decoder already matches names case-sensitively and
// rejects duplicates; the case check below turns its silent "unknown member"
// for a mis-cased name into an error.
func decodeStrict(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	return checkNames(jsontext.Value(raw), reflect.TypeOf(v).Elem(), "")
}

// checkNames walks an object already decoded into t and refuses member
// names that only a case-insensitive match would give to a field of t.
func checkNames(raw jsontext.Value, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			var items []jsontext.Value
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil // null; the typed decode already vetted the rest
			}
			for i, it := range items {
				if err := checkNames(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			return nil
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || raw.Kind() != '{' {
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	var members map[string]jsontext.Value
	if err := json.Unmarshal(raw, &members); err != nil {
		return err
	}
	for name, val := range members {
		if ft, ok := fields[name]; ok {
			if err := checkNames(val, ft, path+name+"."); err != nil {
				return err
			}
			continue
		}
		for want := range fields {
			if strings.EqualFold(name, want) {
				return fmt.Errorf("member %q differs only in case from %q", path+name, path+want)
			}
		}
	}
	return nil
}

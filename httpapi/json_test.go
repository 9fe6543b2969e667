package httpapi

import (
	"math"
	"testing"

	"synap/resp"
)

// RESP3 values map to JSON faithfully.
func TestEncoderValues(t *testing.T) {
	bulk := func(s string) resp.Value { return resp.Value{Kind: resp.KindBulk, Str: []byte(s)} }
	for _, tc := range []struct {
		name string
		v    resp.Value
		b64  bool
		want string
	}{
		{"null", resp.Value{Kind: resp.KindNull, Null: true}, false, `null`},
		{"null array", resp.Value{Kind: resp.KindArray, Null: true}, false, `null`},
		{"bool", resp.Value{Kind: resp.KindBool, Bool: true}, false, `true`},
		{"double", resp.Value{Kind: resp.KindDouble, Float: 1.5, Str: []byte("1.5")}, false, `1.5`},
		{"inf", resp.Value{Kind: resp.KindDouble, Float: math.Inf(1), Str: []byte("inf")}, false, `"inf"`},
		{"big number", resp.Value{Kind: resp.KindBigNumber, Str: []byte("123456789012345678901234567890")}, false, `"123456789012345678901234567890"`},
		{"verbatim", resp.Value{Kind: resp.KindVerbatim, Str: []byte("text"), Format: "txt"}, false, `"text"`},
		{"map", resp.Value{Kind: resp.KindMap, Elems: []resp.Value{bulk("a"), {Kind: resp.KindInt, Int: 1}}}, false, `{"a":1}`},
		{"map with non-string keys", resp.Value{Kind: resp.KindMap, Elems: []resp.Value{{Kind: resp.KindInt, Int: 1}, bulk("x")}}, false, `[[1,"x"]]`},
		{"set", resp.Value{Kind: resp.KindSet, Elems: []resp.Value{bulk("a")}}, false, `["a"]`},
		{"error in array", resp.Value{Kind: resp.KindArray, Elems: []resp.Value{{Kind: resp.KindError, Str: []byte("ERR x")}}}, false, `[{"error":"ERR x"}]`},
		{"escapes", bulk("a\"\\\n\x00"), false, `"a\"\\\n\u0000"`},
		{"base64 map", resp.Value{Kind: resp.KindMap, Elems: []resp.Value{bulk("a"), bulk("b")}}, true, `{"YQ==":"Yg=="}`},
		{"base64 binary", bulk("\xff\x00"), true, `"/wA="`},
	} {
		got, err := encoder{b64: tc.b64}.value(nil, tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.name, got, err, tc.want)
		}
	}
	if _, err := (encoder{}).value(nil, bulk("\xff")); err != errInvalidUTF8 {
		t.Errorf("invalid UTF-8 without base64: %v", err)
	}
}

package mcp

import (
	"encoding/json"
	"testing"

	"synap/resp"
)

// Every RESP3 reply kind as a tool's JSON result.
func TestToJSON(t *testing.T) {
	for _, tc := range []struct{ wire, want string }{
		{"+OK\r\n", `"OK"`},
		{"$3\r\nabc\r\n", `"abc"`},
		{"$2\r\n\xff\xfe\r\n", `{"base64":"//4="}`},
		{"$-1\r\n", `null`},
		{"*-1\r\n", `null`},
		{"_\r\n", `null`},
		{":-42\r\n", `-42`},
		{",1.5\r\n", `1.5`},
		{",inf\r\n", `"inf"`},
		{",-inf\r\n", `"-inf"`},
		{",nan\r\n", `"nan"`},
		{"#t\r\n", `true`},
		{"#f\r\n", `false`},
		{"(3492890328409238509324850943850943825024385\r\n", `"3492890328409238509324850943850943825024385"`},
		{"=8\r\ntxt:Some\r\n", `"Some"`},
		{"*2\r\n$1\r\na\r\n:1\r\n", `["a",1]`},
		{"*0\r\n", `[]`},
		{"~1\r\n$1\r\nx\r\n", `["x"]`},
		{"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*1\r\n#t\r\n", `{"a":1,"b":[true]}`},
		{"%0\r\n", `{}`},
		// Keys that are not strings: pairs, so nothing is lost.
		{"%1\r\n:1\r\n$1\r\nx\r\n", `[[1,"x"]]`},
		{"%1\r\n$1\r\n\xff\r\n$1\r\nx\r\n", `[[{"base64":"/w=="},"x"]]`},
		// EXEC with a failed command.
		{"*2\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", `["OK",{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"}]`},
		{">2\r\n$7\r\nmessage\r\n$1\r\nc\r\n", `["message","c"]`},
	} {
		v, _, err := resp.ParseValue([]byte(tc.wire))
		if err != nil {
			t.Fatalf("%q: %v", tc.wire, err)
		}
		b, err := json.Marshal(toJSON(v))
		if err != nil {
			t.Fatalf("%q: %v", tc.wire, err)
		}
		if string(b) != tc.want {
			t.Errorf("%q = %s, want %s", tc.wire, b, tc.want)
		}
	}
}

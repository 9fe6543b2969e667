package httpapi

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"synap/resp"
)

// Any body: parsing never panics, and a command it accepts comes back the
// same when written as JSON and parsed again (nothing is altered on the way
// in). Any reply: encoding never panics and, when it succeeds, is valid
// JSON.
func FuzzParseAndEncode(f *testing.F) {
	for _, s := range []string{`["SET","k","v"]`, `[["GET","k"],["INCR","n",1]]`, `["A",1e3,-0.5,"\u00e9"]`,
		`[`, `["\xff"]`, `[[]]`, `{"a":1}`, `["x"] ["y"]`, "*2\r\n$3\r\nfoo\r\n%1\r\n+a\r\n,1.5\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if args, err := parseOne(body); err == nil {
			strs := make([]string, len(args))
			for i, a := range args {
				strs[i] = string(a)
			}
			again, err := json.Marshal(strs)
			if err != nil {
				t.Fatalf("accepted args %q do not marshal: %v", strs, err)
			}
			back, err := parseOne(again)
			if err != nil || len(back) != len(args) {
				t.Fatalf("%s: reparsed %q, %v", again, back, err)
			}
			for i := range back {
				if !bytes.Equal(back[i], args[i]) {
					t.Fatalf("arg %d: %q became %q", i, args[i], back[i])
				}
			}
		}
		_, _ = parseMany(body)
		if v, _, err := resp.ParseValue(body); err == nil {
			for _, b64 := range []bool{false, true} {
				out, err := encoder{b64: b64}.value(nil, v)
				if err == nil && !jsontext.Value(out).IsValid() {
					t.Fatalf("%q encoded as invalid JSON %s", body, out)
				}
			}
		}
	})
}

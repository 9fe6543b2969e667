package resp

import (
	"reflect"
	"testing"
)

// Each case was checked against redis-server 7.0.15 by sending
// "RPUSH k <line>" inline and reading the list back (nil: Redis replied
// "unbalanced quotes in request").
var inlineCases = []struct {
	line string
	want []string
}{
	{"", []string{}},
	{"   \t ", []string{}},
	{"a b  c", []string{"a", "b", "c"}},
	{"a\tb\t", []string{"a", "b"}},
	{"a\rb", []string{"a", "b"}},
	{`"a b"`, []string{"a b"}},
	{`"\x41\x4a\x4A"`, []string{"AJJ"}},
	{`"\x4"`, []string{"x4"}},
	{`"\xzz"`, []string{"xzz"}},
	{`"a\x"`, []string{"ax"}},
	{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}},
	{`'a\'b'`, []string{"a'b"}},
	{`'a\nb'`, []string{`a\nb`}},
	{`'a\\b'`, []string{`a\\b`}},
	{`'a"b'`, []string{`a"b`}},
	{`"a'b"`, []string{"a'b"}},
	{`a"b c"`, []string{"ab c"}},
	{`a'b'`, []string{"ab"}},
	{`""`, []string{""}},
	{`"" ''`, []string{"", ""}},
	{`a\b`, []string{`a\b`}},
	{"\xff\xfe", []string{"\xff\xfe"}},
	// isspace() separates tokens and may follow a closing quote, but only
	// space, tab, CR and LF end an unquoted token.
	{"a\vb", []string{"a\vb"}},
	{"a\fb", []string{"a\fb"}},
	{"\v a \f", []string{"a"}},
	{"\"a\"\vb", []string{"a", "b"}},
	{"'a'\fb", []string{"a", "b"}},

	{`"a"b`, nil},
	{`'a'b`, nil},
	{`"a`, nil},
	{`'a`, nil},
	{`"a\"`, nil},
	{`"\`, nil},
	{`a"b c"d`, nil},
}

func TestInlineSplitArgs(t *testing.T) {
	for _, c := range inlineCases {
		got, ok := SplitArgs([]byte(c.line))
		if c.want == nil {
			if ok {
				t.Errorf("SplitArgs(%q) = %q, want unbalanced quotes", c.line, got)
			}
			continue
		}
		if !ok {
			t.Errorf("SplitArgs(%q): unbalanced, want %q", c.line, c.want)
			continue
		}
		strs := make([]string, len(got))
		for i, a := range got {
			strs[i] = string(a)
		}
		if !reflect.DeepEqual(strs, c.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", c.line, strs, c.want)
		}
	}
}

// Redis never parses an inline line holding a NUL: its strchr() stops
// there, so the client stalls until the 64KB inline limit. Synap keeps the
// byte, as it would in a bulk.
func TestInlineNulIsKept(t *testing.T) {
	got, ok := SplitArgs([]byte("ECHO a\x00b \"c\x00\""))
	if !ok || !reflect.DeepEqual(got, [][]byte{[]byte("ECHO"), []byte("a\x00b"), []byte("c\x00")}) {
		t.Fatalf("got %q, %v", got, ok)
	}
}

// An inline command goes through the Reader with its line ending removed
// and the same splitting.
func TestInlineThroughReader(t *testing.T) {
	for _, c := range inlineCases {
		if c.want == nil || len(c.want) == 0 {
			continue
		}
		for _, end := range []string{"\r\n", "\n"} {
			got, err := readerRun(readerWhole([]byte("X "+c.line+end)), DefaultLimits(), false)
			want := [][]string{append([]string{"X"}, c.want...)}
			if err != "" || !reflect.DeepEqual(got, want) {
				t.Errorf("%q: got %q, err %q; want %q", c.line+end, got, err, want)
			}
		}
	}
}

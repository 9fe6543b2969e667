package resp

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// Every reply type decodes to a Value that renders as resptest renders it,
// from a buffer (ParseValue) and from a stream (ReadValue) alike.
func TestParseValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+OK\r\n", "+OK"},
		{"-ERR bad\r\n", "-ERR bad"},
		{":-42\r\n", ":-42"},
		{"$3\r\na\r\n\r\n", `"a\r\n"`},
		{"$0\r\n\r\n", `""`},
		{"$-1\r\n", "nil"},
		{"*-1\r\n", "nil-array"},
		{"_\r\n", "null"},
		{",1.5\r\n", ",1.5"},
		{",inf\r\n", ",inf"},
		{"#t\r\n", "#t"},
		{"#f\r\n", "#f"},
		{"(12345678901234567890123\r\n", "(12345678901234567890123)"},
		{"!5\r\nERR x\r\n", "-ERR x"},
		{"=7\r\ntxt:abc\r\n", "=abc"},
		{"*2\r\n$1\r\na\r\n:1\r\n", `["a" :1]`},
		{"%1\r\n$1\r\nk\r\n*0\r\n", `{"k":[]}`},
		{"~1\r\n+x\r\n", "~[+x]"},
		{">2\r\n$7\r\nmessage\r\n$1\r\nc\r\n", `>["message" "c"]`},
	} {
		v, n, err := ParseValue([]byte(tc.in + "+next\r\n"))
		if err != nil || n != len(tc.in) || v.String() != tc.want {
			t.Errorf("ParseValue(%q) = %s, %d, %v; want %s, %d", tc.in, v, n, err, tc.want, len(tc.in))
		}
		rv, err := ReadValue(bufio.NewReader(strings.NewReader(tc.in)))
		if err != nil || rv.String() != tc.want {
			t.Errorf("ReadValue(%q) = %s, %v; want %s", tc.in, rv, err, tc.want)
		}
	}
	v, _, _ := ParseValue([]byte("=7\r\nmkd:abc\r\n"))
	if v.Format != "mkd" || string(v.Str) != "abc" {
		t.Errorf("verbatim: format %q text %q", v.Format, v.Str)
	}
	v, _, _ = ParseValue([]byte(",-inf\r\n"))
	if !math.IsInf(v.Float, -1) {
		t.Errorf("double -inf decoded as %v", v.Float)
	}
}

// Truncated or malformed input is an error, never a panic, and counts
// larger than the input allocate nothing for them.
func TestParseValueBad(t *testing.T) {
	for _, in := range []string{"", "+OK", "$5\r\nab\r\n", "*3\r\n:1\r\n", "*2147483647\r\n", "%9223372036854775807\r\n",
		"$9223372036854775807\r\n", "$-2\r\n", "~-1\r\n", ":x\r\n", "#x\r\n", ",abc\r\n", "(1.5\r\n", "=3\r\nabc\r\n",
		"?\r\n", "\r\n", "_x\r\n", "$1\r\nab\r\n", strings.Repeat("*1\r\n", 600) + ":1\r\n"} {
		if v, _, err := ParseValue([]byte(in)); err == nil {
			t.Errorf("ParseValue(%q) = %s, want an error", in, v)
		}
		if v, err := ReadValue(bufio.NewReader(strings.NewReader(in))); err == nil {
			t.Errorf("ReadValue(%q) = %s, want an error", in, v)
		}
	}
	if _, _, err := ParseValue([]byte("*2\r\n:1\r\n")); !errors.Is(err, ErrIncomplete) {
		t.Errorf("a truncated array: %v, want ErrIncomplete", err)
	}
}

// What the Writer writes decodes back to the same shape in either protocol.
func TestWriterDecodes(t *testing.T) {
	for _, tc := range []struct {
		proto int
		want  string
	}{
		{2, `[+OK :7 "b" nil "1.5" "2" ["k" "v"] ["m"] [:1 :0] "hi" [nil]]`},
		{3, `[+OK :7 "b" null ,1.5 ,2 {"k":"v"} ~["m"] [#t #f] =hi >[null]]`},
	} {
		w := NewWriter()
		w.Proto = tc.proto
		w.Array(11)
		w.OK()
		w.Int(7)
		w.BulkString("b")
		w.Null()
		w.Double(1.5)
		w.DoubleText([]byte("2"))
		w.Map(1)
		w.BulkString("k")
		w.BulkString("v")
		w.Set(1)
		w.BulkString("m")
		w.Array(2)
		w.Bool(true)
		w.Bool(false)
		w.Verbatim("hi")
		w.Push(1)
		w.Null()
		v, n, err := ParseValue(w.Buf)
		if err != nil || n != len(w.Buf) {
			t.Fatalf("RESP%d: %v after %d of %d bytes", tc.proto, err, n, len(w.Buf))
		}
		if got := v.String(); got != tc.want {
			t.Errorf("RESP%d: %s\nwant %s", tc.proto, v, tc.want)
		}
	}
}

// FuzzParseValue: any input decodes or fails, never panics, and what
// decodes from a buffer decodes the same from a stream.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$1\r\na\r\n%1\r\n:1\r\n_\r\n", ">1\r\n=7\r\ntxt:abc\r\n", "(1\r\n,nan\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ParseValue(b)
		if err != nil {
			return
		}
		rv, err := ReadValue(bufio.NewReader(bytes.NewReader(b[:n])))
		if err != nil || rv.String() != v.String() {
			t.Fatalf("%q: ParseValue %s, ReadValue %s, %v", b[:n], v, rv, err)
		}
	})
}

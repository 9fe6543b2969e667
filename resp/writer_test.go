package resp

import (
	"math"
	"strconv"
	"testing"
)

// Expected bytes are what redis-server 7.0.15 sends for the same reply shape
// (RESP2, and after HELLO 3).
var writerCases = []struct {
	name       string
	write      func(w *Writer)
	resp2, ret string
}{
	{"OK", func(w *Writer) { w.OK() }, "+OK\r\n", "+OK\r\n"},
	{"Simple", func(w *Writer) { w.Simple("PONG") }, "+PONG\r\n", "+PONG\r\n"},
	{"Simple keeps one line", func(w *Writer) { w.Simple("a\r\nb") }, "+a  b\r\n", "+a  b\r\n"},
	{"Error", func(w *Writer) { w.Error(ErrWrongType) },
		"-" + ErrWrongType + "\r\n", "-" + ErrWrongType + "\r\n"},
	{"Error keeps one line", func(w *Writer) { w.Error("ERR bad\r\n+OK") }, "-ERR bad  +OK\r\n", "-ERR bad  +OK\r\n"},
	{"Int", func(w *Writer) { w.Int(-5) }, ":-5\r\n", ":-5\r\n"},
	{"Int min", func(w *Writer) { w.Int(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
	{"Int max", func(w *Writer) { w.Int(math.MaxInt64) }, ":9223372036854775807\r\n", ":9223372036854775807\r\n"},
	{"Bulk binary", func(w *Writer) { w.Bulk([]byte("a\r\nb\x00")) }, "$5\r\na\r\nb\x00\r\n", "$5\r\na\r\nb\x00\r\n"},
	{"Bulk nil is empty, not null", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
	{"BulkString", func(w *Writer) { w.BulkString("héllo") }, "$6\r\nhéllo\r\n", "$6\r\nhéllo\r\n"},
	{"BulkInt", func(w *Writer) { w.BulkInt(-12) }, "$3\r\n-12\r\n", "$3\r\n-12\r\n"},
	{"BulkInt min", func(w *Writer) { w.BulkInt(math.MinInt64) }, "$20\r\n-9223372036854775808\r\n", "$20\r\n-9223372036854775808\r\n"},
	{"Null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
	{"NullArray", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
	{"Array", func(w *Writer) { w.Array(2) }, "*2\r\n", "*2\r\n"},
	{"Array empty", func(w *Writer) { w.Array(0) }, "*0\r\n", "*0\r\n"},
	{"Map", func(w *Writer) { w.Map(2) }, "*4\r\n", "%2\r\n"},
	{"Map empty", func(w *Writer) { w.Map(0) }, "*0\r\n", "%0\r\n"},
	{"Set", func(w *Writer) { w.Set(3) }, "*3\r\n", "~3\r\n"},
	{"Push", func(w *Writer) { w.Push(3) }, "*3\r\n", ">3\r\n"},
	{"Bool true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
	{"Bool false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
	{"Verbatim", func(w *Writer) { w.Verbatim("id=1\n") }, "$5\r\nid=1\n\r\n", "=9\r\ntxt:id=1\n\r\n"},
	{"Verbatim empty", func(w *Writer) { w.Verbatim("") }, "$0\r\n\r\n", "=4\r\ntxt:\r\n"},
	{"Raw", func(w *Writer) { w.Raw([]byte("(123\r\n")) }, "(123\r\n", "(123\r\n"},
	{"map of a set and a double", func(w *Writer) {
		w.Map(2)
		w.BulkString("s")
		w.Set(1)
		w.BulkString("m")
		w.BulkString("d")
		w.Double(2.5)
	},
		"*4\r\n$1\r\ns\r\n*1\r\n$1\r\nm\r\n$1\r\nd\r\n$3\r\n2.5\r\n",
		"%2\r\n$1\r\ns\r\n~1\r\n$1\r\nm\r\n$1\r\nd\r\n,2.5\r\n"},
}

func TestWriterMethods(t *testing.T) {
	for _, c := range writerCases {
		for _, proto := range []int{2, 3} {
			w := NewWriter()
			w.Proto = proto
			c.write(w)
			want := c.resp2
			if proto == 3 {
				want = c.ret
			}
			if got := string(w.Buf); got != want {
				t.Errorf("%s, RESP%d: got %q, want %q", c.name, proto, got, want)
			}
		}
	}
}

// Doubles as Redis 7.0 sends them for ZSCORE/ZINCRBY (%.17g): a bulk string
// in RESP2, a ',' double in RESP3. (INCRBYFLOAT is different: Redis formats
// it with long double precision and sends a bulk string in both protocols.)
var writerDoubles = []struct {
	f    float64
	text string
}{
	{0.1, "0.10000000000000001"},
	{1.5, "1.5"},
	{-1.5, "-1.5"},
	{3, "3"},
	{0, "0"},
	{1e20, "1e+20"},
	{1e17, "1e+17"},
	{1e16, "10000000000000000"},
	{123456.789, "123456.789"},
	{0.0001, "0.0001"},
	{1e-5, "1.0000000000000001e-05"},
	{5e-324, "4.9406564584124654e-324"},
	{math.MaxFloat64, "1.7976931348623157e+308"},
	{math.Inf(1), "inf"},
	{math.Inf(-1), "-inf"},
}

func TestWriterDouble(t *testing.T) {
	for _, d := range writerDoubles {
		w := NewWriter()
		w.Double(d.f)
		if want := "$" + strconv.Itoa(len(d.text)) + "\r\n" + d.text + "\r\n"; string(w.Buf) != want {
			t.Errorf("RESP2 Double(%v) = %q, want %q", d.f, w.Buf, want)
		}
		w = &Writer{Proto: 3}
		w.Double(d.f)
		if want := "," + d.text + "\r\n"; string(w.Buf) != want {
			t.Errorf("RESP3 Double(%v) = %q, want %q", d.f, w.Buf, want)
		}
		if got := string(AppendFloat([]byte("x"), d.f)); got != "x"+d.text {
			t.Errorf("AppendFloat(%v) = %q, want %q", d.f, got, "x"+d.text)
		}
	}
}

func TestWriterBuffer(t *testing.T) {
	w := NewWriter()
	if w.Proto != 2 {
		t.Fatalf("NewWriter speaks RESP%d, want RESP2", w.Proto)
	}
	w.OK()
	mark := w.Len()
	w.Int(1)
	w.BulkString("dropped")
	w.Truncate(mark)
	w.Int(2)
	if got := string(w.Buf); got != "+OK\r\n:2\r\n" || w.Len() != len(got) {
		t.Fatalf("after Truncate: %q (Len %d)", got, w.Len())
	}
	w.Reset()
	if w.Len() != 0 {
		t.Fatalf("Len after Reset = %d", w.Len())
	}
	w.Null()
	if got := string(w.Buf); got != "$-1\r\n" {
		t.Fatalf("after Reset: %q", got)
	}
}

package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// readerSrc serves its chunks one Read at a time (a chunk longer than the
// caller's buffer is served over several Reads) and records how much room
// the Reader offered on every Read, and how many buffers it read into.
type readerSrc struct {
	chunks [][]byte
	rest   int // bytes not served yet
	served int
	reads  []readerRead
	bufs   int
	end    *byte // the last byte of the buffer the last Read filled
}

type readerRead struct{ served, room, rest int }

func (s *readerSrc) Read(p []byte) (int, error) {
	s.reads = append(s.reads, readerRead{s.served, len(p), s.rest})
	if len(p) > 0 {
		if end := &p[:cap(p)][cap(p)-1]; end != s.end {
			s.bufs++
			s.end = end
		}
	}
	for len(s.chunks) > 0 && len(s.chunks[0]) == 0 {
		s.chunks = s.chunks[1:]
	}
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.chunks[0])
	s.chunks[0] = s.chunks[0][n:]
	s.rest -= n
	s.served += n
	return n, nil
}

func readerWhole(data []byte) *readerSrc { return &readerSrc{chunks: [][]byte{data}, rest: len(data)} }

func readerSplit(data []byte, at ...int) *readerSrc {
	s := &readerSrc{rest: len(data)}
	prev := 0
	for _, a := range at {
		s.chunks = append(s.chunks, data[prev:a])
		prev = a
	}
	s.chunks = append(s.chunks, data[prev:])
	return s
}

// readerSized serves data in chunks of the given sizes, cycling through them.
func readerSized(data []byte, sizes ...int) *readerSrc {
	s := &readerSrc{rest: len(data)}
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		s.chunks = append(s.chunks, data[:n])
		data = data[n:]
	}
	return s
}

func readerBytewise(data []byte) *readerSrc { return readerSized(data, 1) }

// readerRun drives a Reader the way a connection does and returns the
// commands it produced (copied, since they alias the buffer) and how it
// stopped: "" at a clean EOF, a protocol error's text, or "querybuf".
func readerRun(src io.Reader, lim Limits, preAuth bool) ([][]string, string) {
	got, stop := fuzzRun(src, lim, preAuth)
	cmds := make([][]string, len(got))
	for i, c := range got {
		cmds[i] = c.args
	}
	return cmds, stop
}

func readerErrText(err error) string {
	var pe *ProtocolError
	switch {
	case errors.As(err, &pe):
		return pe.Msg
	case errors.Is(err, ErrQueryBufLimit):
		return "querybuf"
	}
	return "unexpected: " + err.Error()
}

// readerEncode renders a multibulk request (resptest.Encode's twin, kept
// local so these tests do not depend on the helper they also exercise).
func readerEncode(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func readerRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

type readerCase struct {
	name    string
	in      string
	preAuth bool
	lim     func(*Limits)
	want    [][]string
	err     string
}

func (c readerCase) limits() Limits {
	lim := DefaultLimits()
	if c.lim != nil {
		c.lim(&lim)
	}
	return lim
}

const (
	kb64 = 64 << 10
)

// Every expectation below was checked against redis-server 7.0.15: the
// commands it runs and the exact error it replies before closing.
var readerCases = []readerCase{
	// Well-formed input.
	{name: "multibulk", in: "*1\r\n$4\r\nPING\r\n", want: [][]string{{"PING"}}},
	{name: "binary arguments", in: "*3\r\n$3\r\nSET\r\n$4\r\na\r\nb\r\n$3\r\n\x00\xff\x01\r\n",
		want: [][]string{{"SET", "a\r\nb", "\x00\xff\x01"}}},
	{name: "empty bulk", in: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", want: [][]string{{"ECHO", ""}}},
	{name: "pipeline of both framings",
		in:   "*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyo\r\nPING\n",
		want: [][]string{{"PING"}, {"ECHO", "hi"}, {"ECHO", "yo"}, {"PING"}}},
	{name: "inline quotes and escapes",
		in:   `SET "a b" 'c\'d' "\x41\n\t\\\"" plain ''` + "\r\n",
		want: [][]string{{"SET", "a b", "c'd", "A\n\t\\\"", "plain", ""}}},
	{name: "inline with LF only", in: "PING\nECHO  a \n", want: [][]string{{"PING"}, {"ECHO", "a"}}},
	{name: "blank lines are skipped", in: "\r\n\n   \r\n\t\r\nPING\r\n", want: [][]string{{"PING"}}},
	{name: "empty multibulk counts are skipped", in: "*0\r\n*-1\r\n*-5\r\nPING\r\n", want: [][]string{{"PING"}}},
	// string2ll accepts LLONG_MIN, so Redis skips this like any negative count.
	{name: "LLONG_MIN multibulk count is skipped", in: "*-9223372036854775808\r\nPING\r\n", want: [][]string{{"PING"}}},
	{name: "byte after CR is not checked", in: "*1\rX$4\rXPING\r\n", want: [][]string{{"PING"}}},
	{name: "bulk terminator is not checked", in: "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
		want: [][]string{{"PING"}, {"PING"}}},
	{name: "bulk of exactly MaxBulkLen", in: readerEncode("ECHO", "0123456789abcdef"),
		lim: func(l *Limits) { l.MaxBulkLen = 16 }, want: [][]string{{"ECHO", "0123456789abcdef"}}},
	{name: "multibulk of exactly MaxMultibulkLen", in: readerEncode("A", "B", "C", "D"),
		lim: func(l *Limits) { l.MaxMultibulkLen = 4 }, want: [][]string{{"A", "B", "C", "D"}}},

	// Incomplete input: Redis waits for more, so the stream just ends.
	{name: "incomplete bulk", in: "*2\r\n$4\r\nECHO\r\n$5\r\nhel"},
	{name: "INT_MAX arguments announced", in: "*2147483647\r\n"},
	{name: "512MB bulk announced", in: "*1\r\n$536870912\r\n"},
	// Redis looks for the CR before it checks the '$'.
	{name: "non-bulk element without CR yet", in: "*1\r\nx"},
	{name: "header of 64KB without CR", in: "*" + strings.Repeat("1", kb64-1)},
	{name: "bulk header of 64KB without CR", in: "*1\r\n$" + strings.Repeat("1", kb64-1)},
	{name: "inline of 64KB without LF", in: strings.Repeat("a", kb64)},

	// Malformed bulk lengths.
	{name: "MaxInt64 bulk length", in: "*1\r\n$9223372036854775807\r\n", err: ProtoInvalidBulk},
	{name: "bulk over proto-max-bulk-len", in: "*1\r\n$536870913\r\n", err: ProtoInvalidBulk},
	{name: "bulk over a small MaxBulkLen", in: "*1\r\n$17\r\n", lim: func(l *Limits) { l.MaxBulkLen = 16 }, err: ProtoInvalidBulk},
	{name: "negative bulk length", in: "*1\r\n$-1\r\n", err: ProtoInvalidBulk},
	{name: "LLONG_MIN bulk length", in: "*1\r\n$-9223372036854775808\r\n", err: ProtoInvalidBulk},
	{name: "bulk length with plus", in: "*1\r\n$+1\r\nx\r\n", err: ProtoInvalidBulk},
	{name: "bulk length with leading zero", in: "*1\r\n$01\r\nx\r\n", err: ProtoInvalidBulk},
	{name: "bulk length with leading space", in: "*1\r\n$ 1\r\nx\r\n", err: ProtoInvalidBulk},
	{name: "bulk length with trailing space", in: "*1\r\n$1 \r\nx\r\n", err: ProtoInvalidBulk},
	{name: "bulk length not a number", in: "*1\r\n$a\r\n", err: ProtoInvalidBulk},
	{name: "bulk length empty", in: "*1\r\n$\r\n", err: ProtoInvalidBulk},
	{name: "bulk length overflows", in: "*1\r\n$99999999999999999999\r\n", err: ProtoInvalidBulk},
	{name: "bulk length of 21 digits", in: "*1\r\n$100000000000000000000\r\n", err: ProtoInvalidBulk},
	{name: "bulk length ended by LF only", in: "*1\r\n$1\nx\r\n", err: ProtoInvalidBulk},

	// Malformed multibulk counts.
	{name: "count with plus", in: "*+1\r\n", err: ProtoInvalidMbulk},
	{name: "count with leading zero", in: "*01\r\n", err: ProtoInvalidMbulk},
	{name: "count with space", in: "* 1\r\n", err: ProtoInvalidMbulk},
	{name: "count not a number", in: "*a\r\n", err: ProtoInvalidMbulk},
	{name: "count empty", in: "*\r\n", err: ProtoInvalidMbulk},
	{name: "count minus zero", in: "*-0\r\n", err: ProtoInvalidMbulk},
	{name: "count over INT_MAX", in: "*2147483648\r\n", err: ProtoInvalidMbulk},
	{name: "count under LLONG_MIN", in: "*-9223372036854775809\r\nPING\r\n", err: ProtoInvalidMbulk},
	{name: "count ended by LF only", in: "*1\n$4\r\nPING\r\n", err: ProtoInvalidMbulk},
	{name: "count over a small MaxMultibulkLen", in: "*5\r\n", lim: func(l *Limits) { l.MaxMultibulkLen = 4 }, err: ProtoInvalidMbulk},
	{name: "long count with CR", in: "*" + strings.Repeat("1", 100) + "\r\n", err: ProtoInvalidMbulk},

	// Framing.
	{name: "element is not a bulk", in: "*1\r\nxyz\r\n", err: ProtoExpectedDollar('x')},
	{name: "element is a bare CRLF", in: "*1\r\n\r\n", err: ProtoExpectedDollar('\r')},
	{name: "element starts with LF", in: "*2\r\n$1\r\na\r\n\n\r\n", err: ProtoExpectedDollar('\n')},
	{name: "second element is not a bulk", in: "*2\r\n$4\r\nECHO\r\n:1\r\n", err: ProtoExpectedDollar(':')},
	{name: "header over 64KB without CR", in: "*" + strings.Repeat("1", kb64), err: ProtoTooBigMbulk},
	{name: "bulk header over 64KB without CR", in: "*1\r\n$" + strings.Repeat("1", kb64), err: ProtoTooBigBulk},
	{name: "garbage element over 64KB without CR", in: "*1\r\n" + strings.Repeat("x", kb64+1), err: ProtoTooBigBulk},
	{name: "inline over 64KB without LF", in: strings.Repeat("a", kb64+1), err: ProtoTooBigInline},
	// Redis accepts this only when the whole line happens to arrive in one
	// read; Synap refuses it however it arrives.
	{name: "inline over 64KB with LF", in: "ECHO " + strings.Repeat("a", kb64) + "\r\n", err: ProtoTooBigInline},
	{name: "unbalanced double quote", in: "PING \"a\r\n", err: ProtoUnbalancedQuote},
	{name: "unbalanced single quote", in: "PING 'a\r\n", err: ProtoUnbalancedQuote},
	{name: "closing quote glued to text", in: "ECHO \"a\"b\r\n", err: ProtoUnbalancedQuote},
	{name: "commands before an error still run", in: "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\nPING\r\n",
		want: [][]string{{"PING"}, {"PING"}}, err: ProtoInvalidBulk},

	// Before AUTH (only when a password is required).
	{name: "pre-auth 11 arguments", in: "*11\r\n", preAuth: true, err: ProtoUnauthMbulk},
	{name: "pre-auth 10 arguments", in: readerEncode(readerRepeat("PING", 10)...), preAuth: true,
		want: [][]string{readerRepeat("PING", 10)}},
	{name: "pre-auth bulk of 16385", in: "*1\r\n$16385\r\n", preAuth: true, err: ProtoUnauthBulk},
	{name: "pre-auth bulk of 16384", in: readerEncode(strings.Repeat("x", 16384)), preAuth: true,
		want: [][]string{{strings.Repeat("x", 16384)}}},
	{name: "pre-auth invalid count comes first", in: "*2147483648\r\n", preAuth: true, err: ProtoInvalidMbulk},
	{name: "pre-auth invalid bulk comes first", in: "*1\r\n$536870913\r\n", preAuth: true, err: ProtoInvalidBulk},
	{name: "pre-auth negative count", in: "*-1\r\nPING\r\n", preAuth: true, want: [][]string{{"PING"}}},
	{name: "pre-auth inline has no argument limit", in: "PING" + strings.Repeat(" a", 20) + "\r\n", preAuth: true,
		want: [][]string{append([]string{"PING"}, readerRepeat("a", 20)...)}},
	{name: "no pre-auth limits after auth", in: readerEncode(readerRepeat("x", 11)...) + readerEncode(strings.Repeat("y", 16385)),
		want: [][]string{readerRepeat("x", 11), {strings.Repeat("y", 16385)}}},

	// Query buffer limit: bytes held for a command still arriving.
	{name: "query buffer over the limit", in: "*1\r\n$2000\r\n" + strings.Repeat("x", 1500),
		lim: func(l *Limits) { l.MaxQueryBuf = 1024 }, err: "querybuf"},
	// Redis counts only bytes not yet parsed into arguments (it turns each
	// finished argument into an object), so this command is accepted.
	{name: "query buffer counts only the unfinished argument",
		in:   readerEncode("PING", strings.Repeat("a", 600), strings.Repeat("b", 600)),
		lim:  func(l *Limits) { l.MaxQueryBuf = 1024 },
		want: [][]string{{"PING", strings.Repeat("a", 600), strings.Repeat("b", 600)}}},
}

func TestReaderFraming(t *testing.T) {
	for _, c := range readerCases {
		t.Run(c.name, func(t *testing.T) {
			data := []byte(c.in)
			check := func(how string, src io.Reader) bool {
				t.Helper()
				got, err := readerRun(src, c.limits(), c.preAuth)
				if !reflect.DeepEqual(readerNorm(got), readerNorm(c.want)) || err != c.err {
					t.Errorf("%s: got %s, err %q; want %s, err %q", how, readerShow(got), err, readerShow(c.want), c.err)
					return false
				}
				return true
			}
			check("whole", readerWhole(data))
			check("1 byte per read", readerBytewise(data))
			splits := []int{1, len(data) / 2, len(data) - 1}
			if len(data) <= 4096 {
				splits = splits[:0]
				for i := 1; i < len(data); i++ {
					splits = append(splits, i)
				}
			}
			for _, i := range splits {
				if !check(fmt.Sprintf("split at %d", i), readerSplit(data, i)) {
					break // one split point is enough to diagnose
				}
			}
		})
	}
}

func readerNorm(cmds [][]string) [][]string {
	if len(cmds) == 0 {
		return nil
	}
	return cmds
}

// readerShow prints commands with long arguments abbreviated.
func readerShow(cmds [][]string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range cmds {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('[')
		for j, a := range c {
			if j > 0 {
				b.WriteByte(' ')
			}
			if len(a) > 40 {
				a = fmt.Sprintf("%s...(%d bytes)", a[:20], len(a))
			}
			fmt.Fprintf(&b, "%q", a)
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}

// A big bulk arriving in many reads is assembled with a bounded number of
// buffer growths (doubling, so copying stays linear), and a header alone never
// reserves memory far beyond what has arrived.
func TestReaderBigBulkInPieces(t *testing.T) {
	payload := make([]byte, 8<<20)
	for i := range payload {
		payload[i] = byte(i % 251)
	}
	data := []byte(readerEncode("SET", "k", string(payload)))
	header := len(data) - len(payload) - 2
	for _, src := range []*readerSrc{
		readerSized(data, 64<<10),
		readerSized(data, 1, 4093, 17, 8191, 2, 65521, 300),
	} {
		got, err := readerRun(src, DefaultLimits(), false)
		if err != "" || len(got) != 1 || len(got[0]) != 3 || got[0][0] != "SET" || got[0][1] != "k" ||
			got[0][2] != string(payload) {
			t.Fatalf("got %s, err %q", readerShow(got), err)
		}
		growths, lastRoom := 0, 0
		for _, r := range src.reads {
			if r.served < header {
				continue
			}
			if r.room > lastRoom {
				growths++
			}
			lastRoom = r.room
			if arrived := r.served - header; r.room > max(2*arrived, 64<<10) {
				t.Errorf("with %d payload bytes in, a read offered %d bytes of room: the header reserved memory ahead of the data", r.served-header, r.room)
				break
			}
		}
		if growths > 16 {
			t.Errorf("the buffer grew %d times for an 8 MB bulk: growth is not geometric", growths)
		}
	}
}

// A command of many arguments of a few KB each (RPUSH of 2,000 elements of
// 2 KB) grows its buffer geometrically too: capped at the end of the
// argument arriving, the buffer grew by one read's room at a time, and the
// 4 MB command was copied about a thousand times (0.2-0.9 s a command
// against redis-server's 20 ms; over 10 s under the race detector).
func TestReaderManyBigArgsGrowGeometrically(t *testing.T) {
	v := strings.Repeat("e", 2000)
	args := []string{"RPUSH", "l"}
	for i := range 2000 {
		args = append(args, strconv.Itoa(i)+v)
	}
	data := []byte(readerEncode(args...) + readerEncode("SET", "k", strings.Repeat("v", 1<<20)))
	src := readerSized(data, 4096)
	got, err := readerRun(src, DefaultLimits(), false)
	if err != "" || len(got) != 2 || !reflect.DeepEqual(got[0], args) || len(got[1]) != 3 || len(got[1][2]) != 1<<20 {
		t.Fatalf("got %d commands, err %q", len(got), err)
	}
	if src.bufs > 24 {
		t.Errorf("the reader read into %d buffers for a 4 MB command and a 1 MB one: growth is not geometric", src.bufs)
	}
}

// Parsing resumes where it stopped, so a command of many small arguments
// trickling in still parses to exactly its arguments.
func TestReaderManyArgsInPieces(t *testing.T) {
	args := make([]string, 100000)
	for i := range args {
		args[i] = fmt.Sprint(i % 97)
	}
	data := []byte(readerEncode(args...) + "PING\r\n")
	got, err := readerRun(readerSized(data, 7, 1, 13), DefaultLimits(), false)
	if err != "" || len(got) != 2 || !reflect.DeepEqual(got[0], args) || !reflect.DeepEqual(got[1], []string{"PING"}) {
		t.Fatalf("got %d commands, err %q", len(got), err)
	}
}

// Arguments alias the read buffer; a handler appending to one must not
// overwrite the next.
func TestReaderArgsAreCapped(t *testing.T) {
	rd := NewReader(readerWhole([]byte(readerEncode("SET", "key", "value"))), DefaultLimits())
	if err := rd.Fill(); err != nil {
		t.Fatal(err)
	}
	args, err := rd.Next(false)
	if err != nil || len(args) != 3 {
		t.Fatalf("args %q, err %v", args, err)
	}
	_ = append(args[0], "XXXXXXXX"...)
	_ = append(args[1], "YYYYYYYY"...)
	if string(args[1]) != "key" || string(args[2]) != "value" {
		t.Fatalf("appending to an argument changed its neighbours: %q", args)
	}
}

func TestReaderSetLimitsAppliesToNextCommand(t *testing.T) {
	data := []byte(readerEncode("PING") + readerEncode("PING"))
	rd := NewReader(readerWhole(data), DefaultLimits())
	if err := rd.Fill(); err != nil {
		t.Fatal(err)
	}
	if args, err := rd.Next(false); err != nil || len(args) != 1 {
		t.Fatalf("first: %q, %v", args, err)
	}
	lim := DefaultLimits()
	lim.MaxBulkLen = 3
	rd.SetLimits(lim)
	var pe *ProtocolError
	if _, err := rd.Next(false); !errors.As(err, &pe) || pe.Msg != ProtoInvalidBulk {
		t.Fatalf("second: err %v, want %q", err, ProtoInvalidBulk)
	}
}

type readerErrSrc struct {
	n   int
	err error
}

func (s readerErrSrc) Read([]byte) (int, error) { return s.n, s.err }

func TestReaderFillErrors(t *testing.T) {
	boom := errors.New("boom")
	if err := NewReader(readerErrSrc{err: boom}, DefaultLimits()).Fill(); err != boom {
		t.Errorf("source error: got %v", err)
	}
	if err := NewReader(readerErrSrc{}, DefaultLimits()).Fill(); err != io.ErrNoProgress {
		t.Errorf("empty read: got %v, want io.ErrNoProgress", err)
	}
}

func TestReaderBuffered(t *testing.T) {
	data := []byte("PING\r\nECHO x\r\n*1\r\n$4\r\nPI")
	rd := NewReader(readerWhole(data), DefaultLimits())
	if err := rd.Fill(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{len(data) - 6, len(data) - 14} {
		if args, err := rd.Next(false); err != nil || args == nil {
			t.Fatalf("Next: %q, %v", args, err)
		}
		if got := rd.Buffered(); got != want {
			t.Errorf("Buffered() = %d, want %d", got, want)
		}
	}
	if args, err := rd.Next(false); args != nil || err != nil {
		t.Fatalf("incomplete command returned %q, %v", args, err)
	}
	if got := rd.Buffered(); got != 10 {
		t.Errorf("Buffered() with a partial command = %d, want 10", got)
	}
}

// A pipeline far larger than one read parses to every command, in order.
func TestReaderLongPipeline(t *testing.T) {
	var b bytes.Buffer
	var want [][]string
	for i := 0; i < 20000; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&b, "ECHO %d\r\n", i)
		} else {
			b.WriteString(readerEncode("ECHO", fmt.Sprint(i)))
		}
		want = append(want, []string{"ECHO", fmt.Sprint(i)})
	}
	for _, src := range []*readerSrc{readerWhole(b.Bytes()), readerSized(b.Bytes(), 1000, 3)} {
		got, err := readerRun(src, DefaultLimits(), false)
		if err != "" || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %d commands, err %q", len(got), err)
		}
	}
}

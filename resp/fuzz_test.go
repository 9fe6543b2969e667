package resp

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// fuzzLimits are small so the fuzzer reaches every limit quickly. An inline
// line can hold at most MaxInlineLen/2 arguments of at most MaxInlineLen
// bytes, so these bounds hold for both framings.
var fuzzLimits = Limits{
	MaxBulkLen:        128,
	MaxMultibulkLen:   64,
	MaxInlineLen:      100,
	MaxQueryBuf:       1 << 20,
	PreAuthMaxArgs:    3,
	PreAuthMaxBulkLen: 8,
}

type fuzzCmd struct {
	args      []string
	multibulk bool
}

// fuzzRun is readerRun that also says which framing each command came in:
// a multibulk command's argument list is the Reader's reused slice, an
// inline one is freshly split.
func fuzzRun(src io.Reader, lim Limits, preAuth bool) ([]fuzzCmd, string) {
	rd := NewReader(src, lim)
	var cmds []fuzzCmd
	// What Ahead says is coming must be exactly what Next then returns.
	var ahead [][]string
	for {
		if len(ahead) == 0 {
			rd.Ahead(5, func(args [][]byte) {
				var c []string
				for _, a := range args {
					c = append(c, string(a))
				}
				ahead = append(ahead, c)
			})
		}
		args, err := rd.Next(preAuth)
		if err != nil {
			return cmds, readerErrText(err)
		}
		if args == nil {
			if len(ahead) != 0 {
				panic(fmt.Sprintf("Ahead announced %q, but Next needs more input", ahead))
			}
			if err := rd.Fill(); err != nil {
				if err == io.EOF {
					return cmds, ""
				}
				return cmds, readerErrText(err)
			}
			continue
		}
		c := fuzzCmd{multibulk: len(rd.args) > 0 && &rd.args[0] == &args[0]}
		for _, a := range args {
			c.args = append(c.args, string(a))
		}
		if len(ahead) > 0 {
			if !reflect.DeepEqual(ahead[0], c.args) {
				panic(fmt.Sprintf("Ahead announced %q, Next returned %q", ahead[0], c.args))
			}
			ahead = ahead[1:]
		}
		cmds = append(cmds, c)
	}
}

// fuzzSameError compares how two runs over the same bytes stopped. A header
// line longer than the limit is refused as too big while its CR is still
// missing, and judged by its content once the CR has arrived: which one
// happens depends on how the bytes were split, in Redis too.
func fuzzSameError(a, b string) bool {
	if a == b {
		return true
	}
	if a == ProtoTooBigMbulk || a == ProtoTooBigBulk {
		a, b = b, a
	}
	switch b {
	case ProtoTooBigMbulk:
		return a == ProtoInvalidMbulk
	case ProtoTooBigBulk:
		return a == ProtoInvalidBulk || strings.HasPrefix(a, protoPrefix+"expected '$'")
	}
	return false
}

func fuzzSeedsHostile(f *testing.F, add func(data []byte)) {
	for _, c := range readerCases {
		if len(c.in) <= 1024 {
			add([]byte(c.in))
		}
	}
	for _, c := range inlineCases {
		add([]byte(c.line + "\r\n"))
	}
	for _, s := range []string{
		"*1\r\n$9223372036854775807\r\n",
		"*9223372036854775807\r\n",
		"*1\r\n$129\r\n",
		"*65\r\n",
		"*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
		"*1\r\n$9\r\n123456789\r\n",
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\nPING\r\n",
		"*" + strings.Repeat("9", 120),
		strings.Repeat("a ", 60) + "\n",
	} {
		add([]byte(s))
	}
}

func FuzzReader(f *testing.F) {
	fuzzSeedsHostile(f, func(data []byte) {
		f.Add(data, false, uint16(len(data)/2))
		f.Add(data, true, uint16(1))
	})
	f.Fuzz(func(t *testing.T, data []byte, preAuth bool, at uint16) {
		cmds, err := fuzzRun(readerWhole(data), fuzzLimits, preAuth)
		for _, c := range cmds {
			if len(c.args) == 0 || int64(len(c.args)) > fuzzLimits.MaxMultibulkLen {
				t.Fatalf("command with %d arguments", len(c.args))
			}
			for _, a := range c.args {
				if int64(len(a)) > fuzzLimits.MaxBulkLen {
					t.Fatalf("argument of %d bytes", len(a))
				}
				if preAuth && c.multibulk && int64(len(a)) > fuzzLimits.PreAuthMaxBulkLen {
					t.Fatalf("pre-auth bulk of %d bytes", len(a))
				}
			}
			if preAuth && c.multibulk && int64(len(c.args)) > fuzzLimits.PreAuthMaxArgs {
				t.Fatalf("pre-auth multibulk of %d arguments", len(c.args))
			}
		}

		// However the bytes arrive, the same commands come out.
		for how, src := range map[string]io.Reader{
			"small reads":               fuzzTrickle(data),
			fmt.Sprintf("split %d", at): readerSplit(data, int(at)%(len(data)+1)),
		} {
			got, gerr := fuzzRun(src, fuzzLimits, preAuth)
			if !reflect.DeepEqual(got, cmds) || !fuzzSameError(gerr, err) {
				t.Fatalf("%s: got %v, %q; whole: %v, %q", how, got, gerr, cmds, err)
			}
		}

		// A prefix of the input yields a prefix of the commands, and an
		// error in a prefix is an error of the whole.
		cut := int(at) % (len(data) + 1)
		pre, perr := fuzzRun(readerWhole(data[:cut]), fuzzLimits, preAuth)
		if !fuzzIsPrefix(pre, cmds) {
			t.Fatalf("prefix of %d bytes gave %v; whole gave %v", cut, pre, cmds)
		}
		if perr != "" && (len(pre) != len(cmds) || !fuzzSameError(perr, err)) {
			t.Fatalf("prefix of %d bytes stopped with %q after %d commands; whole: %q after %d",
				cut, perr, len(pre), err, len(cmds))
		}

		// The commands re-encode to a stream that parses back to them.
		var enc []byte
		var want [][]string
		for _, c := range cmds {
			enc = append(enc, resptest.Encode(c.args...)...)
			want = append(want, c.args)
		}
		back, berr := readerRun(readerWhole(enc), fuzzLimits, false)
		if berr != "" || !reflect.DeepEqual(readerNorm(back), readerNorm(want)) {
			t.Fatalf("re-encoded %q parsed to %q, %q", enc, back, berr)
		}

		// A tiny query buffer limit must not break anything either.
		small := fuzzLimits
		small.MaxQueryBuf = 16
		got, _ := fuzzRun(readerSized(data, 3, 1, 7), small, preAuth)
		if !fuzzIsPrefix(got, cmds) {
			t.Fatalf("with a 16-byte query buffer: %v; without: %v", got, cmds)
		}
	})
}

// fuzzTrickle serves data one byte per read, or for long inputs (where that
// would slow the fuzzer down) in small uneven reads.
func fuzzTrickle(data []byte) *readerSrc {
	if len(data) > 4096 {
		return readerSized(data, 1, 7, 2, 61)
	}
	return readerBytewise(data)
}

func fuzzIsPrefix(pre, all []fuzzCmd) bool {
	return len(pre) <= len(all) && (len(pre) == 0 || reflect.DeepEqual(pre, all[:len(pre)]))
}

// fuzzArgs cuts blob into arguments whose lengths come from sizes; the last
// argument takes what is left.
func fuzzArgs(blob, sizes []byte) []string {
	var args []string
	for _, n := range sizes {
		n := min(int(n), len(blob))
		args = append(args, string(blob[:n]))
		blob = blob[n:]
	}
	if len(blob) > 0 {
		args = append(args, string(blob))
	}
	return args
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("SETkeyvalue"), []byte{3, 3}, uint16(7))
	f.Add([]byte("\r\n$*\x00\r\n"), []byte{0, 2, 1}, uint16(3))
	f.Add([]byte{}, []byte{}, uint16(0))
	f.Add([]byte("123456789"), []byte{}, uint16(9))
	f.Add([]byte("abcdefghijk"), []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, uint16(20))
	f.Fuzz(func(t *testing.T, blob, sizes []byte, at uint16) {
		// Thousands of arguments add nothing the unit tests lack but slow
		// the fuzzer's minimizer to a crawl.
		sizes = sizes[:min(len(sizes), 100)]
		args := fuzzArgs(blob, sizes)
		enc := resptest.Encode(args...)
		var want [][]string
		if len(args) > 0 {
			want = [][]string{args}
		}
		for how, src := range map[string]io.Reader{
			"whole":                     readerWhole(enc),
			"small reads":               fuzzTrickle(enc),
			fmt.Sprintf("split %d", at): readerSplit(enc, int(at)%(len(enc)+1)),
		} {
			got, err := readerRun(src, DefaultLimits(), false)
			if err != "" || !reflect.DeepEqual(readerNorm(got), want) {
				t.Fatalf("%s: %q parsed to %q, %q", how, enc, got, err)
			}
		}
		twice := append(bytes.Clone(enc), enc...)
		got, err := readerRun(readerSplit(twice, int(at)%(len(twice)+1)), DefaultLimits(), false)
		if err != "" || !reflect.DeepEqual(readerNorm(got), readerNorm(append(want, want...))) {
			t.Fatalf("pipelined twice: %q, %q", got, err)
		}

		// Before AUTH the same bytes pass only within the pre-auth limits
		// (made small here so that short inputs reach them).
		lim := DefaultLimits()
		lim.PreAuthMaxArgs, lim.PreAuthMaxBulkLen = 3, 8
		wantErr := ""
		if int64(len(args)) > lim.PreAuthMaxArgs {
			wantErr = ProtoUnauthMbulk
		} else {
			for _, a := range args {
				if int64(len(a)) > lim.PreAuthMaxBulkLen {
					wantErr = ProtoUnauthBulk
					break
				}
			}
		}
		got, err = readerRun(readerWhole(enc), lim, true)
		if wantErr != "" {
			want = nil
		}
		if err != wantErr || !reflect.DeepEqual(readerNorm(got), want) {
			t.Fatalf("pre-auth: got %q, %q; want %q, %q", got, err, want, wantErr)
		}
	})
}

// fuzzQuote renders arg as a double-quoted inline token.
func fuzzQuote(arg []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range arg {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// fuzzPlainSplit is sdssplitargs for a line without quotes: isspace()
// separates tokens, but only space, tab, CR and LF end one.
func fuzzPlainSplit(line []byte) [][]byte {
	args := [][]byte{}
	i := 0
	for {
		for i < len(line) && bytes.IndexByte([]byte(" \t\n\v\f\r"), line[i]) >= 0 {
			i++
		}
		if i == len(line) {
			return args
		}
		start := i
		for i < len(line) && bytes.IndexByte([]byte(" \t\n\r"), line[i]) < 0 {
			i++
		}
		args = append(args, line[start:i])
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, c := range inlineCases {
		f.Add([]byte(c.line))
	}
	f.Add([]byte("SET k \"v\\x00\\xff\" 'a b'"))
	f.Fuzz(func(t *testing.T, line []byte) {
		args, ok := SplitArgs(line)
		quoted := bytes.ContainsAny(line, `"'`)
		if !ok {
			if !quoted {
				t.Fatalf("%q: unbalanced without any quote", line)
			}
			return
		}
		for _, a := range args {
			if len(a) > len(line) {
				t.Fatalf("%q: argument %q longer than the line", line, a)
			}
		}
		if !quoted && !bytes.Contains(line, []byte{0}) {
			if want := fuzzPlainSplit(line); len(args) != len(want) || len(want) > 0 && !reflect.DeepEqual(args, want) {
				t.Fatalf("%q: got %q, want %q", line, args, want)
			}
		}

		// Quoting every argument and splitting again gives them back.
		var parts []string
		for _, a := range args {
			parts = append(parts, fuzzQuote(a))
		}
		back, ok := SplitArgs([]byte(strings.Join(parts, " ")))
		if !ok || len(back) != len(args) {
			t.Fatalf("%q: re-quoted as %q gave %q, %v", line, strings.Join(parts, " "), back, ok)
		}
		for i := range args {
			if !bytes.Equal(back[i], args[i]) {
				t.Fatalf("%q: re-quoted argument %d is %q, want %q", line, i, back[i], args[i])
			}
		}
	})
}

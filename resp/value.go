package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Value is one decoded RESP2 or RESP3 reply, for callers that need a reply
// as data rather than bytes: an HTTP surface turning it into JSON, a script,
// a test. Kind is the type byte of the wire format.
type Value struct {
	Kind byte
	// Str: simple string, error, bulk and verbatim string (without its
	// format), big number, and a double's text as sent.
	Str []byte
	// Int: integer. Float: double. Bool: boolean.
	Int   int64
	Float float64
	Bool  bool
	// Null: $-1, *-1 or _.
	Null bool
	// Elems: array, set and push elements; a map's or attribute's keys
	// and values alternating.
	Elems []Value
	// Format: a verbatim string's format ("txt", "mkd").
	Format string
}

// Reply kinds, as on the wire.
const (
	KindSimple    byte = '+'
	KindError     byte = '-'
	KindInt       byte = ':'
	KindBulk      byte = '$'
	KindArray     byte = '*'
	KindNull      byte = '_'
	KindDouble    byte = ','
	KindBool      byte = '#'
	KindBigNumber byte = '('
	KindBulkError byte = '!'
	KindVerbatim  byte = '='
	KindMap       byte = '%'
	KindSet       byte = '~'
	KindAttribute byte = '|'
	KindPush      byte = '>'
)

// maxValueDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxValueDepth = 512

// ErrIncomplete is ParseValue's error when b ends before the value does.
var ErrIncomplete = errors.New("resp: incomplete value")

// ParseValue decodes the first value in b and returns it with the number
// of bytes it took. Its strings are copies: b may be reused.
func ParseValue(b []byte) (Value, int, error) {
	p := valueParser{b: b}
	v, err := p.value(0)
	return v, p.off, err
}

// ParseValues decodes every value in b (one command's reply, or a batch).
func ParseValues(b []byte) ([]Value, error) {
	var out []Value
	for len(b) > 0 {
		v, n, err := ParseValue(b)
		if err != nil {
			return out, err
		}
		out = append(out, v)
		b = b[n:]
	}
	return out, nil
}

// ReadValue reads one value from r.
func ReadValue(r *bufio.Reader) (Value, error) {
	return readValue(r, 0)
}

type valueParser struct {
	b   []byte
	off int
}

func (p *valueParser) line() ([]byte, error) {
	i := bytes.Index(p.b[p.off:], []byte("\r\n"))
	if i < 0 {
		return nil, ErrIncomplete
	}
	l := p.b[p.off : p.off+i]
	p.off += i + 2
	return l, nil
}

func (p *valueParser) value(depth int) (Value, error) {
	if depth > maxValueDepth {
		return Value{}, errors.New("resp: value nested too deep")
	}
	l, err := p.line()
	if err != nil {
		return Value{}, err
	}
	if len(l) == 0 {
		return Value{}, errors.New("resp: empty line")
	}
	v, n, err := scalar(l)
	if err != nil || n < 0 {
		return v, err
	}
	if isBlob(v.Kind) {
		if len(p.b)-p.off < n+2 {
			return Value{}, ErrIncomplete
		}
		if p.b[p.off+n] != '\r' || p.b[p.off+n+1] != '\n' {
			return Value{}, errors.New("resp: blob not followed by CRLF")
		}
		err := v.setBlob(bytes.Clone(p.b[p.off : p.off+n]))
		p.off += n + 2
		return v, err
	}
	// Each element takes at least three bytes: no count can ask for more
	// room than the input has.
	if n > (len(p.b)-p.off)/3 {
		return Value{}, ErrIncomplete
	}
	v.Elems = make([]Value, n)
	for i := range v.Elems {
		if v.Elems[i], err = p.value(depth + 1); err != nil {
			return Value{}, err
		}
	}
	return v, nil
}

func readValue(r *bufio.Reader, depth int) (Value, error) {
	if depth > maxValueDepth {
		return Value{}, errors.New("resp: value nested too deep")
	}
	s, err := r.ReadSlice('\n')
	if err != nil {
		return Value{}, err
	}
	if len(s) < 3 || s[len(s)-2] != '\r' {
		return Value{}, fmt.Errorf("resp: malformed line %q", s)
	}
	v, n, err := scalar(s[:len(s)-2])
	if err != nil || n < 0 {
		return v, err
	}
	if isBlob(v.Kind) {
		buf := make([]byte, 0, min(n+2, 1<<16))
		buf, err = readN(r, buf, n+2)
		if err != nil {
			return Value{}, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Value{}, errors.New("resp: blob not followed by CRLF")
		}
		return v, v.setBlob(buf[:n])
	}
	// The elements are appended as they arrive, not allocated up front
	// from a count the peer chose.
	v.Elems = make([]Value, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		e, err := readValue(r, depth+1)
		if err != nil {
			return Value{}, err
		}
		v.Elems = append(v.Elems, e)
	}
	return v, nil
}

// readN reads n bytes into buf, growing it as data arrives.
func readN(r io.Reader, buf []byte, n int) ([]byte, error) {
	for len(buf) < n {
		chunk := min(n-len(buf), 1<<20)
		start := len(buf)
		buf = append(buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

func isBlob(k byte) bool { return k == KindBulk || k == KindBulkError || k == KindVerbatim }

// scalar decodes a header line. For blobs and aggregates it returns the
// length or count to read next (counted in elements: a map's pairs are
// doubled); otherwise -1.
func scalar(l []byte) (Value, int, error) {
	if bytes.ContainsAny(l, "\r\n") {
		return Value{}, -1, fmt.Errorf("resp: CR or LF inside line %q", l)
	}
	v := Value{Kind: l[0]}
	body := l[1:]
	switch v.Kind {
	case KindSimple, KindError, KindBigNumber:
		if v.Kind == KindBigNumber {
			if _, ok := new(big.Int).SetString(string(body), 10); !ok {
				return v, -1, fmt.Errorf("resp: bad big number %q", body)
			}
		}
		v.Str = bytes.Clone(body)
		return v, -1, nil
	case KindInt:
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return v, -1, fmt.Errorf("resp: bad integer %q", body)
		}
		v.Int = n
		return v, -1, nil
	case KindNull:
		if len(body) != 0 {
			return v, -1, fmt.Errorf("resp: bad null %q", body)
		}
		v.Null = true
		return v, -1, nil
	case KindDouble:
		f, err := parseDouble(string(body))
		if err != nil {
			return v, -1, err
		}
		v.Float, v.Str = f, bytes.Clone(body)
		return v, -1, nil
	case KindBool:
		switch string(body) {
		case "t":
			v.Bool = true
		case "f":
		default:
			return v, -1, fmt.Errorf("resp: bad boolean %q", body)
		}
		return v, -1, nil
	case KindBulk, KindBulkError, KindVerbatim, KindArray, KindMap, KindSet, KindAttribute, KindPush:
		n, err := strconv.Atoi(string(body))
		if err != nil || n < -1 {
			return v, -1, fmt.Errorf("resp: bad length %q", body)
		}
		if n == -1 {
			if v.Kind != KindBulk && v.Kind != KindArray {
				return v, -1, fmt.Errorf("resp: negative length for %q", v.Kind)
			}
			v.Null = true
			return v, -1, nil
		}
		if v.Kind == KindMap || v.Kind == KindAttribute {
			if n > math.MaxInt/2 {
				return v, -1, fmt.Errorf("resp: bad length %q", body)
			}
			n *= 2
		}
		if isBlob(v.Kind) && n > math.MaxInt-2 {
			return v, -1, fmt.Errorf("resp: bad length %q", body)
		}
		return v, n, nil
	}
	return v, -1, fmt.Errorf("resp: unknown type %q", v.Kind)
}

func parseDouble(s string) (float64, error) {
	switch s {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("resp: bad double %q", s)
	}
	return f, nil
}

func (v *Value) setBlob(b []byte) error {
	if v.Kind == KindVerbatim {
		if len(b) < 4 || b[3] != ':' {
			return fmt.Errorf("resp: verbatim string without a format")
		}
		v.Format, b = string(b[:3]), b[4:]
	}
	v.Str = b
	return nil
}

// IsError reports whether v is an error reply (simple or blob).
func (v Value) IsError() bool { return v.Kind == KindError || v.Kind == KindBulkError }

// String renders v on one line, each type distinctly, as resptest does:
// "+OK", "-ERR ...", ":1", a quoted bulk, nil ($-1), nil-array (*-1),
// null (_), [a b] for arrays, ~[..] sets, >[..] pushes, {k:v} maps.
func (v Value) String() string {
	var b strings.Builder
	v.render(&b)
	return b.String()
}

func (v Value) render(b *strings.Builder) {
	switch v.Kind {
	case 0: // no reply
	case KindSimple, KindError:
		b.WriteByte(v.Kind)
		b.Write(v.Str)
	case KindBulkError:
		b.WriteByte('-')
		b.Write(v.Str)
	case KindInt:
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindDouble:
		b.WriteByte(',')
		b.Write(v.Str)
	case KindBool:
		b.WriteString(map[bool]string{true: "#t", false: "#f"}[v.Bool])
	case KindBigNumber:
		b.WriteByte('(')
		b.Write(v.Str)
		b.WriteByte(')')
	case KindNull:
		b.WriteString("null")
	case KindBulk:
		if v.Null {
			b.WriteString("nil")
			return
		}
		b.WriteString(strconv.Quote(string(v.Str)))
	case KindVerbatim:
		b.WriteByte('=')
		b.Write(v.Str)
	case KindMap, KindAttribute:
		b.WriteByte('{')
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if i > 0 {
				b.WriteByte(' ')
			}
			v.Elems[i].render(b)
			b.WriteByte(':')
			v.Elems[i+1].render(b)
		}
		b.WriteByte('}')
	default: // arrays, sets, pushes
		if v.Null {
			b.WriteString("nil-array")
			return
		}
		switch v.Kind {
		case KindSet:
			b.WriteByte('~')
		case KindPush:
			b.WriteByte('>')
		}
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			e.render(b)
		}
		b.WriteByte(']')
	}
}

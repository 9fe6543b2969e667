package commands

import (
	"math"
	"strconv"
	"strings"

	"synap/engine"
	"synap/resp"
)

// ParseInt parses a 64-bit integer argument with Redis's string2ll rules:
// optional '-', no '+', no leading zeros or spaces, no overflow.
func ParseInt(b []byte) (int64, bool) { return engine.ParseInt(b) }

// readAs looks key up for a command that reads it (counting a keyspace hit
// or miss) and expects kind: obj is the zero T when the key is absent, and
// ok is false once WRONGTYPE is replied.
func readAs[T engine.Object](x *Ctx, key []byte, kind engine.Kind) (obj T, ok bool) {
	en := x.Read(key)
	if en == nil {
		return obj, true
	}
	if en.Kind != kind {
		x.Error(resp.ErrWrongType)
		return obj, false
	}
	return en.Obj().(T), true
}

// writeAs is readAs for commands that change the key (Redis counts no hit
// or miss for those); it also returns the entry, for Tx.Updated.
func writeAs[T engine.Object](x *Ctx, key []byte, kind engine.Kind) (en *engine.Entry, obj T, ok bool) {
	en = x.Tx.Get(key)
	if en == nil {
		return nil, obj, true
	}
	if en.Kind != kind {
		x.Error(resp.ErrWrongType)
		return nil, obj, false
	}
	return en, en.Obj().(T), true
}

// ParseFloat parses a double argument as Redis's strtod-based parsing does:
// "inf", "+inf", "-inf" accepted, NaN, empty and space-padded text refused.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || b[len(b)-1] == ' ' {
		return 0, false
	}
	s := string(b)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	if strings.IndexByte(s, '_') >= 0 {
		return 0, false // Go's digit separators; strtod has none
	}
	hex := len(s) > 2 && (s[0] == '0' || (len(s) > 3 && (s[0] == '-' || s[0] == '+') && s[1] == '0'))
	if hex {
		i := strings.IndexAny(s, "xX")
		hex = i == 1 || i == 2
	}
	if hex && !strings.ContainsAny(s, "pP") {
		s += "p0" // strtod takes hex without a binary exponent; Go requires one
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		// strtod accepts overflowing input as ±HUGE_VAL only with ERANGE, which Redis refuses.
		return 0, false
	}
	if f == 0 && !hex && strings.ContainsAny(mantissa(s), "123456789") {
		return 0, false // underflow to zero: ERANGE, which Redis refuses too
	}
	return f, true
}

// mantissa is a decimal number's text before its exponent.
func mantissa(s string) string {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		return s[:i]
	}
	return s
}

// IntArg parses args[i] as an integer, replying Redis's error when it is not one.
func (x *Ctx) IntArg(i int) (int64, bool) {
	v, ok := ParseInt(x.Args[i])
	if !ok {
		x.Error(resp.ErrNotInteger)
	}
	return v, ok
}

// Read looks key up for a command that reads it, counting a keyspace hit or
// miss for INFO stats as Redis does.
func (x *Ctx) Read(key []byte) *engine.Entry {
	en := x.Tx.Get(key)
	if en == nil {
		x.C.stat.misses++
		if x.C.T != nil {
			x.C.pend.misses++
		}
	} else {
		x.C.stat.hits++
		if x.C.T != nil {
			x.C.pend.hits++
		}
	}
	return en
}

// Lower returns b as a lower-case string, for option names.
func Lower(b []byte) string { return strings.ToLower(string(b)) }

// randReplyTooBig reports, and replies errRandTooBig, when n picks of about
// per bytes each would pass proto-max-bulk-len.
func randReplyTooBig(x *Ctx, n int64, per float64) bool {
	if float64(n)*per > float64(x.S.Config().ProtoMaxBulkLen) {
		x.Error(errRandTooBig)
		return true
	}
	return false
}

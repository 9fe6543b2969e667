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
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
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
		x.S.Stats.KeyspaceMisses.Add(1)
		if x.C.T != nil {
			x.C.pend.misses++
		}
	} else {
		x.S.Stats.KeyspaceHits.Add(1)
		if x.C.T != nil {
			x.C.pend.hits++
		}
	}
	return en
}

// Lower returns b as a lower-case string, for option names.
func Lower(b []byte) string { return strings.ToLower(string(b)) }

package commands

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"synap/engine"
	"synap/resp"
	"synap/tenant"
)

func init() {
	rd := []string{"read", "string", "fast"}
	rdSlow := []string{"read", "string", "slow"}
	wr := []string{"write", "string", "fast"}
	wrSlow := []string{"write", "string", "slow"}
	ro, rw, rwOOM := FlagReadOnly, FlagWrite, FlagWrite|FlagDenyOOM
	// Most string commands take one key, the first argument, in O(1).
	one := func(name string, arity int, flags Flag, acl []string, since, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "string", Since: since, Complexity: "O(1)", Summary: summary, Run: run}
	}
	multi := func(c *Command, last, step int) *Command {
		c.LastKey, c.Step = last, step
		c.Complexity = "O(N) where N is the number of keys"
		return c
	}
	ranged := func(c *Command) *Command {
		c.Complexity = "O(N) where N is the length of the returned substring"
		return c
	}
	getdel := one("getdel", 2, rw|FlagFast, wr, "6.2.0", "Returns the string value of a key and removes the key.", cmdGetDel)
	getdel.Need = tenant.NeedDelete // it removes a whole key
	// These return the stored value or say something of it, so a key must
	// be allowed to read too; the rest say when they need not.
	reveals := func(c *Command, when func([][]byte) bool) *Command {
		c.Reveals = when
		return c
	}
	getdel = reveals(getdel, Always)
	lcs := one("lcs", -3, ro, rdSlow, "7.0.0", "Finds the longest common subsequence of two string values.", cmdLCS)
	lcs.LastKey, lcs.Complexity = 2, "O(N*M) for strings of lengths N and M"
	register(
		one("get", 2, ro|FlagFast, rd, "1.0.0", "Returns the string value of a key.", cmdGet),
		reveals(one("set", -3, rwOOM, wrSlow, "1.0.0", "Stores a string value under a key, with optional conditions and expiry.", cmdSet), setReveals),
		one("setnx", 3, rwOOM|FlagFast, wr, "1.0.0", "Stores a string value only when the key is absent.", cmdSetNX),
		reveals(one("setex", 4, rwOOM, wrSlow, "2.0.0", "Stores a string value with a time to live in seconds.", cmdSetEX), Never),
		reveals(one("psetex", 4, rwOOM, wrSlow, "2.6.0", "Stores a string value with a time to live in milliseconds.", cmdPSetEX), Never),
		multi(one("mget", -2, ro|FlagFast, rd, "1.0.0", "Returns the string values of several keys.", cmdMGet), -1, 1),
		reveals(multi(one("mset", -3, rwOOM, wrSlow, "1.0.1", "Stores several key/value pairs at once.", cmdMSet), -1, 2), Never),
		multi(one("msetnx", -3, rwOOM, wrSlow, "1.0.1", "Stores several key/value pairs, only when none of the keys exists.", cmdMSetNX), -1, 2),
		reveals(one("getset", 3, rwOOM|FlagFast, wr, "1.0.0", "Stores a string value and returns the one it replaced.", cmdGetSet), Always),
		getdel,
		reveals(one("getex", -2, rw|FlagFast, wr, "6.2.0", "Returns the string value of a key and changes or removes its expiry.", cmdGetEX), Always),
		// The new length, as LPUSH's; appending nothing would be STRLEN.
		reveals(one("append", 3, rwOOM|FlagFast, wr, "2.0.0", "Adds bytes to the end of a string, creating it when absent.", cmdAppend),
			func(args [][]byte) bool { return len(args[2]) == 0 }),
		one("strlen", 2, ro|FlagFast, rd, "2.2.0", "Returns the length in bytes of a string value.", cmdStrlen),
		ranged(one("getrange", 4, ro, rdSlow, "2.4.0", "Returns the bytes of a string between two offsets.", cmdGetRange)),
		reveals(one("setrange", 4, rwOOM, wrSlow, "2.2.0", "Overwrites part of a string from an offset, padding with zero bytes.", cmdSetRange),
			func(args [][]byte) bool { return len(args[3]) == 0 }),
		ranged(one("substr", 4, ro, rdSlow, "1.0.0", "Returns the bytes of a string between two offsets (the old name of GETRANGE).", cmdGetRange)),
		one("incr", 2, rwOOM|FlagFast, wr, "1.0.0", "Adds one to the integer stored in a key.", cmdIncr),
		one("decr", 2, rwOOM|FlagFast, wr, "1.0.0", "Subtracts one from the integer stored in a key.", cmdDecr),
		one("incrby", 3, rwOOM|FlagFast, wr, "1.0.0", "Adds an integer to the integer stored in a key.", cmdIncrBy),
		one("decrby", 3, rwOOM|FlagFast, wr, "1.0.0", "Subtracts an integer from the integer stored in a key.", cmdDecrBy),
		one("incrbyfloat", 3, rwOOM|FlagFast, wr, "2.6.0", "Adds a decimal number to the number stored in a key.", cmdIncrByFloat),
		lcs,
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"append": Verbatim, "decr": Verbatim, "decrby": Verbatim, "getdel": Verbatim, "getex": propTTLState,
		"getset": Verbatim, "incr": Verbatim, "incrby": Verbatim, "incrbyfloat": propIncrByFloat, "mset": Verbatim,
		"msetnx": Verbatim, "psetex": propStringState, "set": propStringState, "setex": propStringState,
		"setnx": Verbatim, "setrange": Verbatim,
	})
}

// Options of SET and GETEX, as bits.
const (
	strNX = 1 << iota
	strXX
	strGet
	strKeepTTL
	strPersist
	strEX
	strPX
	strEXAT
	strPXAT

	strAnyExpire = strEX | strPX | strEXAT | strPXAT
)

// strEq compares an argument with a lower-case option name, ignoring case,
// without allocating.
func strEq(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if c|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// strExtOpts parses the options of SET (set) or GETEX from args[from:]. The
// combinations refused are exactly Redis's: repeating an option is fine,
// conflicting ones are a syntax error.
func strExtOpts(x *Ctx, from int, set bool) (flags int, expire []byte, ok bool) {
	args := x.Args
	for j := from; j < len(args); j++ {
		opt := args[j]
		hasNext := j+1 < len(args)
		bit := 0
		switch {
		case set && strEq(opt, "nx") && flags&strXX == 0:
			bit = strNX
		case set && strEq(opt, "xx") && flags&strNX == 0:
			bit = strXX
		case set && strEq(opt, "get"):
			bit = strGet
		case set && strEq(opt, "keepttl") && flags&strAnyExpire == 0:
			bit = strKeepTTL
		case !set && strEq(opt, "persist") && flags&strAnyExpire == 0:
			bit = strPersist
		case hasNext && strEq(opt, "ex"):
			bit = strEX
		case hasNext && strEq(opt, "px"):
			bit = strPX
		case hasNext && strEq(opt, "exat"):
			bit = strEXAT
		case hasNext && strEq(opt, "pxat"):
			bit = strPXAT
		}
		if bit&strAnyExpire != 0 {
			if flags&(strKeepTTL|strPersist|strAnyExpire&^bit) != 0 {
				bit = 0
			} else {
				j++
				expire = args[j]
			}
		}
		if bit == 0 {
			x.SyntaxError()
			return 0, nil, false
		}
		flags |= bit
	}
	return flags, expire, true
}

// strExpireAt turns the argument of EX/PX/EXAT/PXAT into absolute unix ms,
// replying Redis's error when it is not a positive time that fits.
func strExpireAt(x *Ctx, flags int, arg []byte) (int64, bool) {
	v, ok := ParseInt(arg)
	if !ok {
		x.Error(resp.ErrNotInteger)
		return 0, false
	}
	if v <= 0 || (flags&(strEX|strEXAT) != 0 && v > math.MaxInt64/1000) {
		x.Error(strExpireErr(x))
		return 0, false
	}
	if flags&(strEX|strEXAT) != 0 {
		v *= 1000
	}
	if flags&(strEX|strPX) != 0 {
		if v > math.MaxInt64-x.Tx.Now {
			x.Error(strExpireErr(x))
			return 0, false
		}
		v += x.Tx.Now
	}
	return v, true
}

func strExpireErr(x *Ctx) string { return fmt.Sprintf(resp.ErrInvalidExpire, x.Cmd.Name) }

// strLookup reads key for a command that reads it and replies WRONGTYPE when
// it holds another kind. ok is false when the reply is already written.
func strLookup(x *Ctx, key []byte) (en *engine.Entry, ok bool) {
	en = x.Read(key)
	if en != nil && en.Kind != engine.KindString {
		x.Error(resp.ErrWrongType)
		return nil, false
	}
	return en, true
}

// strWriteLookup is strLookup for commands that modify the key: Redis counts
// no keyspace hit or miss for those.
func strWriteLookup(x *Ctx, key []byte) (en *engine.Entry, ok bool) {
	en = x.Tx.Get(key)
	if en != nil && en.Kind != engine.KindString {
		x.Error(resp.ErrWrongType)
		return nil, false
	}
	return en, true
}

// strStore sets key to a copy of val with absolute expiry at (0: none); old
// is the key's live entry or nil. A time already past removes the key, as
// Redis does.
func strStore(x *Ctx, key, val []byte, old *engine.Entry, at int64) {
	if at != 0 && at <= x.Tx.Now {
		if old != nil {
			x.Tx.Delete(key)
		}
		return
	}
	x.Tx.SetString(key, val, at)
}

// setReveals reports SET's GET option, which returns the old value, and
// NX and XX, whose +OK or nil tells whether the key existed.
func setReveals(args [][]byte) bool {
	for _, a := range args[3:] {
		if strEq(a, "get") || strEq(a, "nx") || strEq(a, "xx") {
			return true
		}
	}
	return false
}

func cmdGet(x *Ctx) {
	en, ok := strLookup(x, x.Args[1])
	switch {
	case !ok:
	case en == nil:
		x.W.Null()
	default:
		x.W.Bulk(en.Str())
	}
}

func cmdSet(x *Ctx) {
	flags, expire, ok := strExtOpts(x, 3, true)
	if !ok {
		return
	}
	strSet(x, flags, x.Args[1], x.Args[2], expire)
}

// strSet is the SET family's common path. It replies OK, or the old value
// with GET, or nil when NX/XX stopped it.
func strSet(x *Ctx, flags int, key, val, expire []byte) {
	var at int64
	if expire != nil {
		var ok bool
		if at, ok = strExpireAt(x, flags, expire); !ok {
			return
		}
	}
	var old *engine.Entry
	if flags&strGet != 0 {
		var ok bool
		if old, ok = strLookup(x, key); !ok {
			return
		}
		// The reply is copied out before the value may be overwritten in place.
		if old == nil {
			x.W.Null()
		} else {
			x.W.Bulk(old.Str())
		}
	} else if flags&(strNX|strXX|strKeepTTL) != 0 || at != 0 && at <= x.Tx.Now {
		old = x.Tx.Get(key)
	} else {
		// Nothing depends on what was there: one walk to the key.
		x.Tx.Store(key, val, at)
		x.W.OK()
		return
	}
	if (flags&strNX != 0 && old != nil) || (flags&strXX != 0 && old == nil) {
		if flags&strGet == 0 {
			x.W.Null()
		}
		return
	}
	if flags&strKeepTTL != 0 && old != nil {
		at = old.ExpireAt()
	}
	strStore(x, key, val, old, at)
	if flags&strGet == 0 {
		x.W.OK()
	}
}

func cmdSetNX(x *Ctx) {
	key := x.Args[1]
	if x.Tx.Get(key) != nil {
		x.W.Int(0)
		return
	}
	strStore(x, key, x.Args[2], nil, 0)
	x.W.Int(1)
}

func cmdSetEX(x *Ctx)  { strSet(x, strEX, x.Args[1], x.Args[3], x.Args[2]) }
func cmdPSetEX(x *Ctx) { strSet(x, strPX, x.Args[1], x.Args[3], x.Args[2]) }

func cmdMGet(x *Ctx) {
	x.W.Array(len(x.Args) - 1)
	for _, key := range x.Args[1:] {
		if en := x.Read(key); en != nil && en.Kind == engine.KindString {
			x.W.Bulk(en.Str())
		} else {
			x.W.Null()
		}
	}
}

func cmdMSet(x *Ctx) {
	if len(x.Args)%2 == 0 {
		x.ArityError()
		return
	}
	strMSet(x)
	x.W.OK()
}

func cmdMSetNX(x *Ctx) {
	if len(x.Args)%2 == 0 {
		x.ArityError()
		return
	}
	for i := 1; i < len(x.Args); i += 2 {
		if x.Tx.Get(x.Args[i]) != nil {
			x.W.Int(0)
			return
		}
	}
	strMSet(x)
	x.W.Int(1)
}

func strMSet(x *Ctx) {
	for i := 1; i < len(x.Args); i += 2 {
		x.Tx.Store(x.Args[i], x.Args[i+1], 0) // nothing depends on what was there
	}
}

func cmdGetSet(x *Ctx) {
	key := x.Args[1]
	old, ok := strLookup(x, key)
	if !ok {
		return
	}
	if old == nil {
		x.W.Null()
	} else {
		x.W.Bulk(old.Str())
	}
	strStore(x, key, x.Args[2], old, 0)
}

func cmdGetDel(x *Ctx) {
	key := x.Args[1]
	en, ok := strLookup(x, key)
	switch {
	case !ok:
	case en == nil:
		x.W.Null()
	default:
		x.W.Bulk(en.Str())
		x.Tx.Delete(key)
	}
}

func cmdGetEX(x *Ctx) {
	flags, expire, ok := strExtOpts(x, 2, false)
	if !ok {
		return
	}
	key := x.Args[1]
	en, ok := strLookup(x, key)
	if !ok {
		return
	}
	if en == nil {
		x.W.Null()
		return
	}
	var at int64
	if expire != nil {
		if at, ok = strExpireAt(x, flags, expire); !ok {
			return
		}
	}
	x.W.Bulk(en.Str())
	switch {
	case expire != nil:
		x.Tx.SetExpire(key, en, at) // a time already past removes the key
	case flags&strPersist != 0 && en.ExpireAt() != 0:
		x.Tx.SetExpire(key, en, 0)
	}
}

// strFits is Redis's checkStringLength: a string may not grow past
// proto-max-bulk-len.
func strFits(x *Ctx, size, add int64) bool {
	total := size + add
	if total < size || total > x.S.Config().ProtoMaxBulkLen {
		x.Error(errStringTooBig)
		return false
	}
	return true
}

func cmdAppend(x *Ctx) {
	key, val := x.Args[1], x.Args[2]
	en, ok := strWriteLookup(x, key)
	if !ok {
		return
	}
	if en == nil {
		x.Tx.SetString(key, val, 0)
		x.W.Int(int64(len(val)))
		return
	}
	if !strFits(x, int64(len(en.Str())), int64(len(val))) {
		return
	}
	x.Tx.SetStr(en, append(en.Str(), val...))
	en.Raw = true
	x.Tx.Updated(key, en)
	x.W.Int(int64(len(en.Str())))
}

func cmdStrlen(x *Ctx) {
	if en, ok := strLookup(x, x.Args[1]); ok {
		if en == nil {
			x.W.Int(0)
		} else {
			x.W.Int(int64(len(en.Str())))
		}
	}
}

func cmdGetRange(x *Ctx) {
	start, ok := x.IntArg(2)
	if !ok {
		return
	}
	end, ok := x.IntArg(3)
	if !ok {
		return
	}
	en, ok := strLookup(x, x.Args[1])
	if !ok {
		return
	}
	if en == nil {
		x.W.Bulk(nil)
		return
	}
	n := int64(len(en.Str()))
	if start < 0 && end < 0 && start > end {
		x.W.Bulk(nil)
		return
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end || n == 0 {
		x.W.Bulk(nil)
		return
	}
	x.W.Bulk(en.Str()[start : end+1])
}

func cmdSetRange(x *Ctx) {
	key, val := x.Args[1], x.Args[3]
	off, ok := x.IntArg(2)
	if !ok {
		return
	}
	if off < 0 {
		x.Error(errOffsetRange)
		return
	}
	en, ok := strWriteLookup(x, key)
	if !ok {
		return
	}
	if len(val) == 0 {
		// Writing nothing neither creates the key nor checks the offset.
		if en == nil {
			x.W.Int(0)
		} else {
			x.W.Int(int64(len(en.Str())))
		}
		return
	}
	if !strFits(x, off, int64(len(val))) {
		return
	}
	end := int(off) + len(val)
	// A new key accounts its name and charges besides its bytes; a live
	// one grows by the bytes added. (For a new key, checking end bytes
	// of growth too was redundant: the key's own growth is larger, and
	// the quota check is monotonic in it.)
	if en == nil {
		if !x.StoreAllowed(x.Tx, key, int64(end)) {
			return
		}
	} else if !x.GrowthAllowed(int64(end - len(en.Str()))) {
		return
	}
	if en == nil {
		en = x.Tx.Put(key, engine.StringEntry(make([]byte, end), false))
	} else if n := len(en.Str()); end > n {
		if end > cap(en.Str()) {
			x.Tx.SetStr(en, append(en.Str()[:n:n], make([]byte, end-n)...))
		} else {
			// The spare capacity may hold bytes of an older, longer value.
			x.Tx.SetStr(en, en.Str()[:end])
			clear(en.Str()[n:])
		}
	}
	copy(en.Str()[off:], val)
	en.Raw = true
	x.Tx.Updated(key, en)
	x.W.Int(int64(len(en.Str())))
}

func cmdIncr(x *Ctx) { strIncr(x, 1) }
func cmdDecr(x *Ctx) { strIncr(x, -1) }

func cmdIncrBy(x *Ctx) {
	if by, ok := x.IntArg(2); ok {
		strIncr(x, by)
	}
}

func cmdDecrBy(x *Ctx) {
	by, ok := x.IntArg(2)
	if !ok {
		return
	}
	if by == math.MinInt64 {
		x.Error(errDecrOverflow)
		return
	}
	strIncr(x, -by)
}

// strIncr adds by to the integer in key (0 when absent), keeping its TTL.
func strIncr(x *Ctx, by int64) {
	key := x.Args[1]
	en, ok := strWriteLookup(x, key)
	if !ok {
		return
	}
	var v int64
	if en != nil {
		if v, ok = ParseInt(en.Str()); !ok {
			x.Error(resp.ErrNotInteger)
			return
		}
	}
	if (by < 0 && v < 0 && by < math.MinInt64-v) || (by > 0 && v > 0 && by > math.MaxInt64-v) {
		x.Error(resp.ErrOverflow)
		return
	}
	v += by
	var tmp [20]byte
	strPutNumber(x, key, en, strconv.AppendInt(tmp[:0], v, 10))
	x.W.Int(v)
}

// strPutNumber stores the text of a counter, in place when the key exists so
// its TTL stays, as INCR and INCRBYFLOAT keep it.
func strPutNumber(x *Ctx, key []byte, en *engine.Entry, text []byte) {
	if en == nil {
		x.Tx.SetStringCap(key, text, 0, engine.MaxIntLen)
		return
	}
	x.Tx.SetStr(en, append(en.Str()[:0], text...))
	en.Raw = false
	x.Tx.Updated(key, en)
}

func cmdIncrByFloat(x *Ctx) {
	key := x.Args[1]
	en, ok := strWriteLookup(x, key)
	if !ok {
		return
	}
	a := new(big.Float).SetPrec(64)
	if en != nil {
		if a, ok = strLongDouble(en.Str()); !ok {
			x.Error(resp.ErrNotFloat)
			return
		}
	}
	b, ok := strLongDouble(x.Args[2])
	if !ok {
		x.Error(resp.ErrNotFloat)
		return
	}
	if a.IsInf() || b.IsInf() {
		x.Error(errIncrNaN)
		return
	}
	sum := new(big.Float).SetPrec(64).Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > strLDMaxExp {
		x.Error(errIncrNaN)
		return
	}
	text := strFormatLongDouble(sum)
	// A few argument bytes can make a number of thousands of digits.
	old := 0
	if en != nil {
		old = len(en.Str())
	}
	if !x.GrowthAllowed(int64(len(text) - old)) {
		return
	}
	strPutNumber(x, key, en, text)
	x.W.Bulk(text)
}

// The range of C's 80-bit long double, which Redis computes INCRBYFLOAT in,
// as exponents of big.Float.MantExp (mantissa in [0.5, 1)).
const (
	strLDMaxExp = 16384
	strLDMinExp = -16445 // below it strtold rounds to zero: half the smallest denormal
)

// strLongDouble parses b as Redis's string2ld does with strtold: decimal or
// hexadecimal with an optional sign, "inf"/"infinity"; no spaces, no NaN,
// nothing out of long double range.
func strLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 {
		return nil, false
	}
	s := b
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if strEq(s, "inf") || strEq(s, "infinity") {
		return new(big.Float).SetInf(neg), true
	}
	if !strFloatSyntax(s) {
		return nil, false
	}
	f, _, err := new(big.Float).SetPrec(64).Parse(string(b), 0)
	if err != nil {
		return nil, false
	}
	if f.Sign() != 0 {
		if exp := f.MantExp(nil); exp > strLDMaxExp || exp < strLDMinExp {
			return nil, false // strtold reports ERANGE: overflow, or underflow to zero
		}
	}
	return f, true
}

// strFloatSyntax accepts what strtold converts completely (sign removed):
// digits with an optional point and "e" exponent, or "0x" hex digits with an
// optional point and "p" exponent.
func strFloatSyntax(s []byte) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isHex := func(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
	digit, expChar := isDigit, byte('e')
	if len(s) > 2 && s[0] == '0' && s[1]|0x20 == 'x' {
		s, digit, expChar = s[2:], isHex, 'p'
	}
	i, n := 0, 0
	for ; i < len(s) && digit(s[i]); i++ {
		n++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && digit(s[i]); i++ {
			n++
		}
	}
	if n == 0 {
		return false
	}
	if i < len(s) && s[i]|0x20 == expChar {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			d++
		}
		if d == 0 {
			return false
		}
	}
	return i == len(s)
}

// strFormatLongDouble prints f as Redis does: "%.17Lf" with the trailing
// zeros of the fraction removed, and "-0" written "0".
func strFormatLongDouble(f *big.Float) []byte {
	b := f.Append(make([]byte, 0, 32), 'f', 17)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[1:]
	}
	return b
}

type lcsArgs struct {
	getLen, getIdx, withLen bool
	minLen                  int64
}

func parseLCS(x *Ctx) (a lcsArgs, ok bool) {
	args := x.Args
	for j := 3; j < len(args); j++ {
		switch opt := args[j]; {
		case strEq(opt, "idx"):
			a.getIdx = true
		case strEq(opt, "len"):
			a.getLen = true
		case strEq(opt, "withmatchlen"):
			a.withLen = true
		case strEq(opt, "minmatchlen") && j+1 < len(args):
			j++
			if a.minLen, ok = x.IntArg(j); !ok {
				return a, false
			}
			a.minLen = max(a.minLen, 0)
		default:
			x.SyntaxError()
			return a, false
		}
	}
	if a.getIdx && a.getLen {
		x.Error(errLCSLenIdx)
		return a, false
	}
	return a, true
}

func cmdLCS(x *Ctx) {
	// Redis checks the keys' types before it looks at the options.
	ea, eb := x.Read(x.Args[1]), x.Read(x.Args[2])
	if (ea != nil && ea.Kind != engine.KindString) || (eb != nil && eb.Kind != engine.KindString) {
		x.Error(errLCSNotString)
		return
	}
	opts, ok := parseLCS(x)
	if !ok {
		return
	}
	var a, b []byte
	if ea != nil {
		a = ea.Str()
	}
	if eb != nil {
		b = eb.Str()
	}
	// The table is transient memory, bounded like Redis bounds it.
	cells := uint64(len(a)+1) * uint64(len(b)+1)
	if cells*4 > uint64(x.S.Config().ProtoMaxBulkLen) {
		x.Error(errLCSTooBig)
		return
	}
	// Concurrent LCSs must not sum past the server's transient budget.
	release, ok := x.Transient(int64(cells * 4))
	if !ok {
		return
	}
	defer release()
	// t[i*w+j] is the LCS length of a[:i] and b[:j].
	w := len(b) + 1
	t := make([]uint32, cells)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			} else {
				t[i*w+j] = max(t[(i-1)*w+j], t[i*w+j-1])
			}
		}
	}
	total := t[len(a)*w+len(b)]
	if opts.getLen {
		x.W.Int(int64(total))
		return
	}
	if !opts.getIdx {
		x.W.Bulk(lcsString(a, b, t, total))
		return
	}
	ranges := lcsRanges(a, b, t, opts.minLen)
	x.W.Map(2)
	x.W.BulkString("matches")
	x.W.Array(len(ranges))
	for _, r := range ranges {
		if opts.withLen {
			x.W.Array(3)
		} else {
			x.W.Array(2)
		}
		x.W.Array(2)
		x.W.Int(int64(r.aStart))
		x.W.Int(int64(r.aEnd))
		x.W.Array(2)
		x.W.Int(int64(r.bStart))
		x.W.Int(int64(r.bEnd))
		if opts.withLen {
			x.W.Int(int64(r.aEnd - r.aStart + 1))
		}
	}
	x.W.BulkString("len")
	x.W.Int(int64(total))
}

// lcsString walks the table back from the end to spell out one LCS.
func lcsString(a, b []byte, t []uint32, total uint32) []byte {
	out := make([]byte, total)
	w := len(b) + 1
	for i, j, k := len(a), len(b), int(total); i > 0 && j > 0; {
		switch {
		case a[i-1] == b[j-1]:
			k--
			out[k] = a[i-1]
			i, j = i-1, j-1
		case t[(i-1)*w+j] > t[i*w+j-1]:
			i--
		default:
			j--
		}
	}
	return out
}

type lcsRange struct{ aStart, aEnd, bStart, bEnd int }

// lcsRanges lists the contiguous matched runs of the same walk, from the
// ends of the strings backwards as Redis reports them, keeping runs of at
// least minLen bytes.
func lcsRanges(a, b []byte, t []uint32, minLen int64) []lcsRange {
	var out []lcsRange
	w := len(b) + 1
	var cur lcsRange
	open := false
	flush := func() {
		if open && int64(cur.aEnd-cur.aStart+1) >= minLen {
			out = append(out, cur)
		}
		open = false
	}
	for i, j := len(a), len(b); i > 0 && j > 0; {
		if a[i-1] == b[j-1] {
			if open {
				cur.aStart, cur.bStart = i-1, j-1 // a match right after a match extends the run
			} else {
				cur, open = lcsRange{i - 1, i - 1, j - 1, j - 1}, true
			}
			i, j = i-1, j-1
			continue
		}
		flush()
		if t[(i-1)*w+j] > t[i*w+j-1] {
			i--
		} else {
			j--
		}
	}
	flush()
	return out
}

package commands

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"

	"synap/engine"
	"synap/resp"
)

// The hash family: fields and values under one key (engine.Hash).

func init() {
	rd := []string{"read", "hash", "fast"}
	rdSlow := []string{"read", "hash", "slow"}
	wr := []string{"write", "hash", "fast"}
	ro, rwOOM := FlagReadOnly, FlagWrite|FlagDenyOOM
	one := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "hash", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	const (
		o1      = "O(1)"
		perPair = "O(1) per field and value given"
		perName = "O(1) per field given"
		whole   = "O(N) where N is the number of fields of the hash"
	)
	// What a write tells a key without read (table.go): HSET and HDEL name
	// the fields they settle, HMSET replies +OK; HSETNX and the increments
	// keep the default and need read.
	replies := func(c *Command, r func([][]byte) bool) *Command {
		c.Reveals = r
		return c
	}
	register(
		replies(one("hset", -4, rwOOM|FlagFast, wr, "2.0.0", perPair, "Sets fields of a hash to values, creating the hash when absent.", cmdHSet), Acknowledges),
		one("hsetnx", 4, rwOOM|FlagFast, wr, "2.0.0", o1, "Sets a hash field only when the field does not exist yet.", cmdHSetNX),
		replies(one("hmset", -4, rwOOM|FlagFast, wr, "2.0.0", perPair, "Sets several hash fields, replying OK (the older form of HSET).", cmdHMSet), Never),
		one("hget", 3, ro|FlagFast, rd, "2.0.0", o1, "Returns the value of one field of a hash.", cmdHGet),
		one("hmget", -3, ro|FlagFast, rd, "2.0.0", perName, "Returns the values of several fields of a hash, nil for missing ones.", cmdHMGet),
		replies(one("hdel", -3, FlagWrite|FlagFast, wr, "2.0.0", perName, "Removes fields from a hash, and the key once no field is left.", cmdHDel), Acknowledges),
		one("hexists", 3, ro|FlagFast, rd, "2.0.0", o1, "Tells whether a hash has a given field.", cmdHExists),
		one("hlen", 2, ro|FlagFast, rd, "2.0.0", o1, "Counts the fields of a hash.", cmdHLen),
		one("hstrlen", 3, ro|FlagFast, rd, "3.2.0", o1, "Returns the length in bytes of the value of a hash field.", cmdHStrlen),
		one("hkeys", 2, ro, rdSlow, "2.0.0", whole, "Lists the field names of a hash.", cmdHKeys),
		one("hvals", 2, ro, rdSlow, "2.0.0", whole, "Lists the values of a hash.", cmdHVals),
		one("hgetall", 2, ro, rdSlow, "2.0.0", whole, "Returns every field of a hash with its value.", cmdHGetAll),
		one("hincrby", 4, rwOOM|FlagFast, wr, "2.0.0", o1, "Adds an integer to the integer held in a hash field.", cmdHIncrBy),
		one("hincrbyfloat", 4, rwOOM|FlagFast, wr, "2.6.0", o1, "Adds a decimal number to the number held in a hash field.", cmdHIncrByFloat),
		one("hrandfield", -2, ro, rdSlow, "6.2.0", "O(N) where N is the number of fields returned",
			"Picks random fields of a hash, optionally with their values.", cmdHRandField),
		one("hscan", -3, ro, rdSlow, "2.8.0", "O(1) per call, O(N) for a full pass over N fields",
			"Walks the fields and values of a hash in batches, resuming from a cursor.", cmdHScan),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"hdel": Verbatim, "hincrby": Verbatim, "hincrbyfloat": propHIncrByFloat, "hmset": Verbatim,
		"hset": Verbatim, "hsetnx": Verbatim,
	})
}

// hashRead looks key up for a reading command (counting a keyspace hit or
// miss). h is nil when the key is absent; ok is false when the reply
// (WRONGTYPE) is already written.
func hashRead(x *Ctx, key []byte) (h *engine.Hash, ok bool) {
	return readAs[*engine.Hash](x, key, engine.KindHash)
}

// hashWrite looks key up for a command that changes it: en is nil and h a
// new empty hash when the key is absent (hashStore then creates the key).
func hashWrite(x *Ctx, key []byte) (en *engine.Entry, h *engine.Hash, ok bool) {
	en, h, ok = writeAs[*engine.Hash](x, key, engine.KindHash)
	if ok && en == nil {
		h = engine.NewHash()
	}
	return en, h, ok
}

// hashStore publishes a change to h: it creates the key, re-accounts it, or
// deletes it once empty.
func hashStore(x *Ctx, key []byte, en *engine.Entry, h *engine.Hash) {
	switch {
	case h.Len() == 0:
		if en != nil {
			x.Tx.Delete(key)
		}
	case en == nil:
		x.Tx.Put(key, engine.NewObject(engine.KindHash, h))
	default:
		x.Tx.Updated(key, en)
	}
}

// hashSetPairs sets the field/value pairs of args[2:], whose count the
// caller checked is even, and returns how many fields are new.
func hashSetPairs(x *Ctx) (added int64, ok bool) {
	key := x.Args[1]
	en, h, ok := hashWrite(x, key)
	if !ok {
		return 0, false
	}
	if en == nil && len(x.Args) > 4 {
		bytes := 0
		for _, a := range x.Args[2:] {
			bytes += len(a)
		}
		h.Reserve((len(x.Args)-2)/2, bytes)
	}
	for i := 2; i < len(x.Args); i += 2 {
		if h.Set(x.Args[i], x.Args[i+1]) {
			added++
		}
	}
	hashStore(x, key, en, h)
	return added, true
}

func cmdHSet(x *Ctx) {
	if len(x.Args)%2 != 0 {
		x.ArityError()
		return
	}
	if added, ok := hashSetPairs(x); ok {
		x.W.Int(added)
	}
}

func cmdHMSet(x *Ctx) {
	if len(x.Args)%2 != 0 {
		x.ArityError()
		return
	}
	if _, ok := hashSetPairs(x); ok {
		x.W.OK()
	}
}

func cmdHSetNX(x *Ctx) {
	key, field := x.Args[1], x.Args[2]
	en, h, ok := hashWrite(x, key)
	if !ok {
		return
	}
	if h.Has(field) {
		x.W.Int(0)
		return
	}
	h.Set(field, x.Args[3])
	hashStore(x, key, en, h)
	x.W.Int(1)
}

func cmdHGet(x *Ctx) {
	h, ok := hashRead(x, x.Args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(x.Args[2]); found {
			x.W.BulkString(v)
			return
		}
	}
	x.W.Null()
}

func cmdHMGet(x *Ctx) {
	h, ok := hashRead(x, x.Args[1])
	if !ok {
		return
	}
	fields := x.Args[2:]
	x.W.Array(len(fields))
	for _, f := range fields {
		if h != nil {
			if v, found := h.Get(f); found {
				x.W.BulkString(v)
				continue
			}
		}
		x.W.Null()
	}
}

func cmdHDel(x *Ctx) {
	key := x.Args[1]
	en := x.Tx.Get(key)
	if en == nil {
		x.W.Int(0)
		return
	}
	if en.Kind != engine.KindHash {
		x.Error(resp.ErrWrongType)
		return
	}
	h := en.Obj().(*engine.Hash)
	var n int64
	for _, f := range x.Args[2:] {
		if h.Delete(f) {
			n++
		}
	}
	if n > 0 {
		hashStore(x, key, en, h)
	}
	x.W.Int(n)
}

func cmdHExists(x *Ctx) {
	if h, ok := hashRead(x, x.Args[1]); ok {
		if h != nil && h.Has(x.Args[2]) {
			x.W.Int(1)
		} else {
			x.W.Int(0)
		}
	}
}

func cmdHLen(x *Ctx) {
	if h, ok := hashRead(x, x.Args[1]); ok {
		if h == nil {
			x.W.Int(0)
		} else {
			x.W.Int(int64(h.Len()))
		}
	}
}

func cmdHStrlen(x *Ctx) {
	if h, ok := hashRead(x, x.Args[1]); ok {
		var n int
		if h != nil {
			v, _ := h.Get(x.Args[2])
			n = len(v)
		}
		x.W.Int(int64(n))
	}
}

// hashGrowReply makes room for a reply of n elements holding bytes of
// content, so a large hash is written without the buffer growing (and
// copying) again and again under the shard lock.
func hashGrowReply(x *Ctx, n int, bytes int64) {
	// A hint only, clamped to the reply bound: the writes are checked.
	x.W.Grow(int(bytes) + n*16 + 32)
}

// hashReplyAll writes every field, every value, or both (a map in RESP3).
func hashReplyAll(x *Ctx, fields, values bool) {
	h, ok := hashRead(x, x.Args[1])
	if !ok {
		return
	}
	both := fields && values
	if h == nil {
		if both {
			x.W.Map(0)
		} else {
			x.W.Array(0)
		}
		return
	}
	n := h.Len()
	if both {
		x.W.Map(n)
		hashGrowReply(x, 2*n, h.Size())
	} else {
		x.W.Array(n)
		hashGrowReply(x, n, h.Size())
	}
	h.Each(func(f, v string) bool {
		if fields {
			x.W.BulkString(f)
		}
		if values {
			x.W.BulkString(v)
		}
		return true
	})
}

func cmdHKeys(x *Ctx)   { hashReplyAll(x, true, false) }
func cmdHVals(x *Ctx)   { hashReplyAll(x, false, true) }
func cmdHGetAll(x *Ctx) { hashReplyAll(x, true, true) }

func cmdHIncrBy(x *Ctx) {
	incr, ok := x.IntArg(3)
	if !ok {
		return
	}
	key, field := x.Args[1], x.Args[2]
	en, h, ok := hashWrite(x, key)
	if !ok {
		return
	}
	var v int64
	if cur, found := h.Get(field); found {
		if v, ok = ParseInt(engine.View(cur)); !ok {
			x.Error(errHashNotInt)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		x.Error(resp.ErrOverflow)
		return
	}
	v += incr
	var tmp [20]byte
	h.Set(field, strconv.AppendInt(tmp[:0], v, 10))
	hashStore(x, key, en, h)
	x.W.Int(v)
}

// cmdHIncrByFloat computes in 80-bit long double precision and formats the
// result as INCRBYFLOAT does (strings.go), since Redis shares that code.
func cmdHIncrByFloat(x *Ctx) {
	incr, ok := strLongDouble(x.Args[3])
	if !ok {
		x.Error(resp.ErrNotFloat)
		return
	}
	if incr.IsInf() {
		x.Error(errHashIncrNaN)
		return
	}
	key, field := x.Args[1], x.Args[2]
	en, h, ok := hashWrite(x, key)
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(64)
	s, found := h.Get(field)
	if found {
		if cur, ok = strLongDouble(engine.View(s)); !ok {
			x.Error(errHashNotFloat)
			return
		}
	}
	if cur.IsInf() {
		x.Error(errHashResultNaN)
		return
	}
	sum := new(big.Float).SetPrec(64).Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > strLDMaxExp {
		x.Error(errHashResultNaN)
		return
	}
	text := strFormatLongDouble(sum)
	// A few argument bytes can make a number of thousands of digits.
	if !x.GrowthAllowed(int64(len(text) - len(s))) {
		return
	}
	h.Set(field, text)
	hashStore(x, key, en, h)
	x.W.Bulk(text)
}

type hrandArgs struct {
	count      int64
	withCount  bool
	withValues bool
}

func parseHRandField(x *Ctx) (a hrandArgs, ok bool) {
	if len(x.Args) < 3 {
		return a, true
	}
	a.withCount = true
	if a.count, ok = x.IntArg(2); !ok {
		return a, false
	}
	if a.count == math.MinInt64 {
		x.Error(errHashRandLong)
		return a, false
	}
	if len(x.Args) > 4 || (len(x.Args) == 4 && !strEq(x.Args[3], "withvalues")) {
		x.SyntaxError()
		return a, false
	}
	if len(x.Args) == 4 {
		a.withValues = true
		// Redis refuses counts whose reply length (two per pick) would overflow.
		if a.count < -math.MaxInt64/2 || a.count > math.MaxInt64/2 {
			x.Error(errHashRandRange)
			return a, false
		}
	}
	return a, true
}

func cmdHRandField(x *Ctx) {
	a, ok := parseHRandField(x)
	if !ok {
		return
	}
	h, ok := hashRead(x, x.Args[1])
	switch {
	case !ok:
		return
	case !a.withCount:
		if h == nil {
			x.W.Null()
			return
		}
		f, _ := h.At(rand.IntN(h.Len()))
		x.W.BulkString(f)
		return
	case h == nil || a.count == 0:
		x.W.Array(0)
		return
	}
	n := int64(h.Len())
	if a.count < 0 {
		hashRandRepeated(x, h, -a.count, a.withValues)
		return
	}
	if a.count >= n {
		hashRandHeader(x, n, a.withValues)
		h.Each(func(f, v string) bool {
			hashRandPick(x, f, v, a.withValues)
			return true
		})
		return
	}
	hashRandDistinct(x, h, int(a.count), a.withValues)
}

// hashRandHeader announces k picks: flat field/value pairs in RESP2, one
// pair array per pick in RESP3.
func hashRandHeader(x *Ctx, k int64, withValues bool) {
	if withValues && x.W.Proto < 3 {
		x.W.Array(int(2 * k))
	} else {
		x.W.Array(int(k))
	}
}

func hashRandPick(x *Ctx, f, v string, withValues bool) {
	if withValues && x.W.Proto >= 3 {
		x.W.Array(2)
	}
	x.W.BulkString(f)
	if withValues {
		x.W.BulkString(v)
	}
}

// hashRandRepeated replies k picks that may repeat. Redis builds such a
// reply whatever its size and dies of it for absurd counts; Synap refuses a
// reply estimated beyond proto-max-bulk-len instead.
func hashRandRepeated(x *Ctx, h *engine.Hash, k int64, withValues bool) {
	n := int64(h.Len())
	per := float64(h.Size())/float64(n) + 16 // average pick, with reply framing
	if withValues {
		per += 16
	}
	if randReplyTooBig(x, k, per) {
		return
	}
	hashRandHeader(x, k, withValues)
	hashGrowReply(x, int(k), int64(float64(k)*per))
	for range k {
		f, v := h.At(rand.IntN(int(n)))
		hashRandPick(x, f, v, withValues)
	}
}

// hashRandDistinct replies k distinct fields, 0 < k < Len(). Drawing at
// random until enough distinct positions are found is cheap while k is at
// most half the hash; for more, the positions left out are drawn instead
// and the rest replied in order. A bitset of positions remembers the draws.
func hashRandDistinct(x *Ctx, h *engine.Hash, k int, withValues bool) {
	n := h.Len()
	hashRandHeader(x, int64(k), withValues)
	hashGrowReply(x, k, h.Size()/int64(n)*int64(k))
	drawn := make([]uint64, (n+63)/64)
	draw := func() int { // a position not drawn before
		for {
			i := rand.IntN(n)
			if bit := uint64(1) << (i & 63); drawn[i>>6]&bit == 0 {
				drawn[i>>6] |= bit
				return i
			}
		}
	}
	if k <= n/2 {
		for range k {
			f, v := h.At(draw())
			hashRandPick(x, f, v, withValues)
		}
		return
	}
	for range n - k {
		draw()
	}
	for i := range n {
		if drawn[i>>6]&(1<<(i&63)) == 0 {
			f, v := h.At(i)
			hashRandPick(x, f, v, withValues)
		}
	}
}

func cmdHScan(x *Ctx) {
	cursor, ok := scanCursorArg(x.Args[2])
	if !ok {
		x.Error(errInvalidCursor)
		return
	}
	h, ok := hashRead(x, x.Args[1])
	if !ok {
		return
	}
	if h == nil {
		replyEmptyScan(x) // before reading the options, as Redis
		return
	}
	count, pattern, ok := elemScanOpts(x)
	if !ok {
		return
	}
	lo, hi, next := h.ScanRange(cursor, count)
	x.W.Array(2)
	var tmp [20]byte
	x.W.Bulk(strconv.AppendUint(tmp[:0], next, 10))
	if pattern == nil {
		x.W.Array(2 * (hi - lo))
		for i := lo; i < hi; i++ {
			f, v := h.At(i)
			x.W.BulkString(f)
			x.W.BulkString(v)
		}
		return
	}
	// The candidates' fields and values, taken under the lock and matched
	// after it (see matchUnlocked).
	cand := make([]string, 0, 2*(hi-lo))
	for i := lo; i < hi; i++ {
		f, v := h.At(i)
		cand = append(cand, f, v)
	}
	g := matchUnlocked(x, pattern)
	hits := cand[:0]
	for i := 0; i < len(cand); i += 2 {
		if g.Match(engine.View(cand[i])) {
			hits = append(hits, cand[i], cand[i+1])
		}
	}
	x.W.Array(len(hits))
	for _, s := range hits {
		x.W.BulkString(s)
	}
}

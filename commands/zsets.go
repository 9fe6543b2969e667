package commands

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"synap/engine"
	"synap/resp"
)

// The sorted-set family: ZADD and friends over engine.ZSet.

func zsetNoKeysErr(name string) string {
	return fmt.Sprintf(errZsetNoKeys, name)
}

func init() {
	rd := []string{"read", "sortedset", "fast"}
	rdSlow := []string{"read", "sortedset", "slow"}
	wr := []string{"write", "sortedset", "fast"}
	wrSlow := []string{"write", "sortedset", "slow"}
	one := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "sorted-set", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	movable := func(name string, arity int, flags Flag, acl []string, keys func([][]byte) []int, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, KeysFn: keys, ACL: acl,
			Group: "sorted-set", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	store := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.Step = 1, 1, 1
		return c
	}
	// Pops hand out the members they remove, so a key must be allowed to read too.
	pops := func(c *Command) *Command {
		c.Reveals = Always
		return c
	}
	const (
		logN      = "O(log(N)) where N is the sorted set's cardinality"
		logNM     = "O(log(N)+M) where N is the sorted set's cardinality and M the number of members returned"
		logNMdel  = "O(log(N)+M) where N is the sorted set's cardinality and M the number of members removed"
		setOps    = "O(N)+O(M*log(M)) where N is the total size of the inputs and M the size of the result"
		interOps  = "O(N*K)+O(M*log(M)) where N is the smallest input's size, K the number of inputs and M the size of the result"
		blockWait = "O(log(N)) per member popped, N the sorted set's cardinality"
	)
	rangestore := one("zrangestore", -5, FlagWrite|FlagDenyOOM, wrSlow, "6.2.0", logNM,
		"Copies a range of a sorted set, by rank, score or member, into another key.", cmdZRangeStore)
	rangestore.LastKey = 2
	bzpop := func(name, summary string, run func(*Ctx)) *Command {
		c := one(name, -3, FlagWrite|FlagNoScript|FlagBlocking|FlagFast, []string{"write", "sortedset", "fast", "blocking"},
			"5.0.0", blockWait, summary, run)
		c.LastKey = -2
		return pops(c)
	}
	// What a write tells a key without read (table.go): plain ZADD and ZREM
	// name the members they settle; ZADD's options make it conditional (NX,
	// XX, GT, LT), compare scores (CH) or return one (INCR). ZINCRBY, the
	// range removals and the STORE commands keep the default and need read.
	zadd := one("zadd", -4, FlagWrite|FlagDenyOOM|FlagFast, wr, "1.2.0", "O(log(N)) for each member added or updated",
		"Adds members with scores to a sorted set or updates their scores, with conditions.", cmdZAdd)
	zadd.Reveals = OptionAt(2, "nx", "xx", "gt", "lt", "ch", "incr")
	zrem := one("zrem", -3, FlagWrite|FlagFast, wr, "1.2.0", "O(M*log(N)) for M members removed",
		"Takes members out of a sorted set; an emptied set is deleted.", cmdZRem)
	zrem.Reveals = Acknowledges
	register(
		zadd,
		one("zincrby", 4, FlagWrite|FlagDenyOOM|FlagFast, wr, "1.2.0", logN,
			"Adds an increment to a member's score, creating the member when absent.", cmdZIncrBy),
		zrem,
		one("zcard", 2, FlagReadOnly|FlagFast, rd, "1.2.0", "O(1)",
			"Counts the members of a sorted set.", cmdZCard),
		one("zcount", 4, FlagReadOnly|FlagFast, rd, "2.0.0", logN,
			"Counts the members whose score lies in an interval.", cmdZCount),
		one("zlexcount", 4, FlagReadOnly|FlagFast, rd, "2.8.9", logN,
			"Counts the members lying in a lexicographic interval.", cmdZLexCount),
		one("zscore", 3, FlagReadOnly|FlagFast, rd, "1.2.0", "O(1)",
			"Returns a member's score.", cmdZScore),
		one("zmscore", -3, FlagReadOnly|FlagFast, rd, "6.2.0", "O(N) for N members asked",
			"Returns the scores of several members.", cmdZMScore),
		one("zrank", -3, FlagReadOnly|FlagFast, rd, "2.0.0", logN,
			"Returns a member's position in ascending score order, optionally with its score.", cmdZRank),
		one("zrevrank", -3, FlagReadOnly|FlagFast, rd, "2.0.0", logN,
			"Returns a member's position in descending score order, optionally with its score.", cmdZRevRank),
		one("zrange", -4, FlagReadOnly, rdSlow, "1.2.0", logNM,
			"Returns a range of members by rank, score or member, in either direction.", cmdZRange),
		rangestore,
		one("zrevrange", -4, FlagReadOnly, rdSlow, "1.2.0", logNM,
			"Returns a range of members by rank, highest scores first.", cmdZRevRange),
		one("zrangebyscore", -4, FlagReadOnly, rdSlow, "1.0.5", logNM,
			"Returns the members whose score lies in an interval, lowest first.", cmdZRangeByScore),
		one("zrevrangebyscore", -4, FlagReadOnly, rdSlow, "2.2.0", logNM,
			"Returns the members whose score lies in an interval, highest first.", cmdZRevRangeByScore),
		one("zrangebylex", -4, FlagReadOnly, rdSlow, "2.8.9", logNM,
			"Returns the members lying in a lexicographic interval, in ascending order.", cmdZRangeByLex),
		one("zrevrangebylex", -4, FlagReadOnly, rdSlow, "2.8.9", logNM,
			"Returns the members lying in a lexicographic interval, in descending order.", cmdZRevRangeByLex),
		one("zremrangebyrank", 4, FlagWrite, wrSlow, "2.0.0", logNMdel,
			"Removes the members between two ranks.", cmdZRemRangeByRank),
		one("zremrangebyscore", 4, FlagWrite, wrSlow, "1.2.0", logNMdel,
			"Removes the members whose score lies in an interval.", cmdZRemRangeByScore),
		one("zremrangebylex", 4, FlagWrite, wrSlow, "2.8.9", logNMdel,
			"Removes the members lying in a lexicographic interval.", cmdZRemRangeByLex),
		pops(one("zpopmin", -2, FlagWrite|FlagFast, wr, "5.0.0", logNMdel,
			"Removes and returns the members with the lowest scores.", cmdZPopMin)),
		pops(one("zpopmax", -2, FlagWrite|FlagFast, wr, "5.0.0", logNMdel,
			"Removes and returns the members with the highest scores.", cmdZPopMax)),
		pops(movable("zmpop", -4, FlagWrite, wrSlow, zsetKeysAt1, "7.0.0", "O(K)+O(M*log(N)): K keys looked at, M members popped",
			"Removes and returns the lowest- or highest-scored members of the first non-empty sorted set among several keys.", cmdZMPop)),
		one("zrandmember", -2, FlagReadOnly, rdSlow, "6.2.0", "O(N) where N is the number of members returned",
			"Returns random members, optionally with scores; a negative count allows repeats.", cmdZRandMember),
		movable("zunion", -3, FlagReadOnly, rdSlow, zsetKeysAt1, "6.2.0", setOps,
			"Returns the union of sorted sets (and sets), with weights and an aggregate.", cmdZUnion),
		movable("zinter", -3, FlagReadOnly, rdSlow, zsetKeysAt1, "6.2.0", interOps,
			"Returns the intersection of sorted sets (and sets), with weights and an aggregate.", cmdZInter),
		movable("zdiff", -3, FlagReadOnly, rdSlow, zsetKeysAt1, "6.2.0", setOps,
			"Returns the members of the first sorted set that no other given set holds.", cmdZDiff),
		store(movable("zunionstore", -4, FlagWrite|FlagDenyOOM, wrSlow, zsetStoreKeys, "2.0.0", setOps,
			"Stores the union of sorted sets (and sets) in a key.", cmdZUnionStore)),
		store(movable("zinterstore", -4, FlagWrite|FlagDenyOOM, wrSlow, zsetStoreKeys, "2.0.0", interOps,
			"Stores the intersection of sorted sets (and sets) in a key.", cmdZInterStore)),
		store(movable("zdiffstore", -4, FlagWrite|FlagDenyOOM, wrSlow, zsetStoreKeys, "6.2.0", setOps,
			"Stores the members of the first sorted set that no other given set holds.", cmdZDiffStore)),
		movable("zintercard", -3, FlagReadOnly, rdSlow, zsetKeysAt1, "7.0.0", "O(N*K) where N is the smallest input's size and K the number of inputs",
			"Counts the members common to every given set, optionally stopping at a limit.", cmdZInterCard),
		one("zscan", -3, FlagReadOnly, rdSlow, "2.8.0", "O(1) per call, O(N) for a full pass",
			"Walks a sorted set's members and scores in batches, resuming from a cursor.", cmdZScan),
		bzpop("bzpopmin", "Pops the lowest-scored member of the first non-empty sorted set, waiting for one when all are empty.", cmdBZPopMin),
		bzpop("bzpopmax", "Pops the highest-scored member of the first non-empty sorted set, waiting for one when all are empty.", cmdBZPopMax),
		pops(movable("bzmpop", -5, FlagWrite|FlagBlocking, []string{"write", "sortedset", "slow", "blocking"}, zsetKeysAt2, "7.0.0",
			"O(K)+O(M*log(N)): K keys looked at, M members popped",
			"ZMPOP that waits for a member when every given sorted set is empty.", cmdBZMPop)),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"bzmpop": propBlockingMPop("ZMPOP"), "bzpopmax": propBlockingPop("ZPOPMAX"),
		"bzpopmin": propBlockingPop("ZPOPMIN"), "zadd": Verbatim, "zdiffstore": Verbatim, "zincrby": Verbatim,
		"zinterstore": Verbatim, "zmpop": Verbatim, "zpopmax": Verbatim, "zpopmin": Verbatim,
		"zrangestore": Verbatim, "zrem": Verbatim, "zremrangebylex": Verbatim, "zremrangebyrank": Verbatim,
		"zremrangebyscore": Verbatim, "zunionstore": Verbatim,
	})
}

// zsetNumkeys reads a numkeys argument at args[i] and returns how many keys
// follow it, or -1 when it is not a count the arguments can hold.
func zsetNumkeys(args [][]byte, i int) int {
	if i >= len(args) {
		return -1
	}
	n, ok := ParseInt(args[i])
	if !ok || n < 1 || n > int64(len(args)-i-1) {
		return -1
	}
	return int(n)
}

func zsetKeyRange(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// zsetKeysAt1 finds "numkeys key..." keys from the first argument (ZUNION,
// ZINTER, ZDIFF, ZINTERCARD, ZMPOP); none when numkeys is invalid, which
// the handler then refuses before touching a key.
func zsetKeysAt1(args [][]byte) []int {
	n := zsetNumkeys(args, 1)
	if n < 0 {
		return nil
	}
	return zsetKeyRange(2, n)
}

// zsetKeysAt2 is zsetKeysAt1 after a leading timeout (BZMPOP).
func zsetKeysAt2(args [][]byte) []int {
	n := zsetNumkeys(args, 2)
	if n < 0 {
		return nil
	}
	return zsetKeyRange(3, n)
}

// zsetStoreKeys finds "destination numkeys key..." (ZUNIONSTORE...).
func zsetStoreKeys(args [][]byte) []int {
	n := zsetNumkeys(args, 2)
	if n < 0 {
		return nil
	}
	return append([]int{1}, zsetKeyRange(3, n)...)
}

// ---- numbers and intervals, parsed as Redis parses them

func zsetIsSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func zsetIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func zsetIsHex(c byte) bool { return zsetIsDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func zsetPrefixFold(b []byte, lower string) bool {
	return len(b) >= len(lower) && strEq(b[:len(lower)], lower)
}

// zsetStrtod reads the longest prefix of b that C's strtod reads: leading
// white space, a sign, then a decimal or hexadecimal number, "inf",
// "infinity" or "nan". It returns the value, how many bytes it used (0 when
// there is no number), and whether the value is out of range: an overflow
// to ±Inf, or a non-zero number that rounds to zero.
func zsetStrtod(b []byte) (v float64, n int, erange bool) {
	i := 0
	for i < len(b) && zsetIsSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := b[i:]
	switch {
	case zsetPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8, false
	case zsetPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3, false
	case zsetPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(b) && b[j] == '(' {
			k := j + 1
			for k < len(b) && (zsetIsHex(b[k]) || b[k]|0x20 >= 'g' && b[k]|0x20 <= 'z' || b[k] == '_') {
				k++
			}
			if k < len(b) && b[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	hex := len(rest) > 2 && rest[0] == '0' && rest[1]|0x20 == 'x' &&
		(zsetIsHex(rest[2]) || rest[2] == '.' && len(rest) > 3 && zsetIsHex(rest[3]))
	digit := zsetIsDigit
	j := i
	if hex {
		digit = zsetIsHex
		j += 2
	}
	mant, nonzero := 0, false
	for j < len(b) && digit(b[j]) {
		nonzero = nonzero || b[j] != '0'
		j++
		mant++
	}
	if j < len(b) && b[j] == '.' {
		k := j + 1
		for k < len(b) && digit(b[k]) {
			nonzero = nonzero || b[k] != '0'
			k++
			mant++
		}
		if mant > 0 {
			j = k
		}
	}
	if mant == 0 {
		return 0, 0, false
	}
	numEnd := j
	expChar := byte('e')
	if hex {
		expChar = 'p'
	}
	if j < len(b) && b[j]|0x20 == expChar {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		if k < len(b) && zsetIsDigit(b[k]) {
			for k < len(b) && zsetIsDigit(b[k]) {
				k++
			}
			j = k
		}
	}
	text := zsetString(b[i:j])
	if hex && j == numEnd {
		text += "p0" // Go wants the binary exponent C makes optional
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, 0, false
		}
		erange = true
	}
	if f == 0 && nonzero {
		erange = true
	}
	return sign(f), j, erange
}

// zsetString views b as a string without copying; only for immediate use.
func zsetString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// zsetParseScore parses a score or weight as Redis's getDoubleFromObject:
// the whole text a number, no leading space, no NaN, no overflow.
func zsetParseScore(b []byte) (float64, bool) {
	if len(b) == 0 || zsetIsSpace(b[0]) {
		return 0, false
	}
	if f, ok := zsetFastInt(b); ok {
		return f, true
	}
	v, n, erange := zsetStrtod(b)
	if n != len(b) || erange || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// zsetFastInt reads the common plain integer score without strtod's work.
func zsetFastInt(b []byte) (float64, bool) {
	if len(b) > 15 {
		return 0, false
	}
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 {
		return 0, false
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if len(d) < len(b) {
		return -float64(v), true
	}
	return float64(v), true
}

// zsetParseBound parses one end of a score interval: a number as strtod
// reads it (so leading space and the empty text, 0, pass, as in Redis),
// "(" before it for an open end.
func zsetParseBound(b []byte) (v float64, open, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		open, b = true, b[1:]
	}
	v, n, _ := zsetStrtod(b)
	if n != len(b) || math.IsNaN(v) {
		return 0, false, false
	}
	return v, open, true
}

func zsetParseScoreRange(min, max []byte) (r engine.ScoreRange, ok bool) {
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = zsetParseBound(min)
	r.Max, r.MaxEx, ok2 = zsetParseBound(max)
	return r, ok1 && ok2
}

// zsetParseLexBound parses "-", "+", "[member" or "(member".
func zsetParseLexBound(b []byte) (engine.LexBound, bool) {
	if len(b) == 0 {
		return engine.LexBound{}, false
	}
	switch b[0] {
	case '-', '+':
		if len(b) != 1 {
			return engine.LexBound{}, false
		}
		if b[0] == '-' {
			return engine.LexBound{Inf: -1}, true
		}
		return engine.LexBound{Inf: 1}, true
	case '(':
		return engine.LexBound{Value: string(b[1:]), Ex: true}, true
	case '[':
		return engine.LexBound{Value: string(b[1:])}, true
	}
	return engine.LexBound{}, false
}

func zsetParseLexRange(min, max []byte) (r engine.LexRange, ok bool) {
	var ok1, ok2 bool
	r.Min, ok1 = zsetParseLexBound(min)
	r.Max, ok2 = zsetParseLexBound(max)
	return r, ok1 && ok2
}

// ---- lookups and replies

// zsetOf returns key's sorted set, nil when the key is absent. On a key of
// another type it replies WRONGTYPE and returns ok false. read counts a
// keyspace hit or miss, as Redis's read lookups do.
func zsetOf(x *Ctx, key []byte, read bool) (en *engine.Entry, z *engine.ZSet, ok bool) {
	if read {
		z, ok = readAs[*engine.ZSet](x, key, engine.KindZSet)
		return nil, z, ok
	}
	return writeAs[*engine.ZSet](x, key, engine.KindZSet)
}

// zsetSaved finishes an in-place change: an emptied set loses its key.
func zsetSaved(x *Ctx, key []byte, en *engine.Entry, z *engine.ZSet) {
	if z.Len() == 0 {
		x.Tx.Delete(key)
		return
	}
	z.Fit()
	x.Tx.Updated(key, en)
}

// zsetStore replaces dst with z, or deletes dst when z is empty, as the
// STORE commands do whatever dst held. It returns false, having replied,
// when the result does not fit the tenant's storage quota.
func zsetStore(x *Ctx, dst []byte, z *engine.ZSet) bool {
	if z == nil || z.Len() == 0 {
		x.Tx.Delete(dst)
		return true
	}
	en := engine.NewObject(engine.KindZSet, z)
	if !x.StoreAllowed(x.Tx, dst, en.ValueSize()) {
		return false
	}
	x.Tx.Put(dst, en)
	return true
}

// zsetReply writes members with or without scores. With scores, RESP2
// gets a flat member, score, member... array; RESP3 (and ZMPOP's shape in
// both) one [member, score] pair per member.
type zsetReply struct {
	w             *resp.Writer
	scores, pairs bool
}

func newZsetReply(w *resp.Writer, scores bool) zsetReply {
	return zsetReply{w: w, scores: scores, pairs: scores && w.Proto >= 3}
}

// reserve grows the reply buffer once for n members of z, sparing a big
// range the repeated copying of a buffer grown by doubling.
func (r zsetReply) reserve(z *engine.ZSet, n int) {
	if n < 1024 {
		return
	}
	per := z.Size()/int64(z.Len()) + 16 // bulk header and CRLFs around the member
	if r.scores {
		per += 16
	}
	r.w.Grow(int(per) * n) // past the reply bound, the writes that follow are dropped
}

func (r zsetReply) begin(n int) {
	if r.scores && !r.pairs {
		r.w.Array(2 * n)
		return
	}
	r.w.Array(n)
}

func (r zsetReply) item(m string, s float64) {
	if !r.scores {
		r.w.BulkString(m)
		return
	}
	if r.pairs {
		r.w.Array(2)
	}
	r.w.BulkString(m)
	zsetWriteScore(r.w, s)
}

// zsetWriteScore is w.Double with a fast path for the common integral
// score, whose %.17g text is its integer digits: formatting a double with
// 17 significant digits costs several times more, which shows over a
// range of a million members.
func zsetWriteScore(w *resp.Writer, s float64) {
	if s != math.Trunc(s) || s <= -1e15 || s >= 1e15 || s == 0 && math.Signbit(s) {
		w.Double(s)
		return
	}
	var tmp [24]byte
	w.DoubleText(strconv.AppendInt(tmp[:0], int64(s), 10))
}

// zsetListpackScore formats a score as a listpack stores it, which is what
// ZSCAN returns for a small set: integers that fit half a long long as
// integers, the rest as %.17g.
func zsetListpackScore(b []byte, f float64) []byte {
	if f == math.Trunc(f) && f >= -(math.MaxInt64/2) && f <= math.MaxInt64/2 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return resp.AppendFloat(b, f)
}

// ---- ZADD, ZINCRBY, ZREM

type zaddArgs struct {
	nx, xx, gt, lt, ch, incr bool
	first                    int // index of the first score
	scores                   []float64
}

func parseZAdd(x *Ctx, buf []float64) (a zaddArgs, ok bool) {
	args := x.Args
	i := 2
options:
	for ; i < len(args); i++ {
		switch o := args[i]; {
		case strEq(o, "nx"):
			a.nx = true
		case strEq(o, "xx"):
			a.xx = true
		case strEq(o, "gt"):
			a.gt = true
		case strEq(o, "lt"):
			a.lt = true
		case strEq(o, "ch"):
			a.ch = true
		case strEq(o, "incr"):
			a.incr = true
		default:
			break options
		}
	}
	a.first = i
	elems := len(args) - i
	switch {
	case elems == 0 || elems%2 != 0:
		x.SyntaxError()
		return a, false
	case a.nx && a.xx:
		x.Error(errZsetXXNX)
		return a, false
	case a.gt && a.nx || a.lt && a.nx || a.gt && a.lt:
		x.Error(errZsetGTLTNX)
		return a, false
	case a.incr && elems > 2:
		x.Error(errZsetIncrPair)
		return a, false
	}
	a.scores = buf[:0]
	for j := i; j < len(args); j += 2 {
		f, ok := zsetParseScore(args[j])
		if !ok {
			x.Error(resp.ErrNotFloat)
			return a, false
		}
		a.scores = append(a.scores, f)
	}
	return a, true
}

func cmdZAdd(x *Ctx) {
	var buf [8]float64
	a, ok := parseZAdd(x, buf[:])
	if !ok {
		return
	}
	zaddRun(x, a)
}

func cmdZIncrBy(x *Ctx) {
	f, ok := zsetParseScore(x.Args[2])
	if !ok {
		x.Error(resp.ErrNotFloat)
		return
	}
	var buf [1]float64
	zaddRun(x, zaddArgs{incr: true, first: 2, scores: append(buf[:0], f)})
}

// zaddRun applies parsed ZADD (or ZINCRBY) arguments.
func zaddRun(x *Ctx, a zaddArgs) {
	key := x.Args[1]
	en, z, ok := zsetOf(x, key, false)
	if !ok {
		return
	}
	if z == nil {
		if a.xx {
			if a.incr {
				x.W.Null()
			} else {
				x.W.Int(0)
			}
			return
		}
		// Like Redis, a new set's encoding follows its first member only.
		z = engine.NewZSet(0, len(x.Args[a.first+1]))
		if n := len(a.scores); n > 1 {
			// Room for every member at once instead of growing as they
			// come; zsetSaved gives back what repeated members left.
			bytes := 0
			for i := range n {
				bytes += len(x.Args[a.first+2*i+1])
			}
			z.Reserve(a.scores, bytes)
		}
		en = x.Tx.Put(key, engine.NewObject(engine.KindZSet, z))
	}
	added, updated, done := 0, 0, 0
	var result float64
	for i, score := range a.scores {
		member := x.Args[a.first+2*i+1]
		cur, exists := z.Score(member)
		if !exists {
			if a.xx {
				continue
			}
			z.Set(member, score)
			added++
			done++
			result = score
			continue
		}
		if a.nx {
			continue
		}
		if a.incr {
			score += cur
			if math.IsNaN(score) {
				zsetSaved(x, key, en, z)
				x.Error(errZsetNaN)
				return
			}
		}
		if a.gt && score <= cur || a.lt && score >= cur {
			continue
		}
		if score != cur {
			z.Set(member, score)
			updated++
		}
		done++
		result = score
	}
	zsetSaved(x, key, en, z)
	switch {
	case a.incr && done == 0:
		x.W.Null()
	case a.incr:
		x.W.Double(result)
	case a.ch:
		x.W.Int(int64(added + updated))
	default:
		x.W.Int(int64(added))
	}
}

func cmdZRem(x *Ctx) {
	key := x.Args[1]
	en, z, ok := zsetOf(x, key, false)
	if !ok {
		return
	}
	if z == nil {
		x.W.Int(0)
		return
	}
	n := 0
	for _, m := range x.Args[2:] {
		if z.Remove(m) {
			n++
		}
	}
	if n > 0 {
		zsetSaved(x, key, en, z)
	}
	x.W.Int(int64(n))
}

// ---- reads of single members and counts

func cmdZCard(x *Ctx) {
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	if z == nil {
		x.W.Int(0)
		return
	}
	x.W.Int(int64(z.Len()))
}

func cmdZScore(x *Ctx) {
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(x.Args[2]); found {
			x.W.Double(s)
			return
		}
	}
	x.W.Null()
}

func cmdZMScore(x *Ctx) {
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	x.W.Array(len(x.Args) - 2)
	for _, m := range x.Args[2:] {
		if z != nil {
			if s, found := z.Score(m); found {
				x.W.Double(s)
				continue
			}
		}
		x.W.Null()
	}
}

func cmdZRank(x *Ctx)    { zsetRank(x, false) }
func cmdZRevRank(x *Ctx) { zsetRank(x, true) }

// zsetRank is ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE: then the reply
// is [rank, score], and a null array for an absent member.
func zsetRank(x *Ctx, rev bool) {
	if len(x.Args) > 4 {
		x.ArityError()
		return
	}
	withScore := len(x.Args) == 4
	if withScore && !strEq(x.Args[3], "withscore") {
		x.SyntaxError()
		return
	}
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	var rank int
	var score float64
	found := false
	if z != nil {
		rank, score, found = z.Rank(x.Args[2])
	}
	switch {
	case !found && withScore:
		x.W.NullArray()
	case !found:
		x.W.Null()
	default:
		if rev {
			rank = z.Len() - 1 - rank
		}
		if withScore {
			x.W.Array(2)
		}
		x.W.Int(int64(rank))
		if withScore {
			x.W.Double(score)
		}
	}
}

func cmdZCount(x *Ctx) {
	r, ok := zsetParseScoreRange(x.Args[2], x.Args[3])
	if !ok {
		x.Error(errZsetMinMaxFloat)
		return
	}
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	if z == nil {
		x.W.Int(0)
		return
	}
	lo, hi := z.ScoreSpan(r)
	x.W.Int(int64(hi - lo))
}

func cmdZLexCount(x *Ctx) {
	r, ok := zsetParseLexRange(x.Args[2], x.Args[3])
	if !ok {
		x.Error(errZsetMinMaxLex)
		return
	}
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	if z == nil {
		x.W.Int(0)
		return
	}
	lo, hi := z.LexSpan(r)
	x.W.Int(int64(hi - lo))
}

// ---- ranges

const (
	zrangeAuto = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeReq is a parsed range request of any of the ZRANGE forms.
type zrangeReq struct {
	src, dst      []byte
	by            int
	rev           bool
	scores        bool
	offset, limit int64 // limit -1: no limit
	start, stop   int64
	score         engine.ScoreRange
	lex           engine.LexRange
}

// parseZRange reads the arguments of a ZRANGE form: the source key at
// args[first], its two range ends, then options. ZRANGE and ZRANGESTORE
// (generic) take BYSCORE, BYLEX and REV; the older forms fix them (by,
// rev) and refuse them as options, as Redis does.
func parseZRange(x *Ctx, first int, generic bool, by int, rev bool, store bool) (q zrangeReq, ok bool) {
	args := x.Args
	q = zrangeReq{src: args[first], by: by, rev: rev, limit: -1}
	for j := first + 3; j < len(args); j++ {
		a, left := args[j], len(args)-j-1
		switch {
		case !store && strEq(a, "withscores"):
			q.scores = true
		case left >= 2 && strEq(a, "limit"):
			var ok1, ok2 bool
			q.offset, ok1 = ParseInt(args[j+1])
			if ok1 {
				q.limit, ok2 = ParseInt(args[j+2])
			}
			if !ok1 || !ok2 {
				x.Error(resp.ErrNotInteger)
				return q, false
			}
			j += 2
		case generic && !q.rev && strEq(a, "rev"):
			q.rev = true
		case generic && q.by == zrangeAuto && strEq(a, "bylex"):
			q.by = zrangeLex
		case generic && q.by == zrangeAuto && strEq(a, "byscore"):
			q.by = zrangeScore
		default:
			x.SyntaxError()
			return q, false
		}
	}
	if q.by == zrangeAuto {
		q.by = zrangeRank
	}
	if q.limit != -1 && q.by == zrangeRank {
		x.Error(errZsetLimitRank)
		return q, false
	}
	if q.scores && q.by == zrangeLex {
		x.Error(errZsetScoresLex)
		return q, false
	}
	lo, hi := args[first+1], args[first+2]
	if q.rev && q.by != zrangeRank {
		lo, hi = hi, lo // reversed intervals are written max first
	}
	switch q.by {
	case zrangeRank:
		var ok1, ok2 bool
		q.start, ok1 = ParseInt(lo)
		if ok1 {
			q.stop, ok2 = ParseInt(hi)
		}
		if !ok1 || !ok2 {
			x.Error(resp.ErrNotInteger)
			return q, false
		}
	case zrangeScore:
		if q.score, ok = zsetParseScoreRange(lo, hi); !ok {
			x.Error(errZsetMinMaxFloat)
			return q, false
		}
	case zrangeLex:
		if q.lex, ok = zsetParseLexRange(lo, hi); !ok {
			x.Error(errZsetMinMaxLex)
			return q, false
		}
	}
	return q, true
}

// zsetRankSpan turns Redis's inclusive start/stop ranks (negative from the
// end) into the ascending rank interval [lo, hi) of an n-member set.
func zsetRankSpan(start, stop int64, n int) (lo, hi int) {
	size := int64(n)
	if start < 0 {
		start += size
	}
	if stop < 0 {
		stop += size
	}
	start = max(start, 0)
	if start > stop || start >= size {
		return 0, 0
	}
	stop = min(stop, size-1)
	return int(start), int(stop + 1)
}

// span is the ascending rank interval the request selects in z, LIMIT
// applied; the members are returned from hi-1 down when q.rev.
func (q *zrangeReq) span(z *engine.ZSet) (lo, hi int) {
	if z == nil {
		return 0, 0
	}
	switch q.by {
	case zrangeRank:
		lo, hi = zsetRankSpan(q.start, q.stop, z.Len())
		if q.rev {
			lo, hi = z.Len()-hi, z.Len()-lo
		}
		return lo, hi
	case zrangeScore:
		lo, hi = z.ScoreSpan(q.score)
	default:
		lo, hi = z.LexSpan(q.lex)
	}
	// A negative offset skips everything, as Redis's walk does.
	if q.offset < 0 || q.offset >= int64(hi-lo) {
		return 0, 0
	}
	off := int(q.offset)
	if q.rev {
		hi -= off
	} else {
		lo += off
	}
	if q.limit >= 0 && q.limit < int64(hi-lo) {
		if q.rev {
			lo = hi - int(q.limit)
		} else {
			hi = lo + int(q.limit)
		}
	}
	return lo, hi
}

// zrangeRun answers or stores a parsed range request.
func zrangeRun(x *Ctx, q zrangeReq) {
	_, z, ok := zsetOf(x, q.src, true)
	if !ok {
		return
	}
	lo, hi := q.span(z)
	if q.dst != nil {
		var out *engine.ZSet
		if hi > lo {
			out = engine.NewZSet(hi-lo, 0)
			z.Range(lo, hi, false, func(m string, s float64) bool {
				out.SetString(m, s)
				return true
			})
		}
		if zsetStore(x, q.dst, out) {
			x.W.Int(int64(hi - lo))
		}
		return
	}
	r := newZsetReply(x.W, q.scores)
	r.reserve(z, hi-lo)
	r.begin(hi - lo)
	if hi > lo {
		z.Range(lo, hi, q.rev, func(m string, s float64) bool {
			r.item(m, s)
			return true
		})
	}
}

func zrangeCmd(x *Ctx, generic bool, by int, rev bool) {
	if q, ok := parseZRange(x, 1, generic, by, rev, false); ok {
		zrangeRun(x, q)
	}
}

func cmdZRange(x *Ctx)           { zrangeCmd(x, true, zrangeAuto, false) }
func cmdZRevRange(x *Ctx)        { zrangeCmd(x, false, zrangeRank, true) }
func cmdZRangeByScore(x *Ctx)    { zrangeCmd(x, false, zrangeScore, false) }
func cmdZRevRangeByScore(x *Ctx) { zrangeCmd(x, false, zrangeScore, true) }
func cmdZRangeByLex(x *Ctx)      { zrangeCmd(x, false, zrangeLex, false) }
func cmdZRevRangeByLex(x *Ctx)   { zrangeCmd(x, false, zrangeLex, true) }
func cmdZRemRangeByRank(x *Ctx)  { zremRange(x, zrangeRank) }
func cmdZRemRangeByScore(x *Ctx) { zremRange(x, zrangeScore) }
func cmdZRemRangeByLex(x *Ctx)   { zremRange(x, zrangeLex) }

func cmdZRangeStore(x *Ctx) {
	q, ok := parseZRange(x, 2, true, zrangeAuto, false, true)
	if !ok {
		return
	}
	q.dst = x.Args[1]
	zrangeRun(x, q)
}

// zremRange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func zremRange(x *Ctx, by int) {
	q := zrangeReq{by: by, limit: -1}
	switch by {
	case zrangeRank:
		var ok1, ok2 bool
		q.start, ok1 = ParseInt(x.Args[2])
		if ok1 {
			q.stop, ok2 = ParseInt(x.Args[3])
		}
		if !ok1 || !ok2 {
			x.Error(resp.ErrNotInteger)
			return
		}
	case zrangeScore:
		r, ok := zsetParseScoreRange(x.Args[2], x.Args[3])
		if !ok {
			x.Error(errZsetMinMaxFloat)
			return
		}
		q.score = r
	default:
		r, ok := zsetParseLexRange(x.Args[2], x.Args[3])
		if !ok {
			x.Error(errZsetMinMaxLex)
			return
		}
		q.lex = r
	}
	key := x.Args[1]
	en, z, ok := zsetOf(x, key, false)
	if !ok {
		return
	}
	lo, hi := q.span(z)
	n := 0
	if hi > lo {
		n = z.RemoveRange(lo, hi, nil)
		zsetSaved(x, key, en, z)
	}
	x.W.Int(int64(n))
}

// ---- pops

func cmdZPopMin(x *Ctx) { zsetPopCmd(x, false) }
func cmdZPopMax(x *Ctx) { zsetPopCmd(x, true) }

// zsetPopCmd is ZPOPMIN and ZPOPMAX. Without a count RESP3 still gets the
// flat member, score pair; with one, a pair per member.
func zsetPopCmd(x *Ctx, max bool) {
	if len(x.Args) > 3 {
		x.SyntaxError()
		return
	}
	count := int64(1)
	if len(x.Args) == 3 {
		n, ok := ParseInt(x.Args[2])
		if !ok || n < 0 {
			x.Error(errZsetPositive)
			return
		}
		count = n
	}
	key := x.Args[1]
	en, z, ok := zsetOf(x, key, false)
	if !ok {
		return
	}
	r := newZsetReply(x.W, true)
	r.pairs = x.W.Proto >= 3 && len(x.Args) == 3
	if z == nil {
		x.W.Array(0)
		return
	}
	zsetPop(x, key, en, z, max, count, r)
}

// zsetPop removes up to count members from one end of z and writes them.
func zsetPop(x *Ctx, key []byte, en *engine.Entry, z *engine.ZSet, max bool, count int64, r zsetReply) {
	n := int(min(count, int64(z.Len())))
	r.begin(n)
	if n == 0 {
		return
	}
	if max {
		// The highest first: write them walking down, then cut the tail.
		z.Range(z.Len()-n, z.Len(), true, func(m string, s float64) bool {
			r.item(m, s)
			return true
		})
		z.RemoveRange(z.Len()-n, z.Len(), nil)
	} else {
		z.RemoveRange(0, n, r.item)
	}
	zsetSaved(x, key, en, z)
}

// zmpopArgs is ZMPOP's (and BZMPOP's) "numkeys key... MIN|MAX [COUNT n]".
type zmpopArgs struct {
	keys  [][]byte
	max   bool
	count int64
}

// parseZMPop reads the arguments from args[at], the numkeys.
func parseZMPop(x *Ctx, at int) (a zmpopArgs, ok bool) {
	args := x.Args
	n, ok := ParseInt(args[at])
	if !ok || n < 1 {
		x.Error(errZsetNumkeys)
		return a, false
	}
	if n > int64(len(args)-at-2) {
		x.SyntaxError()
		return a, false
	}
	a.keys = args[at+1 : at+1+int(n)]
	a.count = 1
	j := at + 1 + int(n)
	switch {
	case strEq(args[j], "min"):
	case strEq(args[j], "max"):
		a.max = true
	default:
		x.SyntaxError()
		return a, false
	}
	counted := false
	for j++; j < len(args); j++ {
		if counted || j+1 >= len(args) || !strEq(args[j], "count") {
			x.SyntaxError()
			return a, false
		}
		c, ok := ParseInt(args[j+1])
		if !ok || c < 1 {
			x.Error(errZsetCount)
			return a, false
		}
		a.count, counted = c, true
		j++
	}
	return a, true
}

// zmpopServe pops from the first non-empty key; it reports false, having
// written nothing, when every key is empty. A key of another type fails the
// whole command, as in Redis, except when serving a waiter (blocked): then
// it is passed over, as BZPOPMIN's serving does.
func zmpopServe(x *Ctx, a zmpopArgs, blocked bool) (served bool) {
	key, en, replied := firstOfKind(x, a.keys, engine.KindZSet, blocked)
	if en == nil {
		return replied
	}
	x.W.Array(2)
	x.W.Bulk(key)
	zsetPop(x, key, en, en.Obj().(*engine.ZSet), a.max, a.count, zsetReply{w: x.W, scores: true, pairs: true})
	return true
}

func cmdZMPop(x *Ctx) {
	a, ok := parseZMPop(x, 1)
	if !ok {
		return
	}
	if !zmpopServe(x, a, false) {
		x.W.NullArray()
	}
}

// ---- ZRANDMEMBER

func cmdZRandMember(x *Ctx) {
	args := x.Args
	if len(args) == 2 {
		_, z, ok := zsetOf(x, args[1], true)
		if !ok {
			return
		}
		if z == nil {
			x.W.Null()
			return
		}
		m, _ := z.At(rand.IntN(z.Len()))
		x.W.BulkString(m)
		return
	}
	count, ok := ParseInt(args[2])
	if !ok {
		x.Error(resp.ErrNotInteger)
		return
	}
	if count == math.MinInt64 {
		x.Error(errZsetRandRange)
		return
	}
	scores := false
	if len(args) > 4 || len(args) == 4 && !strEq(args[3], "withscores") {
		x.SyntaxError()
		return
	}
	if len(args) == 4 {
		scores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			x.Error(errZsetOutOfRange)
			return
		}
	}
	_, z, ok := zsetOf(x, args[1], true)
	if !ok {
		return
	}
	r := newZsetReply(x.W, scores)
	if z == nil || count == 0 {
		x.W.Array(0)
		return
	}
	size := z.Len()
	switch {
	case count < 0:
		// Repeats allowed: each pick independent.
		n := -count
		per := z.Size()/int64(size) + 6
		if scores {
			per += 26
		}
		if randReplyTooBig(x, n, float64(per)) {
			return
		}
		r.begin(int(n))
		for range n {
			r.item(z.At(rand.IntN(size)))
		}
	case count >= int64(size):
		// The whole set; Redis hands a small set out from its end.
		r.begin(size)
		z.Range(0, size, true, func(m string, s float64) bool {
			r.item(m, s)
			return true
		})
	default:
		zsetRandDistinct(z, int(count), r)
	}
}

// zsetRandDistinct writes n distinct random members (0 < n < Len).
func zsetRandDistinct(z *engine.ZSet, n int, r zsetReply) {
	size := z.Len()
	r.begin(n)
	if n*3 > size {
		// Most of the set: pick ranks in one ordered pass (selection
		// sampling), then shuffle the picks so the order tells nothing.
		type pick struct {
			m string
			s float64
		}
		picks := make([]pick, 0, n)
		seen := 0
		z.Range(0, size, false, func(m string, s float64) bool {
			if rand.IntN(size-seen) < n-len(picks) {
				picks = append(picks, pick{m, s})
			}
			seen++
			return len(picks) < n
		})
		rand.Shuffle(len(picks), func(i, j int) { picks[i], picks[j] = picks[j], picks[i] })
		for _, p := range picks {
			r.item(p.m, p.s)
		}
		return
	}
	// Few of many: Floyd's sampling of distinct ranks.
	chosen := make(map[int]struct{}, n)
	for j := size - n; j < size; j++ {
		t := rand.IntN(j + 1)
		if _, dup := chosen[t]; dup {
			t = j
		}
		chosen[t] = struct{}{}
		r.item(z.At(t))
	}
}

// ---- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD

const (
	zsetOpUnion = iota
	zsetOpInter
	zsetOpDiff
)

const (
	zsetAggSum = iota
	zsetAggMin
	zsetAggMax
)

// zsetSource is one input of a set operation: a sorted set, or a plain set
// whose members all score 1, weighted.
type zsetSource struct {
	z      *engine.ZSet
	s      *engine.Set
	weight float64
}

func (src *zsetSource) len() int {
	switch {
	case src.z != nil:
		return src.z.Len()
	case src.s != nil:
		return src.s.Len()
	}
	return 0
}

// score looks a member up; absent members (and absent keys) report false.
func (src *zsetSource) score(m []byte) (float64, bool) {
	switch {
	case src.z != nil:
		return src.z.Score(m)
	case src.s != nil && src.s.Has(m):
		return 1, true
	}
	return 0, false
}

// each visits every member with its unweighted score.
func (src *zsetSource) each(fn func(m []byte, s float64) bool) {
	switch {
	case src.z != nil:
		src.z.Each(func(m string, s float64) bool { return fn(engine.View(m), s) })
	case src.s != nil:
		src.s.Each(func(m []byte) bool { return fn(m, 1) })
	}
}

type zsetOpArgs struct {
	op      int
	dst     []byte
	srcs    []zsetSource
	agg     int
	scores  bool
	limit   int64 // ZINTERCARD; 0 none
	keysAt  int
	numkeys int
}

// parseZSetOp reads "[destination] numkeys key... options" and loads the
// sources. As in Redis the keys are looked up (and their types checked)
// before the options are read.
func parseZSetOp(x *Ctx, op int, store, card bool) (a zsetOpArgs, ok bool) {
	args := x.Args
	at := 1
	if store {
		a.dst, at = args[1], 2
	}
	a.op = op
	n, ok := ParseInt(args[at])
	if !ok {
		x.Error(resp.ErrNotInteger)
		return a, false
	}
	if n < 1 {
		x.Error(zsetNoKeysErr(x.Cmd.Name))
		return a, false
	}
	if n > int64(len(args)-at-1) {
		x.SyntaxError()
		return a, false
	}
	keys := args[at+1 : at+1+int(n)]
	a.srcs = make([]zsetSource, len(keys))
	for i, k := range keys {
		a.srcs[i].weight = 1
		en := x.Read(k)
		if en == nil {
			continue
		}
		switch en.Kind {
		case engine.KindZSet:
			a.srcs[i].z = en.Obj().(*engine.ZSet)
		case engine.KindSet:
			a.srcs[i].s = en.Obj().(*engine.Set)
		default:
			x.Error(resp.ErrWrongType)
			return a, false
		}
	}
	for j := at + 1 + int(n); j < len(args); j++ {
		left := len(args) - j - 1
		switch o := args[j]; {
		case card && left >= 1 && strEq(o, "limit"):
			l, ok := ParseInt(args[j+1])
			if !ok || l < 0 {
				x.Error(errZsetLimitNegative)
				return a, false
			}
			a.limit = l
			j++
		case !card && op != zsetOpDiff && left >= int(n) && strEq(o, "weights"):
			for i := range a.srcs {
				w, ok := zsetParseScore(args[j+1+i])
				if !ok {
					x.Error(errZsetWeight)
					return a, false
				}
				a.srcs[i].weight = w
			}
			j += int(n)
		case !card && op != zsetOpDiff && left >= 1 && strEq(o, "aggregate"):
			switch v := args[j+1]; {
			case strEq(v, "sum"):
				a.agg = zsetAggSum
			case strEq(v, "min"):
				a.agg = zsetAggMin
			case strEq(v, "max"):
				a.agg = zsetAggMax
			default:
				x.SyntaxError()
				return a, false
			}
			j++
		case !card && !store && strEq(o, "withscores"):
			a.scores = true
		default:
			x.SyntaxError()
			return a, false
		}
	}
	return a, true
}

// zsetWeighted is a source's score times its weight; inf times 0 is 0.
func zsetWeighted(s, w float64) float64 {
	v := s * w
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func zsetAggregate(agg int, acc, v float64) float64 {
	switch agg {
	case zsetAggMin:
		return min(acc, v)
	case zsetAggMax:
		return max(acc, v)
	}
	acc += v
	if math.IsNaN(acc) {
		return 0 // inf + -inf
	}
	return acc
}

// zsetCompute builds the result of a union, intersection or difference as a
// sorted set (the order the reply needs), nil when it is empty.
func zsetCompute(a *zsetOpArgs) *engine.ZSet {
	srcs := a.srcs
	var out *engine.ZSet
	add := func(m []byte, s float64) {
		if out == nil {
			out = engine.NewZSet(0, 0)
		}
		out.Set(m, s)
	}
	switch a.op {
	case zsetOpUnion:
		acc := map[string]float64{}
		for i := range srcs {
			srcs[i].each(func(m []byte, s float64) bool {
				v := zsetWeighted(s, srcs[i].weight)
				if cur, ok := acc[string(m)]; ok {
					acc[string(m)] = zsetAggregate(a.agg, cur, v)
				} else {
					acc[string(m)] = v
				}
				return true
			})
		}
		for m, s := range acc {
			if out == nil {
				out = engine.NewZSet(len(acc), 0)
			}
			out.SetString(m, s)
		}
	case zsetOpInter:
		// Walk the smallest input, probing the others.
		small := 0
		for i := range srcs {
			if srcs[i].len() < srcs[small].len() {
				small = i
			}
		}
		if srcs[small].len() == 0 {
			return nil
		}
		srcs[small].each(func(m []byte, s float64) bool {
			acc := zsetWeighted(s, srcs[small].weight)
			for i := range srcs {
				if i == small {
					continue
				}
				os, ok := srcs[i].score(m)
				if !ok {
					return true
				}
				acc = zsetAggregate(a.agg, acc, zsetWeighted(os, srcs[i].weight))
			}
			add(m, acc)
			return true
		})
	case zsetOpDiff:
		srcs[0].each(func(m []byte, s float64) bool {
			for i := 1; i < len(srcs); i++ {
				if _, ok := srcs[i].score(m); ok {
					return true
				}
			}
			add(m, s)
			return true
		})
	}
	return out
}

func zsetOpCmd(x *Ctx, op int, store bool) {
	a, ok := parseZSetOp(x, op, store, false)
	if !ok {
		return
	}
	out := zsetCompute(&a)
	if store {
		if out != nil {
			out.Compact()
		}
		if !zsetStore(x, a.dst, out) {
			return
		}
		if out == nil {
			x.W.Int(0)
		} else {
			x.W.Int(int64(out.Len()))
		}
		return
	}
	r := newZsetReply(x.W, a.scores)
	if out == nil {
		r.begin(0)
		return
	}
	r.begin(out.Len())
	out.Each(func(m string, s float64) bool {
		r.item(m, s)
		return true
	})
}

func cmdZUnion(x *Ctx)      { zsetOpCmd(x, zsetOpUnion, false) }
func cmdZInter(x *Ctx)      { zsetOpCmd(x, zsetOpInter, false) }
func cmdZDiff(x *Ctx)       { zsetOpCmd(x, zsetOpDiff, false) }
func cmdZUnionStore(x *Ctx) { zsetOpCmd(x, zsetOpUnion, true) }
func cmdZInterStore(x *Ctx) { zsetOpCmd(x, zsetOpInter, true) }
func cmdZDiffStore(x *Ctx)  { zsetOpCmd(x, zsetOpDiff, true) }

func cmdZInterCard(x *Ctx) {
	a, ok := parseZSetOp(x, zsetOpInter, false, true)
	if !ok {
		return
	}
	srcs := a.srcs
	small := 0
	for i := range srcs {
		if srcs[i].len() < srcs[small].len() {
			small = i
		}
	}
	n := int64(0)
	srcs[small].each(func(m []byte, _ float64) bool {
		for i := range srcs {
			if i == small {
				continue
			}
			if _, ok := srcs[i].score(m); !ok {
				return true
			}
		}
		n++
		return a.limit == 0 || n < a.limit
	})
	x.W.Int(n)
}

// ---- ZSCAN

func cmdZScan(x *Ctx) {
	cursor, ok := scanCursorArg(x.Args[2])
	if !ok {
		x.Error(errInvalidCursor)
		return
	}
	_, z, ok := zsetOf(x, x.Args[1], true)
	if !ok {
		return
	}
	if z == nil {
		replyEmptyScan(x) // before reading the options, as Redis
		return
	}
	count, pattern, ok := elemScanOpts(x)
	if !ok {
		return
	}
	type hit struct {
		m string
		s float64
	}
	// Candidates first, matched after the lock is let go (matchUnlocked):
	// stored members are never changed in place.
	var hits []hit
	keep := func(m string, s float64) {
		hits = append(hits, hit{m, s})
	}
	var next uint64
	small := z.Encoding() == "listpack"
	if small {
		// Like Redis, a small set comes back whole, in order, in one call.
		z.Each(func(m string, s float64) bool {
			keep(m, s)
			return true
		})
	} else {
		next = z.Scan(cursor, count, keep)
	}
	if pattern != nil {
		g := matchUnlocked(x, pattern)
		kept := hits[:0]
		for _, h := range hits {
			if g.Match(engine.View(h.m)) {
				kept = append(kept, h)
			}
		}
		hits = kept
	}
	var buf [32]byte
	x.W.Array(2)
	x.W.BulkString(strconv.FormatUint(next, 10))
	x.W.Array(2 * len(hits))
	for _, h := range hits {
		x.W.BulkString(h.m)
		// Scores are bulk strings in either protocol, written as the
		// encoding holds them.
		if small {
			x.W.Bulk(zsetListpackScore(buf[:0], h.s))
		} else {
			x.W.Bulk(resp.AppendFloat(buf[:0], h.s))
		}
	}
}

// ---- blocking pops

// zsetTimedOut is the reply of a blocking pop that waited in vain.
func zsetTimedOut(x *Ctx) { x.W.NullArray() }

func cmdBZPopMin(x *Ctx) { zsetBPop(x, false) }
func cmdBZPopMax(x *Ctx) { zsetBPop(x, true) }

// zsetBPop is BZPOPMIN and BZPOPMAX: keys, then a timeout in seconds.
func zsetBPop(x *Ctx, max bool) {
	timeout, ok := ParseTimeout(x, x.Args[len(x.Args)-1])
	if !ok || zsetBPopOnce(x, max, false) {
		return
	}
	x.Block(x.Args[1:len(x.Args)-1], timeout, func(y *Ctx) bool { return zsetBPopOnce(y, max, true) }, zsetTimedOut)
}

// zsetBPopOnce pops one member from the first non-empty sorted set of the
// keys, replying [key, member, score], and reports whether it replied.
// Serving a waiter (blocked), keys of another type are passed over: Redis
// 7.0 leaves the client waiting until the key is a sorted set again.
func zsetBPopOnce(x *Ctx, max, blocked bool) bool {
	key, en, replied := firstOfKind(x, x.Args[1:len(x.Args)-1], engine.KindZSet, blocked)
	if en == nil {
		return replied
	}
	z := en.Obj().(*engine.ZSet)
	x.W.Array(3)
	x.W.Bulk(key)
	rank := 0
	if max {
		rank = z.Len() - 1
	}
	z.RemoveRange(rank, rank+1, func(m string, s float64) {
		x.W.BulkString(m)
		x.W.Double(s)
	})
	zsetSaved(x, key, en, z)
	return true
}

func cmdBZMPop(x *Ctx) {
	timeout, ok := ParseTimeout(x, x.Args[1])
	if !ok {
		return
	}
	a, ok := parseZMPop(x, 2)
	if !ok || zmpopServe(x, a, false) {
		return
	}
	x.Block(a.keys, timeout, func(y *Ctx) bool {
		a, ok := parseZMPop(y, 2) // the arguments passed once already
		return !ok || zmpopServe(y, a, true)
	}, zsetTimedOut)
}

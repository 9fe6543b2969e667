package commands

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"synap/engine"
	"synap/resp"
)

// The set family: SADD and friends over engine.Set.

// setsSpopMoveMul is Redis's SPOP_MOVE_STRATEGY_MUL: SPOP with a count
// rebuilds the set from its survivors once they are at most count/5.
const setsSpopMoveMul = 5

func init() {
	rd := []string{"read", "set", "fast"}
	rdSlow := []string{"read", "set", "slow"}
	wr := []string{"write", "set", "fast"}
	wrSlow := []string{"write", "set", "slow"}
	one := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "set", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	many := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		c := one(name, arity, flags, acl, since, complexity, summary, run)
		c.LastKey = -1
		return c
	}
	spop := one("spop", -2, FlagWrite|FlagFast, wr, "1.0.0", "O(N) where N is the count asked for",
		"Removes random members from a set and returns them.", cmdSPop)
	spop.Reveals = Always // it hands out the members it removes
	smove := one("smove", 4, FlagWrite|FlagFast, wr, "1.0.0", "O(1)",
		"Transfers a member from one set to another.", cmdSMove)
	smove.LastKey = 2
	// SADD and SREM name what they settle (table.go's Acknowledges); SMOVE
	// and the STORE commands keep the default and need read: SMOVE's reply
	// answers for the source, a STORE's counts what it read.
	acks := func(c *Command) *Command {
		c.Reveals = Acknowledges
		return c
	}
	register(
		acks(one("sadd", -3, FlagWrite|FlagDenyOOM|FlagFast, wr, "1.0.0", "O(1) per member added",
			"Adds members to a set, creating it when absent.", cmdSAdd)),
		acks(one("srem", -3, FlagWrite|FlagFast, wr, "1.0.0", "O(1) per member removed",
			"Takes members out of a set; an emptied set is deleted.", cmdSRem)),
		one("smembers", 2, FlagReadOnly, rdSlow, "1.0.0", "O(N) where N is the set's cardinality",
			"Lists every member of a set.", cmdSMembers),
		one("sismember", 3, FlagReadOnly|FlagFast, rd, "1.0.0", "O(1)",
			"Tells whether a value belongs to a set.", cmdSIsMember),
		one("smismember", -3, FlagReadOnly|FlagFast, rd, "6.2.0", "O(N) where N is the number of values checked",
			"Tells, for each of several values, whether it belongs to a set.", cmdSMIsMember),
		one("scard", 2, FlagReadOnly|FlagFast, rd, "1.0.0", "O(1)",
			"Counts the members of a set.", cmdSCard),
		spop,
		one("srandmember", -2, FlagReadOnly, rdSlow, "1.0.0", "O(N) where N is the absolute value of the count",
			"Returns random members of a set without removing them; a negative count allows repeats.", cmdSRandMember),
		smove,
		many("sinter", -2, FlagReadOnly, rdSlow, "1.0.0", "O(N*M): N the smallest set's cardinality, M the number of sets",
			"Returns the members common to every given set.", cmdSInter),
		&Command{Name: "sintercard", Arity: -3, Flags: FlagReadOnly, KeysFn: setsNumkeysKeys, ACL: rdSlow,
			Group: "set", Since: "7.0.0", Complexity: "O(N*M): N the smallest set's cardinality, M the number of sets",
			Summary: "Counts the members common to every given set, optionally stopping at a limit.", Run: cmdSInterCard},
		many("sinterstore", -3, FlagWrite|FlagDenyOOM, wrSlow, "1.0.0", "O(N*M): N the smallest set's cardinality, M the number of sets",
			"Stores the intersection of sets under a key and returns its size.", cmdSInterStore),
		many("sunion", -2, FlagReadOnly, rdSlow, "1.0.0", "O(N) where N is the total number of members of the given sets",
			"Returns the members of any of the given sets.", cmdSUnion),
		many("sunionstore", -3, FlagWrite|FlagDenyOOM, wrSlow, "1.0.0", "O(N) where N is the total number of members of the given sets",
			"Stores the union of sets under a key and returns its size.", cmdSUnionStore),
		many("sdiff", -2, FlagReadOnly, rdSlow, "1.0.0", "O(N) where N is the total number of members of the given sets",
			"Returns the members of the first set that are in none of the others.", cmdSDiff),
		many("sdiffstore", -3, FlagWrite|FlagDenyOOM, wrSlow, "1.0.0", "O(N) where N is the total number of members of the given sets",
			"Stores the difference of sets under a key and returns its size.", cmdSDiffStore),
		one("sscan", -3, FlagReadOnly, rdSlow, "2.8.0", "O(1) per call, O(N) for a full pass",
			"Walks the members of a set in batches, resuming from a cursor.", cmdSScan),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"sadd": Verbatim, "sdiffstore": Verbatim, "sinterstore": Verbatim, "smove": Verbatim, "spop": propSPop,
		"srem": Verbatim, "sunionstore": Verbatim,
	})
}

// setsNumkeysKeys finds SINTERCARD's keys: numkeys of them after the count.
// A count that is not a valid number names no keys; the handler then
// replies the error before touching anything.
func setsNumkeysKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	n, ok := ParseInt(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 2 + i
	}
	return out
}

// setsRead looks key up for a command that reads it. It replies WRONGTYPE
// and returns ok=false for another kind; s is nil when the key is absent.
func setsRead(x *Ctx, key []byte) (s *engine.Set, ok bool) {
	return readAs[*engine.Set](x, key, engine.KindSet)
}

// setsWrite is setsRead for commands that change the key: Redis counts no
// keyspace hit or miss for those. It also returns the entry, for Updated.
func setsWrite(x *Ctx, key []byte) (en *engine.Entry, s *engine.Set, ok bool) {
	return writeAs[*engine.Set](x, key, engine.KindSet)
}

// setsChanged re-accounts a set changed in place, or deletes its key once
// it is empty (Redis never keeps an empty set).
func setsChanged(x *Ctx, key []byte, en *engine.Entry, s *engine.Set) {
	if s.Len() == 0 {
		x.Tx.Delete(key)
		return
	}
	x.Tx.Updated(key, en)
}

// setsStore replaces dst with s (any kind, any TTL), or deletes dst when s
// is empty, and replies the new cardinality.
func setsStore(x *Ctx, dst []byte, s *engine.Set) {
	if s.Len() == 0 {
		x.Tx.Delete(dst)
		x.W.Int(0)
		return
	}
	en := engine.NewObject(engine.KindSet, s)
	if !x.StoreAllowed(x.Tx, dst, en.ValueSize()) {
		return
	}
	x.Tx.Put(dst, en)
	x.W.Int(int64(s.Len()))
}

// setsGrow makes room in the reply buffer for n members of s at once, so a
// big reply is not copied again and again as it grows. Beyond
// setsMaxGrow the buffer grows as it is written.
func setsGrow(x *Ctx, s *engine.Set, n int) {
	if s.Len() == 0 {
		return
	}
	avg := int(s.Size() / int64(s.Len()))
	x.W.Grow(min(n*(avg+8), setsMaxGrow)) // past the reply bound, the writes that follow are dropped
}

const setsMaxGrow = 64 << 20

// setsWriteAll replies every member of s, as a set (RESP3 ~) or an array.
func setsWriteAll(x *Ctx, s *engine.Set, asSet bool) {
	n := s.Len()
	if asSet {
		x.W.Set(n)
	} else {
		x.W.Array(n)
	}
	setsGrow(x, s, n)
	s.Each(func(m []byte) bool { x.W.Bulk(m); return true })
}

func cmdSAdd(x *Ctx) {
	key := x.Args[1]
	en, s, ok := setsWrite(x, key)
	if !ok {
		return
	}
	fresh := s == nil
	if fresh {
		s = engine.NewSet()
		n := 0
		for _, m := range x.Args[2:] {
			n += len(m)
		}
		s.Reserve(len(x.Args)-2, n)
	}
	added := int64(0)
	for _, m := range x.Args[2:] {
		if s.Add(m) {
			added++
		}
	}
	if fresh {
		s.Fit()
	}
	switch {
	case fresh:
		x.Tx.Put(key, engine.NewObject(engine.KindSet, s))
	case added > 0:
		x.Tx.Updated(key, en)
	}
	x.W.Int(added)
}

func cmdSRem(x *Ctx) {
	key := x.Args[1]
	en, s, ok := setsWrite(x, key)
	if !ok {
		return
	}
	removed := int64(0)
	if s != nil {
		for _, m := range x.Args[2:] {
			if s.Remove(m) {
				removed++
				if s.Len() == 0 {
					break
				}
			}
		}
		if removed > 0 {
			setsChanged(x, key, en, s)
		}
	}
	x.W.Int(removed)
}

func cmdSMembers(x *Ctx) {
	s, ok := setsRead(x, x.Args[1])
	switch {
	case !ok:
	case s == nil:
		x.W.Set(0)
	default:
		setsWriteAll(x, s, true)
	}
}

func cmdSIsMember(x *Ctx) {
	s, ok := setsRead(x, x.Args[1])
	if ok {
		x.W.Int(setsHas(s, x.Args[2]))
	}
}

func setsHas(s *engine.Set, m []byte) int64 {
	if s != nil && s.Has(m) {
		return 1
	}
	return 0
}

func cmdSMIsMember(x *Ctx) {
	s, ok := setsRead(x, x.Args[1])
	if !ok {
		return
	}
	x.W.Array(len(x.Args) - 2)
	for _, m := range x.Args[2:] {
		x.W.Int(setsHas(s, m))
	}
}

func cmdSCard(x *Ctx) {
	s, ok := setsRead(x, x.Args[1])
	switch {
	case !ok:
	case s == nil:
		x.W.Int(0)
	default:
		x.W.Int(int64(s.Len()))
	}
}

// setsCountArgs is the optional count of SPOP and SRANDMEMBER.
type setsCountArgs struct {
	withCount bool
	count     int64
}

// parseSetsCount reads args[2] when present; Redis refuses anything after
// it as a syntax error, before looking at the count. SPOP (positive) wants
// a count of zero or more; SRANDMEMBER any whose negation fits.
func parseSetsCount(x *Ctx, positive bool) (setsCountArgs, bool) {
	var a setsCountArgs
	switch {
	case len(x.Args) > 3:
		x.SyntaxError()
		return a, false
	case len(x.Args) == 2:
		return a, true
	}
	a.withCount = true
	n, ok := ParseInt(x.Args[2])
	switch {
	case positive && (!ok || n < 0):
		x.Error(errSetsPositive)
		return a, false
	case !ok:
		x.Error(resp.ErrNotInteger)
		return a, false
	case n == math.MinInt64:
		x.Error(errSetsRandRange)
		return a, false
	}
	a.count = n
	return a, true
}

func cmdSPop(x *Ctx) {
	a, ok := parseSetsCount(x, true)
	if !ok {
		return
	}
	key := x.Args[1]
	en, s, ok := setsWrite(x, key)
	switch {
	case !ok:
		return
	case !a.withCount && s == nil:
		x.W.Null()
		return
	case !a.withCount:
		i := rand.IntN(s.Len())
		var buf [20]byte
		x.W.Bulk(s.Member(i, buf[:0]))
		s.RemoveAt(i)
		setsChanged(x, key, en, s)
		return
	case s == nil || a.count == 0:
		x.W.Set(0)
		return
	}
	setsPopCount(x, key, en, s, a.count)
}

// setsPopCount is SPOP with a count of at least one, following Redis's
// three strategies, which also decide the encoding left behind.
func setsPopCount(x *Ctx, key []byte, en *engine.Entry, s *engine.Set, count int64) {
	size := s.Len()
	if count >= int64(size) {
		setsWriteAll(x, s, true)
		x.Tx.Delete(key)
		return
	}
	n := int(count)
	remaining := size - n
	x.W.Set(n)
	setsGrow(x, s, n)
	var buf [20]byte
	if remaining*setsSpopMoveMul > n {
		// Few to take: take them one by one.
		for range n {
			i := rand.IntN(s.Len())
			x.W.Bulk(s.Member(i, buf[:0]))
			s.RemoveAt(i)
		}
		x.Tx.Updated(key, en)
		return
	}
	// Few to keep: choose the survivors and rebuild the set from them, as
	// Redis does (so a hashtable of integers may become an intset again).
	// Survivors keep their relative order, which SSCAN relies on.
	keep := setsSample(size, remaining)
	slices.Sort(keep)
	rebuilt := engine.NewSet()
	i, k := -1, 0
	s.Each(func(m []byte) bool {
		if i++; k < len(keep) && keep[k] == i {
			rebuilt.Add(m)
			k++
		} else {
			x.W.Bulk(m)
		}
		return true
	})
	s.ReplaceWith(rebuilt)
	x.Tx.Updated(key, en)
}

// setsSample returns k distinct positions out of n, uniformly: a
// Fisher-Yates shuffle that stops after k steps and records only the
// positions it has moved.
func setsSample(n, k int) []int {
	if 2*k > n {
		// Most of the positions: a plain partial shuffle is cheaper.
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		for i := range k {
			j := i + rand.IntN(n-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		return perm[:k]
	}
	out := make([]int, k)
	moved := make(map[int]int, k)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	for i := range k {
		j := i + rand.IntN(n-i)
		out[i] = at(j)
		moved[j] = at(i)
	}
	return out
}

func cmdSRandMember(x *Ctx) {
	a, ok := parseSetsCount(x, false)
	if !ok {
		return
	}
	s, ok := setsRead(x, x.Args[1])
	switch {
	case !ok:
		return
	case !a.withCount && s == nil:
		x.W.Null()
		return
	case !a.withCount:
		var buf [20]byte
		x.W.Bulk(s.Member(rand.IntN(s.Len()), buf[:0]))
		return
	case s == nil || a.count == 0:
		x.W.Array(0)
		return
	}
	var buf [20]byte
	size := s.Len()
	switch {
	case a.count < 0 || a.count == 1:
		// Repeats allowed: each pick is an independent uniform draw.
		n := a.count
		if n < 0 {
			n = -n
		}
		if randReplyTooBig(x, n, float64(s.Size())/float64(size)+6) {
			return
		}
		x.W.Array(int(n))
		setsGrow(x, s, int(n))
		member := s.MemberFunc()
		for range n {
			x.W.Bulk(member(rand.IntN(size), buf[:0]))
		}
	case a.count >= int64(size):
		setsWriteAll(x, s, false)
	default:
		n := int(a.count)
		x.W.Array(n)
		setsGrow(x, s, n)
		member := s.MemberFunc()
		for _, i := range setsSample(size, n) {
			x.W.Bulk(member(i, buf[:0]))
		}
	}
}

func cmdSMove(x *Ctx) {
	src, dst, m := x.Args[1], x.Args[2], x.Args[3]
	srcEn, srcSet, ok := setsWrite(x, src)
	if !ok {
		return
	}
	if srcSet == nil {
		x.W.Int(0)
		return
	}
	dstEn, dstSet, ok := setsWrite(x, dst)
	switch {
	case !ok:
		return
	case bytes.Equal(src, dst):
		x.W.Int(setsHas(srcSet, m))
		return
	case !srcSet.Remove(m):
		x.W.Int(0)
		return
	}
	setsChanged(x, src, srcEn, srcSet)
	if dstSet == nil {
		dstSet = engine.NewSet()
		dstSet.Add(m)
		x.Tx.Put(dst, engine.NewObject(engine.KindSet, dstSet))
	} else if dstSet.Add(m) {
		x.Tx.Updated(dst, dstEn)
	}
	x.W.Int(1)
}

// setsLoad reads the sets named by keys for SINTER, SUNION, SDIFF and their
// variants. Like Redis it checks every key's type before doing any work,
// and a missing key is a nil (empty) set.
func setsLoad(x *Ctx, keys [][]byte) ([]*engine.Set, bool) {
	sets := make([]*engine.Set, len(keys))
	for i, k := range keys {
		s, ok := setsRead(x, k)
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

// setsInter calls fn with each member common to all sets, walking the
// smallest (small) by position, until fn returns false. A nil set makes
// the result empty.
func setsInter(sets []*engine.Set, fn func(small *engine.Set, i int, m []byte) bool) {
	if slices.Contains(sets, nil) {
		return
	}
	sets = slices.Clone(sets)
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Len() < sets[j].Len() })
	small := sets[0]
	i := -1
	small.Each(func(m []byte) bool {
		i++
		for _, o := range sets[1:] {
			if !o.Has(m) {
				return true
			}
		}
		return fn(small, i, m)
	})
}

func cmdSInter(x *Ctx) {
	sets, ok := setsLoad(x, x.Args[1:])
	if !ok {
		return
	}
	// The reply's length comes first: gather positions, then write.
	var small *engine.Set
	var hits []int
	setsInter(sets, func(s *engine.Set, i int, _ []byte) bool {
		small = s
		hits = append(hits, i)
		return true
	})
	x.W.Set(len(hits))
	if small == nil {
		return
	}
	setsGrow(x, small, len(hits))
	// hits ascend: one more walk in position order picks them.
	i, next := -1, 0
	small.Each(func(m []byte) bool {
		if i++; i == hits[next] {
			x.W.Bulk(m)
			next++
		}
		return next < len(hits)
	})
}

// parseSInterCard reads SINTERCARD's numkeys and LIMIT.
func parseSInterCard(x *Ctx) (numkeys int, limit int64, ok bool) {
	n, ok := ParseInt(x.Args[1])
	if !ok || n < 1 {
		x.Error(errSetsNumkeys)
		return 0, 0, false
	}
	if n > int64(len(x.Args)-2) {
		x.Error(errSetsTooManyKey)
		return 0, 0, false
	}
	numkeys = int(n)
	for i := 2 + numkeys; i < len(x.Args); i += 2 {
		if !strEq(x.Args[i], "limit") || i+1 >= len(x.Args) {
			x.SyntaxError()
			return 0, 0, false
		}
		if limit, ok = ParseInt(x.Args[i+1]); !ok || limit < 0 {
			x.Error(errSetsLimit)
			return 0, 0, false
		}
	}
	return numkeys, limit, true
}

func cmdSInterCard(x *Ctx) {
	numkeys, limit, ok := parseSInterCard(x)
	if !ok {
		return
	}
	sets, ok := setsLoad(x, x.Args[2:2+numkeys])
	if !ok {
		return
	}
	n := int64(0)
	setsInter(sets, func(*engine.Set, int, []byte) bool {
		n++
		return limit == 0 || n < limit
	})
	x.W.Int(n)
}

func cmdSInterStore(x *Ctx) {
	sets, ok := setsLoad(x, x.Args[2:])
	if !ok {
		return
	}
	out := engine.NewSet()
	setsInter(sets, func(_ *engine.Set, _ int, m []byte) bool {
		out.Add(m)
		return true
	})
	setsStore(x, x.Args[1], out)
}

// setsUnion builds the union of sets as a new set.
func setsUnion(sets []*engine.Set) *engine.Set {
	out := engine.NewSet()
	for _, s := range sets {
		if s != nil {
			s.Each(func(m []byte) bool {
				out.Add(m)
				return true
			})
		}
	}
	return out
}

// setsDiff builds the first set minus the others as a new set. Redis picks
// one of two ways by their expected work, and the way shows in the result's
// encoding (adding everything then removing leaves a hashtable), so both
// are kept.
func setsDiff(keys [][]byte, sets []*engine.Set) *engine.Set {
	out := engine.NewSet()
	first := sets[0]
	if first == nil {
		return out
	}
	for i := 1; i < len(keys); i++ {
		if sets[i] != nil && bytes.Equal(keys[i], keys[0]) {
			return out // a set minus itself
		}
	}
	var oneWork, twoWork int64
	for _, s := range sets {
		if s != nil {
			oneWork += int64(first.Len())
			twoWork += int64(s.Len())
		}
	}
	others := slices.DeleteFunc(slices.Clone(sets[1:]), func(s *engine.Set) bool { return s == nil })
	if oneWork/2 <= twoWork {
		// Each member of the first set, checked against the others
		// (largest first, to find a member sooner).
		sort.SliceStable(others, func(i, j int) bool { return others[i].Len() > others[j].Len() })
		first.Each(func(m []byte) bool {
			for _, o := range others {
				if o.Has(m) {
					return true
				}
			}
			out.Add(m)
			return true
		})
		return out
	}
	first.Each(func(m []byte) bool {
		out.Add(m)
		return true
	})
	for _, o := range others {
		o.Each(func(m []byte) bool {
			out.Remove(m)
			return out.Len() > 0
		})
		if out.Len() == 0 {
			break
		}
	}
	return out
}

func cmdSUnion(x *Ctx) {
	if sets, ok := setsLoad(x, x.Args[1:]); ok {
		setsWriteAll(x, setsUnion(sets), true)
	}
}

func cmdSUnionStore(x *Ctx) {
	if sets, ok := setsLoad(x, x.Args[2:]); ok {
		setsStore(x, x.Args[1], setsUnion(sets))
	}
}

func cmdSDiff(x *Ctx) {
	if sets, ok := setsLoad(x, x.Args[1:]); ok {
		setsWriteAll(x, setsDiff(x.Args[1:], sets), true)
	}
}

func cmdSDiffStore(x *Ctx) {
	if sets, ok := setsLoad(x, x.Args[2:]); ok {
		setsStore(x, x.Args[1], setsDiff(x.Args[2:], sets))
	}
}

func cmdSScan(x *Ctx) {
	cursor, ok := scanCursorArg(x.Args[2])
	if !ok {
		x.Error(errInvalidCursor)
		return
	}
	s, ok := setsRead(x, x.Args[1])
	if !ok {
		return
	}
	if s == nil {
		replyEmptyScan(x) // before reading the options, as Redis
		return
	}
	count, pattern, ok := elemScanOpts(x)
	if !ok {
		return
	}
	// The reply's length comes first: gather the candidates. An intset's
	// members are formatted into a reused buffer and a packed set's are
	// views of bytes a later change moves, so they are copied (both forms
	// are small); a table's are stored strings, never changed in place,
	// and stay valid after the lock is let go.
	var arena []byte
	var ends []int
	var views [][]byte
	compact := s.Packed() || s.Encoding() == "intset"
	next := s.Scan(cursor, count, func(m []byte) {
		if compact {
			arena = append(arena, m...)
			ends = append(ends, len(arena))
		} else {
			views = append(views, m)
		}
	})
	if compact {
		start := 0
		for _, end := range ends {
			views = append(views, arena[start:end])
			start = end
		}
	}
	if pattern != nil {
		g := matchUnlocked(x, pattern)
		kept := views[:0]
		for _, m := range views {
			if g.Match(m) {
				kept = append(kept, m)
			}
		}
		views = kept
	}
	x.W.Array(2)
	var tmp [20]byte
	x.W.Bulk(strconv.AppendUint(tmp[:0], next, 10))
	x.W.Array(len(views))
	for _, m := range views {
		x.W.Bulk(m)
	}
}

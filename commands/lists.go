package commands

import (
	"bytes"
	"math"

	"synap/engine"
	"synap/resp"
	"synap/sched"
)

// The list family: elements in order under one key (engine.List), pushed
// and popped at either end, and the blocking pops that wait for a push.

func init() {
	wr := []string{"write", "list", "fast"}
	wrSlow := []string{"write", "list", "slow"}
	rd := []string{"read", "list", "fast"}
	rdSlow := []string{"read", "list", "slow"}
	blk := []string{"write", "list", "slow", "blocking"}
	ro, rw, rwOOM := FlagReadOnly, FlagWrite, FlagWrite|FlagDenyOOM
	one := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "list", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	// two names a source and a destination key.
	two := func(c *Command) *Command {
		c.LastKey = 2
		return c
	}
	const (
		o1     = "O(1)"
		perArg = "O(1) per element given"
		popN   = "O(N) where N is the number of elements popped"
		walk   = "O(N) where N is the number of elements walked"
	)
	lmpop := one("lmpop", -4, rw, wrSlow, "7.0.0", "O(N+M) where N is the number of keys given and M the number of elements popped",
		"Pops elements from the first non-empty list of several, at its head or tail.", cmdLMPop)
	lmpop.FirstKey, lmpop.LastKey, lmpop.Step, lmpop.KeysFn = 0, 0, 0, listMpopKeys(1)
	blmpop := one("blmpop", -5, rw|FlagBlocking, blk, "7.0.0", "O(N+M) where N is the number of keys given and M the number of elements popped",
		"Pops elements from the first non-empty list of several, waiting for one when all are empty.", cmdBLMPop)
	blmpop.FirstKey, blmpop.LastKey, blmpop.Step, blmpop.KeysFn = 0, 0, 0, listMpopKeys(2)
	bpop := func(name, summary string, run func(*Ctx)) *Command {
		c := one(name, -3, rw|FlagNoScript|FlagBlocking, blk, "2.0.0", "O(N) where N is the number of keys given", summary, run)
		c.LastKey = -2
		return c
	}
	// Pops hand out what they remove, so a key must be allowed to read too
	// (as for GETDEL, SPOP, ZPOPMIN): a write-only key cannot drain a queue.
	reveals := func(c *Command) *Command {
		c.Reveals = Always
		return c
	}
	// What a write tells a key without read (table.go); LPUSHX, RPUSHX,
	// LSET and LINSERT answer for what the list holds, so they keep the
	// default and need read.
	replies := func(c *Command, r func([][]byte) bool) *Command {
		c.Reveals = r
		return c
	}
	register(
		replies(one("lpush", -3, rwOOM|FlagFast, wr, "1.0.0", perArg, "Adds elements at the head of a list, creating it when absent.", cmdLPush), Acknowledges),
		replies(one("rpush", -3, rwOOM|FlagFast, wr, "1.0.0", perArg, "Adds elements at the tail of a list, creating it when absent.", cmdRPush), Acknowledges),
		one("lpushx", -3, rwOOM|FlagFast, wr, "2.2.0", perArg, "Adds elements at the head of a list, only when the list exists.", cmdLPushX),
		one("rpushx", -3, rwOOM|FlagFast, wr, "2.2.0", perArg, "Adds elements at the tail of a list, only when the list exists.", cmdRPushX),
		reveals(one("lpop", -2, rw|FlagFast, wr, "1.0.0", popN, "Removes and returns elements from the head of a list.", cmdLPop)),
		reveals(one("rpop", -2, rw|FlagFast, wr, "1.0.0", popN, "Removes and returns elements from the tail of a list.", cmdRPop)),
		one("llen", 2, ro|FlagFast, rd, "1.0.0", o1, "Counts the elements of a list.", cmdLLen),
		one("lrange", 4, ro, rdSlow, "1.0.0", "O(N) where N is the number of elements returned",
			"Returns the elements of a list between two positions.", cmdLRange),
		one("lindex", 3, ro, rdSlow, "1.0.0", o1, "Returns the element at a position of a list.", cmdLIndex),
		one("lset", 4, rwOOM, wrSlow, "1.0.0", o1, "Replaces the element at a position of a list.", cmdLSet),
		one("linsert", 5, rwOOM, wrSlow, "2.2.0", walk, "Inserts an element before or after the first occurrence of another.", cmdLInsert),
		// Count 0 removes every occurrence, so the list is settled; another
		// count leaves some, and the reply tells how many there were.
		replies(one("lrem", 4, rw, wrSlow, "1.0.0", "O(N) where N is the length of the list", "Removes occurrences of an element from a list.", cmdLRem),
			func(args [][]byte) bool { n, ok := ParseInt(args[2]); return !ok || n != 0 }),
		replies(one("ltrim", 4, rw, wrSlow, "1.0.0", "O(N) where N is the number of elements removed",
			"Keeps only the elements of a list between two positions.", cmdLTrim), Never),
		one("lpos", -3, ro, rdSlow, "6.0.6", walk, "Finds the positions of an element in a list.", cmdLPos),
		reveals(two(one("lmove", 5, rwOOM, wrSlow, "6.2.0", o1, "Moves an element from one end of a list to an end of another.", cmdLMove))),
		reveals(two(one("rpoplpush", 3, rwOOM, wrSlow, "1.2.0", o1, "Moves the tail element of a list to the head of another.", cmdRPopLPush))),
		reveals(lmpop),
		reveals(bpop("blpop", "Pops the head element of the first non-empty list of several, waiting for one when all are empty.", cmdBLPop)),
		reveals(bpop("brpop", "Pops the tail element of the first non-empty list of several, waiting for one when all are empty.", cmdBRPop)),
		reveals(two(one("blmove", 6, rwOOM|FlagNoScript|FlagBlocking, blk, "6.2.0", o1,
			"Moves an element from one end of a list to an end of another, waiting for the source to have one.", cmdBLMove))),
		reveals(two(one("brpoplpush", 4, rwOOM|FlagNoScript|FlagBlocking, blk, "2.2.0", o1,
			"Moves the tail element of a list to the head of another, waiting for the source to have one.", cmdBRPopLPush))),
		reveals(blmpop),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"blmove": propBlockingMove("LMOVE"), "blmpop": propBlockingMPop("LMPOP"), "blpop": propBlockingPop("LPOP"),
		"brpop": propBlockingPop("RPOP"), "brpoplpush": propBlockingMove("RPOPLPUSH"), "linsert": Verbatim,
		"lmove": Verbatim, "lmpop": Verbatim, "lpop": Verbatim, "lpush": Verbatim, "lpushx": Verbatim,
		"lrem": Verbatim, "lset": Verbatim, "ltrim": Verbatim, "rpop": Verbatim, "rpoplpush": Verbatim,
		"rpush": Verbatim, "rpushx": Verbatim,
	})
}

// listRead looks key up for a reading command (counting a keyspace hit or
// miss). l is nil when the key is absent; ok is false when the reply
// (WRONGTYPE) is already written.
func listRead(x *Ctx, key []byte) (l *engine.List, ok bool) {
	return readAs[*engine.List](x, key, engine.KindList)
}

// listWrite is listRead for commands that change the key, which Redis does
// not count as hits or misses. en is the key's entry, for Updated.
func listWrite(x *Ctx, key []byte) (l *engine.List, en *engine.Entry, ok bool) {
	en, l, ok = writeAs[*engine.List](x, key, engine.KindList)
	return l, en, ok
}

// listDone records a change to the list under key: the key goes when the
// list is empty, as Redis keeps no empty aggregate.
func listDone(x *Ctx, key []byte, en *engine.Entry, l *engine.List) {
	if l.Len() == 0 {
		x.Tx.Delete(key)
		return
	}
	x.Tx.Updated(key, en)
}

// listPop removes one element from the head (or the tail when !left).
func listPop(l *engine.List, left bool) []byte {
	if left {
		return l.PopFront()
	}
	return l.PopBack()
}

// listSide parses LEFT or RIGHT.
func listSide(b []byte) (left, ok bool) {
	switch {
	case strEq(b, "left"):
		return true, true
	case strEq(b, "right"):
		return false, true
	}
	return false, false
}

// listMoveSides parses LMOVE's and BLMOVE's wherefrom and whereto
// (arguments 3 and 4), replying a syntax error when either is wrong.
func listMoveSides(x *Ctx) (from, to, ok bool) {
	from, okFrom := listSide(x.Args[3])
	to, okTo := listSide(x.Args[4])
	if !okFrom || !okTo {
		x.SyntaxError()
		return false, false, false
	}
	return from, to, true
}

// listIndex turns a position counted from the end when negative into one
// from the head; ok is false when it is outside a list of length n.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// listSpan clamps a start..stop range as LRANGE and LTRIM do; ok is false
// when it selects nothing.
func listSpan(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	start = max(start, 0)
	if start > stop || start >= ln {
		return 0, 0, false
	}
	return int(start), int(min(stop, ln-1)), true
}

// listYieldEvery is how many elements listWriteElems sizes or copies
// between two chances to yield: a thousand short elements are ~0.2 ms of
// work, so a waiting connection is served within about sched.Every. At
// 16k the copy ran 5-7 ms between chances (traced under a 1M-element
// LRANGE), and every other tenant's p99 was that.
const listYieldEvery = 1 << 10

// listWriteElems writes the elements from start to stop as an array of
// bulk strings, sizing the buffer once: LRANGE over a million elements
// holds its key's shard lock only for a copy.
func listWriteElems(w *resp.Writer, l *engine.List, start, stop int) {
	if l.Packed() {
		listWritePacked(w, l, start, stop)
		return
	}
	a, b := l.Segments(start, stop)
	// The exact size: Reserve refuses what passes the reply bound, and an
	// estimate would refuse replies that fit.
	need := 1 + decimalLen(stop-start+1) + 2
	for _, seg := range [2][][]byte{a, b} {
		for i, v := range seg {
			if i%listYieldEvery == listYieldEvery-1 {
				sched.Maybe()
			}
			need += 1 + decimalLen(len(v)) + 2 + len(v) + 2
		}
	}
	if !w.Reserve(need) {
		return // past the reply bound: the dispatcher replaces the reply
	}
	w.Array(stop - start + 1)
	buf := w.Buf
	copied := 0
	for _, seg := range [2][][]byte{a, b} {
		for i, v := range seg {
			// Every 1k elements or 256 KB copied: a few long elements
			// cost as much as many short ones. A big range is encoded
			// with no lock held (listDetach), so a yield lets every
			// connection run; inside EXEC it only lets those run that
			// need none of the transaction's shards.
			if copied += len(v); i%listYieldEvery == listYieldEvery-1 || copied >= listYieldBytes {
				copied = 0
				sched.Maybe()
			}
			buf = resp.AppendBulk(buf, v)
		}
	}
	w.Buf = buf
}

// listYieldBytes is how many bytes of elements listWriteElems copies
// between two chances to yield (tens of microseconds of memmove).
const listYieldBytes = 256 << 10

// listWritePacked is listWriteElems for a packed list: at most
// engine.ListPackEntries short elements, read in place.
func listWritePacked(w *resp.Writer, l *engine.List, start, stop int) {
	need := 1 + decimalLen(stop-start+1) + 2
	l.Range(start, stop, func(_ int, v []byte) bool {
		need += 1 + decimalLen(len(v)) + 2 + len(v) + 2
		return true
	})
	if !w.Reserve(need) {
		return
	}
	w.Array(stop - start + 1)
	buf := w.Buf
	l.Range(start, stop, func(_ int, v []byte) bool {
		buf = resp.AppendBulk(buf, v)
		return true
	})
	w.Buf = buf
}

// decimalLen is len(strconv.Itoa(n)) for n >= 0, without building the string.
func decimalLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// ---- pushes ----

func cmdLPush(x *Ctx)  { listPushCmd(x, true, false) }
func cmdRPush(x *Ctx)  { listPushCmd(x, false, false) }
func cmdLPushX(x *Ctx) { listPushCmd(x, true, true) }
func cmdRPushX(x *Ctx) { listPushCmd(x, false, true) }

// listPushCmd is LPUSH, RPUSH and their X forms (only onto an existing list).
func listPushCmd(x *Ctx, left, existing bool) {
	key := x.Args[1]
	l, en, ok := listWrite(x, key)
	if !ok {
		return
	}
	if l == nil {
		if existing {
			x.W.Int(0)
			return
		}
		l = engine.NewList()
		en = engine.NewObject(engine.KindList, l)
		listPushAll(l, x.Args[2:], left)
		x.Tx.Put(key, en)
	} else {
		listPushAll(l, x.Args[2:], left)
		x.Tx.Updated(key, en)
	}
	x.W.Int(int64(l.Len()))
}

func listPushAll(l *engine.List, vals [][]byte, left bool) { l.PushAll(vals, left) }

func listPushOne(l *engine.List, v []byte, left bool) {
	if left {
		l.PushFront(v)
	} else {
		l.PushBack(v)
	}
}

// ---- pops ----

func cmdLPop(x *Ctx) { listPopCmd(x, true) }
func cmdRPop(x *Ctx) { listPopCmd(x, false) }

// listPopArgs is LPOP/RPOP's optional count.
type listPopArgs struct {
	count    int64
	hasCount bool
}

// parseListPop parses the count; the caller has checked there is at most one.
func parseListPop(args [][]byte) (a listPopArgs, errText string) {
	if len(args) < 3 {
		return a, ""
	}
	n, ok := ParseInt(args[2])
	if !ok || n < 0 {
		return a, errListPopCount
	}
	return listPopArgs{count: n, hasCount: true}, ""
}

// listPopCmd is LPOP and RPOP: one element as a bulk string, or with a
// count an array of up to that many (a null array for a missing key).
func listPopCmd(x *Ctx, left bool) {
	if len(x.Args) > 3 {
		x.ArityError()
		return
	}
	a, errText := parseListPop(x.Args)
	if errText != "" {
		x.Error(errText)
		return
	}
	key := x.Args[1]
	l, en, ok := listWrite(x, key)
	switch {
	case !ok:
		return
	case l == nil && a.hasCount:
		x.W.NullArray()
		return
	case l == nil:
		x.W.Null()
		return
	case !a.hasCount:
		x.W.Bulk(listPop(l, left))
	case a.count == 0:
		x.W.Array(0)
		return // nothing changed
	default:
		n := int(min(a.count, int64(l.Len())))
		x.W.Array(n)
		for range n {
			x.W.Bulk(listPop(l, left))
		}
	}
	listDone(x, key, en, l)
}

// ---- reads ----

func cmdLLen(x *Ctx) {
	l, ok := listRead(x, x.Args[1])
	switch {
	case !ok:
	case l == nil:
		x.W.Int(0)
	default:
		x.W.Int(int64(l.Len()))
	}
}

func cmdLRange(x *Ctx) {
	start, ok := x.IntArg(2)
	if !ok {
		return
	}
	stop, ok := x.IntArg(3)
	if !ok {
		return
	}
	l, ok := listRead(x, x.Args[1])
	if !ok {
		return
	}
	if l == nil {
		x.W.Array(0)
		return
	}
	from, to, some := listSpan(start, stop, l.Len())
	if !some {
		x.W.Array(0)
		return
	}
	if listDetach(x, l, from, to) {
		defer l.Unpin()
	}
	listWriteElems(x.W, l, from, to)
}

// listDetachElems and listDetachBytes are the range from which LRANGE
// builds its reply with no lock held: below both, the copy under the
// shard's read lock is a few microseconds, less than pinning costs a
// writer that comes by.
const (
	listDetachElems = 1 << 10
	listDetachBytes = 64 << 10
)

// listDetach pins l and lets go of the command's locks when the range
// from..to makes a big reply, so that building it (7 MB for a million
// short elements) holds up nobody: under the shard's read lock every
// writer to that shard, any tenant's, waited for the whole copy, yields
// included. The pin keeps the reply atomic: a writer that comes meanwhile
// changes a copy of the list (engine.List.Pin). It reports whether the
// caller must Unpin. Inside EXEC (or a script) the locks are the
// transaction's and are kept.
func listDetach(x *Ctx, l *engine.List, from, to int) bool {
	if x.C == nil || x.C.inExec || x.Tx != x.C.Tx || l.Packed() {
		return false
	}
	if to-from+1 <= listDetachElems {
		n := 0
		l.Range(from, to, func(_ int, v []byte) bool {
			n += len(v)
			return n < listDetachBytes
		})
		if n < listDetachBytes {
			return false
		}
	}
	l.Pin()
	x.Tx.Release()
	return true
}

func cmdLIndex(x *Ctx) {
	// Redis looks the key up before it reads the index: a missing key
	// answers nil whatever the index says.
	l, ok := listRead(x, x.Args[1])
	if !ok {
		return
	}
	if l == nil {
		x.W.Null()
		return
	}
	i, ok := x.IntArg(2)
	if !ok {
		return
	}
	if at, in := listIndex(i, l.Len()); in {
		x.W.Bulk(l.Index(at))
	} else {
		x.W.Null()
	}
}

// ---- in-place changes ----

func cmdLSet(x *Ctx) {
	key := x.Args[1]
	l, en, ok := listWrite(x, key)
	if !ok {
		return
	}
	if l == nil {
		x.Error(resp.ErrNoSuchKey)
		return
	}
	i, ok := x.IntArg(2)
	if !ok {
		return
	}
	at, in := listIndex(i, l.Len())
	if !in {
		x.Error(errListIndexRange)
		return
	}
	l.Set(at, x.Args[3])
	x.Tx.Updated(key, en)
	x.W.OK()
}

func cmdLInsert(x *Ctx) {
	var after bool
	switch {
	case strEq(x.Args[2], "before"):
	case strEq(x.Args[2], "after"):
		after = true
	default:
		x.SyntaxError()
		return
	}
	key := x.Args[1]
	l, en, ok := listWrite(x, key)
	switch {
	case !ok:
		return
	case l == nil:
		x.W.Int(0)
		return
	}
	at := l.Find(x.Args[3])
	if at < 0 {
		x.W.Int(-1)
		return
	}
	if after {
		at++
	}
	l.Insert(at, x.Args[4])
	x.Tx.Updated(key, en)
	x.W.Int(int64(l.Len()))
}

func cmdLRem(x *Ctx) {
	count, ok := x.IntArg(2)
	if !ok {
		return
	}
	key := x.Args[1]
	l, en, ok := listWrite(x, key)
	switch {
	case !ok:
		return
	case l == nil:
		x.W.Int(0)
		return
	}
	fromTail := count < 0
	limit := 0 // every occurrence
	if count != math.MinInt64 && count != 0 {
		limit = int(min(max(count, -count), int64(l.Len())))
	}
	removed := l.Remove(x.Args[3], limit, fromTail)
	if removed > 0 {
		listDone(x, key, en, l)
	}
	x.W.Int(int64(removed))
}

func cmdLTrim(x *Ctx) {
	start, ok := x.IntArg(2)
	if !ok {
		return
	}
	stop, ok := x.IntArg(3)
	if !ok {
		return
	}
	key := x.Args[1]
	l, en, ok := listWrite(x, key)
	switch {
	case !ok:
	case l == nil:
		x.W.OK()
	default:
		if from, to, some := listSpan(start, stop, l.Len()); some {
			l.Trim(from, to)
		} else {
			l.Trim(0, -1) // keep nothing
		}
		// Redis reports the key modified even when nothing was trimmed.
		listDone(x, key, en, l)
		x.W.OK()
	}
}

// ---- LPOS ----

type listPosArgs struct {
	rank     int64 // 1-based match to start from; negative: from the tail
	count    int64 // matches to return, 0 for all
	maxlen   int64 // elements to compare, 0 for all
	hasCount bool  // reply with an array
}

func parseListPos(args [][]byte) (a listPosArgs, errText string) {
	a.rank = 1
	for j := 3; j < len(args); j++ {
		opt, more := args[j], j+1 < len(args)
		switch {
		case more && strEq(opt, "rank"):
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				return a, resp.ErrNotInteger
			}
			if n == 0 {
				return a, errListRankZero
			}
			a.rank = n
		case more && strEq(opt, "count"):
			j++
			n, ok := ParseInt(args[j])
			if !ok || n < 0 {
				return a, errListCountNeg
			}
			a.count, a.hasCount = n, true
		case more && strEq(opt, "maxlen"):
			j++
			n, ok := ParseInt(args[j])
			if !ok || n < 0 {
				return a, errListMaxlenNeg
			}
			a.maxlen = n
		default:
			return a, resp.ErrSyntax
		}
	}
	return a, ""
}

func cmdLPos(x *Ctx) {
	a, errText := parseListPos(x.Args)
	if errText != "" {
		x.Error(errText)
		return
	}
	l, ok := listRead(x, x.Args[1])
	switch {
	case !ok:
		return
	case l == nil && a.hasCount:
		x.W.Array(0)
		return
	case l == nil:
		x.W.Null()
		return
	}
	found := listPositions(l, x.Args[2], a)
	if a.hasCount {
		x.W.Array(len(found))
		for _, i := range found {
			x.W.Int(int64(i))
		}
	} else if len(found) > 0 {
		x.W.Int(int64(found[0]))
	} else {
		x.W.Null()
	}
}

// listPositions finds the positions LPOS replies with.
func listPositions(l *engine.List, elem []byte, a listPosArgs) []int {
	rank, count := a.rank, a.count
	if !a.hasCount {
		count = 1
	}
	fromTail := rank < 0
	if rank == math.MinInt64 {
		// Redis negates the rank in a C long, which leaves this one
		// negative: every match then qualifies, and the count, checked
		// with an overflowing subtraction, never ends the walk.
		rank, count = 1, 0
		if !a.hasCount {
			count = 1
		}
	} else if fromTail {
		rank = -rank
	}
	var found []int
	var matches, walked int64
	visit := func(i int, v []byte) bool {
		if a.maxlen != 0 && walked >= a.maxlen {
			return false
		}
		walked++
		if bytes.Equal(v, elem) {
			matches++
			if matches >= rank {
				found = append(found, i)
				if count != 0 && matches-rank+1 >= count {
					return false
				}
			}
		}
		return true
	}
	if n := l.Len(); fromTail {
		l.RangeRev(0, n-1, visit)
	} else {
		l.Range(0, n-1, visit)
	}
	return found
}

// ---- moves ----

func cmdLMove(x *Ctx) {
	if from, to, ok := listMoveSides(x); ok {
		listMove(x, from, to)
	}
}

func cmdRPopLPush(x *Ctx) { listMove(x, false, true) }

// listMove is LMOVE: pop from args[1] at one end, push onto args[2] at the
// other, reply the element. A missing source answers nil.
func listMove(x *Ctx, from, to bool) {
	src, dst := x.Args[1], x.Args[2]
	l, en, ok := listWrite(x, src)
	switch {
	case !ok:
	case l == nil:
		x.W.Null()
	default:
		listMoveFrom(x, src, dst, l, en, from, to)
	}
}

// listMoveFrom moves one element of the non-empty list l (src's) to dst,
// replying the element, or WRONGTYPE when dst holds another kind.
func listMoveFrom(x *Ctx, src, dst []byte, l *engine.List, en *engine.Entry, from, to bool) {
	dl, den, ok := listWrite(x, dst)
	if !ok {
		return
	}
	// With src == dst, dl is l itself: the element goes round.
	v := listPop(l, from)
	if dl == nil {
		dl = engine.NewList()
		listPushOne(dl, v, to)
		x.Tx.Put(dst, engine.NewObject(engine.KindList, dl))
	} else {
		listPushOne(dl, v, to)
		x.Tx.Updated(dst, den)
	}
	listDone(x, src, en, l)
	x.W.Bulk(v)
}

// ---- LMPOP ----

// listMpopKeys finds the keys of LMPOP (numkeys at index 1) or BLMPOP (at
// 2) as Redis's key spec does: none unless numkeys is a positive count of
// the arguments that follow it.
func listMpopKeys(at int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if at >= len(args) {
			return nil
		}
		n, ok := ParseInt(args[at])
		if !ok || n < 1 || n > int64(len(args)-at-1) {
			return nil
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = at + 1 + i
		}
		return idx
	}
}

type listMpopArgs struct {
	keys  [][]byte
	left  bool
	count int64
}

// parseListMpop parses LMPOP's arguments from numkeys at args[at].
func parseListMpop(args [][]byte, at int) (a listMpopArgs, errText string) {
	n, ok := ParseInt(args[at])
	if !ok || n < 1 {
		return a, errListNumkeys
	}
	if n > int64(len(args)-at-2) {
		return a, resp.ErrSyntax
	}
	where := at + 1 + int(n)
	a.keys = args[at+1 : where]
	if a.left, ok = listSide(args[where]); !ok {
		return a, resp.ErrSyntax
	}
	a.count = -1
	for j := where + 1; j < len(args); j++ {
		if a.count != -1 || !strEq(args[j], "count") || j+1 >= len(args) {
			return a, resp.ErrSyntax
		}
		j++
		c, ok := ParseInt(args[j])
		if !ok || c < 1 {
			return a, errListMpopCount
		}
		a.count = c
	}
	if a.count == -1 {
		a.count = 1
	}
	return a, ""
}

func cmdLMPop(x *Ctx) {
	a, errText := parseListMpop(x.Args, 1)
	if errText != "" {
		x.Error(errText)
		return
	}
	if !listMpop(x, a, false) {
		x.W.NullArray()
	}
}

// listMpop pops from the first non-empty list of a.keys, replying
// [key, [elements]]. blocked is for a waiter being served: keys of another
// kind are passed over instead of answering WRONGTYPE. It reports whether
// it replied.
func listMpop(x *Ctx, a listMpopArgs, blocked bool) bool {
	key, en, replied := firstOfKind(x, a.keys, engine.KindList, blocked)
	if en == nil {
		return replied
	}
	l := en.Obj().(*engine.List)
	n := int(min(a.count, int64(l.Len())))
	x.W.Array(2)
	x.W.Bulk(key)
	x.W.Array(n)
	for range n {
		x.W.Bulk(listPop(l, a.left))
	}
	listDone(x, key, en, l)
	return true
}

// ---- blocking pops ----

// listTimedOut is the reply of a blocking list command that waited in vain.
func listTimedOut(x *Ctx) { x.W.NullArray() }

func cmdBLPop(x *Ctx) { listBPop(x, true) }
func cmdBRPop(x *Ctx) { listBPop(x, false) }

// listBPop is BLPOP and BRPOP: keys, then a timeout in seconds.
func listBPop(x *Ctx, left bool) {
	timeout, ok := ParseTimeout(x, x.Args[len(x.Args)-1])
	if !ok || listBPopOnce(x, left, false) {
		return
	}
	x.Block(x.Args[1:len(x.Args)-1], timeout, func(y *Ctx) bool { return listBPopOnce(y, left, true) }, listTimedOut)
}

// listBPopOnce pops one element from the first non-empty list of the keys,
// replying [key, element], and reports whether it replied. Serving a
// waiter (blocked), keys of another kind are passed over: Redis 7.0 serves
// only from a key that is a list when it is ready, and leaves the client
// waiting otherwise.
func listBPopOnce(x *Ctx, left, blocked bool) bool {
	key, en, replied := firstOfKind(x, x.Args[1:len(x.Args)-1], engine.KindList, blocked)
	if en == nil {
		return replied
	}
	l := en.Obj().(*engine.List)
	x.W.Array(2)
	x.W.Bulk(key)
	x.W.Bulk(listPop(l, left))
	listDone(x, key, en, l)
	return true
}

func cmdBLMove(x *Ctx) {
	if from, to, ok := listMoveSides(x); ok {
		listBMove(x, from, to, x.Args[5])
	}
}

func cmdBRPopLPush(x *Ctx) { listBMove(x, false, true, x.Args[3]) }

// listBMove is BLMOVE: LMOVE once the source has an element.
func listBMove(x *Ctx, from, to bool, timeoutArg []byte) {
	timeout, ok := ParseTimeout(x, timeoutArg)
	if !ok {
		return
	}
	src := x.Args[1]
	l, en, ok := listWrite(x, src)
	switch {
	case !ok:
	case l != nil:
		listMoveFrom(x, src, x.Args[2], l, en, from, to)
	case x.C.inExec:
		// Unable to wait, Redis answers as LMOVE does on an empty source:
		// a null bulk, where a timeout answers a null array.
		x.W.Null()
	default:
		x.Block(x.Args[1:2], timeout, func(y *Ctx) bool { return listBMoveServe(y, from, to) }, listTimedOut)
	}
}

// listBMoveServe serves a waiting BLMOVE once its source is a list again.
// A destination of another kind ends the wait with WRONGTYPE, the element
// staying in the source, as in Redis 7.0.
func listBMoveServe(x *Ctx, from, to bool) bool {
	src := x.Args[1]
	en := x.Tx.Get(src)
	if en == nil || en.Kind != engine.KindList {
		return false
	}
	listMoveFrom(x, src, x.Args[2], en.Obj().(*engine.List), en, from, to)
	return true
}

func cmdBLMPop(x *Ctx) {
	a, errText := parseListMpop(x.Args, 2)
	if errText != "" {
		x.Error(errText)
		return
	}
	timeout, ok := ParseTimeout(x, x.Args[1])
	if !ok || listMpop(x, a, false) {
		return
	}
	x.Block(a.keys, timeout, func(y *Ctx) bool {
		a, _ := parseListMpop(y.Args, 2)
		return listMpop(y, a, true)
	}, listTimedOut)
}

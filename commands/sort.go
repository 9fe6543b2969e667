package commands

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"unsafe"

	"synap/engine"
	"synap/resp"
	"synap/sched"
	"synap/tenant"
)

// SORT and SORT_RO, with Redis 7.0's semantics down to its quirks: LIMIT
// clamping, a BY pattern without '*' that disables sorting for good, ties
// broken by the element, strtod's idea of a number.

func init() {
	acl := func(rw string) []string { return []string{rw, "set", "sortedset", "list", "slow", "dangerous"} }
	const complexity = "O(N+M*log(M)) for N elements to sort and M returned; O(N) when not sorting"
	// The rows are keyspace commands (FlagKeyspace): BY and GET patterns
	// read keys named by the sorted elements, which no key position can
	// announce. The dispatcher therefore takes no lock up front and SORT
	// takes its own (sortCommand): never every shard, never exclusive
	// without STORE. In cluster mode the patterns resolve in the caller's
	// namespace only, like every key.
	register(
		&Command{Name: "sort", Arity: -2, Flags: FlagWrite | FlagDenyOOM | FlagKeyspace,
			FirstKey: 1, LastKey: 1, Step: 1, KeysFn: sortKeys, ACL: acl("write"),
			// Without STORE the sorted elements (and GET's values) come
			// back; with it the count of what it read.
			Reveals: Always,
			Group:   "generic", Since: "1.0.0", Complexity: complexity,
			Summary: "Orders the elements of a list, set or sorted set, optionally by other keys' values, and returns or stores them.",
			Run:     func(x *Ctx) { sortCommand(x, false) }},
		&Command{Name: "sort_ro", Arity: -2, Flags: FlagReadOnly | FlagKeyspace,
			FirstKey: 1, LastKey: 1, Step: 1, KeysFn: func([][]byte) []int { return []int{1} }, ACL: acl("read"),
			Group: "generic", Since: "7.0.0", Complexity: complexity,
			Summary: "Orders the elements of a list, set or sorted set and returns them, without STORE.",
			Run:     func(x *Ctx) { sortCommand(x, true) }},
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"sort": propSortStore,
	})
}

// sortKeys finds SORT's keys as Redis's sortGetKeys does: the sorted key,
// and the last STORE destination, skipping the arguments of LIMIT, GET and BY.
func sortKeys(args [][]byte) []int {
	keys := []int{1}
	store := 0
	for i := 2; i < len(args); i++ {
		switch a := args[i]; {
		case strEq(a, "limit"):
			i += 2
		case strEq(a, "get"), strEq(a, "by"):
			i++
		case strEq(a, "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store > 0 {
		keys = append(keys, store)
	}
	return keys
}

// sortOpts is a parsed SORT command line.
type sortOpts struct {
	key, by, store []byte
	gets           [][]byte
	hasBy          bool
	hasStore       bool
	desc, alpha    bool
	// dontsort: a BY pattern without '*' gives every element the same
	// weight, so the value's own order is kept. A later BY does not undo it.
	dontsort      bool
	offset, count int64 // LIMIT; count -1: to the end
	keyBuf        []byte
	// detached: the source's lock is let go once its elements are
	// copied; BY/GET lookups then lock one key at a time and copy what
	// they read into arena (see sortCommand).
	detached bool
	arena    []byte
	keep     bool // what a lookup returns must outlive the next lookup
	// What arena may hold, reserved from the transient budget as it grows
	// when lookups are kept (BY ... ALPHA, STORE with GET): 50,000 lookups
	// of one 10 MB value would otherwise copy 500 GB. refused is set once
	// a reservation failed (its error is replied): the command stops.
	arenaHeld int64
	releases  []func()
	refused   bool
	lockKey   [1][]byte
	// lookups counts detached lookups, for a chance to yield now and then.
	lookups int
}

func sortParse(x *Ctx, readonly bool) (o sortOpts, ok bool) {
	o, errText := sortParseArgs(x.Args, readonly)
	if errText != "" {
		x.Error(errText)
		return o, false
	}
	return o, true
}

// sortParseArgs parses a SORT command line without running it, so MULTI
// can tell when it is queued whether it will look keys up (sortLooksUp).
// errText is the reply of a line SORT refuses.
func sortParseArgs(args [][]byte, readonly bool) (o sortOpts, errText string) {
	o.key, o.count = args[1], -1
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case strEq(a, "asc"):
			o.desc = false
		case strEq(a, "desc"):
			o.desc = true
		case strEq(a, "alpha"):
			o.alpha = true
		case strEq(a, "limit") && left >= 2:
			var ok1, ok2 bool
			o.offset, ok1 = ParseInt(args[j+1])
			o.count, ok2 = ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return o, resp.ErrNotInteger
			}
			j += 2
		case !readonly && strEq(a, "store") && left >= 1:
			o.store, o.hasStore = args[j+1], true
			j++
		case strEq(a, "by") && left >= 1:
			o.by, o.hasBy = args[j+1], true
			if bytes.IndexByte(cString(o.by), '*') < 0 {
				o.dontsort = true
			}
			j++
		case strEq(a, "get") && left >= 1:
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			return o, resp.ErrSyntax
		}
	}
	return o, ""
}

// sortItem is one element with what it is sorted by.
type sortItem struct {
	elem  []byte
	key   []byte // ALPHA: the bytes compared, found once rather than per comparison
	score float64
	// hasKey is false for ALPHA BY when the pattern found nothing: such
	// elements come first.
	hasKey bool
}

// sortItemCost is what SORT holds per element while it works: the item,
// its copy in sorted order, and the record sorting it.
const sortItemCost = 3 * int64(unsafe.Sizeof(sortItem{}))

// sortYieldEvery is how many records or items a loop of SORT handles
// between two chances to yield, and sortLookupYieldEvery how many detached
// lookups: each locks its key's shard and reads it, 2 µs or more over a
// million keys (a cache miss or two), so 256 of them were 120-330 µs, the
// longest stretches left in a SORT BY/GET of 100k; a chance to yield costs
// a clock read.
const (
	sortYieldEvery       = 256
	sortLookupYieldEvery = 16
)

// sortPace gives a loop of SORT's a chance to yield every sortYieldEvery
// steps (i counts them), when yield says no lock is held.
func sortPace(yield bool, i int) {
	if yield && i%sortYieldEvery == sortYieldEvery-1 {
		sched.Maybe()
	}
}

// sortBudgetAbove is the transient size below which a SORT does not touch
// the shared budget.
const sortBudgetAbove = 1 << 20

// sortCommand runs under a walk (BeginWalk: no lock held up front) and
// locks for itself, so that no SORT holds every shard or takes an
// exclusive lock it does not need:
//   - without STORE, the source's elements are copied under the source's
//     shared lock, which is then let go: the sort, the reply and any
//     BY/GET lookup run without it, each lookup locking its own key's shard
//     only while it reads. The source is read at one instant; the lookups
//     are not atomic with concurrent writers (Redis Cluster restricts SORT
//     patterns for the same reason);
//   - STORE without lookups locks the source and the destination together
//     for the whole command: as atomic as any two-key command;
//   - STORE with lookups copies and lets go like the first case, then
//     locks the destination to write it.
//
// Inside EXEC, which holds every shard (BY/GET lookups) or the source's and
// destination's (none), LockKeys does nothing and SORT is atomic as before.
func sortCommand(x *Ctx, readonly bool) {
	o, ok := sortParse(x, readonly)
	if !ok {
		return
	}
	defer x.Tx.UnlockKeys()
	defer x.recordHeld() // under the destination's lock
	defer func() {
		for _, release := range o.releases {
			release()
		}
	}()
	write := o.hasStore || sortConvertsSource(x, &o, readonly)
	if o.detached = x.Tx.Walking() && (!o.hasStore || sortLooksUp(&o)); o.detached {
		// The lookups' copies, in a recycled buffer: kept (ALPHA, STORE)
		// they are as big as what was looked up.
		o.arena = sortArenas.get(0, true)
		defer func() { sortArenas.put(o.arena, !o.hasStore) }()
		o.lockKey[0] = o.key
		x.Tx.LockKeys(o.lockKey[:], write)
	} else {
		keys := [][]byte{o.key}
		if o.hasStore {
			keys = append(keys, o.store)
		}
		x.Tx.LockKeys(keys, write)
	}
	en := x.Read(o.key)
	if en != nil && en.Kind != engine.KindList && en.Kind != engine.KindSet && en.Kind != engine.KindZSet {
		x.Error(resp.ErrWrongType)
		return
	}
	if _, ok := sortZSet(en); ok && !readonly && x.Tx.Writable() {
		// What Redis 7.0's SORT does to a sorted set it reads: a listpack
		// one becomes a skiplist for good, as OBJECT ENCODING then shows.
		// SORT_RO cannot under its shared lock: there it stays a listpack.
		x.Tx.ExpandZSet(en)
	}
	// A set has no order of its own worth storing: Redis sorts it
	// alphabetically rather than store its hash table's order.
	if o.dontsort && en != nil && en.Kind == engine.KindSet && o.hasStore {
		o.dontsort, o.alpha, o.hasBy = false, true, false
	}
	n := sortLen(en)
	// The element buffers (loaded, sorted, and their sort keys) are
	// transient memory; small sorts skip the shared budget.
	if need := int64(n) * sortItemCost; need >= sortBudgetAbove {
		release, ok := x.Transient(need)
		if !ok {
			return
		}
		defer release()
	}
	start, end := sortRange(n, o.offset, o.count)
	var items []sortItem
	// Detached, the elements are only copied out while the source is
	// locked, compactly (their bytes and where each ends): the items are
	// built once the lock is let go.
	var copied sortCopy
	load := copied.add
	// The value itself, taken under the lock: once a pinned list's lock is
	// let go, a writer may give the entry a copy of it.
	var src engine.Object
	if en != nil {
		src = en.Obj()
	}
	ordered := en != nil && (en.Kind == engine.KindList || en.Kind == engine.KindZSet)
	if !o.detached {
		load = func(v []byte) { items = append(items, sortItem{elem: v}) }
	} else if l := sortPinnable(en, write, n); l != nil {
		// A big list is pinned and copied with no lock held, with chances
		// to yield: copying 100k elements under its shard's lock was one
		// unbroken stretch of a millisecond, which every other tenant's
		// request waited for. The pin keeps the copy the list at one
		// instant: a writer meanwhile changes a copy of it (engine.List.Pin).
		l.Pin()
		defer l.Unpin()
		x.Tx.UnlockKeys()
		copiedN := 0
		load = func(v []byte) {
			if copiedN++; copiedN%listYieldEvery == 0 {
				sched.Maybe()
			}
			copied.add(v)
		}
	}
	if ordered && o.dontsort {
		// Only the requested range is loaded, in the value's own order.
		if end >= start {
			if o.detached {
				copied.reserve(int(end - start + 1))
			} else {
				items = make([]sortItem, 0, end-start+1)
			}
			sortEachRange(src, start, end-start+1, o.desc, load)
			end -= start
			start = 0
		}
	} else {
		if o.detached {
			copied.reserve(n)
		} else {
			items = make([]sortItem, 0, n)
		}
		sortEachAll(src, n, load)
	}
	if o.detached {
		x.Tx.UnlockKeys()
		// The buffers go back after the reply or the stored list is
		// written (neither keeps them). With STORE that is under the
		// destination's lock, which a yield would hold longer: they are
		// cleared in one go there.
		defer copied.release(!o.hasStore)
		items = copied.items()
		defer sortItemBufs.put(items, !o.hasStore)
	}

	if !o.dontsort {
		o.keep = o.alpha // ALPHA keeps the BY values it compares
		if !sortWeigh(x, &o, items) {
			x.Error(errSortScore)
			return
		}
		if o.refused {
			return
		}
		if end >= start {
			sorted := sortItems(items, o.alpha, o.desc, o.detached)
			if o.detached {
				defer sortItemBufs.put(sorted, !o.hasStore)
			}
			items = sorted[start : end+1]
			end -= start
			start = 0
		}
	}
	if end < start {
		items = nil
	} else {
		items = items[start : end+1]
	}
	if o.hasStore {
		o.keep = true // the stored list is built from them
		sortStoreResult(x, &o, items)
	} else {
		o.keep = false // each value is written to the reply at once
		sortReply(x, &o, items)
	}
}

// sortWeigh gives every item what it is sorted by: its BY value or itself,
// as a number, or as bytes for ALPHA. It reports false when a weight is
// not a number.
func sortWeigh(x *Ctx, o *sortOpts, items []sortItem) bool {
	ok := true
	for i := range items {
		it := &items[i]
		by := it.elem
		if o.hasBy {
			v, found := sortLookup(x, o, o.by, it.elem)
			if o.refused {
				return true // the transient error is the reply
			}
			if !found {
				continue // numeric weight 0; ALPHA: sorts before any value
			}
			by = v
		}
		if o.alpha {
			// Redis collates with strcoll, under the C.UTF-8 locale it
			// runs with here: bytes up to the first zero byte. STORE
			// compares whole binary strings instead.
			if !o.hasStore {
				by = cString(by)
			}
			it.key, it.hasKey = by, true
			continue
		}
		f, valid := sortStrtod(by)
		it.score = f
		ok = ok && valid
	}
	return ok
}

// sortReply writes the selected items, or for each the values of the GET
// patterns (null when missing).
func sortReply(x *Ctx, o *sortOpts, items []sortItem) {
	if len(o.gets) == 0 {
		x.W.Array(len(items))
		for _, it := range items {
			x.W.Bulk(it.elem)
		}
		return
	}
	x.W.Array(len(items) * len(o.gets))
	for _, it := range items {
		if x.W.Over() {
			break // past the reply bound: the dispatcher replaces the reply
		}
		for _, pat := range o.gets {
			if v, found := sortLookup(x, o, pat, it.elem); found {
				x.W.Bulk(v)
			} else {
				x.W.Null()
			}
		}
	}
}

// sortStoreResult stores what sortReply would write as a list, a missing
// GET value as an empty string; an empty result deletes the destination.
func sortStoreResult(x *Ctx, o *sortOpts, items []sortItem) {
	vals := make([][]byte, 0, len(items)*max(len(o.gets), 1))
	// What the list will account, counted as the values are looked up: a
	// few GET patterns over a long list can make the result many times the
	// tenant's quota, and detached lookups copy every value, so a result
	// that could not fit the whole quota is refused before it is built.
	value := int64(engine.ListCharge)
	limit := int64(0)
	if t := x.C.T; t != nil {
		limit = t.Limits().StorageBytes
	}
	add := func(v []byte) bool {
		vals = append(vals, v)
		value += int64(len(v)) + engine.ListElemCharge
		return limit <= 0 || value <= limit
	}
	for _, it := range items {
		fits := true
		if len(o.gets) == 0 {
			fits = add(it.elem)
		}
		for _, pat := range o.gets {
			v, _ := sortLookup(x, o, pat, it.elem)
			if o.refused {
				return // the transient error is the reply
			}
			fits = fits && add(v)
		}
		if !fits {
			x.C.T.Rejected(tenant.RejectQuota)
			x.Error(fmt.Sprintf(errQuotaStorage, x.Tx.NS().Bytes(), limit))
			return
		}
	}
	if o.detached {
		o.lockKey[0] = o.store
		x.Tx.LockKeys(o.lockKey[:], true)
	}
	if len(vals) == 0 {
		x.Tx.Delete(o.store)
	} else if !x.KeyAllowed(x.Tx, o.store) || !x.StoreAllowed(x.Tx, o.store, value) {
		return
	} else {
		x.Tx.Put(o.store, engine.NewObject(engine.KindList, engine.NewListOf(vals)))
	}
	x.W.Int(int64(len(vals)))
}

// sortRange applies LIMIT to n elements exactly as Redis computes it,
// returning the inclusive range [start, end]; end < start when empty.
func sortRange(n int, offset, count int64) (start, end int64) {
	vlen := int64(n)
	start = min(max(offset, 0), vlen)
	count = min(max(count, -1), vlen)
	if count < 0 {
		end = vlen
	} else {
		end = start + count - 1
	}
	if start >= vlen {
		start, end = vlen-1, vlen-2
	}
	if end >= vlen {
		end = vlen - 1
	}
	return start, end
}

// sortItems returns items in order, as Redis's sortCompare orders them.
// Numeric weights that are equal fall back to the elements, so the result
// does not depend on the input order; the ties left (ALPHA with BY) Redis
// leaves to glibc's qsort, a merge sort, so they keep the value's own
// order, in either direction. What is compared is sorted apart from the
// items, in small records that are cheap to move.
func sortItems(items []sortItem, alpha, desc, yield bool) []sortItem {
	sign := 1
	if desc {
		sign = -1
	}
	var sorted []sortItem
	if !alpha {
		type rec = sortNumRec
		recs := sortNumRecs.get(len(items), yield)
		defer sortNumRecs.put(recs, yield)
		for i := range items {
			sortPace(yield, i)
			recs[i] = rec{items[i].score, int32(i)}
		}
		sortRecs(recs, yield, &sortNumRecs, func(a, b rec) int {
			c := 0
			switch {
			case a.score < b.score:
				c = -1
			case a.score > b.score:
				c = 1
			default:
				c = bytes.Compare(items[a.i].elem, items[b.i].elem)
			}
			if c == 0 {
				return int(a.i - b.i)
			}
			return c * sign
		})
		sorted = sortItemBufs.get(len(items), yield)
		for j, r := range recs {
			sortPace(yield, j)
			sorted[j] = items[r.i]
		}
	} else {
		type rec = sortAlphaRec
		recs := sortAlphaRecs.get(len(items), yield)
		defer sortAlphaRecs.put(recs, yield)
		for i := range items {
			sortPace(yield, i)
			recs[i] = rec{items[i].key, int32(i), items[i].hasKey}
		}
		sortRecs(recs, yield, &sortAlphaRecs, func(a, b rec) int {
			var c int
			if a.has && b.has {
				c = bytes.Compare(a.key, b.key)
			} else {
				c = sortBool(a.has) - sortBool(b.has)
			}
			if c == 0 {
				return int(a.i - b.i)
			}
			return c * sign
		})
		sorted = sortItemBufs.get(len(items), yield)
		for j, r := range recs {
			sortPace(yield, j)
			sorted[j] = items[r.i]
		}
	}
	return sorted
}

// sortRun is how many records are sorted at once when sortRecs may yield:
// about 100 µs of comparisons. At 4096 a run took 350-450 µs, and the
// last merge of 100k records (no chance to yield inside a merge) about a
// millisecond, the longest stretch of a SORT without a yield.
const sortRun = 1024

// sortMergeStep is how many records a merge writes between two chances
// to yield.
const sortMergeStep = 4096

// sortRecs sorts recs by cmp, a total order (ties are broken by index), so
// any algorithm gives the same result. When yield is set (no lock held) it
// sorts runs of sortRun records and merges them pairwise, with a chance to
// yield between steps: one sort of 100k records is ~10 ms in which other
// connections would wait for the processor. The merge buffer is freed
// before sortItems allocates its result, within sortItemCost.
func sortRecs[T any](recs []T, yield bool, pool *slicePool[T], cmp func(a, b T) int) {
	if !yield || len(recs) <= sortRun {
		slices.SortFunc(recs, cmp)
		return
	}
	for i := 0; i < len(recs); i += sortRun {
		slices.SortFunc(recs[i:min(i+sortRun, len(recs))], cmp)
		sched.Maybe()
	}
	src, dst := recs, pool.get(len(recs), true)
	defer pool.put(dst, true)
	for width := sortRun; width < len(recs); width *= 2 {
		for lo := 0; lo < len(recs); lo += 2 * width {
			mid, hi := min(lo+width, len(recs)), min(lo+2*width, len(recs))
			a, b, out := src[lo:mid], src[mid:hi], dst[lo:lo]
			for len(a) > 0 && len(b) > 0 {
				if cmp(b[0], a[0]) < 0 {
					out, b = append(out, b[0]), b[1:]
				} else {
					out, a = append(out, a[0]), a[1:]
				}
				if len(out)%sortMergeStep == 0 {
					sched.Maybe()
				}
			}
			k := lo + len(out)
			k += copy(dst[k:], a)
			copy(dst[k:], b)
			sched.Maybe()
		}
		src, dst = dst, src
	}
	if &src[0] != &recs[0] {
		copy(recs, src)
	}
}

func sortBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cString is b as C code sees it: up to its first zero byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortLookup resolves a GET or BY pattern for one element, as Redis's
// lookupKeyByPattern does: "#" is the element itself; the first '*' is
// replaced by the element; "key->field" reads a hash field; a pattern
// without '*' finds nothing. Keys are read in the caller's namespace, with
// keyspace hits and misses counted.
func sortLookup(x *Ctx, o *sortOpts, pat, elem []byte) ([]byte, bool) {
	cpat := cString(pat)
	if len(cpat) == 1 && cpat[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(cpat, '*')
	if star < 0 {
		return nil, false
	}
	var field []byte
	keyEnd := len(pat)
	if f := bytes.Index(cpat[star+1:], []byte("->")); f >= 0 {
		f += star + 1
		if f+2 < len(cpat) {
			field, keyEnd = pat[f+2:], f
		}
	}
	// One buffer serves every lookup: the engine keeps no key it is asked for.
	key := append(append(append(o.keyBuf[:0], pat[:star]...), elem...), pat[star+1:keyEnd]...)
	o.keyBuf = key
	if o.detached {
		o.lockKey[0] = key
		x.Tx.LockKeys(o.lockKey[:], false)
		v, found := sortRead(x, key, field)
		if found {
			// A copy: the value may change once the lock is let go.
			if !o.keep {
				o.arena = o.arena[:0]
			} else if !sortArenaRoom(x, o, len(v)) {
				x.Tx.UnlockKeys()
				return nil, false
			}
			o.arena = append(o.arena, v...)
			v = o.arena[len(o.arena)-len(v):]
		}
		x.Tx.UnlockKeys()
		if o.lookups++; o.lookups%sortLookupYieldEvery == 0 {
			// Nothing is locked between two lookups: 100k of them are
			// tens of ms other connections need not wait through.
			sched.Maybe()
		}
		return v, found
	}
	return sortRead(x, key, field)
}

// sortArenaRoom reserves transient memory for n more bytes of kept
// lookups, doubling what is held so reservations stay few. It reports
// false, replied and with o.refused set, when the budget cannot take it.
func sortArenaRoom(x *Ctx, o *sortOpts, n int) bool {
	if o.refused {
		return false
	}
	need := int64(len(o.arena) + n)
	if need <= o.arenaHeld {
		return true
	}
	more := max(need-o.arenaHeld, o.arenaHeld, sortBudgetAbove)
	release, ok := x.Transient(more)
	if !ok {
		o.refused = true
		return false
	}
	o.releases = append(o.releases, release)
	o.arenaHeld += more
	return true
}

// sortRead reads a BY/GET pattern's key, or its hash field.
func sortRead(x *Ctx, key, field []byte) ([]byte, bool) {
	en := x.Read(key)
	switch {
	case en == nil:
		return nil, false
	case field != nil:
		if en.Kind != engine.KindHash {
			return nil, false
		}
		return sortHashField(en, field)
	case en.Kind != engine.KindString:
		return nil, false
	}
	return en.Str(), true
}

// sortStrtod reads a weight as C's strtod does in Redis's SORT: leading
// white space, decimal or hexadecimal notation, inf and infinity; the text
// must be used up to its end (or a zero byte), and NaN, overflow and
// underflow (an inexact subnormal or zero result, as glibc reports it) are
// refused. Text with no number at all weighs 0, and is accepted only when
// empty.
func sortStrtod(b []byte) (float64, bool) {
	if v, ok := ParseInt(b); ok {
		return float64(v), true // what Redis does for integer-encoded values: the same double
	}
	s := cString(b)
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	num := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	neg := num < len(s) && s[num] == '-'
	lower := func(j int) byte {
		if j < len(s) {
			return s[j] | 0x20
		}
		return 0
	}
	word := func(w string) bool {
		if len(s)-i < len(w) {
			return false
		}
		for k := range len(w) {
			if lower(i+k) != w[k] {
				return false
			}
		}
		return true
	}
	switch {
	case word("infinity"), word("inf"):
		if word("infinity") {
			i += 8
		} else {
			i += 3
		}
		f := math.Inf(1)
		if neg {
			f = -f
		}
		return f, i == len(s)
	case word("nan"):
		return 0, false
	}
	isHex := func(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' }
	isDec := func(c byte) bool { return c >= '0' && c <= '9' }
	digit, expChar, hex := isDec, byte('e'), false
	if lower(i) == '0' && lower(i+1) == 'x' &&
		(i+2 < len(s) && isHex(s[i+2]) || lower(i+2) == '.' && i+3 < len(s) && isHex(s[i+3])) {
		digit, expChar, hex = isHex, 'p', true
		i += 2
	}
	from := i // the text handed to ParseFloat: unsigned, "0x" included
	if hex {
		from -= 2
	}
	digits, nonzero, dot := 0, false, false
	for ; i < len(s) && (digit(s[i]) || s[i] == '.' && !dot); i++ {
		if s[i] == '.' {
			dot = true
			continue
		}
		digits++
		nonzero = nonzero || s[i] != '0'
	}
	if digits == 0 {
		// No conversion: strtod points back at the very start.
		return 0, len(s) == 0
	}
	hasExp := false
	if lower(i) == expChar {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDec(s[j]) {
			for j < len(s) && isDec(s[j]) {
				j++
			}
			i, hasExp = j, true
		}
	}
	text := unsafe.String(unsafe.SliceData(s[from:i]), i-from) // ParseFloat keeps no reference
	if hex && !hasExp {
		text += "p0" // Go wants the binary exponent that C leaves optional
	}
	f, err := strconv.ParseFloat(text, 64)
	if neg {
		f = -f
	}
	if err != nil || nonzero && math.Abs(f) < 0x1p-1022 && !sortExact(text, math.Abs(f)) {
		return f, false
	}
	return f, i == len(s)
}

// sortExact reports whether a tiny (subnormal or zero) result is exactly
// the number text writes: glibc reports underflow only for inexact ones. An
// exact subnormal written in decimal takes hundreds of digits, but never
// thousands, which also bounds the cost of the exact arithmetic.
func sortExact(text string, f float64) bool {
	if f == 0 || len(text) > 2048 {
		return false
	}
	r, ok := new(big.Rat).SetString(text)
	return ok && r.Cmp(new(big.Rat).SetFloat64(f)) == 0
}

func sortZSet(en *engine.Entry) (*engine.ZSet, bool) {
	if en == nil {
		return nil, false
	}
	z, ok := en.Obj().(*engine.ZSet)
	return z, ok
}

// sortLen is the number of elements of a list, set or sorted set (0: none).
func sortLen(en *engine.Entry) int {
	if en == nil {
		return 0
	}
	switch o := en.Obj().(type) {
	case *engine.List:
		return o.Len()
	case *engine.ZSet:
		return o.Len()
	case *engine.Set:
		return o.Len()
	}
	return 0
}

// sortEachAll passes every element to load, in the value's own order.
func sortEachAll(src engine.Object, n int, load func(v []byte)) {
	switch o := src.(type) {
	case *engine.List:
		o.Range(0, n-1, func(i int, v []byte) bool {
			load(v)
			return true
		})
	case *engine.ZSet:
		o.Each(func(m string, _ float64) bool {
			load(engine.View(m))
			return true
		})
	case *engine.Set:
		for i := range n {
			// Without a buffer, Member gives bytes of their own for an
			// intset and the stored ones for a hashtable: both stay valid.
			load(o.Member(i, nil))
		}
	}
}

// sortEachRange passes count elements of a list or sorted set to load, from
// position from, counted from the end when desc.
func sortEachRange(src engine.Object, from, count int64, desc bool, load func(v []byte)) {
	add := func(_ int, v []byte) bool {
		load(v)
		return true
	}
	switch o := src.(type) {
	case *engine.List:
		if desc {
			o.RangeRev(o.Len()-int(from+count), o.Len()-int(from)-1, add)
		} else {
			o.Range(int(from), int(from+count)-1, add)
		}
	case *engine.ZSet:
		lo, hi := int(from), int(from+count)
		if desc {
			lo, hi = o.Len()-int(from+count), o.Len()-int(from)
		}
		o.Range(lo, hi, desc, func(m string, _ float64) bool {
			load(engine.View(m))
			return true
		})
	}
}

// sortHashField reads field of a hash.
func sortHashField(en *engine.Entry, field []byte) ([]byte, bool) {
	h, ok := en.Obj().(*engine.Hash)
	if !ok {
		return nil, false
	}
	v, ok := h.Get(field)
	return engine.View(v), ok
}

// sortLooksUp reports whether the command reads keys named by its elements:
// a BY pattern that sorts, or a GET pattern other than "#" with a '*'.
func sortLooksUp(o *sortOpts) bool {
	if o.hasBy && !o.dontsort {
		return true
	}
	for _, pat := range o.gets {
		cpat := cString(pat)
		if !(len(cpat) == 1 && cpat[0] == '#') && bytes.IndexByte(cpat, '*') >= 0 {
			return true
		}
	}
	return false
}

// sortConvertsSource reports whether SORT (not SORT_RO) will convert its
// source, a listpack sorted set, and so needs its lock exclusively; any
// other SORT without STORE only reads. The conversion is checked again
// under the lock finally taken.
func sortConvertsSource(x *Ctx, o *sortOpts, readonly bool) bool {
	if readonly || !x.Tx.Walking() {
		return false
	}
	o.lockKey[0] = o.key
	x.Tx.LockKeys(o.lockKey[:], false)
	z, ok := sortZSet(x.Tx.Peek(o.key))
	convert := ok && z.Encoding() == "listpack"
	x.Tx.UnlockKeys()
	return convert
}

// sortCopy holds elements copied out of the source: their bytes end to end
// and where each ends. Both buffers are recycled (release).
type sortCopy struct {
	buf  []byte
	ends []int
}

// reserve makes room for where n elements end; their bytes grow as they
// are copied, in a recycled buffer when there is one.
func (c *sortCopy) reserve(n int) {
	c.ends = sortEnds.get(n, true)[:0]
	if n >= sortPoolAbove {
		c.buf = sortBytes.get(0, true)
	}
}

// release gives the buffers back once nothing refers to them (the reply,
// or the stored list, is written); yield: no lock is held (slicePool.put).
func (c *sortCopy) release(yield bool) {
	sortEnds.put(c.ends, yield)
	sortBytes.put(c.buf, yield)
	c.buf, c.ends = nil, nil
}

func (c *sortCopy) add(v []byte) {
	c.buf = append(c.buf, v...)
	c.ends = append(c.ends, len(c.buf))
}

// items are the copied elements as sort items; no lock is held, so it
// yields now and then (100k items took a quarter of a millisecond).
func (c *sortCopy) items() []sortItem {
	items := sortItemBufs.get(len(c.ends), true)
	from := 0
	for i, end := range c.ends {
		sortPace(true, i)
		items[i].elem = c.buf[from:end:end]
		from = end
	}
	return items
}

// sortPinnable is the source list of a detached SORT that it copies with
// no lock held (pinned), or nil: a small or packed list is copied under
// the lock in microseconds, and a SORT that changes its source (STORE
// onto itself, a sorted set's conversion) keeps the lock.
func sortPinnable(en *engine.Entry, write bool, n int) *engine.List {
	if write || en == nil || en.Kind != engine.KindList || n <= listDetachElems {
		return nil
	}
	l, ok := en.Obj().(*engine.List)
	if !ok || l.Packed() {
		return nil
	}
	return l
}

// Item buffers of big detached SORTs are recycled: two of 100k items are
// 13 MB, and a tenant sorting in a loop made GC cycles (each marking the
// whole live heap, assists included) a main cause of other tenants' wait.
// So are the rest of what it works with: the copied elements, the sort
// records and the merge buffer were another 5 MB per SORT of 100k.
var sortItemBufs slicePool[sortItem]

// The records sortItems sorts, numeric or ALPHA.
type (
	sortNumRec struct {
		score float64
		i     int32
	}
	sortAlphaRec struct {
		key []byte
		i   int32
		has bool
	}
)

var (
	sortNumRecs   slicePool[sortNumRec]
	sortAlphaRecs slicePool[sortAlphaRec]
	sortEnds      slicePool[int]
	sortBytes     slicePool[byte]
	sortArenas    slicePool[byte]
)

// slicePool recycles buffers of T of at least sortPoolAbove elements.
type slicePool[T any] struct{ p sync.Pool }

// get returns a buffer of length n: recycled when pooled and n is big
// enough, or when n is 0 (a buffer that will grow), else new.
func (sp *slicePool[T]) get(n int, pooled bool) []T {
	if pooled && (n >= sortPoolAbove || n == 0) {
		if p, _ := sp.p.Get().(*[]T); p != nil {
			if cap(*p) >= n {
				return (*p)[:n]
			}
			sp.p.Put(p)
		}
	}
	return make([]T, n)
}

// put gives back a buffer once nothing refers to it; it is cleared, so
// that it keeps no value alive. When yield is set (no lock held) the
// clearing has a chance to yield every sortClearStep bytes: clearing the
// items of a 50k-element SORT in one go (3.2 MB) was the longest stretch
// of a SORT_RO ... GET attack, 360-590 µs once per command in traces,
// which another tenant's request waited through (its p99 3.2-4.3x its
// quiet one in make bench-noisy).
func (sp *slicePool[T]) put(s []T, yield bool) {
	if cap(s) < sortPoolAbove {
		return
	}
	s = s[:cap(s)]
	step := len(s)
	if yield {
		var zero T
		step = max(sortClearStep/int(unsafe.Sizeof(zero)), 1)
	}
	for i := 0; i < len(s); i += step {
		if i > 0 {
			sched.Maybe()
		}
		clear(s[i:min(i+step, len(s))])
	}
	s = s[:0]
	sp.p.Put(&s)
}

// sortClearStep is how many bytes of a pooled buffer put clears between
// two chances to yield (about 10 µs).
const sortClearStep = 64 << 10

// sortPoolAbove is the least length of a pooled item buffer.
const sortPoolAbove = sortRun

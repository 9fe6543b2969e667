package engine

import (
	"hash/maphash"
	"math/bits"
	"strings"
	"unsafe"
)

// Redis's default thresholds (zset-max-listpack-entries / -value): up to
// this many members, none longer than this many bytes, OBJECT ENCODING says
// "listpack"; beyond either, "skiplist", and a set never goes back by itself.
const (
	ZSetListpackEntries = 128
	ZSetListpackValue   = 64
)

// ZSet is a sorted set: members ordered by (score, member bytes), as Redis
// orders them. The order is kept by a B+tree counted by rank: leaves hold
// short sorted arrays of scores beside pointers to the members' entries,
// and inner nodes know how many members each child holds, so rank lookups,
// range starts and range removals cost O(log n) and a range then costs
// O(length). A hash table maps members to their entries. Ranks are 0-based
// everywhere in this API. ("skiplist" stays the encoding's name: it is what
// Redis reports.)
//
// Scores are never NaN: callers refuse NaN before calling in. While the
// encoding is "listpack", a score of -0 is stored as 0, as Redis's text
// form of listpack scores does; "skiplist" keeps the sign. Members passed
// as []byte are copied when stored; members handed to callbacks are the
// stored strings (immutable, safe to keep). Callbacks must not change the
// set they are called from.
//
// GEO and SORT build on this API; keep it stable.
//
// A ZSet is not safe for concurrent use: it lives under its key's shard lock.
type ZSet struct {
	// The order: a tree under root, or, while everything fits one leaf,
	// that leaf alone (root nil). A lone leaf grows as needed, so a small
	// set stays small.
	root   *zInner
	leaf   *zLeaf
	length int
	size   int64
	big    bool // "skiplist" encoding; false: "listpack", packed in pk

	// The members while "listpack" (zset_packed.go); the tree and the
	// index are then unused.
	pk []byte

	// The member index: chained buckets, a power of two of them, scanned
	// with Redis's reverse-binary cursor so ZSCAN sees every member present
	// for the whole scan even when the table grows or shrinks in between.
	// Resizing is incremental, as in Redis: while old is set, its buckets
	// from moved on still hold members, and every write moves a few more,
	// so no single command pays for relinking a million members.
	buckets []*zEntry
	old     []*zEntry
	moved   int
}

// zEntry is a member as the index holds it. The tree's items point here;
// its score always equals the score beside that pointer in the tree.
type zEntry struct {
	hnext  *zEntry // next entry in the same bucket
	hash   uint64
	score  float64
	member string
}

// A short member is kept in its entry's own allocation: a lookup, and a
// tree walk breaking a tie of scores, then read one object, often one
// cache line, instead of two, and adding a member allocates once. The
// sizes fill Go's size classes of 64, 80 and 112 bytes.
type (
	zEntry24 struct {
		zEntry
		b [24]byte
	}
	zEntry40 struct {
		zEntry
		b [40]byte
	}
	zEntry72 struct {
		zEntry
		b [72]byte
	}
)

// newEntry returns an entry for member, holding a copy of it when it is
// short. A long member is shared when owned, else copied.
func newEntry(member string, owned bool, score float64, h uint64) *zEntry {
	var e *zEntry
	var buf []byte
	switch n := len(member); {
	case n == 0:
		e = &zEntry{}
	case n <= 24:
		o := new(zEntry24)
		e, buf = &o.zEntry, o.b[:n]
	case n <= 40:
		o := new(zEntry40)
		e, buf = &o.zEntry, o.b[:n]
	case n <= 72:
		o := new(zEntry72)
		e, buf = &o.zEntry, o.b[:n]
	case owned:
		e = &zEntry{member: member}
	default:
		e = &zEntry{member: strings.Clone(member)}
	}
	if buf != nil {
		copy(buf, member)
		e.member = unsafe.String(&buf[0], len(buf))
	}
	e.score, e.hash = score, h
	return e
}

// Tree shape. A walk compares scores held inline in the node arrays and
// reads a member only when scores tie, so a step costs the few cache lines
// of one node's score array instead of a miss per member passed.
const (
	zLeafCap = 64 // items per leaf
	zLeafMin = zLeafCap / 4
	zFan     = 32 // children per inner node
	zFanMin  = zFan / 4
)

// zLeaf holds items in order: s[i] is the score of e[i]. Leaves are linked
// in order for range walks.
type zLeaf struct {
	s          []float64
	e          []*zEntry
	prev, next *zLeaf
}

// zLeafBlock is a leaf of a tree: its arrays live in the same allocation
// as the header, with one spare slot for the item that makes it split.
type zLeafBlock struct {
	zLeaf
	sa [zLeafCap + 1]float64
	ea [zLeafCap + 1]*zEntry
}

func newLeaf() *zLeaf {
	b := new(zLeafBlock)
	b.s, b.e = b.sa[:0], b.ea[:0]
	return &b.zLeaf
}

// zInner is an inner node with n children: leaves when bottom, else inner
// nodes. cnt[i] is the number of members under child i. (s[i], e[i]) for
// i >= 1 is a lower bound of child i's keys above every key of child i-1:
// the first key of child i when it was set, kept even when that member
// leaves or moves (a member string never changes, and the score is held
// here), so a separator may keep a removed member's entry alive until the
// node next changes there. Slot 0 has no separator (e[0] is nil). Every
// array has a spare slot for the child that makes the node split.
type zInner struct {
	n      int
	bottom bool
	s      [zFan + 1]float64
	e      [zFan + 1]*zEntry
	cnt    [zFan + 1]int
	kids   [zFan + 1]*zInner
	leaves [zFan + 1]*zLeaf
}

var zSeed = maphash.MakeSeed()

func zHash(member []byte) uint64 { return maphash.Bytes(zSeed, member) }

// NewZSet returns an empty sorted set. sizeHint and maxMemberLen describe
// what is about to be added (0, 0 when unknown): like Redis's
// zsetTypeCreate, a set created for more than ZSetListpackEntries members
// or a member longer than ZSetListpackValue starts as "skiplist".
func NewZSet(sizeHint, maxMemberLen int) *ZSet {
	z := &ZSet{}
	if sizeHint > ZSetListpackEntries || maxMemberLen > ZSetListpackValue {
		z.pkUnpack()
	}
	return z
}

// Len is the number of members (ZCARD).
func (z *ZSet) Len() int { return z.length }

// Size is the bytes accounted: every member's length plus 8 per score.
func (z *ZSet) Size() int64 { return z.size }

// ComputeSize recomputes Size from the content.
func (z *ZSet) ComputeSize() int64 {
	var n int64
	z.Each(func(m string, _ float64) bool {
		n += int64(len(m)) + 8
		return true
	})
	return n
}

// Encoding is what Redis 7.0 reports for the same history of changes.
func (z *ZSet) Encoding() string {
	if z.big {
		return "skiplist"
	}
	return "listpack"
}

// Clone returns an independent copy with the same encoding.
func (z *ZSet) Clone() Object {
	if !z.big {
		return z.pkClone()
	}
	c := &ZSet{big: true}
	c.resize(z.length) // empty: allocates at once
	ents := make([]*zEntry, 0, z.length)
	z.walk(func(s float64, e *zEntry) bool {
		ents = append(ents, newEntry(e.member, true, s, e.hash))
		return true
	})
	c.build(ents)
	for _, e := range ents {
		c.index(e)
	}
	c.size = z.size
	return c
}

// Compact switches a set that Redis would store as a listpack (few and short
// members) back to "listpack", as Redis does for the destination of
// ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE.
func (z *ZSet) Compact() {
	if !z.big || z.length > ZSetListpackEntries {
		return
	}
	short := true
	z.Each(func(m string, _ float64) bool {
		short = len(m) <= ZSetListpackValue
		return short
	})
	if !short {
		return
	}
	z.big = false
	z.pack()
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if !z.big {
		at, _, _, s := z.pkFind(zView(member))
		return s, at >= 0
	}
	if e := z.lookup(member, zHash(member)); e != nil {
		return e.score, true
	}
	return 0, false
}

// Set adds member with score, or moves an existing member to score. It
// reports whether member is new. score must not be NaN.
func (z *ZSet) Set(member []byte, score float64) (added bool) {
	if !z.big {
		if added, ok := z.pkTrySet(zView(member), score); ok {
			return added
		}
	}
	h := zHash(member)
	if e := z.lookup(member, h); e != nil {
		if e.score != score {
			z.move(e, score)
		}
		return false
	}
	// A view of the caller's bytes: newEntry copies them.
	z.add(unsafe.String(unsafe.SliceData(member), len(member)), false, score, h)
	return true
}

// add stores a new member; owned says member is a string no one will
// change, which may be kept as it is.
func (z *ZSet) add(member string, owned bool, score float64, h uint64) {
	e := newEntry(member, owned, z.stored(score), h)
	z.insert(e)
	z.index(e)
	z.size += int64(len(member)) + 8
}

// SetString is Set for a member already held as a string (from another
// ZSet's callbacks, say): a long one is shared, not copied.
func (z *ZSet) SetString(member string, score float64) (added bool) {
	if !z.big {
		if added, ok := z.pkTrySet(member, score); ok {
			return added
		}
	}
	h := maphash.String(zSeed, member)
	if e := z.lookup(View(member), h); e != nil {
		if e.score != score {
			z.move(e, score)
		}
		return false
	}
	z.add(member, true, score, h)
	return true
}

// Remove deletes member; it reports whether it was there.
func (z *ZSet) Remove(member []byte) bool {
	if !z.big {
		at, next, _, _ := z.pkFind(zView(member))
		if at < 0 {
			return false
		}
		z.pkCut(at, next)
		z.length--
		z.size -= int64(len(member)) + 8
		return true
	}
	e := z.lookup(member, zHash(member))
	if e == nil {
		return false
	}
	z.unlink(e, 0, false)
	z.unindex(e)
	z.size -= int64(len(e.member)) + 8
	return true
}

// Rank returns member's 0-based rank in ascending order, and its score.
// The rank in descending order is Len()-1-rank.
func (z *ZSet) Rank(member []byte) (rank int, score float64, ok bool) {
	if !z.big {
		at, _, rank, s := z.pkFind(zView(member))
		return rank, s, at >= 0
	}
	e := z.lookup(member, zHash(member))
	if e == nil {
		return 0, 0, false
	}
	l := z.leaf
	for x := z.root; x != nil; {
		c := x.find(e.score, e.member)
		for _, n := range x.cnt[:c] {
			rank += n
		}
		if x.bottom {
			l = x.leaves[c]
			break
		}
		x = x.kids[c]
	}
	return rank + l.index(e), e.score, true
}

// At returns the member at a 0-based rank (0 <= rank < Len()).
func (z *ZSet) At(rank int) (member string, score float64) {
	if !z.big {
		s, mo, ml, _ := z.pkAt(z.pkOffset(rank))
		return z.pkMember(mo, ml), s
	}
	l, i := z.leafAt(rank)
	return l.e[i].member, l.s[i]
}

// Range calls fn for the members of ranks [lo, hi) in ascending order, or
// from hi-1 down to lo when rev, until fn returns false. Bounds are clamped
// to the set. The set must not change during the walk.
func (z *ZSet) Range(lo, hi int, rev bool, fn func(member string, score float64) bool) {
	lo, hi = max(lo, 0), min(hi, z.length)
	if lo >= hi {
		return
	}
	if !z.big {
		z.pkRange(lo, hi, rev, fn)
		return
	}
	if rev {
		l, i := z.leafAt(hi - 1)
		for k := hi; k > lo; k-- {
			if i < 0 {
				l = l.prev
				i = len(l.s) - 1
			}
			if !fn(l.e[i].member, l.s[i]) {
				return
			}
			i--
		}
		return
	}
	l, i := z.leafAt(lo)
	for k := lo; k < hi; k++ {
		if i == len(l.s) {
			l, i = l.next, 0
		}
		if !fn(l.e[i].member, l.s[i]) {
			return
		}
		i++
	}
}

// Each calls fn for every member in ascending order until fn returns false.
func (z *ZSet) Each(fn func(member string, score float64) bool) {
	if !z.big {
		z.pkEach(0, z.length, fn)
		return
	}
	z.walk(func(s float64, e *zEntry) bool { return fn(e.member, s) })
}

// walk calls fn for every item in order until fn returns false.
func (z *ZSet) walk(fn func(s float64, e *zEntry) bool) {
	if z.length == 0 {
		return
	}
	for l, _ := z.leafAt(0); l != nil; l = l.next {
		for i, e := range l.e {
			if !fn(l.s[i], e) {
				return
			}
		}
	}
}

// RemoveRange deletes the members of ranks [lo, hi) (clamped), calling fn,
// when not nil, for each in ascending order as it goes. It returns how many
// it removed.
func (z *ZSet) RemoveRange(lo, hi int, fn func(member string, score float64)) int {
	lo, hi = max(lo, 0), min(hi, z.length)
	if lo >= hi {
		return 0
	}
	if !z.big {
		a := z.pkOffset(lo)
		b := a
		for range hi - lo {
			s, mo, ml, nx := z.pkAt(b)
			z.length--
			z.size -= int64(ml) + 8
			if fn != nil {
				// The old slice stays as it is: the view stays valid.
				fn(z.pkMember(mo, ml), s)
			}
			b = nx
		}
		z.pkCut(a, b)
		return hi - lo
	}
	// Take the members out of the index first, walking the leaves, and
	// join the leaves that survive on either side; then cut the tree.
	l, i := z.leafAt(lo)
	left := l
	if i == 0 {
		left = l.prev
	}
	for k := lo; k < hi; k++ {
		if i == len(l.s) {
			l, i = l.next, 0
		}
		e := l.e[i]
		z.length--
		z.unindex(e)
		z.size -= int64(len(e.member)) + 8
		if fn != nil {
			fn(e.member, l.s[i])
		}
		i++
	}
	right := l
	if i == len(l.s) {
		right = l.next
	}
	if left != right {
		if left != nil {
			left.next = right
		}
		if right != nil {
			right.prev = left
		}
	}
	switch {
	case z.length == 0:
		z.root, z.leaf = nil, &zLeaf{}
	case z.root == nil:
		z.leaf.cut(lo, hi)
	default:
		z.cut(z.root, lo, hi)
		z.shrink()
	}
	return hi - lo
}

// ScoreRange is an interval of scores; MinEx / MaxEx make a bound exclusive
// (Redis's "(" prefix). Infinite bounds are ±Inf.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// Empty reports whether no score can lie in r.
func (r ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// Contains reports whether s lies in r.
func (r ScoreRange) Contains(s float64) bool {
	return (s > r.Min || !r.MinEx && s == r.Min) && (s < r.Max || !r.MaxEx && s == r.Max)
}

// ScoreSpan returns the rank interval [lo, hi) of the members whose score
// lies in r (lo == hi when none does): Range, RemoveRange and hi-lo (ZCOUNT)
// then serve every by-score command in O(log n) plus the members touched.
func (z *ZSet) ScoreSpan(r ScoreRange) (lo, hi int) {
	if r.Empty() {
		return 0, 0
	}
	lo = z.countWhile(func(s float64, _ string) bool { return s < r.Min || r.MinEx && s == r.Min })
	hi = z.countWhile(func(s float64, _ string) bool { return s < r.Max || !r.MaxEx && s == r.Max })
	return lo, max(lo, hi)
}

// LexBound is one end of a lexicographic interval: Inf -1 is Redis's "-"
// (before every member), +1 is "+" (after every member), 0 a value, with Ex
// for "(" (exclusive) rather than "[".
type LexBound struct {
	Value string
	Inf   int
	Ex    bool
}

// LexRange is an interval of members, meaningful (as in Redis) when all the
// members it is applied to have the same score.
type LexRange struct{ Min, Max LexBound }

// cmp orders two bounds by position.
func (a LexBound) cmp(b LexBound) int {
	switch {
	case a.Inf != 0 || b.Inf != 0:
		return a.Inf - b.Inf
	case a.Value < b.Value:
		return -1
	case a.Value > b.Value:
		return 1
	}
	return 0
}

// Empty reports whether no member can lie in r.
func (r LexRange) Empty() bool {
	c := r.Min.cmp(r.Max)
	return c > 0 || c == 0 && (r.Min.Ex || r.Max.Ex || r.Min.Inf != 0)
}

// belowMin reports whether m sorts before the interval's start.
func (r LexRange) belowMin(m string) bool {
	switch r.Min.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	return m < r.Min.Value || r.Min.Ex && m == r.Min.Value
}

// notAboveMax reports whether m sorts no later than the interval's end.
func (r LexRange) notAboveMax(m string) bool {
	switch r.Max.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	return m < r.Max.Value || !r.Max.Ex && m == r.Max.Value
}

// Contains reports whether m lies in r.
func (r LexRange) Contains(m string) bool { return !r.belowMin(m) && r.notAboveMax(m) }

// LexSpan is ScoreSpan for a lexicographic interval.
func (z *ZSet) LexSpan(r LexRange) (lo, hi int) {
	if r.Empty() {
		return 0, 0
	}
	lo = z.countWhile(func(_ float64, m string) bool { return r.belowMin(m) })
	hi = z.countWhile(func(_ float64, m string) bool { return r.notAboveMax(m) })
	return lo, max(lo, hi)
}

// Scan visits the members of about count buckets of the member index from
// cursor on and returns the cursor to continue from, 0 when the walk is
// complete. A member present for the whole walk is visited at least once,
// whatever changes in between; one added or removed meanwhile may or may
// not be, and a member may be visited twice when the set shrinks. The set
// must not change during a call.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member string, score float64)) uint64 {
	if z.length == 0 {
		return 0
	}
	if !z.big {
		// Whole, in one call, as Redis scans a listpack.
		z.pkEach(0, z.length, func(m string, s float64) bool { fn(m, s); return true })
		return 0
	}
	visited := 0
	emit := func(b *zEntry) {
		for n := b; n != nil; n = n.hnext {
			fn(n.member, n.score)
			visited++
		}
	}
	for steps := max(count, 1) * 10; ; steps-- {
		cursor = z.scanStep(cursor, emit)
		if cursor == 0 || visited >= count || steps <= 1 {
			return cursor
		}
	}
}

// scanStep emits the bucket at cursor and returns the next cursor. The
// cursor counts in reverse bit order, so the buckets of a larger or
// smaller table map onto ranges not yet visited or all already visited.
// While resizing, the smaller table's bucket is emitted with every bucket
// of the larger table it expands to, as Redis's dictScan does.
func (z *ZSet) scanStep(v uint64, emit func(*zEntry)) uint64 {
	if z.old == nil {
		m := uint64(len(z.buckets) - 1)
		emit(z.buckets[v&m])
		return zRevIncr(v, m)
	}
	small, large := z.old, z.buckets
	if len(small) > len(large) {
		small, large = large, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
	emit(small[v&m0])
	for {
		emit(large[v&m1])
		v = zRevIncr(v, m1)
		if v&(m0^m1) == 0 {
			return v
		}
	}
}

// zRevIncr increments the bits of v under mask, highest first.
func zRevIncr(v, mask uint64) uint64 {
	v |= ^mask
	return bits.Reverse64(bits.Reverse64(v) + 1)
}

// stored is the score as the encoding keeps it: a listpack holds scores as
// text in which Redis writes -0 as "0", so there a negative zero loses its
// sign, while a skiplist keeps the double as given.
func (z *ZSet) stored(score float64) float64 {
	if score == 0 && !z.big {
		return 0
	}
	return score
}

// zBelow returns how many leading values of the sorted a are below x, or
// not above it when orEqual. It counts rather than bisects: every load is
// independent of the others, so the few cache lines of a node come in
// together instead of one miss after another, and no branch depends on
// the data. A tree walk spends much of its time here.
func zBelow(a []float64, x float64, orEqual bool) int {
	n := 0
	if orEqual {
		for _, v := range a {
			n += zB2i(v <= x)
		}
		return n
	}
	for _, v := range a {
		n += zB2i(v < x)
	}
	return n
}

// zB2i compiles to a flag read: no branch.
func zB2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// zTies bisects e[lo:hi], entries whose scores all tie with a key of
// member m, for the first that orders after the key when orEqual, else
// the first that does not order before it.
func zTies(e []*zEntry, lo, hi int, m string, orEqual bool) int {
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if c := e[h].member; c < m || orEqual && c == m {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// find returns the child of x whose subtree holds the key (s, m), or would:
// the number of separators not above the key.
func (x *zInner) find(s float64, m string) int {
	seps := x.s[1:x.n]
	i := zBelow(seps, s, false)
	if i == len(seps) || seps[i] != s {
		return i
	}
	// Separators with score s: members decide.
	return zTies(x.e[1:x.n], i, zBelow(seps, s, true), m, true)
}

// kidLen is the number of items or children of child i, which is
// underfull below zLeafMin or zFanMin.
func (x *zInner) kidLen(i int) int {
	if x.bottom {
		return len(x.leaves[i].s)
	}
	return x.kids[i].n
}

func (x *zInner) kidMin() int {
	if x.bottom {
		return zLeafMin
	}
	return zFanMin
}

// addKid puts a child at i with separator (s, e) and cnt members.
func (x *zInner) addKid(i int, s float64, e *zEntry, cnt int, kid *zInner, leaf *zLeaf) {
	n := x.n
	copy(x.s[i+1:n+1], x.s[i:n])
	copy(x.e[i+1:n+1], x.e[i:n])
	copy(x.cnt[i+1:n+1], x.cnt[i:n])
	x.s[i], x.e[i], x.cnt[i] = s, e, cnt
	if x.bottom {
		copy(x.leaves[i+1:n+1], x.leaves[i:n])
		x.leaves[i] = leaf
	} else {
		copy(x.kids[i+1:n+1], x.kids[i:n])
		x.kids[i] = kid
	}
	x.n++
}

// dropKids removes children [a, b). The child that comes to a keeps its
// separator: still above every key of the child before.
func (x *zInner) dropKids(a, b int) {
	n := x.n
	copy(x.s[a:], x.s[b:n])
	copy(x.cnt[a:], x.cnt[b:n])
	copy(x.e[a:], x.e[b:n])
	clear(x.e[a+n-b : n])
	x.e[0] = nil
	if x.bottom {
		copy(x.leaves[a:], x.leaves[b:n])
		clear(x.leaves[a+n-b : n])
	} else {
		copy(x.kids[a:], x.kids[b:n])
		clear(x.kids[a+n-b : n])
	}
	x.n -= b - a
}

// split moves the upper half of x's children to a new node and returns
// it, its separator in the parent and its count.
func (x *zInner) split() (r *zInner, s float64, e *zEntry, cnt int) {
	k := x.n / 2
	r = &zInner{n: x.n - k, bottom: x.bottom}
	s, e = x.s[k], x.e[k]
	copy(r.s[:], x.s[k:x.n])
	copy(r.e[:], x.e[k:x.n])
	copy(r.cnt[:], x.cnt[k:x.n])
	clear(x.e[k:x.n])
	if x.bottom {
		copy(r.leaves[:], x.leaves[k:x.n])
		clear(x.leaves[k:x.n])
	} else {
		copy(r.kids[:], x.kids[k:x.n])
		clear(x.kids[k:x.n])
	}
	x.n = k
	r.e[0] = nil
	for _, c := range r.cnt[:r.n] {
		cnt += c
	}
	return r, s, e, cnt
}

// search returns the position of the key (s, m) among l's items: the
// first that does not order before it.
func (l *zLeaf) search(s float64, m string) int {
	i := zBelow(l.s, s, false)
	if i == len(l.s) || l.s[i] != s {
		return i
	}
	return zTies(l.e, i, zBelow(l.s, s, true), m, false)
}

// index returns the position of e, which l holds: among equal scores it
// compares pointers, not members.
func (l *zLeaf) index(e *zEntry) int {
	i := zBelow(l.s, e.score, false)
	for l.e[i] != e {
		i++
	}
	return i
}

func (l *zLeaf) insertAt(i int, s float64, e *zEntry) {
	l.s = append(l.s, 0)
	copy(l.s[i+1:], l.s[i:])
	l.s[i] = s
	l.e = append(l.e, nil)
	copy(l.e[i+1:], l.e[i:])
	l.e[i] = e
}

// cut removes items [a, b).
func (l *zLeaf) cut(a, b int) {
	n := len(l.s)
	copy(l.s[a:], l.s[b:])
	copy(l.e[a:], l.e[b:])
	clear(l.e[n-(b-a) : n])
	l.s, l.e = l.s[:n-(b-a)], l.e[:n-(b-a)]
}

// split moves items [k:] to a new leaf linked after l.
func (l *zLeaf) split(k int) *zLeaf {
	r := newLeaf()
	r.s = append(r.s, l.s[k:]...)
	r.e = append(r.e, l.e[k:]...)
	clear(l.e[k:])
	l.s, l.e = l.s[:k], l.e[:k]
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	}
	l.next = r
	return r
}

// fits reports whether item i can take score s where it stands: its
// neighbours in the leaf still surround it, and at either end of the leaf
// it only moves inwards, so the separators around the leaf stay right.
func (l *zLeaf) fits(i int, s float64) bool {
	old, m := l.s[i], l.e[i].member
	if i > 0 {
		if p := l.s[i-1]; !(p < s || p == s && l.e[i-1].member < m) {
			return false
		}
	} else if s < old {
		return false
	}
	if i < len(l.s)-1 {
		if q := l.s[i+1]; !(s < q || s == q && m < l.e[i+1].member) {
			return false
		}
	} else if s > old {
		return false
	}
	return true
}

// leafAt returns the leaf and position of a rank (0 <= rank < length).
func (z *ZSet) leafAt(rank int) (*zLeaf, int) {
	x := z.root
	if x == nil {
		return z.leaf, rank
	}
	for {
		c := 0
		for rank >= x.cnt[c] {
			rank -= x.cnt[c]
			c++
		}
		if x.bottom {
			return x.leaves[c], rank
		}
		x = x.kids[c]
	}
}

// countWhile returns how many leading members (in order) satisfy before,
// which must hold for a prefix of the order and then never again.
func (z *ZSet) countWhile(before func(s float64, m string) bool) int {
	if !z.big {
		return z.pkCountWhile(before)
	}
	r, l := 0, z.leaf
	for x := z.root; x != nil; {
		// The last child whose lower bound satisfies before: every key of
		// the children to its left does too, and none past it.
		lo, hi := 1, x.n
		for lo < hi {
			h := int(uint(lo+hi) >> 1)
			if before(x.s[h], x.e[h].member) {
				lo = h + 1
			} else {
				hi = h
			}
		}
		c := lo - 1
		for _, n := range x.cnt[:c] {
			r += n
		}
		if x.bottom {
			l = x.leaves[c]
			break
		}
		x = x.kids[c]
	}
	lo, hi := 0, len(l.s)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if before(l.s[h], l.e[h].member) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return r + lo
}

// insert puts e, absent so far, at its place in the order.
func (z *ZSet) insert(e *zEntry) {
	z.length++
	if z.root == nil {
		l := z.leaf
		l.insertAt(l.search(e.score, e.member), e.score, e)
		if len(l.s) <= zLeafCap {
			return
		}
		// The lone leaf becomes two tree leaves under a new root.
		a := newLeaf()
		a.s = append(a.s, l.s...)
		a.e = append(a.e, l.e...)
		b := a.split(len(a.s) / 2)
		z.leaf = nil
		z.root = &zInner{n: 2, bottom: true}
		z.root.leaves[0], z.root.leaves[1] = a, b
		z.root.cnt[0], z.root.cnt[1] = len(a.s), len(b.s)
		z.root.s[1], z.root.e[1] = b.s[0], b.e[0]
		return
	}
	if r, s, se, cnt := z.insertIn(z.root, e); r != nil {
		x := &zInner{n: 2}
		x.kids[0], x.kids[1] = z.root, r
		x.cnt[0], x.cnt[1] = z.length-cnt, cnt
		x.s[1], x.e[1] = s, se
		z.root = x
	}
}

// insertIn puts e under x; when x overflows, it splits and returns the
// new right sibling, its separator and the members under it.
func (z *ZSet) insertIn(x *zInner, e *zEntry) (*zInner, float64, *zEntry, int) {
	c := x.find(e.score, e.member)
	x.cnt[c]++
	if x.bottom {
		l := x.leaves[c]
		i := l.search(e.score, e.member)
		l.insertAt(i, e.score, e)
		if len(l.s) <= zLeafCap {
			return nil, 0, nil, 0
		}
		k := len(l.s) / 2
		if i == len(l.s)-1 && l.next == nil {
			k = i // appending to the whole set: keep the leaves full
		}
		r := l.split(k)
		x.cnt[c] = len(l.s)
		x.addKid(c+1, r.s[0], r.e[0], len(r.s), nil, r)
	} else {
		r, s, se, cnt := z.insertIn(x.kids[c], e)
		if r == nil {
			return nil, 0, nil, 0
		}
		x.cnt[c] -= cnt
		x.addKid(c+1, s, se, cnt, r, nil)
	}
	if x.n <= zFan {
		return nil, 0, nil, 0
	}
	return x.split()
}

// unlink takes e out of the order or, when move, gives it score s where
// it stands if that keeps the order (reporting true); otherwise it leaves
// e out of the order for the caller to insert again.
func (z *ZSet) unlink(e *zEntry, s float64, move bool) bool {
	if z.root == nil {
		l := z.leaf
		i := l.index(e)
		if move && l.fits(i, s) {
			l.s[i], e.score = s, s
			return true
		}
		l.cut(i, i+1)
	} else if z.del(z.root, e, s, move) {
		e.score = s
		return true
	} else {
		z.shrink()
	}
	z.length--
	return false
}

// del is unlink under x, merging or rebalancing children that fall under
// their minimum on the way back up.
func (z *ZSet) del(x *zInner, e *zEntry, s float64, move bool) bool {
	c := x.find(e.score, e.member)
	if x.bottom {
		l := x.leaves[c]
		i := l.index(e)
		if move && l.fits(i, s) {
			l.s[i] = s
			return true
		}
		l.cut(i, i+1)
	} else if z.del(x.kids[c], e, s, move) {
		return true
	}
	x.cnt[c]--
	if x.n > 1 && x.kidLen(c) < x.kidMin() {
		z.fix(x, c)
	}
	return false
}

// move gives e, in the order, a new score.
func (z *ZSet) move(e *zEntry, score float64) {
	score = z.stored(score)
	if !z.unlink(e, score, true) {
		e.score = score
		z.insert(e)
	}
}

// cut removes ranks [lo, hi) (of x's own) from under x; the caller has
// taken them out of the index and the leaf chain.
func (z *ZSet) cut(x *zInner, lo, hi int) {
	base, a, b := 0, -1, -1 // children [a, b) go whole
	for i := 0; i < x.n && base < hi; i++ {
		n := x.cnt[i]
		from, to := max(lo-base, 0), min(hi-base, n)
		base += n
		switch {
		case from >= to:
		case from == 0 && to == n:
			if a < 0 {
				a = i
			}
			b = i + 1
		default:
			if x.bottom {
				x.leaves[i].cut(from, to)
			} else {
				z.cut(x.kids[i], from, to)
			}
			x.cnt[i] -= to - from
		}
	}
	if a >= 0 {
		x.dropKids(a, b)
	}
	z.fixKids(x)
}

// fixKids merges or rebalances every underfull child of x while x has
// more than one.
func (z *ZSet) fixKids(x *zInner) {
	for i := 0; i < x.n && x.n > 1; {
		if x.kidLen(i) >= x.kidMin() {
			i++
			continue
		}
		i = z.fix(x, i)
	}
}

// fix merges underfull child i of x (x.n >= 2) with a neighbour, or
// rebalances the two when they would not fit one node. It returns the
// index from which to check again. An inner child cut down to one child
// of its own (by RemoveRange) may bring that one in underfull: the nodes
// it lands in are fixed in turn.
func (z *ZSet) fix(x *zInner, i int) int {
	l := max(i-1, 0)
	r := l + 1
	if x.bottom {
		a, b := x.leaves[l], x.leaves[r]
		na, nb := len(a.s), len(b.s)
		if na+nb <= zLeafCap {
			a.s = append(a.s, b.s...)
			a.e = append(a.e, b.e...)
			a.next = b.next
			if b.next != nil {
				b.next.prev = a
			}
			x.cnt[l] += x.cnt[r]
			x.dropKids(r, r+1)
			return l
		}
		if want := (na + nb) / 2; na > want {
			k := na - want
			b.s = append(b.s, a.s[want:]...) // room, then shift
			b.e = append(b.e, a.e[want:]...)
			copy(b.s[k:], b.s[:nb])
			copy(b.e[k:], b.e[:nb])
			copy(b.s, a.s[want:])
			copy(b.e, a.e[want:])
			clear(a.e[want:])
			a.s, a.e = a.s[:want], a.e[:want]
		} else {
			k := want - na
			a.s = append(a.s, b.s[:k]...)
			a.e = append(a.e, b.e[:k]...)
			b.cut(0, k)
		}
		x.s[r], x.e[r] = b.s[0], b.e[0]
		x.cnt[l], x.cnt[r] = len(a.s), len(b.s)
		return i + 1
	}
	a, b := x.kids[l], x.kids[r]
	if a.n+b.n <= zFan {
		n := a.n
		copy(a.s[n:], b.s[:b.n])
		copy(a.e[n:], b.e[:b.n])
		copy(a.cnt[n:], b.cnt[:b.n])
		copy(a.kids[n:], b.kids[:b.n])
		copy(a.leaves[n:], b.leaves[:b.n])
		a.s[n], a.e[n] = x.s[r], x.e[r] // b's first child: b's own separator
		a.n += b.n
		x.cnt[l] += x.cnt[r]
		x.dropKids(r, r+1)
		z.fixKids(a)
		return l
	}
	// Rebalance through the separator in x, as a B-tree rotates keys.
	want := (a.n + b.n) / 2
	moved := 0
	if a.n > want {
		k := a.n - want
		copy(b.s[k:], b.s[:b.n])
		copy(b.e[k:], b.e[:b.n])
		copy(b.cnt[k:], b.cnt[:b.n])
		copy(b.kids[k:], b.kids[:b.n])
		copy(b.leaves[k:], b.leaves[:b.n])
		b.s[k], b.e[k] = x.s[r], x.e[r]
		copy(b.s[:k], a.s[want:a.n])
		copy(b.e[:k], a.e[want:a.n])
		copy(b.cnt[:k], a.cnt[want:a.n])
		copy(b.kids[:k], a.kids[want:a.n])
		copy(b.leaves[:k], a.leaves[want:a.n])
		x.s[r], x.e[r] = a.s[want], a.e[want]
		b.e[0] = nil
		for _, c := range a.cnt[want:a.n] {
			moved += c
		}
		clear(a.e[want:a.n])
		clear(a.kids[want:a.n])
		clear(a.leaves[want:a.n])
		a.n, b.n = want, b.n+k
		x.cnt[l] -= moved
		x.cnt[r] += moved
	} else {
		k := want - a.n
		n := a.n
		copy(a.s[n:], b.s[:k])
		copy(a.e[n:], b.e[:k])
		copy(a.cnt[n:], b.cnt[:k])
		copy(a.kids[n:], b.kids[:k])
		copy(a.leaves[n:], b.leaves[:k])
		a.s[n], a.e[n] = x.s[r], x.e[r]
		x.s[r], x.e[r] = b.s[k], b.e[k]
		for _, c := range b.cnt[:k] {
			moved += c
		}
		a.n = want
		copy(b.s[:], b.s[k:b.n])
		copy(b.e[:], b.e[k:b.n])
		copy(b.cnt[:], b.cnt[k:b.n])
		copy(b.kids[:], b.kids[k:b.n])
		copy(b.leaves[:], b.leaves[k:b.n])
		clear(b.e[b.n-k : b.n])
		b.e[0] = nil
		clear(b.kids[b.n-k : b.n])
		clear(b.leaves[b.n-k : b.n])
		b.n -= k
		x.cnt[l] += moved
		x.cnt[r] -= moved
	}
	z.fixKids(a)
	z.fixKids(b)
	return i + 1
}

// shrink drops roots with a single child.
func (z *ZSet) shrink() {
	for z.root != nil && z.root.n == 1 {
		if z.root.bottom {
			z.root, z.leaf = nil, z.root.leaves[0]
		} else {
			z.root = z.root.kids[0]
		}
	}
}

// build makes the order from entries already sorted, with leaves and
// nodes filled evenly.
func (z *ZSet) build(ents []*zEntry) {
	n := len(ents)
	z.length = n
	if n <= zLeafCap {
		l := &zLeaf{s: make([]float64, n), e: ents}
		for i, e := range ents {
			l.s[i] = e.score
		}
		z.root, z.leaf = nil, l
		return
	}
	type sub struct {
		x   *zInner
		l   *zLeaf
		cnt int
	}
	k := (n + zLeafCap - 1) / zLeafCap
	level := make([]sub, k)
	var prev *zLeaf
	for j := range k {
		l := newLeaf()
		for _, e := range ents[n*j/k : n*(j+1)/k] {
			l.s = append(l.s, e.score)
			l.e = append(l.e, e)
		}
		l.prev = prev
		if prev != nil {
			prev.next = l
		}
		prev = l
		level[j] = sub{l: l, cnt: len(l.s)}
	}
	first := func(s sub) (float64, *zEntry) {
		for s.x != nil {
			s.x, s.l = s.x.kids[0], s.x.leaves[0]
		}
		return s.l.s[0], s.l.e[0]
	}
	for bottom := true; len(level) > 1; bottom = false {
		m := len(level)
		k := (m + zFan - 1) / zFan
		next := make([]sub, k)
		for j := range k {
			x := &zInner{bottom: bottom}
			cnt := 0
			for _, s := range level[m*j/k : m*(j+1)/k] {
				if x.n > 0 {
					x.s[x.n], x.e[x.n] = first(s)
				}
				x.cnt[x.n] = s.cnt
				x.kids[x.n], x.leaves[x.n] = s.x, s.l
				x.n++
				cnt += s.cnt
			}
			next[j] = sub{x: x, cnt: cnt}
		}
		level = next
	}
	z.root, z.leaf = level[0].x, nil
}

func (z *ZSet) lookup(member []byte, h uint64) *zEntry {
	if len(z.buckets) == 0 {
		return nil
	}
	for e := z.buckets[h&uint64(len(z.buckets)-1)]; e != nil; e = e.hnext {
		if e.hash == h && e.member == string(member) {
			return e
		}
	}
	if z.old != nil {
		for e := z.old[h&uint64(len(z.old)-1)]; e != nil; e = e.hnext {
			if e.hash == h && e.member == string(member) {
				return e
			}
		}
	}
	return nil
}

// index adds e to the member index; length already counts it.
func (z *ZSet) index(e *zEntry) {
	z.rehashStep()
	if z.old == nil && z.length > len(z.buckets) {
		z.resize(z.length)
	}
	b := &z.buckets[e.hash&uint64(len(z.buckets)-1)]
	e.hnext = *b
	*b = e
}

// unindex removes e from the member index; length no longer counts it.
func (z *ZSet) unindex(e *zEntry) {
	// During a resize e is in the old table unless it was moved or added
	// since.
	if z.old == nil || !zUnchain(z.old, e) {
		zUnchain(z.buckets, e)
	}
	e.hnext = nil
	if z.length == 0 {
		z.buckets, z.old, z.moved = nil, nil, 0
		return
	}
	z.rehashStep()
	if z.old == nil && len(z.buckets) > 16 && z.length < len(z.buckets)/8 {
		z.resize(z.length)
	}
}

// zUnchain takes e out of its bucket of table; it reports whether it was there.
func zUnchain(table []*zEntry, e *zEntry) bool {
	for p := &table[e.hash&uint64(len(table)-1)]; *p != nil; p = &(*p).hnext {
		if *p == e {
			*p = e.hnext
			return true
		}
	}
	return false
}

// resize starts moving the index to the smallest power of two of buckets
// holding n members at one per bucket (at least 4).
func (z *ZSet) resize(n int) {
	size := 4
	for size < n {
		size <<= 1
	}
	if size == len(z.buckets) {
		return
	}
	if z.length == 0 || len(z.buckets) == 0 {
		z.buckets = make([]*zEntry, size)
		return
	}
	z.old, z.moved = z.buckets, 0
	z.buckets = make([]*zEntry, size)
}

// rehashStep moves a few buckets of a resize in progress (up to 4 holding
// members, up to 40 looked at), finishing it when the old table is empty.
func (z *ZSet) rehashStep() {
	if z.old == nil {
		return
	}
	mask := uint64(len(z.buckets) - 1)
	for full, seen := 0, 0; z.moved < len(z.old) && full < 4 && seen < 40; seen++ {
		e := z.old[z.moved]
		if e != nil {
			full++
		}
		for e != nil {
			next := e.hnext
			b := &z.buckets[e.hash&mask]
			e.hnext = *b
			*b = e
			e = next
		}
		z.old[z.moved] = nil
		z.moved++
	}
	if z.moved == len(z.old) {
		z.old, z.moved = nil, 0
	}
}

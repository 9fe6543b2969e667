package engine

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
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
// orders them. The order is kept by a skiplist whose links carry spans, so
// rank lookups, range starts and range removals cost O(log n) and a range
// then costs O(length); a hash table maps members to their nodes. Ranks are
// 0-based everywhere in this API.
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
	head   *zNode
	tail   *zNode
	length int
	level  int // levels in use, >= 1
	size   int64
	big    bool // "skiplist" encoding; false: "listpack"

	// The member index: chained buckets, a power of two of them, scanned
	// with Redis's reverse-binary cursor so ZSCAN sees every member present
	// for the whole scan even when the table grows or shrinks in between.
	// Resizing is incremental, as in Redis: while old is set, its buckets
	// from moved on still hold members, and every write moves a few more,
	// so no single command pays for relinking a million members.
	buckets []*zNode
	old     []*zNode
	moved   int
}

const zMaxLevel = 32

type zLevel struct {
	next *zNode
	span int // rank distance to next (to the end when next is nil)
}

type zNode struct {
	// A walk reads score and the levels of every node it passes: they come
	// first, with room for two levels (94% of nodes need no more) inside the
	// node itself, so a step usually costs one cache line, as a Redis
	// skiplist node with its flexible level array does.
	score float64
	level []zLevel
	lv    [2]zLevel

	member string
	hash   uint64
	hnext  *zNode // next node in the same bucket
	prev   *zNode // previous node in order; nil for the first
}

var zSeed = maphash.MakeSeed()

func zHash(member []byte) uint64 { return maphash.Bytes(zSeed, member) }

// NewZSet returns an empty sorted set. sizeHint and maxMemberLen describe
// what is about to be added (0, 0 when unknown): like Redis's
// zsetTypeCreate, a set created for more than ZSetListpackEntries members
// or a member longer than ZSetListpackValue starts as "skiplist".
func NewZSet(sizeHint, maxMemberLen int) *ZSet {
	head := &zNode{}
	head.level = head.lv[:1] // grown as taller nodes arrive: most sets stay small
	z := &ZSet{head: head, level: 1}
	z.big = sizeHint > ZSetListpackEntries || maxMemberLen > ZSetListpackValue
	return z
}

// Len is the number of members (ZCARD).
func (z *ZSet) Len() int { return z.length }

// Size is the bytes accounted: every member's length plus 8 per score.
func (z *ZSet) Size() int64 { return z.size }

// ComputeSize recomputes Size from the content.
func (z *ZSet) ComputeSize() int64 {
	var n int64
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		n += int64(len(x.member)) + 8
	}
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
	c := NewZSet(0, 0)
	c.big = z.big
	c.resize(z.length) // empty: allocates at once
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		n := c.newNode(x.member, x.score, x.hash)
		c.insert(n)
		c.index(n)
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
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		if len(x.member) > ZSetListpackValue {
			return
		}
	}
	z.big = false
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		x.score = z.stored(x.score)
	}
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if n := z.lookup(member, zHash(member)); n != nil {
		return n.score, true
	}
	return 0, false
}

// Set adds member with score, or moves an existing member to score. It
// reports whether member is new. score must not be NaN.
func (z *ZSet) Set(member []byte, score float64) (added bool) {
	h := zHash(member)
	if n := z.lookup(member, h); n != nil {
		if n.score != score {
			z.move(n, score)
		}
		return false
	}
	z.add(string(member), score, h)
	return true
}

func (z *ZSet) add(member string, score float64, h uint64) {
	if !z.big && (z.length >= ZSetListpackEntries || len(member) > ZSetListpackValue) {
		z.big = true
	}
	score = z.stored(score)
	n := z.newNode(member, score, h)
	z.insert(n)
	z.index(n)
	z.size += int64(len(member)) + 8
}

// SetString is Set for a member already held as a string (from another
// ZSet's callbacks, say): the string is shared, not copied.
func (z *ZSet) SetString(member string, score float64) (added bool) {
	h := maphash.String(zSeed, member)
	if n := z.lookup(unsafe.Slice(unsafe.StringData(member), len(member)), h); n != nil {
		if n.score != score {
			z.move(n, score)
		}
		return false
	}
	z.add(member, score, h)
	return true
}

// Remove deletes member; it reports whether it was there.
func (z *ZSet) Remove(member []byte) bool {
	h := zHash(member)
	n := z.lookup(member, h)
	if n == nil {
		return false
	}
	var update [zMaxLevel]*zNode
	z.path(n.score, n.member, &update)
	z.unlink(n, &update)
	z.unindex(n)
	z.size -= int64(len(n.member)) + 8
	return true
}

// Rank returns member's 0-based rank in ascending order, and its score.
// The rank in descending order is Len()-1-rank.
func (z *ZSet) Rank(member []byte) (rank int, score float64, ok bool) {
	n := z.lookup(member, zHash(member))
	if n == nil {
		return 0, 0, false
	}
	x, r := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for nx := x.level[i].next; nx != nil && !zLess(n.score, n.member, nx.score, nx.member); nx = x.level[i].next {
			r += x.level[i].span
			x = nx
		}
		if x == n {
			break
		}
	}
	return r - 1, n.score, true
}

// At returns the member at a 0-based rank (0 <= rank < Len()).
func (z *ZSet) At(rank int) (member string, score float64) {
	n := z.nodeAt(rank + 1)
	return n.member, n.score
}

// Range calls fn for the members of ranks [lo, hi) in ascending order, or
// from hi-1 down to lo when rev, until fn returns false. Bounds are clamped
// to the set. The set must not change during the walk.
func (z *ZSet) Range(lo, hi int, rev bool, fn func(member string, score float64) bool) {
	lo, hi = max(lo, 0), min(hi, z.length)
	if lo >= hi {
		return
	}
	if rev {
		x := z.nodeAt(hi)
		for k := hi; k > lo && fn(x.member, x.score); k-- {
			x = x.prev
		}
		return
	}
	x := z.nodeAt(lo + 1)
	for k := lo; k < hi && fn(x.member, x.score); k++ {
		x = x.level[0].next
	}
}

// Each calls fn for every member in ascending order until fn returns false.
func (z *ZSet) Each(fn func(member string, score float64) bool) {
	for x := z.head.level[0].next; x != nil && fn(x.member, x.score); x = x.level[0].next {
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
	var update [zMaxLevel]*zNode
	x, r := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && r+x.level[i].span <= lo {
			r += x.level[i].span
			x = x.level[i].next
		}
		update[i] = x
	}
	x = x.level[0].next
	for k := lo; k < hi; k++ {
		next := x.level[0].next
		z.unlink(x, &update)
		z.unindex(x)
		z.size -= int64(len(x.member)) + 8
		if fn != nil {
			fn(x.member, x.score)
		}
		x = next
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
	lo = z.countWhile(func(n *zNode) bool { return n.score < r.Min || r.MinEx && n.score == r.Min })
	hi = z.countWhile(func(n *zNode) bool { return n.score < r.Max || !r.MaxEx && n.score == r.Max })
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
	lo = z.countWhile(func(n *zNode) bool { return r.belowMin(n.member) })
	hi = z.countWhile(func(n *zNode) bool { return r.notAboveMax(n.member) })
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
	visited := 0
	emit := func(b *zNode) {
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
func (z *ZSet) scanStep(v uint64, emit func(*zNode)) uint64 {
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

// zLess orders (score, member) pairs as Redis does: by score, ties by the
// members' bytes.
func zLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || s1 == s2 && m1 < m2
}

func (z *ZSet) newNode(member string, score float64, h uint64) *zNode {
	lvl := 1
	for r := rand.Uint64(); lvl < zMaxLevel && r&3 == 0; r >>= 2 {
		lvl++ // each further level with probability 1/4, as Redis
	}
	n := &zNode{member: member, score: score, hash: h}
	if lvl <= len(n.lv) {
		n.level = n.lv[:lvl]
	} else {
		n.level = make([]zLevel, lvl)
	}
	return n
}

// insert links n, absent so far, at its place in the order.
func (z *ZSet) insert(n *zNode) {
	var update [zMaxLevel]*zNode
	var rank [zMaxLevel]int
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for nx := x.level[i].next; nx != nil && zLess(nx.score, nx.member, n.score, n.member); nx = x.level[i].next {
			rank[i] += x.level[i].span
			x = nx
		}
		update[i] = x
	}
	lvl := len(n.level)
	if lvl > len(z.head.level) {
		z.head.level = append(z.head.level, make([]zLevel, lvl-len(z.head.level))...)
	}
	for i := z.level; i < lvl; i++ {
		rank[i] = 0
		update[i] = z.head
		z.head.level[i].span = z.length
	}
	z.level = max(z.level, lvl)
	for i := 0; i < lvl; i++ {
		n.level[i].next = update[i].level[i].next
		update[i].level[i].next = n
		n.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < z.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != z.head {
		n.prev = update[0]
	} else {
		n.prev = nil
	}
	if next := n.level[0].next; next != nil {
		next.prev = n
	} else {
		z.tail = n
	}
	z.length++
}

// path fills update with the last node before (score, member) on each level.
func (z *ZSet) path(score float64, member string, update *[zMaxLevel]*zNode) {
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for nx := x.level[i].next; nx != nil && zLess(nx.score, nx.member, score, member); nx = x.level[i].next {
			x = nx
		}
		update[i] = x
	}
}

// unlink takes n out of the order; update is the path to it.
func (z *ZSet) unlink(n *zNode, update *[zMaxLevel]*zNode) {
	for i := 0; i < z.level; i++ {
		if update[i].level[i].next == n {
			update[i].level[i].span += n.level[i].span - 1
			update[i].level[i].next = n.level[i].next
		} else {
			update[i].level[i].span--
		}
	}
	if next := n.level[0].next; next != nil {
		next.prev = n.prev
	} else {
		z.tail = n.prev
	}
	for z.level > 1 && z.head.level[z.level-1].next == nil {
		z.level--
	}
	z.length--
}

// move gives the linked node n a new score, in place when its neighbours
// still surround it.
func (z *ZSet) move(n *zNode, score float64) {
	score = z.stored(score)
	next := n.level[0].next
	if (n.prev == nil || zLess(n.prev.score, n.prev.member, score, n.member)) &&
		(next == nil || zLess(score, n.member, next.score, next.member)) {
		n.score = score
		return
	}
	var update [zMaxLevel]*zNode
	z.path(n.score, n.member, &update)
	z.unlink(n, &update)
	n.score = score
	for i := range n.level {
		n.level[i] = zLevel{}
	}
	z.insert(n)
}

// nodeAt returns the node of a 1-based rank (1 <= rank <= length).
func (z *ZSet) nodeAt(rank int) *zNode {
	x, r := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && r+x.level[i].span <= rank {
			r += x.level[i].span
			x = x.level[i].next
		}
		if r == rank {
			return x
		}
	}
	return nil
}

// countWhile returns how many leading members (in order) satisfy before,
// which must hold for a prefix of the order and then never again.
func (z *ZSet) countWhile(before func(*zNode) bool) int {
	x, r := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for nx := x.level[i].next; nx != nil && before(nx); nx = x.level[i].next {
			r += x.level[i].span
			x = nx
		}
	}
	return r
}

func (z *ZSet) lookup(member []byte, h uint64) *zNode {
	if len(z.buckets) == 0 {
		return nil
	}
	for n := z.buckets[h&uint64(len(z.buckets)-1)]; n != nil; n = n.hnext {
		if n.hash == h && n.member == string(member) {
			return n
		}
	}
	if z.old != nil {
		for n := z.old[h&uint64(len(z.old)-1)]; n != nil; n = n.hnext {
			if n.hash == h && n.member == string(member) {
				return n
			}
		}
	}
	return nil
}

// index adds n to the member index; length already counts it.
func (z *ZSet) index(n *zNode) {
	z.rehashStep()
	if z.old == nil && z.length > len(z.buckets) {
		z.resize(z.length)
	}
	b := &z.buckets[n.hash&uint64(len(z.buckets)-1)]
	n.hnext = *b
	*b = n
}

// unindex removes n from the member index; length no longer counts it.
func (z *ZSet) unindex(n *zNode) {
	// During a resize n is in the old table unless it was moved or added
	// since.
	if z.old == nil || !zUnchain(z.old, n) {
		zUnchain(z.buckets, n)
	}
	n.hnext = nil
	if z.length == 0 {
		z.buckets, z.old, z.moved = nil, nil, 0
		return
	}
	z.rehashStep()
	if z.old == nil && len(z.buckets) > 16 && z.length < len(z.buckets)/8 {
		z.resize(z.length)
	}
}

// zUnchain takes n out of its bucket of table; it reports whether it was there.
func zUnchain(table []*zNode, n *zNode) bool {
	for p := &table[n.hash&uint64(len(table)-1)]; *p != nil; p = &(*p).hnext {
		if *p == n {
			*p = n.hnext
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
		z.buckets = make([]*zNode, size)
		return
	}
	z.old, z.moved = z.buckets, 0
	z.buckets = make([]*zNode, size)
}

// rehashStep moves a few buckets of a resize in progress (up to 4 holding
// members, up to 40 looked at), finishing it when the old table is empty.
func (z *ZSet) rehashStep() {
	if z.old == nil {
		return
	}
	mask := uint64(len(z.buckets) - 1)
	for full, seen := 0, 0; z.moved < len(z.old) && full < 4 && seen < 40; seen++ {
		n := z.old[z.moved]
		if n != nil {
			full++
		}
		for n != nil {
			next := n.hnext
			b := &z.buckets[n.hash&mask]
			n.hnext = *b
			*b = n
			n = next
		}
		z.old[z.moved] = nil
		z.moved++
	}
	if z.moved == len(z.old) {
		z.old, z.moved = nil, 0
	}
}

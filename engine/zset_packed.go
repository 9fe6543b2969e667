package engine

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"unsafe"
)

// The packed form of a small sorted set, what Redis keeps as a listpack:
// while the encoding is "listpack" (at most ZSetListpackEntries members of
// at most ZSetListpackValue bytes) the members live in one byte slice, pk,
// in the set's order (score, then member bytes), each as a length byte, a
// form byte, the score and the member's bytes. The form byte's low six
// bits are a tag (six bits of the member's hash: a lookup compares members
// only where it matches), its top two w the score's width, 1<<w bytes: a
// whole score within 32 bits takes the 1, 2 or 4 bytes of its two's
// complement, any other the 8 bytes of its IEEE 754 form (little-endian
// both). Scores are
// mostly whole and small, as Redis's listpack encodes them as integers:
// 100 members of 9 bytes with scores 0-99 take 1.2 KB instead of 1.9.
// A tree leaf, entries and an index would cost about 100 bytes a member
// beyond its content; this costs two, plus the slice's slack. Every
// operation walks the bytes, which for at most 128 short members is about
// as quick as walking the tree.
//
// Members handed out are views of pk, so pk is never written below its
// length: adding a member at the end appends in place when there is room
// (the bytes past the length were never handed out); any other change
// builds a new slice with a quarter of room at most, so the slice never
// holds much more than its content (the charges count on that).
//
// The form is kept exactly while !z.big: the first member past either
// threshold moves everything into the tree for good (pkUnpack), as Redis
// converts a listpack to a skiplist and never back by itself. Compact, for
// the destinations of ZUNIONSTORE and the like, packs a tree again.

const pkTagMask = 0x3f

// pkScoreLen is a score's bytes by the form byte's top two bits: a shift,
// not a table, as a lookup's walk computes it for every item.
func pkScoreLen(w byte) int { return 1 << w }

const pkFloat = 3 // the width of an 8-byte IEEE 754 score

// pkTag is the tag of member (the form byte's low bits).
func pkTag(member string) byte { return byte(maphash.String(zSeed, member)) & pkTagMask }

// pkForm is the width (the form byte's top bits) a score is stored at.
func pkForm(s float64) byte {
	if s != math.Trunc(s) || s < math.MinInt32 || s > math.MaxInt32 || s == 0 && math.Signbit(s) {
		return pkFloat // a fraction, an infinity, a large one, or -0 (kept as it is)
	}
	switch i := int32(s); {
	case i >= math.MinInt8 && i <= math.MaxInt8:
		return 0
	case i >= math.MinInt16 && i <= math.MaxInt16:
		return 1
	}
	return 2
}

// pkItemLen is the bytes the item (s, m) takes.
func pkItemLen(s float64, m string) int { return 2 + pkScoreLen(pkForm(s)) + len(m) }

// zpkNext is the offset of the item after the one at off.
func zpkNext(pk []byte, off int) int { return off + 2 + pkScoreLen(pk[off+1]>>6) + int(pk[off]) }

// pkAt reads the item at off: its score, the member's offset and length,
// and the offset of the next item.
func (z *ZSet) pkAt(off int) (s float64, mo, ml, next int) {
	pk := z.pk
	ml = int(pk[off])
	so := off + 2
	switch pk[off+1] >> 6 {
	case 0:
		s, mo = float64(int8(pk[so])), so+1
	case 1:
		s, mo = float64(int16(binary.LittleEndian.Uint16(pk[so:]))), so+2
	case 2:
		s, mo = float64(int32(binary.LittleEndian.Uint32(pk[so:]))), so+4
	default:
		s, mo = math.Float64frombits(binary.LittleEndian.Uint64(pk[so:])), so+8
	}
	return s, mo, ml, mo + ml
}

// pkMember is the member at mo, ml as a view of pk.
func (z *ZSet) pkMember(mo, ml int) string { return pkView(z.pk, mo, ml) }

// pkFind returns the offset, the rank and the score of member's item, and
// the offset after it; at is -1 when member is absent.
func (z *ZSet) pkFind(member string) (at, next, rank int, score float64) {
	// Only the length and form bytes are read until one matches: a lookup
	// is this walk, and decoding every score would double it.
	pk, tag := z.pk, pkTag(member)
	for off := 0; off < len(pk); rank++ {
		ml, f := int(pk[off]), pk[off+1]
		mo := off + 2 + pkScoreLen(f>>6)
		nx := mo + ml
		if f&pkTagMask == tag && ml == len(member) && string(pk[mo:nx]) == member {
			s, _, _, _ := z.pkAt(off)
			return off, nx, rank, s
		}
		off = nx
	}
	return -1, -1, 0, 0
}

// pkSearch returns the offset of the first item that does not order
// before (s, m): where an item (s, m) goes.
func (z *ZSet) pkSearch(s float64, m string) int {
	off := 0
	for off < len(z.pk) {
		is, mo, _, nx := z.pkAt(off)
		if is > s || is == s && string(z.pk[mo:nx]) >= m {
			return off
		}
		off = nx
	}
	return off
}

// pkOffset returns the offset of the item of a rank (len(pk) for Len()).
func (z *ZSet) pkOffset(rank int) int {
	off := 0
	for ; rank > 0; rank-- {
		off = zpkNext(z.pk, off)
	}
	return off
}

func pkItem(b []byte, s float64, m string) []byte {
	f := pkForm(s)
	b = append(b, byte(len(m)), f<<6|pkTag(m))
	switch f {
	case 0:
		b = append(b, byte(int8(s)))
	case 1:
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(s)))
	case 2:
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(s)))
	default:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
	}
	return append(b, m...)
}

// pkInsert puts a new item (s, m) in its place, taking out the item at
// [a, b) first when a >= 0 (the same member's old score): one new slice
// for both, or an append in place at the end.
func (z *ZSet) pkInsert(s float64, m string, a, b int) {
	p := z.pkSearch(s, m)
	n := len(z.pk) + pkItemLen(s, m)
	if a >= 0 {
		n -= b - a
	}
	if a < 0 && p == len(z.pk) && n <= cap(z.pk) {
		z.pk = pkItem(z.pk, s, m)
		return
	}
	c := n
	if a < 0 {
		// Room for a quarter more: sets are mostly built by adding, and
		// doubling would leave up to half the slice unused.
		c += n / 4
	}
	nb := make([]byte, 0, c)
	switch {
	case a < 0:
		nb = append(nb, z.pk[:p]...)
		nb = pkItem(nb, s, m)
		nb = append(nb, z.pk[p:]...)
	case p <= a:
		nb = append(nb, z.pk[:p]...)
		nb = pkItem(nb, s, m)
		nb = append(nb, z.pk[p:a]...)
		nb = append(nb, z.pk[b:]...)
	default: // p >= b: the old item orders before the new place
		nb = append(nb, z.pk[:a]...)
		nb = append(nb, z.pk[b:p]...)
		nb = pkItem(nb, s, m)
		nb = append(nb, z.pk[p:]...)
	}
	z.pk = nb
}

// pkCut removes the items at [a, b) into a new slice, with the quarter of
// room an addition grows by: a ZPOPMIN then ZADD at the end (a queue
// made of a sorted set) allocates once, not twice.
func (z *ZSet) pkCut(a, b int) {
	n := len(z.pk) - (b - a)
	if n == 0 {
		z.pk = nil
		return
	}
	nb := make([]byte, 0, n+n/4)
	nb = append(nb, z.pk[:a]...)
	z.pk = append(nb, z.pk[b:]...)
}

// pkSet is Set while packed and staying so; the caller has checked that
// the member is short enough and, when it is new, that there is room.
func (z *ZSet) pkSet(at, next int, old, score float64, member string) (added bool) {
	score = z.stored(score)
	if at >= 0 {
		if old != score {
			z.pkInsert(score, member, at, next)
		}
		return false
	}
	z.pkInsert(score, member, -1, -1)
	z.length++
	z.size += int64(len(member)) + 8
	return true
}

// pkCountWhile is countWhile on the packed form.
func (z *ZSet) pkCountWhile(before func(s float64, m string) bool) int {
	n := 0
	for off := 0; off < len(z.pk); n++ {
		s, mo, ml, nx := z.pkAt(off)
		if !before(s, z.pkMember(mo, ml)) {
			break
		}
		off = nx
	}
	return n
}

// pkEach calls fn for the items from the offset of rank lo on, count of
// them at most, until fn returns false.
func (z *ZSet) pkEach(off, count int, fn func(member string, score float64) bool) {
	for ; off < len(z.pk) && count > 0; count-- {
		s, mo, ml, nx := z.pkAt(off)
		if !fn(z.pkMember(mo, ml), s) {
			return
		}
		off = nx
	}
}

// pkUnpack moves the members into the tree form, "skiplist" for good.
func (z *ZSet) pkUnpack() {
	z.big = true
	z.leaf = &zLeaf{}
	n := z.length
	if n == 0 {
		z.pk = nil
		return
	}
	ents := make([]*zEntry, 0, n)
	for off := 0; off < len(z.pk); {
		s, mo, ml, nx := z.pkAt(off)
		m := z.pkMember(mo, ml)
		// Copied: a member is at most ZSetListpackValue bytes, which
		// newEntry keeps in the entry's own allocation.
		ents = append(ents, newEntry(m, false, s, zHash(z.pk[mo:nx])))
		off = nx
	}
	z.pk = nil
	z.resize(n)
	z.build(ents)
	for _, e := range ents {
		z.index(e)
	}
}

// pack moves a tree's members into the packed form; the caller has
// checked they fit it.
func (z *ZSet) pack() {
	var n int
	z.walk(func(s float64, e *zEntry) bool {
		n += pkItemLen(z.stored(s), e.member)
		return true
	})
	pk := make([]byte, 0, n)
	z.walk(func(s float64, e *zEntry) bool {
		// -0 becomes 0: equal as scores, so the order stands.
		pk = pkItem(pk, z.stored(s), e.member)
		return true
	})
	if n == 0 {
		pk = nil
	}
	z.pk = pk
	z.root, z.leaf = nil, nil
	z.buckets, z.old, z.moved = nil, nil, 0
}

// pkClone is Clone of a packed set.
func (z *ZSet) pkClone() *ZSet {
	var pk []byte
	if len(z.pk) > 0 {
		pk = slices.Clip(slices.Clone(z.pk))
	}
	return &ZSet{length: z.length, size: z.size, pk: pk}
}

// Packed reports whether the members are in the packed form, which decides
// the charges the set accounts.
func (z *ZSet) Packed() bool { return !z.big }

// pkTrySet is Set on a packed set; ok is false when the change takes the
// set past the packed form, which it then has left (the caller goes on in
// the tree).
func (z *ZSet) pkTrySet(member string, score float64) (added, ok bool) {
	if len(member) <= ZSetListpackValue {
		at, next, _, old := z.pkFind(member)
		if at >= 0 || z.length < ZSetListpackEntries {
			return z.pkSet(at, next, old, score, member), true
		}
	}
	z.pkUnpack()
	return false, false
}

// pkRange is Range on a packed set, lo < hi within the set.
func (z *ZSet) pkRange(lo, hi int, rev bool, fn func(member string, score float64) bool) {
	off := z.pkOffset(lo)
	if !rev {
		z.pkEach(off, hi-lo, fn)
		return
	}
	// Items are walked forwards only: note where each starts.
	var at [ZSetListpackEntries]uint16
	for i := range hi - lo {
		at[i] = uint16(off)
		off = zpkNext(z.pk, off)
	}
	for i := hi - lo - 1; i >= 0; i-- {
		s, mo, ml, _ := z.pkAt(int(at[i]))
		if !fn(z.pkMember(mo, ml), s) {
			return
		}
	}
}

// zView is member as a string sharing its bytes, for lookups and for the
// packed form, which copies what it keeps.
func zView(member []byte) string { return unsafe.String(unsafe.SliceData(member), len(member)) }

// ExpandZSet converts the sorted set that en holds to "skiplist" for good,
// as Redis 7.0's SORT does to a listpack set it reads, and re-accounts the
// key for its new form's charges. The content does not change, so as in
// Redis nobody waiting on the key is told and no write is counted.
func (tx *Tx) ExpandZSet(en *Entry) {
	z, ok := en.Obj().(*ZSet)
	if !ok || z.big {
		return
	}
	tx.mustWrite()
	z.pkUnpack()
	if size, old := int64(en.klen)+KeyCharge+en.valueSize(), en.baseSize(); size != old {
		tx.ns.bytes.Add(size - old)
		en.setBase(size)
	}
}

// Reserve makes room in a new, empty packed set for members of bytes
// bytes in all, with these scores, that are about to be added (a ZADD of
// many members), so the slice is allocated once instead of growing by
// quarters, which also leaves no garbage behind. A caller that may add
// fewer (repeated members) calls Fit after.
func (z *ZSet) Reserve(scores []float64, bytes int) {
	members := len(scores)
	if z.big || z.length > 0 || members > ZSetListpackEntries || bytes > members*ZSetListpackValue {
		return
	}
	n := bytes
	for _, s := range scores {
		n += 2 + pkScoreLen(pkForm(z.stored(s)))
	}
	if n > cap(z.pk) {
		z.pk = make([]byte, 0, n)
	}
}

// Fit gives back room a packed set does not use beyond the quarter it
// grows by, so what Reserve made for repeated members is not held (the
// charges count on that).
func (z *ZSet) Fit() {
	if z.big || cap(z.pk)-len(z.pk) <= len(z.pk)/4 {
		return
	}
	if len(z.pk) == 0 {
		z.pk = nil
		return
	}
	z.pk = slices.Clip(slices.Clone(z.pk))
}

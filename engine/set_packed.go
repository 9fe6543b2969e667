package engine

import (
	"bytes"
	"hash/maphash"
	"strconv"
)

// The packed form of a small set of strings, what Redis 7.2 keeps as a
// listpack: while a set that is not an intset has at most SetPackEntries
// members of at most SetPackValue bytes, they live in one byte slice, pk, in
// position order, each as a length byte, a tag byte (a byte of the member's
// hash: a lookup compares members only where it matches) and the member's
// bytes. The table form costs a slice slot, a map slot and an allocation
// per member, about 60-90 bytes beyond the content; this costs two, plus
// the slice's slack. Lookups walk the bytes, which for at most 128 short
// members is about as quick as hashing into the map.
//
// Positions behave exactly as in the table form (arrival order; a removal
// moves the last member into the gap), so SMEMBERS's order, SRANDMEMBER's
// and SPOP's picks and SSCAN's cursors (positions, walked from the top
// down) are the same in both forms and survive the conversion. Redis 7.0
// has no listpack sets: OBJECT ENCODING says "hashtable", as it does for
// the table form.
//
// Members handed out are views of pk: the Set contract keeps them valid
// only while the set is unchanged, so changes edit pk in place. The slice
// grows by a quarter and is rebuilt smaller once less than two thirds of it
// is used, which bounds the slack the charges cover
// (TestChargesCoverPackedSets). Past either threshold the members move into
// the table for good (toHashtable), as Redis converts a listpack to a
// hashtable and never back by itself.

// Redis 7.2's set-max-listpack-entries and set-max-listpack-value.
const (
	SetPackEntries = 128
	SetPackValue   = 64
)

// The forms of a Set.
const (
	setIntset = iota
	setPacked
	setTable
)

const spHead = 2 // length byte and tag byte before each member

var setSeed = maphash.MakeSeed()

func spTag(m []byte) byte { return byte(maphash.Bytes(setSeed, m)) }

// Packed reports whether the members are in the packed form, which decides
// the charges the set accounts. An intset is charged as a table: converting
// one of up to SetMaxIntsetEntries members to the table then changes
// nothing, where charging it as packed would let that one SADD pass a
// tenant's quota by 28 KB.
func (s *Set) Packed() bool { return s.form == setPacked }

// spFind returns m's position, or -1.
func (s *Set) spFind(m []byte) int {
	pk, tag := s.pk, spTag(m)
	for i, off := 0, 0; off < len(pk); i++ {
		n := int(pk[off])
		if n == len(m) && pk[off+1] == tag && bytes.Equal(pk[off+spHead:off+spHead+n], m) {
			return i
		}
		off += spHead + n
	}
	return -1
}

// spOff is the offset of the item at position i.
func (s *Set) spOff(i int) int {
	off := 0
	for ; i > 0; i-- {
		off += spHead + int(s.pk[off])
	}
	return off
}

func (s *Set) spMember(off int) []byte {
	n := int(s.pk[off])
	return s.pk[off+spHead : off+spHead+n : off+spHead+n]
}

// spAppend adds m at the end, growing the slice by a quarter when full.
func (s *Set) spAppend(m []byte) {
	if n := len(s.pk) + spHead + len(m); n > cap(s.pk) {
		s.pk = append(pkMake(n), s.pk...)
	}
	s.pk = append(s.pk, byte(len(m)), spTag(m))
	s.pk = append(s.pk, m...)
	s.pn++
	s.size += int64(len(m))
}

// spRemoveAt removes the item at position i, the last item taking its place.
func (s *Set) spRemoveAt(i int) {
	a := s.spOff(i)
	k := int(s.pk[a])
	s.size -= int64(k)
	b := a + spHead + k
	s.pn--
	if b == len(s.pk) { // the last one
		s.pk = s.pk[:a]
	} else {
		c := s.spOff(int(s.pn)) // the last item, after the removal's count
		var last [spHead + SetPackValue]byte
		ln := copy(last[:], s.pk[c:])
		copy(s.pk[a+ln:], s.pk[b:c])
		copy(s.pk[a:], last[:ln])
		s.pk = s.pk[:len(s.pk)-(b-a)]
	}
	switch n := len(s.pk); {
	case n == 0:
		s.pk = nil
	case cap(s.pk) > 32 && 3*n < 2*cap(s.pk):
		s.pk = append(pkMake(n), s.pk...)
	}
}

// spFromInts converts an intset, keeping its ascending order; the caller
// has checked that one more member fits the packed form.
func (s *Set) spFromInts() {
	n := 0
	for _, v := range s.ints {
		n += spHead + intLen(v)
	}
	if cap(s.pk) < n { // Reserve may have made room
		s.pk = pkMake(n)
	}
	s.pk = s.pk[:0]
	var buf [20]byte
	for _, v := range s.ints {
		m := strconv.AppendInt(buf[:0], v, 10)
		s.pk = append(s.pk, byte(len(m)), spTag(m))
		s.pk = append(s.pk, m...)
	}
	s.pn = int32(len(s.ints))
	s.ints = nil
	s.form = setPacked
}

// Each position's offset in pk, for the callers that pick many positions.
func (s *Set) spOffsets() []uint16 {
	at := make([]uint16, s.pn)
	off := 0
	for i := range at {
		at[i] = uint16(off)
		off += spHead + int(s.pk[off])
	}
	return at
}

// MemberFunc returns Member for a caller about to read many positions at
// random (SRANDMEMBER with a count): on a packed set it finds every
// position's offset once instead of walking to each. The set must not
// change while the function is used.
func (s *Set) MemberFunc() func(i int, buf []byte) []byte {
	if s.form != setPacked {
		return s.Member
	}
	at := s.spOffsets()
	return func(i int, _ []byte) []byte { return s.spMember(int(at[i])) }
}

// spScan is Scan on the packed form: positions from the cursor down.
func (s *Set) spScan(cursor uint64, count int, fn func(m []byte)) uint64 {
	hi := int(s.pn)
	if cursor != 0 && cursor < uint64(hi) {
		hi = int(cursor)
	}
	lo := max(hi-count, 0)
	if lo >= hi {
		return uint64(lo)
	}
	var at [SetPackEntries]uint16
	off := s.spOff(lo)
	for i := lo; i < hi; i++ {
		at[i-lo] = uint16(off)
		off += spHead + int(s.pk[off])
	}
	for i := hi - 1; i >= lo; i-- {
		fn(s.spMember(int(at[i-lo])))
	}
	return uint64(lo)
}

// Reserve makes room in a new, empty set for members members of bytes
// bytes in all that are about to be added (an SADD of many members), so a
// packed set's slice is allocated once instead of growing by quarters. The
// caller calls Fit after, as the members may repeat or turn out to be
// integers (an intset).
func (s *Set) Reserve(members, bytes int) {
	if s.Len() > 0 || s.form == setTable || members > SetPackEntries || bytes > members*SetPackValue {
		return
	}
	if n := bytes + members*spHead; n > cap(s.pk) {
		s.pk = make([]byte, 0, n)
	}
}

// Fit gives back room Reserve made that the set does not use beyond the
// quarter it grows by (the charges count on that).
func (s *Set) Fit() {
	switch {
	case s.form != setPacked || len(s.pk) == 0:
		s.pk = nil
	case cap(s.pk)-len(s.pk) > len(s.pk)/4:
		s.pk = append(make([]byte, 0, len(s.pk)), s.pk...)
	}
}

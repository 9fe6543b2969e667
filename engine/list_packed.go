package engine

import "bytes"

// The packed form of a small list, what Redis keeps as a listpack node: while
// a list has at most ListPackEntries elements of at most ListPackValue bytes
// its elements live in one byte slice, pk, head first, each as a length byte
// and its bytes. The ring costs a 24-byte slot (and the ring's doubling
// slack) plus an allocation per element, about 45 bytes beyond 10 bytes of
// content; this costs one, plus the slice's slack. Operations walk or move
// the bytes, which for at most ListPackEntries short elements (8 KB at most)
// is about as quick as the ring's pointer chasing.
//
// Elements handed out by Index and Range are views of pk: the List contract
// keeps them valid only until the list changes, so changes edit pk in place.
// Pops hand out copies, which the caller owns. The slice grows by a quarter
// and is rebuilt smaller once less than two thirds of it is used, which
// bounds the slack the charges cover (TestChargesCoverPackedLists).
//
// The first element past either threshold moves the list into the ring for
// good (unpack), as Redis 7.0 keeps every list a quicklist however it
// shrinks; OBJECT ENCODING says "quicklist" either way.

// Thresholds of the packed form: Redis 7.2's list-max-listpack-size -2 (8 KB
// nodes) holds about as much for elements of up to 64 bytes.
const (
	ListPackEntries = 128
	ListPackValue   = 64
)

// Packed reports whether the elements are in the packed form, which decides
// the charges the list accounts.
func (l *List) Packed() bool { return !l.big }

// fitsPack reports whether one more element v keeps the list packed.
func (l *List) fitsPack(v []byte) bool {
	return l.n < ListPackEntries && len(v) <= ListPackValue
}

// pkOff is the offset of the element at position i (len(pk) for Len()).
func (l *List) pkOff(i int) int {
	off := 0
	for ; i > 0; i-- {
		off += 1 + int(l.pk[off])
	}
	return off
}

// pkElem is the element at off as a view of pk, capped so that appending to
// it cannot write into pk.
func (l *List) pkElem(off int) []byte {
	n := int(l.pk[off])
	return l.pk[off+1 : off+1+n : off+1+n]
}

// pkMake returns an empty slice with room for n bytes and a quarter more.
func pkMake(n int) []byte { return make([]byte, 0, n+n/4) }

// pkOpen makes room for k bytes at off, moving what follows; the bytes at
// [off, off+k) are left for the caller to write.
func (l *List) pkOpen(off, k int) {
	n := len(l.pk) + k
	if n <= cap(l.pk) {
		l.pk = l.pk[:n]
		copy(l.pk[off+k:], l.pk[off:n-k])
		return
	}
	nb := pkMake(n)[:n]
	copy(nb, l.pk[:off])
	copy(nb[off+k:], l.pk[off:])
	l.pk = nb
}

// pkClose removes the k bytes at off, then gives back room once less than
// two thirds of the slice is used.
func (l *List) pkClose(off, k int) {
	copy(l.pk[off:], l.pk[off+k:])
	l.pk = l.pk[:len(l.pk)-k]
	l.pkFit()
}

func (l *List) pkFit() {
	switch n := len(l.pk); {
	case n == 0:
		l.pk = nil
	case cap(l.pk) > 32 && 3*n < 2*cap(l.pk):
		l.pk = append(pkMake(n), l.pk...)
	}
}

// pkPut writes element v at off (room made by pkOpen).
func (l *List) pkPut(off int, v []byte) {
	l.pk[off] = byte(len(v))
	copy(l.pk[off+1:], v)
}

// unpack moves the elements into the ring, for good.
func (l *List) unpack() {
	l.big = true
	pk, n := l.pk, l.n
	l.pk, l.n, l.head = nil, 0, 0
	l.grow(n + 1)
	for off := 0; off < len(pk); {
		k := int(pk[off])
		l.ring[l.slot(l.n)] = listCopy(pk[off+1 : off+1+k])
		l.n++
		off += 1 + k
	}
}

func (l *List) pkPushFront(v []byte) {
	l.pkOpen(0, 1+len(v))
	l.pkPut(0, v)
}

func (l *List) pkPushBack(v []byte) {
	if len(l.pk)+1+len(v) > cap(l.pk) {
		nb := pkMake(len(l.pk) + 1 + len(v))
		l.pk = append(nb, l.pk...)
	}
	l.pk = append(l.pk, byte(len(v)))
	l.pk = append(l.pk, v...)
}

// pkTake removes the element at off and returns a copy of it.
func (l *List) pkTake(off int) []byte {
	k := int(l.pk[off])
	v := listCopy(l.pk[off+1 : off+1+k])
	l.pkClose(off, 1+k)
	return v
}

func (l *List) pkSet(i int, v []byte) {
	off := l.pkOff(i)
	old := int(l.pk[off])
	switch d := len(v) - old; {
	case d > 0:
		l.pkOpen(off+1+old, d)
	case d < 0:
		copy(l.pk[off+1+len(v):], l.pk[off+1+old:])
		l.pk = l.pk[:len(l.pk)+d]
	}
	l.pkPut(off, v)
	if len(v) < old {
		l.pkFit()
	}
}

func (l *List) pkInsert(i int, v []byte) {
	off := l.pkOff(i)
	l.pkOpen(off, 1+len(v))
	l.pkPut(off, v)
}

func (l *List) pkFind(v []byte) int {
	for i, off := 0, 0; off < len(l.pk); i++ {
		k := int(l.pk[off])
		if k == len(v) && bytes.Equal(l.pk[off+1:off+1+k], v) {
			return i
		}
		off += 1 + k
	}
	return -1
}

// pkRemove is Remove on the packed form: one pass compacting the kept
// elements down; from the tail, the first matches past the limit are kept.
func (l *List) pkRemove(v []byte, limit int, fromTail bool) int {
	skip := 0 // matches to keep before removing
	if fromTail && limit > 0 {
		matches := 0
		for off := 0; off < len(l.pk); off += 1 + int(l.pk[off]) {
			if k := int(l.pk[off]); k == len(v) && bytes.Equal(l.pk[off+1:off+1+k], v) {
				matches++
			}
		}
		skip = max(matches-limit, 0)
	}
	removed, w := 0, 0
	for off := 0; off < len(l.pk); {
		k := int(l.pk[off])
		next := off + 1 + k
		if k == len(v) && bytes.Equal(l.pk[off+1:next], v) {
			if skip > 0 {
				skip--
			} else if limit == 0 || removed < limit {
				removed++
				off = next
				continue
			}
		}
		w += copy(l.pk[w:], l.pk[off:next])
		off = next
	}
	if removed > 0 {
		l.pk = l.pk[:w]
		l.n -= removed
		l.size -= int64(removed * len(v))
		l.pkFit()
	}
	return removed
}

func (l *List) pkTrim(start, stop int) {
	a := l.pkOff(start)
	b := a
	for i := start; i <= stop; i++ {
		b += 1 + int(l.pk[b])
	}
	var size int64
	for off := a; off < b; off += 1 + int(l.pk[off]) {
		size += int64(l.pk[off])
	}
	n := copy(l.pk, l.pk[a:b])
	l.pk = l.pk[:n]
	l.n, l.size = stop-start+1, size
	l.pkFit()
}

func (l *List) pkRange(start, stop int, fn func(i int, v []byte) bool) {
	off := l.pkOff(start)
	for i := start; i <= stop; i++ {
		if !fn(i, l.pkElem(off)) {
			return
		}
		off += 1 + int(l.pk[off])
	}
}

func (l *List) pkRangeRev(start, stop int, fn func(i int, v []byte) bool) {
	// Elements are walked forwards only: note where each starts (pk is at
	// most ListPackEntries*(1+ListPackValue) bytes, under 64 KB).
	var at [ListPackEntries]uint16
	off := l.pkOff(start)
	for i := start; i <= stop; i++ {
		at[i-start] = uint16(off)
		off += 1 + int(l.pk[off])
	}
	for i := stop; i >= start; i-- {
		if !fn(i, l.pkElem(int(at[i-start]))) {
			return
		}
	}
}

// PushAll adds copies of vals one after the other at the head (as LPUSH
// does: the last ends up first) or at the tail. A packed list that stays
// packed takes them all in one step, in a slice of exactly the size needed
// (an RPUSH of many elements to a new list allocates once and leaves no
// slack).
func (l *List) PushAll(vals [][]byte, front bool) {
	if !l.big && l.n+len(vals) <= ListPackEntries {
		need := len(l.pk)
		for _, v := range vals {
			if len(v) > ListPackValue {
				need = -1
				break
			}
			need += 1 + len(v)
		}
		if need >= 0 {
			l.pkPushAll(vals, need, front)
			return
		}
	}
	if l.big {
		l.grow(len(vals))
	}
	for _, v := range vals {
		if front {
			l.PushFront(v)
		} else {
			l.PushBack(v)
		}
	}
}

func (l *List) pkPushAll(vals [][]byte, need int, front bool) {
	var nb []byte
	switch {
	case front:
		nb = make([]byte, 0, need)
		for i := len(vals) - 1; i >= 0; i-- {
			nb = append(nb, byte(len(vals[i])))
			nb = append(nb, vals[i]...)
		}
		nb = append(nb, l.pk...)
	case need > cap(l.pk):
		nb = append(make([]byte, 0, need), l.pk...)
	default:
		nb = l.pk
	}
	if !front {
		for _, v := range vals {
			nb = append(nb, byte(len(v)))
			nb = append(nb, v...)
		}
	}
	for _, v := range vals {
		l.size += int64(len(v))
	}
	l.n += len(vals)
	if len(nb) == 0 {
		nb = nil
	}
	l.pk = nb
}

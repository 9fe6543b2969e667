package engine

import (
	"bytes"
	"slices"
	"sync/atomic"
)

// List is the value of a list key (KindList): a ring buffer of elements, so
// pushing and popping at either end and reading or replacing by position
// are O(1), and a range is read without walking from an end. Positions run
// from 0 (the head, where LPUSH adds) to Len()-1 (the tail).
//
// Elements the list returns alias its storage: they stay valid until the
// list changes, and must not be modified. Elements it stores are copies.
//
// A small list keeps its elements packed in one byte slice instead
// (list_packed.go) until it passes ListPackEntries or ListPackValue.
//
// A List is not safe for concurrent use: it lives under its key's shard lock.
type List struct {
	ring [][]byte // len is 0 or a power of two
	pk   []byte   // the packed form, while !big
	head int      // ring index of position 0
	n    int
	size int64 // sum of the elements' lengths
	big  bool  // the elements are in the ring, for good
	// pins counts readers encoding this list with no lock held (Pin): a
	// writer that reaches the key then swaps in a copy (Tx.Peek) instead
	// of changing this one under them.
	pins atomic.Int32
}

// listMinRing is the smallest ring allocated; it keeps a short list in one
// small allocation.
const listMinRing = 4

// NewList returns an empty list.
func NewList() *List { return &List{} }

// NewListOf returns a list holding copies of vals in order (SORT ... STORE).
func NewListOf(vals [][]byte) *List {
	l := &List{}
	n, packs := 0, len(vals) <= ListPackEntries
	for _, v := range vals {
		n += 1 + len(v)
		packs = packs && len(v) <= ListPackValue
	}
	if packs {
		l.pk = make([]byte, 0, n)
	} else {
		l.big = true
		l.grow(len(vals))
	}
	for _, v := range vals {
		l.PushBack(v)
	}
	if n == 0 {
		l.pk = nil
	}
	return l
}

// Len is the number of elements (LLEN).
func (l *List) Len() int { return l.n }

// Size is the bytes accounted: the sum of the elements' lengths.
func (l *List) Size() int64 { return l.size }

// ComputeSize recounts Size from the elements.
func (l *List) ComputeSize() int64 {
	var s int64
	l.Range(0, l.n-1, func(_ int, v []byte) bool {
		s += int64(len(v))
		return true
	})
	return s
}

// Encoding is what Redis 7.0 reports for every list, however small: its
// lists are always quicklists (7.2 added a listpack encoding).
func (*List) Encoding() string { return "quicklist" }

// Clone returns an independent copy.
func (l *List) Clone() Object {
	if !l.big {
		c := &List{n: l.n, size: l.size}
		if len(l.pk) > 0 {
			c.pk = append(make([]byte, 0, len(l.pk)), l.pk...)
		}
		return c
	}
	c := &List{big: true}
	c.grow(l.n)
	l.Range(0, l.n-1, func(_ int, v []byte) bool {
		c.PushBack(v)
		return true
	})
	return c
}

// Pin marks the list as read by a command that is about to let go of the
// key's shard lock and encode a range of it with none held, so that other
// tenants' writers to that shard do not wait for a big reply to be built.
// It must be called under the key's shard lock (shared is enough), and
// Unpin once the reader is done with every element. While the list is
// pinned it is never changed: the first writer to reach the key through
// Tx.Peek replaces the key's value with a copy of the list (its ring
// only: elements are never changed in place, so they are shared) and
// changes that, and the reader's view stays the list at the instant it
// pinned it, as an atomic reply must.
func (l *List) Pin() { l.pins.Add(1) }

// Unpin ends a Pin.
func (l *List) Unpin() { l.pins.Add(-1) }

// Pinned reports whether a reader holds the list with no lock (Pin).
func (l *List) Pinned() bool { return l.pins.Load() != 0 }

// unshared is the copy a writer changes in place of a pinned list: a new
// ring (or packed slice) holding the same elements, which are never
// changed in place. It costs the writer a copy of the ring, 24 bytes a
// slot, and no element.
func (l *List) unshared() *List {
	c := &List{head: l.head, n: l.n, size: l.size, big: l.big}
	c.ring = slices.Clone(l.ring)
	if len(l.pk) > 0 {
		c.pk = slices.Clone(l.pk)
	}
	return c
}

func (l *List) slot(i int) int { return (l.head + i) & (len(l.ring) - 1) }

// grow makes room for extra more elements.
func (l *List) grow(extra int) {
	need := l.n + extra
	if need <= len(l.ring) {
		return
	}
	c := max(len(l.ring), listMinRing)
	for c < need {
		c <<= 1
	}
	l.resize(c)
}

// resize moves the elements to a ring of capacity c (a power of two ≥ n).
func (l *List) resize(c int) {
	ring := make([][]byte, c)
	if l.n > 0 {
		// The elements are at most two runs of the old ring.
		end := l.head + l.n
		if end <= len(l.ring) {
			copy(ring, l.ring[l.head:end])
		} else {
			k := copy(ring, l.ring[l.head:])
			copy(ring[k:], l.ring[:end-len(l.ring)])
		}
	}
	l.ring, l.head = ring, 0
}

// shrink gives memory back after many pops; halving only below a quarter
// full keeps a list that oscillates around a size from resizing each time.
func (l *List) shrink() {
	if l.n == 0 {
		l.ring, l.head = nil, 0
		return
	}
	if len(l.ring) > listMinRing && l.n <= len(l.ring)/4 {
		l.resize(len(l.ring) / 2)
	}
}

func listCopy(v []byte) []byte { return append(make([]byte, 0, len(v)), v...) }

// PushFront adds a copy of v at the head (LPUSH).
func (l *List) PushFront(v []byte) {
	if !l.big {
		if l.fitsPack(v) {
			l.pkPushFront(v)
			l.n++
			l.size += int64(len(v))
			return
		}
		l.unpack()
	}
	l.grow(1)
	l.head = (l.head - 1) & (len(l.ring) - 1)
	l.ring[l.head] = listCopy(v)
	l.n++
	l.size += int64(len(v))
}

// PushBack adds a copy of v at the tail (RPUSH).
func (l *List) PushBack(v []byte) {
	if !l.big {
		if l.fitsPack(v) {
			l.pkPushBack(v)
			l.n++
			l.size += int64(len(v))
			return
		}
		l.unpack()
	}
	l.grow(1)
	l.ring[l.slot(l.n)] = listCopy(v)
	l.n++
	l.size += int64(len(v))
}

// PopFront removes and returns the head element; the list must not be empty.
// The element is the caller's from then on.
func (l *List) PopFront() []byte {
	if !l.big {
		v := l.pkTake(0)
		l.n--
		l.size -= int64(len(v))
		return v
	}
	v := l.ring[l.head]
	l.ring[l.head] = nil
	l.head = (l.head + 1) & (len(l.ring) - 1)
	l.n--
	l.size -= int64(len(v))
	l.shrink()
	return v
}

// PopBack removes and returns the tail element; the list must not be empty.
func (l *List) PopBack() []byte {
	if !l.big {
		v := l.pkTake(l.pkOff(l.n - 1))
		l.n--
		l.size -= int64(len(v))
		return v
	}
	i := l.slot(l.n - 1)
	v := l.ring[i]
	l.ring[i] = nil
	l.n--
	l.size -= int64(len(v))
	l.shrink()
	return v
}

// Index returns the element at position i, 0 ≤ i < Len.
func (l *List) Index(i int) []byte {
	if !l.big {
		return l.pkElem(l.pkOff(i))
	}
	return l.ring[l.slot(i)]
}

// Set replaces the element at position i with a copy of v.
func (l *List) Set(i int, v []byte) {
	if !l.big {
		if len(v) <= ListPackValue {
			l.size += int64(len(v)) - int64(len(l.Index(i)))
			l.pkSet(i, v)
			return
		}
		l.unpack()
	}
	s := l.slot(i)
	l.size += int64(len(v)) - int64(len(l.ring[s]))
	l.ring[s] = listCopy(v)
}

// Insert puts a copy of v at position i (0 ≤ i ≤ Len), moving the shorter
// side of the list by one.
func (l *List) Insert(i int, v []byte) {
	switch i {
	case 0:
		l.PushFront(v)
		return
	case l.n:
		l.PushBack(v)
		return
	}
	if !l.big {
		if l.fitsPack(v) {
			l.pkInsert(i, v)
			l.n++
			l.size += int64(len(v))
			return
		}
		l.unpack()
	}
	l.grow(1)
	if i < l.n-i {
		l.head = (l.head - 1) & (len(l.ring) - 1)
		for j := 0; j < i; j++ {
			l.ring[l.slot(j)] = l.ring[l.slot(j+1)]
		}
	} else {
		for j := l.n; j > i; j-- {
			l.ring[l.slot(j)] = l.ring[l.slot(j-1)]
		}
	}
	l.ring[l.slot(i)] = listCopy(v)
	l.n++
	l.size += int64(len(v))
}

// Find returns the position of the first element equal to v, or -1.
func (l *List) Find(v []byte) int {
	if !l.big {
		return l.pkFind(v)
	}
	for i := 0; i < l.n; i++ {
		if bytes.Equal(l.ring[l.slot(i)], v) {
			return i
		}
	}
	return -1
}

// Remove deletes up to limit elements equal to v (all of them when limit
// is 0), the first ones from the head, or from the tail when fromTail, and
// returns how many it removed (LREM). One pass moves each kept element at
// most once.
func (l *List) Remove(v []byte, limit int, fromTail bool) int {
	if !l.big {
		return l.pkRemove(v, limit, fromTail)
	}
	removed := 0
	keep := func(e []byte) bool {
		if (limit == 0 || removed < limit) && bytes.Equal(e, v) {
			removed++
			l.size -= int64(len(e))
			return false
		}
		return true
	}
	if !fromTail {
		w := 0
		for r := 0; r < l.n; r++ {
			e := l.ring[l.slot(r)]
			if keep(e) {
				l.ring[l.slot(w)] = e
				w++
			}
		}
		for j := w; j < l.n; j++ {
			l.ring[l.slot(j)] = nil
		}
	} else {
		w := l.n - 1
		for r := l.n - 1; r >= 0; r-- {
			e := l.ring[l.slot(r)]
			if keep(e) {
				l.ring[l.slot(w)] = e
				w--
			}
		}
		for j := 0; j <= w; j++ {
			l.ring[l.slot(j)] = nil
		}
		l.head = l.slot(w + 1)
	}
	l.n -= removed
	if removed > 0 {
		l.shrink()
	}
	return removed
}

// Trim keeps the elements from position start to stop inclusive, which must
// satisfy 0 ≤ start ≤ stop+1 ≤ Len (stop = start-1 keeps none), and drops
// the rest (LTRIM).
func (l *List) Trim(start, stop int) {
	if !l.big {
		l.pkTrim(start, stop)
		return
	}
	for j := stop + 1; j < l.n; j++ {
		s := l.slot(j)
		l.size -= int64(len(l.ring[s]))
		l.ring[s] = nil
	}
	for j := 0; j < start; j++ {
		s := l.slot(j)
		l.size -= int64(len(l.ring[s]))
		l.ring[s] = nil
	}
	l.head = l.slot(start)
	l.n = stop - start + 1
	l.shrink()
}

// Range calls fn with the position and element of each element from start
// to stop inclusive (0 ≤ start, stop < Len), in order, until fn returns false.
func (l *List) Range(start, stop int, fn func(i int, v []byte) bool) {
	if !l.big {
		l.pkRange(start, stop, fn)
		return
	}
	for i := start; i <= stop; i++ {
		if !fn(i, l.ring[l.slot(i)]) {
			return
		}
	}
}

// RangeRev is Range from stop down to start.
func (l *List) RangeRev(start, stop int, fn func(i int, v []byte) bool) {
	if !l.big {
		if start <= stop {
			l.pkRangeRev(start, stop, fn)
		}
		return
	}
	for i := stop; i >= start; i-- {
		if !fn(i, l.ring[l.slot(i)]) {
			return
		}
	}
}

// Segments returns the elements from start to stop inclusive as at most two
// slices of the storage, in order: a range is read without a call per
// element (LRANGE over a million elements). A packed list has no such
// slices: its elements are gathered into new ones (callers read a packed
// list with Range instead).
func (l *List) Segments(start, stop int) (a, b [][]byte) {
	if start > stop {
		return nil, nil
	}
	if !l.big {
		a = make([][]byte, 0, stop-start+1)
		l.pkRange(start, stop, func(_ int, v []byte) bool { a = append(a, v); return true })
		return a, nil
	}
	from, count := l.slot(start), stop-start+1
	if from+count <= len(l.ring) {
		return l.ring[from : from+count], nil
	}
	return l.ring[from:], l.ring[:from+count-len(l.ring)]
}

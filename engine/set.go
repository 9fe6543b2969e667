package engine

import (
	"maps"
	"slices"
	"strconv"
)

// SetMaxIntsetEntries is Redis's default set-max-intset-entries: a set of
// integers stays "intset" up to this many members.
const SetMaxIntsetEntries = 512

// Set is the value of a set key (KindSet). Like Redis 7.0 it has two
// encodings, which OBJECT ENCODING reports:
//
//   - "intset": a sorted array of integers, while every member is the
//     canonical decimal text of a 64-bit integer (what Redis's string2ll
//     accepts: no '+', no leading zeros, no "-0") and there are at most
//     SetMaxIntsetEntries of them;
//   - "hashtable": otherwise. A set becomes one when a member does not fit
//     the intset, and never goes back by itself. While it has at most
//     SetPackEntries members of at most SetPackValue bytes its members are
//     packed in one byte slice (set_packed.go); past that they move into
//     the table (a slice and a map) for good.
//
// Members have positions 0..Len()-1, the order SMEMBERS replies in:
// ascending for an intset (as Redis), arrival order for a hashtable (packed
// or not), where
// removing a member moves the last one into its place. A hashtable is a
// dense slice of members with a map from member to position, so a random
// pick is one uniform index, and Scan, which walks positions from the top
// down, never misses a member present for the whole scan: additions go past
// the end, and a removal moves only the last member, which is either
// already visited or stays below the cursor.
//
// A Set is not safe for concurrent use: it lives under its key's shard lock.
type Set struct {
	ints    []int64          // intset form, ascending
	pk      []byte           // packed form
	members []string         // table form
	index   map[string]int32 // table form: member to its position in members
	size    int64            // sum of the members' lengths
	pn      int32            // members in pk
	form    uint8            // setIntset, setPacked or setTable
}

// NewSet returns an empty set, an intset until a member needs otherwise.
func NewSet() *Set { return &Set{} }

// Len is the number of members (SCARD).
func (s *Set) Len() int {
	switch s.form {
	case setIntset:
		return len(s.ints)
	case setPacked:
		return int(s.pn)
	}
	return len(s.members)
}

// Size is the bytes accounted: the sum of the members' lengths.
func (s *Set) Size() int64 { return s.size }

// ComputeSize recounts Size from the members.
func (s *Set) ComputeSize() int64 {
	var n int64
	switch s.form {
	case setIntset:
		for _, v := range s.ints {
			n += int64(intLen(v))
		}
		return n
	case setPacked:
		s.Each(func(m []byte) bool { n += int64(len(m)); return true })
		return n
	}
	for _, m := range s.members {
		n += int64(len(m))
	}
	return n
}

// Encoding is what Redis 7.0 reports: "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.form == setIntset {
		return "intset"
	}
	return "hashtable"
}

// Clone returns an independent copy with the same encoding and order.
func (s *Set) Clone() Object {
	c := &Set{size: s.size, form: s.form, pn: s.pn}
	switch s.form {
	case setIntset:
		c.ints = slices.Clone(s.ints)
		return c
	case setPacked:
		if len(s.pk) > 0 {
			c.pk = append(make([]byte, 0, len(s.pk)), s.pk...)
		}
		return c
	}
	c.members = slices.Clone(s.members) // strings are immutable: sharing their bytes is safe
	c.index = maps.Clone(s.index)
	return c
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	switch s.form {
	case setIntset:
		v, ok := ParseInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(s.ints, v)
		return found
	case setPacked:
		return s.spFind(m) >= 0
	}
	_, ok := s.index[string(m)]
	return ok
}

// Add inserts m (copying it) and reports whether it was new.
func (s *Set) Add(m []byte) bool {
	if s.form == setIntset {
		v, isInt := ParseInt(m)
		if isInt {
			i, found := slices.BinarySearch(s.ints, v)
			if found {
				return false
			}
			if len(s.ints) < SetMaxIntsetEntries {
				s.ints = slices.Insert(s.ints, i, v)
				s.size += int64(len(m))
				return true
			}
		}
		if len(s.ints) < SetPackEntries && len(m) <= SetPackValue {
			s.spFromInts()
		} else {
			s.toHashtable()
		}
	}
	if s.form == setPacked {
		if s.spFind(m) >= 0 {
			return false
		}
		if s.pn < SetPackEntries && len(m) <= SetPackValue {
			s.spAppend(m)
			return true
		}
		s.toHashtable()
	}
	if _, ok := s.index[string(m)]; ok {
		return false
	}
	k := string(m)
	s.index[k] = int32(len(s.members))
	s.members = append(s.members, k)
	s.size += int64(len(k))
	return true
}

// toHashtable converts an intset or a packed set to the table form,
// keeping the order.
func (s *Set) toHashtable() {
	n := s.Len()
	members := make([]string, 0, n+1)
	index := make(map[string]int32, n+1)
	s.Each(func(m []byte) bool {
		k := string(m)
		index[k] = int32(len(members))
		members = append(members, k)
		return true
	})
	s.members, s.index = members, index
	s.ints, s.pk, s.pn = nil, nil, 0
	s.form = setTable
}

// Remove deletes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	switch s.form {
	case setIntset:
		v, ok := ParseInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(s.ints, v)
		if found {
			s.RemoveAt(i)
		}
		return found
	case setPacked:
		i := s.spFind(m)
		if i >= 0 {
			s.spRemoveAt(i)
		}
		return i >= 0
	}
	i, ok := s.index[string(m)]
	if ok {
		s.RemoveAt(int(i))
	}
	return ok
}

// RemoveAt deletes the member at position i. In a hashtable the last
// member takes its place; an intset stays sorted.
func (s *Set) RemoveAt(i int) {
	switch s.form {
	case setIntset:
		s.size -= int64(intLen(s.ints[i]))
		s.ints = slices.Delete(s.ints, i, i+1)
		return
	case setPacked:
		s.spRemoveAt(i)
		return
	}
	m := s.members[i]
	last := len(s.members) - 1
	if i != last {
		s.members[i] = s.members[last]
		s.index[s.members[i]] = int32(i)
	}
	s.members[last] = ""
	s.members = s.members[:last]
	delete(s.index, m)
	s.size -= int64(len(m))
	s.shrink()
}

// shrink gives memory back once a hashtable has lost most of its members.
// The copy keeps the order, which Scan relies on, and costs no more than
// the removals that made it worth doing.
func (s *Set) shrink() {
	n := len(s.members)
	if cap(s.members) < 64 || n*4 > cap(s.members) {
		return
	}
	s.members = append(make([]string, 0, 2*n), s.members...)
	idx := make(map[string]int32, n)
	for i, m := range s.members {
		idx[m] = int32(i)
	}
	s.index = idx
}

// Member returns the member at position i. For an intset it formats the
// integer into buf (pass a buffer of 20 bytes' capacity to avoid
// allocating; with a nil buf the bytes are the caller's own); for a
// hashtable it returns the stored bytes, which must not be modified and
// stay valid while the set is unchanged.
func (s *Set) Member(i int, buf []byte) []byte {
	switch s.form {
	case setIntset:
		return strconv.AppendInt(buf[:0], s.ints[i], 10)
	case setPacked:
		return s.spMember(s.spOff(i))
	}
	return unsafeBytes(s.members[i])
}

// Each calls fn with every member in position order until fn returns
// false. The bytes passed are valid only during the call and must not be
// modified.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.form == setPacked {
		for off := 0; off < len(s.pk); off += spHead + int(s.pk[off]) {
			if !fn(s.spMember(off)) {
				return
			}
		}
		return
	}
	var buf [20]byte
	for i := range s.Len() {
		if !fn(s.Member(i, buf[:0])) {
			return
		}
	}
}

// Scan visits members for SSCAN from cursor (0 starts a scan) and returns
// the cursor to continue from, 0 when the scan is complete. An intset is
// visited whole in one call, as Redis does; a hashtable visits count
// positions, going down from the cursor. fn's bytes are valid only during
// the call.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	switch s.form {
	case setIntset:
		s.Each(func(m []byte) bool { fn(m); return true })
		return 0
	case setPacked:
		return s.spScan(cursor, count, fn)
	}
	hi := len(s.members)
	if cursor != 0 && cursor < uint64(hi) {
		hi = int(cursor)
	}
	lo := max(hi-count, 0)
	for i := hi - 1; i >= lo; i-- {
		fn(unsafeBytes(s.members[i]))
	}
	return uint64(lo)
}

// ReplaceWith makes s hold o's members, encoding and order; o must not be
// used afterwards. SPOP uses it when rebuilding a set from its survivors.
func (s *Set) ReplaceWith(o *Set) { *s = *o }

// intLen is the length of v's decimal text.
func intLen(v int64) int {
	n := 1
	u := uint64(v)
	if v < 0 {
		n++
		u = -u
	}
	for u >= 10 {
		u /= 10
		n++
	}
	return n
}

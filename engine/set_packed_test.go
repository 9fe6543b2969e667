package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A packed set's charges cover the heap it holds: built by adding (the
// slice grown by a quarter when full) and removed down from nearly twice as
// many (the most slack before the slice is rebuilt), from 1 to
// SetPackEntries members of up to SetPackValue bytes, with the key's own
// charge covering the entry. Intsets of up to SetMaxIntsetEntries members
// (each insert may double the slice) are measured too, against the table's
// charges they account.
func TestChargesCoverPackedSets(t *testing.T) {
	e := heapChargeEngine(t)
	const keys = 1 << 12
	type build struct {
		name string
		ln   int // member length, 0 for integers
		n    int
		fill func(s *Set)
	}
	var builds []build
	for _, ln := range []int{6, 8, 11, 17, 33, SetPackValue} {
		for _, n := range []int{1, 2, 3, 4, 5, 7, 9, 12, 17, 23, 28, 33, 47, 64, 65, 90, 100, 113, SetPackEntries} {
			builds = append(builds, build{"added", ln, n, func(s *Set) {
				for i := range n {
					s.Add(chargeMember(i, ln))
				}
			}}, build{"removed", ln, n, func(s *Set) {
				for i := range min(n*19/10+1, SetPackEntries) {
					s.Add(chargeMember(i, ln))
				}
				for s.Len() > n {
					s.RemoveAt(s.Len() - 1)
				}
			}})
		}
	}
	for _, n := range []int{1, 2, 3, 5, 9, 17, 33, 65, 129, 257, SetMaxIntsetEntries} {
		builds = append(builds, build{"intset", 0, n, func(s *Set) {
			for i := range n {
				s.Add([]byte(strconv.Itoa(i)))
			}
		}})
	}
	for _, b := range builds {
		ns := e.Namespace(fmt.Sprintf("spacked/%d/%d/%s", b.n, b.ln, b.name))
		before := liveHeap()
		engineWrite(e, ns, func(tx *Tx) {
			for k := range keys {
				s := NewSet()
				b.fill(s)
				if s.Packed() != (b.name != "intset") || s.Len() != b.n {
					t.Fatalf("%d members of %d bytes (%s): packed %v, %d members", b.n, b.ln, b.name, s.Packed(), s.Len())
				}
				tx.Put(chargeMember(k, 16), NewObject(KindSet, s))
			}
		})
		heap := liveHeap() - before
		if heap > ns.Bytes() {
			t.Errorf("%d members of %d bytes (%s): %.1f bytes of heap per key, %.1f accounted",
				b.n, b.ln, b.name, float64(heap)/keys, float64(ns.Bytes())/keys)
		}
		t.Logf("%3d members %2d bytes %-7s: heap %8.1f, accounted %8.1f per key, %6.1f over per member",
			b.n, b.ln, b.name, float64(heap)/keys, float64(ns.Bytes())/keys, float64(ns.Bytes()-heap)/keys/float64(b.n))
		engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
	}
}

// The packed form holds up to SetPackEntries members of up to SetPackValue
// bytes (an empty member included), whether the set started as an intset
// or not; one more member, or a longer one, moves them all into the table
// for good, positions kept (so SSCAN's cursor stays valid). OBJECT ENCODING
// says "hashtable" in both forms, as Redis 7.0 does.
func TestSetPackedThresholds(t *testing.T) {
	member := func(i, n int) []byte {
		if n == 0 {
			return nil
		}
		return []byte(fmt.Sprintf("%0*d", n, i))[:n]
	}
	for _, tc := range []struct {
		name   string
		add    []byte
		packed bool
	}{
		{"full", nil, true},
		{"one more", []byte("x"), false},
		{"a long one", bytes.Repeat([]byte("l"), SetPackValue+1), false},
		{"one already there", []byte("s1"), true},
	} {
		for _, fromInts := range []bool{false, true} {
			s := NewSet()
			if fromInts {
				for i := range SetPackEntries - 1 {
					s.Add([]byte(strconv.Itoa(i)))
				}
				s.Add([]byte("s1")) // the 128th member: packed, integers first
			} else {
				s.Add(nil)
				for i := 1; i < SetPackEntries; i++ {
					s.Add(append(member(i, SetPackValue-1), 's'))
				}
				s.Remove(member(5, SetPackValue-1))
				s.Remove(append(member(5, SetPackValue-1), 's'))
				s.Add([]byte("s1"))
			}
			before := setMembers(s)
			if len(before) != SetPackEntries || !s.Packed() || s.Encoding() != "hashtable" {
				t.Fatalf("%s (from ints %v): %d members, packed %v, %s", tc.name, fromInts, len(before), s.Packed(), s.Encoding())
			}
			if tc.add != nil {
				s.Add(tc.add)
			}
			after := setMembers(s)
			if s.Packed() != tc.packed || s.Encoding() != "hashtable" || !slices.Equal(after[:SetPackEntries], before) {
				t.Errorf("%s (from ints %v): packed %v, %s, order kept %v", tc.name, fromInts, s.Packed(), s.Encoding(),
					slices.Equal(after[:SetPackEntries], before))
			}
			if s.Size() != s.ComputeSize() || !s.Has([]byte("s1")) || s.Has([]byte("nope")) {
				t.Errorf("%s (from ints %v): size %d, content %d", tc.name, fromInts, s.Size(), s.ComputeSize())
			}
			for s.Len() > 0 {
				s.RemoveAt(0)
			}
			if s.Packed() != tc.packed || s.Size() != 0 {
				t.Errorf("%s (from ints %v): emptied, packed %v, size %d", tc.name, fromInts, s.Packed(), s.Size())
			}
		}
	}
	// An intset past SetPackEntries meeting a string goes straight to the table.
	s := NewSet()
	for i := range SetPackEntries {
		s.Add([]byte(strconv.Itoa(i)))
	}
	if s.Add([]byte("x")); s.Packed() || s.Len() != SetPackEntries+1 {
		t.Errorf("a full intset and a string: packed %v, %d members", s.Packed(), s.Len())
	}
	// A snapshot's "hashtable" set of integers stays hashtable, packed.
	if s, ok := SetFromMembers([][]byte{[]byte("3"), []byte("1")}, true); !ok || s.Encoding() != "hashtable" || !s.Packed() ||
		strings.Join(setMembers(s), " ") != "3 1" {
		t.Errorf("SetFromMembers hashtable of integers: %v %s %q", ok, s.Encoding(), setMembers(s))
	}
}

// A removal moves the last member into the gap, in place, whatever the
// lengths of the two (longer, shorter, the last itself).
func TestSetPackedRemoveMovesLast(t *testing.T) {
	for _, tc := range []struct {
		members []string
		at      int
		want    string
	}{
		{[]string{"a", "bb", "ccc", "dddddd"}, 1, "a dddddd ccc"},
		{[]string{"aaaaa", "b", "cc", "d"}, 0, "d b cc"},
		{[]string{"a", "b", "c"}, 2, "a b"},
		{[]string{"", "x", "yyyyyyy"}, 0, "yyyyyyy x"},
		{[]string{"only"}, 0, ""},
	} {
		for _, form := range setForms {
			s := form.make()
			for _, m := range tc.members {
				s.Add([]byte(m))
			}
			s.RemoveAt(tc.at)
			if got := strings.Join(setMembers(s), " "); got != tc.want || s.Size() != s.ComputeSize() {
				t.Errorf("%s: %q without %d: %q, size %d of %d", form.name, tc.members, tc.at, got, s.Size(), s.ComputeSize())
			}
			for _, m := range tc.members {
				if s.Has([]byte(m)) != strings.Contains(" "+tc.want+" ", " "+m+" ") {
					t.Errorf("%s: %q without %d: Has(%q) = %v", form.name, tc.members, tc.at, m, s.Has([]byte(m)))
				}
			}
		}
	}
}

// The CPU cost of the packed form against the table on the operations of a
// 100-member set of 9-byte members (the memory bench's sets):
//
//	go test -run '^$' -bench 'SetSmall' ./engine
func BenchmarkSetSmall(b *testing.B) {
	for _, form := range setForms[1:] {
		fill := func() *Set {
			s := form.make()
			for i := range 100 {
				s.Add([]byte(fmt.Sprintf("member:%02d", i)))
			}
			return s
		}
		b.Run(form.name+"/has-hit", func(b *testing.B) {
			s := fill()
			m := []byte("member:77")
			for b.Loop() {
				s.Has(m)
			}
		})
		b.Run(form.name+"/has-miss", func(b *testing.B) {
			s := fill()
			m := []byte("member:xx")
			for b.Loop() {
				s.Has(m)
			}
		})
		b.Run(form.name+"/add-remove", func(b *testing.B) {
			s := fill()
			m := []byte("member:xx")
			for b.Loop() {
				s.Add(m)
				s.Remove(m)
			}
		})
		b.Run(form.name+"/build", func(b *testing.B) {
			for b.Loop() {
				fill()
			}
		})
	}
}

// Reserve sizes a new set's slice once; Fit gives back what the members
// did not use (repeats, or integers that stayed an intset), so a reserved
// set holds no more than one grown by additions.
func TestSetPackedReserveFit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members []string
		enc     string
	}{
		{"strings", []string{"a", "bb", "ccc"}, "hashtable"},
		{"repeats", []string{"aaaaaaaa", "aaaaaaaa", "aaaaaaaa", "aaaaaaaa", "b"}, "hashtable"},
		{"integers", []string{"1", "22", "333"}, "intset"},
		{"integers then a string", []string{"1", "22", "x"}, "hashtable"},
	} {
		s := NewSet()
		n := 0
		for _, m := range tc.members {
			n += len(m)
		}
		s.Reserve(len(tc.members), n)
		for _, m := range tc.members {
			s.Add([]byte(m))
		}
		s.Fit()
		if s.Encoding() != tc.enc || s.Size() != s.ComputeSize() || cap(s.pk) > len(s.pk)+len(s.pk)/4 ||
			tc.enc == "intset" && s.pk != nil {
			t.Errorf("%s: %s, size %d of %d, %d bytes of room for %d", tc.name, s.Encoding(), s.Size(), s.ComputeSize(), cap(s.pk), len(s.pk))
		}
		if got := strings.Join(setMembers(s), " "); got != strings.Join(slices.Compact(slices.Clone(tc.members)), " ") &&
			tc.enc == "hashtable" {
			t.Errorf("%s: members %q", tc.name, got)
		}
	}
}

package engine

import (
	"bytes"
	"fmt"
	"testing"
)

// A packed list's charges cover the heap it holds, whatever its length and
// element lengths: built by pushing at the tail (each append, the slice
// grown by a quarter when full), at the head (each push moves the bytes),
// and popped down from nearly twice as many (the most slack the slice keeps
// before it is rebuilt smaller), from 1 to ListPackEntries elements of up to
// ListPackValue bytes, with the key's own charge covering the entry.
func TestChargesCoverPackedLists(t *testing.T) {
	e := heapChargeEngine(t)
	const keys = 1 << 12
	builds := []struct {
		name string
		fill func(l *List, n int, v func(i int) []byte)
	}{
		{"back", func(l *List, n int, v func(int) []byte) {
			for i := range n {
				l.PushBack(v(i))
			}
		}},
		{"front", func(l *List, n int, v func(int) []byte) {
			for i := range n {
				l.PushFront(v(i))
			}
		}},
		{"popped", func(l *List, n int, v func(int) []byte) {
			for i := range min(n*19/10+1, ListPackEntries) {
				l.PushBack(v(i))
			}
			for l.Len() > n {
				l.PopBack()
			}
		}},
	}
	for _, ln := range []int{0, 1, 8, 11, 17, 33, ListPackValue} {
		for _, n := range []int{1, 2, 3, 4, 5, 7, 9, 12, 17, 23, 28, 33, 47, 64, 65, 90, 100, 113, ListPackEntries} {
			for _, b := range builds {
				ns := e.Namespace(fmt.Sprintf("lpacked/%d/%d/%s", n, ln, b.name))
				before := liveHeap()
				engineWrite(e, ns, func(tx *Tx) {
					for k := range keys {
						l := NewList()
						b.fill(l, n, func(i int) []byte { return chargeMember(i, max(ln, 6))[:ln] })
						if !l.Packed() || l.Len() != n {
							t.Fatalf("%d elements of %d bytes: packed %v, %d elements", n, ln, l.Packed(), l.Len())
						}
						tx.Put(chargeMember(k, 16), NewObject(KindList, l))
					}
				})
				heap := liveHeap() - before
				if heap > ns.Bytes() {
					t.Errorf("%d elements of %d bytes (%s): %.1f bytes of heap per key, %.1f accounted",
						n, ln, b.name, float64(heap)/keys, float64(ns.Bytes())/keys)
				}
				t.Logf("%3d elements %2d bytes %-6s: heap %8.1f, accounted %8.1f per key, %6.1f over per element",
					n, ln, b.name, float64(heap)/keys, float64(ns.Bytes())/keys, float64(ns.Bytes()-heap)/keys/float64(n))
				engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
			}
		}
	}
}

// The packed form holds up to ListPackEntries elements of up to
// ListPackValue bytes (empty ones included), however they arrive; one more
// element, or a longer one, moves every element into the ring for good,
// order kept. OBJECT ENCODING says "quicklist" throughout.
func TestListPackedThresholds(t *testing.T) {
	elem := func(i, n int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, n) }
	full := func(n int) *List {
		l := NewList()
		for i := range ListPackEntries {
			l.PushBack(elem(i, n))
		}
		return l
	}
	long := elem(0, ListPackValue+1)
	for _, tc := range []struct {
		name   string
		change func(l *List) [][]byte // the elements expected after it
		packed bool
	}{
		{"full, 64 bytes each", func(l *List) [][]byte { return nil }, true},
		{"one more at the tail", func(l *List) [][]byte { l.PushBack([]byte("x")); return [][]byte{[]byte("x")} }, false},
		{"one more at the head", func(l *List) [][]byte { l.PushFront([]byte("x")); return nil }, false},
		{"one more inside", func(l *List) [][]byte { l.Insert(5, []byte("x")); return nil }, false},
		{"a long element set", func(l *List) [][]byte { l.Set(3, long); return nil }, false},
		{"popped, then pushed back", func(l *List) [][]byte { l.PopFront(); l.PushBack([]byte("y")); return nil }, true},
	} {
		for _, n := range []int{0, 1, ListPackValue} {
			l := full(n)
			want := make([][]byte, 0, ListPackEntries+1)
			l.Range(0, l.Len()-1, func(_ int, v []byte) bool { want = append(want, bytes.Clone(v)); return true })
			extra := tc.change(l)
			if l.Packed() != tc.packed || l.Encoding() != "quicklist" {
				t.Errorf("%s (%d bytes): packed %v, encoding %s", tc.name, n, l.Packed(), l.Encoding())
			}
			if l.Size() != l.ComputeSize() {
				t.Errorf("%s (%d bytes): size %d, content %d", tc.name, n, l.Size(), l.ComputeSize())
			}
			if extra != nil {
				want = append(want, extra...)
				for i, w := range want {
					if !bytes.Equal(l.Index(i), w) {
						t.Fatalf("%s (%d bytes): element %d is %q, want %q", tc.name, n, i, l.Index(i), w)
					}
				}
			}
		}
	}
	// A long element or too many from the start: NewListOf builds the ring.
	for _, vals := range [][][]byte{{long}, make([][]byte, ListPackEntries+1)} {
		if l := NewListOf(vals); l.Packed() || l.Len() != len(vals) {
			t.Errorf("NewListOf of %d elements: packed %v", len(vals), l.Packed())
		}
	}
	if l := NewListOf(make([][]byte, ListPackEntries)); !l.Packed() || l.Len() != ListPackEntries {
		t.Errorf("NewListOf of %d empty elements: packed %v", ListPackEntries, l.Packed())
	}
}

// What a pop returns is the caller's: pushing it back into the same list
// (LMOVE with one key) and more changes leave it as it was.
func TestListPackedPopsAreCopies(t *testing.T) {
	for _, form := range listForms {
		l := form.make()
		for _, v := range []string{"aa", "b", "ccc", "dddd"} {
			l.PushBack([]byte(v))
		}
		tail := l.PopBack()
		l.PushFront(tail)
		head := l.PopFront()
		l.PushBack(head)
		l.Set(0, []byte("zzzzzzz"))
		l.Insert(1, []byte("y"))
		l.Remove([]byte("b"), 0, false)
		l.PopFront()
		if string(tail) != "dddd" || string(head) != "dddd" {
			t.Errorf("%s: popped elements changed to %q and %q", form.name, tail, head)
		}
		var got []string
		l.Range(0, l.Len()-1, func(_ int, v []byte) bool { got = append(got, string(v)); return true })
		if fmt.Sprint(got) != "[y ccc dddd]" {
			t.Errorf("%s: list %q", form.name, got)
		}
	}
}

// The CPU cost of the packed form against the ring on the operations of a
// 100-element list of 10-byte elements (the memory bench's lists):
//
//	go test -run '^$' -bench 'ListSmall' ./engine
func BenchmarkListSmall(b *testing.B) {
	for _, form := range listForms {
		fill := func() *List {
			l := form.make()
			for i := range 100 {
				l.PushBack([]byte(fmt.Sprintf("element:%02d", i)))
			}
			return l
		}
		v := []byte("element:xx")
		b.Run(form.name+"/push-pop", func(b *testing.B) {
			l := fill()
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 {
					l.PushFront(v)
					l.PopBack()
				} else {
					l.PushBack(v)
					l.PopFront()
				}
			}
		})
		b.Run(form.name+"/index-middle", func(b *testing.B) {
			l := fill()
			for b.Loop() {
				_ = l.Index(50)
			}
		})
		b.Run(form.name+"/range-all", func(b *testing.B) {
			l := fill()
			n := 0
			for b.Loop() {
				l.Range(0, 99, func(_ int, v []byte) bool { n += len(v); return true })
			}
		})
		b.Run(form.name+"/build", func(b *testing.B) {
			for b.Loop() {
				fill()
			}
		})
	}
}

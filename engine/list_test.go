package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listModel checks l against the plain slice it should hold.
func listModel(t *testing.T, step string, l *List, want [][]byte) {
	t.Helper()
	if l.Len() != len(want) {
		t.Fatalf("%s: Len %d, want %d", step, l.Len(), len(want))
	}
	var size int64
	for i, w := range want {
		size += int64(len(w))
		if got := l.Index(i); !bytes.Equal(got, w) {
			t.Fatalf("%s: Index(%d) = %q, want %q", step, i, got, w)
		}
	}
	if l.Size() != size || l.ComputeSize() != size {
		t.Fatalf("%s: Size %d, ComputeSize %d, want %d", step, l.Size(), l.ComputeSize(), size)
	}
	if len(want) > 0 {
		a, b := l.Segments(0, len(want)-1)
		if got := append(slices.Clone(a), b...); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("%s: Segments = %q, want %q", step, got, want)
		}
	}
}

// listForms are the two forms every list test runs on: packed (as a new
// list starts) and the ring (as a list is once it outgrew the packing).
var listForms = []struct {
	name string
	make func() *List
}{
	{"packed", NewList},
	{"ring", func() *List { l := NewList(); l.unpack(); return l }},
}

// Random operations against a slice model, with a tiny ring so wrapping,
// growing and shrinking all happen often. A packed list also meets the
// occasional element too long to stay packed, and grows past
// ListPackEntries, so it converts in the middle of the run.
func TestListMatchesModel(t *testing.T) {
	for _, form := range listForms {
		t.Run(form.name, func(t *testing.T) { listMatchesModel(t, form.make) })
	}
}

func listMatchesModel(t *testing.T, newList func() *List) {
	rng := rand.New(rand.NewPCG(3, 5))
	long := bytes.Repeat([]byte("L"), ListPackValue+1)
	converted := 0
	for round := 0; round < 40; round++ {
		l := newList()
		var model [][]byte
		val := func() []byte {
			if rng.IntN(400) == 0 {
				return long
			}
			if round%4 == 1 {
				return bytes.Repeat([]byte{byte('a' + rng.IntN(3))}, rng.IntN(ListPackValue+1))
			}
			return []byte(fmt.Sprintf("v%d", rng.IntN(6))[:1+rng.IntN(2)])
		}
		if round%2 == 1 { // grow past the packing
			for range ListPackEntries - 3 + rng.IntN(6) {
				v := val()
				l.PushBack(v)
				model = append(model, v)
			}
		}
		for step := 0; step < 600; step++ {
			op := rng.IntN(11)
			if len(model) == 0 && op >= 2 {
				op = rng.IntN(2)
			}
			var desc string
			switch op {
			case 0:
				v := val()
				l.PushFront(v)
				model = slices.Insert(model, 0, v)
				desc = fmt.Sprintf("PushFront %q", v)
			case 1:
				v := val()
				l.PushBack(v)
				model = append(model, v)
				desc = fmt.Sprintf("PushBack %q", v)
			case 2:
				got := l.PopFront()
				if !bytes.Equal(got, model[0]) {
					t.Fatalf("PopFront = %q, want %q", got, model[0])
				}
				model = model[1:]
				desc = "PopFront"
			case 3:
				got := l.PopBack()
				if !bytes.Equal(got, model[len(model)-1]) {
					t.Fatalf("PopBack = %q, want %q", got, model[len(model)-1])
				}
				model = model[:len(model)-1]
				desc = "PopBack"
			case 4:
				i, v := rng.IntN(len(model)), val()
				l.Set(i, v)
				model[i] = v
				desc = fmt.Sprintf("Set %d %q", i, v)
			case 5:
				i, v := rng.IntN(len(model)+1), val()
				l.Insert(i, v)
				model = slices.Insert(model, i, v)
				desc = fmt.Sprintf("Insert %d %q", i, v)
			case 6:
				v, limit, tail := val(), rng.IntN(3), rng.IntN(2) == 1
				got := l.Remove(v, limit, tail)
				want := 0
				if tail {
					for i := len(model) - 1; i >= 0 && (limit == 0 || want < limit); i-- {
						if bytes.Equal(model[i], v) {
							model = slices.Delete(model, i, i+1)
							want++
						}
					}
				} else {
					for i := 0; i < len(model) && (limit == 0 || want < limit); {
						if bytes.Equal(model[i], v) {
							model = slices.Delete(model, i, i+1)
							want++
						} else {
							i++
						}
					}
				}
				if got != want {
					t.Fatalf("Remove %q %d %v = %d, want %d", v, limit, tail, got, want)
				}
				desc = fmt.Sprintf("Remove %q %d %v", v, limit, tail)
			case 7:
				start := rng.IntN(len(model))
				stop := start + rng.IntN(len(model)-start)
				if rng.IntN(4) != 0 { // mostly trim a little, so lists stay long
					start, stop = min(start, 1), max(stop, len(model)-2)
				}
				l.Trim(start, stop)
				model = model[start : stop+1]
				desc = fmt.Sprintf("Trim %d %d", start, stop)
			case 8:
				v := val()
				want := slices.IndexFunc(model, func(e []byte) bool { return bytes.Equal(e, v) })
				if got := l.Find(v); got != want {
					t.Fatalf("Find %q = %d, want %d", v, got, want)
				}
				desc = "Find"
			case 10:
				vals, front := make([][]byte, rng.IntN(6)), rng.IntN(2) == 0
				for i := range vals {
					vals[i] = val()
				}
				if rng.IntN(8) == 0 { // enough to pass ListPackEntries
					for range ListPackEntries {
						vals = append(vals, val())
					}
				}
				l.PushAll(vals, front)
				for _, v := range vals {
					if front {
						model = slices.Insert(model, 0, v)
					} else {
						model = append(model, v)
					}
				}
				desc = fmt.Sprintf("PushAll of %d, front %v", len(vals), front)
			case 9:
				c := l.Clone().(*List)
				listModel(t, "clone", c, model)
				if c.Len() > 0 {
					c.Set(0, []byte("changed"))
					c.PopBack()
				}
				desc = "Clone"
			}
			listModel(t, desc, l, model)
			if l.Packed() && (len(model) > ListPackEntries || slices.ContainsFunc(model, func(e []byte) bool { return len(e) > ListPackValue })) {
				t.Fatalf("%s: still packed with %d elements", desc, len(model))
			}
		}
		if !l.Packed() {
			converted++
		}
	}
	if converted == 0 {
		t.Errorf("no list left the packed form")
	}
}

// Stored elements are copies; returned ones stay valid until the list changes.
func TestListCopiesInput(t *testing.T) {
	for _, form := range listForms {
		t.Run(form.name, func(t *testing.T) {
			l := form.make()
			l.PushBack([]byte("abc"))
			l.PushBack([]byte("x"))
			listCopiesInput(t, l)
		})
	}
	listCopiesInput(t, NewListOf([][]byte{[]byte("abc"), []byte("x")}))
}

func listCopiesInput(t *testing.T, l *List) {
	v := []byte("abc")
	l.PushBack(v)
	l.Insert(1, v)
	l.Set(3, v)
	v[0] = 'Z'
	listModel(t, "after changing the input", l, [][]byte{[]byte("abc"), []byte("abc"), []byte("x"), []byte("abc")})
	if l.Encoding() != "quicklist" {
		t.Errorf("Encoding = %q, want quicklist (Redis 7.0)", l.Encoding())
	}
}

// A list that grew big and was popped down gives its ring back.
func TestListShrinks(t *testing.T) {
	l := NewList()
	for i := 0; i < 1<<16; i++ {
		l.PushBack([]byte("x"))
	}
	big := len(l.ring)
	for l.Len() > 3 {
		l.PopFront()
	}
	if len(l.ring) >= big/1000 {
		t.Errorf("ring of %d slots for 3 elements (was %d)", len(l.ring), big)
	}
	listModel(t, "popped", l, [][]byte{[]byte("x"), []byte("x"), []byte("x")})
}

package engine

import (
	"slices"
	"strconv"
	"testing"
)

// A pinned list is never changed: the first writer to reach its key gets
// a copy sharing the elements, later writers that copy, and the reader's
// list keeps the elements it had at the pin. An unpinned list costs a
// writer nothing: no copy, no allocation.
func TestListPinCopyOnWrite(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("")
	key := []byte("L")
	var want [][]byte
	tx := e.NewTx()
	tx.Begin(ns, [][]byte{key}, true)
	l := NewList()
	for i := range 3000 {
		v := []byte("e" + strconv.Itoa(i))
		want = append(want, v)
		l.PushBack(v)
	}
	tx.Put(key, NewObject(KindList, l))
	tx.End()

	get := func() *List {
		tx.Begin(ns, [][]byte{key}, true)
		defer tx.End()
		return tx.Get(key).Obj().(*List)
	}
	if allocs := testing.AllocsPerRun(100, func() { get() }); allocs != 0 {
		t.Errorf("a writer reaching an unpinned list allocates %v times, want 0", allocs)
	}
	if get() != l {
		t.Fatal("an unpinned list was copied")
	}

	tx.Begin(ns, [][]byte{key}, false)
	r := tx.Get(key).Obj().(*List)
	r.Pin()
	tx.End()

	tx.Begin(ns, [][]byte{key}, true)
	en := tx.Get(key)
	w := en.Obj().(*List)
	if w == r {
		t.Fatal("a writer was handed the pinned list")
	}
	w.PopFront()
	w.PushBack([]byte("new"))
	w.Set(5, []byte("changed"))
	w.Trim(0, 99)
	tx.Updated(key, en)
	tx.End()
	if w2 := get(); w2 != w {
		t.Error("a second writer copied again: only the pinned list is copied")
	}

	var got [][]byte
	r.Range(0, r.Len()-1, func(_ int, v []byte) bool { got = append(got, v); return true })
	if !slices.EqualFunc(got, want, slices.Equal[[]byte]) {
		t.Errorf("the pinned list changed: %d elements, first %q", len(got), got[0])
	}
	r.Unpin()
	if r.Pinned() {
		t.Error("still pinned after Unpin")
	}
	if w.Len() != 100 || string(w.Index(5)) != "changed" {
		t.Errorf("the writer's copy: %d elements, [5] = %q", w.Len(), w.Index(5))
	}
}

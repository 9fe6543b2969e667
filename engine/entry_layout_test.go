package engine

import (
	"fmt"
	"runtime"
	"testing"
)

// An object entry keeps one pointer: Obj rebuilds the interface from Kind,
// so every kind must come back as the very object stored, and a value of
// another type (a test's stand-in) as itself.
func TestEntryObjectRoundTrip(t *testing.T) {
	objs := []struct {
		kind Kind
		o    Object
	}{
		{KindList, NewList()}, {KindSet, NewSet()}, {KindZSet, NewZSet(0, 0)},
		{KindHash, NewHash()}, {KindStream, NewStream()}, {KindQueue, NewQueue(QueueConfig{})},
		{KindHash, &engineFake{7}}, // boxed: keeps the Kind it was given
	}
	for _, c := range objs {
		en := NewObject(c.kind, c.o)
		if en.Obj() != c.o || en.Kind != c.kind || en.Str() != nil {
			t.Fatalf("%T: Obj %v Kind %v Str %v", c.o, en.Obj(), en.Kind, en.Str())
		}
		// An overwrite in place carries the value and its form.
		dst := NewString([]byte("abc"))
		dst.setValue(en)
		if dst.Obj() != c.o || dst.Kind != c.kind || dst.Str() != nil {
			t.Fatalf("%T after setValue: Obj %v Kind %v", c.o, dst.Obj(), dst.Kind)
		}
		// And back to a string: no object is left behind.
		dst.setStr([]byte("xy"))
		dst.Kind = KindString
		if dst.Obj() != nil || string(dst.Str()) != "xy" || dst.valueSize() != 2 {
			t.Fatalf("%T then a string: Obj %v Str %q", c.o, dst.Obj(), dst.Str())
		}
	}
	// SetObj names the kind of a known type whatever the entry said before.
	en := NewString([]byte("v"))
	en.SetObj(NewList())
	if en.Kind != KindList {
		t.Fatalf("SetObj(*List) left Kind %v", en.Kind)
	}
}

// The successor of a chained key lives in the shard's map: it must hold
// exactly the chained entries, and nothing once they are gone (a removed
// key must not stay reachable from it).
func TestEntryChainsMapHoldsOnlyChains(t *testing.T) {
	e := engineNew(t, 4)
	e.hashFn = func(k []byte) uint32 { return uint32(k[len(k)-1]%8) << 29 }
	a := e.Namespace("a")
	check := func(when string) {
		t.Helper()
		for i := range e.shards {
			sh := &e.shards[i]
			flagged := 0
			sh.items.Ascend(0, func(id uint64) bool {
				for en := sh.index.get(id); en != nil; en = sh.next(en) {
					if en.flags&fChained != 0 {
						flagged++
						if sh.chains[en] == nil {
							t.Fatalf("%s: %q flagged chained without a successor", when, en.keyString())
						}
					}
				}
				return true
			})
			if flagged != len(sh.chains) {
				t.Fatalf("%s: shard %d: %d chained entries, %d in the map", when, i, flagged, len(sh.chains))
			}
		}
	}
	engineWrite(e, a, func(tx *Tx) {
		for i := range 200 {
			tx.Put(fmt.Appendf(nil, "k%d", i), NewString([]byte("v")))
		}
	})
	check("after 200 puts")
	engineWrite(e, a, func(tx *Tx) {
		for i := 0; i < 200; i += 3 {
			tx.Delete(fmt.Appendf(nil, "k%d", i))
		}
	})
	check("after deleting a third")
	engineWrite(e, a, func(tx *Tx) { tx.Flush() })
	check("after FLUSH")
	for i := range e.shards {
		if n := len(e.shards[i].chains); n != 0 {
			t.Fatalf("shard %d keeps %d chain links after FLUSH", i, n)
		}
	}
}

// Creating a namespace appends to the list readers hold instead of copying
// it: 20,000 namespaces allocate a few hundred bytes each, not the list's
// 80-160 KB, and a list taken earlier still reads as it did.
func TestNamespaceCreationIsLinear(t *testing.T) {
	e := engineNew(t, 4)
	early := e.Namespaces()
	first := e.Namespace("first")
	held := e.Namespaces()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 20000
	for i := range n {
		e.Namespace(fmt.Sprint("t", i))
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 1024 {
		t.Fatalf("%d bytes allocated a namespace", per)
	}
	if len(early) != 0 || len(held) != 1 || held[0] != first {
		t.Fatalf("lists taken earlier changed: %d, %d", len(early), len(held))
	}
	all := e.Namespaces()
	if len(all) != n+1 || all[0] != first || all[n].Name != fmt.Sprint("t", n-1) || all[n].ID != n {
		t.Fatalf("%d namespaces, last %q id %d", len(all), all[len(all)-1].Name, all[len(all)-1].ID)
	}
}

// Readers walk the list while namespaces are created (run with -race: the
// element past a reader's length is the only one written).
func TestNamespaceListReadWhileCreated(t *testing.T) {
	e := engineNew(t, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3000 {
			e.Namespace(fmt.Sprint("w", i))
		}
	}()
	for {
		select {
		case <-done:
			if n := len(e.Namespaces()); n != 3000 {
				t.Fatalf("%d namespaces", n)
			}
			return
		default:
		}
		for i, ns := range e.Namespaces() {
			if ns == nil || ns.ID != uint32(i) {
				t.Fatalf("namespace %d: %v", i, ns)
			}
		}
	}
}

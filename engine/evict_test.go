package engine

import (
	"fmt"
	"testing"
	"unsafe"
)

// The LFU counter and its decay time live in the lru word every entry
// already has: eviction adds nothing per key. 48 bytes on 64-bit targets
// (88 when the policies came; the value's union and the narrowed key and
// size came since, then the value's single pointer and the chain beside
// the shard; 32 since the key's place, the capacity and a string's size
// are derived).
func TestEvictEntryDoesNotGrow(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 && unsafe.Sizeof(Entry{}) != 32 {
		t.Fatalf("Entry is %d bytes, was 32", unsafe.Sizeof(Entry{}))
	}
}

// The counter grows logarithmically (Redis's table at factor 10: about 18
// after a thousand accesses, 255 only near a million) and decays one per
// lfu-decay-time minutes.
func TestEvictLFUCounterCurve(t *testing.T) {
	e := New(1)
	defer e.Close()
	e.SetTracking(true)
	ns := e.Namespace("")
	tx := e.NewTx()
	tx.Begin(ns, [][]byte{[]byte("k")}, true)
	en := tx.Put([]byte("k"), NewString([]byte("v")))
	tx.End()
	if f := e.Freq(en); f != lfuInitVal {
		t.Fatalf("new key's counter %d", f)
	}
	for range 1000 {
		e.touchLFU(en)
	}
	if f := e.Freq(en); f < 12 || f > 26 {
		t.Fatalf("counter %d after 1000 accesses, want about 18", f)
	}
	f := e.Freq(en)
	e.SkewClock(5 * 60)
	if g := e.Freq(en); g != f-5 {
		t.Fatalf("counter %d after 5 minutes, want %d", g, f-5)
	}
	e.SkewClock(60 * 60)
	if g := e.Freq(en); g != 0 {
		t.Fatalf("counter %d after an hour, want 0", g)
	}
}

// Evict takes keys only from the namespaces it is given, and says so when
// they hold nothing the policy may take.
func TestEvictOnlyGivenNamespaces(t *testing.T) {
	e := New(16)
	defer e.Close()
	a, b := e.Namespace("a"), e.Namespace("b")
	tx := e.NewTx()
	for _, ns := range []*Namespace{a, b} {
		for i := range 100 {
			k := []byte(fmt.Sprintf("k%d", i))
			tx.Begin(ns, [][]byte{k}, true)
			tx.Put(k, NewString([]byte("v")))
			tx.End()
		}
	}
	for _, p := range []Policy{AllKeysLRU, AllKeysLFU, AllKeysRandom} {
		for i := 0; ; i++ {
			if _, ok := e.Evict([]*Namespace{a}, p, 5); !ok {
				break
			}
			if i > 100 {
				t.Fatalf("%s evicted more keys than a holds", p)
			}
		}
		if a.Keys() != 0 || a.Bytes() != 0 {
			t.Fatalf("%s left %d keys, %d bytes in a", p, a.Keys(), a.Bytes())
		}
		if b.Keys() != 100 || b.Evicted() != 0 {
			t.Fatalf("%s: b has %d keys, %d evicted", p, b.Keys(), b.Evicted())
		}
		for i := range 100 {
			k := []byte(fmt.Sprintf("k%d", i))
			tx.Begin(a, [][]byte{k}, true)
			tx.Put(k, NewString([]byte("v")))
			tx.End()
		}
	}
	// No keys with a TTL: the volatile policies have nothing to take.
	for _, p := range []Policy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL, NoEviction} {
		if _, ok := e.Evict([]*Namespace{a}, p, 5); ok {
			t.Fatalf("%s evicted a key without TTL", p)
		}
	}
	if e.EvictedKeys() != 300 || a.Evicted() != 300 {
		t.Fatalf("evicted %d (a: %d), want 300", e.EvictedKeys(), a.Evicted())
	}
}

// A namespace whose few TTL keys are rare among its keys still finds
// them (through the deadline trees) for the volatile policies.
func TestEvictRareVolatileKeys(t *testing.T) {
	e := New(16)
	defer e.Close()
	ns := e.Namespace("")
	tx := e.NewTx()
	for i := range 5000 {
		k := []byte(fmt.Sprintf("k%d", i))
		tx.Begin(ns, [][]byte{k}, true)
		at := int64(0)
		if i%1000 == 0 {
			at = tx.Now + 100000
		}
		tx.PutExpire(k, NewString([]byte("v")), at)
		tx.End()
	}
	for i := range 5 {
		if _, ok := e.Evict([]*Namespace{ns}, VolatileTTL, 5); !ok {
			t.Fatalf("eviction %d found no TTL key", i)
		}
	}
	if ns.Expires() != 0 || ns.Keys() != 4995 {
		t.Fatalf("%d TTL keys, %d keys left", ns.Expires(), ns.Keys())
	}
}

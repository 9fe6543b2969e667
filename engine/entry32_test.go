package engine

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// The capacity code stands for at most the capacity and at least eight
// ninths of it, exactly up to 15, and fits a byte up to 4 GB.
func TestEntryCapCode(t *testing.T) {
	check := func(c uint64) {
		t.Helper()
		code := capCode(c)
		d := capDecode(code)
		if d > c || (c < 16 && d != c) || (c >= 16 && d*9 < c*8) {
			t.Fatalf("capacity %d: code %d stands for %d", c, code, d)
		}
		if c > 0 && capCode(c-1) > code {
			t.Fatalf("capacity %d: code %d below %d's", c, code, capCode(c-1))
		}
	}
	for c := uint64(0); c < 1<<16; c++ {
		check(c)
	}
	for s := 16; s <= 32; s++ {
		for d := -3; d <= 3; d++ {
			if c := int64(1)<<s + int64(d); c <= math.MaxUint32 {
				check(uint64(c))
			}
		}
	}
	if code := capCode(math.MaxUint32); code < 16 || capDecode(code) > math.MaxUint32 {
		t.Fatalf("4 GB: code %d stands for %d", code, capDecode(code))
	}
}

// Every key length and value form round-trips: keys inline up to the
// largest class (224 bytes) and behind a pointer past it, values inline
// or in a buffer of their own, objects; the accounted bytes are the same
// whichever way the entry was stored, and survive a rename to a key of
// another form with its TTL.
func TestEntryKeyAndValueForms(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("forms")
	keyLens := []int{3, 4, 12, 200, 224, 225, 300, 5000} // with a 3-byte tag
	valLens := []int{0, 1, 16, 200, 300, 100 << 10}
	key := func(n int, tag string) []byte { return []byte(tag + strings.Repeat("k", n-len(tag))) }
	var want engineCounts
	for _, kl := range keyLens {
		for vi, vl := range valLens {
			val := bytes.Repeat([]byte{byte('a' + vi)}, vl)
			k1, k2, k3 := key(kl, fmt.Sprintf("s%d.", vi)), key(kl, fmt.Sprintf("p%d.", vi)), key(kl, fmt.Sprintf("o%d.", vi))
			engineWrite(e, ns, func(tx *Tx) {
				a := tx.SetString(k1, val, 0)
				b := tx.Put(k2, NewString(val))
				l := NewList()
				l.PushAll([][]byte{val}, false)
				c := tx.Put(k3, NewObject(KindList, l))
				for _, x := range []struct {
					en  *Entry
					key []byte
				}{{a, k1}, {b, k2}, {c, k3}} {
					if x.en.keyString() != string(x.key) || x.en.flags&fKeyed == 0 {
						t.Fatalf("key of %d bytes stored as %d bytes (flags %b)", len(x.key), len(x.en.keyString()), x.en.flags)
					}
					if tx.Peek(x.key) != x.en {
						t.Fatalf("key of %d bytes: Put's entry is not the stored one", len(x.key))
					}
				}
				if !bytes.Equal(a.Str(), val) || !bytes.Equal(b.Str(), val) || c.Obj() != Object(l) {
					t.Fatalf("key %d value %d: values differ", kl, vl)
				}
				if a.size() != b.size() || a.size() != int64(len(k1))+KeyCharge+int64(vl) {
					t.Fatalf("key %d value %d: accounted %d and %d", kl, vl, a.size(), b.size())
				}
			})
			want.keys += 3
			want.bytes += 2*(int64(len(k1))+KeyCharge+int64(vl)) + int64(len(k3)) + KeyCharge + ListPackedCharge + int64(vl) + ListPackedElemCharge
			if vl > 64 {
				want.bytes += ListCharge + ListElemCharge - ListPackedCharge - ListPackedElemCharge
			}
		}
	}
	// The empty key.
	engineWrite(e, ns, func(tx *Tx) {
		if en := tx.SetString(nil, []byte("empty"), 0); en.keyString() != "" || string(tx.Peek(nil).Str()) != "empty" {
			t.Fatal("the empty key")
		}
	})
	want.keys++
	want.bytes += KeyCharge + 5
	engineWant(t, e, ns, want)
	// Renamed, as RENAME does, to keys of every other form, with a TTL.
	engineWrite(e, ns, func(tx *Tx) {
		for i, kl := range keyLens {
			for vi := range valLens {
				src := key(kl, fmt.Sprintf("s%d.", vi))
				dst := key(keyLens[len(keyLens)-1-i], fmt.Sprintf("r%d.", vi))
				en := tx.Peek(src)
				val := string(en.Str())
				tx.Delete(src)
				st := tx.PutExpire(dst, en, tx.Now+100000)
				if st.keyString() != string(dst) || string(st.Str()) != val || st.ExpireAt() == 0 {
					t.Fatalf("renamed %d -> %d bytes: key %d bytes, value %d", len(src), len(dst), len(st.keyString()), len(st.Str()))
				}
				want.bytes += int64(len(dst)-len(src)) + TTLCharge
				want.expires++
			}
		}
	})
	engineWant(t, e, ns, want)
}

// A tenant toggling a TTL on a big key (EXPIRE, PERSIST in a loop) changes
// the entry in place: nothing is copied, the key keeps its entry and its
// value's buffer, and the quota sees exactly the TTL's charge come and go.
func TestEntryTTLToggleCopiesNothing(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("ttl")
	k := []byte("big")
	var en *Entry
	engineWrite(e, ns, func(tx *Tx) { en = tx.SetString(k, make([]byte, 1<<20), 0) })
	p := unsafe.SliceData(en.Str())
	base := ns.Bytes()
	for i := range 200 {
		engineWrite(e, ns, func(tx *Tx) {
			tx.SetExpire(k, tx.Get(k), tx.Now+int64(100000+i))
			if got := ns.Bytes(); got != base+TTLCharge {
				t.Fatalf("with a TTL: %d bytes accounted, want %d", got, base+TTLCharge)
			}
			tx.SetExpire(k, tx.Get(k), 0)
		})
		if got := ns.Bytes(); got != base {
			t.Fatalf("without: %d bytes accounted, want %d", got, base)
		}
	}
	engineRead(e, ns, func(tx *Tx) {
		if got := tx.Peek(k); got != en || unsafe.SliceData(got.Str()) != p {
			t.Fatal("a TTL toggle moved the entry or its value")
		}
	})
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range 100 {
		engineWrite(e, ns, func(tx *Tx) {
			tx.SetExpire(k, tx.Get(k), tx.Now+100000)
			tx.SetExpire(k, tx.Get(k), 0)
		})
	}
	runtime.ReadMemStats(&m1)
	if per := (m1.TotalAlloc - m0.TotalAlloc) / 100; per > 4<<10 {
		t.Errorf("a TTL toggle of a 1 MB value allocates %d bytes", per)
	}
	engineWant(t, e, ns, engineCounts{1, base, 0})
}

// APPEND's growth stays geometric although the capacity is kept as a
// code: a value grown a byte at a time is copied a bounded number of times.
func TestEntryAppendGrowthAmortised(t *testing.T) {
	e := engineNew(t, 1)
	ns := e.Namespace("append")
	k := []byte("grow")
	const n = 1 << 18
	moves, copied := 0, 0
	engineWrite(e, ns, func(tx *Tx) {
		en := tx.SetString(k, nil, 0)
		for i := range n {
			b := en.Str()
			p := unsafe.SliceData(b)
			tx.SetStr(en, append(b, byte(i)))
			if unsafe.SliceData(en.Str()) != p {
				moves++
				copied += i
			}
		}
		if len(en.Str()) != n {
			t.Fatalf("length %d", len(en.Str()))
		}
	})
	if moves > 80 || copied > 8*n {
		t.Errorf("%d appends moved the value %d times, copying %d bytes", n, moves, copied)
	}
	engineWant(t, e, ns, engineCounts{1, int64(len(k)) + KeyCharge + n, 0})
}

// A handler that keeps the entry it handed to Put and reports a change
// through it (Updated) has the stored entry re-accounted.
func TestEntryUpdatedThroughPutArgument(t *testing.T) {
	e := engineNew(t, 1)
	ns := e.Namespace("stale")
	k := []byte("l")
	engineWrite(e, ns, func(tx *Tx) {
		l := NewList()
		en := NewObject(KindList, l)
		l.PushAll([][]byte{[]byte("a")}, false)
		tx.Put(k, en)
		l.PushAll([][]byte{[]byte("b")}, false)
		tx.Updated(k, en)
	})
	engineWant(t, e, ns, engineCounts{1, 1 + KeyCharge + ListPackedCharge + 2 + 2*ListPackedElemCharge, 0})
}

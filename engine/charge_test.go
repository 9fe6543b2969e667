package engine

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// liveHeap is the heap in use after a full collection: what stored data
// really holds, without garbage.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// chargeMember is a distinct member of exactly n bytes (at least 6).
func chargeMember(i, n int) []byte {
	s := fmt.Sprintf("m%0*d", max(n-1, 5), i)
	return []byte(s[:max(n, 6)])
}

// The charges are measured, not guessed: each structure is filled to the
// worst moment of its growth (2^k+1 elements, just after a ring, slice or
// table doubled) and the live heap it holds per element must not exceed
// what it accounts per element. The content lengths cover the small
// values the charges are documented for (up to 128 bytes).
func TestChargesCoverHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a few hundred MB of heap")
	}
	const n = 1<<13 + 1
	e := engineNew(t, 256)
	for _, l := range []int{0, 1, 7, 8, 16, 17, 33, 49, 100, 128} {
		ml := max(l, 6) // set, hash and zset members must be distinct
		cases := []struct {
			name  string
			build func(tx *Tx, key []byte)
		}{
			{"list", func(tx *Tx, key []byte) {
				li := NewList()
				for i := range n {
					li.PushBack(chargeMember(i, l)[:l])
				}
				tx.Put(key, NewObject(KindList, li))
			}},
			{"set", func(tx *Tx, key []byte) {
				s := NewSet()
				for i := range n {
					s.Add(chargeMember(i, ml))
				}
				tx.Put(key, NewObject(KindSet, s))
			}},
			{"hash", func(tx *Tx, key []byte) {
				h := NewHash()
				for i := range n {
					h.Set(chargeMember(i, ml), chargeMember(i, l)[:l])
				}
				tx.Put(key, NewObject(KindHash, h))
			}},
			{"zset", func(tx *Tx, key []byte) {
				z := NewZSet(0, 0)
				for i := range n {
					z.Set(chargeMember(i, ml), float64(i%100))
				}
				tx.Put(key, NewObject(KindZSet, z))
			}},
			{"stream entries", func(tx *Tx, key []byte) {
				s := NewStream()
				for i := range n {
					s.Add(StreamID{Ms: uint64(i + 1)}, [][]byte{chargeMember(i, ml), chargeMember(i, l)[:l]})
				}
				tx.Put(key, NewObject(KindStream, s))
			}},
			{"stream entries of 3 pairs", func(tx *Tx, key []byte) {
				s := NewStream()
				for i := range n {
					v := chargeMember(i, l)[:l]
					s.Add(StreamID{Ms: uint64(i + 1)}, [][]byte{[]byte("a"), v, []byte("b"), v, []byte("c"), v})
				}
				tx.Put(key, NewObject(KindStream, s))
			}},
			{"stream pending entries", func(tx *Tx, key []byte) {
				s := NewStream()
				g := s.CreateGroup("g", StreamID{}, 0)
				c := s.CreateConsumer(g, "c", 0)
				for i := range n {
					s.Add(StreamID{Ms: uint64(i + 1)}, [][]byte{nil, chargeMember(i, l)[:l]})
					s.AddPending(g, c, StreamID{Ms: uint64(i + 1)}, 0, 1)
				}
				tx.Put(key, NewObject(KindStream, s))
			}},
			{"stream consumers", func(tx *Tx, key []byte) {
				s := NewStream()
				g := s.CreateGroup("g", StreamID{}, 0)
				for i := range n {
					s.CreateConsumer(g, string(chargeMember(i, ml)), 0)
				}
				tx.Put(key, NewObject(KindStream, s))
			}},
			{"stream groups", func(tx *Tx, key []byte) {
				s := NewStream()
				for i := range n {
					s.CreateGroup(string(chargeMember(i, ml)), StreamID{}, 0)
				}
				tx.Put(key, NewObject(KindStream, s))
			}},
			{"one-entry streams", func(tx *Tx, _ []byte) {
				for i := range n {
					s := NewStream()
					s.Add(StreamID{Ms: 1}, [][]byte{[]byte("f"), chargeMember(i, l)[:l]})
					tx.Put(chargeMember(i, ml), NewObject(KindStream, s))
				}
			}},
			{"string keys", func(tx *Tx, _ []byte) {
				for i := range n {
					tx.SetString(chargeMember(i, ml), chargeMember(i, l)[:l], 0)
				}
			}},
			{"string keys with a TTL", func(tx *Tx, _ []byte) {
				for i := range n {
					tx.SetString(chargeMember(i, ml), chargeMember(i, l)[:l], tx.Now+3600_000)
				}
			}},
			// One element per key: the key's charge covers the object
			// around the element too.
			{"one-element lists", func(tx *Tx, _ []byte) {
				for i := range n {
					li := NewList()
					li.PushBack(chargeMember(i, l)[:l])
					tx.Put(chargeMember(i, ml), NewObject(KindList, li))
				}
			}},
			{"one-member sets", func(tx *Tx, _ []byte) {
				for i := range n {
					s := NewSet()
					s.Add(chargeMember(i, ml))
					tx.Put(chargeMember(i, ml), NewObject(KindSet, s))
				}
			}},
			{"one-field hashes", func(tx *Tx, _ []byte) {
				for i := range n {
					h := NewHash()
					h.Set(chargeMember(i, ml), chargeMember(i, l)[:l])
					tx.Put(chargeMember(i, ml), NewObject(KindHash, h))
				}
			}},
			{"one-member zsets", func(tx *Tx, _ []byte) {
				for i := range n {
					z := NewZSet(0, 0)
					z.Set(chargeMember(i, ml), 1)
					tx.Put(chargeMember(i, ml), NewObject(KindZSet, z))
				}
			}},
		}
		for _, tc := range cases {
			ns := e.Namespace(fmt.Sprintf("%s/%d", tc.name, l))
			before := liveHeap()
			engineWrite(e, ns, func(tx *Tx) { tc.build(tx, []byte("k")) })
			heap := liveHeap() - before
			if heap > ns.Bytes() {
				t.Errorf("%s, content of %d bytes: %d bytes of heap (%.1f per element), %d accounted (%.1f)",
					tc.name, l, heap, float64(heap)/n, ns.Bytes(), float64(ns.Bytes())/n)
			}
			t.Logf("%-24s %3d bytes: heap %6.1f, accounted %6.1f per element", tc.name, l, float64(heap)/n, float64(ns.Bytes())/n)
			engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
		}
	}
}

// Each type accounts its key's bytes and charge, its content, and a charge
// per element, exactly, as it is built, changed and emptied.
func TestChargesAccountEachType(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("t")
	want := func(step string, bytes int64) {
		t.Helper()
		if got := ns.Bytes(); got != bytes {
			t.Errorf("%s: %d bytes accounted, want %d", step, got, bytes)
		}
	}
	engineWrite(e, ns, func(tx *Tx) {
		tx.SetString([]byte("str"), []byte("hello"), 0)
		want("string", KeyCharge+3+5)
		tx.SetString([]byte("str"), []byte("hi"), tx.Now+1000)
		want("string with a TTL", KeyCharge+TTLCharge+3+2)
		tx.Delete([]byte("str"))
		want("deleted", 0)

		li := NewListOf([][]byte{[]byte(""), []byte("ab"), []byte("")})
		en := tx.Put([]byte("l"), NewObject(KindList, li))
		want("packed list of 3", KeyCharge+ListPackedCharge+1+2+3*ListPackedElemCharge)
		li.PushBack(nil)
		tx.Updated([]byte("l"), en)
		want("packed list of 4", KeyCharge+ListPackedCharge+1+2+4*ListPackedElemCharge)
		longElem := strings.Repeat("l", ListPackValue+1)
		li.PushBack([]byte(longElem))
		tx.Updated([]byte("l"), en)
		want("list of 5 past the packing", KeyCharge+ListCharge+1+2+int64(len(longElem))+5*ListElemCharge)
		li.PopBack()
		tx.Updated([]byte("l"), en)
		want("list of 4 once unpacked", KeyCharge+ListCharge+1+2+4*ListElemCharge)
		tx.Delete([]byte("l"))

		s := NewSet()
		s.Add([]byte("1234567"))
		en = tx.Put([]byte("s"), NewObject(KindSet, s))
		want("intset of 1 (charged as a table)", KeyCharge+SetCharge+1+7+SetMemberCharge)
		s.Add([]byte("x"))
		tx.Updated([]byte("s"), en)
		want("packed set of 2", KeyCharge+SetPackedCharge+1+8+2*SetPackedMemberCharge)
		s.Remove([]byte("x"))
		tx.Updated([]byte("s"), en)
		want("packed set of 1", KeyCharge+SetPackedCharge+1+7+SetPackedMemberCharge)
		longMember := strings.Repeat("l", SetPackValue+1)
		s.Add([]byte(longMember))
		tx.Updated([]byte("s"), en)
		want("set of 2 past the packing", KeyCharge+SetCharge+1+7+int64(len(longMember))+2*SetMemberCharge)
		s.Remove([]byte(longMember))
		tx.Updated([]byte("s"), en)
		want("set of 1 once unpacked", KeyCharge+SetCharge+1+7+SetMemberCharge)
		tx.Delete([]byte("s"))

		h := NewHash()
		h.Set([]byte("f"), []byte("vv"))
		h.Set([]byte("g"), nil)
		en = tx.Put([]byte("h"), NewObject(KindHash, h))
		want("packed hash of 2", KeyCharge+HashPackedCharge+1+4+2*HashPackedFieldCharge)
		h.Delete([]byte("f"))
		tx.Updated([]byte("h"), en)
		want("packed hash of 1", KeyCharge+HashPackedCharge+1+1+HashPackedFieldCharge)
		for i := range hashPackMax {
			h.Set([]byte(fmt.Sprintf("f%02d", i)), []byte("v"))
		}
		tx.Updated([]byte("h"), en)
		want("hash of 33", KeyCharge+HashCharge+1+1+hashPackMax*4+(hashPackMax+1)*HashFieldCharge)
		tx.Delete([]byte("h"))

		z := NewZSet(0, 0)
		z.Set([]byte("a"), 1)
		z.Set([]byte("bc"), 2)
		en = tx.Put([]byte("z"), NewObject(KindZSet, z))
		want("packed zset of 2", KeyCharge+ZSetPackedCharge+1+3+2*8+2*ZSetPackedMemberCharge)
		z.Remove([]byte("a"))
		tx.Updated([]byte("z"), en)
		want("packed zset of 1", KeyCharge+ZSetPackedCharge+1+2+8+ZSetPackedMemberCharge)
		tx.SetExpire([]byte("z"), en, tx.Now+1000)
		want("packed zset with a TTL", KeyCharge+ZSetPackedCharge+TTLCharge+1+2+8+ZSetPackedMemberCharge)
		tx.SetExpire([]byte("z"), en, 0)
		want("packed zset made persistent", KeyCharge+ZSetPackedCharge+1+2+8+ZSetPackedMemberCharge)
		long := strings.Repeat("l", ZSetListpackValue+1)
		z.Set([]byte(long), 3)
		tx.Updated([]byte("z"), en)
		want("zset of 2 past the packing", KeyCharge+ZSetCharge+1+2+int64(len(long))+2*8+2*ZSetMemberCharge)
		z.Remove([]byte(long))
		tx.Updated([]byte("z"), en)
		want("zset of 1 once unpacked", KeyCharge+ZSetCharge+1+2+8+ZSetMemberCharge)
		tx.Delete([]byte("z"))
		want("all deleted", 0)
	})
}

// BenchmarkStorageCharges measures the cases once each: what they
// account against what they hold in live heap and what the process's RSS
// grew by (RSS includes the collector's headroom and the garbage of
// growing structures, up to GOGC% over the live heap).
//
//	go test -run '^$' -bench StorageCharges -benchtime 1x ./engine
func BenchmarkStorageCharges(b *testing.B) {
	e := New(256)
	defer e.Close()
	for _, tc := range []struct {
		name  string
		build func(tx *Tx)
	}{
		{"2M-empty-list-elements", func(tx *Tx) {
			l := NewList()
			for range 2_000_000 {
				l.PushBack(nil)
			}
			tx.Put([]byte("l"), NewObject(KindList, l))
		}},
		{"1M-7-byte-set-members", func(tx *Tx) {
			s := NewSet()
			for i := range 1_000_000 {
				s.Add(fmt.Appendf(nil, "m%d", 100000+i))
			}
			tx.Put([]byte("s"), NewObject(KindSet, s))
		}},
		{"1M-string-keys-8+8-bytes", func(tx *Tx) {
			for i := range 1_000_000 {
				k := fmt.Appendf(nil, "k%d", 1000000+i)
				tx.SetString(k, k, 0)
			}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ns := e.Namespace(fmt.Sprintf("%s/%d", tc.name, i))
				h0, r0 := liveHeap(), rss()
				engineWrite(e, ns, tc.build)
				h1, r1 := liveHeap(), rss()
				b.ReportMetric(float64(ns.Bytes())/1e6, "accounted-MB")
				b.ReportMetric(float64(h1-h0)/1e6, "heap-MB")
				b.ReportMetric(float64(r1-r0)/1e6, "rss-MB")
				engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
			}
		})
	}
}

// rss is the process's resident set in bytes (Linux; 0 elsewhere).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n * int64(os.Getpagesize())
}

// Overwriting a string with a much shorter one does not keep the longer
// buffer, which the quota (counting the length) would not see.
func TestChargesOverwriteDropsLargeBuffer(t *testing.T) {
	e := engineNew(t, 1)
	ns := e.Namespace("o")
	engineWrite(e, ns, func(tx *Tx) {
		tx.SetString([]byte("k"), make([]byte, 1<<20), 0)
		en := tx.SetString([]byte("k"), make([]byte, 1<<19+1), 0)
		if c := cap(en.Str()); c > (1<<19+1)*5/4+32 {
			t.Errorf("a 512 KB value keeps a buffer of %d bytes", c)
		}
		p := unsafe.SliceData(en.Str())
		en = tx.SetString([]byte("k"), make([]byte, 1<<19), 0)
		if unsafe.SliceData(en.Str()) != p {
			t.Errorf("a value of about the same size got a new buffer of %d bytes", cap(en.Str()))
		}
	})
	if got := ns.Bytes(); got != KeyCharge+1+1<<19 {
		t.Errorf("accounted %d", got)
	}
}

// heapChargeEngine is the engine a packed form's charge test fills and
// measures. The tests fill a few hundred MB and are measured without the
// race detector, which makes them ten times slower (make test runs them
// in its plain pass: Makefile, unit).
func heapChargeEngine(t *testing.T) *Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("fills a few hundred MB of heap")
	}
	if raceDetector {
		t.Skip("measured in the run without the race detector")
	}
	return engineNew(t, 256)
}

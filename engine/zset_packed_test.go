package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A packed sorted set's charges cover the heap it holds, whatever its
// member count and member length: members added in ascending order (each
// appended, the slice grown by a quarter when full, the most slack it
// keeps) and in descending order (each insert builds a new slice), from 1
// to ZSetListpackEntries members of up to ZSetListpackValue bytes, with the
// key's own charge covering the entry.
func TestChargesCoverPackedZSets(t *testing.T) {
	e := heapChargeEngine(t) // 234 s under the race detector for sorted sets, 16 s without
	const keys = 1 << 12
	counts := []int{1, 2, 3, 4, 5, 7, 9, 12, 17, 23, 28, 33, 47, 64, 65, 90, 100, 113, ZSetListpackEntries}
	for _, l := range []int{0, 1, 6, 8, 17, 33, ZSetListpackValue} {
		for _, n := range counts {
			if l < 6 && n > 1 {
				break // members must be distinct
			}
			for _, desc := range []bool{false, true} {
				ns := e.Namespace(fmt.Sprintf("zpacked/%d/%d/%v", n, l, desc))
				before := liveHeap()
				engineWrite(e, ns, func(tx *Tx) {
					for k := range keys {
						z := NewZSet(0, 0)
						for i := range n {
							s := float64(i)
							if desc {
								s = -s
							}
							z.Set(chargeMember(i, max(l, 6))[:l], s)
						}
						if !z.Packed() {
							t.Fatalf("%d members of %d bytes: not packed", n, l)
						}
						tx.Put(chargeMember(k, 16), NewObject(KindZSet, z))
					}
				})
				heap := liveHeap() - before
				if heap > ns.Bytes() {
					t.Errorf("%d members of %d bytes (descending %v): %.1f bytes of heap per key, %.1f accounted",
						n, l, desc, float64(heap)/keys, float64(ns.Bytes())/keys)
				}
				t.Logf("%3d members %2d bytes desc %-5v: heap %8.1f, accounted %8.1f per key, %5.1f over per member",
					n, l, desc, float64(heap)/keys, float64(ns.Bytes())/keys, float64(ns.Bytes()-heap)/keys/float64(n))
				engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
			}
		}
	}
}

// What a packed set handed out (members from At, Range, Each, Scan and
// RemoveRange's callback) stays as it was however the set changes after,
// conversion to the tree included, as callers keep members past the lock.
func TestZSetPackedKeepsWhatItHandedOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		grow func(z *ZSet)
	}{
		{"past ZSetListpackEntries members", func(z *ZSet) {
			for i := range ZSetListpackEntries + 1 {
				z.Set([]byte(fmt.Sprintf("g%03d", i)), float64(i))
			}
		}},
		{"a long member", func(z *ZSet) { z.Set([]byte(strings.Repeat("l", ZSetListpackValue+1)), 0) }},
		{"appends in place", func(z *ZSet) {
			for i := range 20 {
				z.Set([]byte(fmt.Sprintf("t%02d", i)), float64(100+i))
			}
		}},
		{"nothing", func(*ZSet) {}},
	} {
		z := NewZSet(0, 0)
		for i := range 6 {
			z.Set([]byte(fmt.Sprintf("m%d", i)), float64(i))
		}
		if !z.Packed() {
			t.Fatalf("%s: a 6-member set is not packed", tc.name)
		}
		var got []string
		keep := func(m string, _ float64) bool { got = append(got, m); return true }
		m2, _ := z.At(2)
		z.Range(4, 6, true, keep)
		z.Each(func(m string, s float64) bool { return keep(m, s) && len(got) < 3 })
		z.Scan(0, 1, func(m string, s float64) { keep(m, s) })
		z.RemoveRange(5, 6, func(m string, s float64) { keep(m, s) })
		z.Set([]byte("m2"), 10) // moves
		z.Remove([]byte("m4"))
		z.Set([]byte("m0"), 0.5)
		z.Set([]byte("m4"), -1)
		tc.grow(z)
		want := "m5 m4 m0 m0 m1 m2 m3 m4 m5 m5"
		if m2 != "m2" || strings.Join(got, " ") != want {
			t.Errorf("%s: handed-out members changed: %q, %q; want m2, %q", tc.name, m2, strings.Join(got, " "), want)
		}
		var order []string
		z.Each(func(m string, s float64) bool {
			if strings.HasPrefix(m, "m") {
				order = append(order, fmt.Sprintf("%s=%v", m, s))
			}
			return true
		})
		if want := "m4=-1 m0=0.5 m1=1 m3=3 m2=10"; strings.Join(order, " ") != want {
			t.Errorf("%s: members %q, want %q", tc.name, strings.Join(order, " "), want)
		}
		if z.Size() != z.ComputeSize() {
			t.Errorf("%s: size %d, content %d", tc.name, z.Size(), z.ComputeSize())
		}
		c := z.Clone().(*ZSet)
		z.Set([]byte("m1"), 100)
		if s, _ := c.Score([]byte("m1")); s != 1 || c.Len() != z.Len() || c.Encoding() != z.Encoding() {
			t.Errorf("%s: clone changed with the original: score %v, %d members of %d", tc.name, s, c.Len(), z.Len())
		}
	}
}

// The packed form holds exactly Redis's listpack cases: up to
// ZSetListpackEntries members of up to ZSetListpackValue bytes (empty
// members and 64-byte ones included); one more member, or a longer one,
// moves every member to the tree for good, scores and order kept. -0 is 0
// while packed (Redis's listpack keeps scores as text), kept signed in the
// tree, and made 0 again when Compact packs a tree.
func TestZSetPackedThresholds(t *testing.T) {
	negZero := math.Copysign(0, -1)
	fill := func(n, l int) *ZSet {
		z := NewZSet(0, 0)
		for i := range n {
			m := chargeMember(i, max(l, 6))[:l]
			if l < 6 && i > 0 {
				m = chargeMember(i, 6)
			}
			z.Set(m, float64(i%5))
		}
		return z
	}
	for _, tc := range []struct {
		name   string
		z      *ZSet
		add    string
		packed bool
	}{
		{"128th member", fill(ZSetListpackEntries-1, 8), "new", true},
		{"129th member", fill(ZSetListpackEntries, 8), "new", false},
		{"update at 128", fill(ZSetListpackEntries, 8), string(chargeMember(3, 8)), true},
		{"64-byte member", fill(10, 0), strings.Repeat("x", ZSetListpackValue), true},
		{"65-byte member", fill(10, 64), strings.Repeat("x", ZSetListpackValue+1), false},
		{"empty member", fill(1, 64), "", true},
	} {
		var before []zsetPair
		tc.z.Each(func(m string, s float64) bool { before = append(before, zsetPair{m, s}); return true })
		tc.z.Set([]byte(tc.add), 2.5)
		if tc.z.Packed() != tc.packed || tc.z.Encoding() != map[bool]string{true: "listpack", false: "skiplist"}[tc.packed] {
			t.Errorf("%s: packed %v, encoding %s", tc.name, tc.z.Packed(), tc.z.Encoding())
		}
		zsetVerify(t, tc.name, tc.z)
		m := zsetModel{}
		for _, p := range before {
			m[p.m] = p.s
		}
		m[tc.add] = 2.5
		want := m.sorted()
		if got := zsetCollect(tc.z, 0, tc.z.Len(), false); !slices.Equal(got, want) {
			t.Errorf("%s: members\n got %v\nwant %v", tc.name, got, want)
		}
		if !tc.packed {
			tc.z.RemoveRange(0, tc.z.Len(), nil)
			tc.z.Set([]byte("x"), 1)
			if tc.z.Packed() || tc.z.Encoding() != "skiplist" {
				t.Errorf("%s: went back to the packed form by itself", tc.name)
			}
		}
	}

	z := NewZSet(0, 0)
	z.Set([]byte("a"), negZero)
	z.Set([]byte("b"), 0)
	if s, _ := z.Score([]byte("a")); math.Signbit(s) {
		t.Error("a packed set kept -0")
	}
	z.Set([]byte(strings.Repeat("l", ZSetListpackValue+1)), 1)
	z.Set([]byte("c"), negZero)
	if s, _ := z.Score([]byte("c")); !math.Signbit(s) || z.Packed() {
		t.Error("the tree lost the sign of -0")
	}
	z.Remove([]byte(strings.Repeat("l", ZSetListpackValue+1)))
	z.Compact()
	zsetVerify(t, "compacted", z)
	if s, _ := z.Score([]byte("c")); math.Signbit(s) || !z.Packed() || z.Encoding() != "listpack" {
		t.Errorf("Compact: packed %v, -0 kept %v", z.Packed(), math.Signbit(s))
	}
	if got := fmt.Sprint(zsetCollect(z, 0, z.Len(), false)); got != "[{a 0} {b 0} {c 0}]" {
		t.Errorf("Compact: %s", got)
	}

	// A packed set scans whole in one call, as Redis scans a listpack.
	var seen []string
	if next := z.Scan(0, 1, func(m string, _ float64) { seen = append(seen, m) }); next != 0 || len(seen) != 3 {
		t.Errorf("Scan of a packed set: cursor %d, %v", next, seen)
	}
	// Every member removed: nothing left behind.
	z.RemoveRange(0, 3, nil)
	zsetVerify(t, "emptied", z)
	if z.Len() != 0 || z.Size() != 0 || z.pk != nil {
		t.Errorf("emptied: %d members, %d bytes, %d packed", z.Len(), z.Size(), len(z.pk))
	}
}

// Reserve allocates a ZADD's members at once; Fit gives back what repeated
// members left unused, so a hostile ZADD of one member 128 times does not
// keep 9 KB under a one-member charge.
func TestZSetPackedReserveFit(t *testing.T) {
	long := []byte(strings.Repeat("r", ZSetListpackValue))
	for _, tc := range []struct {
		name     string
		members  [][]byte
		keepsCap bool
	}{
		{"distinct", func() (ms [][]byte) {
			for i := range ZSetListpackEntries {
				ms = append(ms, chargeMember(i, 64))
			}
			return ms
		}(), true},
		{"repeated", func() (ms [][]byte) {
			for range ZSetListpackEntries {
				ms = append(ms, long)
			}
			return ms
		}(), false},
	} {
		z := NewZSet(0, 0)
		bytes := 0
		var scores []float64
		for i, m := range tc.members {
			bytes += len(m)
			scores = append(scores, float64(i))
		}
		z.Reserve(scores, bytes)
		reserved := cap(z.pk)
		for i, m := range tc.members {
			z.Set(m, float64(i))
		}
		if tc.keepsCap && cap(z.pk) != reserved {
			t.Errorf("%s: the slice grew from %d to %d bytes: Reserve was short", tc.name, reserved, cap(z.pk))
		}
		z.Fit()
		zsetVerify(t, tc.name, z)
		if c, l := cap(z.pk), len(z.pk); c > l+l/4 {
			t.Errorf("%s: %d bytes held for %d used after Fit", tc.name, c, l)
		}
	}
}

// The CPU cost of the packed form against the tree for a 100-member set,
// the zsets memory row's shape: go test -run '^$' -bench ZSetSmall ./engine
func BenchmarkZSetSmall(b *testing.B) {
	for _, form := range []struct {
		name string
		new  func() *ZSet
	}{
		{"packed", func() *ZSet { return NewZSet(0, 0) }},
		{"tree", func() *ZSet { return NewZSet(ZSetListpackEntries+1, 0) }},
	} {
		members := make([][]byte, 100)
		for i := range members {
			members[i] = []byte(fmt.Sprintf("member:%d", i))
		}
		fill := func() *ZSet {
			z := form.new()
			for i, m := range members {
				z.Set(m, float64(i))
			}
			return z
		}
		b.Run(form.name+"/build100", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				fill()
			}
		})
		z := fill()
		b.Run(form.name+"/score", func(b *testing.B) {
			for i := range b.N {
				z.Score(members[i%100])
			}
		})
		b.Run(form.name+"/update", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				z.Set(members[i%100], float64(i*7919%1000))
			}
		})
		b.Run(form.name+"/range100", func(b *testing.B) {
			n := 0
			for range b.N {
				z.Range(0, 100, false, func(string, float64) bool { n++; return true })
			}
		})
		b.Run(form.name+"/popmin+add", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				var m string
				z.RemoveRange(0, 1, func(s string, _ float64) { m = s })
				z.SetString(m, float64(1000+i))
			}
		})
	}
}

// Whole scores within 32 bits are packed in 1, 2 or 4 bytes, any other in
// 8; each reads back exactly, in order, at every width's edges.
func TestZSetPackedScoreForms(t *testing.T) {
	scores := []float64{0, 1, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769,
		math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1, 0.5, -1.5, 1e300, -1e-300,
		math.Inf(1), math.Inf(-1), 1 << 53, math.Nextafter(127, 128), math.SmallestNonzeroFloat64}
	width := []int{1, 1, 1, 1, 2, 1, 2, 2, 4, 2, 4, 4, 8, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}
	z := NewZSet(0, 0)
	for i, s := range scores {
		m := "m" + strconv.Itoa(i)
		z.Set([]byte(m), s)
		if at, _, _, _ := z.pkFind(m); at < 0 || pkScoreLen(z.pk[at+1]>>6) != width[i] {
			t.Errorf("score %v: packed in %d bytes, want %d", s, pkScoreLen(z.pk[at+1]>>6), width[i])
		}
		zsetVerify(t, "set "+m, z)
	}
	for i, s := range scores {
		if got, ok := z.Score([]byte("m" + strconv.Itoa(i))); !ok || got != s || math.Signbit(got) != math.Signbit(s) {
			t.Errorf("m%d: score %v %v, want %v", i, got, ok, s)
		}
	}
	// Moving a member between widths keeps the set exact.
	for i := range scores {
		m := []byte("m" + strconv.Itoa(i))
		z.Set(m, scores[len(scores)-1-i])
		zsetVerify(t, "moved "+string(m), z)
		if got, _ := z.Score(m); got != scores[len(scores)-1-i] {
			t.Fatalf("%s: %v after the move, want %v", m, got, scores[len(scores)-1-i])
		}
	}
	if !z.Packed() {
		t.Fatal("the set left the packed form")
	}
}

package engine

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// A small hash keeps its fields packed; what it handed out stays valid
// however it changes afterwards, its order is Redis's listpack order, and
// outgrowing the packing (in count or in length) keeps every field.
func TestHashPackedKeepsWhatItHandedOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		grow func(h *Hash)
	}{
		{"past hashPackMax fields", func(h *Hash) {
			for i := range hashPackMax + 1 {
				h.Set([]byte(fmt.Sprintf("g%d", i)), []byte("x"))
			}
		}},
		{"a long value", func(h *Hash) { h.Set([]byte("long"), []byte(strings.Repeat("v", HashMaxListpackValue+1))) }},
		{"nothing", func(*Hash) {}},
	} {
		h := NewHash()
		for i := range 5 {
			h.Set([]byte(fmt.Sprintf("f%d", i)), []byte(fmt.Sprintf("v%d", i)))
		}
		if !h.packed() {
			t.Fatalf("%s: a 5-field hash is not packed", tc.name)
		}
		v2, _ := h.Get([]byte("f2"))
		f3, v3 := h.At(3)
		h.Set([]byte("f2"), []byte("changed"))
		h.Delete([]byte("f1"))
		h.Set([]byte("f1"), []byte("back"))
		tc.grow(h)
		if v2 != "v2" || f3 != "f3" || v3 != "v3" {
			t.Errorf("%s: handed-out strings changed: %q %q %q", tc.name, v2, f3, v3)
		}
		var got []string
		h.Each(func(f, v string) bool {
			if !strings.HasPrefix(f, "g") && f != "long" {
				got = append(got, f+"="+v)
			}
			return true
		})
		if want := "f0=v0 f2=changed f3=v3 f4=v4 f1=back"; strings.Join(got, " ") != want {
			t.Errorf("%s: fields %q, want %q", tc.name, strings.Join(got, " "), want)
		}
		if h.Size() != h.ComputeSize() {
			t.Errorf("%s: size %d, content %d", tc.name, h.Size(), h.ComputeSize())
		}
		c := h.Clone().(*Hash)
		h.Set([]byte("f0"), []byte("after clone"))
		if v, _ := c.Get([]byte("f0")); v != "v0" || c.Len() != h.Len() {
			t.Errorf("%s: clone changed with the original: %q, %d fields of %d", tc.name, v, c.Len(), h.Len())
		}
	}
}

// A packed hash's charges cover the heap it holds, whatever its field
// count and content lengths: measured right after each growth of the
// packed bytes (fields from 1 to 32) and for lengths up to
// HashMaxListpackValue, with the key's own charge covering the entry.
func TestChargesCoverPackedHashes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a few hundred MB of heap")
	}
	const keys = 1 << 12
	e := engineNew(t, 256)
	for _, fields := range []int{1, 2, 3, 4, 5, 7, 9, 12, 17, 23, 28, hashPackMax} {
		for _, l := range []int{0, 1, 8, 17, 33, 64} {
			ml := max(l, 6)
			ns := e.Namespace(fmt.Sprintf("packed/%d/%d", fields, l))
			before := liveHeap()
			engineWrite(e, ns, func(tx *Tx) {
				for k := range keys {
					h := NewHash()
					for i := range fields {
						h.Set(chargeMember(i, ml), chargeMember(k, l)[:l])
					}
					if !h.packed() {
						t.Fatalf("%d fields of %d bytes: not packed", fields, l)
					}
					tx.Put(chargeMember(k, 16), NewObject(KindHash, h))
				}
			})
			heap := liveHeap() - before
			if heap > ns.Bytes() {
				t.Errorf("%d fields of %d bytes: %.1f bytes of heap per key, %.1f accounted",
					fields, l, float64(heap)/keys, float64(ns.Bytes())/keys)
			}
			t.Logf("%2d fields %2d bytes: heap %7.1f, accounted %7.1f per key", fields, l, float64(heap)/keys, float64(ns.Bytes())/keys)
			engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
		}
	}
}

// TestHashReserveFits: a new hash set with many pairs at once holds its
// packed fields in a slice of exactly their size, and a reserve past what
// packing holds (too many fields, a long value) reserves nothing.
func TestHashReserveFits(t *testing.T) {
	h := NewHash()
	pairs := [][2]string{{"field1", "v1"}, {"field2", "value2"}, {"f3", "333"}}
	bytes := 0
	for _, p := range pairs {
		bytes += len(p[0]) + len(p[1])
	}
	h.Reserve(len(pairs), bytes)
	for _, p := range pairs {
		h.Set([]byte(p[0]), []byte(p[1]))
	}
	if len(h.pkb()) != cap(h.pkb()) || len(h.pkb()) != bytes+2*len(pairs) {
		t.Errorf("packed %d bytes in a slice of %d, want exactly %d", len(h.pkb()), cap(h.pkb()), bytes+2*len(pairs))
	}
	for _, tc := range []struct{ fields, bytes int }{{hashPackMax + 1, 10}, {2, 4*HashMaxListpackValue + 1}} {
		g := NewHash()
		g.Reserve(tc.fields, tc.bytes)
		if cap(g.pkb()) != 0 {
			t.Errorf("Reserve(%d, %d) made room for %d bytes past what packing holds", tc.fields, tc.bytes, cap(g.pkb()))
		}
	}
}

// A packed hash's header is 32 bytes: a pointer and two 32-bit lengths for
// its bytes, its size derived from them (100k small hashes: 1.6 MB less
// than a 48-byte header). Size stays exact through every change.
func TestHashPackedHeader(t *testing.T) {
	if n := unsafe.Sizeof(Hash{}); n > 32 {
		t.Fatalf("Hash header %d bytes, want at most 32", n)
	}
	h := NewHash()
	steps := []struct {
		op           string
		field, value string
	}{{"set", "a", "1"}, {"set", "bb", "22"}, {"set", "a", "longer value"}, {"del", "bb", ""}, {"set", "c", ""},
		{"del", "zz", ""}, {"set", "", "empty field"}, {"del", "a", ""}}
	for i, s := range steps {
		if s.op == "set" {
			h.Set([]byte(s.field), []byte(s.value))
		} else {
			h.Delete([]byte(s.field))
		}
		if !h.Packed() || h.Size() != h.ComputeSize() {
			t.Fatalf("step %d (%s %q): packed %v, Size %d, ComputeSize %d", i, s.op, s.field, h.Packed(), h.Size(), h.ComputeSize())
		}
	}
	c := h.Clone().(*Hash)
	for i := range 40 { // past the packing: the size carries over
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	if h.Packed() || h.Size() != h.ComputeSize() {
		t.Fatalf("unpacked: packed %v, Size %d, ComputeSize %d", h.Packed(), h.Size(), h.ComputeSize())
	}
	if c.Size() != c.ComputeSize() || c.Len() != 2 {
		t.Fatalf("clone: %d fields, Size %d, ComputeSize %d", c.Len(), c.Size(), c.ComputeSize())
	}
}

// The CPU cost of the packed form on a 10-field hash, the hashes memory
// row's shape: go test -run '^$' -bench HashSmall ./engine
func BenchmarkHashSmall(b *testing.B) {
	fields := make([][]byte, 10)
	for i := range fields {
		fields[i] = []byte("field" + strconv.Itoa(i))
	}
	val := []byte("v1234")
	build := func() *Hash {
		h := NewHash()
		for _, f := range fields {
			h.Set(f, val)
		}
		return h
	}
	b.Run("build10", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			build()
		}
	})
	h := build()
	b.Run("get", func(b *testing.B) {
		for i := range b.N {
			h.Get(fields[i%10])
		}
	})
	b.Run("overwrite", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			h.Set(fields[i%10], val)
		}
	})
	b.Run("each", func(b *testing.B) {
		n := 0
		for range b.N {
			h.Each(func(f, v string) bool { n += len(v); return true })
		}
	})
}

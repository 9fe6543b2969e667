package resp

import (
	"bytes"
	"strconv"
	"testing"
)

// InsertArray must give exactly what Array before the elements gives,
// whatever precedes the reply and however many move steps the body spans.
func TestInsertArrayMatchesArrayFirst(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 1000, 70000} {
		for _, bound := range []int64{0, 64 << 20} {
			a, b := NewWriter(), NewWriter()
			a.Simple("PONG")
			b.Simple("PONG")
			a.Bound(bound)
			b.Bound(bound)
			start := a.Len()
			for i := range n {
				a.Bulk([]byte("key:" + strconv.Itoa(i)))
			}
			a.InsertArray(start, n)
			b.Array(n)
			for i := range n {
				b.Bulk([]byte("key:" + strconv.Itoa(i)))
			}
			if !bytes.Equal(a.Buf, b.Buf) {
				t.Fatalf("n=%d bound=%d: replies differ (%d vs %d bytes)", n, bound, len(a.Buf), len(b.Buf))
			}
		}
	}
}

// Over the bound InsertArray writes nothing more: the dispatcher replaces
// the reply with an error.
func TestInsertArrayOverBound(t *testing.T) {
	w := NewWriter()
	w.Bound(100)
	for i := range 100 {
		w.Bulk([]byte("key:" + strconv.Itoa(i)))
	}
	if !w.Over() {
		t.Fatal("not over the bound")
	}
	before := len(w.Buf)
	w.InsertArray(0, 100)
	if len(w.Buf) != before {
		t.Fatalf("InsertArray wrote %d bytes past the bound", len(w.Buf)-before)
	}
}

// Release gives a big buffer back and leaves the writer empty; small
// buffers stay with the writer.
func TestReleaseBigBuffer(t *testing.T) {
	w := NewWriter()
	w.Bound(64 << 20)
	for range 5000 {
		w.Bulk(bytes.Repeat([]byte{'x'}, 512))
	}
	if cap(w.Buf) < bigBuf {
		t.Fatalf("cap %d", cap(w.Buf))
	}
	w.Reset()
	w.Release()
	if w.Buf != nil {
		t.Fatal("big buffer kept")
	}
	w.Simple("OK")
	small := cap(w.Buf)
	w.Reset()
	w.Release()
	if cap(w.Buf) != small {
		t.Fatal("small buffer dropped")
	}
	if b, _ := getBuf(3<<20, 3<<20); cap(b) < 3<<20 || len(b) != 0 {
		t.Fatalf("getBuf: len %d cap %d", len(b), cap(b))
	}
}

package resp

import (
	"bytes"
	"strconv"
	"testing"
)

// countYields counts the chances to yield a write takes.
func countYields(t *testing.T, w *Writer, write func()) (yields int) {
	t.Helper()
	saved := maybeYield
	defer func() { maybeYield = saved }()
	maybeYield = func() { yields++ }
	write()
	return yields
}

// Issue 10 (noisy neighbours): a 10 MB value was appended to a reply in
// one memmove, and growing a reply past 10 MB copied it in one more; the
// scheduler cannot preempt a memmove, so every other connection waited
// through each (a tenant's MULTI of 300 GETs of a 10 MB value). Both are
// now copied copyChunk at a time with a chance to yield between steps,
// except under NoYield (a write's exclusive locks).
func TestWriterBigBulkYields(t *testing.T) {
	val := bytes.Repeat([]byte("v"), 10<<20)
	want := "$" + strconv.Itoa(len(val)) + "\r\n" + string(val) + "\r\n"
	for _, tc := range []struct {
		name     string
		limit    int64
		noYield  bool
		atLeast  int
		prefixed bool
	}{
		{name: "bounded", limit: 32 << 20, atLeast: (10 << 20) / copyChunk},
		{name: "unbounded", limit: 0, atLeast: (10 << 20) / copyChunk},
		// The second value grows the buffer: 10 MB moved, then 10 MB copied.
		{name: "after a reply", limit: 32 << 20, atLeast: 2 * (10 << 20) / copyChunk, prefixed: true},
		{name: "no yield", limit: 32 << 20, noYield: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter()
			w.Bound(tc.limit)
			w.NoYield = tc.noYield
			prefix := ""
			if tc.prefixed {
				w.Bulk(val)
				prefix = want
			}
			yields := countYields(t, w, func() { w.Bulk(val) })
			if got := string(w.Buf); got != prefix+want {
				t.Fatalf("reply of %d bytes, want %d", len(got), len(prefix+want))
			}
			if tc.noYield && yields != 0 {
				t.Errorf("%d chances to yield under NoYield", yields)
			}
			if yields < tc.atLeast-1 {
				t.Errorf("%d chances to yield for a 10 MB value, want at least %d (one per %d bytes copied)", yields, tc.atLeast-1, copyChunk)
			}
		})
	}
	// Past the bound nothing is copied: the writer turns over.
	w := NewWriter()
	w.Bound(32 << 20)
	for range 3 {
		w.Bulk(val)
	}
	w.Bulk(val)
	if !w.Over() || len(w.Buf) != 3*len(want) {
		t.Errorf("past the bound: over %v, %d bytes", w.Over(), len(w.Buf))
	}
}

// A copy into a buffer just allocated takes a page fault every 4 KB (about
// 15 µs each on a virtual machine), so it yields every freshChunk instead
// of every copyChunk; into a pooled buffer, whose pages are there, in the
// larger steps that keep memmove's speed. A new buffer says so.
func TestWriterCopiesIntoAFreshBufferInSmallSteps(t *testing.T) {
	src := bytes.Repeat([]byte("r"), 4<<20)
	for _, tc := range []struct {
		name  string
		fresh bool
		want  int
	}{
		{"fresh", true, len(src)/freshChunk - 1},
		{"pooled", false, len(src)/copyChunk - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter()
			w.fresh = tc.fresh
			dst := make([]byte, len(src))
			if got := countYields(t, w, func() { w.copyOut(dst, src) }); got != tc.want {
				t.Errorf("%d chances to yield copying 4 MB, want %d", got, tc.want)
			}
			if !bytes.Equal(dst, src) {
				t.Error("copy differs")
			}
		})
	}
	if _, fresh := getBuf(8<<20, 8<<20); !fresh {
		t.Error("a buffer of a size never pooled is not fresh")
	}
	w := NewWriter()
	w.Grow(3 << 20)
	if !w.fresh {
		t.Error("a writer grown into a new buffer does not know it")
	}
}

// go test -run X -bench WriterBigBulk ./resp: the chunked copy keeps a
// plain memmove's speed (steps of 256 KB halved it).
func BenchmarkWriterBigBulk(b *testing.B) {
	val := make([]byte, 10<<20)
	w := NewWriter()
	b.SetBytes(3 * int64(len(val)))
	for i := 0; i < b.N; i++ {
		w.Reset()
		w.Bound(32 << 20)
		for range 4 { // the fourth is past the bound
			w.Bulk(val)
		}
	}
}

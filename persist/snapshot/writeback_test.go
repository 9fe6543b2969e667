package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The snapshot's file is written whole and in order, and its writeback is
// started chunk by chunk as it grows, each range following the last, so
// that at most writebackChunk plus one write is dirty and not on its way.
func TestWritebackStartsEachChunk(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "snap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type span struct{ off, n int64 }
	var spans []span
	w := &writeback{f: f, start: func(got *os.File, off, n int64) error {
		if got != f {
			t.Errorf("writeback of another file")
		}
		spans = append(spans, span{off, n})
		return startWriteback(got, off, n) // the real call too: it must accept these ranges
	}}
	var want bytes.Buffer
	sizes := []int{100, writebackChunk - 1, 3, writebackChunk * 3, 7, writebackChunk / 2, writebackChunk / 2, 1}
	for i, size := range sizes {
		p := bytes.Repeat([]byte{byte('a' + i)}, size)
		if n, err := w.Write(p); n != size || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
		want.Write(p)
		if dirty := w.n - w.started; dirty >= writebackChunk {
			t.Fatalf("after write %d, %d bytes dirty and not started", i, dirty)
		}
	}
	var next int64
	for _, s := range spans {
		if s.off != next || s.n < writebackChunk {
			t.Fatalf("writeback ranges %v: not contiguous chunks from 0", spans)
		}
		next = s.off + s.n
	}
	if len(spans) != 3 || next != w.started {
		t.Fatalf("writeback ranges %v, started %d", spans, w.started)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the file holds %d bytes (%v), want the %d written", len(got), err, want.Len())
	}
}

// A writeback that fails fails the snapshot: every later write reports it.
func TestWritebackFailureSticks(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "snap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	eio := errors.New("input/output error")
	w := &writeback{f: f, start: func(*os.File, int64, int64) error { return eio }}
	if _, err := w.Write(make([]byte, writebackChunk)); !errors.Is(err, eio) {
		t.Fatalf("the write that started a failing writeback: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, eio) {
		t.Fatalf("a write after it: %v", err)
	}
}

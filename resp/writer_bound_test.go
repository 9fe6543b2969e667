package resp

import (
	"bytes"
	"testing"
)

func TestWriterBound(t *testing.T) {
	w := NewWriter()
	w.Simple("before") // earlier replies are not part of the bound
	w.Bound(100)
	w.Array(2)
	w.Bulk(bytes.Repeat([]byte("x"), 50))
	if w.Over() {
		t.Fatal("over with 60 bytes of 100")
	}
	w.Bulk(bytes.Repeat([]byte("y"), 1<<20))
	if !w.Over() {
		t.Fatal("a 1 MB bulk fit in 100 bytes")
	}
	if cap(w.Buf) > 4096 {
		t.Errorf("the dropped bulk was allocated: cap %d", cap(w.Buf))
	}
	// Once over, everything is dropped, even what would fit.
	n := w.Len()
	w.Int(1)
	w.OK()
	if w.Len() != n {
		t.Error("writes after the overflow were kept")
	}
	w.Unbound()
	w.Int(1)
	if w.Len() == n || w.Over() {
		t.Error("unbound writer still drops")
	}
}

// Errors are exempt, so one can replace a reply that did not fit, and the
// room they take past the bound is not handed to later replies.
func TestWriterBoundErrors(t *testing.T) {
	w := NewWriter()
	w.Bound(40)
	w.Simple("0123")
	w.Error("ERR a fairly long error text that passes the bound by itself")
	if w.Over() {
		t.Fatal("an error turned the writer over")
	}
	if !bytes.HasSuffix(w.Buf, []byte("by itself\r\n")) {
		t.Fatalf("error dropped: %q", w.Buf)
	}
	w.Int(1)
	if !w.Over() {
		t.Error("a reply fit after an error had filled the bound")
	}
}

// A reply that fills the bound reserves about the bound, not twice it as
// append's doubling would.
func TestWriterBoundGrowth(t *testing.T) {
	w := NewWriter()
	const bound = 1 << 20
	w.Bound(bound)
	chunk := bytes.Repeat([]byte("z"), 1000)
	for !w.Over() {
		w.Bulk(chunk)
	}
	if c := cap(w.Buf); c > bound+headerRoom {
		t.Errorf("cap %d for a bound of %d", c, bound)
	}
}

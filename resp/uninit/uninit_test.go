package uninit

import (
	"bytes"
	"runtime"
	"testing"
)

// A buffer is fully usable and owned by the collector: it survives while
// referenced and is freed after.
func TestBytes(t *testing.T) {
	for _, n := range []int{1, 63, 64 << 10, 32 << 20} {
		b := Bytes(n)
		if len(b) != 0 || cap(b) != n {
			t.Fatalf("Bytes(%d): len %d cap %d", n, len(b), cap(b))
		}
		b = append(b, bytes.Repeat([]byte{0xA5}, n)...)
		runtime.GC()
		if len(b) != n || b[0] != 0xA5 || b[n-1] != 0xA5 || cap(b) != n {
			t.Fatalf("Bytes(%d) lost its contents across a collection", n)
		}
	}
	if b := Bytes(0); b != nil {
		t.Fatalf("Bytes(0) = %v", b)
	}
}

// go test -bench Bytes ./resp/uninit: a 32 MB buffer without the clear
// against make's.
func BenchmarkBytes(b *testing.B) {
	const n = 32 << 20
	b.Run("uninit", func(b *testing.B) {
		for range b.N {
			buf := Bytes(n)
			buf = append(buf, 1)
			_ = buf
		}
	})
	b.Run("make", func(b *testing.B) {
		for range b.N {
			buf := make([]byte, 0, n)
			buf = append(buf, 1)
			_ = buf
		}
	})
}

package resp

import (
	"math/bits"
	"sync"
)

// Reply buffers of at least bigBuf bytes are recycled. A reply of tens of
// MB (KEYS over a big keyspace, LRANGE of a long list) used to grow its
// buffer by doubling and drop it after the flush: each such command made
// about twice its reply in garbage, and on a server holding a big live heap
// every GC cycle that garbage paid for marks the whole heap, stealing the
// processor from every other tenant's commands. Pooled buffers are freed by
// the GC like any others if nobody asks for them again (sync.Pool keeps
// them for at most two cycles), so an idle connection still holds nothing.
// From 64 KB on, not 1 MB: a buffer is released after each flush, so a
// reply of hundreds of KB (SORT, LRANGE of a few thousand) grew from a
// few KB by doubling through unpooled sizes every time, ~1 MB of garbage
// for a KEYS of any size.
const bigBuf = 64 << 10

// growToPool is the size from which a growing reply buffer jumps to
// bigBuf: past it, the doublings come from the pool.
const growToPool = 16 << 10

// bufPools[k] holds buffers whose capacity is in [2^k, 2^(k+1)).
var bufPools [64]sync.Pool

// getBuf returns an empty buffer of capacity at least n.
func getBuf(n int) []byte {
	if n < bigBuf {
		return make([]byte, 0, n)
	}
	k := bits.Len(uint(n)) - 1
	// n's own class first: it fits when the buffer is as big as n, always
	// for the powers of two a growing reply asks for, and taking from the
	// class up first left each doubling's own class unused, so the next
	// reply's doublings missed the pool. The next class up always fits.
	for _, c := range [2]int{k, k + 1} {
		if c >= len(bufPools) {
			continue
		}
		if p, _ := bufPools[c].Get().(*[]byte); p != nil {
			if cap(*p) >= n {
				return (*p)[:0]
			}
			bufPools[c].Put(p)
		}
	}
	return make([]byte, 0, n)
}

// putBuf gives b back for reuse; small buffers are left to the GC.
func putBuf(b []byte) {
	if cap(b) < bigBuf {
		return
	}
	b = b[:0]
	bufPools[bits.Len(uint(cap(b)))-1].Put(&b)
}

// Release hands a big buffer back to the pool once its replies have been
// written, so a connection does not keep it while idle; small buffers
// stay with the writer.
func (w *Writer) Release() {
	if cap(w.Buf) >= bigBuf {
		putBuf(w.Buf)
		w.Buf, w.base = nil, 0
	}
}

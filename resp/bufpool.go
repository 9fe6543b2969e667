package resp

import (
	"math/bits"
	"sync"

	"synap/resp/uninit"
)

// Reply buffers of at least bigBuf bytes are recycled. A reply of tens of
// MB (KEYS over a big keyspace, LRANGE of a long list) used to grow its
// buffer by doubling and drop it after the flush: each such command made
// about twice its reply in garbage, and on a server holding a big live heap
// every GC cycle that garbage paid for marks the whole heap, stealing the
// processor from every other tenant's commands. Pooled buffers are freed by
// the GC like any others if nobody asks for them again (sync.Pool keeps
// them for at most two cycles), so an idle connection still holds nothing
// over releaseAbove. Pooled from 64 KB on, not 1 MB: a reply released
// after its flush grows again from a few KB, and its doublings up to 1 MB
// were unpooled, ~1 MB of garbage for a KEYS of any size. The reader's
// big input buffers (a pipeline of thousands of commands) come from the
// same pool.
const bigBuf = 64 << 10

// growToPool is the size from which a growing reply buffer jumps to
// bigBuf: past it, the doublings come from the pool.
const growToPool = 16 << 10

// bufPools[k] holds buffers whose capacity is in [2^k, 2^(k+1)).
var bufPools [64]sync.Pool

// getBuf returns an empty buffer of capacity at least n and, when taken
// from the pool, at most about most (pass n for exactly what is asked).
// fresh says it was not: its pages may not have been touched since the
// kernel gave them (see freshChunk).
func getBuf(n, most int) (b []byte, fresh bool) {
	if n < bigBuf {
		return make([]byte, 0, n), true
	}
	k := bits.Len(uint(n)) - 1
	// n's own class first: it fits when the buffer is as big as n, always
	// for the powers of two a growing reply asks for (taking from the class
	// up first left each doubling's own class unused, so the next reply's
	// doublings missed the pool). The class up always fits, but with up to
	// twice what was asked for: only when the caller can hold that (a
	// writer's bound must not be passed).
	for _, c := range [2]int{k, k + 1} {
		if c >= len(bufPools) || (c > k && 1<<c > most) {
			break
		}
		if p, _ := bufPools[c].Get().(*[]byte); p != nil {
			if cap(*p) >= n && cap(*p) <= max(most, n) {
				return (*p)[:0], false
			}
			bufPools[c].Put(p)
		}
	}
	// Not cleared: it is written before it is read (package uninit).
	return uninit.Bytes(n), true
}

// putBuf gives b back for reuse; small buffers are left to the GC.
func putBuf(b []byte) {
	if cap(b) < bigBuf {
		return
	}
	// Boxed here, not by taking b's address: that would move b to the
	// heap on every call, the small buffers' too.
	p := new([]byte)
	*p = b[:0]
	bufPools[bits.Len(uint(cap(b)))-1].Put(p)
}

// releaseAbove is the least reply buffer Release hands back. Smaller ones
// stay with their writer, as they did: released after every flush, a
// connection replying 20 KB at a time (SCAN COUNT 1000) grew a new buffer
// from nothing for each reply.
const releaseAbove = 1 << 20

// Release hands a big buffer back to the pool once its replies have been
// written, so a connection does not keep it while idle; buffers under
// releaseAbove stay with the writer.
func (w *Writer) Release() {
	if cap(w.Buf) >= releaseAbove {
		putBuf(w.Buf)
		w.Buf, w.base, w.fresh = nil, 0, false
	}
}

package resp

import (
	"math"
	"strconv"

	"github.com/tidwall/redcon"

	"synap/sched"
)

// Writer accumulates replies for one connection. It knows the protocol
// version the client chose with HELLO, so handlers describe a reply's shape
// (map, set, double, null) once and the writer encodes it for RESP2 or RESP3.
type Writer struct {
	Buf   []byte
	Proto int // 2 or 3

	// A bound caps what one reply may take: past limit bytes from base,
	// writes are dropped instead of appended, so an oversized reply costs
	// at most the bound, never the gigabytes it asked for.
	base  int
	limit int
	over  bool
	// NoYield is set by the caller while the reply is written under locks
	// other connections need (a write's exclusive shard locks): yielding
	// there would make them wait for whatever runs meanwhile.
	NoYield bool
	// yieldAt is the reply size, from base, at which the next yield is due.
	yieldAt int
	// fresh: Buf is a new allocation (getBuf), whose pages the copies
	// touch for the first time (freshChunk).
	fresh bool
}

// yieldEvery is how much of one reply is written between two chances to
// yield (sched.Maybe): a long reply is then no longer one time slice of
// other connections' waiting.
const yieldEvery = 64 << 10

// Bound caps the reply written from now on at limit bytes (0 or less: no
// cap). Errors are exempt: they are short and must be able to replace a
// reply that did not fit.
//
// A reply bound without a cap still takes the bound's path: a chance to
// yield every yieldEvery bytes, and growth from the pool in steps that
// yield (room). Left unbound, a standalone server's KEYS over 1M keys
// grew its 23 MB reply by append: each doubling a fresh allocation (the
// collector's assist charged to it) and one memmove, and the walk ran
// 28-46 ms at a time without a yield (execution trace); other clients'
// p99 was 21-49 ms.
func (w *Writer) Bound(limit int64) {
	lim := noCap
	if limit > 0 {
		lim = int(min(limit, int64(noCap)))
	}
	w.base, w.limit, w.over = len(w.Buf), lim, false
	w.yieldAt = yieldEvery
}

// noCap is the limit of a bound without a cap: more than any buffer can
// hold, and far enough from MaxInt that base+limit cannot overflow.
const noCap = math.MaxInt >> 2

// Unbound removes the bound.
func (w *Writer) Unbound() { w.limit, w.over = 0, false }

// Over reports whether a write was dropped, or bytes appended directly to
// Buf went past the bound, since the bound was set or last cleared.
func (w *Writer) Over() bool {
	return w.over || (w.limit != 0 && len(w.Buf)-w.base > w.limit)
}

// ClearOver accepts writes again once the caller has truncated what did
// not fit (an EXEC goes on with its next command).
func (w *Writer) ClearOver() { w.over = false }

// Limit is the current cap, 0 when there is none.
func (w *Writer) Limit() int64 {
	if w.limit == noCap {
		return 0
	}
	return int64(w.limit)
}

// room reports whether n more bytes fit in the bound; the first write that
// does not fit turns the writer over, and it drops everything after.
func (w *Writer) room(n int) bool {
	if w.over || len(w.Buf)-w.base+n > w.limit {
		w.over = true
		return false
	}
	if len(w.Buf)-w.base >= w.yieldAt && !w.NoYield {
		w.yieldAt = len(w.Buf) - w.base + yieldEvery
		maybeYield()
	}
	if need := len(w.Buf) + n; need > cap(w.Buf) {
		// Grow as append would, but never past the bound: doubling could
		// otherwise reserve twice the bound for a reply that fills it.
		size := max(2*cap(w.Buf), need)
		if size > growToPool {
			size = max(size, bigBuf)
		}
		most := w.base + w.limit + headerRoom
		w.regrow(min(size, most), most)
	}
	return true
}

// regrow moves the reply into a buffer of capacity at least n (at most
// about most when pooled, see getBuf) and gives the old one back.
func (w *Writer) regrow(n, most int) {
	nb, fresh := getBuf(n, most)
	nb = nb[:len(w.Buf)]
	w.fresh = fresh
	w.copyOut(nb, w.Buf)
	putBuf(w.Buf)
	w.Buf = nb
}

// copyOut copies src to dst (len(dst) >= len(src)), in steps of
// copyChunk with a chance to yield between them unless NoYield: growing
// a 20 MB reply was one 20 MB memmove, which the scheduler cannot
// preempt, and every connection waited through it.
func (w *Writer) copyOut(dst, src []byte) {
	step := copyChunk
	if w.fresh {
		step = freshChunk
	}
	for len(src) > step && !w.NoYield {
		copy(dst, src[:step])
		dst, src = dst[step:], src[step:]
		maybeYield()
	}
	copy(dst, src)
}

// freshChunk replaces copyChunk while the buffer is a new allocation, not
// a pooled one: the copy then takes a page fault every 4 KB, which on a
// virtual machine cost about 15 µs each (the host maps the page too), so
// a 1 MB step took 3-4 ms, every other tenant waiting (execution trace
// of a tenant's SORT ... GET whose reply grew to its 32 MB bound: 250 ms
// for its first run with nothing pooled, 4 ms for the next). A 64 KB step
// is 16 faults.
const freshChunk = 64 << 10

// copyChunk is how much copyOut copies at once: about 40 µs. Steps of
// 256 KB halved the copy's speed (a memmove from 1 MB on streams past
// the cache), 1 MB keeps it (BenchmarkWriterBigBulk).
const copyChunk = 1 << 20

// maybeYield is sched.Maybe; tests count the chances to yield with it.
var maybeYield = sched.Maybe

// Reserve makes room for n more bytes at once, for a handler that knows
// its reply's exact size and appends to Buf itself (an estimate belongs
// in Grow: Reserve refuses what passes the bound). When they would pass the
// bound it turns the writer over instead and reports false: the caller
// should write no more.
func (w *Writer) Reserve(n int) bool {
	if w.limit != 0 && !w.room(n) {
		return false
	}
	if cap(w.Buf)-len(w.Buf) < n {
		w.regrow(len(w.Buf)+n, math.MaxInt) // no bound here
	}
	return true
}

// AppendBulk appends b as a bulk string to buf: for a handler that made
// room with Reserve and appends to Buf itself, without a bound check per
// element.
func AppendBulk(buf, b []byte) []byte { return redcon.AppendBulk(buf, b) }

// Grow is a capacity hint for a handler about to write a reply of about n
// bytes through the writer's methods: it never refuses (an estimate past
// the bound must not turn away a reply that fits; the writes themselves
// are checked) and never grows the buffer past the bound.
func (w *Writer) Grow(n int) {
	if w.limit != 0 {
		n = min(n, max(0, w.base+w.limit+headerRoom-len(w.Buf)))
	}
	if n > 0 && cap(w.Buf)-len(w.Buf) < n {
		most := math.MaxInt
		if w.limit != 0 {
			most = w.base + w.limit + headerRoom
		}
		w.regrow(len(w.Buf)+n, most)
	}
}

// headerRoom is what a header or a small scalar reply may take.
const headerRoom = 32

// NewWriter returns a RESP2 writer.
func NewWriter() *Writer { return &Writer{Proto: 2} }

func (w *Writer) Reset() { w.Buf, w.base = w.Buf[:0], 0 }

func (w *Writer) Len() int { return len(w.Buf) }

// Truncate drops replies written after n bytes (CLIENT REPLY OFF/SKIP).
func (w *Writer) Truncate(n int) { w.Buf, w.base = w.Buf[:n], min(w.base, n) }

func (w *Writer) OK() {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}
	w.Buf = redcon.AppendOK(w.Buf)
}

// Simple writes a status reply. s must not contain CR or LF.
func (w *Writer) Simple(s string) {
	if w.limit != 0 && !w.room(len(s)+headerRoom) {
		return
	}
	w.Buf = redcon.AppendString(w.Buf, s)
}

// Error writes an error reply; msg carries its own code ("ERR ...", "WRONGTYPE ...").
func (w *Writer) Error(msg string) {
	w.Buf = redcon.AppendError(w.Buf, msg)
	if w.limit != 0 && len(w.Buf)-w.base > w.limit {
		// Errors are exempt from the bound; the room they took is not
		// given to the replies after them.
		w.base = len(w.Buf) - w.limit
	}
}

func (w *Writer) Int(n int64) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}
	w.Buf = redcon.AppendInt(w.Buf, n)
}

func (w *Writer) Bulk(b []byte) {
	if w.limit != 0 && !w.room(len(b)+headerRoom) {
		return
	}
	if len(b) > copyChunk && !w.NoYield {
		w.bigBulk(b)
		return
	}
	w.Buf = redcon.AppendBulk(w.Buf, b)
}

// bigBulk is Bulk of a value past copyChunk, copied in steps of that
// with a chance to yield between them: a 10 MB GET was one memmove of a
// few milliseconds that the scheduler cannot preempt (a tenant's MULTI
// of 10 MB GETs made every other tenant wait through each).
func (w *Writer) bigBulk(b []byte) {
	var hdr [24]byte
	h := append(strconv.AppendInt(append(hdr[:0], '$'), int64(len(b)), 10), '\r', '\n')
	need := len(w.Buf) + len(h) + len(b) + 2
	if need > cap(w.Buf) {
		w.regrow(need, need)
	}
	w.Buf = append(w.Buf, h...)
	at := len(w.Buf)
	w.Buf = w.Buf[:at+len(b)]
	w.copyOut(w.Buf[at:], b)
	w.Buf = append(w.Buf, '\r', '\n')
}

func (w *Writer) BulkString(s string) {
	if w.limit != 0 && !w.room(len(s)+headerRoom) {
		return
	}
	w.Buf = redcon.AppendBulkString(w.Buf, s)
}

// BulkInt writes n as a bulk string (GET of a counter, INCRBYFLOAT results...).
func (w *Writer) BulkInt(n int64) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	var tmp [24]byte
	w.Buf = redcon.AppendBulk(w.Buf, strconv.AppendInt(tmp[:0], n, 10))
}

// Null is the absent value: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	if w.Proto >= 3 {
		w.Buf = append(w.Buf, '_', '\r', '\n')
		return
	}
	w.Buf = redcon.AppendNull(w.Buf)
}

// NullArray is the absent aggregate: *-1 in RESP2, _ in RESP3.
func (w *Writer) NullArray() {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	if w.Proto >= 3 {
		w.Buf = append(w.Buf, '_', '\r', '\n')
		return
	}
	w.Buf = append(w.Buf, '*', '-', '1', '\r', '\n')
}

func (w *Writer) Array(n int) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}
	w.Buf = redcon.AppendArray(w.Buf, n)
}

// InsertArray puts the header of an array of n elements at offset at,
// before the elements already written from there. A reply whose count is
// known only once its elements are found (KEYS) can so be written as it is
// found, instead of being collected as a slice of pointers first: that
// slice was the biggest garbage of a KEYS over a big keyspace.
func (w *Writer) InsertArray(at, n int) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}
	var h [headerRoom]byte
	w.insert(at, redcon.AppendArray(h[:0], n))
}

// InsertBulkArray puts an array header of n elements, a bulk string and a
// second array header of m elements at offset at: the frame of a SCAN
// reply (its cursor, then the names), whose cursor and count are known
// only once the names are written.
func (w *Writer) InsertBulkArray(at, n int, bulk []byte, m int) {
	if w.limit != 0 && !w.room(len(bulk)+2*headerRoom) {
		return
	}
	var h [3 * headerRoom]byte
	hdr := redcon.AppendArray(h[:0], n)
	hdr = redcon.AppendBulk(hdr, bulk)
	w.insert(at, redcon.AppendArray(hdr, m))
}

// insert puts hdr at offset at, before the bytes written from there.
func (w *Writer) insert(at int, hdr []byte) {
	end := len(w.Buf)
	w.Buf = append(w.Buf, hdr...)
	// Moved from the end down in steps: one copy of tens of MB is a few
	// ms in which the goroutine cannot be preempted.
	const step = 256 << 10
	for hi := end; hi > at; hi -= step {
		lo := max(at, hi-step)
		copy(w.Buf[lo+len(hdr):hi+len(hdr)], w.Buf[lo:hi])
	}
	copy(w.Buf[at:], hdr)
}

// Map announces n key/value pairs: %n in RESP3, a flat array of 2n in RESP2.
func (w *Writer) Map(n int) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	if w.Proto >= 3 {
		w.Buf = appendHeader(w.Buf, '%', n)
		return
	}
	w.Buf = redcon.AppendArray(w.Buf, 2*n)
}

// Set announces n members: ~n in RESP3, an array in RESP2.
func (w *Writer) Set(n int) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	if w.Proto >= 3 {
		w.Buf = appendHeader(w.Buf, '~', n)
		return
	}
	w.Buf = redcon.AppendArray(w.Buf, n)
}

// Push announces an out-of-band message: >n in RESP3, an array in RESP2.
func (w *Writer) Push(n int) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	if w.Proto >= 3 {
		w.Buf = appendHeader(w.Buf, '>', n)
		return
	}
	w.Buf = redcon.AppendArray(w.Buf, n)
}

// Bool is #t/#f in RESP3 and the integers 1/0 in RESP2, as Redis does.
func (w *Writer) Bool(v bool) {
	if w.limit != 0 && !w.room(headerRoom) {
		return
	}

	if w.Proto >= 3 {
		if v {
			w.Buf = append(w.Buf, '#', 't', '\r', '\n')
		} else {
			w.Buf = append(w.Buf, '#', 'f', '\r', '\n')
		}
		return
	}
	if v {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double is a RESP3 double, or in RESP2 the bulk string Redis would send.
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	w.DoubleText(AppendFloat(tmp[:0], f))
}

// DoubleText is Double for a value already formatted as Redis formats it
// (a handler's fast path for integral scores, a coordinate's own format).
func (w *Writer) DoubleText(b []byte) {
	if w.limit != 0 && !w.room(len(b)+headerRoom) {
		return
	}
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, b...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Buf = redcon.AppendBulk(w.Buf, b)
}

// Verbatim is a RESP3 verbatim string ("txt" format), a bulk string in RESP2.
// Redis uses it for INFO, CLIENT INFO and CLIENT LIST.
func (w *Writer) Verbatim(s string) {
	if w.limit != 0 && !w.room(len(s)+headerRoom) {
		return
	}

	if w.Proto >= 3 {
		w.Buf = appendHeader(w.Buf, '=', len(s)+4)
		w.Buf = append(w.Buf, "txt:"...)
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Buf = redcon.AppendBulkString(w.Buf, s)
}

// Raw appends already encoded bytes.
func (w *Writer) Raw(b []byte) {
	if w.limit != 0 && !w.room(len(b)) {
		return
	}
	w.Buf = append(w.Buf, b...)
}

func appendHeader(b []byte, c byte, n int) []byte {
	b = append(b, c)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendFloat formats a double the way Redis 7 replies with it: "inf",
// "-inf", "nan", integers without a fraction, otherwise the shortest text that
// reads back as the same double.
func AppendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

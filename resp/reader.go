package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
)

// ErrQueryBufLimit means a client buffered more than MaxQueryBuf bytes of
// unfinished input. Redis closes such a client without a reply; so do we.
var ErrQueryBufLimit = errors.New("resp: client query buffer limit reached")

const (
	minRead = 4 << 10
	// maxRead caps one read: the kernel copies a read into the buffer in
	// one stretch that no yield breaks, and into a buffer just allocated
	// it takes a page fault every 4 KB (about 15 µs each on a virtual
	// machine), so a read of the few MB a socket can hold into a grown
	// buffer held the processor for tens of milliseconds. 256 KB is at
	// most 64 faults; a 100 MB argument takes 400 reads.
	maxRead     = 256 << 10
	initialBuf  = 4 << 10
	shrinkAbove = 64 << 10
)

// Reader parses commands from a stream. It is the only parser untrusted bytes
// reach: every length is checked against Limits before anything is allocated
// for it, and buffers grow only as bytes really arrive, so a hostile header
// costs nothing beyond the bytes actually sent.
//
// It parses incrementally: a command that arrives in many reads is scanned
// once, not once per read.
type Reader struct {
	src io.Reader
	lim Limits

	buf  []byte
	r, w int // buf[r:w] is unread input

	// State of the command being assembled, offsets relative to r.
	inCmd bool
	argc  int64 // announced argument count
	pos   int   // where parsing resumes
	offs  []int // start, end pairs of the arguments parsed so far
	need  int   // bytes from r that must be buffered before parsing can go on
	// announced is the sum of the argument lengths announced so far,
	// the command name's excepted, for Limits.PayloadLimit.
	announced int64
	args      [][]byte

	aheadOffs []int // Ahead's own parse state, kept for its capacity
	aheadArgs [][]byte

	// offs0 is offs's first backing array, part of the reader's own
	// allocation: a connection refused at its first command (a tenant
	// reconnecting to send arguments past its limit, over and over) costs
	// no allocation for it.
	offs0 [8]int
}

// NewReader returns a reader over src with the given limits.
func NewReader(src io.Reader, lim Limits) *Reader {
	rd := &Reader{src: src, lim: lim}
	rd.offs = rd.offs0[:0]
	return rd
}

// SetLimits changes the limits for commands not yet started.
func (rd *Reader) SetLimits(lim Limits) { rd.lim = lim }

// Buffered reports how many unread bytes are held.
func (rd *Reader) Buffered() int { return rd.w - rd.r }

// Next returns the next complete command already buffered, or nil when more
// input is needed (call Fill). preAuth applies Redis's limits for clients that
// have not authenticated yet. The returned slices alias the buffer and are valid
// until the next call to Next or Fill.
func (rd *Reader) Next(preAuth bool) ([][]byte, error) {
	for {
		if rd.r == rd.w {
			rd.reset()
			return nil, nil
		}
		if !rd.inCmd && rd.buf[rd.r] != '*' {
			args, done, err := rd.inline()
			if err != nil || !done {
				return nil, err
			}
			if len(args) == 0 {
				continue // blank line: Redis ignores it
			}
			return args, nil
		}
		args, done, err := rd.multibulk(preAuth)
		if err != nil || !done {
			return nil, err
		}
		if args == nil {
			continue // "*0" or negative count: an empty command, skipped as Redis does
		}
		return args, nil
	}
}

// MaxAheadArgs bounds the commands Ahead looks at: a lookahead is a hint,
// and a command with many arguments would cost more to scan twice than
// knowing its keys early saves.
const MaxAheadArgs = 64

// Ahead calls fn with each complete command buffered from the next one on,
// at most max of them, without consuming anything, and returns how many it
// saw. It stops at the first command it cannot take whole: an inline
// command, one still arriving, one with more than MaxAheadArgs arguments, or
// one Next would refuse. The slices alias the buffer and are valid until the
// next call to Next or Fill.
//
// It runs the same parser as Next on a copy of the reader's position, so it
// can never read a command differently from how Next will.
func (rd *Reader) Ahead(max int, fn func(args [][]byte)) int {
	if rd.inCmd {
		return 0
	}
	p := *rd
	p.lim.MaxMultibulkLen = min(p.lim.MaxMultibulkLen, MaxAheadArgs)
	p.offs, p.args = rd.aheadOffs[:0], rd.aheadArgs[:0]
	n := 0
	for n < max && p.r < p.w && p.buf[p.r] == '*' {
		args, done, err := p.multibulk(false)
		if err != nil || !done {
			break
		}
		if args != nil {
			fn(args)
			n++
		}
	}
	rd.aheadOffs, rd.aheadArgs = p.offs, p.args
	return n
}

func (rd *Reader) reset() {
	rd.r, rd.w = 0, 0
	if cap(rd.buf) > shrinkAbove {
		// A big command passed; do not keep its buffer per idle client,
		// but give it to the next big one: a tenant pipelining a MULTI of
		// 10k commands grew and dropped ~1 MB of buffers per batch.
		putBuf(rd.buf)
		rd.buf = nil
	}
}

// line finds the CR that ends a header starting at from (relative to r).
// It returns the header including its type byte (empty when the line is
// bare), and the offset just past CRLF.
func (rd *Reader) line(from int) (hdr []byte, next int, ok bool) {
	b := rd.buf[rd.r+from : rd.w]
	i := bytes.IndexByte(b, '\r')
	if i < 0 || i+1 >= len(b) {
		return nil, 0, false
	}
	// Like Redis, the byte after CR is skipped without being checked.
	return b[:i], from + i + 2, true
}

func (rd *Reader) multibulk(preAuth bool) ([][]byte, bool, error) {
	if !rd.inCmd {
		hdr, next, ok := rd.line(0)
		if !ok {
			if rd.w-rd.r > rd.lim.MaxInlineLen {
				return nil, false, &ProtocolError{Msg: ProtoTooBigMbulk}
			}
			return nil, false, nil
		}
		n, ok := parseLen(hdr[1:])
		if !ok || n > rd.lim.MaxMultibulkLen {
			return nil, false, &ProtocolError{Msg: ProtoInvalidMbulk}
		}
		if preAuth && n > rd.lim.PreAuthMaxArgs {
			return nil, false, &ProtocolError{Msg: ProtoUnauthMbulk}
		}
		if n <= 0 {
			rd.r += next
			return nil, true, nil
		}
		rd.inCmd, rd.argc, rd.pos, rd.need, rd.announced = true, n, next, 0, 0
		rd.offs = rd.offs[:0]
	}
	for int64(len(rd.offs)/2) < rd.argc {
		hdr, next, ok := rd.line(rd.pos)
		if !ok {
			if rd.w-rd.r-rd.pos > rd.lim.MaxInlineLen {
				return nil, false, &ProtocolError{Msg: ProtoTooBigBulk}
			}
			return nil, false, nil
		}
		// Like Redis, the type byte is judged only once the line is complete.
		if c := rd.buf[rd.r+rd.pos]; c != '$' {
			return nil, false, &ProtocolError{Msg: ProtoExpectedDollar(c)}
		}
		n, ok := parseLen(hdr[1:])
		// What the refused argument still has to arrive: its bytes and
		// CRLF beyond those already buffered.
		unread := func() int64 {
			switch {
			case n < 0:
				return 0
			case n > math.MaxInt64-2:
				return math.MaxInt64 // its CRLF would not fit: as good as endless
			}
			return max(n+2-int64(rd.w-rd.r-next), 0)
		}
		if !ok || n < 0 || n > rd.lim.MaxBulkLen {
			return nil, false, &ProtocolError{Msg: ProtoInvalidBulk, Unread: unread()}
		}
		if preAuth && n > rd.lim.PreAuthMaxBulkLen {
			return nil, false, &ProtocolError{Msg: ProtoUnauthBulk, Unread: unread()}
		}
		if p := rd.lim.PayloadLimit; p > 0 && len(rd.offs) > 0 && rd.announced+n > p+PayloadSlack {
			return nil, false, &ProtocolError{Msg: payloadTooBig(rd.announced+n, p), Unread: unread()}
		}
		end := next + int(n)
		if rd.r+end+2 > rd.w {
			rd.need = end + 2
			return nil, false, nil
		}
		if len(rd.offs) > 0 {
			rd.announced += n // the header is parsed again while its bytes arrive: count it once
		}
		rd.offs = append(rd.offs, next, end)
		rd.pos = end + 2
	}
	args := rd.args[:0]
	base := rd.buf[rd.r:]
	for i := 0; i < len(rd.offs); i += 2 {
		args = append(args, base[rd.offs[i]:rd.offs[i+1]:rd.offs[i+1]])
	}
	rd.args = args
	rd.r += rd.pos
	rd.inCmd, rd.need = false, 0
	return args, true, nil
}

func (rd *Reader) inline() ([][]byte, bool, error) {
	b := rd.buf[rd.r:rd.w]
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > rd.lim.MaxInlineLen {
			return nil, false, &ProtocolError{Msg: ProtoTooBigInline}
		}
		return nil, false, nil
	}
	if nl > rd.lim.MaxInlineLen {
		return nil, false, &ProtocolError{Msg: ProtoTooBigInline}
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := SplitArgs(line)
	if !ok {
		return nil, false, &ProtocolError{Msg: ProtoUnbalancedQuote}
	}
	rd.r += nl + 1
	return args, true, nil
}

// Fill reads more input. It returns the reader's error (io.EOF when the peer
// closed) or ErrQueryBufLimit.
func (rd *Reader) Fill() error {
	if rd.r == rd.w {
		rd.r, rd.w = 0, 0
	}
	pending := rd.w - rd.r
	unparsed := pending
	if rd.inCmd && !rd.lim.WholeCommand {
		// Finished arguments count as the command's, like Redis's argv; only
		// the argument still arriving counts against the query buffer.
		unparsed -= rd.pos
	}
	if int64(unparsed) >= rd.lim.MaxQueryBuf {
		return ErrQueryBufLimit
	}
	if len(rd.buf)-rd.w < minRead && rd.r > 0 {
		copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r, rd.w = 0, pending
	}
	if len(rd.buf)-rd.w < minRead {
		// Grow by doubling as bytes really arrive: copying stays linear, and
		// a header announcing a huge bulk followed by silence reserves nothing
		// beyond what was sent. Stop at the command's known end so an 8 MB
		// bulk does not take 16 MB: only when the argument arriving is the
		// last, since the end of any other is not the command's, and a
		// buffer capped at each argument's end grew by a few KB a time (a
		// command of 2,000 arguments of 2 KB was copied 460 times).
		size := max(2*len(rd.buf), initialBuf, pending+minRead)
		if rd.need > pending && int64(len(rd.offs)/2)+1 == rd.argc {
			size = min(size, max(rd.need, pending+minRead))
		}
		if rd.lim.WholeCommand {
			// Nothing past the bound is ever kept, so no room is made for it.
			size = min(size, max(int(min(rd.lim.MaxQueryBuf, 1<<40))+minRead, pending+minRead))
		}
		nb, _ := getBuf(size, size)
		nb = nb[:size]
		copy(nb, rd.buf[rd.r:rd.w])
		putBuf(rd.buf) // what Next returned from it is no longer valid
		rd.buf = nb
		rd.r, rd.w = 0, pending
	}
	n, err := rd.src.Read(rd.buf[rd.w:min(len(rd.buf), rd.w+maxRead)])
	rd.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// parseLen parses a length the way Redis's string2ll does: optional '-',
// no '+', no leading zeros, no spaces, no overflow.
func parseLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] == '0' {
		return 0, len(b) == 1 && !neg
	}
	var v uint64 // magnitude, up to 1<<63 so that LLONG_MIN parses as in Redis
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<63-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

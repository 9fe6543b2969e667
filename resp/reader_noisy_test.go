package resp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
)

// counting is a client sending a header and then an endless argument,
// counting what the reader took from it.
type counting struct {
	head string
	read int
}

func (c *counting) Read(p []byte) (int, error) {
	n := copy(p, c.head[min(c.read, len(c.head)):])
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	c.read += len(p)
	return len(p), nil
}

// Issue 10 (noisy neighbours): 20 connections of a tenant sending 100 MB
// arguments over and over, each refused from its header by the payload
// limit. What the reader does per refused connection must not grow with
// the argument: one first read, one small buffer, the error, nothing of
// the argument kept or discarded by reading.
func TestReaderRefusedArgumentCost(t *testing.T) {
	lim := DefaultLimits()
	lim.PayloadLimit = 16 << 20
	lim.WholeCommand = true
	head := "*3\r\n$3\r\nSET\r\n$5\r\narg:1\r\n$104857600\r\n"
	var src *counting
	var rd *Reader
	allocs := testing.AllocsPerRun(50, func() {
		src = &counting{head: head}
		rd = NewReader(src, lim)
		_, err := readOne(rd)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Msg != "QUOTA payload of at least 104857605 bytes exceeds the limit of 16777216 bytes" {
			t.Fatalf("got %v", err)
		}
		if want := int64(104857600 + 2 - (initialBuf - len(head))); pe.Unread != want {
			t.Fatalf("Unread %d, want %d", pe.Unread, want)
		}
	})
	if src.read > initialBuf {
		t.Errorf("the reader took %d bytes of the refused frame, want at most one read of %d", src.read, initialBuf)
	}
	if c := cap(rd.buf); c > initialBuf {
		t.Errorf("the reader holds %d bytes for a refused header", c)
	}
	// The source, the reader, its buffer, the error and its text, and
	// none depends on the argument's size (before: 10, the offsets' growth
	// and fmt's boxing included).
	if allocs > 6 {
		t.Errorf("%.0f allocations per refused connection", allocs)
	}
}

// payloadTooBig writes ErrPayloadTooBig's text exactly.
func TestPayloadTooBigText(t *testing.T) {
	for _, c := range [][2]int64{{0, 0}, {104857605, 16777216}, {math.MaxInt64, 1}, {-1, math.MinInt64}} {
		if got, want := payloadTooBig(c[0], c[1]), fmt.Sprintf(ErrPayloadTooBig, c[0], c[1]); got != want {
			t.Errorf("payloadTooBig(%d, %d) = %q, want %q", c[0], c[1], got, want)
		}
	}
}

// A tenant pipelining a MULTI of 10k SETs (~300 KB) over and over: the
// reader grew its buffer by doubling for each batch and dropped it once
// the batch was read, ~1 MB of garbage per batch. Its big buffers now come
// from the reply buffers' pool and go back to it.
func TestReaderBigBatchRecycled(t *testing.T) {
	if raceOn {
		t.Skip("the race detector drops pooled buffers at random")
	}
	var batch []byte
	for i := 0; i < 10_000; i++ {
		batch = fmt.Appendf(batch, "*3\r\n$3\r\nSET\r\n$%d\r\nm:%d\r\n$1\r\nv\r\n", len(fmt.Sprint("m:", i)), i)
	}
	src := &batches{batch: batch}
	rd := NewReader(src, DefaultLimits())
	read := func() {
		src.left = 1
		for n := 0; n < 10_000; {
			args, err := rd.Next(false)
			if err != nil {
				t.Fatal(err)
			}
			if args == nil {
				if err := rd.Fill(); err != nil {
					t.Fatal(err)
				}
				continue
			}
			n++
		}
		if args, err := rd.Next(false); args != nil || err != nil {
			t.Fatalf("left over: %q %v", args, err)
		}
	}
	// The first few KB of each batch's growth, and the pool's boxes.
	if per := bytesPerRun(10, read); per > 64<<10 {
		t.Errorf("%d bytes allocated per batch of %d bytes", per, len(batch))
	}
}

// batches sends one batch, in reads of at most 64 KB, left times.
type batches struct {
	batch []byte
	left  int
	off   int
}

func (b *batches) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 64<<10)], b.batch[b.off:])
	if b.off += n; b.off == len(b.batch) {
		b.off, b.left = 0, b.left-1
	}
	return n, nil
}

package resp

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// readOne runs Next and Fill until a command, an error or the input's end.
func readOne(rd *Reader) ([][]byte, error) { return readOneAuth(rd, false) }

// A tenant's command announcing far more than its payload limit is
// refused from its headers, before its bytes are buffered.
func TestReaderPayloadLimitFromHeaders(t *testing.T) {
	lim := DefaultLimits()
	lim.PayloadLimit = 60
	rd := NewReader(strings.NewReader("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n"), lim)
	_, err := readOne(rd)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Msg != "QUOTA payload of at least 204801 bytes exceeds the limit of 60 bytes" {
		t.Fatalf("got %v", err)
	}
}

// A header is parsed again while its bulk arrives; its length must count
// once: a command exactly at the limit plus slack passes, byte by byte.
func TestReaderPayloadCountedOnce(t *testing.T) {
	lim := DefaultLimits()
	lim.PayloadLimit = 10
	a, b := strings.Repeat("a", 10), strings.Repeat("b", PayloadSlack)
	cmd := "*3\r\n$3\r\nSET\r\n$10\r\n" + a + "\r\n$65536\r\n" + b + "\r\n"
	rd := NewReader(iotest.OneByteReader(strings.NewReader(cmd)), lim)
	args, err := readOne(rd)
	if err != nil || len(args) != 3 || string(args[1]) != a || string(args[2]) != b {
		t.Fatalf("got %d args, %v", len(args), err)
	}
	rd = NewReader(strings.NewReader("*3\r\n$3\r\nSET\r\n$11\r\n"+a+"a\r\n$65536\r\n"), lim)
	if _, err := readOne(rd); err == nil || !strings.Contains(err.Error(), "at least 65547 bytes") {
		t.Fatalf("one byte over: %v", err)
	}
}

// endless is a client that sends finished arguments forever.
type endless struct{ chunk []byte }

func (e *endless) Read(p []byte) (int, error) { return copy(p, e.chunk), nil }

// With WholeCommand, finished arguments count against MaxQueryBuf, and the
// buffer never grows past it: an unauthenticated client's half-sent frame
// holds kilobytes, not hundreds.
func TestReaderWholeCommandBound(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxQueryBuf = PreAuthQueryBuf
	lim.WholeCommand = true
	src := io.MultiReader(strings.NewReader("*1000\r\n"), &endless{chunk: []byte("$100\r\n" + strings.Repeat("x", 100) + "\r\n")})
	rd := NewReader(src, lim)
	_, err := readOne(rd)
	if !errors.Is(err, ErrQueryBufLimit) {
		t.Fatalf("got %v", err)
	}
	if c := cap(rd.buf); c > PreAuthQueryBuf+2*minRead {
		t.Errorf("buffer grew to %d bytes for a bound of %d", c, PreAuthQueryBuf)
	}
	// Redis's own count (the argument arriving) would have let it grow.
	lim.WholeCommand = false
	rd = NewReader(io.MultiReader(strings.NewReader("*1000\r\n"), bytes.NewReader(bytes.Repeat([]byte("$100\r\n"+strings.Repeat("x", 100)+"\r\n"), 999))), lim)
	if _, err := readOne(rd); err == nil || errors.Is(err, ErrQueryBufLimit) {
		t.Fatalf("without WholeCommand: %v", err)
	}
}

// readSizes is a source that notes the size of every read asked of it.
type readSizes struct {
	src   io.Reader
	asked []int
}

func (r *readSizes) Read(p []byte) (int, error) {
	r.asked = append(r.asked, len(p))
	return r.src.Read(p)
}

// One read asks for at most maxRead bytes, however far the buffer has
// grown: the kernel's copy into new pages is one stretch no yield breaks.
// The command still arrives whole.
func TestReaderReadsAtMostMaxReadAtOnce(t *testing.T) {
	val := strings.Repeat("v", 8<<20)
	src := &readSizes{src: strings.NewReader("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + strconv.Itoa(len(val)) + "\r\n" + val + "\r\n")}
	args, err := readOne(NewReader(src, DefaultLimits()))
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 3 || string(args[2]) != val {
		t.Fatalf("%d arguments, the value %d bytes", len(args), len(args[len(args)-1]))
	}
	most := 0
	for _, n := range src.asked {
		most = max(most, n)
	}
	if most > maxRead || most == 0 {
		t.Errorf("a read asked for %d bytes, want at most %d", most, maxRead)
	}
}

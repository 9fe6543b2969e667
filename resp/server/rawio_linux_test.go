//go:build linux

package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// rawPair connects a raw socket to a plain net.Conn over loopback TCP.
func rawPair(t *testing.T) (raw io.ReadWriter, rawConn, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rawConn, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close(); rawConn.Close() })
	raw = newRawSocket(rawConn)
	r, ok := raw.(*rawIO)
	if !ok {
		t.Fatalf("newRawSocket gave %T for a TCP connection", raw)
	}
	// Close waits for the read the raw socket holds open: let go first
	// (cleanups run last registered first).
	t.Cleanup(r.StopReading)
	return raw, rawConn, peer
}

// Writes bigger than the socket buffers go out whole, through partial
// writes and waits for the peer; reads see exactly the bytes sent.
func TestRawIOBigTransfers(t *testing.T) {
	raw, _, peer := rawPair(t)
	out := bytes.Repeat([]byte("0123456789abcdef"), 4<<20) // 64 MB
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(out))))
		got <- b
	}()
	if n, err := raw.Write(out); n != len(out) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, out) {
		t.Fatalf("peer received %d bytes, not what was written", len(b))
	}

	go func() { _, _ = peer.Write(out) }()
	in := make([]byte, 0, len(out))
	buf := make([]byte, 1<<16)
	for len(in) < len(out) {
		n, err := raw.Read(buf)
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(in), err)
		}
		in = append(in, buf[:n]...)
	}
	if !bytes.Equal(in, out) {
		t.Fatal("read bytes differ from those sent")
	}
}

// Deadlines, the peer closing, and Close while a read waits behave as on
// net.Conn: the serve loop and blocking commands rely on each.
func TestRawIOEnds(t *testing.T) {
	raw, rc, peer := rawPair(t)

	_ = rc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := raw.Read(make([]byte, 16))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	_ = rc.SetReadDeadline(time.Time{})

	if _, err := peer.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	peer.Close()
	buf := make([]byte, 16)
	if n, err := raw.Read(buf); n != 4 || err != nil || string(buf[:4]) != "tail" {
		t.Fatalf("read before EOF = %d %q, %v", n, buf[:n], err)
	}
	if n, err := raw.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read at EOF = %d, %v; want 0, io.EOF", n, err)
	}

	raw2, rc2, _ := rawPair(t)
	done := make(chan error)
	go func() {
		_, err := raw2.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	rc2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read interrupted by Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a waiting read")
	}
	if _, err := raw2.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v, want net.ErrClosed", err)
	}
}

// A client that waits for each reply before it sends again costs one
// read per request: the read after a reply waits in the netpoller without
// a system call, where it used to fail with EAGAIN first (2 reads per
// request).
func TestRawIOReadsOncePerRequest(t *testing.T) {
	raw, _, peer := rawPair(t)
	r := raw.(*rawIO)
	const rounds = 200
	buf, reply := make([]byte, 4096), make([]byte, 4)
	for i := range rounds {
		if _, err := peer.Write([]byte("PING")); err != nil {
			t.Fatal(err)
		}
		if n, err := raw.Read(buf); n != 4 || err != nil || string(buf[:n]) != "PING" {
			t.Fatalf("round %d: Read = %d %q, %v", i, n, buf[:n], err)
		}
		if _, err := raw.Write([]byte("PONG")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(peer, reply); err != nil || string(reply) != "PONG" {
			t.Fatalf("round %d: peer read %q, %v", i, reply, err)
		}
	}
	// The first reads of a RawConn.Read try once more (an EAGAIN) before
	// a short read is trusted.
	if r.readCalls > rounds+4 {
		t.Fatalf("%d read system calls for %d requests, want at most %d", r.readCalls, rounds, rounds+4)
	}
}

// The end of input is never missed after a short read: a FIN that came
// with the last data (before the read, or in the wake-up that ended its
// wait), and one after a deadline ended the open read. A short read that
// was taken for an empty socket missed them (TestHostileAbandonedCommands).
func TestRawIOEndOfInputAfterData(t *testing.T) {
	readAll := func(t *testing.T, raw io.Reader, rc net.Conn, want string, then ...func()) {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			var in []byte
			buf := make([]byte, 4096)
			for {
				n, err := raw.Read(buf)
				in = append(in, buf[:n]...)
				if err != nil {
					if err != io.EOF {
						in = append(in, " err: "+err.Error()...)
					}
					got <- string(in)
					return
				}
			}
		}()
		for _, f := range then {
			time.Sleep(time.Millisecond) // the read waits in the poller
			f()
		}
		select {
		case s := <-got:
			if s != want {
				t.Fatalf("read %q, want %q then EOF", s, want)
			}
		case <-time.After(5 * time.Second):
			// End the waiting read, so the test's cleanup can close.
			_ = rc.SetReadDeadline(time.Unix(1, 0))
			<-got
			t.Fatal("the end of input was missed: Read still waited")
		}
	}
	for i := range 50 {
		t.Run("", func(t *testing.T) {
			raw, rc, peer := rawPair(t)
			buf := make([]byte, 4096)
			switch i % 4 {
			case 0: // data and FIN before the first read
				_, _ = peer.Write([]byte("last"))
				_ = peer.Close()
				readAll(t, raw, rc, "last")
			case 1: // a round trip first, then data and FIN together
				_, _ = peer.Write([]byte("a"))
				if n, err := raw.Read(buf); n != 1 || err != nil {
					t.Fatalf("Read = %d, %v", n, err)
				}
				time.Sleep(time.Millisecond)
				_, _ = peer.Write([]byte("b"))
				_ = peer.Close()
				readAll(t, raw, rc, "b")
			case 2: // a deadline ends the open read, then data and FIN
				_ = rc.SetReadDeadline(time.Now().Add(time.Millisecond))
				if _, err := raw.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Read past the deadline: %v", err)
				}
				_ = rc.SetReadDeadline(time.Time{})
				_, _ = peer.Write([]byte("c"))
				_ = peer.Close()
				readAll(t, raw, rc, "c")
			case 3: // a round trip, a wait, then data and FIN in one wake-up
				_, _ = peer.Write([]byte("a"))
				if n, err := raw.Read(buf); n != 1 || err != nil {
					t.Fatalf("Read = %d, %v", n, err)
				}
				readAll(t, raw, rc, "dd", func() {
					_, _ = peer.Write([]byte("dd"))
					_ = peer.Close()
				})
			}
		})
	}
}

// Abort (a kill from another goroutine) fails the next read even when
// input is waiting, and StopReading lets Close finish.
func TestRawIOAbort(t *testing.T) {
	raw, rc, peer := rawPair(t)
	buf := make([]byte, 16)
	_, _ = peer.Write([]byte("x"))
	if n, err := raw.Read(buf); n != 1 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	_, _ = peer.Write([]byte("y"))
	raw.(*rawIO).Abort()
	closed := make(chan struct{})
	go func() { _ = rc.Close(); close(closed) }()
	if n, err := raw.Read(buf); err == nil {
		t.Fatalf("Read after Abort = %d %q, want an error", n, buf[:n])
	}
	raw.(*rawIO).StopReading()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waits after StopReading")
	}
}

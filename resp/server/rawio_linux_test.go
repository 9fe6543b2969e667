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
	if _, ok := raw.(*rawIO); !ok {
		t.Fatalf("newRawSocket gave %T for a TCP connection", raw)
	}
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

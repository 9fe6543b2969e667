package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"synap/commands"
	"synap/sched"
)

// serveDefault serves a default standalone server until the test ends and
// returns its listener.
func serveDefault(t *testing.T) net.Listener {
	t.Helper()
	srv := commands.NewServer(commands.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Start(srv, ln)
	t.Cleanup(func() { _ = srv.Close() })
	return ln
}

// A client streaming bulk writes (redis-cli --pipe) keeps its connection's
// reads finding input, and with the read held open in a coroutine the
// connection and its read hand the processor to each other past the
// scheduler: before the connection yielded to such a stream, every other
// client waited for the runtime's 10 ms preemption (p99 16 ms in the
// noisy-neighbour measure of pacer.go). Here the stream's connection
// yields, another client is answered meanwhile, and nothing of the stream
// is lost.
func TestStreamingConnectionYields(t *testing.T) {
	// Two processors: the test's own writer must keep the stream coming
	// while the server reads it.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ln := serveDefault(t)

	const sets, size = 2000, 12_000
	var stream bytes.Buffer
	for i := range sets {
		v := strings.Repeat(string(rune('a'+i%26)), size)
		fmt.Fprintf(&stream, "*3\r\n$3\r\nSET\r\n$6\r\nk%05d\r\n$%d\r\n%s\r\n", i%1000, size, v)
	}
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	before := streamYields.Load()
	var oks atomic.Int64
	first := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		r := bufio.NewReader(a)
		for i := range sets {
			line, err := r.ReadString('\n')
			if err != nil || line != "+OK\r\n" {
				done <- fmt.Errorf("SET %d: %q, %v", i, line, err)
				return
			}
			if oks.Add(1) == 1 {
				close(first)
			}
		}
		done <- nil
	}()
	go func() { _, _ = a.Write(stream.Bytes()) }()
	<-first
	if _, err := b.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	pong, err := bufio.NewReader(b).ReadString('\n')
	if err != nil || pong != "+PONG\r\n" {
		t.Fatalf("PING during the stream: %q, %v", pong, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := streamYields.Load() - before; n == 0 {
		t.Fatalf("the streaming connection never yielded (%d MB in %d SETs)", sets*size>>20, sets)
	}
	// Nothing of the stream was lost: the last value of each key is there.
	if _, err := b.Write([]byte("*2\r\n$6\r\nSTRLEN\r\n$6\r\nk00999\r\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := bufio.NewReader(b).ReadString('\n'); err != nil || got != fmt.Sprintf(":%d\r\n", size) {
		t.Fatalf("STRLEN after the stream: %q, %v", got, err)
	}
}

// A pipeline of large commands gives a chance to yield every yieldBytes of
// arguments, however few commands each read brings: 32 SETs of 12 KB are
// under the 64 commands of yieldCommands, and ran 1 ms and more between
// two chances.
func TestPipelineOfBigCommandsHasChancesToYield(t *testing.T) {
	ln := serveDefault(t)
	const sets, size = 32, 12_000
	var batch bytes.Buffer
	for i := range sets {
		fmt.Fprintf(&batch, "*3\r\n$3\r\nSET\r\n$3\r\nk%02d\r\n$%d\r\n%s\r\n", i, size, strings.Repeat("v", size))
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var chances atomic.Int64
	sched.Observe(func(resumed bool) {
		if !resumed {
			chances.Add(1)
		}
	})
	defer sched.Observe(nil)
	if _, err := c.Write(batch.Bytes()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for i := range sets {
		if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
			t.Fatalf("SET %d: %q, %v", i, line, err)
		}
	}
	if want := int64(sets * size / yieldBytes); chances.Load() < want {
		t.Fatalf("%d chances to yield over %d KB of arguments, want at least %d (one per %d KB)", chances.Load(), sets*size>>10, want, yieldBytes>>10)
	}
}

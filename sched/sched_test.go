package sched

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// With one processor, a goroutine whose socket has data is run by Yield
// before Yield returns: the yield lets the network poller see it. With
// runtime.Gosched instead, the yielder is picked again at once and the
// reader waits for sysmon's poll (10 ms) or a preemption.
func TestYieldRunsGoroutinesWaitingOnTheNetwork(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	for round := range 20 {
		var got atomic.Bool
		ready := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			close(ready)
			var b [1]byte
			if _, err := server.Read(b[:]); err == nil {
				got.Store(true)
			}
		}()
		<-ready
		// Let the reader park in the poller.
		time.Sleep(5 * time.Millisecond)
		if _, err := client.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		// Loopback usually delivers the byte before Write returns, but a
		// loaded machine may defer it: wait until the socket has it (a
		// peek, which neither consumes it nor involves the scheduler).
		waitReadable(t, server)
		Yield()
		if !got.Load() {
			t.Fatalf("round %d: the reader did not run during the yield", round)
		}
		<-done
	}
}

// Yields from many goroutines at once, more than the pool of pipes, all
// return (none waits for a wake-up that was lost).
func TestConcurrentYieldsReturn(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 * poolSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				Yield()
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(30 * time.Second):
		t.Fatal("yields did not return")
	}
}

// Maybe yields at most once per Every across all goroutines.
func TestMaybeIsPaced(t *testing.T) {
	contendedUntil.Store(0)
	last.Store(time.Now().UnixNano())
	before := last.Load()
	for range 1000 {
		Maybe()
	}
	if last.Load() != before {
		t.Fatal("Maybe yielded within Every of the last yield")
	}
	last.Store(time.Now().Add(-2 * Every).UnixNano())
	Maybe()
	if last.Load() == before {
		t.Fatal("Maybe did not yield after Every")
	}
}

func waitReadable(t *testing.T, c net.Conn) {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		if err := rc.Control(func(fd uintptr) {
			var b [1]byte
			n, _, _ = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		}); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
	}
	t.Fatal("the byte never arrived")
}

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

	judged := 0
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
		// Waiting long, this goroutine may be preempted and the reader
		// run and take the byte first: that round proves nothing.
		if !waitReadable(t, server, &got) {
			<-done
			continue
		}
		judged++
		Yield()
		if !got.Load() {
			t.Fatalf("round %d: the reader did not run during the yield", round)
		}
		<-done
	}
	if judged == 0 {
		t.Skip("in every round the reader ran before the byte was seen waiting: the machine is too loaded to judge")
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

// Yields are due at most once per Every across all goroutines, and once per
// EveryContended while others are being served; the times are given, not
// read from the clock, so a slow or preempted run cannot fail the test.
func TestYieldsArePaced(t *testing.T) {
	t.Cleanup(func() { contendedUntil.Store(0); last.Store(0) })
	const t0 = int64(1 << 40)
	for _, tc := range []struct {
		name      string
		contended bool
		every     time.Duration
	}{
		{"alone", false, Every},
		{"contended", true, EveryContended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			contendedUntil.Store(0)
			if tc.contended {
				contendedUntil.Store(t0 + int64(time.Hour))
			}
			last.Store(t0)
			for d := int64(0); d < int64(tc.every); d += int64(tc.every) / 100 {
				if dueAt(t0 + d) {
					t.Fatalf("due %v after the last yield, before %v", time.Duration(d), tc.every)
				}
			}
			if last.Load() != t0 {
				t.Fatal("a yield that was not due was claimed")
			}
			if !dueAt(t0 + int64(tc.every)) {
				t.Fatalf("not due %v after the last yield", tc.every)
			}
			if last.Load() != t0+int64(tc.every) {
				t.Fatal("the due yield was not claimed")
			}
			// Claimed: a second caller at the same moment does not yield too.
			if dueAt(t0 + int64(tc.every)) {
				t.Fatal("one due yield was claimed twice")
			}
		})
	}
}

// Maybe yields once a yield is due, and not before.
func TestMaybeYieldsWhenDue(t *testing.T) {
	t.Cleanup(func() { contendedUntil.Store(0); last.Store(0) })
	contendedUntil.Store(0)
	future := time.Now().Add(time.Hour).UnixNano()
	last.Store(future) // the next yield is an hour away
	for range 1000 {
		Maybe()
	}
	if last.Load() != future {
		t.Fatal("Maybe yielded before a yield was due")
	}
	before := time.Now().Add(-2 * Every).UnixNano()
	last.Store(before)
	Maybe()
	if last.Load() == before {
		t.Fatal("Maybe did not yield after Every")
	}
}

// waitReadable waits until c has a byte to read, and reports true; false
// when the reader took it first (got).
func waitReadable(t *testing.T, c net.Conn, got *atomic.Bool) bool {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got.Load() {
			return false
		}
		n := 0
		if err := rc.Control(func(fd uintptr) {
			var b [1]byte
			n, _, _ = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		}); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return true
		}
	}
	t.Fatal("the byte never arrived")
	return false
}

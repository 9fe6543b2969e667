package server

import (
	"runtime"
	"sync/atomic"
	"time"

	"synap/sched"
)

// readPacer decides whether a connection that has answered everything it
// read should let the other connections run before it reads again.
//
// A client waits for its replies before it sends more, so a read straight
// after a reply almost always finds the socket empty: the read system call
// fails with EAGAIN and the goroutine parks in the netpoller until the next
// request arrives. Under load that wasted read is a third of all system
// calls. Yielding first lets every other ready connection take its turn, by
// which time this client's next request is usually there, and the read
// succeeds: two system calls per request batch, as an event loop like
// Redis's makes.
//
// Yielding has a cost for connections parked in the netpoller: Go polls it
// only when no goroutine is runnable (or every 10 ms from sysmon), so if
// busy connections yielded forever an idle client that sends one PING could
// wait 10 ms. The pacer therefore yields only while it has recently seen a
// read that parked and was woken, the sign that the netpoller is still being
// polled; when none has been seen for pacerWindow, connections read (and
// park) at once until the run queue drains and the poller runs.
type readPacer struct {
	base     time.Time    // monotonic origin of the clock below
	lastWake atomic.Int64 // ns since base when a parked read last woke
}

// pacing is one connection's record of whether yielding pays: a yield pays
// when the read after it finds data. A client that sends one command per
// round trip (no pipeline) is rarely back that fast, and a yield that does
// not pay costs a trip through the scheduler for nothing (7% of the CPU of
// LPOP unpipelined), so such a connection stops yielding and tries again
// every pacingProbe reads.
type pacing struct {
	score int8 // yields that paid minus those that did not, within [0, pacingMax]
	reads uint8
	// free: a read after a reply costs no system call when the socket is
	// empty (rawio_linux.go waits in the netpoller at once, told by the
	// kernel that nothing is left), so no yield can pay.
	free bool
	// streak counts the reads in a row that found input without parking,
	// since (pacer clock) the end of the last read that parked or of the
	// last yield: a connection whose input keeps coming (a pipe of bulk
	// writes, a large argument) never gives its processor back otherwise
	// (see beforeRead).
	streak uint32
	since  int64
}

const (
	// pacerWindow bounds how long yielding may keep the netpoller waiting.
	pacerWindow = time.Millisecond
	// parkedRead is how long a read must take to count as parked and woken:
	// a read that finds data takes a few microseconds.
	parkedRead  = 50 * time.Microsecond
	pacingMax   = 4
	pacingProbe = 16
	// pipelinedBatch is the batch from which a connection reads (and
	// parks) at once: see beforeRead.
	pipelinedBatch = 8
	// streakReads is how many reads in a row must find input before the
	// time since the last park counts as one stretch on the processor: a
	// pipelining client among many often finds its next batch there once,
	// after waiting its turn behind the others.
	streakReads = 2
)

// streamYields counts the yields of connections whose input kept coming
// (tests).
var streamYields atomic.Int64

func newReadPacer() *readPacer { return &readPacer{base: time.Now()} }

func (p *readPacer) now() int64 { return int64(time.Since(p.base)) }

// beforeRead yields when that is safe and has paid for this connection,
// and returns what to pass to afterRead. ran is the number of commands
// the connection ran since its last read; grouped says its replies waited
// for a group commit's fsync (appendfsync always).
//
// After a group commit it always yields: the fsync woke every session of
// its group at once, and each should write its replies before any reads
// again, as Redis writes all its replies after the fsync before it polls
// (without TCP_INQ, a read straight after its own reply also finds the
// socket empty, the client not having answered yet, and fails).
//
// A pipelined batch (pipelinedBatch commands or more) never yields: a
// yield gives the connection a second turn before the poller runs again,
// and the poller runs only once the run queue is empty. With 50 clients
// pipelining 16 commands, traces showed every connection served twice
// between polls, 1.5 ms apart, and a client whose request arrived just
// after a poll waited that long: p99 2.6-2.9 ms against redis-server's
// 1.3-1.8, whose event loop serves each ready client once a pass. Without
// the yield a pass is 0.8 ms, and the failed read it saves costs little
// against 16 commands' work.
//
// A connection whose reads keep finding input yields through the poller
// (sched.Yield) once it has held the processor for sched's interval since
// it last parked: its read then never waits, and with the read held open
// in a coroutine (rawio_linux.go) the loop and the read hand the processor
// to each other directly, past the scheduler. One client streaming 6-12 KB
// SETs through redis-cli --pipe at 54 MB/s held it until the runtime's
// 10 ms preemption: the other clients' requests waited 11-18 ms in the run
// queue (p99 16 ms against 0.13 ms quiet; redis-server's 0.4-1.1 ms under
// the same stream).
func (p *readPacer) beforeRead(st *pacing, ran int, grouped bool) (start int64, yielded bool) {
	t := p.now()
	st.reads++
	if st.streak >= streakReads && sched.Overdue(time.Duration(t-st.since)) {
		streamYields.Add(1)
		sched.Yield()
		t = p.now()
		st.streak, st.since = 0, t
		return t, false
	}
	if grouped || (!st.free && ran < pipelinedBatch && t-p.lastWake.Load() < int64(pacerWindow) && (st.score > 0 || st.reads%pacingProbe == 0)) {
		runtime.Gosched()
		return p.now(), true
	}
	return t, false
}

// afterRead notes whether the read that started at start parked, for the
// server and for the connection. waited is how many times the read waited
// in the netpoller, or less than 0 if the reader cannot tell: the read's
// duration then says it.
//
// Told, the count is what decides, not the duration: a client that sends
// its next request as soon as it has a reply, from another CPU, is back
// within 20-40 µs, so its reads, which waited, looked as if they had found
// input, the connection counted as streaming, and it yielded every 100-500
// µs (4,000 yields a second for one redis-benchmark -c 1 client) for
// nobody.
func (p *readPacer) afterRead(st *pacing, start int64, yielded bool, waited int) {
	end := p.now()
	parked := waited > 0 || waited < 0 && end-start > int64(parkedRead)
	if parked {
		p.lastWake.Store(end)
		st.streak, st.since = 0, end
	} else {
		st.streak++
	}
	switch {
	case !yielded:
	case parked:
		st.score = max(st.score-1, 0)
	default:
		st.score = min(st.score+1, pacingMax)
	}
}

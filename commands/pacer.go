package commands

import (
	"runtime"
	"sync/atomic"
	"time"
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

const (
	// pacerWindow bounds how long yielding may keep the netpoller waiting.
	pacerWindow = time.Millisecond
	// parkedRead is how long a read must take to count as parked and woken:
	// a read that finds data takes a few microseconds.
	parkedRead = 50 * time.Microsecond
)

func newReadPacer() *readPacer { return &readPacer{base: time.Now()} }

func (p *readPacer) now() int64 { return int64(time.Since(p.base)) }

// beforeRead yields when that is safe and returns the time to pass to
// afterRead.
func (p *readPacer) beforeRead() int64 {
	t := p.now()
	if t-p.lastWake.Load() < int64(pacerWindow) {
		runtime.Gosched()
		t = p.now()
	}
	return t
}

// afterRead notes a read that started at t and parked.
func (p *readPacer) afterRead(t int64) {
	if end := p.now(); end-t > int64(parkedRead) {
		p.lastWake.Store(end)
	}
}

// Package sched lets a long command give its processor to the connections
// whose input is waiting, so that one tenant's walk or huge reply does not
// hold every other tenant's short commands for a scheduler time slice.
//
// runtime.Gosched is not enough: Go's scheduler looks for goroutines made
// ready by the network only when its run queues are empty (or when sysmon
// polls, every 10 ms at best). A goroutine that calls Gosched goes to the
// global run queue and is picked again at once, while the connections whose
// requests have arrived are still unknown to the scheduler; on one processor
// they waited 15-20 ms per request behind a KEYS over a big keyspace, and
// up to the next preemption (up to 70 ms seen) whenever that was late.
//
// Yield instead parks the goroutine on a pipe it has just made readable:
// the scheduler, with nothing else to run, polls the network, which
// reports the waiting connections and the pipe together; the goroutine
// then goes to the back of the queue, behind them. Alone it costs a write,
// a poll, a read and a Gosched (a few µs).
package sched

import (
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Every is the least CPU time a goroutine runs between two yields while
// nobody else wants the processor: a command that runs alone pays a few µs
// per Every (under 1%).
const Every = 500 * time.Microsecond

// EveryContended replaces Every while other connections are being served
// in the yields (a yield that others ran in took othersRan or more): a
// short request then waits for a long command's next yield about this
// long, not Every, which alone is three times a short request's quiet p99.
// The long command pays for it, a few µs per yield (3% at 100 µs), and
// only while someone else is waiting.
const EveryContended = 100 * time.Microsecond

// othersRan is how long a yield takes when somebody else ran in it: an
// empty yield costs a few µs; serving one short request costs more (its
// read, its command and its reply's write).
const othersRan = 10 * time.Microsecond

// contendedFor is how long one yield that others ran in keeps the short
// interval: long enough to cover the gaps of a client sending a few
// thousand requests a second.
const contendedFor = 10 * time.Millisecond

// poolSize is how many goroutines can be parked in a yield at once; the
// others fall back to runtime.Gosched.
const poolSize = 16

type pipe struct {
	r        *os.File
	w        *os.File // kept open: the write end's descriptor is wfd
	rc       syscall.RawConn
	wfd      int
	buf      [64]byte
	disabled bool
	// The state of one park, and the callback built once from it: a
	// closure made per park would allocate on every yield.
	first  bool
	werr   error
	onRead func(fd uintptr) bool
}

var (
	once sync.Once
	free chan *pipe
	// last is when some goroutine last yielded (unix ns): yields are paced
	// server-wide, so walks on several connections do not multiply them.
	last atomic.Int64
	// contendedUntil (unix ns) is when the interval goes back from
	// EveryContended to Every.
	contendedUntil atomic.Int64
)

func setup() {
	free = make(chan *pipe, poolSize)
	for range poolSize {
		r, w, err := os.Pipe()
		if err != nil {
			return // no pipes: Gosched only
		}
		p := &pipe{r: r, w: w, wfd: -1}
		wc, err := w.SyscallConn()
		if err == nil {
			// The descriptor itself, not File.Fd, which would make the
			// pipe blocking.
			err = wc.Control(func(fd uintptr) { p.wfd = int(fd) })
		}
		if p.rc, err = r.SyscallConn(); err != nil || p.wfd < 0 {
			return
		}
		free <- p
	}
}

// Maybe yields if no goroutine has yielded for Every. Call it only where
// nothing other connections need is held longer by waiting.
func Maybe() {
	o := observer.Load()
	if o != nil {
		(*o)(false)
	}
	if !due() {
		return
	}
	Yield()
	if o != nil {
		(*o)(true)
	}
}

// due reports whether a yield is due, and if so claims it: yields are
// paced server-wide.
func due() bool { return dueAt(time.Now().UnixNano()) }

// dueAt is due at a given time (unix ns), so that tests need not race the
// clock.
func dueAt(now int64) bool {
	prev := last.Load()
	every := int64(Every)
	if now < contendedUntil.Load() {
		every = int64(EveryContended)
	}
	return now-prev >= every && last.CompareAndSwap(prev, now)
}

// Overdue reports whether a goroutine that has held the processor for d
// without parking should yield: after Every, or EveryContended while other
// connections are being served in the yields.
func Overdue(d time.Duration) bool {
	if d >= Every {
		return true
	}
	return d >= EveryContended && time.Now().UnixNano() < contendedUntil.Load()
}

// Reader gives a chance to yield (Maybe) before each read of r: a request
// body of megabytes already sent is read in one stretch otherwise, each
// read finding data and none waiting for the poller.
func Reader(r io.Reader) io.Reader { return yieldingReader{r} }

type yieldingReader struct{ r io.Reader }

func (y yieldingReader) Read(b []byte) (int, error) {
	Maybe()
	return y.r.Read(b)
}

// observer is told of every chance to yield (Observe).
var observer atomic.Pointer[func(resumed bool)]

// Observe makes fn run at every call of Maybe (resumed false), and again
// when a Maybe that yielded resumes (resumed true), until Observe(nil): a
// benchmark measures with it the longest stretch a command runs without
// a chance to yield (from a call or a resumption to the next call), which
// bounds how long it keeps other connections waiting for the processor.
func Observe(fn func(resumed bool)) {
	if fn == nil {
		observer.Store(nil)
		return
	}
	observer.Store(&fn)
}

// Yield lets the connections whose input has arrived run first.
func Yield() {
	once.Do(setup)
	start := time.Now().UnixNano()
	defer func() {
		end := time.Now().UnixNano()
		yielded(start, end)
		if end-start >= int64(othersRan) {
			osYield()
		}
	}()
	var p *pipe
	select {
	case p = <-free:
	default:
		runtime.Gosched()
		return
	}
	if p.disabled || !p.park() {
		p.disabled = true
	}
	free <- p
	// The poll hands back the goroutines it found ready with this one
	// first, the others put on the processor's local run queue; Gosched
	// then sends this one to the global queue, which is served after them.
	// Once in 61 schedules the scheduler serves the global queue first for
	// fairness, and this goroutine could be picked back at once: a second
	// Gosched falls on another tick.
	runtime.Gosched()
	runtime.Gosched()
}

// yielded notes a yield from start to end (unix ns): the next is paced
// from its end, and from it on at EveryContended for contendedFor if
// others ran in it.
func yielded(start, end int64) {
	last.Store(end)
	if end-start >= int64(othersRan) {
		contendedUntil.Store(end + int64(contendedFor))
	}
}

// park makes the pipe readable and waits for the network poller to say
// so; it reports false if the pipe does not work.
func (p *pipe) park() bool {
	// A bound in case the wake-up were ever lost: a late yield is harmless,
	// a connection parked for good is not.
	_ = p.r.SetReadDeadline(time.Now().Add(parkBound))
	p.first, p.werr = true, nil
	if p.onRead == nil {
		p.onRead = p.readable
	}
	err := p.rc.Read(p.onRead)
	if p.werr != nil {
		return false
	}
	return err == nil || errors.Is(err, os.ErrDeadlineExceeded)
}

// readable is park's RawConn.Read callback.
func (p *pipe) readable(fd uintptr) bool {
	if p.first {
		// The byte is written here, after RawConn.Read has reset the
		// descriptor's readiness: written before, a poll in between
		// could report it and the reset forget it, and the wait below
		// would never end. The pipe is empty (drained by the last
		// park), so the write is an edge the poller reports.
		p.first = false
		p.drain(int(fd))
		for {
			_, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p.wfd), uintptr(unsafe.Pointer(&p.buf[0])), 1)
			if e != syscall.EINTR {
				if e != 0 {
					p.werr = e
				}
				break
			}
		}
		// Not done: wait for the poller even though the byte is there,
		// which is the point.
		return p.werr != nil
	}
	p.drain(int(fd))
	return true
}

// parkBound is the longest a yield may wait for the poller.
const parkBound = 20 * time.Millisecond

// drain empties the pipe. Its system calls, and the write in readable, are
// raw (the runtime is not told of them): both ends are non-blocking, so
// they never wait. Entered the runtime's way, each woke sysmon from its
// sleep whenever the processor had gone idle in the park, and sysmon then
// polled every 20 µs: under a SCAN loop on one pinned CPU it woke 10,000
// times a second and took 15% of that CPU from the connections.
func (p *pipe) drain(fd int) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p.buf[0])), uintptr(len(p.buf)))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 || int(n) < len(p.buf) {
			return
		}
	}
}

// osYield gives this thread's CPU to whatever else the kernel has waiting
// on it, after a yield in which other connections were served: their
// clients, woken by the replies just written, may wait for the CPU this
// busy thread holds (on a machine the clients share with the server).
func osYield() { _, _, _ = syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

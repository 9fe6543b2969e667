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
// reports the waiting connections and the pipe together, and the goroutine
// resumes after them. Alone it costs a write, a poll and a read (a few µs).
package sched

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Every is the least CPU time a goroutine runs between two yields: a
// waiting connection is served within about that, and a command that runs
// alone pays a few µs per Every (under 1%).
const Every = 500 * time.Microsecond

// poolSize is how many goroutines can be parked in a yield at once; the
// others fall back to runtime.Gosched.
const poolSize = 16

type pipe struct {
	r, w     *os.File
	rc, wc   syscall.RawConn
	buf      [64]byte
	disabled bool
}

var (
	once sync.Once
	free chan *pipe
	// last is when some goroutine last yielded (unix ns): yields are paced
	// server-wide, so walks on several connections do not multiply them.
	last atomic.Int64
)

func setup() {
	free = make(chan *pipe, poolSize)
	for range poolSize {
		r, w, err := os.Pipe()
		if err != nil {
			return // no pipes: Gosched only
		}
		p := &pipe{r: r, w: w}
		if p.rc, err = r.SyscallConn(); err != nil {
			return
		}
		if p.wc, err = w.SyscallConn(); err != nil {
			return
		}
		free <- p
	}
}

// Maybe yields if no goroutine has yielded for Every. Call it only where
// nothing other connections need is held longer by waiting.
func Maybe() {
	now := time.Now().UnixNano()
	prev := last.Load()
	if now-prev < int64(Every) || !last.CompareAndSwap(prev, now) {
		return
	}
	Yield()
}

// Yield lets the connections whose input has arrived run first.
func Yield() {
	once.Do(setup)
	var p *pipe
	select {
	case p = <-free:
	default:
		runtime.Gosched()
		return
	}
	defer func() { free <- p }()
	if p.disabled || !p.park() {
		p.disabled = true
		runtime.Gosched()
	}
	last.Store(time.Now().UnixNano())
}

// park makes the pipe readable and waits for the network poller to say
// so; it reports false if the pipe does not work.
func (p *pipe) park() bool {
	var werr error
	if err := p.wc.Write(func(fd uintptr) bool {
		_, werr = syscall.Write(int(fd), p.buf[:1])
		return werr != syscall.EAGAIN
	}); err != nil || werr != nil {
		return false
	}
	first := true
	err := p.rc.Read(func(fd uintptr) bool {
		if first {
			// Wait for the poller even though the byte is already there:
			// that wait is the point.
			first = false
			return false
		}
		for {
			n, err := syscall.Read(int(fd), p.buf[:])
			if err == syscall.EINTR {
				continue
			}
			if n <= 0 || n < len(p.buf) {
				return true
			}
		}
	})
	return err == nil
}

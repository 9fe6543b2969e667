package persist

import (
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// syncer runs fdatasync, as Redis calls it on Linux (the data and the
// size, not the timestamps), through Linux AIO, and waits for it on an
// eventfd in Go's network poller.
//
// A plain fdatasync holds its thread, and the one P with it, in the kernel:
// the runtime's monitor hands the P to another thread only after 20 µs or
// more, and when the disk is done the writer queues for the P behind every
// connection woken meanwhile. Under appendfsync always that cost two
// thread switches and a wake-up of the monitor per group commit (0.5
// context switches a request against redis-server's 0.12), and left the
// connections idle while the disk worked. With the fsync in the kernel's
// AIO worker, the P goes on running the connections whose records are
// already durable, and they append the next group meanwhile.
//
// Where AIO is refused (a seccomp profile, a kernel without it) the
// syncer falls back to the plain call.
//
// A group commit's fsync (appendfsync always, a small group) is the
// exception: the P waits for it, up to holdWait, as redis-server's one
// thread waits in fdatasync (see datasync).
type syncer struct {
	ctx uintptr  // aio_context_t; 0: plain fdatasync
	efd uintptr  // the eventfd AIO signals
	ev  *os.File // efd in the poller; never ev.Fd(), which makes it blocking
	rc  syscall.RawConn
	cb  iocb
	// seq numbers the submissions (cb.data): a completion is taken as
	// this call's only when it carries this call's number, so that one
	// left in the ring by a call that gave up early (an error from
	// io_getevents) can never make a later fsync look done before it is.
	seq uint64
	// held is the moving average of held fsyncs (weight 1/16: one late
	// flush does not count the disk slow, a run of them does); past holdMax
	// none is held until slowUntil, as a slow disk would stall every
	// tenant: every fsync is waited for in the poller.
	held      time.Duration
	slowUntil time.Time
	// written is the moving average of raw writes' times; past
	// rawWriteSlow, until writeSlowUntil every write goes the runtime's
	// way.
	written        time.Duration
	writeSlowUntil time.Time
	overran        int // held fsyncs that outlasted holdWait (tests)
}

const (
	// holdMax is the longest a held fsync may take before the disk counts
	// as slow: a flush to a healthy SSD or a cached virtual disk takes
	// 0.1-0.5 ms; a spinning disk or a throttled volume takes 5-30 ms,
	// which every tenant would wait through.
	holdMax = 2 * time.Millisecond
	// holdBackoff is how long a slow disk's fsyncs then go through AIO
	// before holding is tried again.
	holdBackoff = 10 * time.Second
)

// holdWait is how long one fsync may hold the P (holdMax; tests shorten it).
var holdWait = holdMax

// iocb and ioEvent are struct iocb and struct io_event (linux/aio_abi.h),
// little-endian.
type iocb struct {
	data     uint64
	key      uint32
	rwFlags  uint32
	opcode   uint16
	prio     int16
	fd       uint32
	buf      uint64
	nbytes   uint64
	offset   int64
	reserved uint64
	flags    uint32
	resfd    uint32
}

type ioEvent struct {
	data, obj uint64
	res, res2 int64
}

const (
	iocbCmdFdsync = 3
	iocbFlagResfd = 1 << 0
)

func newSyncer() *syncer {
	s := &syncer{}
	var ctx uintptr
	if _, _, e := syscall.Syscall(syscall.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return s
	}
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, ctx, 0, 0)
		return s
	}
	ev := os.NewFile(efd, "fsync-eventfd")
	rc, err := ev.SyscallConn()
	if err != nil {
		_ = ev.Close()
		syscall.Syscall(syscall.SYS_IO_DESTROY, ctx, 0, 0)
		return s
	}
	s.ctx, s.efd, s.ev, s.rc = ctx, efd, ev, rc
	return s
}

// datasync makes f's data durable. One call at a time (the log's fileMu).
//
// hold: the caller's P may wait for the disk, up to holdMax, as Redis's
// one thread waits in fdatasync under appendfsync always. The caller asks
// for it for a group commit of a few KB, whose replies all wait on it.
// Waited for in the poller, the kernel's AIO worker (which runs on the
// CPU that submitted) competed with the server's own thread for the CPU,
// and the end was seen only when the P next polled: on 2 busy cores each
// fsync took 256-385 µs (median) against 130-176 µs for a held fdatasync,
// and groups were smaller. Held, nothing else runs on this P meanwhile,
// as nothing runs in redis-server then; past holdMax the wait goes on in
// the runtime's way, which hands the P to another thread, so a disk that
// hangs does not freeze the server (CONFIG SET appendfsync everysec
// still releases the waiting replies). A disk slower than holdMax on
// average is not held for again until holdBackoff.
func (s *syncer) datasync(f *os.File, hold bool) error {
	fd := f.Fd()
	if s.ctx == 0 {
		return syscall.Fdatasync(int(fd))
	}
	hold = hold && s.mayHold(time.Now())
	s.seq++
	if hold {
		// No eventfd: the end is reaped here, not in the poller.
		s.cb = iocb{data: s.seq, opcode: iocbCmdFdsync, fd: uint32(fd)}
	} else {
		s.cb = iocb{data: s.seq, opcode: iocbCmdFdsync, fd: uint32(fd), flags: iocbFlagResfd, resfd: uint32(s.efd)}
	}
	cbs := [1]*iocb{&s.cb}
	for {
		// Raw: submitting takes 10-30 µs, and a system call the runtime
		// sees last that long has its P handed to another thread (a
		// futex wake and two thread switches) and keeps the runtime's
		// monitor polling every 20 µs.
		_, _, e := syscall.RawSyscall(syscall.SYS_IO_SUBMIT, s.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			// Refused for this file (EINVAL) or short of kernel resources
			// (EAGAIN): the plain call, which reports the disk's own errors.
			return syscall.Fdatasync(int(fd))
		}
		break
	}
	if hold {
		return s.reapHeld()
	}
	// The eventfd counts completions; the event itself is then reaped
	// from the context's ring, where it is before the count rises. Should
	// the poller fail, io_getevents waits in the kernel instead.
	// The read is raw, through the poller: os.File.Read enters the
	// system call the runtime's way, which wakes its monitor, and the
	// monitor then polls every 20 µs for a millisecond (a tenth of the
	// server's CPU at appendfsync always).
	var n [8]byte
	_ = s.rc.Read(func(fd uintptr) bool {
		_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&n[0])), 8)
		return e != syscall.EAGAIN
	})
	var ev ioEvent
	var zero syscall.Timespec
	for try := 0; ; try++ {
		// Raw for the same reason: the event is normally there already, and
		// the zero timeout makes the call return at once; only if it is not
		// does the call wait, the runtime's way.
		var r uintptr
		var e syscall.Errno
		if try == 0 {
			r, _, e = syscall.RawSyscall6(syscall.SYS_IO_GETEVENTS, s.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), uintptr(unsafe.Pointer(&zero)), 0)
		} else {
			r, _, e = syscall.Syscall6(syscall.SYS_IO_GETEVENTS, s.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), 0, 0)
		}
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		if r == 1 && ev.data == s.seq {
			break
		}
	}
	if ev.res < 0 {
		return syscall.Errno(-ev.res)
	}
	return nil
}

// reapHeld waits for the submitted fsync holding the P, for at most
// holdWait, and then the runtime's way.
func (s *syncer) reapHeld() error {
	start := time.Now()
	var ev ioEvent
	limit := syscall.NsecToTimespec(int64(holdWait))
	for held := true; ; {
		var r uintptr
		var e syscall.Errno
		if held {
			r, _, e = syscall.RawSyscall6(syscall.SYS_IO_GETEVENTS, s.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), uintptr(unsafe.Pointer(&limit)), 0)
		} else {
			r, _, e = syscall.Syscall6(syscall.SYS_IO_GETEVENTS, s.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), 0, 0)
		}
		if e == syscall.EINTR {
			// A signal: wait again, held only for what is left of
			// holdWait, so that signals cannot stretch the bound.
			if left := holdWait - time.Since(start); held && left > 0 {
				limit = syscall.NsecToTimespec(int64(left))
				continue
			}
			e = 0 // held: the bound passed, as for a timeout
		}
		if e != 0 {
			return e
		}
		if r == 1 {
			if ev.data == s.seq {
				break
			}
			continue // an earlier call's: not this fsync's end
		}
		if held {
			held = false // holdWait passed
			s.overran++
		}
	}
	s.noteHeld(time.Since(start), time.Now())
	if ev.res < 0 {
		return syscall.Errno(-ev.res)
	}
	return nil
}

// mayHold says whether the disk is fast enough to hold the P for.
func (s *syncer) mayHold(now time.Time) bool { return !now.Before(s.slowUntil) }

// noteHeld counts a held fsync that took d.
func (s *syncer) noteHeld(d time.Duration, now time.Time) {
	s.held += (d - s.held) / 16
	if s.held > holdMax {
		s.held, s.slowUntil = 0, now.Add(holdBackoff)
	}
}

// rawWriteMax is the largest write made without telling the runtime: a
// round's records (a few KB under appendfsync always, up to a second's
// under everysec) usually reach the page cache in microseconds, and the
// thread and P stay put for the same reason as io_submit's. Written the
// runtime's way, each write woke sysmon from its sleep whenever the
// processor had gone idle meanwhile, and sysmon then polled every 20 µs:
// under everysec SETs from 50 clients on one pinned CPU it woke 4,600
// times a second and took 7% of that CPU. Larger writes may wait for the
// kernel's dirty page throttling, which must not hold the P.
const rawWriteMax = 256 << 10

// rawWriteSlow is the moving average of raw writes' times past which
// writes go the runtime's way for holdBackoff: writes that slow meet the
// kernel throttling dirty pages (a memory cgroup's small dirty limit, a
// slow disk behind a full page cache, 10-200 ms a write), and each would
// hold every tenant's P as long. An average (weight 1/16), as for held
// fsyncs: on a virtual machine one write in a few thousand takes a
// millisecond or more because the host took the CPU away, and a bound on
// single writes sent every write of the next 10 s the runtime's way.
const rawWriteSlow = holdMax

// write appends d to f.
func (s *syncer) write(f *os.File, d []byte) (int, error) {
	start := time.Now()
	if !s.mayWriteRaw(len(d), start) {
		return f.Write(d)
	}
	fd, n := f.Fd(), 0
	for n < len(d) {
		m, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&d[n])), uintptr(len(d)-n))
		switch {
		case e == syscall.EINTR:
			continue
		case e != 0:
			return n, e
		case m == 0:
			return n, io.ErrShortWrite
		}
		n += int(m)
	}
	s.noteRawWrite(time.Since(start), start)
	return n, nil
}

// mayWriteRaw says whether n bytes may be written without telling the
// runtime at now.
func (s *syncer) mayWriteRaw(n int, now time.Time) bool {
	return n <= rawWriteMax && !now.Before(s.writeSlowUntil)
}

// noteRawWrite counts a raw write that took d, started at now.
func (s *syncer) noteRawWrite(d time.Duration, now time.Time) {
	s.written += (d - s.written) / 16
	if s.written > rawWriteSlow {
		s.written, s.writeSlowUntil = 0, now.Add(holdBackoff)
	}
}

func (s *syncer) close() {
	if s.ctx != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, s.ctx, 0, 0)
		_ = s.ev.Close()
		s.ctx = 0
	}
}

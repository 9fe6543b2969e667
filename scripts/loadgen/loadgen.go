// Package loadgen sends requests to a RESP server on a fixed schedule
// (open loop) and measures each reply's latency, for the benchmarks'
// latency figures: scripts/openloop (the target's p99 at half of Redis's
// peak) and tenant B of scripts/noisy.
//
// It is one event loop on one locked thread: epoll with a nanosecond
// timeout (epoll_pwait2) and plain system calls, as redis-benchmark and
// memtier are. A client with a goroutine per connection and Go's timers
// (which wake in whole milliseconds on Linux) took 80% of a CPU at 30k
// requests/s, woke several threads per request, and its own scheduling
// delays showed up as the server's latency: a minimal Go echo server had
// p99s of 8-16 ms under it at 30-40k/s, and 0.1-0.3 ms under this loop.
// On a machine whose cores the server shares with its clients, every
// thread the client wakes is a chance to wait for a CPU.
//
// A reply's latency ends when the kernel queued it on the client's
// socket (SO_TIMESTAMPNS), not when the loop got round to reading it: on
// cores shared with the server and other clients, the client's own wait
// for a CPU would otherwise count as the server's latency (tenant B's
// client waited runnable 7-15% of a window beside an attack). A read
// that takes several replies stamps them all with its last segment's
// arrival, which can only overstate. Where the kernel gives no stamp, the
// time of the read is used.
//
// Linux only (epoll); nothing is allocated while measuring, so the
// collector is off meanwhile.
package loadgen

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Config is one run.
type Config struct {
	Addr  netip.AddrPort
	Conns int
	// Every is the time between two batches, any connection: batch i goes
	// to connection i%Conns at i*Every.
	Every    time.Duration
	Batches  int
	Pipeline int // commands per batch
	// Setup is written on each connection before the schedule starts, one
	// reply per command awaited; an error reply fails the run (AUTH).
	Setup [][]byte
	// Batch returns batch i's bytes: Pipeline commands. The result may be
	// reused (it is copied) but must not be built at send time if the
	// run is to allocate nothing.
	Batch func(i int) []byte
	// Warm: replies to batches sent before this are not measured.
	Warm time.Duration
	// Drain is how long replies still owed after the last batch may take;
	// those that do not come are lost.
	Drain time.Duration
}

// Result is what was measured.
type Result struct {
	Latencies []time.Duration // of the replies measured, sorted
	// Lost counts measured commands never answered: not sent (their
	// connection failed) or not answered within Drain.
	Lost     int
	Errors   int    // error replies (answered, and measured)
	FirstErr string // the first error reply or connection failure
	// Lags are how late each measured batch left, sorted: the client's
	// own lateness, which latencies do not include unless the server
	// caused it (see origin in Run).
	Lags []time.Duration
}

// Quantile is the q-quantile of latency over every measured command, in
// ms; +Inf when it falls among the lost ones.
func (r Result) Quantile(q float64) float64 {
	n := len(r.Latencies) + r.Lost
	if n == 0 {
		return math.Inf(1)
	}
	i := int(math.Ceil(q*float64(n))) - 1
	if i >= len(r.Latencies) {
		return math.Inf(1)
	}
	return float64(r.Latencies[max(i, 0)]) / float64(time.Millisecond)
}

// LagQuantile is the q-quantile of how late batches left, in ms.
func (r Result) LagQuantile(q float64) float64 {
	if len(r.Lags) == 0 {
		return math.Inf(1)
	}
	i := int(math.Ceil(q*float64(len(r.Lags)))) - 1
	return float64(r.Lags[max(i, 0)]) / float64(time.Millisecond)
}

// conn is one connection: the origins of its batches not yet fully
// answered (a ring), its unparsed input and unsent output.
type conn struct {
	fd      int
	origins []int64 // ns since start; < 0: not measured
	head, n int
	left    int // replies still owed for the batch at head
	in, out []byte
	dead    bool
	msg     syscall.Msghdr
	iov     syscall.Iovec
	oob     [64]byte
}

func (c *conn) push(t int64) {
	if c.n == len(c.origins) {
		grown := make([]int64, 2*len(c.origins))
		for i := range c.n {
			grown[i] = c.origins[(c.head+i)%len(c.origins)]
		}
		c.origins, c.head = grown, 0
	}
	c.origins[(c.head+c.n)%len(c.origins)] = t
	c.n++
}

// giveUp counts the measured part of what c still owes as lost, forgets
// it, and returns how many replies that was, measured or not.
func (c *conn) giveUp(pipeline int, res *Result) (owed int) {
	for i := range c.n {
		k := pipeline
		if i == 0 {
			k = c.left
		}
		owed += k
		if c.origins[(c.head+i)%len(c.origins)] >= 0 {
			res.Lost += k
		}
	}
	c.n = 0
	return owed
}

// Run connects, sends the setup, then the batches on schedule, and
// returns when every reply came or Drain has passed. Connections that
// fail lose what they owe; Run fails only when it cannot measure at all.
func Run(cfg Config) (Result, error) {
	if cfg.Conns < 1 || cfg.Pipeline < 1 || cfg.Every <= 0 || cfg.Batch == nil {
		return Result{}, errors.New("loadgen: Conns, Pipeline, Every and Batch are required")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var res Result
	measuredBatches := max(cfg.Batches-int(cfg.Warm/cfg.Every), 0)
	res.Latencies = make([]time.Duration, 0, measuredBatches*cfg.Pipeline)
	res.Lags = make([]time.Duration, 0, measuredBatches)

	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return res, err
	}
	defer syscall.Close(ep)
	cs := make([]*conn, cfg.Conns)
	byFD := map[int]*conn{}
	for i := range cs {
		fd, err := dial(cfg.Addr)
		if err != nil {
			return res, err
		}
		defer syscall.Close(fd)
		c := &conn{fd: fd, origins: make([]int64, 64), in: make([]byte, 0, 64<<10), out: make([]byte, 0, 64<<10)}
		if err := c.setup(cfg.Setup); err != nil {
			return res, err
		}
		if i == 0 {
			if err := c.awaitStamps(); err != nil {
				return res, err
			}
		}
		if err := syscall.SetNonblock(fd, true); err != nil {
			return res, err
		}
		cs[i], byFD[fd] = c, c
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return res, err
		}
	}
	debug.SetGCPercent(-1)
	defer debug.SetGCPercent(100)

	// Times are ns from start on the wall clock, the kernel's stamps' clock.
	start := time.Now().UnixNano()
	since := func() int64 { return time.Now().UnixNano() - start }
	warm := int64(cfg.Warm)
	events := make([]syscall.EpollEvent, len(cs))
	sent, owed := 0, 0
	// fail gives up a connection: what it owes is lost.
	fail := func(c *conn, err error) {
		if c.dead {
			return
		}
		c.dead = true
		if res.FirstErr == "" {
			res.FirstErr = err.Error()
		}
		_ = syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
		owed -= c.giveUp(cfg.Pipeline, &res)
	}
	end := int64(time.Duration(cfg.Batches)*cfg.Every + cfg.Drain)
	for sent < cfg.Batches || owed > 0 {
		now := since()
		for sent < cfg.Batches {
			due := int64(time.Duration(sent) * cfg.Every)
			if due > now {
				break
			}
			c := cs[sent%len(cs)]
			measured := due >= warm
			sent++
			if c.dead {
				if measured {
					res.Lost += cfg.Pipeline
				}
				continue
			}
			// The latency runs from the batch's write, or from its due
			// time when the server, by not reading, left the last write
			// unfinished and so held this batch back (no coordinated
			// omission): the client's own lateness is the client's.
			origin := since()
			if len(c.out) > 0 {
				origin = due
			}
			c.out = append(c.out, cfg.Batch(sent-1)...)
			if measured {
				res.Lags = append(res.Lags, time.Duration(origin-due))
				c.push(origin)
			} else {
				c.push(-1)
			}
			if c.n == 1 {
				c.left = cfg.Pipeline
			}
			owed += cfg.Pipeline
			if err := c.flush(); err != nil {
				fail(c, err)
			}
			now = since()
		}
		if now > end || sent == cfg.Batches && owed == 0 {
			break
		}
		wait := end - now
		if sent < cfg.Batches {
			wait = max(int64(time.Duration(sent)*cfg.Every)-now, 0)
		}
		n, err := epollWait(ep, events, wait)
		if err != nil {
			return res, err
		}
		for _, ev := range events[:n] {
			c := byFD[int(ev.Fd)]
			got, err := c.read(cfg.Pipeline, start, &res)
			owed -= got
			if err != nil {
				fail(c, err)
			}
		}
		for _, c := range cs {
			if len(c.out) > 0 && !c.dead {
				if err := c.flush(); err != nil {
					fail(c, err)
				}
			}
		}
	}
	for _, c := range cs {
		c.giveUp(cfg.Pipeline, &res)
	}
	if res.FirstErr == "" && res.Lost > 0 {
		res.FirstErr = fmt.Sprintf("%d replies did not come within %v", res.Lost, cfg.Drain)
	}
	slices.Sort(res.Latencies)
	slices.Sort(res.Lags)
	return res, nil
}

func dial(ap netip.AddrPort) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa := &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	return fd, nil
}

// setup writes cmds on the still blocking socket and reads a reply each.
func (c *conn) setup(cmds [][]byte) error {
	for _, cmd := range cmds {
		reply, _, err := c.exchange(cmd)
		if err != nil {
			return err
		}
		if reply[0] == '-' {
			return fmt.Errorf("setup: %s", reply[1:len(reply)-2])
		}
	}
	return nil
}

// exchange writes cmd on the still blocking socket and reads its reply;
// stamped says whether the kernel stamped it. The reply is valid until the
// connection reads again.
func (c *conn) exchange(cmd []byte) (reply []byte, stamped bool, err error) {
	for len(cmd) > 0 {
		n, err := syscall.Write(c.fd, cmd)
		if err != nil {
			return nil, false, err
		}
		cmd = cmd[n:]
	}
	got := 0
	for {
		if got == cap(c.in) {
			return nil, false, errors.New("setup: reply too long")
		}
		n, stamp, err := c.recv(c.in[got:cap(c.in)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if n == 0 {
			return nil, false, errors.New("the server closed the connection during setup")
		}
		got += n
		stamped = stamped || stamp != 0
		m, _, err := replyLen(c.in[:got])
		if err != nil {
			return nil, false, err
		}
		if m > 0 {
			return c.in[:m], stamped, nil
		}
	}
}

// epollWait is epoll_pwait2, whose timeout is a timespec: epoll_wait's is
// in whole milliseconds. Kernels before 5.11 lack it (ENOSYS): there the
// wait falls back to epoll_wait, rounding the timeout up, so batches may
// leave up to a millisecond late (counted in the lags), never early.
func epollWait(ep int, events []syscall.EpollEvent, ns int64) (int, error) {
	for {
		n, err := epollWaitOnce(ep, events, ns)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.ENOSYS && !noPwait2.Swap(true):
			continue
		}
		return n, err
	}
}

func epollWaitOnce(ep int, events []syscall.EpollEvent, ns int64) (int, error) {
	if noPwait2.Load() {
		return syscall.EpollWait(ep, events, int((ns+int64(time.Millisecond)-1)/int64(time.Millisecond)))
	}
	const sysEpollPwait2 = 441 // the same on every architecture
	ts := syscall.NsecToTimespec(ns)
	// Not RawSyscall: the thread sleeps here, and its P must go to the
	// process's other goroutines meanwhile (with one P, a server in the
	// same process would never answer).
	n, _, e := syscall.Syscall6(sysEpollPwait2, uintptr(ep), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// noPwait2: the kernel has no epoll_pwait2; tests set it to try the
// fallback.
var noPwait2 atomic.Bool

// flush writes what the connection has to send; a full socket buffer
// leaves the rest for the next turn of the loop.
func (c *conn) flush() error {
	n, err := syscall.Write(c.fd, c.out)
	switch {
	case err == syscall.EAGAIN:
		return nil
	case err != nil:
		return err
	}
	c.out = c.out[:copy(c.out, c.out[n:])]
	return nil
}

// read takes what arrived and the whole replies in it, recording the
// measured ones; it returns how many replies it took.
func (c *conn) read(pipeline int, start int64, res *Result) (int, error) {
	got := 0
	for {
		if len(c.in) == cap(c.in) {
			return got, errors.New("a reply larger than the read buffer")
		}
		n, stamp, err := c.recv(c.in[len(c.in):cap(c.in)])
		if err == syscall.EAGAIN {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, errors.New("the server closed a connection")
		}
		c.in = c.in[:len(c.in)+n]
		if stamp == 0 {
			stamp = time.Now().UnixNano()
		}
		now := time.Duration(stamp - start)
		off := 0
		for {
			m, isErr, err := replyLen(c.in[off:])
			if err != nil {
				return got, err
			}
			if m == 0 {
				break
			}
			if c.n == 0 {
				return got, errors.New("a reply to nothing sent")
			}
			if at := c.origins[c.head]; at >= 0 {
				res.Latencies = append(res.Latencies, now-time.Duration(at))
				if isErr {
					res.Errors++
					if res.FirstErr == "" {
						res.FirstErr = string(c.in[off+1 : off+m-2])
					}
				}
			}
			off += m
			got++
			if c.left--; c.left == 0 {
				c.head, c.n = (c.head+1)%len(c.origins), c.n-1
				c.left = pipeline
			}
		}
		c.in = c.in[:copy(c.in, c.in[off:])]
	}
}

// recv reads into p, returning the kernel's arrival stamp of what it
// read (wall clock ns), 0 if it gave none.
func (c *conn) recv(p []byte) (n int, stamp int64, err error) {
	c.iov.Base = &p[0]
	c.iov.SetLen(len(p))
	c.msg = syscall.Msghdr{Iov: &c.iov, Iovlen: 1, Control: &c.oob[0]}
	c.msg.SetControllen(len(c.oob))
	r, _, e := syscall.Syscall(syscall.SYS_RECVMSG, uintptr(c.fd), uintptr(unsafe.Pointer(&c.msg)), 0)
	c.iov.Base = nil
	if e != 0 {
		return 0, 0, e
	}
	if int(c.msg.Controllen) >= syscall.CmsgLen(int(unsafe.Sizeof(syscall.Timespec{}))) {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&c.oob[0]))
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS {
			stamp = (*syscall.Timespec)(unsafe.Pointer(&c.oob[syscall.CmsgLen(0)])).Nano()
		}
	}
	return int(r), stamp, nil
}

// awaitStamps sends PINGs on the still blocking socket until the kernel
// stamps a reply, for at most a second. SO_TIMESTAMPNS turns stamping on
// for the whole machine through a switch the kernel flips later, from a
// work queue: on a loaded machine the first replies after the option was
// set came unstamped, and their latency ran to the client's read (200 ms
// in TestRunStampsRepliesOnArrival, whose client is busy that long, in 4
// runs of 120 beside other load). Once on, it stays on while any socket
// asks for it, as these do until Run returns.
func (c *conn) awaitStamps() error {
	ping := []byte("*1\r\n$4\r\nPING\r\n")
	deadline := time.Now().Add(time.Second)
	for {
		_, stamped, err := c.exchange(ping)
		if err != nil || stamped || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// replyLen is the length of the whole reply at the start of b (a simple
// string, error, integer, null or bulk string: the replies of the
// commands sent), 0 if it is not all there yet.
func replyLen(b []byte) (n int, isErr bool, err error) {
	i := slices.Index(b, '\n')
	if i < 0 {
		return 0, false, nil
	}
	if i < 2 || b[i-1] != '\r' {
		return 0, false, fmt.Errorf("bad reply %q", b[:i+1])
	}
	switch b[0] {
	case '+', '_', ':':
		return i + 1, false, nil
	case '-':
		return i + 1, true, nil
	case '$':
		n, err := strconv.Atoi(string(b[1 : i-1]))
		if err != nil {
			return 0, false, fmt.Errorf("bad reply %q", b[:i+1])
		}
		if n < 0 {
			return i + 1, false, nil
		}
		if len(b) < i+1+n+2 {
			return 0, false, nil
		}
		return i + 1 + n + 2, false, nil
	}
	return 0, false, fmt.Errorf("unexpected reply %q", b[:i+1])
}

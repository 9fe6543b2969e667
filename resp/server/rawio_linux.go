//go:build linux

package server

import (
	"io"
	"iter"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a client's socket with raw system calls, still
// waiting for readiness in Go's netpoller (syscall.RawConn), so deadlines,
// Close and the scheduler work as for net.Conn.
//
// net.Conn's Read and Write enter and leave the scheduler's syscall state
// around every call. With one P (the default on 2 cores) a write that is
// slow on loopback, where the kernel runs the receiver's side too, lets
// sysmon take the P away and hand it to another thread; the writer then
// finds no P on return and sleeps on a futex until one is free. Under
// redis-benchmark unpipelined that churn was futex 8% and scheduler 15% of
// the server's CPU. The socket is non-blocking, so these calls never wait
// in the kernel: EAGAIN hands back to the netpoller, as net.Conn does.
//
// Reads go through one long RawConn.Read held open across requests (see
// reads), so that a read after one that emptied the socket waits in the
// netpoller without a system call.
type rawIO struct {
	rc syscall.RawConn
	r  rawOp
	w  rawOp
	// next and stop drive reads, a coroutine (iter.Pull) suspended inside
	// RawConn.Read's callback between two Reads; nil until the first Read.
	next func() (struct{}, bool)
	stop func()
	// drained: the kernel said the last read left the socket empty (no
	// data, no end of input), so any input since has raised an edge in
	// the netpoller.
	drained bool
	// err is what the coroutine hands Read besides r.n and r.errno: the
	// netpoller's error (a deadline, the socket closed).
	err error
	// aborted: Kill closed the socket, whose descriptor stays open until
	// the suspended RawConn.Read lets go: no read may succeed meanwhile.
	aborted atomic.Bool
	// readCalls counts read system calls, for the tests.
	readCalls int
	// waits counts the reads that found the socket empty and waited in
	// the netpoller (Waits).
	waits int
	// inq: the socket reports with each read how much it still holds
	// (TCP_INQ); msg, iov and oob are recvmsg's arguments for that.
	inq bool
	msg syscall.Msghdr
	iov syscall.Iovec
	oob [32]byte
}

// rawOp is the state of one direction, passed in and out of the callback
// that RawConn runs; reading and writing have one each, as a blocked
// client's reader goroutine may read while its connection is written.
type rawOp struct {
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// maxRW caps one write, as package internal/poll does: Linux writes at most
// about 2 GB per call anyway.
const maxRW = 1 << 30

// newRawSocket returns raw I/O on nc's socket, or nc itself when it has none.
func newRawSocket(nc net.Conn) io.ReadWriter {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	c := &rawIO{rc: rc}
	c.w.fn = c.write
	_ = rc.Control(func(fd uintptr) {
		c.inq = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpINQ, 1) == nil
	})
	return c
}

// reads is the reading coroutine. Go's netpoller is edge-triggered, but
// every RawConn.Read (net.Conn's Read too) begins by forgetting any edge
// seen before it, so a reader that waits for input must first try a read
// system call: after each reply of an unpipelined client it failed with
// EAGAIN, one of every three system calls of the server (2.0 reads per
// GET against redis-server's 1.0, whose event loop reads only what epoll
// reported ready). Kept open, the read's callback hands each read to
// Read (yield) and, when the next Read comes, waits in the netpoller at
// once if the last read left the socket empty: whatever arrives after it
// raises an edge that the still-open read will not forget.
//
// Empty is what the kernel says with the read (TCP_INQ: the bytes left
// in the socket, not 0 when an end of input is waiting to be read). A
// short read is not enough: data and the FIN after it often come in one
// wake-up, the read takes the data, and a wait for the FIN's edge waits
// forever (TestHostileAbandonedCommands). Without TCP_INQ (other sockets,
// kernels before 4.18) every wait follows a read that failed, as before.
func (c *rawIO) reads(yield func(struct{}) bool) {
	quit := false
	fn := func(fd uintptr) bool {
		for {
			if c.aborted.Load() {
				c.r.errno = syscall.ECONNABORTED
			} else if c.drained {
				c.drained = false
				c.waits++
				return false // wait for the poller's next edge
			} else {
				c.readCalls++
				n, e := c.recv(fd)
				switch e {
				case 0:
					c.r.n = n
				case syscall.EINTR:
					continue
				case syscall.EAGAIN:
					c.waits++
					return false // wait in the netpoller, then try again
				default:
					c.r.errno = e
				}
			}
			failed := c.r.n == 0
			if !yield(struct{}{}) {
				quit = true
				return true
			}
			if failed {
				// After an error or the end of input the next Read starts
				// afresh (and sees the descriptor's state).
				return true
			}
		}
	}
	for !quit {
		if err := c.rc.Read(fn); err != nil && !quit {
			c.drained = false
			c.err = err
			if !yield(struct{}{}) {
				return
			}
		}
	}
}

// tcpINQ is Linux's TCP_INQ option and control message type.
const tcpINQ = 36

// recv reads into c.r.p and sets c.drained when the kernel says the
// socket holds nothing more (TCP_INQ).
func (c *rawIO) recv(fd uintptr) (int, syscall.Errno) {
	c.drained = false
	if !c.inq {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.r.p[0])), uintptr(len(c.r.p)))
		return int(n), e
	}
	c.iov.Base = &c.r.p[0]
	c.iov.SetLen(len(c.r.p))
	c.msg = syscall.Msghdr{Iov: &c.iov, Iovlen: 1, Control: &c.oob[0]}
	c.msg.SetControllen(len(c.oob))
	n, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.msg)), 0)
	c.iov.Base = nil
	if e == 0 && n > 0 && int(c.msg.Controllen) >= syscall.CmsgLen(4) {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&c.oob[0]))
		if h.Level == syscall.IPPROTO_TCP && h.Type == tcpINQ {
			c.drained = *(*int32)(unsafe.Pointer(&c.oob[syscall.CmsgLen(0)])) == 0
		}
	}
	return int(n), e
}

// StopReading ends the reading coroutine, letting go of the descriptor's
// read lock: before the socket is closed (Close waits for that lock) or
// read otherwise. It must not run while a Read does.
func (c *rawIO) StopReading() {
	if c.stop != nil {
		c.stop()
		c.next, c.stop = nil, nil
	}
	c.drained = false
}

// WaitsFree reports whether a read that finds the socket empty costs no
// system call (the kernel tells how much is left with each read).
func (c *rawIO) WaitsFree() bool { return c.inq }

// Waits counts the reads so far that found the socket empty and waited in
// the netpoller: a read that did not wait found its input there, however
// long the scheduler took to run it.
func (c *rawIO) Waits() int { return c.waits }

// Abort makes every read from now on fail: the socket is being closed
// by another goroutine, and its descriptor outlives that while the
// coroutine is suspended in a read.
func (c *rawIO) Abort() { c.aborted.Store(true) }

func (c *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.next == nil {
		c.next, c.stop = iter.Pull(c.reads)
	}
	c.r.p, c.r.n, c.r.errno, c.err = p, 0, 0, nil
	_, ok := c.next()
	c.r.p = nil
	switch {
	case !ok:
		return 0, net.ErrClosed
	case c.err != nil:
		return 0, c.err
	case c.r.errno != 0:
		return 0, os.NewSyscallError("read", c.r.errno)
	case c.r.n == 0:
		return 0, io.EOF
	}
	return c.r.n, nil
}

func (c *rawIO) write(fd uintptr) bool {
	for len(c.w.p) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&c.w.p[0])), uintptr(min(len(c.w.p), maxRW)))
		switch e {
		case 0:
			c.w.n += int(n)
			c.w.p = c.w.p[n:]
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.w.errno = e
			return true
		}
	}
	return true
}

func (c *rawIO) Write(p []byte) (int, error) {
	c.w.p, c.w.n, c.w.errno = p, 0, 0
	err := c.rc.Write(c.w.fn)
	c.w.p = nil
	switch {
	case err != nil:
		return c.w.n, err
	case c.w.errno != 0:
		return c.w.n, os.NewSyscallError("write", c.w.errno)
	}
	return c.w.n, nil
}

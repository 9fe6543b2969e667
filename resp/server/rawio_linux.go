//go:build linux

package server

import (
	"io"
	"net"
	"os"
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
type rawIO struct {
	rc syscall.RawConn
	r  rawOp
	w  rawOp
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
	c.r.fn = c.read
	c.w.fn = c.write
	return c
}

func (c *rawIO) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.r.p[0])), uintptr(len(c.r.p)))
		switch e {
		case 0:
			c.r.n = int(n)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait in the netpoller, then try again
		default:
			c.r.errno = e
			return true
		}
	}
}

func (c *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.r.p, c.r.n, c.r.errno = p, 0, 0
	err := c.rc.Read(c.r.fn)
	c.r.p = nil
	switch {
	case err != nil:
		return 0, err
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

package server

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"synap/commands"
	"synap/resp"
	"synap/sched"
	"synap/tenant"
)

// conn is one RESP connection: it owns the socket, its reader and raw
// I/O, flushing, the idle and auth timeouts, read pacing and warming, and
// holds the session its commands run on. It is the session's Transport.
type conn struct {
	l   *Listener
	s   *commands.Server
	c   *commands.Session
	nc  net.Conn
	out io.Writer // nc, or raw system calls on its socket (rawio_linux.go)
	rd  *resp.Reader
	// ctx is cancelled when the connection is killed or ends: a directory
	// lookup for it (AUTH) is abandoned.
	ctx    context.Context
	cancel context.CancelFunc

	pacing pacing
	// readWaits counts the reads that waited in the netpoller (rawio's
	// Waits); nil where the reader cannot tell, and the read's duration
	// says it instead (afterRead).
	readWaits func() int
	// durableWait: the last flush waited for an fsync (appendfsync always),
	// with every session whose records it carried.
	durableWait bool
	warmLeft    int // buffered commands whose keys were already warmed
	// batchRun counts the commands run since the last read, for the yield
	// every yieldCommands of a long pipeline; batchBytes their arguments'
	// bytes since the last chance to yield, for the one every yieldBytes.
	batchRun   int
	batchBytes int
	warmSkip   int // reads to go before warm looks ahead again
	warmIdx    []int
	warmKeys   [][]byte

	// deadline is the read deadline the loop set (zero: none), restored
	// after a wake.
	deadline time.Time
	// wakeMu orders Wake against the loop parking in a read: armed while
	// the loop may be parked, woken when Wake interrupted that read by
	// moving the deadline to the past.
	wakeMu sync.Mutex
	armed  bool
	woken  bool
	// pushesOut: the writer holds pushes taken from the outbox.
	pushesOut bool
	// batchStart is when the current batch of input began to be served,
	// and durableFor how long its flush waited for an fsync: a tenant's
	// share of the processor counts the time between, less the wait.
	batchStart time.Time
	durableFor time.Duration
}

// waits is rc.readWaits(), or -1 when the reader cannot tell.
func (rc *conn) waits() int {
	if rc.readWaits == nil {
		return -1
	}
	return rc.readWaits()
}

// account adds the batch just served to its tenant's share of the
// processor (sched.Share).
func (rc *conn) account() {
	if rc.batchStart.IsZero() {
		return
	}
	if t := rc.c.T; t != nil {
		now := time.Now()
		t.Share.Add(now, now.Sub(rc.batchStart)-rc.durableFor)
	}
	rc.batchStart, rc.durableFor = time.Time{}, 0
}

// penaltyWait holds the reply of an AUTH whose tenant keeps having its
// connections closed for protocol errors (Server.AuthPenalty), holding
// nothing; it reports false if the connection was killed meanwhile.
func (rc *conn) penaltyWait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-rc.ctx.Done():
		return false
	}
}

// spendInput counts n bytes just read, and charges them to the session's
// tenant: past its max_input_bytes_per_second the connection waits before
// it reads again (the kernel's buffers fill and the client's sends slow
// down). It reports false when the connection ended meanwhile.
func (rc *conn) spendInput(n int) bool {
	rc.s.Stats.NetInput.Add(int64(n))
	if t := rc.c.T; t != nil {
		if d := t.SpendInput(int64(n), time.Now()); d > 0 {
			return rc.penaltyWait(d)
		}
	}
	return true
}

// beginBatch starts serving input that has just been read. A tenant that
// took more than its part of the processor lately lets the other ready
// connections go first (sched.Defer), so its many connections cannot make
// another tenant's request wait behind a command from each of them; so
// does a connection not yet authenticated (unauthed), so that a storm of
// reconnections (a tenant reconnecting after each refused 100 MB argument)
// waits for the sessions already served rather than they for it.
func (rc *conn) beginBatch(unauthed bool) {
	now := time.Now()
	if t := rc.c.T; unauthed || t != nil && t.Share.Heavy(now) {
		sched.Defer()
		now = time.Now()
	}
	rc.batchStart = now
	rc.c.BeginBatch(now)
}

func (rc *conn) RemoteAddr() string { return rc.nc.RemoteAddr().String() }
func (rc *conn) LocalAddr() string  { return rc.nc.LocalAddr().String() }
func (rc *conn) Kill() {
	rc.cancel()
	if r, ok := rc.out.(holdsRead); ok {
		// Close waits for the read that the connection's goroutine holds
		// open between requests (rawio_linux.go), and the caller may be
		// that goroutine (a client killing itself) or hold what it needs
		// to get there: the socket is closed from a goroutine of its own,
		// which returns once the connection lets go of its read.
		r.Abort()
		go func() { _ = rc.nc.Close() }()
		return
	}
	_ = rc.nc.Close()
}

// holdsRead is raw I/O that holds its socket's read open between reads.
type holdsRead interface {
	// StopReading lets go of the read; the next Read opens another.
	StopReading()
	// Abort makes reads fail until the socket is closed.
	Abort()
}

// stopReading lets go of the socket's read, before it is closed or read
// by other means.
func (rc *conn) stopReading() {
	if r, ok := rc.out.(holdsRead); ok {
		r.StopReading()
	}
}

func (rc *conn) QueryBuf() int { return rc.rd.Buffered() }

// Wake interrupts the loop's read, if it is parked in one, so it writes the
// pushes queued meanwhile.
func (rc *conn) Wake() {
	rc.wakeMu.Lock()
	if rc.armed && !rc.woken {
		rc.woken = true
		_ = rc.nc.SetReadDeadline(time.Unix(1, 0))
	}
	rc.wakeMu.Unlock()
}

// arm lets Wake interrupt the next read; it reports false when pushes are
// already queued, so the loop writes them instead of reading. A push
// queues before it wakes, and the loop arms before it looks: one of the
// two sees the other.
func (rc *conn) arm() bool {
	rc.wakeMu.Lock()
	rc.armed = true
	rc.wakeMu.Unlock()
	if rc.c.HasPushes() {
		if rc.disarm() {
			_ = rc.nc.SetReadDeadline(rc.deadline)
		}
		return false
	}
	return true
}

// disarm ends what arm began and reports whether Wake interrupted the read.
func (rc *conn) disarm() bool {
	rc.wakeMu.Lock()
	woken := rc.woken
	rc.armed, rc.woken = false, false
	rc.wakeMu.Unlock()
	return woken
}

// setDeadline sets the socket's read deadline (zero: none).
func (rc *conn) setDeadline(t time.Time) {
	rc.deadline = t
	_ = rc.nc.SetReadDeadline(t)
}

// FD is the socket's file descriptor, -1 when it has none (closed, or not
// a socket).
func (rc *conn) FD() int64 {
	sc, ok := rc.nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := int64(-1)
	if raw.Control(func(f uintptr) { fd = int64(f) }) != nil {
		return -1
	}
	return fd
}

const flushAbove = 64 << 10 // flush mid-pipeline once this much reply is pending

// yieldCommands is how many commands of one pipeline run between two
// chances to yield (sched.Maybe); pipelines of redis-benchmark's size
// (16) never reach it.
const yieldCommands = 64

// yieldBytes is how many bytes of arguments the commands of one pipeline
// run between two chances to yield: 64 commands of 12 KB each copy and
// allocate for about a millisecond.
const yieldBytes = 64 << 10

// flushStep is the most of a reply written by one system call.
const flushStep = 64 << 10

// flush sends the pending replies, after the batch's counters: the core
// adds them before any reply leaves (EndBatch).
func (rc *conn) flush() bool {
	c := rc.c
	c.FlushCounters()
	if c.W.Len() == 0 {
		return true
	}
	// appendfsync always: the replies of the batch's writes wait here for
	// their records to be on disk, one wait (one group-committed fsync)
	// for the whole pipeline. A record that cannot be made durable must
	// not be answered as a success: the connection is closed instead.
	// The fsync wait is not the tenant's use of the processor (account):
	// timed only where there is a tenant to charge.
	var start time.Time
	if c.T != nil {
		start = time.Now()
	}
	waited, err := rc.s.AwaitDurable(rc.ctx, c)
	rc.durableWait = waited
	if waited && c.T != nil {
		rc.durableFor += time.Since(start)
	}
	if err != nil {
		rc.s.Log.Warn("closing client: its writes could not be made durable", "addr", c.Addr, "id", c.ID, "err", err)
		c.W.Reset()
		return false
	}
	// A reply of many MB goes out in steps with a chance to yield between
	// them: one write system call of it copies for ms, and the goroutine
	// cannot be preempted inside the kernel.
	buf, n := c.W.Buf, 0
	for len(buf) > 0 && err == nil {
		if n > 0 {
			sched.Maybe()
		}
		var m int
		m, err = rc.out.Write(buf[:min(len(buf), flushStep)])
		n, buf = n+m, buf[m:]
		if m == 0 && err == nil {
			err = io.ErrShortWrite
		}
	}
	rc.s.Stats.NetOutput.Add(int64(n))
	if rc.pushesOut && err == nil {
		rc.pushesOut = false
		c.PushesWritten()
	}
	c.W.Reset()
	c.W.Release() // do not keep a huge reply buffer per idle client
	return err == nil
}

// serve runs the connection admitted with id until it ends; unauthed: it
// holds a place among those waiting to authenticate (Server.Admit).
func (l *Listener) serve(nc net.Conn, id int64, unauthed bool) {
	s := l.srv
	rw := newRawIO(nc)
	rc := &conn{l: l, s: s, nc: nc, out: rw, rd: resp.NewReader(rw, s.Limits())}
	rc.ctx, rc.cancel = context.WithCancel(context.Background())
	remote := nc.RemoteAddr().String()
	defer func() {
		if unauthed {
			s.ReleaseUnauth(remote)
		}
	}()
	c, err := s.NewSessionWithID(tenant.SurfaceRESP, rc, id)
	if err != nil {
		rc.cancel()
		_ = nc.Close()
		return
	}
	rc.c = c
	if r, ok := rw.(interface{ WaitsFree() bool }); ok {
		rc.pacing.free = r.WaitsFree()
	}
	if r, ok := rw.(interface{ Waits() int }); ok {
		rc.readWaits = r.Waits
	}
	rc.pacing.since = l.pacer.now()
	unauthSince := c.Created // auth-timeout runs from here
	defer func() {
		rc.cancel()
		c.Close()
		rc.stopReading()
		_ = nc.Close()
	}()
	rc.rd.SetLimits(s.ReaderLimits(c))
	for {
		if rc.warmLeft <= 0 && rc.rd.Buffered() > 0 {
			rc.warmLeft = rc.warm()
		}
		args, err := rc.rd.Next(s.PreAuth(c))
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				s.CountProtocolError(c, pe.Msg)
				// At Redis's level for it (verbose, our debug): a client
				// that reconnects to be refused again and again made the
				// server write a warning per refusal (670 lines/s, a sixth
				// of its CPU under the 100 MB argument attack). They are
				// still counted (Stats.ProtocolErrors, a tenant's refused
				// payloads) whatever the level.
				s.Log.Debug("protocol error, closing client", "addr", c.Addr, "id", c.ID, "err", pe.Msg)
				c.W.Error(pe.Msg)
				rc.flush()
				rc.account()
				rc.stopReading()
				lingerClose(nc, pe.Unread)
			}
			return
		}
		if args == nil {
			ran := rc.batchRun
			rc.warmLeft, rc.batchRun = 0, 0
			if c.TookDelivered() {
				// This batch's PUBLISHes woke subscribers: they write
				// before its replies go out, as Redis writes a subscriber
				// before the publishers it served. Written after, a
				// subscriber's messages waited behind every publisher's
				// reply, and its p99 delivery latency with 50 subscribers
				// was 65-77 ms against Redis's 11-18.
				runtime.Gosched()
			}
			if c.TakePushes(c.W) > 0 {
				rc.pushesOut = true
			}
			if !rc.flush() {
				return
			}
			rc.account()
			if c.ClosingAfterReply() {
				return
			}
			// AUTH, re-AUTH and a plan or setting changed live all take
			// effect here, before more input is buffered.
			rc.rd.SetLimits(s.ReaderLimits(c))
			cfg := s.Config()
			switch {
			case cfg.AuthTimeout > 0 && s.PreAuth(c):
				// From the connection's start, not per read: dripping bytes
				// must not keep an unauthenticated socket.
				rc.setDeadline(unauthSince.Add(time.Duration(cfg.AuthTimeout) * time.Second))
			case cfg.Timeout > 0:
				rc.setDeadline(time.Now().Add(time.Duration(cfg.Timeout) * time.Second))
			case !rc.deadline.IsZero():
				rc.setDeadline(time.Time{})
			}
			if !rc.arm() {
				continue // pushes came: written before the read
			}
			before := rc.rd.Buffered()
			t, yielded := l.pacer.beforeRead(&rc.pacing, ran, rc.durableWait)
			rc.durableWait = false
			waits := rc.waits()
			err := rc.rd.Fill()
			l.pacer.afterRead(&rc.pacing, t, yielded, rc.waits()-waits)
			if rc.disarm() {
				// Woken for pushes: the deadline moved to the past for
				// that is put back; what was read is kept either way.
				_ = nc.SetReadDeadline(rc.deadline)
				var ne interface{ Timeout() bool }
				if err == nil || errors.As(err, &ne) && ne.Timeout() {
					if !rc.spendInput(rc.rd.Buffered() - before) {
						return
					}
					// Woken by the first push of a publisher's batch:
					// the connections already runnable (other publishers)
					// go first and queue theirs, and one write carries
					// them all. Writing at once sent a publisher's 16
					// messages per system call, a third of the CPU of
					// PUBLISH to one subscriber.
					runtime.Gosched()
					continue
				}
			}
			if err != nil {
				if errors.Is(err, resp.ErrQueryBufLimit) {
					s.Log.Warn("closing client that reached max query buffer length", "addr", c.Addr, "id", c.ID)
				} else if !errors.Is(err, io.EOF) && !c.IsKilled() && !s.Closing() {
					s.Log.Debug("client read", "addr", c.Addr, "err", err)
				}
				return
			}
			if !rc.spendInput(rc.rd.Buffered() - before) {
				return
			}
			rc.beginBatch(unauthed)
			continue
		}
		rc.warmLeft--
		if c.HasPushes() && c.TakePushes(c.W) > 0 {
			// Pushes queued before this command go out before its reply.
			rc.pushesOut = true
		}
		w := s.Exec(rc.ctx, c, args)
		for w != nil && w.Postponed() {
			// Held by CLIENT PAUSE: the replies before it go out, and
			// it runs once the pause lets it go (or is answered).
			if !rc.waitBlocked(w) {
				return
			}
			w = s.Resume(rc.ctx, c, w)
		}
		for _, a := range args {
			rc.batchBytes += len(a)
		}
		if rc.batchRun++; (rc.batchRun%yieldCommands == 0 || rc.batchBytes >= yieldBytes) && !c.Tx.Active() {
			// A pipeline of thousands of commands (a MULTI of 10k SETs
			// being queued) is one long run on the processor: other
			// connections get it between commands, where nothing is locked.
			// So is one read of a few MB of 12 KB SETs (a bulk load), which
			// ran 1 ms and more of them before the next read.
			rc.batchBytes = 0
			sched.Maybe()
		}
		switch {
		case unauthed && c.Authed:
			s.ReleaseUnauth(remote) // room for the next client to authenticate
			unauthed = false
			if d := s.AuthPenalty(c); d > 0 && !rc.penaltyWait(d) {
				return
			}
		case !unauthed && s.PreAuth(c):
			// Unauthenticated again (RESET, a key found revoked): counted
			// as waiting once more, with auth-timeout from now, not from
			// when the connection was opened (long past for a pooled one).
			s.RetakeUnauth(remote)
			unauthed, unauthSince = true, time.Now()
		}
		if w != nil && !rc.waitBlocked(w) {
			return
		}
		if c.ClosingAfterReply() {
			rc.flush()
			return
		}
		if c.W.Len() >= flushAbove {
			if !rc.flush() {
				return
			}
		}
	}
}

// lingerClose lets a client that is still sending the frame refused with a
// protocol error read that error. Closing a socket with unread input makes
// the kernel answer with a reset, which the client sees instead of the
// reply, often on the write it is still in. So the reply is followed by a
// FIN, and what the client goes on sending is read and dropped, up to
// lingerBytes or lingerTime, whichever comes first: a bounded cost for a
// clear error. A frame that still announces more than lingerBytes (unread)
// cannot be drained within the bound, so its sender gets the reset however
// much is read first: it is closed at once. Draining it bought nothing and
// let one tenant reconnecting with 100 MB arguments make the server read
// 2 MB per refusal, 87% of its CPU (the noisy-neighbour benchmark's row).
func lingerClose(nc net.Conn, unread int64) {
	tc, ok := nc.(*net.TCPConn)
	if !ok || !shouldLinger(unread) {
		return
	}
	if tc.CloseWrite() != nil {
		return
	}
	_ = tc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, tc, lingerBytes)
}

// shouldLinger reports whether draining a refused frame's unread rest can
// let its sender finish writing and read the error.
func shouldLinger(unread int64) bool { return unread <= lingerBytes }

const (
	lingerBytes = 2 << 20
	lingerTime  = 200 * time.Millisecond
)

// waitBlocked waits for the blocked command w of the connection's session
// while reading its socket, so a client that hangs up (or is killed) is
// released at once and never served; it reports whether to keep serving.
// What was read meanwhile stays buffered for the loop.
func (rc *conn) waitBlocked(w *commands.Waiter) bool {
	if rc.c.W.Len() > 0 && !rc.flush() {
		w.Cancel()
		return false
	}
	nc := rc.nc
	_ = nc.SetReadDeadline(time.Time{})
	readErr := make(chan error, 1)
	gone, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	go func() {
		for {
			if err := rc.rd.Fill(); err != nil {
				readErr <- err
				hangUp()
				return
			}
		}
	}()
	// Pushes that come while the command waits go out as they come; its
	// reply, written after the wait, follows them.
	stopPushing, pushed := make(chan struct{}), make(chan struct{})
	go rc.pushWhileWaiting(stopPushing, pushed, hangUp)
	err := w.Wait(gone)
	close(stopPushing)
	<-pushed
	// The reader goroutine ends before the loop uses the reader again.
	_ = nc.SetReadDeadline(time.Unix(1, 0))
	rerr := <-readErr
	_ = nc.SetReadDeadline(time.Time{})
	if err != nil {
		return false // the peer hung up, was killed, or the server is closing
	}
	var ne interface{ Timeout() bool }
	return errors.As(rerr, &ne) && ne.Timeout()
}

// pushWhileWaiting writes the session's pushes while its goroutine waits
// for a blocked command, until stop; it hangs up the wait when the socket
// fails. Nothing else writes to the socket meanwhile: the blocked
// command's reply goes into the session's writer, sent after the wait.
func (rc *conn) pushWhileWaiting(stop <-chan struct{}, done chan<- struct{}, hangUp func()) {
	defer close(done)
	var w resp.Writer
	for {
		select {
		case <-stop:
			return
		case <-rc.c.PushReady():
		}
		if rc.c.TakePushes(&w) == 0 {
			continue
		}
		n, err := rc.out.Write(w.Buf)
		rc.s.Stats.NetOutput.Add(int64(n))
		w.Reset()
		if err != nil {
			hangUp()
			return
		}
		rc.c.PushesWritten()
	}
}

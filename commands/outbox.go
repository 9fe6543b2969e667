package commands

import (
	"sync"
	"sync/atomic"
	"time"

	"synap/resp"
)

// outbox holds the pushes other goroutines queued for a session (pub/sub
// messages, keyspace events, tracking invalidations) until the session's
// owner writes them out between replies. It is bounded by Redis's
// client-output-buffer-limit for the pubsub class: a session past the hard
// limit, or past the soft limit for longer than its seconds, is
// disconnected. Pushing never waits for the session: a slow reader costs
// its publisher one short mutex and, at worst, the session its connection.
//
// The pushes are queued as one buffer of encoded frames, back to back,
// which the owner takes whole (TakePushes): a publish copies its frame
// once, and the owner's writer and the queue trade buffers, so a steady
// stream of messages neither allocates nor copies again on the way out.
type outbox struct {
	mu sync.Mutex
	// buf is the queued pushes, encoded; count is how many.
	buf   []byte
	count int
	// taken is what TakePushes handed out and the owner has not yet
	// written (PushesWritten): a socket that stopped reading holds it, so
	// it counts toward the limit.
	taken int64
	// softSince is when the queue went over the soft limit (zero: under).
	softSince time.Time
	// over is set once the limit closed the session: pushes are dropped.
	over bool
	// n is count, read without the mutex by a connection deciding
	// whether it may park in a read (respConn.armed).
	n atomic.Int64
	// ready has a token while pushes are queued, for owners that select
	// on it (a socketless session's writer).
	ready chan struct{}
	// now is the clock of the soft limit (tests replace it).
	now func() time.Time
}

// keepPushBuf is the largest buffer the queue keeps for its next pushes
// once taken: a burst of megabytes must not stay with an idle subscriber.
const keepPushBuf = 64 << 10

func newOutbox() *outbox {
	return &outbox{ready: make(chan struct{}, 1), now: time.Now}
}

// pushTarget is what a push to c needs from it: the protocol it speaks
// now, and the pubsub class's limits for it. A tenant's hard limit is
// never more than tenant-output-buffer-limit, so its memory stays bounded
// even when the class is configured unlimited. Both are read under c.mu,
// once: HELLO may be switching the protocol and AUTH rebinding the tenant.
func (c *Session) pushTarget() (proto int, l OutputBufferLimit) {
	cfg := c.srv.Config()
	l = cfg.OutputBufferLimits.PubSub
	c.mu.Lock()
	proto, t := c.W.Proto, c.T
	c.mu.Unlock()
	if t != nil {
		if tl := cfg.TenantOutputBufferLimit; tl > 0 && (l.Hard == 0 || tl < l.Hard) {
			l.Hard = tl
		}
	}
	return proto, l
}

// Push queues an out-of-band message for c, encoded by encode for the
// protocol c speaks now (w.Push makes a RESP3 push frame or a RESP2
// array), and wakes c's owner to write it. It never blocks on c: when the
// queue passes c's output buffer limit, c is disconnected (Kill) and Push
// returns false, as it does for every push after that.
func (c *Session) Push(encode func(w *resp.Writer)) bool {
	proto, lim := c.pushTarget()
	w := resp.Writer{Proto: proto}
	encode(&w)
	return c.pushFrame(w.Buf, lim)
}

// pushFrame queues a copy of frame, already encoded for c's protocol, under
// the limits lim (pushTarget): the caller may reuse frame at once, so one
// frame serves a whole fan-out (a message to subscribers of one protocol is
// encoded once).
func (c *Session) pushFrame(frame []byte, lim OutputBufferLimit) bool {
	ob := c.outbox
	ob.mu.Lock()
	if ob.over {
		ob.mu.Unlock()
		return false
	}
	// Only the push that finds the queue empty wakes the owner: one
	// queued before it has woken it already, and the owner takes the
	// whole queue. A fan-out to a busy subscriber then costs no wake per
	// message.
	wake := ob.count == 0
	ob.buf = append(ob.buf, frame...)
	ob.count++
	ob.n.Add(1)
	held := int64(len(ob.buf)) + ob.taken
	over := lim.Hard > 0 && held > lim.Hard
	if lim.Soft > 0 && held > lim.Soft {
		now := ob.now()
		if ob.softSince.IsZero() {
			ob.softSince = now
		} else if now.Sub(ob.softSince) > time.Duration(lim.SoftSecs)*time.Second {
			over = true
		}
	} else {
		ob.softSince = time.Time{}
	}
	if over {
		// Dropped now, not when the dead session is finally closed: the
		// memory is what the limit protects.
		ob.over, ob.buf, ob.count = true, nil, 0
		ob.n.Store(0)
	}
	ob.mu.Unlock()
	if over {
		c.srv.Log.Warn("client closed for overcoming of output buffer limits", "addr", c.Addr, "id", c.ID, "class", "pubsub")
		c.Kill()
		return false
	}
	if !wake {
		return true
	}
	select {
	case ob.ready <- struct{}{}:
	default:
	}
	c.tr.Wake()
	return true
}

// PushReady has a token while pushes are queued for c: a socketless
// session's owner selects on it and then calls TakePushes.
func (c *Session) PushReady() <-chan struct{} { return c.outbox.ready }

// TakePushes appends the queued pushes to w, oldest first, and empties the
// queue; it reports how many there were. Call it from the session's own
// goroutine, between replies, and PushesWritten once w is written out:
// until then they still count toward the limit. When w is empty the
// queue's buffer becomes w's and w's the queue's, so the caller must hold
// no reference into w.Buf across the call.
func (c *Session) TakePushes(w *resp.Writer) int {
	ob := c.outbox
	if ob.n.Load() == 0 {
		return 0
	}
	ob.mu.Lock()
	b, k := ob.buf, ob.count
	ob.taken += int64(len(b))
	ob.count = 0
	ob.n.Store(0)
	if len(w.Buf) == 0 {
		ob.buf = reusable(w.Buf)
		ob.mu.Unlock()
		w.Buf = b
		return k
	}
	// Copied outside the mutex, which publishers wait on: the queue may
	// hold megabytes.
	ob.buf = nil
	ob.mu.Unlock()
	w.Buf = append(w.Buf, b...)
	if b = reusable(b); b != nil {
		ob.mu.Lock()
		if ob.buf == nil && !ob.over {
			ob.buf = b
		}
		ob.mu.Unlock()
	}
	return k
}

// reusable is b emptied, to queue the next pushes in, or nil when it is
// too big to keep.
func reusable(b []byte) []byte {
	if cap(b) > keepPushBuf {
		return nil
	}
	return b[:0]
}

// PushesWritten tells the outbox that what TakePushes handed out has left.
func (c *Session) PushesWritten() {
	ob := c.outbox
	ob.mu.Lock()
	ob.taken = 0
	if len(ob.buf) == 0 {
		ob.softSince = time.Time{}
	}
	ob.mu.Unlock()
}

// PendingPushes is the bytes of pushes queued or handed out and not yet
// written.
func (c *Session) PendingPushes() int64 {
	ob := c.outbox
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return int64(len(ob.buf)) + ob.taken
}

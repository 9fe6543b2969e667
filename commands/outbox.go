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
type outbox struct {
	mu     sync.Mutex
	frames [][]byte
	bytes  int64
	// taken is what TakePushes handed out and the owner has not yet
	// written (PushesWritten): a socket that stopped reading holds it, so
	// it counts toward the limit.
	taken int64
	// softSince is when the queue went over the soft limit (zero: under).
	softSince time.Time
	// over is set once the limit closed the session: pushes are dropped.
	over bool
	// n is len(frames), read without the mutex by a connection deciding
	// whether it may park in a read (respConn.armed).
	n atomic.Int64
	// ready has a token while frames are queued, for owners that select
	// on it (a socketless session's writer).
	ready chan struct{}
	// now is the clock of the soft limit (tests replace it).
	now func() time.Time
}

func newOutbox() *outbox {
	return &outbox{ready: make(chan struct{}, 1), now: time.Now}
}

// pushLimit is the pubsub class's limits for c; a tenant's hard limit is
// never more than tenant-output-buffer-limit, so its memory stays bounded
// even when the class is configured unlimited.
func (s *Server) pushLimit(c *Session) OutputBufferLimit {
	cfg := s.Config()
	l := cfg.OutputBufferLimits.PubSub
	if c.tenantOf() != nil { // under mu: AUTH may be rebinding it
		if t := cfg.TenantOutputBufferLimit; t > 0 && (l.Hard == 0 || t < l.Hard) {
			l.Hard = t
		}
	}
	return l
}

// Push queues an out-of-band message for c, encoded by encode for the
// protocol c speaks now (w.Push makes a RESP3 push frame or a RESP2
// array), and wakes c's owner to write it. It never blocks on c: when the
// queue passes c's output buffer limit, c is disconnected (Kill) and Push
// returns false, as it does for every push after that.
func (c *Session) Push(encode func(w *resp.Writer)) bool {
	// Read under mu: HELLO may be switching it on the session's goroutine.
	c.mu.Lock()
	proto := c.W.Proto
	c.mu.Unlock()
	w := resp.Writer{Proto: proto}
	encode(&w)
	return c.pushFrame(w.Buf)
}

// pushFrame queues frame, already encoded for c's protocol. The outbox
// only reads it, so one frame may be queued for many sessions (a message
// fanned out to subscribers of one protocol is encoded once).
func (c *Session) pushFrame(frame []byte) bool {
	lim := c.srv.pushLimit(c)
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
	wake := len(ob.frames) == 0
	ob.frames = append(ob.frames, frame)
	ob.bytes += int64(len(frame))
	ob.n.Add(1)
	held := ob.bytes + ob.taken
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
		ob.over, ob.frames, ob.bytes = true, nil, 0
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
// until then they still count toward the limit.
func (c *Session) TakePushes(w *resp.Writer) int {
	ob := c.outbox
	if ob.n.Load() == 0 {
		return 0
	}
	ob.mu.Lock()
	frames := ob.frames
	ob.taken += ob.bytes
	ob.frames, ob.bytes = nil, 0
	ob.n.Store(0)
	ob.mu.Unlock()
	for _, f := range frames {
		w.Buf = append(w.Buf, f...)
	}
	return len(frames)
}

// PushesWritten tells the outbox that what TakePushes handed out has left.
func (c *Session) PushesWritten() {
	ob := c.outbox
	ob.mu.Lock()
	ob.taken = 0
	if ob.bytes == 0 {
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
	return ob.bytes + ob.taken
}

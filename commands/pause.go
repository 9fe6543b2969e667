package commands

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v3"

	"synap/tenant"
)

// CLIENT PAUSE and UNPAUSE, as Redis 7.0 has them: while a pause lasts,
// every command (ALL), or every command that writes or may replicate and
// every EXEC that queues one (WRITE), waits before it runs, and so does
// everything the client pipelined behind it. A paused command holds no
// lock and nothing of the server: it is a blocked command without keys
// (CLIENT LIST shows it "b"), which the pause's end, CLIENT UNPAUSE or
// CLIENT UNBLOCK wakes, and which then runs from the start, checks and
// all, as if it had just arrived.
//
// In cluster mode the operator pauses the whole server, and a tenant's
// admin key only the tenant's own connections: one tenant can stop
// itself, never the others. The operator's UNPAUSE lifts every pause,
// since in ALL mode a tenant's own UNPAUSE waits for its pause like any
// command (as in Redis), and the operator is then the only way out of a
// pause set far too long by mistake.

// A pause word is 0 (none) or the pause's end in unix milliseconds shifted
// left by one, with the low bit set for ALL.
func pauseWord(end int64, all bool) uint64 {
	w := uint64(end) << 1
	if all {
		w |= 1
	}
	return w
}

func pauseOf(w uint64) (end int64, all bool) { return int64(w >> 1), w&1 != 0 }

type pauses struct {
	global atomic.Uint64
	// tenants holds the tenants' own pauses; n counts its entries, so a
	// server where no tenant paused pays one atomic load per command.
	tenants *xsync.MapOf[*tenant.Tenant, uint64]
	n       atomic.Int64
}

func newPauses() *pauses {
	return &pauses{tenants: xsync.NewMapOf[*tenant.Tenant, uint64]()}
}

// any reports whether some pause may be in force: the cheap check.
func (p *pauses) any() bool { return p.global.Load() != 0 || p.n.Load() != 0 }

// extend merges a pause until end into *w as Redis merges them: the later
// end and the stricter mode, unless the one in force has ended.
func extend(old uint64, end int64, all bool, now int64) uint64 {
	if oldEnd, oldAll := pauseOf(old); old != 0 && oldEnd > now {
		end, all = max(end, oldEnd), all || oldAll
	}
	if end <= now {
		return 0
	}
	return pauseWord(end, all)
}

// pause sets a pause until end (unix ms) for t's connections, or for
// every connection when t is nil.
func (p *pauses) pause(t *tenant.Tenant, end int64, all bool, now int64) {
	if t == nil {
		for {
			old := p.global.Load()
			if p.global.CompareAndSwap(old, extend(old, end, all, now)) {
				return
			}
		}
	}
	p.tenants.Compute(t, func(old uint64, loaded bool) (uint64, bool) {
		w := extend(old, end, all, now)
		switch {
		case w == 0 && loaded:
			p.n.Add(-1)
		case w != 0 && !loaded:
			p.n.Add(1)
		}
		return w, w == 0
	})
}

// lift ends t's pause, or with t nil every pause, and reports whether
// there was one.
func (p *pauses) lift(t *tenant.Tenant) bool {
	if t != nil {
		return p.forget(t)
	}
	had := p.global.Swap(0) != 0
	p.tenants.Range(func(t *tenant.Tenant, _ uint64) bool {
		had = p.forget(t) || had
		return true
	})
	return had
}

func (p *pauses) forget(t *tenant.Tenant) (had bool) {
	p.tenants.Compute(t, func(_ uint64, loaded bool) (uint64, bool) {
		if loaded {
			p.n.Add(-1)
			had = true
		}
		return 0, true
	})
	return had
}

// in is the pause c's commands are under at now: its end (0: none) and
// whether it holds every command. An ended tenant pause is forgotten here.
func (p *pauses) in(t *tenant.Tenant, now int64) (end int64, all bool) {
	if w := p.global.Load(); w != 0 {
		if e, a := pauseOf(w); e > now {
			end, all = e, a
		}
	}
	if t == nil || p.n.Load() == 0 {
		return end, all
	}
	w, ok := p.tenants.Load(t)
	if !ok {
		return end, all
	}
	e, a := pauseOf(w)
	if e <= now {
		p.tenants.Compute(t, func(cur uint64, loaded bool) (uint64, bool) {
			if !loaded {
				return 0, true
			}
			if ce, _ := pauseOf(cur); ce > now {
				return cur, false // extended meanwhile
			}
			p.n.Add(-1)
			return 0, true
		})
		return end, all
	}
	return max(end, e), all || a
}

// postpone parks args when a pause holds them, and returns the waiter the
// caller must wait on (nil: run now). Commands refused whatever the pause
// (unknown, wrong arity, not authenticated, not permitted by the key) are
// answered at once, as Redis answers them before it looks at the pause.
func (s *Server) postpone(c *Session, args [][]byte) *Waiter {
	cmd, errText := s.Table.Resolve(args)
	if cmd == nil || errText != "" ||
		!c.Authed && cmd.Flags&FlagNoAuth == 0 && s.authRequired() ||
		c.P != nil && !c.P.Allows(cmd.Need) ||
		cmd.Flags&FlagPubSubContext == 0 && c.W.Proto == 2 && c.subscribed() {
		return nil
	}
	now := time.Now().UnixMilli()
	end, all := s.paused.in(c.T, now)
	if end == 0 || !all && !pausesWrites(c, cmd) {
		return nil
	}
	var w *waiter
	x := &Ctx{S: s, C: c, Cmd: cmd, Args: args, W: c.W, Tx: c.Tx}
	x.Block(nil, time.Duration(end-now)*time.Millisecond, func(*Ctx) bool { return false }, func(*Ctx) {
		if w != nil {
			w.again = true
		}
	})
	w = c.blocked
	if w == nil {
		return nil
	}
	w.postponed.Store(true)
	if c.lastCmd != cmd.Name { // CLIENT LIST's cmd=, as Redis shows it
		c.mu.Lock()
		c.lastCmd = cmd.Name
		c.mu.Unlock()
	}
	// An UNPAUSE that came after the check above but before the waiter was
	// visible would have missed it: look again now that it is.
	if e, a := s.paused.in(c.T, time.Now().UnixMilli()); e == 0 || !a && !pausesWrites(c, cmd) {
		s.unblockWaiter(w, false)
	}
	return w
}

// pausesWrites reports whether a WRITE pause holds cmd: it writes or may
// replicate (PUBLISH, PFCOUNT), or it is an EXEC whose queue has one.
func pausesWrites(c *Session, cmd *Command) bool {
	const writes = FlagWrite | FlagMayReplicate
	if cmd.Flags&writes != 0 {
		return true
	}
	if cmd.Name != "exec" || c.multi == nil {
		return false
	}
	for _, q := range c.multi.queue {
		if q.cmd.Flags&writes != 0 {
			return true
		}
	}
	return false
}

// Postponed reports whether w is a command held by CLIENT PAUSE rather
// than one blocked on keys.
func (w *waiter) Postponed() bool { return w.postponed.Load() }

// Resume runs a command held by CLIENT PAUSE again once its transport
// waited for it (Wait), from the start, and returns what Exec returns: it
// may be held once more. It returns nil when the wait answered it instead
// (CLIENT UNBLOCK ERROR, its key revoked). Every transport that waits
// loops: while w != nil && w.Postponed(), wait, then w = Resume(...).
func (s *Server) Resume(ctx context.Context, c *Session, w *Waiter) *Waiter {
	if !w.postponed.Load() || !w.again {
		return nil
	}
	return s.Exec(ctx, c, w.args)
}

// CLIENT PAUSE timeout [WRITE|ALL]
func cmdClientPause(x *Ctx) {
	if len(x.Args) > 4 {
		x.Error(fmt.Sprintf(errStreamSubSyntax, x.Args[1], "CLIENT"))
		return
	}
	all := true
	if len(x.Args) == 4 {
		switch strings.ToLower(string(x.Args[3])) {
		case "write":
			all = false
		case "all":
		default:
			x.Error(errClientPauseMode)
			return
		}
	}
	ms, ok := parseMillis(x, x.Args[2])
	if !ok {
		return
	}
	now := time.Now().UnixMilli()
	// As Redis adds it: a timeout past the clock's range wraps to an end
	// in the past, which pauses nothing.
	x.S.paused.pause(x.C.T, now+ms, all, now)
	x.W.OK()
}

// CLIENT UNPAUSE: the tenant's own pause, or the operator's every pause;
// the commands they held run at once.
func cmdClientUnpause(x *Ctx) {
	t := x.C.T
	if !x.S.paused.lift(t) {
		// Nothing was held by a pause of this scope: no walk over every
		// connection for an UNPAUSE sent in a loop.
		x.W.OK()
		return
	}
	x.S.clients.Range(func(_ int64, c *Client) bool {
		if w := c.parked.Load(); w != nil && w.postponed.Load() && (t == nil || c.tenantOf() == t) {
			x.S.unblockWaiter(w, false)
		}
		return true
	})
	x.W.OK()
}

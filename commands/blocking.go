package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/tenant"
)

// Blocking commands (BLPOP, BZPOPMIN...) park their connection's goroutine
// until another command makes one of their keys servable. The change is
// noticed by the engine (keyWaits.changed); the client that made it then
// serves the waiters of the ready keys in arrival order, right after its own
// command and before its next one, as Redis does in handleClientsBlockedOnKeys.
// Serving runs the waiter's own pop under the waiter's keys' locks and writes
// into the waiter's reply buffer; the parked goroutine only sends it.

const (
	// waitParking: registered, but its goroutine is still finishing the
	// command (statistics, flushing earlier replies); nobody may write
	// into its client until it parks.
	waitParking int32 = iota
	waitWaiting
	waitServed
	waitGone // timed out, disconnected or killed
)

type waiter struct {
	c         *Client
	cmd       *Command
	args      [][]byte // copied: the connection's read buffer moves on
	ns        *engine.Namespace
	keys      []waitKey
	serve     func(*Ctx) bool
	onTimeout func(*Ctx)
	timeout   time.Duration // 0: forever
	// mu is held while serving, so a timeout or disconnect that races a
	// serve sees its final state.
	mu    sync.Mutex
	state atomic.Int32
	done  chan struct{} // closed when served, or ended (endErr)
	// endErr, set under mu before done closes, is why the waiter was ended
	// instead of served: its access key no longer allows the command, or
	// CLIENT UNBLOCK ERROR. timedOut, set the same way, is CLIENT UNBLOCK
	// [TIMEOUT]: the command gets its timeout's reply.
	endErr   string
	timedOut bool
	// unblockLater is a CLIENT UNBLOCK that came while the waiter was
	// still parking (1: timeout, 2: error), applied as soon as it waits.
	unblockLater int

	// Who the connection was when it blocked (cluster mode). A push is
	// served only while the key still holds for the same tenant and still
	// grants the command; whichever goroutine serves checks it (authorise),
	// so these are copies the parked connection's own state cannot race.
	accessKey string
	p         atomic.Pointer[tenant.Principal]
	dirGen    atomic.Uint64
	skipped   atomic.Bool // a push left it parked for its own re-check (waitauth.go)
	// firstReady is the key a push made ready first while the waiter was
	// still parking (set once, by nextWaiter): the re-check that ends
	// parking serves from it, as a server would have. Without it a
	// multi-key pop re-checked in argument order, and took from a key that
	// became ready second.
	firstReady atomic.Pointer[string]

	// postponed: a command held by CLIENT PAUSE (pause.go), which CLIENT
	// UNPAUSE reads from other goroutines; it runs again once it waited
	// if again (its "timeout": the pause ended or was lifted) is set.
	postponed atomic.Bool
	again     bool
}

// ParseTimeout parses a blocking timeout in seconds (fractions allowed),
// rounded up to whole milliseconds as Redis does. It replies the error
// itself and returns ok=false on bad input. 0 means forever.
func ParseTimeout(x *Ctx, arg []byte) (time.Duration, bool) {
	f, ok := ParseFloat(arg)
	if !ok {
		// Redis reads a long double: beyond a double's range it is still a
		// number, huge (a negative long long once in milliseconds) or tiny.
		ld, ok := strLongDouble(arg)
		switch {
		case !ok || ld.IsInf():
			x.Error(errTimeoutFloat)
			return 0, false
		case ld.MantExp(nil) > 0:
			x.Error(errTimeoutNegative)
			return 0, false
		case ld.Sign() > 0:
			return time.Millisecond, true // rounded up to a millisecond
		default:
			return 0, true // rounded up to -0: forever
		}
	}
	ms := math.Ceil(f * 1000)
	// Redis converts to a long long: beyond its range the value turns
	// negative, and so does the reply.
	if ms < 0 || ms >= math.MaxInt64 {
		x.Error(errTimeoutNegative)
		return 0, false
	}
	const forever = float64(100 * 365 * 24 * time.Hour / time.Millisecond)
	if ms >= forever {
		return 0, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// Block parks the client on keys until serve succeeds, the timeout passes
// (0: never) or the client goes away. Call it only after trying to serve at
// once found nothing: it registers while the command still holds its
// locks, so no change can slip in between. Inside MULTI it times out at
// once, as Redis does. serve runs later with x.Tx holding the row's keys
// for writing, x.Args the original arguments and x.W the blocked client's
// writer; it returns true when it replied. onTimeout writes the timeout reply.
func (x *Ctx) Block(keys [][]byte, timeout time.Duration, serve func(x *Ctx) bool, onTimeout func(x *Ctx)) {
	c := x.C
	if c.inExec || c.blocked != nil {
		onTimeout(x)
		return
	}
	w := &waiter{
		c: c, cmd: x.Cmd, ns: x.Tx.NS(), serve: serve, onTimeout: onTimeout,
		timeout: timeout, done: make(chan struct{}),
	}
	if c.P != nil {
		w.accessKey = c.accessKey
		w.p.Store(c.P)
		w.dirGen.Store(c.dirGen)
	}
	w.args = make([][]byte, len(x.Args))
	for i, a := range x.Args {
		w.args[i] = append([]byte(nil), a...)
	}
	kw := x.S.waits
	for _, k := range keys {
		wk := waitKey{w.ns.ID, string(k)}
		dup := false
		for _, have := range w.keys {
			dup = dup || have == wk
		}
		if dup {
			continue
		}
		w.keys = append(w.keys, wk)
		kw.addWaiter(wk, w)
	}
	c.blocked = w
	c.parked.Store(w)
}

// serveReady serves the clients blocked on keys changed by the command c
// just ran, through c's idle transaction, key by key in the order the keys
// became ready. Serving one can make others ready (BLMOVE pushes), so it
// loops until nothing is left.
func (s *Server) serveReady(c *Client) {
	kw := s.waits
	for kw.readyN.Load() != 0 {
		c.readyBuf = kw.takeReady(c.readyBuf)
		for _, k := range c.readyBuf {
			var prev *waiter
			for w := kw.nextWaiter(k, nil); w != nil; w = kw.nextWaiter(k, prev) {
				if !s.serveWaiter(c.Tx, w, []byte(k.key)) {
					prev = w
				}
			}
		}
	}
}

// serveWaiter tries to serve w under its keys' locks, from the key ready
// first when known, and reports whether it was served (or is no longer
// waiting).
func (s *Server) serveWaiter(tx *engine.Tx, w *waiter, ready []byte) bool {
	// Before any lock: re-checking the key may ask the directory, which
	// only the waiter's own goroutine may wait for (waitauth.go).
	msg, ok := "", true
	if tx == w.c.Tx {
		msg = s.authorise(w)
	} else if msg, ok = s.authoriseElsewhere(w); !ok {
		return false
	}
	if msg != "" {
		s.endWaiter(w, msg)
		return true
	}
	if len(w.keys) == 0 {
		// Waiting on no key (WAIT, a command held by CLIENT PAUSE): no
		// change can serve it, and its command's own keys (a held SET's)
		// are not the waiter's, so no lock would cover them below. It
		// ends by its timeout, CLIENT UNBLOCK or its key's re-check.
		return false
	}
	idx := w.cmd.KeyIndexes(nil, w.args)
	keys := make([][]byte, len(idx))
	for i, j := range idx {
		keys[i] = w.args[j]
	}
	tx.Begin(w.ns, keys, true)
	w.mu.Lock()
	served := false
	// servedHere: this goroutine moved w to served, so it alone closes
	// done. Two writers can try to serve one waiter at once (serveReady on
	// two connections); the second sees it served and must not close done
	// again, which a check-then-close did not prevent.
	servedHere := false
	if w.c.killed.Load() {
		// CLIENT KILL answers at once, before the parked goroutine notices
		// its socket closed: a push meanwhile must not go to a dead client.
		w.state.CompareAndSwap(waitWaiting, waitGone)
	}
	if w.state.Load() == waitWaiting {
		x := &Ctx{S: s, C: w.c, Cmd: w.cmd, Args: w.args, W: w.c.W, Tx: tx, Ready: ready}
		mark := w.c.W.Len()
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.recovered(r, w.cmd.Name)
					w.c.W.Truncate(mark)
					x.Error(fmt.Sprintf(errInternal, w.cmd.Name))
					served = true
				}
			}()
			// A served BLMOVE creates its destination like LMOVE does: the
			// key and storage quotas apply as they would have unblocked.
			if x.overQuota() {
				served = true
				return
			}
			served = w.serve(x)
			s.propagate(x, mark)
		}()
		if served {
			w.state.Store(waitServed)
			servedHere = true
		}
	} else {
		served = true
	}
	gone := w.state.Load() == waitGone
	w.mu.Unlock()
	tx.End()
	if gone {
		s.waits.unblock(w)
	}
	if servedHere {
		s.waits.unblock(w)
		close(w.done)
	}
	return served
}

// Waiter is a blocked command: Exec returns it when the command found
// nothing to serve and must wait. The caller waits on it (Wait) or
// withdraws it (Cancel) before the session runs anything else.
type Waiter = waiter

// ErrKilled is Wait's error when the session was killed while waiting.
var ErrKilled = errors.New("synap: session killed")

// Wait parks the caller until the blocked command is served, times out,
// or is ended because its access key no longer allows it; its reply is
// then in the session's writer and Wait returns nil. When ctx is done or
// the session is killed first, the command is withdrawn with nothing
// popped and no reply, and Wait returns why. A caller that flushes
// replies should do so before waiting: from here until Wait returns, only
// a server serving the waiter writes into the session.
func (w *waiter) Wait(ctx context.Context) error {
	c := w.c
	s := c.srv
	defer func() {
		c.blocked = nil
		c.parked.Store(nil)
	}()
	// Taken before the first check, so a directory change after that
	// check closes this channel.
	changed := s.keyChanges(w)
	// Now the caller parks: from here on only a server may write into c,
	// under w.mu. A change that came while parking was skipped by
	// serveReady (the waiter was not servable yet), so try once now.
	if testHookParking != nil {
		testHookParking()
	}
	w.mu.Lock()
	w.state.Store(waitWaiting)
	later := w.unblockLater
	w.mu.Unlock()
	if later != 0 {
		s.unblockWaiter(w, later == 2)
	}
	var ready []byte
	if k := w.firstReady.Load(); k != nil {
		ready = []byte(*k)
	}
	s.serveWaiter(c.Tx, w, ready)
	var timer <-chan time.Time
	if w.timeout > 0 {
		t := time.NewTimer(w.timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		expiry, stopExpiry := keyExpiry(w)
		var why error
		select {
		case <-w.done:
			stopExpiry()
			w.replyEnded()
			return nil
		case <-timer:
			stopExpiry()
			if s.cancelWait(w) {
				w.replyTimeout()
			} else {
				w.settled()
			}
			return nil
		case <-ctx.Done():
			why = ctx.Err()
		case <-c.killedCh:
			why = ErrKilled
		case <-changed:
			// The directory moved: the key may have been revoked, moved or
			// reduced. Ended now rather than at the next push, which may
			// never come.
			changed = s.keyChanges(w)
			s.reauthorise(w)
			if w.skipped.Swap(false) {
				s.serveWaiter(c.Tx, w, nil) // a push waited for this re-check
			}
		case <-expiry:
			s.reauthorise(w)
		}
		stopExpiry()
		if why != nil {
			if s.cancelWait(w) || !w.settled() {
				return why
			}
			return nil // served or ended just before: its reply is not lost
		}
	}
}

// testHookParking, when set, runs as a blocked command's goroutine is about
// to end parking (tests make pushes land in that window).
var testHookParking func()

// settled finishes a waiter that cancelWait found no longer waiting: a
// served one's reply is complete once done closes; an ended one gets its
// error. It reports whether there is a reply.
func (w *waiter) settled() bool {
	if w.state.Load() == waitServed {
		<-w.done
		return true
	}
	return w.replyEnded()
}

// Cancel withdraws a blocked command its caller will not wait for: nothing
// is popped and it gets no reply.
func (w *waiter) Cancel() {
	c := w.c
	c.srv.cancelWait(w)
	c.blocked = nil
	c.parked.Store(nil)
}

// cancelWait withdraws w unless it was served meanwhile; it reports whether
// it withdrew it.
func (s *Server) cancelWait(w *waiter) bool {
	w.mu.Lock()
	withdrawn := w.state.CompareAndSwap(waitWaiting, waitGone) || w.state.CompareAndSwap(waitParking, waitGone)
	gone := w.state.Load() == waitGone
	w.mu.Unlock()
	if gone {
		s.waits.unblock(w) // idempotent: a server may have withdrawn it already
	}
	return withdrawn
}

// ReadyFirst is keys with the one whose change woke a served waiter moved
// to the front, so a multi-key pop takes from the key ready first, as
// Redis does; keys itself when that key is unknown or not among them.
func (x *Ctx) ReadyFirst(keys [][]byte) [][]byte {
	if x.Ready == nil {
		return keys
	}
	for i, k := range keys {
		if string(k) == string(x.Ready) {
			if i == 0 {
				return keys
			}
			out := make([][]byte, 0, len(keys))
			out = append(out, k)
			out = append(out, keys[:i]...)
			return append(out, keys[i+1:]...)
		}
	}
	return keys
}

// firstOfKind finds the first of keys (the one ready first leading) that
// holds a value, for the pops over several keys (LMPOP, BLPOP, ZMPOP,
// BZPOPMIN...). A value of kind is returned; one of another kind gets
// WRONGTYPE (replied true), except when serving a waiter (blocked): Redis
// 7.0 then passes it over and the client keeps waiting. en is nil when no
// key holds anything.
func firstOfKind(x *Ctx, keys [][]byte, kind engine.Kind, blocked bool) (key []byte, en *engine.Entry, replied bool) {
	for _, k := range x.ReadyFirst(keys) {
		e := x.Tx.Get(k)
		switch {
		case e == nil:
		case e.Kind == kind:
			return k, e, false
		case !blocked:
			x.Error(resp.ErrWrongType)
			return nil, nil, true
		}
	}
	return nil, nil, false
}

// authorise reports why w may no longer be served, or "": its access key
// was revoked, disabled or expired, now belongs to another tenant, or no
// longer grants the command. It may ask the directory, so it runs before
// any shard lock is taken. A key that still holds updates what w knows of
// it, so the directory is asked once per change.
func (s *Server) authorise(w *waiter) string {
	p := w.p.Load()
	if p == nil || p.Operator {
		return ""
	}
	np, gen, msg := s.revalidate(context.Background(), w.c.surface, p, w.accessKey, w.dirGen.Load(), time.Now())
	if msg != "" {
		return msg
	}
	if np != p {
		if np.UserID != p.UserID {
			return errBlockedKeyMoved
		}
		if !np.Allows(w.cmd.Need) || (w.cmd.NeedsRead(w.args) && !np.Allows(tenant.NeedRead)) {
			return NoPermErr(np.KeyID, w.cmd.Name)
		}
		w.p.Store(np)
	}
	w.dirGen.Store(gen)
	return ""
}

// reauthorise ends w if its key no longer allows it.
func (s *Server) reauthorise(w *waiter) {
	if msg := s.authorise(w); msg != "" {
		s.endWaiter(w, msg)
	}
}

// endWaiter withdraws a waiting w with the error msg instead of a reply;
// its own goroutine writes the error (endBlocked). Nothing is popped.
func (s *Server) endWaiter(w *waiter, msg string) { s.endWith(w, msg, false) }

// unblockWaiter ends a waiting w as CLIENT UNBLOCK does: with its
// timeout's reply, or with the UNBLOCKED error; it reports whether w was
// still waiting (not served, timed out or gone meanwhile).
func (s *Server) unblockWaiter(w *waiter, asError bool) bool {
	w.mu.Lock()
	if w.state.Load() == waitParking {
		// Blocked, as CLIENT LIST already shows it, but its goroutine has
		// not started waiting: Wait applies it then. A second unblock
		// finds it unblocked already, as it would once waiting.
		first := w.unblockLater == 0
		if first {
			w.unblockLater = 1
			if asError {
				w.unblockLater = 2
			}
		}
		w.mu.Unlock()
		return first
	}
	w.mu.Unlock()
	if asError {
		return s.endWith(w, errUnblocked, false)
	}
	return s.endWith(w, "", true)
}

func (s *Server) endWith(w *waiter, msg string, timedOut bool) bool {
	w.mu.Lock()
	ended := w.state.CompareAndSwap(waitWaiting, waitGone)
	if ended {
		w.endErr, w.timedOut = msg, timedOut
	}
	w.mu.Unlock()
	if ended {
		s.waits.unblock(w)
		close(w.done)
	}
	return ended
}

// replyEnded writes the reply of a w that was ended rather than served
// (its timeout's, or the error it was ended with), on its own goroutine,
// and reports whether it was ended.
func (w *waiter) replyEnded() bool {
	w.mu.Lock()
	msg, timedOut := w.endErr, w.timedOut
	w.mu.Unlock()
	switch {
	case timedOut:
		w.replyTimeout()
	case msg != "":
		w.c.srv.endBlocked(w.c, w, msg)
	default:
		return false
	}
	return true
}

// replyTimeout writes the blocked command's timeout reply, on its own
// goroutine.
func (w *waiter) replyTimeout() {
	c := w.c
	w.onTimeout(&Ctx{S: c.srv, C: c, Cmd: w.cmd, Args: w.args, W: c.W, Tx: c.Tx})
}

// endBlocked replies msg to c's blocked command on c's own goroutine, then
// brings the session up to date with its key as any next command would:
// unbound when revoked or expired, rebound when moved or reduced.
func (s *Server) endBlocked(c *Client, w *waiter, msg string) {
	if c.T != nil && strings.HasPrefix(msg, "NOPERM") {
		c.T.Rejected(tenant.RejectNoPerm)
	}
	s.reject(c, w.cmd, msg)
	c.clock = time.Now()
	if c.P != nil {
		s.recheck(c)
	}
}

// keyExpiry fires when w's key expires (nil when it never does); stop
// releases the timer.
func keyExpiry(w *waiter) (<-chan time.Time, func()) {
	p := w.p.Load()
	if p == nil || p.ExpiresAt.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(max(time.Until(p.ExpiresAt), time.Millisecond))
	return t.C, func() { t.Stop() }
}

// dirWatch tells parked clients that the directory's generation moved, so
// a revoked key's blocked commands end within about dirWatchEvery of the
// directory noticing, whether or not anything is pushed. One goroutine per
// server polls the generation (it starts with the first parked tenant);
// each change closes the current channel and opens the next.
type dirWatch struct {
	once  sync.Once
	mu    sync.Mutex
	ch    chan struct{}
	every time.Duration // 0: dirWatchEvery (tests lengthen it)
}

const dirWatchEvery = 100 * time.Millisecond

// keyChanges is closed when the directory next moves; nil (never) when w
// is not a tenant's or there is no directory.
func (s *Server) keyChanges(w *waiter) <-chan struct{} {
	if p := w.p.Load(); p == nil || p.Operator || s.Dir == nil {
		return nil
	}
	d := &s.authz.dirWatch
	d.once.Do(func() {
		d.ch = make(chan struct{})
		every := d.every
		if every <= 0 {
			every = dirWatchEvery
		}
		go s.watchDirectory(every)
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (s *Server) watchDirectory(every time.Duration) {
	d := &s.authz.dirWatch
	t := time.NewTicker(every)
	defer t.Stop()
	last := s.Dir.Generation()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		if gen := s.Dir.Generation(); gen != last {
			last = gen
			d.mu.Lock()
			close(d.ch)
			d.ch = make(chan struct{})
			d.mu.Unlock()
		}
	}
}

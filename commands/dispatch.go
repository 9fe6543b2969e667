package commands

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/sched"
	"synap/tenant"
)

// Ctx is what a handler gets: its arguments, the reply writer, and the
// transaction holding the locks of the keys the table says it touches.
type Ctx struct {
	S    *Server
	C    *Client
	Cmd  *Command
	Args [][]byte
	W    *resp.Writer
	Tx   *engine.Tx
	// Ready is, when a blocked command is served, the key whose change
	// woke it (nil when unknown): Redis serves from the key ready first.
	Ready []byte
	// failed and errText are set by Error so statistics count failed calls.
	failed  bool
	errText string
	// events are the keyspace events whose raising depends on what the
	// handler found (a consumer created by XREADGROUP, XADD's trim),
	// recorded by keyEvent only while notifications are on.
	events []keyNote
	// missChecked: keymiss events were raised for this command (notify.go).
	missChecked bool
}

// Error replies with an error and marks the call failed.
func (x *Ctx) Error(msg string) {
	x.failed = true
	x.errText = msg
	x.W.Error(msg)
}

// ArityError replies with Redis's wrong-number-of-arguments text.
func (x *Ctx) ArityError() { x.Error(ArityErr(x.Cmd.Name)) }

// SyntaxError replies "ERR syntax error".
func (x *Ctx) SyntaxError() { x.Error(resp.ErrSyntax) }

// ArityErr is Redis's text for a wrong argument count.
func ArityErr(name string) string {
	return fmt.Sprintf(errArity, name)
}

// UnknownCommandErr is Redis's text for a command not in the table.
func UnknownCommandErr(args [][]byte) string {
	var b strings.Builder
	n := 0
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		s := clip(a, 128-n)
		b.WriteString("'" + s + "' ")
		n += len(s) + 3
	}
	return sanitize(fmt.Sprintf(errUnknownCommand, clip(args[0], 128), b.String()))
}

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// sanitize keeps an error reply on one line, as Redis does.
func sanitize(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// UnknownSubcommandErr is Redis's text for an unknown subcommand.
func UnknownSubcommandErr(parent string, sub []byte) string {
	return sanitize(fmt.Sprintf(errUnknownSubcommand, clip(sub, 128), strings.ToUpper(parent)))
}

// Resolve finds the table row for args: the command, or its subcommand when
// it has them. It returns the error text when there is none (nil command) or
// the arity is wrong (the command, so its rejected calls are counted).
func (t *Table) Resolve(args [][]byte) (*Command, string) {
	cmd := t.Lookup(args[0])
	if cmd == nil {
		return nil, UnknownCommandErr(args)
	}
	if len(cmd.Subs) > 0 {
		if len(args) < 2 {
			if cmd.Run != nil && cmd.ArityOK(len(args)) {
				return cmd, "" // a container that also works alone (COMMAND)
			}
			return cmd, ArityErr(cmd.Name)
		}
		sub := cmd.Sub(args[1])
		if sub == nil {
			return nil, UnknownSubcommandErr(cmd.Name, args[1])
		}
		cmd = sub
	}
	if !cmd.ArityOK(len(args)) {
		return cmd, ArityErr(cmd.Name)
	}
	return cmd, ""
}

// Exec is the one entry point every surface runs commands through: it runs
// args on session c and writes the reply into c.W, in the session's
// protocol. ctx carries cancellation to what the command asks of the
// directory (AUTH, HELLO AUTH, a key re-checked); nil means none. Outside
// a batch (BeginBatch) the clock is read for the command and the session's
// counters are added to the tenant's and the server's when it returns.
// When the command blocked (BLPOP found nothing), Exec returns its waiter:
// the caller must Wait on it or Cancel it before anything else runs on c.
func (s *Server) Exec(ctx context.Context, c *Session, args [][]byte) *Waiter {
	if ctx == nil {
		ctx = context.Background()
	}
	c.cmdCtx = ctx
	// One command at a time (REST, WebSocket, MCP) is a batch of its own:
	// a tenant over its share of the processor goes behind the others
	// before it and is charged for it after (sched.Share), as the RESP
	// loop does per batch of input.
	share := c.shareOutsideBatch()
	var start time.Time
	if !c.inBatch {
		start = time.Now()
		if share != nil && share.Heavy(start) {
			sched.Defer()
			start = time.Now()
		}
		c.clock = start
		c.touch()
	}
	if s.paused.any() && !c.replay {
		if w := s.postpone(c, args); w != nil {
			c.cmdCtx = nil
			return w
		}
	}
	mark := c.W.Len()
	s.exec(c, args)
	c.cmdCtx = nil
	if !c.inBatch {
		if share != nil {
			// c.clock has moved to the command's end (call).
			now := time.Now()
			share.Add(now, now.Sub(start))
		}
		c.flushTenant()
		if c.blocked == nil && s.persist != nil {
			// One command at a time (HTTP, MCP): its reply waits for its
			// records here; a transport that batches waits once per batch.
			s.awaitExec(ctx, c, mark)
		}
	}
	return c.blocked
}

// shareOutsideBatch is the processor share a command run outside a batch
// counts in: its tenant's, except while the log is replayed at start.
func (c *Session) shareOutsideBatch() *sched.Share {
	if c.inBatch || c.replay || c.T == nil {
		return nil
	}
	return &c.T.Share
}

// BeginBatch starts a batch of input that arrived at now: commands take
// their clock from it (one clock read per batch, then the monotonic time
// each command ran), and counters are gathered until FlushCounters. A
// transport that pipelines (RESP) uses it; one command at a time needs not.
func (c *Session) BeginBatch(now time.Time) {
	c.inBatch = true
	c.clock = now
	c.touch()
}

// FlushCounters adds what the session gathered to its tenant's and the
// server's counters. A transport calls it before sending replies, so no
// client sees a reply before the counts that go with it.
func (c *Session) FlushCounters() { c.flushTenant() }

// EndBatch flushes the counters and returns to one clock read per command.
func (c *Session) EndBatch() {
	c.flushTenant()
	c.inBatch = false
}

// context is the context of the command running on c, for directory calls.
func (c *Session) context() context.Context {
	if c.cmdCtx == nil {
		return context.Background()
	}
	return c.cmdCtx
}

func (s *Server) exec(c *Session, args [][]byte) {
	mark := c.W.Len()
	// From here the writer drops what passes the bound (call replaces it
	// with an error), so an oversized reply is never built; without a
	// limit (0) it still yields and grows its buffer in steps (Bound).
	c.W.Bound(s.replyLimit(c))
	defer c.W.Unbound()
	cmd, errText := s.Table.Resolve(args)
	switch {
	case c.multi != nil && (cmd == nil || cmd.Flags&FlagTxControl == 0):
		s.queue(c, cmd, args, errText)
	case errText != "":
		s.reject(c, cmd, errText)
	case !c.Authed && cmd.Flags&FlagNoAuth == 0 && s.authRequired():
		s.reject(c, cmd, resp.ErrNoAuth)
	case c.P != nil && s.refusedByKey(c, cmd, args):
		// replied
	case cmd.Flags&FlagDenyOOM != 0 && !c.replay && s.outOfMemory(c, args):
		s.reject(c, cmd, errOOM)
	case cmd.Flags&FlagWrite != 0 && s.refusedWrite(c, cmd):
		// replied
	case cmd.Flags&FlagPubSubContext == 0 && c.W.Proto == 2 && c.subscribed():
		s.reject(c, cmd, fmt.Sprintf(errSubscribedContext, cmd.Name))
	case cmd.Flags&(FlagReadOnly|FlagWrite|FlagMayReplicate) != 0 && c.monitoring.Load():
		// Redis treats a monitor as a replica: its lines and replies to
		// keyspace commands would interleave.
		s.reject(c, cmd, errMonitorKeyspace)
	default:
		s.run(c, cmd, args)
	}
	// CLIENT CACHING's yes or no holds for the next command only, a whole
	// MULTI ... EXEC counting as one, and CLIENT's own do not count.
	if st := c.track.Load(); st != nil && st.cache && c.multi == nil && (cmd == nil || !strings.HasPrefix(cmd.Name, "client|")) {
		st.cache = false
	}
	switch c.ReplyMode {
	case ReplyOff:
		c.W.Truncate(mark)
	case ReplySkip:
		if c.skipNext {
			c.W.Truncate(mark)
			c.ReplyMode, c.skipNext = ReplyOn, false
		} else {
			c.skipNext = true
		}
	}
	if s.waits.readyN.Load() != 0 {
		s.serveReady(c)
	}
}

// refusedByKey applies cluster mode's checks to an authenticated
// connection: the key still holds, and grants what the table says the
// command needs. It replies and returns true when the command is refused.
func (s *Server) refusedByKey(c *Client, cmd *Command, args [][]byte) bool {
	if msg := s.recheck(c); msg != "" {
		s.reject(c, cmd, msg)
		return true
	}
	if c.P == nil {
		s.reject(c, cmd, resp.ErrNoAuth)
		return true
	}
	if !c.P.Allows(cmd.Need) || (cmd.NeedsRead(args) && !c.P.Allows(tenant.NeedRead)) {
		if c.T != nil {
			c.T.Rejected(tenant.RejectNoPerm)
		}
		s.reject(c, cmd, NoPermErr(c.P.KeyID, cmd.Name))
		return true
	}
	if t := c.T; t != nil {
		applyTTLCap(c, t)
		applyTenantPolicy(c, t.Limits())
		if msg, why := overLimits(c, t, cmd, args); msg != "" {
			t.Rejected(why)
			s.reject(c, cmd, msg)
			return true
		}
	}
	return false
}

// rateLimited is the last RATELIMIT text formatted, for rateLimitText.
type rateLimited struct {
	rps, ms int64
	msg     string
}

var lastRateLimited atomic.Pointer[rateLimited]

// rateLimitText is errRateLimit for a limit and a retry time. A tenant
// flooding past its rate is refused thousands of times a second with the
// same text (a MULTI of 10k commands over its burst: 10k refusals);
// formatted anew each time, the refusals alone were ~36 bytes of garbage
// per command, which paid for GC cycles every tenant waits through.
func rateLimitText(rps, ms int64) string {
	if r := lastRateLimited.Load(); r != nil && r.rps == rps && r.ms == ms {
		return r.msg
	}
	r := &rateLimited{rps: rps, ms: ms, msg: fmt.Sprintf(errRateLimit, rps, ms)}
	lastRateLimited.Store(r)
	return r.msg
}

// overLimits applies the tenant's plan to one command: payload size, the
// request rate shared by all its connections, the monthly operations, and
// for commands that may grow data (denyoom) storage and key count. A write
// whose arguments alone would overshoot the storage quota is refused too.
func overLimits(c *Client, t *tenant.Tenant, cmd *Command, args [][]byte) (string, tenant.Reject) {
	l := t.Limits()
	payload := int64(0)
	for _, a := range args[1:] {
		payload += int64(len(a))
	}
	if l.MaxPayloadBytes > 0 && payload > l.MaxPayloadBytes {
		return fmt.Sprintf(errQuotaPayload, payload, l.MaxPayloadBytes), tenant.RejectPayload
	}
	if ok, retry := t.AllowUnder(l, c.clock); !ok {
		ms := int64((retry + time.Millisecond - 1) / time.Millisecond)
		return rateLimitText(l.RequestsPerSecond, ms), tenant.RejectRateLimit
	}
	if l.MonthlyOperations > 0 {
		if used := t.Ops(c.clock) + c.pend.ops; used >= l.MonthlyOperations {
			return fmt.Sprintf(errQuotaOps, used, l.MonthlyOperations), tenant.RejectQuota
		}
	}
	if cmd.Flags&FlagDenyOOM != 0 {
		if l.EvictionPolicy != "" {
			c.srv.tenantEvicts(c, l, cmd, args) // a plan that evicts makes room first
		}
		if msg := overStorage(c, l, payload); msg != "" {
			return msg, tenant.RejectQuota
		}
	}
	return "", 0
}

func (s *Server) reject(c *Client, cmd *Command, msg string) {
	s.Stats.RejectedCalls.Add(1)
	s.countError(msg)
	if cmd != nil {
		cmd.stats.rejected.Add(1)
	}
	c.W.Error(msg)
}

// countError feeds INFO errorstats: error replies by their code (ERR,
// WRONGTYPE, NOAUTH...), the first word of the text, as Redis counts them.
func (s *Server) countError(msg string) {
	s.Stats.ErrorReplies.Add(1)
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	n, ok := s.errorCounts.Load(code)
	if !ok {
		if s.errorCounts.Size() >= maxErrorCodes {
			code = "ERR" // a flood of odd codes must not grow the map without bound
		}
		n, _ = s.errorCounts.LoadOrStore(code, new(atomic.Int64))
	}
	n.Add(1)
}

// maxErrorCodes bounds errorstats, as Redis does (128).
const maxErrorCodes = 128

// ErrorCounts returns error replies by code.
func (s *Server) ErrorCounts() map[string]int64 {
	out := map[string]int64{}
	s.errorCounts.Range(func(k string, v *atomic.Int64) bool {
		out[k] = v.Load()
		return true
	})
	return out
}

// ResetErrorCounts clears errorstats (CONFIG RESETSTAT).
func (s *Server) ResetErrorCounts() { s.errorCounts.Clear() }

func (s *Server) run(c *Client, cmd *Command, args [][]byte) {
	s.call(c, &c.ctx, cmd, args, true)
	c.ctx = Ctx{}
}

// call runs one command in x: it takes the command's locks (when lock is
// set; EXEC takes them for all its commands at once), runs the handler
// under the panic policy (recovered), and counts the call.
func (s *Server) call(c *Client, x *Ctx, cmd *Command, args [][]byte, lock bool) {
	*x = Ctx{S: s, C: c, Cmd: cmd, Args: args, W: c.W, Tx: c.Tx}
	// One clock read per command: the end of one command is the start of
	// the next in a pipeline. Reading the wall clock is a real cost at a
	// million commands per second.
	start := c.clock
	if lock {
		c.Tx.Now = start.UnixMilli()
	}
	mark := c.W.Len()
	if cmd.Group == "server" {
		// INFO, CONFIG RESETSTAT...: the connection's own earlier
		// commands are counted before they read or reset the counters.
		c.flushStats()
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.recovered(r, cmd.Name)
				c.W.Truncate(mark)
				x.Error(fmt.Sprintf(errInternal, cmd.Name))
			}
			if lock {
				c.Tx.End()
			}
		}()
		if lock {
			s.lock(c, cmd, args)
		}
		if x.overQuota() {
			return
		}
		// A long reply yields to other connections only while it holds
		// nothing exclusively (EXEC's queued commands included).
		c.W.NoYield = c.Tx.Active() && c.Tx.Writable()
		// Client tracking remembers the keys before they are read: a
		// change after that is invalidated, and one before it is in what
		// the command reads. After the read, a walk (SORT_RO), which
		// holds its key's lock only inside Run, would let a change fall
		// between the read and the remembering.
		if cmd.Flags&FlagReadOnly != 0 {
			if st := c.track.Load(); st != nil {
				s.tracked(c, st, cmd, args)
			}
		}
		cmd.Run(x)
		s.propagate(x, mark)
		if c.W.Over() {
			x.replyDropped(mark)
		}
	}()
	// The wall clock was read when this batch of input arrived; a
	// command's end is that plus the monotonic time since, which costs one
	// clock read where time.Now costs two (wall and monotonic).
	end := start.Add(time.Since(start))
	c.clock = end
	if c.T != nil {
		c.countCommand(cmd, start)
	}
	dur := end.Sub(start)
	usec := int64(dur / time.Microsecond)
	cfg := s.Config()
	c.countCall(cmd, dur, cfg.LatencyTracking, x.failed)
	if cfg.LatencyMonitorThreshold > 0 {
		s.noteLatency(cmd, dur, end)
	}
	s.noteSlow(cfg, c, cmd, args, usec, start)
	if s.mon.n.Load() != 0 {
		s.feedMonitors(c, cmd, args, start)
	}
	if x.failed {
		s.countError(x.errText)
	}
	if c.lastCmd != cmd.Name {
		c.mu.Lock()
		c.lastCmd = cmd.Name
		c.mu.Unlock()
	}
}

// recovered applies the panic policy to r, raised while running cmd. An
// engine.Assertion is raised only before anything changed, so the command
// is answered with an error and serving goes on. Anything else may have
// left a structure half changed, and serving from it could corrupt or leak
// every tenant's data: it is logged with its stack and the process stops,
// as Redis does.
func (s *Server) recovered(r any, cmd string) {
	stack := string(debug.Stack())
	if _, ok := r.(engine.Assertion); ok {
		s.Stats.UnexpectedPanics.Add(1)
		s.Log.Error("command refused by an engine assertion", "command", cmd, "panic", r, "stack", stack)
		return
	}
	s.Log.Error("command panicked; stopping the server", "command", cmd, "panic", r, "stack", stack)
	panic(r)
}

// lock takes the shard locks the table says cmd needs.
func (s *Server) lock(c *Client, cmd *Command, args [][]byte) {
	write := cmd.Flags&FlagWrite != 0
	if cmd.Flags&FlagKeyspace != 0 {
		// No lock up front: the walk takes one shard at a time.
		c.Tx.BeginWalk(c.NS, write)
		return
	}
	if !cmd.HasKeys() {
		return
	}
	c.keyIdx = cmd.KeyIndexes(c.keyIdx[:0], args)
	if len(c.keyIdx) == 0 {
		return
	}
	c.keyBuf = c.keyBuf[:0]
	for _, i := range c.keyIdx {
		c.keyBuf = append(c.keyBuf, args[i])
	}
	c.Tx.Begin(c.NS, c.keyBuf, write)
}

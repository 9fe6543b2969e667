package commands

import (
	"fmt"
	"strconv"
	"strings"

	"synap/engine"
	"synap/resp"
	"synap/tenant"
)

// Transactions: MULTI queues commands, EXEC runs them under one lock set
// (the union of their keys' shards, or every shard when one of them walks
// the keyspace), so no other client sees a half-applied EXEC. WATCH makes
// EXEC fail when a watched key changed after it: the engine reports every
// change (writes, expiry, FLUSHDB) through keyWaits.

func init() {
	ctl := FlagNoScript | FlagLoading | FlagStale | FlagTxControl
	tx := []string{"fast", "transaction"}
	row := func(name string, arity int, flags Flag, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, ACL: tx, Group: "transactions",
			Since: "1.2.0", Complexity: "O(1)", Summary: summary, Run: run}
	}
	exec := row("exec", 1, ctl|FlagSkipSlowlog, "Runs every command queued since MULTI, atomically.", cmdExec)
	exec.ACL, exec.Complexity = []string{"slow", "transaction"}, "Depends on the queued commands"
	watch := row("watch", -2, ctl|FlagFast|FlagAllowBusy, "Makes the next EXEC fail if any of the keys changes before it.", cmdWatch)
	watch.FirstKey, watch.LastKey, watch.Step, watch.Since = 1, -1, 1, "2.2.0"
	watch.Complexity = "O(1) for every key"
	// WATCH reveals whether a key changed, which is reading it.
	watch.Need = tenant.NeedRead
	unwatch := row("unwatch", 1, FlagNoScript|FlagLoading|FlagStale|FlagFast|FlagAllowBusy, "Forgets every key WATCH watches.", cmdUnwatch)
	unwatch.Since = "2.2.0"
	register(
		row("multi", 1, ctl|FlagFast|FlagAllowBusy, "Starts a transaction: later commands are queued until EXEC.", cmdMulti),
		exec,
		row("discard", 1, ctl|FlagFast|FlagAllowBusy, "Drops the commands queued since MULTI.", cmdDiscard),
		watch,
		unwatch,
	)
}

// walkInMultiErr refuses, in a tenant's transaction, a command that would
// make EXEC hold every shard (holdsEveryShard): the shards are shared by
// every tenant, and EXEC would hold them for a walk as long as the
// tenant's data. Outside MULTI the same command walks one shard at a time.
func walkInMultiErr(cmd string) string {
	name := strings.ToUpper(cmd)
	if cmd == "sort" || cmd == "sort_ro" {
		return fmt.Sprintf(errSortPatternsInMulti, name)
	}
	return fmt.Sprintf(errWalkInMulti, name)
}

// holdsEveryShard reports whether cmd, run inside EXEC, needs every shard
// locked to stay atomic: it walks or clears the keyspace, or it is a SORT
// whose BY/GET patterns read keys named by the elements, which no key
// position announces. A SORT without such lookups reads its source and
// writes its STORE destination only, whose shards its key positions give.
func holdsEveryShard(cmd *Command, args [][]byte) bool {
	if cmd.Flags&FlagKeyspace == 0 {
		return false
	}
	if cmd.Name != "sort" && cmd.Name != "sort_ro" {
		return true
	}
	o, errText := sortParseArgs(args, cmd.Name == "sort_ro")
	// A line SORT refuses fails before it reads anything.
	return errText == "" && sortLooksUp(&o)
}

type multiState struct {
	queue   []queuedCmd
	bytes   int64 // of the queued arguments
	aborted bool  // a command was refused while queueing
	// t is the tenant the transaction was opened for: if the connection's
	// key belongs to another one at EXEC, the queue is discarded.
	t *tenant.Tenant
	// The blocks queued arguments are copied into (keep).
	chunk []byte
	slab  [][]byte
}

type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

// multiChunk is the size of the blocks a transaction's queued arguments
// are copied into, and multiSlab the number of argument headers per block
// of them: copied one allocation per argument (and one per command for
// its slice), a tenant queueing SETs in a loop made 4 allocations per
// command of garbage for the GC.
const (
	multiChunk = 64 << 10
	multiSlab  = 1024
)

// keep copies args out of the connection's read buffer, which moves on,
// into the transaction's blocks. A block is never grown in place (what
// was handed out keeps pointing into it); a full one is left to the
// queued commands that refer to it and a new one begun.
func (m *multiState) keep(args [][]byte) [][]byte {
	// Blocks double up to their full size, so that a short transaction
	// takes little.
	if len(m.slab)+len(args) > cap(m.slab) {
		m.slab = make([][]byte, 0, max(min(2*cap(m.slab), multiSlab), 16, len(args)))
	}
	at := len(m.slab)
	for _, a := range args {
		if len(m.chunk)+len(a) > cap(m.chunk) {
			if len(a) >= multiChunk/4 {
				// A big argument gets a block of its own: the current one
				// stays open for the small ones.
				m.slab = append(m.slab, append([]byte(nil), a...))
				continue
			}
			m.chunk = make([]byte, 0, max(min(2*cap(m.chunk), multiChunk), 256, len(a)))
		}
		from := len(m.chunk)
		m.chunk = append(m.chunk, a...)
		m.slab = append(m.slab, m.chunk[from:len(m.chunk):len(m.chunk)])
	}
	return m.slab[at:len(m.slab):len(m.slab)]
}

// watched is one WATCHed key: where it lives, and whether it had already
// expired (without being reclaimed) when watched.
type watched struct {
	k       waitKey
	ns      *engine.Namespace
	key     []byte
	expired bool
}

// maxTenantMulti is how many commands a tenant's MULTI may queue. EXEC
// locks the shards of all their keys (for hundreds of keys, nearly every
// shard) for the whole run, with no chance to yield, and every other
// tenant waits for them: 10k SETs held them ~10 ms. 1,000 ran 418 µs
// without a chance to yield (BenchmarkNoisyStretch/EXECMAXSET; 55 µs at
// 256), and a tenant sending them back to back took another tenant's p99
// to 5.4-7.7x its quiet one in make bench-noisy; 256 took it to 1.9-3.0x
// in three runs (at the bar), 128 to 1.6x in one.
const maxTenantMulti = 256

// queue handles a command sent inside MULTI: the checks that would refuse
// it now refuse it (and doom the transaction, as Redis does); otherwise it
// is kept for EXEC.
func (s *Server) queue(c *Client, cmd *Command, args [][]byte, errText string) {
	queueLimit, tenantQueue := s.multiQueueLimit(c)
	switch {
	case errText != "":
		s.reject(c, cmd, errText)
	case !c.Authed && cmd.Flags&FlagNoAuth == 0 && s.authRequired():
		s.reject(c, cmd, resp.ErrNoAuth)
	case c.P != nil && s.refusedByKey(c, cmd, args):
		// replied
	case s.Config().ClusterMode && cmd.Name == "auth":
		s.reject(c, cmd, errAuthInMulti)
	case s.Config().ClusterMode && cmd.Name == "hello":
		s.reject(c, cmd, errHelloInMulti) // with or without AUTH: it also switches the protocol mid-EXEC
	case s.Config().ClusterMode && cmd.Name == "select" && selectsOtherDB(args):
		s.reject(c, cmd, errSelectCluster)
	case s.Config().ClusterMode && c.T != nil && holdsEveryShard(cmd, args):
		s.reject(c, cmd, walkInMultiErr(cmd.Name))
	case cmd.Flags&FlagNoMulti != 0:
		s.reject(c, cmd, errNotInMulti)
	case cmd.Flags&FlagDenyOOM != 0 && s.outOfMemory(c, args):
		s.reject(c, cmd, errOOM)
	case cmd.Flags&FlagWrite != 0 && s.refusedWrite(c, cmd):
		// replied
	case c.multi.bytes+argBytes(args) > queueLimit:
		s.reject(c, cmd, queueTooBig(queueLimit, tenantQueue))
	case c.T != nil && len(c.multi.queue) >= maxTenantMulti:
		s.reject(c, cmd, errMultiTooLong)
	default:
		c.multi.bytes += argBytes(args)
		c.multi.queue = append(c.multi.queue, queuedCmd{cmd, c.multi.keep(args)})
		c.multiLen.Add(1)
		c.W.Simple("QUEUED")
		return
	}
	if c.multi != nil { // a key found revoked has discarded it already
		c.multi.aborted = true
	}
}

// selectsOtherDB reports whether a SELECT names a database other than 0,
// which cluster mode refuses inside MULTI as outside it (a non-number is
// queued and fails at EXEC, as in Redis).
func selectsOtherDB(args [][]byte) bool {
	db, err := strconv.Atoi(string(args[1]))
	return err == nil && db != 0
}

// argBytes is what keeping args costs: their bytes and a slice header each.
func argBytes(args [][]byte) int64 {
	n := int64(0)
	for _, a := range args {
		n += int64(len(a)) + 24
	}
	return n
}

func cmdMulti(x *Ctx) {
	c := x.C
	if c.multi != nil {
		x.Error(errMultiNested)
		return
	}
	c.multi = &multiState{t: c.T}
	c.multiLen.Store(1)
	x.W.OK()
}

func cmdDiscard(x *Ctx) {
	if x.C.multi == nil {
		x.Error(errDiscardNoMulti)
		return
	}
	x.S.endTx(x.C)
	x.W.OK()
}

func cmdWatch(x *Ctx) {
	c := x.C
	if c.multi != nil {
		x.Error(errWatchInMulti)
		return
	}
	for _, key := range x.Args[1:] {
		k := waitKey{c.NS.ID, string(key)}
		dup := false
		for _, w := range c.watching {
			dup = dup || w.k == k
		}
		if dup {
			continue
		}
		c.watching = append(c.watching, watched{k: k, ns: c.NS, key: []byte(k.key), expired: x.Tx.Expired(key)})
		x.S.waits.watch(c, k)
	}
	x.W.OK()
}

func cmdUnwatch(x *Ctx) {
	x.S.unwatch(x.C)
	x.W.OK()
}

func (s *Server) unwatch(c *Client) {
	if len(c.watching) > 0 {
		s.waits.unwatch(c, c.watching)
		c.watching = c.watching[:0]
	}
	c.watchDirty.Store(false)
}

// endTx leaves MULTI and forgets watched keys (DISCARD, EXEC, RESET, disconnect).
func (s *Server) endTx(c *Client) {
	c.multi = nil
	c.multiLen.Store(0)
	s.unwatch(c)
}

func cmdExec(x *Ctx) {
	s, c := x.S, x.C
	m := c.multi
	if m == nil {
		x.Error(errExecNoMulti)
		return
	}
	// Writes queued while the log was healthy must not run while it is
	// refusing them (MISCONF): the whole transaction is refused, as Redis
	// refuses an EXEC whose queue holds a write.
	if msg := s.execRefusal(c, m); msg != "" {
		s.endTx(c)
		x.Error(fmt.Sprintf(errExecBecause, msg))
		return
	}
	if m.aborted {
		s.endTx(c)
		x.Error(errExecAbort)
		return
	}
	// Re-authorise before any lock is taken: revalidating the key may ask
	// the directory, which can take seconds.
	var denied []string
	if c.P != nil {
		if msg := s.authoriseExec(c, m); msg != "" {
			s.endTx(c)
			x.Error(msg)
			return
		}
		denied = deniedAtExec(c, m)
	}
	s.tenantEvictsExec(c, m)
	if s.execOutOfMemory(c, m) {
		s.endTx(c)
		x.Error(errExecOOM)
		return
	}
	s.lockExec(c, m, denied)
	defer c.Tx.End()
	if c.watchDirty.Load() || c.watchExpired() {
		s.endTx(c)
		x.W.NullArray()
		return
	}
	// Watching ends here: what this EXEC changes must not fail a later one.
	s.endTx(c)
	x.W.Array(len(m.queue))
	c.inExec = true
	defer func() { c.inExec = false }()
	defer s.flushExecEvents(c)
	defer s.propagateExec(c)
	var sub Ctx
	for i, q := range m.queue {
		if denied != nil && denied[i] != "" {
			if c.T != nil {
				c.T.Rejected(tenant.RejectNoPerm)
			}
			s.reject(c, q.cmd, denied[i])
			continue
		}
		c.Tx.Use(c.NS) // a queued SELECT moves the commands after it
		// Storage can have grown since the command was queued, by this
		// very transaction too: call's quota check (overQuota) runs
		// against what is stored now.
		s.call(c, &sub, q.cmd, q.args, false)
	}
}

// execRefusal is the error writes are refused with when the transaction
// holds one, "" otherwise.
func (s *Server) execRefusal(c *Client, m *multiState) string {
	for _, q := range m.queue {
		if q.cmd.Flags&FlagWrite != 0 {
			return s.writeRefusal(c)
		}
	}
	return ""
}

// authoriseExec decides, for a cluster-mode connection, whether its
// transaction may run at all: its key still holds (revoked, expired or
// disabled: discarded, and the connection unbound), it still belongs to the
// tenant the transaction was opened for, the keys it watches may still be
// read, and the month still has operations for every queued command. It
// returns the error that discards the transaction, or "".
func (s *Server) authoriseExec(c *Client, m *multiState) string {
	if msg := s.recheck(c); msg != "" {
		return msg
	}
	if c.T != m.t {
		return errTxKeyMoved
	}
	if len(c.watching) > 0 && !c.P.Allows(tenant.NeedRead) {
		if c.T != nil {
			c.T.Rejected(tenant.RejectNoPerm)
		}
		return NoPermErr(c.P.KeyID, "watch")
	}
	t := c.T
	if t == nil {
		return ""
	}
	// Queued commands were held to the monthly quota one by one, but none
	// was counted until it ran, so each passed against the same count. The
	// transaction runs all or nothing: EXEC and its n commands count n+1.
	if lim := t.Limits().MonthlyOperations; lim > 0 {
		used, n := t.Ops(c.clock)+c.pend.ops, int64(len(m.queue))
		if used+n+1 > lim {
			t.Rejected(tenant.RejectQuota)
			return fmt.Sprintf(errQuotaOpsTx, used, lim, n+1)
		}
	}
	return ""
}

// deniedAtExec re-checks each queued command against the key's permissions
// now, as Redis 7 re-checks ACLs at EXEC: a command the key lost the right
// to run since it was queued gets NOPERM in its place in the reply and
// does not run, and the others run. It returns nil when all are allowed.
func deniedAtExec(c *Client, m *multiState) []string {
	var denied []string
	for i, q := range m.queue {
		if c.P.Allows(q.cmd.Need) && (!q.cmd.NeedsRead(q.args) || c.P.Allows(tenant.NeedRead)) {
			continue
		}
		if denied == nil {
			denied = make([]string, len(m.queue))
		}
		denied[i] = NoPermErr(c.P.KeyID, q.cmd.Name)
	}
	return denied
}

// lockExec takes one lock set for the whole transaction: every shard the
// queued commands that will run (and the watched keys) name, exclusively if
// any of them writes, or every shard if one of them walks the keyspace
// (standalone mode and the operator: a tenant cannot queue one).
func (s *Server) lockExec(c *Client, m *multiState, denied []string) {
	write, all := false, false
	var shards []int
	seen := make(map[int]bool)
	add := func(key []byte) {
		if i := s.Eng.ShardOf(key); !seen[i] {
			seen[i] = true
			shards = append(shards, i)
		}
	}
	for i, q := range m.queue {
		if denied != nil && denied[i] != "" {
			continue // does not run: no lock for it
		}
		write = write || q.cmd.Flags&FlagWrite != 0
		if holdsEveryShard(q.cmd, q.args) {
			all = true
			continue
		}
		if q.cmd.HasKeys() {
			for _, i := range q.cmd.KeyIndexes(nil, q.args) {
				add(q.args[i])
			}
		}
	}
	for _, w := range c.watching {
		add(w.key)
	}
	if all {
		c.Tx.BeginAll(c.NS, write)
		return
	}
	c.Tx.BeginShards(c.NS, shards, write)
}

// watchExpired reports whether a watched key that was live when watched
// has expired since, even if nothing reclaimed it yet. The caller holds
// the watched keys' locks.
func (c *Client) watchExpired() bool {
	for _, w := range c.watching {
		if !w.expired && c.Tx.In(w.ns).Expired(w.key) {
			return true
		}
	}
	return false
}

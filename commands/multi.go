package commands

import (
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

const (
	errMultiNested    = "ERR MULTI calls can not be nested"
	errExecNoMulti    = "ERR EXEC without MULTI"
	errDiscardNoMulti = "ERR DISCARD without MULTI"
	errWatchInMulti   = "ERR WATCH inside MULTI is not allowed"
	errExecAbort      = "EXECABORT Transaction discarded because of previous errors."
	errNotInMulti     = "ERR Command not allowed inside a transaction"
)

type multiState struct {
	queue   []queuedCmd
	bytes   int64 // of the queued arguments
	aborted bool  // a command was refused while queueing
}

// errQueueTooBig refuses a command that would take the queued arguments of
// one transaction past client-query-buffer-limit: the queue is unparsed
// input kept for later, and one client must not grow it without bound.
const errQueueTooBig = "ERR MULTI queue exceeds client-query-buffer-limit"

type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

// watched is one WATCHed key: where it lives, and whether it had already
// expired (without being reclaimed) when watched.
type watched struct {
	k       waitKey
	ns      *engine.Namespace
	key     []byte
	expired bool
}

// queue handles a command sent inside MULTI: the checks that would refuse
// it now refuse it (and doom the transaction, as Redis does); otherwise it
// is kept for EXEC.
func (s *Server) queue(c *Client, cmd *Command, args [][]byte, errText string) {
	switch {
	case errText != "":
		s.reject(c, cmd, errText)
	case !c.Authed && cmd.Flags&FlagNoAuth == 0 && s.authRequired():
		s.reject(c, cmd, resp.ErrNoAuth)
	case c.P != nil && s.refusedByKey(c, cmd, args):
		// replied
	case cmd.Flags&FlagNoMulti != 0:
		s.reject(c, cmd, errNotInMulti)
	case cmd.Flags&FlagDenyOOM != 0 && s.overMaxMemory():
		s.reject(c, cmd, errOOM)
	case c.multi.bytes+argBytes(args) > s.Limits().MaxQueryBuf:
		s.reject(c, cmd, errQueueTooBig)
	default:
		kept := make([][]byte, len(args))
		for i, a := range args {
			kept[i] = append([]byte(nil), a...)
		}
		c.multi.bytes += argBytes(args)
		c.multi.queue = append(c.multi.queue, queuedCmd{cmd, kept})
		c.multiLen.Add(1)
		c.W.Simple("QUEUED")
		return
	}
	c.multi.aborted = true
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
	c.multi = &multiState{}
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
	if m.aborted {
		s.endTx(c)
		x.Error(errExecAbort)
		return
	}
	s.lockExec(c, m)
	defer c.Tx.End()
	if c.watchDirty.Load() || c.watchExpired() {
		s.endTx(c)
		x.W.NullArray()
		return
	}
	// Watching ends here: what this EXEC changes must not fail a later one.
	s.endTx(c)
	l := tenant.Limits{}
	if c.T != nil {
		l = c.T.Limits()
	}
	x.W.Array(len(m.queue))
	c.inExec = true
	defer func() { c.inExec = false }()
	var sub Ctx
	for _, q := range m.queue {
		c.Tx.Use(c.NS) // a queued SELECT moves the commands after it
		if c.T != nil && q.cmd.Flags&FlagDenyOOM != 0 {
			// Storage can have grown since the command was queued,
			// by this very transaction too.
			if msg := overStorage(c, l, 0); msg != "" {
				c.T.Rejected(tenant.RejectQuota)
				s.reject(c, q.cmd, msg)
				continue
			}
		}
		s.call(c, &sub, q.cmd, q.args, false)
	}
}

// lockExec takes one lock set for the whole transaction: every shard the
// queued commands (and the watched keys) name, exclusively if any of them
// writes, or every shard if one of them walks the keyspace.
func (s *Server) lockExec(c *Client, m *multiState) {
	write, all := false, false
	var shards []int
	seen := make(map[int]bool)
	add := func(key []byte) {
		if i := s.Eng.ShardOf(key); !seen[i] {
			seen[i] = true
			shards = append(shards, i)
		}
	}
	for _, q := range m.queue {
		write = write || q.cmd.Flags&FlagWrite != 0
		if q.cmd.Flags&FlagKeyspace != 0 {
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

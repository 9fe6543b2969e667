package commands

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"synap/engine"
)

// The write hook: every write as executed, once, in an order another
// process can replay (persistence, replication and keyspace notifications
// consume it). A record is emitted while the command still holds its shard
// locks, with a sequence number taken there too, so two writes that touch
// a common key are numbered in the order they ran; writes to disjoint
// shards run in parallel and may be numbered either way, which replays to
// the same data. Each row of the table says how its write is recorded
// (Command.Propagate, set next to the rows in the family files): verbatim,
// or rewritten so that replay is deterministic (propagate_rewrites.go).

// Keyspace names where a record applies, by a name another process
// understands: never a namespace id, which is per process.
type Keyspace struct {
	// Tenant is the tenant id in cluster mode; "" in standalone mode and
	// for the operator's keyspace.
	Tenant string
	// DB is the database number in standalone mode (0 for a tenant).
	DB int
}

// Record is one write as executed.
type Record struct {
	// Seq orders the records: consecutive from 1, taken under the shard
	// locks of the write (by a flush that walks the keyspace, as it
	// begins). Records may reach the hook out of order (writes on
	// different shards run on different goroutines); a consumer that has
	// every Seq up to n has the whole stream up to n.
	Seq      uint64
	Keyspace Keyspace
	// Time is the clock the write ran under (unix ms). A replay pins the
	// engine's clock to it (engine.PinClock), so a key alive for the write
	// is alive for its replay.
	Time int64
	// Args is the command to replay. It is valid only during Write: it
	// aliases the connection's read buffer and storage, so a consumer
	// copies what it keeps (into its own batch, which costs no allocation
	// per record).
	Args [][]byte
}

// WriteHook receives every write as executed. Write is called on the
// command's goroutine with the command's shard locks held (a flush that
// walks holds none when it ends), concurrently for writes on different
// shards: it must be fast and must not block (persistence will copy the
// record into a batch and return).
type WriteHook interface {
	Write(r Record)
}

// writeHook is the installed hook and its sequence.
type writeHook struct {
	h   WriteHook
	seq atomic.Uint64
}

// SetWriteHook installs h (nil removes it). Install it before serving:
// writes already running when it changes may or may not be recorded.
func (s *Server) SetWriteHook(h WriteHook) {
	if h == nil {
		s.writes.Store(nil)
		s.installEngineHooks()
		return
	}
	s.writes.Store(&writeHook{h: h})
	// Shared with keyspace notifications (notify.go).
	s.installEngineHooks()
}

// Propagation records one executed write: it emits the records that
// replay it (none when it changed nothing, which propagate has settled
// before calling it).
type Propagation func(p *prop)

// prop is what a row's Propagation sees of one executed write.
type prop struct {
	x *Ctx
	// reply is what the command wrote, nil when it was dropped (over the
	// reply bound): a rewrite that reads it must fall back to the data.
	reply []byte
	// w is what the command changed (the keys, when at most 64).
	w   engine.Writes
	out [][][]byte
	// deadlines: the records carry the deadline of every key the write
	// left, so a tenant's TTL cap needs no record of its own.
	deadlines bool
}

// emit adds a record to replay.
func (p *prop) emit(args ...[]byte) { p.out = append(p.out, args) }

// propagate hands the write x just ran to the write hook, under its locks,
// then raises its keyspace events: a subscriber is told of a write only
// once its record is in the log, so with appendfsync always the push
// waits for it to be durable as any reply does (AwaitDurable). mark is
// where its reply starts in the writer (-1: unknown).
func (s *Server) propagate(x *Ctx, mark int) {
	notify := s.notif.flags.Load() != 0
	wh := s.writes.Load()
	switch {
	case wh != nil:
		w := s.record(wh, x, mark)
		if notify {
			s.notifyWrite(x, w)
		}
	case notify:
		// Taken even so: inside EXEC the next queued command would
		// otherwise see this one's keys as its own changes.
		s.notifyWrite(x, x.Tx.TakeWrites())
	}
}

// props recycles the rewrites' state: one per write would be garbage.
var props = sync.Pool{New: func() any { return new(prop) }}

// record is propagate with a hook installed; it returns what the write
// changed (valid under its locks, until the transaction's next change).
func (s *Server) record(wh *writeHook, x *Ctx, mark int) engine.Writes {
	w := x.Tx.TakeWrites()
	if w.N == 0 && w.Seq == 0 {
		return w // nothing changed: a DEL of a missing key, a SET NX that lost
	}
	p := props.Get().(*prop)
	*p = prop{x: x, w: w, out: p.out[:0]}
	defer func() {
		clear(p.out)
		*p = prop{out: p.out[:0]}
		props.Put(p)
	}()
	if !x.W.Over() && mark >= 0 && mark <= x.W.Len() {
		p.reply = x.W.Buf[mark:]
	}
	fn := x.Cmd.Propagate
	if fn == nil {
		fn = Verbatim // TestPropagateDecisions keeps every write row decided
	}
	fn(p)
	p.capTTLs()
	ns, out := x.Tx.NS(), p.out
	if w.Seq != 0 {
		// A flush walk took its place as it began (engine.WriteHooks.Reserve);
		// the place must be filled even if it found nothing to remove, or
		// the sequence would have a gap.
		args := x.Args
		if len(out) > 0 {
			args, out = out[0], out[1:]
		}
		wh.h.Write(Record{Seq: w.Seq, Keyspace: keyspaceOf(ns), Time: x.Tx.Now, Args: args})
	}
	if c := x.C; c != nil && c.inExec {
		// Numbered at EXEC's end, together: a transaction is one block of
		// the sequence, so a consumer needs no other way to tell whose
		// MULTI an EXEC closes.
		for _, args := range out {
			c.execRecords = append(c.execRecords, owned(ns, x.Tx.Now, args))
		}
		return w
	}
	for _, args := range out {
		wh.emit(ns, x.Tx.Now, args)
	}
	return w
}

// recordHeld hands x's write to the hook before the handler lets go of
// locks it took itself (SORT ... STORE in a walk); what it recorded is
// then not recorded again when the handler returns.
func (x *Ctx) recordHeld() { x.S.propagate(x, -1) }

// propagateExec delivers the writes of an EXEC as MULTI, the writes, EXEC,
// with consecutive sequence numbers, still under the transaction's locks.
func (s *Server) propagateExec(c *Client) {
	recs := c.execRecords
	if len(recs) == 0 {
		return
	}
	c.execRecords = nil
	wh := s.writes.Load()
	if wh == nil {
		return
	}
	first, last := recs[0], recs[len(recs)-1]
	n := uint64(len(recs)) + 2
	seq := wh.seq.Add(n) - n + 1
	wh.h.Write(Record{Seq: seq, Keyspace: first.Keyspace, Time: first.Time, Args: [][]byte{[]byte("MULTI")}})
	for _, r := range recs {
		seq++
		r.Seq = seq
		wh.h.Write(r)
	}
	wh.h.Write(Record{Seq: seq + 1, Keyspace: last.Keyspace, Time: last.Time, Args: [][]byte{[]byte("EXEC")}})
}

// capTTLs pins the deadline a tenant's TTL cap gave the keys a write
// changed: a replay later would cap from its own time, giving them another
// deadline (or none, for a write that creates a key without a TTL).
func (p *prop) capTTLs() {
	ns := p.x.Tx.NS()
	if ns.MaxTTL() == 0 || len(p.out) == 0 || p.deadlines || !p.x.Tx.Active() {
		return // a walk (FLUSHDB) holds nothing now, and left no key behind
	}
	seen := map[string]bool{}
	check := func(ns *engine.Namespace, key []byte) {
		if seen[string(key)] || ns != p.x.Tx.NS() {
			return
		}
		seen[string(key)] = true
		if en := p.x.Tx.Peek(key); en != nil && en.ExpireAt() != 0 {
			p.emit([]byte("PEXPIREAT"), key, strconv.AppendInt(nil, en.ExpireAt(), 10))
		}
	}
	if !p.w.More {
		for _, t := range p.w.Keys {
			check(t.NS, t.Key)
		}
		return
	}
	for _, i := range p.x.Cmd.KeyIndexes(nil, p.x.Args) {
		check(ns, p.x.Args[i])
	}
}

// emit numbers and delivers one record.
func (wh *writeHook) emit(ns *engine.Namespace, at int64, args [][]byte) {
	wh.h.Write(Record{Seq: wh.seq.Add(1), Keyspace: keyspaceOf(ns), Time: at, Args: args})
}

// owned is a record that owns its arguments, for an EXEC's writes, which
// are delivered when it ends: by then the commands' arguments and the
// values they read have moved on.
func owned(ns *engine.Namespace, at int64, args [][]byte) Record {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n) // one allocation for the bytes
	own := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		own[i] = buf[len(buf)-len(a):]
	}
	return Record{Keyspace: keyspaceOf(ns), Time: at, Args: own}
}

// tenantOf is the tenant id of a tenant's namespace, "" for any other.
func tenantOf(ns *engine.Namespace) string {
	if id, ok := strings.CutPrefix(ns.Name, "user:"); ok {
		return strings.TrimSuffix(id, ":")
	}
	return ""
}

// keyspaceOf names a namespace as records name it: "" and "dbN" are
// standalone databases, "user:{id}:" a tenant's (tenant.Principal.Namespace).
func keyspaceOf(ns *engine.Namespace) Keyspace {
	if t := tenantOf(ns); t != "" {
		return Keyspace{Tenant: t}
	}
	name := ns.Name
	if db, ok := strings.CutPrefix(name, "db"); ok {
		n, _ := strconv.Atoi(db)
		return Keyspace{DB: n}
	}
	return Keyspace{}
}

// setPropagation gives the family's write rows their Propagation; a name
// that is not a registered row is a bug in the family file.
func setPropagation(rows map[string]Propagation) {
	for name, fn := range rows {
		c := registeredRow(name)
		if c == nil {
			panic("commands: propagation for unknown command " + name)
		}
		c.Propagate = fn
	}
}

// registeredRow finds a registered row by name ("parent|sub" for a
// subcommand).
func registeredRow(name string) *Command {
	parent, sub, isSub := strings.Cut(name, "|")
	for _, c := range registry {
		if c.Name != parent {
			continue
		}
		if !isSub {
			return c
		}
		for _, s := range c.Subs {
			if s.Name == sub || s.Name == name {
				return s
			}
		}
	}
	return nil
}

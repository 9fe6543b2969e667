package commands

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"synap/engine"
	"synap/pubsub"
)

// Keyspace notifications (notify-keyspace-events), delivered through the
// pub/sub hub on __keyspace@<db>__:<key> (payload: the event) and
// __keyevent@<db>__:<event> (payload: the key), in the scope of the
// key's namespace: a tenant's events reach only that tenant's
// subscribers, with its own key names (namespaces hold the names the
// tenant wrote, never a prefix).
//
// Where events are raised: after a write has run, still under its locks,
// next to the write hook (propagate). The table's row says which event a
// command raises (commandEvents, or a function for the commands whose
// events depend on their arguments or on the outcome), and the engine says
// which keys the write really changed (Tx.Changed: the keys of a DEL that
// existed, not every key named). Deriving events from the write hook's
// records instead would mean parsing the rewritten commands back (a SET EX
// is recorded as SET PXAT), and handlers raising their own events, as
// Redis does, would spread one concern over every family file.
//
// Events are not published on the writer's goroutine: each is copied into
// one bounded FIFO queue that a single goroutine drains into the hub. A
// write, or an expiry pass holding a shard lock, therefore never waits on
// subscribers or on a tenant's patterns; a storm of expiries fills the
// queue, and past notifyQueueLen events or notifyQueueBytes bytes (a
// quarter of each for one tenant) new events are dropped and counted
// (Server.NotifyDropped) rather than stall anything. The price is that an event reaches its
// subscribers shortly after the write's reply, not before it.

// Notification classes, as notify-keyspace-events spells them.
const (
	notifyKeyspace = 1 << iota // K
	notifyKeyevent             // E
	notifyGeneric              // g
	notifyString               // $
	notifyList                 // l
	notifySet                  // s
	notifyHash                 // h
	notifyZset                 // z
	notifyExpired              // x
	notifyEvicted              // e
	notifyStream               // t
	notifyKeyMiss              // m
	notifyModule               // d
	notifyNew                  // n
)

const notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZset |
	notifyExpired | notifyEvicted | notifyStream | notifyModule

// notifyClassChars pairs each class with its character, in the order
// CONFIG GET prints them (after A or the classes: K, E, m).
var notifyClassChars = []struct {
	flag int
	c    byte
}{
	{notifyGeneric, 'g'}, {notifyString, '$'}, {notifyList, 'l'}, {notifySet, 's'}, {notifyHash, 'h'},
	{notifyZset, 'z'}, {notifyExpired, 'x'}, {notifyEvicted, 'e'}, {notifyStream, 't'}, {notifyModule, 'd'},
	{notifyNew, 'n'},
}

// parseNotifyFlags reads a notify-keyspace-events value; ok is false for
// a character that names no class.
func parseNotifyFlags(v []byte) (flags int, ok bool) {
	for _, ch := range v {
		switch ch {
		case 'A':
			flags |= notifyAll
		case 'K':
			flags |= notifyKeyspace
		case 'E':
			flags |= notifyKeyevent
		case 'm':
			flags |= notifyKeyMiss
		default:
			found := false
			for _, c := range notifyClassChars {
				if c.c == ch {
					flags |= c.flag
					found = true
				}
			}
			if !found {
				return 0, false
			}
		}
	}
	return flags, true
}

// ParseNotifyKeyspaceEvents reads a notify-keyspace-events value (the
// binary's setting) into the classes Config holds.
func ParseNotifyKeyspaceEvents(v string) (int, error) {
	flags, ok := parseNotifyFlags([]byte(v))
	if !ok {
		return 0, fmt.Errorf("notify-keyspace-events %q: %s", v, errNotifyClass)
	}
	return flags, nil
}

// notifyFlagsString is the value as CONFIG GET shows it: "A" for all the
// classes A names (n then is not shown, as in Redis 7.0), then K, E, m.
func notifyFlagsString(flags int) string {
	var b strings.Builder
	if flags&notifyAll == notifyAll {
		b.WriteByte('A')
	} else {
		for _, c := range notifyClassChars {
			if flags&c.flag != 0 {
				b.WriteByte(c.c)
			}
		}
	}
	if flags&notifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&notifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&notifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// Bounds of the event queue (see above).
const (
	notifyQueueLen   = 1 << 16
	notifyQueueBytes = 32 << 20
)

// keyEvent is one queued event: the key's scope and database, the event's
// name, and a copy of the key.
type keyEvent struct {
	scope string
	db    int
	name  string
	key   []byte
}

// notifier is the queue and its drain.
type notifier struct {
	flags   atomic.Int64
	once    sync.Once
	ch      chan keyEvent
	bytes   atomic.Int64
	dropped atomic.Int64
	// perScope counts each tenant scope's queued events and bytes: one
	// tenant writing fast with a listener may hold at most a quarter of
	// the queue, so it cannot make every other tenant's events drop.
	perScope sync.Map // scope → *scopeQueued
}

type scopeQueued struct{ n, bytes atomic.Int64 }

// scopeShare is the part of the queue one tenant scope may hold.
const scopeShare = 4

func init() {
	serverParams = append(serverParams,
		serverParam{name: "notify-keyspace-events", get: func(_ *Server, c *Config) string { return notifyFlagsString(c.NotifyKeyspaceEvents) },
			set: func(c *Config, v []byte) string {
				flags, ok := parseNotifyFlags(v)
				if !ok {
					return errNotifyClass
				}
				c.NotifyKeyspaceEvents = flags
				return ""
			}},
	)
}

// applyNotify takes notify-keyspace-events from the live configuration:
// the engine reports changed keys and expiries while events are on.
func (s *Server) applyNotify() {
	flags := s.Config().NotifyKeyspaceEvents
	if flags&(notifyKeyspace|notifyKeyevent) == 0 {
		flags = 0 // no channel to raise them on
	}
	if int64(flags) == s.notif.flags.Swap(int64(flags)) {
		return
	}
	if flags != 0 {
		s.notif.once.Do(func() {
			s.notif.ch = make(chan keyEvent, notifyQueueLen)
			go s.drainNotifications()
		})
	}
	s.installEngineHooks()
}

// installEngineHooks gives the engine what the write hook and the
// notifications need of it together: changed keys are tracked and
// expiries reported while either listens.
func (s *Server) installEngineHooks() {
	wh := s.writes.Load()
	notify := s.notif.flags.Load() != 0
	if wh == nil && !notify {
		s.Eng.SetWriteHooks(nil)
		return
	}
	h := &engine.WriteHooks{
		Track: true,
		Expired: func(ns *engine.Namespace, key []byte, at int64) {
			if wh != nil {
				// Redis propagates a reclaimed key as a DEL: a replica or
				// a log must not depend on its own clock to lose it.
				wh.emit(ns, at, [][]byte{[]byte("DEL"), key})
			}
			if int(s.notif.flags.Load())&notifyExpired != 0 {
				s.queueEvent(ns, "expired", key)
			}
		},
		Evicted: func(ns *engine.Namespace, key []byte, at int64) {
			if wh != nil {
				// As Redis propagates it: a replica or a log keeps no
				// policy state of its own to evict the same key.
				wh.emit(ns, at, [][]byte{[]byte("DEL"), key})
			}
			if int(s.notif.flags.Load())&notifyEvicted != 0 {
				s.queueEvent(ns, "evicted", key)
			}
		},
	}
	if wh != nil {
		h.Reserve = func() uint64 { return wh.seq.Add(1) }
	}
	s.Eng.SetWriteHooks(h)
}

// notifyScope is where events of ns are published: standalone databases
// are scope "" with their number; a tenant's namespace is its own scope,
// database 0.
func (s *Server) notifyScope(ns *engine.Namespace) (string, int) {
	for i, db := range s.DBs {
		if db == ns {
			return "", i
		}
	}
	return ns.Name, 0
}

// queueEvent queues one event, or drops it when the queue is full. Nothing
// is copied when nobody could hear it: the scope has no subscriber.
func (s *Server) queueEvent(ns *engine.Namespace, name string, key []byte) {
	scope, db := s.notifyScope(ns)
	if !s.Hub.Active(scope) {
		return
	}
	n := &s.notif
	size := int64(len(key) + len(name) + 64)
	var sq *scopeQueued
	if scope != "" {
		v, ok := n.perScope.Load(scope)
		if !ok {
			v, _ = n.perScope.LoadOrStore(scope, new(scopeQueued))
		}
		sq = v.(*scopeQueued)
		queued, queuedBytes := sq.n.Add(1), sq.bytes.Add(size)
		if queued > notifyQueueLen/scopeShare || queuedBytes > notifyQueueBytes/scopeShare {
			n.unqueued(sq, size)
			return
		}
	}
	if n.bytes.Add(size) > notifyQueueBytes {
		n.bytes.Add(-size)
		n.unqueued(sq, size)
		return
	}
	select {
	case n.ch <- keyEvent{scope: scope, db: db, name: name, key: bytes.Clone(key)}:
	default:
		n.bytes.Add(-size)
		n.unqueued(sq, size)
	}
}

// unqueued gives back what a dropped event took of its scope's share.
func (n *notifier) unqueued(sq *scopeQueued, size int64) {
	if sq != nil {
		sq.n.Add(-1)
		sq.bytes.Add(-size)
	}
	n.dropped.Add(1)
}

// drainNotifications publishes queued events in order until the server
// closes.
func (s *Server) drainNotifications() {
	n := &s.notif
	var ch []byte
	for {
		select {
		case <-s.done:
			return
		case ev := <-n.ch:
			size := int64(len(ev.key) + len(ev.name) + 64)
			n.bytes.Add(-size)
			if ev.scope != "" {
				if v, ok := n.perScope.Load(ev.scope); ok {
					sq := v.(*scopeQueued)
					sq.n.Add(-1)
					sq.bytes.Add(-size)
				}
			}
			flags := int(n.flags.Load())
			db := strconv.Itoa(ev.db)
			if flags&notifyKeyspace != 0 {
				ch = append(append(append(append(ch[:0], "__keyspace@"...), db...), "__:"...), ev.key...)
				s.Hub.Publish(ev.scope, pubsub.Channel, ch, []byte(ev.name), nil)
			}
			if flags&notifyKeyevent != 0 {
				ch = append(append(append(append(ch[:0], "__keyevent@"...), db...), "__:"...), ev.name...)
				s.Hub.Publish(ev.scope, pubsub.Channel, ch, ev.key, nil)
			}
		}
	}
}

// NotifyDropped is how many keyspace events the full queue dropped.
func (s *Server) NotifyDropped() int64 { return s.notif.dropped.Load() }

// eventSpec is the event a command raises on each key it changed, and its
// class.
type eventSpec struct {
	class int
	name  string
}

// commandEvents are the rows whose event is the same for each key they
// change. A key left empty by the write also raises "del", as in Redis.
var commandEvents = map[string]eventSpec{
	"del": {notifyGeneric, "del"}, "unlink": {notifyGeneric, "del"}, "getdel": {notifyGeneric, "del"},
	"persist": {notifyGeneric, "persist"}, "copy": {notifyGeneric, "copy_to"},
	"setnx": {notifyString, "set"}, "mset": {notifyString, "set"}, "msetnx": {notifyString, "set"},
	"getset": {notifyString, "set"}, "append": {notifyString, "append"}, "setrange": {notifyString, "setrange"},
	"incr": {notifyString, "incrby"}, "incrby": {notifyString, "incrby"}, "decr": {notifyString, "incrby"},
	"decrby": {notifyString, "incrby"}, "incrbyfloat": {notifyString, "incrbyfloat"},
	"setbit": {notifyString, "setbit"}, "bitfield": {notifyString, "setbit"}, "bitop": {notifyString, "set"},
	"pfadd": {notifyString, "pfadd"}, "pfmerge": {notifyString, "pfadd"},
	"lpush": {notifyList, "lpush"}, "lpushx": {notifyList, "lpush"}, "rpush": {notifyList, "rpush"},
	"rpushx": {notifyList, "rpush"}, "lpop": {notifyList, "lpop"}, "rpop": {notifyList, "rpop"},
	"blpop": {notifyList, "lpop"}, "brpop": {notifyList, "rpop"}, "linsert": {notifyList, "linsert"},
	"lset": {notifyList, "lset"}, "lrem": {notifyList, "lrem"}, "ltrim": {notifyList, "ltrim"},
	"hset": {notifyHash, "hset"}, "hmset": {notifyHash, "hset"}, "hsetnx": {notifyHash, "hset"},
	"hdel": {notifyHash, "hdel"}, "hincrby": {notifyHash, "hincrby"}, "hincrbyfloat": {notifyHash, "hincrbyfloat"},
	"sadd": {notifySet, "sadd"}, "srem": {notifySet, "srem"}, "spop": {notifySet, "spop"},
	"sinterstore": {notifySet, "sinterstore"}, "sunionstore": {notifySet, "sunionstore"}, "sdiffstore": {notifySet, "sdiffstore"},
	"zincrby": {notifyZset, "zincr"}, "zrem": {notifyZset, "zrem"},
	"zremrangebyscore": {notifyZset, "zremrangebyscore"}, "zremrangebyrank": {notifyZset, "zremrangebyrank"},
	"zremrangebylex": {notifyZset, "zremrangebylex"}, "zpopmin": {notifyZset, "zpopmin"}, "zpopmax": {notifyZset, "zpopmax"},
	"bzpopmin": {notifyZset, "zpopmin"}, "bzpopmax": {notifyZset, "zpopmax"},
	"zunionstore": {notifyZset, "zunionstore"}, "zinterstore": {notifyZset, "zinterstore"},
	"zdiffstore": {notifyZset, "zdiffstore"}, "zrangestore": {notifyZset, "zrangestore"},
	"geoadd": {notifyZset, "zadd"}, "georadius": {notifyZset, "georadiusstore"}, "georadiusbymember": {notifyZset, "georadiusstore"},
	"geosearchstore": {notifyZset, "geosearchstore"}, "sort": {notifyList, "sortstore"},
	"xtrim": {notifyStream, "xtrim"}, "xdel": {notifyStream, "xdel"}, "xsetid": {notifyStream, "xsetid"},
	"xgroup|create": {notifyStream, "xgroup-create"}, "xgroup|setid": {notifyStream, "xgroup-setid"},
	"xgroup|destroy": {notifyStream, "xgroup-destroy"}, "xgroup|createconsumer": {notifyStream, "xgroup-createconsumer"},
	"xgroup|delconsumer": {notifyStream, "xgroup-delconsumer"},
}

// keyNote is an event whose raising depends on what the handler found
// (see keyEvent).
type keyNote struct {
	name string
	key  []byte
}

// keyEvent records a stream event that only the handler can tell
// happened: XADD's MAXLEN or MINID trimmed entries, XREADGROUP, XCLAIM or
// XAUTOCLAIM created their consumer. Redis raises these from inside the
// command; the row alone cannot say. Nothing is kept while the class is
// off: one atomic load.
func (x *Ctx) keyEvent(name string, key []byte) {
	if x.S.notif.flags.Load()&notifyStream != 0 {
		x.events = append(x.events, keyNote{name, key})
	}
}

// notifier state for one write: what the engine says changed.
type eventWrite struct {
	s  *Server
	x  *Ctx
	w  engine.Writes
	fl int
	// announced marks the entries of w.Keys "new" was raised for (w.Keys
	// holds at most 64).
	announced uint64
}

// changed reports whether key of ns is among the write's changed keys
// (when the write changed more than the engine lists, every key named).
func (e *eventWrite) changed(ns *engine.Namespace, key []byte) bool {
	if e.w.More {
		return true
	}
	for _, t := range e.w.Keys {
		if t.NS == ns && bytes.Equal(t.Key, key) {
			return true
		}
	}
	return false
}

// raise queues event name of class on key when the class is enabled,
// after "new" when the write created key (Redis raises it as it adds the
// key, before the command's own event on it).
func (e *eventWrite) raise(class int, ns *engine.Namespace, name string, key []byte) {
	if e.fl&notifyNew != 0 {
		e.announce(ns, key, false)
	}
	if e.fl&class != 0 {
		e.emit(ns, name, key)
	}
}

// emit queues an event. Inside EXEC, whose records reach the log only as
// it ends, the event is held until they have (flushExecEvents).
func (e *eventWrite) emit(ns *engine.Namespace, name string, key []byte) {
	if c := e.x.C; c != nil && c.inExec && e.s.writes.Load() != nil {
		c.execEvents = append(c.execEvents, heldEvent{ns: ns, name: name, key: bytes.Clone(key)})
		return
	}
	e.s.queueEvent(ns, name, key)
}

// heldEvent is a keyspace event raised inside EXEC, queued once the
// transaction's records are in the log.
type heldEvent struct {
	ns   *engine.Namespace
	name string
	key  []byte
}

// flushExecEvents queues the events an EXEC raised, after its records.
func (s *Server) flushExecEvents(c *Client) {
	for _, ev := range c.execEvents {
		s.queueEvent(ev.ns, ev.name, ev.key)
	}
	clear(c.execEvents)
	c.execEvents = c.execEvents[:0]
}

// announce raises "new" on key once, if the write created it: if the
// first change the engine lists for it is its insertion (a key deleted
// and written again by one command existed before it). always raises it
// for a key the write replaced, which Redis deletes and adds again
// (RENAME's and COPY's destination), where the engine overwrites in place.
func (e *eventWrite) announce(ns *engine.Namespace, key []byte, always bool) {
	for i, t := range e.w.Keys {
		if t.NS != ns || !bytes.Equal(t.Key, key) {
			continue
		}
		if !(t.New || always) || e.announced&(1<<i) != 0 {
			return
		}
		e.announced |= 1 << i
		e.emit(ns, "new", key)
		return
	}
}

// gone reports whether key no longer exists (the write emptied it).
func (e *eventWrite) gone(ns *engine.Namespace, key []byte) bool {
	tx := e.x.Tx
	if ns != tx.NS() {
		tx = tx.In(ns)
	}
	return tx.Peek(key) == nil
}

// notifyMiss raises "keymiss" on each key a read-only command named that
// does not exist, under the command's locks: Redis raises it from
// lookupKeyRead, which every read command's lookup goes through (not
// OBJECT's and MEMORY USAGE's). A command refused before its lookup (a
// syntax error) raises none.
func (s *Server) notifyMiss(x *Ctx) {
	switch x.Cmd.Name {
	case "object|encoding", "object|freq", "object|idletime", "object|refcount", "memory|usage":
		return
	}
	keys := x.Cmd.KeyIndexes(nil, x.Args)
	if len(keys) == 0 {
		return
	}
	if x.Tx.Walking() && !x.Tx.Active() {
		// SORT_RO runs as a walk and has let go of its key: it is looked
		// at under a short shared lock of its own.
		named := make([][]byte, len(keys))
		for j, i := range keys {
			named[j] = x.Args[i]
		}
		x.Tx.LockKeys(named, false)
		defer x.Tx.UnlockKeys()
	}
	rounds := 1
	if x.Cmd.Name == "xread" {
		rounds = 2 // Redis 7.0 looks each stream up to resolve its id, then to serve it
	}
	for r := 0; r < rounds; r++ {
		for _, i := range keys {
			if x.Tx.Peek(x.Args[i]) == nil {
				s.queueEvent(x.Tx.NS(), "keymiss", x.Args[i])
			}
		}
	}
}

// notifyWriteMiss raises "keymiss" for the keys a write looks up as a read
// does (Redis's lookupKeyRead in these commands: the key a GET-like write
// returns, the sources of a store) and found missing, before the write's
// own events. A key was missing if the write did not touch it and it is
// missing now, or if its first change was its creation (GETSET, SET GET).
// SORT ... STORE is left out: it has let go of its source by now.
func (s *Server) notifyWriteMiss(x *Ctx, w engine.Writes) {
	first := 0 // the keys from this one on are looked up as reads
	switch x.Cmd.Name {
	case "getdel", "getex", "getset", "copy", "georadius", "georadiusbymember", "pfmerge":
	case "set":
		get := false
		for _, a := range x.Args[3:] {
			get = get || strings.EqualFold(string(a), "get")
		}
		if !get {
			return
		}
	case "sdiffstore", "sinterstore", "sunionstore", "zunionstore", "zinterstore", "zdiffstore",
		"zrangestore", "bitop", "geosearchstore":
		first = 1
	default:
		return
	}
	keys := x.Cmd.KeyIndexes(nil, x.Args)
	switch {
	case first >= len(keys):
		return
	case x.Cmd.Name == "pfmerge":
		keys = keys[first:]
	case first == 0:
		keys = keys[:1]
	default:
		keys = keys[first:]
	}
	ns := x.Tx.NS()
	for _, i := range keys {
		key := x.Args[i]
		missing, touched := false, false
		for _, t := range w.Keys {
			if t.NS == ns && bytes.Equal(t.Key, key) {
				missing, touched = t.New, true
				break
			}
		}
		if !touched && !w.More {
			missing = x.Tx.Peek(key) == nil
		}
		if missing {
			s.queueEvent(ns, "keymiss", key)
		}
	}
}

// notifyWrite raises the events of the write x just ran, under its locks.
// w is what it changed.
func (s *Server) notifyWrite(x *Ctx, w engine.Writes) {
	if x.Cmd.Flags&FlagReadOnly != 0 {
		// SORT_RO comes here twice (recordHeld, then as any command).
		if int(s.notif.flags.Load())&notifyKeyMiss != 0 && !x.failed && !x.missChecked &&
			(x.Tx.Active() || x.Tx.Walking()) {
			x.missChecked = true
			s.notifyMiss(x)
		}
	}
	if int(s.notif.flags.Load())&notifyKeyMiss != 0 && !x.failed && !x.missChecked && x.Cmd.Flags&FlagWrite != 0 {
		x.missChecked = true
		s.notifyWriteMiss(x, w)
	}
	if w.N == 0 || (len(w.Keys) == 0 && !w.More) {
		return
	}
	e := eventWrite{s: s, x: x, w: w, fl: int(s.notif.flags.Load())}
	ns := x.Tx.NS()
	name := x.Cmd.Name
	keys := x.Cmd.KeyIndexes(nil, x.Args)
	arg := func(i int) string {
		if i < len(x.Args) {
			return strings.ToLower(string(x.Args[i]))
		}
		return ""
	}
	hasOpt := func(opts ...string) bool {
		for _, a := range x.Args[2:] {
			for _, o := range opts {
				if strings.EqualFold(string(a), o) {
					return true
				}
			}
		}
		return false
	}
	// each raises ev on every changed key of the row, then "del" on a key
	// the write left empty.
	each := func(ev eventSpec, idx []int) {
		for _, i := range idx {
			key := x.Args[i]
			if !e.changed(ns, key) {
				continue
			}
			gone := ev.name != "del" && e.gone(ns, key)
			// A store whose result is empty deletes its destination:
			// Redis raises only "del" then.
			if !gone || !strings.HasSuffix(ev.name, "store") {
				e.raise(ev.class, ns, ev.name, key)
			}
			if gone {
				e.raise(notifyGeneric, ns, "del", key)
			}
		}
	}
	switch name {
	case "set", "setex", "psetex", "getex":
		key := x.Args[1]
		if !e.changed(ns, key) {
			return
		}
		if name != "getex" {
			e.raise(notifyString, ns, "set", key)
		}
		switch {
		case name == "setex" || name == "psetex" || hasOpt("ex", "px", "exat", "pxat"):
			if e.gone(ns, key) {
				e.raise(notifyGeneric, ns, "del", key)
			} else {
				e.raise(notifyGeneric, ns, "expire", key)
			}
		case name == "getex" && hasOpt("persist"):
			e.raise(notifyGeneric, ns, "persist", key)
		}
	case "expire", "pexpire", "expireat", "pexpireat":
		key := x.Args[1]
		if !e.changed(ns, key) {
			return
		}
		if e.gone(ns, key) {
			e.raise(notifyGeneric, ns, "del", key)
		} else {
			e.raise(notifyGeneric, ns, "expire", key)
		}
	case "rename", "renamenx":
		if e.changed(ns, x.Args[2]) {
			if e.fl&notifyNew != 0 {
				e.announce(ns, x.Args[2], true) // Redis adds the destination first
			}
			e.raise(notifyGeneric, ns, "rename_from", x.Args[1])
			e.raise(notifyGeneric, ns, "rename_to", x.Args[2])
		}
	case "move":
		if e.fl&notifyNew != 0 {
			for _, t := range w.Keys {
				if t.NS != ns {
					e.announce(t.NS, t.Key, false) // Redis adds the key to the target first
				}
			}
		}
		for _, t := range w.Keys {
			if t.NS == ns {
				e.raise(notifyGeneric, t.NS, "move_from", t.Key)
			} else {
				e.raise(notifyGeneric, t.NS, "move_to", t.Key)
			}
		}
	case "rpoplpush", "brpoplpush", "lmove", "blmove":
		from, to := "rpop", "lpush"
		if name == "lmove" || name == "blmove" {
			from = map[string]string{"left": "lpop", "right": "rpop"}[arg(3)]
			to = map[string]string{"left": "lpush", "right": "rpush"}[arg(4)]
		}
		// Redis pushes (and tells) before it tells of the pop.
		each(eventSpec{notifyList, to}, keys[1:])
		each(eventSpec{notifyList, from}, keys[:1])
	case "lmpop", "blmpop":
		ev := eventSpec{notifyList, "lpop"}
		if hasOpt("right") {
			ev.name = "rpop"
		}
		each(ev, keys)
	case "zmpop", "bzmpop":
		ev := eventSpec{notifyZset, "zpopmin"}
		if hasOpt("max") {
			ev.name = "zpopmax"
		}
		each(ev, keys)
	case "zadd":
		ev := eventSpec{notifyZset, "zadd"}
		if hasOpt("incr") {
			ev.name = "zincr"
		}
		each(ev, keys)
	case "smove":
		each(eventSpec{notifySet, "srem"}, keys[:1])
		each(eventSpec{notifySet, "sadd"}, keys[1:])
	case "copy":
		if e.fl&notifyNew != 0 && len(keys) > 1 && e.changed(ns, x.Args[2]) {
			e.announce(ns, x.Args[2], true)
		}
		each(commandEvents[name], keys)
	case "xadd":
		// "xadd" first, then the handler's "xtrim", as Redis sends them.
		each(eventSpec{notifyStream, "xadd"}, keys)
	default:
		if ev, ok := commandEvents[name]; ok {
			each(ev, keys)
		}
	}
	for _, n := range x.events {
		if e.changed(ns, n.key) {
			e.raise(notifyStream, ns, n.name, n.key)
		}
	}
	if e.fl&notifyNew != 0 {
		// Keys created by a command that raises no event of its own on
		// them still raise "new".
		for _, t := range w.Keys {
			e.announce(t.NS, t.Key, false)
		}
	}
}

package engine

import "time"

// Writes is what a transaction changed since the write hook last took it
// (TakeWrites): how many changes, and, when the hooks track them, the keys
// they touched. Reclaiming an expired key is not counted: it is reported
// to WriteHooks.Expired instead, as a deletion of its own, so a command
// that only found its key expired changed nothing.
type Writes struct {
	N    int
	Keys []Touch
	// More is set when the transaction changed more keys than Keys keeps
	// (maxTouched): a FLUSHDB must not grow a list as long as the keyspace.
	More bool
	// Seq is the sequence number a flush walk reserved as it began
	// (WriteHooks.Reserve), 0 when none: its record takes that place.
	Seq uint64
}

// maxTouched bounds Writes.Keys.
const maxTouched = 64

// Touch is one key a transaction changed, with its namespace (MOVE and
// COPY ... DB change keys of another namespace under the same locks).
type Touch struct {
	NS  *Namespace
	Key []byte
	// New is set when this change created the key (keyspace notifications
	// raise "new" for it).
	New bool
}

// WriteHooks is what the write hook asks of the engine. Its functions run
// under the shard lock of the key concerned (or, Reserve, under none), so
// they must not take shard locks.
type WriteHooks struct {
	// Track makes transactions remember the keys they change (Writes.Keys).
	Track bool
	// Expired is told about every key reclaimed by its TTL, lazily by a
	// command or by active expiry, with the time it was judged expired.
	Expired func(ns *Namespace, key []byte, at int64)
	// Evicted is told about every key eviction removed (Engine.Evict),
	// with the time it was removed.
	Evicted func(ns *Namespace, key []byte, at int64)
	// Reserve gives a flush that walks the keyspace (FLUSHDB, FLUSHALL
	// outside EXEC) its place in the order of writes as it begins, before
	// it removes anything: a write that races the walk then replays after
	// the flush, whether it landed in a shard flushed already (it survives,
	// as in the original) or in one not flushed yet (the original removed
	// it; a replay keeps it). Numbered at its end instead, the flush would
	// remove on replay writes that survived it.
	Reserve func() uint64
}

// SetWriteHooks installs h (nil: none). Set it before serving.
func (e *Engine) SetWriteHooks(h *WriteHooks) { e.hooks.Store(h) }

// TakeWrites returns what the transaction changed since the last call (or
// since its locks were taken) and starts counting again. The keys alias
// storage and arguments, and the list is reused: use them before the
// transaction's next change, under its locks.
func (tx *Tx) TakeWrites() Writes {
	w := *tx.w
	tx.w.N, tx.w.Keys, tx.w.More, tx.w.Seq = 0, tx.w.Keys[:0], false, 0
	return w
}

// Changed is what the transaction changed since the last TakeWrites,
// without taking it: keyspace notifications read it before the write hook
// takes it. The keys alias storage, as TakeWrites's do.
func (tx *Tx) Changed() Writes { return *tx.w }

// reserve takes the flush's place in the order of writes, once per
// transaction (a FLUSHALL flushes several namespaces).
func (tx *Tx) reserve() {
	if h := tx.e.hooks.Load(); h != nil && h.Reserve != nil && tx.walking && tx.w.Seq == 0 {
		// A snapshot's cut waits until this flush ends (Tx.End): cut
		// inside it, the snapshot would hold keys of the shards not yet
		// flushed while its sequence says the flush is in it.
		if !tx.gated {
			tx.e.flushGate.RLock()
			tx.gated = true
		}
		tx.w.Seq = h.Reserve()
	}
}

// wrote counts one change to key in the transaction's namespace. It is
// small enough to be inlined on every write path.
func (tx *Tx) wrote(key []byte) {
	tx.w.N++
	if h := tx.e.hooks.Load(); h != nil && h.Track {
		tx.track(key, false)
	}
}

// created is wrote for a change that inserted key.
func (tx *Tx) created(key []byte) {
	tx.w.N++
	if h := tx.e.hooks.Load(); h != nil && h.Track {
		tx.track(key, true)
	}
}

// track keeps key among the transaction's changed keys, up to maxTouched.
func (tx *Tx) track(key []byte, isNew bool) {
	if len(tx.w.Keys) < maxTouched {
		tx.w.Keys = append(tx.w.Keys, Touch{tx.ns, key, isNew})
	} else {
		tx.w.More = true
	}
}

// expired tells the hook that key of ns was reclaimed by its TTL at time at.
func (e *Engine) expired(ns *Namespace, key []byte, at int64) {
	if h := e.hooks.Load(); h != nil && h.Expired != nil {
		h.Expired(ns, key, at)
	}
}

// PinClock makes every transaction begun from now on, and active expiry,
// see at (unix ms) as the time; 0 unpins. Replaying recorded writes pins
// the clock to each record's time before applying it, so the record sees
// the keyspace as the write did: a key alive then is alive now, whatever
// the wall clock says, and keys that expired while the log was not
// applied go when the clock is unpinned.
func (e *Engine) PinClock(at int64) { e.pinned.Store(at) }

// Clock is the time transactions see: the pinned clock, else the wall
// clock (unix ms). A snapshot loaded before a log is replayed reads it, so
// a key the log writes to later is not dropped as expired first.
func (e *Engine) Clock() int64 { return e.now() }

// now is the clock active expiry uses.
func (e *Engine) now() int64 {
	if at := e.pinned.Load(); at != 0 {
		return at
	}
	return time.Now().UnixMilli()
}

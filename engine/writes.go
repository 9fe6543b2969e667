package engine

import "time"

// Writes is what a transaction changed since the write hook last took it
// (TakeWrites): how many changes, and, while the engine tracks writes
// (TrackWrites), the keys they touched. Reclaiming an expired key is not
// counted: it is reported to TrackWrites' expired instead, as a deletion
// of its own, so a command that only found its key expired changed nothing.
type Writes struct {
	N    int
	Keys []Touch
	// More is set when the transaction changed more keys than Keys keeps
	// (maxTouched): a FLUSHDB must not grow a list as long as the keyspace.
	More bool
}

// maxTouched bounds Writes.Keys.
const maxTouched = 64

// Touch is one key a transaction changed, with its namespace (MOVE and
// COPY ... DB change keys of another namespace under the same locks).
type Touch struct {
	NS  *Namespace
	Key []byte
}

// hooks holds what the write hook asked of the engine; nil fields cost a
// load of this pointer per change.
type hooks struct {
	track    bool
	onExpire func(ns *Namespace, key []byte, at int64)
}

// TrackWrites makes transactions remember the keys they change, for a
// write hook that needs them; expired is told about every key reclaimed by
// its TTL, lazily by a command or by active expiry, with the time the
// engine judged it expired, under the key's shard lock (so it must not
// take shard locks). false, nil turns both off.
func (e *Engine) TrackWrites(track bool, expired func(ns *Namespace, key []byte, at int64)) {
	if !track && expired == nil {
		e.hooks.Store(nil)
		return
	}
	e.hooks.Store(&hooks{track: track, onExpire: expired})
}

// TakeWrites returns what the transaction changed since the last call (or
// since its locks were taken) and starts counting again. The keys alias
// storage and arguments, and the list is reused: use them before the
// transaction's next change, under its locks.
func (tx *Tx) TakeWrites() Writes {
	w := *tx.w
	tx.w.N, tx.w.Keys, tx.w.More = 0, tx.w.Keys[:0], false
	return w
}

// wrote counts one change to key in the transaction's namespace.
func (tx *Tx) wrote(key []byte) {
	tx.w.N++
	if h := tx.e.hooks.Load(); h != nil && h.track {
		if len(tx.w.Keys) < maxTouched {
			tx.w.Keys = append(tx.w.Keys, Touch{tx.ns, key})
		} else {
			tx.w.More = true
		}
	}
}

// expired tells the hook that key of ns was reclaimed by its TTL at time at.
func (e *Engine) expired(ns *Namespace, key []byte, at int64) {
	if h := e.hooks.Load(); h != nil && h.onExpire != nil {
		h.onExpire(ns, key, at)
	}
}

// PinClock makes every transaction begun from now on, and active expiry,
// see at (unix ms) as the time; 0 unpins. Replaying recorded writes pins
// the clock to each record's time before applying it, so the record sees
// the keyspace as the write did: a key alive then is alive now, whatever
// the wall clock says, and keys that expired while the log was not
// applied go when the clock is unpinned.
func (e *Engine) PinClock(at int64) { e.pinned.Store(at) }

// now is the clock active expiry uses.
func (e *Engine) now() int64 {
	if at := e.pinned.Load(); at != 0 {
		return at
	}
	return time.Now().UnixMilli()
}

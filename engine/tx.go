package engine

import (
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"synap/sched"
)

// Tx is the lock set one command (or one EXEC) runs under: the shards of
// the keys it names, or all shards for keyspace-wide commands. The dispatcher
// takes it from the command table before the handler runs, so a multi-key
// command is atomic without the handler thinking about locks. A Tx is reused
// by its connection; it is not safe for concurrent use.
type Tx struct {
	e     *Engine
	ns    *Namespace
	write bool
	all   bool
	set   [MaxShards / 64]uint64
	n     int // shards locked
	// Now is the command's clock in unix ms: one time for all of its work,
	// as Redis does. The caller may set it before Begin (the dispatcher
	// reuses the time it already read); otherwise Begin reads the clock.
	Now int64
	// changed is set once the transaction may have changed data: it wrote,
	// or handed out an entry under a write lock. See Assertion.
	changed bool
	// sink keeps the compiler from dropping Warm's loads, whose only purpose
	// is to bring lines into the cache. It is per Tx (per connection): a
	// shared variable would be a data race between connections.
	sink uint64
	// walking: begun by BeginWalk, so the transaction holds no lock of its
	// own; the walks lock one shard at a time and LockKeys takes short
	// point lock sets. walkWrite is the mode the walk was begun with.
	walking   bool
	walkWrite bool
	// w is what the transaction changed, for the write hook; views made
	// by In share it, so their changes are the transaction's.
	w *Writes
	// gated: a flush walk holding the engine's flushGate (shared) from
	// its reserved place in the order of writes until End.
	gated bool
	// Owner is whoever runs the transaction's commands (the connection),
	// passed on to OnChange's listener: client tracking's NOLOOP skips
	// the keys a client changed itself. Nil for the engine's own work.
	Owner any
}

// capAt applies the namespace's TTL cap to the expiry a write sets or
// keeps: none (0) or one further out than the cap becomes the cap, so no
// path that creates a key or sets, keeps or removes its TTL can leave it
// living longer than the cap after that write.
func (tx *Tx) capAt(at int64) int64 {
	if m := tx.ns.maxTTL.Load(); m > 0 && (at == 0 || at-tx.Now > m) {
		return tx.Now + m
	}
	return at
}

// NewTx returns an idle transaction for one connection.
func (e *Engine) NewTx() *Tx { return &Tx{e: e, w: &Writes{}} }

// Engine is the engine the transaction works on.
func (tx *Tx) Engine() *Engine { return tx.e }

// NS is the namespace the transaction's key operations address.
func (tx *Tx) NS() *Namespace { return tx.ns }

// Begin locks the shards holding keys: exclusively when write, shared otherwise.
func (tx *Tx) Begin(ns *Namespace, keys [][]byte, write bool) {
	tx.ns, tx.write, tx.all = ns, write, false
	tx.clock()
	if len(keys) == 1 {
		i := tx.e.ShardOf(keys[0])
		tx.set[i>>6] |= 1 << (i & 63)
		tx.n = 1
		tx.lock(i)
		return
	}
	for _, k := range keys {
		i := tx.e.ShardOf(k)
		tx.set[i>>6] |= 1 << (i & 63)
	}
	tx.lockSet()
}

// BeginShards locks an explicit set of shards (EXEC's union of key sets).
func (tx *Tx) BeginShards(ns *Namespace, shards []int, write bool) {
	tx.ns, tx.write, tx.all = ns, write, false
	tx.clock()
	for _, i := range shards {
		tx.set[i>>6] |= 1 << (i & 63)
	}
	tx.lockSet()
}

// BeginAll locks every shard, for commands that walk the whole keyspace.
func (tx *Tx) BeginAll(ns *Namespace, write bool) {
	tx.ns, tx.write, tx.all = ns, write, true
	tx.clock()
	for i := range tx.e.shards {
		tx.lock(i)
	}
	tx.n = len(tx.e.shards)
}

// BeginWalk starts a keyspace-wide command (KEYS, SCAN, RANDOMKEY, FLUSHDB,
// SORT) without taking any lock: the shards are shared by every tenant, and
// holding them all for a walk that grows with one tenant's data would stall
// everyone else. The walks (Each, EachKeyBatch, Scan, RandomKey, Flush) then
// lock one shard at a time and let go every walkBatch chains; point
// operations take their own short lock sets with LockKeys. A walk is thus
// not a snapshot: a key written meanwhile may or may not be seen, while a
// key that exists for the whole walk is seen exactly once.
func (tx *Tx) BeginWalk(ns *Namespace, write bool) {
	tx.ns, tx.write, tx.all = ns, write, false
	tx.walking, tx.walkWrite = true, write
	tx.clock()
	tx.n = 0
}

// Walking reports whether the transaction was begun by BeginWalk.
func (tx *Tx) Walking() bool { return tx.walking }

// LockKeys locks the shards of keys inside a walk, for point operations
// until UnlockKeys. Under a lock set that already covers every shard (EXEC
// of a keyspace command) it does nothing.
func (tx *Tx) LockKeys(keys [][]byte, write bool) {
	if !tx.walking {
		return
	}
	if tx.n != 0 {
		tx.fail("engine: LockKeys while holding locks")
	}
	tx.write = write
	for _, k := range keys {
		i := tx.e.ShardOf(k)
		tx.set[i>>6] |= 1 << (i & 63)
	}
	tx.lockSet()
	tx.e.runWalkHook(true)
}

// UnlockKeys releases what LockKeys took, keeping the walk going.
func (tx *Tx) UnlockKeys() {
	if !tx.walking || tx.n == 0 {
		return
	}
	tx.unlockSet()
	tx.n = 0
	tx.write = tx.walkWrite
	tx.e.runWalkHook(false)
}

// walkBatch is how many chains a walk visits under one hold of a shard's
// lock: enough to amortise taking it, few enough that a writer of another
// tenant waits for a few microseconds of work, not for a whole shard.
const walkBatch = 256

// SetWalkHook sets a function for tests, run by a walk each time it has let
// go of its locks (holding false: another tenant's write must get through
// there) and each time LockKeys has taken some (holding true: what the
// walk holds may be only what it needs). nil removes it.
func (e *Engine) SetWalkHook(fn func(holding bool)) {
	if fn == nil {
		e.walkHook.Store(nil)
		return
	}
	e.walkHook.Store(&fn)
}

func (e *Engine) runWalkHook(holding bool) {
	if hook := e.walkHook.Load(); hook != nil {
		(*hook)(holding)
	}
}

// visit calls fn for the namespace's chains in shard i from hash h on, in
// hash order, until fn returns false; it reports whether fn stopped it.
// Under a walk it locks the shard itself, for walkBatch chains at a time,
// resuming after the last chain seen: ids are unique and ordered, so a
// chain present for the whole visit is seen exactly once however the tree
// changes in between.
func (tx *Tx) visit(i int, h uint32, fn func(id uint64, head *Entry) bool) bool {
	return tx.visitThen(i, h, fn, nil)
}

// visitThen is visit running after, when not nil, at the end of each hold
// of the lock, once the tree is no longer being iterated.
func (tx *Tx) visitThen(i int, h uint32, fn func(id uint64, head *Entry) bool, after func()) bool {
	if !tx.walking {
		stopped := false
		tx.walk(i, h, func(id uint64, head *Entry) bool {
			stopped = !fn(id, head)
			return !stopped
		})
		if after != nil {
			after()
		}
		return stopped
	}
	ns := tx.ns.ID
	from := treeID(ns, h)
	for {
		n, stopped, more := 0, false, false
		var last uint64
		tx.set[i>>6] |= 1 << (i & 63)
		tx.lock(i)
		snap := tx.write && tx.e.snap.Load() != nil
		tx.e.shards[i].ascend(from, func(id uint64, head *Entry) bool {
			if nsOf(id) != ns {
				return false
			}
			if n == walkBatch {
				more = true
				return false
			}
			n++
			last = id
			if snap {
				tx.e.preimage(i, id) // the caller may change what it is handed
			}
			stopped = !fn(id, head)
			return !stopped
		})
		if after != nil {
			after()
		}
		tx.unlock(i)
		tx.set[i>>6] &^= 1 << (i & 63)
		tx.e.runWalkHook(false)
		if tx.n == 0 {
			// Between two holds nothing is locked: the connections waiting
			// for the processor run now, not after a time slice.
			sched.Maybe()
		}
		if stopped || !more {
			return stopped
		}
		from = last + 1
	}
}

func (tx *Tx) clock() {
	if at := tx.e.pinned.Load(); at != 0 {
		tx.Now = at // replaying: the time the record was made
		return
	}
	if tx.Now == 0 {
		tx.Now = time.Now().UnixMilli()
	}
}

// lockSet locks the shards of the bitset in ascending order, the one global
// order that keeps concurrent multi-key commands from deadlocking.
func (tx *Tx) lockSet() {
	tx.n = 0
	for w, word := range tx.set {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			tx.lock(w<<6 | b)
			tx.n++
		}
	}
}

func (tx *Tx) lock(i int) {
	if tx.write {
		tx.e.shards[i].mu.Lock()
	} else {
		tx.e.shards[i].mu.RLock()
	}
}

func (tx *Tx) unlock(i int) {
	if tx.write {
		tx.e.shards[i].mu.Unlock()
	} else {
		tx.e.shards[i].mu.RUnlock()
	}
}

// Active reports whether the transaction holds locks.
func (tx *Tx) Active() bool { return tx.n > 0 }

// End releases every lock.
func (tx *Tx) End() {
	tx.walking = false
	if tx.gated {
		tx.gated = false
		tx.e.flushGate.RUnlock()
	}
	if tx.w.N != 0 || tx.w.Seq != 0 {
		tx.w.N, tx.w.Keys, tx.w.More, tx.w.Seq = 0, tx.w.Keys[:0], false, 0
	}
	if tx.n == 0 {
		tx.Now, tx.changed = 0, false
		return
	}
	if tx.all {
		for i := len(tx.e.shards) - 1; i >= 0; i-- {
			tx.unlock(i)
		}
	} else {
		tx.unlockSet()
	}
	tx.n, tx.all, tx.Now, tx.changed = 0, false, 0, false
}

// unlockSet releases the shards of the bitset and clears it.
func (tx *Tx) unlockSet() {
	for w := range tx.set {
		word := tx.set[w]
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			tx.unlock(w<<6 | b)
		}
		tx.set[w] = 0
	}
}

// In returns a view of the same locks addressing another namespace (MOVE,
// COPY ... DB). A key hashes to the same shard in every namespace.
func (tx *Tx) In(ns *Namespace) *Tx {
	if tx.write {
		tx.changed = true // the view's changes are this transaction's
	}
	v := *tx
	v.ns = ns
	return &v
}

// Use makes the transaction's key operations address ns under the locks it
// holds (a SELECT inside EXEC). A key hashes to the same shard in every namespace.
func (tx *Tx) Use(ns *Namespace) { tx.ns = ns }

// Expired reports whether key is stored with a TTL that has passed but is
// not reclaimed yet (WATCH compares it at EXEC).
func (tx *Tx) Expired(key []byte) bool {
	sh, id := tx.locate(key)
	en := sh.find(id, key)
	return en != nil && !tx.live(en)
}

// Writable reports whether the locks are exclusive.
func (tx *Tx) Writable() bool { return tx.write }

func (tx *Tx) holds(i int) bool { return tx.all || tx.set[i>>6]&(1<<(i&63)) != 0 }

// locate returns the key's shard and tree id, checking the transaction
// holds the shard: touching an unlocked shard is a bug that would break
// atomicity, so it fails loudly.
func (tx *Tx) locate(key []byte) (*shard, uint64) {
	h := tx.e.hash(key)
	i := tx.e.shardOf(h)
	if !tx.holds(i) {
		tx.fail("engine: key outside the command's lock set")
	}
	id := treeID(tx.ns.ID, h)
	if tx.write {
		tx.changed = true // what is found may be changed by the caller
		if tx.e.snap.Load() != nil {
			tx.e.preimage(i, id) // before the caller may change it
		}
	}
	return &tx.e.shards[i], id
}

func (tx *Tx) mustWrite() {
	if !tx.write {
		tx.fail("engine: write under a read lock")
	}
	tx.changed = true
}

func (tx *Tx) live(en *Entry) bool { return en.exp == 0 || en.exp > tx.Now }

func (tx *Tx) touch(en *Entry) {
	if tx.e.trackingOf(tx.ns) == trackLFU {
		tx.e.touchLFU(en)
		return
	}
	if c := tx.e.clock.Load(); atomic.LoadUint32(&en.lru) != c {
		atomic.StoreUint32(&en.lru, c)
	}
}

// Get returns the live entry for key, or nil. Under a write lock an expired
// key found on the way is reclaimed (lazy expiry).
func (tx *Tx) Get(key []byte) *Entry {
	en := tx.Peek(key)
	if en != nil {
		tx.touch(en)
	}
	return en
}

// Peek is Get without updating the access time (TYPE, OBJECT, TTL).
func (tx *Tx) Peek(key []byte) *Entry {
	sh, id := tx.locate(key)
	en := sh.find(id, key)
	if en == nil {
		return nil
	}
	if !tx.live(en) {
		if tx.write {
			tx.reclaim(sh, id, en)
		}
		return nil
	}
	if tx.write && en.Kind == KindList {
		tx.unpin(en)
	}
	return en
}

// unpin gives a writer a list of its own when a reader is encoding the
// stored one with no lock held (List.Pin): every writer that changes a
// value in place reaches it through Peek under its write lock, so the
// pinned list is never changed while it is read. Only the writer that
// finds the pin pays the copy of the ring.
func (tx *Tx) unpin(en *Entry) {
	if l, ok := en.Obj().(*List); ok && l.Pinned() {
		base := en.baseSize()
		en.SetObj(l.unshared())
		en.setBase(base)
	}
}

// Exists reports whether key holds a live value, without touching it.
func (tx *Tx) Exists(key []byte) bool { return tx.Peek(key) != nil }

// Put stores en's value under key, replacing any value and its TTL. It
// returns the stored entry, which is never en: a new key gets an entry
// allocated with its key, an existing one keeps its own. en (built without
// a key: NewObject, StringEntry, Clone, or removed from another key) must
// not be changed afterwards; its value, if not copied, is now the key's.
func (tx *Tx) Put(key []byte, en *Entry) *Entry { return tx.PutExpire(key, en, 0) }

// PutExpire stores en under key with an absolute expiry (0: none).
func (tx *Tx) PutExpire(key []byte, en *Entry, at int64) *Entry {
	tx.mustWrite()
	at = tx.capAt(at)
	sh, id := tx.locate(key)
	if old := sh.find(id, key); old != nil {
		// Overwrite in place: the tree and any collision chain keep pointing
		// at the same entry, so an overwrite allocates nothing for the key.
		tx.snapCheckID(sh, id)
		oldSize := old.size()
		old.setValue(en)
		tx.rewritten(old)
		old.setBase(int64(len(key)) + KeyCharge + old.valueSize())
		tx.ns.bytes.Add(old.size() - oldSize)
		tx.setExpire(sh, id, old, at)
		tx.e.changed(tx.ns, key, tx.Owner)
		tx.wrote(key)
		return old
	}
	st := stored(key, en)
	st.lru = tx.e.initialLRU(tx.ns)
	st.setBase(int64(len(key)) + KeyCharge + st.valueSize())
	tx.insert(sh, id, st, at)
	return st
}

// rewritten is the access an overwrite makes: a new access time, while an
// access counter is kept, as Redis keeps it across an overwrite.
func (tx *Tx) rewritten(en *Entry) {
	if tx.e.trackingOf(tx.ns) != trackLFU {
		en.lru = tx.e.clock.Load()
	}
}

func (tx *Tx) insert(sh *shard, id uint64, en *Entry, at int64) {
	tx.snapCheckID(sh, id)
	sh.insert(id, en)
	tx.e.changed(tx.ns, unsafeBytes(en.keyString()), tx.Owner)
	tx.created(unsafeBytes(en.keyString()))
	tx.ns.keys.Add(1)
	if at != 0 {
		en.exp = at
		sh.addExpire(id, en)
		tx.ns.expires.Add(1)
	}
	tx.ns.bytes.Add(en.size())
}

// Delete removes key; it reports whether a live value was removed.
func (tx *Tx) Delete(key []byte) bool {
	tx.mustWrite()
	sh, id := tx.locate(key)
	en := sh.find(id, key)
	if en == nil {
		return false
	}
	if !tx.live(en) {
		tx.reclaim(sh, id, en)
		return false
	}
	tx.remove(sh, id, en)
	return true
}

func (tx *Tx) remove(sh *shard, id uint64, en *Entry) {
	tx.unlink(sh, id, en)
	tx.wrote(unsafeBytes(en.keyString()))
}

// reclaim removes en, found past its deadline by a lookup, as an expiry:
// counted in expired_keys and told to the write hook and notifications.
func (tx *Tx) reclaim(sh *shard, id uint64, en *Entry) {
	tx.unlink(sh, id, en)
	tx.e.expiredKeys.Add(1)
	tx.e.expired(tx.ns, unsafeBytes(en.keyString()), tx.Now)
}

// unlink removes en without counting it as the transaction's write: the
// caller reclaims an expired key, which the write hook hears of as an
// expiry (WriteHooks.Expired).
func (tx *Tx) unlink(sh *shard, id uint64, en *Entry) {
	tx.snapCheckID(sh, id)
	sh.unlink(id, en)
	tx.e.changed(tx.ns, unsafeBytes(en.keyString()), tx.Owner)
	if en.exp != 0 {
		sh.dropExpire(id, en)
		tx.ns.expires.Add(-1)
	}
	tx.ns.keys.Add(-1)
	tx.ns.bytes.Add(-en.size())
}

// SetExpire sets (at > 0) or clears (at == 0) the expiry of key, whose live
// entry is en. An expiry in the past deletes the key, as Redis does.
func (tx *Tx) SetExpire(key []byte, en *Entry, at int64) {
	tx.mustWrite()
	at = tx.capAt(at)
	sh, id := tx.locate(key)
	if at != 0 && at <= tx.Now {
		tx.remove(sh, id, en)
		return
	}
	tx.setExpire(sh, id, en, at)
}

func (tx *Tx) setExpire(sh *shard, id uint64, en *Entry, at int64) {
	if en.exp == at {
		return
	}
	tx.snapCheckID(sh, id)
	tx.e.changed(tx.ns, unsafeBytes(en.keyString()), tx.Owner)
	tx.wrote(unsafeBytes(en.keyString()))
	if en.exp != 0 {
		sh.dropExpire(id, en)
		tx.ns.expires.Add(-1)
	}
	if (en.exp == 0) != (at == 0) {
		d := int64(TTLCharge) // size() derives it from exp
		if at == 0 {
			d = -d
		}
		tx.ns.bytes.Add(d)
	}
	en.exp = at
	if at != 0 {
		sh.addExpire(id, en)
		tx.ns.expires.Add(1)
	}
}

// Updated re-accounts en after its value changed in place, and tells those
// waiting on the key (WATCH, blocked clients) that it changed.
func (tx *Tx) Updated(key []byte, en *Entry) {
	tx.snapCheckKey(key)
	tx.e.changed(tx.ns, key, tx.Owner)
	tx.wrote(key)
	if en = tx.storedEntry(key, en); en == nil {
		return
	}
	if en.flags&fObj == 0 {
		return // a string's size is derived from its lengths; Tx.SetStr accounted a new one
	}
	size := int64(len(key)) + KeyCharge + en.valueSize()
	old := en.baseSize()
	if size == old {
		return // the common overwrite of a same-size value: no shared counter to touch
	}
	tx.ns.bytes.Add(size - old)
	en.setBase(size)
}

// storedEntry is en, or when en is an entry handed to Put (which stored
// its value in an entry of its own), the entry stored under key: a caller
// that kept the entry it built finds its changes to the value accounted.
func (tx *Tx) storedEntry(key []byte, en *Entry) *Entry {
	if en.flags&fKeyed != 0 {
		return en
	}
	sh, id := tx.locate(key)
	return sh.find(id, key)
}

// SetStr makes b the value of en, a stored string entry, re-accounting it:
// a handler that changed a string's length or buffer (APPEND, SETRANGE,
// SETBIT) stores the new slice with it, then calls Updated.
func (tx *Tx) SetStr(en *Entry, b []byte) {
	tx.mustWrite()
	if en.flags&fKeyed == 0 {
		tx.fail("engine: SetStr on an entry that is not stored")
	}
	before := en.size()
	en.setStr(b)
	en.Kind = KindString
	if d := en.size() - before; d != 0 {
		tx.ns.bytes.Add(d)
	}
}

// walk visits the namespace's chains in shard i from hash h on, in hash
// order, until fn returns false.
func (tx *Tx) walk(i int, h uint32, fn func(id uint64, head *Entry) bool) {
	if tx.write {
		tx.changed = true
	}
	ns := tx.ns.ID
	snap := tx.write && tx.e.snap.Load() != nil
	tx.e.shards[i].ascend(treeID(ns, h), func(id uint64, head *Entry) bool {
		if nsOf(id) != ns {
			return false
		}
		if snap {
			tx.e.preimage(i, id) // the caller may change what it is handed
		}
		return fn(id, head)
	})
}

// Each calls fn for every live key of the namespace in the locked shards, in
// storage order, until fn returns false. key aliases storage: copy it to keep it.
// Under a walk fn runs under one shard's lock at a time.
func (tx *Tx) Each(fn func(key []byte, en *Entry) bool) {
	for i := range tx.e.shards {
		if !tx.walking && !tx.holds(i) {
			continue
		}
		more := true
		tx.visit(i, 0, func(_ uint64, head *Entry) bool {
			for en := head; en != nil && more; en = tx.e.shards[i].next(en) {
				if tx.live(en) {
					more = fn(unsafeBytes(en.keyString()), en)
				}
			}
			return more
		})
		if !more {
			return
		}
	}
}

// EachKeyBatch calls fn with the names of the namespace's live keys, a
// batch at a time, until fn returns false. Under a walk fn runs with no
// lock held, so what it does with the names (matching a pattern, writing
// a reply) costs other tenants nothing; the names stay valid, as stored
// keys are never changed in place.
func (tx *Tx) EachKeyBatch(fn func(keys [][]byte) bool) {
	var batch [][]byte
	more := true
	flush := func() {
		if len(batch) > 0 && more {
			more = fn(batch)
		}
		batch = batch[:0]
	}
	for i := 0; i < len(tx.e.shards) && more; i++ {
		if !tx.walking && !tx.holds(i) {
			continue
		}
		from := uint32(0)
		for more {
			stopped := tx.visit(i, from, func(id uint64, head *Entry) bool {
				if len(batch) >= walkBatch {
					from = uint32(id)
					return false
				}
				for en := head; en != nil; en = tx.e.shards[i].next(en) {
					if tx.live(en) {
						batch = append(batch, unsafeBytes(en.keyString()))
					}
				}
				return true
			})
			flush()
			if !stopped {
				break
			}
		}
	}
	flush()
}

// EachStored is Each including keys whose TTL passed but that are not
// reclaimed yet: exactly what the namespace's counters count.
func (tx *Tx) EachStored(fn func(key []byte, en *Entry) bool) {
	for i := range tx.e.shards {
		if !tx.walking && !tx.holds(i) {
			continue
		}
		more := true
		tx.visit(i, 0, func(_ uint64, head *Entry) bool {
			for en := head; en != nil && more; en = tx.e.shards[i].next(en) {
				more = fn(unsafeBytes(en.keyString()), en)
			}
			return more
		})
		if !more {
			return
		}
	}
}

// Scan visits at least count keys (whole hash groups) starting at cursor and
// returns the cursor to continue from, 0 when the walk is complete.
func (tx *Tx) Scan(cursor uint64, count int, fn func(key []byte, en *Entry)) uint64 {
	return tx.ScanUntil(cursor, count, func(key []byte, en *Entry) bool {
		fn(key, en)
		return true
	})
}

// ScanUntil is Scan whose fn may end the walk early by returning false: the
// hash group it is in is finished and the cursor returned is the next
// one's, so the caller can bound what one call gathers (COUNT is a hint).
func (tx *Tx) ScanUntil(cursor uint64, count int, fn func(key []byte, en *Entry) bool) uint64 {
	if cursor > 0xFFFFFFFF {
		return 0
	}
	visited := 0
	var next uint64
	from := uint32(cursor)
	more := true
	for i := tx.e.shardOf(from); i < len(tx.e.shards) && next == 0; i++ {
		if !tx.walking && !tx.holds(i) {
			tx.fail("engine: scan outside the command's lock set")
		}
		tx.visit(i, from, func(id uint64, head *Entry) bool {
			if visited >= count || !more {
				next = id & 0xFFFFFFFF
				return false
			}
			for en := head; en != nil; en = tx.e.shards[i].next(en) {
				visited++
				if tx.live(en) && !fn(unsafeBytes(en.keyString()), en) {
					more = false
				}
			}
			return true
		})
		from = 0
	}
	return next
}

// RandomKey returns a random live key of the namespace, or nil.
func (tx *Tx) RandomKey() []byte {
	if tx.ns.Keys() == 0 {
		return nil
	}
	start := rand.Uint32()
	first := tx.e.shardOf(start)
	var found []byte
	for n := 0; n <= len(tx.e.shards) && found == nil; n++ {
		i := (first + n) % len(tx.e.shards)
		if !tx.walking && !tx.holds(i) {
			tx.fail("engine: random key outside the command's lock set")
		}
		from := uint32(0)
		if n == 0 {
			from = start
		}
		tx.visit(i, from, func(_ uint64, head *Entry) bool {
			for en := head; en != nil; en = tx.e.shards[i].next(en) {
				if tx.live(en) {
					found = []byte(en.keyString())
					return false
				}
			}
			return true
		})
	}
	return found
}

// Flush removes every key of the namespace in the locked shards and returns
// how many. Under a walk it removes a batch of chains per hold of a shard's
// lock: every key that existed when it started is gone when it returns; a
// key written meanwhile may survive.
func (tx *Tx) Flush() int {
	tx.mustWrite()
	tx.reserve()
	var doomed []*Entry
	var ids []uint64
	removed := 0
	for i := range tx.e.shards {
		if !tx.walking && !tx.holds(i) {
			continue
		}
		sh := &tx.e.shards[i]
		// Collected, then removed in the same hold once the tree's
		// iteration is over: the tree must not change under it.
		tx.visitThen(i, 0, func(id uint64, head *Entry) bool {
			for en := head; en != nil; en = tx.e.shards[i].next(en) {
				doomed = append(doomed, en)
				ids = append(ids, id)
			}
			return true
		}, func() {
			for j, en := range doomed {
				tx.remove(sh, ids[j], en)
				removed++
			}
			doomed, ids = doomed[:0], ids[:0]
		})
	}
	return removed
}

func unsafeBytes(s string) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return View(s)
}

package engine

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tidwall/btree"
)

// A shard's keys are ordered and indexed by ns<<32 | hash, a plain
// integer (the "tree id", from when a tree held them), so a lookup compares
// integers held inline instead of chasing a string pointer per comparison:
// with many keys that is the difference between one cache miss and a dozen
// per lookup. Keys of one namespace whose 32-bit hashes collide share an id
// as a chain.
//
// Within a shard one namespace's keys are contiguous (KEYS, FLUSHDB) and in
// hash order; the shard is the hash's top bits, so walking shards in order
// visits a namespace in hash order: a SCAN cursor is just the next hash to
// visit, and a key that exists for the whole scan is never skipped, however
// the ids change in between.

// MaxShards bounds the shard count so a lock set fits a fixed bitset.
const MaxShards = 1024

// treeID is the tree id of hash h in namespace ns. The namespace's part is
// its number times an odd constant (a bijection of 32-bit numbers), so
// namespaces created one after another sit all over each shard's tree
// rather than each at its right end: a load that fills tenant after tenant
// (the memory benchmark's tenants row, a restore) then inserts at random
// places, where the tree's leaves end about 70% full, instead of appending,
// where the tree library splits a full leaf in half and never fills its
// left half again (1M ids: 23 MB of tree instead of 13). A namespace's ids
// stay contiguous and in hash order; nsOf gives the namespace back.
func treeID(ns, h uint32) uint64 { return uint64(ns*nsMul)<<32 | uint64(h) }

// nsOf is the namespace of a tree id.
func nsOf(id uint64) uint32 { return uint32(id>>32) * nsMulInverse }

const (
	nsMul        = 0x9E3779B9 // odd: ns*nsMul is a bijection modulo 2^32
	nsMulInverse = 0x144cbc89 // nsMul*nsMulInverse == 1 modulo 2^32
)

// expItem is a deadline in a shard's expiry tree: it stands for every key
// of the chain at id whose expiry is at (usually one). It holds no pointer,
// so the tree's nodes are memory the collector never scans, and it is 16
// bytes instead of 24; the keys are found through the index when it fires.
type expItem struct {
	at int64
	id uint64
}

func expLess(a, b expItem) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.id < b.id
}

type shard struct {
	mu sync.RWMutex
	// items orders the shard's chain ids (SCAN, walks, snapshots); index
	// maps them to their heads. The ordered set holds ids alone, 8 bytes
	// a slot and no pointer for the collector to scan: a walk finds each
	// head through the index, one probe per chain it visits.
	items   idSet
	index   idTable                // the heads of the chains in items, for point lookups
	expires *btree.BTreeG[expItem] // keys with a TTL, soonest first
	// interest counts this shard's keys someone waits on (WATCH, blocked
	// pops): a change elsewhere never looks at another shard's waiters.
	interest atomic.Int64
	// chains holds the successor of each entry whose fChained is set: the
	// keys of one namespace whose 32-bit hashes collide (a seeded hash, so
	// about n²/2³³ of n keys in a namespace, and none chosen by a client).
	// Kept here instead of a pointer in every entry.
	chains map[*Entry]*Entry
	_      [32]byte // keep neighbouring shard locks off one cache line
}

// next is the key after en in its collision chain, nil at its end.
func (sh *shard) next(en *Entry) *Entry {
	if en.flags&fChained == 0 {
		return nil
	}
	return sh.chains[en]
}

// setNext makes nx the key after en in its chain (nil: none).
func (sh *shard) setNext(en, nx *Entry) {
	if nx == nil {
		if en.flags&fChained != 0 {
			delete(sh.chains, en)
			en.flags &^= fChained
		}
		return
	}
	if sh.chains == nil {
		sh.chains = make(map[*Entry]*Entry)
	}
	sh.chains[en] = nx
	en.flags |= fChained
}

// find returns the entry of key in the chain at id, expired or not.
func (sh *shard) find(id uint64, key []byte) *Entry {
	en := sh.index.get(id)
	for ; en != nil; en = sh.next(en) {
		if en.keyString() == string(key) {
			return en
		}
	}
	return nil
}

// addExpire records that the key en of the chain at id expires at en.exp.
func (sh *shard) addExpire(id uint64, en *Entry) { sh.expires.Set(expItem{en.exp, id}) }

// dropExpire removes en's deadline (en.exp, not 0) from the expiry tree,
// unless another key of its chain shares the item.
func (sh *shard) dropExpire(id uint64, en *Entry) {
	for o := sh.index.get(id); o != nil; o = sh.next(o) {
		if o != en && o.exp == en.exp {
			return
		}
	}
	sh.expires.Delete(expItem{en.exp, id})
}

// expiring appends to dst the keys of the chain at id that the expiry item
// {at, id} stands for.
func (sh *shard) expiring(dst []*Entry, it expItem) []*Entry {
	for en := sh.index.get(it.id); en != nil; en = sh.next(en) {
		if en.exp == it.at {
			dst = append(dst, en)
		}
	}
	return dst
}

// ascend calls fn for the chains from id from on, in id order, until fn
// returns false. fn must not add or remove chains of the shard.
func (sh *shard) ascend(from uint64, fn func(id uint64, head *Entry) bool) {
	sh.items.Ascend(from, func(id uint64) bool { return fn(id, sh.index.get(id)) })
}

func (sh *shard) insert(id uint64, en *Entry) {
	if head := sh.index.get(id); head != nil {
		sh.setNext(en, sh.next(head))
		sh.setNext(head, en)
		return
	}
	sh.setNext(en, nil)
	sh.items.Insert(id)
	sh.index.set(id, en)
}

func (sh *shard) unlink(id uint64, en *Entry) {
	head := sh.index.get(id)
	if head == nil {
		return
	}
	if head == en {
		if nx := sh.next(en); nx != nil {
			sh.index.set(id, nx)
		} else {
			sh.items.Delete(id)
			sh.index.delete(id)
		}
		sh.setNext(en, nil)
		return
	}
	for p := head; ; {
		nx := sh.next(p)
		if nx == nil {
			return
		}
		if nx == en {
			sh.setNext(p, sh.next(en))
			sh.setNext(en, nil)
			return
		}
		p = nx
	}
}

// Namespace is one keyspace: a standalone database or a tenant. Its counts
// are exact: every insert, removal and resize goes through the engine.
type Namespace struct {
	ID      uint32
	Name    string
	keys    atomic.Int64
	bytes   atomic.Int64
	expires atomic.Int64
	// maxTTL, when positive, is the longest a key may live after a write
	// that creates it or sets, keeps or removes its TTL, in ms (a tenant
	// plan's max_ttl_seconds).
	maxTTL atomic.Int64
	// peak is the most bytes seen by NotePeak: sampled, not tracked per
	// write, so a write pays nothing for it.
	peak atomic.Int64
	// tracking is how its keys' lru words are kept when its policy is its
	// own (a tenant's plan); evicted counts its keys eviction removed;
	// pool is its eviction candidates (engine/evict.go).
	tracking atomic.Uint32
	evicted  atomic.Int64
	pool     evictPool
}

// NotePeak records the current bytes as the peak if they are more, and
// returns the peak (INFO's used_memory_peak of a tenant).
func (ns *Namespace) NotePeak() int64 {
	cur := ns.bytes.Load()
	for {
		p := ns.peak.Load()
		if cur <= p {
			return p
		}
		if ns.peak.CompareAndSwap(p, cur) {
			return cur
		}
	}
}

// SetMaxTTL sets the namespace's TTL cap in ms (0: none). It is called
// for every command of a tenant, so it writes the shared word only when
// the plan changed.
func (ns *Namespace) SetMaxTTL(ms int64) {
	if ns.maxTTL.Load() != ms {
		ns.maxTTL.Store(ms)
	}
}

// MaxTTL is the namespace's TTL cap in ms, 0 when there is none.
func (ns *Namespace) MaxTTL() int64 { return ns.maxTTL.Load() }

// Keys is the number of keys, including expired ones not yet reclaimed (as Redis counts).
func (ns *Namespace) Keys() int64 { return ns.keys.Load() }

// Bytes is the accounted size of keys and values.
func (ns *Namespace) Bytes() int64 { return ns.bytes.Load() }

// Expires is the number of keys with a TTL.
func (ns *Namespace) Expires() int64 { return ns.expires.Load() }

// Engine holds all namespaces' data.
type Engine struct {
	shards []shard
	shift  uint // hash >> shift is the shard index
	seed   maphash.Seed
	hashFn func([]byte) uint32 // tests force collisions with it

	nsMu   sync.Mutex
	byName map[string]*Namespace
	byID   atomic.Pointer[[]*Namespace]

	// interest counts the keys someone waits on (WATCH, blocked pops), in
	// all shards; while it is zero a change costs one atomic load and no
	// call. It is written only when a wait starts or ends.
	interest atomic.Int64
	notify   func(ns *Namespace, key []byte, shard int, owner any)
	hooks    atomic.Pointer[WriteHooks] // the write hook's requests (engine/writes.go)
	pinned   atomic.Int64               // PinClock: unix ms every transaction sees, 0 when none

	// snap is the running snapshot, nil when none (engine/snapshot.go);
	// flushGate keeps a snapshot's cut out of a flush walk that has
	// taken its place in the order of writes (Tx.reserve to Tx.End).
	snap      atomic.Pointer[Snapshot]
	flushGate sync.RWMutex

	walkHook atomic.Pointer[func(holding bool)] // tests: run between a walk's lock holds

	expiredKeys  atomic.Int64  // reclaimed by TTL, for INFO stats
	evictedKeys  atomic.Int64  // removed by eviction, for INFO stats
	evictedBytes atomic.Int64  // what they accounted
	tracking     atomic.Uint32 // how lru words are kept by default (evict.go)
	ownTracking  atomic.Bool   // some namespace has a policy of its own
	lfu          lfuParams
	skew         atomic.Uint32 // SkewClock: seconds added to the clock
	clock        atomic.Uint32
	start        time.Time
	stop         chan struct{}
	stopOnce     sync.Once
}

// New returns an engine with n shards (rounded up to a power of two, at most
// MaxShards) and starts active expiry.
func New(n int) *Engine {
	if n < 1 {
		n = 1
	}
	if n > MaxShards {
		n = MaxShards
	}
	n = 1 << bits.Len(uint(n-1))
	e := &Engine{
		shards: make([]shard, n),
		shift:  uint(32 - bits.Len(uint(n-1))),
		seed:   maphash.MakeSeed(),
		byName: map[string]*Namespace{},
		start:  time.Now(),
		stop:   make(chan struct{}),
	}
	if n == 1 {
		e.shift = 32
	}
	for i := range e.shards {
		e.shards[i].expires = btree.NewBTreeGOptions(expLess, btree.Options{NoLocks: true})
	}
	e.lfu.logFactor.Store(10)
	e.lfu.decay.Store(1)
	empty := []*Namespace{}
	e.byID.Store(&empty)
	go e.activeExpire()
	return e
}

// OnChange sets the function told about every change to a key (value, TTL,
// removal, expiry, flush) while the key's shard has interest. It runs under
// the key's shard lock, with the shard's index and the changing Tx's Owner
// (nil for active expiry and eviction), so it must not take shard locks
// itself. Set it before serving.
func (e *Engine) OnChange(fn func(ns *Namespace, key []byte, shard int, owner any)) { e.notify = fn }

// AddInterest raises (or, negative, lowers) the number of keys of a shard
// someone listens to; changes there are reported only while it is positive.
// A wait that starts registers under its key's shard lock, so no change to
// the key can slip between the registration and the check in changed.
func (e *Engine) AddInterest(shard int, n int64) {
	e.shards[shard].interest.Add(n)
	e.interest.Add(n)
}

// changed tells the listener about a change to key while someone waits on a
// key of its shard: a write never touches another shard's wait state, and
// pays one hash only while anyone anywhere waits.
func (e *Engine) changed(ns *Namespace, key []byte, owner any) {
	if e.interest.Load() > 0 && e.notify != nil {
		if i := e.ShardOf(key); e.shards[i].interest.Load() > 0 {
			e.notify(ns, key, i, owner)
		}
	}
}

// Close stops background work.
func (e *Engine) Close() { e.stopOnce.Do(func() { close(e.stop) }) }

// CompactIndex packs each shard's ordered ids into one array (see
// idSet.compact), under one shard's lock at a time: about 10 µs a shard
// of 4k keys. The idle release runs it before its collection.
//
// A shard whose lock is held is skipped, not waited for: compacting is
// only worth it when free, and MEMORY PURGE queued in a transaction runs
// while its own EXEC holds shards, where waiting would deadlock the
// shard for every client.
func (e *Engine) CompactIndex() {
	for i := range e.shards {
		sh := &e.shards[i]
		if !sh.mu.TryLock() {
			continue
		}
		sh.items.compact()
		sh.mu.Unlock()
	}
}

// Shards is the shard count.
func (e *Engine) Shards() int { return len(e.shards) }

// ExpiredKeys is how many keys expiry has removed.
func (e *Engine) ExpiredKeys() int64 { return e.expiredKeys.Load() }

// Namespace returns the namespace called name, creating it on first use.
func (e *Engine) Namespace(name string) *Namespace {
	e.nsMu.Lock()
	defer e.nsMu.Unlock()
	if ns, ok := e.byName[name]; ok {
		return ns
	}
	old := *e.byID.Load()
	ns := &Namespace{ID: uint32(len(old)), Name: name}
	e.byName[name] = ns
	// Appended in place while there is room: a reader's slice (Namespaces,
	// expiry, snapshots) never reads past its own length, and the new
	// header is published atomically after the element is written. A copy
	// per namespace made creating n tenants O(n²): 10,000 tenants'
	// first AUTHs allocated 524 MB of lists, each copy under nsMu.
	next := append(old, ns)
	e.byID.Store(&next)
	return ns
}

// Namespaces lists every namespace created so far.
func (e *Engine) Namespaces() []*Namespace { return *e.byID.Load() }

func (e *Engine) hash(key []byte) uint32 {
	if e.hashFn != nil {
		return e.hashFn(key)
	}
	return uint32(maphash.Bytes(e.seed, key) >> 32)
}

func (e *Engine) shardOf(h uint32) int {
	if e.shift >= 32 {
		return 0
	}
	return int(h >> e.shift)
}

// ShardOf is the shard index that holds key.
func (e *Engine) ShardOf(key []byte) int { return e.shardOf(e.hash(key)) }

// unsafeString views b as a string for lookups that do not retain it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// NowMs is the engine clock in unix milliseconds.
func NowMs() int64 { return time.Now().UnixMilli() }

// tick advances the coarse clock used for access times; reading it costs a
// load instead of a time.Now per lookup.
func (e *Engine) tick() {
	e.clock.Store(uint32(time.Since(e.start)/time.Second) + e.skew.Load())
}

// IdleSeconds is how long ago an entry was last accessed.
func (e *Engine) IdleSeconds(en *Entry) int64 {
	now, last := e.clock.Load(), atomic.LoadUint32(&en.lru)
	if now < last {
		return 0
	}
	return int64(now - last)
}

// View returns s's bytes without copying them (matching a stored member
// against a pattern, parsing a stored number); the caller must not change
// them.
func View(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// ResetStats zeroes the engine's counters (CONFIG RESETSTAT).
func (e *Engine) ResetStats() {
	e.expiredKeys.Store(0)
	e.evictedKeys.Store(0)
}

// Interest is the number of keys someone listens to (tests).
func (e *Engine) Interest() int64 { return e.interest.Load() }

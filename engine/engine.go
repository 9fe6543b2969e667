package engine

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tidwall/btree"
)

// A stored key is ns(4 bytes) + hash(4 bytes) + user key, all big-endian, so
// that within a shard one namespace's keys are contiguous (KEYS, FLUSHDB) and
// ordered by hash. The shard is the hash's top bits, so walking shards in
// order and each shard in key order visits a namespace in hash order: a SCAN
// cursor is just the next hash to visit, and a key that exists for the whole
// scan is never skipped, however the tree changes in between.
const prefixLen = 8

// MaxShards bounds the shard count so a lock set fits a fixed bitset.
const MaxShards = 1024

type expItem struct {
	at  int64
	key string // stored key
}

func expLess(a, b expItem) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.key < b.key
}

type shard struct {
	mu      sync.RWMutex
	items   btree.Map[string, *Entry]
	expires *btree.BTreeG[expItem] // keys with a TTL, soonest first
	_       [40]byte               // keep neighbouring shard locks off one cache line
}

// Namespace is one keyspace: a standalone database or a tenant. Its counts
// are exact: every insert, removal and resize goes through the engine.
type Namespace struct {
	ID      uint32
	Name    string
	keys    atomic.Int64
	bytes   atomic.Int64
	expires atomic.Int64
}

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

	nsMu   sync.Mutex
	byName map[string]*Namespace
	byID   atomic.Pointer[[]*Namespace]

	expiredKeys atomic.Int64 // reclaimed by TTL, for INFO stats
	clock       atomic.Uint32
	start       time.Time
	stop        chan struct{}
	stopOnce    sync.Once
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
	empty := []*Namespace{}
	e.byID.Store(&empty)
	go e.activeExpire()
	return e
}

// Close stops background work.
func (e *Engine) Close() { e.stopOnce.Do(func() { close(e.stop) }) }

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
	next := append(old[:len(old):len(old)], ns)
	e.byID.Store(&next)
	return ns
}

// Namespaces lists every namespace created so far.
func (e *Engine) Namespaces() []*Namespace { return *e.byID.Load() }

func (e *Engine) hash(key []byte) uint32 {
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

func appendStored(dst []byte, ns uint32, h uint32, key []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, ns)
	dst = binary.BigEndian.AppendUint32(dst, h)
	return append(dst, key...)
}

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
func (e *Engine) tick() { e.clock.Store(uint32(time.Since(e.start) / time.Second)) }

// IdleSeconds is how long ago an entry was last accessed.
func (e *Engine) IdleSeconds(en *Entry) int64 {
	now, last := e.clock.Load(), atomic.LoadUint32(&en.lru)
	if now < last {
		return 0
	}
	return int64(now - last)
}

func unsafeSlice(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// ResetStats zeroes the engine's counters (CONFIG RESETSTAT).
func (e *Engine) ResetStats() { e.expiredKeys.Store(0) }

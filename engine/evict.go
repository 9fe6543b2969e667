package engine

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Eviction, as Redis approximates it: a key's access time (LRU) or its
// logarithmic access counter (LFU) lives in the entry's one lru word, so
// no entry grows; a victim is chosen by sampling a few keys and keeping
// the best candidates seen so far in a small pool, not by ordering every
// key. Evict removes one key under that key's own shard lock, and the
// caller holds no other lock: eviction never waits behind, nor makes
// anything wait behind, a lock another path needs for longer than one
// removal.

// Policy is a maxmemory policy.
type Policy uint8

const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
)

var policyNames = [...]string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "noeviction"
}

// ParsePolicy reads a policy by its Redis name (lower case).
func ParsePolicy(s string) (Policy, bool) {
	for i, n := range policyNames {
		if n == s {
			return Policy(i), true
		}
	}
	return NoEviction, false
}

// Evicts reports whether the policy removes keys at all.
func (p Policy) Evicts() bool { return p != NoEviction }

// LFU reports whether the policy ranks keys by access frequency.
func (p Policy) LFU() bool { return p == AllKeysLFU || p == VolatileLFU }

// Volatile reports whether the policy takes only keys with a TTL.
func (p Policy) Volatile() bool { return p >= VolatileLRU }

func (p Policy) random() bool { return p == AllKeysRandom || p == VolatileRandom }

// What the lru word holds. Under LRU: the engine clock in seconds at the
// last access. Under LFU (Redis's layout, in the low 24 bits): the last
// decrement time in minutes (16 bits) and the logarithmic counter (8 bits).
// A word written under one kind is read under the other after a live
// policy change; Redis has the same transition and says so in its error
// texts, which OBJECT repeats.
const (
	lfuInitVal  = 5 // a new key's counter, so it is not the first to go
	lfuCountMax = 255
)

// tracking is how the lru word is kept: by access time or by frequency.
const (
	trackDefault uint32 = iota // the engine's (SetTracking)
	trackLRU
	trackLFU
)

// lfuParams are lfu-log-factor and lfu-decay-time.
type lfuParams struct {
	logFactor atomic.Int64
	decay     atomic.Int64 // minutes per counter decrement; 0: no decay
}

// SetLFUParams sets lfu-log-factor and lfu-decay-time (minutes).
func (e *Engine) SetLFUParams(logFactor, decayMinutes int64) {
	e.lfu.logFactor.Store(max(logFactor, 0))
	e.lfu.decay.Store(max(decayMinutes, 0))
}

// SetTracking makes every namespace without a policy of its own keep
// access frequencies (lfu) or access times: the server's maxmemory-policy.
func (e *Engine) SetTracking(lfu bool) {
	m := trackLRU
	if lfu {
		m = trackLFU
	}
	e.tracking.Store(m)
}

// SetNamespaceTracking gives ns a policy of its own (a tenant's plan) for
// how its keys' lru words are kept; NoEviction follows the engine's. It
// is called per command, so it writes only when the policy changed.
func (e *Engine) SetNamespaceTracking(ns *Namespace, p Policy) {
	m := trackDefault
	if p.Evicts() {
		m = trackLRU
		if p.LFU() {
			m = trackLFU
		}
	}
	if ns.tracking.Load() != m {
		if m != trackDefault {
			e.ownTracking.Store(true)
		}
		ns.tracking.Store(m)
	}
}

// TracksLFU reports whether the namespace's keys keep access frequencies.
func (e *Engine) TracksLFU(ns *Namespace) bool { return e.trackingOf(ns) == trackLFU }

func (e *Engine) trackingOf(ns *Namespace) uint32 {
	// Until a namespace has a policy of its own (standalone servers never
	// do), a read touches no namespace's line, which writes keep hot with
	// their counters.
	if ns != nil && e.ownTracking.Load() {
		if m := ns.tracking.Load(); m != trackDefault {
			return m
		}
	}
	return e.tracking.Load()
}

// minutes is the engine clock in minutes, as the 16 bits LFU keeps.
func (e *Engine) minutes() uint32 { return (e.clock.Load() / 60) & 0xFFFF }

// lfuElapsed is the minutes since ldt, across the 16-bit wrap.
func (e *Engine) lfuElapsed(ldt uint32) uint32 {
	now := e.minutes()
	if now >= ldt {
		return now - ldt
	}
	return 0xFFFF - ldt + now
}

// lfuDecayed is the counter of word after its decay: one less per
// lfu-decay-time minutes since it was last decremented.
func (e *Engine) lfuDecayed(word uint32) uint32 {
	ldt, counter := (word>>8)&0xFFFF, word&0xFF
	if d := e.lfu.decay.Load(); d > 0 {
		periods := int64(e.lfuElapsed(ldt)) / d
		if periods >= int64(counter) {
			return 0
		}
		counter -= uint32(periods)
	}
	return counter
}

// lfuIncr raises counter with a probability that falls as it grows (1 in
// counter*lfu-log-factor+1 past its initial value), so 255 stands for
// about a million accesses at the default factor.
func (e *Engine) lfuIncr(counter uint32) uint32 {
	if counter == lfuCountMax {
		return counter
	}
	base := float64(counter) - lfuInitVal
	if base < 0 {
		base = 0
	}
	if rand.Float64() < 1/(base*float64(e.lfu.logFactor.Load())+1) {
		counter++
	}
	return counter
}

// initialLRU is the lru word of a key just created in ns.
func (e *Engine) initialLRU(ns *Namespace) uint32 {
	if e.trackingOf(ns) == trackLFU {
		return e.minutes()<<8 | lfuInitVal
	}
	return e.clock.Load()
}

// touchLFU counts one access to en. Readers under a shared lock may race
// on the word; an access lost that way is within what the approximation
// already loses, and the word is always one whole store.
func (e *Engine) touchLFU(en *Entry) {
	c := e.lfuIncr(e.lfuDecayed(atomic.LoadUint32(&en.lru)))
	atomic.StoreUint32(&en.lru, e.minutes()<<8|c)
}

// Freq is OBJECT FREQ: the key's counter after decay.
func (e *Engine) Freq(en *Entry) int64 { return int64(e.lfuDecayed(atomic.LoadUint32(&en.lru))) }

// SetAccess sets a key's access time idle seconds ago, or its counter
// (RESTORE ... IDLETIME / FREQ); the one that does not match how the
// namespace tracks keys is ignored, as Redis does.
func (e *Engine) SetAccess(ns *Namespace, en *Entry, idle int64, freq int64) {
	lfu := e.trackingOf(ns) == trackLFU
	switch {
	case lfu && freq >= 0:
		atomic.StoreUint32(&en.lru, e.minutes()<<8|uint32(min(freq, lfuCountMax)))
	case !lfu && idle >= 0:
		now := int64(e.clock.Load())
		atomic.StoreUint32(&en.lru, uint32(max(now-idle, 0)))
	}
}

// SkewClock moves the engine clock forward by sec seconds (tests: idle
// times and LFU decay without waiting).
func (e *Engine) SkewClock(sec uint32) {
	e.skew.Add(sec)
	e.tick()
}

// evictPoolSize is how many candidates a pool keeps, Redis's EVPOOL_SIZE.
const evictPoolSize = 16

type candidate struct {
	ns    *Namespace
	key   string // stored keys are never changed in place: no copy needed
	score uint64 // higher goes first
}

// evictPool keeps the best candidates across evictions, so each eviction
// profits from the samples of those before it.
type evictPool struct {
	mu    sync.Mutex
	cands []candidate // ascending by score
}

func (p *evictPool) offer(c candidate) {
	for _, o := range p.cands {
		if o.ns == c.ns && o.key == c.key {
			return
		}
	}
	if len(p.cands) == evictPoolSize {
		if c.score <= p.cands[0].score {
			return
		}
		p.cands = p.cands[1:]
	}
	i := len(p.cands)
	for i > 0 && p.cands[i-1].score > c.score {
		i--
	}
	p.cands = append(p.cands, candidate{})
	copy(p.cands[i+1:], p.cands[i:])
	p.cands[i] = c
}

// score ranks en for eviction under p: higher goes first.
func (e *Engine) score(p Policy, en *Entry) uint64 {
	switch p {
	case VolatileTTL:
		return math.MaxUint64 - uint64(en.exp) // soonest deadline first
	case AllKeysLFU, VolatileLFU:
		return uint64(lfuCountMax - e.lfuDecayed(atomic.LoadUint32(&en.lru)))
	default:
		now, last := e.clock.Load(), atomic.LoadUint32(&en.lru)
		if now < last {
			return 0
		}
		return uint64(now - last)
	}
}

// sampleScan bounds how many entries one sample walks past looking for
// keys with a TTL among keys without.
const sampleScan = 64

// sample calls fn for up to n keys of ns from a random place in its hash
// order (keys hash at random, so consecutive keys are a random sample),
// only keys with a TTL when volatile. Each shard is read under its shared
// lock for the few entries taken from it.
func (e *Engine) sample(ns *Namespace, n int, volatile bool, fn func(en *Entry)) {
	start := rand.Uint32()
	first := e.shardOf(start)
	taken, seen := 0, 0
	for k := 0; k <= len(e.shards) && taken < n && seen < n*sampleScan; k++ {
		i := (first + k) % len(e.shards)
		from := uint32(0)
		if k == 0 {
			from = start
		}
		sh := &e.shards[i]
		sh.mu.RLock()
		sh.ascend(treeID(ns.ID, from), func(id uint64, head *Entry) bool {
			if nsOf(id) != ns.ID {
				return false
			}
			for en := head; en != nil; en = sh.next(en) {
				seen++
				if !volatile || en.exp != 0 {
					fn(en)
					taken++
				}
			}
			return taken < n && seen < n*sampleScan
		})
		sh.mu.RUnlock()
	}
	if volatile && taken == 0 && ns.expires.Load() > 0 {
		e.sampleExpires(ns, n, fn)
	}
}

// sampleExpires finds keys of ns with a TTL through the shards' deadline
// trees, from random places, for a namespace whose TTL keys are too rare
// among its keys for sample to meet them. It looks at a bounded number of
// items, so another namespace's many TTL keys cost it time, never a key.
func (e *Engine) sampleExpires(ns *Namespace, n int, fn func(en *Entry)) {
	taken, seen := 0, 0
	first := rand.IntN(len(e.shards))
	for k := 0; k < len(e.shards) && taken < n && seen < n*sampleScan*4; k++ {
		sh := &e.shards[(first+k)%len(e.shards)]
		sh.mu.RLock()
		if l := sh.expires.Len(); l > 0 {
			pivot, _ := sh.expires.GetAt(rand.IntN(l))
			var due [4]*Entry
			visit := func(it expItem) bool {
				seen++
				if nsOf(it.id) == ns.ID {
					for _, en := range sh.expiring(due[:0], it) {
						fn(en)
						taken++
					}
				}
				return taken < n && seen < n*sampleScan*4
			}
			sh.expires.Ascend(pivot, visit)
			if taken < n {
				sh.expires.Descend(pivot, visit)
			}
		}
		sh.mu.RUnlock()
	}
}

// Evict removes one key of the namespaces in nss chosen by policy p from
// samples keys of each, and reports how many bytes it freed and whether
// it found one: false when none of them holds a key p may take. The
// caller must hold no shard lock. The key is removed as expiry removes
// one: waiters on it are told, and the write hook hears of it
// (WriteHooks.Evicted).
func (e *Engine) Evict(nss []*Namespace, p Policy, samples int) (int64, bool) {
	if !p.Evicts() || len(nss) == 0 {
		return 0, false
	}
	samples = max(samples, 1)
	pool := &nss[0].pool
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for attempt := 0; attempt < 4; attempt++ {
		var pick []candidate
		any := false
		for _, ns := range nss {
			if ns.keys.Load() == 0 || (p.Volatile() && ns.expires.Load() == 0) {
				continue
			}
			any = true
			if p.random() {
				e.sample(ns, 1, p.Volatile(), func(en *Entry) {
					pick = append(pick, candidate{ns: ns, key: en.keyString()})
				})
				continue
			}
			e.sample(ns, samples, p.Volatile(), func(en *Entry) {
				pool.offer(candidate{ns: ns, key: en.keyString(), score: e.score(p, en)})
			})
		}
		if !any {
			pool.cands = pool.cands[:0]
			return 0, false
		}
		if p.random() {
			if len(pick) > 0 {
				c := pick[rand.IntN(len(pick))]
				if freed, ok := e.evictKey(c.ns, c.key, p); ok {
					return freed, true
				}
			}
			continue
		}
		for len(pool.cands) > 0 {
			c := pool.cands[len(pool.cands)-1]
			pool.cands[len(pool.cands)-1] = candidate{}
			pool.cands = pool.cands[:len(pool.cands)-1]
			if !slicesContains(nss, c.ns) {
				continue // left by an eviction for other namespaces
			}
			if freed, ok := e.evictKey(c.ns, c.key, p); ok {
				return freed, true
			}
		}
	}
	return 0, false
}

func slicesContains(nss []*Namespace, ns *Namespace) bool {
	for _, n := range nss {
		if n == ns {
			return true
		}
	}
	return false
}

// evictKey removes key from ns if it is still there and p may take it.
func (e *Engine) evictKey(ns *Namespace, key string, p Policy) (int64, bool) {
	kb := unsafe.Slice(unsafe.StringData(key), len(key))
	h := e.hash(kb)
	i := e.shardOf(h)
	sh := &e.shards[i]
	id := treeID(ns.ID, h)
	sh.mu.Lock()
	defer func() {
		sh.mu.Unlock()
		e.runWalkHook(false) // tests: nothing is held here
	}()
	en := sh.find(id, kb)
	if en == nil || (p.Volatile() && en.exp == 0) {
		return 0, false
	}
	e.preimage(i, id) // a snapshot running keeps the key as it was at its cut
	e.snapCheck(i, id)
	sh.unlink(id, en)
	e.changed(ns, kb, nil)
	if en.exp != 0 {
		sh.dropExpire(id, en)
		ns.expires.Add(-1)
	}
	ns.keys.Add(-1)
	ns.bytes.Add(-en.size())
	ns.evicted.Add(1)
	e.evictedKeys.Add(1)
	e.evictedBytes.Add(en.size())
	if hk := e.hooks.Load(); hk != nil && hk.Evicted != nil {
		hk.Evicted(ns, kb, e.now())
	}
	return en.size(), true
}

// EvictedKeys is how many keys eviction has removed.
func (e *Engine) EvictedKeys() int64 { return e.evictedKeys.Load() }

// EvictedBytes is what the keys eviction removed accounted.
func (e *Engine) EvictedBytes() int64 { return e.evictedBytes.Load() }

// Evicted is how many of the namespace's keys eviction has removed.
func (ns *Namespace) Evicted() int64 { return ns.evicted.Load() }

package commands

import (
	"sync"
	"sync/atomic"

	"synap/engine"
)

// keyWaits tracks the keys someone is waiting on: clients that WATCH them
// and clients blocked in BLPOP-like commands. The engine reports every
// change to such a key (value, TTL, removal, expiry, flush) through
// changed, under the key's shard lock. The records are split like the
// engine's shards, each part under its own mutex, so a write only ever
// touches the wait state of its own shard: one tenant's idle BLPOP or WATCH
// no longer puts every other tenant's writes behind one server-wide mutex.
// Nothing here takes a shard lock, so the lock order is always shard lock,
// then a part's mu, then readyMu.
type keyWaits struct {
	parts []waitPart // one per engine shard
	// ready lists keys with blocked clients that changed since the last
	// drain; readyN lets every command check for it with one atomic load.
	// Only a change to a key with blocked clients takes readyMu.
	readyMu sync.Mutex
	ready   []waitKey
	readyN  atomic.Int32
	eng     *engine.Engine
	// track is client tracking's state (tracking.go): its tracked keys are
	// interests here, invalidated from changed.
	track *trackRegistry
}

type waitPart struct {
	mu   sync.Mutex
	keys map[waitKey]*keyInterest
	// n is len(keys), read without mu: a change to a shard whose part
	// holds nothing (its interest is only BCAST's) takes no mutex.
	n atomic.Int32
	_ [44]byte // parts of neighbouring shards on their own cache lines
}

type waitKey struct {
	ns  uint32
	key string
}

type keyInterest struct {
	watchers []*Client
	waiters  []*waiter // in arrival order
	// trackers are the clients that read the key with CLIENT TRACKING on
	// (default mode): the key's next change invalidates it for each of
	// them, once.
	trackers []*trackState
	queued   bool    // in ready
	k        waitKey // the key this records
}

func newKeyWaits(e *engine.Engine, track *trackRegistry) *keyWaits {
	kw := &keyWaits{parts: make([]waitPart, e.Shards()), eng: e, track: track}
	for i := range kw.parts {
		kw.parts[i].keys = map[waitKey]*keyInterest{}
	}
	e.OnChange(kw.changed)
	return kw
}

// part returns the shard index of k and its part.
func (kw *keyWaits) part(k waitKey) (int, *waitPart) {
	i := kw.eng.ShardOf(engine.View(k.key))
	return i, &kw.parts[i]
}

func (kw *keyWaits) changed(ns *engine.Namespace, key []byte, shard int, owner any) {
	by, _ := owner.(*Client)
	if kw.track.bcasting.Load() > 0 {
		kw.track.broadcast(ns.ID, key, by)
	}
	p := &kw.parts[shard]
	if p.n.Load() == 0 {
		return // a record is added under the key's shard lock, held here
	}
	p.mu.Lock()
	k := waitKey{ns.ID, string(key)}
	in := p.keys[k]
	if in != nil {
		if len(in.trackers) > 0 {
			kw.track.invalidate(in.trackers, in, by)
			clear(in.trackers)
			in.trackers = in.trackers[:0]
			kw.track.keys.Add(-1)
			kw.release(shard, p, k, in)
		}
		for _, c := range in.watchers {
			c.watchDirty.Store(true)
		}
		if len(in.waiters) > 0 && !in.queued {
			in.queued = true
			kw.readyMu.Lock()
			kw.ready = append(kw.ready, waitKey{ns.ID, string(key)})
			kw.readyN.Store(1)
			kw.readyMu.Unlock()
		}
	}
	p.mu.Unlock()
}

// interest returns k's record in part i, creating it; the caller holds
// the part's mu.
func (kw *keyWaits) interest(i int, p *waitPart, k waitKey) *keyInterest {
	in := p.keys[k]
	if in == nil {
		in = &keyInterest{k: k}
		p.keys[k] = in
		p.n.Add(1)
		kw.eng.AddInterest(i, 1)
	}
	return in
}

// release drops k's record once nobody waits on it; the caller holds the
// part's mu.
func (kw *keyWaits) release(i int, p *waitPart, k waitKey, in *keyInterest) {
	if len(in.watchers) == 0 && len(in.waiters) == 0 && len(in.trackers) == 0 {
		delete(p.keys, k)
		p.n.Add(-1)
		kw.eng.AddInterest(i, -1)
	}
}

// addWaiter queues w on k.
func (kw *keyWaits) addWaiter(k waitKey, w *waiter) {
	i, p := kw.part(k)
	p.mu.Lock()
	in := kw.interest(i, p, k)
	in.waiters = append(in.waiters, w)
	p.mu.Unlock()
}

// unblock removes w from every key it waits on.
func (kw *keyWaits) unblock(w *waiter) {
	for _, k := range w.keys {
		i, p := kw.part(k)
		p.mu.Lock()
		if in := p.keys[k]; in != nil {
			in.waiters = removeItem(in.waiters, w)
			kw.release(i, p, k, in)
		}
		p.mu.Unlock()
	}
}

// watch adds c as a watcher of k.
func (kw *keyWaits) watch(c *Client, k waitKey) {
	i, p := kw.part(k)
	p.mu.Lock()
	in := kw.interest(i, p, k)
	in.watchers = append(in.watchers, c)
	p.mu.Unlock()
}

// unwatch removes c from the watchers of keys.
func (kw *keyWaits) unwatch(c *Client, keys []watched) {
	for _, w := range keys {
		i, p := kw.part(w.k)
		p.mu.Lock()
		if in := p.keys[w.k]; in != nil {
			in.watchers = removeItem(in.watchers, c)
			kw.release(i, p, w.k, in)
		}
		p.mu.Unlock()
	}
}

func removeItem[T comparable](s []T, v T) []T {
	for i, x := range s {
		if x == v {
			copy(s[i:], s[i+1:])
			var zero T
			s[len(s)-1] = zero
			return s[:len(s)-1]
		}
	}
	return s
}

// takeReady returns the keys that became ready since the last call.
//
// A key is marked unqueued only after it left the list: a change in
// between finds it still queued and adds nothing, which is right, since
// the caller serves the key after this returns and so sees that change.
func (kw *keyWaits) takeReady(buf []waitKey) []waitKey {
	kw.readyMu.Lock()
	buf = append(buf[:0], kw.ready...)
	kw.ready = kw.ready[:0]
	kw.readyN.Store(0)
	kw.readyMu.Unlock()
	for _, k := range buf {
		_, p := kw.part(k)
		p.mu.Lock()
		if in := p.keys[k]; in != nil {
			in.queued = false
		}
		p.mu.Unlock()
	}
	return buf
}

// nextWaiter is the longest-waiting client still blocked on k that comes
// after prev in line (from the head when prev is nil or gone).
func (kw *keyWaits) nextWaiter(k waitKey, prev *waiter) *waiter {
	_, p := kw.part(k)
	p.mu.Lock()
	defer p.mu.Unlock()
	in := p.keys[k]
	if in == nil {
		return nil
	}
	from := 0
	if prev != nil {
		for i, w := range in.waiters {
			if w == prev {
				from = i + 1
				break
			}
		}
	}
	for _, w := range in.waiters[from:] {
		st := w.state.Load()
		if st == waitParking {
			// Not servable yet: its own re-check will serve it, from the
			// key ready first. Loaded again after the note, so that either
			// that re-check sees the note or this sees it waiting.
			key := k.key
			w.firstReady.CompareAndSwap(nil, &key)
			st = w.state.Load()
		}
		if st == waitWaiting {
			return w
		}
	}
	return nil
}

// records counts the keys someone waits on, across all parts (tests).
func (kw *keyWaits) records() int {
	n := 0
	for i := range kw.parts {
		p := &kw.parts[i]
		p.mu.Lock()
		n += len(p.keys)
		p.mu.Unlock()
	}
	return n
}

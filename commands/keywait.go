package commands

import (
	"sync"
	"sync/atomic"

	"synap/engine"
)

// keyWaits tracks the keys someone is waiting on: clients that WATCH them
// and clients blocked in BLPOP-like commands. The engine reports every
// change to such a key (value, TTL, removal, expiry, flush) through
// changed, under the key's shard lock; nothing here takes a shard lock, so
// the lock order is always shard lock, then mu.
type keyWaits struct {
	mu   sync.Mutex
	keys map[waitKey]*keyInterest
	// ready lists keys with blocked clients that changed since the last
	// drain; readyN lets every command check for it with one atomic load.
	ready  []waitKey
	readyN atomic.Int32
	eng    *engine.Engine
}

type waitKey struct {
	ns  uint32
	key string
}

type keyInterest struct {
	watchers []*Client
	waiters  []*waiter // in arrival order
	queued   bool      // in ready
}

func newKeyWaits(e *engine.Engine) *keyWaits {
	kw := &keyWaits{keys: map[waitKey]*keyInterest{}, eng: e}
	e.OnChange(kw.changed)
	return kw
}

func (kw *keyWaits) changed(ns *engine.Namespace, key []byte) {
	kw.mu.Lock()
	in := kw.keys[waitKey{ns.ID, string(key)}]
	if in != nil {
		for _, c := range in.watchers {
			c.watchDirty.Store(true)
		}
		if len(in.waiters) > 0 && !in.queued {
			in.queued = true
			kw.ready = append(kw.ready, waitKey{ns.ID, string(key)})
			kw.readyN.Store(1)
		}
	}
	kw.mu.Unlock()
}

// interest returns k's record, creating it; the caller holds mu.
func (kw *keyWaits) interest(k waitKey) *keyInterest {
	in := kw.keys[k]
	if in == nil {
		in = &keyInterest{}
		kw.keys[k] = in
		kw.eng.AddInterest(1)
	}
	return in
}

// release drops k's record once nobody waits on it; the caller holds mu.
func (kw *keyWaits) release(k waitKey, in *keyInterest) {
	if len(in.watchers) == 0 && len(in.waiters) == 0 {
		delete(kw.keys, k)
		kw.eng.AddInterest(-1)
	}
}

// watch adds c as a watcher of k.
func (kw *keyWaits) watch(c *Client, k waitKey) {
	kw.mu.Lock()
	in := kw.interest(k)
	in.watchers = append(in.watchers, c)
	kw.mu.Unlock()
}

// unwatch removes c from the watchers of keys.
func (kw *keyWaits) unwatch(c *Client, keys []watched) {
	kw.mu.Lock()
	for _, w := range keys {
		if in := kw.keys[w.k]; in != nil {
			in.watchers = removeItem(in.watchers, c)
			kw.release(w.k, in)
		}
	}
	kw.mu.Unlock()
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
func (kw *keyWaits) takeReady(buf []waitKey) []waitKey {
	kw.mu.Lock()
	buf = append(buf[:0], kw.ready...)
	for _, k := range kw.ready {
		if in := kw.keys[k]; in != nil {
			in.queued = false
		}
	}
	kw.ready = kw.ready[:0]
	kw.readyN.Store(0)
	kw.mu.Unlock()
	return buf
}

// nextWaiter is the longest-waiting client still blocked on k that comes
// after prev in line (from the head when prev is nil or gone).
func (kw *keyWaits) nextWaiter(k waitKey, prev *waiter) *waiter {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	in := kw.keys[k]
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
		if w.state.Load() == waitWaiting {
			return w
		}
	}
	return nil
}

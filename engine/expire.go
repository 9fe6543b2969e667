package engine

import "time"

const (
	expireHz          = 10  // cycles per second, Redis's default hz
	expirePerShard    = 200 // keys reclaimed per shard per pass, so no lock is held long
	expireCycleBudget = 25 * time.Millisecond
)

// activeExpire reclaims keys whose TTL passed even if nobody touches them.
// Redis samples random keys with a TTL; each shard here keeps its TTL keys
// ordered by deadline, so a pass reclaims exactly the expired ones, soonest
// first, without sampling.
func (e *Engine) activeExpire() {
	t := time.NewTicker(time.Second / expireHz)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		e.tick()
		deadline := time.Now().Add(expireCycleBudget)
		for more := true; more && time.Now().Before(deadline); {
			more = false
			for i := range e.shards {
				if e.expireShard(i, e.now()) {
					more = true
				}
			}
		}
	}
}

// ReclaimExpired runs one full pass immediately (tests, DEBUG).
func (e *Engine) ReclaimExpired() {
	for i := range e.shards {
		for e.expireShard(i, e.now()) {
		}
	}
}

// expireShard reclaims up to expirePerShard keys and reports whether more are due.
func (e *Engine) expireShard(i int, now int64) bool {
	sh := &e.shards[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	byID := *e.byID.Load()
	var due [4]*Entry
	for n := 0; n < expirePerShard; n++ {
		it, ok := sh.expires.Min()
		if !ok || it.at > now {
			return false
		}
		e.preimage(i, it.id) // a snapshot running keeps the key as it was at its cut
		sh.expires.Delete(it)
		e.snapCheck(i, it.id)
		ns := byID[nsOf(it.id)]
		for _, en := range sh.expiring(due[:0], it) {
			sh.unlink(it.id, en)
			ns.expires.Add(-1)
			ns.keys.Add(-1)
			ns.bytes.Add(-en.size())
			e.expiredKeys.Add(1)
			e.changed(ns, unsafeBytes(en.keyString()), nil)
			e.expired(ns, unsafeBytes(en.keyString()), now)
		}
	}
	return true
}

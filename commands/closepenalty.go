package commands

import (
	"sync"
	"time"

	"synap/tenant"
)

// A tenant whose connections keep being closed for protocol errors (a
// 100 MB argument over its payload limit, garbage instead of RESP)
// reconnects as fast as it is closed: each round costs the server an
// accept, a session, an AUTH, the data the kernel took in before the
// refusal and a close with a reset, about a core's worth for 20 sockets,
// which every other tenant's requests queued behind. So each such close
// makes the tenant's next authentication wait, from penaltyFloor doubling
// to penaltyCeil, halving for every second without one. A client that
// sends one oversized value now and then waits a millisecond once; a
// loop of them is held to a few rounds a second per connection.
const (
	penaltyFloor = time.Millisecond
	penaltyCeil  = time.Second
)

// closePenalties holds only the tenants penalised lately: an entry goes
// once its wait has decayed to nothing, when its tenant authenticates
// again or, for one that never does, at a sweep (sweepAbove).
type closePenalties struct {
	mu    sync.Mutex
	m     map[*tenant.Tenant]*closePenalty
	swept time.Time
}

// sweepAbove is the number of entries from which a new close first drops
// the decayed ones (at most once a second): each is a few dozen bytes,
// and tenants that stop connecting would otherwise keep theirs.
const sweepAbove = 256

type closePenalty struct {
	wait time.Duration
	at   time.Time // of the last close
}

// decayed is the wait at now: halved for every whole second since at.
func (p *closePenalty) decayed(now time.Time) time.Duration {
	halvings := now.Sub(p.at) / time.Second
	if halvings >= 31 {
		return 0
	}
	w := p.wait >> uint(max(halvings, 0))
	if w < penaltyFloor/2 {
		return 0
	}
	return w
}

// closed records that t's connection was closed for a protocol error.
func (cp *closePenalties) closed(t *tenant.Tenant, now time.Time) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.m == nil {
		cp.m = make(map[*tenant.Tenant]*closePenalty)
	}
	if len(cp.m) >= sweepAbove && now.Sub(cp.swept) >= time.Second {
		cp.swept = now
		for k, p := range cp.m {
			if p.decayed(now) == 0 {
				delete(cp.m, k)
			}
		}
	}
	p := cp.m[t]
	if p == nil {
		p = &closePenalty{}
		cp.m[t] = p
	}
	p.wait = min(max(2*p.decayed(now), penaltyFloor), penaltyCeil)
	p.at = now
}

// wait is how long t's next authentication waits at now.
func (cp *closePenalties) wait(t *tenant.Tenant, now time.Time) time.Duration {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	p := cp.m[t]
	if p == nil {
		return 0
	}
	w := p.decayed(now)
	if w == 0 {
		delete(cp.m, t)
	}
	return w
}

// AuthPenalty is how long the connection of c, just authenticated, waits
// before its reply: its tenant's connections were closed for protocol
// errors lately (closePenalties). The transport waits holding nothing.
func (s *Server) AuthPenalty(c *Session) time.Duration {
	if c.T == nil {
		return 0
	}
	return s.penalties.wait(c.T, time.Now())
}

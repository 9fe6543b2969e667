package commands

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"synap/tenant"
)

// authority is the server-wide state of who may act: the per-address
// throttle of failed AUTHs and the watch that ends parked clients whose key
// changed (blocking.go).
type authority struct {
	throttle authThrottle
	dirWatch dirWatch
}

// Failed AUTHs are throttled per remote address, not per connection: a
// guesser reconnects for free, and with HiveHub each distinct guess would
// otherwise be one HiveHub call. The first authThrottleFree failures of an
// address cost nothing (a mistyped key, a client retrying); each one after
// that refuses AUTH from the address, without asking the directory, for a
// time that doubles from authThrottleBase up to authThrottleMax. An
// address's count is forgotten authThrottleWindow after its last failure,
// so a legitimate client behind the same address is never locked out for
// longer than that. A successful AUTH does not reset the count: a guesser
// holding one valid key of its own could otherwise interleave it with its
// guesses.
const (
	authThrottleFree    = 10
	authThrottleBase    = 100 * time.Millisecond
	authThrottleMax     = 30 * time.Second
	authThrottleWindow  = 2 * authThrottleMax
	authThrottleEntries = 10000 // addresses remembered at most
	authThrottleSample  = 16    // entries looked at to make room for a new one
)

// resolveThrottled resolves an AUTH's key under the address throttle. A
// throttled address is refused before the directory is asked, since with
// HiveHub every distinct guess would be a call; but clients behind one NAT
// or proxy share an address, and refusing them all would let one guesser
// lock out an office. So a throttled address still gets the answer the
// directory holds in memory for a key known valid (the tenants file, or
// HiveHub's cached positive answers): that costs no call and admits no
// guess that the directory would refuse. A key not in memory, or known
// wrong, is refused with the throttle's error, the same text for both.
// The throttled refusal is returned as refused.
func (s *Server) resolveThrottled(c *Client, key []byte) (p *tenant.Principal, refused string, err error) {
	if wait := s.authz.throttle.wait(throttleAddr(c.Addr), time.Now()); wait > 0 {
		if p, err = s.Dir.ResolveCached(string(key)); err != nil {
			return nil, authThrottledErr(wait), nil
		}
		return p, "", nil
	}
	ctx, cancel := context.WithTimeout(c.context(), resolveTimeout)
	defer cancel()
	p, err = s.Dir.Resolve(ctx, string(key))
	return p, "", err
}

// authThrottledErr is the reply to an AUTH refused because its address
// failed too often; it tells when to try again.
func authThrottledErr(wait time.Duration) string {
	ms := (wait + time.Millisecond - 1) / time.Millisecond
	return fmt.Sprintf(errAuthThrottled, ms)
}

type authThrottle struct {
	mu    sync.Mutex
	addrs map[string]*authFailures
}

type authFailures struct {
	n     int       // failures since the count was last forgotten
	last  time.Time // of the latest failure
	until time.Time // AUTH from the address is refused before this
}

// wait is how long AUTH from addr is still refused (0: not refused).
func (a *authThrottle) wait(addr string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.addrs[addr]
	if e == nil {
		return 0
	}
	if now.Sub(e.last) > authThrottleWindow {
		delete(a.addrs, addr)
		return 0
	}
	if now.Before(e.until) {
		return e.until.Sub(now)
	}
	return 0
}

// failed counts a wrong key sent from addr.
func (a *authThrottle) failed(addr string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.addrs == nil {
		a.addrs = map[string]*authFailures{}
	}
	e := a.addrs[addr]
	if e == nil {
		if len(a.addrs) >= authThrottleEntries {
			a.makeRoom(now)
		}
		e = &authFailures{}
		a.addrs[addr] = e
	}
	if now.Sub(e.last) > authThrottleWindow {
		e.n = 0
	}
	e.n++
	e.last = now
	if over := e.n - authThrottleFree; over > 0 {
		d := authThrottleMax
		if over <= 20 {
			d = min(authThrottleBase<<(over-1), authThrottleMax)
		}
		e.until = now.Add(d)
	}
}

// makeRoom drops entries so a new address fits: every forgotten one among
// a sample, or else the sampled one that failed longest ago. Map iteration
// starts at a random place, so the sample differs from call to call; the
// table never holds more than authThrottleEntries addresses whatever the
// number of addresses guessing.
func (a *authThrottle) makeRoom(now time.Time) {
	var oldest string
	var oldestAt time.Time
	seen, freed := 0, false
	for addr, e := range a.addrs {
		if now.Sub(e.last) > authThrottleWindow {
			delete(a.addrs, addr)
			freed = true
		} else if oldest == "" || e.last.Before(oldestAt) {
			oldest, oldestAt = addr, e.last
		}
		if seen++; seen >= authThrottleSample {
			break
		}
	}
	if !freed && oldest != "" {
		delete(a.addrs, oldest)
	}
}

// size is the number of addresses remembered.
func (a *authThrottle) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.addrs)
}

// throttleAddr is what failures are counted under: the remote IP without
// its port, and for IPv6 its /64, which one host usually holds whole.
func throttleAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

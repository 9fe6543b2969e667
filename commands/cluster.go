package commands

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	"synap/resp"
	"synap/tenant"
)

// NoPermErr is Redis's ACL text, naming the access key's id.
func NoPermErr(keyID, command string) string {
	return fmt.Sprintf(errNoPerm, keyID, command)
}

// SurfaceErr refuses a key restricted to other surfaces than surface.
func SurfaceErr(keyID string, surface tenant.Surface) string {
	return fmt.Sprintf(errSurface, keyID, surface.String())
}

// authRequired reports whether connections must authenticate.
func (s *Server) authRequired() bool {
	cfg := s.Config()
	return cfg.RequirePass != "" || cfg.ClusterMode
}

// resolveTimeout bounds a directory lookup on the AUTH path.
const resolveTimeout = 3 * time.Second

// authCluster binds c to the principal behind key: the operator's key, or a
// tenant's access key from the directory.
func (s *Server) authCluster(c *Client, key []byte) string {
	cfg := s.Config()
	if cfg.AdminKey != "" && secretEqual(key, cfg.AdminKey) {
		s.bind(c, &tenant.Principal{Operator: true, KeyID: "operator"}, "", 0)
		return ""
	}
	if s.Dir == nil {
		return ErrControlPlane
	}
	ctx, cancel := context.WithTimeout(c.context(), resolveTimeout)
	defer cancel()
	gen := s.Dir.Generation() // before the answer: a change after it is seen
	p, refused, err := s.resolveThrottled(c, key)
	if refused != "" {
		return refused
	}
	switch {
	case errors.Is(err, tenant.ErrUnknownKey):
		return resp.ErrWrongPass
	case err != nil:
		s.Log.Error("access key lookup failed", "addr", c.Addr, "err", err)
		return ErrControlPlane
	case !p.AllowsSurface(c.surface):
		s.Tenants.Get(p.UserID).Rejected(tenant.RejectSurface)
		return SurfaceErr(p.KeyID, c.surface)
	}
	t := s.Tenants.Get(p.UserID)
	if c.T != t {
		s.refreshLimits(ctx, t, p)
		if lim := t.Limits().MaxConnections; lim > 0 {
			if n := t.Connections.Load(); n >= lim {
				t.Rejected(tenant.RejectConnections)
				return fmt.Sprintf(errQuotaConnections, n, lim)
			}
		}
	}
	s.bind(c, p, string(key), gen)
	return ""
}

// secretEqual compares in time independent of where the inputs differ.
func secretEqual(got []byte, want string) bool {
	a, b := sha256.Sum256(got), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// bind attaches c to principal p (re-AUTH with another key rebinds), as
// resolved when the directory was at generation gen: a revocation during
// the lookups here (refreshLimits may take seconds) moves the generation
// past gen, and the next command re-checks.
func (s *Server) bind(c *Client, p *tenant.Principal, key string, gen uint64) {
	var t *tenant.Tenant
	ns := s.DBs[0]
	if !p.Operator {
		t = s.Tenants.Get(p.UserID)
		ns = s.Eng.Namespace(p.Namespace())
		s.refreshLimits(c.context(), t, p)
	}
	c.flushTenant() // counts so far belong to the tenant bound until now
	old := c.T
	c.mu.Lock()
	c.P, c.T, c.DB = p, t, 0
	c.mu.Unlock()
	if old != t {
		if old != nil {
			old.Connections.Add(-1)
		}
		if t != nil {
			t.Connections.Add(1)
		}
		// Keys watched in the old tenant's keyspace would tell this
		// identity whether they changed; its channels would go on
		// delivering the old tenant's messages.
		s.unwatch(c)
		c.dropSubscriptions()
		s.track.off(c)
	}
	c.NS, c.accessKey, c.Authed, c.authFails, c.dirGen = ns, key, true, 0, gen
	c.noteListener()
}

// refreshLimits loads the tenant's limits from the directory. When it
// cannot answer, the plan's defaults apply rather than no limits at all.
func (s *Server) refreshLimits(ctx context.Context, t *tenant.Tenant, p *tenant.Principal) {
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	l, err := s.Dir.Limits(ctx, p.UserID)
	if err != nil {
		if old := t.Limits(); old != (tenant.Limits{}) {
			return // keep what was known
		}
		l = tenant.Limits{}.WithDefaults(p.Plan)
	}
	t.SetLimits(l)
	if err == nil { // the quota is cached now: seeding makes no second call
		s.seedFromControlPlane(ctx, t)
	}
}

// unbind drops c's principal: it must authenticate again, and keeps
// nothing it watched under the old identity.
func (s *Server) unbind(c *Client) {
	c.flushTenant()
	s.unwatch(c)
	c.dropSubscriptions()
	s.track.off(c)
	if c.T != nil {
		c.T.Connections.Add(-1)
	}
	c.mu.Lock()
	c.P, c.T, c.DB = nil, nil, 0
	c.mu.Unlock()
	c.NS, c.accessKey, c.Authed = s.DBs[0], "", false
}

// recheck re-validates c's key when the directory may have changed or the
// key's expiry passed, so revocation reaches connections already open. It
// returns the error to reply with when the key no longer holds. A key that
// no longer holds also discards an open transaction: its commands were
// admitted for an identity the connection no longer has.
func (s *Server) recheck(c *Client) string {
	p := c.P
	if p.Operator || s.Dir == nil {
		return ""
	}
	np, gen, msg := s.revalidate(c.context(), c.surface, p, c.accessKey, c.dirGen, c.clock)
	if msg != "" {
		if msg == resp.ErrWrongPass {
			s.Log.Info("access key no longer valid; connection unbound", "addr", c.Addr, "key_id", p.KeyID)
			if c.T != nil {
				c.T.Rejected(tenant.RejectWrongPass)
			}
		}
		if c.multi != nil {
			s.endTx(c)
		}
		s.unbind(c)
		return msg
	}
	if np != p {
		s.bind(c, np, c.accessKey, gen)
	}
	c.dirGen = gen
	return ""
}

// revalidate answers whether an access key bound as p when the directory
// was at generation gen still holds at now, without changing any
// connection: it is also asked on behalf of parked clients by whichever
// goroutine serves them. It returns the principal now (p itself when
// nothing changed), the generation it is valid for, or the error text.
// It may call the directory: never call it while holding shard locks.
func (s *Server) revalidate(ctx context.Context, surface tenant.Surface, p *tenant.Principal, key string, gen uint64, now time.Time) (*tenant.Principal, uint64, string) {
	if p.Operator || s.Dir == nil {
		return p, gen, ""
	}
	if p.Expired(now) {
		return nil, gen, resp.ErrWrongPass
	}
	cur := s.Dir.Generation()
	if cur == gen {
		return p, gen, ""
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	np, err := s.Dir.Resolve(ctx, key)
	switch {
	case errors.Is(err, tenant.ErrUnknownKey):
		return nil, cur, resp.ErrWrongPass
	case err != nil:
		// An outage keeps keys already validated working, and the holder
		// does not ask again until the directory moves on.
		return p, cur, ""
	case !np.AllowsSurface(surface):
		return nil, cur, SurfaceErr(np.KeyID, surface)
	}
	return np, cur, ""
}

// authFailed records a wrong key: for the connection's tenant (a bound
// connection guessing another key), for the log, and for the per-address
// throttle. It never sleeps: AUTH can run where a sleep would hold others
// up (inside EXEC, under every shard's lock), and the throttle refuses
// further guesses from the address instead.
func (s *Server) authFailed(c *Client) {
	c.authFails++
	if c.T != nil {
		c.T.Rejected(tenant.RejectWrongPass)
	}
	s.authz.throttle.failed(throttleAddr(c.Addr), time.Now())
	s.authLog.log(s, c)
}

// authLogLimiter keeps a flood of failed AUTHs from flooding the log: at
// most authLogPerSecond lines a second, then one line counting the rest.
type authLogLimiter struct {
	mu         sync.Mutex
	second     int64
	n          int
	suppressed int
}

const authLogPerSecond = 20

func (l *authLogLimiter) log(s *Server, c *Client) {
	now := time.Now().Unix()
	l.mu.Lock()
	if now != l.second {
		if l.suppressed > 0 {
			s.Log.Warn("failed AUTH attempts not logged individually", "count", l.suppressed)
		}
		l.second, l.n, l.suppressed = now, 0, 0
	}
	l.n++
	logIt := l.n <= authLogPerSecond
	if !logIt {
		l.suppressed++
	}
	l.mu.Unlock()
	if logIt {
		s.Log.Warn("failed AUTH", "addr", c.Addr, "id", c.ID, "failures_on_connection", c.authFails)
	}
}

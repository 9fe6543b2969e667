package commands

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/puzpuzpuz/xsync/v3"

	"synap/resp"
	"synap/tenant"
)

// What one client can make the server hold: its replies (bounded per
// reply), its transient work (one budget shared by every command running),
// its buffered input and MULTI queue (per connection, after AUTH from the
// tenant's plan), and, before it authenticates, a small input buffer, a
// deadline and a cap on how many such connections there are.

// replyLimit is the bound of one reply to c (an EXEC's replies together):
// client-output-buffer-limit's normal hard limit, and for a tenant never
// more than tenant-output-buffer-limit. 0 means unbounded.
func (s *Server) replyLimit(c *Client) int64 {
	cfg := s.Config()
	lim := cfg.OutputBufferLimits.Normal.Hard
	if c.T != nil {
		if t := cfg.TenantOutputBufferLimit; t > 0 && (lim == 0 || t < lim) {
			lim = t
		}
	}
	return lim
}

// replyDropped replaces, after a handler returned, a reply that passed
// the bound with the error saying so. mark is where the reply began.
func (x *Ctx) replyDropped(mark int) {
	w := x.W
	lim := w.Limit()
	w.Truncate(mark)
	w.ClearOver()
	x.Error(fmt.Sprintf(errReplyTooBig, lim))
}

// transientBudget is what the commands running at once hold of
// transient-memory-limit, in total and per tenant.
type transientBudget struct {
	used    atomic.Int64
	tenants *xsync.MapOf[*tenant.Tenant, *atomic.Int64]
}

func newTransientBudget() transientBudget {
	return transientBudget{tenants: xsync.NewMapOf[*tenant.Tenant, *atomic.Int64]()}
}

// tryAdd adds n to v unless that passes limit, and reports what v held.
func tryAdd(v *atomic.Int64, n, limit int64) (int64, bool) {
	for {
		u := v.Load()
		if u+n > limit || u+n < u {
			return u, false
		}
		if v.CompareAndSwap(u, u+n) {
			return u, true
		}
	}
}

// Transient reserves n bytes of transient memory for the command before
// it allocates them. When the server's budget, or the tenant's quarter of
// it, cannot take n more, it replies with the error and returns false: a
// command never waits for memory while it holds its locks. On success
// the caller must call the returned release once the memory is dropped.
func (x *Ctx) Transient(n int64) (release func(), ok bool) {
	limit := x.S.Config().TransientMemoryLimit
	if limit <= 0 || n <= 0 {
		return func() {}, true
	}
	b := &x.S.transient
	if used, ok := tryAdd(&b.used, n, limit); !ok {
		x.Error(fmt.Sprintf(errTransientServer, x.Cmd.Name, n, used, limit))
		return nil, false
	}
	t := x.C.T
	if t == nil {
		return func() { b.used.Add(-n) }, true
	}
	tv, _ := b.tenants.LoadOrCompute(t, func() *atomic.Int64 { return new(atomic.Int64) })
	share := limit / 4
	if used, ok := tryAdd(tv, n, share); !ok {
		b.used.Add(-n)
		x.Error(fmt.Sprintf(errTransientTenant, x.Cmd.Name, n, used, share))
		return nil, false
	}
	return func() { tv.Add(-n); b.used.Add(-n) }, true
}

// TransientInUse is the transient memory held by running commands.
func (s *Server) TransientInUse() int64 { return s.transient.used.Load() }

// ReaderLimits are the input limits for c's next command (readerLimits).
func (s *Server) ReaderLimits(c *Session) resp.Limits { return s.readerLimits(c) }

// readerLimits are the input limits for c's next command. Before AUTH (when
// it is required) the whole command buffered is small; a tenant's follow
// its plan's max_payload_bytes: a command announcing far more is refused
// from its headers, and what one command may buffer is the payload limit
// plus room for headers.
func (s *Server) readerLimits(c *Client) resp.Limits {
	l := s.Limits()
	switch {
	case s.preAuth(c):
		l.MaxQueryBuf = min(l.MaxQueryBuf, resp.PreAuthQueryBuf)
		l.WholeCommand = true
	case c.T != nil:
		if p := c.T.Limits().MaxPayloadBytes; p > 0 {
			l.PayloadLimit = p
			l.MaxQueryBuf = min(l.MaxQueryBuf, p+2*resp.PayloadSlack)
			l.WholeCommand = true
		}
	}
	return l
}

// multiQueueLimit bounds the bytes of c's queued MULTI commands, with the
// error that refuses one more. A tenant's queue is also bounded by
// tenant-output-buffer-limit and by 16 times its payload limit (at least
// 1 MB): a queue is input kept until EXEC.
func (s *Server) multiQueueLimit(c *Client) (int64, bool) {
	lim := s.Limits().MaxQueryBuf
	if c.T == nil {
		return lim, false
	}
	q := lim
	if t := s.Config().TenantOutputBufferLimit; t > 0 {
		q = min(q, t)
	}
	if p := c.T.Limits().MaxPayloadBytes; p > 0 {
		q = min(q, max(16*p, 1<<20))
	}
	return q, q != lim
}

// queueTooBig is the text refusing a command past multiQueueLimit. It is
// formatted only when a command is refused: done for every queued command
// it was a sixth of the CPU of queueing a MULTI of 10k SETs.
func queueTooBig(limit int64, tenant bool) string {
	if !tenant {
		return errQueueTooBig
	}
	return fmt.Sprintf(errQueueTooBigTenant, limit)
}

// maxUnauth is how many connections may be waiting to authenticate: the
// setting, or half of maxclients, and never all of maxclients.
func (s *Server) maxUnauth() int {
	cfg := s.Config()
	room := max(1, cfg.MaxClients-1)
	if n := cfg.MaxUnauthClients; n > 0 {
		return min(n, room)
	}
	return max(1, cfg.MaxClients/2)
}

// parseOutputBufferLimits applies a client-output-buffer-limit value to
// cur, checking all of it first as Redis does.
func parseOutputBufferLimits(cur OutputBufferLimits, v []byte) (OutputBufferLimits, string) {
	f := strings.Fields(string(v))
	if len(f)%4 != 0 {
		return cur, "Wrong number of arguments in buffer limit configuration."
	}
	next := cur
	for i := 0; i < len(f); i += 4 {
		var dst *OutputBufferLimit
		switch strings.ToLower(f[i]) {
		case "normal":
			dst = &next.Normal
		case "replica", "slave":
			dst = &next.Replica
		case "pubsub":
			dst = &next.PubSub
		default:
			return cur, "Invalid client class specified in buffer limit configuration."
		}
		hard, m1 := configMemory([]byte(f[i+1]), 0)
		soft, m2 := configMemory([]byte(f[i+2]), 0)
		secs, err := strconv.ParseInt(f[i+3], 10, 64)
		if m1 != "" || m2 != "" || err != nil || secs < 0 {
			return cur, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		*dst = OutputBufferLimit{Hard: hard, Soft: soft, SoftSecs: secs}
	}
	return next, ""
}

// ParseOutputBufferLimits reads a client-output-buffer-limit value (the
// config file, flags and SYNAP_CLIENT_OUTPUT_BUFFER_LIMIT) over Redis's
// defaults.
func ParseOutputBufferLimits(v string) (OutputBufferLimits, error) {
	l, msg := parseOutputBufferLimits(DefaultOutputBufferLimits(), []byte(v))
	if msg != "" {
		return l, fmt.Errorf("client-output-buffer-limit %q: %s", v, msg)
	}
	return l, nil
}

// String is the value as CONFIG GET shows it, in Redis's words.
func (l OutputBufferLimits) String() string {
	return fmt.Sprintf("normal %d %d %d slave %d %d %d pubsub %d %d %d",
		l.Normal.Hard, l.Normal.Soft, l.Normal.SoftSecs,
		l.Replica.Hard, l.Replica.Soft, l.Replica.SoftSecs,
		l.PubSub.Hard, l.PubSub.Soft, l.PubSub.SoftSecs)
}

// The settings of this file, in CONFIG GET/SET.
func init() {
	serverParams = append(serverParams,
		serverParam{name: "client-output-buffer-limit", get: func(_ *Server, c *Config) string { return c.OutputBufferLimits.String() },
			set: func(c *Config, v []byte) string {
				var msg string
				c.OutputBufferLimits, msg = parseOutputBufferLimits(c.OutputBufferLimits, v)
				return msg
			}},
		serverParam{name: "tenant-output-buffer-limit", get: func(_ *Server, c *Config) string { return strconv.FormatInt(c.TenantOutputBufferLimit, 10) },
			set: func(c *Config, v []byte) string {
				var msg string
				c.TenantOutputBufferLimit, msg = configMemory(v, 16<<10)
				return msg
			}},
		serverParam{name: "transient-memory-limit", get: func(_ *Server, c *Config) string { return strconv.FormatInt(c.TransientMemoryLimit, 10) },
			set: func(c *Config, v []byte) string {
				var msg string
				c.TransientMemoryLimit, msg = configMemory(v, 1<<20)
				return msg
			}},
		intParam("auth-timeout", 0, math.MaxInt32, func(c *Config) *int { return &c.AuthTimeout }),
		serverParam{name: "unauthenticated-client-limit", get: func(s *Server, _ *Config) string { return strconv.Itoa(s.maxUnauth()) },
			set: func(c *Config, v []byte) string {
				n, msg := configInt(v, 0, math.MaxUint32)
				c.MaxUnauthClients = int(n)
				return msg
			}},
	)
}

// maxUnauthPerAddr is how many of the unauthenticated places one address
// (an IPv4 address, an IPv6 /64) may hold: a sixteenth of them, at least
// 2. An attacker needs sixteen hosts to fill them, and a host behind
// which many clients connect at once still gets room.
func (s *Server) maxUnauthPerAddr() int { return max(2, s.maxUnauth()/16) }

// ReleaseUnauth gives back the places Admit took for a connection from
// remote that authenticated or closed.
func (s *Server) ReleaseUnauth(remote string) {
	s.unauthed.Add(-1)
	s.unauthAddrs.give(throttleAddr(remote))
}

// RetakeUnauth counts a connection from remote as waiting to authenticate
// once more (RESET, a key found revoked), past the per-address share: it
// holds its place already.
func (s *Server) RetakeUnauth(remote string) {
	s.unauthed.Add(1)
	s.unauthAddrs.take(throttleAddr(remote), math.MaxInt)
}

// addrCounts counts connections per address. It holds only addresses with
// connections waiting, so it is bounded by the unauthenticated cap.
type addrCounts struct {
	mu sync.Mutex
	n  map[string]int
}

// take counts one more connection for addr unless it has limit already.
func (a *addrCounts) take(addr string, limit int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[addr] >= limit {
		return false
	}
	if a.n == nil {
		a.n = map[string]int{}
	}
	a.n[addr]++
	return true
}

func (a *addrCounts) give(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[addr] <= 1 {
		delete(a.n, addr)
		return
	}
	a.n[addr]--
}

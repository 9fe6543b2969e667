package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"synap/tenant"
)

// Persistence: what the commands need of package persist (the append-only
// log, snapshots and recovery), which installs itself with SetPersistence
// before the server serves. Without one (tests, a pure cache) SAVE and
// BGSAVE answer as a server with nothing to save would, and nothing waits.

// Persistence is the persistence manager as the commands see it.
type Persistence interface {
	// Refusal is the error the writes of tenant ("" outside cluster mode
	// and for the operator) are refused with while the log cannot take
	// them ("MISCONF ..."), "" while it can.
	Refusal(tenant string) string
	// Sync waits until every record the log has received is durable, when
	// appendfsync is always; otherwise it returns at once. waited says
	// whether it had to wait for an fsync.
	Sync(ctx context.Context) (waited bool, err error)
	// Save writes a snapshot now (SAVE); BGSave starts one in the
	// background (BGSAVE) and BGRewrite a log rewrite (BGREWRITEAOF); both
	// return the status line or an error reply text.
	Save() error
	BGSave(schedule bool) (string, error)
	BGRewrite() (string, error)
	// LastSave is the unix time of the last successful snapshot.
	LastSave() int64
	// Info is INFO's persistence section, field by field, in order.
	Info() []InfoField
}

// InfoField is one line of an INFO section.
type InfoField struct {
	Name, Value string
}

// SetPersistence installs p; call it before serving. From then on CONFIG
// GET reports the persistence settings and CONFIG SET changes them.
func (s *Server) SetPersistence(p Persistence) {
	s.persist = p
	_ = s.UpdateConfig(func(c *Config) error {
		c.persistOn = p != nil
		return nil
	})
}

// LiveSettings is implemented by a Persistence that takes settings
// (appendfsync) from the configuration: it is called, under the
// configuration's lock, in the order of the changes, before CONFIG SET
// answers, so a write acknowledged after CONFIG SET appendfsync always
// returned is held to always.
type LiveSettings interface {
	ApplyConfig(c *Config)
}

func (s *Server) applyPersist(c *Config) {
	if p, ok := s.persist.(LiveSettings); ok {
		p.ApplyConfig(c)
	}
}

// Persist is the installed persistence, nil for none.
func (s *Server) Persist() Persistence { return s.persist }

// Shutdown modes SHUTDOWN may ask for: whether to take a final snapshot.
const (
	ShutdownDefault = iota // as the save points say
	ShutdownSave
	ShutdownNoSave
)

// ShutdownMode is what the last SHUTDOWN asked for (ShutdownDefault on a
// signal): the binary takes the final snapshot after every client is gone.
func (s *Server) ShutdownMode() int { return int(s.shutdownMode.Load()) }

type shutdownState struct{ atomic.Int32 }

// SetWriteHookFrom installs h with its sequence continuing after last: a
// server recovered from a log numbers its new writes after the last one
// recovered, so a log spans restarts in one order.
func (s *Server) SetWriteHookFrom(h WriteHook, last uint64) {
	wh := &writeHook{h: h}
	wh.seq.Store(last)
	s.writes.Store(wh)
	s.installEngineHooks()
}

// ReplaySession is a session applying recovered records to keyspace ks:
// authenticated, bound to the tenant's keyspace (cluster mode) or the
// database, and exempt from the limits that admit a client's writes
// (maxmemory, a failing log, the tenant's plan): what was acknowledged
// once is restored whatever they say now.
func (s *Server) ReplaySession(ks Keyspace) *Session {
	c := s.newSession(0, LocalTransport{Remote: "recovery", Local: "recovery"}, 0)
	c.Authed = true
	c.replay = true
	if ks.Tenant == "" && s.Config().ClusterMode {
		// Cluster mode's own keyspace is the operator's: its FLUSHALL
		// cleared every tenant, and must again when replayed.
		c.P = &tenant.Principal{Operator: true, KeyID: "recovery"}
	}
	if ks.Tenant != "" {
		if ns, err := s.NamespaceOf(ks); err == nil {
			c.NS = ns // the tenant's keyspace, as its own commands would bind
		}
	} else if ks.DB > 0 && ks.DB < len(s.DBs) {
		c.Select(ks.DB)
	}
	return c
}

// AwaitDurable waits, when the log fsyncs every write (appendfsync
// always), until every record it had received is on disk: a transport
// calls it before it sends replies, once per batch of pipelined commands,
// so one fsync answers them all. Every session waits, not only one that
// wrote: a read, a refused SET NX or a push may show another client's
// write, which must not be seen before it is durable (Redis answers every
// client after the fsync of its event loop's pass). With nothing pending
// it costs two atomic loads. An error means the records could not be made
// durable: the replies must not be sent as successes. waited says whether
// the session waited for an fsync (other sessions were woken with it).
func (s *Server) AwaitDurable(ctx context.Context, c *Session) (waited bool, err error) {
	p := s.persist
	if p == nil || c.replay {
		return false, nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return p.Sync(ctx)
}

// awaitExec is AwaitDurable for a command run outside a batch (HTTP,
// MCP): on failure its reply, from mark on, is replaced by the error.
func (s *Server) awaitExec(ctx context.Context, c *Session, mark int) {
	if _, err := s.AwaitDurable(ctx, c); err != nil {
		if mark > c.W.Len() {
			mark = 0
		}
		c.W.Truncate(mark)
		c.W.Error(misconf(err))
	}
}

func misconf(err error) string {
	var r interface{ Refusal() string }
	if errors.As(err, &r) {
		return r.Refusal()
	}
	return fmt.Sprintf(errMisconf, err.Error())
}

// writeRefusal is the error a write is refused with, "" when the log can
// take it.
func (s *Server) writeRefusal(c *Session) string {
	if p := s.persist; p != nil && !c.replay {
		return p.Refusal(tenantOf(c.NS))
	}
	return ""
}

// refusedWrite refuses the write cmd, and reports true, while writes are
// refused; the refusal is read once, as it can lift at any moment.
func (s *Server) refusedWrite(c *Session, cmd *Command) bool {
	msg := s.writeRefusal(c)
	if msg == "" {
		return false
	}
	s.reject(c, cmd, msg)
	return true
}

func init() {
	const flags = FlagAdmin | FlagNoScript | FlagNoAsyncLoading
	acl := []string{"admin", "slow", "dangerous"}
	register(
		&Command{Name: "save", Arity: 1, Flags: flags | FlagNoMulti, ACL: acl, Group: "server", Since: "1.0.0",
			Summary: "Writes a snapshot of every keyspace to disk, synchronously.", Complexity: "O(N) where N is the total number of keys in all databases",
			Run: cmdSave},
		&Command{Name: "bgsave", Arity: -1, Flags: flags, ACL: acl, Group: "server", Since: "1.0.0",
			Summary: "Writes a snapshot of every keyspace to disk in the background.", Complexity: "O(1)",
			Run: cmdBGSave},
		&Command{Name: "bgrewriteaof", Arity: 1, Flags: flags, ACL: acl, Group: "server", Since: "1.0.0",
			Summary: "Compacts the append-only log onto a new snapshot, in the background.", Complexity: "O(1)",
			Run: cmdBGRewriteAOF},
	)
}

func cmdSave(x *Ctx) {
	p := x.S.persist
	if p == nil {
		x.W.OK()
		return
	}
	if err := p.Save(); err != nil {
		x.Error(errText(err))
		return
	}
	x.W.OK()
}

func cmdBGSave(x *Ctx) {
	schedule := false
	if len(x.Args) > 2 {
		x.SyntaxError()
		return
	}
	if len(x.Args) == 2 {
		if !strings.EqualFold(string(x.Args[1]), "schedule") {
			x.SyntaxError()
			return
		}
		schedule = true
	}
	p := x.S.persist
	if p == nil {
		x.W.Simple("Background saving started")
		return
	}
	msg, err := p.BGSave(schedule)
	if err != nil {
		x.Error(errText(err))
		return
	}
	x.W.Simple(msg)
}

func cmdBGRewriteAOF(x *Ctx) {
	p := x.S.persist
	if p == nil {
		x.W.Simple("Background append only file rewriting started")
		return
	}
	msg, err := p.BGRewrite()
	if err != nil {
		x.Error(errText(err))
		return
	}
	x.W.Simple(msg)
}

// errText is an error as a reply: with its code when it has one.
func errText(err error) string {
	t := err.Error()
	if code, _, ok := strings.Cut(t, " "); ok && code == strings.ToUpper(code) && len(code) > 2 {
		return t
	}
	return fmt.Sprintf(errPersist, t)
}

// infoPersistenceFields is INFO persistence without persistence: a server
// that keeps nothing.
func infoPersistenceFields(s *Server) []InfoField {
	if p := s.persist; p != nil {
		return p.Info()
	}
	return []InfoField{{"loading", "0"}, {"async_loading", "0"}, {"rdb_changes_since_last_save", "0"},
		{"rdb_bgsave_in_progress", "0"}, {"rdb_last_save_time", itoa(s.lastSave)}, {"rdb_last_bgsave_status", "ok"},
		{"aof_enabled", "0"}, {"aof_rewrite_in_progress", "0"}, {"aof_last_bgrewrite_status", "ok"},
		{"aof_last_write_status", "ok"}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The persistence parameters of CONFIG GET and SET. Without a manager
// save and appendonly read "" and "no" and only those values can be set,
// so tools that "turn off" persistence keep working.
func init() {
	serverParams = append(serverParams,
		serverParam{name: "save", get: func(_ *Server, c *Config) string {
			if !c.persistOn {
				return ""
			}
			return c.Save
		}, set: func(c *Config, v []byte) string {
			norm, msg := serverParseSave(v)
			switch {
			case msg != "":
				return msg
			case !c.persistOn && norm != "":
				return errConfigImmutable
			}
			if _, err := ParseSavePoints(norm); err != nil {
				return "Invalid save parameters"
			}
			c.Save = norm
			return ""
		}},
		serverParam{name: "appendonly", get: func(_ *Server, c *Config) string {
			return yesNo(c.persistOn && c.AppendOnly)
		}, set: func(c *Config, v []byte) string {
			norm, msg := serverParseYesNo(v)
			switch {
			case msg != "":
				return msg
			case norm != yesNo(c.persistOn && c.AppendOnly):
				// Turning the log on live needs a rewrite first, and off
				// would leave a stale log to recover from: restart with it.
				return errConfigImmutable
			}
			return ""
		}},
		serverParam{name: "appendfsync", get: func(_ *Server, c *Config) string { return c.AppendFsync },
			set: func(c *Config, v []byte) string {
				switch l := Lower(v); l {
				case "always", "everysec", "no":
					c.AppendFsync = l
					return ""
				}
				return "argument(s) must be one of the following: always, everysec, no"
			}},
		serverParam{name: "stop-writes-on-bgsave-error", get: func(_ *Server, c *Config) string {
			return yesNo(c.StopWritesOnBgsaveError)
		}, set: func(c *Config, v []byte) string {
			norm, msg := serverParseYesNo(v)
			if msg == "" {
				c.StopWritesOnBgsaveError = norm == "yes"
			}
			return msg
		}},
		serverParam{name: "dir", get: func(_ *Server, c *Config) string { return absDir(c.Dir) },
			set: func(*Config, []byte) string { return "can't set protected config" }},
		serverParam{name: "dbfilename", get: func(_ *Server, c *Config) string { return c.DBFilename },
			set: func(*Config, []byte) string { return "can't set protected config" }},
		serverParam{name: "appendfilename", get: func(_ *Server, c *Config) string { return c.AppendFilename }},
		serverParam{name: "auto-aof-rewrite-percentage", get: func(_ *Server, c *Config) string {
			return strconv.Itoa(c.AutoAOFRewritePercentage)
		}, set: func(c *Config, v []byte) string {
			n, msg := configInt(v, 0, math.MaxInt32)
			c.AutoAOFRewritePercentage = int(n)
			return msg
		}},
		serverParam{name: "auto-aof-rewrite-min-size", get: func(_ *Server, c *Config) string {
			return strconv.FormatInt(c.AutoAOFRewriteMinSize, 10)
		}, set: func(c *Config, v []byte) string {
			var msg string
			c.AutoAOFRewriteMinSize, msg = configMemory(v, 0)
			return msg
		}},
	)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func absDir(d string) string {
	if a, err := filepath.Abs(d); err == nil {
		return a
	}
	return d
}

// SavePoint is one of Redis's save points: a snapshot once Changes writes
// happened and Secs seconds passed since the last one.
type SavePoint struct {
	Secs    int64
	Changes int64
}

// ParseSavePoints reads "<seconds> <changes> ..." ("" is none).
func ParseSavePoints(s string) ([]SavePoint, error) {
	f := strings.Fields(s)
	if len(f)%2 != 0 {
		return nil, errors.New("save takes pairs of seconds and changes")
	}
	var out []SavePoint
	for i := 0; i < len(f); i += 2 {
		secs, err1 := strconv.ParseInt(f[i], 10, 64)
		n, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 != nil || err2 != nil || secs < 1 || n < 0 {
			return nil, fmt.Errorf("invalid save point %q %q: seconds must be at least 1 and changes not negative", f[i], f[i+1])
		}
		out = append(out, SavePoint{Secs: secs, Changes: n})
	}
	return out, nil
}

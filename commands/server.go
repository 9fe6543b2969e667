package commands

import (
	"fmt"
	"log/slog"
	"net"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v3"

	"synap/engine"
	"synap/pubsub"
	"synap/resp"
	"synap/tenant"
)

// Server is one Synap instance: the table, the engine and the connected clients.
type Server struct {
	Table *Table
	Eng   *engine.Engine
	DBs   []*engine.Namespace
	Log   *slog.Logger
	// Dir resolves access keys in cluster mode; set before serving.
	Dir tenant.Directory
	// Tenants holds per-tenant state and statistics in cluster mode.
	Tenants *tenant.Registry
	// Hub is the pub/sub hub every surface subscribes and publishes
	// through (pubsub.go).
	Hub *pubsub.Hub

	cfgMu sync.Mutex
	cfg   atomic.Pointer[Config]

	clients     *xsync.MapOf[int64, *Client]
	errorCounts *xsync.MapOf[string, *atomic.Int64]
	nextID      atomic.Int64

	started   time.Time
	lastSave  int64
	listeners []Listener
	closing   atomic.Bool
	connMu    sync.Mutex // orders registering connections against Close
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	Stats ServerStats
	// waits tracks watched keys and blocked clients.
	waits  *keyWaits
	track  *trackRegistry // client tracking (tracking.go)
	paused *pauses        // CLIENT PAUSE (pause.go)

	// heapBytes is the live heap, sampled every memorySampleEvery: reading
	// it costs too much to do per command, and maxmemory needs no more.
	heapBytes atomic.Int64
	mem       memState       // peak, runtime memory limit (memory.go)
	slow      slowlog        // SLOWLOG's entries (slowlog.go)
	latMon    latencyMonitor // LATENCY's events (latency.go)
	mon       monitors       // MONITOR's connections (monitor.go)
	authLog   authLogLimiter
	authz     authority // AUTH throttle, parked clients' key watch
	penalties closePenalties

	transient transientBudget
	// unauthed counts connections waiting to authenticate, for maxUnauth.
	unauthed atomic.Int64
	// unauthAddrs counts them per address, for maxUnauthPerAddr.
	unauthAddrs addrCounts

	writes       atomic.Pointer[writeHook] // SetWriteHook (propagate.go); nil: nothing listens
	notif        notifier                  // keyspace notifications (notify.go)
	reportOnce   sync.Once
	reportPrefix string
	reportSeq    atomic.Int64
	usage        usageState
	dataset      datasetSample // evict.go

	// Persistence (persist.go): the manager, nil for none, and what the
	// last SHUTDOWN asked of it.
	persist      Persistence
	shutdownMode shutdownState
}

const memorySampleEvery = 100 * time.Millisecond

func (s *Server) sampleMemory() {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(memorySampleEvery)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			s.heapBytes.Store(int64(sample[0].Value.Uint64()))
		}
		s.sampleDataset()
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// HeapBytes is the sampled size of the live heap.
func (s *Server) HeapBytes() int64 { return s.heapBytes.Load() }

// ServerStats are the INFO stats counters.
type ServerStats struct {
	Connections       atomic.Int64
	RejectedConns     atomic.Int64
	Commands          atomic.Int64
	NetInput          atomic.Int64
	NetOutput         atomic.Int64
	KeyspaceHits      atomic.Int64
	KeyspaceMisses    atomic.Int64
	ErrorReplies      atomic.Int64
	ProtocolErrors    atomic.Int64
	UnexpectedPanics  atomic.Int64
	RejectedCalls     atomic.Int64
	FailedCalls       atomic.Int64
	ExpiredStaleCount atomic.Int64
}

// NewServer builds a server from cfg; it does not listen yet.
func NewServer(cfg Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	s := &Server{
		Table:       NewTable(),
		Eng:         engine.New(cfg.Shards),
		Log:         log,
		Hub:         pubsub.New(),
		clients:     xsync.NewMapOf[int64, *Client](),
		errorCounts: xsync.NewMapOf[string, *atomic.Int64](),
		started:     time.Now(),
		lastSave:    time.Now().Unix(),
		done:        make(chan struct{}),
		transient:   newTransientBudget(),
	}
	s.track = newTrackRegistry(s)
	s.paused = newPauses()
	s.waits = newKeyWaits(s.Eng, s.track)
	for i := 0; i < cfg.Databases; i++ {
		name := ""
		if i > 0 {
			name = "db" + strconv.Itoa(i)
		}
		s.DBs = append(s.DBs, s.Eng.Namespace(name))
	}
	s.Tenants = tenant.NewRegistry(s.Table.Count())
	s.cfg.Store(&cfg)
	s.applyNotify()
	s.applyEviction()
	go s.sampleMemory()
	go s.tuneMemory()
	return s
}

// Config is the live configuration; treat it as read-only.
func (s *Server) Config() *Config { return s.cfg.Load() }

// UpdateConfig changes the live configuration atomically.
func (s *Server) UpdateConfig(fn func(c *Config) error) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	next := *s.cfg.Load()
	if err := fn(&next); err != nil {
		return err
	}
	s.cfg.Store(&next)
	s.applyNotify()
	s.applyEviction()
	s.applyPersist(&next)
	return nil
}

// Limits are the protocol limits of the current configuration.
func (s *Server) Limits() resp.Limits {
	l := resp.DefaultLimits()
	cfg := s.Config()
	if cfg.ProtoMaxBulkLen > 0 {
		l.MaxBulkLen = cfg.ProtoMaxBulkLen
	}
	if cfg.ClientQueryBufferLimit > 0 {
		l.MaxQueryBuf = cfg.ClientQueryBufferLimit
	}
	return l
}

// Listener is a surface's listener (the RESP one is resp/server's): the
// server closes it first when it shuts down, and reports its address.
type Listener interface {
	Addr() net.Addr
	Close() error
}

// AddListener attaches l to the server; it reports false, and l must
// stop, when the server is already closing.
func (s *Server) AddListener(l Listener) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.listeners = append(s.listeners, l)
	return true
}

// Closing reports whether Close has begun.
func (s *Server) Closing() bool { return s.closing.Load() }

// Admit decides whether a connection just accepted from remote may be
// served: under maxclients and, when clients must authenticate, under
// unauthenticated-client-limit and the address's share of it. Counted as
// it is called, so call it from the accept loop, in accept order. It
// returns the protocol line refusing the connection ("" when admitted)
// and whether the connection counts as waiting to authenticate (then
// ReleaseUnauth must be called once it authenticated or closed).
func (s *Server) Admit(remote string) (refusal string, unauthed bool) {
	if s.clients.Size() >= s.Config().MaxClients {
		s.Stats.RejectedConns.Add(1)
		return errMaxClients, false
	}
	// Connections that have not authenticated are capped below
	// maxclients, so idle sockets cannot lock every tenant out; counted
	// here, where accepting is sequential, so the cap is exact.
	if !s.authRequired() {
		return "", false
	}
	if s.unauthed.Load() >= int64(s.maxUnauth()) {
		s.Stats.RejectedConns.Add(1)
		return errMaxUnauth, false
	}
	// One address may hold only a share of those places, so a single host
	// refilling them cannot keep everyone else out.
	if !s.unauthAddrs.take(throttleAddr(remote), s.maxUnauthPerAddr()) {
		s.Stats.RejectedConns.Add(1)
		return errMaxUnauthAddr, false
	}
	s.unauthed.Add(1)
	return "", true
}

// BeginConn gives an admitted connection its id and counts it for Close,
// which waits for EndConn; it reports false when the server is closing.
func (s *Server) BeginConn() (id int64, ok bool) {
	// Ids follow accept order, as Redis's do: assigned here, not in the
	// connection's goroutine, where scheduling could reorder them.
	id = s.nextID.Add(1)
	// Close waits for every connection it let in: the wait group is only
	// added to under connMu while Close has not begun.
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closing.Load() {
		return 0, false
	}
	s.wg.Add(1)
	return id, true
}

// EndConn is called when a connection BeginConn counted has ended.
func (s *Server) EndConn() { s.wg.Done() }

// register makes c known to Close: a connection registered after Close
// killed the others would otherwise be waited for forever. It reports
// false when the server is closing and c must end at once.
func (s *Server) register(c *Client) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.wg.Add(1)
	c.registered = true
	s.clients.Store(c.ID, c)
	return true
}

// Addr is the address of the first listener attached (AddListener).
func (s *Server) Addr() net.Addr {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// Close stops accepting, disconnects every client and stops the engine.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.connMu.Lock()
		s.closing.Store(true)
		ls := s.listeners
		s.connMu.Unlock()
		for _, l := range ls {
			_ = l.Close()
		}
		s.clients.Range(func(_ int64, c *Client) bool {
			c.Kill()
			return true
		})
		s.wg.Wait()
		s.Eng.Close()
		close(s.done)
	})
	return nil
}

// Done is closed once the server has shut down (SHUTDOWN or Close).
func (s *Server) Done() <-chan struct{} { return s.done }

// Clients returns the connected clients.
func (s *Server) Clients() []*Client {
	var out []*Client
	s.clients.Range(func(_ int64, c *Client) bool {
		out = append(out, c)
		return true
	})
	return out
}

// ClientCount is the number of connected clients.
func (s *Server) ClientCount() int { return s.clients.Size() }

// StartTime is when the server started.
func (s *Server) StartTime() time.Time { return s.started }

// LastSave is the unix time of the last successful save (start time: nothing persists yet).
func (s *Server) LastSave() int64 {
	if p := s.persist; p != nil {
		return p.LastSave()
	}
	return s.lastSave
}

// Errorf formats an error reply text.
func Errorf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// preAuth reports whether Redis's unauthenticated input limits apply.
func (s *Server) preAuth(c *Client) bool {
	return !c.Authed && s.authRequired()
}

// PreAuth reports whether c is held to Redis's unauthenticated input
// limits (and to auth-timeout): it must authenticate and has not.
func (s *Server) PreAuth(c *Session) bool { return s.preAuth(c) }

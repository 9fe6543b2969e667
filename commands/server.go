package commands

import (
	"errors"
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
	"synap/hivehub"
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
	Dir hivehub.Directory
	// Tenants holds per-tenant state and statistics in cluster mode.
	Tenants *tenant.Registry

	cfgMu sync.Mutex
	cfg   atomic.Pointer[Config]

	clients     *xsync.MapOf[int64, *Client]
	errorCounts *xsync.MapOf[string, *atomic.Int64]
	nextID      atomic.Int64

	started   time.Time
	pacer     *readPacer
	lastSave  int64
	ln        net.Listener
	closing   atomic.Bool
	connMu    sync.Mutex // orders registering connections against Close
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	Stats ServerStats
	// waits tracks watched keys and blocked clients.
	waits *keyWaits

	// heapBytes is the live heap, sampled every memorySampleEvery: reading
	// it costs too much to do per command, and maxmemory needs no more.
	heapBytes atomic.Int64
	authLog   authLogLimiter
	authz     authority // AUTH throttle, parked clients' key watch

	transient transientBudget
	// unauthed counts connections waiting to authenticate, for maxUnauth.
	unauthed atomic.Int64
	// unauthAddrs counts them per address, for maxUnauthPerAddr.
	unauthAddrs addrCounts

	reportOnce   sync.Once
	reportPrefix string
	reportSeq    atomic.Int64
	usage        usageState
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
		clients:     xsync.NewMapOf[int64, *Client](),
		errorCounts: xsync.NewMapOf[string, *atomic.Int64](),
		started:     time.Now(),
		pacer:       newReadPacer(),
		lastSave:    time.Now().Unix(),
		done:        make(chan struct{}),
		transient:   newTransientBudget(),
	}
	s.waits = newKeyWaits(s.Eng)
	for i := 0; i < cfg.Databases; i++ {
		name := ""
		if i > 0 {
			name = "db" + strconv.Itoa(i)
		}
		s.DBs = append(s.DBs, s.Eng.Namespace(name))
	}
	s.Tenants = tenant.NewRegistry(s.Table.Count())
	s.cfg.Store(&cfg)
	go s.sampleMemory()
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

// ListenAndServe listens on the configured address and serves until Close.
func (s *Server) ListenAndServe() error {
	cfg := s.Config()
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts RESP connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.ln = ln
	return s.accept()
}

// Start serves ln in the background; Addr is valid when it returns.
func (s *Server) Start(ln net.Listener) {
	s.ln = ln
	go func() { _ = s.accept() }()
}

func (s *Server) accept() error {
	ln := s.ln
	s.Log.Info("serving RESP", "addr", ln.Addr().String())
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like pass: keep serving the
			// clients already connected and try again shortly, as Redis does.
			s.Log.Warn("accept failed; retrying", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if s.clients.Size() >= s.Config().MaxClients {
			s.Stats.RejectedConns.Add(1)
			_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
			_ = nc.Close()
			continue
		}
		// Connections that have not authenticated are capped below
		// maxclients, so idle sockets cannot lock every tenant out; counted
		// here, where accepting is sequential, so the cap is exact.
		unauthed := s.authRequired()
		if unauthed {
			if s.unauthed.Load() >= int64(s.maxUnauth()) {
				s.Stats.RejectedConns.Add(1)
				_, _ = nc.Write([]byte(errMaxUnauth))
				_ = nc.Close()
				continue
			}
			// One address may hold only a share of those places, so a
			// single host refilling them cannot keep everyone else out.
			if !s.unauthAddrs.take(throttleAddr(nc.RemoteAddr().String()), s.maxUnauthPerAddr()) {
				s.Stats.RejectedConns.Add(1)
				_, _ = nc.Write([]byte(errMaxUnauthAddr))
				_ = nc.Close()
				continue
			}
			s.unauthed.Add(1)
		}
		// Ids follow accept order, as Redis's do: assigned here, not in the
		// connection's goroutine, where scheduling could reorder them.
		id := s.nextID.Add(1)
		// Close waits for every connection it let in: the wait group is
		// only added to under connMu while Close has not begun.
		s.connMu.Lock()
		if s.closing.Load() {
			s.connMu.Unlock()
			_ = nc.Close()
			return nil
		}
		s.wg.Add(1)
		s.connMu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(nc, id, unauthed)
		}()
	}
}

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

// Addr is the listening address.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting, disconnects every client and stops the engine.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.connMu.Lock()
		s.closing.Store(true)
		s.connMu.Unlock()
		if s.ln != nil {
			_ = s.ln.Close()
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
func (s *Server) LastSave() int64 { return s.lastSave }

// Errorf formats an error reply text.
func Errorf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// preAuth reports whether Redis's unauthenticated input limits apply.
func (s *Server) preAuth(c *Client) bool {
	return !c.Authed && s.authRequired()
}

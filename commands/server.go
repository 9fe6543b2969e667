package commands

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
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
	"synap/sched"
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
	mem       memState // peak, runtime memory limit (memory.go)
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

const flushAbove = 64 << 10 // flush mid-pipeline once this much reply is pending

// yieldCommands is how many commands of one pipeline run between two
// chances to yield (sched.Maybe); pipelines of redis-benchmark's size
// (16) never reach it.
const yieldCommands = 64

func (s *Server) serveConn(nc net.Conn, id int64, unauthed bool) {
	c := s.newClient(nc)
	c.ID = id
	unauthSince := c.Created // auth-timeout runs from here
	defer func() {
		if unauthed {
			s.releaseUnauth(nc)
		}
	}()
	if !s.register(c) {
		_ = nc.Close()
		c.Tx.End()
		return
	}
	s.Stats.Connections.Add(1)
	defer func() {
		c.flushTenant()
		s.endTx(c)
		if c.T != nil {
			c.T.Connections.Add(-1)
		}
		s.clients.Delete(c.ID)
		c.Tx.End()
		_ = nc.Close()
	}()
	c.rd.SetLimits(s.readerLimits(c))
	deadline := false // a read deadline is set
	for {
		if c.warmLeft <= 0 && c.rd.Buffered() > 0 {
			c.warmLeft = s.warm(c)
		}
		args, err := c.rd.Next(s.preAuth(c))
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				s.Stats.ProtocolErrors.Add(1)
				s.Log.Warn("protocol error, closing client", "addr", c.Addr, "id", c.ID, "err", pe.Msg)
				c.W.Error(pe.Msg)
				c.flush()
				lingerClose(nc)
			}
			return
		}
		if args == nil {
			c.warmLeft, c.batchRun = 0, 0
			c.flushTenant()
			if c.W.Len() > 0 && !c.flush() {
				return
			}
			if c.closeAfterReply.Load() {
				return
			}
			// AUTH, re-AUTH and a plan or setting changed live all take
			// effect here, before more input is buffered.
			c.rd.SetLimits(s.readerLimits(c))
			cfg := s.Config()
			switch {
			case cfg.AuthTimeout > 0 && s.preAuth(c):
				// From the connection's start, not per read: dripping bytes
				// must not keep an unauthenticated socket.
				_ = nc.SetReadDeadline(unauthSince.Add(time.Duration(cfg.AuthTimeout) * time.Second))
				deadline = true
			case cfg.Timeout > 0:
				_ = nc.SetReadDeadline(time.Now().Add(time.Duration(cfg.Timeout) * time.Second))
				deadline = true
			case deadline:
				_ = nc.SetReadDeadline(time.Time{})
				deadline = false
			}
			before := c.rd.Buffered()
			t, yielded := s.pacer.beforeRead(&c.pacing)
			err := c.rd.Fill()
			s.pacer.afterRead(&c.pacing, t, yielded)
			if err != nil {
				if errors.Is(err, resp.ErrQueryBufLimit) {
					s.Log.Warn("closing client that reached max query buffer length", "addr", c.Addr, "id", c.ID)
				} else if !errors.Is(err, io.EOF) && !c.killed.Load() && !s.closing.Load() {
					s.Log.Debug("client read", "addr", c.Addr, "err", err)
				}
				return
			}
			s.Stats.NetInput.Add(int64(c.rd.Buffered() - before))
			c.clock = time.Now()
			c.touch()
			continue
		}
		c.warmLeft--
		s.Exec(c, args)
		if c.batchRun++; c.batchRun%yieldCommands == 0 && !c.Tx.Active() {
			// A pipeline of thousands of commands (a MULTI of 10k SETs
			// being queued) is one long run on the processor: other
			// connections get it between commands, where nothing is locked.
			sched.Maybe()
		}
		switch {
		case unauthed && c.Authed:
			s.releaseUnauth(nc) // room for the next client to authenticate
			unauthed = false
		case !unauthed && s.preAuth(c):
			// Unauthenticated again (RESET, a key found revoked): counted
			// as waiting once more, with auth-timeout from now, not from
			// when the connection was opened (long past for a pooled one).
			s.unauthed.Add(1)
			s.unauthAddrs.take(throttleAddr(nc.RemoteAddr().String()), math.MaxInt)
			unauthed, unauthSince = true, time.Now()
		}
		if c.blocked != nil && !s.waitBlocked(c) {
			return
		}
		if c.closeAfterReply.Load() {
			c.flushTenant()
			c.flush()
			return
		}
		if c.W.Len() >= flushAbove {
			c.flushTenant()
			if !c.flush() {
				return
			}
		}
	}
}

// lingerClose lets a client that is still sending the frame refused with a
// protocol error read that error. Closing a socket with unread input makes
// the kernel answer with a reset, which the client sees instead of the
// reply, often on the write it is still in. So the reply is followed by a
// FIN, and what the client goes on sending is read and dropped, up to
// lingerBytes or lingerTime, whichever comes first: a bounded cost for a
// clear error.
func lingerClose(nc net.Conn) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return
	}
	if tc.CloseWrite() != nil {
		return
	}
	_ = tc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, tc, lingerBytes)
}

const (
	lingerBytes = 2 << 20
	lingerTime  = 200 * time.Millisecond
)

// preAuth reports whether Redis's unauthenticated input limits apply.
func (s *Server) preAuth(c *Client) bool {
	return !c.Authed && s.authRequired()
}

func (s *Server) newClient(nc net.Conn) *Client {
	rw := newRawIO(nc)
	c := &Client{
		srv:     s,
		nc:      nc,
		out:     rw,
		rd:      resp.NewReader(rw, s.Limits()),
		W:       resp.NewWriter(),
		Tx:      s.Eng.NewTx(),
		Created: time.Now(),
		NS:      s.DBs[0],
		// As Redis: a connection opened while no password is set stays
		// authenticated if one is set later.
		Authed: !s.authRequired(),
	}
	c.Addr = nc.RemoteAddr().String()
	c.LAddr = nc.LocalAddr().String()
	c.clock = c.Created
	c.touch()
	return c
}

// Errorf formats an error reply text.
func Errorf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

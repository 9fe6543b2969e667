package commands

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"synap/engine"
	"synap/pubsub"
	"synap/resp"
	"synap/tenant"
)

// Reply modes of CLIENT REPLY.
const (
	ReplyOn = iota
	ReplyOff
	ReplySkip
)

// Client is one client's session, apart from how it is reached: who it is
// (principal, tenant, surface), where it works (database or tenant
// namespace), its transaction, reply mode and protocol, and the counters it
// gathers. It can be created without a socket (NewSession): the RESP
// connection holds one, and so can an HTTP request or a script. What the
// core needs of the other side is its Transport.
type Client struct {
	ID      int64
	Addr    string
	LAddr   string
	Created time.Time

	srv     *Server
	tr      Transport
	surface tenant.Surface
	W       *resp.Writer
	Tx      *engine.Tx

	// Set by the session's own goroutine; read by CLIENT LIST under mu.
	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	lastCmd string

	DB     int
	NS     *engine.Namespace
	Authed bool
	// In cluster mode: who the session's access key belongs to (P), the
	// tenant's live state (T, nil for the operator), and what is needed to
	// re-check the key when the directory changes.
	P         *tenant.Principal
	T         *tenant.Tenant
	accessKey string
	dirGen    uint64
	authFails int
	// Counters for T gathered over one batch of input and added to the
	// tenant before the batch's replies are sent: a pipeline costs a few
	// shared atomic updates instead of several per command, and a client
	// never sees a reply before the counts that go with it.
	pend      tenantPending
	stat      statPending // the server's counters, likewise (statbatch.go)
	ReplyMode int
	skipNext  bool
	NoEvict   bool
	NoTouch   bool

	lastInteraction atomic.Int64 // unix nanos
	// tenantID caches tenantClientID(ID): CLIENT LIST shows it for every
	// line, and it costs eight AES blocks.
	tenantID atomic.Int64
	// clock is the time of the current command: read once per batch of
	// input and then once per command, never more.
	clock time.Time
	// inBatch is set while the transport feeds a batch of input (BeginBatch
	// to EndBatch): the clock and counters are then the batch's, not taken
	// and flushed per command.
	inBatch bool
	// cmdCtx is the context of the command running, for directory calls.
	cmdCtx          context.Context
	closeAfterReply atomic.Bool
	killed          atomic.Bool
	// delivered: a PUBLISH of the current batch reached a subscriber.
	delivered bool
	// killedCh is closed by Kill: a session waiting without a socket (an
	// HTTP request parked in BLPOP) is told through it.
	killedCh chan struct{}
	// outbox holds pushes from other goroutines (outbox.go).
	outbox *outbox
	// ps is the session's subscriptions in the pub/sub hub, nil until its
	// first SUBSCRIBE, and psAuth the identity they were made under, for
	// publishers to re-check (pubsub.go).
	ps     *pubsub.Sub
	psAuth listenerAuth
	// registered: counted in the server's wait group until Close.
	registered bool
	closed     bool
	// Transactions and blocking (multi.go, blocking.go).
	multi      *multiState
	inExec     bool
	watching   []watched
	watchDirty atomic.Bool // a watched key changed
	blocked    *waiter
	// parked is the waiter while blocked, for other connections: CLIENT
	// LIST and INFO (b), CLIENT UNBLOCK. blocked is the connection's own.
	parked atomic.Pointer[waiter]
	// monitoring: the session receives MONITOR's lines (changed under the
	// server's monitors mutex; read by CLIENT LIST).
	monitoring atomic.Bool
	// track is the session's client tracking while on (tracking.go);
	// flushing is set while it runs FLUSHDB or FLUSHALL, whose keys are
	// invalidated all at once afterwards, not one by one.
	track    atomic.Pointer[trackState]
	flushing atomic.Bool
	multiLen atomic.Int64 // queued commands + 1 while in MULTI, for CLIENT LIST
	readyBuf []waitKey

	keyIdx []int
	keyBuf [][]byte
	ctx    Ctx

	// execRecords are the running EXEC's writes for the write hook, sent
	// together when it ends (propagate.go).
	execRecords []Record
	// execEvents are the running EXEC's keyspace events, queued after its
	// records (notify.go).
	execEvents []heldEvent
	// replay: it applies recovered records (persist.go).
	replay bool
}

// Session is the name surfaces know a Client by: a session of any surface,
// with or without a socket.
type Session = Client

// Transport is what the core needs of the other side of a session: where
// it is, how to end it, and what it holds for it. The RESP connection
// implements it over its socket; a socketless session may use LocalTransport.
type Transport interface {
	// RemoteAddr and LocalAddr are CLIENT LIST's addr and laddr.
	RemoteAddr() string
	LocalAddr() string
	// Kill ends the transport (CLIENT KILL, shutdown): whoever serves the
	// session notices and closes it. It must not block.
	Kill()
	// QueryBuf is the input received and not yet run.
	QueryBuf() int
	// FD is the socket's descriptor, -1 when there is none.
	FD() int64
	// Wake tells the owner that pushes are queued (Session.Push): one
	// parked in a read is woken to write them. It must not block.
	Wake()
}

// LocalTransport is the transport of a session with no socket behind it:
// an in-process caller, a script. Its Kill only marks the session killed.
type LocalTransport struct {
	Remote, Local string
}

func (t LocalTransport) RemoteAddr() string { return t.Remote }
func (t LocalTransport) LocalAddr() string  { return t.Local }
func (LocalTransport) Kill()                {}
func (LocalTransport) QueryBuf() int        { return 0 }
func (LocalTransport) FD() int64            { return -1 }
func (LocalTransport) Wake()                {}

// ErrServerClosed is returned by NewSession once the server is closing.
var ErrServerClosed = errors.New("synap: server closed")

// NewSession creates a session of surface reached through tr and lists it
// among the server's clients. Its owner runs commands with Exec and must
// call Close when the other side is gone: Server.Close kills every session
// (through Transport.Kill and Killed) and waits for each to be closed.
func (s *Server) NewSession(surface tenant.Surface, tr Transport) (*Session, error) {
	return s.NewSessionWithID(surface, tr, s.nextID.Add(1))
}

// NewSessionWithID is NewSession for a connection whose id was given at
// accept (BeginConn), so ids follow accept order.
func (s *Server) NewSessionWithID(surface tenant.Surface, tr Transport, id int64) (*Session, error) {
	c := s.newSession(surface, tr, id)
	if !s.register(c) {
		c.Tx.End()
		return nil, ErrServerClosed
	}
	s.Stats.Connections.Add(1)
	return c, nil
}

func (s *Server) newSession(surface tenant.Surface, tr Transport, id int64) *Session {
	c := &Session{
		ID:       id,
		srv:      s,
		tr:       tr,
		surface:  surface,
		W:        resp.NewWriter(),
		Tx:       s.Eng.NewTx(),
		Created:  time.Now(),
		NS:       s.DBs[0],
		killedCh: make(chan struct{}),
		outbox:   newOutbox(),
		// As Redis: a session opened while no password is set stays
		// authenticated if one is set later.
		Authed: !s.authRequired(),
	}
	c.Addr = tr.RemoteAddr()
	c.LAddr = tr.LocalAddr()
	c.clock = c.Created
	c.Tx.Owner = c // its changes are its own (tracking's NOLOOP)
	c.touch()
	return c
}

// Close ends the session: its counters are added, its transaction and
// watches dropped, and it leaves the client list. Call it once, from the
// goroutine that runs its commands.
func (c *Session) Close() {
	if c.closed {
		return
	}
	c.closed = true
	s := c.srv
	c.flushTenant()
	s.endTx(c)
	c.dropSubscriptions()
	s.stopMonitor(c)
	s.track.off(c)
	if c.T != nil {
		c.T.Connections.Add(-1)
	}
	s.clients.Delete(c.ID)
	c.Tx.End()
	if c.registered {
		s.wg.Done()
	}
}

// IsKilled reports whether the session was killed (Kill).
func (c *Session) IsKilled() bool { return c.killed.Load() }

// ClosingAfterReply reports whether the session asked to be closed once
// its replies are sent (QUIT, CLIENT KILL of itself, SHUTDOWN).
func (c *Session) ClosingAfterReply() bool { return c.closeAfterReply.Load() }

// HasPushes reports whether pushes are queued (TakePushes).
func (c *Session) HasPushes() bool { return c.outbox.n.Load() > 0 }

// Surface is where the session came in; permission checks use it.
func (c *Session) Surface() tenant.Surface { return c.surface }

// Transport is the other side of the session.
func (c *Session) Transport() Transport { return c.tr }

// Killed is closed once the session has been killed (CLIENT KILL, shutdown).
func (c *Session) Killed() <-chan struct{} { return c.killedCh }

type tenantPending struct {
	cmd          *Command // the command counted in cmdN
	cmdN         int64
	ops          int64
	hits, misses int64
	at           time.Time
}

// countCommand records one command run by the client's tenant.
func (c *Client) countCommand(cmd *Command, at time.Time) {
	p := &c.pend
	if p.cmd != cmd && p.cmdN > 0 {
		c.T.Commands.Add(p.cmd.Index, p.cmdN)
		p.cmdN = 0
	}
	p.cmd = cmd
	p.cmdN++
	p.ops++
	p.at = at
	if p.ops >= pendFlushEvery {
		c.flushTenant()
	}
}

// pendFlushEvery bounds how far a long pipeline's counts may lag.
const pendFlushEvery = 256

// flushTenant adds the gathered counters to the tenant.
func (c *Client) flushTenant() {
	c.flushStats()
	p, t := &c.pend, c.T
	if t != nil {
		if p.cmdN > 0 {
			t.Commands.Add(p.cmd.Index, p.cmdN)
		}
		if p.ops > 0 {
			t.CountOps(p.at, p.ops)
		}
		if p.hits > 0 {
			t.Hits.Add(p.hits)
		}
		if p.misses > 0 {
			t.Misses.Add(p.misses)
		}
	}
	*p = tenantPending{}
}

func (c *Client) touch() { c.lastInteraction.Store(c.clock.UnixNano()) }

// Name is the CLIENT SETNAME name.
func (c *Client) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// SetName sets the connection name.
func (c *Client) SetName(n string) {
	c.mu.Lock()
	c.name = n
	c.mu.Unlock()
}

// SetLib records CLIENT SETINFO LIB-NAME / LIB-VER; empty leaves a field as is.
func (c *Client) SetLib(name, ver *string) {
	c.mu.Lock()
	if name != nil {
		c.libName = *name
	}
	if ver != nil {
		c.libVer = *ver
	}
	c.mu.Unlock()
}

// Lib returns the library name and version the client announced.
func (c *Client) Lib() (name, ver string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.libName, c.libVer
}

// LastCommand is the full name of the last command run.
func (c *Client) LastCommand() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastCmd
}

// Idle is the time since the client's last command.
func (c *Client) Idle() time.Duration {
	return time.Since(time.Unix(0, c.lastInteraction.Load()))
}

// Proto is the RESP version the client speaks.
func (c *Client) Proto() int { return c.W.Proto }

// Server is the server the client is connected to.
func (c *Client) Server() *Server { return c.srv }

// Kill disconnects the session: its transport is ended, and its goroutine
// notices on its next read or write, or while it waits (Killed).
func (c *Client) Kill() {
	if c.killed.CompareAndSwap(false, true) {
		close(c.killedCh)
		c.tr.Kill()
	}
}

// CloseAfterReply makes the connection close once the pending replies are sent (QUIT).
func (c *Client) CloseAfterReply() { c.closeAfterReply.Store(true) }

// Select switches the client to database db. Fields CLIENT LIST shows are
// written under mu: other connections read them. A tenant has one database,
// its own namespace, which SELECT 0 keeps.
func (c *Client) Select(db int) {
	c.mu.Lock()
	c.DB = db
	c.mu.Unlock()
	if c.T != nil {
		return
	}
	c.NS = c.srv.DBs[db]
}

// Sees reports whether this client may see other in client lists and kill
// it: a tenant sees only its own connections.
func (c *Client) Sees(other *Client) bool {
	if c.T == nil {
		return true
	}
	return other.tenantOf() == c.T
}

func (c *Client) tenantOf() *tenant.Tenant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// SetProto switches the RESP version replies use.
func (c *Client) SetProto(p int) {
	c.mu.Lock()
	c.W.Proto = p
	c.mu.Unlock()
}

// SetNoEvict and SetNoTouch set the CLIENT NO-EVICT / NO-TOUCH flags.
func (c *Client) SetNoEvict(on bool) { c.setFlag(&c.NoEvict, on) }
func (c *Client) SetNoTouch(on bool) { c.setFlag(&c.NoTouch, on) }

func (c *Client) setFlag(f *bool, on bool) {
	c.mu.Lock()
	*f = on
	c.mu.Unlock()
}

// QueryBuf is the number of bytes read but not yet executed.
func (c *Client) QueryBuf() int { return c.tr.QueryBuf() }

// Tenants' view of client ids. Ids follow accept order over the whole
// server, so in cluster mode a tenant comparing the ids of its own
// connections would count every other tenant's connections in between. A
// tenant (and a connection not yet bound to a key) is shown instead a keyed
// permutation of the id: stable for the connection's life, the same in
// CLIENT ID, CLIENT LIST and INFO, HELLO and CLIENT KILL ID, and telling
// nothing of the sequence without the per-process secret. The operator and
// standalone mode see Redis's plain ids.

// clientIDBits is the width of the permuted ids: below 2^53, so clients
// that read integers as doubles keep them exact.
const clientIDBits = 52

// clientIDCipher is the per-process secret: AES as the round function of
// a Feistel network over clientIDBits.
var clientIDCipher = func() cipher.Block {
	var key [16]byte
	if _, err := rand.Read(key[:]); err != nil {
		panic("commands: no randomness for the client id secret: " + err.Error())
	}
	b, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	return b
}()

// clientIDRounds of a balanced Feistel network with a pseudo-random round
// function; well past the four that make it a strong pseudo-random
// permutation, since the halves are small.
const clientIDRounds = 8

func clientIDRound(i int, half uint64) uint64 {
	var in, out [16]byte
	in[0] = byte(i)
	binary.LittleEndian.PutUint64(in[8:], half)
	clientIDCipher.Encrypt(out[:], in[:])
	return binary.LittleEndian.Uint64(out[:]) & (1<<(clientIDBits/2) - 1)
}

// clientIDPermute maps v in [0, 2^clientIDBits) to the same range, or back
// with inverse.
func clientIDPermute(v uint64, inverse bool) uint64 {
	const half = clientIDBits / 2
	l, r := v>>half, v&(1<<half-1)
	if !inverse {
		for i := 0; i < clientIDRounds; i++ {
			l, r = r, l^clientIDRound(i, r)
		}
	} else {
		for i := clientIDRounds - 1; i >= 0; i-- {
			l, r = r^clientIDRound(i, l), l
		}
	}
	return l<<half | r
}

// tenantClientID is the id a tenant sees for internal id: ids 1..2^52 are
// permuted among themselves (no server will accept that many connections),
// larger ones shown as they are, so the mapping is one to one.
func tenantClientID(id int64, inverse bool) int64 {
	if id < 1 || id > 1<<clientIDBits {
		return id
	}
	return int64(clientIDPermute(uint64(id-1), inverse)) + 1
}

// hidesServer reports whether c sees the server as a tenant: in cluster
// mode, anyone but the operator.
func (c *Client) hidesServer() bool {
	return c.srv.Config().ClusterMode && (c.P == nil || !c.P.Operator)
}

// ShownID is the id of other as c's connection sees it (other may be c).
func (c *Client) ShownID(other *Client) int64 {
	if !c.hidesServer() {
		return other.ID
	}
	if id := other.tenantID.Load(); id != 0 {
		return id
	}
	id := tenantClientID(other.ID, false)
	other.tenantID.Store(id) // the same value whoever stores it
	return id
}

// internalID is the connection id behind an id c was shown.
func (c *Client) internalID(shown int64) int64 {
	if c.hidesServer() {
		return tenantClientID(shown, true)
	}
	return shown
}

package commands

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/sched"
	"synap/tenant"
)

// Reply modes of CLIENT REPLY.
const (
	ReplyOn = iota
	ReplyOff
	ReplySkip
)

// Client is one connection's state.
type Client struct {
	ID      int64
	Addr    string
	LAddr   string
	Created time.Time

	srv *Server
	nc  net.Conn
	out io.Writer // nc, or raw system calls on its socket (rawio_linux.go)
	rd  *resp.Reader
	W   *resp.Writer
	Tx  *engine.Tx

	// Set by the connection's own goroutine; read by CLIENT LIST under mu.
	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	lastCmd string

	DB     int
	NS     *engine.Namespace
	Authed bool
	// In cluster mode: who the connection's access key belongs to (P), the
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
	clock           time.Time
	closeAfterReply atomic.Bool
	killed          atomic.Bool
	// Transactions and blocking (multi.go, blocking.go).
	multi      *multiState
	inExec     bool
	watching   []watched
	watchDirty atomic.Bool // a watched key changed
	blocked    *waiter
	parked     atomic.Bool  // blocked, for other connections' CLIENT LIST and INFO
	multiLen   atomic.Int64 // queued commands + 1 while in MULTI, for CLIENT LIST
	readyBuf   []waitKey

	keyIdx []int
	keyBuf [][]byte
	ctx    Ctx

	pacing   pacing
	warmLeft int // buffered commands whose keys were already warmed
	// batchRun counts the commands run since the last read, for the yield
	// every yieldCommands of a long pipeline.
	batchRun int
	warmSkip int // reads to go before warm looks ahead again
	warmIdx  []int
	warmKeys [][]byte

	// execRecords are the running EXEC's writes for the write hook, sent
	// together when it ends (propagate.go).
	execRecords []Record
}

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
		c.T.Commands[p.cmd.Index].Add(p.cmdN)
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
			t.Commands[p.cmd.Index].Add(p.cmdN)
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

// Kill disconnects the client; its goroutine notices on its next read or write.
func (c *Client) Kill() {
	if c.killed.CompareAndSwap(false, true) {
		_ = c.nc.Close()
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
func (c *Client) QueryBuf() int { return c.rd.Buffered() }

// flushStep is the most of a reply written by one system call.
const flushStep = 256 << 10

func (c *Client) flush() bool {
	c.flushStats()
	if c.W.Len() == 0 {
		return true
	}
	// A reply of many MB goes out in steps with a chance to yield between
	// them: one write system call of it copies for ms, and the goroutine
	// cannot be preempted inside the kernel.
	buf, n := c.W.Buf, 0
	var err error
	for len(buf) > 0 && err == nil {
		if n > 0 {
			sched.Maybe()
		}
		var m int
		m, err = c.out.Write(buf[:min(len(buf), flushStep)])
		n, buf = n+m, buf[m:]
		if m == 0 && err == nil {
			err = io.ErrShortWrite
		}
	}
	c.srv.Stats.NetOutput.Add(int64(n))
	c.W.Reset()
	c.W.Release() // do not keep a huge reply buffer per idle client
	return err == nil
}

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

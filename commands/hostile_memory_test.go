package commands

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/resp/resptest"
)

// Ids were taken twice per connection (at accept and in newClient), so
// three new connections got 1, 3, 5.
func TestHostileClientIDsAreConsecutive(t *testing.T) {
	srv := startServer(t)
	for want := 1; want <= 3; want++ {
		c := dial(t, srv)
		if got := c.Do("CLIENT", "ID"); got != ":"+string(rune('0'+want)) {
			t.Errorf("connection %d: CLIENT ID = %s", want, got)
		}
	}
}

// closingListener hands out one connection only once it is being closed:
// the connection a server accepts while it shuts down.
type closingListener struct {
	closed chan struct{}
	once   sync.Once
	late   net.Conn
	handed bool
}

func (l *closingListener) Accept() (net.Conn, error) {
	<-l.closed
	if !l.handed {
		l.handed = true
		// Late enough that Close has already killed the clients it knew.
		time.Sleep(50 * time.Millisecond)
		return l.late, nil
	}
	return nil, net.ErrClosed
}

func (l *closingListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *closingListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// A connection accepted while Close runs was never killed: its goroutine
// read forever and SIGTERM could hang.
func TestHostileConnectionAcceptedDuringClose(t *testing.T) {
	srv := newTestServer()
	server, peer := net.Pipe()
	defer peer.Close()
	ln := &closingListener{closed: make(chan struct{}), late: server}
	ServeRESP(srv, ln)
	closed := make(chan struct{})
	go func() {
		_ = srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a connection accepted while it ran")
	}
	// The late connection must be closed, not left serving.
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	_, err := peer.Read(b[:])
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("the connection accepted during Close is still open (read: %v)", err)
	}
}

// allocated is what the process has allocated since it started: unlike
// the live heap it does not depend on when the collector ran, so the
// difference around an attack is what the attack made the server build
// (plus the test client's own reading of the replies).
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// allocatedBy runs fn and fails the test when it allocated more than most.
func allocatedBy(t *testing.T, what string, most uint64, fn func()) {
	t.Helper()
	before := allocated()
	fn()
	if got := allocated() - before; got > most {
		t.Errorf("%s allocated %d bytes, want at most %d", what, got, most)
	}
}

func replyTooBig(n int) string {
	return fmt.Sprintf("-ERR reply exceeds the output buffer limit of %d bytes; the command ran, its reply was dropped", n)
}

// pushEmpty appends n empty elements to list key.
func pushEmpty(t *testing.T, c *resptest.Client, key string, n int) {
	t.Helper()
	args := []string{"RPUSH", key}
	for i := 0; i < n; i++ {
		args = append(args, "")
	}
	if got := c.Do(args...); got != ":"+strconv.Itoa(n) {
		t.Fatalf("RPUSH: %s", got)
	}
}

// SORT_RO ... GET big* over many empty elements multiplies one value into
// a reply of n times its size (4.5 GB at full scale, out of memory): the
// reply bound stops it, and nothing near that size is ever allocated.
func TestHostileSortGetReplyBound(t *testing.T) {
	const bound = 1 << 20
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = bound })
	c := dial(t, srv)
	pushEmpty(t, c, "L", 2000)
	if got := c.Do("SET", "big", strings.Repeat("v", 100<<10)); got != "+OK" {
		t.Fatal(got)
	}
	// Unbounded, this reply is 200 MB.
	allocatedBy(t, "SORT_RO GET over the bound", 24<<20, func() {
		if got := c.Do("SORT_RO", "L", "BY", "nosort", "GET", "big*"); got != replyTooBig(bound) {
			t.Errorf("got %.200s", got)
		}
	})
	// The connection and the server go on; a reply under the bound is whole.
	if got := c.Do("SORT_RO", "L", "BY", "nosort", "LIMIT", "0", "3", "GET", "nosuch*"); got != "[nil nil nil]" {
		t.Errorf("got %s", got)
	}
	hostileAlive(t, c)
	if n := srv.Stats.FailedCalls.Load(); n != 1 {
		t.Errorf("failed calls: %d, want 1", n)
	}
}

// MULTI with many GETs of a big value piled every reply up until EXEC
// ended. The transaction's replies share one bound; every command still
// runs, and each one whose reply does not fit gets the error in its slot,
// so a partial result is never hidden.
func TestHostileExecReplyBound(t *testing.T) {
	const bound = 300 << 10
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = bound })
	c := dial(t, srv)
	val := strings.Repeat("v", 100<<10)
	runSteps(t, c, []step{
		{args: []string{"SET", "big", val}, want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
	})
	const gets = 200 // 20 MB of replies unbounded
	for i := 0; i < gets; i++ {
		if got := c.Do("GET", "big"); got != "+QUEUED" {
			t.Fatal(got)
		}
	}
	if got := c.Do("INCR", "n"); got != "+QUEUED" {
		t.Fatal(got)
	}
	var got string
	allocatedBy(t, "EXEC over the bound", 10<<20, func() { got = c.Do("EXEC") })
	// Two values and their headers fit in 300 KB, not three.
	want := []string{strconv.Quote(val), strconv.Quote(val)}
	for len(want) < gets {
		want = append(want, replyTooBig(bound))
	}
	want = append(want, ":1") // a small reply still fits after the refused ones
	if w := "[" + strings.Join(want, " ") + "]"; got != w {
		i := 0
		for i < len(got) && i < len(w) && got[i] == w[i] {
			i++
		}
		t.Errorf("EXEC: got %d bytes, want %d; from byte %d got %.300q", len(got), len(w), i, got[i:])
	}
	if got := c.Do("GET", "n"); got != `"1"` {
		t.Errorf("INCR ran? GET n = %s", got)
	}
}

// The bound is per reply: a long pipeline of replies that each fit
// streams through, whatever its total.
func TestHostilePipelineStreamsUnderReplyBound(t *testing.T) {
	const bound = 256 << 10
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = bound })
	c := dial(t, srv)
	val := strings.Repeat("p", 100<<10)
	if got := c.Do("SET", "v", val); got != "+OK" {
		t.Fatal(got)
	}
	var pipe []byte
	for i := 0; i < 50; i++ {
		pipe = append(pipe, resptest.Encode("GET", "v")...)
	}
	if err := c.Send(string(pipe)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if got := c.Read(); got != strconv.Quote(val) {
			t.Fatalf("reply %d: %.80s", i, got)
		}
	}
}

// client-output-buffer-limit is Redis's setting, with its syntax, defaults
// and error texts (checked against redis-server 7.0.15).
func TestHostileOutputBufferLimitConfig(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	const failed = "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "
	runSteps(t, c, []step{
		{cmd: "CONFIG GET client-output-buffer-limit", want: `["client-output-buffer-limit" "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]`},
		{args: []string{"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb"}, want: failed + "Wrong number of arguments in buffer limit configuration."},
		{args: []string{"CONFIG", "SET", "client-output-buffer-limit", "bogus 1 1 1"}, want: failed + "Invalid client class specified in buffer limit configuration."},
		{args: []string{"CONFIG", "SET", "client-output-buffer-limit", "normal 1x 1 1"}, want: failed + "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{args: []string{"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 512kb 10 replica 1 2 3"}, want: "+OK"},
		{cmd: "CONFIG GET client-output-buffer-limit", want: `["client-output-buffer-limit" "normal 1048576 524288 10 slave 1 2 3 pubsub 33554432 8388608 60"]`},
		{cmd: "CONFIG GET tenant-output-buffer-limit", want: `["tenant-output-buffer-limit" "33554432"]`},
		{cmd: "CONFIG GET transient-memory-limit", want: `["transient-memory-limit" "1073741824"]`},
	})
	// The setting applies at once, to this connection too.
	if got := c.Do("SET", "v", strings.Repeat("x", 2<<20)); got != "+OK" {
		t.Fatal(got)
	}
	if got := c.Do("GET", "v"); got != replyTooBig(1<<20) {
		t.Errorf("got %.100s", got)
	}
	runSteps(t, c, []step{
		{args: []string{"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"}, want: "+OK"},
		{cmd: "STRLEN v", want: ":2097152"},
	})
	if got := c.Do("GET", "v"); len(got) != 2<<20+2 {
		t.Errorf("unbounded again: got %d bytes", len(got))
	}
}

// A tenant's replies are bounded even when the normal class is not.
func TestHostileTenantReplyBoundAlwaysFinite(t *testing.T) {
	f := startCluster(t)
	if err := f.srv.UpdateConfig(func(c *Config) error { c.TenantOutputBufferLimit = 64 << 10; return nil }); err != nil {
		t.Fatal(err)
	}
	alice := f.as(t, "alice-rw")
	val := strings.Repeat("a", 100<<10)
	runSteps(t, alice, []step{
		{args: []string{"SET", "v", val}, want: "+OK"},
		{cmd: "GET v", want: replyTooBig(64 << 10)},
		{cmd: "GETRANGE v 0 4", want: `"aaaaa"`},
	})
	// A normal class limit below the tenant's applies to tenants too.
	if err := f.srv.UpdateConfig(func(c *Config) error { c.OutputBufferLimits.Normal.Hard = 32 << 10; return nil }); err != nil {
		t.Fatal(err)
	}
	runSteps(t, alice, []step{{cmd: "GET v", want: replyTooBig(32 << 10)}})
}

// LCS's table is transient memory: one LCS is bounded by
// proto-max-bulk-len as in Redis, and all of them together by
// transient-memory-limit. A command that cannot get its share is refused
// at once, never waits holding its locks.
func TestHostileLCSTransientBudget(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.TransientMemoryLimit = 1 << 20 })
	c := dial(t, srv)
	a, b := strings.Repeat("ab", 200), strings.Repeat("ba", 200) // a 401x401 table: 643204 bytes
	runSteps(t, c, []step{
		{args: []string{"MSET", "a", a, "b", b}, want: "+OK"},
		{cmd: "LCS a b LEN", want: ":399"},
	})
	if n := srv.TransientInUse(); n != 0 {
		t.Errorf("transient memory still held after LCS: %d", n)
	}
	// Other commands hold 500000 bytes of the budget meanwhile.
	srv.transient.used.Add(500000)
	runSteps(t, c, []step{{cmd: "LCS a b LEN", want: "-ERR Insufficient memory, transient memory for 'lcs' needs 643204 bytes while 500000 of transient-memory-limit 1048576 are in use; try again later"}})
	srv.transient.used.Add(-500000)
	runSteps(t, c, []step{
		{cmd: "LCS a b LEN", want: ":399"},
		// Redis's own bound, text checked against redis-server 7.0.15.
		{args: []string{"SET", "c", strings.Repeat("c", 600)}, want: "+OK"},
		{cmd: "CONFIG SET proto-max-bulk-len 1mb", want: "+OK"},
		{cmd: "LCS c c", want: "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"},
	})
}

// A tenant holds at most a quarter of the budget, so one tenant's LCSs
// cannot refuse everyone else's.
func TestHostileLCSTenantShare(t *testing.T) {
	f := startCluster(t)
	if err := f.srv.UpdateConfig(func(c *Config) error { c.TransientMemoryLimit = 4 << 20; return nil }); err != nil {
		t.Fatal(err)
	}
	alice := f.as(t, "alice-rw")
	s := strings.Repeat("x", 600) // a 601x601 table: 1444804 bytes, over a quarter of 4 MB
	runSteps(t, alice, []step{
		{args: []string{"MSET", "a", s, "b", s}, want: "+OK"},
		{cmd: "LCS a b LEN", want: "-ERR Insufficient memory, transient memory for 'lcs' needs 1444804 bytes while this tenant's commands hold 0 of the 1048576 it may (a quarter of transient-memory-limit); try again later"},
		{cmd: "LCS a a LEN", want: "-ERR Insufficient memory, transient memory for 'lcs' needs 1444804 bytes while this tenant's commands hold 0 of the 1048576 it may (a quarter of transient-memory-limit); try again later"},
		{args: []string{"SET", "small", strings.Repeat("x", 400)}, want: "+OK"},
		{cmd: "LCS small small LEN", want: ":400"},
	})
	if n := f.srv.TransientInUse(); n != 0 {
		t.Errorf("transient memory still held: %d", n)
	}
}

// A big SORT's element buffers come out of the same budget.
func TestHostileSortTransientBudget(t *testing.T) {
	const limit = 2 << 20
	srv := startServer(t, func(c *Config) { c.TransientMemoryLimit = limit })
	c := dial(t, srv)
	n := int(sortBudgetAbove/sortItemCost) + 100
	pushEmpty(t, c, "L", n)
	need := int64(n) * sortItemCost
	runSteps(t, c, []step{
		{cmd: "SORT L LIMIT 0 1", want: "[\"\"]"},
	})
	srv.transient.used.Add(limit - need + 1)
	runSteps(t, c, []step{
		{cmd: "SORT L LIMIT 0 1", want: fmt.Sprintf("-ERR Insufficient memory, transient memory for 'sort' needs %d bytes while %d of transient-memory-limit %d are in use; try again later", need, limit-need+1, limit)},
	})
	srv.transient.used.Add(-(limit - need + 1))
	if got := srv.TransientInUse(); got != 0 {
		t.Errorf("held: %d", got)
	}
}

// A tenant's max_payload_bytes was checked only once the reader had
// buffered the whole command under the server-wide limits (780 MB held by
// a tenant with a 100 KB limit). After AUTH the reader follows the plan:
// a command announcing far more is refused from its headers.
func TestHostileTenantPayloadRefusedFromHeaders(t *testing.T) {
	f := startCluster(t)
	carol := f.as(t, "carol-rw") // max_payload_bytes: 60
	// A small overshoot is read and refused; the connection stays.
	runSteps(t, carol, []step{{cmd: "SET k " + strings.Repeat("x", 61), want: "-QUOTA payload of 62 bytes exceeds the limit of 60 bytes"}})
	// Only the headers are sent: the body is never needed to refuse it.
	if err := carol.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := carol.Read(); got != "-QUOTA payload of at least 204801 bytes exceeds the limit of 60 bytes" {
		t.Errorf("got %s", got)
	}
	hostileClosed(t, carol)

	// Many empty arguments announce no payload; what one command may
	// buffer is still bounded (closed without a reply, as Redis closes a
	// client over its query buffer limit).
	carol = f.as(t, "carol-rw")
	flood := "*100000\r\n$3\r\nSET\r\n" + strings.Repeat("$0\r\n\r\n", 40000)
	go func() { _ = carol.Send(flood) }()
	hostileClosed(t, carol)
	hostileAlive(t, f.as(t, "alice-rw"))
}

// AUTH to another tenant rebinds the reader's limits at once.
func TestHostileTenantPayloadFollowsReAuth(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw") // no payload limit
	big := strings.Repeat("b", 200<<10)
	runSteps(t, c, []step{
		{args: []string{"SET", "k", big}, want: "+OK"},
		{cmd: "AUTH " + clusterSecret("carol-rw"), want: "+OK"},
	})
	if err := c.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := c.Read(); got != "-QUOTA payload of at least 204801 bytes exceeds the limit of 60 bytes" {
		t.Errorf("got %s", got)
	}
}

// A plan's payload limit lowered live applies to open connections.
func TestHostileTenantPayloadFollowsLiveLimits(t *testing.T) {
	setCarolLimits(t, "{rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	setCarolLimits(t, "{rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: 100}")
	f.replace(t, clusterFile(clusterKeys))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := c.Do("SET", "k", strings.Repeat("x", 101))
		if got == "-QUOTA payload of 102 bytes exceeds the limit of 100 bytes" {
			break
		}
		if got != "+OK" || time.Now().After(deadline) {
			t.Fatalf("after lowering the payload limit: %s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := c.Read(); got != "-QUOTA payload of at least 204801 bytes exceeds the limit of 100 bytes" {
		t.Errorf("got %s", got)
	}
}

// A tenant's MULTI queue could grow to client-query-buffer-limit (1 GB)
// per connection; it is bounded by the tenant's limits.
func TestHostileTenantMultiQueueBound(t *testing.T) {
	f := startCluster(t)
	if err := f.srv.UpdateConfig(func(c *Config) error { c.TenantOutputBufferLimit = 1 << 20; return nil }); err != nil {
		t.Fatal(err)
	}
	c := f.as(t, "alice-rw")
	val := strings.Repeat("q", 60<<10)
	runSteps(t, c, []step{{cmd: "MULTI", want: "+OK"}})
	queued := 0
	for ; queued < 100; queued++ {
		got := c.Do("SET", "k", val)
		if got == "+QUEUED" {
			continue
		}
		if got != "-ERR MULTI queue exceeds 1048576 bytes, this connection's limit for queued commands" {
			t.Fatalf("command %d: %s", queued, got)
		}
		break
	}
	if queued != 17 { // each keeps 61516 bytes by argBytes' count
		t.Errorf("queued %d commands, want 17", queued)
	}
	runSteps(t, c, []step{{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."}})
}

// Before AUTH there was no deadline: idle sockets stayed forever.
func TestHostilePreAuthDeadline(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "pw"; c.AuthTimeout = 1 })
	idle := dial(t, srv)
	authed := dial(t, srv)
	runSteps(t, authed, []step{{cmd: "AUTH pw", want: "+OK"}})
	// Dripping bytes does not extend the deadline.
	_ = idle.Send("*1\r\n")
	hostileClosed(t, idle)
	time.Sleep(200 * time.Millisecond) // past the deadline the idle one had
	runSteps(t, authed, []step{{cmd: "PING", want: "+PONG"}})
	runSteps(t, dial(t, srv), []step{{cmd: "CONFIG GET auth-timeout", want: "-NOAUTH Authentication required."}})
	runSteps(t, authed, []step{{cmd: "CONFIG GET auth-timeout", want: `["auth-timeout" "1"]`}})
}

// Without a password there is nothing to wait for: no deadline.
func TestHostileNoDeadlineWithoutAuth(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.AuthTimeout = 1 })
	c := dial(t, srv)
	time.Sleep(1500 * time.Millisecond)
	runSteps(t, c, []step{{cmd: "PING", want: "+PONG"}})
}

// 50 idle sockets filled maxclients and locked everyone out. Connections
// waiting to authenticate are capped below maxclients.
func TestHostileUnauthenticatedCap(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "pw"; c.MaxClients = 4 })
	a, b := dial(t, srv), dial(t, srv)
	hostileAliveNoAuth(t, a)
	hostileAliveNoAuth(t, b)
	third := dial(t, srv)
	if got := third.Read(); got != "-ERR max number of unauthenticated clients reached" {
		t.Errorf("third unauthenticated connection: %s", got)
	}
	hostileClosed(t, third)
	// Once one authenticates, its place is free for the next.
	runSteps(t, a, []step{
		{cmd: "AUTH pw", want: "+OK"},
		{cmd: "CONFIG GET unauthenticated-client-limit", want: `["unauthenticated-client-limit" "2"]`},
	})
	c := dial(t, srv)
	runSteps(t, c, []step{{cmd: "AUTH pw", want: "+OK"}})
	if n := srv.Stats.RejectedConns.Load(); n != 1 {
		t.Errorf("rejected connections: %d, want 1", n)
	}
}

func hostileAliveNoAuth(t *testing.T, c *resptest.Client) {
	t.Helper()
	if got := c.Do("PING"); got != "-NOAUTH Authentication required." {
		t.Errorf("got %s", got)
	}
}

// 2,000 unauthenticated half-sent frames held 630 MB: before AUTH a
// client's whole buffered command is small, finished arguments included.
func TestHostilePreAuthInputSmall(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "pw" })
	bystander := dial(t, srv)
	// Two arguments under Redis's 16 KB each, 30 KB together.
	c := dial(t, srv)
	arg := strings.Repeat("a", 15000)
	go func() { _ = c.Send("*3\r\n$4\r\nAUTH\r\n$15000\r\n" + arg + "\r\n$15000\r\n" + arg) }()
	hostileClosed(t, c)
	// An inline request without its newline: 20 KB is enough.
	c = dial(t, srv)
	go func() { _ = c.Send(strings.Repeat("x", 20000)) }()
	hostileClosed(t, c)
	// AUTH itself, and Redis's pre-AUTH limits, still work.
	runSteps(t, bystander, []step{
		{args: []string{"AUTH", strings.Repeat("p", 16000)}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{cmd: "AUTH pw", want: "+OK"},
	})
}

// One value bigger than the bound is never copied into the reply buffer.
func TestHostileBigValueNotCopiedIntoReply(t *testing.T) {
	const bound = 64 << 10
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = bound })
	c := dial(t, srv)
	if got := c.Do("SET", "v", strings.Repeat("x", 8<<20)); got != "+OK" {
		t.Fatal(got)
	}
	allocatedBy(t, "GET of a value over the bound", 2<<20, func() {
		if got := c.Do("GET", "v"); got != replyTooBig(bound) {
			t.Errorf("got %.100s", got)
		}
	})
}

// Any panic but an engine assertion raised before a change is logged with
// its stack and stops the process (exit status non-zero), as Redis does:
// serving on from a half-changed structure could corrupt every tenant's
// data. Each case runs in a child process, which must die.
func TestHostilePanicStopsProcess(t *testing.T) {
	if which := os.Getenv("SYNAP_PANIC_CHILD"); which != "" {
		hostilePanicChild(which)
		return
	}
	for _, c := range []struct{ which, want string }{
		{"crash", "hostile test panic"},
		{"late", "engine: key outside the command's lock set (after the transaction may have changed data)"},
		{"keys", "index out of range"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHostilePanicStopsProcess$")
		cmd.Env = append(os.Environ(), "SYNAP_PANIC_CHILD="+c.which)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("%s: the process went on (%v); stderr: %s", c.which, err, stderr.String())
			continue
		}
		out := stderr.String()
		for _, w := range []string{"command panicked; stopping the server", c.want, "goroutine "} {
			if !strings.Contains(out, w) {
				t.Errorf("%s: %q missing from stderr:\n%.2000s", c.which, w, out)
			}
		}
	}
}

// hostilePanicChild serves, runs the panicking command and exits 0 only
// if the process survived it.
func hostilePanicChild(which string) {
	srv := newTestServer()
	srv.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	hostileCommands(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ServeRESP(srv, ln)
	c, err := resptest.Dial(ln.Addr().String())
	if err != nil {
		panic(err)
	}
	args := []string{"hostilepanic", "k", which}
	if which == "keys" {
		args = []string{"hostilekeys", "k"}
	}
	reply := c.Do(args...)
	// The connection closes while the panic unwinds; the process ends
	// right after. Still here well after that, it survived.
	time.Sleep(5 * time.Second)
	fmt.Fprintln(os.Stderr, "child survived; reply:", reply)
	os.Exit(0)
}

// Handlers that size their reply buffer up front (LRANGE, HGETALL,
// ZRANGE, SMEMBERS) do not reserve a reply past the bound either.
func TestHostilePresizedRepliesBounded(t *testing.T) {
	const bound = 64 << 10
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = bound })
	c := dial(t, srv)
	v := strings.Repeat("e", 2000)
	push := []string{"RPUSH", "l"}
	hset := []string{"HSET", "h"}
	zadd := []string{"ZADD", "z"}
	sadd := []string{"SADD", "s"}
	for i := 0; i < 2000; i++ {
		m := strconv.Itoa(i) + v
		push = append(push, m)
		hset = append(hset, m, "x")
		zadd = append(zadd, strconv.Itoa(i), m)
		sadd = append(sadd, m)
	}
	for _, cmd := range [][]string{push, hset, zadd, sadd} {
		if got := c.Do(cmd...); got != ":2000" {
			t.Fatalf("%s: %s", cmd[0], got)
		}
	}
	for _, cmd := range [][]string{{"LRANGE", "l", "0", "-1"}, {"HGETALL", "h"}, {"ZRANGE", "z", "0", "-1"}, {"SMEMBERS", "s"}} {
		allocatedBy(t, cmd[0]+" over the bound", 1<<20, func() {
			if got := c.Do(cmd...); got != replyTooBig(bound) {
				t.Errorf("%s: got %.100s", cmd[0], got)
			}
		})
	}
	runSteps(t, c, []step{{cmd: "LRANGE l 0 0", want: `["0` + v + `"]`}})
}

// One address holds only a share of the unauthenticated places (a
// sixteenth, at least 2), so a single host refilling them every
// auth-timeout cannot keep every other client from connecting.
func TestHostileUnauthenticatedPerAddress(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "pw"; c.MaxClients = 40 })
	a, b := dial(t, srv), dial(t, srv)
	hostileAliveNoAuth(t, a)
	hostileAliveNoAuth(t, b)
	third := dial(t, srv)
	if got := third.Read(); got != "-ERR max number of unauthenticated clients from this address reached" {
		t.Errorf("third unauthenticated connection from one address: %s", got)
	}
	hostileClosed(t, third)
	// Authenticating gives the address its place back; so does leaving.
	runSteps(t, a, []step{{cmd: "AUTH pw", want: "+OK"}})
	c := dial(t, srv)
	hostileAliveNoAuth(t, c)
	_ = b.Close()
	for deadline := time.Now().Add(5 * time.Second); srv.unauthed.Load() != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("a closed unauthenticated connection still holds its place: %d held", srv.unauthed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := dial(t, srv)
	runSteps(t, d, []step{{cmd: "AUTH pw", want: "+OK"}})
	if n := srv.Stats.RejectedConns.Load(); n != 1 {
		t.Errorf("rejected connections: %d, want 1", n)
	}
}

// A reply that fits the bound is never refused for what a handler only
// estimated: HKEYS of a hash of big values is a few bytes, and LRANGE of
// many one-byte elements is 7 bytes an element, not the 17 the estimate
// charged.
func TestHostileReplyBoundRefusesOnlyWhatPasses(t *testing.T) {
	const bound = 1 << 20
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = bound })
	c := dial(t, srv)
	big := strings.Repeat("v", 600<<10)
	runSteps(t, c, []step{
		{args: []string{"HSET", "h", "f1", big, "f2", big}, want: ":2"},
		{cmd: "HKEYS h", want: `["f1" "f2"]`},
	})
	const n = 100_000 // 700 KB of reply
	args := []string{"RPUSH", "l"}
	for range n {
		args = append(args, "x")
	}
	if got := c.Do(args...); got != ":100000" {
		t.Fatalf("RPUSH: %s", got)
	}
	got := c.Do("LRANGE", "l", "0", "-1")
	if want := "[" + strings.TrimSuffix(strings.Repeat(`"x" `, n), " ") + "]"; got != want {
		t.Errorf("LRANGE of %d one-byte elements: %.120s", n, got)
	}
}

// SORT ... BY ... ALPHA keeps every BY value it looked up to compare them:
// a list of many elements all pointing at one big value made it copy that
// value once an element, without limit. The copies are transient memory,
// reserved as they grow: past the budget the command is refused and
// nothing stays held.
func TestHostileSortKeptLookupsBudget(t *testing.T) {
	const limit = 8 << 20
	srv := startServer(t, func(c *Config) { c.TransientMemoryLimit = limit })
	c := dial(t, srv)
	runSteps(t, c, []step{{args: []string{"SET", "big", strings.Repeat("b", 1<<20)}, want: "+OK"}})
	pushEmpty(t, c, "L", 20) // 20 MB of kept copies
	// Reserved doubling: 1, 2, 4, 8 MB held; the next 8 MB does not fit.
	want := fmt.Sprintf("-ERR Insufficient memory, transient memory for 'sort_ro' needs %d bytes while %d of transient-memory-limit %d are in use; try again later", 8<<20, 8<<20, limit)
	runSteps(t, c, []step{
		{cmd: "SORT_RO L BY big* ALPHA", want: want},
		{cmd: "SORT L BY big* ALPHA GET # STORE dst", want: strings.Replace(want, "'sort_ro'", "'sort'", 1)},
		{cmd: "SORT_RO L BY big* ALPHA LIMIT 0 1", want: want}, // LIMIT applies after sorting
		{cmd: "SET n 5", want: "+OK"},
		{cmd: "SORT_RO L BY n* LIMIT 0 2", want: `["" ""]`}, // numeric weights keep no copies
	})
	if got := srv.TransientInUse(); got != 0 {
		t.Errorf("held after the refusals: %d", got)
	}
	hostileAlive(t, c)
}

// RESET (or a key found revoked) makes a connection unauthenticated again:
// it gets auth-timeout from then, not from when it was opened (long past
// for a pooled connection, which was dropped at its next read), and it
// counts among the connections waiting to authenticate.
func TestHostileResetRestartsAuthDeadline(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "pw"; c.AuthTimeout = 1 })
	c := dial(t, srv)
	runSteps(t, c, []step{{cmd: "AUTH pw", want: "+OK"}})
	time.Sleep(1200 * time.Millisecond) // past the deadline the connection had when opened
	runSteps(t, c, []step{{cmd: "RESET", want: "+RESET"}})
	if n := srv.unauthed.Load(); n != 1 {
		t.Errorf("unauthenticated after RESET: %d, want 1", n)
	}
	runSteps(t, c, []step{
		{cmd: "AUTH pw", want: "+OK"},
		{cmd: "RESET", want: "+RESET"},
	})
	if n := srv.unauthed.Load(); n != 1 {
		t.Errorf("unauthenticated after AUTH and RESET: %d, want 1", n)
	}
	hostileClosed(t, c) // and left unauthenticated, it is closed at its deadline
	for deadline := time.Now().Add(5 * time.Second); srv.unauthed.Load() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection still counts as unauthenticated: %d", srv.unauthed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

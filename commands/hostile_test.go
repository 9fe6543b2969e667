package commands

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"synap/engine"
	"synap/resp/resptest"
)

// hostileStart is startServer plus test-only commands, added to this
// server's table before it serves so no other test's table sees them:
// "hostilepanic <key> boom" trips an engine assertion (a key outside its
// lock set) while holding its key's write lock, before changing anything;
// "hostilepanic <key> crash" writes its key and then panics, and
// "hostilepanic <key> late" writes its key and then trips the engine's
// check, both of which stop the process (hostile_memory_test.go);
// "hostilepanic <key> <other>" replies with the key's length, and
// "hostilekeys ..." has a KeysFn with an off-by-one bug.
func hostileStart(t *testing.T, opts ...func(*Config)) *Server {
	t.Helper()
	srv := newTestServer(opts...)
	hostileCommands(srv)
	serveTest(t, srv)
	return srv
}

func hostileCommands(srv *Server) {
	srv.Table.add(&Command{Name: "hostilepanic", Arity: 3, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1,
		Run: func(x *Ctx) {
			// A key on a shard the command did not lock.
			other := []byte("x")
			for srv.Eng.ShardOf(other) == srv.Eng.ShardOf(x.Args[1]) {
				other = append(other, 'x')
			}
			switch string(x.Args[2]) {
			case "boom":
				x.W.Array(2) // half a reply, which must not reach the client
				x.Tx.Get(other)
			case "crash":
				x.Tx.Put(x.Args[1], engine.NewString([]byte("half")))
				panic("hostile test panic")
			case "late":
				x.Tx.Put(x.Args[1], engine.NewString([]byte("half")))
				x.Tx.Get(other)
			}
			x.W.Int(int64(len(x.Args[1])))
		}})
	srv.Table.add(&Command{Name: "hostilekeys", Arity: -2, Flags: FlagReadOnly,
		KeysFn: func(args [][]byte) []int { return []int{len(args)} },
		Run:    func(x *Ctx) { x.W.OK() }})
}

// hostileClosed reports whether the server has closed c (EOF or reset),
// failing on a reply or a timeout instead.
func hostileClosed(t *testing.T, c *resptest.Client) {
	t.Helper()
	got := c.Read()
	if !strings.HasPrefix(got, "ERROR: ") || strings.Contains(got, "timeout") {
		t.Errorf("connection should be closed by the server, got %s", got)
	}
}

// hostileAlive checks that a client works normally.
func hostileAlive(t *testing.T, c *resptest.Client) {
	t.Helper()
	if got := c.Do("ECHO", "still here"); got != `"still here"` {
		t.Errorf("bystander: got %s", got)
	}
}

// sendMaxInt64Bulk sends the bulk length that crashes redcon's parser on
// a new connection: it gets Redis's protocol error and is closed.
func sendMaxInt64Bulk(t *testing.T, srv *Server) {
	t.Helper()
	bad := dial(t, srv)
	if err := bad.Send("*1\r\n$9223372036854775807\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := bad.Read(); got != "-ERR Protocol error: invalid bulk length" {
		t.Fatalf("got %s", got)
	}
	hostileClosed(t, bad)
}

func TestHostileMaxInt64Payload(t *testing.T) {
	srv := hostileStart(t)
	before := dial(t, srv)
	hostileAlive(t, before)
	sendMaxInt64Bulk(t, srv)
	hostileAlive(t, before)
	hostileAlive(t, dial(t, srv))
	if n := srv.Stats.ProtocolErrors.Load(); n != 1 {
		t.Errorf("protocol errors counted: %d, want 1", n)
	}
}

// Each payload is answered exactly as redis-server 7.0.15 answers it, and
// the connection is closed; other clients never notice.
func TestHostileMalformedHeaders(t *testing.T) {
	srv := hostileStart(t)
	before := dial(t, srv)
	const (
		invBulk  = "-ERR Protocol error: invalid bulk length"
		invMbulk = "-ERR Protocol error: invalid multibulk length"
	)
	cases := []struct {
		payload string
		want    []string
	}{
		{"*1\r\n$-1\r\n", []string{invBulk}},
		{"*1\r\n$+1\r\nx\r\n", []string{invBulk}},
		{"*1\r\n$01\r\nx\r\n", []string{invBulk}},
		{"*1\r\n$ 1\r\nx\r\n", []string{invBulk}},
		{"*1\r\n$1 \r\nx\r\n", []string{invBulk}},
		{"*1\r\n$a\r\n", []string{invBulk}},
		{"*1\r\n$\r\n", []string{invBulk}},
		{"*1\r\n$536870913\r\n", []string{invBulk}},
		{"*1\r\n$99999999999999999999\r\n", []string{invBulk}},
		{"*+1\r\n", []string{invMbulk}},
		{"*01\r\n", []string{invMbulk}},
		{"* 1\r\n", []string{invMbulk}},
		{"*a\r\n", []string{invMbulk}},
		{"*\r\n", []string{invMbulk}},
		{"*-0\r\n", []string{invMbulk}},
		{"*2147483648\r\n", []string{invMbulk}},
		{"*1\n$4\r\nPING\r\n", []string{invMbulk}},
		{"*1\r\nxyz\r\n", []string{"-ERR Protocol error: expected '$', got 'x'"}},
		{"*2\r\n$4\r\nECHO\r\n:1\r\n", []string{"-ERR Protocol error: expected '$', got ':'"}},
		{"*1\r\n\r\n", []string{"-ERR Protocol error: expected '$', got ' '"}},
		{"PING \"a\r\n", []string{"-ERR Protocol error: unbalanced quotes in request"}},
		{"ECHO 'a'b\r\n", []string{"-ERR Protocol error: unbalanced quotes in request"}},
		{"*" + strings.Repeat("1", 64<<10), []string{"-ERR Protocol error: too big mbulk count string"}},
		{"*1\r\n$" + strings.Repeat("1", 64<<10), []string{"-ERR Protocol error: too big bulk count string"}},
		{"*1\r\n" + strings.Repeat("x", 64<<10+1), []string{"-ERR Protocol error: too big bulk count string"}},
		{strings.Repeat("a", 64<<10+1), []string{"-ERR Protocol error: too big inline request"}},
		{"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\nPING\r\n", []string{"+PONG", "+PONG", invBulk}},
	}
	for _, c := range cases {
		name := c.payload
		if len(name) > 40 {
			name = fmt.Sprintf("%.20q...(%d bytes)", name, len(name))
		}
		t.Run(name, func(t *testing.T) {
			bad := dial(t, srv)
			if err := bad.Send(c.payload); err != nil {
				t.Fatal(err)
			}
			for _, want := range c.want {
				if got := bad.Read(); got != want {
					t.Fatalf("got %s, want %s", got, want)
				}
			}
			hostileClosed(t, bad)
			hostileAlive(t, before)
		})
	}
	hostileAlive(t, dial(t, srv))
}

// Empty commands and blank lines are skipped without a reply, as in Redis.
func TestHostileEmptyCommands(t *testing.T) {
	srv := hostileStart(t)
	c := dial(t, srv)
	if err := c.Send("\r\n\n   \r\n*0\r\n*-1\r\n*-9223372036854775808\r\nPING\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := c.Read(); got != "+PONG" {
		t.Fatalf("got %s", got)
	}
	hostileAlive(t, c)
}

func TestHostilePreAuthLimits(t *testing.T) {
	srv := hostileStart(t, func(c *Config) { c.RequirePass = "s3cret" })
	before := dial(t, srv)

	mbulk := dial(t, srv)
	_ = mbulk.Send("*11\r\n")
	if got := mbulk.Read(); got != "-ERR Protocol error: unauthenticated multibulk length" {
		t.Errorf("11 arguments before AUTH: got %s", got)
	}
	hostileClosed(t, mbulk)

	bulk := dial(t, srv)
	_ = bulk.Send("*1\r\n$16385\r\n")
	if got := bulk.Read(); got != "-ERR Protocol error: unauthenticated bulk length" {
		t.Errorf("16385-byte bulk before AUTH: got %s", got)
	}
	hostileClosed(t, bulk)

	// Within the limits a client just gets NOAUTH, and inline requests have
	// no argument limit.
	within := dial(t, srv)
	ten := make([]string, 10)
	for i := range ten {
		ten[i] = "PING"
	}
	runSteps(t, within, []step{
		{args: ten, want: "-NOAUTH Authentication required."},
		{args: []string{"ECHO", strings.Repeat("x", 16384)}, want: "-NOAUTH Authentication required."},
	})
	_ = within.Send("PING" + strings.Repeat(" a", 20) + "\r\n")
	if got := within.Read(); got != "-NOAUTH Authentication required." {
		t.Errorf("inline with 21 arguments: got %s", got)
	}

	// A failed AUTH leaves the limits on.
	_ = within.Send(string(resptest.Encode("AUTH", "wrong")) + "*11\r\n")
	if got := within.Read(); got != "-WRONGPASS invalid username-password pair or user is disabled." {
		t.Errorf("AUTH wrong: got %s", got)
	}
	if got := within.Read(); got != "-ERR Protocol error: unauthenticated multibulk length" {
		t.Errorf("11 arguments after a failed AUTH: got %s", got)
	}
	hostileClosed(t, within)

	// After AUTH (even pipelined with the big command) there are none.
	authed := dial(t, srv)
	big := strings.Repeat("y", 20000)
	eleven := append([]string{"ECHO"}, ten...)
	_ = authed.Send(string(resptest.Encode("AUTH", "s3cret")) + string(resptest.Encode(eleven...)) +
		string(resptest.Encode("ECHO", big)))
	for _, want := range []string{"+OK", "-ERR wrong number of arguments for 'echo' command", `"` + big + `"`} {
		if got := authed.Read(); got != want {
			t.Errorf("after AUTH: got %.60s, want %.60s", got, want)
		}
	}
	hostileAlive(t, authed)
	if got := before.Do("AUTH", "s3cret"); got != "+OK" {
		t.Errorf("bystander AUTH: %s", got)
	}
	hostileAlive(t, before)
}

// A client that trickles its command one byte per write gets the same reply.
func TestHostileSlowClient(t *testing.T) {
	srv := hostileStart(t)
	c := dial(t, srv)
	for _, cmd := range []struct{ raw, want string }{
		{"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n", `"hello"`},
		{"ECHO \"a b\"\r\n", `"a b"`},
		{"*3\r\n$12\r\nhostilepanic\r\n$3\r\nkey\r\n$2\r\nok\r\n", ":3"},
	} {
		for i := 0; i < len(cmd.raw); i++ {
			if err := c.Send(cmd.raw[i : i+1]); err != nil {
				t.Fatal(err)
			}
		}
		if got := c.Read(); got != cmd.want {
			t.Errorf("%q: got %s, want %s", cmd.raw, got, cmd.want)
		}
	}
}

func TestHostilePipeline10k(t *testing.T) {
	srv := hostileStart(t)
	c := dial(t, srv)
	const n = 10000
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			fmt.Fprintf(&b, "ECHO %d\r\n", i)
		} else {
			b.Write(resptest.Encode("ECHO", fmt.Sprint(i)))
		}
	}
	// Write while reading: a client that only writes would stall once both
	// directions' socket buffers are full.
	sent := make(chan error, 1)
	go func() { sent <- c.Send(b.String()) }()
	for i := 0; i < n; i++ {
		if got, want := c.Read(), fmt.Sprintf("%q", fmt.Sprint(i)); got != want {
			t.Fatalf("reply %d: got %s, want %s", i, got, want)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	hostileAlive(t, c)
}

// hostileBlockedWriting reports whether some connection's goroutine is
// blocked sending replies (its client stopped reading).
func hostileBlockedWriting() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[IO wait") && strings.Contains(g, "synap/resp/server.(*conn).flush") {
			return true
		}
	}
	return false
}

func TestHostileClientThatNeverReads(t *testing.T) {
	srv := hostileStart(t)
	other := dial(t, srv)
	hostileAlive(t, other)

	stalled := dial(t, srv)
	req := resptest.Encode("ECHO", strings.Repeat("z", 1<<20))
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// Far more replies than socket buffers hold; this blocks until the
		// connection is closed below.
		for i := 0; i < 256; i++ {
			if _, err := stalled.Conn.Write(req); err != nil {
				return
			}
		}
	}()
	hostileEventually(t, "a connection blocked sending replies", func() bool {
		select {
		case <-wrote:
			t.Fatal("256 MB of replies went to a client that never reads")
		default:
		}
		return hostileBlockedWriting()
	})

	hostileAlive(t, other)
	late := dial(t, srv)
	hostileAlive(t, late)
	if got := late.Do("hostilepanic", "k", "ok"); got != ":1" {
		t.Errorf("got %s", got)
	}
	_ = stalled.Close()
	<-wrote
}

func TestHostilePanicInHandler(t *testing.T) {
	srv := hostileStart(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "hostilepanic key boom", want: "-ERR internal error while running 'hostilepanic'"},
		{cmd: "hostilepanic key ok", want: ":3"},
		{cmd: "PING", want: "+PONG"},
	})
	// The key's shard lock was released: another client can take it.
	other := dial(t, srv)
	if got := other.Do("hostilepanic", "key", "ok"); got != ":3" {
		t.Errorf("other client: got %s", got)
	}
	// Pipelined, the commands around the panic are answered in order.
	_ = c.Send(string(resptest.Encode("ECHO", "a")) + string(resptest.Encode("hostilepanic", "key", "boom")) +
		string(resptest.Encode("ECHO", "b")))
	for _, want := range []string{`"a"`, "-ERR internal error while running 'hostilepanic'", `"b"`} {
		if got := c.Read(); got != want {
			t.Errorf("pipelined: got %s, want %s", got, want)
		}
	}
	if n := srv.Stats.UnexpectedPanics.Load(); n != 2 {
		t.Errorf("panics counted: %d, want 2", n)
	}
}

// A bug in a command's key finder is not an engine assertion: the panic
// leaves the dispatcher (which stops the process: see
// TestHostilePanicStopsProcess). Run from a test goroutine so that the
// escaping panic is caught here instead of killing the test binary.
func TestHostilePanicFindingKeys(t *testing.T) {
	srv := hostileStart(t)
	nc, peer := net.Pipe()
	defer nc.Close()
	defer peer.Close()
	c := srv.newClient(nc)
	var r any
	func() {
		defer func() { r = recover() }()
		srv.Exec(nil, c, [][]byte{[]byte("hostilekeys"), []byte("k")})
	}()
	if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("a KeysFn bug was recovered or changed on its way out: %v", r)
	}
	if len(c.W.Buf) != 0 {
		t.Errorf("a reply was written: %q", c.W.Buf)
	}
}

func TestHostileQueryBufferLimit(t *testing.T) {
	srv := hostileStart(t, func(c *Config) { c.ClientQueryBufferLimit = 1 << 20 })
	before := dial(t, srv)

	// A single argument bigger than the limit: closed without a reply.
	big := dial(t, srv)
	go func() { _ = big.Send("*2\r\n$4\r\nECHO\r\n$2000000\r\n" + strings.Repeat("x", 1100000)) }()
	hostileClosed(t, big)
	hostileAlive(t, before)

	// Redis counts only the argument still arriving, so a command bigger
	// than the limit in total, made of smaller arguments, is accepted even
	// when the server holds all of it but its last bytes.
	many := dial(t, srv)
	a, b := strings.Repeat("a", 600000), strings.Repeat("b", 600000)
	req := string(resptest.Encode("PING", a, b))
	base := srv.Stats.NetInput.Load()
	go func() { _ = many.Send(req[:len(req)-2]) }()
	hostileEventually(t, "the server read the command but its CRLF", func() bool {
		return srv.Stats.NetInput.Load() >= base+int64(len(req)-2)
	})
	_ = many.Send(req[len(req)-2:])
	if got := many.Read(); got != "-ERR wrong number of arguments for 'ping' command" {
		t.Errorf("two 600KB arguments with a 1MB limit: got %.80s", got)
	}
	hostileAlive(t, dial(t, srv))
}

// Clients that vanish mid-command leave nothing behind.
func TestHostileAbandonedCommands(t *testing.T) {
	srv := hostileStart(t)
	for _, partial := range []string{"*3\r\n$3\r\nSET\r\n", "*1\r\n$100\r\nabc", "*2147483647\r\n", "PING", "*1\r"} {
		c := dial(t, srv)
		_ = c.Send(partial)
		_ = c.Close()
	}
	c := dial(t, srv)
	hostileAlive(t, c)
	hostileEventually(t, "abandoned connections gone", func() bool { return srv.ClientCount() == 1 })
}

// hostileEventually polls cond; the deadline only keeps a broken server
// from hanging the test run.
func hostileEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
	}
}

// The unknown-command error clips what it echoes and stays on one line.
func TestHostileUnknownCommandEcho(t *testing.T) {
	srv := hostileStart(t)
	c := dial(t, srv)
	x, cs := strings.Repeat("x", 200), strings.Repeat("c", 200)
	runSteps(t, c, []step{
		{args: []string{x, "a\r\nb", cs},
			want: "-ERR unknown command '" + x[:128] + "', with args beginning with: 'a  b' '" + cs[:121] + "' "},
		{args: []string{x, cs, "d"},
			want: "-ERR unknown command '" + x[:128] + "', with args beginning with: '" + cs[:128] + "' "},
	})
	hostileAlive(t, c)
}

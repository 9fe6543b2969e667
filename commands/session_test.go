package commands

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp"
	"synap/tenant"
	"synap/tenant/tenantsfile"
)

// In-process sessions: a server with no listener, sessions with no socket,
// commands run through the one entry point (Exec, Call) and replies read
// as values.

// newClient is a RESP session that is neither served nor registered, in a
// batch as a connection's loop has it after a read: tests drive it with
// Exec and flushTenant, as the loop does.
func (s *Server) newClient(nc net.Conn) *Client {
	c := s.newSession(tenant.SurfaceRESP, LocalTransport{Remote: nc.RemoteAddr().String(), Local: nc.LocalAddr().String()}, 0)
	c.BeginBatch(time.Now())
	return c
}

// newLocal is a server that never listens, closed when the test ends.
func newLocal(t testing.TB, opts ...func(*Config)) *Server {
	t.Helper()
	srv := newTestServer(opts...)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// localSession is a socketless session of surface on srv, closed when the
// test ends (before the server: cleanups run last first).
func localSession(t testing.TB, srv *Server, surface tenant.Surface, remote string) *Session {
	t.Helper()
	c, err := srv.NewSession(surface, LocalTransport{Remote: remote, Local: "in-process"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// call runs one command on c and renders its reply as resptest does.
func call(t testing.TB, srv *Server, c *Session, args ...string) string {
	t.Helper()
	v, err := srv.Call(context.Background(), c, bargs(args)...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v.String()
}

func bargs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// sessionSteps runs steps on c, comparing each rendered reply exactly.
func sessionSteps(t *testing.T, srv *Server, c *Session, steps []step) {
	t.Helper()
	for _, s := range steps {
		args := s.args
		if args == nil {
			args = strings.Split(s.cmd, " ")
		}
		if got := call(t, srv, c, args...); got != s.want {
			t.Errorf("%q = %s, want %s", args, got, s.want)
		}
	}
}

func TestSessionCommands(t *testing.T) {
	srv := newLocal(t)
	c := localSession(t, srv, tenant.SurfaceREST, "10.0.0.1:5000")
	sessionSteps(t, srv, c, []step{
		{cmd: "PING", want: "+PONG"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		{cmd: "GET missing", want: "nil"},
		{cmd: "INCR k", want: "-ERR value is not an integer or out of range"},
		{cmd: "GETX k", want: "-ERR unknown command 'GETX', with args beginning with: 'k' "},
		{cmd: "GET", want: "-ERR wrong number of arguments for 'get' command"},
		{cmd: "HSET h f 1", want: ":1"},
		{cmd: "HGETALL h", want: `["f" "1"]`},
		{cmd: "ZADD z 1.5 m 2 n", want: ":2"},
		{cmd: "ZRANGE z 0 -1 WITHSCORES", want: `["m" "1.5" "n" "2"]`},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "GET k", want: "nil"},
		{cmd: "SELECT 0", want: "+OK"},
		// RESP3: the writer encodes for the session's protocol.
		{cmd: "HELLO 3", want: "{\"server\":\"redis\" \"version\":\"" + RedisVersion + "\" \"proto\"::3 \"id\"::" + strconv.FormatInt(c.ID, 10) + " \"mode\":\"standalone\" \"role\":\"master\" \"modules\":[]}"},
		{cmd: "GET missing", want: "null"},
		{cmd: "HGETALL h", want: `{"f":"1"}`},
		{cmd: "ZRANGE z 0 -1 WITHSCORES", want: `[["m" ,1.5] ["n" ,2]]`},
		{cmd: "ZSCORE z n", want: ",2"},
		{cmd: "CLIENT REPLY OFF", want: ""},
		{cmd: "SET k w", want: ""},
		{cmd: "CLIENT REPLY ON", want: "+OK"},
		{cmd: "GET k", want: `"w"`},
	})
}

// A session's surface is what its key is checked against: an MCP-only key
// is refused on RESP and REST by the same code that admits it on MCP.
func TestSessionSurfaces(t *testing.T) {
	f := localCluster(t)
	for _, tc := range []struct {
		surface tenant.Surface
		key     string
		want    string
	}{
		{tenant.SurfaceRESP, "alice-mcp", "-NOPERM User alice-mcp may not use the resp surface"},
		{tenant.SurfaceREST, "alice-mcp", "-NOPERM User alice-mcp may not use the rest surface"},
		{tenant.SurfaceWebSocket, "alice-mcp", "-NOPERM User alice-mcp may not use the websocket surface"},
		{tenant.SurfaceMCP, "alice-mcp", "+OK"},
		{tenant.SurfaceREST, "alice-rw", "+OK"},
	} {
		c := localSession(t, f.srv, tc.surface, "local")
		if got := call(t, f.srv, c, "AUTH", clusterSecret(tc.key)); got != tc.want {
			t.Errorf("AUTH %s on %s = %s, want %s", tc.key, tc.surface, got, tc.want)
		}
	}
}

// localCluster is a cluster-mode server over the test tenants file, with
// no listener.
func localCluster(t *testing.T) *clusterFixture {
	t.Helper()
	f := unclosedCluster(t)
	t.Cleanup(func() { _ = f.srv.Close() })
	return f
}

// unclosedCluster is localCluster's server, left for the caller to close
// (or not, when a test leaves it hung).
func unclosedCluster(t *testing.T) *clusterFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(clusterFile(clusterKeys)), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := tenantsfile.Open(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dir.Close)
	srv := newTestServer(func(c *Config) {
		c.ClusterMode, c.TenantsFile, c.AdminKey = true, path, clusterAdminKey
	})
	srv.Dir = dir
	return &clusterFixture{srv: srv, dir: dir, path: path}
}

// blockedSoon waits until c is parked in a blocking command.
func blockedSoon(t *testing.T, c *Session) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.parked.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the session never blocked")
		}
	}
}

type callResult struct {
	reply string
	err   error
}

// callAsync runs one command on c in its own goroutine.
func callAsync(ctx context.Context, srv *Server, c *Session, args ...string) <-chan callResult {
	done := make(chan callResult, 1)
	go func() {
		v, err := srv.Call(ctx, c, bargs(args)...)
		done <- callResult{v.String(), err}
	}()
	return done
}

func TestSessionBlocking(t *testing.T) {
	for _, tc := range []struct {
		name string
		// end ends the wait of a blocked BLPOP on "q" from session b.
		end       func(t *testing.T, srv *Server, a, b *Session, cancel context.CancelFunc)
		want      string // what BLPOP returns
		wantErr   error
		wantAfter string // LLEN q once the wait ended and "x" was pushed
	}{
		{name: "served", end: func(t *testing.T, srv *Server, a, b *Session, _ context.CancelFunc) {
			if got := call(t, srv, b, "LPUSH", "q", "x"); got != ":1" {
				t.Errorf("LPUSH = %s", got)
			}
		}, want: `["q" "x"]`, wantAfter: ":0"},
		{name: "cancelled", end: func(t *testing.T, srv *Server, a, b *Session, cancel context.CancelFunc) {
			cancel()
		}, wantErr: context.Canceled, wantAfter: ":1"},
		{name: "killed", end: func(t *testing.T, srv *Server, a, b *Session, _ context.CancelFunc) {
			if got := call(t, srv, b, "CLIENT", "KILL", "ID", strconv.FormatInt(a.ID, 10)); got != ":1" {
				t.Errorf("CLIENT KILL = %s", got)
			}
		}, wantErr: ErrKilled, wantAfter: ":1"},
		// Served, then cancelled before its caller looked: the element
		// was popped, so the reply must not be lost.
		{name: "served then cancelled", end: func(t *testing.T, srv *Server, a, b *Session, cancel context.CancelFunc) {
			call(t, srv, b, "LPUSH", "q", "x")
			cancel()
		}, want: `["q" "x"]`, wantAfter: ":0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 20; i++ { // the last case races a select
				srv := newLocal(t)
				a := localSession(t, srv, tenant.SurfaceREST, "a")
				b := localSession(t, srv, tenant.SurfaceREST, "b")
				ctx, cancel := context.WithCancel(context.Background())
				done := callAsync(ctx, srv, a, "BLPOP", "q", "0")
				blockedSoon(t, a)
				tc.end(t, srv, a, b, cancel)
				r := <-done
				cancel()
				if !errors.Is(r.err, tc.wantErr) || tc.wantErr == nil && r.reply != tc.want {
					t.Fatalf("BLPOP = %s, %v; want %s, %v", r.reply, r.err, tc.want, tc.wantErr)
				}
				if tc.wantErr != nil {
					call(t, srv, b, "LPUSH", "q", "x")
				}
				if got := call(t, srv, b, "LLEN", "q"); got != tc.wantAfter {
					t.Fatalf("LLEN q after the wait = %s, want %s", got, tc.wantAfter)
				}
				if strings.Contains(call(t, srv, b, "INFO", "clients"), "blocked_clients:1") {
					t.Fatal("the session is still counted as blocked")
				}
				if got := call(t, srv, a, "PING"); got != "+PONG" {
					t.Fatalf("PING after the wait = %s", got)
				}
			}
		})
	}

	srv := newLocal(t)
	a := localSession(t, srv, tenant.SurfaceREST, "a")
	sessionSteps(t, srv, a, []step{
		{cmd: "BLPOP q 0.01", want: "nil-array"},
		{cmd: "RPUSH q 1 2", want: ":2"},
		{cmd: "BLPOP q 0", want: `["q" "1"]`},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "BLPOP q2 0", want: "+QUEUED"},
		{cmd: "EXEC", want: "[nil-array]"},
	})
}

func TestSessionMultiExec(t *testing.T) {
	srv := newLocal(t)
	a := localSession(t, srv, tenant.SurfaceREST, "a")
	b := localSession(t, srv, tenant.SurfaceREST, "b")
	sessionSteps(t, srv, a, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET n 1", want: "+QUEUED"},
		{cmd: "INCR n", want: "+QUEUED"},
		{cmd: "GET n", want: "+QUEUED"},
		{cmd: "EXEC", want: `[+OK :2 "2"]`},
		{cmd: "WATCH n", want: "+OK"},
	})
	call(t, srv, b, "SET", "n", "10")
	sessionSteps(t, srv, a, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "INCR n", want: "+QUEUED"},
		{cmd: "EXEC", want: "nil-array"},
		{cmd: "GET n", want: `"10"`},
	})
}

// The core adds a session's counters when a command returns outside a
// batch: statistics are exact after each call, with no socket loop.
func TestSessionCounters(t *testing.T) {
	srv := newLocal(t)
	c := localSession(t, srv, tenant.SurfaceREST, "a")
	call(t, srv, c, "SET", "k", "v")
	call(t, srv, c, "GET", "k")
	call(t, srv, c, "GET", "nope")
	call(t, srv, c, "INCR", "k")
	for name, got := range map[string]int64{
		"commands": srv.Stats.Commands.Load(), "hits": srv.Stats.KeyspaceHits.Load(),
		"misses": srv.Stats.KeyspaceMisses.Load(), "failed": srv.Stats.FailedCalls.Load(),
		"get calls": srv.Table.Lookup([]byte("get")).stats.calls.Load(),
	} {
		want := map[string]int64{"commands": 4, "hits": 1, "misses": 1, "failed": 1, "get calls": 2}[name]
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	info := call(t, srv, c, "INFO", "stats")
	if !strings.Contains(info, `total_commands_processed:4\r\n`) {
		t.Errorf("INFO stats does not count the calls before it: %s", info)
	}

	f := localCluster(t)
	a := localSession(t, f.srv, tenant.SurfaceREST, "a")
	sessionSteps(t, f.srv, a, []step{
		{args: []string{"AUTH", clusterSecret("alice-rw")}, want: "+OK"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		{cmd: "GET nope", want: "nil"},
	})
	al := f.srv.Tenants.Get("alice")
	get, set := f.srv.Table.Lookup([]byte("get")), f.srv.Table.Lookup([]byte("set"))
	if g, s := al.Commands.Load(get.Index), al.Commands.Load(set.Index); g != 2 || s != 1 {
		t.Errorf("alice's counters: get %d set %d, want 2 and 1", g, s)
	}
	if h, m := al.Hits.Load(), al.Misses.Load(); h != 1 || m != 1 {
		t.Errorf("alice's hits %d misses %d, want 1 and 1", h, m)
	}
	if ops := al.Ops(time.Now()); ops != 4 {
		t.Errorf("alice's operations = %d, want 4 (AUTH and three commands)", ops)
	}
	if bob := f.srv.Tenants.Get("bob"); bob.Commands.Load(get.Index) != 0 {
		t.Error("bob was counted for alice's commands")
	}
}

// CLIENT LIST, CLIENT INFO and CLIENT KILL see sessions without a socket.
func TestSessionClientList(t *testing.T) {
	srv := newLocal(t)
	a := localSession(t, srv, tenant.SurfaceREST, "10.1.2.3:4567")
	b := localSession(t, srv, tenant.SurfaceREST, "10.9.9.9:1")
	call(t, srv, a, "CLIENT", "SETNAME", "rest-caller")
	list := call(t, srv, b, "CLIENT", "LIST")
	want := "id=" + strconv.FormatInt(a.ID, 10) + " addr=10.1.2.3:4567 laddr=in-process fd=-1 name=rest-caller "
	if !strings.Contains(list, want) {
		t.Errorf("CLIENT LIST = %s\nwant a line with %q", list, want)
	}
	if info := call(t, srv, a, "CLIENT", "INFO"); !strings.Contains(info, "addr=10.1.2.3:4567 laddr=in-process fd=-1 name=rest-caller") {
		t.Errorf("CLIENT INFO = %s", info)
	}
	if got := call(t, srv, b, "CLIENT", "KILL", "ADDR", "10.1.2.3:4567"); got != ":1" {
		t.Errorf("CLIENT KILL ADDR = %s", got)
	}
	select {
	case <-a.Killed():
	default:
		t.Error("the killed session was not told")
	}
}

// Shutdown ends every session, sockets or not, and waits for each to close.
func TestSessionShutdown(t *testing.T) {
	srv := newTestServer()
	a, err := srv.NewSession(tenant.SurfaceREST, LocalTransport{Remote: "a"})
	if err != nil {
		t.Fatal(err)
	}
	done := callAsync(context.Background(), srv, a, "BLPOP", "q", "0")
	blockedSoon(t, a)
	closed := make(chan struct{})
	go func() {
		_ = srv.Close()
		close(closed)
	}()
	if r := <-done; !errors.Is(r.err, ErrKilled) {
		t.Fatalf("BLPOP during shutdown = %s, %v; want ErrKilled", r.reply, r.err)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a session was still open")
	case <-time.After(20 * time.Millisecond):
	}
	a.Close()
	<-closed
	if _, err := srv.NewSession(tenant.SurfaceREST, LocalTransport{}); !errors.Is(err, ErrServerClosed) {
		t.Errorf("NewSession after Close: %v, want ErrServerClosed", err)
	}
}

// FuzzSession runs every row of the command table, blocking ones included,
// with invented arguments on a fresh in-process server per input, so a
// crash reproduces from its minimised input alone. Each reply must decode
// as one well-formed value of the session's protocol, and no command may
// end in an internal error. The first byte picks RESP3 (odd) or RESP2.
func FuzzSession(f *testing.F) {
	rows := sessionFuzzRows()
	index := map[string]int{}
	for i, r := range rows {
		index[r.Name] = i
	}
	for name, exs := range isolationExamples {
		i, ok := index[name]
		if !ok {
			continue
		}
		for _, ex := range exs {
			f.Add(append([]byte{byte(len(ex)), byte(i)}, strings.Join(ex[len(strings.Split(name, "|")):], " ")...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		srv := newTestServer(func(c *Config) { c.ProtoMaxBulkLen = 1 << 20 })
		defer func() { _ = srv.Close() }()
		c, err := srv.NewSession(tenant.SurfaceREST, LocalTransport{Remote: "fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if data[0]%2 == 1 {
			c.SetProto(3)
		}
		for _, line := range bytes.SplitN(data[1:], []byte("\n"), 4) {
			if len(line) == 0 {
				continue
			}
			row := rows[int(line[0])%len(rows)]
			args := bargs(strings.Split(row.Name, "|"))
			if rest := line[1:]; len(rest) > 0 {
				for i, a := range bytes.Split(rest, []byte(" ")) {
					if i == 12 {
						break
					}
					args = append(args, a)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			w := srv.Exec(ctx, c, args)
			if w != nil {
				_ = w.Wait(ctx)
			}
			cancel()
			out := append([]byte(nil), c.W.Buf...)
			c.W.Reset()
			vals, err := resp.ParseValues(out)
			if err != nil {
				t.Fatalf("%q: reply %q does not decode: %v", args, out, err)
			}
			// Pub/sub rows answer once per name, and a PUBLISH to the
			// session's own channel comes with the message (pubsub.go).
			if len(vals) > 1 && row.Flags&FlagPubSub == 0 {
				t.Fatalf("%q: %d replies %q", args, len(vals), out)
			}
			for _, v := range vals {
				if v.IsError() && bytes.Contains(v.Str, []byte("internal error")) {
					t.Fatalf("%q: %s", args, v)
				}
				if k := resp3Kind(v); c.Proto() == 2 && k != 0 {
					t.Fatalf("%q: RESP3 type %q in a RESP2 reply %q", args, k, out)
				}
			}
		}
	})
}

// resp3Kind is the first type in v that RESP2 does not have, or 0.
func resp3Kind(v resp.Value) byte {
	if strings.IndexByte("_,#(!=%~|>", v.Kind) >= 0 {
		return v.Kind
	}
	for _, e := range v.Elems {
		if k := resp3Kind(e); k != 0 {
			return k
		}
	}
	return 0
}

// sessionFuzzRows are every runnable row, those that block included (the
// wait is bounded by the input's context).
func sessionFuzzRows() []*Command {
	var out []*Command
	for _, r := range isolationRows(NewTable().All()) {
		if r.Run != nil {
			out = append(out, r)
		}
	}
	return out
}

// stallDir is a directory whose lookups answer only when their context
// ends, and report how it ended.
type stallDir struct{ ended chan error }

func (d stallDir) Resolve(ctx context.Context, _ string) (*tenant.Principal, error) {
	<-ctx.Done()
	d.ended <- ctx.Err()
	return nil, ctx.Err()
}
func (d stallDir) Limits(context.Context, string) (tenant.Limits, error) { return tenant.Limits{}, nil }
func (d stallDir) Generation() uint64                                    { return 1 }
func (d stallDir) ResolveCached(string) (*tenant.Principal, error) {
	return nil, tenant.ErrNotCached
}

// The caller's context reaches the directory: an AUTH whose request is
// cancelled abandons its lookup then, not after the lookup's own timeout.
func TestSessionContextReachesDirectory(t *testing.T) {
	srv := newLocal(t, func(c *Config) { c.ClusterMode, c.AdminKey = true, clusterAdminKey })
	dir := stallDir{ended: make(chan error, 1)}
	srv.Dir = dir
	c := localSession(t, srv, tenant.SurfaceREST, "a")
	ctx, cancel := context.WithCancel(context.Background())
	done := callAsync(ctx, srv, c, "AUTH", "some-key")
	cancel()
	if err := <-dir.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the lookup ended with %v, want context.Canceled", err)
	}
	if r := <-done; r.err != nil || r.reply != "-"+ErrControlPlane {
		t.Fatalf("AUTH = %s, %v; want -%s", r.reply, r.err, ErrControlPlane)
	}
}

// An HTTP caller waits for a blocking command until its own deadline:
// then nothing is popped, and the session goes on.
func TestSessionBlockingDeadline(t *testing.T) {
	srv := newLocal(t)
	a := localSession(t, srv, tenant.SurfaceREST, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := srv.Call(ctx, a, bargs([]string{"BLPOP", "q", "0"})...); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BLPOP past the caller's deadline: %v", err)
	}
	sessionSteps(t, srv, a, []step{
		{cmd: "RPUSH q x", want: ":1"},
		{cmd: "LLEN q", want: ":1"},
		{cmd: "BLPOP q 0", want: `["q" "x"]`},
	})
}

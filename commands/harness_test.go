package commands

import (
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// startServer runs a real Synap on a loopback port for the test's lifetime.
func startServer(t testing.TB, opts ...func(*Config)) *Server {
	t.Helper()
	srv := newTestServer(opts...)
	serveTest(t, srv)
	return srv
}

// newTestServer builds a quiet server that is not serving yet, so a test
// can adjust it (its table, its directory) first.
func newTestServer(opts ...func(*Config)) *Server {
	cfg := DefaultConfig()
	cfg.Shards = 16
	for _, o := range opts {
		o(&cfg)
	}
	return NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// ServeRESP serves srv on ln with the RESP listener of package resp/server,
// which imports this package: set by listener_test.go, an external test
// file, which may import it.
var ServeRESP func(srv *Server, ln net.Listener)

// serveTest serves srv on a loopback port until the test ends.
func serveTest(t testing.TB, srv *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ServeRESP(srv, ln)
	t.Cleanup(func() { _ = srv.Close() })
}

// dial opens a raw client to srv.
func dial(t testing.TB, srv *Server) *resptest.Client { return dialAddr(t, srv.Addr().String()) }

// dialAddr connects to any server (a redis-server in a differential test),
// closed when the test ends.
func dialAddr(t testing.TB, addr string) *resptest.Client {
	t.Helper()
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// step is one command and the exact rendered reply it must get.
type step struct {
	cmd  string // arguments separated by single spaces; use args for others
	args []string
	want string
}

// runSteps sends each step on one connection and compares replies exactly.
func runSteps(t *testing.T, c *resptest.Client, steps []step) {
	t.Helper()
	for _, s := range steps {
		args := s.args
		if args == nil {
			args = strings.Split(s.cmd, " ")
		}
		if got := c.Do(args...); got != s.want {
			t.Errorf("%q: got %s, want %s", args, got, s.want)
		}
	}
}

// exactConn is a connection for steps whose replies are exact: to a fresh
// Synap, or, when SYNAP_TEST_AGAINST names a redis-server address, to that
// server (flushed), which is how such steps are checked against Redis
// 7.0.15: SYNAP_TEST_AGAINST=127.0.0.1:6380 go test -run 'TestSets|TestSort' ./commands
func exactConn(t *testing.T) *resptest.Client {
	t.Helper()
	addr := os.Getenv("SYNAP_TEST_AGAINST")
	if addr == "" {
		return dial(t, startServer(t))
	}
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := resptest.CheckRedisAt(c); err != nil {
		t.Fatal(err)
	}
	if got := c.Do("FLUSHALL"); got != "+OK" {
		t.Fatalf("FLUSHALL: %s", got)
	}
	return c
}

// sameReplies compares Synap's replies with redis-server's for the same
// script, one by one, and their number.
func sameReplies(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Synap gave %d replies, Redis %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("reply %d:\n Synap %s\n Redis %s", i, got[i], want[i])
		}
	}
}

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"synap/commands"
	"synap/resp/server"
	"synap/tenant/tenantsfile"
)

// The HTTP surface's tests run a real server on loopback sockets (HTTP and
// RESP side by side) and talk to it with real clients: net/http, the
// coder/websocket client, go-redis where RESP is compared.

const adminKey = "operator-key-0123456789"

type testKey struct {
	id, user, perms, surfaces string
}

var testKeys = []testKey{
	{"alice-rw", "alice", "read, write, delete", ""},
	{"alice-ro", "alice", "read", ""},
	{"alice-w", "alice", "write", ""},
	{"alice-mcp", "alice", "read, write", "mcp"},
	{"alice-rest", "alice", "read, write", "rest"},
	{"alice-del", "alice", "delete", ""},
	{"alice-admin", "alice", "admin", ""},
	{"bob-rw", "bob", "read, write, delete", ""},
	{"carol-rw", "carol", "read, write, delete", ""},
}

func secret(id string) string { return id + "-secret" }

var testLimits = map[string]string{
	"alice": "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}",
	"bob":   "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}",
	// carol's limits are small, to be reached: 1 request a second after
	// a burst of 5, 300 bytes of storage, payloads of 2000 bytes.
	"carol": "{storage_limit_bytes: 300, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: 1, burst: 5}, max_connections: -1, max_payload_bytes: 2000}",
}

func tenantsFile() string {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, user := range []string{"alice", "bob", "carol"} {
		b.WriteString("  - user_id: " + user + "\n    plan: pro\n    limits: " + testLimits[user] + "\n    keys:\n")
		for _, k := range testKeys {
			if k.user != user {
				continue
			}
			b.WriteString("      - key_id: " + k.id + "\n        secret_sha256: " + tenantsfile.HashKey(secret(k.id)) + "\n")
			b.WriteString("        permissions: [" + k.perms + "]\n")
			if k.surfaces != "" {
				b.WriteString("        surfaces: [" + k.surfaces + "]\n")
			}
		}
	}
	b.WriteString("tenant_count: 3\n")
	return b.String()
}

// nextLog, when set, receives the log of the next server start makes.
var nextLog io.Writer

type fixture struct {
	srv  *commands.Server
	api  *API
	url  string // http://host:port
	resp string // the RESP listener's address
}

type fixtureOpt func(*commands.Config, *Options)

func cluster(c *commands.Config, _ *Options) { c.ClusterMode, c.AdminKey = true, adminKey }

// start runs a server with the HTTP surface and the RESP listener.
func start(t testing.TB, opts ...fixtureOpt) *fixture {
	t.Helper()
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	var o Options
	for _, fn := range opts {
		fn(&cfg, &o)
	}
	var sink io.Writer = io.Discard
	if nextLog != nil {
		sink, nextLog = nextLog, nil
	}
	log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := commands.NewServer(cfg, log)
	if cfg.ClusterMode {
		path := filepath.Join(t.TempDir(), "tenants.yaml")
		if err := os.WriteFile(path, []byte(tenantsFile()), 0o600); err != nil {
			t.Fatal(err)
		}
		dir, err := tenantsfile.Open(path, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(dir.Close)
		srv.Dir = dir
	}
	respLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server.Start(srv, respLn)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := New(srv, o)
	go func() { _ = api.Serve(ln) }()
	t.Cleanup(func() {
		_ = api.Shutdown(ctxTimeout(2 * time.Second))
		_ = srv.Close()
	})
	return &fixture{srv: srv, api: api, url: "http://" + ln.Addr().String(), resp: respLn.Addr().String()}
}

// reply is one HTTP answer: status, headers, body.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends a request with key as Bearer (none when empty); hdr adds
// headers as "Name: value".
func (f *fixture) do(t testing.TB, method, path, key string, body []byte, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	// NewRequest parses the path; keep it exactly as written.
	if i := strings.IndexByte(path, '?'); i >= 0 {
		req.URL.RawPath, req.URL.RawQuery = path[:i], path[i+1:]
	} else {
		req.URL.RawPath = path
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, strings.TrimSuffix(string(b), "\n")}
}

func (f *fixture) post(t testing.TB, path, key string, v any, hdr ...string) reply {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return f.do(t, "POST", path, key, b, hdr...)
}

// cmd runs one command through POST / and returns the reply.
func (f *fixture) cmd(t testing.TB, key string, args ...any) reply {
	t.Helper()
	return f.post(t, "/", key, args)
}

func ctxTimeout(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	_ = cancel // released by the timer
	return ctx
}

func timeAfter(ms int) <-chan time.Time { return time.After(time.Duration(ms) * time.Millisecond) }

func timeNow() time.Time { return time.Now() }

func ctxWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

func dialURL(ctx context.Context, url string) (*websocket.Conn, *http.Response, error) {
	return websocket.Dial(ctx, url, nil)
}

func wsReadNoFatal(c *websocket.Conn) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

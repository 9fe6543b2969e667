package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"synap/commands"
	"synap/httpapi/mcp"
	"synap/tenant"
	"synap/tenant/tenantsfile"
)

// The MCP surface tested as a client sees it: the go-sdk client over a
// real listening HTTP server, against a cluster-mode Synap whose tenants
// come from a tenants file.

const adminKey = "operator-secret"

type key struct{ id, user, perms, surfaces string }

var keys = []key{
	{"alice-ro", "alice", "read", ""},
	{"alice-w", "alice", "write", ""},
	{"alice-rw", "alice", "read, write, delete", ""},
	{"alice-admin", "alice", "admin", ""},
	{"alice-mcp", "alice", "read, write", "mcp"},
	{"alice-resp", "alice", "read, write", "resp, rest"},
	{"bob-rw", "bob", "read, write, delete", ""},
	{"carol-rw", "carol", "read, write, delete", ""},
	{"dave-rw", "dave", "read, write, delete", ""},
}

func secret(id string) string { return id + "-secret" }

var limits = map[string]string{
	"alice": "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}",
	"bob":   "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}",
	// carol may hold two connections: MCP sessions count as connections.
	"carol": "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: 2, max_payload_bytes: -1}",
	// dave's quotas are small enough to reach.
	"dave": "{storage_limit_bytes: 904, monthly_operations_limit: 6, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: 300}",
}

func tenantsFile() string {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		b.WriteString("  - user_id: " + user + "\n    plan: pro\n    limits: " + limits[user] + "\n    keys:\n")
		for _, k := range keys {
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
	b.WriteString("tenant_count: 4\n")
	return b.String()
}

type fixture struct {
	srv  *commands.Server
	url  string
	path string // the tenants file
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// errNoKey is the test router's refusal of a request without a key.
type errNoKey struct{}

func (errNoKey) Error() string   { return "NOAUTH Authentication required." }
func (errNoKey) StatusCode() int { return http.StatusUnauthorized }

// authenticator reads the Bearer header and asks the server's directory,
// as httpapi's router does.
func authenticator(srv *commands.Server) mcp.Authenticator {
	return func(r *http.Request) (*tenant.Principal, error) {
		h := r.Header.Get("Authorization")
		if !strings.HasPrefix(h, "Bearer ") {
			if !srv.Config().ClusterMode && srv.Config().RequirePass == "" {
				return nil, nil
			}
			return nil, errNoKey{}
		}
		k := strings.TrimPrefix(h, "Bearer ")
		if srv.Config().AdminKey != "" && k == srv.Config().AdminKey {
			return &tenant.Principal{Operator: true, KeyID: "operator"}, nil
		}
		if !srv.Config().ClusterMode {
			return nil, nil // the password is AUTH's to check
		}
		return srv.Dir.Resolve(r.Context(), k)
	}
}

func newCluster(t testing.TB, opts mcp.Options) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(tenantsFile()), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := tenantsfile.Open(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dir.Close)
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	cfg.ClusterMode, cfg.TenantsFile, cfg.AdminKey = true, path, adminKey
	srv := commands.NewServer(cfg, quiet)
	srv.Dir = dir
	f := serve(t, srv, opts)
	f.path = path
	return f
}

func serve(t testing.TB, srv *commands.Server, opts mcp.Options) *fixture {
	t.Helper()
	hs := httptest.NewServer(mcp.Handler(srv, authenticator(srv), opts))
	t.Cleanup(func() { _ = srv.Close() }) // runs after hs.Close: sessions end first
	t.Cleanup(hs.Close)
	return &fixture{srv: srv, url: hs.URL}
}

// bearer adds a key (and any other headers) to every request.
type bearer struct {
	key     string
	headers map[string]string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.key != "" {
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	for k, v := range b.headers {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens an MCP session with the go-sdk client, as key.
func (f *fixture) connect(t testing.TB, keyID string) *sdk.ClientSession {
	t.Helper()
	cs, err := f.dial(t, keyID, nil)
	if err != nil {
		t.Fatalf("connect as %s: %v", keyID, err)
	}
	return cs
}

func (f *fixture) dial(t testing.TB, keyID string, headers map[string]string) (*sdk.ClientSession, error) {
	t.Helper()
	k := ""
	switch keyID {
	case "":
	case "operator":
		k = adminKey
	default:
		k = secret(keyID)
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "synap-test", Version: "1"}, nil)
	tr := &sdk.StreamableClientTransport{
		Endpoint:             f.url,
		HTTPClient:           &http.Client{Transport: bearer{k, headers}},
		DisableStandaloneSSE: true,
		MaxRetries:           -1,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, tr, nil)
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func toolNames(t *testing.T, cs *sdk.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

// call runs a tool and renders its outcome: the result as JSON, or
// "error: <text>" for a tool error.
func call(t *testing.T, cs *sdk.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	if res.IsError {
		var texts []string
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				texts = append(texts, tc.Text)
			}
		}
		return "error: " + strings.Join(texts, " ")
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: structured content %s: %v", tool, b, err)
	}
	return string(r.Result)
}

type step struct {
	tool string
	args map[string]any
	want string
}

func run(t *testing.T, cs *sdk.ClientSession, steps []step) {
	t.Helper()
	for _, s := range steps {
		if got := call(t, cs, s.tool, s.args); got != s.want {
			t.Errorf("%s %v = %s, want %s", s.tool, s.args, got, s.want)
		}
	}
}

func cmd(args ...string) map[string]any { return map[string]any{"args": args} }

// has reports whether the server has a command (streams, queues and
// PUBLISH come from other families being built alongside this one).
func (f *fixture) has(name string) bool { return f.srv.Table.Lookup([]byte(name)) != nil }

// Every tool, its command and the permissions it needs, as a user reads
// them in docs/MCP.md: the lists a key sees are checked against these.
var (
	readTools   = []string{"dbsize", "exists", "get", "hget", "hgetall", "llen", "lrange", "mget", "qconsume", "qstats", "scan", "sismember", "smembers", "ttl", "type", "xlen", "xrange", "zrange", "zscore"}
	writeOnly   = []string{"expire", "hdel", "hset", "lpush", "publish", "qpublish", "rpush", "sadd", "set", "srem", "xadd", "zadd", "zrem"} // acknowledge, never reveal
	writeReveal = []string{"incrby", "lpop", "qack", "qcreate", "rpop"}
	deleteTools = []string{"del"}
	adminTools  = []string{"flushdb"}
	toolCommand = map[string]string{"xlen": "xlen", "xrange": "xrange", "xadd": "xadd", "publish": "publish",
		"qpublish": "qpublish", "qconsume": "qconsume", "qack": "qack", "qcreate": "qcreate", "qstats": "qstats"}
)

func (f *fixture) offered(lists ...[]string) []string {
	out := []string{"command"}
	for _, l := range lists {
		for _, name := range l {
			if c, ok := toolCommand[name]; ok && !f.has(c) {
				continue
			}
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func TestToolsListByPermission(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"alice-ro", f.offered(readTools)},
		{"alice-w", f.offered(writeOnly)},
		{"alice-rw", f.offered(readTools, writeOnly, writeReveal, deleteTools)},
		{"alice-mcp", f.offered(readTools, writeOnly, writeReveal)},
		{"alice-admin", f.offered(readTools, writeOnly, writeReveal, deleteTools, adminTools)},
		{"operator", f.offered(readTools, writeOnly, writeReveal, deleteTools, adminTools)},
	} {
		t.Run(tc.key, func(t *testing.T) {
			got := toolNames(t, f.connect(t, tc.key))
			if !slices.Equal(got, tc.want) {
				t.Errorf("tools of %s:\n got  %v\n want %v", tc.key, got, tc.want)
			}
		})
	}
}

// Input schemas come from the Go input types: required fields, types and
// descriptions as a client reads them.
func TestToolSchemas(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	res, err := f.connect(t, "alice-rw").ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*sdk.Tool{}
	for _, tl := range res.Tools {
		byName[tl.Name] = tl
	}
	for _, tc := range []struct {
		tool, want string
	}{
		{"get", `{"additionalProperties":false,"properties":{"key":{"description":"the key","type":"string"}},"required":["key"],"type":"object"}`},
		{"zadd", `{"additionalProperties":false,"properties":{"key":{"description":"the sorted set","type":"string"},"members":{"description":"members with their scores","items":{"additionalProperties":false,"properties":{"member":{"description":"the member","type":"string"},"score":{"description":"the member's score","type":"number"}},"required":["score","member"],"type":"object"},"type":["null","array"]}},"required":["key","members"],"type":"object"}`},
	} {
		b, _ := json.Marshal(byName[tc.tool].InputSchema)
		var canon any
		_ = json.Unmarshal(b, &canon)
		b, _ = json.Marshal(canon)
		if string(b) != tc.want {
			t.Errorf("%s input schema:\n got  %s\n want %s", tc.tool, b, tc.want)
		}
	}
	if a := byName["get"].Annotations; a == nil || !a.ReadOnlyHint {
		t.Errorf("get is not marked read-only: %+v", a)
	}
	if a := byName["del"].Annotations; a == nil || a.ReadOnlyHint || a.DestructiveHint == nil || !*a.DestructiveHint {
		t.Errorf("del is not marked destructive: %+v", a)
	}
}

func TestToolCalls(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	cs := f.connect(t, "alice-admin")
	run(t, cs, []step{
		// Keys and strings.
		{"get", map[string]any{"key": "k"}, `null`},
		{"set", map[string]any{"key": "k", "value": "v"}, `"OK"`},
		{"get", map[string]any{"key": "k"}, `"v"`},
		{"set", map[string]any{"key": "k", "value": "w", "nx": true}, `null`},
		{"set", map[string]any{"key": "k2", "value": "w", "xx": true}, `null`},
		{"set", map[string]any{"key": "t", "value": "x", "ex": 100}, `"OK"`},
		{"ttl", map[string]any{"key": "t"}, `100`},
		{"ttl", map[string]any{"key": "k"}, `-1`},
		{"ttl", map[string]any{"key": "nope"}, `-2`},
		{"expire", map[string]any{"key": "k", "seconds": 50}, `1`},
		{"ttl", map[string]any{"key": "k"}, `50`},
		{"mget", map[string]any{"keys": []string{"k", "nope", "t"}}, `["v",null,"x"]`},
		{"exists", map[string]any{"keys": []string{"k", "nope", "t"}}, `2`},
		{"type", map[string]any{"key": "k"}, `"string"`},
		{"type", map[string]any{"key": "nope"}, `"none"`},
		{"incrby", map[string]any{"key": "n", "increment": 5}, `5`},
		{"incrby", map[string]any{"key": "n", "increment": -7}, `-2`},
		{"del", map[string]any{"keys": []string{"t", "n", "nope"}}, `2`},
		{"dbsize", nil, `1`},
		// Hashes.
		{"hset", map[string]any{"key": "h", "fields": map[string]string{"a": "1", "b": "2"}}, `2`},
		{"hset", map[string]any{"key": "h", "fields": map[string]string{"a": "3"}}, `0`},
		{"hget", map[string]any{"key": "h", "field": "a"}, `"3"`},
		{"hget", map[string]any{"key": "h", "field": "z"}, `null`},
		{"hgetall", map[string]any{"key": "h"}, `{"a":"3","b":"2"}`},
		{"hgetall", map[string]any{"key": "nope"}, `{}`},
		{"hdel", map[string]any{"key": "h", "fields": []string{"a", "z"}}, `1`},
		{"hset", map[string]any{"key": "h", "fields": map[string]string{}}, `error: ERR wrong number of arguments for 'hset' command`},
		// Lists.
		{"rpush", map[string]any{"key": "l", "values": []string{"a", "b", "c"}}, `3`},
		{"lpush", map[string]any{"key": "l", "values": []string{"z"}}, `4`},
		{"lrange", map[string]any{"key": "l", "start": 0, "stop": -1}, `["z","a","b","c"]`},
		{"llen", map[string]any{"key": "l"}, `4`},
		{"lpop", map[string]any{"key": "l"}, `"z"`},
		{"rpop", map[string]any{"key": "l", "count": 2}, `["c","b"]`},
		{"lpop", map[string]any{"key": "nope"}, `null`},
		// Sets.
		{"sadd", map[string]any{"key": "s", "members": []string{"x", "y", "x"}}, `2`},
		{"sismember", map[string]any{"key": "s", "member": "x"}, `1`},
		{"sismember", map[string]any{"key": "s", "member": "q"}, `0`},
		{"srem", map[string]any{"key": "s", "members": []string{"y", "q"}}, `1`},
		{"smembers", map[string]any{"key": "s"}, `["x"]`},
		// Sorted sets: RESP3 gives scores as numbers.
		{"zadd", map[string]any{"key": "z", "members": []map[string]any{{"score": 1.5, "member": "m"}, {"score": 2, "member": "n"}}}, `2`},
		{"zrange", map[string]any{"key": "z", "start": 0, "stop": -1}, `["m","n"]`},
		{"zrange", map[string]any{"key": "z", "start": 0, "stop": -1, "withscores": true}, `[["m",1.5],["n",2]]`},
		{"zscore", map[string]any{"key": "z", "member": "n"}, `2`},
		{"zscore", map[string]any{"key": "z", "member": "q"}, `null`},
		{"zrem", map[string]any{"key": "z", "members": []string{"m"}}, `1`},
		// Scan and the generic tool.
		{"scan", map[string]any{"match": "h*"}, `["0",["h"]]`},
		{"scan", map[string]any{"type": "zset"}, `["0",["z"]]`},
		{"command", cmd("GETRANGE", "k", "0", "0"), `"v"`},
		{"command", cmd("SET", "bin", "é"), `"OK"`},
		// Half a UTF-8 character: not a JSON string, so base64.
		{"command", cmd("GETRANGE", "bin", "0", "0"), `{"base64":"ww=="}`},
		{"command", cmd("INCRBYFLOAT", "f", "1.5"), `"1.5"`},
		{"flushdb", nil, `"OK"`},
		{"dbsize", nil, `0`},
	})
}

// Stream, queue and pub/sub tools are thin: each runs its command. Their
// families are in the table, so each tool must be offered to an admin key.
func TestToolCallsStreamsQueuesPubSub(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	cs := f.connect(t, "alice-admin")
	for _, tool := range []string{"publish", "xadd", "xlen", "xrange", "qpublish", "qcreate", "qconsume", "qack", "qstats"} {
		if !f.has(tool) {
			t.Fatalf("the %s tool is not offered: its command is missing from the table", tool)
		}
	}
	run(t, cs, []step{{"publish", map[string]any{"channel": "c", "message": "m"}, `0`}})
	{
		run(t, cs, []step{
			{"xadd", map[string]any{"key": "x", "id": "1-1", "fields": map[string]string{"f": "v"}}, `"1-1"`},
			{"xlen", map[string]any{"key": "x"}, `1`},
			{"xrange", map[string]any{"key": "x"}, `[["1-1",["f","v"]]]`},
		})
	}
	{
		run(t, cs, []step{
			{"qpublish", map[string]any{"queue": "q", "payload": "hello"}, `error: ERR no such queue 'q'`},
			{"qcreate", map[string]any{"queue": "q", "maxdepth": 10}, `"OK"`},
			{"qcreate", map[string]any{"queue": "q"}, `error: ERR queue 'q' already exists`},
			{"qpublish", map[string]any{"queue": "q", "payload": "hello", "priority": 12}, `error: ERR PRIORITY must be an integer from 0 to 9`},
		})
		run(t, cs, []step{
			{"qpublish", map[string]any{"queue": "q", "payload": "hello", "priority": 5}, `"1"`},
			// RESP3 maps: each message an object.
			{"qconsume", map[string]any{"queue": "q", "consumer": "agent"}, `[{"deliveries":1,"id":"1-1","payload":"hello","priority":5}]`},
			{"qack", map[string]any{"queue": "q", "ids": []string{"1-1"}}, `1`},
			{"qack", map[string]any{"queue": "q", "ids": []string{"1-1"}}, `0`},
			{"qconsume", map[string]any{"queue": "q", "consumer": "agent"}, `[]`},
			{"qstats", map[string]any{"queue": "q"}, `{"ack_deadline_ms":30000,"acked":1,"dead_lettered":0,"dead_pending":0,"delayed":0,"delivered":1,"depth":0,"dlq":null,"dropped":0,"in_flight":0,"max_depth":10,"max_retries":0,"nacked":0,"published":1,"ready":0,"redelivered":0}`},
		})
	}
}

// Tool errors are RESP's texts, as MCP tool errors (not protocol errors).
func TestToolErrors(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	ro := f.connect(t, "alice-ro")
	rw := f.connect(t, "alice-rw")
	w := f.connect(t, "alice-w")
	run(t, ro, []step{
		{"command", cmd("SET", "k", "v"), `error: NOPERM User alice-ro has no permissions to run the 'set' command`},
		{"command", cmd("FLUSHDB"), `error: NOPERM User alice-ro has no permissions to run the 'flushdb' command`},
		{"command", cmd("CONFIG", "SET", "maxclients", "1"), `error: NOPERM User alice-ro has no permissions to run the 'config|set' command`},
	})
	run(t, w, []step{
		// Offered (acknowledges), but its revealing form needs read.
		{"set", map[string]any{"key": "k", "value": "v"}, `"OK"`},
		{"command", cmd("GET", "k"), `error: NOPERM User alice-w has no permissions to run the 'get' command`},
		{"command", cmd("LPOP", "k"), `error: NOPERM User alice-w has no permissions to run the 'lpop' command`},
	})
	run(t, rw, []step{
		{"set", map[string]any{"key": "s", "value": "v"}, `"OK"`},
		{"lpush", map[string]any{"key": "s", "values": []string{"x"}}, `error: WRONGTYPE Operation against a key holding the wrong kind of value`},
		{"incrby", map[string]any{"key": "s", "increment": 1}, `error: ERR value is not an integer or out of range`},
		{"command", cmd("GET"), `error: ERR wrong number of arguments for 'get' command`},
		{"command", cmd("NOSUCH", "a"), `error: ERR unknown command 'NOSUCH', with args beginning with: 'a' `},
		{"command", cmd(), `error: ERR empty command`},
		{"command", cmd("FLUSHDB"), `error: NOPERM User alice-rw has no permissions to run the 'flushdb' command`},
		// Commands that work on the connection itself are refused.
		{"command", cmd("AUTH", secret("bob-rw")), `error: ERR 'auth' cannot be run through MCP: it works on the connection, and MCP has none`},
		{"command", cmd("HELLO", "2"), `error: ERR 'hello' cannot be run through MCP: it works on the connection, and MCP has none`},
		{"command", cmd("MULTI"), `error: ERR 'multi' cannot be run through MCP: it works on the connection, and MCP has none`},
		{"command", cmd("SELECT", "1"), `error: ERR 'select' cannot be run through MCP: it works on the connection, and MCP has none`},
		{"command", cmd("CLIENT", "REPLY", "OFF"), `error: ERR 'client|reply' cannot be run through MCP: it works on the connection, and MCP has none`},
		// Blocking reads wait within the call and time out as in Redis.
		{"command", cmd("BLPOP", "empty", "0.01"), `null`},
		{"get", map[string]any{"key": "s"}, `"v"`},
	})
	run(t, rw, []step{{"command", cmd("SUBSCRIBE", "c"), `error: ERR 'subscribe' cannot be run through MCP: it works on the connection, and MCP has none`}})
	// Wrong JSON types are refused by the input schema before any command.
	res, err := rw.CallTool(context.Background(), &sdk.CallToolParams{Name: "get", Arguments: map[string]any{"key": 5}})
	if err != nil || !res.IsError {
		t.Fatalf("get with a number key: %v %+v", err, res)
	}
	if txt := res.Content[0].(*sdk.TextContent).Text; !strings.Contains(txt, "validating \"arguments\"") {
		t.Errorf("get with a number key: %s", txt)
	}
	// A tool the key may not see cannot be called either.
	if _, err := ro.CallTool(context.Background(), &sdk.CallToolParams{Name: "set", Arguments: map[string]any{"key": "k", "value": "v"}}); err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Errorf("set on a read-only session: %v", err)
	}
}

// A blocking command waits at most MaxBlock in one tool call, then answers
// as its own timeout would; the session goes on working.
func TestBlockingBounded(t *testing.T) {
	f := newCluster(t, mcp.Options{MaxBlock: 50 * time.Millisecond})
	cs := f.connect(t, "alice-rw")
	run(t, cs, []step{
		{"command", cmd("BLPOP", "q", "0"), `null`},
		{"rpush", map[string]any{"key": "q", "values": []string{"x"}}, `1`},
		{"command", cmd("BLPOP", "q", "0"), `["q","x"]`},
	})
}

func TestTenantIsolation(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	alice := f.connect(t, "alice-rw")
	bob := f.connect(t, "bob-rw")
	run(t, alice, []step{
		{"set", map[string]any{"key": "secret", "value": "alice's"}, `"OK"`},
		{"hset", map[string]any{"key": "h", "fields": map[string]string{"f": "v"}}, `1`},
	})
	run(t, bob, []step{
		{"get", map[string]any{"key": "secret"}, `null`},
		{"exists", map[string]any{"keys": []string{"secret", "h"}}, `0`},
		{"scan", nil, `["0",[]]`},
		{"dbsize", nil, `0`},
		{"command", cmd("KEYS", "*"), `[]`},
		{"command", cmd("RANDOMKEY"), `null`},
		{"del", map[string]any{"keys": []string{"secret"}}, `0`},
		{"set", map[string]any{"key": "secret", "value": "bob's"}, `"OK"`},
	})
	{
		run(t, alice, []step{
			{"qcreate", map[string]any{"queue": "jobs"}, `"OK"`},
			{"qpublish", map[string]any{"queue": "jobs", "payload": "alice's job"}, `"1"`},
			{"xadd", map[string]any{"key": "events", "id": "1-1", "fields": map[string]string{"f": "v"}}, `"1-1"`},
		})
		run(t, bob, []step{
			{"qconsume", map[string]any{"queue": "jobs", "consumer": "thief"}, `error: ERR no such queue 'jobs'`},
			{"qpublish", map[string]any{"queue": "jobs", "payload": "x"}, `error: ERR no such queue 'jobs'`},
			{"command", cmd("QLIST"), `[]`},
			{"xlen", map[string]any{"key": "events"}, `0`},
			{"xrange", map[string]any{"key": "events"}, `[]`},
		})
		run(t, alice, []step{{"qconsume", map[string]any{"queue": "jobs", "consumer": "a"}, `[{"deliveries":1,"id":"1-1","payload":"alice's job","priority":0}]`}})
	}
	run(t, alice, []step{
		{"get", map[string]any{"key": "secret"}, `"alice's"`},
		{"exists", map[string]any{"keys": []string{"secret", "h"}}, `2`},
		{"scan", map[string]any{"match": "sec*"}, `["0",["secret"]]`},
	})
}

// post sends one raw JSON-RPC message to the MCP endpoint.
func (f *fixture) post(t testing.TB, body string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

const (
	initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	listBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`
	getBody  = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get","arguments":{"key":"secret"}}}`
)

// open initializes a session with raw HTTP and returns its id.
func (f *fixture) open(t testing.TB, keyID string) string {
	t.Helper()
	res, body := f.post(t, initBody, map[string]string{"Authorization": "Bearer " + secret(keyID)})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("initialize as %s: %d %s", keyID, res.StatusCode, body)
	}
	id := res.Header.Get("Mcp-Session-Id")
	if id == "" {
		t.Fatal("no Mcp-Session-Id")
	}
	res, body = f.post(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, map[string]string{
		"Authorization": "Bearer " + secret(keyID), "Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("initialized: %d %s", res.StatusCode, body)
	}
	return id
}

// A session belongs to the key that opened it: another tenant's key, or
// another key of the same tenant (it would run with the opener's
// permissions), is refused on it.
func TestSessionBoundToKey(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	run(t, f.connect(t, "alice-rw"), []step{{"set", map[string]any{"key": "secret", "value": "alice's"}, `"OK"`}})
	id := f.open(t, "alice-rw")
	for _, tc := range []struct {
		key, want string
		status    int
	}{
		{"bob-rw", `{"error":"NOPERM this MCP session belongs to another access key"}`, http.StatusForbidden},
		{"alice-ro", `{"error":"NOPERM this MCP session belongs to another access key"}`, http.StatusForbidden},
		{"alice-rw", `"result":"alice's"`, http.StatusOK},
	} {
		res, body := f.post(t, getBody, map[string]string{"Authorization": "Bearer " + secret(tc.key), "Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"})
		if res.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("tools/call as %s on alice-rw's session: %d %s, want %d with %s", tc.key, res.StatusCode, body, tc.status, tc.want)
		}
	}
	// No key at all on a keyed session: refused before the session is looked at.
	res, body := f.post(t, getBody, map[string]string{"Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"})
	if res.StatusCode != http.StatusUnauthorized || strings.TrimSpace(body) != `{"error":"NOAUTH Authentication required."}` || res.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("tools/call without a key: %d %s %q", res.StatusCode, body, res.Header.Get("WWW-Authenticate"))
	}
	// Session ids are not guessable into: an unknown one is not found.
	res, _ = f.post(t, getBody, map[string]string{"Authorization": "Bearer " + secret("alice-rw"), "Mcp-Session-Id": "nope", "Mcp-Protocol-Version": "2025-06-18"})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown session id: %d", res.StatusCode)
	}
}

func TestAuthentication(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	for _, tc := range []struct {
		name   string
		auth   string
		status int
		body   string
	}{
		{"no key", "", http.StatusUnauthorized, `{"error":"NOAUTH Authentication required."}`},
		{"wrong key", "Bearer nope", http.StatusUnauthorized, `{"error":"WRONGPASS invalid username-password pair or user is disabled."}`},
		{"no mcp surface", "Bearer " + secret("alice-resp"), http.StatusForbidden, `{"error":"NOPERM User alice-resp may not use the mcp surface"}`},
		{"mcp-only key", "Bearer " + secret("alice-mcp"), http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			res, body := f.post(t, initBody, h)
			if res.StatusCode != tc.status || (tc.body != "" && strings.TrimSpace(body) != tc.body) {
				t.Errorf("initialize: %d %s, want %d %s", res.StatusCode, body, tc.status, tc.body)
			}
			if tc.status == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if _, err := f.dial(t, "alice-resp", nil); err == nil {
		t.Error("the go-sdk client connected with a key without the mcp surface")
	}
}

func TestOrigin(t *testing.T) {
	f := newCluster(t, mcp.Options{AllowedOrigins: []string{"https://app.example"}})
	for _, tc := range []struct {
		origin string
		status int
	}{
		{"", http.StatusOK}, // not a browser
		{"https://app.example", http.StatusOK},
		{"https://evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"http://app.example", http.StatusForbidden},
	} {
		h := map[string]string{"Authorization": "Bearer " + secret("alice-rw")}
		if tc.origin != "" {
			h["Origin"] = tc.origin
		}
		res, body := f.post(t, initBody, h)
		if res.StatusCode != tc.status {
			t.Errorf("Origin %q: %d %s, want %d", tc.origin, res.StatusCode, body, tc.status)
		}
		if tc.status == http.StatusForbidden && strings.TrimSpace(body) != `{"error":"origin not allowed"}` {
			t.Errorf("Origin %q: body %s", tc.origin, body)
		}
	}
	// A bad origin is refused on an open session too.
	id := f.open(t, "alice-rw")
	res, _ := f.post(t, listBody, map[string]string{"Authorization": "Bearer " + secret("alice-rw"), "Mcp-Session-Id": id, "Origin": "https://evil.example"})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("bad Origin on a session: %d", res.StatusCode)
	}
	if _, err := f.dial(t, "alice-rw", map[string]string{"Origin": "https://evil.example"}); err == nil {
		t.Error("the go-sdk client connected from a refused origin")
	}
}

func TestProtocolVersionHeader(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	id := f.open(t, "alice-rw")
	auth := "Bearer " + secret("alice-rw")
	for _, tc := range []struct {
		version string
		status  int
		body    string
	}{
		{"1999-01-01", http.StatusBadRequest, "Unsupported protocol version"},
		{"garbage", http.StatusBadRequest, `"message":"protocol version \"garbage\" is not supported by this server"`},
		{"2025-06-18", http.StatusOK, `"name":"get"`},
		// Missing: the transport's rule is to assume 2025-03-26.
		{"", http.StatusOK, `"name":"get"`},
	} {
		h := map[string]string{"Authorization": auth, "Mcp-Session-Id": id}
		if tc.version != "" {
			h["Mcp-Protocol-Version"] = tc.version
		}
		res, body := f.post(t, listBody, h)
		if res.StatusCode != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("MCP-Protocol-Version %q: %d %s, want %d with %s", tc.version, res.StatusCode, body, tc.status, tc.body)
		}
	}
}

// Sessions are bounded: per tenant by the handler and by the tenant's
// max_connections (each session is one of its connections), and they are
// released when the client ends them.
func TestSessionLimits(t *testing.T) {
	f := newCluster(t, mcp.Options{MaxTenantSessions: 3})
	var ids []string
	for range 3 {
		ids = append(ids, f.open(t, "alice-rw"))
	}
	res, body := f.post(t, initBody, map[string]string{"Authorization": "Bearer " + secret("alice-ro")})
	if res.StatusCode != http.StatusTooManyRequests || strings.TrimSpace(body) != `{"error":"ERR max number of MCP sessions for this tenant reached (3)"}` {
		t.Errorf("4th session of alice: %d %s", res.StatusCode, body)
	}
	// Another tenant is not held up by alice's sessions.
	f.open(t, "bob-rw")
	// Ending one frees its place.
	req, _ := http.NewRequest(http.MethodDelete, f.url, nil)
	req.Header.Set("Authorization", "Bearer "+secret("alice-rw"))
	req.Header.Set("Mcp-Session-Id", ids[0])
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	dres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	dres.Body.Close()
	if dres.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", dres.StatusCode)
	}
	eventually(t, "alice's place freed", func() bool {
		res, _ := f.post(t, initBody, map[string]string{"Authorization": "Bearer " + secret("alice-ro")})
		return res.StatusCode == http.StatusOK
	})

	// carol's plan allows two connections.
	f.open(t, "carol-rw")
	f.open(t, "carol-rw")
	res, body = f.post(t, initBody, map[string]string{"Authorization": "Bearer " + secret("carol-rw")})
	if res.StatusCode != http.StatusTooManyRequests || strings.TrimSpace(body) != `{"error":"QUOTA connection limit reached: 2 of 2 connections"}` {
		t.Errorf("3rd session of carol: %d %s", res.StatusCode, body)
	}
}

// An MCP session is a client of the server: it is listed while open,
// gone once the client closes it, and ended by CLIENT KILL.
func TestSessionLifecycle(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	base := f.srv.ClientCount()
	cs := f.connect(t, "alice-rw")
	// Requests that opened no session (a client probing protocol versions)
	// are released as their SDK sessions close, just after they answer.
	eventually(t, "one client for the MCP session", func() bool { return f.srv.ClientCount() == base+1 })
	// CLIENT INFO tells the session is an MCP one, from the HTTP client's address.
	if got := call(t, cs, "command", cmd("CLIENT", "INFO")); !strings.Contains(got, "addr=127.0.0.1:") || !strings.Contains(got, "cmd=client|info") {
		t.Errorf("CLIENT INFO = %s", got)
	}
	_ = cs.Close()
	eventually(t, "the session's client closed", func() bool { return f.srv.ClientCount() == base })

	killer := f.connect(t, "alice-admin")
	victim := f.connect(t, "alice-rw")
	// The victim is the only session of alice's besides the killer's own.
	eventually(t, "two clients", func() bool { return f.srv.ClientCount() == base+2 })
	list := call(t, killer, "command", cmd("CLIENT", "LIST"))
	var ids []string
	for _, line := range strings.Split(strings.Trim(list, `"`), `\n`) {
		if strings.Contains(line, "cmd=") && !strings.Contains(line, "cmd=client|list") {
			for _, fld := range strings.Fields(line) {
				if strings.HasPrefix(fld, "id=") {
					ids = append(ids, strings.TrimPrefix(fld, "id="))
				}
			}
		}
	}
	if len(ids) != 1 {
		t.Fatalf("CLIENT LIST: %s", list)
	}
	if got := call(t, killer, "command", cmd("CLIENT", "KILL", "ID", ids[0])); got != `1` {
		t.Fatalf("CLIENT KILL = %s", got)
	}
	eventually(t, "the killed session ended", func() bool {
		_, err := victim.CallTool(context.Background(), &sdk.CallToolParams{Name: "get", Arguments: map[string]any{"key": "k"}})
		return err != nil
	})
}

// Server.Close waits for every session to close: open MCP sessions must
// not hold it up.
func TestShutdownWithOpenSessions(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	f.connect(t, "alice-rw")
	f.open(t, "bob-rw")
	done := make(chan struct{})
	go func() { _ = f.srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Server.Close did not return with MCP sessions open")
	}
}

// Standalone without a password: anonymous sessions, every tool.
func TestStandalone(t *testing.T) {
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	f := serve(t, commands.NewServer(cfg, quiet), mcp.Options{})
	cs := f.connect(t, "")
	if got, want := toolNames(t, cs), f.offered(readTools, writeOnly, writeReveal, deleteTools, adminTools); !slices.Equal(got, want) {
		t.Errorf("tools:\n got  %v\n want %v", got, want)
	}
	run(t, cs, []step{
		{"set", map[string]any{"key": "k", "value": "v"}, `"OK"`},
		{"get", map[string]any{"key": "k"}, `"v"`},
	})
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// What a hostile client can make the server hold: sessions (bounded
// server-wide), sessions that never initialize (closed with their
// request), bodies (bounded), idle sessions (closed after the timeout).
func TestHostileSessions(t *testing.T) {
	f := newCluster(t, mcp.Options{MaxSessions: 2, MaxBodyBytes: 1 << 10, SessionTimeout: 200 * time.Millisecond})
	base := f.srv.ClientCount()
	auth := map[string]string{"Authorization": "Bearer " + secret("alice-rw")}

	// Requests that open no session leave nothing behind.
	for _, body := range []string{listBody, getBody, `{"jsonrpc":"2.0","id":1,"method":"initialize"`, `[]`, `not json`} {
		if res, b := f.post(t, body, auth); res.StatusCode == http.StatusOK && strings.Contains(b, `"result"`) {
			t.Errorf("%s without a session: %d %s", body, res.StatusCode, b)
		}
	}
	eventually(t, "sessions that never initialized closed", func() bool { return f.srv.ClientCount() == base })

	// A body over the limit is refused before it is read whole.
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"` + strings.Repeat("x", 2<<10) + `"}}`
	if res, _ := f.post(t, big, auth); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 KB body over a 1 KB limit: %d", res.StatusCode)
	}

	// Server-wide bound, whoever asks.
	f.open(t, "alice-rw")
	f.open(t, "bob-rw")
	res, body := f.post(t, initBody, map[string]string{"Authorization": "Bearer " + secret("carol-rw")})
	if res.StatusCode != http.StatusServiceUnavailable || strings.TrimSpace(body) != `{"error":"ERR max number of MCP sessions reached"}` {
		t.Errorf("3rd session with MaxSessions 2: %d %s", res.StatusCode, body)
	}
	// Idle sessions are closed, and their places and connections freed.
	eventually(t, "idle sessions closed", func() bool { return f.srv.ClientCount() == base })
	f.open(t, "carol-rw")
}

// Calls on one session run one at a time on its commands.Session, as many
// as the client may have in flight at once (16: TestQueuedCallsBounded).
func TestConcurrentCalls(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	cs := f.connect(t, "alice-rw")
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() {
			res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "incrby", Arguments: map[string]any{"key": "n", "increment": 1}})
			if err == nil && res.IsError {
				err = errors.New(res.Content[0].(*sdk.TextContent).Text)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	run(t, cs, []step{{"get", map[string]any{"key": "n"}, `"16"`}})
}

// A key revoked while its session is open is refused on the next request.
func TestRevokedKey(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	id := f.open(t, "bob-rw")
	h := map[string]string{"Authorization": "Bearer " + secret("bob-rw"), "Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
	if res, body := f.post(t, getBody, h); res.StatusCode != http.StatusOK {
		t.Fatalf("before revocation: %d %s", res.StatusCode, body)
	}
	old := keys
	t.Cleanup(func() { keys = old })
	keys = slices.DeleteFunc(slices.Clone(keys), func(k key) bool { return k.id == "bob-rw" })
	if err := os.WriteFile(f.path, []byte(tenantsFile()), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the revoked key refused", func() bool {
		res, body := f.post(t, getBody, h)
		return res.StatusCode == http.StatusUnauthorized && strings.TrimSpace(body) == `{"error":"WRONGPASS invalid username-password pair or user is disabled."}`
	})
}

// Calls queued behind a blocked one are bounded: past 16 waiting, a call
// is refused at once instead of holding a request open.
func TestQueuedCallsBounded(t *testing.T) {
	f := newCluster(t, mcp.Options{MaxBlock: time.Minute})
	cs := f.connect(t, "alice-rw")
	other := f.connect(t, "alice-rw")
	blocked := make(chan string, 1)
	go func() { blocked <- call(t, cs, "command", cmd("BLPOP", "wake", "0")) }()
	eventually(t, "BLPOP blocked", func() bool {
		return strings.Contains(call(t, other, "command", cmd("CLIENT", "LIST")), "cmd=blpop")
	})
	const n = 40
	results := make(chan string, n)
	for range n {
		go func() { results <- call(t, cs, "get", map[string]any{"key": "k"}) }()
	}
	refused := 0
	for refused < n-16 {
		got := <-results
		if got != "error: ERR too many tool calls waiting on this MCP session (16)" {
			t.Fatalf("a call while BLPOP blocks the session: %s", got)
		}
		refused++
	}
	run(t, other, []step{{"rpush", map[string]any{"key": "wake", "values": []string{"x"}}, `1`}})
	if got := <-blocked; got != `["wake","x"]` {
		t.Errorf("BLPOP = %s", got)
	}
	for range 16 {
		if got := <-results; got != `null` {
			t.Errorf("a queued call = %s", got)
		}
	}
}

// A blocked call ends without waiting for MaxBlock, and without popping
// anything, when the client cancels it or ends the session.
func TestEndWhileBlocked(t *testing.T) {
	f := newCluster(t, mcp.Options{MaxBlock: 10 * time.Minute})
	other := f.connect(t, "alice-rw")
	blpopBlocked := func() {
		t.Helper()
		eventually(t, "BLPOP blocked", func() bool {
			return strings.Contains(call(t, other, "command", cmd("CLIENT", "LIST")), "cmd=blpop")
		})
	}

	// Cancelled by the client (notifications/cancelled): the session goes on.
	cs := f.connect(t, "alice-rw")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "command", Arguments: cmd("BLPOP", "wake", "0")})
		done <- err
	}()
	blpopBlocked()
	cancel()
	if err := <-done; err == nil {
		t.Error("a cancelled BLPOP returned no error")
	}
	run(t, cs, []step{{"get", map[string]any{"key": "k"}, `null`}})

	// The session ended (DELETE) while its call blocks.
	base := f.srv.ClientCount()
	id := f.open(t, "alice-rw")
	h := map[string]string{"Authorization": "Bearer " + secret("alice-rw"), "Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		f.post(t, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"command","arguments":{"args":["BLPOP","wake","0"]}}}`, h)
	}()
	blpopBlocked()
	req, _ := http.NewRequest(http.MethodDelete, f.url, nil)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	<-posted
	eventually(t, "the ended session's client closed", func() bool { return f.srv.ClientCount() == base })
	run(t, other, []step{
		{"rpush", map[string]any{"key": "wake", "values": []string{"x"}}, `1`},
		{"llen", map[string]any{"key": "wake"}, `1`},
	})
}

// Quotas answer through MCP with RESP's texts, as tool errors.
func TestQuotas(t *testing.T) {
	f := newCluster(t, mcp.Options{})
	cs := f.connect(t, "dave-rw")
	run(t, cs, []step{
		{"set", map[string]any{"key": "big", "value": strings.Repeat("x", 400)}, `error: QUOTA payload of 403 bytes exceeds the limit of 300 bytes`},
		{"set", map[string]any{"key": "a", "value": strings.Repeat("x", 90)}, `"OK"`},
		// Storage: the write that would overshoot is refused.
		{"rpush", map[string]any{"key": "l", "values": []string{strings.Repeat("y", 90), strings.Repeat("y", 90), strings.Repeat("y", 90)}}, `error: QUOTA storage quota exceeded: used 203 of 904 bytes`},
		// Monthly operations, counted as on RESP: the limit is reached
		// after the calls above.
		{"get", map[string]any{"key": "a"}, `"` + strings.Repeat("x", 90) + `"`},
		{"get", map[string]any{"key": "a"}, `"` + strings.Repeat("x", 90) + `"`},
		{"get", map[string]any{"key": "a"}, `"` + strings.Repeat("x", 90) + `"`},
		{"get", map[string]any{"key": "a"}, `error: QUOTA monthly operations quota exceeded: used 6 of 6`},
	})
}

// Standalone with requirepass: the Bearer token is the password.
func TestStandalonePassword(t *testing.T) {
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	cfg.RequirePass = "pw"
	f := serve(t, commands.NewServer(cfg, quiet), mcp.Options{})
	res, body := f.post(t, initBody, map[string]string{"Authorization": "Bearer wrong"})
	if res.StatusCode != http.StatusUnauthorized || strings.TrimSpace(body) != `{"error":"WRONGPASS invalid username-password pair or user is disabled."}` {
		t.Errorf("wrong password: %d %s", res.StatusCode, body)
	}
	res, body = f.post(t, initBody, nil)
	if res.StatusCode != http.StatusUnauthorized || strings.TrimSpace(body) != `{"error":"NOAUTH Authentication required."}` {
		t.Errorf("no password: %d %s", res.StatusCode, body)
	}
	res, _ = f.post(t, initBody, map[string]string{"Authorization": "Bearer pw"})
	if res.StatusCode != http.StatusOK {
		t.Errorf("right password: %d", res.StatusCode)
	}
}

// MCP requests count against the tenant's max_input_bytes_per_second,
// with its other surfaces: past a second's worth they are read more
// slowly, and every call still runs.
func TestMCPInputPaced(t *testing.T) {
	old := limits["alice"]
	t.Cleanup(func() { limits["alice"] = old })
	limits["alice"] = strings.TrimSuffix(old, "}") + ", max_input_bytes_per_second: 262144}"
	f := newCluster(t, mcp.Options{})
	cs := f.connect(t, "alice-rw")
	val := strings.Repeat("v", 200<<10)
	start := time.Now()
	for _, k := range []string{"k1", "k2", "k3"} {
		if got := call(t, cs, "set", map[string]any{"key": k, "value": val}); got != `"OK"` {
			t.Fatalf("set %s: %.100s", k, got)
		}
	}
	if d := time.Since(start); d < 1200*time.Millisecond {
		t.Fatalf("600 KiB of requests at 256 KiB/s (256 KiB at once) taken in %v", d)
	}
}

// A request body over the limit is refused with 413, whether its length is
// announced (refused unread) or not (refused at the limit), and a session's
// next message is served.
func TestBodyLimit(t *testing.T) {
	opts := mcp.Options{MaxBodyBytes: 64 << 10}
	f := newCluster(t, opts)
	// The handler again, its request bodies counted as it reads them.
	var read atomic.Int64
	h := mcp.Handler(f.srv, authenticator(f.srv), opts)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = countingBody{r.Body, &read}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	f.url = hs.URL
	auth := map[string]string{"Authorization": "Bearer " + secret("alice-rw")}
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`
	want := `{"error":"ERR request body too large"}`
	res, body := f.post(t, big, auth)
	if res.StatusCode != http.StatusRequestEntityTooLarge || strings.TrimSpace(body) != want {
		t.Fatalf("1 MB body with its length: %d %s", res.StatusCode, body)
	}
	if n := read.Load(); n != 0 {
		t.Errorf("%d bytes read of a body announced over the limit", n)
	}
	req, _ := http.NewRequest(http.MethodPost, f.url, io.MultiReader(strings.NewReader(big))) // no length: chunked
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", auth["Authorization"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("1 MB body, chunked: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || strings.TrimSpace(string(b)) != want {
		t.Fatalf("1 MB body, chunked: %d %s", res.StatusCode, b)
	}
	f.open(t, "alice-rw")
}

// countingBody counts what is read of a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

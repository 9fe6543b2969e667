package commands

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
	"synap/tenant"
	"synap/tenant/tenantsfile"
)

// The cluster fixture: two tenants whose keys share names, and keys with
// every permission shape. Secrets are the key ids with a "-secret" suffix.
const clusterAdminKey = "operator-key-0123456789"

type clusterKey struct {
	id, user    string
	perms       string // YAML list body
	surfaces    string
	expiresAt   string
	disabled    bool
	secretOverr string
}

var clusterKeys = []clusterKey{
	{id: "alice-rw", user: "alice", perms: "read, write, delete"},
	{id: "alice-ro", user: "alice", perms: "read"},
	{id: "alice-w", user: "alice", perms: "write"},
	{id: "alice-del", user: "alice", perms: "delete"},
	{id: "alice-admin", user: "alice", perms: "admin"},
	{id: "alice-mcp", user: "alice", perms: "read, write", surfaces: "mcp"},
	{id: "alice-old", user: "alice", perms: "read", expiresAt: "2001-01-01T00:00:00Z"},
	{id: "alice-off", user: "alice", perms: "admin", disabled: true},
	{id: "bob-admin", user: "bob", perms: "admin"},
	{id: "bob-rw", user: "bob", perms: "read, write, delete"},
	{id: "carol-rw", user: "carol", perms: "read, write, delete"},
}

// clusterLimits are each tenant's limits: alice and bob have none that a
// test could trip over by accident; carol's are small, to be reached.
var clusterLimits = map[string]string{
	"alice": "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}",
	"bob":   "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}",
	"carol": "{storage_limit_bytes: 580, monthly_operations_limit: 40, max_keys: 3, rate_limit: {requests_per_second: 1, burst: 20}, max_connections: 2, max_payload_bytes: 60}",
}

// setCarolLimits gives carol limits for the rest of the test: the tenants
// file is written from clusterLimits by startCluster, replace and rewrite.
func setCarolLimits(t testing.TB, limits string) {
	old := clusterLimits["carol"]
	t.Cleanup(func() { clusterLimits["carol"] = old })
	clusterLimits["carol"] = limits
}

func clusterSecret(id string) string { return id + "-secret" }

func clusterFile(keys []clusterKey) string {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, user := range []string{"alice", "bob", "carol"} {
		b.WriteString("  - user_id: " + user + "\n    plan: pro\n    limits: " + clusterLimits[user] + "\n    keys:\n")
		for _, k := range keys {
			if k.user != user {
				continue
			}
			b.WriteString("      - key_id: " + k.id + "\n        secret_sha256: " + tenantsfile.HashKey(clusterSecret(k.id)) + "\n")
			b.WriteString("        permissions: [" + k.perms + "]\n")
			if k.surfaces != "" {
				b.WriteString("        surfaces: [" + k.surfaces + "]\n")
			}
			if k.expiresAt != "" {
				b.WriteString("        expires_at: \"" + k.expiresAt + "\"\n")
			}
			if k.disabled {
				b.WriteString("        disabled: true\n")
			}
		}
	}
	b.WriteString("tenant_count: 3\n")
	return b.String()
}

type clusterFixture struct {
	srv  *Server
	dir  *tenantsfile.Directory
	path string
}

// startCluster runs a cluster-mode server over a tenants file.
func startCluster(t testing.TB) *clusterFixture { return startClusterWith(t, clusterKeys) }

// startClusterWith runs a cluster-mode server over a tenants file holding
// keys; opts adjust the server before it serves (srv.Dir is the file's
// directory by then, which an option may wrap).
func startClusterWith(t testing.TB, keys []clusterKey, opts ...func(*Server)) *clusterFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(clusterFile(keys)), 0o600); err != nil {
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
	srv.Dir = dir // before serving, as the binary does
	for _, o := range opts {
		o(srv)
	}
	serveTest(t, srv)
	return &clusterFixture{srv: srv, dir: dir, path: path}
}

// replace puts body in the tenants file as an operator's editor would
// (write aside, then rename), leaving the server to notice it.
func (f *clusterFixture) replace(t testing.TB, body string) {
	t.Helper()
	tmp := f.path + ".new"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		t.Fatal(err)
	}
}

// rewrite replaces the tenants file with keys and reloads it at once, as
// SIGHUP would (a plain edit is picked up within 250 ms).
func (f *clusterFixture) rewrite(t testing.TB, keys []clusterKey) {
	t.Helper()
	f.replace(t, clusterFile(keys))
	if err := f.dir.Reload(); err != nil {
		t.Fatal(err)
	}
}

// as dials a connection authenticated with key id (or the operator's key).
func (f *clusterFixture) as(t testing.TB, id string) *resptest.Client {
	t.Helper()
	c := dial(t, f.srv)
	secret := clusterAdminKey
	if id != "operator" {
		secret = clusterSecret(id)
	}
	if got := c.Do("AUTH", secret); got != "+OK" {
		t.Fatalf("AUTH as %s: %s", id, got)
	}
	return c
}

func TestClusterAuthentication(t *testing.T) {
	f := startCluster(t)
	c := dial(t, f.srv)
	runSteps(t, c, []step{
		{cmd: "PING", want: "-NOAUTH Authentication required."},
		{cmd: "GET k", want: "-NOAUTH Authentication required."},
		{cmd: "HELLO 3", want: "-" + errHelloNoAuth},
		{args: []string{"AUTH", ""}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{args: []string{"AUTH", "alice-rw-secre"}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{args: []string{"AUTH", "alice-rw-secret\x00"}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{args: []string{"AUTH", clusterSecret("alice-old")}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{args: []string{"AUTH", clusterSecret("alice-off")}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{args: []string{"AUTH", clusterSecret("alice-mcp")}, want: "-NOPERM User alice-mcp may not use the resp surface"},
		{cmd: "GET k", want: "-NOAUTH Authentication required."},
		{args: []string{"AUTH", "default", clusterSecret("alice-rw")}, want: "+OK"},
		{cmd: "SET k alice", want: "+OK"},
		{cmd: "SELECT 1", want: "-ERR SELECT is not allowed in cluster mode"},
		{cmd: "SELECT 0", want: "+OK"},
		{cmd: "GET k", want: `"alice"`},
		// Re-AUTH with another tenant's key rebinds the connection.
		{args: []string{"AUTH", clusterSecret("bob-rw")}, want: "+OK"},
		{cmd: "GET k", want: "nil"},
		{cmd: "RESET", want: "+RESET"},
		{cmd: "GET k", want: "-NOAUTH Authentication required."},
	})
	// Before AUTH, Redis's pre-auth limits hold: a 1 MB key is a protocol
	// error that closes the connection, not a lookup.
	huge := dial(t, f.srv)
	if got := huge.Do("AUTH", strings.Repeat("k", 1<<20)); got != "-ERR Protocol error: unauthenticated bulk length" {
		t.Errorf("1 MB AUTH: %.80s", got)
	}
	h := dial(t, f.srv)
	if got := h.Do("HELLO", "3", "AUTH", "default", clusterSecret("alice-ro")); !strings.Contains(got, `"proto"::3`) {
		t.Fatalf("HELLO 3 AUTH: %s", got)
	}
	if got := h.Do("GET", "k"); got != `"alice"` {
		t.Fatalf("GET after HELLO AUTH: %s", got)
	}
}

func TestClusterIsolationBasics(t *testing.T) {
	f := startCluster(t)
	a, b := f.as(t, "alice-rw"), f.as(t, "bob-admin")
	runSteps(t, a, []step{
		{cmd: "SET k alice-value", want: "+OK"},
		{cmd: "SET user:bob:k not-bobs", want: "+OK"},
		{args: []string{"SET", "a:b\x00c", "x"}, want: "+OK"},
	})
	runSteps(t, b, []step{
		{cmd: "GET k", want: "nil"},
		{cmd: "SET k bob-value", want: "+OK"},
		{cmd: "KEYS *", want: `["k"]`},
		{cmd: "DBSIZE", want: ":1"},
		{cmd: "SCAN 0 COUNT 1000", want: `["0" ["k"]]`},
		{cmd: "RANDOMKEY", want: `"k"`},
		{cmd: "EXISTS user:bob:k", want: ":0"},
		{cmd: "MOVE k 1", want: "-ERR MOVE is not allowed in cluster mode"},
	})
	runSteps(t, a, []step{
		{cmd: "GET k", want: `"alice-value"`},
		{cmd: "KEYS user:*", want: `["user:bob:k"]`},
		{cmd: "DBSIZE", want: ":3"},
		{cmd: "FLUSHDB", want: "-NOPERM User alice-rw has no permissions to run the 'flushdb' command"},
	})
	runSteps(t, b, []step{
		{cmd: "FLUSHALL", want: "+OK"},
		{cmd: "DBSIZE", want: ":0"},
	})
	runSteps(t, a, []step{{cmd: "DBSIZE", want: ":3"}, {cmd: "GET user:bob:k", want: `"not-bobs"`}})

	// Client lists and kills reach only the tenant's own connections.
	a2 := f.as(t, "alice-ro")
	bobID := b.Do("CLIENT", "ID")
	list := a.Do("CLIENT", "LIST")
	if n := strings.Count(list, "id="); n != 2 {
		t.Errorf("alice's CLIENT LIST shows %d connections, want her 2: %s", n, list)
	}
	if strings.Contains(list, "id="+strings.TrimPrefix(bobID, ":")+" ") {
		t.Errorf("alice's CLIENT LIST shows bob's connection: %s", list)
	}
	admin := f.as(t, "alice-admin")
	if got := admin.Do("CLIENT", "KILL", "ID", strings.TrimPrefix(bobID, ":")); got != ":0" {
		t.Errorf("alice killing bob's connection: %s", got)
	}
	if got := b.Do("PING"); got != "+PONG" {
		t.Errorf("bob's connection after alice's CLIENT KILL: %s", got)
	}
	_ = a2
}

func TestClusterPermissionsAndOperator(t *testing.T) {
	f := startCluster(t)
	ro, w, del, adm := f.as(t, "alice-ro"), f.as(t, "alice-w"), f.as(t, "alice-del"), f.as(t, "alice-admin")
	runSteps(t, w, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: "-NOPERM User alice-w has no permissions to run the 'get' command"},
		{cmd: "DEL k", want: "-NOPERM User alice-w has no permissions to run the 'del' command"},
		// Writes that return the old value need read as well.
		{cmd: "SET k v2 GET", want: "-NOPERM User alice-w has no permissions to run the 'set' command"},
		{cmd: "GETSET k v2", want: "-NOPERM User alice-w has no permissions to run the 'getset' command"},
		{cmd: "SET k v3 get", want: "-NOPERM User alice-w has no permissions to run the 'set' command"},
	})
	runSteps(t, ro, []step{
		{cmd: "GET k", want: `"v"`},
		{cmd: "SET k v2", want: "-NOPERM User alice-ro has no permissions to run the 'set' command"},
		{cmd: "GETDEL k", want: "-NOPERM User alice-ro has no permissions to run the 'getdel' command"},
		{cmd: "CONFIG GET maxclients", want: "-NOPERM User alice-ro has no permissions to run the 'config|get' command"},
	})
	runSteps(t, del, []step{
		{cmd: "GET k", want: "-NOPERM User alice-del has no permissions to run the 'get' command"},
		{cmd: "GETDEL k", want: "-NOPERM User alice-del has no permissions to run the 'getdel' command"},
		{cmd: "DEL k", want: ":1"},
	})
	runSteps(t, adm, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "CONFIG SET maxclients 5", want: "-NOPERM User alice-admin has no permissions to run the 'config|set' command"},
		{cmd: "SHUTDOWN", want: "-NOPERM User alice-admin has no permissions to run the 'shutdown' command"},
		{cmd: "TENANT LIST", want: "-NOPERM User alice-admin has no permissions to run the 'tenant|list' command"},
		{cmd: "FLUSHDB", want: "+OK"},
	})
	info := adm.Do("INFO")
	for _, want := range []string{"# Tenant", "user_id:alice", "key_id:alice-admin", "permissions:admin"} {
		if !strings.Contains(info, want) {
			t.Errorf("tenant INFO lacks %q", want)
		}
	}
	// Its memory section gives its own figures, none of the process's.
	for _, hidden := range []string{"used_memory_rss", "mem_fragmentation_ratio", "# Stats", "# Errorstats", "bob"} {
		if strings.Contains(info, hidden) {
			t.Errorf("tenant INFO shows %q", hidden)
		}
	}
	op := f.as(t, "operator")
	runSteps(t, op, []step{
		{cmd: "TENANT LIST", want: `["alice"]`},
		{cmd: "CONFIG SET maxclients 500", want: "+OK"},
	})
	ti := op.Do("TENANT", "INFO", "alice")
	for _, want := range []string{"connections:4", "cmdstat_set:calls=2", "rejected_noperm:13"} {
		if !strings.Contains(ti, want) {
			t.Errorf("TENANT INFO alice lacks %q: %s", want, ti)
		}
	}
	if got := op.Do("TENANT", "INFO", "nobody"); got != "-ERR no such tenant" {
		t.Errorf("TENANT INFO nobody: %s", got)
	}
}

func TestClusterRevocationReachesOpenConnections(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw")
	if got := c.Do("SET", "k", "v"); got != "+OK" {
		t.Fatal(got)
	}
	var kept []clusterKey
	for _, k := range clusterKeys {
		if k.id != "alice-rw" {
			kept = append(kept, k)
		}
	}
	f.replace(t, clusterFile(kept))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := c.Do("GET", "k")
		if got == "-WRONGPASS invalid username-password pair or user is disabled." {
			break
		}
		if got != `"v"` || time.Now().After(deadline) {
			t.Fatalf("after revocation: %s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := c.Do("GET", "k"); got != "-NOAUTH Authentication required." {
		t.Fatalf("next command after revocation: %s", got)
	}
	// Another key of the same tenant still works, and sees the data.
	if got := f.as(t, "alice-ro").Do("GET", "k"); got != `"v"` {
		t.Fatalf("alice-ro after alice-rw was revoked: %s", got)
	}
}

// Rewriting the tenants file under traffic never interrupts a key that every
// version of the file keeps.
func TestClusterFileEditedMidTraffic(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-ro")
	done := make(chan struct{})
	errs := make(chan string, 1)
	go func() {
		defer close(done)
		for i := 0; i < 400; i++ {
			if got := c.Do("EXISTS", "k"); got != ":0" {
				errs <- got
				return
			}
		}
	}()
	for i := 0; i < 20; i++ {
		keys := clusterKeys
		if i%2 == 0 {
			keys = append(append([]clusterKey{}, clusterKeys...), clusterKey{id: "carol-extra", user: "alice", perms: "read"})
		}
		f.rewrite(t, keys)
	}
	<-done
	select {
	case got := <-errs:
		t.Fatalf("a kept key was refused while the file changed: %s", got)
	default:
	}
}

// A connection that keeps failing AUTH never holds up other clients (past
// a threshold its address is throttled: TestHostileAuthorityAuthThrottlePerAddress).
func TestClusterAuthFailuresDoNotSlowOthers(t *testing.T) {
	f := startCluster(t)
	guesser := dial(t, f.srv)
	for i := 0; i < 4; i++ {
		if got := guesser.Do("AUTH", "guess"); got != "-WRONGPASS invalid username-password pair or user is disabled." {
			t.Fatalf("guess %d: %s", i, got)
		}
	}
	// Meanwhile another tenant's commands are answered, and the guesser
	// still gets its reply.
	if err := guesser.Send(string(resptest.Encode("AUTH", "guess"))); err != nil {
		t.Fatal(err)
	}
	other := f.as(t, "bob-rw")
	for i := 0; i < 50; i++ {
		if got := other.Do("PING"); got != "+PONG" {
			t.Fatalf("other client: %s", got)
		}
	}
	if got := guesser.Read(); got != "-WRONGPASS invalid username-password pair or user is disabled." {
		t.Fatalf("slowed guess: %s", got)
	}
	if got := guesser.Do("AUTH", clusterSecret("alice-ro")); got != "+OK" {
		t.Fatalf("a right key after failures: %s", got)
	}
}

func TestClusterQuotasAndRateLimit(t *testing.T) {
	setCarolLimits(t, "{storage_limit_bytes: 436, monthly_operations_limit: 40, max_keys: 3, rate_limit: {requests_per_second: 1, burst: 20}, max_connections: 2, max_payload_bytes: 60}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	runSteps(t, c, []step{
		// Each key counts its bytes and a charge of 112.
		{cmd: "SET k1 " + strings.Repeat("a", 30), want: "+OK"}, // 144 bytes
		{cmd: "SET k2 " + strings.Repeat("b", 30), want: "+OK"}, // 288
		// The payload alone would overshoot: refused before anything is stored.
		{cmd: "SET k3 " + strings.Repeat("c", 40), want: "-QUOTA storage quota exceeded: used 288 of 436 bytes"},
		{cmd: "SET k3 " + strings.Repeat("c", 30), want: "+OK"}, // 432
		{cmd: "SET k4 xyzab", want: "-QUOTA storage quota exceeded: used 432 of 436 bytes"},
		// Reads and deletes keep working at the limit.
		{cmd: "STRLEN k1", want: ":30"},
		{cmd: "DEL k3", want: ":1"},
		{cmd: "SET k3 c", want: "+OK"},
		{cmd: "SET k4 d", want: "-QUOTA key quota exceeded: 3 of 3 keys"},
		{cmd: "SET big " + strings.Repeat("x", 61), want: "-QUOTA payload of 64 bytes exceeds the limit of 60 bytes"},
	})
	// Two connections are allowed; the third is refused at AUTH.
	_ = f.as(t, "carol-rw")
	third := dial(t, f.srv)
	if got := third.Do("AUTH", clusterSecret("carol-rw")); got != "-QUOTA connection limit reached: 2 of 2 connections" {
		t.Errorf("third connection: %s", got)
	}
	// The burst of 20 tokens is shared by carol's connections; then 1/s.
	var limited string
	for i := 0; i < 30 && limited == ""; i++ {
		if got := c.Do("EXISTS", "k1"); got != ":1" {
			limited = got
		}
	}
	if !strings.HasPrefix(limited, "-RATELIMIT too many requests: limit 1/s, retry in ") || !strings.HasSuffix(limited, " ms") {
		t.Errorf("past the burst: %q", limited)
	}
	ti := f.as(t, "operator").Do("TENANT", "INFO", "carol")
	for _, want := range []string{"rejected_quota:3", "rejected_payload:1", "rejected_ratelimit:1", "rejected_connections:1"} {
		if !strings.Contains(ti, want) {
			t.Errorf("TENANT INFO carol lacks %q: %s", want, ti)
		}
	}
}

// spendOps counts n operations in user's month, as if done before the test,
// and returns the tenant.
func spendOps(f *clusterFixture, user string, n int) *tenant.Tenant {
	tn := f.srv.Tenants.Get(user)
	now := time.Now()
	for i := 0; i < n; i++ {
		tn.CountOp(now)
	}
	return tn
}

func TestClusterMonthlyOperations(t *testing.T) {
	f := startCluster(t)
	tn := spendOps(f, "carol", 39)
	c := dial(t, f.srv)
	// AUTH is the 40th operation of the month.
	if got := c.Do("AUTH", clusterSecret("carol-rw")); got != "+OK" {
		t.Fatal(got)
	}
	if got := c.Do("GET", "k"); got != "-QUOTA monthly operations quota exceeded: used 40 of 40" {
		t.Fatalf("past the monthly quota: %s", got)
	}
	// A new month starts from zero.
	now := time.Now()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	if got := tn.Ops(next); got != 0 {
		t.Fatalf("ops in the next month: %d", got)
	}
}

// Over a few seconds at several times the allowed rate, the accepted count
// is the bucket's promise: rate × elapsed + burst, within 5%.
func TestClusterRateLimitAccuracy(t *testing.T) {
	f := startCluster(t)
	tn := f.srv.Tenants.Get("alice")
	c := f.as(t, "alice-ro")
	const rate, burst = 200, 50
	l := tn.Limits()
	l.RequestsPerSecond, l.Burst = rate, burst
	tn.SetLimits(l)
	tn.ResetRate()
	start := time.Now()
	accepted, sent := 0, 0
	batch := strings.Repeat(string(resptest.Encode("EXISTS", "k")), 40)
	for time.Since(start) < 5*time.Second {
		if err := c.Send(batch); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 40; i++ {
			switch got := c.Read(); {
			case got == ":0":
				accepted++
			case strings.HasPrefix(got, "-RATELIMIT too many requests: limit 200/s, retry in "):
			default:
				t.Fatalf("reply %q", got)
			}
		}
		sent += 40
	}
	elapsed := time.Since(start).Seconds()
	want := rate*elapsed + burst
	if float64(sent) < 3*rate*elapsed {
		t.Skipf("only %d commands in %.1fs: not 3x the limit, so the test cannot judge", sent, elapsed)
	}
	if d := float64(accepted) - want; d > 0.05*want || d < -0.05*want {
		t.Fatalf("accepted %d of %d in %.2fs, want %.0f ± 5%%", accepted, sent, elapsed, want)
	}
}

// New limits in the tenants file apply to open connections on their next
// command, without reconnecting.
func TestClusterLimitsChangeLive(t *testing.T) {
	setCarolLimits(t, "{storage_limit_bytes: 1000, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	if got := c.Do("SET", "a", strings.Repeat("x", 50)); got != "+OK" {
		t.Fatal(got)
	}
	setCarolLimits(t, "{storage_limit_bytes: 20, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1}")
	f.replace(t, clusterFile(clusterKeys))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := c.Do("SET", "b", "y")
		if got == "-QUOTA storage quota exceeded: used 163 of 20 bytes" { // 1+50 bytes and the key's 112
			break
		}
		if got != "+OK" || time.Now().After(deadline) {
			t.Fatalf("after lowering the quota below usage: %s", got)
		}
		c.Do("DEL", "b")
		time.Sleep(20 * time.Millisecond)
	}
	// Lowered below usage: writes refused, nothing deleted, reads work.
	if got := c.Do("STRLEN", "a"); got != ":50" {
		t.Fatalf("data after the quota was lowered: %s", got)
	}
}

// A plan's max_ttl_seconds caps every expiry a tenant sets, and a key
// written without one gets the cap (issue 10: none may outlive it).
func TestClusterMaxTTLCapsExpiry(t *testing.T) {
	setCarolLimits(t, "{max_ttl_seconds: 60, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	ttl := func(key string) int {
		got := c.Do("TTL", key)
		n, err := strconv.Atoi(strings.TrimPrefix(got, ":"))
		if err != nil {
			t.Fatalf("TTL %s: %s", key, got)
		}
		return n
	}
	runSteps(t, c, []step{
		{cmd: "SET a v EX 100000", want: "+OK"},
		{cmd: "SETEX b 100000 v", want: "+OK"},
		{cmd: "SET c v", want: "+OK"},
		{cmd: "EXPIRE c 100000", want: ":1"},
		{cmd: "SET d v", want: "+OK"},
		{cmd: "SET e v EX 10", want: "+OK"},
	})
	for _, k := range []string{"a", "b", "c", "d"} {
		if n := ttl(k); n < 58 || n > 60 {
			t.Errorf("TTL %s = %d, want capped at 60", k, n)
		}
	}
	if n := ttl("e"); n < 8 || n > 10 {
		t.Errorf("a TTL under the cap changed: %d", n)
	}
}

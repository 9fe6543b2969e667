package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"synap/commands"
	"synap/resp/resptest"
)

// Authentication, permissions and surfaces on every HTTP route, with the
// status codes and bodies users see.
func TestHTTPAuthCluster(t *testing.T) {
	f := start(t, cluster)
	rw, ro, mcpOnly, restOnly := secret("alice-rw"), secret("alice-ro"), secret("alice-mcp"), secret("alice-rest")
	for _, tc := range []struct {
		name, method, path, key string
		body                    any
		status                  int
		want                    string
	}{
		{"no key", "GET", "/get/k", "", nil, 401, `{"error":"NOAUTH Authentication required."}`},
		{"no key POST /", "POST", "/", "", []any{"GET", "k"}, 401, `{"error":"NOAUTH Authentication required."}`},
		{"no key pipeline", "POST", "/pipeline", "", [][]any{{"GET", "k"}}, 401, `{"error":"NOAUTH Authentication required."}`},
		{"no key multi-exec", "POST", "/multi-exec", "", [][]any{{"GET", "k"}}, 401, `{"error":"NOAUTH Authentication required."}`},
		{"no key metrics", "GET", "/metrics", "", nil, 401, `{"error":"NOAUTH Authentication required."}`},
		{"no key subscribe", "GET", "/subscribe/ch", "", nil, 401, `{"error":"NOAUTH Authentication required."}`},
		{"no key mcp", "POST", "/mcp", "", nil, 401, `{"error":"NOAUTH Authentication required."}`},
		{"unknown key", "GET", "/get/k", "nope", nil, 401, `{"error":"WRONGPASS invalid username-password pair or user is disabled."}`},
		{"read-only SET", "GET", "/set/k/v", ro, nil, 403, `{"error":"NOPERM User alice-ro has no permissions to run the 'set' command"}`},
		{"read-only GET", "GET", "/get/k", ro, nil, 200, `{"result":null}`},
		{"read-only in pipeline", "POST", "/pipeline", ro, [][]any{{"GET", "k"}, {"SET", "k", "v"}}, 200,
			`[{"result":null},{"error":"NOPERM User alice-ro has no permissions to run the 'set' command"}]`},
		{"read-only in multi-exec", "POST", "/multi-exec", ro, [][]any{{"GET", "k"}, {"SET", "k", "v"}}, 403,
			`{"error":"EXECABORT Transaction discarded because of previous errors."}`},
		{"operator command", "GET", "/flushall", rw, nil, 403, `{"error":"NOPERM User alice-rw has no permissions to run the 'flushall' command"}`},
		{"MCP-only key on REST", "GET", "/get/k", mcpOnly, nil, 403, `{"error":"NOPERM User alice-mcp may not use the rest surface"}`},
		{"MCP-only key on /ws", "GET", "/ws", mcpOnly, nil, 403, `{"error":"NOPERM User alice-mcp may not use the websocket surface"}`},
		{"MCP-only key on SSE", "GET", "/subscribe/ch", mcpOnly, nil, 403, `{"error":"NOPERM User alice-mcp may not use the rest surface"}`},
		{"REST-only key on /mcp", "POST", "/mcp", restOnly, nil, 403, `{"error":"NOPERM User alice-rest may not use the mcp surface"}`},
		{"REST-only key on /ws", "GET", "/ws", restOnly, nil, 403, `{"error":"NOPERM User alice-rest may not use the websocket surface"}`},
		{"MCP key on /mcp (not built yet)", "POST", "/mcp", mcpOnly, nil, 501, `{"error":"ERR MCP is not available in this build"}`},
		{"tenant key on metrics", "GET", "/metrics", rw, nil, 403, `{"error":"NOPERM metrics are for the operator's key only"}`},
		{"health needs nothing", "GET", "/health", "", nil, 200, `{"status":"ok"}`},
		{"openapi needs nothing", "GET", "/health", "", nil, 200, `{"status":"ok"}`},
	} {
		var body []byte
		if tc.body != nil {
			body = mustJSON(tc.body)
		}
		got := f.do(t, tc.method, tc.path, tc.key, body)
		if got.status != tc.status || got.body != tc.want {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, got.status, got.body, tc.status, tc.want)
		}
		if got.status == 401 && got.header.Get("WWW-Authenticate") != `Bearer realm="synap"` {
			t.Errorf("%s: 401 without WWW-Authenticate: Bearer (%q)", tc.name, got.header.Get("WWW-Authenticate"))
		}
	}
	for _, h := range []string{"Basic YWxpY2U6eA==", "Bearer", "Bearer ", "Token " + rw} {
		got := f.do(t, "GET", "/get/k", "", nil, "Authorization: "+h)
		if got.status != 401 || got.body != `{"error":"ERR the Authorization header must be Bearer <access key>"}` {
			t.Errorf("Authorization %q: %d %s", h, got.status, got.body)
		}
	}
	// The operator's key reaches /metrics, and what it shows is per tenant.
	f.do(t, "GET", "/set/k/v", rw, nil)
	m := f.do(t, "GET", "/metrics", adminKey, nil)
	for _, want := range []string{`synap_tenant_commands_total{tenant="alice"}`, `synap_tenant_keys{tenant="alice"} 1`,
		`synap_tenant_rejections_total{reason="noperm",tenant="alice"}`, `synap_tenant_rejections_total{reason="surface",tenant="alice"}`,
		`synap_sessions{surface="resp"}`, `synap_http_body_bytes_total{direction="out"}`, `synap_http_connections `, `synap_http_request_duration_seconds_bucket{code="200",route="command"`} {
		if m.status != 200 || !strings.Contains(m.body, want) {
			t.Errorf("/metrics (%d) lacks %s", m.status, want)
		}
	}
	if strings.Contains(m.body, secret("alice-rw")) || strings.Contains(m.body, adminKey) {
		t.Error("/metrics shows a secret")
	}
}

// Standalone: open without a password; with requirepass the Bearer token
// is the password.
func TestHTTPAuthStandalone(t *testing.T) {
	open := start(t)
	if got := open.do(t, "GET", "/set/k/v", "anything", nil); got.status != 200 {
		t.Errorf("open standalone with a token: %d %s", got.status, got.body)
	}
	if got := open.do(t, "GET", "/metrics", "", nil); got.status != 200 || !strings.Contains(got.body, "synap_commands_total") {
		t.Errorf("open standalone /metrics: %d", got.status)
	}
	f := start(t, func(c *commands.Config, _ *Options) { c.RequirePass = "pw" })
	f.steps(t, []step{
		{method: "GET", path: "/get/k", status: 401, want: `{"error":"NOAUTH Authentication required."}`},
		{method: "GET", path: "/get/k", key: "bad", status: 401, want: `{"error":"WRONGPASS invalid username-password pair or user is disabled."}`},
		{method: "GET", path: "/set/k/v", key: "pw", status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/k", key: "pw", status: 200, want: `{"result":"v"}`},
		{method: "GET", path: "/metrics", status: 401, want: `{"error":"NOAUTH Authentication required."}`},
	})
}

// Tenants see only their own data whatever the surface: REST, RESP and
// the keyspace commands.
func TestHTTPIsolation(t *testing.T) {
	f := start(t, cluster)
	alice, bob := secret("alice-rw"), secret("bob-rw")
	f.steps(t, []step{
		{method: "GET", path: "/set/k/alice", key: alice, status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/k", key: bob, status: 200, want: `{"result":null}`},
		{method: "GET", path: "/keys/*", key: bob, status: 200, want: `{"result":[]}`},
		{method: "GET", path: "/dbsize", key: bob, status: 200, want: `{"result":0}`},
		{method: "GET", path: "/set/k/bob", key: bob, status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/k", key: alice, status: 200, want: `{"result":"alice"}`},
		{method: "GET", path: "/keys/*", key: alice, status: 200, want: `{"result":["k"]}`},
		{method: "GET", path: "/flushdb", key: bob, status: 403, want: `{"error":"NOPERM User bob-rw has no permissions to run the 'flushdb' command"}`},
		{path: "/pipeline", key: bob, body: [][]any{{"DEL", "k"}, {"GET", "k"}}, status: 200, want: `[{"result":1},{"result":null}]`},
		{method: "GET", path: "/get/k", key: alice, status: 200, want: `{"result":"alice"}`},
	})
	// Over WebSocket too.
	ws, _, err := dialWS(t, f, bob)
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, ws, `{"id":1,"cmd":["GET","k"]}`)
	if got := wsRead(t, ws); got != `{"id":1,"result":null}` {
		t.Errorf("bob over WebSocket: %s", got)
	}
	wsSend(t, ws, `{"id":2,"cmd":["KEYS","*"]}`)
	if got := wsRead(t, ws); got != `{"id":2,"result":[]}` {
		t.Errorf("bob's KEYS over WebSocket: %s", got)
	}
	// The same tenant over RESP sees what REST wrote; the other does not.
	c, err := resptest.Dial(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Do("AUTH", alice); got != "+OK" {
		t.Fatal(got)
	}
	if got := c.Do("GET", "k"); got != `"alice"` {
		t.Errorf("alice over RESP: %s", got)
	}
	c.Do("AUTH", bob)
	if got := c.Do("GET", "k"); got != "nil" {
		t.Errorf("bob over RESP: %s", got)
	}
}

// A tenant over its rate limit gets 429 with Retry-After, and every reply
// tells it its limit and what is left.
func TestHTTPRateLimit(t *testing.T) {
	f := start(t, cluster)
	carol := secret("carol-rw")
	var last reply
	remaining := []string{}
	for i := 0; i < 30; i++ {
		last = f.do(t, "GET", "/get/k", carol, nil)
		if last.status == 429 {
			break
		}
		if last.header.Get("X-RateLimit-Limit") != "1" {
			t.Fatalf("X-RateLimit-Limit = %q", last.header.Get("X-RateLimit-Limit"))
		}
		remaining = append(remaining, last.header.Get("X-RateLimit-Remaining"))
	}
	if last.status != 429 {
		t.Fatalf("never limited; remaining: %v", remaining)
	}
	if !strings.HasPrefix(last.body, `{"error":"RATELIMIT too many requests: limit 1/s, retry in `) {
		t.Errorf("429 body: %s", last.body)
	}
	if n, err := strconv.Atoi(last.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q", last.header.Get("Retry-After"))
	}
	if last.header.Get("X-RateLimit-Remaining") != "0" || last.header.Get("X-RateLimit-Limit") != "1" {
		t.Errorf("429 headers: %v", last.header)
	}
	if len(remaining) == 0 || remaining[0] != "4" {
		t.Errorf("X-RateLimit-Remaining after the first request of a burst of 5 = %v", remaining)
	}
	// A pipeline spends one token a command: each refused one says so.
	got := f.post(t, "/pipeline", carol, [][]any{{"GET", "k"}})
	if got.status != 200 || !strings.HasPrefix(got.body, `[{"error":"RATELIMIT`) {
		t.Errorf("pipeline over the limit: %d %s", got.status, got.body)
	}
}

// The storage quota: 507, with the numbers.
func TestHTTPStorageQuota(t *testing.T) {
	f := start(t, cluster)
	got := f.do(t, "POST", "/set/big", secret("carol-rw"), []byte(strings.Repeat("x", 1000)))
	if got.status != 507 || !strings.HasPrefix(got.body, `{"error":"QUOTA storage quota exceeded: used 0 of 300 bytes`) {
		t.Errorf("over the storage quota: %d %s", got.status, got.body)
	}
}

func TestStatusOf(t *testing.T) {
	for msg, want := range map[string]int{
		"NOAUTH Authentication required.":                                       401,
		"WRONGPASS invalid username-password pair or user is disabled.":         401,
		"NOPERM User x has no permissions to run the 'set' command":             403,
		"RATELIMIT too many requests: limit 1/s, retry in 300 ms":               429,
		"QUOTA monthly operations quota exceeded: used 5 of 5":                  429,
		"QUOTA storage quota exceeded: used 1 of 2 bytes":                       507,
		"QUOTA key quota exceeded: 3 of 3 keys":                                 507,
		"QUOTA payload of 100 bytes exceeds the limit of 60 bytes":              413,
		"ERR control plane unavailable, try again later":                        503,
		"ERR too many failed AUTH attempts from this address, retry in 1500 ms": 429,
		"WRONGTYPE Operation against a key holding the wrong kind of value":     400,
	} {
		if got := statusOf(msg); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", msg, got, want)
		}
	}
	if got := retryAfter("RATELIMIT too many requests: limit 1/s, retry in 1001 ms", timeNow()); got != 2 {
		t.Errorf("retryAfter 1001 ms = %d", got)
	}
}

// A body is read only once its request is authenticated, and a tenant's
// is bounded by its plan's payload limit (plus room for the JSON).
func TestHTTPBodyAfterAuth(t *testing.T) {
	f := start(t, cluster)
	big := []byte(strings.Repeat("x", 9<<20))
	if got := f.do(t, "POST", "/set/k", "", big); got.status != 401 {
		t.Errorf("anonymous 9 MB body: %d %s", got.status, got.body)
	}
	got := f.do(t, "POST", "/set/k", secret("carol-rw"), big[:100<<10])
	if got.status != 413 || got.body != `{"error":"`+errBodyTooLarge+`"}` {
		t.Errorf("100 KB body of a tenant with 2000-byte payloads: %d %s", got.status, got.body)
	}
	got = f.do(t, "POST", "/set/k", secret("carol-rw"), big[:10<<10])
	if got.status != 413 || got.body != `{"error":"QUOTA payload of 10241 bytes exceeds the limit of 2000 bytes"}` {
		t.Errorf("10 KB body of a tenant with 2000-byte payloads: %d %s", got.status, got.body)
	}
}

// The MCP handler is mounted behind the router's checks and gets an
// authenticator that tells it the key's principal, checked on the mcp
// surface.
func TestMCPMount(t *testing.T) {
	var seen []string
	f := start(t, cluster, func(_ *commands.Config, o *Options) {
		o.AllowedOrigins = []string{"https://agent.example"}
		o.MCP = func(auth Authenticator) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, err := auth(r)
				if err != nil {
					http.Error(w, err.Error(), 401)
					return
				}
				seen = append(seen, p.KeyID)
				w.WriteHeader(200)
			})
		}
	})
	mcpKey := secret("alice-mcp")
	for _, tc := range []struct {
		key, origin string
		status      int
	}{
		{mcpKey, "", 200},
		{mcpKey, "https://agent.example", 200},
		{mcpKey, "https://evil.example", 403},
		{secret("alice-rest"), "", 403},
		{"", "", 401},
		{"nope", "", 401},
	} {
		var hdr []string
		if tc.origin != "" {
			hdr = append(hdr, "Origin: "+tc.origin)
		}
		if got := f.do(t, "POST", "/mcp", tc.key, []byte("{}"), hdr...); got.status != tc.status {
			t.Errorf("key %q origin %q: %d %s, want %d", tc.key, tc.origin, got.status, got.body, tc.status)
		}
	}
	if strings.Join(seen, ",") != "alice-mcp,alice-mcp" {
		t.Errorf("the handler saw %q", seen)
	}
}

// /metrics carries every command's latency histogram (latency-tracking):
// one bucket per power of two of nanoseconds, its count the command's
// calls, its sum their latencies.
func TestMetricsCommandLatency(t *testing.T) {
	f := start(t)
	for range 5 {
		if got := f.do(t, "GET", "/set/k/v", "", nil); got.status != 200 {
			t.Fatalf("SET: %d %s", got.status, got.body)
		}
	}
	m := f.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`synap_command_duration_seconds_bucket{command="set",le="1.024e-06"}`,
		`synap_command_duration_seconds_bucket{command="set",le="+Inf"} 5`,
		`synap_command_duration_seconds_count{command="set"} 5`,
		`synap_command_duration_seconds_sum{command="set"} `,
	} {
		if !strings.Contains(m.body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, m.body)
		}
	}
}

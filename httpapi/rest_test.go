package httpapi

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"synap/commands"
	"synap/resp/resptest"
)

// step is one request and the reply a user must see.
type step struct {
	method, path, key string
	body              any // []byte: sent as is; anything else: JSON
	hdr               []string
	status            int
	want              string
}

func (f *fixture) steps(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		var body []byte
		switch b := s.body.(type) {
		case nil:
		case []byte:
			body = b
		case string:
			body = []byte(b)
		default:
			body = mustJSON(b)
		}
		method := s.method
		if method == "" {
			method = "POST"
		}
		got := f.do(t, method, s.path, s.key, body, s.hdr...)
		if got.status != s.status || got.body != s.want {
			t.Errorf("%s %s %s: got %d %s, want %d %s", method, s.path, body, got.status, got.body, s.status, s.want)
		}
	}
}

// The Upstash REST shapes: POST / with a JSON array, GET|POST
// /{command}/{args}, replies {"result"} / {"error"}.
func TestRESTUpstashShapes(t *testing.T) {
	f := start(t)
	f.steps(t, []step{
		{path: "/", body: []any{"SET", "k", "v"}, status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/k", status: 200, want: `{"result":"v"}`},
		{method: "GET", path: "/get/missing", status: 200, want: `{"result":null}`},
		{method: "GET", path: "/GET/k", status: 200, want: `{"result":"v"}`},
		{path: "/", body: []any{"INCRBY", "n", 9007199254740993}, status: 200, want: `{"result":9007199254740993}`},
		{path: "/", body: []any{"INCRBYFLOAT", "f", 1.5}, status: 200, want: `{"result":"1.5"}`},
		{path: "/", body: []any{"RPUSH", "l", "a", "b", 3}, status: 200, want: `{"result":3}`},
		{method: "GET", path: "/lrange/l/0/-1", status: 200, want: `{"result":["a","b","3"]}`},
		{path: "/", body: []any{"HSET", "h", "f", "1"}, status: 200, want: `{"result":1}`},
		{method: "GET", path: "/hgetall/h", status: 200, want: `{"result":["f","1"]}`},
		{path: "/", body: []any{"ZADD", "z", "1.5", "m"}, status: 200, want: `{"result":1}`},
		{method: "GET", path: "/zscore/z/m", status: 200, want: `{"result":"1.5"}`},
		// A POST body is the last argument, binary-safe.
		{path: "/set/body", body: "hello\nworld", status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/body", status: 200, want: `{"result":"hello\nworld"}`},
		// Query parameters are arguments: ?EX=100 is EX 100.
		{method: "GET", path: "/set/ttl/v?EX=100", status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/ttl/ttl", status: 200, want: `{"result":100}`},
		// Errors: Redis's texts, 400.
		{method: "GET", path: "/get", status: 400, want: `{"error":"ERR wrong number of arguments for 'get' command"}`},
		{method: "GET", path: "/incr/k", status: 400, want: `{"error":"ERR value is not an integer or out of range"}`},
		{method: "GET", path: "/lpush/k/x", status: 400, want: `{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"}`},
		{method: "GET", path: "/nosuch/k", status: 400, want: `{"error":"ERR unknown command 'nosuch', with args beginning with: 'k' "}`},
	})
}

// Upstash-Encoding: base64 makes every string of a reply base64, the way
// Upstash's clients decode them; binary values go through unchanged.
func TestRESTBase64(t *testing.T) {
	f := start(t)
	bin := []byte{0, 0xff, 0xfe, '\n', 'x', 0x80}
	b64 := "Upstash-Encoding: base64"
	enc := base64.StdEncoding.EncodeToString
	f.steps(t, []step{
		{path: "/set/bin", body: bin, status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/bin", hdr: []string{b64}, status: 200, want: `{"result":"` + enc(bin) + `"}`},
		// Without base64 the bytes cannot be JSON: refused, never mangled.
		{method: "GET", path: "/get/bin", status: 400, want: `{"error":"` + errNotUTF8 + `"}`},
		{path: "/", body: []any{"SET", "s", "text"}, hdr: []string{b64}, status: 200, want: `{"result":"` + enc([]byte("OK")) + `"}`},
		{path: "/", body: []any{"PING"}, hdr: []string{b64}, status: 200, want: `{"result":"` + enc([]byte("PONG")) + `"}`},
		{path: "/", body: []any{"RPUSH", "l", "a"}, hdr: []string{b64}, status: 200, want: `{"result":1}`},
		{path: "/", body: []any{"LRANGE", "l", 0, -1}, hdr: []string{b64}, status: 200, want: `{"result":["YQ=="]}`},
		{path: "/", body: []any{"GET", "missing"}, hdr: []string{b64}, status: 200, want: `{"result":null}`},
		// Errors stay text.
		{path: "/", body: []any{"GET"}, hdr: []string{b64}, status: 400, want: `{"error":"ERR wrong number of arguments for 'get' command"}`},
	})
}

// Path segments are taken literally and decoded one by one: %2F is a
// slash inside a key, ".." is a key, and nothing is cleaned or
// redirected into another route.
func TestRESTPathSegments(t *testing.T) {
	f := start(t)
	f.steps(t, []step{
		{method: "GET", path: "/set/a%2Fb/1", status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/a%2Fb", status: 200, want: `{"result":"1"}`},
		{method: "GET", path: "/get/a/b", status: 400, want: `{"error":"ERR wrong number of arguments for 'get' command"}`},
		{method: "GET", path: "/set/../2", status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/..", status: 200, want: `{"result":"2"}`},
		{method: "GET", path: "/exists/a%2Fb/../..%2F", status: 200, want: `{"result":2}`},
		// Not /health, not FLUSHALL: a command named "health".
		{method: "GET", path: "/health/../flushall", status: 400, want: `{"error":"ERR unknown command 'health', with args beginning with: '..' 'flushall' "}`},
		{method: "GET", path: "/dbsize", status: 200, want: `{"result":2}`},
		{method: "GET", path: "/set/sp%20ace/%E2%82%AC", status: 200, want: `{"result":"OK"}`},
		{method: "GET", path: "/get/sp%20ace", status: 200, want: `{"result":"€"}`},
	})
}

// Malformed JSON, wrong JSON types, invalid UTF-8: 400 with what is
// wrong, nothing run.
func TestRESTBadJSON(t *testing.T) {
	f := start(t)
	f.steps(t, []step{
		{path: "/", body: `["SET","k"`, status: 400, want: `{"error":"` + errBadJSON + `"}`},
		{path: "/", body: `["SET","k","v"] trailing`, status: 400, want: `{"error":"` + errBadJSON + `"}`},
		{path: "/", body: "[\"SET\",\"k\",\"\xff\"]", status: 400, want: `{"error":"` + errBadJSON + `"}`},
		{path: "/", body: ``, status: 400, want: `{"error":"` + errBadJSON + `"}`},
		{path: "/", body: `{"cmd":"SET"}`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/", body: `[]`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/", body: `["SET","k",true]`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/", body: `["SET","k",null]`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/", body: `["SET","k",["v"]]`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/", body: `"SET"`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/pipeline", body: `["SET","k","v"]`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		{path: "/pipeline", body: `[]`, status: 400, want: `{"error":"` + errPipelineForm + `"}`},
		{path: "/pipeline", body: `{}`, status: 400, want: `{"error":"` + errPipelineForm + `"}`},
		{path: "/multi-exec", body: `[["SET","k","v"],7]`, status: 400, want: `{"error":"` + errCommandShape + `"}`},
		// Escapes are decoded; a JSON string holds any valid text.
		{path: "/", body: `["SET","k","\u00e9\n\u0000"]`, status: 200, want: `{"result":"OK"}`},
		{path: "/", body: `["STRLEN","k"]`, status: 200, want: `{"result":4}`},
		{method: "GET", path: "/exists/v", status: 200, want: `{"result":0}`},
	})
}

// Unknown routes and methods: 405 with Allow, 404; tokens in the query
// string refused.
func TestRESTRoutesAndMethods(t *testing.T) {
	f := start(t)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"DELETE", "/get/k", 405, "GET, POST"},
		{"PUT", "/pipeline", 405, "POST"},
		{"GET", "/pipeline", 405, "POST"},
		{"GET", "/multi-exec", 405, "POST"},
		{"GET", "/", 405, "POST"},
		{"POST", "/health", 405, "GET, HEAD"},
		{"POST", "/openapi.json", 405, "GET, HEAD"},
		{"POST", "/metrics", 405, "GET"},
		{"POST", "/ws", 405, "GET"},
		{"POST", "/subscribe/ch", 405, "GET"},
		{"POST", "/psubscribe/ch*", 405, "GET"},
		{"GET", "//get/k", 404, ""},
	} {
		got := f.do(t, tc.method, tc.path, "", nil)
		if got.status != tc.status || got.header.Get("Allow") != tc.allow || !strings.HasPrefix(got.body, `{"error":`) {
			t.Errorf("%s %s: got %d Allow %q %s, want %d Allow %q", tc.method, tc.path, got.status, got.header.Get("Allow"), got.body, tc.status, tc.allow)
		}
	}
	for _, path := range []string{"/get/k?_token=abc", "/get/k?token=abc", "/health?access_token=x", "/?_token=x"} {
		got := f.do(t, "GET", path, "", nil)
		if got.status != 400 || got.body != `{"error":"`+errQueryToken+`"}` {
			t.Errorf("%s: got %d %s", path, got.status, got.body)
		}
	}
	got := f.do(t, "GET", "/health", "", nil)
	if got.status != 200 || got.body != `{"status":"ok"}` {
		t.Errorf("/health: %d %s", got.status, got.body)
	}
}

// POST /pipeline runs every command and answers each; POST /multi-exec
// runs them atomically or not at all.
func TestRESTPipelineAndMultiExec(t *testing.T) {
	f := start(t)
	f.steps(t, []step{
		{path: "/pipeline", body: [][]any{{"SET", "a", "1"}, {"INCR", "a"}, {"INCR"}, {"LPUSH", "a", "x"}, {"GET", "a"}}, status: 200,
			want: `[{"result":"OK"},{"result":2},{"error":"ERR wrong number of arguments for 'incr' command"},{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"},{"result":"2"}]`},
		{path: "/multi-exec", body: [][]any{{"SET", "m", "1"}, {"INCR", "m"}, {"LPUSH", "m", "x"}, {"GET", "m"}}, status: 200,
			want: `[{"result":"OK"},{"result":2},{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"},{"result":"2"}]`},
		// A command refused while queuing discards the whole transaction.
		{path: "/multi-exec", body: [][]any{{"SET", "m", "changed"}, {"NOSUCH"}}, status: 400,
			want: `{"error":"EXECABORT Transaction discarded because of previous errors."}`},
		{method: "GET", path: "/get/m", status: 200, want: `{"result":"2"}`},
		{path: "/multi-exec", body: [][]any{{"SET", "b", "x"}}, hdr: []string{"Upstash-Encoding: base64"}, status: 200, want: `[{"result":"T0s="}]`},
	})
}

// A pipeline's reply is streamed, so many large replies are not all held
// at once; the client still gets every one of them.
func TestRESTPipelineLargeReplies(t *testing.T) {
	f := start(t)
	val := strings.Repeat("v", 100<<10)
	f.cmd(t, "", "SET", "big", val)
	cmds := make([][]any, 50)
	for i := range cmds {
		cmds[i] = []any{"GET", "big"}
	}
	got := f.post(t, "/pipeline", "", cmds)
	if got.status != 200 || strings.Count(got.body, val) != 50 {
		t.Fatalf("status %d, %d copies of the value in %d bytes", got.status, strings.Count(got.body, val), len(got.body))
	}
}

// A body over the limit is refused with 413 without being read whole; one
// whose length is announced over the limit is not read at all, and the
// client still gets the 413, not a reset.
func TestRESTBodyLimit(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) { o.MaxBodyBytes = 1 << 20 })
	tooLarge := func(name string, body io.Reader) {
		t.Helper()
		res, err := http.Post(f.url+"/set/k", "text/plain", body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || string(bytes.TrimSpace(b)) != `{"error":"`+errBodyTooLarge+`"}` {
			t.Fatalf("%s: %d %s", name, res.StatusCode, b)
		}
	}
	ran := func() {
		t.Helper()
		if got := f.cmd(t, "", "EXISTS", "k"); got.body != `{"result":0}` {
			t.Fatalf("a refused SET ran: %s", got.body)
		}
	}
	// 100 MB, generated as it is sent (chunked: no length announced).
	tooLarge("100 MB body", io.LimitReader(repeatReader('x'), 100<<20))
	ran()
	f.steps(t, []step{{path: "/pipeline", body: strings.Repeat(" ", 2<<20), status: 413, want: `{"error":"` + errBodyTooLarge + `"}`}})
	before := f.api.bytesIn.Load()
	for range 3 {
		tooLarge("8 MB body with its length", bytes.NewReader(bytes.Repeat([]byte("x"), 8<<20)))
	}
	if read := f.api.bytesIn.Load() - before; read != 0 {
		t.Errorf("%v bytes of the refused bodies read", read)
	}
	ran()
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// What REST writes, RESP reads: one keyspace, one dispatcher.
func TestRESTAndRESPShareData(t *testing.T) {
	f := start(t)
	f.cmd(t, "", "SET", "shared", "from-rest")
	c, err := resptest.Dial(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Do("GET", "shared"); got != `"from-rest"` {
		t.Fatalf("RESP GET = %s", got)
	}
	c.Do("SET", "back", "from-resp")
	if got := f.do(t, "GET", "/get/back", "", nil); got.body != `{"result":"from-resp"}` {
		t.Fatalf("REST GET = %s", got.body)
	}
}

// A blocking command waits over REST and is served by another client.
func TestRESTBlocking(t *testing.T) {
	f := start(t)
	done := make(chan reply, 1)
	go func() { done <- f.cmd(t, "", "BLPOP", "q", 0) }()
	c, err := resptest.Dial(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// RPUSH until the waiter has taken an element: it may not be parked
	// yet when the first push arrives.
	for {
		c.Do("RPUSH", "q", "job")
		select {
		case got := <-done:
			if got.status != 200 || got.body != `{"result":["q","job"]}` {
				t.Fatalf("BLPOP = %d %s", got.status, got.body)
			}
			return
		case <-timeAfter(50):
		}
	}
}

// A blocking command may wait longer than the read timeout, which bounds
// only how long the request takes to arrive.
func TestRESTBlockingOutlivesReadTimeout(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) { o.ReadTimeout = 200 * time.Millisecond })
	got := f.cmd(t, "", "BLPOP", "q", "0.6")
	if got.status != 200 || got.body != `{"result":null}` {
		t.Fatalf("BLPOP 0.6 s with a 200 ms read timeout: %d %s", got.status, got.body)
	}
	got = f.post(t, "/pipeline", "", [][]any{{"BLPOP", "q", "0.6"}, {"PING"}})
	if got.status != 200 || got.body != `[{"result":null},{"result":"PONG"}]` {
		t.Fatalf("pipelined BLPOP: %d %s", got.status, got.body)
	}
}

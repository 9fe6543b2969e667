package httpapi

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/commands"
)

// A client that sends its headers a byte at a time, or never finishes its
// body, is cut off by the read timeouts instead of holding a goroutine and
// a socket for ever (slowloris).
func TestHTTPSlowClients(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) {
		o.ReadHeaderTimeout = 200 * time.Millisecond
		o.ReadTimeout = 400 * time.Millisecond
	})
	addr := strings.TrimPrefix(f.url, "http://")
	for _, tc := range []struct{ name, send string }{
		{"headers never end", "GET /get/k HTTP/1.1\r\nHost: x\r\nX-Slow: "},
		{"body never ends", "POST /set/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(tc.send)); err != nil {
			t.Fatal(err)
		}
		// The server must end the connection; the generous deadline only
		// keeps a broken server from hanging the test.
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(c)
		c.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: the server kept the connection open", tc.name)
		}
	}
	if got := f.cmd(t, "", "EXISTS", "k"); got.body != `{"result":0}` {
		t.Errorf("a command of an unfinished request ran: %s", got.body)
	}
}

// CORS is off unless configured: no Access-Control header for any Origin;
// configured, only the listed Origins get them.
func TestHTTPCORS(t *testing.T) {
	off := start(t)
	got := off.do(t, "GET", "/get/k", "", nil, "Origin: https://app.example")
	if h := got.header.Get("Access-Control-Allow-Origin"); h != "" || got.status != 403 {
		t.Errorf("CORS off: %d, Access-Control-Allow-Origin %q", got.status, h)
	}
	if got := off.do(t, "OPTIONS", "/get/k", "", nil, "Origin: https://app.example"); got.status != 403 || got.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off: OPTIONS answered %d", got.status)
	}
	on := start(t, func(_ *commands.Config, o *Options) { o.CORSOrigins = []string{"https://app.example"} })
	got = on.do(t, "OPTIONS", "/get/k", "", nil, "Origin: https://app.example", "Access-Control-Request-Method: GET")
	if got.status != 204 || got.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(got.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", got.status, got.header)
	}
	got = on.do(t, "GET", "/get/k", "", nil, "Origin: https://evil.example")
	if h := got.header.Get("Access-Control-Allow-Origin"); h != "" {
		t.Errorf("unlisted origin allowed: %q", h)
	}
}

// syncBuffer is a log sink the server's goroutines may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Neither access keys nor values reach the log, whatever goes wrong.
func TestHTTPNoSecretsInLogs(t *testing.T) {
	var logs syncBuffer
	nextLog = &logs
	f := start(t, cluster)
	wrong := "wrong-key-that-must-not-be-logged"
	f.do(t, "GET", "/get/k", wrong, nil)
	f.do(t, "GET", "/set/secret-value-1/x", secret("alice-rw"), nil)
	f.do(t, "GET", "/get/k?_token="+wrong, "", nil)
	f.do(t, "POST", "/", secret("alice-rw"), []byte(`["SET","k","secret-value-2"`))
	c, _, err := dialWS(t, f, "")
	if err == nil {
		wsSend(t, c, `{"auth":"`+wrong+`"}`)
		c.CloseNow()
	}
	out := logs.String()
	for _, s := range []string{wrong, secret("alice-rw"), "secret-value-1", "secret-value-2"} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q:\n%s", s, out)
		}
	}
}

// Connections past MaxConns are closed as soon as they are accepted; a
// place freed is usable again.
func TestHTTPMaxConns(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) { o.MaxConns = 2 })
	addr := strings.TrimPrefix(f.url, "http://")
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	// Make sure the server has accepted both before the third arrives.
	for deadline := time.Now().Add(5 * time.Second); f.api.conns.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections counted", f.api.conns.Load())
		}
	}
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = third.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = third.Write([]byte("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
	b, err := io.ReadAll(third)
	third.Close()
	if ne, ok := err.(net.Error); (ok && ne.Timeout()) || len(b) > 0 {
		t.Fatalf("a third connection past MaxConns 2 was served: %q %v", b, err)
	}
	held[0].Close()
	for deadline := time.Now().Add(5 * time.Second); f.api.conns.Load() > 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections counted after one closed", f.api.conns.Load())
		}
	}
	req, _ := net.Dial("tcp", addr)
	defer req.Close()
	_, _ = req.Write([]byte("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	_ = req.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ = io.ReadAll(req)
	if !strings.HasPrefix(string(b), "HTTP/1.1 200") {
		t.Fatalf("after a place was freed: %q", b)
	}
	held[1].Close()
}

// A page on another site cannot run commands through a visitor's browser
// (standalone without a password has no key to stop it): a foreign Origin
// or a cross-site fetch without one is refused on every data route.
func TestHTTPCrossSite(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) { o.CORSOrigins = []string{"https://app.example"} })
	for _, tc := range []struct {
		method, path string
		hdr          []string
		status       int
	}{
		{"POST", "/", []string{"Origin: https://evil.example"}, 403},
		{"GET", "/set/k/v", []string{"Origin: https://evil.example"}, 403},
		{"POST", "/pipeline", []string{"Origin: null"}, 403},
		{"GET", "/set/k/v", []string{"Sec-Fetch-Site: cross-site"}, 403},
		{"GET", "/set/k/v", []string{"Sec-Fetch-Site: same-site"}, 403},
		{"GET", "/metrics", []string{"Origin: https://evil.example"}, 403},
		{"GET", "/health", []string{"Origin: https://evil.example"}, 200},
		{"GET", "/get/k", []string{"Origin: https://app.example"}, 200},
		{"GET", "/get/k", []string{"Origin: " + f.url}, 200},
		{"GET", "/get/k", []string{"Sec-Fetch-Site: same-origin"}, 200},
		{"GET", "/get/k", []string{"Sec-Fetch-Site: none"}, 200},
		{"GET", "/get/k", nil, 200},
	} {
		var body []byte
		if tc.method == "POST" {
			body = []byte(`["SET","k","v"]`)
			if tc.path == "/pipeline" {
				body = []byte(`[["SET","k","v"]]`)
			}
		}
		got := f.do(t, tc.method, tc.path, "", body, tc.hdr...)
		if got.status != tc.status {
			t.Errorf("%s %s %v: %d %s, want %d", tc.method, tc.path, tc.hdr, got.status, got.body, tc.status)
		}
	}
	if got := f.cmd(t, "", "EXISTS", "k"); got.body != `{"result":0}` {
		t.Errorf("a cross-site request wrote: %s", got.body)
	}
}

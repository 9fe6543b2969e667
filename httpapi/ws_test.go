package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"synap/commands"
	"synap/resp"
	"synap/resp/resptest"
	"synap/tenant"
)

func wsURL(f *fixture, query string) string {
	return "ws" + strings.TrimPrefix(f.url, "http") + "/ws" + query
}

// dialWS opens /ws with key as Bearer (none when empty).
func dialWS(t testing.TB, f *fixture, key string, hdr ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	for _, x := range hdr {
		k, v, _ := strings.Cut(x, ": ")
		h.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, wsURL(f, ""), &websocket.DialOptions{HTTPHeader: h})
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, res, err
}

func wsSend(t testing.TB, c *websocket.Conn, frame string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		t.Fatal(err)
	}
}

func wsRead(t testing.TB, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Commands as JSON frames, replies carrying the frame's id, errors with
// Redis's texts, bad frames answered without closing.
func TestWSCommands(t *testing.T) {
	f := start(t)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ send, want string }{
		{`{"id":1,"cmd":["SET","k","v"]}`, `{"id":1,"result":"OK"}`},
		{`{"id":"two","cmd":["GET","k"]}`, `{"id":"two","result":"v"}`},
		{`{"cmd":["GET","missing"]}`, `{"result":null}`},
		{`{"id":3,"cmd":["INCR","k"]}`, `{"id":3,"error":"ERR value is not an integer or out of range"}`},
		{`{"id":4,"cmd":["GET"]}`, `{"id":4,"error":"ERR wrong number of arguments for 'get' command"}`},
		{`{"id":5,"cmd":["SET","k",true]}`, `{"id":5,"error":"` + errCommandShape + `"}`},
		{`{"id":6,"cmd":"GET k"}`, `{"id":6,"error":"` + errCommandShape + `"}`},
		{`{"id":7}`, `{"id":7,"error":"` + strings.ReplaceAll(errWSFrame, `"`, `\"`) + `"}`},
		{`not json`, `{"error":"` + strings.ReplaceAll(errWSFrame, `"`, `\"`) + `"}`},
		{`{"id":8,"cmd":["GET","k"],"extra":1}`, `{"error":"` + strings.ReplaceAll(errWSFrame, `"`, `\"`) + `"}`},
		{`{"id":{"a":1},"cmd":["GET","k"]}`, `{"error":"` + errWSID + `"}`},
		{`{"id":9,"auth":"x"}`, `{"id":9,"error":"` + strings.ReplaceAll(errWSAuthLate, `"`, `\"`) + `"}`},
		{`{"id":10,"cmd":["HSET","h","f","1"]}`, `{"id":10,"result":1}`},
		{`{"id":11,"cmd":["HELLO","3"]}`, ``},
		{`{"id":12,"cmd":["HGETALL","h"]}`, `{"id":12,"result":{"f":"1"}}`},
		{`{"id":13,"cmd":["ZADD","z","1.5","m"]}`, `{"id":13,"result":1}`},
		{`{"id":14,"cmd":["ZSCORE","z","m"]}`, `{"id":14,"result":1.5}`},
		{`{"id":15,"cmd":["GET","missing"]}`, `{"id":15,"result":null}`},
	} {
		wsSend(t, c, tc.send)
		got := wsRead(t, c)
		if tc.want != "" && got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.send, got, tc.want)
		}
	}
	// A binary frame is not JSON: answered, not fatal.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Write(ctx, websocket.MessageBinary, []byte{0xff, 0})
	if got := wsRead(t, c); got != `{"error":"`+strings.ReplaceAll(errWSFrame, `"`, `\"`)+`"}` {
		t.Errorf("binary frame: %s", got)
	}
}

// Browsers cannot set headers: the first frame authenticates, within
// WSAuthTimeout; anything else closes the socket with the reason.
func TestWSFrameAuth(t *testing.T) {
	f := start(t, cluster, func(_ *commands.Config, o *Options) { o.WSAuthTimeout = 300 * time.Millisecond })
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"auth":"`+secret("alice-rw")+`"}`)
	if got := wsRead(t, c); got != `{"auth":"ok"}` {
		t.Fatalf("auth frame: %s", got)
	}
	wsSend(t, c, `{"id":1,"cmd":["SET","k","v"]}`)
	if got := wsRead(t, c); got != `{"id":1,"result":"OK"}` {
		t.Fatalf("after auth: %s", got)
	}
	for _, tc := range []struct{ name, first, reason string }{
		{"wrong key", `{"auth":"nope"}`, "WRONGPASS invalid username-password pair or user is disabled."},
		{"command first", `{"id":1,"cmd":["GET","k"]}`, "NOAUTH Authentication required."},
		{"not json", `hello`, "NOAUTH Authentication required."},
		{"mcp-only key", `{"auth":"` + secret("alice-mcp") + `"}`, "NOPERM User alice-mcp may not use the websocket surface"},
		{"silence", ``, "NOAUTH Authentication required."},
	} {
		c, _, err := dialWS(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		if tc.first != "" {
			wsSend(t, c, tc.first)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _, err = c.Read(ctx)
		cancel()
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != tc.reason {
			t.Errorf("%s: %v, want close 1008 %q", tc.name, err, tc.reason)
		}
	}
	// With a header the refusal is an HTTP status, before the upgrade.
	if _, res, err := dialWS(t, f, "nope"); err == nil || res == nil || res.StatusCode != 401 {
		t.Errorf("bad Bearer on /ws: %v %v", err, res)
	}
}

// Origin is checked against the allow-list; the page of the same host is
// always allowed; a client that is not a browser sends none.
func TestWSOrigin(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) { o.AllowedOrigins = []string{"https://app.example"} })
	if _, res, err := dialWS(t, f, "", "Origin: https://evil.example"); err == nil || res == nil || res.StatusCode != 403 {
		t.Errorf("evil origin: %v %v", err, res)
	}
	if _, _, err := dialWS(t, f, "", "Origin: https://app.example"); err != nil {
		t.Errorf("allowed origin: %v", err)
	}
	if _, _, err := dialWS(t, f, "", "Origin: "+f.url); err != nil {
		t.Errorf("same origin: %v", err)
	}
	got := f.do(t, "GET", "/subscribe/ch", "", nil, "Origin: https://evil.example")
	if got.status != 403 {
		t.Errorf("SSE from an evil origin: %d", got.status)
	}
}

// wsSession finds the server's session of surface (the test's only one).
func wsSession(t testing.TB, srv *commands.Server, surface tenant.Surface) *commands.Session {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, c := range srv.Clients() {
			if c.Surface() == surface {
				return c
			}
		}
	}
	t.Fatal("no session of", surface)
	return nil
}

func pushMessage(channel, payload string) func(w *resp.Writer) {
	return func(w *resp.Writer) {
		w.Push(3)
		w.Bulk([]byte("message"))
		w.Bulk([]byte(channel))
		w.Bulk([]byte(payload))
	}
}

// Pushes (pub/sub messages once the hub is merged; here one queued by the
// test) arrive as {"push": [...]} frames between replies.
func TestWSPushes(t *testing.T) {
	f := start(t)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"id":1,"cmd":["PING"]}`)
	wsRead(t, c)
	s := wsSession(t, f.srv, tenant.SurfaceWebSocket)
	if !s.Push(pushMessage("news", "hello")) {
		t.Fatal("push refused")
	}
	if got := wsRead(t, c); got != `{"push":["message","news","hello"]}` {
		t.Fatalf("push frame: %s", got)
	}
}

// A blocking command parks the socket's session until another client
// serves it, over any surface.
func TestWSBlocking(t *testing.T) {
	f := start(t)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"id":"b","cmd":["BLPOP","q",0]}`)
	rc, err := resptest.Dial(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, b, _ := c.Read(ctx)
		got <- string(b)
	}()
	for {
		if rc.Do("LLEN", "q") == ":0" {
			rc.Do("RPUSH", "q", "job")
		}
		select {
		case g := <-got:
			if g != `{"id":"b","result":["q","job"]}` {
				t.Fatalf("BLPOP over /ws: %s", g)
			}
			return
		case <-timeAfter(20):
		}
	}
}

// A client that never reads is disconnected; the publisher is never held
// up (Push returns at once, and false once the session is closed).
func TestWSSlowReader(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) {
		o.WSSendQueue = 8
		o.WriteTimeout = 500 * time.Millisecond
	})
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	_ = c // never read from again
	wsSend(t, c, `{"id":1,"cmd":["PING"]}`)
	s := wsSession(t, f.srv, tenant.SurfaceWebSocket)
	payload := strings.Repeat("x", 64<<10)
	gone := false
	for i := 0; i < 20000 && !gone; i++ {
		if !s.Push(pushMessage("ch", payload)) {
			gone = true
		}
		select {
		case <-s.Killed():
			gone = true
		default:
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !gone && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		gone = !s.Push(pushMessage("ch", payload))
		for _, cl := range f.srv.Clients() {
			if cl == s {
				goto still
			}
		}
		gone = true
	still:
	}
	if !gone {
		t.Fatal("a WebSocket that never reads was kept open")
	}
}

// The per-tenant limit of open streams (WebSocket and SSE together) and
// the largest message.
func TestWSLimits(t *testing.T) {
	f := start(t, cluster, func(_ *commands.Config, o *Options) {
		o.MaxStreamsPerTenant = 2
		o.WSMaxMessage = 1024
	})
	alice := secret("alice-rw")
	for i := 0; i < 2; i++ {
		if _, _, err := dialWS(t, f, alice); err != nil {
			t.Fatal(err)
		}
	}
	if _, res, err := dialWS(t, f, alice); err == nil || res == nil || res.StatusCode != 429 {
		t.Errorf("third stream of alice: %v %v", err, res)
	}
	got := f.do(t, "GET", "/subscribe/ch", alice, nil)
	if got.status != 429 || got.body != `{"error":"`+errTooManyStreams(2)+`"}` {
		t.Errorf("SSE over the stream limit: %d %s", got.status, got.body)
	}
	// Another tenant is not affected.
	c, _, err := dialWS(t, f, secret("bob-rw"))
	if err != nil {
		t.Fatalf("bob: %v", err)
	}
	wsSend(t, c, `{"id":1,"cmd":["SET","k","`+strings.Repeat("x", 2000)+`"]}`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusMessageTooBig {
		t.Errorf("message over WSMaxMessage: %v", err)
	}
}

// Frames sent without waiting are all answered, in order, also those sent
// while a command before them is blocked.
func TestWSPipelinedFrames(t *testing.T) {
	f := start(t)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"id":"b","cmd":["BLPOP","q","0.3"]}`)
	for i := 1; i <= 200; i++ {
		wsSend(t, c, `{"id":`+strconv.Itoa(i)+`,"cmd":["INCR","n"]}`)
	}
	if got := wsRead(t, c); got != `{"id":"b","result":null}` {
		t.Fatalf("BLPOP: %s", got)
	}
	for i := 1; i <= 200; i++ {
		if got, want := wsRead(t, c), `{"id":`+strconv.Itoa(i)+`,"result":`+strconv.Itoa(i)+`}`; got != want {
			t.Fatalf("frame %d: %s, want %s", i, got, want)
		}
	}
}

// Large replies to a client that does not read are bounded in bytes too:
// the socket is closed once its queue passes the tenant's output limit,
// long before the write timeout.
func TestWSSendQueueBytes(t *testing.T) {
	f := start(t, cluster, func(c *commands.Config, o *Options) {
		c.TenantOutputBufferLimit = 64 << 10
		o.WriteTimeout = time.Minute
		o.WSSendQueue = 1 << 20 // so that only the byte bound can act
	})
	alice := secret("alice-rw")
	f.do(t, "POST", "/set/big", alice, []byte(strings.Repeat("x", 30<<10)))
	c, _, err := dialWS(t, f, alice)
	if err != nil {
		t.Fatal(err)
	}
	s := wsSession(t, f.srv, tenant.SurfaceWebSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 2000; i++ {
		if c.Write(ctx, websocket.MessageText, []byte(`{"cmd":["GET","big"]}`)) != nil {
			break
		}
		select {
		case <-s.Killed():
		default:
		}
		if !sessionOpen(f.srv, s) {
			return
		}
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !sessionOpen(f.srv, s) {
			return
		}
	}
	t.Fatal("a WebSocket that never reads kept its session while 60 MB of replies were asked for")
}

func sessionOpen(srv *commands.Server, s *commands.Session) bool {
	for _, c := range srv.Clients() {
		if c == s {
			return true
		}
	}
	return false
}

// Pings keep an idle socket whose client answers them; one that never
// answers (it never reads) is closed once a ping goes unanswered.
func TestWSPing(t *testing.T) {
	f := start(t, func(_ *commands.Config, o *Options) {
		o.WSPingInterval = 100 * time.Millisecond
		o.WriteTimeout = time.Second
	})
	live, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	// Reading answers pings (the client library replies with pongs).
	replies := make(chan string, 16)
	go func() {
		for {
			_, b, err := live.Read(context.Background())
			if err != nil {
				close(replies)
				return
			}
			replies <- string(b)
		}
	}()
	time.Sleep(1500 * time.Millisecond) // many ping intervals, more than a write timeout
	wsSend(t, live, `{"id":1,"cmd":["PING"]}`)
	if got := <-replies; got != `{"id":1,"result":"PONG"}` {
		t.Fatalf("an idle socket that answers pings: %q", got)
	}
	liveSession := wsSession(t, f.srv, tenant.SurfaceWebSocket)
	mute, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	_ = mute // never read: pings go unanswered
	var s *commands.Session
	for deadline := time.Now().Add(5 * time.Second); s == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, c := range f.srv.Clients() {
			if c.Surface() == tenant.SurfaceWebSocket && c != liveSession {
				s = c
			}
		}
	}
	if s == nil {
		t.Fatal("no session for the second socket")
	}
	for deadline := time.Now().Add(10 * time.Second); sessionOpen(f.srv, s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a socket that never answers pings is still open")
		}
	}
	if !sessionOpen(f.srv, liveSession) {
		t.Fatal("the socket that answers pings was closed too")
	}
}

// Sockets waiting for their auth frame are capped like RESP connections
// waiting to AUTH; a place is freed when one authenticates or gives up.
func TestWSPendingAuthCap(t *testing.T) {
	f := start(t, cluster, func(c *commands.Config, o *Options) {
		c.MaxUnauthClients = 2
		o.WSAuthTimeout = 10 * time.Second
	})
	var waiting []*websocket.Conn
	for i := 0; i < 2; i++ {
		c, _, err := dialWS(t, f, "")
		if err != nil {
			t.Fatal(err)
		}
		waiting = append(waiting, c)
	}
	if _, res, err := dialWS(t, f, ""); err == nil || res == nil || res.StatusCode != 503 {
		t.Fatalf("a third socket waiting to authenticate: %v %v", err, res)
	}
	wsSend(t, waiting[0], `{"auth":"`+secret("alice-rw")+`"}`)
	if got := wsRead(t, waiting[0]); got != `{"auth":"ok"}` {
		t.Fatal(got)
	}
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatalf("after one authenticated: %v", err)
	}
	wsSend(t, c, `{"auth":"`+secret("bob-rw")+`"}`)
	if got := wsRead(t, c); got != `{"auth":"ok"}` {
		t.Fatal(got)
	}
}

// Client-side caching over /ws: after HELLO 3 and CLIENT TRACKING ON, a
// read key changed by another client arrives as an invalidate push.
func TestWSClientTracking(t *testing.T) {
	f := start(t)
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, cmd := range []string{`["HELLO","3"]`, `["CLIENT","TRACKING","ON"]`, `["GET","k"]`} {
		wsSend(t, c, `{"id":`+strconv.Itoa(i)+`,"cmd":`+cmd+`}`)
		if got := wsRead(t, c); strings.Contains(got, `"error"`) {
			t.Fatalf("%s: %s", cmd, got)
		}
	}
	rc, err := resptest.Dial(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.Do("SET", "k", "v")
	if got := wsRead(t, c); got != `{"push":["invalidate",["k"]]}` {
		t.Fatalf("invalidation over /ws: %s", got)
	}
}

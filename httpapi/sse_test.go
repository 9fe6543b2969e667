package httpapi

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"synap/commands"
	"synap/resp"
	"synap/tenant"
)

// fakeSubscribe stands in for SUBSCRIBE until the pub/sub hub is merged:
// it answers the confirmation SUBSCRIBE sends, and the test pushes the
// messages itself through Session.Push, the path the hub will use.
func fakeSubscribe(t *testing.T) {
	old := subscribe
	t.Cleanup(func() { subscribe = old })
	subscribe = func(_ context.Context, _ *commands.Server, _ *commands.Session, cmd string, channel []byte) (resp.Value, error) {
		return resp.Value{Kind: resp.KindArray, Elems: []resp.Value{
			{Kind: resp.KindBulk, Str: []byte(strings.ToLower(cmd))}, {Kind: resp.KindBulk, Str: channel}, {Kind: resp.KindInt, Int: 1}}}, nil
	}
}

func openSSE(t *testing.T, f *fixture, path string, hdr ...string) (*bufio.Reader, func()) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.url+path, nil)
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("SSE: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	return bufio.NewReader(res.Body), func() { res.Body.Close() }
}

// readEvent reads one event (up to its blank line), skipping keepalives.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var ev []string
	done := make(chan struct{})
	timer := time.AfterFunc(5*time.Second, func() { close(done) })
	defer timer.Stop()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("SSE read: %v (%q)", err, ev)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if len(ev) > 0 {
				return strings.Join(ev, "|")
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		ev = append(ev, line)
	}
}

// GET /subscribe/{channel}: the confirmation, then each push as an event
// in Upstash's form; a payload over several lines keeps them.
func TestSSESubscribe(t *testing.T) {
	fakeSubscribe(t)
	f := start(t)
	r, closeFn := openSSE(t, f, "/subscribe/news%2Fsport")
	defer closeFn()
	if got := readEvent(t, r); got != "data: subscribe,news/sport,1" {
		t.Fatalf("confirmation: %s", got)
	}
	s := wsSession(t, f.srv, tenant.SurfaceREST)
	s.Push(pushMessage("news/sport", "goal"))
	s.Push(pushMessage("news/sport", "two\nlines"))
	if got := readEvent(t, r); got != "data: message,news/sport,goal" {
		t.Errorf("message: %s", got)
	}
	if got := readEvent(t, r); got != "data: message,news/sport,two|data: lines" {
		t.Errorf("two lines: %s", got)
	}
	// base64: every field encoded, binary-safe.
	r2, close2 := openSSE(t, f, "/subscribe/bin", "Upstash-Encoding: base64")
	defer close2()
	if got := readEvent(t, r2); got != "data: c3Vic2NyaWJl,Ymlu,1" {
		t.Fatalf("base64 confirmation: %s", got)
	}
	r3, close3 := openSSE(t, f, "/psubscribe/news.*")
	defer close3()
	if got := readEvent(t, r3); got != "data: psubscribe,news.*,1" {
		t.Fatalf("psubscribe confirmation: %s", got)
	}
}

// Closing the stream closes the session and frees its place.
func TestSSECloseFreesStream(t *testing.T) {
	fakeSubscribe(t)
	f := start(t, cluster, func(_ *commands.Config, o *Options) { o.MaxStreamsPerTenant = 1 })
	alice := "Authorization: Bearer " + secret("alice-rw")
	r, closeFn := openSSE(t, f, "/subscribe/ch", alice)
	readEvent(t, r)
	if got := f.do(t, "GET", "/subscribe/ch", secret("alice-rw"), nil); got.status != 429 {
		t.Fatalf("second stream: %d %s", got.status, got.body)
	}
	closeFn()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f.api.streamMu.Lock()
		n := f.api.streams["alice"]
		f.api.streamMu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed stream still counts")
		}
	}
	r, closeFn = openSSE(t, f, "/subscribe/ch", alice)
	defer closeFn()
	readEvent(t, r)
}

// An SSE client that never reads: the stream ends (a write passes its
// deadline or the session's push queue passes its limit) and the
// publisher is never held up.
func TestSSENeverReads(t *testing.T) {
	fakeSubscribe(t)
	f := start(t, func(_ *commands.Config, o *Options) { o.WriteTimeout = 300 * time.Millisecond })
	req, _ := http.NewRequest("GET", f.url+"/subscribe/ch", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close() // never read
	s := wsSession(t, f.srv, tenant.SurfaceREST)
	payload := strings.Repeat("x", 64<<10)
	for deadline := time.Now().Add(20 * time.Second); sessionOpen(f.srv, s); {
		s.Push(pushMessage("ch", payload))
		if time.Now().After(deadline) {
			t.Fatal("an SSE stream that is never read stays open")
		}
	}
}

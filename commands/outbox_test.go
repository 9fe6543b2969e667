package commands

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp"
	"synap/resp/resptest"
	"synap/tenant"
)

// sessionOf is the server side of raw client c.
func sessionOf(t *testing.T, srv *Server, c *resptest.Client) *Session {
	t.Helper()
	reply := c.Do("CLIENT", "ID")
	id, err := strconv.ParseInt(strings.TrimPrefix(reply, ":"), 10, 64)
	if err != nil {
		t.Fatalf("CLIENT ID = %s", reply)
	}
	s, ok := srv.clients.Load(id)
	if !ok {
		t.Fatalf("no session %d", id)
	}
	return s
}

func pushMessage(channel, payload string) func(w *resp.Writer) {
	return func(w *resp.Writer) {
		w.Push(3)
		w.BulkString("message")
		w.BulkString(channel)
		w.BulkString(payload)
	}
}

// readValue reads one reply from c as a value.
func readValue(t *testing.T, c *resptest.Client) resp.Value {
	t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	v, err := resp.ReadValue(c.R)
	if err != nil {
		t.Fatalf("reading a push: %v", err)
	}
	return v
}

// A push reaches a connection parked in a read, with no input from its
// client to wake it, as a RESP3 push frame (or a RESP2 array); pushes
// queued before a command go out before its reply.
func TestOutboxPushesWakeIdleConnection(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		proto string
		want  string
	}{
		{"3", `>["message" "news" "hello"]`},
		{"2", `["message" "news" "hello"]`},
	} {
		c := dial(t, srv)
		c.Do("HELLO", tc.proto)
		s := sessionOf(t, srv, c)
		if !s.Push(pushMessage("news", "hello")) {
			t.Fatal("Push refused")
		}
		if got := readValue(t, c); got.String() != tc.want {
			t.Errorf("RESP%s push = %s, want %s", tc.proto, got, tc.want)
		}
		for i := 0; i < 3; i++ {
			s.Push(pushMessage("news", strconv.Itoa(i)))
		}
		if err := c.Send(string(resptest.Encode("PING"))); err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := 0; i < 4; i++ {
			got = append(got, readValue(t, c).String())
		}
		want := strings.ReplaceAll(tc.want, "hello", "0") + " " + strings.ReplaceAll(tc.want, "hello", "1") + " " +
			strings.ReplaceAll(tc.want, "hello", "2") + " +PONG"
		if strings.Join(got, " ") != want {
			t.Errorf("RESP%s: %s\nwant %s", tc.proto, strings.Join(got, " "), want)
		}
	}
}

// A client that never reads is disconnected once its pushes pass the
// pubsub class's hard limit, while the goroutine pushing to it never
// waits: every Push returns, and the later ones say the session is gone.
func TestOutboxSlowReaderDisconnected(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.PubSub = OutputBufferLimit{Hard: 1 << 20} })
	slow := dial(t, srv)
	s := sessionOf(t, srv, slow)
	payload := strings.Repeat("p", 64<<10)
	done := make(chan int)
	go func() {
		// Far more than the limit and every socket buffer together: if a
		// push waited for the reader, this would never end.
		for i := 1; i <= 4096; i++ {
			if !s.Push(pushMessage("news", payload)) {
				done <- i
				return
			}
			if s.PendingPushes() > 1<<20+64<<10 {
				t.Errorf("%d bytes queued past the hard limit", s.PendingPushes())
			}
		}
		done <- 0
	}()
	var n int
	select {
	case n = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the pushing goroutine is blocked on a client that does not read")
	}
	if n == 0 {
		t.Fatal("4096 pushes of 64 KB went to a client that never reads")
	}
	select {
	case <-s.Killed():
	default:
		t.Fatal("Push refused, but the session was not killed")
	}
	if s.Push(pushMessage("news", "late")) {
		t.Error("a push after the disconnect was accepted")
	}
	other := dial(t, srv)
	id := "id=" + strconv.FormatInt(s.ID, 10) + " "
	for deadline := time.Now().Add(10 * time.Second); strings.Contains(other.Do("CLIENT", "LIST"), id); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the disconnected session is still listed")
		}
	}
	// What the slow client finally reads ends in a closed connection.
	_ = slow.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(slow.Conn)
	for {
		if _, err := resp.ReadValue(r); err != nil {
			break
		}
	}
	if got := other.Do("PING"); got != "+PONG" {
		t.Errorf("the server after the disconnect: %s", got)
	}
}

// The soft limit disconnects a session that stays over it for longer than
// its seconds, and forgives one that drains in time; the hard limit at
// once. Socketless sessions are bounded the same way.
func TestOutboxLimits(t *testing.T) {
	frame := func(s *Session) int64 {
		w := resp.Writer{Proto: s.Proto()}
		pushMessage("c", "0123456789")(&w)
		return int64(len(w.Buf))
	}
	for _, tc := range []struct {
		name  string
		limit OutputBufferLimit
		// steps: seconds to advance before each push (-1: drain first)
		steps []int
		// the push that is refused, 1-based (0: none)
		refused int
	}{
		{"hard", OutputBufferLimit{Hard: 3}, []int{0, 0, 0, 0}, 4},
		{"soft over for its seconds", OutputBufferLimit{Soft: 2, SoftSecs: 2}, []int{0, 0, 0, 2, 1}, 5},
		{"soft drained in time", OutputBufferLimit{Soft: 2, SoftSecs: 2}, []int{0, 0, 0, 2, -1, 1, 0, 0, 1}, 0},
		{"unlimited", OutputBufferLimit{}, []int{0, 0, 0, 0, 0, 0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newLocal(t)
			s := localSession(t, srv, tenant.SurfaceWebSocket, "ws")
			n := frame(s)
			lim := tc.limit
			lim.Hard *= n // in frames
			lim.Soft *= n
			_ = srv.UpdateConfig(func(c *Config) error { c.OutputBufferLimits.PubSub = lim; return nil })
			now := time.Unix(1000, 0)
			s.outbox.now = func() time.Time { return now }
			refused := 0
			for i, step := range tc.steps {
				if step < 0 {
					var w resp.Writer
					s.TakePushes(&w)
					s.PushesWritten()
					continue
				}
				now = now.Add(time.Duration(step) * time.Second)
				if !s.Push(pushMessage("c", "0123456789")) {
					refused = i + 1
					break
				}
			}
			if refused != tc.refused {
				t.Fatalf("push %d refused, want %d", refused, tc.refused)
			}
			select {
			case <-s.Killed():
				if tc.refused == 0 {
					t.Fatal("killed under the limit")
				}
			default:
				if tc.refused != 0 {
					t.Fatal("refused but not killed")
				}
			}
		})
	}
}

// A socketless owner is told through PushReady and takes the pushes in
// order, encoded for its session's protocol.
func TestOutboxSocketless(t *testing.T) {
	srv := newLocal(t)
	s := localSession(t, srv, tenant.SurfaceWebSocket, "ws")
	call(t, srv, s, "HELLO", "3")
	go func() {
		for i := 0; i < 3; i++ {
			s.Push(pushMessage("c", strconv.Itoa(i)))
		}
	}()
	var got []string
	for len(got) < 3 {
		select {
		case <-s.PushReady():
		case <-time.After(10 * time.Second):
			t.Fatal("no push arrived")
		}
		var w resp.Writer
		s.TakePushes(&w)
		s.PushesWritten()
		vals, err := resp.ParseValues(w.Buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			got = append(got, v.String())
		}
	}
	if want := `>["message" "c" "0"] >["message" "c" "1"] >["message" "c" "2"]`; strings.Join(got, " ") != want {
		t.Errorf("pushes %s, want %s", strings.Join(got, " "), want)
	}
}

// Pushing from another goroutine while the session switches protocol
// (HELLO) or is rebound (AUTH) reads both under the session's lock: run
// with -race.
func TestOutboxPushRacesSessionChanges(t *testing.T) {
	f := localCluster(t)
	s := localSession(t, f.srv, tenant.SurfaceWebSocket, "ws")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			s.Push(pushMessage("c", "x"))
		}
	}()
	for i := 0; i < 50; i++ {
		call(t, f.srv, s, "HELLO", strconv.Itoa(2+i%2))
		call(t, f.srv, s, "AUTH", clusterSecret([]string{"alice-rw", "bob-rw"}[i%2]))
		var w resp.Writer
		s.TakePushes(&w)
		s.PushesWritten()
	}
	<-done
}

// A client parked in a blocking command still gets its pushes, before the
// command's reply.
func TestOutboxPushesWhileBlocked(t *testing.T) {
	srv := startServer(t)
	c, other := dial(t, srv), dial(t, srv)
	c.Do("HELLO", "3")
	s := sessionOf(t, srv, c)
	if err := c.Send(string(resptest.Encode("BLPOP", "q", "0"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); s.parked.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("BLPOP never blocked")
		}
	}
	s.Push(pushMessage("news", "while blocked"))
	if got := readValue(t, c).String(); got != `>["message" "news" "while blocked"]` {
		t.Fatalf("push while blocked = %s", got)
	}
	if got := other.Do("RPUSH", "q", "x"); got != ":1" {
		t.Fatalf("RPUSH = %s", got)
	}
	if got := readValue(t, c).String(); got != `["q" "x"]` {
		t.Errorf("BLPOP = %s", got)
	}
	if got := c.Do("PING"); got != "+PONG" {
		t.Errorf("PING after = %s", got)
	}
}

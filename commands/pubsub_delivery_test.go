package commands

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/resp"
	"synap/resp/resptest"
	"synap/tenant"
)

// Delivery reuses its buffers: the hub recycles each publish's message and
// frames, and a subscriber's queue is one buffer its writer trades for its
// own (outbox.go). These tests check that nothing of one message leaks into
// another, in any protocol or path, and that the limits still count every
// byte held.

// deliveryPayload is message i's payload: sizes from empty to past the
// buffers the hub and the queue keep (64 KB), each byte telling i apart.
func deliveryPayload(i int) string {
	sizes := []int{0, 1, 17, 300, 4000, 70 << 10, 64}
	n := sizes[i%len(sizes)]
	tag := strconv.Itoa(i) + ":"
	if n < len(tag) {
		return tag[:n]
	}
	return tag + strings.Repeat(string(rune('a'+i%26)), n-len(tag))
}

// takeAll takes c's queued pushes at once and parses them.
func takeAll(t *testing.T, c *Session) []resp.Value {
	t.Helper()
	var w resp.Writer
	n := c.TakePushes(&w)
	c.PushesWritten()
	vals, err := resp.ParseValues(w.Buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != n {
		t.Fatalf("TakePushes reported %d pushes, the buffer holds %d", n, len(vals))
	}
	return vals
}

// Hundreds of messages queued while nobody takes them come out in one
// take, in order and intact, each in its subscriber's protocol and shape:
// subscribers of both protocols and a pattern share every fan-out, and
// payloads past the kept buffers' size come between small ones.
func TestPubSubDeliveryQueuedInOrderAcrossOneTake(t *testing.T) {
	srv := newLocal(t)
	pub := localSession(t, srv, tenant.SurfaceREST, "pub")
	r2 := localSession(t, srv, tenant.SurfaceWebSocket, "resp2") // channel and pattern
	r3 := localSession(t, srv, tenant.SurfaceWebSocket, "resp3") // channel
	p3 := localSession(t, srv, tenant.SurfaceWebSocket, "pat3")  // pattern
	call(t, srv, r2, "SUBSCRIBE", "news")
	call(t, srv, r2, "PSUBSCRIBE", "n*")
	call(t, srv, r3, "HELLO", "3")
	call(t, srv, r3, "SUBSCRIBE", "news")
	call(t, srv, p3, "HELLO", "3")
	call(t, srv, p3, "PSUBSCRIBE", "ne?s")
	const n = 700
	for i := 0; i < n; i++ {
		if got := call(t, srv, pub, "PUBLISH", "news", deliveryPayload(i)); got != ":4" {
			t.Fatalf("PUBLISH %d = %s, want :4", i, got)
		}
	}
	for _, tc := range []struct {
		s    *Session
		want func(i int) []string
	}{
		{r2, func(i int) []string {
			p := deliveryPayload(i)
			return []string{fmt.Sprintf("%q", []string{"message", "news", p}), fmt.Sprintf("%q", []string{"pmessage", "n*", "news", p})}
		}},
		{r3, func(i int) []string {
			return []string{">" + fmt.Sprintf("%q", []string{"message", "news", deliveryPayload(i)})}
		}},
		{p3, func(i int) []string {
			return []string{">" + fmt.Sprintf("%q", []string{"pmessage", "ne?s", "news", deliveryPayload(i)})}
		}},
	} {
		vals := takeAll(t, tc.s)
		var want []string
		for i := 0; i < n; i++ {
			want = append(want, tc.want(i)...)
		}
		if len(vals) != len(want) {
			t.Fatalf("%s: %d pushes, want %d", tc.s.Addr, len(vals), len(want))
		}
		for i, v := range vals {
			if got := strings.ReplaceAll(v.String(), `" "`, `", "`); got != strings.ReplaceAll(want[i], `" "`, `", "`) {
				t.Fatalf("%s: push %d = %.120s, want %.120s", tc.s.Addr, i, got, want[i])
			}
		}
		if tc.s.HasPushes() || tc.s.PendingPushes() != 0 {
			t.Errorf("%s: %d bytes still held after the take", tc.s.Addr, tc.s.PendingPushes())
		}
	}
}

// Pushes taken into a writer that already holds a reply go after it, and
// the queue goes on in order afterwards, whichever way the take went
// (buffers traded, or appended to the reply). The queue keeps no buffer
// bigger than keepPushBuf once a burst is taken.
func TestOutboxTakeIntoPendingReply(t *testing.T) {
	srv := newLocal(t)
	s := localSession(t, srv, tenant.SurfaceWebSocket, "ws")
	var w resp.Writer
	w.OK()
	for i := 0; i < 3; i++ {
		s.Push(pushMessage("c", strconv.Itoa(i)))
	}
	if n := s.TakePushes(&w); n != 3 {
		t.Fatalf("TakePushes = %d", n)
	}
	s.PushesWritten()
	want := "+OK\r\n"
	for i := 0; i < 3; i++ {
		want += "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\n" + strconv.Itoa(i) + "\r\n"
	}
	if string(w.Buf) != want {
		t.Fatalf("writer = %q\nwant %q", w.Buf, want)
	}
	big := strings.Repeat("b", 200<<10)
	for round := 0; round < 3; round++ {
		// The writer's buffer, big since the round before, is what the
		// queue is offered in trade.
		w.Reset()
		s.Push(pushMessage("c", big))
		s.Push(pushMessage("c", "after"+strconv.Itoa(round)))
		if n := s.TakePushes(&w); n != 2 {
			t.Fatalf("round %d: TakePushes = %d", round, n)
		}
		s.PushesWritten()
		vals, err := resp.ParseValues(w.Buf)
		if err != nil || len(vals) != 2 || string(vals[0].Elems[2].Str) != big || string(vals[1].Elems[2].Str) != "after"+strconv.Itoa(round) {
			t.Fatalf("round %d: %d pushes (%v), wrong content", round, len(vals), err)
		}
		s.outbox.mu.Lock()
		kept := cap(s.outbox.buf)
		s.outbox.mu.Unlock()
		if kept > keepPushBuf {
			t.Fatalf("round %d: the idle queue keeps %d bytes", round, kept)
		}
	}
}

// What was taken but not yet written (a socket that stopped reading still
// holds it) counts toward the limit after the buffers were traded: the
// subscriber is disconnected when queued and taken bytes together pass it.
func TestOutboxTakenCountsAfterTrade(t *testing.T) {
	srv := newLocal(t)
	s := localSession(t, srv, tenant.SurfaceWebSocket, "ws")
	var fw resp.Writer
	pushMessage("c", "0123456789")(&fw)
	f := int64(len(fw.Buf))
	_ = srv.UpdateConfig(func(c *Config) error {
		c.OutputBufferLimits.PubSub = OutputBufferLimit{Hard: 3 * f}
		return nil
	})
	for i := 0; i < 2; i++ {
		if !s.Push(pushMessage("c", "0123456789")) {
			t.Fatalf("push %d refused", i)
		}
	}
	var w resp.Writer
	if n := s.TakePushes(&w); n != 2 {
		t.Fatalf("TakePushes = %d", n)
	}
	// Not written: the two frames are still held.
	if !s.Push(pushMessage("c", "0123456789")) {
		t.Fatal("third push refused at the limit")
	}
	if s.Push(pushMessage("c", "0123456789")) {
		t.Fatal("fourth push taken past the limit")
	}
	select {
	case <-s.Killed():
	default:
		t.Fatal("over the limit but not disconnected")
	}
	if s.PendingPushes() > 2*f {
		t.Errorf("%d bytes queued after the disconnect", s.PendingPushes())
	}
}

// Publishers on many goroutines and a subscriber taking concurrently: each
// publisher's messages arrive in its order, none lost, none mixed with
// another's (run with -race: messages and frames are recycled).
func TestPubSubDeliveryConcurrentPublishers(t *testing.T) {
	srv := newLocal(t)
	sub := localSession(t, srv, tenant.SurfaceWebSocket, "sub")
	call(t, srv, sub, "HELLO", "3")
	call(t, srv, sub, "SUBSCRIBE", "a", "b")
	const pubs, each = 4, 300
	var wg sync.WaitGroup
	for p := 0; p < pubs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc, err := srv.NewSession(tenant.SurfaceREST, LocalTransport{Remote: "pub" + strconv.Itoa(p), Local: "in-process"})
			if err != nil {
				t.Error(err)
				return
			}
			defer pc.Close()
			for i := 0; i < each; i++ {
				ch := []string{"a", "b"}[i%2]
				v, err := srv.Call(t.Context(), pc, bargs([]string{"PUBLISH", ch, fmt.Sprintf("%d|%d|%s", p, i, deliveryPayload(i))})...)
				if err != nil || v.String() != ":1" {
					t.Errorf("PUBLISH = %v %v", v, err)
					return
				}
			}
		}()
	}
	next := make([]int, pubs)
	got := 0
	deadline := time.After(30 * time.Second)
	for got < pubs*each {
		select {
		case <-sub.PushReady():
		case <-deadline:
			t.Fatalf("%d of %d messages arrived", got, pubs*each)
		}
		for _, v := range takeAll(t, sub) {
			parts := strings.SplitN(string(v.Elems[2].Str), "|", 3)
			p, _ := strconv.Atoi(parts[0])
			i, _ := strconv.Atoi(parts[1])
			if len(parts) != 3 || p >= pubs || i != next[p] || parts[2] != deliveryPayload(i) ||
				string(v.Elems[1].Str) != []string{"a", "b"}[i%2] {
				t.Fatalf("message %.80q out of order or damaged (publisher %d expects %d)", v.Elems[2].Str, p, next[p])
			}
			next[p]++
			got++
		}
	}
	wg.Wait()
}

// Over TCP: a subscriber that does not read while a publisher pipelines
// hundreds of messages gets them all, in order and intact, however the
// server batched them into writes; then a PING's reply follows them.
func TestPubSubDeliveryPipelinedOverTCP(t *testing.T) {
	srv := startServer(t)
	for _, proto := range []string{"2", "3"} {
		sub := dial(t, srv)
		sub.Do("HELLO", proto)
		ch := "news" + proto
		sub.Do("SUBSCRIBE", ch)
		pubc := dial(t, srv)
		const n = 600
		var batch []byte
		for i := 0; i < n; i++ {
			batch = append(batch, resptest.Encode("PUBLISH", ch, deliveryPayload(i))...)
		}
		if err := pubc.Send(string(batch)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if got := pubc.Read(); got != ":1" {
				t.Fatalf("RESP%s: PUBLISH %d = %s", proto, i, got)
			}
		}
		if err := sub.Send(string(resptest.Encode("PING"))); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			v := readValue(t, sub)
			if len(v.Elems) != 3 || string(v.Elems[0].Str) != "message" || string(v.Elems[2].Str) != deliveryPayload(i) {
				t.Fatalf("RESP%s: message %d = %.100s", proto, i, v.String())
			}
		}
		if v := readValue(t, sub); v.String() != "+PONG" && v.String() != `["pong" ""]` {
			t.Fatalf("RESP%s: after the messages %s, want PING's reply", proto, v)
		}
	}
}

// A session learns whether its PUBLISHes reached anyone since it last
// asked: its connection then lets the subscribers write first.
func TestPubSubTookDelivered(t *testing.T) {
	srv := newLocal(t)
	pub := localSession(t, srv, tenant.SurfaceREST, "pub")
	sub := localSession(t, srv, tenant.SurfaceWebSocket, "sub")
	call(t, srv, sub, "SSUBSCRIBE", "s")
	call(t, srv, sub, "SUBSCRIBE", "news")
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"PUBLISH", "nobody", "x"}, false},
		{[]string{"PUBLISH", "news", "x"}, true},
		{[]string{"PING"}, false},
		{[]string{"SPUBLISH", "s", "x"}, true},
		{[]string{"SPUBLISH", "news", "x"}, false},
	} {
		call(t, srv, pub, tc.args...)
		if got := pub.TookDelivered(); got != tc.want {
			t.Errorf("%q: TookDelivered = %v, want %v", tc.args, got, tc.want)
		}
	}
	if pub.TookDelivered() {
		t.Error("TookDelivered did not clear")
	}
}

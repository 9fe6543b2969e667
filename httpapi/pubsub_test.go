package httpapi

import (
	"strings"
	"testing"

	"synap/resp/resptest"
)

// End to end with the real pub/sub hub, streams and queues: a test fails
// if a command it needs has left the table, rather than skipping.

func needCommands(t *testing.T, f *fixture, names ...string) {
	t.Helper()
	for _, n := range names {
		if f.srv.Table.Lookup([]byte(n)) == nil {
			t.Fatalf("%s is not in the command table", n)
		}
	}
}

// SSE subscriber, PUBLISH over RESP: the message arrives as an event; a
// tenant's channel is not another's.
func TestSSEWithPubSub(t *testing.T) {
	f := start(t, cluster)
	needCommands(t, f, "SUBSCRIBE", "PUBLISH")
	r, closeFn := openSSE(t, f, "/subscribe/news", "Authorization: Bearer "+secret("alice-rw"))
	defer closeFn()
	if got := readEvent(t, r); got != "data: subscribe,news,1" {
		t.Fatalf("confirmation: %s", got)
	}
	rc, err := resptest.Dial(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.Do("AUTH", secret("bob-rw"))
	if got := rc.Do("PUBLISH", "news", "from-bob"); got != ":0" {
		t.Errorf("bob's PUBLISH reached %s subscribers", got)
	}
	rc.Do("AUTH", secret("alice-rw"))
	if got := rc.Do("PUBLISH", "news", "hello"); got != ":1" {
		t.Errorf("alice's PUBLISH reached %s subscribers", got)
	}
	if got := readEvent(t, r); got != "data: message,news,hello" {
		t.Errorf("message: %s", got)
	}
}

// WebSocket SUBSCRIBE through the generic frame, PUBLISH over REST.
func TestWSWithPubSub(t *testing.T) {
	f := start(t, cluster)
	needCommands(t, f, "SUBSCRIBE", "PUBLISH")
	c, _, err := dialWS(t, f, secret("alice-rw"))
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"id":1,"cmd":["SUBSCRIBE","a","b"]}`)
	if got := wsRead(t, c); got != `{"id":1,"result":[["subscribe","a",1],["subscribe","b",2]]}` {
		t.Fatalf("SUBSCRIBE a b: %s", got)
	}
	if got := f.cmd(t, secret("alice-rw"), "PUBLISH", "b", "hi"); got.body != `{"result":1}` {
		t.Fatalf("PUBLISH over REST: %s", got.body)
	}
	if got := wsRead(t, c); got != `{"push":["message","b","hi"]}` {
		t.Fatalf("push: %s", got)
	}
}

// XREAD BLOCK over a WebSocket, served by XADD over REST.
func TestWSWithStreams(t *testing.T) {
	f := start(t)
	needCommands(t, f, "XADD", "XREAD")
	c, _, err := dialWS(t, f, "")
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"id":"r","cmd":["XREAD","BLOCK","0","STREAMS","s","$"]}`)
	got := make(chan string, 1)
	go func() { got <- wsReadNoFatal(c) }()
	for {
		f.cmd(t, "", "XADD", "s", "*", "f", "v")
		select {
		case g := <-got:
			if !strings.HasPrefix(g, `{"id":"r","result":[["s",[["`) {
				t.Fatalf("XREAD BLOCK over /ws: %s", g)
			}
			return
		case <-timeAfter(50): // the XREAD may not be parked yet
		}
	}
}

// QCONSUME BLOCK over a WebSocket, served by QPUBLISH over REST.
func TestWSWithQueues(t *testing.T) {
	f := start(t, cluster)
	needCommands(t, f, "QCREATE", "QPUBLISH", "QCONSUME")
	alice := secret("alice-rw")
	if got := f.cmd(t, alice, "QCREATE", "jobs"); got.status != 200 {
		t.Fatalf("QCREATE: %d %s", got.status, got.body)
	}
	c, _, err := dialWS(t, f, alice)
	if err != nil {
		t.Fatal(err)
	}
	wsSend(t, c, `{"id":"q","cmd":["QCONSUME","jobs","w1","BLOCK","0"]}`)
	got := make(chan string, 1)
	go func() { got <- wsReadNoFatal(c) }()
	// Another tenant's queue of the same name is another queue.
	f.cmd(t, secret("bob-rw"), "QCREATE", "jobs")
	f.cmd(t, secret("bob-rw"), "QPUBLISH", "jobs", "bob's")
	for {
		f.cmd(t, alice, "QPUBLISH", "jobs", "job-1")
		select {
		case g := <-got:
			if !strings.HasPrefix(g, `{"id":"q","result":[`) || !strings.Contains(g, `"job-1"`) || strings.Contains(g, "bob") {
				t.Fatalf("QCONSUME BLOCK over /ws: %s", g)
			}
			return
		case <-timeAfter(50): // the QCONSUME may not be parked yet
		}
	}
}

package commands

import (
	"sync"
	"testing"
)

// Two connections pushing at the same moment may both try to serve the
// one parked BLPOP (serveReady on each): exactly one value is popped, the
// other stays, and the waiter's completion is signalled once (a second
// close of it crashed the server).
func TestBlockingTwoPushersOneWaiter(t *testing.T) {
	srv := startServer(t)
	b, p1, p2, q := dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv)
	for round := range 100 {
		if err := b.Send("BLPOP l 0\r\n"); err != nil {
			t.Fatal(err)
		}
		blockingAwait(t, q, 1)
		var wg sync.WaitGroup
		for _, p := range []interface{ Do(...string) string }{p1, p2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.Do("RPUSH", "l", "v")
			}()
		}
		wg.Wait()
		if got := b.Read(); got != `["l" "v"]` {
			t.Fatalf("round %d: BLPOP = %s", round, got)
		}
		if got := q.Do("LPOP", "l"); got != `"v"` {
			t.Fatalf("round %d: the second push left %s, want one value", round, got)
		}
		if got := q.Do("EXISTS", "l"); got != ":0" {
			t.Fatalf("round %d: EXISTS l = %s", round, got)
		}
	}
}

package commands

import (
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// blockingWait waits until n clients are blocked, as INFO reports them.
func blockingWait(t *testing.T, srv *Server, n int) {
	t.Helper()
	want := "blocked_clients:" + string(rune('0'+n))
	c := dial(t, srv)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if strings.Contains(c.Do("INFO", "clients"), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached %s", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A waiter on several keys is served from the key that became ready first,
// even when a later key in its argument list is ready by the same EXEC
// (checked against redis-server 7.0.15: BLPOP k1 k2 gets k2's element).
func TestBlockingServesKeyReadyFirst(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct{ block, want string }{
		{"BLPOP k1 k2 0", `["k2" "b"]`},
		{"BLMPOP 0 2 k1 k2 LEFT", `["k2" ["b"]]`},
		{"BZPOPMIN z1 z2 0", `["z2" "b" "2"]`},
	} {
		t.Run(tc.block, func(t *testing.T) {
			b, p := dial(t, srv), dial(t, srv)
			p.Do("FLUSHALL")
			if err := b.Send(string(resptest.Encode(strings.Fields(tc.block)...))); err != nil {
				t.Fatal(err)
			}
			blockingWait(t, srv, 1)
			p.Do("MULTI")
			if strings.HasPrefix(tc.block, "BZ") {
				p.Do("ZADD", "z2", "2", "b")
				p.Do("ZADD", "z1", "1", "a")
			} else {
				p.Do("RPUSH", "k2", "b")
				p.Do("RPUSH", "k1", "a")
			}
			if got := p.Do("EXEC"); got != "[:1 :1]" {
				t.Fatalf("EXEC: %s", got)
			}
			if got := b.Read(); got != tc.want {
				t.Fatalf("%s got %s, want %s", tc.block, got, tc.want)
			}
		})
	}
}

// A timeout that passes the range of a double is still a number to Redis
// (a long double): huge ones are "negative", tiny ones round up to 1 ms.
func TestBlockingTimeoutParsing(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "BLPOP l abc", want: "-ERR timeout is not a float or out of range"},
		{cmd: "BLPOP l nan", want: "-ERR timeout is not a float or out of range"},
		{cmd: "BLPOP l -1", want: "-ERR timeout is negative"},
		{cmd: "BLPOP l inf", want: "-ERR timeout is negative"},
		{cmd: "BLPOP l 1e300", want: "-ERR timeout is negative"},
		{cmd: "BLPOP l 1e400", want: "-ERR timeout is negative"},
		{cmd: "BLPOP l -1e400", want: "-ERR timeout is negative"},
		{cmd: "BLPOP l 9223372036854776", want: "-ERR timeout is negative"},
		{cmd: "BLPOP l 1e-400", want: "nil"},
		{cmd: "BLPOP l 1e-9", want: "nil"},
		{cmd: "BLPOP l 0x0.01", want: "nil"},
	})
}

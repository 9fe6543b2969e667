package commands

import (
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// TestReplicationDifferential: ROLE and WAIT answer as redis-server does
// with no replicas, errors included; a WAIT for a replica blocks until
// its timeout, or until CLIENT UNBLOCK, and answers 0.
func TestReplicationDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	run := func(addr string) []string {
		c, ctl := dialAddr(t, addr), dialAddr(t, addr)
		var out []string
		for _, cmd := range [][]string{
			{"ROLE"}, {"ROLE", "x"}, {"WAIT", "0", "0"}, {"WAIT", "-1", "10"}, {"WAIT", "x", "1"}, {"WAIT", "1", "x"},
			{"WAIT", "1", "-1"}, {"WAIT", "1", "1.5"}, {"WAIT", "1"}, {"MULTI"}, {"WAIT", "1", "0"}, {"EXEC"},
		} {
			out = append(out, c.Do(cmd...))
		}
		start := time.Now()
		out = append(out, c.Do("WAIT", "1", "60"))
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Errorf("%s: WAIT 1 60 answered after %v", addr, d)
		}
		id := strings.TrimPrefix(c.Do("CLIENT", "ID"), ":")
		if err := c.Send(string(resptest.Encode("WAIT", "3", "0"))); err != nil {
			t.Fatal(err)
		}
		waitBlocked(t, ctl, id)
		return append(out, ctl.Do("CLIENT", "UNBLOCK", id), c.Read(), c.Do("PING"))
	}
	want := run(redAddr)
	sameReplies(t, run(synAddr), want)
}

// A tenant's WAIT parks as a blocking pop does, and ends the same way when
// its key is revoked while it waits: who the session is cannot outlive
// the key, even in a command that waits on no key.
func TestHostileWaitEndedWhenRevoked(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw")
	park(t, f.srv, c, []string{"WAIT", "1", "0"})
	f.rewrite(t, keysWith("alice-rw", revoked))
	if got := c.Read(); got != wrongPass {
		t.Fatalf("the parked WAIT: %s, want %s", got, wrongPass)
	}
	if n := parkedClients(f.srv); n != 0 {
		t.Errorf("%d clients still parked", n)
	}
}

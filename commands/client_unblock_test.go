package commands

import (
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// waitBlocked waits until the connection with id shows flag b in CLIENT
// LIST, as seen from ctl.
func waitBlocked(t *testing.T, ctl *resptest.Client, id string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if l := ctl.Do("CLIENT", "LIST", "ID", id); strings.Contains(l, " flags=b ") {
			return
		}
	}
	t.Fatalf("client %s never blocked", id)
}

// TestClientUnblockDifferential blocks a command on one connection of each
// server, unblocks it from another, and compares every reply with
// redis-server's: the unblocker's, and what the blocked command gets
// (its timeout's reply, or the UNBLOCKED error).
func TestClientUnblockDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	cases := []struct {
		block  []string
		reason []string
	}{
		{[]string{"BLPOP", "nolist", "10"}, nil},
		{[]string{"BLPOP", "nolist", "0"}, []string{"TIMEOUT"}},
		{[]string{"BRPOP", "nolist", "10"}, []string{"error"}},
		{[]string{"BLMOVE", "nolist", "dst", "LEFT", "RIGHT", "10"}, nil},
		{[]string{"BZPOPMIN", "noz", "10"}, []string{"ERROR"}},
		{[]string{"BZMPOP", "10", "1", "noz", "MIN"}, nil},
		{[]string{"XREAD", "BLOCK", "10000", "STREAMS", "nostream", "$"}, nil},
		{[]string{"XREAD", "BLOCK", "0", "STREAMS", "nostream", "$"}, []string{"ERROR"}},
	}
	run := func(addr string) []string {
		blocked, ctl := dialAddr(t, addr), dialAddr(t, addr)
		id := strings.TrimPrefix(blocked.Do("CLIENT", "ID"), ":")
		out := []string{
			ctl.Do("CLIENT", "UNBLOCK", id),
			ctl.Do("CLIENT", "UNBLOCK", "abc"),
			ctl.Do("CLIENT", "UNBLOCK", id, "LATER"),
			ctl.Do("CLIENT", "UNBLOCK", id, "TIMEOUT", "x"),
			ctl.Do("CLIENT", "UNBLOCK", "0"),
			ctl.Do("CLIENT", "UNBLOCK", "-3", "error"),
		}
		for _, c := range cases {
			if err := blocked.Send(string(resptest.Encode(c.block...))); err != nil {
				t.Fatal(err)
			}
			waitBlocked(t, ctl, id)
			out = append(out, strings.Join(c.block, " ")+": "+ctl.Do(append([]string{"CLIENT", "UNBLOCK", id}, c.reason...)...),
				blocked.Read(), ctl.Do("CLIENT", "UNBLOCK", id))
		}
		// The connection goes on serving after each.
		return append(out, blocked.Do("PING"))
	}
	want := run(redAddr)
	sameReplies(t, run(synAddr), want)
}

// CLIENT UNBLOCK that comes while the blocked command is still parking
// (blocked as CLIENT LIST shows it, its goroutine not yet waiting) is
// applied as soon as it waits: it neither returns 1 for nothing nor loses
// the unblock, and a second one finds it unblocked already.
func TestClientUnblockWhileParking(t *testing.T) {
	srv := startServer(t)
	blocked, ctl := dial(t, srv), dial(t, srv)
	id := strings.TrimPrefix(blocked.Do("CLIENT", "ID"), ":")
	reply := make(chan string, 2)
	testHookParking = func() {
		testHookParking = nil
		reply <- ctl.Do("CLIENT", "UNBLOCK", id, "ERROR")
		reply <- ctl.Do("CLIENT", "UNBLOCK", id) // unblocked already
	}
	t.Cleanup(func() { testHookParking = nil })
	if got := blocked.Do("BLPOP", "nolist", "10"); got != "-UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Fatalf("the blocked BLPOP got %s", got)
	}
	if first, second := <-reply, <-reply; first != ":1" || second != ":0" {
		t.Fatalf("two CLIENT UNBLOCKs while parking replied %s and %s, want :1 and :0", first, second)
	}
}

// In cluster mode a tenant unblocks only its own connections: no id it can
// send ends another tenant's blocked command, and it needs admin.
func TestClientUnblockIsTenantScoped(t *testing.T) {
	f := startCluster(t)
	as := func(key string) *resptest.Client {
		c := dial(t, f.srv)
		if r := c.Do("AUTH", clusterSecret(key)); r != "+OK" {
			t.Fatalf("%s: %s", key, r)
		}
		return c
	}
	bob, bobAdmin, alice, aliceRW := as("bob-rw"), as("bob-admin"), as("alice-admin"), as("alice-rw")
	id := strings.TrimPrefix(bob.Do("CLIENT", "ID"), ":")
	if err := bob.Send(string(resptest.Encode("BLPOP", "q", "0"))); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, bobAdmin, id)
	if r := aliceRW.Do("CLIENT", "UNBLOCK", id); !strings.HasPrefix(r, "-NOPERM") {
		t.Fatalf("alice's key without admin: %s", r)
	}
	// Bob's id as bob sees it, and every small id there is.
	for _, try := range append([]string{id}, strings.Fields("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20")...) {
		for _, reason := range []string{"TIMEOUT", "ERROR"} {
			if r := alice.Do("CLIENT", "UNBLOCK", try, reason); r != ":0" {
				t.Fatalf("alice unblocking %s: %s", try, r)
			}
		}
	}
	if r := bobAdmin.Do("CLIENT", "UNBLOCK", id); r != ":1" {
		t.Fatalf("bob's admin key unblocking bob's connection: %s", r)
	}
	if r := bob.Read(); r != "nil-array" {
		t.Fatalf("bob's BLPOP got %s after the unblock", r)
	}
}

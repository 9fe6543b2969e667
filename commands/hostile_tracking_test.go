package commands

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// Client tracking as a hostile tenant would use it: to hear of another
// tenant's keys (by reading the same names, by BCAST prefixes, by
// redirecting to the other tenant's connection, by a flush), to grow the
// table without bound (many keys, long keys, long prefixes), or to go on
// hearing after its key was revoked or its connection rebound.

// noPush checks that nothing is waiting for c: the next frame is PING's.
func noPush(t *testing.T, c *resptest.Client, why string) {
	t.Helper()
	if r := c.Do("PING"); r != "+PONG" {
		t.Fatalf("%s: got %s before PONG", why, r)
	}
}

func TestHostileTrackingIsTenantScoped(t *testing.T) {
	f := startCluster(t)
	alice, alice2, bob := f.as(t, "alice-admin"), f.as(t, "alice-rw"), f.as(t, "bob-admin")
	alice.Do("HELLO", "3")
	bobID := strings.TrimPrefix(bob.Do("CLIENT", "ID"), ":")
	runSteps(t, alice, []step{
		// Bob's connection does not exist for alice.
		{args: []string{"CLIENT", "TRACKING", "ON", "REDIRECT", bobID}, want: "-" + errTrackRedirMissing},
		{cmd: "CLIENT TRACKING ON", want: "+OK"},
		{cmd: "MGET shared k2", want: "[null null]"},
	})
	// INFO counts each tenant's own tracking clients only (its stats
	// section, with the table's figures, is the operator's).
	if r := bob.Do("INFO", "everything"); !strings.Contains(r, `tracking_clients:0\r\n`) { // RESP2: rendered quoted
		t.Fatalf("bob's INFO shows alice's tracking:\n%s", r)
	}
	if r := alice.Do("INFO", "everything"); !strings.Contains(r, "tracking_clients:1\r\n") {
		t.Fatalf("alice's INFO:\n%s", r)
	}
	// Bob writes the same names in his keyspace, and flushes it.
	bob.Do("SET", "shared", "bob")
	bob.Do("DEL", "k2")
	bob.Do("FLUSHALL")
	noPush(t, alice, "bob's writes and flush")
	// Alice's own other connection: heard.
	alice2.Do("SET", "shared", "alice")
	if r := alice.Read(); r != `>["invalidate" ["shared"]]` {
		t.Fatalf("alice's own write: %s", r)
	}
	// BCAST with every prefix hears only alice's keyspace.
	runSteps(t, alice, []step{
		{cmd: "CLIENT TRACKING OFF", want: "+OK"},
		{cmd: "CLIENT TRACKING ON BCAST", want: "+OK"},
	})
	bob.Do("SET", "anything", "1")
	bob.Do("FLUSHDB")
	noPush(t, alice, "bob's writes under BCAST")
	alice2.Do("SET", "mine", "1")
	if r := alice.Read(); r != `>["invalidate" ["mine"]]` {
		t.Fatalf("alice's own write under BCAST: %s", r)
	}
	f.as(t, "alice-admin").Do("FLUSHDB")
	if r := alice.Read(); r != `>["invalidate" null]` {
		t.Fatalf("alice's own flush: %s", r)
	}
	// A connection that moves to another tenant stops tracking: it must
	// not go on hearing the first tenant's keys.
	runSteps(t, alice, []step{{cmd: "CLIENT TRACKING OFF", want: "+OK"}, {cmd: "CLIENT TRACKING ON", want: "+OK"}, {cmd: "GET moving", want: "null"}})
	runSteps(t, alice, []step{
		{args: []string{"AUTH", clusterSecret("bob-rw")}, want: "+OK"},
		{cmd: "CLIENT TRACKINGINFO", want: `{"flags":~["off"] "redirect"::-1 "prefixes":[]}`},
	})
	alice2.Do("SET", "moving", "1")
	noPush(t, alice, "after AUTH as bob")
}

// A key that no longer reads (disabled, reduced, expired) hears nothing
// more of its tenant's keys: the connection is closed at the next
// invalidation, as a subscriber's is at its next message, since serving a
// cache that can no longer be invalidated would be serving stale data.
func TestHostileTrackingRevoked(t *testing.T) {
	f := startCluster(t)
	ro, writer := f.as(t, "alice-ro"), f.as(t, "alice-rw")
	ro.Do("HELLO", "3")
	runSteps(t, ro, []step{{cmd: "CLIENT TRACKING ON", want: "+OK"}, {cmd: "GET k", want: "null"}})
	keys := append([]clusterKey(nil), clusterKeys...)
	for i := range keys {
		if keys[i].id == "alice-ro" {
			keys[i].disabled = true
		}
	}
	f.rewrite(t, keys)
	writer.Do("SET", "k", "1")
	if r := ro.Read(); !strings.HasPrefix(r, "ERROR:") {
		t.Fatalf("the revoked key's connection got %s, want it closed", r)
	}
}

// The table is bounded per tenant and in all, in entries and in bytes: a
// client past a bound gives up its own entries, each with an
// invalidation, so what it caches stays correct; prefixes count too.
func TestHostileTrackingBounded(t *testing.T) {
	f := startCluster(t)
	op := f.as(t, "operator")
	runSteps(t, op, []step{{cmd: "CONFIG SET tracking-tenant-max-keys 50", want: "+OK"}})
	alice, writer, bob := f.as(t, "alice-rw"), f.as(t, "alice-rw"), f.as(t, "bob-rw")
	alice.Do("HELLO", "3")
	bob.Do("HELLO", "3")
	runSteps(t, alice, []step{{cmd: "CLIENT TRACKING ON", want: "+OK"}})
	runSteps(t, bob, []step{{cmd: "CLIENT TRACKING ON", want: "+OK"}, {cmd: "GET bobkey", want: "null"}})
	// 200 keys read: at most 50 kept, the rest invalidated on the spot.
	invalidated := map[string]bool{}
	// do runs a command on alice and returns its reply, noting the keys
	// of the pushes that come before it (those of earlier commands).
	do := func(args ...string) string {
		r := alice.Do(args...)
		for strings.HasPrefix(r, ">") {
			for _, k := range pushKeys(r) {
				invalidated[k] = true
			}
			r = alice.Read()
		}
		return r
	}
	for i := range 200 {
		k := "k" + strconv.Itoa(i)
		if r := do("GET", k); r != "null" {
			t.Fatalf("GET %s: %s", k, r)
		}
	}
	// Long keys: one of 100 KB counts 801, so it cannot stay at all.
	long := strings.Repeat("x", 100<<10)
	do("GET", long)
	if n := f.srv.track.units.Load(); n > 50+1 {
		t.Fatalf("alice holds %d units, bound 50 (+1 for bob)", n)
	}
	// What she still tracks and what she was told of cover all she read:
	// a write to each is heard, or was heard already.
	do("PING")
	for i := range 200 {
		writer.Do("SET", "k"+strconv.Itoa(i), "v")
	}
	writer.Do("SET", long, "v")
	// Queued before PING ran, so written before its reply.
	do("PING")
	for i := range 200 {
		if k := "k" + strconv.Itoa(i); !invalidated[k] {
			t.Fatalf("%s was read, never invalidated: a cache of it would go stale", k)
		}
	}
	if !invalidated[long] {
		t.Fatal("the long key was never invalidated")
	}
	// Bob's entry was never displaced by alice's.
	writer.Do("FLUSHDB")
	bobW := f.as(t, "bob-rw")
	bobW.Do("SET", "bobkey", "1")
	if r := bob.Read(); r != `>["invalidate" ["bobkey"]]` {
		t.Fatalf("bob's entry: %s", r)
	}
	// Prefixes count against the same bound.
	runSteps(t, alice, []step{
		{cmd: "CLIENT TRACKING OFF", want: "+OK"},
		{args: []string{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", strings.Repeat("p", 10<<10)}, want: "-" + errTrackPrefixBound},
		{cmd: "CLIENT TRACKINGINFO", want: `{"flags":~["off"] "redirect"::-1 "prefixes":[]}`},
	})
}

// pushKeys are the keys of invalidate pushes rendered by resptest.
func pushKeys(r string) []string {
	var out []string
	for _, part := range strings.Split(r, `>["invalidate" [`)[1:] {
		end := strings.Index(part, "]]")
		if end < 0 {
			continue
		}
		for _, k := range strings.Fields(part[:end]) {
			out = append(out, strings.Trim(k, `"`))
		}
	}
	return out
}

// The server's own bound holds in standalone mode too.
func TestTrackingServerBound(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.TrackingTableMaxKeys = 20 })
	a, b := dial(t, srv), dial(t, srv)
	a.Do("HELLO", "3")
	b.Do("HELLO", "3")
	runSteps(t, a, []step{{cmd: "CLIENT TRACKING ON", want: "+OK"}})
	runSteps(t, b, []step{{cmd: "CLIENT TRACKING ON", want: "+OK"}})
	for i := range 100 {
		a.Do("GET", "a"+strconv.Itoa(i))
		b.Do("GET", "b"+strconv.Itoa(i))
	}
	deadline := time.Now().Add(time.Second)
	for srv.track.units.Load() > 20 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := srv.track.units.Load(); n > 20 {
		t.Fatalf("%d units tracked, bound 20", n)
	}
}

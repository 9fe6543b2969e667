package commands

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// trackStep is one command of a tracking script: on which connection
// (a: the tracking client, b: another writer), and how many frames to
// read after its reply (the pushes it must cause on a). Where a push must
// not come, a PING on a follows: its reply is the next frame.
type trackStep struct {
	on     byte // 'a' or 'b'
	cmd    []string
	pushes int
}

// TestClientTrackingDifferential runs the same client-side caching script
// against redis-server and Synap, and compares every reply and every push:
// default mode, NOLOOP, OPTIN/OPTOUT with CLIENT CACHING, BCAST prefixes,
// flushes, multi-key commands, MULTI, the error texts and the state
// commands.
func TestClientTrackingDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	a := func(pushes int, cmd ...string) trackStep { return trackStep{'a', cmd, pushes} }
	b := func(pushes int, cmd ...string) trackStep { return trackStep{'b', cmd, pushes} }
	steps := []trackStep{
		// State and errors before tracking.
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "CLIENT", "GETREDIR"),
		a(0, "CLIENT", "CACHING", "YES"),
		a(0, "CLIENT", "TRACKING"),
		a(0, "CLIENT", "TRACKING", "MAYBE"),
		a(0, "CLIENT", "TRACKING", "ON", "FOO"),
		a(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "x"),
		a(0, "CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
		a(0, "CLIENT", "TRACKING", "ON", "PREFIX", "a"),
		a(0, "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
		a(0, "CLIENT", "TRACKINGINFO"),
		// Default mode: a read is invalidated by the next change, once.
		a(0, "CLIENT", "TRACKING", "on"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "CLIENT", "GETREDIR"),
		a(0, "GET", "k1"),
		b(0, "SET", "k1", "v"),
		a(1, "PING"), // the push comes first, then PONG
		b(0, "SET", "k1", "v2"),
		a(0, "PING"), // not read again since: nothing
		a(0, "GET", "k1"),
		a(1, "SET", "k1", "v3"), // its own write, after the reply
		a(0, "MGET", "k2", "k3", "k1"),
		b(0, "DEL", "k2", "k3", "k1"),
		a(1, "PING"), // k1 existed and was deleted; k2 and k3 did not change
		a(0, "HGET", "h", "f"),
		a(0, "EXISTS", "s"),
		b(0, "HSET", "h", "f", "1"),
		b(0, "SADD", "s", "m"),
		a(2, "PING"),
		a(0, "STRLEN", "k4"),
		b(0, "MULTI"),
		b(0, "SET", "k4", "x"),
		b(0, "EXPIRE", "k4", "100"),
		b(0, "EXEC"),
		a(1, "PING"),
		a(0, "MULTI"),
		a(0, "GET", "k5"),
		a(0, "EXEC"),
		b(0, "SET", "k5", "1"),
		a(1, "PING"),
		// A walk (no lock held up front) is remembered too.
		a(0, "SORT_RO", "l5"),
		b(0, "RPUSH", "l5", "3"),
		a(1, "PING"),
		a(0, "INCR", "k5"), // a write: nothing remembered
		b(0, "INCR", "k5"),
		a(0, "PING"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST"),
		// NOLOOP: its own changes are not sent.
		a(0, "CLIENT", "TRACKING", "ON", "NOLOOP"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "GET", "k6"),
		a(0, "SET", "k6", "1"),
		a(0, "PING"),
		a(0, "GET", "k6"),
		b(0, "SET", "k6", "2"),
		a(1, "PING"),
		// A flush invalidates everything at once.
		a(0, "GET", "k7"),
		b(0, "FLUSHDB"),
		a(1, "PING"),
		a(0, "CLIENT", "TRACKING", "OFF"),
		a(0, "CLIENT", "TRACKINGINFO"),
		b(0, "SET", "k6", "3"),
		a(0, "PING"),
		// OPTIN: only the command after CLIENT CACHING yes is remembered.
		a(0, "CLIENT", "TRACKING", "ON", "OPTIN"),
		a(0, "CLIENT", "TRACKING", "ON", "OPTOUT"),
		a(0, "CLIENT", "CACHING", "NO"),
		a(0, "CLIENT", "CACHING", "maybe"),
		a(0, "GET", "o1"),
		b(0, "SET", "o1", "1"),
		a(0, "PING"),
		a(0, "CLIENT", "CACHING", "YES"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "GET", "o1"),
		a(0, "CLIENT", "TRACKINGINFO"),
		b(0, "SET", "o1", "2"),
		a(1, "PING"),
		a(0, "GET", "o1"),
		b(0, "SET", "o1", "3"),
		a(0, "PING"),
		a(0, "CLIENT", "CACHING", "YES"),
		a(0, "MULTI"),
		a(0, "GET", "o2"),
		a(0, "GET", "o3"),
		a(0, "EXEC"),
		b(0, "MSET", "o2", "1", "o3", "1"),
		a(2, "PING"),
		a(0, "CLIENT", "TRACKING", "OFF"),
		// OPTOUT: everything but the command after CLIENT CACHING no.
		a(0, "CLIENT", "TRACKING", "ON", "OPTOUT"),
		a(0, "CLIENT", "CACHING", "YES"),
		a(0, "CLIENT", "CACHING", "NO"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "GET", "p1"),
		b(0, "SET", "p1", "1"),
		a(0, "PING"),
		a(0, "GET", "p1"),
		b(0, "SET", "p1", "2"),
		a(1, "PING"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST"),
		a(0, "CLIENT", "TRACKING", "OFF"),
		// BCAST: every change under a prefix, read or not.
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cfg"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:x"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "acl"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "CLIENT", "TRACKING", "ON"),
		b(0, "SET", "user:1", "x"),
		a(1, "PING"),
		b(0, "SET", "other", "x"),
		a(0, "PING"),
		b(0, "HSET", "cfg", "a", "1"),
		a(1, "PING"),
		a(1, "SET", "acl1", "1"),
		b(0, "DEL", "user:1"),
		a(1, "PING"),
		b(0, "DEL", "user:1"),
		a(0, "PING"),
		b(0, "FLUSHALL"),
		a(1, "PING"),
		a(0, "CLIENT", "TRACKING", "OFF"),
		a(0, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"),
		a(0, "CLIENT", "TRACKINGINFO"),
		a(0, "SET", "mine", "1"),
		a(0, "PING"),
		b(0, "SET", "mine", "2"),
		a(1, "PING"),
		a(0, "CLIENT", "TRACKING", "OFF"),
		a(0, "CLIENT", "GETREDIR", "x"),
		a(0, "CLIENT", "CACHING"),
	}
	run := func(addr string) []string {
		ca, cb := dialAddr(t, addr), dialAddr(t, addr)
		ca.Do("HELLO", "3")
		var out []string
		for i, s := range steps {
			c := ca
			if s.on == 'b' {
				c = cb
			}
			line := c.Do(s.cmd...)
			for range s.pushes {
				line += " | " + ca.Read()
			}
			out = append(out, string(s.on)+" "+strings.Join(s.cmd, " ")+" -> "+line)
			if s.on == 'a' && s.cmd[0] == "PING" && !strings.HasSuffix(line, "+PONG") {
				t.Logf("step %d: %s", i, line)
			}
		}
		return out
	}
	want := run(redAddr)
	sameReplies(t, run(synAddr), want)
}

// TestClientTrackingRedirect compares the RESP2 way: invalidations of a
// RESP2 client go to the connection it redirects to, as messages on
// __redis__:invalidate while that one is subscribed, and once that
// connection is gone the tracking client is told (RESP3) and says so in
// CLIENT TRACKINGINFO and CLIENT LIST.
func TestClientTrackingRedirect(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	ids := regexp.MustCompile(`:\d+`)
	run := func(addr string) []string {
		sub, tr, w := dialAddr(t, addr), dialAddr(t, addr), dialAddr(t, addr)
		subID := strings.TrimPrefix(sub.Do("CLIENT", "ID"), ":")
		out := []string{
			tr.Do("CLIENT", "TRACKING", "ON", "REDIRECT", subID, "REDIRECT", subID),
			tr.Do("CLIENT", "TRACKING", "ON", "REDIRECT", subID),
			ids.ReplaceAllString(tr.Do("CLIENT", "TRACKINGINFO"), ":id"),
			tr.Do("GET", "r1"),
			w.Do("SET", "r1", "1"),
			// Not subscribed: nothing reaches it; subscribed: a message.
			sub.Do("PING"),
			tr.Do("GET", "r1"),
			sub.Do("SUBSCRIBE", trackingChannel),
			w.Do("SET", "r1", "2"),
			sub.Read(),
			w.Do("FLUSHDB"),
			sub.Read(),
		}
		// A RESP2 client without a redirect is accepted and told nothing.
		out = append(out, w.Do("CLIENT", "TRACKING", "ON"), w.Do("GET", "r2"), w.Do("SET", "r2", "x"), w.Do("PING"))
		sub.Close()
		// The redirect's connection is gone: broken, and said so in RESP3.
		time.Sleep(100 * time.Millisecond)
		out = append(out, tr.Do("HELLO", "3")[:2], tr.Do("GET", "r1"), w.Do("SET", "r1", "3"))
		out = append(out, ids.ReplaceAllString(tr.Read(), ":id"), ids.ReplaceAllString(tr.Do("CLIENT", "TRACKINGINFO"), ":id"))
		flags := regexp.MustCompile(`flags=(\S+)`).FindStringSubmatch(tr.Do("CLIENT", "INFO"))
		return append(out, strings.Join(flags, " "))
	}
	want := run(redAddr)
	sameReplies(t, run(synAddr), want)
}

// A key that expires is invalidated for those that read it, and INFO
// counts the clients, keys and entries.
func TestClientTrackingExpiryAndInfo(t *testing.T) {
	srv := startServer(t)
	a, b := dial(t, srv), dial(t, srv)
	a.Do("HELLO", "3")
	runSteps(t, a, []step{
		{cmd: "CLIENT TRACKING ON", want: "+OK"},
		{cmd: "SET soon 1 PX 30", want: "+OK"},
		{cmd: "GET soon", want: `"1"`},
		{cmd: "MGET x y soon", want: `[null null "1"]`},
	})
	b.Do("HELLO", "3")
	runSteps(t, b, []step{{cmd: "CLIENT TRACKING ON", want: "+OK"}, {cmd: "GET x", want: "null"}})
	info := b.Do("INFO")
	for _, f := range []string{"tracking_clients:2\r\n", "tracking_total_keys:3\r\n", "tracking_total_items:4\r\n", "tracking_total_prefixes:0\r\n"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO lacks %q:\n%s", f, info)
		}
	}
	if got := a.Read(); got != `>["invalidate" ["soon"]]` {
		t.Errorf("after expiry: %s", got)
	}
	runSteps(t, b, []step{{cmd: "CLIENT TRACKING OFF", want: "+OK"}})
	info = a.Do("INFO")
	for _, f := range []string{"tracking_clients:1\r\n", "tracking_total_keys:2\r\n", "tracking_total_items:2\r\n"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO lacks %q:\n%s", f, info)
		}
	}
	a.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if srv.track.items.Load() == 0 && srv.track.keys.Load() == 0 && srv.waits.records() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closing left %d entries of %d keys, %d records", srv.track.items.Load(), srv.track.keys.Load(), srv.waits.records())
		}
	}
}

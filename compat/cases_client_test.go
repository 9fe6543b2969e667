package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// CLIENT cases belong to the connection group.
func init() { connectionCases = append(connectionCases, clientCases...) }

// clientListFields are the CLIENT LIST fields both Redis 7.0 and 7.2 print.
var clientListFields = []string{
	"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
	"multi", "qbuf", "qbuf-free", "argv-mem", "obl", "oll", "omem", "tot-mem",
	"events", "cmd", "user", "redir", "resp",
}

var clientCases = []testCase{
	// CLIENT PAUSE through go-redis: a WRITE pause holds a write on another
	// connection while reads go on, and UNPAUSE lets it run (a tenant's
	// admin key pauses its own connections, which these are).
	{name: "client_pause_unpause", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		ctl, w := rdb.Conn(), rdb.Conn()
		defer ctl.Close()
		defer w.Close()
		want(t, ctl.Set(ctx, "paused:k", "before", 0), "OK")
		want(t, ctl.Do(ctx, "CLIENT", "PAUSE", "20000", "WRITE"), "OK")
		done := make(chan error, 1)
		go func() { done <- w.Set(ctx, "paused:k", "after", 0).Err() }()
		select {
		case err := <-done:
			t.Fatalf("SET ran during the WRITE pause (err %v)", err)
		case <-time.After(200 * time.Millisecond):
		}
		want(t, ctl.Get(ctx, "paused:k"), "before")
		want(t, ctl.ClientUnpause(ctx), true)
		if err := <-done; err != nil {
			t.Fatalf("the held SET: %v", err)
		}
		want(t, ctl.Get(ctx, "paused:k"), "after")
		// A short ALL pause through go-redis's own helper ends by itself.
		want(t, ctl.ClientPause(ctx, 50*time.Millisecond), true)
		want(t, w.Get(ctx, "paused:k"), "after")
		wantErr(t, ctl.Do(ctx, "CLIENT", "PAUSE", "10", "NOW"), "ERR CLIENT PAUSE mode must be WRITE or ALL")
	}},
	{name: "client_id", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		id := must(t, conn.ClientID(ctx))
		if id <= 0 {
			t.Fatalf("CLIENT ID %d, want > 0", id)
		}
		want(t, conn.ClientID(ctx), id)
		other := rdb.Conn()
		defer other.Close()
		// A tenant's ids are a keyed permutation of the server's sequence
		// (README.md, "what a tenant sees of the server"): distinct, in no
		// order.
		switch oid := must(t, other.ClientID(ctx)); {
		case tg.kind == kindSynapCluster && oid == id:
			t.Errorf("two connections share the id %d", id)
		case tg.kind != kindSynapCluster && oid <= id:
			t.Errorf("a later connection's id %d must be above %d", oid, id)
		}
		info := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))
		if info["id"] != itoa(id) {
			t.Errorf("CLIENT INFO id=%s, CLIENT ID %d", info["id"], id)
		}
		wantErr(t, conn.Do(ctx, "CLIENT", "ID", "x"), errArity("client|id"))
	}},
	{name: "client_setname_getname", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		wantNil(t, conn.ClientGetName(ctx))
		want(t, conn.ClientSetName(ctx, "worker-1"), true)
		want(t, conn.ClientGetName(ctx), "worker-1")
		for _, bad := range []string{"a b", "a\nb", "tab\t", "\x7f", "é"} {
			wantErr(t, conn.ClientSetName(ctx, bad), errNameChars)
		}
		want(t, conn.ClientGetName(ctx), "worker-1")
		// An empty name clears it.
		want(t, conn.ClientSetName(ctx, ""), true)
		wantNil(t, conn.ClientGetName(ctx))
		wantErr(t, conn.Do(ctx, "CLIENT", "SETNAME"), errArity("client|setname"))
		wantErr(t, conn.Do(ctx, "CLIENT", "SETNAME", "a", "b"), errArity("client|setname"))
		wantErr(t, conn.Do(ctx, "CLIENT", "GETNAME", "x"), errArity("client|getname"))
		// The ClientName option names every pooled connection.
		named := tg.client(t, func(o *redis.Options) { o.ClientName = "pooled" })
		want(t, named.ClientGetName(ctx), "pooled")
	}},
	{name: "client_list", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.ClientSetName(ctx, "lister"), true)
		id := must(t, conn.ClientID(ctx))
		all := clientLines(t, must(t, conn.ClientList(ctx)))
		var me map[string]string
		for _, c := range all {
			for _, f := range clientListFields {
				if _, ok := c[f]; !ok {
					t.Errorf("CLIENT LIST line without %s: %v", f, c)
				}
			}
			if c["id"] == itoa(id) {
				me = c
			}
		}
		if me == nil {
			t.Fatalf("CLIENT LIST does not show the caller (id %d): %v", id, all)
		}
		wantFields(t, "CLIENT LIST", me, map[string]string{
			"name": "lister", "db": "0", "cmd": "client|list", "flags": "N", "user": "default",
			"resp": itoa(int64(tg.proto)), "sub": "0", "psub": "0", "multi": "-1",
		})

		byID := clientLines(t, must(t, conn.Do(ctx, "CLIENT", "LIST", "ID", itoa(id))).(string))
		if len(byID) != 1 || byID[0]["id"] != itoa(id) {
			t.Errorf("CLIENT LIST ID %d: got %v", id, byID)
		}
		// Unknown ids are skipped, not errors.
		byID = clientLines(t, must(t, conn.Do(ctx, "CLIENT", "LIST", "ID", "999999999", itoa(id))).(string))
		if len(byID) != 1 {
			t.Errorf("CLIENT LIST ID with an unknown id: got %v", byID)
		}
		want(t, conn.Do(ctx, "CLIENT", "LIST", "ID", "999999999"), any(""))
		normal := clientLines(t, must(t, conn.Do(ctx, "CLIENT", "LIST", "TYPE", "normal")).(string))
		if len(normal) < 1 {
			t.Errorf("CLIENT LIST TYPE normal: got %v", normal)
		}
		want(t, conn.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub"), any(""))
		wantErr(t, conn.Do(ctx, "CLIENT", "LIST", "TYPE", "foo"), "ERR Unknown client type 'foo'")
		wantErr(t, conn.Do(ctx, "CLIENT", "LIST", "ID", "abc"), "ERR Invalid client ID")
		wantErr(t, conn.Do(ctx, "CLIENT", "LIST", "FOO"), errSyntax)
	}},
	{name: "client_info", serverWide: "uses SELECT 3; a tenant has one database", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.ClientSetName(ctx, "informed"), true)
		want(t, conn.Select(ctx, 3), "OK")
		id := must(t, conn.ClientID(ctx))
		raw := must(t, conn.Do(ctx, "CLIENT", "INFO")).(string)
		if !strings.HasSuffix(raw, "\n") {
			t.Errorf("CLIENT INFO must end with a newline: %q", raw)
		}
		info := clientFields(t, raw)
		for _, f := range clientListFields {
			if _, ok := info[f]; !ok {
				t.Errorf("CLIENT INFO without %s: %q", f, raw)
			}
		}
		wantFields(t, "CLIENT INFO", info, map[string]string{
			"id": itoa(id), "name": "informed", "db": "3", "cmd": "client|info",
			"resp": itoa(int64(tg.proto)), "flags": "N", "laddr": tg.addr,
		})
		// go-redis parses it into its struct.
		ci := must(t, conn.ClientInfo(ctx))
		if ci.ID != id || ci.Name != "informed" || ci.DB != 3 || ci.Resp != tg.proto || ci.LAddr != tg.addr {
			t.Errorf("ClientInfo: got %+v", ci)
		}
		wantErr(t, conn.Do(ctx, "CLIENT", "INFO", "x"), errArity("client|info"))
	}},
	{name: "client_kill", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		victim := func() (*redis.Conn, int64, string) {
			c := rdb.Conn()
			t.Cleanup(func() { _ = c.Close() })
			id := must(t, c.ClientID(ctx))
			return c, id, clientFields(t, must(t, c.Do(ctx, "CLIENT", "INFO")).(string))["addr"]
		}
		conn := rdb.Conn()
		defer conn.Close()

		v1, id1, _ := victim()
		want(t, conn.ClientKillByFilter(ctx, "ID", itoa(id1)), int64(1))
		wantDead(ctx, t, v1)
		want(t, conn.ClientKillByFilter(ctx, "ID", itoa(id1)), int64(0))

		v2, _, addr2 := victim()
		want(t, conn.ClientKillByFilter(ctx, "ADDR", addr2), int64(1))
		wantDead(ctx, t, v2)

		// The old form takes an address and answers OK.
		v3, _, addr3 := victim()
		want(t, conn.ClientKill(ctx, addr3), "OK")
		wantDead(ctx, t, v3)
		wantErr(t, conn.ClientKill(ctx, "1.2.3.4:5"), "ERR No such client")

		// SKIPME yes (the default) protects the caller.
		myID := must(t, conn.ClientID(ctx))
		want(t, conn.ClientKillByFilter(ctx, "ID", itoa(myID)), int64(0))
		want(t, conn.Ping(ctx), "PONG")

		want(t, conn.ClientKillByFilter(ctx, "ID", "999999999"), int64(0))
		want(t, conn.ClientKillByFilter(ctx, "ADDR", "1.2.3.4:5"), int64(0))
		want(t, conn.ClientKillByFilter(ctx, "LADDR", "1.2.3.4:5"), int64(0))
		wantErr(t, conn.ClientKillByFilter(ctx, "ID", "abc"), "ERR client-id should be greater than 0")
		wantErr(t, conn.ClientKillByFilter(ctx, "ID", "0"), "ERR client-id should be greater than 0")
		wantErr(t, conn.ClientKillByFilter(ctx, "TYPE", "foo"), "ERR Unknown client type 'foo'")
		wantErr(t, conn.ClientKillByFilter(ctx, "ID", "1", "SKIPME", "maybe"), errSyntax)
		wantErr(t, conn.ClientKillByFilter(ctx, "FOO", "bar"), errSyntax)
		wantErr(t, conn.ClientKillByFilter(ctx, "ID", "1", "ADDR"), errSyntax)
		// One argument is always the old address form.
		wantErr(t, conn.ClientKillByFilter(ctx, "ID"), "ERR No such client")
		wantErr(t, conn.Do(ctx, "CLIENT", "KILL"), errArity("client|kill"))
	}},
	{name: "client_kill_skipme_no", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		id := must(t, conn.ClientID(ctx))
		// The reply still arrives: the kill takes effect after it.
		want(t, conn.ClientKillByFilter(ctx, "ID", itoa(id), "SKIPME", "no"), int64(1))
		wantDead(ctx, t, conn)
	}},
	{name: "client_no_evict", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.Do(ctx, "CLIENT", "NO-EVICT", "on"), any("OK"))
		if f := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))["flags"]; !strings.Contains(f, "e") {
			t.Errorf("CLIENT NO-EVICT on: flags=%s, want e", f)
		}
		want(t, conn.Do(ctx, "CLIENT", "NO-EVICT", "OFF"), any("OK"))
		if f := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))["flags"]; f != "N" {
			t.Errorf("CLIENT NO-EVICT off: flags=%s, want N", f)
		}
		wantErr(t, conn.Do(ctx, "CLIENT", "NO-EVICT", "maybe"), errSyntax)
		wantErr(t, conn.Do(ctx, "CLIENT", "NO-EVICT"), errArity("client|no-evict"))
	}},
	{name: "client_reply", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// go-redis cannot speak to a connection that withholds replies, so
		// this case checks the bytes on a raw connection: each command the
		// server must not answer is followed by one it must.
		c := tg.raw(t)
		send := func(args ...string) {
			if err := c.Send(string(resptest.Encode(args...))); err != nil {
				t.Fatal(err)
			}
		}
		send("CLIENT", "REPLY", "OFF")
		send("SET", "k", "silent")
		send("GET", "k")
		rawSteps(t, c, []rawStep{{[]string{"CLIENT", "REPLY", "ON"}, "+OK"}})
		rawSteps(t, c, []rawStep{{[]string{"GET", "k"}, `"silent"`}})
		send("CLIENT", "REPLY", "SKIP")
		send("INCR", "n")
		rawSteps(t, c, []rawStep{
			{[]string{"INCR", "n"}, ":2"},
			{[]string{"CLIENT", "REPLY", "ON"}, "+OK"},
			{[]string{"CLIENT", "REPLY", "foo"}, "-" + errSyntax},
			{[]string{"CLIENT", "REPLY"}, "-" + errArity("client|reply")},
		})
		// Errors are withheld too while replies are off.
		send("CLIENT", "REPLY", "OFF")
		send("NOSUCHCMD")
		send("GET")
		rawSteps(t, c, []rawStep{{[]string{"CLIENT", "REPLY", "ON"}, "+OK"}})
	}},
	{name: "client_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		wantErr(t, rdb.Do(ctx, "CLIENT"), errArity("client"))
		wantErr(t, rdb.Do(ctx, "CLIENT", "FOO"), "ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
		wantErr(t, rdb.Do(ctx, "CLIENT", "foo", "bar"), "ERR unknown subcommand 'foo'. Try CLIENT HELP.")
	}},
	{name: "client_setinfo", synapOnly: "CLIENT SETINFO is Redis 7.2; Debian's 7.0.15 answers unknown subcommand", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		// go-redis announces itself on connect.
		info := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))
		if !strings.HasPrefix(info["lib-name"], "go-redis(") || info["lib-ver"] != redis.Version() {
			t.Errorf("after connect: lib-name=%q lib-ver=%q, want go-redis(...) and %s", info["lib-name"], info["lib-ver"], redis.Version())
		}
		want(t, conn.Do(ctx, "CLIENT", "SETINFO", "LIB-NAME", "mylib"), any("OK"))
		want(t, conn.Do(ctx, "CLIENT", "SETINFO", "lib-ver", "1.2.3"), any("OK"))
		info = clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))
		wantFields(t, "CLIENT INFO", info, map[string]string{"lib-name": "mylib", "lib-ver": "1.2.3"})
		// Error texts of Redis 7.2's clientSetinfoCommand.
		wantErr(t, conn.Do(ctx, "CLIENT", "SETINFO", "lib-foo", "x"), "ERR Unrecognized option 'lib-foo'")
		wantErr(t, conn.Do(ctx, "CLIENT", "SETINFO", "lib-name", "a b"), "ERR lib-name cannot contain spaces, newlines or special characters.")
		wantErr(t, conn.Do(ctx, "CLIENT", "SETINFO", "lib-name"), errArity("client|setinfo"))
	}},
	{name: "client_no_touch", synapOnly: "CLIENT NO-TOUCH is Redis 7.2; Debian's 7.0.15 answers unknown subcommand", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.Do(ctx, "CLIENT", "NO-TOUCH", "on"), any("OK"))
		if f := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))["flags"]; !strings.Contains(f, "T") {
			t.Errorf("CLIENT NO-TOUCH on: flags=%s, want T", f)
		}
		want(t, conn.Do(ctx, "CLIENT", "NO-TOUCH", "OFF"), any("OK"))
		if f := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))["flags"]; f != "N" {
			t.Errorf("CLIENT NO-TOUCH off: flags=%s, want N", f)
		}
		wantErr(t, conn.Do(ctx, "CLIENT", "NO-TOUCH", "maybe"), errSyntax)
		wantErr(t, conn.Do(ctx, "CLIENT", "NO-TOUCH"), errArity("client|no-touch"))
	}},
}

// wantFields checks some fields of a parsed client line.
func wantFields(t *testing.T, what string, got, expected map[string]string) {
	t.Helper()
	for k, v := range expected {
		if got[k] != v {
			t.Errorf("%s: %s=%q, want %q", what, k, got[k], v)
		}
	}
}

// wantDead checks that a killed connection fails its next command.
func wantDead(ctx context.Context, t *testing.T, c *redis.Conn) {
	t.Helper()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Errorf("the killed connection still answers PING")
	}
}

package compat

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

const (
	errNoAuth    = "NOAUTH Authentication required."
	errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."
	errAuthNoPwd = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errHelloAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errNoProto   = "NOPROTO unsupported protocol version"
	errNameChars = "ERR Client names cannot contain spaces, newlines or special characters."
	errSyntax    = "ERR syntax error"
	errNotInt    = "ERR value is not an integer or out of range"
	errDBIndex   = "ERR DB index is out of range"
)

func errArity(cmd string) string {
	return "ERR wrong number of arguments for '" + cmd + "' command"
}

var connectionCases = []testCase{
	{name: "ping", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Ping(ctx), "PONG")
		want(t, rdb.Do(ctx, "PING", "hello"), any("hello"))
		want(t, rdb.Do(ctx, "ping", ""), any(""))
		wantErr(t, rdb.Do(ctx, "PING", "a", "b"), errArity("ping"))
	}},
	{name: "echo", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Echo(ctx, "hello world"), "hello world")
		want(t, rdb.Echo(ctx, "bin\x00\r\nary"), "bin\x00\r\nary")
		want(t, rdb.Echo(ctx, ""), "")
		wantErr(t, rdb.Do(ctx, "ECHO"), errArity("echo"))
		wantErr(t, rdb.Do(ctx, "ECHO", "a", "b"), errArity("echo"))
	}},
	{name: "auth_without_password", serverWide: "standalone requirepass semantics; cluster mode authenticates access keys (commands/cluster_test.go)", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		wantErr(t, conn.Auth(ctx, "x"), errAuthNoPwd)
		// The default user has no password: any password is accepted.
		want(t, conn.AuthACL(ctx, "default", "anything"), "OK")
		wantErr(t, conn.AuthACL(ctx, "bob", "x"), errWrongPass)
		wantErr(t, conn.Do(ctx, "AUTH"), errArity("auth"))
		wantErr(t, conn.Do(ctx, "AUTH", "a", "b", "c"), errSyntax)
		want(t, conn.Ping(ctx), "PONG")
	}},
	{name: "auth_requirepass", serverWide: "standalone requirepass semantics; cluster mode authenticates access keys (commands/cluster_test.go)", fn: func(ctx context.Context, t *testing.T, _ *redis.Client, tg *target) {
		noPass := tg.client(t, func(o *redis.Options) { o.Addr = tg.authAddr })
		wantErr(t, noPass.Ping(ctx), errNoAuth)
		wantErr(t, noPass.Get(ctx, "k"), errNoAuth)
		// An unknown command is refused as unknown before authentication counts.
		wantErr(t, noPass.Do(ctx, "NOSUCHCOMMAND", "x"), "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ")

		good := tg.client(t, func(o *redis.Options) { o.Addr = tg.authAddr; o.Password = compatPassword })
		want(t, good.Ping(ctx), "PONG")
		want(t, good.Set(ctx, "authed", "1", 0), "OK")
		want(t, good.Get(ctx, "authed"), "1")
		t.Cleanup(func() { good.Del(context.Background(), "authed") })

		named := tg.client(t, func(o *redis.Options) {
			o.Addr, o.Username, o.Password = tg.authAddr, "default", compatPassword
		})
		want(t, named.Ping(ctx), "PONG")

		bad := tg.client(t, func(o *redis.Options) { o.Addr = tg.authAddr; o.Password = "wrong" })
		wantErr(t, bad.Ping(ctx), errWrongPass)

		conn := noPass.Conn()
		defer conn.Close()
		wantErr(t, conn.Ping(ctx), errNoAuth)
		wantErr(t, conn.Auth(ctx, "wrong"), errWrongPass)
		wantErr(t, conn.AuthACL(ctx, "bob", compatPassword), errWrongPass)
		wantErr(t, conn.Ping(ctx), errNoAuth)
		want(t, conn.Auth(ctx, compatPassword), "OK")
		want(t, conn.Ping(ctx), "PONG")
		// A failed AUTH after a good one keeps the connection authenticated.
		wantErr(t, conn.Auth(ctx, "wrong"), errWrongPass)
		want(t, conn.Ping(ctx), "PONG")
		want(t, conn.AuthACL(ctx, "default", compatPassword), "OK")
	}},
	{name: "auth_hello_requirepass", fn: func(ctx context.Context, t *testing.T, _ *redis.Client, tg *target) {
		// Redis 7.2 added "<proto>" to this text; each server is held to the
		// text of the version it reports.
		helloAuth := errHelloAuth
		if !tg.atLeast(ctx, t, 7, 2) {
			helloAuth = strings.Replace(helloAuth, "HELLO <proto> AUTH", "HELLO AUTH", 1)
		}
		c := rawDial(t, tg.authAddr)
		rawSteps(t, c, []rawStep{
			{[]string{"HELLO", "3"}, "-" + helloAuth},
			{[]string{"HELLO"}, "-" + helloAuth},
			{[]string{"HELLO", "3", "AUTH", "default", "wrong"}, "-" + errWrongPass},
			{[]string{"HELLO", "3", "AUTH", "nobody", compatPassword}, "-" + errWrongPass},
			{[]string{"PING"}, "-" + errNoAuth},
		})
		got := c.Do("HELLO", "3", "AUTH", "default", compatPassword, "SETNAME", "hello-auth")
		if !strings.HasPrefix(got, `{"server":"redis" "version":`) || !strings.Contains(got, `"proto"::3`) {
			t.Errorf("HELLO 3 AUTH: got %s", got)
		}
		rawSteps(t, c, []rawStep{
			{[]string{"PING"}, "+PONG"},
			{[]string{"CLIENT", "GETNAME"}, `"hello-auth"`},
			// RESET drops the authentication again.
			{[]string{"RESET"}, "+RESET"},
			{[]string{"PING"}, "-" + errNoAuth},
		})
	}},
	{name: "hello", serverWide: "uses CONFIG GET (operator only) and requirepass semantics of HELLO AUTH", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		id := must(t, conn.ClientID(ctx))
		for _, proto := range []int{2, 3} {
			m := must(t, conn.Hello(ctx, proto, "", "", ""))
			checkHello(t, m, proto, id)
		}
		// Raw reply shapes: a map in RESP3, a flat array in RESP2; HELLO
		// without a version reports the current protocol.
		for _, args := range [][]interface{}{{"HELLO", "3"}, {"HELLO"}} {
			raw := must(t, conn.Do(ctx, args...))
			if mm, ok := raw.(map[interface{}]interface{}); !ok || len(mm) != 7 || mm["proto"] != int64(3) {
				t.Errorf("%v raw: got %#v, want a map of 7 with proto 3", args, raw)
			}
		}
		raw := must(t, conn.Do(ctx, "HELLO", "2"))
		if arr, ok := raw.([]interface{}); !ok || len(arr) != 14 || arr[0] != "server" || arr[4] != "proto" || arr[5] != int64(2) {
			t.Errorf("HELLO 2 raw: got %#v, want a flat array of 14", raw)
		}
		// The connection now speaks RESP2: a map-shaped reply arrives flat.
		want(t, conn.Do(ctx, "CONFIG", "GET", "databases"), any([]interface{}{"databases", "16"}))

		// AUTH with the default user and SETNAME in one go.
		m := must(t, conn.Hello(ctx, 3, "default", "whatever", "helloname"))
		checkHello(t, m, 3, id)
		want(t, conn.ClientGetName(ctx), "helloname")
		want(t, conn.Do(ctx, "CONFIG", "GET", "databases"), any(map[interface{}]interface{}{"databases": "16"}))
	}},
	{name: "hello_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"HELLO", "4"}, errNoProto},
			{[]interface{}{"HELLO", "1"}, errNoProto},
			{[]interface{}{"HELLO", "-1"}, errNoProto},
			{[]interface{}{"HELLO", "x"}, "ERR Protocol version is not an integer or out of range"},
			{[]interface{}{"HELLO", "3.0"}, "ERR Protocol version is not an integer or out of range"},
			{[]interface{}{"HELLO", "3", "FOO"}, "ERR Syntax error in HELLO option 'FOO'"},
			{[]interface{}{"HELLO", "3", "auth", "onlyuser"}, "ERR Syntax error in HELLO option 'auth'"},
			{[]interface{}{"HELLO", "3", "setname"}, "ERR Syntax error in HELLO option 'setname'"},
			{[]interface{}{"HELLO", "3", "SETNAME", "a b"}, errNameChars},
			{[]interface{}{"HELLO", "3", "AUTH", "bob", "pw"}, errWrongPass},
		} {
			wantErr(t, conn.Do(ctx, tc.args...), tc.err)
		}
		// A failed HELLO changes nothing: the name stays unset.
		wantNil(t, conn.ClientGetName(ctx))
	}},
	{name: "select", serverWide: "a tenant has one database: SELECT other than 0 is refused", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.Select(ctx, 1), "OK")
		want(t, conn.Set(ctx, "k", "in1", 0), "OK")
		want(t, conn.Select(ctx, 15), "OK")
		wantNil(t, conn.Get(ctx, "k"))
		want(t, conn.Select(ctx, 1), "OK")
		want(t, conn.Get(ctx, "k"), "in1")
		wantNil(t, rdb.Get(ctx, "k"))
		wantErr(t, conn.Select(ctx, 16), errDBIndex)
		wantErr(t, conn.Select(ctx, -1), errDBIndex)
		wantErr(t, conn.Do(ctx, "SELECT", "x"), errNotInt)
		wantErr(t, conn.Do(ctx, "SELECT", "1.5"), errNotInt)
		wantErr(t, conn.Do(ctx, "SELECT"), errArity("select"))
		wantErr(t, conn.Do(ctx, "SELECT", "1", "2"), errArity("select"))
		// A failed SELECT keeps the current database.
		want(t, conn.Get(ctx, "k"), "in1")

		// The DB option makes go-redis select on connect.
		db1 := tg.client(t, func(o *redis.Options) { o.DB = 1 })
		want(t, db1.Get(ctx, "k"), "in1")
		want(t, db1.DBSize(ctx), int64(1))
		want(t, rdb.DBSize(ctx), int64(0))
	}},
	{name: "quit", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		c := tg.raw(t)
		rawSteps(t, c, []rawStep{
			{[]string{"PING"}, "+PONG"},
			{[]string{"QUIT"}, "+OK"},
		})
		if got := c.Read(); !strings.HasPrefix(got, "ERROR: ") {
			t.Errorf("after QUIT the server must close the connection; read %s", got)
		}
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.Do(ctx, "QUIT"), any("OK"))
		if err := conn.Ping(ctx).Err(); err == nil {
			t.Errorf("PING after QUIT succeeded; the connection must be closed")
		}
	}},
	{name: "reset", serverWide: "RESET logs the connection out, as Redis does when a password is required", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.Select(ctx, 2), "OK")
		want(t, conn.ClientSetName(ctx, "before-reset"), true)
		want(t, conn.Do(ctx, "CLIENT", "NO-EVICT", "on"), any("OK"))
		wantOK(t, conn.Hello(ctx, 3, "", "", ""))
		want(t, conn.Do(ctx, "RESET"), any("RESET"))
		wantNil(t, conn.ClientGetName(ctx))
		// Redis 7.2 made RESET clear NO-EVICT too; 7.0 keeps the flag.
		flags := "N"
		if !tg.atLeast(ctx, t, 7, 2) {
			flags = "e"
		}
		info := clientFields(t, must(t, conn.Do(ctx, "CLIENT", "INFO")).(string))
		for k, v := range map[string]string{"db": "0", "name": "", "resp": "2", "flags": flags, "cmd": "client|info"} {
			if info[k] != v {
				t.Errorf("after RESET, CLIENT INFO %s=%q, want %q", k, info[k], v)
			}
		}
		// Back on RESP2: the map reply arrives flat.
		want(t, conn.Do(ctx, "CONFIG", "GET", "databases"), any([]interface{}{"databases", "16"}))
		wantErr(t, conn.Do(ctx, "RESET", "x"), errArity("reset"))
	}},
}

// checkHello checks the handshake map of HELLO.
func checkHello(t *testing.T, m map[string]interface{}, proto int, id int64) {
	t.Helper()
	wantKeys := []string{"server", "version", "proto", "id", "mode", "role", "modules"}
	if len(m) != len(wantKeys) {
		t.Errorf("HELLO %d: got %d fields %v, want %v", proto, len(m), m, wantKeys)
	}
	for _, k := range wantKeys {
		if _, ok := m[k]; !ok {
			t.Errorf("HELLO %d: field %q missing in %v", proto, k, m)
		}
	}
	if m["server"] != "redis" || m["proto"] != int64(proto) || m["id"] != id ||
		m["mode"] != "standalone" || m["role"] != "master" {
		t.Errorf("HELLO %d: got %v", proto, m)
	}
	if v, _ := m["version"].(string); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("HELLO %d: version %q is not x.y.z", proto, v)
	}
	if mods, ok := m["modules"].([]interface{}); !ok || len(mods) != 0 {
		t.Errorf("HELLO %d: modules %#v, want an empty array", proto, m["modules"])
	}
}

// clientFields parses one CLIENT INFO / CLIENT LIST line.
func clientFields(t *testing.T, line string) map[string]string {
	t.Helper()
	line = strings.TrimSuffix(line, "\n")
	if strings.Contains(line, "\n") {
		t.Fatalf("one client line expected, got %q", line)
	}
	out := map[string]string{}
	for _, f := range strings.Split(line, " ") {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("field %q without '=' in %q", f, line)
		}
		out[k] = v
	}
	return out
}

// clientLines parses a CLIENT LIST reply into one map per client.
func clientLines(t *testing.T, list string) []map[string]string {
	t.Helper()
	if !strings.HasSuffix(list, "\n") && list != "" {
		t.Errorf("CLIENT LIST must end with a newline: %q", list)
	}
	var out []map[string]string
	for _, l := range strings.Split(strings.TrimSuffix(list, "\n"), "\n") {
		if l != "" {
			out = append(out, clientFields(t, l))
		}
	}
	return out
}

// rawStep is one raw command and its reply in resptest notation.
type rawStep struct {
	args []string
	want string
}

func rawDial(t *testing.T, addr string) *resptest.Client {
	t.Helper()
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// raw dials the target's shared server, authenticated as its clients are.
func (tg *target) raw(t *testing.T) *resptest.Client {
	t.Helper()
	c := rawDial(t, tg.addr)
	if tg.password != "" {
		if got := c.Do("AUTH", tg.password); got != "+OK" {
			t.Fatalf("AUTH on a raw connection: %s", got)
		}
	}
	return c
}

func rawSteps(t *testing.T, c *resptest.Client, steps []rawStep) {
	t.Helper()
	for _, s := range steps {
		if got := c.Do(s.args...); got != s.want {
			t.Errorf("%q: got %s, want %s", s.args, got, s.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

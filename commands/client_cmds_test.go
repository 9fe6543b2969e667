package commands

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// clientFieldOrder is Redis 7.2's CLIENT LIST field order.
var clientFieldOrder = []string{
	"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi",
	"qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem",
	"events", "cmd", "user", "redir", "resp", "lib-name", "lib-ver",
}

// clientText is the text of a rendered bulk or verbatim reply.
func clientText(t *testing.T, reply string) string {
	t.Helper()
	if s, ok := strings.CutPrefix(reply, "=txt:"); ok {
		return s
	}
	s, err := strconv.Unquote(reply)
	if err != nil {
		t.Fatalf("not a bulk string: %s", reply)
	}
	return s
}

// clientLines parses CLIENT LIST text, checking each line's field order.
func clientLines(t *testing.T, text string) []map[string]string {
	t.Helper()
	if text == "" {
		return nil
	}
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("CLIENT LIST text must end with a newline: %q", text)
	}
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fields := map[string]string{}
		var keys []string
		for _, f := range strings.Split(line, " ") {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				t.Fatalf("bad field %q in %q", f, line)
			}
			keys = append(keys, k)
			fields[k] = v
		}
		if !slices.Equal(keys, clientFieldOrder) {
			t.Fatalf("fields %v, want %v", keys, clientFieldOrder)
		}
		out = append(out, fields)
	}
	return out
}

// clientInfo runs CLIENT INFO on c and parses it.
func clientInfo(t *testing.T, c *resptest.Client) map[string]string {
	t.Helper()
	lines := clientLines(t, clientText(t, c.Do("CLIENT", "INFO")))
	if len(lines) != 1 {
		t.Fatalf("CLIENT INFO: %v", lines)
	}
	return lines[0]
}

// clientWant checks some fields of a parsed line.
func clientWant(t *testing.T, what string, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s=%q, want %q", what, k, got[k], v)
		}
	}
}

func clientID(t *testing.T, line map[string]string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(line["id"], 10, 64)
	if err != nil {
		t.Fatalf("id=%q", line["id"])
	}
	return id
}

func TestClientNameAndID(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "CLIENT", want: "-ERR wrong number of arguments for 'client' command"},
		{cmd: "CLIENT ID x", want: "-ERR wrong number of arguments for 'client|id' command"},
		{cmd: "CLIENT SETNAME", want: "-ERR wrong number of arguments for 'client|setname' command"},
		{cmd: "CLIENT SETNAME a b", want: "-ERR wrong number of arguments for 'client|setname' command"},
		{cmd: "CLIENT GETNAME x", want: "-ERR wrong number of arguments for 'client|getname' command"},
		{cmd: "CLIENT nosuch", want: "-ERR unknown subcommand 'nosuch'. Try CLIENT HELP."},
		{cmd: "CLIENT GETNAME", want: "nil"},
		{args: []string{"CLIENT", "SETNAME", "a b"}, want: "-" + ErrClientName},
		{args: []string{"CLIENT", "SETNAME", "a\nb"}, want: "-" + ErrClientName},
		{cmd: "client setname conn-1", want: "+OK"},
		{cmd: "CLIENT GETNAME", want: `"conn-1"`},
		{args: []string{"CLIENT", "SETNAME", ""}, want: "+OK"},
		{cmd: "CLIENT GETNAME", want: "nil"},
	})
	id1, _ := strconv.ParseInt(strings.TrimPrefix(c.Do("CLIENT", "ID"), ":"), 10, 64)
	if info := clientInfo(t, c); info["id"] != strconv.FormatInt(id1, 10) {
		t.Errorf("CLIENT ID %d, CLIENT INFO id=%s", id1, info["id"])
	}
	c2 := dial(t, srv)
	if id2, _ := strconv.ParseInt(strings.TrimPrefix(c2.Do("CLIENT", "ID"), ":"), 10, 64); id2 <= id1 {
		t.Errorf("a later connection's id %d is not above %d", id2, id1)
	}
}

func TestClientListAndInfo(t *testing.T) {
	srv := startServer(t)
	c1, c2 := dial(t, srv), dial(t, srv)
	runSteps(t, c1, []step{
		{cmd: "CLIENT SETNAME lister", want: "+OK"},
		{cmd: "SELECT 3", want: "+OK"},
		{cmd: "CLIENT SETINFO LIB-NAME mylib", want: "+OK"},
		{cmd: "CLIENT SETINFO lib-ver 1.0", want: "+OK"},
	})
	runSteps(t, c2, []step{{cmd: "CLIENT SETNAME other", want: "+OK"}, {cmd: "PING", want: "+PONG"}})
	id1, id2 := clientInfo(t, c1)["id"], clientInfo(t, c2)["id"]
	c2.Do("PING") // its last command is PING again

	lines := clientLines(t, clientText(t, c1.Do("CLIENT", "LIST")))
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST: %v", lines)
	}
	// Lines come in id order; the ids are given as the connections are accepted.
	if a, b := clientID(t, lines[0]), clientID(t, lines[1]); a > b {
		t.Errorf("CLIENT LIST is not in id order: %d then %d", a, b)
	}
	if lines[0]["id"] != id1 {
		lines[0], lines[1] = lines[1], lines[0]
	}
	if lines[0]["id"] != id1 || lines[1]["id"] != id2 {
		t.Fatalf("CLIENT LIST ids %s %s, want %s %s", lines[0]["id"], lines[1]["id"], id1, id2)
	}
	clientWant(t, "caller", lines[0], map[string]string{
		"name": "lister", "db": "3", "cmd": "client|list", "flags": "N", "resp": "2", "argv-mem": "10",
		"lib-name": "mylib", "lib-ver": "1.0", "laddr": srv.Addr().String(), "user": "default",
		"multi": "-1", "sub": "0", "redir": "-1", "events": "r", "idle": "0",
	})
	clientWant(t, "other", lines[1], map[string]string{"name": "other", "db": "0", "cmd": "ping", "lib-name": ""})
	if lines[0]["addr"] == lines[1]["addr"] || lines[0]["fd"] == lines[1]["fd"] {
		t.Errorf("two connections share an address or fd: %v", lines)
	}

	byID := clientLines(t, clientText(t, c1.Do("CLIENT", "LIST", "ID", id2, "99999", id1)))
	if len(byID) != 2 || byID[0]["id"] != id2 || byID[1]["id"] != id1 {
		t.Errorf("CLIENT LIST ID keeps the order asked for: %v", byID)
	}
	if n := len(clientLines(t, clientText(t, c1.Do("CLIENT", "LIST", "type", "NORMAL")))); n != 2 {
		t.Errorf("CLIENT LIST TYPE normal: %d lines", n)
	}
	runSteps(t, c1, []step{
		{cmd: "CLIENT LIST ID 99999", want: `""`},
		{cmd: "CLIENT LIST ID 0", want: `""`},
		{cmd: "CLIENT LIST ID -1", want: `""`},
		{cmd: "CLIENT LIST TYPE pubsub", want: `""`},
		{cmd: "CLIENT LIST TYPE master", want: `""`},
		{cmd: "CLIENT LIST TYPE replica", want: `""`},
		{cmd: "CLIENT LIST TYPE slave", want: `""`},
		{cmd: "CLIENT LIST TYPE foo", want: "-ERR Unknown client type 'foo'"},
		{cmd: "CLIENT LIST ID x", want: "-ERR Invalid client ID"},
		{cmd: "CLIENT LIST ID 1 2 TYPE normal", want: "-ERR Invalid client ID"},
		{cmd: "CLIENT LIST ID", want: "-ERR syntax error"},
		{cmd: "CLIENT LIST TYPE", want: "-ERR syntax error"},
		{cmd: "CLIENT LIST TYPE normal ID 1", want: "-ERR syntax error"},
		{cmd: "CLIENT LIST foo", want: "-ERR syntax error"},
		{cmd: "CLIENT INFO x", want: "-ERR wrong number of arguments for 'client|info' command"},
	})

	info := clientInfo(t, c1)
	clientWant(t, "CLIENT INFO", info, map[string]string{"id": id1, "cmd": "client|info", "name": "lister", "db": "3"})

	// RESP3 gets verbatim strings, as from Redis 7.
	c1.Do("HELLO", "3")
	for _, sub := range []string{"INFO", "LIST"} {
		got := c1.Do("CLIENT", sub)
		if !strings.HasPrefix(got, "=txt:id="+id1+" ") {
			t.Errorf("CLIENT %s in RESP3: %s", sub, got)
		}
	}
	clientWant(t, "after HELLO 3", clientInfo(t, c1), map[string]string{"resp": "3"})
}

func TestClientKill(t *testing.T) {
	srv := startServer(t)
	k := dial(t, srv)
	victim := func() (*resptest.Client, map[string]string) {
		v := dial(t, srv)
		return v, clientInfo(t, v)
	}
	dead := func(what string, v *resptest.Client) {
		t.Helper()
		if got := v.Read(); !strings.HasPrefix(got, "ERROR:") {
			t.Errorf("%s: the killed connection is still open (%s)", what, got)
		}
	}

	v1, i1 := victim()
	v2, i2 := victim()
	runSteps(t, k, []step{{cmd: "CLIENT KILL ID " + i1["id"], want: ":1"}})
	dead("KILL ID", v1)
	if got := v2.Do("PING"); got != "+PONG" {
		t.Errorf("killing one id closed another connection: %s", got)
	}
	runSteps(t, k, []step{
		{cmd: "CLIENT KILL ID " + i1["id"], want: ":0"},
		{cmd: "CLIENT KILL ADDR " + i2["addr"] + " TYPE normal USER default", want: ":1"},
	})
	dead("KILL ADDR", v2)

	v3, i3 := victim()
	runSteps(t, k, []step{
		{cmd: "CLIENT KILL " + i3["addr"], want: "+OK"},
		{cmd: "CLIENT KILL " + i3["addr"], want: "-ERR No such client"},
		{cmd: "CLIENT KILL 1.2.3.4:5", want: "-ERR No such client"},
	})
	dead("old form", v3)
	if lines := clientLines(t, clientText(t, k.Do("CLIENT", "LIST"))); len(lines) != 1 {
		t.Errorf("killed connections are still listed: %v", lines)
	}

	me := clientInfo(t, k)
	v4, _ := victim()
	v5, _ := victim()
	runSteps(t, k, []step{
		// SKIPME yes is the default and protects the caller.
		{cmd: "CLIENT KILL ID " + me["id"], want: ":0"},
		{cmd: "CLIENT KILL TYPE pubsub", want: ":0"},
		{cmd: "CLIENT KILL MAXAGE 1000000", want: ":0"},
		{cmd: "CLIENT KILL ID 99999", want: ":0"},
		{cmd: "CLIENT KILL ADDR 1.2.3.4:5", want: ":0"},
		{cmd: "CLIENT KILL ID x", want: "-ERR client-id should be greater than 0"},
		{cmd: "CLIENT KILL ID 0", want: "-ERR client-id should be greater than 0"},
		{cmd: "CLIENT KILL TYPE foo", want: "-ERR Unknown client type 'foo'"},
		{cmd: "CLIENT KILL USER nosuch", want: "-ERR No such user 'nosuch'"},
		{cmd: "CLIENT KILL MAXAGE x", want: "-ERR maxage is not an integer or out of range"},
		{cmd: "CLIENT KILL SKIPME maybe", want: "-ERR syntax error"},
		{cmd: "CLIENT KILL foo bar", want: "-ERR syntax error"},
		{cmd: "CLIENT KILL ID 1 ID", want: "-ERR syntax error"},
		{cmd: "CLIENT KILL ID", want: "-ERR No such client"},
		{cmd: "CLIENT KILL", want: "-ERR wrong number of arguments for 'client|kill' command"},
		{cmd: "PING", want: "+PONG"},
		// Every other connection to this address: exactly the two victims.
		{cmd: "CLIENT KILL LADDR " + me["laddr"], want: ":2"},
	})
	dead("KILL LADDR", v4)
	dead("KILL LADDR", v5)

	// The caller may kill itself: it still gets the reply, then is closed.
	runSteps(t, k, []step{{cmd: "CLIENT KILL ID " + me["id"] + " SKIPME no", want: ":1"}})
	dead("SKIPME no", k)
	s := dial(t, srv)
	runSteps(t, s, []step{{cmd: "CLIENT KILL " + clientInfo(t, s)["addr"], want: "+OK"}})
	dead("old form on itself", s)
}

func TestClientReply(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	send := func(args ...string) {
		t.Helper()
		if err := c.Send(string(resptest.Encode(args...))); err != nil {
			t.Fatal(err)
		}
	}
	// Each run of unanswered commands is followed by one that must be the
	// next reply read.
	send("CLIENT", "REPLY", "OFF")
	send("SET", "k", "v")
	send("NOSUCH")
	send("GET")
	runSteps(t, c, []step{
		{cmd: "CLIENT REPLY ON", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
	})
	send("CLIENT", "REPLY", "SKIP")
	send("INCR", "n")
	runSteps(t, c, []step{{cmd: "INCR n", want: ":2"}})
	// A second SKIP while one is pending skips the command after it.
	send("CLIENT", "REPLY", "SKIP")
	send("CLIENT", "REPLY", "SKIP")
	send("INCR", "n")
	runSteps(t, c, []step{{cmd: "INCR n", want: ":4"}})
	// SKIP does not lift OFF.
	send("CLIENT", "REPLY", "OFF")
	send("CLIENT", "REPLY", "SKIP")
	send("INCR", "n")
	send("INCR", "n")
	runSteps(t, c, []step{
		{cmd: "CLIENT REPLY ON", want: "+OK"},
		{cmd: "GET n", want: `"6"`},
		{cmd: "CLIENT REPLY maybe", want: "-ERR syntax error"},
		{cmd: "CLIENT REPLY", want: "-ERR wrong number of arguments for 'client|reply' command"},
	})
}

func TestClientFlagsAndSetInfo(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	flags := func() string { return clientInfo(t, c)["flags"] }
	runSteps(t, c, []step{{cmd: "CLIENT NO-EVICT on", want: "+OK"}})
	if f := flags(); f != "e" {
		t.Errorf("NO-EVICT on: flags=%s", f)
	}
	runSteps(t, c, []step{{cmd: "CLIENT NO-TOUCH ON", want: "+OK"}})
	if f := flags(); f != "eT" {
		t.Errorf("NO-TOUCH on: flags=%s", f)
	}
	runSteps(t, c, []step{
		{cmd: "CLIENT NO-EVICT OFF", want: "+OK"},
		{cmd: "CLIENT NO-TOUCH off", want: "+OK"},
		{cmd: "CLIENT NO-EVICT maybe", want: "-ERR syntax error"},
		{cmd: "CLIENT NO-TOUCH maybe", want: "-ERR syntax error"},
		{cmd: "CLIENT NO-EVICT", want: "-ERR wrong number of arguments for 'client|no-evict' command"},
		{cmd: "CLIENT NO-TOUCH", want: "-ERR wrong number of arguments for 'client|no-touch' command"},
	})
	if f := flags(); f != "N" {
		t.Errorf("both off: flags=%s", f)
	}

	// Texts of Redis 7.2's CLIENT SETINFO.
	runSteps(t, c, []step{
		{cmd: "CLIENT SETINFO lib-foo x", want: "-ERR Unrecognized option 'lib-foo'"},
		{args: []string{"CLIENT", "SETINFO", "LIB-NAME", "a b"}, want: "-ERR LIB-NAME cannot contain spaces, newlines or special characters."},
		{args: []string{"CLIENT", "SETINFO", "lib-ver", "1\n"}, want: "-ERR lib-ver cannot contain spaces, newlines or special characters."},
		{cmd: "CLIENT SETINFO lib-name", want: "-ERR wrong number of arguments for 'client|setinfo' command"},
		{cmd: "CLIENT SETINFO lib-name a b", want: "-ERR wrong number of arguments for 'client|setinfo' command"},
		{cmd: "CLIENT SETINFO lib-name redis-py", want: "+OK"},
		{cmd: "CLIENT SETINFO LIB-VER 5.0", want: "+OK"},
	})
	clientWant(t, "SETINFO", clientInfo(t, c), map[string]string{"lib-name": "redis-py", "lib-ver": "5.0"})
	runSteps(t, c, []step{{args: []string{"CLIENT", "SETINFO", "lib-name", ""}, want: "+OK"}})
	clientWant(t, "SETINFO cleared", clientInfo(t, c), map[string]string{"lib-name": "", "lib-ver": "5.0"})

	// go-redis announces itself with SETINFO on connect and parses CLIENT INFO.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr().String()})
	defer rdb.Close()
	ci, err := rdb.ClientInfo(context.Background()).Result()
	if err != nil || !strings.HasPrefix(ci.LibName, "go-redis(") || ci.LibVer != redis.Version() || ci.Resp != 3 {
		t.Errorf("go-redis ClientInfo: %+v, %v", ci, err)
	}
}

func TestClientHelp(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	got := c.Do("client", "HELP")
	for _, want := range []string{
		"[+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are: +CACHING (YES|NO) ",
		" +GETREDIR +    Return the client ID we are redirecting to when tracking is enabled. +GETNAME ",
		" +TRACKINGINFO +    Report tracking status for the current connection. +SETINFO ",
		" +SETINFO <option> <value> +    Set client meta attr. Options are: +    * LIB-NAME: the client lib name. ",
		" +NO-TOUCH (ON|OFF) +    Will not touch LRU/LFU stats when this mode is on. +HELP +    Prints this help.]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CLIENT HELP lacks %q: %s", want, got)
		}
	}
	runSteps(t, c, []step{{cmd: "CLIENT HELP x", want: "-ERR wrong number of arguments for 'client|help' command"}})
}

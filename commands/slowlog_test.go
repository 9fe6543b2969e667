package commands

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// slowEntryVolatile is what differs between two servers' entries for the
// same command: id, time, duration and the client's port (and HELLO's
// client id).
var slowEntryVolatile = regexp.MustCompile(`\[:\d+ :\d+ :\d+ |"127\.0\.0\.1:\d+"|"id" :\d+`)

// TestSlowlogDifferential sends the same commands to Synap and to
// redis-server with every command logged, and compares the logs: which
// commands are kept (those inside MULTI one by one, not EXEC), the cuts
// (32 arguments, 128 bytes each), the secrets redacted, the client's name,
// and SLOWLOG's own replies and errors.
func TestSlowlogDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	syn := dial(t, startServer(t))
	long := strings.Repeat("a", 200)
	many := []string{"RPUSH", "l"}
	for i := range 40 {
		many = append(many, strconv.Itoa(i))
	}
	script := [][]string{
		{"CONFIG", "SET", "slowlog-log-slower-than", "0"},
		{"SLOWLOG", "RESET"},
		{"AUTH", "secretpw"},
		{"AUTH", "someone", "secretpw"},
		{"HELLO", "2", "AUTH", "default", "secretpw"},
		{"SET", "k", long},
		many,
		{"CONFIG", "SET", "requirepass", ""},
		{"CLIENT", "SETNAME", "worker"},
		{"MULTI"}, {"SET", "a", "1"}, {"GET", "a"}, {"EXEC"},
		{"SLOWLOG", "LEN"},
		{"SLOWLOG", "GET", "-1"},
		{"SLOWLOG", "GET", "2"},
		{"SLOWLOG", "GET", "-2"},
		{"SLOWLOG", "GET", "x"},
		{"SLOWLOG", "GET", "1", "2"},
		{"SLOWLOG", "LEN", "x"},
		{"SLOWLOG", "NOPE"},
		{"SLOWLOG", "HELP"},
		{"CONFIG", "SET", "slowlog-max-len", "-1"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "x"},
		{"CONFIG", "SET", "slowlog-max-len", "3"},
		{"PING"},
		{"SLOWLOG", "LEN"},
		{"CONFIG", "GET", "slowlog-max-len"},
		{"CONFIG", "GET", "slowlog-log-slower-than"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "-1"},
		{"SLOWLOG", "RESET"},
		{"SET", "b", "2"},
		{"SLOWLOG", "LEN"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "100000000"},
		{"CONFIG", "SET", "slowlog-max-len", "128"},
		{"SLOWLOG", "GET"},
	}
	for _, cmd := range script {
		want := slowEntryVolatile.ReplaceAllString(red.Do(cmd...), "[")
		got := slowEntryVolatile.ReplaceAllString(syn.Do(cmd...), "[")
		if got != want {
			t.Errorf("%q:\nSynap %s\nRedis %s", cmd, got, want)
		}
	}
}

// In cluster mode the log is the operator's: a tenant cannot read it, and
// the operator never finds an access key in it.
func TestSlowlogIsTheOperators(t *testing.T) {
	f := startCluster(t)
	op := dial(t, f.srv)
	if r := op.Do("AUTH", clusterAdminKey); r != "+OK" {
		t.Fatal(r)
	}
	if r := op.Do("CONFIG", "SET", "slowlog-log-slower-than", "0"); r != "+OK" {
		t.Fatal(r)
	}
	alice := dial(t, f.srv)
	for _, cmd := range [][]string{{"AUTH", clusterSecret("alice-admin")}, {"HELLO", "3", "AUTH", "alice", clusterSecret("alice-admin")}} {
		if r := alice.Do(cmd...); strings.HasPrefix(r, "-") {
			t.Fatalf("%q: %s", cmd, r)
		}
	}
	for _, cmd := range [][]string{{"SLOWLOG", "GET"}, {"SLOWLOG", "LEN"}, {"SLOWLOG", "RESET"}} {
		if r := alice.Do(cmd...); !strings.HasPrefix(r, "-NOPERM") {
			t.Errorf("alice's admin key: %q replied %s, want NOPERM", cmd, r)
		}
	}
	alice.Do("SET", "mine", "v")
	log := op.Do("SLOWLOG", "GET", "-1")
	if !strings.Contains(log, `"SET" "mine" "v"`) {
		t.Fatalf("the operator's log lacks alice's SET: %s", log)
	}
	for _, secret := range []string{clusterSecret("alice-admin"), clusterAdminKey} {
		if strings.Contains(log, secret) {
			t.Fatalf("the log shows a secret: %s", log)
		}
	}
	if !strings.Contains(log, `"AUTH" "(redacted)"`) || !strings.Contains(log, `"HELLO" "3" "AUTH" "(redacted)" "(redacted)"`) {
		t.Fatalf("AUTH and HELLO not redacted as Redis does: %s", log)
	}
}

// No secret is kept, however the command that carries it is formed.
func TestSlowlogRedacts(t *testing.T) {
	tab := NewTable()
	for _, c := range []struct{ args, want string }{
		{"AUTH k", "AUTH (redacted)"},
		{"auth user k", "auth (redacted) (redacted)"},
		{"HELLO 3 AUTH user k", "HELLO 3 AUTH (redacted) (redacted)"},
		{"HELLO 3 AUTH k", "HELLO 3 AUTH (redacted)"},
		{"hello 3 setname n auth user k", "hello 3 setname n auth (redacted) (redacted)"},
		{"HELLO 3 SETNAME n", "HELLO 3 SETNAME n"},
		{"CONFIG SET requirepass pw maxclients 5", "CONFIG SET requirepass (redacted) maxclients 5"},
		{"CONFIG SET maxclients 5 REQUIREPASS pw", "CONFIG SET maxclients 5 REQUIREPASS (redacted)"},
		{"CONFIG SET requirepass", "CONFIG SET requirepass"},
		{"SET requirepass pw", "SET requirepass pw"},
	} {
		var args [][]byte
		for _, a := range strings.Fields(c.args) {
			args = append(args, []byte(a))
		}
		cmd, _ := tab.Resolve(args)
		if cmd == nil {
			t.Fatalf("%s: no row", c.args)
		}
		var got []string
		for _, a := range slowArgs(cmd, args) {
			got = append(got, string(a))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: kept %q, want %q", c.args, got, c.want)
		}
	}
}

// Past slowlog-max-len the log shows only the newest entries and holds at
// most a quarter (and a few) more, dropped in batches rather than one
// shift of the whole log per command.
func TestSlowlogBounded(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("CONFIG", "SET", "slowlog-max-len", "40")
	c.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
	for i := range 500 {
		c.Do("ECHO", strconv.Itoa(i))
	}
	if r := c.Do("SLOWLOG", "LEN"); r != ":40" {
		t.Fatalf("SLOWLOG LEN %s, want :40", r)
	}
	if r := c.Do("SLOWLOG", "GET", "2"); !strings.Contains(r, `["ECHO" "499"]`) || !strings.Contains(r, `["SLOWLOG" "LEN"]`) {
		t.Fatalf("the newest two: %s", r)
	}
	srv.slow.mu.Lock()
	held := len(srv.slow.entries)
	srv.slow.mu.Unlock()
	if held > 40+40/4+16 {
		t.Fatalf("the log holds %d entries for a max-len of 40", held)
	}
	c.Do("CONFIG", "SET", "slowlog-max-len", "5")
	if r := c.Do("SLOWLOG", "LEN"); r != ":5" {
		t.Fatalf("after max-len 5, SLOWLOG LEN %s", r)
	}
}

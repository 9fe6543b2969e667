package commands

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// monitorVolatile is what differs between two servers' lines for the same
// command: the time and the client's port.
var monitorVolatile = regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]`)

// TestMonitorDifferential runs the same commands against Synap and
// redis-server with a MONITOR connection on each, and compares the lines:
// which commands appear (not admin ones, not those refused before
// running), in which order, with which database, quoting and redaction.
func TestMonitorDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	script := [][]string{
		{"SET", "k", "a b\n\"c\"\\ \t\r\x01\xff"},
		{"CONFIG", "GET", "maxclients"},
		{"AUTH", "secretpw"},
		{"NOSUCHCOMMAND", "x"},
		{"GET"},
		{"HELLO", "2", "AUTH", "default", "pw"},
		{"MULTI"}, {"SET", "a", "1"}, {"INCR", "a"}, {"EXEC"},
		{"SLOWLOG", "LEN"},
		{"CLIENT", "LIST"},
		{"LPUSH", "a", "x"},
		{"SELECT", "3"}, {"GET", "z"}, {"SELECT", "0"},
		{"CLIENT", "SETNAME", "w"},
		{"PING", "done"},
	}
	run := func(addr string) []string {
		mon, c := dialAddr(t, addr), dialAddr(t, addr)
		if r := mon.Do("MONITOR"); r != "+OK" {
			t.Fatalf("%s: MONITOR %s", addr, r)
		}
		for _, cmd := range script {
			c.Do(cmd...)
		}
		var lines []string
		for {
			l := mon.Read()
			if strings.HasPrefix(l, "ERROR") {
				t.Fatalf("%s: monitor read %s after %q", addr, l, lines)
			}
			lines = append(lines, monitorVolatile.ReplaceAllString(l, "[$1]"))
			if strings.Contains(l, `"done"`) {
				break
			}
		}
		return lines
	}
	want, got := run(redAddr), run(synAddr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Synap's monitor:\n%s\nRedis's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A monitor that does not read is disconnected under the pubsub class's
// output buffer limit, never waited for: the server's memory stays bounded
// and the other clients are served.
func TestHostileMonitorThatDoesNotRead(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	if r := c.Do("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0"); r != "+OK" {
		t.Fatal(r)
	}
	mon := dial(t, srv)
	if r := mon.Do("MONITOR"); r != "+OK" {
		t.Fatal(r)
	}
	// Lines of 8 KB: the kernel's socket buffers (megabytes on loopback)
	// fill first, then the monitor's queue.
	big := strings.Repeat("v", 8<<10)
	start := time.Now()
	for i := 0; i < 20000; i++ {
		if r := c.Do("SET", "k", big); r != "+OK" {
			t.Fatalf("SET %d: %s", i, r)
		}
		if i%200 == 199 && !strings.Contains(c.Do("CLIENT", "LIST"), " flags=O ") {
			break
		}
	}
	if l := c.Do("CLIENT", "LIST"); strings.Contains(l, " flags=O ") {
		t.Fatalf("the monitor that never reads is still connected after %v: %s", time.Since(start), l)
	}
	srv.mon.mu.Lock()
	left := len(srv.mon.list)
	srv.mon.mu.Unlock()
	if left != 0 || srv.mon.n.Load() != 0 {
		t.Fatalf("%d monitors left", left)
	}
}

// In cluster mode MONITOR is the operator's: a tenant's admin key is
// refused, and the operator's lines carry no secret.
func TestMonitorIsTheOperators(t *testing.T) {
	f := startCluster(t)
	alice := dial(t, f.srv)
	if r := alice.Do("AUTH", clusterSecret("alice-admin")); r != "+OK" {
		t.Fatal(r)
	}
	if r := alice.Do("MONITOR"); !strings.HasPrefix(r, "-NOPERM") {
		t.Fatalf("alice's admin key: MONITOR replied %s", r)
	}
	op := dial(t, f.srv)
	if r := op.Do("AUTH", clusterAdminKey); r != "+OK" {
		t.Fatal(r)
	}
	if r := op.Do("MONITOR"); r != "+OK" {
		t.Fatal(r)
	}
	bob := dial(t, f.srv)
	bob.Do("AUTH", clusterSecret("bob-rw"))
	bob.Do("SET", "bobs", "v")
	var lines []string
	for len(lines) < 2 {
		l := op.Read()
		if strings.HasPrefix(l, "ERROR") {
			t.Fatalf("monitor: %s after %q", l, lines)
		}
		lines = append(lines, l)
	}
	all := strings.Join(lines, "\n")
	if strings.Contains(all, clusterSecret("bob-rw")) || !strings.Contains(all, `"AUTH" "(redacted)"`) || !strings.Contains(all, `"SET" "bobs" "v"`) {
		t.Fatalf("the operator's monitor:\n%s", all)
	}
}

// A large argument costs a monitor at most monitorArgMax of it, quoted:
// a client's 1 MB value does not become a 1-4 MB line for every monitor.
func TestMonitorCutsLargeArguments(t *testing.T) {
	srv := startServer(t)
	mon, c := dial(t, srv), dial(t, srv)
	if r := mon.Do("MONITOR"); r != "+OK" {
		t.Fatal(r)
	}
	big := strings.Repeat("\x01", 1<<20) // quoted, four bytes each
	if r := c.Do("SET", "k", big); r != "+OK" {
		t.Fatal(r)
	}
	l := mon.Read()
	want := `"SET" "k" "` + strings.Repeat(`\x01`, monitorArgMax) + `... (` + strconv.Itoa(1<<20-monitorArgMax) + ` more bytes)"`
	if !strings.HasSuffix(l, want) || len(l) > 5*monitorArgMax {
		t.Fatalf("the monitor's line is %d bytes: %.80q ... %.80q", len(l), l, l[max(0, len(l)-80):])
	}
}

// The monitor connection itself, against redis-server: MONITOR is refused
// inside EXEC, and a monitor may not run keyspace commands (Redis treats it
// as a replica) but may run others, whose lines it gets too.
func TestMonitorConnectionDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	run := func(addr string) []string {
		c := dialAddr(t, addr)
		var out []string
		for _, cmd := range [][]string{{"MULTI"}, {"MONITOR"}, {"EXEC"}, {"MONITOR"}, {"PING"}} {
			out = append(out, c.Do(cmd...))
		}
		out = append(out, c.Read()) // PING's line
		out = append(out, c.Do("GET", "x"), c.Do("SET", "x", "1"), c.Do("ECHO", "after"))
		out = append(out, c.Read()) // ECHO's line: the refused ones have none
		for i := range out {
			out[i] = monitorVolatile.ReplaceAllString(out[i], "[$1]")
		}
		return out
	}
	want, got := run(red.Conn.RemoteAddr().String()), run(startServer(t).Addr().String())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Synap:\n%s\nRedis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

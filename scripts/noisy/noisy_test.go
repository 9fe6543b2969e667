package main

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// The reader skips what it is not asked to keep, and surfaces the first
// error inside EXEC's reply: that is what tenant A "got".
func TestReadReplies(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		keep     bool
		kind     byte
		str      string
		n        int64
	}{
		{"status", "+OK\r\n", false, '+', "OK", 0},
		{"error", "-ERR no\r\n", false, '-', "ERR no", 0},
		{"integer", ":42\r\n", false, ':', "", 42},
		{"kept bulk", "$5\r\nhello\r\n", true, '$', "hello", 5},
		{"skipped bulk", "$5\r\nhello\r\n", false, '$', "", 5},
		{"null bulk", "$-1\r\n", false, '$', "", -1},
		{"EXEC with an error", "*3\r\n+OK\r\n-OOM out of memory\r\n-ERR later\r\n", false, '*', "OOM out of memory", 3},
		{"nested", "*2\r\n*1\r\n$1\r\nx\r\n:1\r\n", false, '*', "", 2},
	} {
		c := &conn{r: bufio.NewReader(strings.NewReader(tc.in + "+NEXT\r\n"))}
		rep, err := c.read(tc.keep)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rep.kind != tc.kind || rep.n != tc.n || rep.str != tc.str {
			t.Errorf("%s: got %+v", tc.name, rep)
		}
		// The whole reply was consumed: the next one reads cleanly.
		if next, err := c.read(false); err != nil || next.str != "NEXT" {
			t.Errorf("%s: next reply %+v, %v", tc.name, next, err)
		}
	}
}

func TestAppendCmdAndCount(t *testing.T) {
	if got := string(resptest.AppendCommand(nil, "SET", "k", "")); got != "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" {
		t.Errorf("appendCmd = %q", got)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1000000: "1,000,000"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

// Tenant A's reader consumes whole replies of any shape without decoding
// them, and still reports the first error inside (EXEC's reply).
func TestSkipReplies(t *testing.T) {
	for _, tc := range []struct {
		name, in, err string
	}{
		{"status", "+OK\r\n", ""},
		{"error", "-ERR no\r\n", "ERR no"},
		{"integer", ":-42\r\n", ""},
		{"bulk", "$5\r\nhello\r\n", ""},
		{"empty bulk", "$0\r\n\r\n", ""},
		{"null bulk", "$-1\r\n", ""},
		{"null array", "*-1\r\n", ""},
		{"resp3 null", "_\r\n", ""},
		{"EXEC with errors", "*3\r\n+OK\r\n-OOM out of memory\r\n-ERR later\r\n", "OOM out of memory"},
		{"nested", "*3\r\n*2\r\n$1\r\nx\r\n*0\r\n:1\r\n*1\r\n$3\r\nabc\r\n", ""},
		{"bulk larger than the buffer", "$40000\r\n" + strings.Repeat("z", 40000) + "\r\n", ""},
	} {
		c := &conn{r: bufio.NewReaderSize(strings.NewReader(tc.in+"+NEXT\r\n"), 64)}
		got, err := c.skip()
		if err != nil || got != tc.err {
			t.Errorf("%s: skip = %q, %v; want %q", tc.name, got, err, tc.err)
		}
		if next, err := c.read(false); err != nil || next.str != "NEXT" {
			t.Errorf("%s: next reply %+v, %v", tc.name, next, err)
		}
	}
	for _, bad := range []string{"$x\r\n", "*1\r\n?\r\n", "+OK\n"} {
		c := &conn{r: bufio.NewReader(strings.NewReader(bad))}
		if _, err := c.skip(); err == nil {
			t.Errorf("skip(%q): no error", bad)
		}
	}
}

// SCAN's reply gives its cursor; the keys are skipped.
func TestScanCursor(t *testing.T) {
	c := &conn{r: bufio.NewReader(strings.NewReader("*2\r\n$3\r\n176\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n-ERR scan\r\n"))}
	if cur, err := c.scanCursor(); err != nil || cur != "176" {
		t.Fatalf("scanCursor = %q, %v", cur, err)
	}
	if _, err := c.scanCursor(); err == nil || err.Error() != "ERR scan" {
		t.Fatalf("scanCursor on an error reply: %v", err)
	}
}

// The server's GC activity in a window comes from its gctrace lines; other
// log lines are ignored.
func TestParseGCTrace(t *testing.T) {
	log := strings.Join([]string{
		`time=2026-12-06T11:00:00Z level=INFO msg="serving RESP" addr=127.0.0.1:1`,
		`gc 1 @0.053s 1%: 0.013+4.2+0.005 ms clock, 0.013+0.72/0/0+0.005 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P`,
		`gc 2 @9.1s 30%: 0.5+600+1.5 ms clock, 0.5+20/550/7+1.5 ms cpu, 480->500->250 MB, 500 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)`,
		`gc 3 @9.1s garbage`,
	}, "\n")
	g := parseGCTrace(strings.NewReader(log))
	want := gcStats{
		cycles:  2,
		stw:     msDuration("0.013") + msDuration("0.005") + msDuration("0.5") + msDuration("1.5"),
		maxSTW:  msDuration("2.0"),
		mark:    msDuration("604.2"),
		cpu:     msDuration("0.013") + msDuration("0.72") + msDuration("0.005") + msDuration("0.5") + msDuration("20") + msDuration("550") + msDuration("1.5"),
		maxHeap: 480,
	}
	if g != want {
		t.Errorf("parseGCTrace = %+v, want %+v", g, want)
	}
}

// The per-window measures read this machine's /proc: a process's CPU time,
// its threads' run-queue wait and its scheduling attributes.
func TestProcReadable(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, ok := cpuTime(os.Getpid()); !ok {
		t.Error("cpuTime of this process unreadable")
	}
	if _, ok := runqueueWait(os.Getpid()); !ok {
		t.Error("runqueueWait of this process unreadable")
	}
	if nice, policy := schedOf("self"); nice < -20 || nice > 19 || policy < 0 {
		t.Errorf("schedOf(self) = %d, %d", nice, policy)
	}
}

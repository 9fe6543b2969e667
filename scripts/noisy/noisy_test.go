package main

import (
	"bufio"
	"math"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// A request without a reply must weigh in B's percentiles as infinitely
// slow: dropping it would make a server that stops answering look fast.
func TestQuantileCountsLostRequestsAsInfinite(t *testing.T) {
	ms := func(n int) []time.Duration {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(i+1) * time.Millisecond
		}
		return d
	}
	for _, tc := range []struct {
		name     string
		lat      latencies
		p50, p99 float64
	}{
		{"all answered", latencies{sorted: ms(100)}, 50, 99},
		{"1% lost", latencies{sorted: ms(99), lost: 1}, 50, 99},
		{"2% lost", latencies{sorted: ms(98), lost: 2}, 50, math.Inf(1)},
		{"all lost", latencies{lost: 10}, math.Inf(1), math.Inf(1)},
		{"nothing scheduled", latencies{}, math.Inf(1), math.Inf(1)},
	} {
		if got := tc.lat.quantile(0.5); got != tc.p50 {
			t.Errorf("%s: p50 = %v, want %v", tc.name, got, tc.p50)
		}
		if got := tc.lat.quantile(0.99); got != tc.p99 {
			t.Errorf("%s: p99 = %v, want %v", tc.name, got, tc.p99)
		}
	}
}

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

package commands

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// The LATENCY commands and parameters that do not depend on timing,
// against redis-server: help, the monitor while it is off, unknown events
// and commands, the parameters and their error texts.
func TestLatencyDifferential(t *testing.T) {
	red := resptest.StartRedis(t)
	redAddr := red.Conn.RemoteAddr().String()
	synAddr := startServer(t).Addr().String()
	script := [][]string{
		{"LATENCY", "HELP"},
		{"LATENCY", "LATEST"},
		{"LATENCY", "HISTORY", "command"},
		{"LATENCY", "HISTORY"},
		{"LATENCY", "RESET"},
		{"LATENCY", "RESET", "command", "nosuch"},
		{"LATENCY", "GRAPH", "command"},
		{"LATENCY", "GRAPH"},
		{"LATENCY", "HISTOGRAM", "nosuchcommand"},
		{"LATENCY", "NOSUCH"},
		{"LATENCY"},
		// One at a time: Redis lists a pattern's matches in its hash
		// table's order, which changes from run to run.
		{"CONFIG", "GET", "latency-tracking"},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "GET", "latency-monitor-threshold"},
		{"CONFIG", "SET", "latency-tracking", "maybe"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "foo"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"},
		{"CONFIG", "SET", "latency-monitor-threshold", "-1"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "25 75"},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", ""},
		{"CONFIG", "GET", "latency-tracking-info-percentiles"},
		{"CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"},
	}
	run := func(addr string) []string {
		c := dialAddr(t, addr)
		var out []string
		for _, args := range script {
			out = append(out, strings.Join(args, " ")+" -> "+c.Do(args...))
		}
		return out
	}
	want := run(redAddr)
	sameReplies(t, run(synAddr), want)
}

// Every command's latencies are kept in a histogram that INFO
// latencystats reads as percentiles and LATENCY HISTOGRAM as a cumulative
// distribution, as Redis 7 keeps them; RESETSTAT clears them, and
// latency-tracking no stops them.
func TestLatencyHistograms(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for i := range 100 {
		c.Do("SET", "k"+strconv.Itoa(i), "v")
	}
	for range 40 {
		c.Do("GET", "k1")
	}
	c.Do("HELLO", "3")
	h := c.Do("LATENCY", "HISTOGRAM", "set", "GET", "nosuch", "set")
	// {"set":{"calls"::100 "histogram_usec":{:1::97 :2::100}} "get":{...}}
	m := regexp.MustCompile(`^\{"set":\{"calls"::100 "histogram_usec":\{(.*)\}\} "get":\{"calls"::40 "histogram_usec":\{(.*)\}\}\}$`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("LATENCY HISTOGRAM set GET: %s", h)
	}
	labels := map[int64]bool{}
	for ns := int64(1024); ns < 1<<40; ns *= 2 {
		labels[ns/1000] = true
	}
	for i, calls := range []int64{100, 40} {
		pairs := strings.Fields(m[i+1])
		var lastBound, lastCum int64
		for j, p := range pairs {
			var bound, cum int64
			if _, err := fmtSscan(p, &bound, &cum); err != nil {
				t.Fatalf("pair %q of %s: %v", p, h, err)
			}
			// Powers of two of 1024 ns, in microseconds, each count larger.
			if !labels[bound] || j > 0 && (bound <= lastBound || cum <= lastCum) {
				t.Fatalf("histogram %s: pair %q after %d/%d", m[i+1], p, lastBound, lastCum)
			}
			lastBound, lastCum = bound, cum
		}
		if lastCum != calls {
			t.Fatalf("histogram %s ends at %d calls, want %d", m[i+1], lastCum, calls)
		}
	}
	line := regexp.MustCompile(`latency_percentiles_usec_set:p50=(\d+\.\d{3}),p99=(\d+\.\d{3}),p99\.9=(\d+\.\d{3})\r\n`)
	info := c.Do("INFO", "latencystats")
	if p := line.FindStringSubmatch(info); p == nil {
		t.Fatalf("INFO latencystats: %s", info)
	} else if a, b := mustFloat(t, p[1]), mustFloat(t, p[3]); a <= 0 || b < a {
		t.Fatalf("percentiles out of order: %s", p[0])
	}
	runSteps(t, c, []step{{args: []string{"CONFIG", "SET", "latency-tracking-info-percentiles", "90"}, want: "+OK"}})
	if info := c.Do("INFO", "latencystats"); !regexp.MustCompile(`latency_percentiles_usec_get:p90=\d+\.\d{3}\r\n`).MatchString(info) {
		t.Fatalf("one percentile: %s", info)
	}
	runSteps(t, c, []step{
		{cmd: "CONFIG SET latency-tracking no", want: "+OK"},
		{cmd: "CONFIG RESETSTAT", want: "+OK"},
		{cmd: "GET k1", want: `"v"`},
		{cmd: "LATENCY HISTOGRAM get", want: "{}"},
		{cmd: "CONFIG SET latency-tracking yes", want: "+OK"},
		{cmd: "GET k1", want: `"v"`},
	})
	if h := c.Do("LATENCY", "HISTOGRAM", "get"); !strings.HasPrefix(h, `{"get":{"calls"::1 `) {
		t.Fatalf("after RESETSTAT and one GET: %s", h)
	}
}

// The latency monitor records commands that ran latency-monitor-threshold
// milliseconds or more, as Redis's "command" and "fast-command" events.
func TestLatencyMonitor(t *testing.T) {
	srv := newTestServer()
	srv.Table.add(&Command{Name: "testsleep", Arity: 2, Flags: FlagReadOnly,
		Run: func(x *Ctx) {
			ms, _ := strconv.Atoi(string(x.Args[1]))
			time.Sleep(time.Duration(ms) * time.Millisecond)
			x.W.OK()
		}})
	serveTest(t, srv)
	c := dial(t, srv)
	if r := c.Do("LATENCY", "DOCTOR"); !strings.Contains(r, "Latency monitoring is disabled") {
		t.Fatalf("DOCTOR while off: %s", r)
	}
	runSteps(t, c, []step{
		{cmd: "testsleep 30", want: "+OK"},
		{cmd: "LATENCY LATEST", want: "[]"},
		{cmd: "CONFIG SET latency-monitor-threshold 20", want: "+OK"},
		{cmd: "testsleep 1", want: "+OK"},
		{cmd: "LATENCY LATEST", want: "[]"},
		{cmd: "testsleep 30", want: "+OK"},
	})
	latest := c.Do("LATENCY", "LATEST")
	m := regexp.MustCompile(`^\[\["command" :(\d+) :(\d+) :(\d+)\]\]$`).FindStringSubmatch(latest)
	if m == nil {
		t.Fatalf("LATEST: %s", latest)
	}
	if at := mustFloat(t, m[1]); at < float64(time.Now().Unix()-5) || mustFloat(t, m[2]) < 30 || m[2] != m[3] {
		t.Fatalf("LATEST: %s", latest)
	}
	if h := c.Do("LATENCY", "HISTORY", "command"); !regexp.MustCompile(`^\[\[:\d+ :` + m[2] + `\]\]$`).MatchString(h) {
		t.Fatalf("HISTORY: %s", h)
	}
	for _, want := range []string{"command: 1 latency spikes", "all time high " + m[2] + " ms"} {
		if r := c.Do("LATENCY", "DOCTOR"); !strings.Contains(r, want) {
			t.Fatalf("DOCTOR lacks %q: %s", want, r)
		}
	}
	if g := c.Do("LATENCY", "GRAPH", "command"); !strings.Contains(g, "command - high "+m[2]+" ms") || !strings.Contains(g, "#") {
		t.Fatalf("GRAPH: %s", g)
	}
	runSteps(t, c, []step{
		{cmd: "LATENCY RESET command", want: ":1"},
		{cmd: "LATENCY LATEST", want: "[]"},
		{cmd: "LATENCY GRAPH command", want: "-ERR No samples available for event 'command'"},
	})
}

// In cluster mode latency is the operator's: a tenant's admin key may
// not run LATENCY, and its INFO has no latencystats.
func TestLatencyIsTheOperators(t *testing.T) {
	f := startCluster(t)
	alice, op := f.as(t, "alice-admin"), f.as(t, "operator")
	alice.Do("SET", "k", "v")
	if r := alice.Do("LATENCY", "HISTOGRAM"); !strings.HasPrefix(r, "-NOPERM") {
		t.Fatalf("tenant LATENCY HISTOGRAM: %s", r)
	}
	if r := alice.Do("INFO", "latencystats"); strings.Contains(r, "latency_percentiles") {
		t.Fatalf("tenant INFO latencystats: %s", r)
	}
	if r := op.Do("LATENCY", "HISTOGRAM", "set"); !strings.Contains(r, "set") {
		t.Fatalf("operator LATENCY HISTOGRAM set: %s", r)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fmtSscan reads ":<bound>::<count>" as rendered by resptest.
func fmtSscan(p string, bound, cum *int64) (int, error) {
	a, b, ok := strings.Cut(strings.TrimPrefix(p, ":"), "::")
	if !ok {
		return 0, strconv.ErrSyntax
	}
	var err error
	if *bound, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, err
	}
	if *cum, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 1, err
	}
	return 2, nil
}

package commands

import (
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
)

// A server that serves reads allocates almost nothing, but it is not idle:
// the release's forced collection of a big heap would stall its clients.
// It releases once the commands stop.
func TestMemoryBusyReadsDoNotTriggerIdleRelease(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	val := strings.Repeat("v", 4000)
	for i := range 20000 { // 80 MB, then freed: plenty to give back
		if got := c.Do("SET", "k"+strconv.Itoa(i), val); got != "+OK" {
			t.Fatal(got)
		}
	}
	runSteps(t, c, []step{{cmd: "FLUSHALL", want: "+OK"}, {cmd: "SET hot v", want: "+OK"}})
	m := &memTuner{s: srv, envLimit: true}
	m.samples = make([]metrics.Sample, len(memTuneMetrics))
	for i, name := range memTuneMetrics {
		m.samples[i].Name = name
	}
	// Each tick follows more reads than memIdleCommands; the server's own
	// tuner, ticking meanwhile, sees them too.
	purges := srv.mem.purges.Load()
	for range 5 {
		for range 2 * memIdleCommands {
			if got := c.Do("GET", "hot"); got != `"v"` {
				t.Fatalf("GET hot: %q", got)
			}
		}
		m.tick()
	}
	if n := srv.mem.purges.Load() - purges; n != 0 {
		t.Fatalf("a server serving reads was collected and released %d times as if idle", n)
	}
	for range 4 { // quiet now
		m.tick()
	}
	if srv.mem.purges.Load() == purges {
		t.Error("a quiet server holding 80 MB of freed heap did not release it")
	}
}

// The executable's pages are released again once per idle period: after a
// burst of commands and two quiet ticks, not again while the server stays
// quiet, and not while it is busy.
func TestMemoryIdleReleasesCodePagesOncePerIdlePeriod(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	var calls int
	m := &memTuner{s: srv, envLimit: true, releaseCode: func() int64 { calls++; return 0 }}
	m.samples = make([]metrics.Sample, len(memTuneMetrics))
	for i, name := range memTuneMetrics {
		m.samples[i].Name = name
	}
	burst := func() {
		for i := range 2 * memIdleCommands {
			if got := c.Do("SET", "k"+strconv.Itoa(i), "v"); got != "+OK" {
				t.Fatal(got)
			}
		}
	}
	m.tick() // the commands before the test
	for range 3 {
		burst()
		m.tick()
	}
	if calls != 0 {
		t.Fatalf("released the code pages %d times while busy", calls)
	}
	for range 6 {
		m.tick()
	}
	if calls != 1 {
		t.Fatalf("after a burst and 6 quiet ticks: %d releases, want 1", calls)
	}
	// A trickle (under memIdleCommands a tick) is still idle: no new period.
	for range 4 {
		runSteps(t, c, []step{{cmd: "GET k1", want: `"v"`}})
		m.tick()
	}
	if calls != 1 {
		t.Fatalf("a trickle of commands released the code pages again: %d releases", calls)
	}
	burst()
	m.tick()
	m.tick()
	m.tick()
	if calls != 2 {
		t.Fatalf("after a second burst: %d releases, want 2", calls)
	}
}

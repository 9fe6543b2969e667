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

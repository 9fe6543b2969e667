package commands

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/resp/resptest"
)

func TestMemoryUsageReplies(t *testing.T) {
	c := dial(t, startServer(t))
	runSteps(t, c, []step{
		// key + value + the per-key charge: 1 + 112 + 1.
		{cmd: "SET k v", want: "+OK"},
		{cmd: "MEMORY USAGE k", want: ":114"},
		{cmd: "MEMORY USAGE k SAMPLES 0", want: ":114"},
		{cmd: "MEMORY usage k samples 5", want: ":114"},
		// A TTL costs its deadline's charge.
		{cmd: "EXPIRE k 100", want: ":1"},
		{cmd: "MEMORY USAGE k", want: ":146"},
		{cmd: "MEMORY USAGE missing", want: "nil"},
		{cmd: "MEMORY USAGE k SAMPLES -1", want: "-ERR syntax error"},
		{cmd: "MEMORY USAGE k SAMPLES x", want: "-ERR value is not an integer or out of range"},
		{cmd: "MEMORY USAGE k SAMPLES", want: "-ERR syntax error"},
		{cmd: "MEMORY USAGE k COUNT 1", want: "-ERR syntax error"},
		{cmd: "MEMORY USAGE", want: "-ERR wrong number of arguments for 'memory|usage' command"},
		{cmd: "MEMORY NOPE", want: "-ERR unknown subcommand 'NOPE'. Try MEMORY HELP."},
		{cmd: "MEMORY PURGE", want: "+OK"},
		{cmd: "MEMORY MALLOC-STATS", want: `"Stats not supported for the current allocator"`},
	})
	if got := c.Do("MEMORY", "HELP"); !strings.Contains(got, "USAGE <key> [SAMPLES <count>]") {
		t.Errorf("MEMORY HELP: %s", got)
	}
}

// The per-key figures are the accounting's: they add up, over every kind
// of value, to the namespace's bytes that INFO reports and quotas enforce,
// and they follow a value as it grows and shrinks.
func TestMemoryUsageAddsUpToTheAccounting(t *testing.T) {
	c := dial(t, startServer(t))
	keys := map[string][]string{
		"s":  {"SET", "s", strings.Repeat("x", 100)},
		"n":  {"SET", "n", "12345"},
		"l":  {"RPUSH", "l", "a", "bb", "ccc"},
		"h":  {"HSET", "h", "f1", "v1", "f2", "v2"},
		"st": {"SADD", "st", "m1", "m2", "m3"},
		"si": {"SADD", "si", "1", "2", "3"},
		"z":  {"ZADD", "z", "1", "a", "2", "b"},
		"t":  {"SET", "t", "v", "EX", "100"},
	}
	for _, cmd := range keys {
		if got := c.Do(cmd...); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %s", cmd, got)
		}
	}
	usage := func(key string) int64 {
		t.Helper()
		got := c.Do("MEMORY", "USAGE", key)
		n, err := strconv.ParseInt(strings.TrimPrefix(got, ":"), 10, 64)
		if err != nil || n <= int64(len(key)) {
			t.Fatalf("MEMORY USAGE %s: %s", key, got)
		}
		return n
	}
	dataset := func() int64 {
		t.Helper()
		_, m := serverInfo(t, c, "memory")
		n, err := strconv.ParseInt(m["used_memory_dataset"], 10, 64)
		if err != nil {
			t.Fatalf("used_memory_dataset: %q", m["used_memory_dataset"])
		}
		return n
	}
	var sum int64
	for k := range keys {
		sum += usage(k)
	}
	if d := dataset(); d != sum {
		t.Errorf("MEMORY USAGE adds up to %d, INFO used_memory_dataset says %d", sum, d)
	}
	before := usage("l")
	c.Do("RPUSH", "l", strings.Repeat("y", 1000))
	after := usage("l")
	if after < before+1000 {
		t.Errorf("a 1000-byte element grew MEMORY USAGE l from %d to %d", before, after)
	}
	// The long element moved the list out of the packed form for good, so
	// compare with the figure it had with it.
	c.Do("RPOP", "l", "2")
	if got := usage("l"); got > after-1000-engine.ListElemCharge {
		t.Errorf("MEMORY USAGE l after popping the 1000-byte element and one more: %d, with both %d", got, after)
	}
}

// doctorReply reports whether got is one of MEMORY DOCTOR's reports, which
// depend on the process's heap and RSS at the time (the test binary's).
func doctorReply(got string) bool {
	return strings.HasPrefix(got, `"Hi Sam, `) || strings.HasPrefix(got, `"Sam, I detected a few issues`)
}

func TestMemoryStatsAndInfoFields(t *testing.T) {
	c := dial(t, startServer(t))
	c.Do("SET", "k", "v")
	got := c.Do("MEMORY", "STATS")
	for _, want := range []string{"peak.allocated", "total.allocated", "+keys.count :1 ", "+dataset.bytes :114 ", "+fragmentation "} {
		if !strings.Contains(got, want) {
			t.Errorf("MEMORY STATS lacks %q: %s", want, got)
		}
	}
	_, m := serverInfo(t, c, "memory")
	for _, k := range []string{"used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak",
		"used_memory_peak_human", "maxmemory", "maxmemory_human", "maxmemory_policy", "mem_fragmentation_ratio"} {
		if m[k] == "" {
			t.Errorf("INFO memory lacks %s", k)
		}
	}
	used, _ := strconv.ParseInt(m["used_memory"], 10, 64)
	peak, _ := strconv.ParseInt(m["used_memory_peak"], 10, 64)
	if used <= 0 || peak < used {
		t.Errorf("used_memory %d, used_memory_peak %d", used, peak)
	}
	if got := c.Do("MEMORY", "DOCTOR"); !doctorReply(got) {
		t.Errorf("MEMORY DOCTOR: %s", got)
	}
}

// In cluster mode a tenant's memory figures are its own accounted bytes;
// the process's (RSS, heap, fragmentation) stay the operator's, and a key
// that may not read sees no figures at all.
func TestMemoryTenantSeesItsOwnFigures(t *testing.T) {
	f := startCluster(t)
	alice, bob := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	alice.Do("SET", "a", "1234567890")
	alice.Do("RPUSH", "l", "x", "y")
	bob.Do("SET", "b", strings.Repeat("z", 5000))

	usage := func(c *resptest.Client, key string) int64 {
		n, err := strconv.ParseInt(strings.TrimPrefix(c.Do("MEMORY", "USAGE", key), ":"), 10, 64)
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return n
	}
	aliceBytes := usage(alice, "a") + usage(alice, "l")
	_, m := serverInfo(t, alice, "memory")
	if m["used_memory"] != strconv.FormatInt(aliceBytes, 10) {
		t.Errorf("alice's used_memory %q, her keys account %d", m["used_memory"], aliceBytes)
	}
	if m["maxmemory"] != "0" || m["maxmemory_policy"] != "noeviction" {
		t.Errorf("alice (no storage limit): maxmemory %q policy %q", m["maxmemory"], m["maxmemory_policy"])
	}
	for _, hidden := range []string{"used_memory_rss", "mem_fragmentation_ratio", "go_heap_sys", "total_system_memory"} {
		if _, ok := m[hidden]; ok {
			t.Errorf("alice's INFO memory shows the server's %s", hidden)
		}
	}
	stats := alice.Do("MEMORY", "STATS")
	if !strings.Contains(stats, "+total.allocated :"+strconv.FormatInt(aliceBytes, 10)+" ") || !strings.Contains(stats, "+keys.count :2 ") ||
		strings.Contains(stats, "allocator") {
		t.Errorf("alice's MEMORY STATS: %s", stats)
	}
	// bob's key is not alice's to measure.
	runSteps(t, alice, []step{
		{cmd: "MEMORY USAGE b", want: "nil"},
		{cmd: "MEMORY DOCTOR", want: "-NOPERM User alice-rw has no permissions to run the 'memory|doctor' command"},
		{cmd: "MEMORY PURGE", want: "-NOPERM User alice-rw has no permissions to run the 'memory|purge' command"},
	})
	if _, bm := serverInfo(t, bob, "memory"); bm["used_memory"] != strconv.FormatInt(usage(bob, "b"), 10) {
		t.Errorf("bob's used_memory %q", bm["used_memory"])
	}

	// carol's storage quota is her maxmemory.
	if _, cm := serverInfo(t, f.as(t, "carol-rw"), "memory"); cm["maxmemory"] != "580" {
		t.Errorf("carol's maxmemory %q, her storage_limit_bytes is 580", cm["maxmemory"])
	}

	blind := f.as(t, "alice-w")
	if titles, _ := serverInfo(t, blind, "memory"); len(titles) != 0 {
		t.Errorf("a key without read sees INFO memory: %v", titles)
	}
	runSteps(t, blind, []step{
		{cmd: "MEMORY USAGE a", want: "-NOPERM User alice-w has no permissions to run the 'memory|usage' command"},
		{cmd: "MEMORY STATS", want: "-NOPERM User alice-w has no permissions to run the 'memory|stats' command"},
	})

	op := f.as(t, "operator")
	if _, om := serverInfo(t, op, "memory"); om["used_memory_rss"] == "" {
		t.Errorf("the operator's INFO memory lacks the process's RSS")
	}
	if got := op.Do("MEMORY", "DOCTOR"); !doctorReply(got) {
		t.Errorf("operator MEMORY DOCTOR: %s", got)
	}
}

// maxmemory sets the runtime's soft memory limit, so the collector works
// harder near it instead of letting garbage grow the process to twice the
// data; without maxmemory there is no limit.
func TestMemoryLimitFollowsMaxmemory(t *testing.T) {
	srv := startServer(t)
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	c := dial(t, srv)
	m := &memTuner{s: srv}
	m.samples = make([]metrics.Sample, len(memTuneMetrics))
	for i, name := range memTuneMetrics {
		m.samples[i].Name = name
	}
	runSteps(t, c, []step{{cmd: "CONFIG SET maxmemory 100mb", want: "+OK"}})
	m.tick()
	if got, want := debug.SetMemoryLimit(-1), int64(125<<20); got != want {
		t.Errorf("maxmemory 100mb: memory limit %d, want %d", got, want)
	}
	runSteps(t, c, []step{{cmd: "CONFIG SET maxmemory 0", want: "+OK"}})
	m.tick()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("maxmemory 0: memory limit %d, want none", got)
	}
}

// Once the server is idle, the heap it grew for data since deleted goes
// back to the system instead of staying resident.
func TestMemoryIdleServerReturnsFreedHeap(t *testing.T) {
	// The collector's figures are the process's. In the package's run, the
	// servers and garbage of the tests before this one share them (make
	// test's runs collected this idle server 3 more times where alone it
	// never was); a server runs alone in its process.
	if !runAlone(t) {
		return
	}
	// The heap the process holds resident: live and dead objects, and free
	// spans not yet given back. A gauge of released bytes would not do:
	// the load reuses pages an earlier test released.
	held := func() uint64 {
		s := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/free:bytes"},
		}
		metrics.Read(s)
		return s[0].Value.Uint64() + s[1].Value.Uint64()
	}
	srv := startServer(t)
	c := dial(t, srv)
	val := strings.Repeat("v", 4000)
	for i := range 20000 { // 80 MB
		if got := c.Do("SET", "k"+strconv.Itoa(i), val); got != "+OK" {
			t.Fatal(got)
		}
	}
	// Read before the FLUSHALL: the server's own tuner may release the heap
	// as soon as it has run, before the ticks below.
	loaded := held()
	runSteps(t, c, []step{{cmd: "FLUSHALL", want: "+OK"}})
	m := &memTuner{s: srv, envLimit: true}
	m.samples = make([]metrics.Sample, len(memTuneMetrics))
	for i, name := range memTuneMetrics {
		m.samples[i].Name = name
	}
	for range 4 { // the first tick only learns the allocation count
		m.tick()
	}
	if after := held(); after > loaded || loaded-after < 40<<20 {
		t.Errorf("an idle server still holds %d MB of heap after flushing 80 MB (%d MB before)", after>>20, loaded>>20)
	}
	// Once given back, an idle server is not collected again and again.
	// Counted on this tuner: the server's own ticks once a second on its
	// own state, whose releases are not what this checks.
	releases := m.releases
	for range 6 {
		m.tick()
	}
	if n := m.releases - releases; n != 0 {
		t.Errorf("an idle server with nothing to give back was collected %d more times", n)
	}
}

// redis-cli's --memkeys and --bigkeys scans work against Synap.
func TestMemoryRedisCliMemkeysAndBigkeys(t *testing.T) {
	resptest.NeedRedisServer(t)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		resptest.SkipWithoutRedis(t, "redis-cli is not on PATH")
	}
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("SET", "small", "v")
	c.Do("SET", "big", strings.Repeat("x", 3000))
	c.Do("RPUSH", "list", "a", "b", "c")
	c.Do("HSET", "hash", "f", "v")
	host, port, _ := strings.Cut(srv.Addr().String(), ":")
	big := strconv.Quote(c.Do("MEMORY", "USAGE", "big")[1:])
	for _, tc := range []struct{ flag, want string }{
		{"--memkeys", "Biggest string found '\"big\"' has " + strings.Trim(big, `"`) + " bytes"},
		{"--bigkeys", "Biggest string found '\"big\"' has 3000 bytes"},
	} {
		out, err := exec.Command(cli, "-h", host, "-p", port, tc.flag).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %s: %v\n%s", tc.flag, err, out)
		}
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "Sampled 4 keys") {
			t.Errorf("redis-cli %s: want %q\n%s", tc.flag, tc.want, out)
		}
	}
}

// runAlone runs the calling test again in a process of its own and reports
// false, or reports true when this is that process: for tests of what the
// runtime reports for the whole process.
func runAlone(t *testing.T) bool {
	t.Helper()
	if os.Getenv("SYNAP_TEST_ALONE") == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "SYNAP_TEST_ALONE="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("%s in a process of its own: %v\n%s", t.Name(), err, out)
	}
	return false
}

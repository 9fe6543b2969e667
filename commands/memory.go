package commands

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"synap/resp"
	"synap/tenant"
)

func init() {
	sub := func(name string, arity int, flags Flag, summary, complexity string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, ACL: []string{"slow"}, Group: "server",
			Since: "4.0.0", Summary: summary, Complexity: complexity, Need: tenant.NeedRead, Run: run}
	}
	usage := sub("usage", -3, FlagReadOnly, "Reports the bytes a key and its value hold, as the memory accounting counts them.",
		"O(1)", cmdMemoryUsage)
	usage.FirstKey, usage.LastKey, usage.Step = 2, 2, 1
	usage.ACL = []string{"read", "slow"}
	doctor := sub("doctor", 2, 0, "Reports memory problems the server finds and how to deal with them.", "O(1)", cmdMemoryDoctor)
	// It describes the process every tenant shares.
	doctor.Need = tenant.NeedServer
	purge := sub("purge", 2, 0, "Collects garbage and hands the free memory back to the operating system.", "Depends on how much memory is allocated",
		cmdMemoryPurge)
	purge.Need = tenant.NeedServer
	malloc := sub("malloc-stats", 2, 0, "Reports the memory allocator's internal statistics.", "Depends on how much memory is allocated",
		func(x *Ctx) { x.W.Verbatim("Stats not supported for the current allocator") })
	malloc.Need = tenant.NeedServer
	register(&Command{Name: "memory", Arity: -2, ACL: []string{"slow"}, Group: "server", Since: "4.0.0",
		Summary: "Groups the commands that report and manage memory use.", Complexity: "Depends on subcommand.",
		Subs: []*Command{
			usage,
			sub("stats", 2, 0, "Reports the server's memory use broken down (a tenant's own in cluster mode).", "O(1)", cmdMemoryStats),
			doctor,
			malloc,
			purge,
			sub("help", 2, FlagLoading|FlagStale, "Lists the MEMORY subcommands.", "O(1)", cmdMemoryHelp),
		}})
}

// memState is the server-wide memory bookkeeping beside the live heap
// sample: the peak INFO and MEMORY STATS report, and what the tuner last
// set as the runtime's memory limit.
type memState struct {
	peak     atomic.Int64
	startup  atomic.Int64 // heap in use once the server was built
	limitSet atomic.Int64
	purges   atomic.Int64 // idle releases of memory to the OS (tests, INFO)
}

// ReleaseCodePages, when set (cmd/synap on Linux), drops the executable's
// read-only pages from the resident set and returns the bytes of the
// mappings it released. The kernel maps code back from the file as it
// runs, 64 KB around each page first touched, so after a burst of traffic
// 8-10 MB of code that ran once (loading, parsing, the commands of the
// burst) stays resident for good; the idle rule below drops it again.
var ReleaseCodePages func() int64

// usedMemory is the server's used_memory: the heap its objects occupy,
// garbage not yet collected included, as maxmemory measures it. It also
// moves the peak.
func (s *Server) usedMemory() int64 {
	used := s.heapBytes.Load()
	if used == 0 {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(sample)
		used = int64(sample[0].Value.Uint64())
	}
	s.notePeak(used)
	return used
}

// notePeak raises the peak to used if it is more, and returns the peak.
func (s *Server) notePeak(used int64) int64 {
	for {
		p := s.mem.peak.Load()
		if used <= p {
			return p
		}
		if s.mem.peak.CompareAndSwap(p, used) {
			return used
		}
	}
}

// Tuning the runtime's memory use, once a second:
//
//   - maxmemory bounds used_memory, but with the collector's default pacing
//     the process may hold up to twice the live heap between collections.
//     The runtime's soft memory limit is set a quarter above maxmemory, so
//     the collector works harder as the process nears it instead of
//     letting the garbage take the machine; a GOMEMLIMIT in the
//     environment is the operator's choice and is left alone.
//   - After a burst of writes the heap keeps the room the collector grew
//     it to, which the runtime's background scavenger releases only down
//     to its next goal (twice the live data). Once the server is idle
//     (almost nothing allocated and almost no command run for two ticks)
//     and what it holds beyond its live data is more than an eighth of it,
//     one collection runs and the free pages go back to the system, so a
//     loaded but quiet server's RSS is close to its data. A busy server
//     never pays for it: reads and in-place overwrites allocate almost
//     nothing, so allocations alone called a server serving 60 clients
//     idle, and the forced collection of its 1M keys (1.6 s of marking on
//     its one processor, the page release after it not preemptible)
//     stalled every client for up to half a second.
const (
	memTuneEvery    = time.Second
	memIdleAllocs   = 1 << 20  // bytes allocated per tick that still count as idle
	memIdleCommands = 100      // commands run per tick that still count as idle
	memSlackMin     = 16 << 20 // the runtime's own share of the live heap guessed before the first release
	// memReleaseMin is the least an idle collection must be able to give
	// back. A collection of a small heap costs milliseconds, and on the
	// small datasets a shared server's tenants mostly are, 5 MB of garbage
	// left after a load is a fifth of the data (10k sorted sets: 42.6 MB
	// resident with it, 37.7 after MEMORY PURGE).
	memReleaseMin    = 4 << 20
	memLimitHeadroom = 4 // the limit is maxmemory + maxmemory/memLimitHeadroom
)

var memTuneMetrics = []string{
	"/gc/heap/allocs:bytes",
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/free:bytes",
}

// memTuner carries the tuner's state from tick to tick.
type memTuner struct {
	s           *Server
	samples     []metrics.Sample
	allocs      uint64
	commands    int64
	idleTicks   int
	envLimit    bool
	releaseCode func() int64 // ReleaseCodePages when the tuner started
	// busy: a tick since the last release of the code pages was not idle,
	// so the code it ran may be resident again.
	busy bool
	// releases counts this tuner's heap releases (the server's purges
	// also count MEMORY PURGE and other tuners').
	releases int
	// overhead is the live heap beyond the namespaces' accounted bytes at
	// the last release.
	overhead uint64
}

// dataBytes is what every namespace accounts, an upper bound of the heap
// its data takes.
func (m *memTuner) dataBytes() uint64 {
	var data uint64
	for _, ns := range m.s.Eng.Namespaces() {
		data += uint64(max(ns.Bytes(), 0))
	}
	return data
}

func (s *Server) tuneMemory() {
	s.mem.startup.Store(s.usedMemory())
	m := &memTuner{s: s, envLimit: os.Getenv("GOMEMLIMIT") != "", releaseCode: ReleaseCodePages}
	for _, name := range memTuneMetrics {
		m.samples = append(m.samples, metrics.Sample{Name: name})
	}
	t := time.NewTicker(memTuneEvery)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		m.tick()
	}
}

func (m *memTuner) tick() {
	s := m.s
	s.usedMemory()
	for _, ns := range s.Eng.Namespaces() {
		ns.NotePeak()
	}
	if !m.envLimit {
		m.applyLimit(s.Config().MaxMemory)
	}
	metrics.Read(m.samples)
	v := func(i int) uint64 { return m.samples[i].Value.Uint64() }
	allocs, live, objects, free := v(0), v(1), v(2), v(3)
	// The last collection's live figure knows nothing of data deleted
	// since (a FLUSHALL on a quiet server is followed by no collection at
	// all). What the namespaces account is at least what their data takes
	// on the heap (the charges are measured upper bounds), so with the
	// runtime's own share added it bounds the live heap from above too.
	// The runtime's own share (buffers, tables, statistics) is learned at
	// each release: without it an idle server whose share passed the
	// guess would be collected again and again.
	data := m.dataBytes()
	live = min(live, data+max(m.overhead, memSlackMin))
	commands := s.Stats.Commands.Load()
	if allocs-m.allocs < memIdleAllocs && commands-m.commands < memIdleCommands {
		m.idleTicks++
	} else {
		m.idleTicks = 0
		m.busy = true
	}
	m.allocs, m.commands = allocs, commands
	idle := m.idleTicks >= 2
	// Only what a collection can give back counts: garbage among the
	// objects and free spans. Right after a release both are nearly zero,
	// so an idle server is not collected again until it allocates.
	if idle && memSlack(live, objects+free) {
		s.releaseMemory()
		m.releases++
		metrics.Read(m.samples)
		m.allocs = v(0)
		m.idleTicks = 0
		// Right after a full collection the live figure is exact.
		if live, data := v(1), m.dataBytes(); live > data {
			m.overhead = live - data
		}
	}
	// The code pages go once per idle period: a server with a trickle of
	// commands (under memIdleCommands a second) keeps the few pages they
	// run, instead of faulting them back every two seconds. Decided on the
	// idleness seen before a heap release restarts the count: a heap that
	// had something to give back at every second idle tick kept the code
	// pages resident for good.
	if idle && m.busy && m.releaseCode != nil {
		m.busy = false
		m.releaseCode()
	}
}

// memSlack reports whether the heap holds enough beyond its live data
// (garbage, free spans not yet returned) to be worth one collection.
func memSlack(live, held uint64) bool {
	return held > live && held-live > max(memReleaseMin, live/8)
}

// applyLimit sets the runtime's soft memory limit from maxmemory, and
// lifts the one it set when maxmemory goes back to 0. A server that never
// had maxmemory leaves the process's limit alone (tests run several
// servers in one process).
func (m *memTuner) applyLimit(maxmemory int64) {
	set := m.s.mem.limitSet.Load() // 0: none set by this server
	switch {
	case maxmemory > 0:
		if limit := maxmemory + maxmemory/memLimitHeadroom; limit != set {
			debug.SetMemoryLimit(limit)
			m.s.mem.limitSet.Store(limit)
		}
	case set != 0:
		debug.SetMemoryLimit(math.MaxInt64)
		m.s.mem.limitSet.Store(0)
	}
}

// releaseMemory collects and returns the free heap to the operating system.
func (s *Server) releaseMemory() {
	s.Eng.CompactIndex()
	debug.FreeOSMemory()
	s.mem.purges.Add(1)
}

// MEMORY USAGE key [SAMPLES count]: the bytes the key counts in its
// namespace, so the figures of all keys add up to what INFO and the
// storage quota report. Synap counts every element when it writes, so
// there is nothing to sample; SAMPLES is checked as Redis checks it.
func cmdMemoryUsage(x *Ctx) {
	for i := 3; i < len(x.Args); i++ {
		if !strings.EqualFold(string(x.Args[i]), "samples") || i+1 >= len(x.Args) {
			x.SyntaxError()
			return
		}
		n, err := strconv.ParseInt(string(x.Args[i+1]), 10, 64)
		if err != nil {
			x.Error(resp.ErrNotInteger)
			return
		}
		if n < 0 {
			x.SyntaxError()
			return
		}
		i++
	}
	en := lookupNoTouch(x, x.Args[2])
	if en == nil {
		x.W.Null()
		return
	}
	x.W.Int(en.Accounted())
}

// memoryFigures are MEMORY STATS' and MEMORY DOCTOR's inputs: the server's
// own, or in cluster mode the tenant's, never the other.
type memoryFigures struct {
	peak, total, startup, dataset, keys int64
	rss                                 int64 // 0: not the caller's to see
}

func memoryFiguresOf(x *Ctx) memoryFigures {
	if x.C.T != nil {
		ns := x.C.NS
		b := ns.Bytes()
		return memoryFigures{peak: max(ns.NotePeak(), b), total: b, dataset: b, keys: ns.Keys()}
	}
	f := memoryFigures{total: x.S.usedMemory(), startup: x.S.mem.startup.Load(), rss: serverRSS()}
	f.peak = max(x.S.mem.peak.Load(), f.total)
	for _, db := range x.S.DBs {
		f.dataset += db.Bytes()
		f.keys += db.Keys()
	}
	return f
}

func cmdMemoryStats(x *Ctx) {
	f := memoryFiguresOf(x)
	overhead := max(f.total-f.dataset, 0)
	type field struct {
		name string
		i    int64
		d    float64
		dbl  bool
	}
	fields := []field{
		{name: "peak.allocated", i: f.peak},
		{name: "total.allocated", i: f.total},
		{name: "startup.allocated", i: f.startup},
		{name: "overhead.total", i: overhead},
		{name: "keys.count", i: f.keys},
		{name: "keys.bytes-per-key", i: perKey(f.dataset, f.keys)},
		{name: "dataset.bytes", i: f.dataset},
		{name: "dataset.percentage", d: percent(f.dataset, f.total), dbl: true},
		{name: "peak.percentage", d: percent(f.total, f.peak), dbl: true},
	}
	if f.rss > 0 {
		fields = append(fields,
			field{name: "allocator.allocated", i: f.total},
			field{name: "allocator.resident", i: f.rss},
			field{name: "fragmentation", d: ratio(f.rss, f.total), dbl: true},
			field{name: "fragmentation.bytes", i: f.rss - f.total})
	}
	x.W.Map(len(fields))
	for _, fl := range fields {
		x.W.Simple(fl.name)
		if fl.dbl {
			x.W.Double(fl.d)
		} else {
			x.W.Int(fl.i)
		}
	}
}

func perKey(bytes, keys int64) int64 {
	if keys == 0 {
		return 0
	}
	return bytes / keys
}

func percent(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Redis's MEMORY DOCTOR texts, for the cases Synap can tell.
const (
	doctorEmpty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."
	doctorFine  = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
)

func cmdMemoryDoctor(x *Ctx) {
	f := memoryFiguresOf(x)
	if f.total < 5<<20 {
		x.W.Verbatim(doctorEmpty)
		return
	}
	var issues []string
	if f.peak > f.total*3/2 {
		issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The Go heap keeps the room it grew to until it is idle; MEMORY PURGE returns it now.")
	}
	if f.rss > 0 && f.rss > f.total*14/10 && f.rss-f.total > 10<<20 {
		issues = append(issues, " * High fragmentation: This instance has a memory fragmentation ratio greater than 1.4 (the RSS is more than 1.4 times the heap in use). MEMORY PURGE returns the free heap to the system.")
	}
	if len(issues) == 0 {
		x.W.Verbatim(doctorFine)
		return
	}
	x.W.Verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
		strings.Join(issues, "\n\n") + "\n\nI'm here to keep you safe, Sam. I want to help you.\n")
}

func cmdMemoryPurge(x *Ctx) {
	x.S.releaseMemory()
	x.W.OK()
}

func cmdMemoryHelp(x *Ctx) {
	writeHelp(x,
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	)
}

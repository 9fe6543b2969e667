package commands

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Latency, as Redis 7 reports it:
//
//   - every command's latencies in a histogram (latency-tracking yes),
//     read as percentiles by INFO latencystats (latency_percentiles_usec_
//     lines, which exporters turn into metrics) and as a cumulative
//     distribution by LATENCY HISTOGRAM;
//   - the latency monitor (latency-monitor-threshold milliseconds, 0: off):
//     commands that ran at least that long are recorded as "command" or
//     "fast-command" events, the latest 160 of each, for LATENCY LATEST,
//     HISTORY, GRAPH, DOCTOR and RESET.
//
// A histogram has 16 buckets per power of two of nanoseconds, so a
// percentile is within 1/16 (6%) of the true value, as Redis's
// HdrHistogram keeps two significant digits. Calls are gathered per
// connection (statbatch.go) and added to the command's histogram with its
// other statistics, so a command costs no shared write of its own.
//
// Both are the server's: in cluster mode only the operator reads them
// (admin flag; a tenant's INFO has no latencystats), since they show every
// tenant's commands.

func init() {
	adm := func(name string, arity int, summary, complexity string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale,
			ACL: []string{"admin", "slow", "dangerous"}, Group: "server", Since: "2.8.13",
			Summary: summary, Complexity: complexity, Run: run}
	}
	histogram := adm("histogram", -2, "Returns the cumulative distribution of latencies of a subset or all commands.",
		"O(N) where N is the number of commands with latency information being retrieved.", cmdLatencyHistogram)
	histogram.Since = "7.0.0"
	register(&Command{Name: "latency", Arity: -2, ACL: []string{"slow"}, Group: "server", Since: "2.8.13",
		Summary: "A container for latency diagnostics commands.", Complexity: "Depends on subcommand.",
		Subs: []*Command{
			adm("latest", 2, "Returns the latest latency samples for all events.", "O(1)", cmdLatencyLatest),
			adm("history", 3, "Returns timestamp-latency samples for an event.", "O(1)", cmdLatencyHistory),
			adm("reset", -2, "Resets the latency data for one or more events.", "O(1)", cmdLatencyReset),
			adm("graph", 3, "Returns a latency graph for an event.", "O(1)", cmdLatencyGraph),
			adm("doctor", 2, "Returns a human-readable latency analysis report.", "O(1)", cmdLatencyDoctor),
			histogram,
			{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"slow"}, Group: "server",
				Since: "2.8.13", Summary: "Returns helpful text about the different subcommands.", Complexity: "O(1)",
				Run: cmdLatencyHelp},
		}})
	serverParams = append(serverParams,
		serverParam{name: "latency-tracking-info-percentiles",
			get: func(_ *Server, c *Config) string { return formatPercentiles(c.LatencyPercentiles) },
			set: func(c *Config, v []byte) string {
				ps, msg := ParsePercentiles(string(v))
				if msg == "" {
					c.LatencyPercentiles = ps
				}
				return msg
			}},
		serverParam{name: "latency-tracking",
			get: func(_ *Server, c *Config) string { return yesNo(c.LatencyTracking) },
			set: func(c *Config, v []byte) string {
				norm, msg := serverParseYesNo(v)
				if msg == "" {
					c.LatencyTracking = norm == "yes"
				}
				return msg
			}},
		intParam("latency-monitor-threshold", 0, math.MaxInt64, func(c *Config) *int64 { return &c.LatencyMonitorThreshold }),
	)
}

// ParsePercentiles reads a space-separated list of numbers in [0, 100];
// what is wrong with it is Redis's text, "" when nothing is.
func ParsePercentiles(s string) ([]float64, string) {
	var ps []float64
	for _, f := range strings.Fields(s) {
		p, err := strconv.ParseFloat(f, 64)
		switch {
		case err != nil || math.IsNaN(p):
			return nil, "Invalid latency-tracking-info-percentiles parameters"
		case p < 0 || p > 100:
			return nil, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		ps = append(ps, p)
	}
	return ps, ""
}

func formatPercentiles(ps []float64) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = strconv.FormatFloat(p, 'f', -1, 64)
	}
	return strings.Join(out, " ")
}

// ---- histograms ----

const (
	latSub = 16 // buckets per power of two
	// latMaxNs caps a recorded latency (about 18 minutes).
	latMaxNs   = 1<<40 - 1
	latBuckets = (40-4+1)*latSub + latSub
)

// latHist is a command's histogram, and the sum of its latencies in
// nanoseconds (commandstats' usec truncates every fast call to 0).
type latHist struct {
	b     [latBuckets]atomic.Int64
	sumNs atomic.Int64
}

// latIndex is the bucket of a latency of ns nanoseconds: exact below 32,
// then 16 per power of two.
func latIndex(ns int64) int {
	ns = min(max(ns, 0), latMaxNs)
	if ns < 2*latSub {
		return int(ns)
	}
	e := bits.Len64(uint64(ns)) - 5 // ns>>e is in [16, 31]
	return (e+1)*latSub + int(ns>>e) - latSub
}

// latUpper is the largest latency of bucket i, in nanoseconds.
func latUpper(i int) int64 {
	if i < 2*latSub {
		return int64(i)
	}
	e := i/latSub - 1
	return int64(i%latSub+latSub+1)<<e - 1
}

// latPend is one bucket's calls gathered by a connection.
type latPend struct {
	idx uint16
	n   uint32
}

// noteLatency gathers one call's latency for the command p counts.
func (p *statPending) noteLatency(ns int64) {
	p.latNs += ns
	idx := uint16(latIndex(ns))
	for i := range p.lat[:p.nlat] {
		if p.lat[i].idx == idx {
			p.lat[i].n++
			return
		}
	}
	if int(p.nlat) == len(p.lat) {
		p.flushLatency()
	}
	p.lat[p.nlat] = latPend{idx: idx, n: 1}
	p.nlat++
}

// flushLatency adds the gathered latencies to the command's histogram.
func (p *statPending) flushLatency() {
	if p.nlat == 0 {
		return
	}
	h := p.cmd.stats.lat.Load()
	if h == nil {
		h = new(latHist)
		if !p.cmd.stats.lat.CompareAndSwap(nil, h) {
			h = p.cmd.stats.lat.Load()
		}
	}
	for _, l := range p.lat[:p.nlat] {
		h.b[l.idx].Add(int64(l.n))
	}
	h.sumNs.Add(p.latNs)
	p.nlat, p.latNs = 0, 0
}

// snapshot copies h's counts and returns their total.
func (h *latHist) snapshot(counts *[latBuckets]int64) int64 {
	var total int64
	for i := range h.b {
		counts[i] = h.b[i].Load()
		total += counts[i]
	}
	return total
}

// cumulative calls cb with the count of calls at or below each power of
// two of nanoseconds from 1024, until every call is counted.
func cumulative(counts *[latBuckets]int64, total int64, cb func(boundNs, calls int64)) {
	var cum int64
	i := 0
	for bound := int64(1024); cum < total && bound <= latMaxNs+1; bound *= 2 {
		for ; i < latBuckets && latUpper(i) < bound; i++ {
			cum += counts[i]
		}
		cb(bound, cum)
	}
}

// CommandLatency is one command's latency distribution, for exporters.
type CommandLatency struct {
	Name    string
	Calls   int64
	Seconds float64 // the sum of the calls' latencies
	// Buckets are the calls at or below each bound, in seconds: powers of
	// two of nanoseconds from 1.024 µs up to the slowest call's.
	Buckets map[float64]uint64
}

// CommandLatencies returns the distribution of every command with calls
// (latency-tracking).
func (s *Server) CommandLatencies() []CommandLatency {
	var out []CommandLatency
	var counts [latBuckets]int64
	for _, c := range latencyCommands(s) {
		h := c.stats.lat.Load()
		total := h.snapshot(&counts)
		if total == 0 {
			continue
		}
		l := CommandLatency{Name: c.Name, Calls: total, Seconds: float64(h.sumNs.Load()) / 1e9, Buckets: map[float64]uint64{}}
		cumulative(&counts, total, func(bound, calls int64) { l.Buckets[float64(bound)/1e9] = uint64(calls) })
		out = append(out, l)
	}
	return out
}

// percentile is the latency, in nanoseconds, at or below which p percent
// of the calls ran: the largest value of the bucket holding that call.
func percentile(counts *[latBuckets]int64, total int64, p float64) int64 {
	rank := int64(math.Ceil(p / 100 * float64(total)))
	rank = max(rank, 1)
	var seen int64
	for i, n := range counts {
		seen += n
		if seen >= rank {
			return latUpper(i)
		}
	}
	return latUpper(latBuckets - 1)
}

// latencyCommands lists the commands (subcommands included, in table
// order) with a histogram holding calls.
func latencyCommands(s *Server) []*Command {
	var out []*Command
	var walk func(cs []*Command)
	walk = func(cs []*Command) {
		for _, c := range cs {
			if c.stats.lat.Load() != nil {
				out = append(out, c)
			}
			walk(c.Subs)
		}
	}
	walk(s.Table.All())
	return out
}

func infoLatencyStats(x *Ctx, b *serverInfoBuf) {
	if x.C.T != nil {
		return // the server's, not the tenant's
	}
	ps := x.S.Config().LatencyPercentiles
	var counts [latBuckets]int64
	for _, c := range latencyCommands(x.S) {
		total := c.stats.lat.Load().snapshot(&counts)
		if total == 0 {
			continue
		}
		parts := make([]string, len(ps))
		for i, p := range ps {
			parts[i] = fmt.Sprintf("p%s=%.3f", strconv.FormatFloat(p, 'f', -1, 64), float64(percentile(&counts, total, p))/1000)
		}
		b.str("latency_percentiles_usec_"+c.Name, strings.Join(parts, ","))
	}
}

// cmdLatencyHistogram replies, for each command named (all with calls
// when none is), its calls and the cumulative count of calls at or below
// each power of two from 1024 ns, in microseconds, where the count grows,
// as Redis does.
func cmdLatencyHistogram(x *Ctx) {
	var cmds []*Command
	if len(x.Args) == 2 {
		cmds = latencyCommands(x.S)
	} else {
		for _, a := range x.Args[2:] {
			c := x.S.Table.Lookup(a)
			if name, sub, ok := strings.Cut(Lower(a), "|"); ok {
				if c = x.S.Table.Lookup([]byte(name)); c != nil {
					c = c.Sub([]byte(sub))
				}
			}
			if c != nil && c.stats.lat.Load() != nil && !slices.Contains(cmds, c) {
				cmds = append(cmds, c)
			}
		}
	}
	type row struct {
		name   string
		calls  int64
		points [][2]int64
	}
	var rows []row
	var counts [latBuckets]int64
	for _, c := range cmds {
		total := c.stats.lat.Load().snapshot(&counts)
		if total == 0 {
			continue
		}
		r := row{name: c.Name, calls: total}
		var last int64
		cumulative(&counts, total, func(bound, cum int64) {
			if cum > last {
				r.points = append(r.points, [2]int64{bound / 1000, cum})
				last = cum
			}
		})
		rows = append(rows, r)
	}
	w := x.W
	w.Map(len(rows))
	for _, r := range rows {
		w.BulkString(r.name)
		w.Map(2)
		w.BulkString("calls")
		w.Int(r.calls)
		w.BulkString("histogram_usec")
		w.Map(len(r.points))
		for _, p := range r.points {
			w.Int(p[0])
			w.Int(p[1])
		}
	}
}

func cmdLatencyHelp(x *Ctx) {
	writeHelp(x,
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	)
}

// ---- the latency monitor ----

// latencyHistoryLen is how many samples an event keeps (Redis's
// LATENCY_TS_LEN).
const latencyHistoryLen = 160

type latencySample struct {
	at int64 // unix seconds
	ms int64
}

type latencyEvent struct {
	samples []latencySample // oldest first, at most latencyHistoryLen
	max     int64
}

// latencyMonitor holds the events; its mutex is taken only by commands
// that ran past the threshold and by the LATENCY commands.
type latencyMonitor struct {
	mu     sync.Mutex
	events map[string]*latencyEvent
}

// noteLatency records a command that ran dur, when the monitor is on and
// dur reaches its threshold.
func (s *Server) noteLatency(cmd *Command, dur time.Duration, now time.Time) {
	th := s.Config().LatencyMonitorThreshold
	if th <= 0 || dur < time.Duration(th)*time.Millisecond {
		return
	}
	name := "command"
	if cmd.Flags&FlagFast != 0 {
		name = "fast-command"
	}
	ms := int64(dur / time.Millisecond)
	m := &s.latMon
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*latencyEvent{}
	}
	ev := m.events[name]
	if ev == nil {
		ev = &latencyEvent{}
		m.events[name] = ev
	}
	at := now.Unix()
	// One sample per second, the highest, as Redis keeps them.
	if n := len(ev.samples); n > 0 && ev.samples[n-1].at == at {
		ev.samples[n-1].ms = max(ev.samples[n-1].ms, ms)
	} else {
		if n == latencyHistoryLen {
			ev.samples = append(ev.samples[:0], ev.samples[1:]...)
		}
		ev.samples = append(ev.samples, latencySample{at: at, ms: ms})
	}
	ev.max = max(ev.max, ms)
}

// latencyEvents returns a copy of the events, by name.
func (s *Server) latencyEvents() map[string]latencyEvent {
	m := &s.latMon
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]latencyEvent, len(m.events))
	for name, ev := range m.events {
		out[name] = latencyEvent{samples: slices.Clone(ev.samples), max: ev.max}
	}
	return out
}

func cmdLatencyLatest(x *Ctx) {
	evs := x.S.latencyEvents()
	names := slices.Sorted(maps.Keys(evs))
	x.W.Array(len(names))
	for _, n := range names {
		ev := evs[n]
		last := ev.samples[len(ev.samples)-1]
		x.W.Array(4)
		x.W.BulkString(n)
		x.W.Int(last.at)
		x.W.Int(last.ms)
		x.W.Int(ev.max)
	}
}

func cmdLatencyHistory(x *Ctx) {
	ev := x.S.latencyEvents()[string(x.Args[2])]
	x.W.Array(len(ev.samples))
	for _, s := range ev.samples {
		x.W.Array(2)
		x.W.Int(s.at)
		x.W.Int(s.ms)
	}
}

func cmdLatencyReset(x *Ctx) {
	m := &x.S.latMon
	m.mu.Lock()
	n := 0
	if len(x.Args) == 2 {
		n = len(m.events)
		m.events = nil
	} else {
		for _, a := range x.Args[2:] {
			if _, ok := m.events[string(a)]; ok {
				delete(m.events, string(a))
				n++
			}
		}
	}
	m.mu.Unlock()
	x.W.Int(int64(n))
}

// cmdLatencyGraph draws an event's samples as columns of '#', oldest on
// the left, highest at the top, each labelled below with its age.
func cmdLatencyGraph(x *Ctx) {
	name := string(x.Args[2])
	ev, ok := x.S.latencyEvents()[name]
	if !ok || len(ev.samples) == 0 {
		x.Error(sanitize(fmt.Sprintf(errLatencyNoSamples, name)))
		return
	}
	lo, hi := ev.samples[0].ms, ev.samples[0].ms
	for _, s := range ev.samples {
		lo, hi = min(lo, s.ms), max(hi, s.ms)
	}
	const rows = 4
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", name, hi, lo, ev.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for r := rows; r >= 1; r-- {
		for _, s := range ev.samples {
			level := int64(1)
			if hi > lo {
				level = 1 + (s.ms-lo)*(rows-1)/(hi-lo)
			}
			if level >= int64(r) {
				b.WriteByte('#')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	now := time.Now().Unix()
	for _, s := range ev.samples {
		b.WriteString(strconv.FormatInt(min(now-s.at, 9), 10))
	}
	b.WriteString("\n(seconds ago, 9 for 9 or more)\n")
	x.W.Verbatim(b.String())
}

func cmdLatencyDoctor(x *Ctx) {
	th := x.S.Config().LatencyMonitorThreshold
	evs := x.S.latencyEvents()
	var b strings.Builder
	switch {
	case th <= 0 && len(evs) == 0:
		b.WriteString("Latency monitoring is disabled on this server: CONFIG SET latency-monitor-threshold <milliseconds> turns it on.\n")
	case len(evs) == 0:
		fmt.Fprintf(&b, "No command has run %d ms or longer since the latency monitor was turned on or reset.\n", th)
	default:
		fmt.Fprintf(&b, "Commands that ran %d ms or longer, by event:\n\n", th)
		for _, n := range slices.Sorted(maps.Keys(evs)) {
			ev := evs[n]
			var sum int64
			for _, s := range ev.samples {
				sum += s.ms
			}
			fmt.Fprintf(&b, "%s: %d latency spikes (average %d ms, worst %d ms, all time high %d ms).\n",
				n, len(ev.samples), sum/int64(len(ev.samples)), slices.MaxFunc(ev.samples, func(a, b latencySample) int {
					return int(a.ms - b.ms)
				}).ms, ev.max)
		}
		b.WriteString("\nSLOWLOG GET names the commands; INFO latencystats and LATENCY HISTOGRAM give every command's distribution.\n")
	}
	x.W.Verbatim(b.String())
}

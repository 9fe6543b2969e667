package commands

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"synap/engine"
	"synap/tenant"
)

// The server family: INFO, CONFIG, TIME, LASTSAVE and SHUTDOWN.

func init() {
	const adminFlags = FlagAdmin | FlagNoScript | FlagLoading | FlagStale
	adminACL := []string{"admin", "slow", "dangerous"}
	cfg := func(name string, arity int, since, summary, complexity string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: adminFlags, ACL: adminACL,
			Group: "server", Since: since, Summary: summary, Complexity: complexity, Run: run}
	}
	register(
		&Command{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, ACL: []string{"slow", "dangerous"},
			Group: "server", Since: "1.0.0", Summary: "Reports the server's state and statistics, by section.",
			Complexity: "O(1)", Run: cmdInfo},
		&Command{Name: "config", Arity: -2, ACL: []string{"slow"}, Group: "server", Since: "2.0.0",
			Summary: "Groups the commands that read and change the live configuration.", Complexity: "Depends on subcommand.",
			Subs: []*Command{
				cfg("get", -3, "2.0.0", "Returns the parameters whose names match glob patterns, with their values.",
					"O(N) when N is the number of configuration parameters provided", cmdConfigGet),
				cfg("set", -4, "2.0.0", "Changes parameters of the running server, all of them or none.",
					"O(N) when N is the number of configuration parameters provided", cmdConfigSet),
				cfg("resetstat", 2, "2.0.0", "Zeroes the statistics INFO reports.", "O(1)", cmdConfigResetStat),
				{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"slow"}, Group: "server",
					Since: "5.0.0", Summary: "Lists the CONFIG subcommands and what they do.", Complexity: "O(1)",
					Run: cmdConfigHelp},
			}},
		&Command{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, ACL: []string{"fast"},
			Group: "server", Since: "2.6.0", Summary: "Returns the server's clock as seconds and microseconds.",
			Complexity: "O(1)", Run: cmdTime},
		&Command{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast,
			ACL: []string{"admin", "fast", "dangerous"}, Group: "server", Since: "1.0.0",
			Summary: "Returns the unix time of the last successful save to disk.", Complexity: "O(1)", Run: cmdLastSave},
		&Command{Name: "shutdown", Arity: -1, Flags: adminFlags | FlagNoMulti | FlagAllowBusy, ACL: adminACL,
			Group: "server", Since: "1.0.0", Summary: "Disconnects every client and stops the server.",
			Complexity: "O(N) when saving, where N is the number of keys in all databases", Run: cmdShutdown},
	)
}

func cmdTime(x *Ctx) {
	now := time.Now()
	x.W.Array(2)
	x.W.BulkInt(now.Unix())
	x.W.BulkInt(int64(now.Nanosecond() / 1000))
}

func cmdLastSave(x *Ctx) { x.W.Int(x.S.LastSave()) }

// parseShutdown checks SHUTDOWN's flags and reports whether it is ABORT.
// NOW and FORCE change nothing here: Synap has nothing to wait for or to
// fail to save.
func parseShutdown(x *Ctx) (abort, ok bool) {
	var save, nosave, other bool
	for _, a := range x.Args[1:] {
		switch Lower(a) {
		case "save":
			save, other = true, true
		case "nosave":
			nosave, other = true, true
		case "now", "force":
			other = true
		case "abort":
			abort = true
		default:
			x.SyntaxError()
			return false, false
		}
	}
	if (abort && other) || (save && nosave) {
		x.SyntaxError()
		return false, false
	}
	return abort, true
}

func cmdShutdown(x *Ctx) {
	abort, ok := parseShutdown(x)
	switch {
	case !ok:
		return
	case abort:
		x.Error(errShutdownNone) // a shutdown here never waits, so none can be in progress
		return
	}
	for _, a := range x.Args[1:] {
		switch Lower(a) {
		case "save":
			x.S.shutdownMode.Store(ShutdownSave)
		case "nosave":
			x.S.shutdownMode.Store(ShutdownNoSave)
		}
	}
	// Redis answers a successful SHUTDOWN by closing the connection.
	x.S.Log.Warn("SHUTDOWN requested, closing", "addr", x.C.Addr, "id", x.C.ID)
	x.C.CloseAfterReply()
	s := x.S // x is reused once the handler returns
	go func() { _ = s.Close() }()
}

// --- INFO ---

// serverInfoSection is one INFO section, in Redis's order.
type serverInfoSection struct {
	name    string
	title   string
	dflt    bool
	aliases []string
	// tenant: a tenant's INFO includes the section (about itself only).
	tenant bool
	// tenantRead: only for a key that may read, as the section counts what
	// the tenant stores.
	tenantRead bool
	write      func(x *Ctx, b *serverInfoBuf)
}

var serverInfoSections = []serverInfoSection{
	{name: "server", title: "Server", dflt: true, tenant: true, write: infoServer},
	{name: "clients", title: "Clients", dflt: true, tenant: true, write: infoClients},
	{name: "memory", title: "Memory", dflt: true, tenant: true, tenantRead: true, write: infoMemory},
	{name: "persistence", title: "Persistence", dflt: true, write: infoPersistence},
	{name: "stats", title: "Stats", dflt: true, write: infoStats},
	{name: "replication", title: "Replication", dflt: true, write: infoReplication},
	{name: "cpu", title: "CPU", dflt: true, write: infoCPU},
	{name: "modules", title: "Modules", dflt: true, aliases: []string{"module_list"}, write: func(*Ctx, *serverInfoBuf) {}},
	{name: "commandstats", title: "Commandstats", tenant: true, write: infoCommandStats},
	{name: "errorstats", title: "Errorstats", dflt: true, write: infoErrorStats},
	{name: "latencystats", title: "Latencystats", write: infoLatencyStats},
	{name: "cluster", title: "Cluster", dflt: true, write: func(_ *Ctx, b *serverInfoBuf) { b.int("cluster_enabled", 0) }},
	{name: "keyspace", title: "Keyspace", dflt: true, tenant: true, write: infoKeyspace},
	{name: "tenant", title: "Tenant", dflt: true, tenant: true, write: infoTenant},
}

// serverInfoBuf builds INFO text: "name:value" lines ending in CRLF.
type serverInfoBuf struct{ strings.Builder }

func (b *serverInfoBuf) str(k, v string) {
	b.WriteString(k)
	b.WriteByte(':')
	b.WriteString(v)
	b.WriteString("\r\n")
}

func (b *serverInfoBuf) int(k string, v int64) { b.str(k, strconv.FormatInt(v, 10)) }

// parseInfo resolves INFO's arguments to the set of sections to print.
func parseInfo(args [][]byte) map[string]bool {
	want := map[string]bool{}
	if len(args) == 0 {
		args = [][]byte{[]byte("default")}
	}
	for _, a := range args {
		name := Lower(a)
		for _, s := range serverInfoSections {
			switch {
			case name == "all" || name == "everything",
				name == "default" && s.dflt,
				name == s.name:
				want[s.name] = true
			}
			for _, alias := range s.aliases {
				if name == alias {
					want[s.name] = true
				}
			}
		}
	}
	return want
}

func cmdInfo(x *Ctx) {
	want := parseInfo(x.Args[1:])
	var b serverInfoBuf
	for _, s := range serverInfoSections {
		// A tenant sees only sections about itself: server-wide figures
		// (memory, stats, errors) would tell it about other tenants.
		if !want[s.name] || (x.C.T != nil && !s.tenant) || (s.name == "tenant" && x.C.T == nil) {
			continue
		}
		if x.C.T != nil && s.tenantRead && (x.C.P == nil || !x.C.P.Allows(tenant.NeedRead)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + s.title + "\r\n")
		s.write(x, &b)
	}
	x.W.Verbatim(b.String())
}

// serverRunID is a 40 hex digit id that differs between server runs, as
// Redis's run_id does; salt separates ids derived from the same run.
func serverRunID(s *Server, salt string) string {
	sum := sha1.Sum(fmt.Appendf(nil, "%s %d %d %p", salt, os.Getpid(), s.StartTime().UnixNano(), s))
	return hex.EncodeToString(sum[:])
}

// serverPort is the port the server really listens on (the configured one
// may be 0).
func serverPort(s *Server) int {
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return s.Config().Port
}

func infoServer(x *Ctx, b *serverInfoBuf) {
	s := x.S
	now := time.Now()
	up := int64(now.Sub(s.StartTime()) / time.Second)
	// A tenant shares the process with others: what describes the host
	// (its build, pid, run id, port, executable) is the operator's.
	host := x.C.T == nil
	b.str("redis_version", RedisVersion)
	b.str("synap_version", Version)
	b.str("redis_mode", "standalone")
	if host {
		b.str("os", runtime.GOOS+" "+runtime.GOARCH)
		b.int("arch_bits", strconv.IntSize)
		b.str("go_version", runtime.Version())
		b.int("process_id", int64(os.Getpid()))
		b.str("run_id", serverRunID(s, "run"))
		b.int("tcp_port", int64(serverPort(s)))
	}
	b.int("server_time_usec", now.UnixMicro())
	b.int("uptime_in_seconds", up)
	b.int("uptime_in_days", up/86400)
	// The engine's active expiry runs at Redis's default frequency.
	b.int("hz", 10)
	b.int("configured_hz", 10)
	if exe, err := os.Executable(); err == nil && host {
		b.str("executable", exe)
	}
}

func infoClients(x *Ctx, b *serverInfoBuf) {
	b.int("connected_clients", int64(len(clientsLive(x))))
	b.int("cluster_connections", 0)
	blocked := 0
	for _, c := range clientsLive(x) {
		if c.parked.Load() != nil {
			blocked++
		}
	}
	b.int("blocked_clients", int64(blocked))
	tracking, _, _, _ := trackingInfo(x)
	b.int("tracking_clients", tracking)
	if x.C.T == nil {
		b.int("maxclients", int64(x.S.Config().MaxClients))
	} else if n := x.C.T.Limits().MaxConnections; n > 0 {
		// The tenant's own connection limit; the server's is the operator's.
		b.int("maxclients", n)
	}
}

func infoMemory(x *Ctx, b *serverInfoBuf) {
	if x.C.T != nil {
		infoTenantMemory(x, b)
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := int64(ms.HeapAlloc)
	x.S.usedMemory()
	peak := x.S.notePeak(used)
	b.int("used_memory", used)
	b.str("used_memory_human", bytesToHuman(used))
	rss := serverRSS()
	if rss > 0 {
		b.int("used_memory_rss", rss)
		b.str("used_memory_rss_human", bytesToHuman(rss))
	}
	var dataset int64
	for _, db := range x.S.DBs {
		dataset += db.Bytes()
	}
	b.int("used_memory_peak", peak)
	b.str("used_memory_peak_human", bytesToHuman(peak))
	b.str("used_memory_peak_perc", strconv.FormatFloat(percent(used, peak), 'f', 2, 64)+"%")
	b.int("used_memory_startup", x.S.mem.startup.Load())
	b.int("used_memory_dataset", dataset)
	if total := serverTotalMemory(); total > 0 {
		b.int("total_system_memory", total)
		b.str("total_system_memory_human", bytesToHuman(total))
	}
	b.int("maxmemory", x.S.Config().MaxMemory)
	b.str("maxmemory_human", bytesToHuman(x.S.Config().MaxMemory))
	b.str("maxmemory_policy", x.S.Config().MaxMemoryPolicy.String())
	if rss > 0 && used > 0 {
		b.str("mem_fragmentation_ratio", strconv.FormatFloat(float64(rss)/float64(used), 'f', 2, 64))
	}
	b.str("mem_allocator", "go")
	b.int("go_heap_sys", int64(ms.HeapSys))
	b.int("go_heap_objects", int64(ms.HeapObjects))
	b.int("go_gc_cycles", int64(ms.NumGC))
}

// infoTenantMemory is a tenant's memory section: its own accounted bytes
// as used_memory and its storage quota as maxmemory, so redis-cli and
// exporters read a tenant's use as they read a server's. What describes
// the process (RSS, fragmentation, the heap) is the operator's.
func infoTenantMemory(x *Ctx, b *serverInfoBuf) {
	ns := x.C.NS
	used := ns.Bytes()
	peak := max(ns.NotePeak(), used)
	limit := max(x.C.T.Limits().StorageBytes, 0)
	b.int("used_memory", used)
	b.str("used_memory_human", bytesToHuman(used))
	b.int("used_memory_peak", peak)
	b.str("used_memory_peak_human", bytesToHuman(peak))
	b.str("used_memory_peak_perc", strconv.FormatFloat(percent(used, peak), 'f', 2, 64)+"%")
	b.int("used_memory_dataset", used)
	b.int("maxmemory", limit)
	b.str("maxmemory_human", bytesToHuman(limit))
	b.str("maxmemory_policy", planPolicy(x.C.T.Limits()).String())
}

func infoPersistence(x *Ctx, b *serverInfoBuf) {
	for _, f := range infoPersistenceFields(x.S) {
		b.str(f.Name, f.Value)
	}
}

func infoStats(x *Ctx, b *serverInfoBuf) {
	st := &x.S.Stats
	b.int("total_connections_received", st.Connections.Load())
	b.int("total_commands_processed", st.Commands.Load())
	b.int("total_net_input_bytes", st.NetInput.Load())
	b.int("total_net_output_bytes", st.NetOutput.Load())
	b.int("rejected_connections", st.RejectedConns.Load())
	b.int("expired_keys", x.S.Eng.ExpiredKeys())
	b.int("evicted_keys", x.S.Eng.EvictedKeys())
	b.int("keyspace_hits", st.KeyspaceHits.Load())
	b.int("keyspace_misses", st.KeyspaceMisses.Load())
	channels, patterns, shards := x.S.Hub.Counts("", true)
	b.int("pubsub_channels", int64(channels))
	b.int("pubsub_patterns", int64(patterns))
	b.int("pubsubshard_channels", int64(shards))
	_, keys, items, prefixes := trackingInfo(x)
	b.int("tracking_total_keys", keys)
	b.int("tracking_total_items", items)
	b.int("tracking_total_prefixes", prefixes)
	b.int("total_error_replies", st.ErrorReplies.Load())
}

func infoReplication(x *Ctx, b *serverInfoBuf) {
	b.str("role", "master")
	b.int("connected_slaves", 0)
	b.str("master_failover_state", "no-failover")
	b.str("master_replid", serverRunID(x.S, "replid"))
	b.str("master_replid2", strings.Repeat("0", 40))
	b.int("master_repl_offset", 0)
	b.int("second_repl_offset", -1)
	b.int("repl_backlog_active", 0)
}

func infoCPU(_ *Ctx, b *serverInfoBuf) {
	t, ok := serverCPUTimes()
	if !ok {
		return
	}
	for i, name := range []string{"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"} {
		b.str(name, strconv.FormatFloat(t[i], 'f', 6, 64))
	}
}

func infoCommandStats(x *Ctx, b *serverInfoBuf) {
	if t := x.C.T; t != nil {
		tenantCommandStats(x.S, t, b)
		return
	}
	var walk func(cs []*Command)
	walk = func(cs []*Command) {
		for _, c := range cs {
			calls, usec := c.stats.calls.Load(), c.stats.usec.Load()
			rejected, failed := c.stats.rejected.Load(), c.stats.failed.Load()
			if calls != 0 || rejected != 0 || failed != 0 {
				perCall := 0.0
				if calls > 0 {
					perCall = float64(usec) / float64(calls)
				}
				b.str("cmdstat_"+c.Name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
					calls, usec, perCall, rejected, failed))
			}
			walk(c.Subs)
		}
	}
	walk(x.S.Table.All())
}

func infoErrorStats(x *Ctx, b *serverInfoBuf) {
	counts := x.S.ErrorCounts()
	// Sorted, as Redis's radix tree lists them.
	for _, code := range slices.Sorted(maps.Keys(counts)) {
		b.str("errorstat_"+code, "count="+strconv.FormatInt(counts[code], 10))
	}
}

func infoKeyspace(x *Ctx, b *serverInfoBuf) {
	if x.C.T != nil {
		// Counts are stored content (DBSIZE needs read too).
		if p, ns := x.C.P, x.C.NS; p != nil && p.Allows(tenant.NeedRead) && ns.Keys() > 0 {
			b.str("db0", fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", ns.Keys(), ns.Expires()))
		}
		return
	}
	for i, db := range x.S.DBs {
		if keys := db.Keys(); keys > 0 {
			b.str("db"+strconv.Itoa(i), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", keys, db.Expires()))
		}
	}
}

// bytesToHuman formats a byte count as Redis's INFO does (1.18M, 200B).
func bytesToHuman(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	d := float64(n)
	i := -1
	for d >= 1024 && i < len(units)-1 {
		d /= 1024
		i++
	}
	return strconv.FormatFloat(d, 'f', 2, 64) + string(units[i])
}

// serverRSS is the process's resident set size from /proc, 0 where there is none.
func serverRSS() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// serverTotalMemory is the machine's memory from /proc/meminfo, 0 where there is none.
func serverTotalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				kb, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// serverCPUTimes reads the process's system, user, children's system and
// children's user CPU seconds from /proc/self/stat. Linux reports them in
// clock ticks of 1/100 s (USER_HZ).
func serverCPUTimes() ([4]float64, bool) {
	var out [4]float64
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return out, false
	}
	// The command name (field 2) may contain spaces; fields resume after ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return out, false
	}
	f := strings.Fields(string(data[i+1:]))
	// After ')': state is field 3, utime 14, stime 15, cutime 16, cstime 17.
	if len(f) < 15 {
		return out, false
	}
	for j, idx := range []int{15, 14, 17, 16} {
		v, err := strconv.ParseFloat(f[idx-3], 64)
		if err != nil {
			return out, false
		}
		out[j] = v / 100
	}
	return out, true
}

// --- CONFIG ---

// serverParam is one CONFIG parameter. set validates and stores a value and
// returns Redis's reason when it refuses it; nil set means immutable.
type serverParam struct {
	name string
	get  func(s *Server, c *Config) string
	set  func(c *Config, v []byte) string
}

// intParam is a numeric parameter kept in the Config field that field
// returns, set within [lo, hi].
func intParam[T int | int64](name string, lo, hi int64, field func(*Config) *T) serverParam {
	return serverParam{name: name,
		get: func(_ *Server, c *Config) string { return strconv.FormatInt(int64(*field(c)), 10) },
		set: func(c *Config, v []byte) string {
			n, msg := configInt(v, lo, hi)
			*field(c) = T(n)
			return msg
		}}
}

// serverFixedParam is a parameter Synap cannot change. A value Redis would
// refuse gets Redis's reason; parse returns the value in canonical form, and
// setting the value the parameter has is accepted, so tools that "turn off"
// persistence keep working.
func serverFixedParam(name, value string, parse func(v []byte) (string, string)) serverParam {
	return serverParam{name: name,
		get: func(*Server, *Config) string { return value },
		set: func(_ *Config, v []byte) string {
			norm, msg := parse(v)
			switch {
			case msg != "":
				return msg
			case norm != value:
				return errConfigImmutable
			}
			return ""
		}}
}

// serverParseSave accepts "" or "<seconds> <changes>" pairs.
func serverParseSave(v []byte) (string, string) {
	f := strings.Fields(string(v))
	if len(f)%2 != 0 {
		return "", "Invalid save parameters"
	}
	for _, n := range f {
		if _, ok := ParseInt([]byte(n)); !ok {
			return "", "Invalid save parameters"
		}
	}
	return strings.Join(f, " "), ""
}

func serverParseYesNo(v []byte) (string, string) {
	switch l := Lower(v); l {
	case "yes", "no":
		return l, ""
	}
	return "", "argument must be 'yes' or 'no'"
}

func serverParsePolicy(v []byte) (string, string) {
	const policies = "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
	l := Lower(v)
	if !slices.Contains(strings.Split(policies, ", "), l) {
		return "", "argument(s) must be one of the following: " + policies
	}
	return l, ""
}

var serverParams = []serverParam{
	{name: "bind", get: func(_ *Server, c *Config) string { return c.Bind }},
	{name: "port", get: func(s *Server, _ *Config) string { return strconv.Itoa(serverPort(s)) }},
	{name: "databases", get: func(_ *Server, c *Config) string { return strconv.Itoa(c.Databases) }},
	{name: "requirepass", get: func(_ *Server, c *Config) string { return c.RequirePass },
		set: func(c *Config, v []byte) string { c.RequirePass = string(v); return "" }},
	{name: "maxclients", get: func(_ *Server, c *Config) string { return strconv.Itoa(c.MaxClients) },
		set: func(c *Config, v []byte) string {
			n, msg := configInt(v, 1, math.MaxUint32)
			c.MaxClients = int(n)
			return msg
		}},
	{name: "timeout", get: func(_ *Server, c *Config) string { return strconv.Itoa(c.Timeout) },
		set: func(c *Config, v []byte) string {
			n, msg := configInt(v, 0, math.MaxInt32)
			c.Timeout = int(n)
			return msg
		}},
	{name: "proto-max-bulk-len", get: func(s *Server, _ *Config) string { return strconv.FormatInt(s.Limits().MaxBulkLen, 10) },
		set: func(c *Config, v []byte) string {
			var msg string
			c.ProtoMaxBulkLen, msg = configMemoryRange(v, 1<<20, engine.MaxLen)
			return msg
		}},
	{name: "client-query-buffer-limit", get: func(s *Server, _ *Config) string { return strconv.FormatInt(s.Limits().MaxQueryBuf, 10) },
		set: func(c *Config, v []byte) string {
			var msg string
			c.ClientQueryBufferLimit, msg = configMemory(v, 1<<20)
			return msg
		}},
	{name: "loglevel", get: func(_ *Server, c *Config) string { return c.LogLevel },
		set: func(c *Config, v []byte) string {
			switch l := Lower(v); l {
			case "debug", "verbose", "notice", "warning":
				c.LogLevel = l
				return ""
			}
			return "argument(s) must be one of the following: debug, verbose, notice, warning"
		}},
	{name: "maxmemory", get: func(_ *Server, c *Config) string { return strconv.FormatInt(c.MaxMemory, 10) },
		set: func(c *Config, v []byte) string {
			var msg string
			c.MaxMemory, msg = configMemory(v, 0)
			return msg
		}},
	{name: "maxmemory-policy", get: func(_ *Server, c *Config) string { return c.MaxMemoryPolicy.String() },
		set: func(c *Config, v []byte) string {
			norm, msg := serverParsePolicy(v)
			if msg != "" {
				return msg
			}
			c.MaxMemoryPolicy, _ = engine.ParsePolicy(norm)
			return ""
		}},
}

func serverParamByName(name []byte) *serverParam {
	for i := range serverParams {
		if strings.EqualFold(serverParams[i].name, string(name)) {
			return &serverParams[i]
		}
	}
	return nil
}

// configInt parses an integer parameter as Redis does: strict digits, then a range.
func configInt(v []byte, lo, hi int64) (int64, string) {
	n, ok := ParseInt(v)
	if !ok {
		return 0, "argument couldn't be parsed into an integer"
	}
	if n < lo || n > hi {
		return 0, fmt.Sprintf("argument must be between %d and %d inclusive", lo, hi)
	}
	return n, ""
}

// configMemory parses a memory parameter: digits with an optional unit (b,
// k, kb, m, mb, g, gb in any case), at least lo bytes.
func configMemory(v []byte, lo int64) (int64, string) {
	return configMemoryRange(v, lo, math.MaxInt64)
}

// configMemoryRange is configMemory with an upper bound as well.
func configMemoryRange(v []byte, lo, hi int64) (int64, string) {
	s := string(v)
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	mul := uint64(0)
	switch strings.ToLower(s[digits:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	}
	if mul == 0 {
		return 0, "argument must be a memory value"
	}
	// Redis reads the digits with strtoull: none is 0, too many saturate,
	// and either way the range check below decides.
	n := uint64(0)
	if digits > 0 {
		var err error
		if n, err = strconv.ParseUint(s[:digits], 10, 64); err != nil {
			n = math.MaxUint64
		}
	}
	rangeErr := fmt.Sprintf("argument must be between %d and %d inclusive", lo, hi)
	if n > math.MaxInt64/mul {
		return 0, rangeErr
	}
	if total := int64(n * mul); total >= lo && total <= hi {
		return total, ""
	}
	return 0, rangeErr
}

func cmdConfigGet(x *Ctx) {
	type match struct {
		name string
		p    *serverParam
	}
	var out []match
	seen := map[*serverParam]bool{}
	for _, pat := range x.Args[2:] {
		if !bytes.ContainsAny(pat, "*?[") {
			// An exact name is answered as it was written.
			if p := serverParamByName(pat); p != nil && !seen[p] {
				seen[p] = true
				out = append(out, match{string(pat), p})
			}
			continue
		}
		for i := range serverParams {
			p := &serverParams[i]
			if !seen[p] && engine.Match(pat, []byte(p.name), true) {
				seen[p] = true
				out = append(out, match{p.name, p})
			}
		}
	}
	cfg := x.S.Config()
	x.W.Map(len(out))
	for _, m := range out {
		x.W.BulkString(m.name)
		x.W.BulkString(m.p.get(x.S, cfg))
	}
}

// configChange is one name/value pair of CONFIG SET.
type configChange struct {
	p     *serverParam
	value []byte
}

// parseConfigSet checks names before any value, as Redis does: the first
// unknown, immutable or repeated name is the error.
func parseConfigSet(x *Ctx) ([]configChange, bool) {
	args := x.Args[2:]
	if len(args)%2 != 0 {
		x.SyntaxError()
		return nil, false
	}
	var changes []configChange
	for i := 0; i < len(args); i += 2 {
		name := args[i]
		p := serverParamByName(name)
		if p == nil {
			x.Error(sanitize(Errorf(errConfigUnknown, name)))
			return nil, false
		}
		if p.set == nil {
			x.Error(sanitize(Errorf(errConfigFailed, name, errConfigImmutable)))
			return nil, false
		}
		for _, c := range changes {
			if c.p == p {
				x.Error(sanitize(Errorf(errConfigFailed, name, errConfigDuplicate)))
				return nil, false
			}
		}
		changes = append(changes, configChange{p, args[i+1]})
	}
	return changes, true
}

func cmdConfigSet(x *Ctx) {
	changes, ok := parseConfigSet(x)
	if !ok {
		return
	}
	err := x.S.UpdateConfig(func(c *Config) error {
		for _, ch := range changes {
			if msg := ch.p.set(c, ch.value); msg != "" {
				return errors.New(Errorf(errConfigFailed, ch.p.name, msg))
			}
		}
		return nil
	})
	if err != nil {
		x.Error(err.Error())
		return
	}
	for _, ch := range changes {
		if ch.p.name == "requirepass" {
			// Like Redis, the connection that set the password stays logged in.
			x.C.Authed = true
		}
	}
	x.W.OK()
}

func cmdConfigResetStat(x *Ctx) {
	x.S.resetStats()
	x.W.OK()
}

// resetStats zeroes the INFO counters and every command's statistics.
func (s *Server) resetStats() {
	// Every counter of ServerStats is an atomic.Int64; walking the struct
	// keeps RESETSTAT right when a counter is added.
	v := reflect.ValueOf(&s.Stats).Elem()
	for i := 0; i < v.NumField(); i++ {
		if n, ok := v.Field(i).Addr().Interface().(*atomic.Int64); ok {
			n.Store(0)
		}
	}
	var walk func(cs []*Command)
	walk = func(cs []*Command) {
		for _, c := range cs {
			c.stats.calls.Store(0)
			c.stats.usec.Store(0)
			c.stats.rejected.Store(0)
			c.stats.failed.Store(0)
			c.stats.lat.Store(nil)
			walk(c.Subs)
		}
	}
	walk(s.Table.All())
	s.ResetErrorCounts()
	s.Eng.ResetStats()
}

func cmdConfigHelp(x *Ctx) {
	writeHelp(x,
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
	)
}

package compat

import (
	"context"
	"net"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultInfoSections are the sections of a bare INFO, in order.
var defaultInfoSections = []string{
	"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
	"Errorstats", "Cluster", "Keyspace",
}

// infoFields are fields of each section that clients and tools commonly
// read, with the form their value must have.
var infoFields = map[string]map[string]string{
	"server": {
		"redis_version": `^\d+\.\d+\.\d+$`, "redis_mode": `^standalone$`, "arch_bits": `^(32|64)$`,
		"process_id": `^\d+$`, "run_id": `^[0-9a-f]{40}$`, "tcp_port": `^\d+$`,
		"uptime_in_seconds": `^\d+$`, "uptime_in_days": `^\d+$`, "hz": `^\d+$`,
	},
	"clients":     {"connected_clients": `^[1-9]\d*$`, "blocked_clients": `^\d+$`, "maxclients": `^\d+$`},
	"memory":      {"used_memory": `^\d+$`, "used_memory_human": `^[\d.]+[BKMG]$`, "maxmemory": `^\d+$`, "maxmemory_policy": `^[a-z-]+$`},
	"persistence": {"loading": `^0$`, "rdb_last_save_time": `^\d+$`, "aof_enabled": `^0$`},
	"stats": {
		"total_connections_received": `^\d+$`, "total_commands_processed": `^\d+$`,
		"keyspace_hits": `^\d+$`, "keyspace_misses": `^\d+$`, "expired_keys": `^\d+$`,
		"evicted_keys": `^\d+$`, "rejected_connections": `^\d+$`, "total_error_replies": `^\d+$`,
	},
	"replication": {"role": `^master$`, "connected_slaves": `^0$`},
	"cpu":         {"used_cpu_sys": `^\d+\.\d+$`, "used_cpu_user": `^\d+\.\d+$`},
	"cluster":     {"cluster_enabled": `^0$`},
}

// commandInfo is the first seven fields of COMMAND INFO for commands whose
// entries are the same in Redis 7.0 and 7.2.
var commandInfo = map[string]redis.CommandInfo{
	"get":         {Arity: 2, Flags: []string{"readonly", "fast"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: []string{"@read", "@string", "@fast"}},
	"set":         {Arity: -3, Flags: []string{"write", "denyoom"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: []string{"@write", "@string", "@slow"}},
	"mset":        {Arity: -3, Flags: []string{"write", "denyoom"}, FirstKeyPos: 1, LastKeyPos: -1, StepCount: 2, ACLFlags: []string{"@write", "@string", "@slow"}},
	"incr":        {Arity: 2, Flags: []string{"write", "denyoom", "fast"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: []string{"@write", "@string", "@fast"}},
	"getex":       {Arity: -2, Flags: []string{"write", "fast"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: []string{"@write", "@string", "@fast"}},
	"lcs":         {Arity: -3, Flags: []string{"readonly"}, FirstKeyPos: 1, LastKeyPos: 2, StepCount: 1, ACLFlags: []string{"@read", "@string", "@slow"}},
	"del":         {Arity: -2, Flags: []string{"write"}, FirstKeyPos: 1, LastKeyPos: -1, StepCount: 1, ACLFlags: []string{"@keyspace", "@write", "@slow"}},
	"exists":      {Arity: -2, Flags: []string{"readonly", "fast"}, FirstKeyPos: 1, LastKeyPos: -1, StepCount: 1, ACLFlags: []string{"@keyspace", "@read", "@fast"}},
	"expire":      {Arity: -3, Flags: []string{"write", "fast"}, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: []string{"@keyspace", "@write", "@fast"}},
	"rename":      {Arity: 3, Flags: []string{"write"}, FirstKeyPos: 1, LastKeyPos: 2, StepCount: 1, ACLFlags: []string{"@keyspace", "@write", "@slow"}},
	"copy":        {Arity: -3, Flags: []string{"write", "denyoom"}, FirstKeyPos: 1, LastKeyPos: 2, StepCount: 1, ACLFlags: []string{"@keyspace", "@write", "@slow"}},
	"touch":       {Arity: -2, Flags: []string{"readonly", "fast"}, FirstKeyPos: 1, LastKeyPos: -1, StepCount: 1, ACLFlags: []string{"@keyspace", "@read", "@fast"}},
	"scan":        {Arity: -2, Flags: []string{"readonly"}, ACLFlags: []string{"@keyspace", "@read", "@slow"}},
	"keys":        {Arity: 2, Flags: []string{"readonly"}, ACLFlags: []string{"@keyspace", "@read", "@slow", "@dangerous"}},
	"flushall":    {Arity: -1, Flags: []string{"write"}, ACLFlags: []string{"@keyspace", "@write", "@slow", "@dangerous"}},
	"ping":        {Arity: -1, Flags: []string{"fast"}, ACLFlags: []string{"@fast", "@connection"}},
	"echo":        {Arity: 2, Flags: []string{"loading", "stale", "fast"}, ACLFlags: []string{"@fast", "@connection"}},
	"select":      {Arity: 2, Flags: []string{"loading", "stale", "fast"}, ACLFlags: []string{"@fast", "@connection"}},
	"auth":        {Arity: -2, Flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, ACLFlags: []string{"@fast", "@connection"}},
	"lastsave":    {Arity: 1, Flags: []string{"loading", "stale", "fast"}, ACLFlags: []string{"@admin", "@fast", "@dangerous"}},
	"object":      {Arity: -2, Flags: []string{}, ACLFlags: []string{"@slow"}},
	"config|get":  {Arity: -3, Flags: []string{"admin", "noscript", "loading", "stale"}, ACLFlags: []string{"@admin", "@slow", "@dangerous"}},
	"object|freq": {Arity: 3, Flags: []string{"readonly"}, FirstKeyPos: 2, LastKeyPos: 2, StepCount: 1, ACLFlags: []string{"@keyspace", "@read", "@slow"}},
}

var serverCases = []testCase{
	{name: "info_sections", serverWide: "INFO shows a tenant only its own sections (server-wide memory, stats, errors would tell it about others)", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		info := must(t, rdb.Info(ctx))
		if got := infoSections(info); !reflect.DeepEqual(got, defaultInfoSections) {
			t.Errorf("INFO sections: got %q, want %q", got, defaultInfoSections)
		}
		if !strings.HasSuffix(info, "\r\n") || strings.Contains(strings.ReplaceAll(info, "\r\n", ""), "\n") {
			t.Errorf("INFO lines must end with CRLF: %q", info)
		}
		for _, arg := range []string{"all", "everything"} {
			got := infoSections(must(t, rdb.Info(ctx, arg)))
			for _, s := range append([]string{"Commandstats", "Latencystats"}, defaultInfoSections...) {
				if !contains(got, s) {
					t.Errorf("INFO %s: section %s missing in %q", arg, s, got)
				}
			}
		}
		// Section names are case-insensitive; several may be asked at once.
		want(t, rdb.Info(ctx, "nosuchsection"), "")
		if got := infoSections(must(t, rdb.Info(ctx, "SERVER"))); !reflect.DeepEqual(got, []string{"Server"}) {
			t.Errorf("INFO SERVER: sections %q", got)
		}
		if got := infoSections(must(t, rdb.Info(ctx, "clients", "keyspace"))); !reflect.DeepEqual(got, []string{"Clients", "Keyspace"}) {
			t.Errorf("INFO clients keyspace: sections %q", got)
		}
		// go-redis parses every section into fields.
		m := must(t, rdb.InfoMap(ctx, "all"))
		for section, fields := range infoFields {
			got, ok := m[strings.ToUpper(section[:1])+section[1:]]
			if section == "cpu" {
				got, ok = m["CPU"]
			}
			if !ok {
				t.Errorf("InfoMap: no section %s in %v", section, keysOf(m))
				continue
			}
			for f, pattern := range fields {
				if v, ok := got[f]; !ok || !regexp.MustCompile(pattern).MatchString(v) {
					t.Errorf("INFO %s: %s=%q (present %v), want %s", section, f, v, ok, pattern)
				}
			}
		}
		if port := m["Server"]["tcp_port"]; port != portOf(t, tg.addr) {
			t.Errorf("INFO tcp_port=%s, want %s", port, portOf(t, tg.addr))
		}
		// The raw reply is a bulk string in RESP2 and a verbatim string in
		// RESP3; go-redis hands back the text for both.
		if s, ok := must(t, rdb.Do(ctx, "INFO", "server")).(string); !ok || !strings.HasPrefix(s, "# Server\r\n") {
			t.Errorf("INFO server raw: %#v", s)
		}
	}},
	{name: "info_keyspace", serverWide: "uses several databases; a tenant has one", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Info(ctx, "keyspace"), "# Keyspace\r\n")
		want(t, rdb.MSet(ctx, "a", 1, "b", 2, "c", 3), "OK")
		want(t, rdb.Expire(ctx, "a", time.Hour), true)
		db3 := tg.client(t, func(o *redis.Options) { o.DB = 3 })
		want(t, db3.Set(ctx, "x", 1, 0), "OK")
		lines := strings.Split(strings.TrimSuffix(must(t, rdb.Info(ctx, "keyspace")), "\r\n"), "\r\n")
		re := regexp.MustCompile(`^(db\d+):keys=(\d+),expires=(\d+),avg_ttl=(\d+)$`)
		if len(lines) != 3 || lines[0] != "# Keyspace" {
			t.Fatalf("INFO keyspace: got %q", lines)
		}
		for i, wantLine := range [][]string{{"db0", "3", "1"}, {"db3", "1", "0"}} {
			m := re.FindStringSubmatch(lines[i+1])
			if m == nil || !reflect.DeepEqual(m[1:4], wantLine) {
				t.Errorf("INFO keyspace line %q, want %s:keys=%s,expires=%s,avg_ttl=<n>", lines[i+1], wantLine[0], wantLine[1], wantLine[2])
			}
		}
		want(t, rdb.FlushAll(ctx), "OK")
		want(t, rdb.Info(ctx, "keyspace"), "# Keyspace\r\n")
	}},
	{name: "info_stats_resetstat", serverWide: "CONFIG RESETSTAT and server-wide INFO stats are operator only", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		conn := rdb.Conn()
		defer conn.Close()
		want(t, conn.MSet(ctx, "k", "v", "s", "abc"), "OK")
		want(t, conn.ConfigResetStat(ctx), "OK")
		want(t, conn.Get(ctx, "k"), "v")
		wantNil(t, conn.Get(ctx, "missing"))
		want(t, conn.MGet(ctx, "k", "missing", "k"), []interface{}{"v", nil, "v"})
		// A refused call (arity) is "rejected", one that ran and failed "failed".
		wantErr(t, conn.Do(ctx, "GET"), errArity("get"))
		wantErr(t, conn.Incr(ctx, "s"), errNotInt)
		m := must(t, conn.InfoMap(ctx, "stats", "commandstats", "errorstats"))
		wantFields(t, "INFO stats", m["Stats"], map[string]string{
			"keyspace_hits": "3", "keyspace_misses": "2", "total_error_replies": "2",
		})
		for name, re := range map[string]string{
			"cmdstat_get":  `^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$`,
			"cmdstat_mget": `^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$`,
			"cmdstat_incr": `^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1$`,
		} {
			if cs := m["Commandstats"][name]; !regexp.MustCompile(re).MatchString(cs) {
				t.Errorf("INFO commandstats %s=%q, want %s", name, cs, re)
			}
		}
		want(t, conn.Info(ctx, "errorstats"), "# Errorstats\r\nerrorstat_ERR:count=2\r\n")
		want(t, conn.ConfigResetStat(ctx), "OK")
		m = must(t, conn.InfoMap(ctx, "stats", "commandstats"))
		wantFields(t, "INFO stats after RESETSTAT", m["Stats"], map[string]string{
			"keyspace_hits": "0", "keyspace_misses": "0", "total_error_replies": "0",
		})
		want(t, conn.Info(ctx, "errorstats"), "# Errorstats\r\n")
		// Only the INFO just run has been counted since the reset.
		if got := keysOf(m["Commandstats"]); !reflect.DeepEqual(got, []string{"cmdstat_config|resetstat"}) {
			t.Errorf("INFO commandstats after RESETSTAT: %v", m["Commandstats"])
		}
		wantErr(t, conn.Do(ctx, "CONFIG", "RESETSTAT", "x"), errArity("config|resetstat"))
	}},
	{name: "info_errorstats_wrongtype", needs: []string{"rpush"}, serverWide: "CONFIG RESETSTAT and INFO's stats sections are the operator's", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", "x"))
		want(t, rdb.ConfigResetStat(ctx), "OK")
		wantErr(t, rdb.Get(ctx, "l"), errWrongType)
		// The lookup before a WRONGTYPE finds the key: a hit, and a failed call.
		m := must(t, rdb.InfoMap(ctx, "stats", "commandstats", "errorstats"))
		wantFields(t, "INFO", m["Stats"], map[string]string{"keyspace_hits": "1", "keyspace_misses": "0"})
		wantFields(t, "INFO", m["Errorstats"], map[string]string{"errorstat_WRONGTYPE": "count=1"})
		if cs := m["Commandstats"]["cmdstat_get"]; !strings.HasSuffix(cs, ",rejected_calls=0,failed_calls=1") {
			t.Errorf("INFO commandstats cmdstat_get=%q", cs)
		}
	}},
	{name: "time_lastsave", serverWide: "compares with INFO persistence, which is server-wide", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		now := time.Now()
		srv := must(t, rdb.Time(ctx))
		if d := srv.Sub(now); d < -time.Minute || d > time.Minute {
			t.Errorf("TIME %v is %v away from the local clock", srv, d)
		}
		raw, ok := must(t, rdb.Do(ctx, "TIME")).([]interface{})
		if !ok || len(raw) != 2 {
			t.Fatalf("TIME raw: %#v", raw)
		}
		secs, _ := raw[0].(string)
		usecs, _ := raw[1].(string)
		if n, err := strconv.ParseInt(secs, 10, 64); err != nil || n < now.Unix()-60 {
			t.Errorf("TIME seconds %#v", raw[0])
		}
		if n, err := strconv.Atoi(usecs); err != nil || n < 0 || n > 999999 {
			t.Errorf("TIME microseconds %#v", raw[1])
		}
		wantErr(t, rdb.Do(ctx, "TIME", "x"), errArity("time"))

		last := must(t, rdb.LastSave(ctx))
		if last <= 0 || last > time.Now().Unix() {
			t.Errorf("LASTSAVE %d", last)
		}
		if got := must(t, rdb.InfoMap(ctx, "persistence"))["Persistence"]["rdb_last_save_time"]; got != itoa(last) {
			t.Errorf("INFO rdb_last_save_time=%s, LASTSAVE %d", got, last)
		}
		wantErr(t, rdb.Do(ctx, "LASTSAVE", "x"), errArity("lastsave"))
	}},
	{name: "config_get_set", serverWide: "CONFIG is operator only", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.ConfigGet(ctx, "databases"), map[string]string{"databases": "16"})
		// A name without wildcards comes back as it was asked.
		want(t, rdb.ConfigGet(ctx, "DATABASES"), map[string]string{"DATABASES": "16"})
		want(t, rdb.ConfigGet(ctx, "nosuchparameter"), map[string]string{})
		want(t, rdb.ConfigGet(ctx, "port"), map[string]string{"port": portOf(t, tg.addr)})
		want(t, rdb.ConfigGet(ctx, "timeout"), map[string]string{"timeout": "0"})
		want(t, rdb.ConfigGet(ctx, "requirepass"), map[string]string{"requirepass": ""})
		want(t, rdb.ConfigGet(ctx, "proto-max-bulk-len"), map[string]string{"proto-max-bulk-len": "536870912"})
		want(t, rdb.ConfigGet(ctx, "client-query-buffer-limit"), map[string]string{"client-query-buffer-limit": "1073741824"})
		want(t, rdb.ConfigGet(ctx, "maxmemory-policy"), map[string]string{"maxmemory-policy": "noeviction"})
		// Glob patterns, and several at once (Redis 7).
		want(t, rdb.ConfigGet(ctx, "proto-max-*"), map[string]string{"proto-max-bulk-len": "536870912"})
		// Several at once come back in no particular order: a map in RESP3,
		// a flat array in RESP2.
		raw := must(t, rdb.Do(ctx, "CONFIG", "GET", "databases", "timeout", "nosuch"))
		if _, isMap := raw.(map[interface{}]interface{}); isMap != (tg.proto == 3) {
			t.Errorf("CONFIG GET raw type %T in RESP%d", raw, tg.proto)
		}
		if got := docMap(t, raw); !reflect.DeepEqual(got, map[string]interface{}{"databases": "16", "timeout": "0"}) {
			t.Errorf("CONFIG GET databases timeout nosuch: %v", got)
		}

		t.Cleanup(func() { rdb.ConfigSet(context.Background(), "timeout", "0") })
		want(t, rdb.ConfigSet(ctx, "timeout", "300"), "OK")
		want(t, rdb.ConfigGet(ctx, "timeout"), map[string]string{"timeout": "300"})
		want(t, rdb.Do(ctx, "CONFIG", "SET", "TIMEOUT", "0", "maxmemory-policy", "noeviction"), any("OK"))
		want(t, rdb.ConfigGet(ctx, "timeout"), map[string]string{"timeout": "0"})

		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"CONFIG", "SET", "nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
			{[]interface{}{"CONFIG", "SET", "databases", "10"}, "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
			{[]interface{}{"CONFIG", "SET", "timeout", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
			{[]interface{}{"CONFIG", "SET", "timeout", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
			{[]interface{}{"CONFIG", "SET", "maxmemory-policy", "foo"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
			{[]interface{}{"CONFIG", "SET", "timeout", "1", "timeout", "2"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"},
			{[]interface{}{"CONFIG", "SET", "timeout"}, errArity("config|set")},
			{[]interface{}{"CONFIG", "SET", "timeout", "1", "maxmemory-policy"}, errSyntax},
			{[]interface{}{"CONFIG", "GET"}, errArity("config|get")},
			{[]interface{}{"CONFIG"}, errArity("config")},
			{[]interface{}{"CONFIG", "FOO"}, "ERR unknown subcommand 'FOO'. Try CONFIG HELP."},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
		want(t, rdb.ConfigGet(ctx, "timeout"), map[string]string{"timeout": "0"})
	}},
	{name: "config_set_memory", serverWide: "CONFIG is operator only", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		t.Cleanup(func() { rdb.ConfigSet(context.Background(), "maxmemory", "0") })
		want(t, rdb.ConfigSet(ctx, "maxmemory", "100mb"), "OK")
		want(t, rdb.ConfigGet(ctx, "maxmemory"), map[string]string{"maxmemory": "104857600"})
		want(t, rdb.ConfigSet(ctx, "maxmemory", "1gb"), "OK")
		want(t, rdb.ConfigGet(ctx, "maxmemory"), map[string]string{"maxmemory": "1073741824"})
		wantErr(t, rdb.ConfigSet(ctx, "maxmemory", "abc"), "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
		want(t, rdb.ConfigSet(ctx, "maxmemory", "0"), "OK")
	}},
	{name: "command_count_list", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		count, ok := must(t, rdb.Do(ctx, "COMMAND", "COUNT")).(int64)
		if !ok || count < 20 {
			t.Fatalf("COMMAND COUNT: %v", count)
		}
		// COMMAND LIST names subcommands too ("parent|sub"); COUNT does not.
		list := must(t, rdb.CommandList(ctx, nil))
		var top int64
		for _, name := range list {
			if parent, _, isSub := strings.Cut(name, "|"); !isSub {
				top++
			} else if !contains(list, parent) {
				t.Errorf("COMMAND LIST names %q but not %q", name, parent)
			}
		}
		if top != count {
			t.Errorf("COMMAND LIST has %d commands, COMMAND COUNT %d", top, count)
		}
		for _, name := range []string{"config|get", "client|list", "object|encoding", "command|count"} {
			if !contains(list, name) {
				t.Errorf("COMMAND LIST lacks %q", name)
			}
		}
		for _, name := range []string{"get", "set", "del", "ping", "client", "config", "command", "info", "object"} {
			if !contains(list, name) {
				t.Errorf("COMMAND LIST lacks %q", name)
			}
		}
		getStar := must(t, rdb.CommandList(ctx, &redis.FilterBy{Pattern: "get*"}))
		for _, name := range []string{"get", "getex", "getdel", "getset", "getrange"} {
			if !contains(getStar, name) {
				t.Errorf("COMMAND LIST FILTERBY PATTERN get*: %q lacks %q", getStar, name)
			}
		}
		for _, name := range getStar {
			if !strings.HasPrefix(name, "get") {
				t.Errorf("COMMAND LIST FILTERBY PATTERN get*: %q does not match", name)
			}
		}
		strs := must(t, rdb.CommandList(ctx, &redis.FilterBy{ACLCat: "string"}))
		for _, name := range []string{"get", "set", "incr", "append", "lcs", "mset"} {
			if !contains(strs, name) {
				t.Errorf("COMMAND LIST FILTERBY ACLCAT string lacks %q", name)
			}
		}
		if contains(strs, "del") || contains(strs, "ping") {
			t.Errorf("COMMAND LIST FILTERBY ACLCAT string has commands of other categories: %q", strs)
		}
		want(t, rdb.CommandList(ctx, &redis.FilterBy{Pattern: "nosuch*"}), []string{})
		wantErr(t, rdb.Do(ctx, "COMMAND", "LIST", "FILTERBY", "foo", "x"), errSyntax)
		wantErr(t, rdb.Do(ctx, "COMMAND", "COUNT", "x"), errArity("command|count"))
		wantErr(t, rdb.Do(ctx, "COMMAND", "FOO"), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
	}},
	{name: "command_go_redis", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// go-redis reads the whole table with COMMAND (for routing); one
		// malformed entry fails it all.
		all := must(t, rdb.Command(ctx))
		if count := must(t, rdb.Do(ctx, "COMMAND", "COUNT")); int64(len(all)) != count {
			t.Errorf("COMMAND has %d entries, COMMAND COUNT %v", len(all), count)
		}
		for name, exp := range commandInfo {
			if strings.Contains(name, "|") {
				continue // subcommands sit inside their parent's entry
			}
			got := all[name]
			if got == nil {
				t.Errorf("COMMAND: no entry for %s", name)
				continue
			}
			checkCommandInfo(t, name, got, exp)
			if got.Name != name || got.ReadOnly != contains(exp.Flags, "readonly") {
				t.Errorf("COMMAND %s: name %q readonly %v", name, got.Name, got.ReadOnly)
			}
		}
	}},
	{name: "command_info", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		for name, exp := range commandInfo {
			if got, ok := commandInfoOf(ctx, t, rdb, name); !ok {
				t.Errorf("COMMAND INFO: no entry for %s", name)
			} else {
				checkCommandInfo(t, name, got, exp)
			}
		}
		// Raw: ten fields per command, a null for an unknown name.
		raw, ok := must(t, rdb.Do(ctx, "COMMAND", "INFO", "get", "nosuchcommand", "SET")).([]interface{})
		if !ok || len(raw) != 3 || raw[1] != nil {
			t.Fatalf("COMMAND INFO get nosuchcommand SET: %#v", raw)
		}
		for i, name := range map[int]string{0: "get", 2: "set"} {
			e, ok := raw[i].([]interface{})
			if !ok || len(e) != 10 || e[0] != name {
				t.Errorf("COMMAND INFO entry %d: %#v, want 10 fields named %s", i, raw[i], name)
			}
		}
		// Subcommands are the tenth field.
		subs := map[string]bool{}
		if e, ok := must(t, rdb.Do(ctx, "COMMAND", "INFO", "object")).([]interface{})[0].([]interface{}); ok && len(e) == 10 {
			for _, s := range e[9].([]interface{}) {
				subs[s.([]interface{})[0].(string)] = true
			}
		}
		for _, s := range []string{"object|encoding", "object|freq", "object|help", "object|idletime", "object|refcount"} {
			if !subs[s] {
				t.Errorf("COMMAND INFO object: subcommand %s missing (have %v)", s, subs)
			}
		}
		want(t, rdb.Do(ctx, "COMMAND", "INFO", "nosuchcommand"), any([]interface{}{nil}))
		// Without names COMMAND INFO lists every command.
		count := must(t, rdb.Do(ctx, "COMMAND", "COUNT")).(int64)
		if every, ok := must(t, rdb.Do(ctx, "COMMAND", "INFO")).([]interface{}); !ok || int64(len(every)) != count {
			t.Errorf("COMMAND INFO without names: %d entries, COMMAND COUNT %d", len(every), count)
		}
	}},
	{name: "command_docs", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		docs := docMap(t, must(t, rdb.Do(ctx, "COMMAND", "DOCS", "get", "expire", "nosuchcommand")))
		if len(docs) != 2 {
			t.Errorf("COMMAND DOCS get expire nosuchcommand: %d entries, want 2", len(docs))
		}
		for name, exp := range map[string][2]string{"get": {"string", "1.0.0"}, "expire": {"generic", "1.0.0"}} {
			d := docMap(t, docs[name])
			if d["group"] != exp[0] || d["since"] != exp[1] {
				t.Errorf("COMMAND DOCS %s: group %v since %v, want %s %s", name, d["group"], d["since"], exp[0], exp[1])
			}
			if s, _ := d["summary"].(string); s == "" {
				t.Errorf("COMMAND DOCS %s: no summary in %v", name, d)
			}
		}
		// Subcommands are documented under their parent.
		docs = docMap(t, must(t, rdb.Do(ctx, "COMMAND", "DOCS", "object")))
		subs := docMap(t, docMap(t, docs["object"])["subcommands"])
		if d := docMap(t, subs["object|encoding"]); d["group"] != "generic" {
			t.Errorf("COMMAND DOCS object: object|encoding %v", d)
		}
		want(t, rdb.Do(ctx, "COMMAND", "DOCS", "nosuchcommand"), any(byProto[any](tg, []interface{}{}, map[interface{}]interface{}{})))
		// Without names every command is documented.
		count := must(t, rdb.Do(ctx, "COMMAND", "COUNT")).(int64)
		if n := len(docMap(t, must(t, rdb.Do(ctx, "COMMAND", "DOCS")))); int64(n) != count {
			t.Errorf("COMMAND DOCS: %d entries, COMMAND COUNT %d", n, count)
		}
	}},
	{name: "command_getkeys", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		for _, tc := range []struct {
			args []interface{}
			want []string
		}{
			{[]interface{}{"set", "a", "b"}, []string{"a"}},
			{[]interface{}{"GET", "k"}, []string{"k"}},
			{[]interface{}{"mset", "a", "1", "b", "2"}, []string{"a", "b"}},
			{[]interface{}{"del", "a", "b", "c"}, []string{"a", "b", "c"}},
			{[]interface{}{"rename", "a", "b"}, []string{"a", "b"}},
			{[]interface{}{"copy", "a", "b", "db", "1"}, []string{"a", "b"}},
			{[]interface{}{"lcs", "a", "b", "LEN"}, []string{"a", "b"}},
			{[]interface{}{"object", "encoding", "k"}, []string{"k"}},
		} {
			want(t, rdb.CommandGetKeys(ctx, tc.args...), tc.want)
		}
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"COMMAND", "GETKEYS", "nosuch", "a"}, "ERR Invalid command specified"},
			{[]interface{}{"COMMAND", "GETKEYS", "get", "a", "b"}, "ERR Invalid number of arguments specified for command"},
			{[]interface{}{"COMMAND", "GETKEYS", "set", "a"}, "ERR Invalid number of arguments specified for command"},
			{[]interface{}{"COMMAND", "GETKEYS", "ping", "x"}, "ERR The command has no key arguments"},
			{[]interface{}{"COMMAND", "GETKEYS", "config", "get", "x"}, "ERR The command has no key arguments"},
			{[]interface{}{"COMMAND", "GETKEYS", "get"}, errArity("command|getkeys")},
			{[]interface{}{"COMMAND", "GETKEYS"}, errArity("command|getkeys")},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
	}},
	{name: "shutdown", fn: func(ctx context.Context, t *testing.T, _ *redis.Client, tg *target) {
		addr, exited := tg.spawn(t)
		rdb := tg.client(t, func(o *redis.Options) { o.Addr = addr })
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		wantErr(t, rdb.Do(ctx, "SHUTDOWN", "FOO"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SHUTDOWN", "NOSAVE", "SAVE"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SHUTDOWN", "ABORT"), "ERR No shutdown in progress.")
		want(t, rdb.Get(ctx, "k"), "v")
		// go-redis turns the closed connection into success.
		want(t, rdb.ShutdownNoSave(ctx), "")
		select {
		case <-exited:
		case <-ctx.Done():
			t.Fatalf("the server did not exit after SHUTDOWN NOSAVE")
		}
		if err := rdb.Ping(ctx).Err(); err == nil {
			t.Errorf("PING after SHUTDOWN succeeded")
		}
	}},
}

// infoSections lists the "# Name" headers of an INFO reply in order.
func infoSections(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			out = append(out, l[2:])
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// checkCommandInfo compares the first seven fields of a COMMAND entry.
func checkCommandInfo(t *testing.T, name string, got *redis.CommandInfo, exp redis.CommandInfo) {
	t.Helper()
	g := redis.CommandInfo{Arity: got.Arity, Flags: got.Flags, FirstKeyPos: got.FirstKeyPos,
		LastKeyPos: got.LastKeyPos, StepCount: got.StepCount, ACLFlags: got.ACLFlags}
	if !reflect.DeepEqual(g, exp) {
		t.Errorf("COMMAND INFO %s:\n got  %+v\n want %+v", name, g, exp)
	}
}

// commandInfoOf reads one COMMAND INFO entry (e.g. of a subcommand) the way
// go-redis parses COMMAND.
func commandInfoOf(ctx context.Context, t *testing.T, rdb *redis.Client, name string) (*redis.CommandInfo, bool) {
	t.Helper()
	raw, ok := must(t, rdb.Do(ctx, "COMMAND", "INFO", name)).([]interface{})
	if !ok || len(raw) != 1 || raw[0] == nil {
		return nil, false
	}
	e, ok := raw[0].([]interface{})
	if !ok || len(e) < 7 {
		t.Errorf("COMMAND INFO %s: %#v", name, raw[0])
		return nil, false
	}
	strs := func(v interface{}) []string {
		out := []string{}
		for _, s := range v.([]interface{}) {
			out = append(out, s.(string))
		}
		return out
	}
	i8 := func(v interface{}) int8 { return int8(v.(int64)) }
	return &redis.CommandInfo{
		Name: e[0].(string), Arity: i8(e[1]), Flags: strs(e[2]), FirstKeyPos: i8(e[3]),
		LastKeyPos: i8(e[4]), StepCount: i8(e[5]), ACLFlags: strs(e[6]),
	}, true
}

// docMap reads a COMMAND DOCS map, which RESP2 sends as a flat array.
func docMap(t *testing.T, v interface{}) map[string]interface{} {
	t.Helper()
	out := map[string]interface{}{}
	switch m := v.(type) {
	case map[interface{}]interface{}:
		for k, v := range m {
			out[k.(string)] = v
		}
	case []interface{}:
		if len(m)%2 != 0 {
			t.Errorf("odd-length map array %#v", m)
			return out
		}
		for i := 0; i < len(m); i += 2 {
			out[m[i].(string)] = m[i+1]
		}
	default:
		t.Errorf("want a map (or flat array), got %#v", v)
	}
	return out
}

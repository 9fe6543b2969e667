package commands

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// serverInfo runs INFO with args on c and parses it into sections of fields.
func serverInfo(t *testing.T, c *resptest.Client, args ...string) (titles []string, fields map[string]string) {
	t.Helper()
	text := clientText(t, c.Do(append([]string{"INFO"}, args...)...))
	fields = map[string]string{}
	if text == "" {
		return nil, fields
	}
	if !strings.HasSuffix(text, "\r\n") || strings.HasSuffix(text, "\r\n\r\n") {
		t.Fatalf("INFO text must end with one CRLF: %q", text)
	}
	for i, sec := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n\r\n") {
		lines := strings.Split(sec, "\r\n")
		title, ok := strings.CutPrefix(lines[0], "# ")
		if !ok {
			t.Fatalf("section %d does not start with a title: %q", i, sec)
		}
		titles = append(titles, title)
		for _, l := range lines[1:] {
			k, v, ok := strings.Cut(l, ":")
			if !ok || k == "" {
				t.Fatalf("bad INFO line %q", l)
			}
			fields[k] = v
		}
	}
	return titles, fields
}

// serverCmdstat parses one cmdstat_ line.
func serverCmdstat(t *testing.T, fields map[string]string, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	line, ok := fields["cmdstat_"+name]
	if !ok {
		return out
	}
	for _, kv := range strings.Split(line, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "usec_per_call" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("cmdstat_%s: %q", name, line)
		}
		out[k] = n
	}
	return out
}

func TestServerInfoSections(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	dflt := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}
	all := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, dflt},
		{[]string{"default"}, dflt},
		{[]string{"ALL"}, all},
		{[]string{"everything"}, all},
		{[]string{"keyspace", "SERVER", "cpu", "server"}, []string{"Server", "CPU", "Keyspace"}},
		{[]string{"default", "commandstats", "latencystats"}, all},
		{[]string{"module_list"}, []string{"Modules"}},
		{[]string{"nosuch"}, nil},
		{[]string{"a", "b", "c", "d"}, nil},
	} {
		if got, _ := serverInfo(t, c, tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("INFO %v: sections %v, want %v", tc.args, got, tc.want)
		}
	}
	runSteps(t, c, []step{
		{cmd: "INFO nosuch", want: `""`},
		{cmd: "INFO cluster", want: `"# Cluster\r\ncluster_enabled:0\r\n"`},
		{cmd: "INFO modules", want: `"# Modules\r\n"`},
	})
	_, f := serverInfo(t, c, "server", "clients", "replication", "persistence")
	want := map[string]string{
		"redis_version": RedisVersion, "synap_version": Version, "redis_mode": "standalone",
		"process_id": strconv.Itoa(os.Getpid()), "tcp_port": serverTestPort(srv),
		"connected_clients": "1", "maxclients": "10000", "role": "master", "connected_slaves": "0",
		"rdb_last_save_time": strconv.FormatInt(srv.LastSave(), 10), "loading": "0", "hz": "10", "blocked_clients": "0",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("INFO %s=%q, want %q", k, f[k], v)
		}
	}
	if len(f["run_id"]) != 40 || f["run_id"] == f["master_replid"] {
		t.Errorf("run_id %q, master_replid %q", f["run_id"], f["master_replid"])
	}
	c2 := dial(t, srv)
	c2.Do("PING")
	if _, f2 := serverInfo(t, c, "clients", "server"); f2["connected_clients"] != "2" || f2["run_id"] != f["run_id"] {
		t.Errorf("with a second client: connected_clients=%s, run_id %s then %s", f2["connected_clients"], f["run_id"], f2["run_id"])
	}

	_, m := serverInfo(t, c, "memory")
	for _, k := range []string{"used_memory", "used_memory_rss", "total_system_memory"} {
		if n, err := strconv.ParseInt(m[k], 10, 64); err != nil || n <= 0 {
			t.Errorf("INFO memory %s=%q", k, m[k])
		}
	}
	if m["maxmemory_policy"] != "noeviction" || !strings.HasSuffix(m["used_memory_human"], "M") && !strings.HasSuffix(m["used_memory_human"], "K") {
		t.Errorf("INFO memory: %v", m)
	}

	// RESP3 gets a verbatim string.
	c.Do("HELLO", "3")
	if got := c.Do("INFO", "cluster"); got != "=txt:# Cluster\r\ncluster_enabled:0\r\n" {
		t.Errorf("INFO in RESP3: %q", got)
	}
}

// serverTestPort is the port srv listens on, as text.
func serverTestPort(srv *Server) string {
	addr := srv.Addr().String()
	return addr[strings.LastIndexByte(addr, ':')+1:]
}

func TestServerInfoCounters(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	stat := func(name string) map[string]int64 {
		_, f := serverInfo(t, c, "commandstats")
		return serverCmdstat(t, f, name)
	}
	stats := func() map[string]string {
		_, f := serverInfo(t, c, "stats", "keyspace")
		return f
	}
	runSteps(t, c, []step{{cmd: "CONFIG RESETSTAT", want: "+OK"}})
	if _, f := serverInfo(t, c, "commandstats"); len(f) != 1 {
		t.Errorf("after RESETSTAT only RESETSTAT itself is counted: %v", f)
	} else if cs := serverCmdstat(t, f, "config|resetstat"); cs["calls"] != 1 || cs["failed_calls"] != 0 || cs["rejected_calls"] != 0 {
		t.Errorf("cmdstat_config|resetstat: %v", cs)
	}
	if _, f := serverInfo(t, c, "errorstats"); len(f) != 0 {
		t.Errorf("INFO errorstats after RESETSTAT: %v", f)
	}
	s0 := stats()
	if s0["total_commands_processed"] != "3" || s0["keyspace_hits"] != "0" || s0["total_error_replies"] != "0" {
		t.Errorf("after RESETSTAT: %v", s0)
	}

	before := stat("get")
	runSteps(t, c, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		{cmd: "GET nokey", want: "nil"},
		{cmd: "GET", want: "-ERR wrong number of arguments for 'get' command"},
		{cmd: "CONFIG SET timeout x", want: "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	})
	after := stat("get")
	if after["calls"] != before["calls"]+2 || after["failed_calls"] != 0 || after["rejected_calls"] != before["rejected_calls"]+1 {
		t.Errorf("cmdstat_get: %v then %v", before, after)
	}
	if cs := stat("config|set"); cs["calls"] != 1 || cs["failed_calls"] != 1 || cs["rejected_calls"] != 0 {
		t.Errorf("cmdstat_config|set: %v", cs)
	}
	if _, f := serverInfo(t, c, "errorstats"); len(f) != 1 || f["errorstat_ERR"] != "count=2" {
		t.Errorf("INFO errorstats: %v", f)
	}
	s1 := stats()
	for k, want := range map[string]string{
		"keyspace_hits": "1", "keyspace_misses": "1", "total_error_replies": "2", "db0": "keys=1,expires=0,avg_ttl=0",
	} {
		if s1[k] != want {
			t.Errorf("INFO %s=%q, want %q", k, s1[k], want)
		}
	}
	conns, _ := strconv.Atoi(s1["total_connections_received"])
	dial(t, srv).Do("PING")
	if s2 := stats(); s2["total_connections_received"] != strconv.Itoa(conns+1) {
		t.Errorf("total_connections_received %s after %d", s2["total_connections_received"], conns)
	}

	runSteps(t, c, []step{
		{cmd: "SELECT 3", want: "+OK"},
		{cmd: "SET a 1 EX 100", want: "+OK"},
		{cmd: "SET b 1", want: "+OK"},
	})
	if f := stats(); f["db3"] != "keys=2,expires=1,avg_ttl=0" || f["db0"] != "keys=1,expires=0,avg_ttl=0" || f["db1"] != "" {
		t.Errorf("INFO keyspace: db0=%q db1=%q db3=%q", f["db0"], f["db1"], f["db3"])
	}
}

func TestServerConfig(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	port := serverTestPort(srv)
	runSteps(t, c, []step{
		{cmd: "CONFIG", want: "-ERR wrong number of arguments for 'config' command"},
		{cmd: "CONFIG GET", want: "-ERR wrong number of arguments for 'config|get' command"},
		{cmd: "CONFIG foo", want: "-ERR unknown subcommand 'foo'. Try CONFIG HELP."},
		{cmd: "CONFIG GET maxclients", want: `["maxclients" "10000"]`},
		{cmd: "CONFIG GET MAXCLIENTS port", want: `["MAXCLIENTS" "10000" "port" "` + port + `"]`},
		{cmd: "CONFIG GET nosuch", want: "[]"},
		{cmd: "CONFIG GET timeout TIMEOUT time* t[i]meout", want: `["timeout" "0"]`},
		{cmd: "CONFIG GET time* timeout", want: `["timeout" "0"]`},
		{cmd: "CONFIG GET *max*", want: `["maxclients" "10000" "proto-max-bulk-len" "536870912" "maxmemory" "0" "maxmemory-policy" "noeviction" "maxmemory-samples" "5" "slowlog-max-len" "128" "tracking-table-max-keys" "1000000" "tracking-tenant-max-keys" "10000"]`},
		{cmd: "CONFIG GET bind databases requirepass", want: `["bind" "127.0.0.1" "databases" "16" "requirepass" ""]`},
		{cmd: "CONFIG GET client-query-buffer-limit loglevel save appendonly", want: `["client-query-buffer-limit" "1073741824" "loglevel" "info" "save" "" "appendonly" "no"]`},

		{cmd: "CONFIG SET loglevel", want: "-ERR wrong number of arguments for 'config|set' command"},
		{cmd: "CONFIG SET loglevel warning timeout", want: "-ERR syntax error"},
		{cmd: "CONFIG SET nosuch 1", want: "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{cmd: "CONFIG SET timeout x NoSuch 1", want: "-ERR Unknown option or number of arguments for CONFIG SET - 'NoSuch'"},
		{cmd: "CONFIG SET databases 3 nosuch 1", want: "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
		{cmd: "CONFIG SET timeout x databases 3", want: "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
		{cmd: "CONFIG SET port 7000", want: "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
		{cmd: "CONFIG SET BIND 0.0.0.0", want: "-ERR CONFIG SET failed (possibly related to argument 'BIND') - can't set immutable config"},
		{cmd: "CONFIG SET timeout 5 TIMEOUT 6", want: "-ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter"},
		{cmd: "CONFIG SET TIMEOUT x", want: "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
		{cmd: "CONFIG SET timeout +5", want: "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
		{cmd: "CONFIG SET timeout -1", want: "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
		{cmd: "CONFIG SET maxclients 0", want: "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{cmd: "CONFIG SET maxclients 1k", want: "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{cmd: "CONFIG SET proto-max-bulk-len x", want: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value"},
		{cmd: "CONFIG SET proto-max-bulk-len -5", want: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value"},
		{cmd: "CONFIG SET proto-max-bulk-len 1.5mb", want: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value"},
		{cmd: "CONFIG SET proto-max-bulk-len 1m", want: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 4294967295 inclusive"},
		{cmd: "CONFIG SET proto-max-bulk-len 99999999999999999999", want: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 4294967295 inclusive"},
		// A key or string value is at most 4 GB - 1 (the engine's 32-bit lengths).
		{cmd: "CONFIG SET proto-max-bulk-len 4gb", want: "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 4294967295 inclusive"},
		{cmd: "CONFIG SET proto-max-bulk-len 4294967295", want: "+OK"},
		{cmd: "CONFIG SET proto-max-bulk-len 512mb", want: "+OK"},
		{cmd: "CONFIG SET client-query-buffer-limit 1kb", want: "-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive"},
		{cmd: "CONFIG SET loglevel foo", want: "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"},
		{cmd: "CONFIG SET appendonly yes", want: "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config"},
		{cmd: "CONFIG SET appendonly maybe", want: "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"},
		{cmd: "CONFIG SET save x", want: "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{cmd: "CONFIG SET maxmemory abc", want: "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
		{cmd: "CONFIG SET maxmemory 100mb", want: "+OK"},
		{cmd: "CONFIG GET maxmemory", want: `["maxmemory" "104857600"]`},
		{cmd: "CONFIG SET maxmemory-policy foo", want: "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{cmd: "CONFIG SET maxmemory-policy allkeys-lru", want: "+OK"},
		{cmd: "CONFIG GET maxmemory-policy", want: `["maxmemory-policy" "allkeys-lru"]`},
		{cmd: "CONFIG SET maxmemory-policy noeviction", want: "+OK"},
		// All or nothing: a bad second value leaves the first unchanged.
		{cmd: "CONFIG SET loglevel WARNING timeout x", want: "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
		{cmd: "CONFIG GET loglevel", want: `["loglevel" "info"]`},
		{cmd: "CONFIG SET loglevel WARNING timeout 30 proto-max-bulk-len 2gb client-query-buffer-limit 1GB", want: "+OK"},
		{cmd: "CONFIG GET loglevel timeout proto-max-bulk-len client-query-buffer-limit", want: `["loglevel" "warning" "timeout" "30" "proto-max-bulk-len" "2147483648" "client-query-buffer-limit" "1073741824"]`},
		// Read-only parameters accept only the value they have.
		{args: []string{"CONFIG", "SET", "timeout", "0", "save", "900 1"}, want: "-ERR CONFIG SET failed (possibly related to argument 'save') - can't set immutable config"},
		{args: []string{"CONFIG", "SET", "save", "", "appendonly", "NO", "maxmemory", "0kb", "maxmemory-policy", "NoEviction", "timeout", "0"}, want: "+OK"},
		{cmd: "CONFIG RESETSTAT x", want: "-ERR wrong number of arguments for 'config|resetstat' command"},
		{cmd: "CONFIG HELP", want: "[+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are: +GET <pattern> " +
			"+    Return parameters matching the glob-like <pattern> and their values. +SET <directive> <value> " +
			"+    Set the configuration <directive> to <value>. +RESETSTAT +    Reset statistics reported by the INFO command. " +
			"+HELP +    Prints this help.]"},
	})
	if cfg := srv.Config(); cfg.Timeout != 0 || cfg.LogLevel != "warning" || cfg.ProtoMaxBulkLen != 2<<30 {
		t.Errorf("live config: %+v", cfg)
	}
	c.Do("HELLO", "3")
	runSteps(t, c, []step{{cmd: "CONFIG GET maxclients timeout", want: `{"maxclients":"10000" "timeout":"0"}`}})
}

func TestServerConfigLimits(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{{cmd: "CONFIG SET proto-max-bulk-len 1mb", want: "+OK"}})
	// A bulk of exactly the limit passes, one byte more is a protocol error
	// that closes the connection.
	big := strings.Repeat("x", 1<<20)
	runSteps(t, c, []step{{args: []string{"SET", "k", big}, want: "+OK"}})
	// Only the header is sent: the length alone is refused.
	if err := c.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := c.Read(); got != "-ERR Protocol error: invalid bulk length" {
		t.Errorf("bulk over proto-max-bulk-len: %.80s", got)
	}
	if got := c.Read(); !strings.HasPrefix(got, "ERROR:") {
		t.Errorf("the connection stays open after the protocol error: %s", got)
	}

	// maxclients counts connections already open: with one, a limit of 1
	// refuses the next.
	c2 := dial(t, srv)
	runSteps(t, c2, []step{{cmd: "CONFIG SET maxclients 1", want: "+OK"}})
	c3 := dial(t, srv)
	if got := c3.Read(); got != "-ERR max number of clients reached" {
		t.Errorf("connection over maxclients: %s", got)
	}

	// The connection that sets a password stays logged in; new ones must AUTH.
	runSteps(t, c2, []step{
		{cmd: "CONFIG SET maxclients 100 requirepass s3cret", want: "+OK"},
		{cmd: "PING", want: "+PONG"},
	})
	c4 := dial(t, srv)
	runSteps(t, c4, []step{
		{cmd: "PING", want: "-NOAUTH Authentication required."},
		{cmd: "AUTH s3cret", want: "+OK"},
		{cmd: "CONFIG GET requirepass", want: `["requirepass" "s3cret"]`},
	})
}

func TestServerTimeLastSave(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	before := time.Now().Unix()
	got := c.Do("TIME")
	after := time.Now().Unix()
	parts := strings.Fields(strings.Trim(got, "[]"))
	if len(parts) != 2 {
		t.Fatalf("TIME: %s", got)
	}
	sec, err1 := strconv.ParseInt(strings.Trim(parts[0], `"`), 10, 64)
	usec, err2 := strconv.ParseInt(strings.Trim(parts[1], `"`), 10, 64)
	if err1 != nil || err2 != nil || sec < before || sec > after || usec < 0 || usec > 999999 || !strings.HasPrefix(parts[0], `"`) {
		t.Errorf("TIME: %s, want bulk seconds in [%d, %d] and microseconds", got, before, after)
	}
	runSteps(t, c, []step{
		{cmd: "TIME x", want: "-ERR wrong number of arguments for 'time' command"},
		{cmd: "LASTSAVE", want: ":" + strconv.FormatInt(srv.LastSave(), 10)},
		{cmd: "LASTSAVE x", want: "-ERR wrong number of arguments for 'lastsave' command"},
	})
}

func TestServerShutdown(t *testing.T) {
	srv := startServer(t)
	c, other := dial(t, srv), dial(t, srv)
	other.Do("PING")
	runSteps(t, c, []step{
		{cmd: "SHUTDOWN ABORT", want: "-ERR No shutdown in progress."},
		{cmd: "SHUTDOWN abort ABORT", want: "-ERR No shutdown in progress."},
		{cmd: "SHUTDOWN SAVE NOSAVE", want: "-ERR syntax error"},
		{cmd: "SHUTDOWN ABORT NOW", want: "-ERR syntax error"},
		{cmd: "SHUTDOWN NOW ABORT", want: "-ERR syntax error"},
		{cmd: "SHUTDOWN foo", want: "-ERR syntax error"},
	})
	select {
	case <-srv.Done():
		t.Fatal("the server stopped on a refused SHUTDOWN")
	default:
	}
	// No reply: the connection closes and so does the server.
	if got := c.Do("SHUTDOWN", "NOSAVE", "NOW", "FORCE"); !strings.HasPrefix(got, "ERROR:") {
		t.Errorf("SHUTDOWN replied %s", got)
	}
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server is still running after SHUTDOWN")
	}
	if got := other.Read(); !strings.HasPrefix(got, "ERROR:") {
		t.Errorf("another client is still connected: %s", got)
	}
}

func TestServerMaxMemoryRefusesWritesOnly(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "CONFIG SET maxmemory 1", want: "+OK"},
		{cmd: "CONFIG GET maxmemory", want: `["maxmemory" "1"]`},
	})
	srv.heapBytes.Store(2) // the sampler would see at least this much
	runSteps(t, c, []step{
		{cmd: "SET k2 v", want: "-OOM command not allowed when used memory > 'maxmemory'."},
		{cmd: "APPEND k x", want: "-OOM command not allowed when used memory > 'maxmemory'."},
		{cmd: "GET k", want: `"v"`},
		{cmd: "DEL k", want: ":1"},
		{cmd: "CONFIG SET maxmemory 0", want: "+OK"},
		{cmd: "SET k2 v", want: "+OK"},
	})
}

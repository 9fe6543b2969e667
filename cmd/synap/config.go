package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"go.yaml.in/yaml/v3"

	"synap/commands"
	"synap/engine"
	"synap/httpapi"
)

// serveCmd holds every setting of commands.Config. Each one is a flag, a
// SYNAP_* variable (kong applies those in place of the default) and a key of
// the --config file (applied afterwards to what neither of them set).
type serveCmd struct {
	Config string `type:"path" env:"SYNAP_CONFIG" placeholder:"FILE" help:"YAML or JSON file of settings; its keys are the flag names."`

	Bind                    string `default:"${bind}" env:"SYNAP_BIND" help:"Address to listen on for RESP."`
	Port                    int    `default:"${port}" env:"SYNAP_PORT" help:"RESP port (0: any free port)."`
	Requirepass             string `env:"SYNAP_REQUIREPASS" placeholder:"PASSWORD" help:"Password clients must AUTH with."`
	Databases               int    `default:"${databases}" env:"SYNAP_DATABASES" help:"Number of databases for SELECT."`
	Shards                  int    `default:"${shards}" env:"SYNAP_SHARDS" help:"Storage shards, each with its own lock (rounded up to a power of two, at most 1024)."`
	Maxclients              int    `default:"${maxclients}" env:"SYNAP_MAXCLIENTS" help:"Maximum number of connected clients."`
	Timeout                 int    `default:"${timeout}" env:"SYNAP_TIMEOUT" help:"Close clients idle for this many seconds (0: never)."`
	ProtoMaxBulkLen         size   `default:"${proto_max_bulk_len}" env:"SYNAP_PROTO_MAX_BULK_LEN" help:"Largest single argument (units: kb, mb, gb)."`
	ClientQueryBufferLimit  size   `default:"${client_query_buffer_limit}" env:"SYNAP_CLIENT_QUERY_BUFFER_LIMIT" help:"Most unparsed input held per client (units: kb, mb, gb)."`
	Loglevel                string `default:"${loglevel}" env:"SYNAP_LOGLEVEL" help:"Log level: debug, info, warn or error (Redis's verbose, notice and warning also work)."`
	Maxmemory               size   `default:"0" env:"SYNAP_MAXMEMORY" help:"Memory limit (units: kb, mb, gb; 0: no limit): with noeviction writes are refused once the heap exceeds it; an evicting policy evicts keys to keep the dataset under it."`
	MaxmemoryPolicy         string `default:"noeviction" env:"SYNAP_MAXMEMORY_POLICY" help:"What maxmemory does: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random or volatile-ttl (docs/EVICTION.md)."`
	MaxmemorySamples        int    `default:"5" env:"SYNAP_MAXMEMORY_SAMPLES" help:"Keys sampled per eviction (at least 1; past 64 counts as 64)."`
	LfuLogFactor            int    `default:"10" env:"SYNAP_LFU_LOG_FACTOR" help:"LFU counter's logarithm factor: higher needs more accesses per step (0 or more)."`
	LfuDecayTime            int    `default:"1" env:"SYNAP_LFU_DECAY_TIME" help:"Minutes after which an idle key's LFU counter drops by one (0: never)."`
	SlowlogLogSlowerThan    int64  `default:"10000" env:"SYNAP_SLOWLOG_LOG_SLOWER_THAN" help:"SLOWLOG keeps commands that ran this many microseconds or more (negative: none; 0: every command)."`
	SlowlogMaxLen           int64  `default:"128" env:"SYNAP_SLOWLOG_MAX_LEN" help:"Most entries SLOWLOG keeps (0 or more)."`
	TrackingTableMaxKeys    int64  `default:"1000000" env:"SYNAP_TRACKING_TABLE_MAX_KEYS" help:"Most (client, key) entries client-side caching (CLIENT TRACKING) keeps in all; past it a client gives up its own, each with an invalidation (0: no bound)."`
	TrackingTenantMaxKeys   int64  `default:"10000" env:"SYNAP_TRACKING_TENANT_MAX_KEYS" help:"Most client-side caching entries one tenant's clients keep (cluster mode; 0: only the server's bound)."`
	LatencyTracking         yesNo  `name:"latency-tracking" default:"yes" env:"SYNAP_LATENCY_TRACKING" placeholder:"yes|no" help:"Keep every command's latency histogram (INFO latencystats, LATENCY HISTOGRAM)."`
	LatencyPercentiles      string `name:"latency-tracking-info-percentiles" default:"50 99 99.9" env:"SYNAP_LATENCY_TRACKING_INFO_PERCENTILES" help:"Percentiles INFO latencystats shows, space-separated, each 0 to 100."`
	LatencyMonitorThreshold int64  `default:"0" env:"SYNAP_LATENCY_MONITOR_THRESHOLD" help:"The latency monitor records commands that ran this many milliseconds or more (0: off)."`
	Threads                 int    `default:"0" env:"SYNAP_THREADS" help:"OS threads running Go code (GOMAXPROCS); 0: one fewer than the CPUs, at least 1."`

	ClientOutputBufferLimit    string `default:"${client_output_buffer_limit}" env:"SYNAP_CLIENT_OUTPUT_BUFFER_LIMIT" help:"Redis's classes: normal <hard> <soft> <secs> ... A reply over the normal hard limit is replaced by an error (0: no limit); a client whose queued pushes pass the pubsub hard limit, or its soft limit for longer than its seconds, is disconnected."`
	TenantOutputBufferLimit    size   `default:"${tenant_output_buffer_limit}" env:"SYNAP_TENANT_OUTPUT_BUFFER_LIMIT" help:"Largest reply (and MULTI queue) of a tenant's connection in cluster mode (units: kb, mb, gb; at least 16kb)."`
	TransientMemoryLimit       size   `default:"${transient_memory_limit}" env:"SYNAP_TRANSIENT_MEMORY_LIMIT" help:"Transient memory (LCS tables, SORT buffers) of all running commands together; a tenant may hold a quarter (at least 1mb)."`
	AuthTimeout                int    `default:"${auth_timeout}" env:"SYNAP_AUTH_TIMEOUT" help:"Seconds a connection has to authenticate when a password or cluster mode requires it (0: no limit)."`
	UnauthenticatedClientLimit int    `default:"0" env:"SYNAP_UNAUTHENTICATED_CLIENT_LIMIT" help:"Connections waiting to authenticate at once (0: half of maxclients; never all of them)."`

	NotifyKeyspaceEvents         string `env:"SYNAP_NOTIFY_KEYSPACE_EVENTS" placeholder:"CLASSES" help:"Keyspace notifications, Redis's classes: K E g $ l s h z x e t m d n A (empty: none)."`
	PubsubSubscriptionsPerClient int    `default:"10000" env:"SYNAP_PUBSUB_SUBSCRIPTIONS_PER_CLIENT" help:"Channels, patterns and shard channels one tenant connection may subscribe (0: no limit)."`
	PubsubSubscriptionsPerTenant int    `default:"100000" env:"SYNAP_PUBSUB_SUBSCRIPTIONS_PER_TENANT" help:"Channels, patterns and shard channels all of a tenant's connections may subscribe together (0: no limit)."`

	ClusterMode bool   `env:"SYNAP_CLUSTER_MODE" help:"Admit only holders of access keys, each bound to its tenant's keyspace."`
	TenantsFile string `type:"path" env:"SYNAP_TENANTS_FILE" placeholder:"FILE" help:"Tenants and their access keys for cluster mode (YAML or JSON)."`
	AdminKey    string `env:"SYNAP_ADMIN_KEY" placeholder:"KEY" help:"Operator key for server-wide commands in cluster mode (at least 16 bytes)."`

	HivehubURL            string        `name:"hivehub-url" env:"SYNAP_HIVEHUB_URL" placeholder:"URL" help:"HiveHub's base URL: cluster mode resolves access keys and quotas there instead of a tenants file."`
	HivehubServiceKey     string        `name:"hivehub-service-key" env:"SYNAP_HIVEHUB_SERVICE_KEY" placeholder:"KEY" help:"Synap's own key for HiveHub (sent as a bearer token)."`
	HivehubCacheTTL       time.Duration `name:"hivehub-cache-ttl" default:"30s" env:"SYNAP_HIVEHUB_CACHE_TTL" help:"How long a valid key or a quota from HiveHub is trusted."`
	HivehubNegativeTTL    time.Duration `name:"hivehub-negative-ttl" default:"5s" env:"SYNAP_HIVEHUB_NEGATIVE_TTL" help:"How long an unknown key is remembered."`
	HivehubTimeout        time.Duration `name:"hivehub-timeout" default:"2s" env:"SYNAP_HIVEHUB_TIMEOUT" help:"Time limit of one HiveHub call."`
	HivehubGrace          time.Duration `name:"hivehub-grace" default:"5m" env:"SYNAP_HIVEHUB_GRACE" help:"How long keys already validated keep working while HiveHub cannot answer (0: not at all)."`
	HivehubReportInterval time.Duration `name:"hivehub-report-interval" default:"60s" env:"SYNAP_HIVEHUB_REPORT_INTERVAL" help:"How often each tenant's operations and storage are reported to HiveHub."`
	HivehubUsageFile      string        `name:"hivehub-usage-file" type:"path" env:"SYNAP_HIVEHUB_USAGE_FILE" placeholder:"FILE" help:"Former name of usage-file."`
	UsageFile             string        `name:"usage-file" type:"path" env:"SYNAP_USAGE_FILE" placeholder:"FILE" help:"Cluster mode: where each tenant's monthly operations count (and usage HiveHub has not accepted) is kept across restarts."`

	// The HTTP surface (package httpapi, docs/HTTP.md).
	HTTPBind                string        `name:"http-bind" default:"127.0.0.1" env:"SYNAP_HTTP_BIND" help:"Address the HTTP surface (REST, WebSocket, MCP, /health, /metrics) listens on."`
	HTTPPort                httpPort      `name:"http-port" default:"15500" env:"SYNAP_HTTP_PORT" help:"HTTP port (0: any free port; off: no HTTP surface)."`
	HTTPMaxBody             size          `name:"http-max-body" default:"8mb" env:"SYNAP_HTTP_MAX_BODY" help:"Largest HTTP request body (units: kb, mb, gb); larger gets 413."`
	HTTPReadHeaderTimeout   time.Duration `name:"http-read-header-timeout" default:"5s" env:"SYNAP_HTTP_READ_HEADER_TIMEOUT" help:"Time a client has to send a request's headers."`
	HTTPReadTimeout         time.Duration `name:"http-read-timeout" default:"30s" env:"SYNAP_HTTP_READ_TIMEOUT" help:"Time a client has to send a whole request, body included."`
	HTTPWriteTimeout        time.Duration `name:"http-write-timeout" default:"30s" env:"SYNAP_HTTP_WRITE_TIMEOUT" help:"Time one reply, event or WebSocket frame may take to be written; a client that stops reading is dropped."`
	HTTPIdleTimeout         time.Duration `name:"http-idle-timeout" default:"120s" env:"SYNAP_HTTP_IDLE_TIMEOUT" help:"How long a kept-alive HTTP connection may wait for its next request."`
	HTTPWSMaxMessage        size          `name:"http-ws-max-message" default:"1mb" env:"SYNAP_HTTP_WS_MAX_MESSAGE" help:"Largest WebSocket message a client may send (units: kb, mb, gb)."`
	HTTPWSAuthTimeout       time.Duration `name:"http-ws-auth-timeout" default:"5s" env:"SYNAP_HTTP_WS_AUTH_TIMEOUT" help:"Time a WebSocket without an Authorization header has to send its {\"auth\": key} frame."`
	HTTPWSPingInterval      time.Duration `name:"http-ws-ping-interval" default:"30s" env:"SYNAP_HTTP_WS_PING_INTERVAL" help:"How often WebSockets are pinged (and SSE streams sent a keepalive)."`
	HTTPWSSendQueue         int           `name:"http-ws-send-queue" default:"256" env:"SYNAP_HTTP_WS_SEND_QUEUE" help:"Frames queued for one WebSocket; a client that falls further behind is disconnected."`
	HTTPMaxStreamsPerTenant int           `name:"http-max-streams-per-tenant" default:"32" env:"SYNAP_HTTP_MAX_STREAMS_PER_TENANT" help:"Open WebSockets and SSE streams of one tenant together (standalone: of all clients)."`
	HTTPMaxConnections      int           `name:"http-max-connections" default:"0" env:"SYNAP_HTTP_MAX_CONNECTIONS" help:"Open HTTP connections at once; one more is closed when accepted (0: maxclients)."`
	HTTPAllowedOrigins      string        `name:"http-allowed-origins" env:"SYNAP_HTTP_ALLOWED_ORIGINS" placeholder:"LIST" help:"Comma-separated browser Origins accepted on /ws, /subscribe and /mcp (* for any); the server's own origin and non-browser clients are always accepted."`
	HTTPCORSOrigins         string        `name:"http-cors-origins" env:"SYNAP_HTTP_CORS_ORIGINS" placeholder:"LIST" help:"Comma-separated Origins whose pages may call the REST API (CORS; * for any; empty: off)."`

	// Persistence (package persist, docs/PERSISTENCE.md), by Redis's names.
	Dir                      string `name:"dir" default:"${dir}" env:"SYNAP_DIR" placeholder:"DIR" help:"Data directory: the append-only log, snapshots, the lock file (and in cluster mode the usage file)."`
	Appendonly               yesNo  `name:"appendonly" default:"${appendonly}" env:"SYNAP_APPENDONLY" placeholder:"yes|no" help:"Log every write to the append-only log (no: only snapshots, if save points are set; with save \"\" too, a pure cache that keeps nothing)."`
	Appendfsync              string `name:"appendfsync" default:"${appendfsync}" env:"SYNAP_APPENDFSYNC" placeholder:"POLICY" help:"When the log reaches the disk: always (before each reply), everysec (once a second) or no (when the OS writes it)."`
	Appendfilename           string `name:"appendfilename" default:"${appendfilename}" env:"SYNAP_APPENDFILENAME" placeholder:"NAME" help:"Base name of the log files in dir (NAME.1, NAME.2...)."`
	Dbfilename               string `name:"dbfilename" default:"${dbfilename}" env:"SYNAP_DBFILENAME" placeholder:"NAME" help:"Snapshot file name in dir."`
	Save                     string `name:"save" default:"${save}" env:"SYNAP_SAVE" placeholder:"POINTS" help:"Save points, Redis's \"<seconds> <changes> ...\": a snapshot once that many writes happened in that many seconds (\"\": none)."`
	AutoAofRewritePercentage int    `name:"auto-aof-rewrite-percentage" default:"${auto_aof_rewrite_percentage}" env:"SYNAP_AUTO_AOF_REWRITE_PERCENTAGE" help:"Rewrite the log when it has grown by this percentage over its size after the last rewrite (0: never automatically)."`
	AutoAofRewriteMinSize    size   `name:"auto-aof-rewrite-min-size" default:"${auto_aof_rewrite_min_size}" env:"SYNAP_AUTO_AOF_REWRITE_MIN_SIZE" help:"... and is at least this large (units: kb, mb, gb)."`
	StopWritesOnBgsaveError  yesNo  `name:"stop-writes-on-bgsave-error" default:"${stop_writes_on_bgsave_error}" env:"SYNAP_STOP_WRITES_ON_BGSAVE_ERROR" placeholder:"yes|no" help:"Refuse writes (MISCONF) while the last snapshot failed and save points are set, until one succeeds."`

	DebugPprof string `name:"debug-pprof" env:"SYNAP_DEBUG_PPROF" placeholder:"ADDR" help:"Serve Go's net/http/pprof (profiles, execution traces) on this loopback address, e.g. 127.0.0.1:6060 (empty: off)."`
}

// hubSettings are the HiveHub settings: the binary uses them to build the
// directory, so they live beside commands.Config rather than in it.
type hubSettings struct {
	URL, ServiceKey, UsageFile                            string
	CacheTTL, NegativeTTL, Timeout, Grace, ReportInterval time.Duration
}

// settings is everything `synap serve` runs with.
type settings struct {
	commands.Config
	HiveHub hubSettings
	// DebugPprof is the loopback address of the profiling listener, or "".
	DebugPprof string
	HTTP       httpSettings
}

// httpSettings are the HTTP surface's listener and its httpapi.Options.
type httpSettings struct {
	Bind    string
	Port    int // -1: off
	Options httpapi.Options
}

// splitList reads a comma-separated setting.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

type cli struct {
	Serve      serveCmd         `cmd:"" default:"withargs" help:"Run the server (the default command)."`
	Keys       keysCmd          `cmd:"" help:"Make and hash access keys for a tenants file."`
	Import     importCmd        `cmd:"" help:"Load an RDB file (redis-server SAVE) into a running server, one RESTORE per key."`
	CheckLog   checkLogCmd      `cmd:"" name:"check-log" help:"Verify append-only log files record by record; --fix truncates one at its last good record."`
	HivehubDev hivehubDevCmd    `cmd:"" name:"hivehub-dev" help:"Run a stand-in HiveHub serving a tenants file, to try cluster mode with HiveHub locally."`
	Version    kong.VersionFlag `help:"Print the version and exit."`
}

// defaultVars feeds commands.DefaultConfig into the flags' defaults, so the
// defaults live in one place.
func defaultVars() kong.Vars {
	d := commands.DefaultConfig()
	return kong.Vars{
		"version":                    "synap " + commands.Version,
		"bind":                       d.Bind,
		"port":                       strconv.Itoa(d.Port),
		"databases":                  strconv.Itoa(d.Databases),
		"shards":                     strconv.Itoa(d.Shards),
		"maxclients":                 strconv.Itoa(d.MaxClients),
		"timeout":                    strconv.Itoa(d.Timeout),
		"proto_max_bulk_len":         formatSize(d.ProtoMaxBulkLen),
		"client_query_buffer_limit":  formatSize(d.ClientQueryBufferLimit),
		"loglevel":                   d.LogLevel,
		"client_output_buffer_limit": d.OutputBufferLimits.String(),
		"tenant_output_buffer_limit": formatSize(d.TenantOutputBufferLimit),
		"transient_memory_limit":     formatSize(d.TransientMemoryLimit),
		"auth_timeout":               strconv.Itoa(d.AuthTimeout),
		"dev_service_key":            devServiceKey,

		"dir":                         d.Dir,
		"appendonly":                  string(yesNoOf(d.AppendOnly)),
		"appendfsync":                 d.AppendFsync,
		"appendfilename":              d.AppendFilename,
		"dbfilename":                  d.DBFilename,
		"save":                        d.Save,
		"auto_aof_rewrite_percentage": strconv.Itoa(d.AutoAOFRewritePercentage),
		"auto_aof_rewrite_min_size":   formatSize(d.AutoAOFRewriteMinSize),
		"stop_writes_on_bgsave_error": string(yesNoOf(d.StopWritesOnBgsaveError)),
	}
}

// parseArgs parses the command line, environment and config file into the
// server's configuration. Precedence: flag > SYNAP_* > file > default.
func parseArgs(args []string) (*kong.Context, settings, error) {
	var c cli
	k, err := kong.New(&c, kong.Name("synap"),
		kong.Description("An in-memory server that speaks the Redis protocol."), defaultVars())
	if err != nil {
		return nil, settings{}, err
	}
	kctx, err := k.Parse(args)
	if err != nil {
		return nil, settings{}, err
	}
	if kctx.Command() != "serve" {
		return kctx, settings{}, nil
	}
	if c.Serve.Config != "" {
		if err := applyFile(kctx, c.Serve.Config); err != nil {
			return kctx, settings{}, err
		}
	}
	cfg, err := c.Serve.config()
	return kctx, cfg, err
}

// applyFile sets, from the file at path, each flag that was neither given on
// the command line nor through its environment variable.
func applyFile(kctx *kong.Context, path string) error {
	values, err := readConfigFile(path)
	if err != nil {
		return err
	}
	flags := map[string]*kong.Flag{}
	var names []string
	for _, f := range kctx.Selected().Flags {
		if f.Name == "config" {
			continue
		}
		flags[f.Name] = f
		names = append(names, f.Name)
	}
	onCommandLine := map[string]bool{}
	for _, p := range kctx.Path {
		if p.Flag != nil && !p.Resolved {
			onCommandLine[p.Flag.Name] = true
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad key deterministically
	seen := map[string]string{}
	for _, key := range keys {
		name := strings.ReplaceAll(strings.ToLower(key), "_", "-")
		f, ok := flags[name]
		if !ok {
			return fmt.Errorf("config file %s: unknown key %q (known keys: %s)", path, key, strings.Join(names, ", "))
		}
		if other, dup := seen[name]; dup {
			return fmt.Errorf("config file %s: keys %q and %q set the same setting", path, other, key)
		}
		seen[name] = key
		// A bad value is an error even where a flag or variable overrides
		// it: the file must be fixed before it is relied on.
		text, err := scalarText(values[key], f.Target.Type())
		if err != nil {
			return fmt.Errorf("config file %s: key %q: %w", path, key, err)
		}
		v := reflect.New(f.Target.Type()).Elem()
		scan := kong.ScanFromTokens(kong.Token{Type: kong.FlagValueToken, Value: text})
		if err := f.Mapper.Decode(&kong.DecodeContext{Value: f.Value, Scan: scan}, v); err != nil {
			return fmt.Errorf("config file %s: key %q: %w", path, key, err)
		}
		if !onCommandLine[name] && !envSet(f) {
			f.Target.Set(v)
		}
	}
	return nil
}

func envSet(f *kong.Flag) bool {
	for _, e := range f.Envs {
		if _, ok := os.LookupEnv(e); ok {
			return true
		}
	}
	return false
}

// readConfigFile decodes a flat mapping of keys to scalar values: JSON for
// *.json, YAML otherwise.
func readConfigFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	values := map[string]any{}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		err = dec.Decode(&values)
	} else {
		err = yaml.Unmarshal(data, &values)
	}
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return values, nil
}

// scalarText checks a decoded file value against the setting's type and
// renders it for the flag's own parser, so file values obey the same rules
// as flags.
func scalarText(v any, t reflect.Type) (string, error) {
	if t == reflect.TypeOf(time.Duration(0)) {
		if s, ok := v.(string); ok {
			return s, nil
		}
		return "", fmt.Errorf("want a duration such as 30s, 5m or 1h30m, got %s", describe(v))
	}
	switch t.Kind() {
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
		return "", fmt.Errorf("want true or false, got %s", describe(v))
	case reflect.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
		if b, ok := v.(bool); ok && t == reflect.TypeOf(yesNo("")) {
			return string(yesNoOf(b)), nil // appendonly: true in JSON
		}
		return "", fmt.Errorf("want a string, got %s", describe(v))
	case reflect.Int, reflect.Int64:
		if n, ok := integer(v); ok {
			return n, nil
		}
		if t == reflect.TypeOf(httpPort(0)) {
			if s, ok := v.(string); ok {
				return s, nil // "off"
			}
		}
		if t != reflect.TypeOf(size(0)) {
			return "", fmt.Errorf("want an integer, got %s", describe(v))
		}
		if s, ok := v.(string); ok {
			return s, nil // "512mb"
		}
		return "", fmt.Errorf("%w, got %s", errSize, describe(v))
	}
	return "", fmt.Errorf("unsupported setting type %s", t)
}

func integer(v any) (string, bool) {
	switch n := v.(type) {
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	case json.Number:
		if _, err := n.Int64(); err == nil {
			return n.String(), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return strconv.FormatInt(int64(n), 10), true
		}
	}
	return "", false
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(v)
	case bool:
		return "a boolean"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// config validates the settings with Redis's bounds and builds commands.Config.
func (s *serveCmd) config() (settings, error) {
	checks := []struct {
		name     string
		v, lo    int64
		hi       int64
		sizeUnit bool
	}{
		{"port", int64(s.Port), 0, 65535, false},
		{"databases", int64(s.Databases), 1, math.MaxInt32, false},
		{"shards", int64(s.Shards), 1, 1024, false},
		{"maxclients", int64(s.Maxclients), 1, math.MaxInt32, false},
		{"timeout", int64(s.Timeout), 0, math.MaxInt32, false},
		{"threads", int64(s.Threads), 0, 4096, false},
		{"proto-max-bulk-len", int64(s.ProtoMaxBulkLen), 1 << 20, engine.MaxLen, true},
		{"client-query-buffer-limit", int64(s.ClientQueryBufferLimit), 1 << 20, math.MaxInt64, true},
		{"transient-memory-limit", int64(s.TransientMemoryLimit), 1 << 20, math.MaxInt64, true},
		{"auth-timeout", int64(s.AuthTimeout), 0, math.MaxInt32, false},
		{"unauthenticated-client-limit", int64(s.UnauthenticatedClientLimit), 0, math.MaxInt32, false},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			if c.hi == math.MaxInt64 {
				return settings{}, fmt.Errorf("%s must be at least %d bytes (1mb), got %d", c.name, c.lo, c.v)
			}
			return settings{}, fmt.Errorf("%s must be between %d and %d, got %d", c.name, c.lo, c.hi, c.v)
		}
	}
	durations := []struct {
		name   string
		v      time.Duration
		zeroOK bool
	}{
		{name: "hivehub-cache-ttl", v: s.HivehubCacheTTL},
		{name: "hivehub-negative-ttl", v: s.HivehubNegativeTTL},
		{name: "hivehub-timeout", v: s.HivehubTimeout},
		{name: "hivehub-grace", v: s.HivehubGrace, zeroOK: true},
		{name: "hivehub-report-interval", v: s.HivehubReportInterval},
	}
	for _, d := range durations {
		switch {
		case d.zeroOK && d.v < 0:
			return settings{}, fmt.Errorf("%s must not be negative, got %s", d.name, d.v)
		case !d.zeroOK && d.v <= 0:
			return settings{}, fmt.Errorf("%s must be longer than 0s, got %s", d.name, d.v)
		}
	}
	level, err := parseLevel(s.Loglevel)
	if err != nil {
		return settings{}, err
	}
	if s.TenantOutputBufferLimit < 16<<10 {
		return settings{}, fmt.Errorf("tenant-output-buffer-limit must be at least 16384 bytes (16kb), got %d", s.TenantOutputBufferLimit)
	}
	obl, err := commands.ParseOutputBufferLimits(s.ClientOutputBufferLimit)
	if err != nil {
		return settings{}, err
	}
	notify, err := commands.ParseNotifyKeyspaceEvents(s.NotifyKeyspaceEvents)
	if err != nil {
		return settings{}, err
	}
	policy, ok := commands.ParseEvictionPolicy(s.MaxmemoryPolicy)
	if !ok {
		return settings{}, fmt.Errorf("maxmemory-policy %q: must be one of noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl", s.MaxmemoryPolicy)
	}
	percentiles, msg := commands.ParsePercentiles(s.LatencyPercentiles)
	if msg != "" {
		return settings{}, fmt.Errorf("latency-tracking-info-percentiles %q: %s", s.LatencyPercentiles, msg)
	}
	if s.LatencyMonitorThreshold < 0 {
		return settings{}, fmt.Errorf("latency-monitor-threshold must be 0 or more, got %d", s.LatencyMonitorThreshold)
	}
	if s.TrackingTableMaxKeys < 0 || s.TrackingTenantMaxKeys < 0 {
		return settings{}, fmt.Errorf("tracking-table-max-keys and tracking-tenant-max-keys must be 0 or more, got %d, %d",
			s.TrackingTableMaxKeys, s.TrackingTenantMaxKeys)
	}
	if s.SlowlogMaxLen < 0 {
		return settings{}, fmt.Errorf("slowlog-max-len must be 0 or more, got %d", s.SlowlogMaxLen)
	}
	if s.MaxmemorySamples < 1 || s.LfuLogFactor < 0 || s.LfuDecayTime < 0 {
		return settings{}, fmt.Errorf("maxmemory-samples must be at least 1 and lfu-log-factor, lfu-decay-time not negative, got %d, %d, %d",
			s.MaxmemorySamples, s.LfuLogFactor, s.LfuDecayTime)
	}
	if s.PubsubSubscriptionsPerClient < 0 || s.PubsubSubscriptionsPerTenant < 0 {
		return settings{}, errors.New("pubsub-subscriptions-per-client and -per-tenant must not be negative")
	}
	if s.ClusterMode {
		if err := s.checkCluster(); err != nil {
			return settings{}, err
		}
	}
	usageFile := s.UsageFile
	switch {
	case usageFile == "":
		usageFile = s.HivehubUsageFile
	case s.HivehubUsageFile != "" && s.HivehubUsageFile != usageFile:
		return settings{}, errors.New("usage-file and hivehub-usage-file (its former name) name different files: set only usage-file")
	}
	if s.DebugPprof != "" {
		if err := checkLoopback(s.DebugPprof); err != nil {
			return settings{}, err
		}
	}

	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"http-read-header-timeout", s.HTTPReadHeaderTimeout}, {"http-read-timeout", s.HTTPReadTimeout},
		{"http-write-timeout", s.HTTPWriteTimeout}, {"http-idle-timeout", s.HTTPIdleTimeout},
		{"http-ws-auth-timeout", s.HTTPWSAuthTimeout}, {"http-ws-ping-interval", s.HTTPWSPingInterval}} {
		if d.v <= 0 {
			return settings{}, fmt.Errorf("%s must be longer than 0s, got %s", d.name, d.v)
		}
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"http-max-body", int64(s.HTTPMaxBody)}, {"http-ws-max-message", int64(s.HTTPWSMaxMessage)},
		{"http-ws-send-queue", int64(s.HTTPWSSendQueue)}, {"http-max-streams-per-tenant", int64(s.HTTPMaxStreamsPerTenant)}} {
		if n.v <= 0 {
			return settings{}, fmt.Errorf("%s must be at least 1, got %d", n.name, n.v)
		}
	}
	if err := s.checkPersistence(); err != nil {
		return settings{}, err
	}
	if s.HTTPMaxConnections < 0 {
		return settings{}, fmt.Errorf("http-max-connections must not be negative (0: maxclients), got %d", s.HTTPMaxConnections)
	}
	return settings{
		HTTP: httpSettings{Bind: s.HTTPBind, Port: int(s.HTTPPort), Options: httpapi.Options{
			MaxBodyBytes:        int64(s.HTTPMaxBody),
			ReadHeaderTimeout:   s.HTTPReadHeaderTimeout,
			ReadTimeout:         s.HTTPReadTimeout,
			WriteTimeout:        s.HTTPWriteTimeout,
			IdleTimeout:         s.HTTPIdleTimeout,
			WSMaxMessage:        int64(s.HTTPWSMaxMessage),
			WSAuthTimeout:       s.HTTPWSAuthTimeout,
			WSPingInterval:      s.HTTPWSPingInterval,
			WSSendQueue:         s.HTTPWSSendQueue,
			MaxStreamsPerTenant: s.HTTPMaxStreamsPerTenant,
			MaxConns:            s.HTTPMaxConnections,
			AllowedOrigins:      splitList(s.HTTPAllowedOrigins),
			CORSOrigins:         splitList(s.HTTPCORSOrigins),
		}},
		DebugPprof: s.DebugPprof,
		Config: commands.Config{
			Bind:                    s.Bind,
			Port:                    s.Port,
			RequirePass:             s.Requirepass,
			Databases:               s.Databases,
			Shards:                  s.Shards,
			MaxClients:              s.Maxclients,
			Timeout:                 s.Timeout,
			ProtoMaxBulkLen:         int64(s.ProtoMaxBulkLen),
			ClientQueryBufferLimit:  int64(s.ClientQueryBufferLimit),
			LogLevel:                strings.ToLower(level.String()),
			Threads:                 s.Threads,
			MaxMemory:               int64(s.Maxmemory),
			MaxMemoryPolicy:         policy,
			MaxMemorySamples:        s.MaxmemorySamples,
			LFULogFactor:            s.LfuLogFactor,
			LFUDecayTime:            s.LfuDecayTime,
			SlowlogSlowerThan:       s.SlowlogLogSlowerThan,
			SlowlogMaxLen:           s.SlowlogMaxLen,
			TrackingTableMaxKeys:    s.TrackingTableMaxKeys,
			TrackingTenantMaxKeys:   s.TrackingTenantMaxKeys,
			LatencyTracking:         s.LatencyTracking == "yes",
			LatencyPercentiles:      percentiles,
			LatencyMonitorThreshold: s.LatencyMonitorThreshold,
			OutputBufferLimits:      obl,
			TenantOutputBufferLimit: int64(s.TenantOutputBufferLimit),
			TransientMemoryLimit:    int64(s.TransientMemoryLimit),
			AuthTimeout:             s.AuthTimeout,
			MaxUnauthClients:        s.UnauthenticatedClientLimit,
			ClusterMode:             s.ClusterMode,
			TenantsFile:             s.TenantsFile,
			AdminKey:                s.AdminKey,
			NotifyKeyspaceEvents:    notify,
			PubSubMaxPerClient:      s.PubsubSubscriptionsPerClient,
			PubSubMaxPerTenant:      s.PubsubSubscriptionsPerTenant,

			Dir:                      s.Dir,
			AppendOnly:               s.Appendonly == "yes",
			AppendFsync:              strings.ToLower(s.Appendfsync),
			AppendFilename:           s.Appendfilename,
			DBFilename:               s.Dbfilename,
			Save:                     strings.Join(strings.Fields(s.Save), " "),
			AutoAOFRewritePercentage: s.AutoAofRewritePercentage,
			AutoAOFRewriteMinSize:    int64(s.AutoAofRewriteMinSize),
			StopWritesOnBgsaveError:  s.StopWritesOnBgsaveError == "yes",
		},
		HiveHub: hubSettings{
			URL:            s.HivehubURL,
			ServiceKey:     s.HivehubServiceKey,
			CacheTTL:       s.HivehubCacheTTL,
			NegativeTTL:    s.HivehubNegativeTTL,
			Timeout:        s.HivehubTimeout,
			Grace:          s.HivehubGrace,
			ReportInterval: s.HivehubReportInterval,
			UsageFile:      usageFile,
		},
	}, nil
}

// checkCluster refuses cluster settings that could admit nobody, admit
// through two directories that disagree, or guard the server with an
// operator key short enough to guess.
func (s *serveCmd) checkCluster() error {
	switch {
	case s.TenantsFile != "" && s.HivehubURL != "":
		return errors.New("cluster mode takes one directory of access keys: set --tenants-file or --hivehub-url, not both")
	case s.TenantsFile == "" && s.HivehubURL == "":
		return errors.New("cluster mode needs a directory of access keys: set --tenants-file or --hivehub-url (SYNAP_TENANTS_FILE or SYNAP_HIVEHUB_URL, tenants-file or hivehub-url in the config file)")
	case s.HivehubURL != "" && s.HivehubServiceKey == "":
		return errors.New("hivehub-url needs HiveHub's service key: set --hivehub-service-key, SYNAP_HIVEHUB_SERVICE_KEY or hivehub-service-key in the config file")
	case s.AdminKey == "":
		return errors.New("cluster mode needs an operator key: set --admin-key, SYNAP_ADMIN_KEY or admin-key in the config file")
	case len(s.AdminKey) < minAdminKey:
		return fmt.Errorf("admin-key must be at least %d bytes long (synap keys new makes one)", minAdminKey)
	}
	if s.HivehubURL != "" {
		return checkHubURL(s.HivehubURL)
	}
	return nil
}

// checkHubURL accepts the base URLs the HiveHub client can append its API
// paths to. Credentials in the URL are refused: the service key has its own
// setting, which is never logged, and the URL is.
func checkHubURL(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != "" &&
		u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" {
		return nil
	}
	shown := strconv.Quote(raw)
	if err == nil && u.User != nil {
		shown = strconv.Quote(u.Redacted())
	}
	return fmt.Errorf("hivehub-url must be http:// or https:// and a host, with an optional port and path (such as http://127.0.0.1:8080), got %s", shown)
}

const minAdminKey = 16

// parseLevel accepts slog's level names and Redis's loglevel names.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug", "verbose":
		return slog.LevelDebug, nil
	case "info", "notice":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("loglevel must be debug, info, warn or error, got %q", s)
}

// httpPort is http-port: a port, 0 for any free one, or off (also -1,
// which a command line can only pass as --http-port=-1).
type httpPort int

func (p *httpPort) Decode(ctx *kong.DecodeContext) error {
	var text string
	if err := ctx.Scan.PopValueInto("port", &text); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if strings.EqualFold(text, "off") {
		*p = -1
		return nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < -1 || n > 65535 {
		return fmt.Errorf("http-port must be off, 0 (any free port) or a port up to 65535, got %q", text)
	}
	*p = httpPort(n)
	return nil
}

// size is a byte count that accepts Redis's units: k/m/g are powers of
// 1000, kb/mb/gb powers of 1024, in any case.
type size int64

func (sz *size) Decode(ctx *kong.DecodeContext) error {
	var text string
	if err := ctx.Scan.PopValueInto("size", &text); err != nil {
		return err
	}
	n, err := parseSize(text)
	if err != nil {
		return err
	}
	*sz = size(n)
	return nil
}

var errSize = errors.New("want a size such as 1048576, 64kb, 512mb or 1gb")

func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mul = strings.TrimSuffix(t, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mul {
		return 0, fmt.Errorf("%w, got %q", errSize, s)
	}
	return n * mul, nil
}

// formatSize writes n in the largest binary unit that divides it (help text).
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}} {
		if n >= u.mul && n%u.mul == 0 {
			return strconv.FormatInt(n/u.mul, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

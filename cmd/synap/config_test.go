package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"synap/commands"
	"synap/engine"
	"synap/httpapi"
)

var settingEnvs = []string{
	"SYNAP_CONFIG", "SYNAP_BIND", "SYNAP_PORT", "SYNAP_REQUIREPASS", "SYNAP_DATABASES",
	"SYNAP_SHARDS", "SYNAP_MAXCLIENTS", "SYNAP_TIMEOUT", "SYNAP_PROTO_MAX_BULK_LEN",
	"SYNAP_CLIENT_QUERY_BUFFER_LIMIT", "SYNAP_LOGLEVEL", "SYNAP_MAXMEMORY", "SYNAP_THREADS",
	"SYNAP_MAXMEMORY_POLICY", "SYNAP_MAXMEMORY_SAMPLES", "SYNAP_LFU_LOG_FACTOR", "SYNAP_LFU_DECAY_TIME",
	"SYNAP_CLUSTER_MODE", "SYNAP_TENANTS_FILE", "SYNAP_ADMIN_KEY",
	"SYNAP_HIVEHUB_URL", "SYNAP_HIVEHUB_SERVICE_KEY", "SYNAP_HIVEHUB_CACHE_TTL", "SYNAP_HIVEHUB_NEGATIVE_TTL",
	"SYNAP_HIVEHUB_TIMEOUT", "SYNAP_HIVEHUB_GRACE", "SYNAP_HIVEHUB_REPORT_INTERVAL",
}

// cliEnv clears every SYNAP_* variable (the developer's shell must not leak
// into the cases), then sets env; t.Setenv restores them afterwards.
func cliEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range settingEnvs {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// cliFile writes a config file named name into a temp dir; "" writes none.
func cliFile(t *testing.T, name, content string) string {
	t.Helper()
	if name == "" {
		return ""
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cliDefaults is what synap runs with when nothing is set; the HiveHub
// defaults are written out here as the README documents them.
func cliDefaults() settings {
	return settings{Config: commands.DefaultConfig(), HiveHub: hubSettings{
		CacheTTL: 30 * time.Second, NegativeTTL: 5 * time.Second, Timeout: 2 * time.Second,
		Grace: 5 * time.Minute, ReportInterval: time.Minute,
	}, HTTP: httpSettings{Bind: "127.0.0.1", Port: 15500, Options: httpapi.Options{
		MaxBodyBytes: 8 << 20, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, WSMaxMessage: 1 << 20,
		WSAuthTimeout: 5 * time.Second, WSPingInterval: 30 * time.Second, WSSendQueue: 256, MaxStreamsPerTenant: 32,
	}}}
}

func TestCLIPrecedence(t *testing.T) {
	def := cliDefaults()
	with := func(fn func(c *settings)) settings {
		c := def
		fn(&c)
		return c
	}
	cases := []struct {
		name     string
		fileName string // the file's path is appended as --config FILE
		file     string
		env      map[string]string
		args     []string
		want     settings
	}{
		{name: "defaults", want: def},
		{name: "explicit serve command", args: []string{"serve"}, want: def},
		{
			name:     "eviction settings from file, env and flags",
			fileName: "synap.yaml",
			file:     "maxmemory: 100mb\nmaxmemory-policy: allkeys-lfu\nlfu-decay-time: 5\nlfu-log-factor: 20\n",
			env:      map[string]string{"SYNAP_MAXMEMORY_SAMPLES": "10"},
			args:     []string{"--lfu-log-factor", "3"},
			want: with(func(c *settings) {
				c.MaxMemory, c.MaxMemoryPolicy, c.MaxMemorySamples = 100<<20, engine.AllKeysLFU, 10
				c.LFULogFactor, c.LFUDecayTime = 3, 5
			}),
		},
		{
			name: "eviction policy in any case from env",
			env:  map[string]string{"SYNAP_MAXMEMORY_POLICY": "Volatile-TTL"},
			want: with(func(c *settings) { c.MaxMemoryPolicy = engine.VolatileTTL }),
		},
		{
			name:     "file over defaults",
			fileName: "synap.yaml",
			file:     "bind: 0.0.0.0\nport: 7000\nrequirepass: s3cret\ndatabases: 4\nshards: 64\nmaxclients: 50\ntimeout: 30\nproto-max-bulk-len: 2mb\nclient-query-buffer-limit: 64mb\nloglevel: warn\n",
			want: with(func(c *settings) {
				c.Bind, c.Port, c.RequirePass, c.Databases, c.Shards = "0.0.0.0", 7000, "s3cret", 4, 64
				c.MaxClients, c.Timeout, c.ProtoMaxBulkLen, c.ClientQueryBufferLimit = 50, 30, 2<<20, 64<<20
				c.LogLevel = "warn"
			}),
		},
		{
			name:     "env over file, file still sets the rest",
			fileName: "synap.yaml",
			file:     "port: 7000\ndatabases: 4\n",
			env:      map[string]string{"SYNAP_PORT": "7001"},
			want:     with(func(c *settings) { c.Port, c.Databases = 7001, 4 }),
		},
		{
			name:     "flag over env over file",
			fileName: "synap.yaml",
			file:     "port: 7000\ntimeout: 5\nmaxclients: 7\n",
			env:      map[string]string{"SYNAP_PORT": "7001", "SYNAP_TIMEOUT": "6"},
			args:     []string{"--port", "7002"},
			want:     with(func(c *settings) { c.Port, c.Timeout, c.MaxClients = 7002, 6, 7 }),
		},
		{
			name:     "flag over file without env",
			fileName: "synap.yaml",
			file:     "requirepass: fromfile\n",
			args:     []string{"--requirepass=fromflag"},
			want:     with(func(c *settings) { c.RequirePass = "fromflag" }),
		},
		{
			name: "env over default",
			env:  map[string]string{"SYNAP_BIND": "::1", "SYNAP_SHARDS": "16", "SYNAP_LOGLEVEL": "debug"},
			want: with(func(c *settings) { c.Bind, c.Shards, c.LogLevel = "::1", 16, "debug" }),
		},
		{
			name: "flag over env",
			env:  map[string]string{"SYNAP_DATABASES": "2"},
			args: []string{"serve", "--databases", "3"},
			want: with(func(c *settings) { c.Databases = 3 }),
		},
		{
			name: "an empty env value still counts as set",
			env:  map[string]string{"SYNAP_REQUIREPASS": ""},
			want: def,
		},
		{
			name:     "json file",
			fileName: "synap.json",
			file:     `{"port": 7100, "client-query-buffer-limit": "1gb", "proto-max-bulk-len": 1048576}`,
			want:     with(func(c *settings) { c.Port, c.ClientQueryBufferLimit, c.ProtoMaxBulkLen = 7100, 1<<30, 1<<20 }),
		},
		{
			name:     "underscore keys and Redis level names",
			fileName: "synap.yml",
			file:     "proto_max_bulk_len: 3MB\nloglevel: notice\n",
			want:     with(func(c *settings) { c.ProtoMaxBulkLen, c.LogLevel = 3<<20, "info" }),
		},
		{
			name:     "config path from SYNAP_CONFIG",
			fileName: "", // set below through env
			env:      map[string]string{"SYNAP_CONFIG": "<file>"},
			file:     "port: 7200\n",
			want:     with(func(c *settings) { c.Port = 7200 }),
		},
		{
			name:     "empty file",
			fileName: "empty.yaml",
			want:     def,
		},
		{
			name: "size units on flags",
			args: []string{"--proto-max-bulk-len", "1500k", "--client-query-buffer-limit", "2GB"},
			want: with(func(c *settings) { c.ProtoMaxBulkLen, c.ClientQueryBufferLimit = 1500000, 2<<30 }),
		},
		{
			name: "size units in env",
			env:  map[string]string{"SYNAP_PROTO_MAX_BULK_LEN": "1g"},
			want: with(func(c *settings) { c.ProtoMaxBulkLen = 1e9 }),
		},
		{
			name:     "cluster mode from the file",
			fileName: "synap.yaml",
			file:     "cluster-mode: true\ntenants-file: /etc/synap/tenants.yaml\nadmin-key: 0123456789abcdef\n",
			want: with(func(c *settings) {
				c.ClusterMode, c.TenantsFile, c.AdminKey = true, "/etc/synap/tenants.yaml", "0123456789abcdef"
			}),
		},
		{
			name:     "cluster settings: env over file",
			fileName: "synap.yaml",
			file:     "cluster-mode: false\ntenants-file: /a.yaml\nadmin-key: from-the-file-0123\n",
			env:      map[string]string{"SYNAP_CLUSTER_MODE": "1", "SYNAP_ADMIN_KEY": "from-the-env-0123"},
			want: with(func(c *settings) {
				c.ClusterMode, c.TenantsFile, c.AdminKey = true, "/a.yaml", "from-the-env-0123"
			}),
		},
		{
			name:     "cluster settings: flag over env over file",
			fileName: "synap.yaml",
			file:     "cluster-mode: true\ntenants-file: /a.yaml\nadmin-key: from-the-file-0123\n",
			env:      map[string]string{"SYNAP_TENANTS_FILE": "/b.yaml", "SYNAP_ADMIN_KEY": "from-the-env-0123"},
			args:     []string{"--tenants-file", "/c.yaml", "--admin-key=from-the-flag-0123"},
			want: with(func(c *settings) {
				c.ClusterMode, c.TenantsFile, c.AdminKey = true, "/c.yaml", "from-the-flag-0123"
			}),
		},
		{
			name:     "a flag turns off cluster mode set by the file",
			fileName: "synap.yaml",
			file:     "cluster-mode: true\n",
			args:     []string{"--cluster-mode=false"},
			want:     def,
		},
		{
			name: "cluster settings from env",
			env: map[string]string{"SYNAP_CLUSTER_MODE": "true", "SYNAP_TENANTS_FILE": "/d.yaml",
				"SYNAP_ADMIN_KEY": "exactly-16-bytes"},
			want: with(func(c *settings) {
				c.ClusterMode, c.TenantsFile, c.AdminKey = true, "/d.yaml", "exactly-16-bytes"
			}),
		},
		{
			name:     "cluster settings in json with underscores",
			fileName: "synap.json",
			file:     `{"cluster_mode": true, "tenants_file": "/e.json", "admin_key": "0123456789abcdef"}`,
			want: with(func(c *settings) {
				c.ClusterMode, c.TenantsFile, c.AdminKey = true, "/e.json", "0123456789abcdef"
			}),
		},
		{
			name:     "hivehub settings from the file",
			fileName: "synap.yaml",
			file: "cluster-mode: true\nhivehub-url: https://hivehub.example/base\nhivehub-service-key: svc-from-file\n" +
				"admin-key: 0123456789abcdef\nhivehub-cache-ttl: 1m\nhivehub-negative-ttl: 500ms\nhivehub-timeout: 3s\n" +
				"hivehub-grace: 0s\nhivehub-report-interval: 1h30m\n",
			want: with(func(c *settings) {
				c.ClusterMode, c.AdminKey = true, "0123456789abcdef"
				c.HiveHub = hubSettings{URL: "https://hivehub.example/base", ServiceKey: "svc-from-file",
					CacheTTL: time.Minute, NegativeTTL: 500 * time.Millisecond, Timeout: 3 * time.Second,
					Grace: 0, ReportInterval: 90 * time.Minute}
			}),
		},
		{
			name:     "hivehub settings: env over file, file still sets the rest",
			fileName: "synap.yaml",
			file:     "hivehub-url: http://a:8080\nhivehub-cache-ttl: 1m\nhivehub-timeout: 3s\nhivehub-service-key: svc-a\n",
			env: map[string]string{"SYNAP_HIVEHUB_URL": "http://b:8080", "SYNAP_HIVEHUB_CACHE_TTL": "45s",
				"SYNAP_HIVEHUB_SERVICE_KEY": "svc-b"},
			want: with(func(c *settings) {
				c.HiveHub.URL, c.HiveHub.ServiceKey = "http://b:8080", "svc-b"
				c.HiveHub.CacheTTL, c.HiveHub.Timeout = 45*time.Second, 3*time.Second
			}),
		},
		{
			name:     "hivehub settings: flag over env over file",
			fileName: "synap.yaml",
			file:     "hivehub-url: http://a:8080\nhivehub-grace: 1m\nhivehub-report-interval: 2m\nhivehub-negative-ttl: 1s\n",
			env: map[string]string{"SYNAP_HIVEHUB_URL": "http://b:8080", "SYNAP_HIVEHUB_GRACE": "2m",
				"SYNAP_HIVEHUB_REPORT_INTERVAL": "3m"},
			args: []string{"--hivehub-url=http://c:8080", "--hivehub-grace", "10m", "--hivehub-service-key", "svc-c"},
			want: with(func(c *settings) {
				c.HiveHub.URL, c.HiveHub.ServiceKey, c.HiveHub.Grace = "http://c:8080", "svc-c", 10*time.Minute
				c.HiveHub.ReportInterval, c.HiveHub.NegativeTTL = 3*time.Minute, time.Second
			}),
		},
		{
			name: "hivehub settings from env",
			env: map[string]string{"SYNAP_CLUSTER_MODE": "true", "SYNAP_HIVEHUB_URL": "http://127.0.0.1:8080",
				"SYNAP_HIVEHUB_SERVICE_KEY": "svc-env", "SYNAP_ADMIN_KEY": "exactly-16-bytes",
				"SYNAP_HIVEHUB_NEGATIVE_TTL": "250ms", "SYNAP_HIVEHUB_TIMEOUT": "1s"},
			want: with(func(c *settings) {
				c.ClusterMode, c.AdminKey = true, "exactly-16-bytes"
				c.HiveHub.URL, c.HiveHub.ServiceKey = "http://127.0.0.1:8080", "svc-env"
				c.HiveHub.NegativeTTL, c.HiveHub.Timeout = 250*time.Millisecond, time.Second
			}),
		},
		{
			name:     "hivehub settings in json with underscores",
			fileName: "synap.json",
			file:     `{"hivehub_url": "http://[::1]:8080", "hivehub_service_key": "svc-json", "hivehub_cache_ttl": "2m", "hivehub_report_interval": "15s"}`,
			want: with(func(c *settings) {
				c.HiveHub.URL, c.HiveHub.ServiceKey = "http://[::1]:8080", "svc-json"
				c.HiveHub.CacheTTL, c.HiveHub.ReportInterval = 2*time.Minute, 15*time.Second
			}),
		},
		{
			name: "hivehub url and service key without cluster mode are kept, unchecked",
			args: []string{"--hivehub-url", "not a url"},
			want: with(func(c *settings) { c.HiveHub.URL = "not a url" }),
		},
		{
			name: "tenants file and admin key without cluster mode are kept, unchecked",
			args: []string{"--tenants-file", "/f.yaml", "--admin-key", "short"},
			want: with(func(c *settings) { c.TenantsFile, c.AdminKey = "/f.yaml", "short" }),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			args := append([]string(nil), tc.args...)
			if env["SYNAP_CONFIG"] == "<file>" {
				env["SYNAP_CONFIG"] = cliFile(t, "env.yaml", tc.file)
			} else if path := cliFile(t, tc.fileName, tc.file); path != "" {
				args = append(args, "--config", path)
			}
			cliEnv(t, env)
			_, got, err := parseArgs(args)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", args, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseArgs(%q):\n got %+v\nwant %+v", args, got, tc.want)
			}
		})
	}
}

func TestCLIBadInput(t *testing.T) {
	cases := []struct {
		name     string
		fileName string
		file     string
		env      map[string]string
		args     []string
		want     string // the error text; <file> stands for the file's path
	}{
		{
			name: "unknown key", fileName: "c.yaml", file: "port: 1\nprot: 2\n",
			want: `config file <file>: unknown key "prot" (known keys: bind, port, requirepass, databases, shards, maxclients, timeout, proto-max-bulk-len, client-query-buffer-limit, loglevel, maxmemory, maxmemory-policy, maxmemory-samples, lfu-log-factor, lfu-decay-time, slowlog-log-slower-than, slowlog-max-len, tracking-table-max-keys, tracking-tenant-max-keys, latency-tracking, latency-tracking-info-percentiles, latency-monitor-threshold, threads, client-output-buffer-limit, tenant-output-buffer-limit, transient-memory-limit, auth-timeout, unauthenticated-client-limit, notify-keyspace-events, pubsub-subscriptions-per-client, pubsub-subscriptions-per-tenant, cluster-mode, tenants-file, admin-key, hivehub-url, hivehub-service-key, hivehub-cache-ttl, hivehub-negative-ttl, hivehub-timeout, hivehub-grace, hivehub-report-interval, hivehub-usage-file, usage-file, http-bind, http-port, http-max-body, http-read-header-timeout, http-read-timeout, http-write-timeout, http-idle-timeout, http-ws-max-message, http-ws-auth-timeout, http-ws-ping-interval, http-ws-send-queue, http-max-streams-per-tenant, http-max-connections, http-allowed-origins, http-cors-origins, dir, appendonly, appendfsync, appendfilename, dbfilename, save, auto-aof-rewrite-percentage, auto-aof-rewrite-min-size, stop-writes-on-bgsave-error, debug-pprof)`,
		},
		{
			name: "unknown key in json", fileName: "c.json", file: `{"rdbcompression": "yes"}`,
			want: `config file <file>: unknown key "rdbcompression" (known keys: bind, port, requirepass, databases, shards, maxclients, timeout, proto-max-bulk-len, client-query-buffer-limit, loglevel, maxmemory, maxmemory-policy, maxmemory-samples, lfu-log-factor, lfu-decay-time, slowlog-log-slower-than, slowlog-max-len, tracking-table-max-keys, tracking-tenant-max-keys, latency-tracking, latency-tracking-info-percentiles, latency-monitor-threshold, threads, client-output-buffer-limit, tenant-output-buffer-limit, transient-memory-limit, auth-timeout, unauthenticated-client-limit, notify-keyspace-events, pubsub-subscriptions-per-client, pubsub-subscriptions-per-tenant, cluster-mode, tenants-file, admin-key, hivehub-url, hivehub-service-key, hivehub-cache-ttl, hivehub-negative-ttl, hivehub-timeout, hivehub-grace, hivehub-report-interval, hivehub-usage-file, usage-file, http-bind, http-port, http-max-body, http-read-header-timeout, http-read-timeout, http-write-timeout, http-idle-timeout, http-ws-max-message, http-ws-auth-timeout, http-ws-ping-interval, http-ws-send-queue, http-max-streams-per-tenant, http-max-connections, http-allowed-origins, http-cors-origins, dir, appendonly, appendfsync, appendfilename, dbfilename, save, auto-aof-rewrite-percentage, auto-aof-rewrite-min-size, stop-writes-on-bgsave-error, debug-pprof)`,
		},
		{
			name: "unknown eviction policy", args: []string{"--maxmemory-policy", "lru"},
			want: `maxmemory-policy "lru": must be one of noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl`,
		},
		{
			name: "no samples", env: map[string]string{"SYNAP_MAXMEMORY_SAMPLES": "0"},
			want: `maxmemory-samples must be at least 1 and lfu-log-factor, lfu-decay-time not negative, got 0, 10, 1`,
		},
		{
			name: "string for an integer", fileName: "c.yaml", file: "port: \"7000\"\n",
			want: `config file <file>: key "port": want an integer, got "7000"`,
		},
		{
			name: "list for an integer", fileName: "c.yaml", file: "port: [1, 2]\n",
			want: `config file <file>: key "port": want an integer, got a list`,
		},
		{
			name: "fraction for an integer", fileName: "c.json", file: `{"timeout": 1.5}`,
			want: `config file <file>: key "timeout": want an integer, got 1.5`,
		},
		{
			name: "number for a string", fileName: "c.yaml", file: "requirepass: 1234\n",
			want: `config file <file>: key "requirepass": want a string, got 1234`,
		},
		{
			name: "mapping for a string", fileName: "c.yaml", file: "bind:\n  host: x\n",
			want: `config file <file>: key "bind": want a string, got a mapping`,
		},
		{
			name: "bad size unit", fileName: "c.yaml", file: "client-query-buffer-limit: 12xb\n",
			want: `config file <file>: key "client-query-buffer-limit": want a size such as 1048576, 64kb, 512mb or 1gb, got "12xb"`,
		},
		{
			name: "bad value even where a flag overrides it", fileName: "c.yaml", file: "shards: many\n",
			args: []string{"--shards", "8"},
			want: `config file <file>: key "shards": want an integer, got "many"`,
		},
		{
			name: "the same setting twice", fileName: "c.yaml", file: "proto-max-bulk-len: 2mb\nproto_max_bulk_len: 3mb\n",
			want: `config file <file>: keys "proto-max-bulk-len" and "proto_max_bulk_len" set the same setting`,
		},
		{
			name: "not a mapping", fileName: "c.json", file: `[1, 2]`,
			want: "config file <file>: json: cannot unmarshal array into Go value of type map[string]interface {}",
		},
		{
			name: "broken yaml", fileName: "c.yaml", file: "port: : 1\n",
			want: "config file <file>: yaml: mapping values are not allowed in this context",
		},
		{
			name: "missing file", args: []string{"--config", "/nonexistent/synap.yaml"},
			want: "config file: open /nonexistent/synap.yaml: no such file or directory",
		},
		{
			name: "out of range from the file", fileName: "c.yaml", file: "port: 70000\n",
			want: "port must be between 0 and 65535, got 70000",
		},
		{
			name: "zero shards", args: []string{"--shards", "0"},
			want: "shards must be between 1 and 1024, got 0",
		},
		{
			name: "bulk length below Redis's minimum", args: []string{"--proto-max-bulk-len", "1kb"},
			want: "proto-max-bulk-len must be between 1048576 and 4294967295, got 1024",
		},
		{
			name: "bulk length past what an entry holds", args: []string{"--proto-max-bulk-len", "4gb"},
			want: "proto-max-bulk-len must be between 1048576 and 4294967295, got 4294967296",
		},
		{
			name: "unknown log level", env: map[string]string{"SYNAP_LOGLEVEL": "loud"},
			want: `loglevel must be debug, info, warn or error, got "loud"`,
		},
		{
			name: "bad env value", env: map[string]string{"SYNAP_PORT": "http"},
			want: `--port: expected a valid 64 bit int but got "http" (from envar SYNAP_PORT="http")`,
		},
		{
			name: "bad flag size", args: []string{"--client-query-buffer-limit=-5"},
			want: `--client-query-buffer-limit: want a size such as 1048576, 64kb, 512mb or 1gb, got "-5"`,
		},
		{
			name: "unknown flag", args: []string{"--rdbcompression", "yes"},
			want: "unknown flag --rdbcompression",
		},
		{
			name: "string for a boolean", fileName: "c.yaml", file: "cluster-mode: \"yes\"\n",
			want: `config file <file>: key "cluster-mode": want true or false, got "yes"`,
		},
		{
			name: "number for a boolean", fileName: "c.json", file: `{"cluster-mode": 1}`,
			want: `config file <file>: key "cluster-mode": want true or false, got 1`,
		},
		{
			name: "bad boolean in env", env: map[string]string{"SYNAP_CLUSTER_MODE": "on"},
			want: `--cluster-mode: bool value must be true, 1, yes, false, 0 or no but got "on" (from envar SYNAP_CLUSTER_MODE="on")`,
		},
		{
			name: "cluster mode without a tenants file", args: []string{"--cluster-mode", "--admin-key", "0123456789abcdef"},
			want: cliNoDirectory,
		},
		{
			name: "cluster mode without an admin key", fileName: "c.yaml", file: "cluster-mode: true\ntenants-file: /t.yaml\n",
			want: "cluster mode needs an operator key: set --admin-key, SYNAP_ADMIN_KEY or admin-key in the config file",
		},
		{
			name: "cluster mode with an empty admin key from env", args: []string{"--cluster-mode", "--tenants-file", "/t.yaml"},
			env:  map[string]string{"SYNAP_ADMIN_KEY": ""},
			want: "cluster mode needs an operator key: set --admin-key, SYNAP_ADMIN_KEY or admin-key in the config file",
		},
		{
			name: "integer for a duration", fileName: "c.yaml", file: "hivehub-timeout: 30\n",
			want: `config file <file>: key "hivehub-timeout": want a duration such as 30s, 5m or 1h30m, got 30`,
		},
		{
			name: "duration without a unit", fileName: "c.json", file: `{"hivehub-cache-ttl": "30"}`,
			want: `config file <file>: key "hivehub-cache-ttl": expected duration but got "30": time: missing unit in duration "30"`,
		},
		{
			name: "bad duration in env", env: map[string]string{"SYNAP_HIVEHUB_GRACE": "soon"},
			want: `--hivehub-grace: expected duration but got "soon": time: invalid duration "soon" (from envar SYNAP_HIVEHUB_GRACE="soon")`,
		},
		{
			name: "bad duration flag", args: []string{"--hivehub-report-interval", "1 minute"},
			want: `--hivehub-report-interval: expected duration but got "1 minute": time: unknown unit " minute" in duration "1 minute"`,
		},
		{
			name: "zero cache ttl", args: []string{"--hivehub-cache-ttl", "0s"},
			want: "hivehub-cache-ttl must be longer than 0s, got 0s",
		},
		{
			name: "negative negative ttl", fileName: "c.yaml", file: "hivehub-negative-ttl: -5s\n",
			want: "hivehub-negative-ttl must be longer than 0s, got -5s",
		},
		{
			name: "zero timeout", env: map[string]string{"SYNAP_HIVEHUB_TIMEOUT": "0"},
			want: "hivehub-timeout must be longer than 0s, got 0s",
		},
		{
			name: "negative grace", args: []string{"--hivehub-grace=-1m"},
			want: "hivehub-grace must not be negative, got -1m0s",
		},
		{
			name: "zero report interval", fileName: "c.yaml", file: "hivehub-report-interval: 0ms\n",
			want: "hivehub-report-interval must be longer than 0s, got 0s",
		},
		{
			name: "both directories", args: []string{"--cluster-mode", "--tenants-file", "/t.yaml", "--hivehub-url", "http://h",
				"--hivehub-service-key", "svc", "--admin-key", "0123456789abcdef"},
			want: cliTwoDirectories,
		},
		{
			name: "both directories from env and file", fileName: "c.yaml", file: "cluster-mode: true\nhivehub-url: http://h\n",
			env:  map[string]string{"SYNAP_TENANTS_FILE": "/t.yaml"},
			want: cliTwoDirectories,
		},
		{
			name: "neither directory", env: map[string]string{"SYNAP_CLUSTER_MODE": "1", "SYNAP_ADMIN_KEY": "0123456789abcdef"},
			want: cliNoDirectory,
		},
		{
			name: "hivehub without a service key", args: []string{"--cluster-mode", "--hivehub-url", "http://127.0.0.1:8080",
				"--admin-key", "0123456789abcdef"},
			want: cliNoServiceKey,
		},
		{
			name: "hivehub with an empty service key from env", args: []string{"--cluster-mode", "--hivehub-url", "http://h:1",
				"--admin-key", "0123456789abcdef"},
			env:  map[string]string{"SYNAP_HIVEHUB_SERVICE_KEY": ""},
			want: cliNoServiceKey,
		},
		{
			name: "hivehub without an admin key", args: []string{"--cluster-mode", "--hivehub-url", "http://h:1",
				"--hivehub-service-key", "svc"},
			want: "cluster mode needs an operator key: set --admin-key, SYNAP_ADMIN_KEY or admin-key in the config file",
		},
		{
			name: "admin key one byte short", env: map[string]string{"SYNAP_CLUSTER_MODE": "yes", "SYNAP_TENANTS_FILE": "/t.yaml",
				"SYNAP_ADMIN_KEY": "fifteen-bytes!!"},
			want: "admin-key must be at least 16 bytes long (synap keys new makes one)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cliEnv(t, tc.env)
			args := append([]string(nil), tc.args...)
			path := cliFile(t, tc.fileName, tc.file)
			if path != "" {
				args = append(args, "--config", path)
			}
			_, _, err := parseArgs(args)
			want := strings.ReplaceAll(tc.want, "<file>", path)
			if err == nil || err.Error() != want {
				t.Errorf("parseArgs(%q): got error %v, want %s", args, err, want)
			}
		})
	}
}

func TestCLIParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1": 1, "100b": 100, "1k": 1000, "1kb": 1024, "1KB": 1024, "5m": 5e6,
		"512mb": 512 << 20, "2g": 2e9, "1gb": 1 << 30, " 7Mb ": 7 << 20,
	}
	for in, want := range good {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "mb", "1.5mb", "-1", "1tb", "1 mb", "9999999999gb", "0x10"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
	for n, want := range map[int64]string{512 << 20: "512mb", 1 << 30: "1gb", 3 << 10: "3kb", 1500: "1500", 0: "0"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := parseSize(formatSize(n)); err != nil || back != n {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", n, back, err)
		}
	}
}

const (
	cliNoDirectory    = "cluster mode needs a directory of access keys: set --tenants-file or --hivehub-url (SYNAP_TENANTS_FILE or SYNAP_HIVEHUB_URL, tenants-file or hivehub-url in the config file)"
	cliTwoDirectories = "cluster mode takes one directory of access keys: set --tenants-file or --hivehub-url, not both"
	cliNoServiceKey   = "hivehub-url needs HiveHub's service key: set --hivehub-service-key, SYNAP_HIVEHUB_SERVICE_KEY or hivehub-service-key in the config file"
	cliBadURL         = "hivehub-url must be http:// or https:// and a host, with an optional port and path (such as http://127.0.0.1:8080), got "
)

func TestCLIHiveHubURL(t *testing.T) {
	cases := []struct {
		url  string
		want string // the error text; "" for none
	}{
		{"http://127.0.0.1:8080", ""},
		{"https://hivehub.example", ""},
		{"https://hivehub.example/", ""},
		{"https://hivehub.example/prefix/", ""},
		{"http://[::1]:8080", ""},
		{"127.0.0.1:8080", cliBadURL + `"127.0.0.1:8080"`},
		{"localhost:8080", cliBadURL + `"localhost:8080"`},
		{"hivehub.example", cliBadURL + `"hivehub.example"`},
		{"ftp://hivehub.example", cliBadURL + `"ftp://hivehub.example"`},
		{"http://", cliBadURL + `"http://"`},
		{"http://:8080", cliBadURL + `"http://:8080"`},
		{"http:///api", cliBadURL + `"http:///api"`},
		{"http://hivehub.example/?x=1", cliBadURL + `"http://hivehub.example/?x=1"`},
		{"http://hivehub.example/#top", cliBadURL + `"http://hivehub.example/#top"`},
		{"http://svc:secret@hivehub.example", cliBadURL + `"http://svc:xxxxx@hivehub.example"`},
		{"http://hive hub", cliBadURL + `"http://hive hub"`},
	}
	for _, tc := range cases {
		cliEnv(t, nil)
		args := []string{"--cluster-mode", "--hivehub-url", tc.url, "--hivehub-service-key", "svc", "--admin-key", "0123456789abcdef"}
		_, got, err := parseArgs(args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("--hivehub-url %q: %v", tc.url, err)
		case tc.want == "" && got.HiveHub.URL != tc.url:
			t.Errorf("--hivehub-url %q: got URL %q", tc.url, got.HiveHub.URL)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("--hivehub-url %q: got error %v, want %s", tc.url, err, tc.want)
		}
	}
}

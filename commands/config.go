package commands

import "synap/engine"

// Config is the server's settings. The CLI fills it from flags, environment
// and config file; CONFIG GET/SET read and change the live copy.
type Config struct {
	Bind        string
	Port        int
	RequirePass string
	Databases   int
	Shards      int
	MaxClients  int
	// Timeout closes clients idle for this many seconds; 0 never.
	Timeout                int
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	LogLevel               string
	// Threads is GOMAXPROCS; 0 picks AutoThreads.
	Threads int
	// MaxMemory refuses commands flagged denyoom once the heap exceeds it
	// (Redis's noeviction policy); 0 means no limit.
	MaxMemory int64
	// Eviction (evict.go): the maxmemory policy, how many keys it samples
	// per eviction, and the LFU counter's log factor and decay period in
	// minutes.
	MaxMemoryPolicy  engine.Policy
	MaxMemorySamples int
	LFULogFactor     int
	LFUDecayTime     int

	// SLOWLOG (slowlog.go): commands that ran this many microseconds or
	// more are logged (negative: none, 0: every one), at most
	// SlowlogMaxLen entries kept.
	SlowlogSlowerThan int64
	SlowlogMaxLen     int64

	// Client tracking (tracking.go): the most (client, key) entries the
	// server keeps (tracking-table-max-keys, 0: no bound, as in Redis)
	// and the most one tenant's clients keep (tracking-tenant-max-keys,
	// 0: no bound but the server's).
	TrackingTableMaxKeys  int64
	TrackingTenantMaxKeys int64

	// Latency (latency.go): per-command histograms (latency-tracking),
	// the percentiles INFO latencystats shows, and the latency monitor's
	// threshold in milliseconds (0: off).
	LatencyTracking         bool
	LatencyPercentiles      []float64
	LatencyMonitorThreshold int64

	// OutputBufferLimits is client-output-buffer-limit. Only the normal
	// class's hard limit applies (per reply, see replyLimit); the rest is
	// accepted and kept for tools that set Redis's values.
	OutputBufferLimits OutputBufferLimits
	// TenantOutputBufferLimit bounds a tenant's reply when the normal
	// class is unlimited or larger: a tenant's reply is always bounded.
	TenantOutputBufferLimit int64
	// TransientMemoryLimit bounds the transient memory (LCS tables, SORT
	// buffers) of all commands running at once; a tenant may hold a
	// quarter of it.
	TransientMemoryLimit int64
	// AuthTimeout closes a connection that has not authenticated this many
	// seconds after it connected, when authentication is required; 0 never.
	AuthTimeout int
	// MaxUnauthClients caps connections that have not authenticated yet
	// (when authentication is required); 0 means half of MaxClients.
	MaxUnauthClients int

	// ClusterMode admits only holders of access keys, each bound to its
	// tenant's namespace. It needs a directory (TenantsFile) and AdminKey.
	ClusterMode bool
	TenantsFile string
	// AdminKey is the operator's secret for server-wide commands.
	AdminKey string

	// Pub/sub (pubsub.go): what one tenant's connection, and one tenant
	// as a whole, may subscribe (channels, patterns and shard channels
	// together); 0 means no bound. Standalone clients and the operator
	// are not bound, as in Redis.
	PubSubMaxPerClient int
	PubSubMaxPerTenant int
	// NotifyKeyspaceEvents is notify-keyspace-events as class flags
	// (notify.go); 0: none.
	NotifyKeyspaceEvents int

	// Persistence (package persist, docs/PERSISTENCE.md), by Redis's
	// names. They apply only once a manager runs them (SetPersistence):
	// a server built without one keeps nothing, and says so in CONFIG GET.
	Dir            string
	AppendOnly     bool
	AppendFsync    string // always, everysec or no
	AppendFilename string
	DBFilename     string
	// Save is Redis's save points, "<seconds> <changes> ..." ("": none).
	Save                     string
	AutoAOFRewritePercentage int
	AutoAOFRewriteMinSize    int64
	// StopWritesOnBgsaveError refuses writes (MISCONF) while the last
	// snapshot failed and save points are set, as Redis's
	// stop-writes-on-bgsave-error.
	StopWritesOnBgsaveError bool
	// persistOn: a manager runs the settings above.
	persistOn bool
}

// AutoThreads is the default GOMAXPROCS: one core fewer than the machine
// has, at least one. Measured on 2 cores with redis-benchmark on the same
// machine, one thread served 40% more unpipelined requests than two: the
// kernel's loopback work and the clients need the other core, and one P
// avoids waking goroutines across threads.
func AutoThreads(cpus int) int { return max(1, cpus-1) }

// DefaultConfig is what `synap serve` runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Bind:                    "127.0.0.1",
		Port:                    6379,
		Databases:               16,
		Shards:                  256,
		MaxClients:              10000,
		ProtoMaxBulkLen:         512 << 20,
		ClientQueryBufferLimit:  1 << 30,
		LogLevel:                "info",
		OutputBufferLimits:      DefaultOutputBufferLimits(),
		TenantOutputBufferLimit: 32 << 20,
		TransientMemoryLimit:    1 << 30,
		MaxMemorySamples:        5,
		LFULogFactor:            10,
		LFUDecayTime:            1,
		SlowlogSlowerThan:       10000,
		SlowlogMaxLen:           128,
		TrackingTableMaxKeys:    1000000,
		TrackingTenantMaxKeys:   10000,
		LatencyTracking:         true,
		LatencyPercentiles:      []float64{50, 99, 99.9},
		AuthTimeout:             10,
		PubSubMaxPerClient:      10000,
		PubSubMaxPerTenant:      100000,

		Dir:                      "./data",
		AppendOnly:               true,
		AppendFsync:              "everysec",
		AppendFilename:           "appendonly.aof",
		DBFilename:               "dump.snap",
		Save:                     "3600 1 300 100 60 10000",
		AutoAOFRewritePercentage: 100,
		AutoAOFRewriteMinSize:    64 << 20,
		StopWritesOnBgsaveError:  true,
	}
}

// OutputBufferLimit is one class of client-output-buffer-limit.
type OutputBufferLimit struct {
	Hard, Soft int64
	SoftSecs   int64
}

// OutputBufferLimits are client-output-buffer-limit's three classes.
type OutputBufferLimits struct {
	Normal, Replica, PubSub OutputBufferLimit
}

// DefaultOutputBufferLimits are Redis's defaults.
func DefaultOutputBufferLimits() OutputBufferLimits {
	return OutputBufferLimits{
		Replica: OutputBufferLimit{Hard: 256 << 20, Soft: 64 << 20, SoftSecs: 60},
		PubSub:  OutputBufferLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSecs: 60},
	}
}

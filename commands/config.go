package commands

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

	// ClusterMode admits only holders of access keys, each bound to its
	// tenant's namespace. It needs a directory (TenantsFile) and AdminKey.
	ClusterMode bool
	TenantsFile string
	// AdminKey is the operator's secret for server-wide commands.
	AdminKey string
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
		Bind:                   "127.0.0.1",
		Port:                   6379,
		Databases:              16,
		Shards:                 256,
		MaxClients:             10000,
		ProtoMaxBulkLen:        512 << 20,
		ClientQueryBufferLimit: 1 << 30,
		LogLevel:               "info",
	}
}

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
}

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

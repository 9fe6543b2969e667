package resptest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireRedisEnv names the variable that turns a missing redis-server into
// a test failure. .ci/run sets it: the checks against a real Redis are what
// prove each expectation, and a CI run that quietly skipped them all would
// still look green.
const RequireRedisEnv = "SYNAP_REQUIRE_REDIS"

// RedisServer returns the path of redis-server and "", or "" and why there
// is none. Every test that needs a real Redis finds it here and reports its
// absence with SkipWithoutRedis.
func RedisServer() (path, missing string) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return "", "redis-server is not on PATH (install Debian's redis-server)"
	}
	return path, ""
}

// NeedRedisServer returns the path of redis-server, or ends t through
// SkipWithoutRedis.
func NeedRedisServer(t testing.TB) string {
	t.Helper()
	path, missing := RedisServer()
	if missing != "" {
		SkipWithoutRedis(t, missing)
	}
	return path
}

// SkipWithoutRedis skips t for want of redis-server, or fails it when
// SYNAP_REQUIRE_REDIS=1.
func SkipWithoutRedis(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireRedisEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires it", why, RequireRedisEnv)
		return
	}
	t.Skip(why)
}

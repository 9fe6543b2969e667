package resptest

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// tbRecorder records how a test helper ended its test.
type tbRecorder struct {
	testing.TB
	fatal, skip string
}

func (r *tbRecorder) Helper()                        {}
func (r *tbRecorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *tbRecorder) Skip(a ...any)                  { r.skip = fmt.Sprint(a...) }

func TestRedisServerMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	path, missing := RedisServer()
	if path != "" || missing != "redis-server is not on PATH (install Debian's redis-server)" {
		t.Fatalf("RedisServer() = %q, %q", path, missing)
	}
	for _, tc := range []struct{ env, fatal, skip string }{
		{"", "", missing},
		{"0", "", missing},
		{"1", missing + ", and SYNAP_REQUIRE_REDIS=1 requires it", ""},
	} {
		t.Setenv(RequireRedisEnv, tc.env)
		r := &tbRecorder{TB: t}
		if NeedRedisServer(r); r.fatal != tc.fatal || r.skip != tc.skip {
			t.Errorf("%s=%q: fatal %q, skip %q; want fatal %q, skip %q", RequireRedisEnv, tc.env, r.fatal, r.skip, tc.fatal, tc.skip)
		}
	}
}

// CI must be the place where a missing redis-server fails: .ci/run sets
// the variable before it runs the tests.
func TestCIRequiresRedis(t *testing.T) {
	raw, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	ci := string(raw)
	set, run := strings.Index(ci, "\nexport "+RequireRedisEnv+"=1\n"), strings.Index(ci, "\nmake test")
	if set < 0 || run < 0 || set > run {
		t.Fatalf(".ci/run does not export %s=1 before make test", RequireRedisEnv)
	}
}

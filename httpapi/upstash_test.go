package httpapi

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"synap/commands"
)

// The npm @upstash/redis client runs unchanged against Synap (its default
// base64 responses included). It needs node and the client installed in
// testdata/upstash (npm ci there: .ci/run does it); without them the test
// is skipped, unless SYNAP_REQUIRE_UPSTASH=1 says it must run.
func TestUpstashClient(t *testing.T) {
	dir, _ := filepath.Abs("testdata/upstash")
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@upstash", "redis"))
	if err != nil || statErr != nil {
		if os.Getenv("SYNAP_REQUIRE_UPSTASH") == "1" {
			t.Fatalf("node (%v) or @upstash/redis (%v) missing: run npm ci in %s", err, statErr, dir)
		}
		t.Skip("node or @upstash/redis not installed (npm ci in httpapi/testdata/upstash)")
	}
	for _, mode := range []struct {
		name  string
		opts  []fixtureOpt
		token string
		bad   string
	}{
		{"standalone with requirepass", []fixtureOpt{func(c *commands.Config, _ *Options) { c.RequirePass = "pw" }}, "pw",
			"WRONGPASS invalid username-password pair or user is disabled."},
		{"cluster", []fixtureOpt{cluster}, secret("alice-rw"), "WRONGPASS invalid username-password pair or user is disabled."},
	} {
		t.Run(mode.name, func(t *testing.T) {
			f := start(t, mode.opts...)
			cmd := exec.Command(node, "compat.mjs")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "SYNAP_URL="+f.url, "SYNAP_TOKEN="+mode.token)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("node compat.mjs: %v\n%s", err, out)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output: %v\n%s", err, out)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(upstashWant), &want); err != nil {
				t.Fatal(err)
			}
			want["badToken"] = mode.bad
			for k, w := range want {
				if !reflect.DeepEqual(got[k], w) {
					g, _ := json.Marshal(got[k])
					wj, _ := json.Marshal(w)
					t.Errorf("%s: got %s, want %s", k, g, wj)
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected result %s", k)
				}
			}
		})
	}
}

// What the client returns for each step of compat.mjs, as Upstash's own
// service answers it.
const upstashWant = `{
 "ping": "PONG",
 "set": "OK",
 "get": "hello",
 "setJSON": "OK",
 "getJSON": {"a": 1, "b": ["x"]},
 "setEX": "OK",
 "ttl": 100,
 "incr": 1,
 "incrby": 42,
 "mget": ["hello", null, 42],
 "hset": 2,
 "hgetall": {"f1": "v1", "f2": 2},
 "hget": "v1",
 "lpush": 3,
 "lrange": ["c", "b", "a"],
 "sadd": 1,
 "smembers": ["m1"],
 "zadd": 2,
 "zrange": ["one", 1.5, "three", 3],
 "zscore": 3,
 "exists": 2,
 "unicode": "OK",
 "getUnicode": "héllo wörld ✓",
 "del": 1,
 "wrongtype": "Command failed: WRONGTYPE Operation against a key holding the wrong kind of value",
 "notInt": "Command failed: ERR value is not an integer or out of range",
 "pipeline": ["OK", 2, 2],
 "multi": ["OK", 2, "ab"],
 "scan": ["0", ["p1"]],
 "dbsize": 10
}`

package compat

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ioredis and node-redis subscribers (compat/node/pubsub.mjs) against
// redis-server, which proves the script, and against Synap. The clients are
// installed by `npm ci --prefix compat/node` (.ci/run does it); without node
// or them the test skips, or fails when SYNAP_REQUIRE_NODE=1.
func TestNodeClientsPubSub(t *testing.T) {
	node, err := exec.LookPath("node")
	dir, _ := filepath.Abs("node")
	_, missing := os.Stat(filepath.Join(dir, "node_modules", "ioredis"))
	if err != nil || missing != nil {
		why := "node or compat/node/node_modules missing (npm ci --prefix compat/node)"
		if os.Getenv("SYNAP_REQUIRE_NODE") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	for name, addr := range map[string]string{
		"redis": startRedis(t).addr,
		"synap": startSynap(t, "").Addr().String(),
	} {
		out, err := exec.Command(node, filepath.Join(dir, "pubsub.mjs"), addr).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}

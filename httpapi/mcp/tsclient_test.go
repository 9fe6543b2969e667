package mcp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synap/httpapi/mcp"
)

// The MCP TypeScript SDK's client (testdata/tsclient, installed by
// .ci/run with npm ci) against the same server: initialize, tools/list,
// calls, a RESP error and NOPERM as tool errors, DELETE of the session.
// Without node or the installed SDK the test skips, except under CI,
// where it must run.
func TestTypeScriptClient(t *testing.T) {
	dir := filepath.Join("testdata", "tsclient")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk"))
	}
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("SYNAP_REQUIRE_NODE") == "1" {
			t.Fatalf("node or the MCP TypeScript SDK is missing (.ci/run installs them): %v", err)
		}
		t.Skipf("node or the MCP TypeScript SDK is missing (cd %s && npm ci): %v", dir, err)
	}
	f := newCluster(t, mcp.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join(dir, "client.mjs"), f.url, secret("alice-rw")).CombinedOutput()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	want := `{"sessionId":"set","tools":[` + quoteList(f.offered(readTools, writeOnly, writeReveal, deleteTools)) + `],` +
		`"set":{"result":"OK"},"get":{"result":"from typescript"},"hset":{"result":1},"hgetall":{"result":{"a":"1"}},` +
		`"wrongtype":{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"},` +
		`"noperm":{"error":"NOPERM User alice-rw has no permissions to run the 'flushdb' command"}}`
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("TypeScript client:\n got  %s\n want %s", got, want)
	}
	eventually(t, "the TypeScript client's session closed", func() bool { return f.srv.ClientCount() == 0 })
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ",")
}

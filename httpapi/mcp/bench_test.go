package mcp_test

import (
	"context"
	"runtime"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"synap/httpapi/mcp"
)

// BenchmarkToolCallGet is one tools/call (get) round trip with the go-sdk
// client over loopback HTTP.
func BenchmarkToolCallGet(b *testing.B) {
	f := newCluster(b, mcp.Options{})
	cs := f.connect(b, "alice-rw")
	args := &sdk.CallToolParams{Name: "get", Arguments: map[string]any{"key": "k"}}
	for b.Loop() {
		if _, err := cs.CallTool(context.Background(), args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionHeap reports the heap an open MCP session holds on the
// server (its commands.Session, SDK session and tool set) and the time to
// open one (initialize and initialized).
func BenchmarkSessionHeap(b *testing.B) {
	f := newCluster(b, mcp.Options{MaxSessions: 1 << 20, MaxTenantSessions: 1 << 20})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		f.open(b, "alice-rw")
		n++
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-bytes/session")
}

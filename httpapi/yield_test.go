package httpapi

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"synap/sched"
)

// A /pipeline or /multi-exec body of many commands is read, parsed and
// run with chances to yield (sched.Maybe) along the way, as a RESP
// pipeline is: an 8 MB body holds tens of thousands of commands, and
// nothing else had a chance to run between them unless a write of the
// response happened to wait for the client. Every command still runs and
// answers.
func TestPipelineHasChancesToYield(t *testing.T) {
	f := start(t)
	const n = 1024
	cmds := make([][]string, n)
	for i := range cmds {
		cmds[i] = []string{"SET", "k", strings.Repeat("v", 100)}
	}
	for _, path := range []string{"/pipeline", "/multi-exec"} {
		var chances atomic.Int64
		sched.Observe(func(resumed bool) {
			if !resumed {
				chances.Add(1)
			}
		})
		r := f.post(t, path, "", cmds)
		sched.Observe(nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var got []json.RawMessage
		if err := json.Unmarshal([]byte(r.body), &got); err != nil || len(got) != n {
			t.Fatalf("%s: %d results (%v), want %d", path, len(got), err, n)
		}
		// Parsing and queueing or running each give one every
		// pipelineYield commands; at least one every 64 of each.
		if want := int64(2 * n / 64); chances.Load() < want {
			t.Fatalf("%s: %d chances to yield for %d commands, want at least %d", path, chances.Load(), n, want)
		}
	}
}

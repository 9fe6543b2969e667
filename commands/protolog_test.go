package commands

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuf is a log destination the connections' goroutines share.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A client refused for a protocol error is logged at Redis's level for it
// (verbose: Synap's debug), not as a warning: a tenant reconnecting to be
// refused again and again (issue 10's 100 MB arguments) made the server
// write a warning per refusal, 670 lines a second and a sixth of its CPU.
// The refusal is still counted.
func TestProtocolErrorLoggedAtVerbose(t *testing.T) {
	for _, tc := range []struct {
		level  slog.Level
		logged bool
	}{{slog.LevelInfo, false}, {slog.LevelWarn, false}, {slog.LevelDebug, true}} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var out lockedBuf
			cfg := DefaultConfig()
			cfg.Shards = 16
			srv := NewServer(cfg, slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: tc.level})))
			serveTest(t, srv)
			for range 3 {
				sendMaxInt64Bulk(t, srv)
			}
			if n := srv.Stats.ProtocolErrors.Load(); n != 3 {
				t.Errorf("protocol errors counted: %d, want 3", n)
			}
			if got := strings.Count(out.String(), "protocol error, closing client"); (got == 3) != tc.logged || (got != 0 && got != 3) {
				t.Errorf("at level %v: %d log lines for 3 refusals", tc.level, got)
			}
		})
	}
}

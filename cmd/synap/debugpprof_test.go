package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
)

// The profiling listener has no authentication: only loopback addresses
// are accepted, and the flag is off unless given.
func TestDebugPprofLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:0"} {
		if _, set, err := parseArgs([]string{"--debug-pprof", addr}); err != nil || set.DebugPprof != addr {
			t.Errorf("%s: %v %q", addr, err, set.DebugPprof)
		}
	}
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "10.0.0.1:6060", "example.com:6060", "6060"} {
		_, _, err := parseArgs([]string{"--debug-pprof", addr})
		if err == nil || !strings.Contains(err.Error(), "debug-pprof must") {
			t.Errorf("%s: accepted (%v)", addr, err)
		}
	}
	if _, set, err := parseArgs(nil); err != nil || set.DebugPprof != "" {
		t.Errorf("default: %v %q", err, set.DebugPprof)
	}
}

// The profiling listener serves profiles, never the command line: it holds
// --admin-key and --requirepass when they are given as flags, and any
// local user can reach the listener.
func TestDebugPprofHidesCommandLine(t *testing.T) {
	addr, err := startPprof("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), os.Args[0]) {
		t.Errorf("/debug/pprof/cmdline: %d %q", resp.StatusCode, body)
	}
}

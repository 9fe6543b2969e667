package main

import (
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

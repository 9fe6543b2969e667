package main

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// The probe runs on the CPUs the server may use: read for this process,
// they are as many as Go counted at start-up (its NumCPU is the same
// affinity mask's).
func TestCPUsOf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("affinity is read on Linux only")
	}
	cpus, ok := cpusOf(os.Getpid())
	if !ok || len(cpus) != runtime.NumCPU() {
		t.Fatalf("cpusOf(self) = %v, %v; Go counts %d CPUs", cpus, ok, runtime.NumCPU())
	}
}

func TestStallsCell(t *testing.T) {
	for _, tc := range []struct {
		s    stalls
		want string
	}{
		{stalls{}, "-"},
		{stalls{ok: true}, "0, 0.0"},
		{stalls{ok: true, over: 3, longest: 3200 * time.Microsecond}, "3, 3.2"},
	} {
		if got := tc.s.cell(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
	// A probe that could not start reports the window unmeasured.
	var p *stallProc
	if got := p.finish(); got.ok {
		t.Errorf("a probe that never started measured %+v", got)
	}
}

package server

import "testing"

// The pacer yields before a read for a connection whose yields pay and
// whose last batch was short (a pipelined batch reads, and parks, at once,
// so it does not take a second turn while clients the poller has not
// picked up yet wait), and always after a group commit's fsync; never
// otherwise when a read of an empty socket costs nothing (no yield can
// save one).
func TestPacerYields(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ran     int
		score   int8
		recent  bool // a parked read woke within the pacer's window
		grouped bool // the replies waited for a group commit's fsync
		free    bool // reads of an empty socket cost no system call
		yielded bool
	}{
		{"one command, yields paid", 1, 2, true, false, false, true},
		{"below a pipeline", pipelinedBatch - 1, 2, true, false, false, true},
		{"a pipelined batch", pipelinedBatch, 2, true, false, false, false},
		{"a pipeline of 16", 16, pacingMax, true, false, false, false},
		{"yields did not pay", 1, 0, true, false, false, false},
		{"poller not seen running lately", 1, 2, false, false, false, false},
		{"after a group commit", 1, 0, false, true, false, true},
		{"a pipeline after a group commit", 16, 0, false, true, false, true},
		{"free waits, yields paid", 1, 2, true, false, true, false},
		{"free waits after a group commit", 1, 0, false, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newReadPacer()
			if tc.recent {
				p.lastWake.Store(p.now())
			} else {
				p.lastWake.Store(p.now() - 2*int64(pacerWindow))
			}
			st := pacing{score: tc.score, reads: 1, free: tc.free} // not a probe read
			if _, y := p.beforeRead(&st, tc.ran, tc.grouped); y != tc.yielded {
				t.Fatalf("yielded %v, want %v", y, tc.yielded)
			}
		})
	}
}

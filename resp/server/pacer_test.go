package server

import (
	"testing"
	"time"

	"synap/sched"
)

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

// A connection whose reads keep finding input yields through the poller
// once it has held the processor for sched's interval since its last read
// that parked or its last yield; a read that parks starts the count again.
// A reader that counts its waits in the netpoller (rawio) says whether a
// read parked; otherwise the read's duration does.
func TestPacerYieldsToAStream(t *testing.T) {
	const unknown = -1 // the reader cannot tell whether it waited
	type read struct {
		waited int
		took   time.Duration
	}
	for _, tc := range []struct {
		name    string
		found   int           // reads in a row that found input
		last    *read         // then this read, if any
		held    time.Duration // since the last park or yield
		yielded bool
	}{
		{"a stream past the interval", streakReads, nil, 2 * sched.Every, true},
		{"a long stream past the interval", 100, nil, 2 * sched.Every, true},
		{"a stream within the interval", streakReads, nil, sched.EveryContended / 2, false},
		{"one read found input", streakReads - 1, nil, 2 * sched.Every, false},
		{"the last read took long: parked", streakReads, &read{unknown, 2 * parkedRead}, 2 * sched.Every, false},
		{"the last read waited, briefly", streakReads, &read{1, 0}, 2 * sched.Every, false},
		{"the last read took long without waiting", streakReads, &read{0, 2 * parkedRead}, 2 * sched.Every, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newReadPacer()
			st := pacing{reads: 1, free: true}
			for i := range tc.found {
				waited := 0
				if i%2 == 0 {
					waited = unknown // found quickly: either way it did not park
				}
				p.afterRead(&st, p.now(), false, waited)
			}
			if r := tc.last; r != nil {
				p.afterRead(&st, p.now()-int64(r.took), false, r.waited)
			}
			st.since = p.now() - int64(tc.held)
			before := streamYields.Load()
			start, _ := p.beforeRead(&st, pipelinedBatch, false)
			if got := streamYields.Load() - before; got != map[bool]int64{true: 1}[tc.yielded] {
				t.Fatalf("%d stream yields, want yielded %v", got, tc.yielded)
			}
			if tc.yielded && (st.streak != 0 || st.since != start) {
				t.Fatalf("after the yield: streak %d, since %d, read starting at %d: the count did not start again", st.streak, st.since, start)
			}
		})
	}
}

package sched

import (
	"runtime"
	"testing"
	"time"
)

// A yield that others ran in makes the next come after EveryContended; an
// empty one leaves the interval at Every.
func TestContendedYieldShortensTheInterval(t *testing.T) {
	defer contendedUntil.Store(0)
	// A given time, not the clock's: a preemption between the yield and
	// the check must not change the answer.
	const now = int64(1 << 41)
	cases := []struct {
		name      string
		took      time.Duration
		after     time.Duration // since the yield ended
		wantYield bool
	}{
		{"empty yield, before Every", time.Microsecond, Every / 2, false},
		{"empty yield, after Every", time.Microsecond, Every + time.Microsecond, true},
		{"others ran, after EveryContended", othersRan, EveryContended + time.Microsecond, true},
		{"others ran, before EveryContended", 2 * othersRan, EveryContended / 2, false},
		{"others ran, past contendedFor but before Every", othersRan, contendedFor + EveryContended, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			contendedUntil.Store(0)
			yielded(now-int64(tc.after)-int64(tc.took), now-int64(tc.after))
			if got := dueAt(now); got != tc.wantYield {
				t.Fatalf("due = %v, want %v", got, tc.wantYield)
			}
		})
	}
	// contendedFor ends: an empty yield long after the contended one is
	// paced at Every again.
	contendedUntil.Store(0)
	end := now - int64(contendedFor+EveryContended)
	yielded(end-int64(othersRan), end)
	end = now - int64(2*EveryContended)
	yielded(end-int64(time.Microsecond), end)
	if dueAt(now) {
		t.Fatal("a yield was due at 2*EveryContended after the contended window ended")
	}
}

func TestShareHeavy(t *testing.T) {
	defer SetProcs(runtime.GOMAXPROCS(0))
	window := time.Duration(1<<shareWindowShift) * time.Microsecond
	// A window's start, so that offsets below stay in it.
	base := time.UnixMicro((time.Now().UnixMicro()>>shareWindowShift + 1) << shareWindowShift)
	type add struct {
		at   time.Duration // from base
		busy time.Duration
	}
	cases := []struct {
		name  string
		procs int
		adds  []add
		at    time.Duration
		heavy bool
	}{
		{"nothing", 1, nil, window / 2, false},
		{"a tenth of a window", 1, []add{{window / 2, window / 10}}, window / 2, false},
		{"half a window", 1, []add{{window / 2, window / 2}}, window / 2, true},
		{"many short batches", 1, func() (a []add) {
			for i := range 100 {
				a = append(a, add{time.Duration(i) * window / 100, window / 125})
			}
			return a
		}(), window - time.Microsecond, true},
		{"half a window of one of 4 processors", 4, []add{{window / 2, window / 2}}, window / 2, false},
		{"the window before counts", 1, []add{{window / 2, window}}, window + window/2, true},
		{"two windows ago does not", 1, []add{{window / 2, window}}, 2*window + window/2, false},
		{"saturated at 65 ms a window", 1, []add{{0, time.Hour}}, window / 2, true},
		{"sub-µs commands count", 1, func() (a []add) {
			for i := range 8000 {
				a = append(a, add{time.Duration(i) * window / 8000, 300 * time.Nanosecond})
			}
			return a
		}(), window - time.Microsecond, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			SetProcs(tc.procs)
			var s Share
			for _, a := range tc.adds {
				s.Add(base.Add(a.at), a.busy)
			}
			if got := s.Heavy(base.Add(tc.at)); got != tc.heavy {
				t.Fatalf("Heavy = %v, want %v", got, tc.heavy)
			}
		})
	}
}

// Defer runs the goroutines that are ready before it returns, so a heavy
// tenant's connection goes behind the requests already waiting.
func TestDeferRunsReadyGoroutinesFirst(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer last.Store(0)
	for round := range 100 {
		// The next yield an hour away: the Gosched path, however slowly
		// the test runs.
		last.Store(time.Now().Add(time.Hour).UnixNano())
		ran := make(chan struct{})
		go close(ran)
		Defer()
		select {
		case <-ran:
		default:
			t.Fatalf("round %d: the ready goroutine had not run when Defer returned", round)
		}
	}
}

// A yield allocates nothing: long commands yield every EveryContended
// while others wait, and a tenant's SCAN must not pay garbage for it.
func TestYieldAllocatesNothing(t *testing.T) {
	Yield() // the pool of pipes is made once
	if n := testing.AllocsPerRun(100, Yield); n != 0 {
		t.Fatalf("Yield allocated %.1f times", n)
	}
}

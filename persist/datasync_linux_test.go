package persist

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The log's fsync goes through Linux AIO when the kernel allows it and
// through plain fdatasync otherwise: both must report the same outcomes,
// and the AIO path must stay in step (one completion reaped per call)
// over many calls and after failures.
func TestSyncerOutcomes(t *testing.T) {
	aio := newSyncer()
	defer aio.close()
	if aio.ctx == 0 {
		t.Log("AIO refused here: only the plain path is tried")
	}
	for _, tc := range []struct {
		name string
		s    *syncer
	}{{"aio", aio}, {"plain", &syncer{}}} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			for i := range 50 {
				if n, err := tc.s.write(f, []byte("record\n")); n != 7 || err != nil {
					t.Fatalf("write %d: %d, %v", i, n, err)
				}
				if err := tc.s.datasync(f, i%3 == 0); err != nil {
					t.Fatalf("datasync %d: %v", i, err)
				}
				if i%10 == 0 {
					// A pipe cannot be synced: the error reaches the caller.
					if err := tc.s.datasync(w, i%20 == 0); !errors.Is(err, syscall.EINVAL) {
						t.Fatalf("datasync of a pipe: %v, want EINVAL", err)
					}
				}
			}
			if b, err := os.ReadFile(f.Name()); err != nil || len(b) != 50*7 {
				t.Fatalf("file holds %d bytes (%v), want %d", len(b), err, 50*7)
			}
		})
	}
}

// A group commit's fsync holds the P only while the disk is fast: a run of
// slow flushes sends every fsync through AIO for a while, one late flush
// does not.
func TestSyncerHoldsOnlyForAFastDisk(t *testing.T) {
	s := &syncer{}
	now := time.Unix(1000, 0)
	for range 1000 {
		s.noteHeld(300*time.Microsecond, now)
	}
	s.noteHeld(20*time.Millisecond, now) // one flush late
	if !s.mayHold(now) {
		t.Fatal("one late flush counted the disk slow")
	}
	for range 50 {
		s.noteHeld(300*time.Microsecond, now)
	}
	n := 0
	for s.mayHold(now) {
		if n++; n > 10 {
			t.Fatal("10 flushes of 10 ms did not count the disk slow")
		}
		s.noteHeld(10*time.Millisecond, now)
	}
	if n < 2 {
		t.Fatalf("slow after %d flushes of 10 ms", n)
	}
	if s.mayHold(now.Add(holdBackoff - time.Millisecond)) {
		t.Fatal("held again before the backoff ended")
	}
	if !s.mayHold(now.Add(holdBackoff)) {
		t.Fatal("not held again after the backoff")
	}
}

// Writes are raw (the runtime not told) up to rawWriteMax, and none is for
// holdBackoff after one that took rawWriteSlow: the kernel throttling dirty
// pages would hold every tenant's P as long again.
func TestSyncerWritesRawOnlyWhileQuick(t *testing.T) {
	s := &syncer{}
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		name string
		n    int
		at   time.Duration // after now
		took time.Duration // a raw write's, noted after the check; 0: none
		raw  bool
	}{
		{"a round's records", 4 << 10, 0, 20 * time.Microsecond, true},
		{"the largest raw write", rawWriteMax, 0, 0, true},
		{"past the largest", rawWriteMax + 1, 0, 0, false},
		{"quick writes go on raw", 4 << 10, time.Second, rawWriteSlow - 1, true},
		{"one throttled write", 4 << 10, 2 * time.Second, rawWriteSlow, true},
		{"within the backoff", 4 << 10, 2*time.Second + holdBackoff - 1, 0, false},
		{"after the backoff", 4 << 10, 2*time.Second + holdBackoff, 0, true},
	} {
		at := now.Add(tc.at)
		if got := s.mayWriteRaw(tc.n, at); got != tc.raw {
			t.Fatalf("%s: raw %v, want %v", tc.name, got, tc.raw)
		}
		if tc.took > 0 {
			s.noteRawWrite(tc.took, at)
		}
	}
}

// A held fsync that outlasts its bound goes on waiting the runtime's way
// and still reports the disk's outcome; the disk then counts as slow.
func TestSyncerHeldPastItsBound(t *testing.T) {
	s := newSyncer()
	defer s.close()
	if s.ctx == 0 {
		t.Skip("AIO refused here: nothing is held")
	}
	defer func(d time.Duration) { holdWait = d }(holdWait)
	holdWait = time.Nanosecond
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 20 {
		if _, err := s.write(f, make([]byte, 4096)); err != nil {
			t.Fatal(err)
		}
		s.slowUntil = time.Time{}
		if err := s.datasync(f, true); err != nil {
			t.Fatalf("datasync %d: %v", i, err)
		}
	}
	if s.overran == 0 {
		t.Fatal("no held fsync outlasted a bound of 1 ns")
	}
	// And the unheld path is still in step with the eventfd afterwards.
	if err := s.datasync(f, false); err != nil {
		t.Fatal(err)
	}
}

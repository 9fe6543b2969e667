package persist

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"
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
// holdBackoff once they have been slow on average (the kernel throttling
// dirty pages would hold every tenant's P as long again); one late write
// (the host taking the CPU away) does not count.
func TestSyncerWritesRawOnlyWhileQuick(t *testing.T) {
	s := &syncer{}
	now := time.Unix(1000, 0)
	if !s.mayWriteRaw(4<<10, now) || !s.mayWriteRaw(rawWriteMax, now) || s.mayWriteRaw(rawWriteMax+1, now) {
		t.Fatal("raw writes are not those up to rawWriteMax")
	}
	for range 1000 {
		s.noteRawWrite(20*time.Microsecond, now)
	}
	s.noteRawWrite(15*time.Millisecond, now) // the host took the CPU away
	if !s.mayWriteRaw(4<<10, now) {
		t.Fatal("one late write sent writes the runtime's way")
	}
	for range 50 {
		s.noteRawWrite(20*time.Microsecond, now)
	}
	n := 0
	for s.mayWriteRaw(4<<10, now) {
		if n++; n > 10 {
			t.Fatal("10 writes throttled for 20 ms did not count as slow")
		}
		s.noteRawWrite(20*time.Millisecond, now)
	}
	if n < 2 {
		t.Fatalf("slow after %d throttled writes", n)
	}
	if s.mayWriteRaw(4<<10, now.Add(holdBackoff-time.Millisecond)) {
		t.Fatal("raw again before the backoff ended")
	}
	if !s.mayWriteRaw(4<<10, now.Add(holdBackoff)) {
		t.Fatal("not raw again after the backoff")
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

// A completion left in the ring by an earlier call that gave up early is
// not taken for a later fsync's end: the later call waits for its own, so
// nothing of its own is left behind either.
func TestSyncerIgnoresAStaleCompletion(t *testing.T) {
	for _, hold := range []bool{true, false} {
		t.Run(map[bool]string{true: "held", false: "polled"}[hold], func(t *testing.T) {
			s := newSyncer()
			defer s.close()
			if s.ctx == 0 {
				t.Skip("AIO refused here")
			}
			f, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// The stale one: submitted and never reaped, as by a call that
			// returned on an error; it completes before the next call starts.
			stale := iocb{data: 1 << 60, opcode: iocbCmdFdsync, fd: uint32(f.Fd())}
			cbs := [1]*iocb{&stale}
			if _, _, e := syscall.Syscall(syscall.SYS_IO_SUBMIT, s.ctx, 1, uintptr(unsafe.Pointer(&cbs[0]))); e != 0 {
				t.Fatal(e)
			}
			time.Sleep(50 * time.Millisecond)
			if _, err := s.write(f, make([]byte, 4096)); err != nil {
				t.Fatal(err)
			}
			if err := s.datasync(f, hold); err != nil {
				t.Fatal(err)
			}
			var ev ioEvent
			wait := syscall.NsecToTimespec(int64(200 * time.Millisecond))
			r, _, e := syscall.Syscall6(syscall.SYS_IO_GETEVENTS, s.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), uintptr(unsafe.Pointer(&wait)), 0)
			if e != 0 || r != 0 {
				t.Fatalf("after the fsync returned, io_getevents found %d completion(s) (%v), data %d: the call's own was %d, and none should be left", r, e, ev.data, s.seq)
			}
		})
	}
}

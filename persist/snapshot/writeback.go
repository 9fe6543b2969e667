package snapshot

import "os"

// writebackChunk is how much of a snapshot may be dirty in the page cache
// at a time: the kernel is told to write each chunk out as soon as it is
// written, and the one before it must be on the disk first.
//
// Left to itself, Linux starts writing a file back only when a tenth of
// memory is dirty (or after 30 s): a snapshot of gigabytes then sits in
// the page cache until its final fsync, and while the disk works through
// it the append-only log's fsyncs wait behind it, and under appendfsync
// always every reply with them. Redis bounds its saves' dirty data for
// the same reason (rdb-save-incremental-fsync). BenchmarkWritebackLogFsync
// writes 2 GB beside a loop of small appends and fdatasyncs: written
// plainly, the longest fdatasync took 165-197 ms (p99.9 33-115 ms); with
// 4 MB chunks 82-99 ms; with 1 MB chunks 19-37 ms (p99.9 5-7 ms), and the
// snapshot took as long in all (2.0-2.8 s, against 1.7-4.1 s plainly).
const writebackChunk = 1 << 20

// writeback is the snapshot's file, written through with its dirty data
// bounded.
type writeback struct {
	f       *os.File
	start   func(f *os.File, off, n int64) error // startWriteback; tests watch it
	n       int64                                // bytes written
	started int64                                // bytes whose writeback was started
	err     error                                // a writeback failed: every later Write fails with it
}

func (w *writeback) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, err
	}
	if w.n-w.started >= writebackChunk {
		prev := w.started
		w.started = w.n
		if err := w.start(w.f, prev, w.n-prev); err != nil {
			w.err = err
			return n, err
		}
	}
	return n, nil
}

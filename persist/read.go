package persist

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"synap/commands"
)

// CorruptError is a bad record that is not the log's torn tail: recovery
// stops rather than serve without the writes after it.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("log file %s is corrupt at offset %d (%s); the records after it cannot be trusted. "+
		"`synap check-log --fix %s` truncates the file at the last good record (the writes after it are lost)",
		e.File, e.Offset, e.Reason, e.File)
}

// scanResult is what scanning one file found.
type scanResult struct {
	Records int
	// Good is the offset after the last whole record.
	Good int64
	Size int64
	// Torn: the bytes after Good are a record cut short by a crash (or
	// the zeros a file system leaves after one), not corruption.
	Torn bool
	// Bad is set when a record that is not the tail is corrupt.
	Bad *CorruptError
	// Header is the file's header, when HeaderOK (a file torn before its
	// header was whole has none, and no records).
	Header   logHeader
	HeaderOK bool
	// MinSeq and MaxSeq are the lowest and highest sequence numbers of
	// the whole records (0 when there are none).
	MinSeq, MaxSeq uint64
}

// base is the sequence number the file's history starts after: its
// header's (version 2), or before its first record (version 1, whose
// header has none). ok is false when the file says nothing.
func (res scanResult) base() (uint64, bool) {
	switch {
	case !res.HeaderOK:
		return 0, false
	case res.Header.version >= 2:
		return res.Header.base, true
	case res.Records > 0:
		return res.MinSeq - 1, true
	}
	return 0, false
}

// GapError is a log file that continues a history recovery does not
// have: writes numbered between what the snapshot and the earlier files
// hold and where this file starts are missing.
type GapError struct {
	File     string
	Base     uint64 // the file starts after this write
	Covered  uint64 // what the snapshot and the earlier files hold
	First    bool   // the first log file
	Snapshot string
	Found    bool // a snapshot was loaded
}

func (e *GapError) Error() string {
	var held string
	switch {
	case !e.First:
		held = fmt.Sprintf("the snapshot and the log files before it hold the writes up to %d only", e.Covered)
	case e.Found:
		held = fmt.Sprintf("the snapshot %s holds the writes up to %d only (an older snapshot?)", e.Snapshot, e.Covered)
	default:
		held = fmt.Sprintf("the snapshot %s that holds the writes before it is missing", e.Snapshot)
	}
	return fmt.Sprintf("log file %s continues the history after write %d, but %s: writes %d to %d are missing. "+
		"Put back the snapshot or log file that holds them; or, to start without them, move %s and the log files after it out of %s "+
		"(the writes they hold are lost too)",
		e.File, e.Base, held, e.Covered+1, e.Base, e.File, filepath.Dir(e.File))
}

// brokenAt reports whether next's header says the writer left a failed
// write at the end of generation gen, after good data that ends at or
// before good (the records of that write are in next again).
func brokenAt(next logFile, gen uint64, good int64) bool {
	if next.gen != gen+1 {
		return false
	}
	f, err := os.Open(next.path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := make([]byte, headerSize)
	if _, err := io.ReadFull(f, h); err != nil {
		return false
	}
	lh, err := checkHeader(h)
	if err != nil || lh.parseRest(h) != nil {
		return false
	}
	return lh.prevGood > 0 && good >= lh.prevGood
}

// scanFile reads the records of the log file at path, calling fn for each
// (the record's arguments are valid during the call only). It stops at the
// first bad record and classifies it: a tail that runs to the end of the
// file, or is all zeros, is torn; anything else is corruption. A header
// from a newer format version is an error (ErrNewerFormat).
func scanFile(path string, fn func(r commands.Record) error) (scanResult, error) {
	var res scanResult
	f, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, err
	}
	res.Size = st.Size()
	br := bufio.NewReaderSize(f, 1<<20)
	h := make([]byte, headerSize)
	if n, err := io.ReadFull(br, h[:headerSizeV1]); err != nil {
		if allZero(h[:n]) {
			// Created, then the crash came before the header was on disk.
			res.Torn = res.Size > 0
			return res, nil
		}
		if string(h[:min(n, len(magic))]) == magic[:min(n, len(magic))] {
			res.Torn = true
			return res, nil
		}
		return res, fmt.Errorf("log file %s: not a Synap log file (bad magic)", path)
	}
	if allZero(h[:headerSizeV1]) && tailZero(path, 0) {
		// Created and sized, but none of it written before the crash (a
		// file system that leaves zeros): no record was ever in it.
		res.Torn = true
		return res, nil
	}
	lh, err := checkHeader(h)
	if err != nil {
		return res, fmt.Errorf("log file %s: %w", path, err)
	}
	if lh.size > headerSizeV1 {
		if _, err := io.ReadFull(br, h[headerSizeV1:lh.size]); err != nil {
			res.Torn = true // the header cut short: the crash came as the file was created
			return res, nil
		}
		if err := lh.parseRest(h); err != nil {
			if tailZero(path, int64(len(magic)+4)) {
				res.Torn = true
				return res, nil
			}
			res.Bad = &CorruptError{File: path, Offset: 0, Reason: err.Error()}
			return res, nil
		}
	}
	res.Header, res.HeaderOK = lh, true
	off := int64(lh.size)
	res.Good = off
	var hdr [recHeader]byte
	var payload []byte
	lastSeq := lh.base // of the last whole record: where a later one's would be
	bad := func(reason string, end int64) (scanResult, error) {
		// A record that runs to the end of the file (or beyond) is the
		// one a crash interrupted; so is a tail of zeros. But a length
		// field corrupted in the middle also makes a record run past the
		// end: if a whole record starts anywhere after this one, the bytes
		// here are not a torn tail, and the writes after them were logged.
		if (end >= res.Size || tailZero(path, off)) && !recordAfter(f, off+1, res.Size, lastSeq) {
			res.Torn = true
			return res, nil
		}
		res.Bad = &CorruptError{File: path, Offset: off, Reason: reason}
		return res, nil
	}
	for {
		n, err := io.ReadFull(br, hdr[:])
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			_ = n
			return bad("record header cut short", res.Size)
		}
		l := int64(binary.LittleEndian.Uint32(hdr[:]))
		sum := binary.LittleEndian.Uint32(hdr[4:])
		end := off + recHeader + l
		if l < 16 {
			return bad(fmt.Sprintf("record length %d too short", l), end)
		}
		if end > res.Size {
			return bad("record cut short", end)
		}
		if int64(cap(payload)) < l {
			payload = make([]byte, l)
		}
		payload = payload[:l]
		if _, err := io.ReadFull(br, payload); err != nil {
			return bad("record cut short", res.Size)
		}
		if crc32.Checksum(payload, castagnoli) != sum {
			return bad("checksum mismatch", end)
		}
		r, err := decodePayload(payload)
		if err != nil {
			return bad(err.Error(), end)
		}
		if fn != nil {
			if err := fn(r); err != nil {
				return res, err
			}
		}
		res.Records++
		lastSeq = r.Seq
		if res.MinSeq == 0 || r.Seq < res.MinSeq {
			res.MinSeq = r.Seq
		}
		res.MaxSeq = max(res.MaxSeq, r.Seq)
		off = end
		res.Good = off
	}
}

// recordAfter reports whether a whole record (plausible length, checksum,
// payload that decodes, a sequence number near near) starts anywhere in
// f from from on. Only a candidate whose length fits in the file and
// whose sequence number is near the last good record's has its checksum
// computed, so scanning a torn tail costs about one read of it. A torn
// value a tenant wrote could be crafted to hold many such candidates, each
// costing a checksum over the rest of the file: past a budget of bytes
// checksummed, the answer is yes (start-up stops and check-log --fix
// decides, rather than a restart spending hours here).
func recordAfter(f *os.File, from, size int64, near uint64) bool {
	const probe = recHeader + 8 // length, checksum, seq
	budget := 4*(size-from) + checkBudget
	buf := make([]byte, 1<<20)
	var payload []byte
	for start := from; start+recHeader+16 <= size; {
		n, err := f.ReadAt(buf, start)
		if n < probe {
			return false
		}
		_ = err // io.EOF at the end of the file: n says what was read
		chunk := buf[:n]
		for i := 0; i+probe <= len(chunk); i++ {
			l := int64(binary.LittleEndian.Uint32(chunk[i:]))
			at := start + int64(i)
			if l < 16 || at+recHeader+l > size {
				continue
			}
			if !plausibleSeq(binary.LittleEndian.Uint64(chunk[i+recHeader:]), near) {
				continue
			}
			if budget -= l; budget < 0 {
				return true
			}
			if int64(cap(payload)) < l {
				payload = make([]byte, l)
			}
			payload = payload[:l]
			if _, err := f.ReadAt(payload, at+recHeader); err != nil {
				continue
			}
			if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(chunk[i+4:]) {
				continue
			}
			if _, err := decodePayload(payload); err == nil {
				return true
			}
		}
		start += int64(len(chunk) - probe + 1)
	}
	return false
}

// checkBudget is what recordAfter may checksum beyond four times the
// bytes it scans (a variable for tests).
var checkBudget int64 = 64 << 20

// plausibleSeq: a record after near in the same file carries a number a
// little below it (writers on other shards append slightly out of order)
// or above it.
func plausibleSeq(seq, near uint64) bool {
	if seq == 0 {
		return false
	}
	if seq < near {
		return near-seq <= replayWindow
	}
	return seq-near < 1<<40
}

// tailZero reports whether the file holds only zeros from off on.
func tailZero(path string, off int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return false
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if !allZero(buf[:n]) {
			return false
		}
		if err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// CheckResult is what CheckLog found in one file.
type CheckResult struct {
	Records   int
	Good      int64
	Size      int64
	Torn      bool
	Corrupt   *CorruptError
	Truncated bool
	// Removed: truncated before its header was whole, the file is gone.
	Removed bool
}

// CheckLog verifies every record of the log file at path; with fix it
// truncates the file after the last good record when the rest is torn or
// corrupt (synap check-log --fix).
func CheckLog(path string, fix bool) (CheckResult, error) {
	if fix {
		// A server using the directory appends to its newest file: cut
		// under it, the file would end in the middle of what it writes.
		unlock, err := lockForRepair(filepath.Dir(path))
		if err != nil {
			return CheckResult{}, err
		}
		defer unlock()
	}
	res, err := scanFile(path, nil)
	out := CheckResult{Records: res.Records, Good: res.Good, Size: res.Size, Torn: res.Torn, Corrupt: res.Bad}
	if err != nil {
		return out, err
	}
	if fix && (res.Torn || res.Bad != nil) {
		if err := truncateAt(path, res.Good); err != nil {
			return out, err
		}
		out.Truncated, out.Removed = true, res.Good < int64(headerSizeV1)
	}
	return out, nil
}

// truncateAt cuts the file to size and makes that durable. A file cut
// before its header was whole holds nothing: it is removed.
func truncateAt(path string, size int64) error {
	if size < int64(headerSizeV1) {
		if err := os.Remove(path); err != nil {
			return err
		}
		return syncDir(filepath.Dir(path))
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

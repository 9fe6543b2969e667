package persist

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/commands"
)

// TestLogReservesZerosAhead: while the log is open its file holds zeros
// after the records (records are written over them, so an fsync need not
// commit a new size); closed, the file is cut back to its records.
func TestLogReservesZerosAhead(t *testing.T) {
	for _, p := range []Fsync{FsyncAlways, FsyncEverysec, FsyncNo} {
		t.Run(p.String(), func(t *testing.T) {
			dir := t.TempDir()
			l := NewLog(dir, "appendonly.aof", 1, p, nil, quietLog())
			n := 0
			for i := range 3000 { // 3000 x ~350 bytes: past the first step
				l.Write(rec(uint64(i+1), commands.Keyspace{}, "SET", "k"+strconv.Itoa(i), strings.Repeat("v", 300)))
				n++
			}
			if !l.WaitWritten(uint64(n), 5*time.Second) {
				t.Fatal("not written")
			}
			path := LogPath(dir, "appendonly.aof", 1)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			used := l.Size()
			if int64(len(data)) < used+reserveLow || int64(len(data))%4096 != 0 {
				t.Fatalf("file of %d bytes for %d bytes of records: want zeros reserved after them", len(data), used)
			}
			if !bytes.Equal(data[used:], make([]byte, int64(len(data))-used)) {
				t.Fatal("the reserved space is not zeros")
			}
			got, res := readAll(t, path)
			if len(got) != n || !res.Reserved || !res.Torn || res.Bad != nil || res.Good != used {
				t.Fatalf("the live file scanned as %d records, %+v", len(got), res)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, res = readAll(t, path)
			if len(got) != n || res.Torn || res.Reserved || res.Good != res.Size || res.Size != used {
				t.Fatalf("closed: %d records, %+v (records %d bytes)", len(got), res, used)
			}
		})
	}
}

// TestRecoverCutsReservedSpace: a crash leaves the zeros; start-up loads
// every record, cuts the file back without calling it torn, and the
// check says the zeros are reserved space, not damage.
func TestRecoverCutsReservedSpace(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	for i := range 100 {
		c.do("SET", "k"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	if !m.Log().WaitWritten(100, 5*time.Second) {
		t.Fatal("not written")
	}
	// The crash: the files as they are now, copied before any close.
	crashed := t.TempDir()
	path := LogPath(dir, "appendonly.aof", 1)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	used := m.Log().Size()
	if int64(len(data)) <= used {
		t.Fatalf("no reserved space in the live file (%d bytes, %d used)", len(data), used)
	}
	cpath := LogPath(crashed, "appendonly.aof", 1)
	if err := os.WriteFile(cpath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = m.Close(commands.ShutdownNoSave)

	cr, err := CheckLog(cpath, false)
	if err != nil || !cr.Reserved || cr.Corrupt != nil || cr.Records != 100 || cr.Good != used {
		t.Fatalf("check-log of the crashed file: %+v %v", cr, err)
	}
	srv2, m2 := mustStart(t, crashed)
	defer m2.Close(commands.ShutdownNoSave)
	if len(m2.Recovered.Truncated) != 0 {
		t.Errorf("reserved space reported as a torn record: %v", m2.Recovered.Truncated)
	}
	c2 := newClient(t, srv2)
	if got := c2.do("DBSIZE"); got != ":100" {
		t.Fatalf("DBSIZE after the crash: %s", got)
	}
	if got := c2.do("GET", "k99"); got != `"v99"` {
		t.Fatalf("GET k99: %s", got)
	}
	if st, err := os.Stat(cpath); err != nil || st.Size() != used {
		t.Fatalf("the recovered file is %d bytes (%v), want its records' %d", st.Size(), err, used)
	}
}

// TestScanZerosThenRecords: zeros from a record's start followed by a
// whole record (a machine crash that kept a later page and lost an
// earlier one, or corruption) are not taken for reserved space: start-up
// stops with the reason, and check-log --fix cuts at the zeros.
func TestScanZerosThenRecords(t *testing.T) {
	dir := t.TempDir()
	recs := sampleRecords()
	path := writeLog(t, dir, 1, FsyncNo, recs...)
	offs := recordOffsets(t, path)
	data, _ := os.ReadFile(path)
	// Record 3 (the big HSET) lost: zeros in its place, record 4 kept.
	clear(data[offs[2]:offs[3]])
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, res := readAll(t, path)
	if len(got) != 2 || res.Reserved || res.Torn || res.Bad == nil || res.Good != offs[2] {
		t.Fatalf("got %d records, %+v", len(got), res)
	}
	if !strings.Contains(res.Bad.Error(), "zeros followed by more records") {
		t.Fatalf("reason: %v", res.Bad)
	}
}

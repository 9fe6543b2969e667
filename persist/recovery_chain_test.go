package persist

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/commands"
)

// TestRecoverLengthCorruptInTheMiddle (review finding 1): a corrupt length
// field in the middle of a file makes its record claim to run past the
// end of the file. That is not a torn tail (whole records follow it):
// start-up stops and names the file, rather than truncate every later,
// acknowledged write away.
func TestRecoverLengthCorruptInTheMiddle(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   int  // byte of the length field
		flip byte // xor
	}{
		{"high byte", 3, 0x10},
		{"third byte", 2, 0x01},
		{"low byte past the end", 1, 0x40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, path, offs, data := fiveSetsLogged(t)
			size := len(data)
			data[offs[1]+int64(tc.at)] ^= tc.flip
			_ = os.WriteFile(path, data, 0o644)
			_, m2, err := startManaged(t, dir, true, FsyncEverysec)
			if err == nil {
				t.Fatalf("start-up went on (truncated %v)", m2.Recovered.Truncated)
			}
			if !strings.Contains(err.Error(), "log file "+path+" is corrupt at offset "+strconv.FormatInt(offs[1], 10)) ||
				!strings.Contains(err.Error(), "synap check-log --fix "+path) {
				t.Fatalf("got %v", err)
			}
			if st, _ := os.Stat(path); st.Size() != int64(size) {
				t.Fatalf("the file was changed: %d bytes, was %d", st.Size(), size)
			}
		})
	}
}

// restart closes m (no final snapshot) and starts again on dir.
func restart(t *testing.T, dir string, m *Manager) (*commands.Server, *Manager) {
	t.Helper()
	_ = m.Close(commands.ShutdownNoSave)
	return mustStart(t, dir)
}

// TestRecoverRefusesMissingHistory (review finding 2): every log file
// says which write its history starts after; a snapshot deleted or
// replaced by an older one, or a log file deleted, leaves writes missing
// before a file, and start-up stops naming the file and what to do
// instead of replaying the newer writes onto an older state.
func TestRecoverRefusesMissingHistory(t *testing.T) {
	snap := func(dir string) string { return filepath.Join(dir, "dump.snap") }
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string
	}{
		{"snapshot deleted after a restart", func(t *testing.T, dir string) {
			srv, m := mustStart(t, dir)
			newClient(t, srv).do("SET", "a", "1")
			if err := m.snapshot(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			srv, m = restart(t, dir, m) // (before ensureGen, no log file was left: the next run began at generation 1 again)
			newClient(t, srv).do("SET", "b", "1")
			_ = m.Close(commands.ShutdownNoSave)
			_ = os.Remove(snap(dir))
		}, []string{"appendonly.aof.2 continues the history after write 1, but the snapshot ", "dump.snap that holds the writes before it is missing: writes 1 to 1 are missing"}},
		{"an older snapshot put back", func(t *testing.T, dir string) {
			srv, m := mustStart(t, dir)
			c := newClient(t, srv)
			c.do("SET", "a", "1")
			_ = m.Save()
			old, _ := os.ReadFile(snap(dir))
			c.do("SET", "b", "1")
			_ = m.Save()
			c.do("SET", "c", "1")
			_ = m.Close(commands.ShutdownNoSave)
			_ = os.WriteFile(snap(dir), old, 0o644)
		}, []string{"appendonly.aof.3 continues the history after write 2, but the snapshot ", "holds the writes up to 1 only (an older snapshot?): writes 2 to 2 are missing"}},
		{"a log file deleted in the middle", func(t *testing.T, dir string) {
			srv, m := mustStart(t, dir)
			newClient(t, srv).do("SET", "a", "1")
			srv, m = restart(t, dir, m)
			newClient(t, srv).do("SET", "b", "1")
			srv, m = restart(t, dir, m)
			newClient(t, srv).do("SET", "c", "1")
			_ = m.Close(commands.ShutdownNoSave)
			_ = os.Remove(LogPath(dir, "appendonly.aof", 2))
		}, []string{"appendonly.aof.3 continues the history after write 2, but the snapshot and the log files before it hold the writes up to 1 only: writes 2 to 2 are missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.damage(t, dir)
			srv, _, err := startManaged(t, dir, true, FsyncEverysec)
			if err == nil {
				c := newClient(t, srv)
				t.Fatalf("start-up went on with MGET a b c = %s", c.do("MGET", "a", "b", "c"))
			}
			var ge *GapError
			if !errors.As(err, &ge) {
				t.Fatalf("got %v", err)
			}
			for _, w := range append(tc.want, "Put back the snapshot or log file that holds them; or, to start without them, move ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

// TestRecoverKeepsHistoryAcrossRestarts: the checks of
// TestRecoverRefusesMissingHistory accept what the server writes itself:
// restarts, snapshots, restarts with no write in between.
func TestRecoverKeepsHistoryAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	newClient(t, srv).do("SET", "a", "1")
	srv, m = restart(t, dir, m)
	newClient(t, srv).do("SET", "b", "1")
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	srv, m = restart(t, dir, m)
	srv, m = restart(t, dir, m)
	newClient(t, srv).do("SET", "c", "1")
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	newClient(t, srv).do("SET", "d", "1")
	srv, _ = restart(t, dir, m)
	if got := newClient(t, srv).do("MGET", "a", "b", "c", "d"); got != `["1" "1" "1" "1"]` {
		t.Fatalf("got %s", got)
	}
}

// v1File rewrites a log file written by this build as the first build
// with a log wrote it (a 16-byte header with no base).
func v1File(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(magic), 1, 0, 0, 0, 0, 0, 0, 0)
	_ = os.WriteFile(path, append(out, data[headerSize:]...), 0o644)
}

// TestRecoverReadsVersion1Files: files of the previous log format (no base
// in the header) are still read; where their history starts is taken
// from their first record, so a missing snapshot is found there too.
func TestRecoverReadsVersion1Files(t *testing.T) {
	ks := commands.Keyspace{}
	dir := t.TempDir()
	v1File(t, writeLog(t, dir, 1, FsyncNo, rec(1, ks, "RPUSH", "l", "a"), rec(2, ks, "RPUSH", "l", "b")))
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	c.do("RPUSH", "l", "c")
	srv, _ = restart(t, dir, m)
	if got := newClient(t, srv).do("LRANGE", "l", "0", "-1"); got != `["a" "b" "c"]` {
		t.Fatalf("got %s", got)
	}

	dir = t.TempDir()
	v1File(t, writeLog(t, dir, 1, FsyncNo, rec(3, ks, "RPUSH", "l", "c")))
	_, _, err := startManaged(t, dir, true, FsyncEverysec)
	var ge *GapError
	if !errors.As(err, &ge) || ge.Base != 2 {
		t.Fatalf("a version 1 file starting at write 3 with no snapshot: %v", err)
	}
}

// TestRecoverTornOnlyAtTheEnd (review findings 6 and 11): a crash tears
// only the file being written. A record cut short at the end of an older
// file, which the writer fsynced before it opened the next, is writes
// missing: start-up stops. An all-zero last file (created, then the crash,
// on a file system that leaves zeros) holds no record and is removed.
func TestRecoverTornOnlyAtTheEnd(t *testing.T) {
	ks := commands.Keyspace{}
	t.Run("older generation cut short", func(t *testing.T) {
		dir := t.TempDir()
		p1 := writeLog(t, dir, 1, FsyncNo, rec(1, ks, "RPUSH", "l", "a"), rec(2, ks, "RPUSH", "l", "b"), rec(3, ks, "RPUSH", "l", "c"))
		writeLog(t, dir, 2, FsyncNo, rec(4, ks, "RPUSH", "l", "d"))
		data, _ := os.ReadFile(p1)
		_ = os.WriteFile(p1, data[:len(data)-3], 0o644)
		_, _, err := startManaged(t, dir, true, FsyncEverysec)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != p1 || !strings.Contains(err.Error(), "a crash cannot tear a file the server had finished") {
			t.Fatalf("got %v", err)
		}
		if st, _ := os.Stat(p1); st.Size() != int64(len(data)-3) {
			t.Fatal("the file was truncated")
		}
	})
	t.Run("all-zero last file", func(t *testing.T) {
		dir := t.TempDir()
		writeLog(t, dir, 1, FsyncNo, rec(1, ks, "SET", "a", "1"))
		p2 := LogPath(dir, "appendonly.aof", 2)
		_ = os.WriteFile(p2, make([]byte, 4096), 0o644)
		srv, m, err := startManaged(t, dir, true, FsyncEverysec)
		if err != nil {
			t.Fatal(err)
		}
		if got := newClient(t, srv).do("SET", "b", "2"); got != "+OK" {
			t.Fatal(got)
		}
		if _, err := os.Stat(p2); err == nil {
			t.Errorf("the all-zero file is still there")
		}
		srv, _ = restart(t, dir, m)
		if got := newClient(t, srv).do("MGET", "a", "b"); got != `["1" "2"]` {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("all-zero only file, then restarts", func(t *testing.T) {
		// The first run crashed as it created generation 1: the next run
		// removes it and goes on in generation 2, which, with no snapshot,
		// is a whole history (its base says it starts at the beginning).
		dir := t.TempDir()
		_ = os.WriteFile(LogPath(dir, "appendonly.aof", 1), make([]byte, 4096), 0o644)
		srv, m := mustStart(t, dir)
		newClient(t, srv).do("SET", "a", "1")
		srv, m = restart(t, dir, m)
		newClient(t, srv).do("SET", "b", "1")
		srv, _ = restart(t, dir, m)
		if got := newClient(t, srv).do("MGET", "a", "b"); got != `["1" "1"]` {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("all-zero older file", func(t *testing.T) {
		dir := t.TempDir()
		_ = os.WriteFile(LogPath(dir, "appendonly.aof", 1), make([]byte, 4096), 0o644)
		writeLog(t, dir, 2, FsyncNo, rec(1, ks, "SET", "a", "1"))
		if _, _, err := startManaged(t, dir, true, FsyncEverysec); err == nil {
			t.Fatal("an all-zero file followed by another accepted")
		}
	})
	t.Run("a failed write the writer could not undo", func(t *testing.T) {
		// The writer's broken path: a write to generation 1 failed after
		// part of it reached the file and could not be cut back; the log
		// went on in generation 2 with those records again, and its header
		// says where generation 1's good data ends.
		dir := t.TempDir()
		p1 := writeLog(t, dir, 1, FsyncNo, rec(1, ks, "RPUSH", "l", "a"), rec(2, ks, "RPUSH", "l", "b"))
		good, _ := os.ReadFile(p1)
		r3 := rec(3, ks, "RPUSH", "l", "c")
		r4 := rec(4, ks, "RPUSH", "l", "d")
		part := appendRecord(nil, &r3)
		_ = os.WriteFile(p1, append(good, part[:len(part)-5]...), 0o644)
		f2 := fileHeader(0, int64(len(good)))
		f2 = appendRecord(f2, &r3)
		f2 = appendRecord(f2, &r4)
		_ = os.WriteFile(LogPath(dir, "appendonly.aof", 2), f2, 0o644)
		srv, _, err := startManaged(t, dir, true, FsyncEverysec)
		if err != nil {
			t.Fatal(err)
		}
		if got := newClient(t, srv).do("LRANGE", "l", "0", "-1"); got != `["a" "b" "c" "d"]` {
			t.Fatalf("got %s", got)
		}
	})
}

// TestRecoverAppliesEachWriteOnce (review finding 10): a seq found twice
// (the writer's broken path writes a failed batch again in the next file)
// is applied once, whether it comes in order or held for reordering.
func TestRecoverAppliesEachWriteOnce(t *testing.T) {
	ks := commands.Keyspace{}
	dir := t.TempDir()
	writeLog(t, dir, 1, FsyncNo, rec(1, ks, "RPUSH", "l", "a"), rec(3, ks, "RPUSH", "l", "c"), rec(2, ks, "RPUSH", "l", "b"))
	writeLog(t, dir, 2, FsyncNo, rec(2, ks, "RPUSH", "l", "b"), rec(3, ks, "RPUSH", "l", "c"), rec(5, ks, "RPUSH", "l", "e"),
		rec(5, ks, "RPUSH", "l", "e"), rec(4, ks, "RPUSH", "l", "d"))
	srv, m, err := startManaged(t, dir, true, FsyncEverysec)
	if err != nil {
		t.Fatal(err)
	}
	if got := newClient(t, srv).do("LRANGE", "l", "0", "-1"); got != `["a" "b" "c" "d" "e"]` {
		t.Errorf("got %s", got)
	}
	if m.Recovered.Records != 5 {
		t.Errorf("%d records applied, want 5", m.Recovered.Records)
	}
}

// TestRecoverAppendonlyOffThenOn (review finding 3): a run with appendonly
// no ignores the log files, and its snapshot holds its own writes; with
// appendonly on again, the old files must not be replayed on top of that
// snapshot. The run with the log off numbers its writes after every
// record of the files, so its snapshot covers them.
func TestRecoverAppendonlyOffThenOn(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	for i := range 5 {
		c.do("RPUSH", "l", "run1-"+strconv.Itoa(i))
	}
	_ = m.Close(commands.ShutdownNoSave)
	srv2, m2, err := startManaged(t, dir, false, FsyncEverysec)
	if err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, srv2)
	c2.do("SET", "x", "run2")
	c2.do("SET", "y", "run2")
	if err := m2.Save(); err != nil {
		t.Fatal(err)
	}
	_ = m2.Close(commands.ShutdownNoSave)
	srv3, m3, err := startManaged(t, dir, true, FsyncEverysec)
	if err != nil {
		t.Fatal(err)
	}
	c3 := newClient(t, srv3)
	if got := c3.do("MGET", "x", "y") + " " + c3.do("LRANGE", "l", "0", "-1"); got != `["run2" "run2"] []` {
		t.Fatalf("run 3 holds %s, want run 2's snapshot alone", got)
	}
	c3.do("SET", "z", "run3")
	srv4, _ := restart(t, dir, m3)
	if got := newClient(t, srv4).do("MGET", "x", "z"); got != `["run2" "run3"]` {
		t.Fatalf("run 4 holds %s", got)
	}
}

// TestRecoverClockPinnedUntilReplay (review S1): from the snapshot's load
// to the log's first record, the clock stays pinned before every deadline:
// unpinned in between, active expiry could reclaim, by the wall clock, a
// key whose time passed while the server was down but which a later
// record (an acknowledged PERSIST) keeps.
func TestRecoverClockPinnedUntilReplay(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	newClient(t, srv).do("SET", "k", "v", "PX", "100")
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	newClient(t, srv).do("PERSIST", "k")
	_ = m.Close(commands.ShutdownNoSave)
	time.Sleep(150 * time.Millisecond)

	cfg := commands.DefaultConfig()
	cfg.Shards, cfg.Save = 16, ""
	srv2 := commands.NewServer(cfg, quietLog())
	t.Cleanup(func() { _ = srv2.Close() })
	m2 := &Manager{srv: srv2, opts: Options{Dir: dir, AppendOnly: true, DBFilename: "dump.snap"}, log: quietLog()}
	if _, _, found, err := m2.loadSnapshot(); err != nil || !found {
		t.Fatalf("load: %v %v", found, err)
	}
	if now := srv2.Eng.Clock(); now > time.Now().Add(-time.Hour).UnixMilli() {
		t.Fatalf("after the snapshot's load, before the replay, the clock is the wall clock (%d): k can expire before its PERSIST is replayed", now)
	}

	srv3, _ := mustStart(t, dir)
	if got := newClient(t, srv3).do("GET", "k"); got != `"v"` {
		t.Fatalf("GET k after recovery: %s", got)
	}
	if now := srv3.Eng.Clock(); now < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("the clock is still pinned after recovery: %d", now)
	}
}

// TestCheckLogFixRefusesLiveDirectory (review S2): check-log --fix does
// not truncate a file under a running server (it holds synap.lock); it
// does once the server is gone.
func TestCheckLogFixRefusesLiveDirectory(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	newClient(t, srv).do("SET", "a", "1")
	if !m.Log().WaitWritten(1, 5*time.Second) {
		t.Fatal("not written")
	}
	path := LogPath(dir, "appendonly.aof", 1)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	_, _ = f.Write([]byte{1, 2, 3}) // a tail a check would call torn
	_ = f.Close()
	before, _ := os.Stat(path)
	_, err := CheckLog(path, true)
	if err == nil || !strings.Contains(err.Error(), "a synap server (pid "+strconv.Itoa(os.Getpid())+") is using the data directory "+dir+": stop it before repairing its log files") {
		t.Fatalf("got %v", err)
	}
	if st, _ := os.Stat(path); st.Size() != before.Size() {
		t.Fatalf("the live file was changed")
	}
	_ = m.Close(commands.ShutdownNoSave)
	if res, err := CheckLog(path, true); err != nil || !res.Truncated {
		t.Fatalf("with the server gone: %+v %v", res, err)
	}
}

// headerOf reads a log file's header.
func headerOf(t *testing.T, path string) logHeader {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := checkHeader(data)
	if err == nil {
		err = lh.parseRest(data)
	}
	if err != nil {
		t.Fatal(err)
	}
	return lh
}

// TestLogHeaderBase: the log writes each file's base, where its history
// starts: the recovered last write for the first file, the cut for a
// rotation, and after a failed write it could not undo, the broken file's
// base and where its good data ends.
func TestLogHeaderBase(t *testing.T) {
	ks := commands.Keyspace{}
	dir := t.TempDir()
	l := NewLog(dir, "appendonly.aof", 1, FsyncNo, nil, quietLog())
	l.StartAfter(7)
	l.Write(rec(8, ks, "SET", "a", "1"))
	l.Write(rec(9, ks, "SET", "a", "1"))
	l.Rotate()
	l.Write(rec(10, ks, "SET", "a", "1"))
	// A record too large to encode under the lock counts as much.
	l.Write(rec(11, ks, "SET", "a", strings.Repeat("v", inlineMax+1)))
	l.Rotate()
	l.Write(rec(12, ks, "SET", "a", "1"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if b := headerOf(t, LogPath(dir, "appendonly.aof", 1)); b.base != 7 || b.prevGood != 0 || b.version != FormatVersion {
		t.Errorf("generation 1: %+v", b)
	}
	if b := headerOf(t, LogPath(dir, "appendonly.aof", 2)); b.base != 9 || b.prevGood != 0 {
		t.Errorf("generation 2: %+v", b)
	}
	if b := headerOf(t, LogPath(dir, "appendonly.aof", 3)); b.base != 11 {
		t.Errorf("generation 3, after a large record: %+v", b)
	}

	dir = t.TempDir()
	l = NewLog(dir, "appendonly.aof", 1, FsyncNo, nil, quietLog())
	l.StartAfter(5)
	// As writeSegment leaves it when a partial write cannot be cut back
	// (set before the first Write, which hands it to the writer).
	l.broken, l.brokenAt = true, 100
	l.Write(rec(6, ks, "SET", "a", "1"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if b := headerOf(t, LogPath(dir, "appendonly.aof", 2)); b.base != 5 || b.prevGood != 100 {
		t.Errorf("after the broken file: %+v", b)
	}
}

// TestRecoverGenerationsNeverReused: a snapshot leaves the file of the
// generation the log continues in, even with nothing written to it yet,
// so the next run numbers its files after it, and a snapshot deleted with
// no write since is found too (review finding 2).
func TestRecoverGenerationsNeverReused(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	newClient(t, srv).do("SET", "a", "1")
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	srv, m = restart(t, dir, m)
	newClient(t, srv).do("SET", "b", "1")
	_ = m.Close(commands.ShutdownNoSave)
	files, _ := listLogs(dir, "appendonly.aof")
	var gens []uint64
	for _, f := range files {
		gens = append(gens, f.gen)
	}
	if len(gens) != 2 || gens[0] != 2 || gens[1] != 3 {
		t.Fatalf("generations %v, want [2 3]", gens)
	}
	srv, m = mustStart(t, dir)
	if got := newClient(t, srv).do("MGET", "a", "b"); got != `["1" "1"]` {
		t.Fatalf("got %s", got)
	}

	// SHUTDOWN SAVE with no write after it: no record in any log file, and
	// the snapshot deleted.
	_ = m.Close(commands.ShutdownSave)
	_ = os.Remove(filepath.Join(dir, "dump.snap"))
	srv, _, err := startManaged(t, dir, true, FsyncEverysec)
	var ge *GapError
	if !errors.As(err, &ge) {
		t.Fatalf("snapshot deleted, log files with no record: start-up went on (%v)", err)
	}
	_ = srv
}

// TestScanTornTailCraftedCandidates: a torn tail crafted (a tenant's value
// cut short by a crash) to hold a record-looking header every few bytes,
// each claiming the rest of the file, does not make recovery checksum the
// file over and over: past a budget the scanner stops looking and calls it
// corrupt, which check-log --fix repairs.
func TestScanTornTailCraftedCandidates(t *testing.T) {
	defer func(b int64) { checkBudget = b }(checkBudget)
	checkBudget = 1 << 20
	ks := commands.Keyspace{}
	dir := t.TempDir()
	path := writeLog(t, dir, 1, FsyncNo, rec(1, ks, "SET", "a", "1"))
	good, _ := os.ReadFile(path)
	const tail = 4 << 20
	data := append(good, make([]byte, tail)...)
	// The torn record claims to run past the end; every later 24 bytes
	// look like a record's start that fits.
	binary.LittleEndian.PutUint32(data[len(good):], uint32(2*tail))
	for i := len(good) + 24; i+24 <= len(data); i += 24 {
		binary.LittleEndian.PutUint32(data[i:], uint32(len(data)-i-recHeader-1))
		binary.LittleEndian.PutUint64(data[i+recHeader:], 2)
	}
	_ = os.WriteFile(path, data, 0o644)
	start := time.Now()
	_, res := readAll(t, path)
	if res.Bad == nil || res.Good != int64(len(good)) {
		t.Fatalf("got %+v", res)
	}
	t.Logf("scanned in %v", time.Since(start))
	if _, err := CheckLog(path, true); err != nil {
		t.Fatal(err)
	}
	if _, res := readAll(t, path); res.Bad != nil || res.Torn || res.Size != int64(len(good)) {
		t.Fatalf("after --fix: %+v", res)
	}
}

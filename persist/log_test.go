package persist

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/commands"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func rec(seq uint64, ks commands.Keyspace, args ...string) commands.Record {
	r := commands.Record{Seq: seq, Keyspace: ks, Time: 1_700_000_000_000 + int64(seq)}
	for _, a := range args {
		r.Args = append(r.Args, []byte(a))
	}
	return r
}

func recString(r commands.Record) string {
	var parts []string
	for _, a := range r.Args {
		parts = append(parts, string(a))
	}
	return fmt.Sprintf("%d %s/%d %d %q", r.Seq, r.Keyspace.Tenant, r.Keyspace.DB, r.Time, parts)
}

// writeLog writes recs to generation gen of a log in dir and closes it.
func writeLog(t *testing.T, dir string, gen uint64, policy Fsync, recs ...commands.Record) string {
	t.Helper()
	l := NewLog(dir, "appendonly.aof", gen, policy, nil, quietLog())
	for _, r := range recs {
		l.Write(r)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return LogPath(dir, "appendonly.aof", gen)
}

func readAll(t *testing.T, path string) ([]string, scanResult) {
	t.Helper()
	var got []string
	res, err := scanFile(path, func(r commands.Record) error {
		got = append(got, recString(r))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, res
}

func sampleRecords() []commands.Record {
	return []commands.Record{
		rec(1, commands.Keyspace{}, "SET", "a", "1"),
		rec(2, commands.Keyspace{DB: 3}, "RPUSH", "l", "x", "", "z"),
		rec(3, commands.Keyspace{Tenant: "alice"}, "HSET", "h", "f", strings.Repeat("v", 70000)),
		rec(4, commands.Keyspace{}, "SET", "bin", "\x00\xff\r\n"),
	}
}

func TestLogRoundTrip(t *testing.T) {
	for _, p := range []Fsync{FsyncAlways, FsyncEverysec, FsyncNo} {
		t.Run(p.String(), func(t *testing.T) {
			dir := t.TempDir()
			recs := sampleRecords()
			path := writeLog(t, dir, 1, p, recs...)
			got, res := readAll(t, path)
			if res.Torn || res.Bad != nil || res.Good != res.Size {
				t.Fatalf("clean log scanned as %+v", res)
			}
			var want []string
			for _, r := range recs {
				want = append(want, recString(r))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("read back\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// recordOffsets returns where each record of a clean file starts.
func recordOffsets(t *testing.T, path string) []int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := int64(headerSize); off < int64(len(data)); {
		offs = append(offs, off)
		off += recHeader + int64(binary.LittleEndian.Uint32(data[off:]))
	}
	return offs
}

func TestScanTornAndCorrupt(t *testing.T) {
	recs := sampleRecords()
	cases := []struct {
		name    string
		damage  func(data []byte, offs []int64) []byte
		records int
		torn    bool
		bad     bool
	}{
		{"last record cut short", func(d []byte, o []int64) []byte { return d[:len(d)-3] }, 3, true, false},
		{"last record header cut short", func(d []byte, o []int64) []byte { return d[:o[3]+5] }, 3, true, false},
		{"zeros after the last record (file system after a crash)", func(d []byte, o []int64) []byte {
			return append(d, make([]byte, 4096)...)
		}, 4, true, false},
		{"last record's bytes zeroed", func(d []byte, o []int64) []byte {
			clear(d[o[3]:])
			return d
		}, 3, true, false},
		{"byte flipped in the last record", func(d []byte, o []int64) []byte {
			d[len(d)-2] ^= 0x40
			return d
		}, 3, true, false},
		{"byte flipped in the middle", func(d []byte, o []int64) []byte {
			d[o[1]+12] ^= 0x01
			return d
		}, 1, false, true},
		{"length flipped in the middle", func(d []byte, o []int64) []byte {
			d[o[2]] ^= 0x08
			return d
		}, 2, false, true},
		{"length's high byte flipped in the middle: runs past the end", func(d []byte, o []int64) []byte {
			d[o[1]+3] ^= 0x10
			return d
		}, 1, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeLog(t, dir, 1, FsyncNo, recs...)
			offs := recordOffsets(t, path)
			data, _ := os.ReadFile(path)
			offs = append(offs, int64(len(data))) // after the last record
			if err := os.WriteFile(path, tc.damage(data, offs), 0o644); err != nil {
				t.Fatal(err)
			}
			got, res := readAll(t, path)
			if len(got) != tc.records || res.Torn != tc.torn || (res.Bad != nil) != tc.bad {
				t.Fatalf("got %d records, torn %v, bad %v; want %d, %v, %v", len(got), res.Torn, res.Bad, tc.records, tc.torn, tc.bad)
			}
			if res.Good != offs[tc.records] {
				t.Errorf("last good offset %d, want %d", res.Good, offs[tc.records])
			}
			if tc.bad {
				msg := res.Bad.Error()
				for _, want := range []string{path, fmt.Sprintf("offset %d", offs[tc.records]), "synap check-log --fix " + path} {
					if !strings.Contains(msg, want) {
						t.Errorf("corruption message %q does not say %q", msg, want)
					}
				}
				// check-log --fix truncates at the last good record; the
				// file is then clean.
				cr, err := CheckLog(path, true)
				if err != nil || !cr.Truncated || cr.Records != tc.records {
					t.Fatalf("CheckLog --fix: %+v %v", cr, err)
				}
				got2, res2 := readAll(t, path)
				if len(got2) != tc.records || res2.Torn || res2.Bad != nil || res2.Good != res2.Size {
					t.Fatalf("after the fix: %d records, %+v", len(got2), res2)
				}
			}
		})
	}
}

func TestScanRefusesNewerVersionAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	path := writeLog(t, dir, 1, FsyncNo, sampleRecords()...)
	data, _ := os.ReadFile(path)
	binary.LittleEndian.PutUint32(data[len(magic):], FormatVersion+1)
	_ = os.WriteFile(path, data, 0o644)
	_, err := scanFile(path, nil)
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), fmt.Sprintf("format version %d, this build reads up to %d", FormatVersion+1, FormatVersion)) {
		t.Fatalf("newer version: got %v", err)
	}
	_ = os.WriteFile(path, []byte("*1\r\n$4\r\nPING\r\n(a Redis AOF)"), 0o644)
	if _, err := scanFile(path, nil); err == nil || !strings.Contains(err.Error(), "not a Synap log file") {
		t.Fatalf("foreign file: got %v", err)
	}
}

// TestLogAlwaysGroupCommit: with appendfsync always, Sync returns only once
// the caller's records are fsynced, and writers waiting together share
// fsyncs (group commit).
func TestLogAlwaysGroupCommit(t *testing.T) {
	dir := t.TempDir()
	l := NewLog(dir, "appendonly.aof", 1, FsyncAlways, nil, quietLog())
	const writers = 64
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			for j := range 5 {
				l.Write(rec(uint64(i*5+j+1), commands.Keyspace{}, "SET", fmt.Sprint("k", i, j), "v"))
				// At least this writer's own record's position: appended
				// before it was read.
				own := l.appended()
				if _, err := l.Sync(context.Background()); err != nil {
					t.Error(err)
					return
				}
				// Durable: the fsyncs cover the record's position now.
				l.dmu.Lock()
				synced := l.synced
				l.dmu.Unlock()
				if synced < own {
					t.Errorf("Sync returned with records up to %d fsynced, before this writer's record at %d", synced, own)
				}
			}
		}()
	}
	start.Done()
	wg.Wait()
	syncs := l.syncs.Load()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, LogPath(dir, "appendonly.aof", 1))
	if len(got) != writers*5 {
		t.Fatalf("%d records in the file, want %d", len(got), writers*5)
	}
	if syncs >= writers*5 {
		t.Errorf("%d fsyncs for %d records waited on together: no group commit", syncs, writers*5)
	}
	t.Logf("%d records, %d fsyncs", writers*5, syncs)
}

// TestLogRotate: records after a rotation go to the next generation's file.
func TestLogRotate(t *testing.T) {
	dir := t.TempDir()
	l := NewLog(dir, "appendonly.aof", 1, FsyncEverysec, nil, quietLog())
	l.Write(rec(1, commands.Keyspace{}, "SET", "a", "1"))
	gen, pos := l.Rotate()
	l.Write(rec(2, commands.Keyspace{}, "SET", "b", "2"))
	if gen != 2 || pos != 1 || !l.WaitWritten(pos, 5e9) {
		t.Fatalf("Rotate: gen %d pos %d", gen, pos)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	g1, _ := readAll(t, LogPath(dir, "appendonly.aof", 1))
	g2, _ := readAll(t, LogPath(dir, "appendonly.aof", 2))
	if len(g1) != 1 || len(g2) != 1 || !strings.Contains(g1[0], `"a"`) || !strings.Contains(g2[0], `"b"`) {
		t.Fatalf("generation 1: %q, generation 2: %q", g1, g2)
	}
	files, _ := listLogs(dir, "appendonly.aof")
	if len(files) != 2 || filepath.Base(files[1].path) != "appendonly.aof.2" {
		t.Fatalf("files: %+v", files)
	}
}

// stalledDisk starts a managed server under appendfsync always with a
// backlog bound of maxBacklog bytes, and holds the log's file lock so that
// the writer's next fsync, and every write after it, waits: a disk that
// does not keep up. The caller unlocks l.fileMu.
func stalledDisk(t *testing.T, maxBacklog int64) (*Manager, *Log, *client) {
	t.Helper()
	srv, m, err := startManagedOpts(t, t.TempDir(), Options{MaxBacklog: maxBacklog, AppendFsync: FsyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	l := m.Log()
	c := newClient(t, srv)
	c.do("SET", "first", "1") // the file is open: the writer's next fsync takes fileMu
	l.fileMu.Lock()
	return m, l, c
}

// TestBacklogBounded: when the disk does not keep up (here an fsync held
// back with appendfsync always), what waits in memory is counted and,
// past MaxBacklog, writes are refused with MISCONF until it drains.
func TestBacklogBounded(t *testing.T) {
	m, l, c := stalledDisk(t, 4<<10)
	for i := range 100 {
		l.Write(rec(uint64(1000+i), commands.Keyspace{}, "SET", "k", strings.Repeat("v", 100)))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if time.Now().After(deadline) {
			l.fileMu.Unlock()
			t.Fatalf("backlog %d bytes and no refusal", l.Backlog())
		}
		// The writer takes what is waiting for a few passes (it lets
		// appenders catch up before an fsync), then blocks in its fsync;
		// the rest stays in memory. A refusal that holds while nothing
		// is written is one the writer can no longer lift.
		l.Write(rec(2000, commands.Keyspace{}, "SET", "k", strings.Repeat("v", 100)))
		time.Sleep(time.Millisecond)
		if m.Refusal("") == "" {
			continue
		}
		b := l.Backlog()
		time.Sleep(50 * time.Millisecond)
		if m.Refusal("") != "" && l.Backlog() == b {
			break
		}
	}
	// With always the refusal, as every reply, waits for the records
	// appended before it to be durable: it comes once the disk does.
	refused := make(chan string, 1)
	go func() { refused <- c.do("SET", "x", "1") }()
	for l.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	l.fileMu.Unlock()
	if got := <-refused; !strings.HasPrefix(got, "-MISCONF Errors writing to the AOF file: the disk is not keeping up (") {
		t.Errorf("a write past the backlog: %s", got)
	}
	for deadline := time.Now().Add(5 * time.Second); m.Refusal("") != ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still refused with %d bytes waiting", l.Backlog())
		}
	}
	if got := c.do("SET", "x", "1"); got != "+OK" {
		t.Fatalf("once drained: %s", got)
	}
}

// TestTenantBacklogShare: one tenant's records waiting to be written may
// take a quarter of the backlog bound; past it that tenant's writes are
// refused and every other tenant's (and the operator's) still go in. The
// refusal lifts once the disk has taken them.
func TestTenantBacklogShare(t *testing.T) {
	m, l, _ := stalledDisk(t, 16<<10)
	hog := commands.Keyspace{Tenant: "hog"}
	for i := 0; m.Refusal("hog") == ""; i++ {
		if i > 1000 {
			l.fileMu.Unlock()
			t.Fatalf("tenant backlog %d bytes (all %d) and no refusal", l.TenantBacklog("hog", 0), l.Backlog())
		}
		l.Write(rec(uint64(1000+i), hog, "SET", "k", strings.Repeat("v", 200)))
		time.Sleep(100 * time.Microsecond)
	}
	got := m.Refusal("hog")
	others := []string{m.Refusal("quiet"), m.Refusal("")}
	b := l.Backlog()
	l.fileMu.Unlock()
	if !strings.HasPrefix(got, "MISCONF Errors writing to the AOF file: the disk is not keeping up with this tenant's writes (") ||
		!strings.HasSuffix(got, "over the tenant's share of 4096)") {
		t.Errorf("the tenant past its share: %q", got)
	}
	if b > 16<<10 {
		t.Errorf("the whole backlog passed its bound (%d bytes) before the tenant's share refused it", b)
	}
	if others[0] != "" || others[1] != "" {
		t.Errorf("another tenant and the operator refused while only one tenant is over its share: %q, %q", others[0], others[1])
	}
	for deadline := time.Now().Add(5 * time.Second); m.Refusal("hog") != ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still refused with %d bytes of the tenant's waiting", l.TenantBacklog("hog", 0))
		}
	}
	if n := l.TenantBacklog("hog", -1); n != 0 {
		t.Errorf("%d bytes of the tenant's still counted once all is written", n)
	}
}

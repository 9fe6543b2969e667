package persist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/commands"
	"synap/tenant"
)

// startManaged builds a server and opens persistence on dir.
func startManaged(t *testing.T, dir string, appendonly bool, fsync Fsync) (*commands.Server, *Manager, error) {
	t.Helper()
	if !appendonly {
		return startManagedOpts(t, dir, Options{AppendFsync: fsync, AppendFilename: "-"})
	}
	return startManagedOpts(t, dir, Options{AppendFsync: fsync})
}

// startManagedOpts is startManaged with options (the log on unless
// AppendFilename is "-").
func startManagedOpts(t *testing.T, dir string, o Options) (*commands.Server, *Manager, error) {
	t.Helper()
	o.Dir, o.AppendOnly, o.DBFilename, o.Log = dir, o.AppendFilename != "-", "dump.snap", quietLog()
	o.AppendFilename = "appendonly.aof"
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	cfg.Dir, cfg.AppendOnly, cfg.AppendFsync = dir, o.AppendOnly, o.AppendFsync.String()
	cfg.Save = ""
	srv := commands.NewServer(cfg, quietLog())
	m, err := Open(srv, o)
	if err != nil {
		_ = srv.Close()
		return nil, nil, err
	}
	t.Cleanup(func() {
		_ = m.Close(commands.ShutdownNoSave)
		_ = srv.Close()
	})
	return srv, m, nil
}

func mustStart(t *testing.T, dir string) (*commands.Server, *Manager) {
	t.Helper()
	srv, m, err := startManaged(t, dir, true, FsyncEverysec)
	if err != nil {
		t.Fatal(err)
	}
	return srv, m
}

type client struct {
	srv *commands.Server
	s   *commands.Session
}

func newClient(t *testing.T, srv *commands.Server) *client {
	t.Helper()
	s, err := srv.NewSession(tenant.SurfaceRESP, commands.LocalTransport{Remote: "test", Local: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &client{srv, s}
}

func (c *client) do(args ...string) string {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	v, err := c.srv.Call(context.Background(), c.s, b...)
	if err != nil {
		return "ERROR " + err.Error()
	}
	return v.String()
}

// dataOf renders every key of databases 0-3 as type, deadline and value.
func dataOf(t *testing.T, srv *commands.Server) map[string]string {
	t.Helper()
	c := newClient(t, srv)
	out := map[string]string{}
	for db := range 4 {
		c.do("SELECT", strconv.Itoa(db))
		keys := strings.Fields(strings.Trim(c.do("KEYS", "*"), "[]"))
		for _, k := range keys {
			k, _ = strconv.Unquote(k)
			typ := c.do("TYPE", k)
			var val string
			switch strings.Trim(typ, "+\"") {
			case "string":
				val = c.do("GET", k)
			case "list":
				val = c.do("LRANGE", k, "0", "-1")
			case "set":
				m := strings.Fields(c.do("SMEMBERS", k))
				slices.Sort(m)
				val = strings.Join(m, " ")
			case "hash":
				m := strings.Fields(c.do("HGETALL", k))
				slices.Sort(m)
				val = strings.Join(m, " ")
			case "zset":
				val = c.do("ZRANGE", k, "0", "-1", "WITHSCORES")
			default:
				val = typ
			}
			out[fmt.Sprintf("%d/%s", db, k)] = typ + " " + c.do("PEXPIRETIME", k) + " " + val
		}
	}
	return out
}

func compare(t *testing.T, want, got map[string]string) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g := got[k]; g != w {
			if bad++; bad < 10 {
				t.Errorf("key %s: before %s, recovered %s", k, w, g)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad < 10 {
				t.Errorf("key %s only after recovery: %s", k, g)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d keys differ", bad)
	}
}

func workload(r *rand.Rand) [][]string {
	k := func(p string) string { return p + strconv.Itoa(r.IntN(8)) }
	n := func() string { return strconv.Itoa(r.IntN(100)) }
	ops := []func() []string{
		func() []string { return []string{"SET", k("s"), n()} },
		func() []string { return []string{"SET", k("s"), n(), "EX", "1000"} },
		func() []string { return []string{"SET", k("e"), n(), "PX", "1"} }, // gone by the check
		func() []string { return []string{"INCR", k("c")} },
		func() []string { return []string{"INCRBYFLOAT", k("f"), "1.5"} },
		func() []string { return []string{"APPEND", k("s"), "x"} },
		func() []string { return []string{"DEL", k("s")} },
		func() []string { return []string{"LPUSH", k("l"), n(), n()} },
		func() []string { return []string{"RPOP", k("l")} },
		func() []string { return []string{"HSET", k("h"), "f" + n(), n()} },
		func() []string { return []string{"SADD", k("S"), n()} },
		func() []string { return []string{"SPOP", k("S")} },
		func() []string { return []string{"ZADD", k("z"), n(), "m" + n()} },
		func() []string { return []string{"EXPIRE", k("h"), "500"} },
		func() []string { return []string{"SELECT", strconv.Itoa(r.IntN(3))} },
	}
	if r.IntN(10) == 0 {
		block := [][]string{{"MULTI"}}
		for range 1 + r.IntN(4) {
			block = append(block, ops[r.IntN(len(ops))]())
		}
		return append(block, []string{"EXEC"})
	}
	return [][]string{ops[r.IntN(len(ops))]()}
}

func runWorkload(t *testing.T, srv *commands.Server, seed uint64, during func()) {
	var wg sync.WaitGroup
	for i := range 4 {
		c := newClient(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			for op := range 400 {
				if i == 0 && op == 200 && during != nil {
					during()
				}
				for _, args := range workload(r) {
					if got := c.do(args...); strings.HasPrefix(got, "ERROR") {
						t.Errorf("%q: %s", args, got)
					}
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(5 * time.Millisecond) // PX 1 keys expire
}

// TestRecoverAfterRestart: what a concurrent workload left (every type,
// TTLs, MULTI blocks, several databases) is there after a restart: from
// the log alone, from a snapshot taken during the load plus the log after
// it, and from a final snapshot alone.
func TestRecoverAfterRestart(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite bool
		mode    int
	}{
		{"log only", false, commands.ShutdownNoSave},
		{"rewrite during the load, then the log", true, commands.ShutdownNoSave},
		{"final snapshot", false, commands.ShutdownSave},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			srv, m := mustStart(t, dir)
			var during func()
			if tc.rewrite {
				during = func() {
					if _, err := m.BGRewrite(); err != nil {
						t.Error(err)
					}
				}
			}
			runWorkload(t, srv, seed, during)
			m.waitSaves()
			want := dataOf(t, srv)
			if len(want) == 0 {
				t.Fatal("the workload left nothing")
			}
			if err := m.Close(tc.mode); err != nil {
				t.Fatal(err)
			}
			files, _ := listLogs(dir, "appendonly.aof")
			_, snapErr := os.Stat(filepath.Join(dir, "dump.snap"))
			if tc.rewrite || tc.mode == commands.ShutdownSave {
				if snapErr != nil {
					t.Fatalf("no snapshot: %v", snapErr)
				}
				for _, f := range files {
					if f.gen == 1 {
						t.Errorf("the log's first generation outlived the snapshot that covers it")
					}
				}
			}
			srv2, m2 := mustStart(t, dir)
			compare(t, want, dataOf(t, srv2))
			t.Logf("%d keys; recovered %d log records, snapshot keys %d", len(want), m2.Recovered.Records, m2.Recovered.SnapshotKeys)
		})
	}
}

// TestRecoverTornTail: a record cut short at the end of the log (a crash
// while it was written: never acknowledged) is truncated away with a log
// line; everything before it is recovered.
func TestRecoverTornTail(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	c.do("SET", "a", "1")
	c.do("RPUSH", "l", "x", "y")
	c.do("SET", "b", "2")
	_ = m.Close(commands.ShutdownNoSave)
	path := LogPath(dir, "appendonly.aof", 1)
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	srv2, m2 := mustStart(t, dir)
	c2 := newClient(t, srv2)
	if got := c2.do("MGET", "a", "b") + " " + c2.do("LRANGE", "l", "0", "-1"); got != `["1" nil] ["x" "y"]` {
		t.Fatalf("after a torn tail: %s", got)
	}
	if len(m2.Recovered.Truncated) != 1 {
		t.Fatalf("truncated: %v", m2.Recovered.Truncated)
	}
	if st, _ := os.Stat(path); st.Size() >= int64(len(data)-4) {
		t.Fatalf("the torn record is still in the file (%d bytes)", st.Size())
	}
}

// fiveSetsLogged writes SET k0..k4 through a server's log, closes it, and
// returns its directory, the log file, its records' offsets and its bytes,
// for a test to damage.
func fiveSetsLogged(t *testing.T) (dir, path string, offs []int64, data []byte) {
	t.Helper()
	dir = t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	for i := range 5 {
		c.do("SET", "k"+strconv.Itoa(i), "v")
	}
	_ = m.Close(commands.ShutdownNoSave)
	path = LogPath(dir, "appendonly.aof", 1)
	offs = recordOffsets(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, path, offs, data
}

// TestRecoverStopsAtCorruption: a bad record with good ones after it
// stops start-up with the file, the offset and the repair command.
func TestRecoverStopsAtCorruption(t *testing.T) {
	dir, path, offs, data := fiveSetsLogged(t)
	data[offs[2]+20] ^= 0xff
	_ = os.WriteFile(path, data, 0o644)
	_, _, err := startManaged(t, dir, true, FsyncEverysec)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.File != path || ce.Offset != offs[2] {
		t.Fatalf("got %v, want corruption of %s at %d", err, path, offs[2])
	}
	if !strings.Contains(err.Error(), "synap check-log --fix "+path) {
		t.Errorf("the message does not say how to repair: %v", err)
	}
	if _, err := CheckLog(path, true); err != nil {
		t.Fatal(err)
	}
	srv2, _ := mustStart(t, dir)
	if got := newClient(t, srv2).do("MGET", "k0", "k1", "k2", "k3"); got != `["v" "v" nil nil]` {
		t.Fatalf("after check-log --fix: %s", got)
	}
}

func TestRecoverBadInput(t *testing.T) {
	t.Run("second server on the directory", func(t *testing.T) {
		dir := t.TempDir()
		mustStart(t, dir)
		_, _, err := startManaged(t, dir, true, FsyncEverysec)
		if err == nil || !strings.Contains(err.Error(), "another synap server (pid "+strconv.Itoa(os.Getpid())+") is using the data directory "+dir) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("directory is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "f")
		_ = os.WriteFile(file, nil, 0o644)
		_, _, err := startManaged(t, file, true, FsyncEverysec)
		if err == nil || !strings.Contains(err.Error(), "cannot create the data directory "+file) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("log from a newer version", func(t *testing.T) {
		dir := t.TempDir()
		path := writeLog(t, dir, 1, FsyncNo, sampleRecords()...)
		data, _ := os.ReadFile(path)
		data[len(magic)] = 9
		_ = os.WriteFile(path, data, 0o644)
		_, _, err := startManaged(t, dir, true, FsyncEverysec)
		if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("snapshot deleted after a rewrite", func(t *testing.T) {
		dir := t.TempDir()
		srv, m := mustStart(t, dir)
		newClient(t, srv).do("SET", "a", "1")
		if err := m.snapshot(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		newClient(t, srv).do("SET", "b", "1")
		_ = m.Close(commands.ShutdownNoSave)
		_ = os.Remove(filepath.Join(dir, "dump.snap"))
		_, _, err := startManaged(t, dir, true, FsyncEverysec)
		if err == nil || !strings.Contains(err.Error(), "the snapshot "+filepath.Join(dir, "dump.snap")+" that holds the writes before it is missing") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestRecoverOrderAndTransactions: records are applied in sequence order
// whatever their order in the file, in the keyspace each names, and a
// transaction whose EXEC never reached the log is dropped whole.
func TestRecoverOrderAndTransactions(t *testing.T) {
	dir := t.TempDir()
	ks := commands.Keyspace{}
	writeLog(t, dir, 1, FsyncNo,
		rec(1, ks, "SET", "k", "first"),
		rec(3, ks, "SET", "k", "third"), // appended before 2 by a writer on another shard
		rec(2, ks, "SET", "k", "second"),
		rec(4, commands.Keyspace{Tenant: "alice"}, "SET", "t", "alice's"),
		rec(5, commands.Keyspace{DB: 2}, "SET", "d", "two"),
		rec(6, ks, "MULTI"),
		rec(7, ks, "SET", "m1", "x"),
		rec(8, ks, "SET", "m2", "x"),
		rec(9, ks, "EXEC"),
		rec(10, ks, "MULTI"),
		rec(11, ks, "SET", "half", "x"),
		// 12 (another write of the block) and EXEC never reached the file
		rec(14, ks, "SET", "after", "y"),
	)
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	if got := c.do("MGET", "k", "m1", "m2", "half", "after", "t"); got != `["third" "x" "x" nil "y" nil]` {
		t.Errorf("db 0: %s", got)
	}
	c.do("SELECT", "2")
	if got := c.do("GET", "d"); got != `"two"` {
		t.Errorf("db 2: %s", got)
	}
	if n := srv.Eng.Namespace("user:alice:").Keys(); n != 1 {
		t.Errorf("tenant alice's keyspace holds %d keys, want 1", n)
	}
	// New writes are numbered after the last one recovered.
	if m.Recovered.Last != 14 || srv.WriteSeq() != 14 {
		t.Fatalf("last recovered %d, sequence %d", m.Recovered.Last, srv.WriteSeq())
	}
	c.do("SET", "new", "1")
	if srv.WriteSeq() != 15 {
		t.Fatalf("the next write took %d", srv.WriteSeq())
	}
}

// TestRecoverKeyExpiringAfterSnapshot: a key alive at the snapshot that
// the log writes to later, and whose time passed while the server was
// down, is gone after recovery; it is not dropped by the snapshot's load
// and then re-created by the log's later write without its TTL.
func TestRecoverKeyExpiringAfterSnapshot(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	c.do("SET", "k", "v", "PX", "300")
	if err := m.snapshot(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	c.do("APPEND", "k", "x")
	c.do("SET", "stay", "1")
	_ = m.Close(commands.ShutdownNoSave)
	time.Sleep(400 * time.Millisecond)
	srv2, _ := mustStart(t, dir)
	if got := newClient(t, srv2).do("MGET", "k", "stay"); got != `[nil "1"]` {
		t.Fatalf("got %s", got)
	}
}

// TestRecoverStreamsAndQueues: stream consumer groups with their pending
// entries, and queues with a delivered, unacknowledged message, come back
// the same (from the log, and from a snapshot); the message is delivered
// again once its ack deadline passes.
func TestRecoverStreamsAndQueues(t *testing.T) {
	for _, snap := range []bool{false, true} {
		t.Run(fmt.Sprintf("snapshot=%v", snap), func(t *testing.T) {
			dir := t.TempDir()
			srv, m := mustStart(t, dir)
			c := newClient(t, srv)
			for _, args := range [][]string{
				{"XADD", "s", "1-1", "f", "a"}, {"XADD", "s", "1-2", "f", "b"}, {"XADD", "s", "1-3", "f", "c"},
				{"XGROUP", "CREATE", "s", "g", "0"},
				{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"},
				{"XACK", "s", "g", "1-1"},
				// A deadline no restart under load can pass: the test moves
				// the clock past it instead of waiting.
				{"QCREATE", "q", "ACKDEADLINE", "60000"},
				{"QPUBLISH", "q", "m1"}, {"QPUBLISH", "q", "m2"},
				{"QCONSUME", "q", "worker", "COUNT", "1"},
			} {
				if got := c.do(args...); strings.HasPrefix(got, "-") || strings.HasPrefix(got, "ERROR") {
					t.Fatalf("%q: %s", args, got)
				}
			}
			probe := func(c *client) string {
				return c.do("XPENDING", "s", "g") + " " + c.do("XINFO", "GROUPS", "s") + " " + c.do("XRANGE", "s", "-", "+") +
					" " + c.do("QSTATS", "q")
			}
			want := probe(c)
			mode := commands.ShutdownNoSave
			if snap {
				mode = commands.ShutdownSave
			}
			if err := m.Close(mode); err != nil {
				t.Fatal(err)
			}
			srv2, m2 := mustStart(t, dir)
			if snap != (m2.Recovered.SnapshotKeys > 0) {
				t.Fatalf("snapshot keys %d", m2.Recovered.SnapshotKeys)
			}
			c2 := newClient(t, srv2)
			// A snapshot's load keeps in-flight messages in flight until
			// their deadline, as the log's replay does.
			if got := probe(c2); got != want {
				t.Fatalf("after the restart:\n%s\nwant\n%s", got, want)
			}
			srv2.Eng.PinClock(time.Now().UnixMilli() + 61000)
			defer srv2.Eng.PinClock(0)
			if got := c2.do("QCONSUME", "q", "other", "COUNT", "5"); !strings.Contains(got, `"m1"`) {
				t.Fatalf("the unacknowledged message is not delivered again: %s", got)
			}
		})
	}
}

// TestRecoverRefusesTooFewDatabases: a log with writes to a database the
// server no longer has stops start-up instead of losing them.
func TestRecoverRefusesTooFewDatabases(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 1, FsyncNo, rec(1, commands.Keyspace{DB: 20}, "SET", "k", "v"))
	_, _, err := startManaged(t, dir, true, FsyncEverysec)
	if err == nil || !strings.Contains(err.Error(), "writes to database 20 but databases is 16: start with --databases 21 or more") {
		t.Fatalf("got %v", err)
	}
}

// TestManagerLiveSettings: CONFIG SET appendfsync reaches the log, a save
// point takes a snapshot once its changes and seconds are reached, and
// the log is rewritten once it grows past auto-aof-rewrite-*.
func TestManagerLiveSettings(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen", what)
			}
		}
	}
	if got := c.do("CONFIG", "SET", "appendfsync", "always"); got != "+OK" {
		t.Fatal(got)
	}
	waitFor("appendfsync always", func() bool { return m.Log().Policy() == FsyncAlways })

	before := m.LastSave()
	c.do("CONFIG", "SET", "save", "1 2")
	c.do("SET", "a", "1")
	time.Sleep(1100 * time.Millisecond) // one write is not two: no snapshot
	if _, err := os.Stat(filepath.Join(dir, "dump.snap")); err == nil {
		t.Fatal("a snapshot before the save point's changes")
	}
	c.do("SET", "b", "1")
	waitFor("the save point's snapshot", func() bool {
		_, err := os.Stat(filepath.Join(dir, "dump.snap"))
		return err == nil && m.LastSave() >= before && !m.saving.Load()
	})
	if got := c.do("INFO", "persistence"); !strings.Contains(got, `rdb_changes_since_last_save:0`) {
		t.Errorf("INFO after the snapshot: %s", got)
	}
	c.do("CONFIG", "SET", "save", "")

	rewrites := m.rewrites.Load()
	c.do("CONFIG", "SET", "auto-aof-rewrite-min-size", "1kb", "auto-aof-rewrite-percentage", "10")
	for i := range 100 {
		c.do("SET", "k"+strconv.Itoa(i), strings.Repeat("x", 100))
	}
	waitFor("the automatic rewrite", func() bool { return m.rewrites.Load() > rewrites && !m.saving.Load() })
	if got := c.do("INFO", "persistence"); !strings.Contains(got, `aof_rewrites:`) || !strings.Contains(got, `aof_last_bgrewrite_status:ok`) {
		t.Errorf("INFO after the rewrite: %s", got)
	}
}

// TestRecoverClusterOperatorFlush: in cluster mode the operator's
// FLUSHALL, which cleared every tenant, clears them again when replayed.
func TestRecoverClusterOperatorFlush(t *testing.T) {
	dir := t.TempDir()
	alice, op := commands.Keyspace{Tenant: "alice"}, commands.Keyspace{}
	writeLog(t, dir, 1, FsyncNo,
		rec(1, alice, "SET", "old", "1"),
		rec(2, commands.Keyspace{Tenant: "bob"}, "SET", "old", "1"),
		rec(3, op, "FLUSHALL"),
		rec(4, alice, "SET", "new", "1"),
	)
	cfg := commands.DefaultConfig()
	cfg.Shards, cfg.ClusterMode, cfg.Save = 16, true, ""
	srv := commands.NewServer(cfg, quietLog())
	t.Cleanup(func() { _ = srv.Close() })
	m, err := Open(srv, Options{Dir: dir, AppendOnly: true, AppendFilename: "appendonly.aof", DBFilename: "dump.snap", Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(commands.ShutdownNoSave) })
	a, b := srv.Eng.Namespace("user:alice:").Keys(), srv.Eng.Namespace("user:bob:").Keys()
	if a != 1 || b != 0 || m.Recovered.Records != 4 {
		t.Fatalf("alice %d keys, bob %d, %d records applied; want 1, 0, 4", a, b, m.Recovered.Records)
	}
}

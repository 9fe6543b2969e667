package persist

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"synap/commands"
)

// The log's write and sync path: what a reply waits for, and what a policy
// change, a failed fsync or a large write does to the others waiting.

// TestSyncAfterPolicySwitchToAlways: a record written under no or everysec
// and not yet fsynced when the policy becomes always is fsynced for the
// next waiter, without another write to bring the writer round. (Under no
// nothing else would ever fsync it: the wait would never end.)
func TestSyncAfterPolicySwitchToAlways(t *testing.T) {
	for _, from := range []Fsync{FsyncNo, FsyncEverysec} {
		t.Run(from.String(), func(t *testing.T) {
			dir := t.TempDir()
			l := NewLog(dir, "appendonly.aof", 1, from, nil, quietLog())
			defer l.Close()
			l.Write(rec(1, commands.Keyspace{}, "SET", "a", "1"))
			if !l.WaitWritten(1, 10*time.Second) {
				t.Fatal("not written")
			}
			l.SetPolicy(FsyncAlways)
			// The bound only keeps a failing test from hanging.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := l.Sync(ctx); err != nil {
				t.Fatalf("Sync after %s -> always with a written, unsynced record: %v", from, err)
			}
			l.dmu.Lock()
			synced := l.synced
			l.dmu.Unlock()
			if synced < 1 {
				t.Fatalf("Sync returned with %d records fsynced", synced)
			}
		})
	}
}

// TestSyncReleasedByAlwaysToNo: a reply waiting under always when the
// policy becomes no is released (nothing would fsync for it any more).
func TestSyncReleasedByAlwaysToNo(t *testing.T) {
	dir := t.TempDir()
	l := NewLog(dir, "appendonly.aof", 1, FsyncAlways, nil, quietLog())
	defer l.Close()
	l.Write(rec(1, commands.Keyspace{}, "SET", "a", "1"))
	if _, err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.fileMu.Lock() // the writer's next fsync blocks
	l.Write(rec(2, commands.Keyspace{}, "SET", "b", "1"))
	// The writer wrote record 2 (the backlog is empty) and waits in its
	// fsync.
	for l.Backlog() != 0 {
		time.Sleep(time.Millisecond)
	}
	l.Write(rec(3, commands.Keyspace{}, "SET", "c", "1"))
	res := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, err := l.Sync(ctx); res <- err }()
	for l.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	l.SetPolicy(FsyncNo)
	select {
	case err := <-res:
		l.fileMu.Unlock()
		if err != nil {
			t.Fatalf("the waiting reply: %v", err)
		}
	case <-time.After(10 * time.Second):
		l.fileMu.Unlock()
		t.Fatal("a reply waiting under always is still waiting after appendfsync became no")
	}
}

// TestConfigSetAppendfsyncAppliesAtOnce: once CONFIG SET appendfsync
// always has answered, the next write's reply waits for its fsync (the
// policy is not left to a periodic job to apply).
func TestConfigSetAppendfsyncAppliesAtOnce(t *testing.T) {
	dir := t.TempDir()
	srv, m := mustStart(t, dir)
	c := newClient(t, srv)
	c.do("SET", "warm", "1")
	for i := range 20 {
		if got := c.do("CONFIG", "SET", "appendfsync", "always"); got != "+OK" {
			t.Fatal(got)
		}
		if got := c.do("SET", "k", "v"); got != "+OK" {
			t.Fatal(got)
		}
		l := m.Log()
		pos := l.appended()
		l.dmu.Lock()
		synced := l.synced
		l.dmu.Unlock()
		if synced < pos {
			t.Fatalf("round %d: SET answered under appendfsync always with %d of %d records fsynced", i, synced, pos)
		}
		if got := c.do("CONFIG", "SET", "appendfsync", "everysec"); got != "+OK" {
			t.Fatal(got)
		}
	}
}

// TestNoReplyBeforeObservedRecordsDurable: with appendfsync always, while
// A's SET waits for its fsync (held back here, as a slow disk would), B's
// GET of the key and B's SET NX on it (which would answer "not set") are
// not answered either: no client acts on a write a crash could still
// lose. Once the fsync is done, both answer as the write says.
func TestNoReplyBeforeObservedRecordsDurable(t *testing.T) {
	for _, cmd := range [][]string{{"GET", "k"}, {"SET", "k", "B", "NX"}, {"EXISTS", "k"}} {
		t.Run(cmd[0], func(t *testing.T) {
			dir := t.TempDir()
			srv, m, err := startManagedOpts(t, dir, Options{AppendFsync: FsyncAlways})
			if err != nil {
				t.Fatal(err)
			}
			a, b := newClient(t, srv), newClient(t, srv)
			a.do("SET", "warm", "1") // the file is open
			l := m.Log()
			l.fileMu.Lock() // the writer's next fsync blocks
			locked := true
			defer func() {
				if locked {
					l.fileMu.Unlock()
				}
			}()
			aDone := make(chan string, 1)
			go func() { aDone <- a.do("SET", "k", "A") }()
			for l.waiting.Load() < 1 { // A waits for its fsync
				time.Sleep(time.Millisecond)
			}
			posA := l.appended()
			bDone := make(chan string, 1)
			go func() { bDone <- b.do(cmd...) }()
			for l.waiting.Load() < 2 { // B waits too, or answered
				select {
				case got := <-bDone:
					l.dmu.Lock()
					synced := l.synced
					l.dmu.Unlock()
					t.Fatalf("%q answered %s while A's record (%d) was not fsynced (%d are)", cmd, got, posA, synced)
				default:
					time.Sleep(time.Millisecond)
				}
			}
			l.fileMu.Unlock()
			locked = false
			if got := <-aDone; got != "+OK" {
				t.Fatalf("A: %s", got)
			}
			want := map[string]string{"GET": `"A"`, "SET": "nil", "EXISTS": ":1"}[cmd[0]]
			if got := <-bDone; got != want {
				t.Fatalf("%q after the fsync: %s, want %s", cmd, got, want)
			}
		})
	}
}

// TestLargeWriteDoesNotHoldTheLog: a hostile tenant's large write is
// encoded off the log's lock. While its record is still being encoded
// (held there by the test hook), a victim tenant's small write is
// appended, written and fsynced; then the large one completes, and both
// are in the file.
func TestLargeWriteDoesNotHoldTheLog(t *testing.T) {
	dir := t.TempDir()
	l := NewLog(dir, "appendonly.aof", 1, FsyncAlways, nil, quietLog())
	encoding, release := make(chan struct{}), make(chan struct{})
	testHookEncoded = func() {
		close(encoding)
		<-release
	}
	defer func() { testHookEncoded = nil }()
	big := make([]byte, 8<<20)
	hostileDone := make(chan struct{})
	go func() {
		defer close(hostileDone)
		l.Write(commands.Record{Seq: 1, Keyspace: commands.Keyspace{Tenant: "hostile"}, Args: [][]byte{[]byte("SET"), []byte("big"), big}})
	}()
	<-encoding
	victimDone := make(chan error, 1)
	go func() {
		l.Write(rec(2, commands.Keyspace{Tenant: "victim"}, "SET", "k", "v"))
		_, err := l.Sync(context.Background())
		victimDone <- err
	}()
	// The bound only keeps a failing test from hanging.
	select {
	case err := <-victimDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the victim's small write did not complete while the large record was being encoded")
	}
	select {
	case <-hostileDone:
		t.Fatal("the large write finished before its encoding was released")
	default:
	}
	close(release)
	<-hostileDone
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, res := readAll(t, LogPath(dir, "appendonly.aof", 1))
	if len(got) != 2 || res.Bad != nil || res.Torn || !strings.Contains(got[0], `"victim"`) && !strings.Contains(got[0], "victim/") {
		t.Fatalf("the file holds %d records (%+v), first %.60s", len(got), res, got)
	}
}

// failFsyncs makes the next n fsyncs of any log fail with EIO.
func failFsyncs(t *testing.T, n int) {
	var mu sync.Mutex
	testHookFsync = func(err error) error {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			n--
			return syscall.EIO
		}
		return err
	}
	t.Cleanup(func() { testHookFsync = nil })
}

// TestFsyncFailureIsNotClearedByALaterFsync: once an fsync failed, a
// later one that succeeds (Linux may have dropped the failed pages and
// reports the error once) neither marks the records durable nor lifts the
// refusal; a snapshot covering them does.
func TestFsyncFailureIsNotClearedByALaterFsync(t *testing.T) {
	dir := t.TempDir()
	l := NewLog(dir, "appendonly.aof", 1, FsyncAlways, nil, quietLog())
	defer l.Close()
	failFsyncs(t, 1)
	l.Write(rec(1, commands.Keyspace{}, "SET", "a", "1"))
	if _, err := l.Sync(context.Background()); err == nil {
		t.Fatal("Sync succeeded over a failed fsync")
	}
	// More records: the writer writes and fsyncs them, successfully now.
	for i := range 5 {
		l.Write(rec(uint64(2+i), commands.Keyspace{}, "SET", "b", "1"))
		if !l.WaitWritten(uint64(2+i), 10*time.Second) {
			t.Fatal("not written")
		}
	}
	if l.Err() == nil {
		t.Fatal("a later successful fsync cleared the failure")
	}
	l.dmu.Lock()
	synced := l.synced
	l.dmu.Unlock()
	if synced != 0 {
		t.Fatalf("records up to %d counted durable after their fsync failed", synced)
	}
	if _, err := l.Sync(context.Background()); err == nil {
		t.Fatal("Sync succeeded over a failed fsync, after a later good one")
	}
	// A snapshot cut past them, in place: healed.
	l.Covered(l.appended())
	if l.Err() != nil {
		t.Fatalf("still failing once a snapshot covers the records: %v", l.Err())
	}
	if _, err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestFsyncFailureHealedByARewrite: the manager refuses writes (MISCONF)
// after a failed fsync, rewrites the log onto a snapshot by itself, and
// then accepts writes again; a restart recovers every acknowledged write.
func TestFsyncFailureHealedByARewrite(t *testing.T) {
	dir := t.TempDir()
	srv, m, err := startManagedOpts(t, dir, Options{AppendFsync: FsyncEverysec})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	c.do("SET", "a", "1")
	if !m.Log().WaitWritten(m.Log().appended(), 10*time.Second) {
		t.Fatal("not written")
	}
	failFsyncs(t, 1)
	if err := m.Log().fsync(false); err == nil {
		t.Fatal("no failure injected")
	}
	if got := c.do("SET", "b", "1"); got != "-MISCONF Errors writing to the AOF file: Input/output error" {
		t.Fatalf("a write after a failed fsync: %s", got)
	}
	for deadline := time.Now().Add(20 * time.Second); m.Refusal("") != ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still refusing writes: %s", m.Refusal(""))
		}
	}
	if got := c.do("SET", "c", "1"); got != "+OK" {
		t.Fatalf("after the rewrite: %s", got)
	}
	if m.rewrites.Load() == 0 {
		t.Fatal("healed without a rewrite")
	}
	_ = m.Close(commands.ShutdownNoSave)
	srv2, _ := mustStart(t, dir)
	if got := newClient(t, srv2).do("MGET", "a", "b", "c"); got != `["1" nil "1"]` {
		t.Fatalf("after a restart: %s", got)
	}
}

// TestStopWritesOnBgsaveError: with save points set and the last snapshot
// failed, writes get Redis 7.0's MISCONF text (reads go on) until a
// snapshot succeeds; stop-writes-on-bgsave-error no, or no save points,
// lift it.
func TestStopWritesOnBgsaveError(t *testing.T) {
	for _, appendonly := range []bool{false, true} {
		t.Run(fmt.Sprintf("appendonly=%v", appendonly), func(t *testing.T) {
			dir := t.TempDir()
			srv, m, err := startManaged(t, dir, appendonly, FsyncEverysec)
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, srv)
			c.do("CONFIG", "SET", "save", "3600 1")
			c.do("SET", "k", "v")
			// The snapshot's temporary file cannot be created.
			if err := os.MkdirAll(filepath.Join(dir, "dump.snap.tmp", "x"), 0o755); err != nil {
				t.Fatal(err)
			}
			if got := c.do("SAVE"); !strings.HasPrefix(got, "-") {
				t.Fatalf("SAVE with no way to write: %s", got)
			}
			steps := []struct {
				args []string
				want string
			}{
				{[]string{"SET", "k", "w"}, "-" + errBgsave},
				{[]string{"GET", "k"}, `"v"`},
				{[]string{"CONFIG", "GET", "stop-writes-on-bgsave-error"}, `["stop-writes-on-bgsave-error" "yes"]`},
				{[]string{"CONFIG", "SET", "stop-writes-on-bgsave-error", "no"}, "+OK"},
				{[]string{"SET", "k", "w"}, "+OK"},
				{[]string{"CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"}, "+OK"},
				{[]string{"DEL", "k"}, "-" + errBgsave},
				{[]string{"CONFIG", "SET", "save", ""}, "+OK"},
				{[]string{"SET", "k", "x"}, "+OK"},
				{[]string{"CONFIG", "SET", "save", "3600 1"}, "+OK"},
				{[]string{"SET", "k", "y"}, "-" + errBgsave},
			}
			for _, s := range steps {
				if got := c.do(s.args...); got != s.want {
					t.Fatalf("%q: %s, want %s", s.args, got, s.want)
				}
			}
			// The disk is back: the next snapshot succeeds and lifts it.
			if err := os.RemoveAll(filepath.Join(dir, "dump.snap.tmp")); err != nil {
				t.Fatal(err)
			}
			if got := c.do("SAVE"); got != "+OK" {
				t.Fatal(got)
			}
			if got := c.do("SET", "k", "z"); got != "+OK" {
				t.Fatalf("after a snapshot succeeded: %s", got)
			}
			_ = m
		})
	}
}

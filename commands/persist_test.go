package commands

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/tenant"
)

// fakePersist is a Persistence whose answers the test sets.
type fakePersist struct {
	mu      sync.Mutex
	refuse  string
	syncErr error
	syncs   int
	saves   int
}

type fakeRefusal struct{}

func (fakeRefusal) Error() string   { return "disk on fire" }
func (fakeRefusal) Refusal() string { return "MISCONF Errors writing to the AOF file: Disk on fire" }

func (f *fakePersist) Refusal(string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refuse
}

func (f *fakePersist) Sync(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	return true, f.syncErr
}

func (f *fakePersist) Save() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saves++
	return nil
}
func (f *fakePersist) BGSave(bool) (string, error) {
	return "", errors.New("Background save already in progress")
}
func (f *fakePersist) BGRewrite() (string, error) {
	return "Background append only file rewriting started", nil
}
func (f *fakePersist) LastSave() int64 { return 1234 }
func (f *fakePersist) Info() []InfoField {
	return []InfoField{{"loading", "0"}, {"aof_enabled", "1"}, {"aof_last_write_status", "err"}}
}

func (f *fakePersist) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs, f.saves
}

// TestPersistDurabilityWait: a command run one at a time (HTTP, MCP) waits
// for the log's records after it ran, whether it wrote or not; a record
// that could not be made durable turns the reply into the MISCONF error,
// never a success.
func TestPersistDurabilityWait(t *testing.T) {
	srv := newTestServer()
	fp := &fakePersist{}
	srv.SetPersistence(fp)
	srv.SetWriteHook(&recorder{})
	s, err := srv.NewSession(tenant.SurfaceREST, LocalTransport{Remote: "t", Local: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	call := func(args ...string) string {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		v, err := srv.Call(context.Background(), s, b...)
		if err != nil {
			return "ERROR " + err.Error()
		}
		return v.String()
	}
	if got := call("SET", "k", "v"); got != "+OK" {
		t.Fatal(got)
	}
	if n, _ := fp.counts(); n != 1 {
		t.Fatalf("a write waited %d times", n)
	}
	// A read may show another client's write: it waits for the log too.
	call("GET", "k")
	call("DEL", "missing")
	if n, _ := fp.counts(); n != 3 {
		t.Fatalf("a read and a no-op write waited %d times in all, want 1 each", n-1)
	}
	fp.mu.Lock()
	fp.syncErr = fakeRefusal{}
	fp.mu.Unlock()
	if got := call("SET", "k", "w"); got != "-MISCONF Errors writing to the AOF file: Disk on fire" {
		t.Fatalf("a write whose record failed answered %s", got)
	}
	if got := call("INCR", "n"); got != "-MISCONF Errors writing to the AOF file: Disk on fire" {
		t.Fatalf("INCR whose record failed answered %s", got)
	}
}

// TestPersistDurabilityRESP: over RESP a pipeline waits once, and a
// connection whose writes could not be made durable is closed with no
// reply rather than told OK.
func TestPersistDurabilityRESP(t *testing.T) {
	srv := startServer(t)
	fp := &fakePersist{}
	srv.SetPersistence(fp)
	srv.SetWriteHook(&recorder{})
	c := dial(t, srv)
	var pipe []byte
	for range 50 {
		pipe = append(pipe, "*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\nm\r\n"...)
	}
	if err := c.Send(string(pipe)); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if got := c.Read(); strings.HasPrefix(got, "ERROR") || strings.HasPrefix(got, "-") {
			t.Fatal(got)
		}
	}
	if n, _ := fp.counts(); n < 1 || n > 5 {
		t.Fatalf("a pipeline of 50 writes waited %d times", n)
	}
	fp.mu.Lock()
	fp.syncErr = fakeRefusal{}
	fp.mu.Unlock()
	if got := c.Do("SET", "k", "v"); !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("a write that could not be made durable got %s", got)
	}
}

// TestPersistRefusesWrites: while the log cannot be written, writes get
// Redis's MISCONF error and reads go on; recovery's replay is exempt.
func TestPersistRefusesWrites(t *testing.T) {
	srv := startServer(t)
	fp := &fakePersist{refuse: "MISCONF Errors writing to the AOF file: No space left on device"}
	srv.SetPersistence(fp)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET k v", want: "-MISCONF Errors writing to the AOF file: No space left on device"},
		{cmd: "DEL k", want: "-MISCONF Errors writing to the AOF file: No space left on device"},
		{cmd: "GET k", want: "nil"},
		{cmd: "PING", want: "+PONG"},
	})
	rs := srv.ReplaySession(Keyspace{DB: 1})
	defer rs.Close()
	srv.Exec(context.Background(), rs, [][]byte{[]byte("SET"), []byte("k"), []byte("v")})
	if got := string(rs.W.Buf); got != "+OK\r\n" {
		t.Fatalf("replay refused: %q", got)
	}
	c.Do("SELECT", "1")
	if got := c.Do("GET", "k"); got != `"v"` {
		t.Fatalf("the replayed write is not in database 1: %s", got)
	}
}

// TestPersistCommands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, INFO and
// CONFIG answer from the persistence when there is one, and as a server
// that keeps nothing when there is none.
func TestPersistCommands(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "CONFIG GET appendonly", want: `["appendonly" "no"]`},
		{cmd: "CONFIG GET save", want: `["save" ""]`},
		{cmd: "CONFIG SET appendonly yes", want: "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config"},
		{args: []string{"CONFIG", "SET", "save", "60 1"}, want: "-ERR CONFIG SET failed (possibly related to argument 'save') - can't set immutable config"},
		{cmd: "CONFIG SET dir /tmp", want: "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
		{cmd: "CONFIG SET appendfilename x", want: "-ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config"},
		{cmd: "CONFIG SET appendfsync sometimes", want: "-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: always, everysec, no"},
		{cmd: "BGSAVE NOW", want: "-ERR syntax error"},
	})
	fp := &fakePersist{}
	srv.SetPersistence(fp)
	runSteps(t, c, []step{
		{cmd: "CONFIG GET appendonly", want: `["appendonly" "yes"]`},
		{cmd: "CONFIG GET save", want: `["save" "3600 1 300 100 60 10000"]`},
		{args: []string{"CONFIG", "SET", "save", "900 1"}, want: "+OK"},
		{cmd: "CONFIG GET save", want: `["save" "900 1"]`},
		{cmd: "CONFIG SET save x", want: "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{cmd: "CONFIG SET appendfsync ALWAYS auto-aof-rewrite-percentage 50 auto-aof-rewrite-min-size 1mb", want: "+OK"},
		{cmd: "CONFIG GET appendfsync", want: `["appendfsync" "always"]`},
		{cmd: "CONFIG GET auto-aof-*", want: `["auto-aof-rewrite-percentage" "50" "auto-aof-rewrite-min-size" "1048576"]`},
		{cmd: "CONFIG SET appendonly no", want: "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config"},
		{cmd: "CONFIG SET appendonly yes", want: "+OK"},
		{cmd: "SAVE", want: "+OK"},
		{cmd: "BGSAVE", want: "-ERR Background save already in progress"},
		{cmd: "BGREWRITEAOF", want: "+Background append only file rewriting started"},
		{cmd: "LASTSAVE", want: ":1234"},
	})
	if _, saves := fp.counts(); saves != 1 {
		t.Fatalf("SAVE saved %d times", saves)
	}
	if got := c.Do("INFO", "persistence"); !strings.Contains(got, `aof_enabled:1\r\naof_last_write_status:err`) {
		t.Fatalf("INFO persistence: %q", got)
	}
	if got := c.Do("SHUTDOWN", "NOSAVE"); got != "+OK" && !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("SHUTDOWN NOSAVE: %s", got)
	}
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
	if srv.ShutdownMode() != ShutdownNoSave {
		t.Fatalf("shutdown mode %d", srv.ShutdownMode())
	}
}

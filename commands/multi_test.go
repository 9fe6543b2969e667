package commands

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/resp/resptest"
	"synap/tenant"
)

func init() {
	for k, v := range multiIsolation {
		isolationExamples[k] = v
	}
	isolationThrowaway["multi"] = true // it leaves the connection in MULTI
	permissionModel["multi"] = tenant.NeedNone
	permissionModel["exec"] = tenant.NeedNone
	permissionModel["watch"] = tenant.NeedRead // it reveals whether a key changed
}

// A transaction runs only the caller's own commands on the caller's own
// keys; WATCH registers keys of the caller's namespace (bob changing his k1
// cannot fail alice's EXEC, see TestMultiWatchIsPerNamespace).
var multiIsolation = map[string][][]string{
	"multi":   {{"multi"}},
	"exec":    {{"exec"}},
	"discard": {{"discard"}},
	"watch":   {{"watch", "k1", "k2", "user:bob:k1"}},
	"unwatch": {{"unwatch"}},
}

func TestMultiQueueAndExec(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "EXEC", want: "-ERR EXEC without MULTI"},
		{cmd: "DISCARD", want: "-ERR DISCARD without MULTI"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "MULTI", want: "-ERR MULTI calls can not be nested"},
		{cmd: "WATCH k", want: "-ERR WATCH inside MULTI is not allowed"},
		{cmd: "SET k v", want: "+QUEUED"},
		{cmd: "INCR k", want: "+QUEUED"},
		{cmd: "GET k", want: "+QUEUED"},
		// Neither error above dooms the transaction; a runtime error inside
		// EXEC does not stop the commands after it.
		{cmd: "EXEC", want: `[+OK -ERR value is not an integer or out of range "v"]`},
		{cmd: "EXEC", want: "-ERR EXEC without MULTI"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "EXEC", want: "[]"},
		// Queue-time errors abort the whole transaction.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k other", want: "+QUEUED"},
		{cmd: "GET", want: "-ERR wrong number of arguments for 'get' command"},
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		{cmd: "GET k", want: `"v"`},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "NOSUCH x", want: "-ERR unknown command 'NOSUCH', with args beginning with: 'x' "},
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		// DISCARD drops the queue.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k dropped", want: "+QUEUED"},
		{cmd: "DISCARD", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		// RESET leaves MULTI too.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k reset", want: "+QUEUED"},
		{cmd: "RESET", want: "+RESET"},
		{cmd: "EXEC", want: "-ERR EXEC without MULTI"},
		{cmd: "GET k", want: `"v"`},
		// SELECT inside EXEC moves the commands after it.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SELECT 1", want: "+QUEUED"},
		{cmd: "SET k db1", want: "+QUEUED"},
		{cmd: "SELECT 0", want: "+QUEUED"},
		{cmd: "GET k", want: "+QUEUED"},
		{cmd: "EXEC", want: `[+OK +OK +OK "v"]`},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "GET k", want: `"db1"`},
	})
}

func TestMultiRESP3NullOnWatchFailure(t *testing.T) {
	srv := startServer(t)
	c, other := dial(t, srv), dial(t, srv)
	c.Do("HELLO", "3")
	runSteps(t, c, []step{
		{cmd: "WATCH k", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k mine", want: "+QUEUED"},
	})
	if got := other.Do("SET", "k", "theirs"); got != "+OK" {
		t.Fatal(got)
	}
	runSteps(t, c, []step{
		{cmd: "EXEC", want: "null"},
		{cmd: "GET k", want: `"theirs"`},
	})
}

func TestMultiWatch(t *testing.T) {
	srv := startServer(t)
	c, other := dial(t, srv), dial(t, srv)
	exec := func(t *testing.T, want string) {
		t.Helper()
		runSteps(t, c, []step{
			{cmd: "MULTI", want: "+OK"},
			{cmd: "INCR n", want: "+QUEUED"},
			{cmd: "EXEC", want: want},
		})
	}
	for _, tc := range []struct {
		name   string
		before []string // run by c before WATCH
		change []string // run by other after WATCH; nil: nothing
		want   string
	}{
		{"untouched", []string{"SET w 1"}, nil, "[:1]"},
		{"changed", []string{"SET w 1"}, []string{"SET w 2"}, "nil-array"},
		{"same value written", []string{"SET w 1"}, []string{"SET w 1"}, "nil-array"},
		{"created", nil, []string{"SET w 1"}, "nil-array"},
		{"deleted", []string{"SET w 1"}, []string{"DEL w"}, "nil-array"},
		{"expire set", []string{"SET w 1"}, []string{"EXPIRE w 100"}, "nil-array"},
		{"persisted", []string{"SET w 1 EX 100"}, []string{"PERSIST w"}, "nil-array"},
		{"renamed away", []string{"SET w 1"}, []string{"RENAME w w2"}, "nil-array"},
		{"renamed onto", []string{"SET w2 1"}, []string{"RENAME w2 w"}, "nil-array"},
		{"appended", []string{"SET w 1"}, []string{"APPEND w x"}, "nil-array"},
		{"incremented in place", []string{"SET w 1"}, []string{"INCR w"}, "nil-array"},
		{"flushed", []string{"SET w 1"}, []string{"FLUSHDB"}, "nil-array"},
		{"flushall", []string{"SET w 1"}, []string{"FLUSHALL"}, "nil-array"},
		// Commands that change nothing leave the watch intact, as in Redis.
		{"failed SET NX", []string{"SET w 1"}, []string{"SET w 2 NX"}, "[:1]"},
		{"read", []string{"SET w 1"}, []string{"GET w"}, "[:1]"},
		{"missing key deleted", nil, []string{"DEL w"}, "[:1]"},
		{"flush without the key", []string{"SET other 1"}, []string{"FLUSHDB"}, "[:1]"},
		{"other database", []string{"SET w 1"}, []string{"SELECT 1", "SET w 2", "SELECT 0"}, "[:1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.Do("FLUSHALL")
			for _, b := range tc.before {
				c.Do(strings.Fields(b)...)
			}
			if got := c.Do("WATCH", "w"); got != "+OK" {
				t.Fatal(got)
			}
			for _, ch := range tc.change {
				if got := other.Do(strings.Fields(ch)...); strings.HasPrefix(got, "-") {
					t.Fatalf("%q: %s", ch, got)
				}
			}
			exec(t, tc.want)
		})
	}
	// The client's own change fails its EXEC too; UNWATCH forgets.
	c.Do("FLUSHALL")
	runSteps(t, c, []step{
		{cmd: "WATCH w", want: "+OK"},
		{cmd: "SET w mine", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "INCR n", want: "+QUEUED"},
		{cmd: "EXEC", want: "nil-array"},
		{cmd: "WATCH w", want: "+OK"},
		{cmd: "UNWATCH", want: "+OK"},
	})
	other.Do("SET", "w", "x")
	exec(t, "[:1]")
	// EXEC ends the watch: a change after it does not fail the next EXEC.
	runSteps(t, c, []step{{cmd: "WATCH w", want: "+OK"}})
	exec(t, "[:2]")
	other.Do("SET", "w", "y")
	exec(t, "[:3]")
	// DISCARD ends it as well.
	runSteps(t, c, []step{{cmd: "WATCH w", want: "+OK"}, {cmd: "MULTI", want: "+OK"}, {cmd: "DISCARD", want: "+OK"}})
	other.Do("SET", "w", "z")
	exec(t, "[:4]")
}

// A watched key whose TTL passes fails EXEC, whether or not anything has
// reclaimed it yet; a key already expired when watched does not.
func TestMultiWatchExpiry(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET w 1 PX 30", want: "+OK"},
		{cmd: "WATCH w", want: "+OK"},
	})
	time.Sleep(60 * time.Millisecond)
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "PING", want: "+QUEUED"},
		{cmd: "EXEC", want: "nil-array"},
	})
	srv.Eng.ReclaimExpired()
	runSteps(t, c, []step{
		{cmd: "SET w 1 PX 30", want: "+OK"},
		{cmd: "WATCH w", want: "+OK"},
	})
	time.Sleep(60 * time.Millisecond)
	srv.Eng.ReclaimExpired()
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "PING", want: "+QUEUED"},
		{cmd: "EXEC", want: "nil-array"},
	})
}

// No client ever sees half of an EXEC: a reader of two counters that every
// transaction increments together always finds them equal.
func TestMultiIsAtomic(t *testing.T) {
	srv := startServer(t)
	w, r := dial(t, srv), dial(t, srv)
	keys := []string{"a", "b", "c", "d"} // several shards
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 500; i++ {
			w.Do("MULTI")
			for _, k := range keys {
				w.Do("INCR", k)
			}
			if got := w.Do("EXEC"); !strings.HasPrefix(got, "[:") {
				t.Errorf("EXEC: %s", got)
				return
			}
		}
		close(stop)
	}()
	reads := 0
	for done := false; !done; reads++ {
		select {
		case <-stop:
			done = true
		default:
		}
		got := r.Do("MGET", "a", "b", "c", "d")
		f := strings.Fields(strings.Trim(got, "[]"))
		for _, v := range f[1:] {
			if v != f[0] {
				t.Fatalf("read %d saw a half-applied EXEC: %s", reads, got)
			}
		}
	}
	wg.Wait()
	if got := r.Do("MGET", "a", "d"); got != `["500" "500"]` {
		t.Fatalf("after 500 transactions: %s", got)
	}
}

func TestMultiClientList(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("MULTI")
	c.Do("SET", "k", "v")
	c.Do("SET", "k", "w")
	list := dial(t, srv).Do("CLIENT", "LIST")
	id := strings.TrimPrefix(c.Do("CLIENT", "ID"), "") // queued: not a reply we can use
	if id != "+QUEUED" {
		t.Fatalf("CLIENT ID inside MULTI: %s", id)
	}
	if !strings.Contains(list, "flags=x ") || !strings.Contains(list, "multi=2 ") {
		t.Fatalf("CLIENT LIST of a client in MULTI with 2 queued: %s", list)
	}
	c.Do("DISCARD")
	list = dial(t, srv).Do("CLIENT", "LIST")
	if strings.Contains(list, "flags=x") || strings.Contains(list, "multi=2") {
		t.Fatalf("after DISCARD: %s", list)
	}
}

// Redis's WATCH cost is per watched key; many watchers and keys must all
// be released when their clients go away.
func TestMultiWatchReleasedOnDisconnect(t *testing.T) {
	srv := startServer(t)
	for i := 0; i < 20; i++ {
		c := dial(t, srv)
		c.Do("WATCH", "k"+strconv.Itoa(i), "shared")
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := srv.waits.records()
		if n == 0 && srv.Eng.Interest() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d watched keys left after every watcher hung up", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// In cluster mode a tenant's WATCH is on its own key: another tenant writing
// a key of the same name fails nothing, and a command the key may not run
// is refused while queueing, which dooms the transaction.
func TestMultiWatchIsPerNamespace(t *testing.T) {
	f := startCluster(t)
	alice, bob := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	runSteps(t, alice, []step{
		{cmd: "SET k1 a", want: "+OK"},
		{cmd: "WATCH k1", want: "+OK"},
	})
	if got := bob.Do("SET", "k1", "b"); got != "+OK" {
		t.Fatal(got)
	}
	runSteps(t, alice, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GET k1", want: "+QUEUED"},
		{cmd: "EXEC", want: `["a"]`},
	})
	ro := f.as(t, "alice-ro")
	runSteps(t, ro, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GET k1", want: "+QUEUED"},
		{cmd: "SET k1 x", want: "-NOPERM User alice-ro has no permissions to run the 'set' command"},
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		{cmd: "GET k1", want: `"a"`},
	})
}

// One transaction's queue is bounded by client-query-buffer-limit: the
// command that would pass it is refused and dooms the transaction.
func TestMultiQueueBounded(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.ClientQueryBufferLimit = 1 << 20 })
	c := dial(t, srv)
	big := strings.Repeat("x", 300<<10)
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{args: []string{"SET", "a", big}, want: "+QUEUED"},
		{args: []string{"SET", "b", big}, want: "+QUEUED"},
		{args: []string{"SET", "c", big}, want: "+QUEUED"},
		{args: []string{"SET", "d", big}, want: "-ERR MULTI queue exceeds client-query-buffer-limit"},
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		{cmd: "DBSIZE", want: ":0"},
	})
}

// TestEveryRowRunsInsideExec queues each row's examples behind commands
// that make EXEC hold shards exclusively (FLUSHALL: every shard, in
// standalone mode; an MSET over all 16 shards, as a tenant, who cannot
// walk the keyspace): a command that takes a shard lock of its own
// instead of running under the caller's transaction deadlocks there, and
// with it every client of that shard for good (MEMORY PURGE did, found by
// FuzzCommands as a rare timeout). $ID and $ADDR name the connection
// itself and then another one, blocked in BLPOP, so CLIENT KILL, UNBLOCK
// and TRACKING REDIRECT act on both inside EXEC. Every shard must still
// serve afterwards.
func TestEveryRowRunsInsideExec(t *testing.T) {
	spread := []string{"mset"}
	for i := range 64 {
		spread = append(spread, "k"+strconv.Itoa(i), "v")
	}
	t.Run("standalone", func(t *testing.T) {
		srv := newTestServer()
		execRows(t, srv, "", [][]string{{"flushall"}, spread})
	})
	t.Run("tenant", func(t *testing.T) {
		execRows(t, unclosedCluster(t).srv, clusterSecret("alice-admin"), [][]string{spread})
	})
}

// execRows serves srv and runs TestEveryRowRunsInsideExec's transactions
// on it as the key secret ("": no AUTH). srv is not closed when one
// hangs: Close would wait for it for ever, and the failure would never be
// reported.
func execRows(t *testing.T, srv *Server, secret string, hold [][]string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ServeRESP(srv, ln)
	conn := func() (*resptest.Client, string, string) {
		c, err := resptest.Dial(srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if secret != "" {
			if got := c.Do("auth", secret); got != "+OK" {
				t.Fatalf("AUTH: %s", got)
			}
		}
		id := strings.TrimPrefix(c.Do("client", "id"), ":")
		_, rest, _ := strings.Cut(c.Do("client", "info"), "addr=")
		addr, _, _ := strings.Cut(rest, " ")
		return c, id, addr
	}
	skip := map[string]bool{"shutdown": true, "quit": true}
	for _, r := range isolationRows(NewTable().All()) {
		if r.Run == nil || skip[r.Name] {
			continue
		}
		for _, ex := range isolationExamples[r.Name] {
			named := slices.Contains(ex, "$ID") || slices.Contains(ex, "$ADDR")
			for _, other := range []bool{false, true} {
				if other && !named {
					continue
				}
				c, id, addr := conn()
				if other {
					o, oid, oaddr := conn()
					defer o.Close()
					_ = o.Send(string(resptest.Encode("blpop", "nothing", "0")))
					id, addr = oid, oaddr
				}
				c.Do("multi")
				for _, h := range hold {
					c.Do(h...)
				}
				c.Do(isolationExpand(ex, secret, id, addr)...)
				if reply := c.Do("exec"); strings.HasPrefix(reply, "ERROR:") || strings.Contains(reply, "internal error") {
					t.Errorf("EXEC of %q then %q (other connection: %v): %s", hold, ex, other, reply)
					return
				}
				_ = c.Close()
			}
		}
	}
	c, _, _ := conn()
	defer c.Close()
	for i := range 256 { // keys of every one of the 16 shards
		if got := c.Do("set", "probe"+strconv.Itoa(i), "1"); got != "+OK" {
			t.Errorf("SET after the transactions: %s", got)
			return
		}
	}
	_ = srv.Close()
}

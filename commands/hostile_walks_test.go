package commands

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"synap/resp/resptest"
)

// walkProbe is a walk hook that, while a walk has let go of its locks,
// makes another tenant's connection write into every shard and requires
// each write to be answered; while the walk holds point locks (SORT's
// source and lookups), it makes the other tenant read in the same shard.
// Under the old lock mode (every shard, exclusively for SORT) those calls
// would wait for the whole command: Do's 5 s read timeout is the failure
// signal, not a speed assertion.
type walkProbe struct {
	mu                sync.Mutex
	other             *resptest.Client
	keys              []string // one per shard, in the other tenant
	released, holding int
	failures          []string
	readKey           string // read by the other tenant while locks are held
}

func (p *walkProbe) hook(holding bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if holding {
		p.holding++
		if p.readKey != "" && p.holding <= 3 {
			if got := p.other.Do("GET", p.readKey); strings.HasPrefix(got, "ERROR") {
				p.failures = append(p.failures, "GET while the walk holds locks: "+got)
			}
		}
		return
	}
	p.released++
	if p.released > 3 {
		return // a few rounds prove it; every round would only be slow
	}
	for _, k := range p.keys {
		if got := p.other.Do("SET", k, strconv.Itoa(p.released)); got != "+OK" {
			p.failures = append(p.failures, "SET "+k+" between shards: "+got)
		}
	}
}

// keysPerShard returns one key name per shard of srv.
func keysPerShard(srv *Server, prefix string) []string {
	seen := map[int]bool{}
	var out []string
	for i := 0; len(out) < srv.Eng.Shards(); i++ {
		k := prefix + strconv.Itoa(i)
		if s := srv.Eng.ShardOf([]byte(k)); !seen[s] {
			seen[s] = true
			out = append(out, k)
		}
	}
	return out
}

// pipe sends commands without waiting and then reads every reply.
func pipe(t *testing.T, c *resptest.Client, cmds [][]string) {
	t.Helper()
	var raw []byte
	for _, a := range cmds {
		raw = append(raw, resptest.Encode(a...)...)
	}
	if err := c.Send(string(raw)); err != nil {
		t.Fatal(err)
	}
	for range cmds {
		if got := c.Read(); strings.HasPrefix(got, "-") || strings.HasPrefix(got, "ERROR") {
			t.Fatalf("setup: %s", got)
		}
	}
}

func TestHostileWalksHoldOneShardAtATime(t *testing.T) {
	const n = 2000
	cases := []struct {
		name  string
		args  []string
		want  func(string) bool
		after []step // alice's view afterwards
		// readSrc: while SORT holds its source, bob reads the key of the
		// same name (same shard): only a shared lock lets it through.
		readSrc bool
	}{
		{name: "KEYS *", args: []string{"KEYS", "*"}, want: arrayOf(n + 300 + 1)},
		{name: "KEYS hostile glob", args: []string{"KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*b"}, want: arrayOf(0)},
		{name: "KEYS k1*", args: []string{"KEYS", "k1*"}, want: arrayOf(1111)},
		{name: "SCAN", args: []string{"SCAN", "0", "COUNT", "100000"}, want: func(s string) bool { return strings.HasPrefix(s, `["0" [`) }},
		{name: "SCAN MATCH", args: []string{"SCAN", "0", "MATCH", "k19*", "COUNT", "100000"}, want: func(s string) bool { return strings.Count(s, `"k19`) == 111 }},
		{name: "RANDOMKEY", args: []string{"RANDOMKEY"}, want: func(s string) bool { return strings.HasPrefix(s, `"`) }},
		{name: "SORT_RO BY GET", args: []string{"SORT_RO", "src", "BY", "w_*", "GET", "k*", "LIMIT", "0", "2"}, want: func(s string) bool { return s == `["k-299" "k-298"]` }, readSrc: true},
		{name: "SORT BY GET", args: []string{"SORT", "src", "BY", "w_*", "GET", "#", "LIMIT", "0", "2"}, want: func(s string) bool { return s == `["299" "298"]` }, readSrc: true},
		{name: "SORT plain", args: []string{"SORT", "src", "LIMIT", "0", "2"}, want: func(s string) bool { return s == `["0" "1"]` }, readSrc: true},
		{name: "SORT STORE", args: []string{"SORT", "src", "BY", "w_*", "GET", "k*", "STORE", "dst"}, want: func(s string) bool { return s == ":300" },
			after: []step{{cmd: "LRANGE dst 0 1", want: `["k-299" "k-298"]`}}},
		{name: "SORT STORE plain", args: []string{"SORT", "src", "STORE", "dst"}, want: func(s string) bool { return s == ":300" },
			after: []step{{cmd: "LRANGE dst 0 1", want: `["0" "1"]`}}},
		{name: "FLUSHDB", args: []string{"FLUSHDB"}, want: func(s string) bool { return s == "+OK" },
			after: []step{{cmd: "DBSIZE", want: ":0"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startCluster(t)
			alice, bob := f.as(t, "alice-admin"), f.as(t, "bob-rw")
			var fill [][]string
			for i := 0; i < n; i++ {
				fill = append(fill, []string{"SET", "k" + strconv.Itoa(i), "k-" + strconv.Itoa(i%300)})
			}
			for i := 0; i < 300; i++ {
				// w_i orders the elements from 299 down to 0.
				fill = append(fill, []string{"SET", "w_" + strconv.Itoa(i), strconv.Itoa(1000 - i)})
			}
			src := []string{"RPUSH", "src"}
			for i := 0; i < 300; i++ {
				src = append(src, strconv.Itoa(i))
			}
			fill = append(fill, src)
			for i := 0; i < n+300; i += 500 {
				pipe(t, alice, fill[i:min(i+500, len(fill))])
			}
			probe := &walkProbe{other: bob, keys: keysPerShard(f.srv, "bobkey")}
			if tc.readSrc {
				probe.readKey = "src"
				bob.Do("SET", "src", "bob's")
			}
			f.srv.Eng.SetWalkHook(probe.hook)
			got := alice.Do(tc.args...)
			f.srv.Eng.SetWalkHook(nil)
			if !tc.want(got) {
				t.Errorf("%q: got %.300s", tc.args, got)
			}
			probe.mu.Lock()
			defer probe.mu.Unlock()
			for _, msg := range probe.failures {
				t.Error(msg)
			}
			if probe.released == 0 {
				t.Errorf("%q never let go of its locks while running", tc.args)
			}
			if tc.readSrc && probe.holding == 0 {
				t.Errorf("%q took no point locks", tc.args)
			}
			runSteps(t, alice, tc.after)
			// The other tenant's writes landed, in its own namespace only.
			for _, k := range probe.keys {
				if got := bob.Do("GET", k); got != `"1"` && got != `"2"` && got != `"3"` {
					t.Errorf("bob's %s: %s", k, got)
				}
				if got := alice.Do("EXISTS", k); got != ":0" {
					t.Errorf("bob's %s seen by alice: %s", k, got)
				}
			}
		})
	}
}

func arrayOf(n int) func(string) bool {
	return func(s string) bool {
		if n == 0 {
			return s == "[]"
		}
		return strings.HasPrefix(s, "[") && strings.Count(s, `" "`) == n-1
	}
}

// FLUSHDB under a walk removes everything that existed when it started,
// in every shard and across batches, and nothing of another tenant.
func TestHostileFlushDuringWrites(t *testing.T) {
	f := startCluster(t)
	alice, bob := f.as(t, "alice-admin"), f.as(t, "bob-rw")
	var fill [][]string
	for i := 0; i < 3000; i++ {
		fill = append(fill, []string{"SET", "k" + strconv.Itoa(i), "v"})
	}
	pipe(t, alice, fill)
	pipe(t, bob, fill[:100])
	writer := f.as(t, "alice-rw")
	round := 0
	f.srv.Eng.SetWalkHook(func(holding bool) {
		if holding || round >= 50 {
			return
		}
		round++
		// Written by alice herself mid-flush: may or may not survive.
		writer.Do("SET", fmt.Sprintf("during%d", round), "x")
	})
	if got := alice.Do("FLUSHDB"); got != "+OK" {
		t.Fatal(got)
	}
	f.srv.Eng.SetWalkHook(nil)
	for i := 0; i < 3000; i += 7 {
		if got := alice.Do("EXISTS", "k"+strconv.Itoa(i)); got != ":0" {
			t.Fatalf("k%d survived FLUSHDB: %s", i, got)
		}
	}
	keys := alice.Do("KEYS", "*")
	if strings.Contains(keys, `"k`) {
		t.Fatalf("keys from before FLUSHDB: %s", keys)
	}
	if got := bob.Do("DBSIZE"); got != ":100" {
		t.Fatalf("bob's keys after alice's FLUSHDB: %s", got)
	}
}

// A SCAN under a walk still visits every key that exists for the whole
// scan exactly once, across batch boundaries and with writes in between.
func TestHostileScanAcrossBatches(t *testing.T) {
	srv := startServer(t)
	c, w := dial(t, srv), dial(t, srv)
	var fill [][]string
	for i := 0; i < 5000; i++ {
		fill = append(fill, []string{"SET", "k" + strconv.Itoa(i), "v"})
	}
	pipe(t, c, fill)
	round := 0
	srv.Eng.SetWalkHook(func(bool) {
		round++
		w.Do("SET", "new"+strconv.Itoa(round), "v")
		w.Do("DEL", "gone"+strconv.Itoa(round))
	})
	defer srv.Eng.SetWalkHook(nil)
	seen := map[string]int{}
	cursor := "0"
	for {
		reply := c.Do("SCAN", cursor, "MATCH", "k*", "COUNT", "700")
		var rest string
		if _, err := fmt.Sscanf(reply, "[%q", &cursor); err != nil {
			t.Fatalf("SCAN reply %.200s: %v", reply, err)
		}
		rest = reply[strings.Index(reply, " [")+2:]
		for _, f := range strings.Fields(strings.TrimSuffix(rest, "]]")) {
			k, err := strconv.Unquote(f)
			if err != nil {
				t.Fatalf("%q: %v", f, err)
			}
			seen[k]++
		}
		if cursor == "0" {
			break
		}
	}
	if len(seen) != 5000 {
		t.Fatalf("SCAN saw %d distinct keys of 5000", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", k, n)
		}
	}
}

// keysInShards returns two keys of srv in different shards.
func keysInShards(srv *Server) (a, b string) {
	a = "ka"
	for i := 0; ; i++ {
		b = "kb" + strconv.Itoa(i)
		if srv.Eng.ShardOf([]byte(b)) != srv.Eng.ShardOf([]byte(a)) {
			return a, b
		}
	}
}

// While a key is watched and another has a blocked client, a write in
// another shard touches none of their wait state: with the wait state of
// the watched key's shard held busy, the write still completes. Before, one
// server-wide mutex guarded every key's wait state and every write took it
// as soon as anything anywhere was watched.
func TestHostileWaitStateIsPerShard(t *testing.T) {
	srv := startServer(t)
	ka, kb := keysInShards(srv)
	watcher, blocker, writer := dial(t, srv), dial(t, srv), dial(t, srv)
	runSteps(t, watcher, []step{{args: []string{"WATCH", ka}, want: "+OK"}})
	if err := blocker.Send(string(resptest.Encode("BLPOP", ka+"list", "0"))); err != nil {
		t.Fatal(err)
	}
	for srv.Eng.Interest() < 2 {
		runSteps(t, writer, []step{{cmd: "PING", want: "+PONG"}}) // until BLPOP is parked
	}
	// The blocked list may be in a third shard: hold its part too.
	held := []int{srv.Eng.ShardOf([]byte(ka)), srv.Eng.ShardOf([]byte(ka + "list"))}
	for _, j := range held {
		if j == srv.Eng.ShardOf([]byte(kb)) {
			t.Skip("keys share a shard")
		}
	}
	srv.waits.parts[held[0]].mu.Lock()
	if held[1] != held[0] {
		srv.waits.parts[held[1]].mu.Lock()
	}
	got := writer.Do("SET", kb, "v") // 5 s read timeout: the failure signal
	if held[1] != held[0] {
		srv.waits.parts[held[1]].mu.Unlock()
	}
	srv.waits.parts[held[0]].mu.Unlock()
	if got != "+OK" {
		t.Fatalf("SET in another shard while the watched key's wait state was busy: %s", got)
	}
	// The waits still work.
	runSteps(t, writer, []step{
		{args: []string{"SET", ka, "changed"}, want: "+OK"},
		{args: []string{"RPUSH", ka + "list", "x"}, want: ":1"},
	})
	if got := blocker.Read(); got != `["`+ka+`list" "x"]` {
		t.Fatalf("BLPOP: %s", got)
	}
	runSteps(t, watcher, []step{{cmd: "MULTI", want: "+OK"}, {cmd: "PING", want: "+QUEUED"}, {cmd: "EXEC", want: "nil-array"}})
}

// A command adds nothing to the server-wide counters until its batch of
// input is answered, and then all of it: INFO is exact from every client's
// view, its own pipeline included.
func TestHostileStatsBatchedPerConnection(t *testing.T) {
	srv := newTestServer()
	a, z := net.Pipe()
	defer a.Close()
	defer z.Close()
	c := srv.newClient(a)
	for range 3 {
		srv.Exec(nil, c, [][]byte{[]byte("SET"), []byte("k"), []byte("v")})
	}
	srv.Exec(nil, c, [][]byte{[]byte("GET"), []byte("k")})
	set := srv.Table.Lookup([]byte("set"))
	if n := srv.Stats.Commands.Load(); n != 0 {
		t.Fatalf("total commands before the batch ended: %d, want 0 (no shared write per command)", n)
	}
	c.flushTenant() // what the connection does before sending the batch's replies
	if n, calls, hits := srv.Stats.Commands.Load(), set.stats.calls.Load(), srv.Stats.KeyspaceHits.Load(); n != 4 || calls != 3 || hits != 1 {
		t.Fatalf("after the batch: commands %d calls %d hits %d, want 4 3 1", n, calls, hits)
	}

	srv2 := startServer(t)
	p, q := dial(t, srv2), dial(t, srv2)
	var raw []byte
	for _, cmd := range [][]string{{"SET", "x", "1"}, {"GET", "x"}, {"GET", "nokey"}, {"INCR", "x", "y"}, {"INFO", "stats"}} { // INCR x y: arity, rejected, not processed {
		raw = append(raw, resptest.Encode(cmd...)...)
	}
	if err := p.Send(string(raw)); err != nil {
		t.Fatal(err)
	}
	var info string
	for range 5 {
		info = p.Read()
	}
	for _, want := range []string{"total_commands_processed:3", "keyspace_hits:1", "keyspace_misses:1"} {
		if !strings.Contains(info, want+`\r\n`) {
			t.Errorf("INFO in the same pipeline lacks %s: %s", want, info)
		}
	}
	// The other connection sees everything p was answered for.
	info = q.Do("INFO", "commandstats")
	for _, want := range []string{"cmdstat_set:calls=1,", "cmdstat_get:calls=2,", "cmdstat_info:calls=1,", "cmdstat_incr:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO commandstats from another connection lacks %s: %s", want, info)
		}
	}
}

// The old matcher's step budget made KEYS *x miss a 2 MB key ending in x,
// which redis-server finds; a hostile pattern is answered correctly too.
func TestHostileGlobLongKey(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	long := strings.Repeat("a", 2<<20) + "x"
	runSteps(t, c, []step{
		{args: []string{"SET", long, "v"}, want: "+OK"},
		{args: []string{"SET", "short", "v"}, want: "+OK"},
		{args: []string{"KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*b"}, want: "[]"},
	})
	for _, cmd := range [][]string{{"KEYS", "*x"}, {"KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*x"}, {"SCAN", "0", "MATCH", "*x", "COUNT", "100"}} {
		got := c.Do(cmd...)
		if !strings.Contains(got, `"`+long+`"`) || strings.Contains(got, `"short"`) {
			t.Errorf("%q: got %.60s... (%d bytes), want the 2 MB key alone", cmd, got, len(got))
		}
	}
}

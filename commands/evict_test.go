package commands

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/resp/resptest"
)

// infoField reads one field of INFO section from c ("" when absent).
func infoField(t *testing.T, c *resptest.Client, section, name string) string {
	t.Helper()
	raw := c.Do("INFO", section)
	text, err := strconv.Unquote(raw)
	if err != nil {
		t.Fatalf("INFO %s: %s", section, raw)
	}
	for _, l := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

func infoInt(t *testing.T, c *resptest.Client, section, name string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(infoField(t, c, section, name), 10, 64)
	if err != nil {
		t.Fatalf("INFO %s %s: %v", section, name, err)
	}
	return v
}

func mustDo(t *testing.T, c *resptest.Client, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); got != want {
		t.Fatalf("%q: got %s, want %s", args, got, want)
	}
}

// TestEvictDifferential runs the policy settings, OBJECT IDLETIME and
// OBJECT FREQ on redis-server and on Synap and compares every reply.
func TestEvictDifferential(t *testing.T) {
	payload := sealed([]byte{0, 1, 'v'})
	cases := [][]string{
		{"CONFIG", "GET", "maxmemory-policy"},
		{"CONFIG", "GET", "maxmemory-samples"},
		{"CONFIG", "GET", "lfu-log-factor"},
		{"CONFIG", "GET", "lfu-decay-time"},
		{"SET", "l", "v"},
		{"OBJECT", "IDLETIME", "l"},
		{"OBJECT", "FREQ", "l"},
		{"OBJECT", "IDLETIME", "nokey"},
		{"OBJECT", "FREQ", "nokey"},
		{"CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LFU"},
		{"CONFIG", "GET", "maxmemory-policy"},
		{"SET", "f", "v"},
		{"OBJECT", "FREQ", "f"},
		{"GET", "f"},
		{"OBJECT", "FREQ", "f"},
		{"OBJECT", "IDLETIME", "f"},
		{"OBJECT", "FREQ", "nokey"},
		{"RESTORE", "r", "0", payload, "FREQ", "100"},
		{"OBJECT", "FREQ", "r"},
		{"RESTORE", "r2", "0", payload, "FREQ", "256"},
		{"CONFIG", "SET", "maxmemory-policy", "volatile-ttl"},
		{"OBJECT", "FREQ", "f"},
		{"SET", "i", "v"},
		{"OBJECT", "IDLETIME", "i"},
		{"CONFIG", "SET", "maxmemory-policy", "lru"},
		{"CONFIG", "SET", "maxmemory-samples", "0"},
		{"CONFIG", "SET", "maxmemory-samples", "10"},
		{"CONFIG", "GET", "maxmemory-samples"},
		{"CONFIG", "SET", "lfu-log-factor", "-1"},
		{"CONFIG", "SET", "lfu-decay-time", "x"},
		{"CONFIG", "SET", "lfu-decay-time", "0"},
		{"CONFIG", "GET", "lfu-decay-time"},
		{"CONFIG", "SET", "maxmemory-policy", "noeviction"},
	}
	rc := resptest.StartRedis(t)
	sc := dial(t, startServer(t))
	for _, c := range cases {
		want, got := rc.Do(c...), sc.Do(c...)
		if got != want {
			t.Errorf("%.60q: Synap %s, Redis %s", c, got, want)
		}
	}
}

// fill writes n keys prefix:i of a 100-byte value.
func fill(t *testing.T, c *resptest.Client, prefix string, n int) {
	t.Helper()
	v := strings.Repeat("v", 100)
	for i := range n {
		mustDo(t, c, "+OK", "SET", fmt.Sprintf("%s:%d", prefix, i), v)
	}
}

// present counts which of prefix:0..n-1 still exist.
func present(t *testing.T, c *resptest.Client, prefix string, n int) int {
	t.Helper()
	args := []string{"EXISTS"}
	for i := range n {
		args = append(args, fmt.Sprintf("%s:%d", prefix, i))
	}
	got, err := strconv.Atoi(strings.TrimPrefix(c.Do(args...), ":"))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// setMaxMemory sets maxmemory to the dataset now plus room bytes.
func setMaxMemory(t *testing.T, srv *Server, c *resptest.Client, room int64) int64 {
	t.Helper()
	limit := srv.datasetBytes() + room
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(limit, 10))
	return limit
}

// The policies, each told which keys it must take first: a set of keys
// it should keep (touched, hot, persistent, far deadlines) and a set it
// should evict (untouched, cold, volatile, near deadlines). Approximated
// as Redis does, so at least 90% of the evicted keys must come from the
// second set; new keys written to force eviction count for neither.
func TestEvictPolicies(t *testing.T) {
	const n, writes = 500, 200
	cases := []struct {
		policy string
		setup  func(t *testing.T, srv *Server, c *resptest.Client)
		// keep is never to be taken at all (volatile policies and keys
		// without TTL), not just mostly.
		strict bool
	}{
		{policy: "allkeys-lru", setup: func(t *testing.T, srv *Server, c *resptest.Client) {
			fill(t, c, "evict", n)
			fill(t, c, "keep", n)
			srv.Eng.SkewClock(100)
			for i := range n {
				c.Do("GET", fmt.Sprintf("keep:%d", i))
			}
		}},
		{policy: "volatile-lru", strict: true, setup: func(t *testing.T, srv *Server, c *resptest.Client) {
			fill(t, c, "keep", n)
			fill(t, c, "evict", n)
			for i := range n {
				c.Do("EXPIRE", fmt.Sprintf("evict:%d", i), "100000")
			}
		}},
		{policy: "allkeys-lfu", setup: func(t *testing.T, srv *Server, c *resptest.Client) {
			fill(t, c, "evict", n)
			fill(t, c, "keep", n)
			for i := range n {
				for range 3 {
					c.Do("GET", fmt.Sprintf("keep:%d", i))
				}
			}
		}},
		{policy: "volatile-lfu", strict: true, setup: func(t *testing.T, srv *Server, c *resptest.Client) {
			fill(t, c, "keep", n)
			fill(t, c, "evict", n)
			for i := range n {
				c.Do("EXPIRE", fmt.Sprintf("evict:%d", i), "100000")
			}
		}},
		{policy: "volatile-ttl", setup: func(t *testing.T, srv *Server, c *resptest.Client) {
			fill(t, c, "evict", n)
			fill(t, c, "keep", n)
			for i := range n {
				c.Do("EXPIRE", fmt.Sprintf("evict:%d", i), strconv.Itoa(1000+i))
				c.Do("EXPIRE", fmt.Sprintf("keep:%d", i), strconv.Itoa(100000+i))
			}
		}},
		{policy: "volatile-random", strict: true, setup: func(t *testing.T, srv *Server, c *resptest.Client) {
			fill(t, c, "keep", n)
			fill(t, c, "evict", n)
			for i := range n {
				c.Do("EXPIRE", fmt.Sprintf("evict:%d", i), "100000")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.policy, func(t *testing.T) {
			srv := startServer(t)
			c := dial(t, srv)
			mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", tc.policy)
			tc.setup(t, srv, c)
			limit := setMaxMemory(t, srv, c, 0)
			before := present(t, c, "keep", n) + present(t, c, "evict", n)
			v := strings.Repeat("v", 100)
			for i := range writes {
				mustDo(t, c, "+OK", "SET", fmt.Sprintf("new:%d", i), v)
			}
			if used := srv.datasetBytes(); used > limit+engine.KeyCharge+200 {
				t.Errorf("dataset %d after the writes, maxmemory %d", used, limit)
			}
			keep, evict := present(t, c, "keep", n), present(t, c, "evict", n)
			lost := before - keep - evict
			if lost < writes/2 {
				t.Fatalf("only %d keys evicted for %d writes", lost, writes)
			}
			if wrong := n - keep; (tc.strict && wrong > 0) || wrong*10 > lost {
				t.Errorf("%s evicted %d keys it should keep of %d evicted", tc.policy, wrong, lost)
			}
			if got := infoInt(t, c, "stats", "evicted_keys"); got != int64(lost+writes-present(t, c, "new", writes)) {
				t.Errorf("evicted_keys %d, want %d", got, lost+writes-present(t, c, "new", writes))
			}
			if got := infoField(t, c, "memory", "maxmemory_policy"); got != tc.policy {
				t.Errorf("maxmemory_policy %q", got)
			}
		})
	}
}

// allkeys-random evicts, and any key may go.
func TestEvictRandom(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	fill(t, c, "a", 300)
	limit := setMaxMemory(t, srv, c, 0)
	fill(t, c, "b", 100)
	if used := srv.datasetBytes(); used > limit+400 {
		t.Fatalf("dataset %d, maxmemory %d", used, limit)
	}
	if got := infoInt(t, c, "stats", "evicted_keys"); got < 90 {
		t.Fatalf("evicted_keys %d", got)
	}
}

// Volatile policies take only keys with a TTL; when none remains the
// write is refused as under noeviction.
func TestEvictVolatileRefusesWhenNoneLeft(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "volatile-lru")
	fill(t, c, "p", 50)
	fill(t, c, "t", 5)
	for i := range 5 {
		c.Do("EXPIRE", fmt.Sprintf("t:%d", i), "1000")
	}
	setMaxMemory(t, srv, c, 0)
	mustDo(t, c, "+OK", "SET", "x", "1") // evicts one volatile key
	for i := 0; i < 10; i++ {
		c.Do("SET", fmt.Sprintf("x%d", i), "1")
	}
	mustDo(t, c, "-"+errOOM, "SET", "y", "1")
	if got := present(t, c, "p", 50); got != 50 {
		t.Fatalf("%d of 50 keys without TTL left", got)
	}
	if got := present(t, c, "t", 5); got != 0 {
		t.Fatalf("%d volatile keys left", got)
	}
	mustDo(t, c, "\"1\"", "GET", "x") // reads still work
}

// maxmemory set below what is stored: an evicting policy evicts down on
// the next write, noeviction refuses writes, and the policy can change
// live between the two.
func TestEvictBelowCurrentUseAndLiveChange(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	fill(t, c, "k", 200)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "1")
	mustDo(t, c, "-"+errOOM, "SET", "a", "b") // noeviction: the heap is over
	mustDo(t, c, ":200", "DBSIZE")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "3000")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	mustDo(t, c, "+OK", "SET", "a", "b")
	if used := srv.datasetBytes(); used > 3000+engine.KeyCharge+8 {
		t.Fatalf("dataset %d over maxmemory 3000 plus the write", used)
	}
	left, _ := strconv.Atoi(strings.TrimPrefix(c.Do("DBSIZE"), ":"))
	if got := infoInt(t, c, "stats", "evicted_keys"); got != int64(201-left) {
		t.Fatalf("evicted_keys %d, want %d (DBSIZE %d)", got, 201-left, left)
	}
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "noeviction")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "1")
	mustDo(t, c, "-"+errOOM, "SET", "c", "d")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "0")
	mustDo(t, c, "+OK", "SET", "c", "d")
}

// A value near the limit gets its room; one larger than maxmemory itself
// is refused without emptying the keyspace for nothing.
func TestEvictHugeValue(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "1000000")
	fill(t, c, "k", 2000) // far past the limit: evicts as it goes
	if used := srv.datasetBytes(); used > 1000000+400 {
		t.Fatalf("dataset %d", used)
	}
	mustDo(t, c, "+OK", "SET", "big", strings.Repeat("x", 900000))
	if used := srv.datasetBytes(); used > 1000000+900000 {
		t.Fatalf("dataset %d", used)
	}
	mustDo(t, c, "+OK", "SET", "k", "v")
	size := c.Do("DBSIZE")
	mustDo(t, c, "-"+errOOM, "SET", "huge", strings.Repeat("x", 1000001))
	mustDo(t, c, size, "DBSIZE")
}

// Each key is charged its overhead, so many tiny keys are evicted by
// what they really cost, not by their few bytes of content.
func TestEvictManyTinyKeys(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	const limit = 100 * (engine.KeyCharge + 8)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", strconv.Itoa(limit))
	for i := range 2000 {
		mustDo(t, c, "+OK", "SET", strconv.Itoa(i), "")
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(c.Do("DBSIZE"), ":"))
	if int64(n)*engine.KeyCharge > limit || n < 50 {
		t.Fatalf("%d tiny keys kept under %d bytes", n, limit)
	}
}

// An evicted key is a write: the write hook gets DEL key, subscribers of
// the evicted event hear it, and a transaction watching it fails.
func TestEvictRecordedNotifiedWatched(t *testing.T) {
	srv := startServer(t)
	rec := &recorder{}
	srv.SetWriteHook(rec)
	c, sub, w := dial(t, srv), dial(t, srv), dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "notify-keyspace-events", "Ee")
	mustDo(t, sub, `["subscribe" "__keyevent@0__:evicted" :1]`, "SUBSCRIBE", "__keyevent@0__:evicted")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
	mustDo(t, c, "+OK", "SET", "victim", "v", "EX", "100")
	mustDo(t, c, "+OK", "SET", "stays", "v")
	mustDo(t, w, "+OK", "WATCH", "victim")
	setMaxMemory(t, srv, c, 0)
	rec.take()
	mustDo(t, c, "+OK", "SET", "new", "v")
	got := rec.lines()
	if len(got) != 2 || got[0] != "DEL victim" || got[1] != "SET new v" {
		t.Fatalf("records %q, want DEL victim then SET new v", got)
	}
	if p := readPush(t, sub); p != `["message" "__keyevent@0__:evicted" "victim"]` {
		t.Fatalf("event %s", p)
	}
	mustDo(t, w, "+OK", "MULTI")
	mustDo(t, w, "+QUEUED", "SET", "victim", "again")
	mustDo(t, w, "nil-array", "EXEC")
}

// LFU counters decay by lfu-decay-time and are kept across an overwrite.
func TestEvictLFUCounter(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	mustDo(t, c, "+OK", "CONFIG", "SET", "lfu-log-factor", "0")
	mustDo(t, c, "+OK", "SET", "k", "v")
	for range 10 {
		c.Do("GET", "k")
	}
	mustDo(t, c, ":15", "OBJECT", "FREQ", "k")
	srv.Eng.SkewClock(180) // three decay periods
	mustDo(t, c, ":12", "OBJECT", "FREQ", "k")
	// Decay is applied when the counter is read or counted, so with it
	// off the stored counter shows again, as in Redis.
	mustDo(t, c, "+OK", "CONFIG", "SET", "lfu-decay-time", "0")
	srv.Eng.SkewClock(600)
	mustDo(t, c, ":15", "OBJECT", "FREQ", "k")
	mustDo(t, c, "+OK", "SET", "k", "w") // SET's lookup counts, the value keeps it
	mustDo(t, c, ":16", "OBJECT", "FREQ", "k")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	mustDo(t, c, "+OK", "SET", "j", "v")
	srv.Eng.SkewClock(30)
	mustDo(t, c, ":30", "OBJECT", "IDLETIME", "j")
}

// EXEC of a transaction that may grow data checks maxmemory before it
// runs anything, as Redis does: discarded when out of memory.
func TestEvictExecDifferential(t *testing.T) {
	run := func(c, other *resptest.Client) []string {
		out := []string{c.Do("MULTI"), c.Do("SET", "a", "b")}
		other.Do("CONFIG", "SET", "maxmemory", "1")
		out = append(out, c.Do("EXEC"), c.Do("GET", "a"))
		other.Do("CONFIG", "SET", "maxmemory", "0")
		return out
	}
	rc := resptest.StartRedis(t)
	ro, err := resptest.Dial(rc.Conn.RemoteAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	srv := startServer(t)
	want, got := run(rc, ro), run(dial(t, srv), dial(t, srv))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Synap %q, Redis %q", got, want)
	}
}

// Under an evicting policy EXEC makes room first and runs.
func TestEvictBeforeExec(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	fill(t, c, "k", 100)
	mustDo(t, c, "+OK", "MULTI")
	mustDo(t, c, "+QUEUED", "SET", "x", strings.Repeat("x", 2000))
	setMaxMemory(t, srv, dial(t, srv), 0) // set after queueing: EXEC must evict
	mustDo(t, c, `[+OK]`, "EXEC")
	if got := infoInt(t, c, "stats", "evicted_keys"); got < 5 {
		t.Fatalf("evicted_keys %d before EXEC's write", got)
	}
}

// Past exactDatasetNamespaces keyspaces the dataset is the sum taken by
// the sampler, lowered at once by what each eviction frees.
func TestEvictDatasetSampledPastManyNamespaces(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	fill(t, c, "k", 50)
	for i := range exactDatasetNamespaces + 1 {
		srv.Eng.Namespace(fmt.Sprintf("extra%d", i))
	}
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "100mb")
	srv.sampleDataset()
	var sum int64
	for _, ns := range srv.Eng.Namespaces() {
		sum += ns.Bytes()
	}
	if got := srv.datasetBytes(); got != sum {
		t.Fatalf("dataset %d, namespaces sum to %d", got, sum)
	}
	freed, ok := srv.Eng.Evict(srv.DBs, engine.AllKeysLRU, 5)
	if !ok || srv.datasetBytes() != sum-freed {
		t.Fatalf("after evicting %d bytes: dataset %d, want %d", freed, srv.datasetBytes(), sum-freed)
	}
}

// A client blocked on a key that is evicted sees what it sees when the key
// is deleted: XREADGROUP waiting on a stream whose group goes with it.
func TestEvictBlockedClientSeesIt(t *testing.T) {
	run := func(remove func(t *testing.T, srv *Server, c *resptest.Client)) string {
		srv := startServer(t)
		c, reader, admin := dial(t, srv), dial(t, srv), dial(t, srv)
		mustDo(t, c, `"1-1"`, "XADD", "s", "1-1", "f", "v")
		mustDo(t, c, "+OK", "XGROUP", "CREATE", "s", "g", "$")
		mustDo(t, c, ":1", "EXPIRE", "s", "100")
		blockingSend(t, reader, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
		blockingAwait(t, admin, 1)
		remove(t, srv, c)
		mustDo(t, c, `"2-1"`, "XADD", "s", "2-1", "f", "v")
		return reader.Read()
	}
	deleted := run(func(t *testing.T, _ *Server, c *resptest.Client) { mustDo(t, c, ":1", "DEL", "s") })
	evicted := run(func(t *testing.T, srv *Server, c *resptest.Client) {
		mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
		setMaxMemory(t, srv, c, 0)
		mustDo(t, c, "+OK", "SET", "k", "v")
		mustDo(t, c, ":0", "EXISTS", "s")
	})
	if evicted != deleted || evicted != "-"+errStreamGroupGone {
		t.Fatalf("blocked reader after eviction: %s; after DEL: %s", evicted, deleted)
	}
}

// Writers evicting at once, and readers counting accesses under LFU: no
// write is refused while there is something to evict, the dataset ends
// under the limit, and every key written is either there or counted as
// evicted.
func TestEvictConcurrentWriters(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	mustDo(t, c, "+OK", "CONFIG", "SET", "maxmemory", "100000")
	const writers, each = 4, 400
	errs := make(chan string, writers+1)
	done := make(chan struct{})
	r := dial(t, srv)
	go func() {
		for {
			select {
			case <-done:
				errs <- ""
				return
			default:
				r.Do("GET", "w0:1")
			}
		}
	}()
	for w := range writers {
		wc := dial(t, srv)
		go func() {
			v := strings.Repeat("v", 100)
			for i := range each {
				if got := wc.Do("SET", fmt.Sprintf("w%d:%d", w, i), v); got != "+OK" {
					errs <- got
					return
				}
			}
			errs <- ""
		}()
	}
	for range writers {
		if e := <-errs; e != "" {
			t.Fatalf("a write: %s", e)
		}
	}
	close(done)
	<-errs
	if used := srv.datasetBytes(); used > 100000+writers*400 {
		t.Fatalf("dataset %d over 100000", used)
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(c.Do("DBSIZE"), ":"))
	if got := infoInt(t, c, "stats", "evicted_keys"); got != int64(writers*each-n) {
		t.Fatalf("evicted_keys %d, written %d, DBSIZE %d", got, writers*each, n)
	}
}

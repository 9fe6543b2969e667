package commands

import (
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// noisyClient is alice's admin connection without a socket peer: commands
// run through Exec in-process and the reply is dropped after each, so
// what is counted is what the command path itself allocates.
func noisyClient(tb testing.TB) (*Server, *Client) {
	tb.Helper()
	if raceOn {
		tb.Skip("allocation counts do not hold under the race detector")
	}
	f := startCluster(tb)
	a, z := net.Pipe()
	tb.Cleanup(func() { _ = a.Close(); _ = z.Close() })
	c := f.srv.newClient(a)
	noisyExec(f.srv, c, "AUTH", clusterSecret("alice-admin"))
	if got := string(c.W.Buf); got != "+OK\r\n" {
		tb.Fatalf("AUTH: %q", got)
	}
	c.W.Reset()
	return f.srv, c
}

func noisyArgs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

func noisyExec(srv *Server, c *Client, args ...string) {
	srv.Exec(nil, c, noisyArgs(args...))
}

// noisyFill gives alice n strings key:<i>, a list "list" of n elements and
// a list "sortme" of n/10 with its BY and GET keys.
func noisyFill(srv *Server, c *Client, n int) {
	for i := 0; i < n; i += 1000 {
		mset := []string{"MSET"}
		push := []string{"RPUSH", "list"}
		for j := i; j < min(i+1000, n); j++ {
			s := strconv.Itoa(j)
			mset = append(mset, "key:"+s, "value-"+s)
			push = append(push, s)
		}
		noisyExec(srv, c, mset...)
		noisyExec(srv, c, push...)
		c.W.Reset()
	}
	for i := 0; i < n/10; i += 1000 {
		mset := []string{"MSET"}
		push := []string{"RPUSH", "sortme"}
		for j := i; j < min(i+1000, n/10); j++ {
			s := strconv.Itoa(j)
			mset = append(mset, "w_"+s, strconv.Itoa((j*7919)%n), "o_"+s, "object-"+s)
			push = append(push, s)
		}
		noisyExec(srv, c, mset...)
		noisyExec(srv, c, push...)
		c.W.Reset()
	}
}

// go test -run X -bench Noisy -benchmem ./commands: what each attack of
// scripts/noisy makes the server allocate per command.
func BenchmarkNoisyAttacks(b *testing.B) {
	srv, c := noisyClient(b)
	const n = 100_000
	noisyFill(srv, c, n)
	multi := [][][]byte{noisyArgs("MULTI")}
	for i := 0; i < 10_000; i++ {
		multi = append(multi, noisyArgs("SET", "m:"+strconv.Itoa(i), "v"))
	}
	multi = append(multi, noisyArgs("EXEC"))
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"SCAN1000", func() {
			cursor := "0"
			for {
				noisyExec(srv, c, "SCAN", cursor, "COUNT", "1000")
				// the cursor is the first bulk of the reply
				r := c.W.Buf
				i := 4
				for r[i] != '\n' {
					i++
				}
				j := i + 1
				for r[j] != '\r' {
					j++
				}
				cursor = string(r[i+1 : j])
				c.W.Reset()
				if cursor == "0" {
					return
				}
			}
		}},
		{"KEYS", func() { noisyExec(srv, c, "KEYS", "*") }},
		{"SORT", func() { noisyExec(srv, c, "SORT", "sortme", "BY", "w_*", "GET", "o_*") }},
		{"LRANGE", func() { noisyExec(srv, c, "LRANGE", "list", "0", "-1") }},
		{"MULTI10k", func() {
			for _, a := range multi {
				srv.Exec(nil, c, a)
			}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tc.run()
				c.W.Reset()
			}
		})
	}
}

// noisyAllocs is what one run of args allocates on alice's connection,
// its reply dropped after each run.
func noisyAllocs(srv *Server, c *Client, args ...string) float64 {
	a := noisyArgs(args...)
	return testing.AllocsPerRun(20, func() {
		srv.Exec(nil, c, a)
		c.W.Reset()
	})
}

// Issue 10 (noisy neighbours): a tenant cycling SCAN over a big keyspace
// made every call collect its names in a slice (~70 KB of garbage for
// COUNT 1000), and on a server holding millions of keys each GC cycle
// that garbage paid for marks every tenant's heap on the one processor.
// The names now go straight into the reply.
func TestNoisyScanAllocations(t *testing.T) {
	srv, c := noisyClient(t)
	noisyFill(srv, c, 20_000)
	for _, args := range [][]string{
		{"SCAN", "0", "COUNT", "1000"},
		{"SCAN", "0", "COUNT", "5000", "TYPE", "string"},
		{"SCAN", "0", "COUNT", "5000", "MATCH", "key:1*"},
	} {
		// Before: 13 (COUNT 1000), 24 (TYPE), 21 (MATCH), growing with
		// COUNT; now a few of the dispatch's and TYPE's copy of its argument.
		if n := noisyAllocs(srv, c, args...); n > 6 {
			t.Errorf("%v: %.0f allocations per call", args, n)
		}
	}
}

// A SCAN with MATCH writes the names it walks into the reply before it
// filters them: a huge COUNT stops once they pass scanMatchChunk and
// returns its cursor (COUNT is a hint), and the full cycle still finds
// every matching key exactly once.
func TestNoisyScanMatchHugeCount(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-admin")
	const n = 80_000 // ~1.5 MB of names
	want := map[string]bool{}
	for i := 0; i < n; i += 1000 {
		mset := []string{"MSET"}
		for j := i; j < i+1000; j++ {
			k := "some-longer-key-name:" + strconv.Itoa(j)
			mset = append(mset, k, "v")
			if strings.HasSuffix(k, "7") {
				want[k] = true
			}
		}
		if got := c.Do(mset...); got != "+OK" {
			t.Fatal(got)
		}
	}
	seen := map[string]int{}
	cursor, calls := "0", 0
	for {
		calls++
		reply := c.Do("SCAN", cursor, "COUNT", "10000000", "MATCH", "*7")
		head, rest, ok := strings.Cut(strings.TrimPrefix(reply, "["), " ")
		if !ok || !strings.HasSuffix(rest, "]") {
			t.Fatalf("SCAN reply %.200s", reply)
		}
		var err error
		if cursor, err = strconv.Unquote(head); err != nil {
			t.Fatalf("SCAN cursor in %.200s", reply)
		}
		for _, k := range commandStrings(t, rest[:len(rest)-1]) {
			seen[k]++
		}
		if cursor == "0" {
			break
		}
	}
	if calls < 2 {
		t.Errorf("one call of COUNT 10000000 MATCH walked all %d names; want it to stop past %d bytes", n, scanMatchChunk)
	}
	if len(seen) != len(want) {
		t.Errorf("full SCAN found %d keys ending in 7, want %d", len(seen), len(want))
	}
	for k, times := range seen {
		if !want[k] || times != 1 {
			t.Errorf("%s found %d times (matching: %v)", k, times, want[k])
		}
	}
}

// noisyBytes is what one run of args allocates on alice's connection, in
// bytes, averaged over runs after a first one that fills the pools.
func noisyBytes(srv *Server, c *Client, args ...string) int64 {
	a := noisyArgs(args...)
	run := func() {
		srv.Exec(nil, c, a)
		c.W.Reset()
	}
	// One P, as the server runs by default (a sync.Pool's items put on one
	// P are not all visible from another), and no collection in between
	// to empty the pools: a test's small heap is collected every few MB,
	// a server's heap of hundreds of MB far less often.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	run()
	const runs = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		run()
	}
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc-before.TotalAlloc) / runs
}

// A big SORT with BY and GET recycles all it works with, not only its
// item buffers: the copied elements, the sort records and the merge
// buffer were ~55 bytes per element of garbage per call (1.1 MB for
// these 20k elements), which a tenant sorting in a loop turned into GC
// cycles over every tenant's heap.
func TestNoisySortAllocations(t *testing.T) {
	srv, c := noisyClient(t)
	noisyFill(srv, c, 200_000) // sortme: 20,000 elements
	for _, args := range [][]string{
		{"SORT", "sortme", "BY", "w_*", "GET", "o_*"},
		{"SORT_RO", "sortme", "BY", "o_*", "ALPHA", "GET", "#"},
		{"SORT", "sortme", "DESC", "LIMIT", "10", "100"},
	} {
		// Before: 1.1-1.25 MB. What is left is mostly the yields between
		// lookups (~35-65 KB), not per element.
		if n := noisyBytes(srv, c, args...); n > 128<<10 {
			t.Errorf("%v: %d bytes allocated per call", args, n)
		}
	}
	// What they reply is unchanged: the heaviest weights' objects first.
	best := []int{0, 0}
	weight := func(j int) int { return j * 7919 % 200_000 }
	for j := 1; j < 20_000; j++ {
		switch {
		case weight(j) > weight(best[0]):
			best[0], best[1] = j, best[0]
		case weight(j) > weight(best[1]):
			best[1] = j
		}
	}
	noisyExec(srv, c, "SORT", "sortme", "BY", "w_*", "DESC", "GET", "o_*", "GET", "#", "LIMIT", "0", "2")
	want := "*4\r\n"
	for _, j := range best {
		o, e := "object-"+strconv.Itoa(j), strconv.Itoa(j)
		want += "$" + strconv.Itoa(len(o)) + "\r\n" + o + "\r\n$" + strconv.Itoa(len(e)) + "\r\n" + e + "\r\n"
	}
	if got := string(c.W.Buf); got != want {
		t.Errorf("SORT BY w_* DESC GET o_* GET # LIMIT 0 2 = %q, want %q", got, want)
	}
	c.W.Reset()
}

// go test -run X -bench NoisyWire -benchmem ./commands: the attacks of
// scripts/noisy over a real connection, the reader and the socket writes
// included: what the whole process allocates per attack (the client reads
// into one fixed buffer).
func BenchmarkNoisyWire(b *testing.B) {
	f := startCluster(b)
	srv := f.srv
	a, z := net.Pipe()
	b.Cleanup(func() { _ = a.Close(); _ = z.Close() })
	c := srv.newClient(a)
	noisyExec(srv, c, "AUTH", clusterSecret("alice-admin"))
	c.W.Reset()
	noisyFill(srv, c, 100_000)
	cl := f.as(b, "alice-admin")
	multi := multiOf(10_000)
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"KEYS", resptest.Encode("KEYS", "*")},
		{"SORT", resptest.Encode("SORT", "sortme", "BY", "w_*", "GET", "o_*")},
		{"LRANGE", resptest.Encode("LRANGE", "list", "0", "-1")},
		{"MULTI10k", multi},
	} {
		payload := append(tc.payload, resptest.Encode("PING")...)
		buf := make([]byte, 64<<10)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := cl.Conn.Write(payload); err != nil {
					b.Fatal(err)
				}
				var tail []byte
				for {
					n, err := cl.Conn.Read(buf)
					if err != nil {
						b.Fatal(err)
					}
					tail = append(tail[:0], buf[max(0, n-7):n]...)
					if string(tail) == "+PONG\r\n" {
						break
					}
				}
			}
		})
	}
}

func multiOf(n int) []byte {
	p := resptest.Encode("MULTI")
	for i := 0; i < n; i++ {
		p = resptest.AppendCommand(p, "SET", "m:"+strconv.Itoa(i), "v")
	}
	return resptest.AppendCommand(p, "EXEC")
}

// A tenant's MULTI of 10k SETs, as scripts/noisy sends it: 1,000 are
// queued and the rest refused (the 1,000-command bound). Each queued
// command's arguments were copied in one allocation each, and one more
// for their slice: 4,000 allocations per transaction. They are copied
// into the transaction's blocks now; a refusal allocates nothing.
func TestNoisyMultiAllocations(t *testing.T) {
	srv, c := noisyClient(t)
	cmds := [][][]byte{noisyArgs("MULTI")}
	for i := 0; i < 10_000; i++ {
		cmds = append(cmds, noisyArgs("SET", "m:"+strconv.Itoa(i), "v"))
	}
	cmds = append(cmds, noisyArgs("EXEC"))
	run := func() {
		for _, a := range cmds {
			srv.Exec(nil, c, a)
		}
		c.W.Reset()
	}
	if n := testing.AllocsPerRun(5, run); n > 100 {
		t.Errorf("MULTI of 10k SETs: %.0f allocations", n)
	}
	// The queued arguments are still the commands': a transaction within
	// the bound runs them as sent.
	noisyExec(srv, c, "MULTI")
	for i := 0; i < maxTenantMulti-1; i++ { // and one big: the bound
		noisyExec(srv, c, "SET", "q:"+strconv.Itoa(i), strings.Repeat("x", i%300))
	}
	noisyExec(srv, c, "SET", "big", strings.Repeat("y", 40_000))
	c.W.Reset()
	noisyExec(srv, c, "EXEC")
	c.W.Reset()
	for _, i := range []int{0, 1, 199, 200, maxTenantMulti / 2, maxTenantMulti - 2} {
		noisyExec(srv, c, "GET", "q:"+strconv.Itoa(i))
		want := "$" + strconv.Itoa(i%300) + "\r\n" + strings.Repeat("x", i%300) + "\r\n"
		if got := string(c.W.Buf); got != want {
			t.Errorf("GET q:%d = %q, want %q", i, got, want)
		}
		c.W.Reset()
	}
	noisyExec(srv, c, "STRLEN", "big")
	if got := string(c.W.Buf); got != ":40000\r\n" {
		t.Errorf("STRLEN big = %q", got)
	}
}

// go test -run X -bench NoisyRefusedArgument -benchmem ./commands: one
// connection of tenant A sending a 100 MB argument past its payload limit
// (refused from the header, the connection closed), as scripts/noisy's
// 20 connections do over and over: what the whole process allocates per
// connection.
func BenchmarkNoisyRefusedArgument(b *testing.B) {
	setCarolLimits(b, "{storage_limit_bytes: -1, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: 16777216}")
	f := startCluster(b)
	chunk := make([]byte, 256<<10)
	head := "*3\r\n$3\r\nSET\r\n$5\r\narg:1\r\n$104857600\r\n"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cl := f.as(b, "carol-rw")
		_, _ = cl.Conn.Write([]byte(head))
		for sent := 0; sent < 8<<20; sent += len(chunk) {
			if _, err := cl.Conn.Write(chunk); err != nil {
				break
			}
		}
		_ = cl.Close()
	}
}

// go test -run X -bench NoisyProMulti -benchmem ./commands: the MULTI
// attack with limits like scripts/noisy's tenant A (a pro plan).
func BenchmarkNoisyProMulti(b *testing.B) {
	setCarolLimits(b, "{storage_limit_bytes: 1073741824, monthly_operations_limit: 1000000000, max_keys: 10000000, rate_limit: {requests_per_second: 100000, burst: 200000}, max_connections: 500, max_payload_bytes: 16777216}")
	f := startCluster(b)
	a, z := net.Pipe()
	b.Cleanup(func() { _ = a.Close(); _ = z.Close() })
	c := f.srv.newClient(a)
	noisyExec(f.srv, c, "AUTH", clusterSecret("carol-rw"))
	c.W.Reset()
	multi := [][][]byte{noisyArgs("MULTI")}
	for i := 0; i < 10_000; i++ {
		multi = append(multi, noisyArgs("SET", "m:"+strconv.Itoa(i), "v"))
	}
	multi = append(multi, noisyArgs("EXEC"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, a := range multi {
			f.srv.Exec(nil, c, a)
		}
		c.W.Reset()
	}
}

// A tenant flooding past its rate limit is refused with the same text
// over and over: it is formatted once, not per refused command (a MULTI
// of 10k commands past the burst made 10k texts of garbage).
func TestNoisyRateLimitTextReused(t *testing.T) {
	for _, c := range [][2]int64{{100000, 1}, {1, 1000}, {100000, 1}, {5, 7}} {
		if got, want := rateLimitText(c[0], c[1]), fmt.Sprintf(errRateLimit, c[0], c[1]); got != want {
			t.Errorf("rateLimitText(%d, %d) = %q, want %q", c[0], c[1], got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = rateLimitText(5, 7) }); n != 0 {
		t.Errorf("%.0f allocations per repeated refusal", n)
	}
}

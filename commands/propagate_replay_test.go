package commands

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/engine"
	"synap/resp/resptest"
)

// The replay test of the write hook: a random concurrent workload against
// one server with a recording hook; its records, applied in sequence order
// through the normal command path into an empty server (the clock pinned
// to each record's time), must give the same data: every key, its type,
// value and deadline.

// replayWorkers and replayOps size the workload: enough concurrency for
// writes on shared keys to race, small enough for the shared CI machine.
const (
	replayWorkers = 6
	replayOps     = 300
)

// workloadOp returns one random command (or a MULTI block: several).
func workloadOp(r *rand.Rand) [][]string {
	k := func(prefix string) string { return prefix + strconv.Itoa(r.IntN(6)) }
	n := func(max int) string { return strconv.Itoa(r.IntN(max)) }
	ttl := func() []string {
		switch r.IntN(4) {
		case 0:
			return []string{"PX", strconv.Itoa(1 + r.IntN(40))} // expires during the run
		case 1:
			return []string{"EX", strconv.Itoa(100 + r.IntN(1000))}
		case 2:
			return []string{"PXAT", strconv.FormatInt(time.Now().UnixMilli()+int64(r.IntN(60)), 10)}
		}
		return nil
	}
	ops := []func() []string{
		func() []string { return append([]string{"SET", k("s"), n(100)}, ttl()...) },
		func() []string {
			return []string{"SET", k("s"), "x", []string{"NX", "XX", "KEEPTTL", "GET"}[r.IntN(4)]}
		},
		func() []string { return []string{"SETEX", k("s"), strconv.Itoa(1 + r.IntN(500)), "v"} },
		func() []string { return []string{"PSETEX", k("s"), strconv.Itoa(1 + r.IntN(50)), "v"} },
		func() []string { return []string{"INCR", k("s")} },
		func() []string { return []string{"INCRBYFLOAT", k("f"), fmt.Sprintf("%.3f", r.Float64()*10-3)} },
		func() []string { return []string{"APPEND", k("s"), "a"} },
		func() []string { return []string{"SETRANGE", k("s"), n(5), "zz"} },
		func() []string { return []string{"GETDEL", k("s")} },
		func() []string {
			return [][]string{{"GETEX", k("s"), "PX", strconv.Itoa(1 + r.IntN(30))}, {"GETEX", k("s"), "EX", "500"}, {"GETEX", k("s"), "PERSIST"}}[r.IntN(3)]
		},
		func() []string { return []string{"MSET", k("s"), "m", k("s"), "n"} },
		func() []string { return []string{"PEXPIRE", k("s"), strconv.Itoa(1 + r.IntN(40))} },
		func() []string { return []string{"EXPIRE", k("l"), strconv.Itoa(50 + r.IntN(100))} },
		func() []string {
			return []string{"EXPIREAT", k("h"), strconv.FormatInt(time.Now().Unix()+int64(r.IntN(3)), 10)}
		},
		func() []string { return []string{"PERSIST", k("s")} },
		func() []string { return []string{"LPUSH", k("l"), n(50), n(50)} },
		func() []string { return []string{"RPUSH", k("q"), n(50)} },
		func() []string { return []string{"LPOP", k("l")} },
		func() []string { return []string{"RPOP", k("q"), "2"} },
		func() []string { return []string{"LMOVE", k("l"), k("q"), "LEFT", "RIGHT"} },
		func() []string { return []string{"LTRIM", k("l"), "0", n(5)} },
		func() []string { return []string{"LINSERT", k("l"), "BEFORE", n(50), "ins"} },
		func() []string { return []string{"HSET", k("h"), "f" + n(5), n(100)} },
		func() []string { return []string{"HDEL", k("h"), "f" + n(5)} },
		func() []string { return []string{"HINCRBY", k("h"), "c", n(10)} },
		func() []string { return []string{"HINCRBYFLOAT", k("h"), "g", fmt.Sprintf("%.2f", r.Float64())} },
		func() []string { return []string{"SADD", k("S"), n(20), n(20), n(20)} },
		func() []string { return []string{"SREM", k("S"), n(20)} },
		func() []string { return []string{"SPOP", k("S")} },
		func() []string { return []string{"SPOP", k("S"), n(4)} },
		func() []string { return []string{"SMOVE", k("S"), k("S"), n(20)} },
		func() []string { return []string{"SINTERSTORE", k("S"), k("S"), k("S")} },
		func() []string { return []string{"ZADD", k("z"), n(10), "m" + n(10)} },
		func() []string { return []string{"ZINCRBY", k("z"), "0.5", "m" + n(10)} },
		func() []string { return []string{"ZREM", k("z"), "m" + n(10)} },
		func() []string { return []string{"ZPOPMIN", k("z")} },
		func() []string { return []string{"ZUNIONSTORE", k("z"), "2", k("z"), k("z")} },
		func() []string { return []string{"DEL", k("s"), k("l")} },
		func() []string { return []string{"UNLINK", k("z")} },
		func() []string { return []string{"RENAME", k("s"), k("s")} },
		func() []string { return []string{"COPY", k("h"), k("h"), "REPLACE"} },
		func() []string { return []string{"PFADD", k("p"), n(100)} },
		func() []string { return []string{"SETBIT", k("b"), n(64), "1"} },
		func() []string { return []string{"GEOADD", k("g"), "13.36", "38.11", "m" + n(5)} },
		func() []string { return []string{"SORT", k("l"), "BY", "s*", "STORE", k("q")} },
	}
	if r.IntN(12) == 0 {
		block := [][]string{{"MULTI"}}
		for range 2 + r.IntN(3) {
			block = append(block, ops[r.IntN(len(ops))]())
		}
		return append(block, []string{"EXEC"})
	}
	return [][]string{ops[r.IntN(len(ops))]()}
}

// blockingOp is what the blocking clients send: pops that the workers'
// pushes serve, with timeouts short enough to end the run.
func blockingOp(r *rand.Rand) []string {
	k := func(prefix string) string { return prefix + strconv.Itoa(r.IntN(6)) }
	switch r.IntN(5) {
	case 0:
		return []string{"BLPOP", k("l"), k("q"), "0.05"}
	case 1:
		return []string{"BRPOP", k("q"), "0.05"}
	case 2:
		return []string{"BLMOVE", k("q"), k("l"), "RIGHT", "LEFT", "0.05"}
	case 3:
		return []string{"BLMPOP", "0.05", "2", k("l"), k("q"), "LEFT", "COUNT", "2"}
	}
	return []string{"BZPOPMIN", k("z"), k("z"), "0.05"}
}

// runWorkload runs the workload on the connections (and blocking pops on
// blockers) until every worker is done.
func runWorkload(t *testing.T, seed uint64, workers, blockers []*resptest.Client) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i, c := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			for range replayOps {
				for _, args := range workloadOp(r) {
					if got := c.Do(args...); strings.HasPrefix(got, "ERROR") {
						t.Errorf("%q: %s", args, got)
						return
					}
				}
			}
		}()
	}
	var bg sync.WaitGroup
	for i, c := range blockers {
		bg.Add(1)
		go func() {
			defer bg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(100+i)))
			for {
				select {
				case <-done:
					return
				default:
				}
				if got := c.Do(blockingOp(r)...); strings.HasPrefix(got, "ERROR") {
					t.Errorf("blocking: %s", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	bg.Wait()
}

// replay applies records in sequence order, each with the destination's
// clock pinned to the record's time, on the connection for its keyspace.
func replay(t *testing.T, dst *Server, recs []Record, conn func(Keyspace) *resptest.Client) {
	t.Helper()
	db := map[*resptest.Client]int{}
	inMulti := map[*resptest.Client]bool{}
	for i, rec := range recs {
		if rec.Seq != recs[0].Seq+uint64(i) {
			t.Fatalf("record %d has sequence %d: the sequence has a gap", i, rec.Seq)
		}
		c := conn(rec.Keyspace)
		if rec.Keyspace.Tenant == "" && db[c] != rec.Keyspace.DB {
			c.Do("SELECT", strconv.Itoa(rec.Keyspace.DB))
			db[c] = rec.Keyspace.DB
		}
		dst.Eng.PinClock(rec.Time)
		args := make([]string, len(rec.Args))
		for j, a := range rec.Args {
			args[j] = string(a)
		}
		got := c.Do(args...)
		switch {
		case strings.EqualFold(args[0], "multi"):
			inMulti[c] = true
		case strings.EqualFold(args[0], "exec"):
			inMulti[c] = false
		}
		if strings.HasPrefix(got, "-") || strings.HasPrefix(got, "ERROR") {
			t.Errorf("replaying %q (seq %d): %s", args, rec.Seq, got)
		}
	}
	for c, open := range inMulti {
		if open {
			t.Errorf("a MULTI record was never closed by EXEC")
			c.Do("DISCARD")
		}
	}
	dst.Eng.PinClock(0)
}

// dumpData renders every live key of every namespace as the clock at sees
// it: type, deadline and value.
func dumpData(srv *Server, at int64) map[string]string {
	srv.Eng.PinClock(at)
	defer srv.Eng.PinClock(0)
	out := map[string]string{}
	tx := srv.Eng.NewTx()
	for _, ns := range srv.Eng.Namespaces() {
		tx.BeginAll(ns, false)
		tx.Each(func(key []byte, en *engine.Entry) bool {
			out[ns.Name+"\x00"+string(key)] = fmt.Sprintf("%s exp=%d %s", en.Kind, en.ExpireAt(), renderValue(en))
			return true
		})
		tx.End()
	}
	return out
}

func renderValue(en *engine.Entry) string {
	var parts []string
	switch o := en.Obj().(type) {
	case nil:
		return strconv.Quote(string(en.Str()))
	case *engine.List:
		o.Range(0, o.Len()-1, func(_ int, v []byte) bool {
			parts = append(parts, strconv.Quote(string(v)))
			return true
		})
		return "[" + strings.Join(parts, " ") + "]"
	case *engine.Hash:
		o.Each(func(f, v string) bool {
			parts = append(parts, strconv.Quote(f)+"="+strconv.Quote(v))
			return true
		})
	case *engine.Set:
		o.Each(func(m []byte) bool {
			parts = append(parts, strconv.Quote(string(m)))
			return true
		})
	case *engine.ZSet:
		o.Each(func(m string, s float64) bool {
			parts = append(parts, strconv.Quote(m)+"="+strconv.FormatFloat(s, 'g', -1, 64))
			return true
		})
	case *engine.Stream:
		return renderStream(o)
	case interface{ Dump() string }: // queues render their whole state
		return o.Dump()
	default:
		return fmt.Sprintf("%T", o)
	}
	slices.Sort(parts) // hash and set order is the encoding's, not the data's
	return "{" + strings.Join(parts, " ") + "}"
}

// compareData fails the test on any key whose type, deadline or value
// differs, or that only one side has.
func compareData(t *testing.T, want, got map[string]string) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if bad++; bad <= 10 {
				t.Errorf("key %q: original %s, replayed %s", k, w, g)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad <= 10 {
				t.Errorf("key %q only in the replay: %s", k, g)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d keys differ (of %d)", bad, len(want))
	}
}

func TestPropagateReplayStandalone(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	src := startServer(t)
	rec := &recorder{}
	src.SetWriteHook(rec)
	var workers, blockers []*resptest.Client
	for i := range replayWorkers {
		c := dial(t, src)
		if i%3 == 2 {
			c.Do("SELECT", "1") // some of the load in another database
		}
		workers = append(workers, c)
	}
	for range 2 {
		blockers = append(blockers, dial(t, src))
	}
	runWorkload(t, seed, workers, blockers)
	// A flush of database 1 alone (a flush walks shard by shard, so a
	// write racing it is not ordered against it: see ARCHITECTURE).
	workers[2].Do("FLUSHDB")
	workers[2].Do("RPUSH", "after-flush", "a", "b")
	time.Sleep(60 * time.Millisecond) // the short TTLs pass; active expiry gets some
	src.Eng.ReclaimExpired()

	recs := rec.take()
	dst := startServer(t)
	c := dial(t, dst)
	replay(t, dst, recs, func(Keyspace) *resptest.Client { return c })
	at := time.Now().UnixMilli()
	want, got := dumpData(src, at), dumpData(dst, at)
	if len(want) == 0 {
		t.Fatal("the workload left no data")
	}
	compareData(t, want, got)
	t.Logf("%d records, %d keys", len(recs), len(want))
}

func TestPropagateReplayCluster(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	src := startCluster(t)
	rec := &recorder{}
	src.srv.SetWriteHook(rec)
	var workers, blockers []*resptest.Client
	tenants := []string{"alice-rw", "bob-rw"}
	for i := range replayWorkers {
		workers = append(workers, src.as(t, tenants[i%2]))
	}
	for i := range 2 {
		blockers = append(blockers, src.as(t, tenants[i%2]))
	}
	runWorkload(t, seed, workers, blockers)
	time.Sleep(60 * time.Millisecond)
	src.srv.Eng.ReclaimExpired()

	recs := rec.take()
	dst := startCluster(t)
	conns := map[string]*resptest.Client{"alice": dst.as(t, "alice-rw"), "bob": dst.as(t, "bob-rw")}
	replay(t, dst.srv, recs, func(ks Keyspace) *resptest.Client {
		c := conns[ks.Tenant]
		if c == nil {
			t.Fatalf("a record for keyspace %+v", ks)
		}
		return c
	})
	at := time.Now().UnixMilli()
	want, got := dumpData(src.srv, at), dumpData(dst.srv, at)
	tenantsSeen := map[string]bool{}
	for k := range want {
		tenantsSeen[k[:strings.IndexByte(k, 0)]] = true
	}
	if !tenantsSeen["user:alice:"] || !tenantsSeen["user:bob:"] {
		t.Fatalf("the workload did not leave data for both tenants: %v", tenantsSeen)
	}
	compareData(t, want, got)
	t.Logf("%d records, %d keys", len(recs), len(want))
}

// TestPropagateEveryWriteRowReplays runs the isolation examples of every
// write row (each row's arguments as the table's tests use them) against
// a tenant's seeded keyspace with a recording hook, replays the records
// into the same seed on another server and compares the keyspaces.
func TestPropagateEveryWriteRowReplays(t *testing.T) {
	const at = int64(1_800_000_000_000)
	src, dst := startCluster(t), startCluster(t)
	a, b := src.as(t, "alice-admin"), dst.as(t, "alice-admin")
	rec := &recorder{}
	src.srv.SetWriteHook(rec)
	covered := 0
	for _, row := range isolationRows(NewTable().All()) {
		if row.Flags&FlagWrite == 0 {
			continue
		}
		exs := isolationExamples[row.Name]
		if len(exs) == 0 {
			t.Logf("%s: no example to run", row.Name)
			continue
		}
		covered++
		for _, ex := range exs {
			for _, srv := range []*Server{src.srv, dst.srv} {
				srv.Eng.PinClock(at)
				isolationSeed(srv, "alice")
			}
			rec.take()
			args := isolationExpand(ex, "", "", "")
			reply := a.Do(args...)
			recs := rec.take()
			replay(t, dst.srv, recs, func(Keyspace) *resptest.Client { return b })
			want, got := dumpData(src.srv, at), dumpData(dst.srv, at)
			if !maps.Equal(want, got) {
				t.Errorf("%q (reply %.80s) recorded %d records; replayed, the keyspaces differ", args, reply, len(recs))
				compareData(t, want, got)
			}
		}
	}
	if covered == 0 {
		t.Fatal("no write row has an example")
	}
}

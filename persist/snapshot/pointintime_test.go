package snapshot

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"synap/commands"
)

// recorder is a write hook keeping copies of every record.
type recorder struct {
	mu   sync.Mutex
	recs []commands.Record
}

func (r *recorder) Write(rec commands.Record) {
	args := make([][]byte, len(rec.Args))
	for i, a := range rec.Args {
		args[i] = append([]byte(nil), a...)
	}
	rec.Args = args
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
}

// upTo returns the records with Seq <= seq in sequence order, failing on
// a gap.
func (r *recorder) upTo(t *testing.T, seq uint64) []commands.Record {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []commands.Record
	for _, rec := range r.recs {
		if rec.Seq <= seq {
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(a, b commands.Record) int { return int(a.Seq) - int(b.Seq) })
	for i, rec := range out {
		if rec.Seq != uint64(i+1) {
			t.Fatalf("record %d has sequence %d: a gap below the cut", i, rec.Seq)
		}
	}
	if uint64(len(out)) != seq {
		t.Fatalf("%d records up to the cut's sequence %d", len(out), seq)
	}
	return out
}

// replay applies records in order into dst, the clock pinned to each
// record's time: standalone ones on one session, a tenant's on its own
// (conns, by tenant id).
func replay(t *testing.T, dst *commands.Server, recs []commands.Record, conns map[string]*commands.Session) {
	t.Helper()
	c := session(t, dst)
	db := 0
	for _, rec := range recs {
		if rec.Keyspace.Tenant != "" {
			tc := conns[rec.Keyspace.Tenant]
			if tc == nil {
				t.Fatalf("a record for tenant %q", rec.Keyspace.Tenant)
			}
			dst.Eng.PinClock(rec.Time)
			args := make([]string, len(rec.Args))
			for i, a := range rec.Args {
				args[i] = string(a)
			}
			if got := call(t, dst, tc, args...); strings.HasPrefix(got, "ERROR") || strings.HasPrefix(got, "-") {
				t.Fatalf("replaying %q (seq %d): %s", args, rec.Seq, got)
			}
			continue
		}
		if rec.Keyspace.DB != db {
			do(t, dst, c, "SELECT", strconv.Itoa(rec.Keyspace.DB))
			db = rec.Keyspace.DB
		}
		dst.Eng.PinClock(rec.Time)
		args := make([]string, len(rec.Args))
		for i, a := range rec.Args {
			args[i] = string(a)
		}
		if got := call(t, dst, c, args...); strings.HasPrefix(got, "ERROR") || strings.HasPrefix(got, "-") {
			t.Fatalf("replaying %q (seq %d): %s", args, rec.Seq, got)
		}
	}
	dst.Eng.PinClock(0)
}

// A snapshot taken while writers run is the state at its cut: writers
// move money between accounts on different shards in MULTI/EXEC (the sum
// never changes), bump counters, create, delete and expire keys, and
// flush a database, all while Write runs over a keyspace large enough
// that many writes land on keys the walk has not reached (pre-images).
// The loaded snapshot keeps the sum, and equals the replay of exactly
// the records up to the cut's sequence.
func TestPointInTimeUnderLoad(t *testing.T) {
	t.Run("pre-images written with their shard", pointInTimeUnderLoad)
	t.Run("pre-images drained ahead of the walk", func(t *testing.T) {
		defer func(n int64) { maxPending = n }(maxPending)
		maxPending = 0
		pointInTimeUnderLoad(t)
	})
}

func pointInTimeUnderLoad(t *testing.T) {
	const (
		accounts = 64
		filler   = 40000
		writers  = 4
	)
	src := newServer(t)
	rec := &recorder{}
	src.SetWriteHook(rec)
	c := session(t, src)
	for i := range accounts {
		do(t, src, c, "SET", "acct:"+strconv.Itoa(i), "1000")
	}
	args := []string{"MSET"}
	for i := range filler {
		args = append(args, "fill:"+strconv.Itoa(i), "x")
		if len(args) > 1000 || i == filler-1 {
			do(t, src, c, args...)
			args = args[:1]
		}
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var ops atomic.Int64
	for w := range writers {
		wc := session(t, src)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for !stop.Load() {
				a, b := r.IntN(accounts), r.IntN(accounts)
				amt := strconv.Itoa(1 + r.IntN(10))
				call(t, src, wc, "MULTI")
				call(t, src, wc, "DECRBY", "acct:"+strconv.Itoa(a), amt)
				call(t, src, wc, "INCRBY", "acct:"+strconv.Itoa(b), amt)
				if got := call(t, src, wc, "EXEC"); !strings.HasPrefix(got, "[") {
					t.Errorf("EXEC: %s", got)
					return
				}
				f := "fill:" + strconv.Itoa(r.IntN(filler))
				switch r.IntN(11) {
				case 0:
					call(t, src, wc, "INCR", "ctr:"+strconv.Itoa(r.IntN(8)))
				case 1:
					call(t, src, wc, "APPEND", f, "y")
				case 2:
					call(t, src, wc, "DEL", f)
				case 3:
					call(t, src, wc, "SET", "new:"+strconv.Itoa(r.IntN(1<<20)), "n", "PX", strconv.Itoa(1+r.IntN(50)))
				case 4:
					call(t, src, wc, "RPUSH", "list:"+strconv.Itoa(r.IntN(8)), f)
				case 5:
					call(t, src, wc, "PEXPIRE", f, strconv.Itoa(1+r.IntN(30)))
				case 6:
					call(t, src, wc, "HSET", "hash:"+strconv.Itoa(r.IntN(8)), "f"+strconv.Itoa(r.IntN(50)), amt)
				case 7:
					call(t, src, wc, "ZINCRBY", "zset:"+strconv.Itoa(r.IntN(8)), amt, "m"+strconv.Itoa(r.IntN(20)))
				case 8:
					s := "stream:" + strconv.Itoa(r.IntN(4))
					call(t, src, wc, "XADD", s, "*", "v", amt)
					call(t, src, wc, "XGROUP", "CREATE", s, "g", "0")
					call(t, src, wc, "XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(w), "COUNT", "1", "STREAMS", s, ">")
				case 9:
					q := "queue:" + strconv.Itoa(r.IntN(4))
					call(t, src, wc, "QCREATE", q)
					call(t, src, wc, "QPUBLISH", q, amt, "PRIORITY", strconv.Itoa(r.IntN(10)))
					call(t, src, wc, "QCONSUME", q, "c"+strconv.Itoa(w))
				case 10:
					call(t, src, wc, "SADD", "set:"+strconv.Itoa(r.IntN(8)), f)
				}
				ops.Add(1)
			}
		}()
	}
	// A database flushed now and then by a walk, racing the cut.
	wg.Add(1)
	go func() {
		defer wg.Done()
		fc := session(t, src)
		call(t, src, fc, "SELECT", "1")
		for i := 0; !stop.Load(); i++ {
			call(t, src, fc, "SET", "db1:"+strconv.Itoa(i%500), "v")
			if i%200 == 199 {
				call(t, src, fc, "FLUSHDB")
			}
		}
	}()
	for ops.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	path := filepath.Join(t.TempDir(), "dump.snap")
	var cutSeq uint64
	st, err := Write(context.Background(), src, path, func(seq uint64) { cutSeq = seq })
	opsDuring := ops.Load()
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.Preimaged == 0 {
		t.Error("no write landed ahead of the walk: the test proves nothing about pre-images")
	}
	if cutSeq != st.Seq || cutSeq == 0 {
		t.Fatalf("cut saw sequence %d, Write reports %d", cutSeq, st.Seq)
	}

	loaded := newServer(t)
	if _, err := Load(loaded, path); err != nil {
		t.Fatal(err)
	}
	lc := session(t, loaded)
	sum := 0
	for i := range accounts {
		v, _ := strconv.Atoi(strings.Trim(call(t, loaded, lc, "GET", "acct:"+strconv.Itoa(i)), `"`))
		sum += v
	}
	if sum != accounts*1000 {
		t.Errorf("the accounts in the snapshot sum to %d, want %d: not a point in time", sum, accounts*1000)
	}

	want := newServer(t)
	replay(t, want, rec.upTo(t, cutSeq), nil)
	at := time.Now().UnixMilli()
	compareData(t, dumpData(want, at), dumpData(loaded, at))
	t.Logf("%d keys (%d pre-images), %d records up to the cut, %d ops by then, %d after; write took %v", st.Keys, st.Preimaged, cutSeq, opsDuring, ops.Load()-opsDuring, st.Took)
}

// Two tenants transfer within their own keyspaces while Write runs: each
// tenant's sum holds in the snapshot, and both keyspaces equal the
// replay of the records up to the cut, each in its own keyspace.
func TestPointInTimeTenants(t *testing.T) {
	src, conns := newCluster(t)
	rec := &recorder{}
	src.SetWriteHook(rec)
	const accounts = 32
	for _, u := range []string{"alice", "bob"} {
		for i := range accounts {
			do(t, src, conns[u], "SET", "acct:"+strconv.Itoa(i), "100")
		}
		args := []string{"MSET"}
		for i := range 5000 {
			args = append(args, "fill:"+strconv.Itoa(i), u)
		}
		do(t, src, conns[u], args...)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w, u := range []string{"alice", "bob", "alice", "bob"} {
		c := session(t, src)
		do(t, src, c, "AUTH", u+"-secret-0123456789")
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for !stop.Load() {
				a, b := strconv.Itoa(r.IntN(accounts)), strconv.Itoa(r.IntN(accounts))
				call(t, src, c, "MULTI")
				call(t, src, c, "DECRBY", "acct:"+a, "3")
				call(t, src, c, "INCRBY", "acct:"+b, "3")
				call(t, src, c, "EXEC")
				call(t, src, c, "APPEND", "fill:"+strconv.Itoa(r.IntN(5000)), "+")
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	path := filepath.Join(t.TempDir(), "dump.snap")
	var cutSeq uint64
	st, err := Write(context.Background(), src, path, func(seq uint64) { cutSeq = seq })
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	loaded, lconns := newCluster(t)
	if _, err := Load(loaded, path); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		sum := 0
		for i := range accounts {
			v, _ := strconv.Atoi(strings.Trim(call(t, loaded, lconns[u], "GET", "acct:"+strconv.Itoa(i)), `"`))
			sum += v
		}
		if sum != accounts*100 {
			t.Errorf("%s's accounts sum to %d in the snapshot, want %d", u, sum, accounts*100)
		}
	}
	want, wconns := newCluster(t)
	replay(t, want, rec.upTo(t, cutSeq), wconns)
	at := time.Now().UnixMilli()
	compareData(t, dumpData(want, at), dumpData(loaded, at))
	t.Logf("%d keys (%d pre-images), %d records up to the cut", st.Keys, st.Preimaged, cutSeq)
}

package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// engineFake is a non-string value whose accounted size the test controls.
type engineFake struct{ n int64 }

func (f *engineFake) Size() int64      { return f.n }
func (f *engineFake) Encoding() string { return "fake" }
func (f *engineFake) Clone() Object    { return &engineFake{f.n} }

// engineNew returns an engine without the background expiry cycle, so that
// a test decides when anything expires.
func engineNew(t *testing.T, shards int) *Engine {
	t.Helper()
	e := New(shards)
	e.Close()
	return e
}

// engineWrite runs fn under a write lock on every shard of ns.
func engineWrite(e *Engine, ns *Namespace, fn func(tx *Tx)) {
	tx := e.NewTx()
	tx.BeginAll(ns, true)
	defer tx.End()
	fn(tx)
}

func engineRead(e *Engine, ns *Namespace, fn func(tx *Tx)) {
	tx := e.NewTx()
	tx.BeginAll(ns, false)
	defer tx.End()
	fn(tx)
}

type engineCounts struct{ keys, bytes, expires int64 }

// Each key counts its charge, and a TTL its own, beside its bytes.
const (
	kc = KeyCharge
	tc = TTLCharge
)

// engineWant checks ns's counters against the expected values and against a
// recount from the trees themselves, expired but unreclaimed keys included.
func engineWant(t *testing.T, e *Engine, ns *Namespace, want engineCounts) {
	t.Helper()
	got := engineCounts{ns.Keys(), ns.Bytes(), ns.Expires()}
	if got != want {
		t.Errorf("namespace %q counters %+v, want %+v", ns.Name, got, want)
	}
	var tree engineCounts
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.RLock()
		withTTL := int64(0)
		if sh.items.Len() != sh.index.len() {
			t.Errorf("shard %d: %d chains in the tree, %d in the index", i, sh.items.Len(), sh.index.len())
		}
		sh.items.Ascend(0, func(id uint64) bool {
			head := sh.index.get(id)
			if head == nil {
				t.Errorf("shard %d: chain %x in the tree is not in the index", i, id)
			}
			if nsOf(id) == ns.ID {
				for en := head; en != nil; en = sh.next(en) {
					if got := treeID(ns.ID, e.hash([]byte(en.keyString()))); got != id {
						t.Errorf("key %q is chained under id %x, its own is %x", en.keyString(), id, got)
					}
					tree.keys++
					tree.bytes += en.accounted(int(en.klen))
					if en.size() != en.accounted(int(en.klen)) {
						t.Errorf("key %q keeps %d bytes accounted, its value accounts %d", en.keyString(), en.size(), en.accounted(int(en.klen)))
					}
					if en.exp != 0 {
						withTTL++
					}
				}
			}
			return true
		})
		indexed := int64(0)
		sh.expires.Scan(func(it expItem) bool {
			if nsOf(it.id) == ns.ID {
				due := sh.expiring(nil, it)
				if len(due) == 0 {
					t.Errorf("TTL index entry %x at %d matches no key", it.id, it.at)
				}
				indexed += int64(len(due))
			}
			return true
		})
		sh.mu.RUnlock()
		if indexed != withTTL {
			t.Errorf("shard %d: %d keys with a TTL but %d in the TTL index", i, withTTL, indexed)
		}
		tree.expires += withTTL
	}
	if tree != want {
		t.Errorf("namespace %q trees hold %+v, want %+v", ns.Name, tree, want)
	}
}

func TestEngineAccountingAcrossNamespaces(t *testing.T) {
	e := engineNew(t, 8)
	a, b, c := e.Namespace("a"), e.Namespace("b"), e.Namespace("c")
	if e.Namespace("a") != a {
		t.Fatal("Namespace does not return the existing namespace")
	}
	far := NowMs() + time.Hour.Milliseconds()

	engineWrite(e, a, func(tx *Tx) {
		tx.Put([]byte("k1"), NewString([]byte("hello")))        // 2+5
		tx.PutExpire([]byte("k2"), NewString([]byte("x")), far) // 2+1
		tx.Put([]byte("obj"), NewObject(KindHash, &engineFake{100}))
		tx.In(b).Put([]byte("k1"), NewString([]byte("0123456789"))) // 2+10
	})
	engineWant(t, e, a, engineCounts{3, 3*kc + tc + 7 + 3 + 103, 1})
	engineWant(t, e, b, engineCounts{1, kc + 12, 0})
	engineWant(t, e, c, engineCounts{})

	engineWrite(e, a, func(tx *Tx) {
		// A plain overwrite drops the TTL; PutExpire on an existing key sets one.
		tx.Put([]byte("k2"), NewString([]byte("longer value")))  // 2+12
		tx.PutExpire([]byte("k1"), NewString([]byte("hi")), far) // 2+2
		en := tx.Get([]byte("obj"))
		en.Obj().(*engineFake).n = 40
		tx.Updated([]byte("obj"), en)
		if tx.Delete([]byte("missing")) {
			t.Error("Delete of a missing key reported a removal")
		}
	})
	engineWant(t, e, a, engineCounts{3, 3*kc + tc + 14 + 4 + 43, 1})

	engineWrite(e, a, func(tx *Tx) {
		if !tx.Delete([]byte("k2")) {
			t.Error("Delete of k2 reported nothing removed")
		}
		en := tx.Get([]byte("k1"))
		tx.SetExpire([]byte("k1"), en, 0)
		tx.In(c).PutExpire([]byte("c1"), NewString([]byte("v")), far)
	})
	engineWant(t, e, a, engineCounts{2, 2*kc + 4 + 43, 0})
	engineWant(t, e, c, engineCounts{1, kc + tc + 3, 1})

	engineWrite(e, a, func(tx *Tx) {
		if n := tx.Flush(); n != 2 {
			t.Errorf("Flush removed %d keys, want 2", n)
		}
	})
	engineWant(t, e, a, engineCounts{})
	engineWant(t, e, b, engineCounts{1, kc + 12, 0})
	engineWant(t, e, c, engineCounts{1, kc + tc + 3, 1})

	engineWrite(e, c, func(tx *Tx) {
		en := tx.Get([]byte("c1"))
		tx.SetExpire([]byte("c1"), en, tx.Now-1) // a time in the past deletes
	})
	engineWant(t, e, c, engineCounts{})
	engineWant(t, e, b, engineCounts{1, kc + 12, 0})
}

func TestEngineLazyExpiry(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("")
	var at int64
	engineWrite(e, ns, func(tx *Tx) {
		at = tx.Now + 1000
		tx.PutExpire([]byte("v"), NewString([]byte("1")), at)
		tx.Put([]byte("p"), NewString([]byte("2")))
	})
	engineWant(t, e, ns, engineCounts{2, 2*kc + tc + 4, 1})

	// A read lock may not remove anything: the key is hidden but still counted.
	engineRead(e, ns, func(tx *Tx) {
		tx.Now = at
		if tx.Get([]byte("v")) != nil || tx.Exists([]byte("v")) {
			t.Error("expired key visible under a read lock")
		}
		var seen []string
		tx.Each(func(k []byte, _ *Entry) bool { seen = append(seen, string(k)); return true })
		if !slices.Equal(seen, []string{"p"}) {
			t.Errorf("Each saw %q, want only the live key", seen)
		}
	})
	engineWant(t, e, ns, engineCounts{2, 2*kc + tc + 4, 1})

	engineWrite(e, ns, func(tx *Tx) {
		tx.Now = at - 1
		if tx.Get([]byte("v")) == nil {
			t.Error("key gone a millisecond before its deadline")
		}
	})
	engineWant(t, e, ns, engineCounts{2, 2*kc + tc + 4, 1})

	engineWrite(e, ns, func(tx *Tx) {
		tx.Now = at
		if tx.Get([]byte("v")) != nil {
			t.Error("expired key visible under a write lock")
		}
	})
	engineWant(t, e, ns, engineCounts{1, kc + 2, 0})
	if n := e.ExpiredKeys(); n != 1 {
		t.Errorf("ExpiredKeys = %d, want 1", n)
	}

	// Deleting an expired key reclaims it but reports nothing live removed;
	// overwriting one starts a fresh value without the old deadline.
	engineWrite(e, ns, func(tx *Tx) {
		tx.PutExpire([]byte("d"), NewString([]byte("x")), at)
		tx.PutExpire([]byte("o"), NewString([]byte("x")), at)
	})
	engineWrite(e, ns, func(tx *Tx) {
		tx.Now = at
		if tx.Delete([]byte("d")) {
			t.Error("Delete of an expired key reported a live removal")
		}
		tx.Put([]byte("o"), NewString([]byte("new")))
		if en := tx.Get([]byte("o")); en == nil || en.ExpireAt() != 0 {
			t.Errorf("overwritten key: %+v, want a persistent live value", en)
		}
	})
	engineWant(t, e, ns, engineCounts{2, 2*kc + 2 + 4, 0})
	if n := e.ExpiredKeys(); n != 2 {
		t.Errorf("ExpiredKeys = %d, want 2", n)
	}
}

func TestEngineReclaimExpired(t *testing.T) {
	e := engineNew(t, 1) // one shard: more keys than one pass's batch
	ns, other := e.Namespace("x"), e.Namespace("y")
	const n = 3*expirePerShard + 7
	engineWrite(e, ns, func(tx *Tx) {
		past := tx.Now - 1
		for i := range n {
			tx.PutExpire(fmt.Appendf(nil, "k%04d", i), NewString([]byte("val")), past)
		}
		tx.PutExpire([]byte("later"), NewString([]byte("v")), tx.Now+time.Hour.Milliseconds())
		tx.In(other).PutExpire([]byte("y"), NewString([]byte("v")), past)
		tx.In(other).Put([]byte("z"), NewString([]byte("v")))
	})
	engineWant(t, e, ns, engineCounts{n + 1, (n+1)*(kc+tc) + n*8 + 6, n + 1})

	e.ReclaimExpired()
	engineWant(t, e, ns, engineCounts{1, kc + tc + 6, 1})
	engineWant(t, e, other, engineCounts{1, kc + 2, 0})
	if got := e.ExpiredKeys(); got != n+1 {
		t.Errorf("ExpiredKeys = %d, want %d", got, n+1)
	}
}

func TestEngineActiveExpiryCycle(t *testing.T) {
	e := New(4)
	t.Cleanup(e.Close)
	ns := e.Namespace("")
	const n = 500
	engineWrite(e, ns, func(tx *Tx) {
		soon := tx.Now + 50
		for i := range n {
			tx.PutExpire(fmt.Appendf(nil, "k%d", i), NewString([]byte("v")), soon)
		}
		tx.Put([]byte("keep"), NewString([]byte("v")))
	})
	// Nobody touches the keys: only the background cycle can remove them.
	deadline := time.Now().Add(20 * time.Second)
	for ns.Keys() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("background expiry left %d keys", ns.Keys())
		}
		time.Sleep(10 * time.Millisecond)
	}
	engineWant(t, e, ns, engineCounts{1, kc + 5, 0})
	if got := e.ExpiredKeys(); got != n {
		t.Errorf("ExpiredKeys = %d, want %d", got, n)
	}
}

// TestEngineScanUnderChurn checks SCAN's guarantee: a key present for the
// whole scan is returned, and no key is returned twice, however many keys
// come and go between calls.
func TestEngineScanUnderChurn(t *testing.T) {
	e := engineNew(t, 16)
	ns, other := e.Namespace("scan"), e.Namespace("noise")
	rng := rand.New(rand.NewPCG(1, 2))
	stable := map[string]bool{}
	engineWrite(e, ns, func(tx *Tx) {
		for i := range 300 {
			k := fmt.Sprintf("stable:%d", i)
			stable[k] = true
			tx.Put([]byte(k), NewString([]byte("v")))
			tx.In(other).Put([]byte(k), NewString([]byte("v")))
		}
	})
	volatile := func(i int) []byte { return fmt.Appendf(nil, "vol:%d", i) }

	for round := range 40 {
		seen := map[string]int{}
		cursor := uint64(0)
		for calls := 0; ; calls++ {
			if calls > 10000 {
				t.Fatalf("round %d: scan did not finish", round)
			}
			engineRead(e, ns, func(tx *Tx) {
				cursor = tx.Scan(cursor, 1+rng.IntN(5), func(k []byte, _ *Entry) {
					seen[string(k)]++
				})
			})
			if cursor == 0 {
				break
			}
			engineWrite(e, ns, func(tx *Tx) {
				for range 1 + rng.IntN(20) {
					k := volatile(rng.IntN(400))
					if rng.IntN(2) == 0 {
						tx.Put(k, NewString([]byte("v")))
					} else {
						tx.Delete(k)
					}
				}
			})
		}
		for k := range stable {
			if seen[k] == 0 {
				t.Fatalf("round %d: scan missed %q", round, k)
			}
		}
		for k, n := range seen {
			if !stable[k] && !strings.HasPrefix(k, "vol:") {
				t.Fatalf("round %d: scan returned foreign key %q", round, k)
			}
			if n > 1 {
				t.Fatalf("round %d: scan returned %q %d times", round, k, n)
			}
		}
	}
}

func TestEngineScanCursorBeyondHashSpace(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("")
	engineWrite(e, ns, func(tx *Tx) { tx.Put([]byte("k"), NewString([]byte("v"))) })
	engineRead(e, ns, func(tx *Tx) {
		n := 0
		if next := tx.Scan(1<<40, 10, func([]byte, *Entry) { n++ }); next != 0 || n != 0 {
			t.Errorf("Scan(1<<40) = %d with %d keys, want 0 with none", next, n)
		}
	})
}

func TestEngineRandomKey(t *testing.T) {
	e := engineNew(t, 8)
	ns, other := e.Namespace("r"), e.Namespace("o")
	engineRead(e, ns, func(tx *Tx) {
		if k := tx.RandomKey(); k != nil {
			t.Errorf("RandomKey of an empty namespace = %q", k)
		}
	})
	var now int64
	engineWrite(e, ns, func(tx *Tx) {
		now = tx.Now
		tx.In(other).Put([]byte("foreign"), NewString([]byte("v")))
		for i := range 50 {
			tx.PutExpire(fmt.Appendf(nil, "dying%d", i), NewString([]byte("v")), now+1000)
		}
	})
	engineRead(e, ns, func(tx *Tx) {
		tx.Now = now + 1000
		if k := tx.RandomKey(); k != nil {
			t.Errorf("RandomKey with only expired keys = %q", k)
		}
	})
	engineWrite(e, ns, func(tx *Tx) { tx.Put([]byte("alive"), NewString([]byte("v"))) })
	engineRead(e, ns, func(tx *Tx) {
		tx.Now = now + 1000
		for range 200 {
			if k := tx.RandomKey(); string(k) != "alive" {
				t.Fatalf("RandomKey = %q, want the only live key", k)
			}
		}
		tx.Now = now
		got := map[string]bool{}
		for range 200 {
			k := string(tx.RandomKey())
			if k != "alive" && !strings.HasPrefix(k, "dying") {
				t.Fatalf("RandomKey = %q, not a key of the namespace", k)
			}
			got[k] = true
		}
		if len(got) < 2 {
			t.Errorf("RandomKey returned only %v in 200 calls over 51 keys", got)
		}
	})
}

func enginePanics(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic, want %q", want)
		} else if fmt.Sprint(r) != want {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	fn()
}

// keyInOtherShard returns a key ("b<n>") whose shard is not a's.
func keyInOtherShard(e *Engine, a []byte) []byte {
	for i := 0; ; i++ {
		if k := fmt.Appendf(nil, "b%d", i); e.ShardOf(k) != e.ShardOf(a) {
			return k
		}
	}
}

func TestEngineLockChecks(t *testing.T) {
	e := engineNew(t, 16)
	ns := e.Namespace("")
	a := []byte("a")
	b := keyInOtherShard(e, a)
	// After a write, the refusals are no longer Assertions (see assert.go).
	const changed = " (after the transaction may have changed data)"
	const outside = "engine: key outside the command's lock set" + changed

	tx := e.NewTx()
	tx.Begin(ns, [][]byte{a}, true)
	tx.Put(a, NewString([]byte("v")))
	enginePanics(t, outside, func() { tx.Get(b) })
	enginePanics(t, outside, func() { tx.Put(b, NewString([]byte("v"))) })
	enginePanics(t, outside, func() { tx.Delete(b) })
	enginePanics(t, outside, func() { tx.In(e.Namespace("other")).Get(b) })
	enginePanics(t, "engine: scan outside the command's lock set"+changed, func() { tx.Scan(0, 1<<30, func([]byte, *Entry) {}) })
	enginePanics(t, "engine: random key outside the command's lock set"+changed, func() {
		for range 100 { // a random start may land in the one locked shard first
			tx.RandomKey()
		}
	})
	tx.End()

	tx.Begin(ns, [][]byte{a, b}, false)
	if tx.Get(a) == nil {
		t.Error("Get of a locked key under a read lock failed")
	}
	enginePanics(t, "engine: write under a read lock", func() { tx.Put(a, NewString([]byte("w"))) })
	enginePanics(t, "engine: write under a read lock", func() { tx.Delete(b) })
	enginePanics(t, "engine: write under a read lock", func() { tx.Flush() })
	tx.End()

	// The locks are really released: a writer can take every shard now.
	engineWrite(e, ns, func(tx *Tx) { tx.Delete(a) })
	engineWant(t, e, ns, engineCounts{})
}

func TestEngineEachStaysInNamespace(t *testing.T) {
	e := engineNew(t, 8)
	ns, other := e.Namespace("one"), e.Namespace("two")
	engineWrite(e, ns, func(tx *Tx) {
		for i := range 20 {
			tx.Put(fmt.Appendf(nil, "k%d", i), NewString([]byte("v")))
			tx.In(other).Put(fmt.Appendf(nil, "o%d", i), NewString([]byte("v")))
		}
	})
	engineRead(e, ns, func(tx *Tx) {
		n := 0
		tx.Each(func(k []byte, _ *Entry) bool {
			if k[0] != 'k' {
				t.Errorf("Each returned %q from another namespace", k)
			}
			n++
			return true
		})
		if n != 20 {
			t.Errorf("Each visited %d keys, want 20", n)
		}
		n = 0
		tx.Each(func([]byte, *Entry) bool { n++; return n < 5 })
		if n != 5 {
			t.Errorf("Each went on after fn returned false: %d calls", n)
		}
	})
}

// benchKey writes the benchmark's key number i into buf.
func benchKey(buf []byte, i int) []byte {
	return strconv.AppendInt(append(buf[:0], "key:"...), int64(i), 10)
}

// benchKeys fills a 256-shard engine with n string keys and returns it with
// a random order to read them in: in insertion order the entries would be
// visited in allocation order and the prefetcher would hide the cache
// misses that dominate a real server.
func benchKeys(b *testing.B, n int) (*Engine, *Namespace, []int) {
	e := New(256)
	b.Cleanup(e.Close)
	ns := e.Namespace("")
	tx := e.NewTx()
	var buf []byte
	for i := range n {
		buf = benchKey(buf, i)
		tx.Begin(ns, [][]byte{buf}, true)
		tx.SetString(buf, []byte("value"), 0)
		tx.End()
	}
	return e, ns, rand.New(rand.NewPCG(1, 2)).Perm(n)
}

// A point read as a GET does it: lock the key's shard, look it up, unlock,
// with the key written into one reused buffer as a server reads it.
func BenchmarkTxGet(b *testing.B) {
	e, ns, order := benchKeys(b, 100000)
	tx := e.NewTx()
	var buf []byte
	one := [][]byte{nil}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = benchKey(buf, order[i%len(order)])
		benchGet(b, tx, ns, one, buf)
	}
}

// benchGet reads k under its shard's read lock, as GET does; one is a
// reused one-key slice, so the loop allocates nothing.
func benchGet(b *testing.B, tx *Tx, ns *Namespace, one [][]byte, k []byte) {
	one[0] = k
	tx.Now = 1
	tx.Begin(ns, one, false)
	if tx.Get(k) == nil {
		b.Fatal("missing")
	}
	tx.End()
}

// A pipelined batch of 16 point reads, with and without Warm first.
func BenchmarkTxGetBatch(b *testing.B) {
	for _, warm := range []bool{false, true} {
		b.Run(fmt.Sprintf("warm=%v", warm), func(b *testing.B) {
			e, ns, order := benchKeys(b, 100000)
			tx := e.NewTx()
			batch := make([][]byte, 16)
			one := [][]byte{nil}
			b.ResetTimer()
			for i := 0; i < b.N; i += 16 {
				for j := range batch {
					batch[j] = benchKey(batch[j], order[(i+j)%len(order)])
				}
				if warm {
					tx.Warm(ns, batch)
				}
				for _, k := range batch {
					benchGet(b, tx, ns, one, k)
				}
			}
		})
	}
}

// Tree ids give their namespace back, and consecutive namespaces do not
// sit next to each other in the trees.
func TestTreeIDNamespace(t *testing.T) {
	if a, b := uint32(nsMul), uint32(nsMulInverse); a*b != 1 {
		t.Fatal("nsMulInverse is not nsMul's inverse")
	}
	for _, ns := range []uint32{0, 1, 2, 15, 16, 1000, 1 << 20, 1<<32 - 1} {
		for _, h := range []uint32{0, 1, 0x80000000, 1<<32 - 1} {
			if got := nsOf(treeID(ns, h)); got != ns {
				t.Errorf("nsOf(treeID(%d, %#x)) = %d", ns, h, got)
			}
		}
	}
	if treeID(0, 5) != 5 {
		t.Error("namespace 0's ids are not its hashes")
	}
	if a, b := treeID(1, 0)>>32, treeID(2, 0)>>32; b == a+1 {
		t.Error("consecutive namespaces are neighbours in the tree")
	}
}

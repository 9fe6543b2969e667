package commands

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"synap/resp/resptest"
)

// trackingCache is what a client-side cache holds: the values it read,
// dropped at each invalidation, everything at a null one. It handles
// frames in the order they arrive, as a client does.
type trackingCache struct {
	c      *resptest.Client
	values map[string]string
}

// frame handles one frame and reports whether it was a push.
func (tc *trackingCache) frame(r string) bool {
	if !strings.HasPrefix(r, ">") {
		return false
	}
	if r == `>["invalidate" null]` {
		clear(tc.values)
		return true
	}
	for _, k := range pushKeys(r) {
		delete(tc.values, k)
	}
	return true
}

// get reads key through the cache: a cached value, or GET's reply,
// cached. A hit is followed by a PING, as a client's other work would
// be, so the readers do not spin on their caches and starve the server
// and the writers of this process of the processor.
func (tc *trackingCache) get(t *testing.T, key string) {
	if _, ok := tc.values[key]; ok {
		tc.settle(t)
		return
	}
	if err := tc.c.Send(string(resptest.Encode("GET", key))); err != nil {
		t.Fatal(err)
	}
	for {
		r := tc.c.Read()
		if strings.HasPrefix(r, "ERROR:") {
			t.Fatalf("GET %s: %s", key, r)
		}
		if !tc.frame(r) {
			tc.values[key] = r
			return
		}
	}
}

// settle takes every invalidation sent so far: they were queued before
// PING ran, so they come before its reply.
func (tc *trackingCache) settle(t *testing.T) {
	if err := tc.c.Send(string(resptest.Encode("PING"))); err != nil {
		t.Fatal(err)
	}
	for {
		r := tc.c.Read()
		if r == "+PONG" {
			return
		}
		if !tc.frame(r) {
			t.Fatalf("while settling: %s", r)
		}
	}
}

// No cache goes stale: clients read keys through client-side caches (in
// default and BCAST mode) while other connections write, delete, rename,
// expire and flush the same keys; once the writers stop and each client
// has taken its invalidations, every value a cache still holds is the
// value the server holds. A read remembered after its lock is released,
// or an invalidation that could pass a reply it invalidates, fails this.
func TestClientTrackingNeverStale(t *testing.T) {
	srv := startServer(t)
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = "key" + strconv.Itoa(i)
	}
	var caches []*trackingCache
	for i, mode := range []string{"", "", "", "BCAST", "OPTOUT"} {
		c := dial(t, srv)
		c.Do("HELLO", "3")
		args := append([]string{"CLIENT", "TRACKING", "ON"}, strings.Fields(mode)...)
		if r := c.Do(args...); r != "+OK" {
			t.Fatalf("client %d: %s", i, r)
		}
		caches = append(caches, &trackingCache{c: c, values: map[string]string{}})
	}
	stop := make(chan struct{})
	var flushAt atomic.Int64
	flushAt.Store(time.Now().Add(time.Second).UnixNano())
	var wg sync.WaitGroup
	for w := range 2 {
		wc := dial(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k, k2 := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]
				var args []string
				switch rng.IntN(9) {
				case 0, 1:
					args = []string{"SET", k, strconv.Itoa(n)}
				case 2:
					args = []string{"DEL", k}
				case 3:
					args = []string{"INCR", k}
				case 4:
					args = []string{"APPEND", k, "x"}
				case 5:
					args = []string{"SET", k, "short", "PX", strconv.Itoa(1 + rng.IntN(5))}
				case 6:
					args = []string{"RENAME", k, k2}
				case 7:
					args = []string{"MSET", k, "m" + strconv.Itoa(n), k2, "n" + strconv.Itoa(n)}
				case 8:
					args = []string{"GETDEL", k}
				}
				// One flush halfway, whose null invalidation must
				// reach every cache too.
				if w == 0 && flushAt.Load() != 0 && time.Now().UnixNano() > flushAt.Load() {
					flushAt.Store(0)
					args = []string{"FLUSHDB"}
				}
				if r := wc.Do(args...); strings.HasPrefix(r, "ERROR:") {
					t.Errorf("%q: %s", args, r)
					return
				}
				// Paced, so values cached near the end are not all
				// invalidated by the last writes before anyone looks.
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	var rwg sync.WaitGroup
	for i, tc := range caches {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			for time.Now().Before(deadline) {
				tc.get(t, keys[rng.IntN(len(keys))])
			}
		}()
	}
	rwg.Wait()
	close(stop)
	wg.Wait()
	// Keys set with PX may have expired since: a read answers as if
	// they were gone but does not reclaim them; reclaiming (active
	// expiry, within 100 ms) invalidates them, like any other change.
	time.Sleep(10 * time.Millisecond)
	srv.Eng.ReclaimExpired()
	check := dial(t, srv)
	check.Do("HELLO", "3")
	held := 0
	for i, tc := range caches {
		tc.settle(t)
		held += len(tc.values)
		for k, v := range tc.values {
			if now := check.Do("GET", k); now != v {
				t.Errorf("client %d caches %s = %s, the server holds %s: stale", i, k, v, now)
			}
		}
	}
	// Values cached while the writers ran and never invalidated since:
	// what the check is about (a run that ends with every cache empty
	// checks nothing).
	t.Logf("%d values held at the end, %d keys", held, len(keys))
	if held == 0 {
		t.Error("no cache held anything at the end: the check checked nothing")
	}
}
